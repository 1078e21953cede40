"""nbgrader's ``Execute`` preprocessor with a kernel client that cannot miss a reply."""

from __future__ import annotations

from nbgrader.preprocessors import Execute

from grading.kernel_client import SlicedPollingMixin


class RobustExecute(SlicedPollingMixin, Execute):
    """``Execute`` (all its ``c.Execute.*`` settings apply) polling the shell in slices.

    See ``grading.kernel_client`` for the hang this prevents.
    """
