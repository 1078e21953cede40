"""Grade every submission in the course's submitted folder, with feedback and a CSV export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from grading.course import REPO_ROOT, CourseLayout, list_assignments
from grading.engine import Course, NbgraderStepError
from grading.table import Cell, render_table


@dataclass
class AutogradeReport:
    """What happened: a table cell per (student, assignment) and where the CSV went."""

    assignments: list[str]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    csv_path: Path | None = None

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [(s, a, c.error) for s, row in self.rows.items() for a, c in row.items() if c.error]

    def table(self) -> str:
        return render_table(self.rows, self.assignments)


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


def submission_score(course: Course, assignment: str, student: str) -> Cell:
    from nbgrader.api import Gradebook

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        return Cell(score=float(submission.score), max_score=float(submission.max_score))


def autograde_course(assignments: list[str] | None = None, layout: CourseLayout | None = None,
                     feedback: bool = True, csv_path: Path | None = None,
                     progress: bool = True) -> AutogradeReport:
    """Autograde all submissions of ``assignments`` (all by default).

    A submission that nbgrader cannot grade is reported with its reason and skipped; the
    others are still graded. Feedback HTML is generated for each graded submission and the
    whole gradebook is exported with nbgrader's CSV exporter.
    """
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
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
            course.autograde(assignment, student)
            row[assignment] = submission_score(course, assignment, student)
            if feedback:
                course.generate_feedback(assignment, student)
        except NbgraderStepError as exc:
            row[assignment] = Cell(error=exc.reason)
        except Exception as exc:  # a broken submission must never stop the others
            row[assignment] = Cell(error=f"{type(exc).__name__}: {exc}")
    report.csv_path = course.export_csv(csv_path or layout.root / "grading" / "grades.csv")
    return report
