"""Grade every submission in the course's submitted folder, with feedback and a CSV export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

import shutil

from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks
from grading.engine import Course, NbgraderStepError
from grading.grade_one import read_submission
from grading.table import Cell, render_table


@dataclass
class AutogradeReport:
    """What happened: a table cell per (student, assignment) and where the CSV went."""

    assignments: list[str]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    csv_path: Path | None = None
    #: (student, assignment, reason) for graded submissions whose feedback HTML failed.
    feedback_failures: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [(s, a, c.error) for s, row in self.rows.items() for a, c in row.items() if c.error]

    def table(self) -> str:
        lines = [render_table(self.rows, self.assignments)]
        lines += [f"no feedback for {s}/{a}: {reason}" for s, a, reason in self.feedback_failures]
        return "\n".join(lines)


def ensure_in_gradebook(course: Course, assignment: str) -> None:
    """Record the assignment in the gradebook (by releasing it) unless it is there already."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    course.generate_assignment(assignment)


def submission_problem(course: Course, assignment: str, student: str) -> str | None:
    """Why a submitted folder cannot be graded (misnamed or unreadable notebook), or None."""
    folder = course.layout.path("submitted") / student / assignment
    expected = [p.name for p in source_notebooks(assignment, course.layout.path("source"))]
    present = sorted(p.name for p in folder.glob("*.ipynb"))
    missing = [name for name in expected if name not in present]
    if missing:
        found = ", ".join(present) or "no notebook"
        return f"expected {', '.join(missing)} but found {found}: rename the file and grade again"
    for name in expected:
        try:
            read_submission(folder / name)
        except ValueError as exc:
            return str(exc)
    return None


def forget_submission(course: Course, assignment: str, student: str) -> None:
    """Drop what an earlier grading left for this submission (gradebook rows, autograded
    notebooks, feedback), so a broken resubmission never keeps a stale grade."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
    for step in ("autograded", "feedback"):
        shutil.rmtree(course.layout.path(step) / student / assignment, ignore_errors=True)


def submission_score(course: Course, assignment: str, student: str) -> Cell:
    from nbgrader.api import Gradebook

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        return Cell(score=float(submission.score), max_score=float(submission.max_score))


def autograde_course(assignments: list[str] | None = None, layout: CourseLayout | None = None,
                     feedback: bool = True, csv_path: Path | None = None,
                     progress: bool = True) -> AutogradeReport:
    """Autograde all submissions of ``assignments`` (all by default).

    A submission that cannot be graded (misnamed or unreadable notebook, nbgrader failure)
    is reported with its reason, left out of the gradebook and the CSV, and skipped; the
    others are still graded. Feedback HTML is generated for each graded submission and the
    whole gradebook is exported with nbgrader's CSV exporter.
    """
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    for name in names:
        source_notebooks(name, layout.path("source"))  # a clear error for an unknown name
    course = Course(layout)
    report = AutogradeReport(assignments=names)
    jobs = [(a, s) for a in names for s in course.submitted_students(a)]
    for assignment in names:
        if any(a == assignment for a, _ in jobs):
            ensure_in_gradebook(course, assignment)
    bar = tqdm(jobs, desc="autograde", unit="nb", disable=not progress)
    for assignment, student in bar:
        bar.set_postfix_str(f"{student}/{assignment}")
        row = report.rows.setdefault(student, {})
        try:
            problem = submission_problem(course, assignment, student)
            if problem:
                raise NbgraderStepError("autograde", problem)
            course.autograde(assignment, student)
            row[assignment] = submission_score(course, assignment, student)
        except Exception as exc:  # a broken submission must never stop the others
            reason = exc.reason if isinstance(exc, NbgraderStepError) else f"{type(exc).__name__}: {exc}"
            row[assignment] = Cell(error=reason)
            forget_submission(course, assignment, student)
            continue
        if feedback:
            try:
                course.generate_feedback(assignment, student)
            except NbgraderStepError as exc:
                report.feedback_failures.append((student, assignment, exc.reason))
    report.csv_path = course.export_csv(csv_path or layout.root / "grading" / "grades.csv")
    return report
