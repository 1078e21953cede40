"""nbgrader preprocessors of this course (the layout follows ``nbgrader/preprocessors/``)."""

from grading.preprocessors.execute import RobustExecute
from grading.preprocessors.hidden_tests import ClearHiddenTestOutputs
from grading.preprocessors.restore_metadata import RestoreCellMetadata

__all__ = ["ClearHiddenTestOutputs", "RestoreCellMetadata", "RobustExecute"]
