"""Grade every submission in the course's submitted folder, with feedback and a CSV export."""

from __future__ import annotations

import os
import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from grading.course import REPO_ROOT, CourseLayout, GradingLimits, list_assignments, source_notebooks
from grading.engine import Course, NbgraderStepError
from grading.grade_one import read_submission
from grading.integrity import IntegrityReport, build_report, failed_report, flag_in_gradebook, write_report
from grading.pool import as_finished
from grading.sandbox import require_sandbox
from grading.table import Cell, render_table
from grading.textsafe import safe_text


@dataclass
class AutogradeReport:
    """What happened: a table cell per (student, assignment) and where the CSV went."""

    assignments: list[str]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    csv_path: Path | None = None
    #: (student, assignment, reason) for graded submissions whose feedback HTML failed.
    feedback_failures: list[tuple[str, str, str]] = field(default_factory=list)
    #: (student, assignment) -> integrity report of each graded submission.
    integrity: dict[tuple[str, str], IntegrityReport] = field(default_factory=dict)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [(s, a, c.error) for s, row in self.rows.items() for a, c in row.items() if c.error]

    def table(self) -> str:
        lines = [render_table(self.rows, self.assignments)]
        lines += [f"no feedback for {safe_text(s, 80)}/{a}: {safe_text(reason, 500)}"
                  for s, a, reason in self.feedback_failures]
        for (student, assignment), found in sorted(self.integrity.items()):
            lines += [f"INTEGRITY {safe_text(student, 80)}/{assignment}: {line}" for line in found.lines()]
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
    for root, dirs, files in os.walk(folder):  # nbgrader copies what links point to
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                return (f"the submission contains {path.relative_to(folder)}, a link or special file; "
                        "submit plain files only")
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
    (course.layout.path("integrity") / student / f"{assignment}.json").unlink(missing_ok=True)
    for step in ("autograded", "feedback"):
        shutil.rmtree(course.layout.path(step) / student / assignment, ignore_errors=True)


def submission_score(course: Course, assignment: str, student: str) -> Cell:
    from nbgrader.api import Gradebook

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        submission = gb.find_submission(assignment, student)
        return Cell(score=float(submission.score), max_score=float(submission.max_score))


@dataclass(frozen=True)
class GradingOptions:
    """How each submission is graded (the same for every worker)."""

    feedback: bool = True
    sandbox: bool = True
    limits: GradingLimits = GradingLimits()


@dataclass
class JobResult:
    """The outcome of grading one (assignment, student): what the table and the CSV need."""

    assignment: str
    student: str
    cell: Cell
    integrity: IntegrityReport | None = None
    feedback_failure: str | None = None


def integrity_of(course: Course, assignment: str, student: str) -> IntegrityReport:
    layout = course.layout
    notebooks = []
    for source in source_notebooks(assignment, layout.path("source")):
        submitted = layout.path("submitted") / student / assignment / source.name
        notebooks.append((submitted, source, course.autograded_notebook(assignment, student, source.stem)))
    return build_report(student, assignment, notebooks)


def grade_job(layout: CourseLayout, assignment: str, student: str, options: GradingOptions) -> JobResult:
    """Autograde one submission (in whatever process runs it), with its integrity report and
    feedback. Never raises: a broken submission comes back as a ``Cell`` with an error."""
    try:
        return _grade_job(layout, assignment, student, options)
    except Exception as exc:  # noqa: BLE001 (even cleanup failed: still one result per job)
        return JobResult(assignment, student, Cell(error=f"grading failed: {type(exc).__name__}: {exc}"))


def _grade_job(layout: CourseLayout, assignment: str, student: str, options: GradingOptions) -> JobResult:
    course = Course(layout, limits=options.limits, sandbox=options.sandbox)
    try:
        problem = submission_problem(course, assignment, student)
        if problem:
            raise NbgraderStepError("autograde", problem)
        course.autograde(assignment, student)
        cell = submission_score(course, assignment, student)
    except Exception as exc:  # a broken submission must never stop the others
        reason = exc.reason if isinstance(exc, NbgraderStepError) else f"{type(exc).__name__}: {exc}"
        forget_submission(course, assignment, student)
        return JobResult(assignment, student, Cell(error=reason))
    result = JobResult(assignment, student, cell)
    # The grade stands whatever happens here; a report that cannot be built or saved says
    # so, and the submission is flagged (table, CSV, gradebook) like one with findings.
    try:
        report = integrity_of(course, assignment, student)
    except Exception as exc:  # noqa: BLE001
        report = failed_report(student, assignment, exc)
    try:
        write_report(report, layout.path("integrity"))
    except Exception as exc:  # noqa: BLE001 (the CSV then says "no integrity report")
        report.error = "; ".join(filter(None, [report.error, f"the integrity report could not be saved "
                                                             f"({type(exc).__name__}: {safe_text(exc, 200)})"]))
    try:
        flag_in_gradebook(layout.db_url, course.coursedir.course_id, report,
                          [p.stem for p in source_notebooks(assignment, layout.path("source"))])
    except Exception as exc:  # noqa: BLE001
        report.error = "; ".join(filter(None, [report.error, f"the gradebook flag could not be set "
                                                             f"({type(exc).__name__}: {safe_text(exc, 200)})"]))
    result.integrity = report
    cell.integrity = report.summary()
    if options.feedback:
        try:
            course.generate_feedback(assignment, student)
        except Exception as exc:  # noqa: BLE001 (the grade stands; the table says feedback is missing)
            result.feedback_failure = exc.reason if isinstance(exc, NbgraderStepError) else f"{type(exc).__name__}: {exc}"
    return result


