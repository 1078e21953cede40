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
from nbgrader.preprocessors import NbGraderPreprocessor
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


def sync_due_date(db_url: str, course_id: str, course_root: Path, assignment: str) -> None:
    """Put ``course.toml``'s due date of ``assignment`` into the gradebook (nbgrader computes
    lateness from the gradebook's), or clear it when ``course.toml`` has none."""
    from nbgrader.api import Gradebook, MissingEntry

    from grading.course import course_settings

    due = course_settings(Path(course_root)).assignment(assignment).due_utc
    with Gradebook(db_url, course_id) as gb:
        try:
            current = gb.find_assignment(assignment).duedate
        except MissingEntry:
            current = None
        if current != due:
            gb.update_or_create_assignment(assignment, duedate=due)


class SyncDueDate(NbGraderPreprocessor):
    """Runs before nbgrader's ``AssignLatePenalties`` in every autograde (``python -m grading``,
    the ``nbgrader`` command line, formgrader): the due date it judges by is course.toml's."""

    course_root = Unicode("", help="Course directory whose course.toml holds the due dates; empty: "
                                   "leave the gradebook's due dates alone.").tag(config=True)
    course_id = Unicode("", help="The course id of the gradebook's entries.").tag(config=True)

    def preprocess(self, nb, resources):
        if self.course_root:
            info = resources["nbgrader"]
            sync_due_date(info["db_url"], self.course_id, Path(self.course_root), info["assignment"])
        return nb, resources
