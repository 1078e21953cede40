"""nbgrader preprocessors of this course (the layout follows ``nbgrader/preprocessors/``)."""

from grading.preprocessors.hidden_tests import ClearHiddenTestOutputs, StripHiddenTests

__all__ = ["ClearHiddenTestOutputs", "StripHiddenTests"]