def _run_job(args: tuple) -> JobResult:
    return grade_job(*args)


def run_jobs(jobs: list[tuple], workers: int = 1, scheduler: str | None = None, progress: bool = True,
             in_process: bool = False):
    """Yield a ``JobResult`` per job as they finish: in a local process pool of ``workers``
    processes, on a Dask cluster (``scheduler``: an address, or "local"), or, for debugging,
    ``in_process`` (no memory cap on the grader, and a crash stops the whole run)."""
    bar = tqdm(total=len(jobs), desc="autograde", unit="nb", disable=not progress)
    try:
        if scheduler:
            from grading.distributed import run_on_dask

            results = run_on_dask(_run_job, jobs, scheduler=scheduler, workers=workers)
        elif in_process:
            results = map(_run_job, jobs)
        else:  # even one worker: its memory is capped, and its death costs one submission
            results = _pool_results(jobs, max(1, workers))
        for result in results:
            bar.set_postfix_str(f"{safe_text(result.student, 80)}/{result.assignment}")
            bar.update()
            yield result
    finally:
        bar.close()


def limit_grader_memory(megabytes: int) -> None:
    """Cap this grading worker's data segment (soft limit, so it can be raised again)."""
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = megabytes * 2**20
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _run_pool_job(args: tuple) -> JobResult:
    limit_grader_memory(args[3].limits.grader_memory_mb)
    return grade_job(*args)


def _pool_results(jobs: list[tuple], workers: int):
    """``run_jobs`` in local processes: a worker that dies (e.g. the out-of-memory killer)
    costs only the submission it was grading, reported as an error and left out of the
    gradebook like any submission that cannot be graded."""
    for outcome in as_finished(_run_pool_job, jobs, workers, describe=lambda job: f"{job[2]}/{job[1]}"):
        if outcome.error is None:
            yield outcome.result
            continue
        layout, assignment, student, _ = outcome.job
        try:
            forget_submission(Course(layout), assignment, student)
        except Exception:  # noqa: BLE001 (the error row is what matters)
            pass
        yield JobResult(assignment, student, Cell(error=outcome.error))


def autograde_course(assignments: list[str] | None = None, layout: CourseLayout | None = None,
                     feedback: bool = True, csv_path: Path | None = None,
                     progress: bool = True, workers: int = 1, unsafe: bool = False,
                     limits: GradingLimits | None = None, scheduler: str | None = None,
                     in_process: bool = False) -> AutogradeReport:
    """Autograde all submissions of ``assignments`` (all by default).

    Student code runs in the sandbox; without one this raises ``SandboxUnavailableError``
    unless ``unsafe``. ``workers`` submissions are graded at once (local processes, or Dask
    workers with ``scheduler``); results are the same as one at a time. A submission that
    cannot be graded (misnamed or unreadable notebook, nbgrader failure) is reported with
    its reason, left out of the gradebook and the CSV, and skipped; the others are still
    graded. Each graded submission gets an integrity report and feedback HTML, and the
    whole gradebook is exported with the course's CSV exporter (``grading.export``: nbgrader's
    columns plus the integrity columns).
    """
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    for name in names:
        source_notebooks(name, layout.path("source"))  # a clear error for an unknown name
    options = GradingOptions(feedback=feedback, sandbox=require_sandbox(unsafe),
                             limits=limits or GradingLimits())
    course = Course(layout)
    report = AutogradeReport(assignments=names)
    pairs = [(a, s) for a in names for s in course.submitted_students(a)]
    for assignment in names:
        if any(a == assignment for a, _ in pairs):
            ensure_in_gradebook(course, assignment)
    jobs = [(layout, a, s, options) for a, s in pairs]
    for result in run_jobs(jobs, workers=workers, scheduler=scheduler, progress=progress, in_process=in_process):
        report.rows.setdefault(result.student, {})[result.assignment] = result.cell
        if result.integrity is not None:
            report.integrity[(result.student, result.assignment)] = result.integrity
        if result.feedback_failure:
            report.feedback_failures.append((result.student, result.assignment, result.feedback_failure))
    report.csv_path = course.export_csv(csv_path or layout.root / "grading" / "grades.csv")
    return report

