"""Late penalties from ``course.toml``, applied by nbgrader's own ``AssignLatePenalties``.

nbgrader asks its late-submission plugin for a notebook's penalty, given the student, the
notebook's score and how late the submission was (from its ``timestamp.txt`` and the
assignment's due date in the gradebook). The plugin is created by the preprocessor with
``parent=`` the preprocessor, which knows the assignment: that is how each assignment gets
its own policy (``grading.settings.LatePolicy``).
"""

from __future__ import annotations

from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Unicode


class CoursePenaltyPlugin(LateSubmissionPlugin):
    """The penalty of the assignment's ``LatePolicy`` (points taken from the notebook)."""

    course_root = Unicode("", help="Course directory whose course.toml holds the late policies; "
                                   "empty: no penalties.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if not self.course_root:
            return None
        from grading.course import course_settings

        assignment = getattr(self.parent, "assignment_id", None)
        policy = course_settings(Path(self.course_root)).assignment(assignment).late
        penalty = policy.penalty(score, total_seconds_late)
        self.log.info("late by %.0f s: %s -> penalty %g", total_seconds_late, policy.describe(), penalty)
        return penalty
