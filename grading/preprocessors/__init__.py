"""nbgrader preprocessors of this course (the layout follows ``nbgrader/preprocessors/``)."""

from grading.preprocessors.execute import RobustExecute
from grading.preprocessors.hidden_tests import ClearHiddenTestOutputs

__all__ = ["ClearHiddenTestOutputs", "RobustExecute"]
