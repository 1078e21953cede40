"""Grade one notebook file in a throw-away course directory (the real gradebook is untouched)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, CourseLayout, GradingLimits, source_notebooks
from grading.engine import Course, NbgraderStepError
from grading.intake import file_name_problem, notebook_problem
from grading.integrity import build_report, failed_report
from grading.results import NotebookGrade, max_points, read_notebook_grade, written_points
from grading.sandbox import SandboxUnavailableError, require_sandbox

STUDENT = "student"


@dataclass
class GradeRun:
    """A grade plus where its files were left (only when ``keep_dir`` was given)."""

    grade: NotebookGrade
    autograded: Path | None = None
    feedback: Path | None = None


def pick_source_notebook(assignment: str, submitted: Path, source_dir: Path) -> Path:
    """The source notebook a submitted file answers: the one of the same name.

    The rule ``autograde`` follows too (nbgrader matches by name; ``grading.intake``): a file
    under another name, a browser's ``tiny (1).ipynb`` included, is refused with the same
    reason, so ``grade`` says what ``autograde`` would; nothing is renamed."""
    candidates = source_notebooks(assignment, source_dir)
    if not candidates:
        raise ValueError(f"assignment {assignment!r} has no notebook in {source_dir / assignment}")
    for candidate in candidates:
        if candidate.name == submitted.name:
            return candidate
    # autograde's reason for a folder holding only this file
    raise ValueError(file_name_problem([submitted.name], [c.name for c in candidates]))


def read_submission(path: Path) -> nbformat.NotebookNode:
    """Read and validate a submitted notebook, with a clear reason when it is broken."""
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # nbformat raises several JSON and schema error types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{path.name} is not a readable notebook: {first}") from exc
    return nb


def grade_notebook(assignment: str, notebook: Path, *, source_dir: Path | None = None,
                   keep_dir: Path | None = None, feedback: bool = False, unsafe: bool = False,
                   limits: GradingLimits | None = None, sandbox: bool | None = None) -> GradeRun:
    """Autograde ``notebook`` as a submission of ``assignment`` with nbgrader.

    A scratch course directory is built from ``source_dir/assignment`` (``solutions/`` by
    default), so nothing in the repository's gradebook changes. With ``keep_dir`` the scratch
    course is built there and kept (autograded notebook and, with ``feedback``, the HTML).
    The kernel runs in the sandbox; where there is none, this refuses (an error result)
    unless ``unsafe``. ``sandbox=False`` turns it off outright (benchmarks of trusted code). The grade carries the submission's integrity report.
    Errors that stop grading are returned as ``status == "error"``, never raised.
    """
    source_dir = Path(source_dir or REPO_ROOT / "solutions")
    notebook = Path(notebook)
    try:
        if not notebook.is_file():
            source_notebooks(assignment, source_dir)  # an unknown assignment first
            raise ValueError(f"no such file: {notebook}")
        source_nb = pick_source_notebook(assignment, notebook, source_dir)
        sandbox = require_sandbox(unsafe) if sandbox is None else sandbox
    except (ValueError, LookupError, SandboxUnavailableError) as exc:
        return GradeRun(_error(assignment, notebook.stem, str(exc), 0.0))
    name = source_nb.stem
    try:
        source = nbformat.read(source_nb, as_version=4)
        total, written = max_points(source), written_points(source)
    except Exception as exc:  # a broken source notebook is the instructor's error, still reported as JSON
        return GradeRun(_error(assignment, name, f"source notebook {source_nb} is unreadable: {exc}", 0.0))

    scratch = Path(keep_dir) if keep_dir else Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        try:
            submission = read_submission(notebook)
        except ValueError as exc:
            return GradeRun(_error(assignment, name, str(exc), total, written))
        # Another notebook of the course, or one whose nbgrader metadata was stripped: the
        # reason autograde gives (grading.intake), not nbgrader's KeyError.
        problem = notebook_problem(submission, assignment, source_nb.name, source_dir)
        if problem:
            return GradeRun(_error(assignment, name, problem, total, written))
        layout = CourseLayout.scratch(scratch)
        shutil.copytree(source_dir / assignment, layout.path("source") / assignment, dirs_exist_ok=True)
        target = layout.path("submitted") / STUDENT / assignment / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)

        try:
            course = Course(layout, limits=limits, sandbox=sandbox)
            course.generate_assignment(assignment)
            course.autograde(assignment, STUDENT)
            autograded = course.autograded_notebook(assignment, STUDENT, name)
            grade = read_notebook_grade(layout.db_url, course.coursedir.course_id, assignment,
                                        STUDENT, name, autograded)
            try:  # the grade stands even where the integrity report cannot be built
                report = build_report(STUDENT, assignment, [
                    (target, layout.path("source") / assignment / source_nb.name, autograded)])
            except Exception as exc:  # noqa: BLE001
                report = failed_report(STUDENT, assignment, exc)
            grade.integrity = report.to_json()
            run = GradeRun(grade)
            if keep_dir:
                run.autograded = autograded
                if feedback:
                    course.generate_feedback(assignment, STUDENT)
                    run.feedback = course.feedback_html(assignment, STUDENT, name)
            return run
        except NbgraderStepError as exc:
            return GradeRun(_error(assignment, name, exc.reason, total, written))
        except Exception as exc:  # whatever goes wrong, the caller gets a result, not a traceback
            return GradeRun(_error(assignment, name, f"{type(exc).__name__}: {exc}", total, written))
    finally:
        if not keep_dir:
            shutil.rmtree(scratch, ignore_errors=True)


def _error(assignment: str, notebook: str, reason: str, max_score: float,
           written_max_score: float = 0.0) -> NotebookGrade:
    return NotebookGrade(assignment=assignment, notebook=notebook, status="error", error=reason,
                         score=0.0, max_score=max_score, tests=[], written_max_score=written_max_score)
