"""Grade every submission in the course's submitted folder, with feedback and a CSV export."""

from __future__ import annotations

import resource
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from grading.course import (REPO_ROOT, CourseLayout, GradingLimits, UnknownAssignmentError, list_assignments,
                            source_notebooks)
from grading.engine import Course, NbgraderStepError
from grading.grade_one import read_submission
from grading.intake import (ensure_submission_secret, ensure_timestamp, find_misplaced, submission_problem,
                            write_error_feedback)
from grading.grading_state import (GradingState, fingerprint, forget_states_without_submission, grading_inputs,
                                   read_state, write_state)
from grading.results import max_points, submission_parts, written_points
from grading.integrity import (IntegrityReport, build_report, failed_report, flag_in_gradebook, read_report,
                               write_report)
from grading.pool import as_finished
from grading.sandbox import require_sandbox
from grading.table import Cell, render_table, totals, written_totals
from grading.textsafe import safe_text


@dataclass
class AutogradeReport:
    """What happened: a table cell per (student, assignment) and where the CSV went."""

    assignments: list[str]
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    csv_path: Path | None = None
    #: The per-student export (``grading.lms_export``).
    lms_csv_path: Path | None = None
    #: (student, assignment, reason) for graded submissions whose feedback HTML failed.
    feedback_failures: list[tuple[str, str, str]] = field(default_factory=list)
    #: (student, assignment) -> integrity report of each graded submission.
    integrity: dict[tuple[str, str], IntegrityReport] = field(default_factory=dict)
    #: assignment -> its autograded points (every notebook's test cells).
    max_scores: dict[str, float] = field(default_factory=dict)
    #: assignment -> the points of its written answers (graded by hand in formgrader).
    written_max_scores: dict[str, float] = field(default_factory=dict)
    #: (student, assignment) left alone: unchanged since their last grading.
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    #: Lines about files in the submitted folder that no grading picks up (``grading.intake``).
    misplaced: list[str] = field(default_factory=list)
    #: Students with similar answers (``grading.similarity``), one line per pair and student.
    similarity_lines: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [(s, a, c.error) for s, row in self.rows.items() for a, c in row.items() if c.error]

    def table(self) -> str:
        lines = [render_table(self.rows, self.assignments, self.max_scores, self.written_max_scores)]
        lines += [f"no feedback for {safe_text(s, 80)}/{a}: {safe_text(reason, 500)}"
                  for s, a, reason in self.feedback_failures]
        for (student, assignment), found in sorted(self.integrity.items()):
            lines += [f"INTEGRITY {safe_text(student, 80)}/{assignment}: {line}" for line in found.lines()]
        lines += [f"MISPLACED {line}" for line in self.misplaced]
        lines += [f"SIMILAR {line}" for line in self.similarity_lines]
        if self.unchanged:
            lines.append(f"{len(self.unchanged)} submission(s) unchanged since their last grading were not "
                         f"graded again (--force grades them all)")
        return "\n".join(lines)

    def to_json(self) -> list[dict]:
        """One object per (student, assignment), the same numbers as the table and the CSV."""
        out = []
        for student in sorted(self.rows):
            for assignment in self.assignments:
                cell = self.rows[student].get(assignment)
                if cell is None:
                    continue
                out.append({"student": student, "assignment": assignment, "status": cell.status,
                            "status_text": cell.status_text(), "score": cell.score,
                            "raw_score": cell.raw_score, "late_penalty": cell.late_penalty,
                            "max_score": cell.max_score, "error": cell.error, "integrity": cell.integrity,
                            "graded_now": cell.graded_now, "written_score": cell.written_score,
                            "written_max_score": cell.written_max, "written_pending": cell.written_pending,
                            "written_status": cell.written_status})
        for student in sorted(self.rows):
            cells = [self.rows[student].get(a) or Cell(max_score=self.max_scores.get(a),
                                                       written_max=self.written_max_scores.get(a, 0.0))
                     for a in self.assignments]
            got, possible = totals(cells)
            written, written_possible, pending = written_totals(cells)
            out.append({"student": student, "assignment": None, "status": "total", "score": got,
                        "max_score": possible, "written_score": written, "written_max_score": written_possible,
                        "written_pending": pending})
        return out


class UnknownStudentError(LookupError):
    """A student id given on the command line that has no submission and no gradebook entry."""

    def __init__(self, name: str, known: list[str]):
        import difflib

        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        super().__init__(f"unknown student {name!r}: no submission in grading/submitted/ and not in the "
                         f"gradebook{hint}")


def clean_name(name: str) -> str:
    """A name as typed in a shell: surrounding blanks and the slash completion adds removed."""
    return name.strip().rstrip("/\\")


def resolve_assignments(names: list[str] | None, layout: CourseLayout) -> list[str]:
    """The assignments to grade, checked before anything is written: known names only (a
    trailing slash from shell completion is fine), in the order given, without repeats."""
    known = list_assignments(layout.path("source"))
    if not names:
        return known
    out = []
    for raw in names:
        name = clean_name(raw)
        if name not in known:
            raise UnknownAssignmentError(raw, known)
        if name not in out:
            out.append(name)
    return out


def known_students(layout: CourseLayout, course_id: str) -> set[str]:
    """Students with a submitted folder or a gradebook entry."""
    from nbgrader.api import Gradebook

    folder = layout.path("submitted")
    found = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    if layout.database_url or layout.settings.gradebook_url or (layout.root / layout.gradebook).exists():
        with Gradebook(layout.db_url, course_id) as gb:
            found |= {s.id for s in gb.students}
    return found


def resolve_students(ids: list[str] | None, layout: CourseLayout, course_id: str) -> list[str] | None:
    """``--student`` ids checked before anything is written (None: every student)."""
    if not ids:
        return None
    known = known_students(layout, course_id)
    out = []
    for raw in ids:
        name = clean_name(raw)
        if name not in known:
            raise UnknownStudentError(raw, sorted(known))
        if name not in out:
            out.append(name)
    return out


def ensure_in_gradebook(course: Course, assignment: str) -> None:
    """Record the assignment in the gradebook (by releasing it) unless it is there already,
    with its due date from ``course.toml`` (nbgrader computes lateness from it)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
            present = True
        except MissingEntry:
            present = False
    if not present:
        course.generate_assignment(assignment)
    if course.layout.use_settings:
        from grading.late import sync_due_date

        sync_due_date(course.layout.db_url, course.coursedir.course_id, course.layout.root, assignment)


def manual_grading(gb, assignment: str, student: str) -> bool:
    """Whether a person graded part of this submission (formgrader: a manual score, extra
    credit or a comment written by hand)."""
    from nbgrader.api import MissingEntry

    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    for notebook in submission.notebooks:
        if any(g.manual_score is not None or g.extra_credit for g in notebook.grades):
            return True
        if any(c.manual_comment for c in notebook.comments):
            return True
    return False


def forget_submission(course: Course, assignment: str, student: str) -> bool:
    """Drop what an earlier grading left for this submission (gradebook rows, autograded
    notebooks, feedback), so a broken resubmission never keeps a stale grade. Returns False,
    and drops nothing, when a person graded part of it: manual grades are never deleted
    unasked (the submission is flagged for review instead)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        if manual_grading(gb, assignment, student):
            for notebook in gb.find_submission(assignment, student).notebooks:
                notebook.flagged = True
            gb.db.commit()
            return False
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass
        # ... but the student stays known, so the export has a row saying why there is no grade.
        gb.update_or_create_student(student)
    (course.layout.path("integrity") / student / f"{assignment}.json").unlink(missing_ok=True)
    for step in ("autograded", "feedback"):
        shutil.rmtree(course.layout.path(step) / student / assignment, ignore_errors=True)
    return True


def submission_score(course: Course, assignment: str, student: str) -> Cell:
    """The submission's score after its late penalty, as nbgrader's CSV export computes it."""
    from nbgrader.api import Gradebook

    with Gradebook(course.layout.db_url, course.coursedir.course_id) as gb:
        return score_cell(gb.find_submission(assignment, student))


def score_cell(submission) -> Cell:
    """The table cell of a gradebook submission: its autograded part after nbgrader's late
    penalty, its written part apart (``grading.results.SubmissionParts``)."""
    parts = submission_parts(submission)
    return Cell(score=parts.auto_score, max_score=parts.auto_max, raw_score=parts.auto_raw,
                late_penalty=parts.penalty, late=bool(submission.total_seconds_late > 0),
                written_score=parts.written_score, written_max=parts.written_max, written_pending=parts.pending)


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
        problem = submission_problem(layout, assignment, student)
        if problem:
            raise NbgraderStepError("autograde", problem)
        course.autograde(assignment, student)
        cell = submission_score(course, assignment, student)
    except Exception as exc:  # a broken submission must never stop the others
        reason = exc.reason if isinstance(exc, NbgraderStepError) else f"{type(exc).__name__}: {exc}"
        if not forget_submission(course, assignment, student):
            return JobResult(assignment, student, Cell(error=f"{reason} (its earlier grade is kept because "
                                                             "it has manual grades; flagged for review)"))
        if options.feedback:  # the student learns why, through release_feedback like any feedback
            try:
                write_error_feedback(layout, assignment, student, student_facing(reason, layout))
            except Exception:  # noqa: BLE001 (the error row is what matters)
                pass
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


def student_facing(reason: str, layout: CourseLayout) -> str:
    """The reason as a student may read it: the grader's paths rewritten as in feedback."""
    import tempfile

    from grading.preprocessors.grader_paths import path_rules, scrub_text

    rules = path_rules(str(layout.path("submitted")), [str(layout.root), str(REPO_ROOT)],
                       sorted({"/tmp", tempfile.gettempdir()}))
    return scrub_text(reason, rules)


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
                     in_process: bool = False, *, students: list[str] | None = None,
                     force: bool = False, similarity: bool = True) -> AutogradeReport:
    """Autograde the submissions of ``assignments`` (all by default) that are new or changed
    since their last grading (``grading.grading_state``; ``force``: all of them), of
    ``students`` only when given.

    Names are checked before anything is written (``UnknownAssignmentError``,
    ``UnknownStudentError``), and nothing of a submission that is not graded in this run is
    touched. Student code runs in the sandbox; without one this raises
    ``SandboxUnavailableError`` unless ``unsafe``. ``workers`` submissions are graded at once
    (local processes, or Dask workers with ``scheduler``); results are the same as one at a
    time. A submission that cannot be graded (misnamed or unreadable notebook, nbgrader
    failure) is reported with its reason, left out of the gradebook's scores (the CSV says
    "error: <reason>", never a silent 0) and the others are still graded. Each graded
    submission gets an integrity report and feedback HTML; answers are compared across
    students (``similarity``: ``grading.similarity``) and the whole gradebook is exported
    (``grading.export``, ``grading.lms_export``).
    """
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = resolve_assignments(assignments, layout)
    course = Course(layout)
    only = resolve_students(students, layout, course.coursedir.course_id)
    options = GradingOptions(feedback=feedback, sandbox=require_sandbox(unsafe),
                             limits=limits or layout.settings.grading_limits())
    report = AutogradeReport(assignments=names)
    sources = {a: [read_submission(p) for p in source_notebooks(a, layout.path("source"))] for a in names}
    report.max_scores = {a: sum(map(max_points, sources[a])) for a in names}
    report.written_max_scores = {a: sum(map(written_points, sources[a])) for a in names}
    pairs, prints = [], {}
    for assignment in names:
        for student in course.submitted_students(assignment):
            if only is None or student in only:
                pairs.append((assignment, student))
    for assignment in names:
        if any(a == assignment for a, _ in pairs):
            ensure_in_gradebook(course, assignment)
    report.misplaced = [m.line(layout.path("submitted")) for m in find_misplaced(layout, names)]
    inputs = {a: grading_inputs(layout, a) for a in names}
    for assignment in names:
        forget_states_without_submission(layout, assignment)
    jobs = []
    for assignment, student in pairs:
        # nbgrader's receipts for submissions copied in by hand (release_feedback needs them);
        # before the fingerprint, so that writing them does not count as a change.
        folder = layout.path("submitted") / student / assignment
        try:
            ensure_timestamp(folder)
            ensure_submission_secret(folder)
            prints[(assignment, student)] = fingerprint(layout, assignment, student, inputs[assignment])
        except OSError:  # an unreadable submission folder: graded (and reported) like any other
            prints[(assignment, student)] = ""
        state = read_state(layout, assignment, student)
        # Errors are tried again every run (a timeout or a killed worker may not recur).
        if (not force and state is not None and state.status == "graded" and prints[(assignment, student)]
                and state.fingerprint == prints[(assignment, student)]):
            report.unchanged.append((student, assignment))
        else:
            jobs.append((layout, assignment, student, options))
    for result in run_jobs(jobs, workers=workers, scheduler=scheduler, progress=progress, in_process=in_process):
        result.cell.max_score = report.max_scores[result.assignment]
        result.cell.written_max = report.written_max_scores[result.assignment]
        report.rows.setdefault(result.student, {})[result.assignment] = result.cell
        status = "error" if result.cell.error is not None else "graded"
        write_state(layout, result.assignment, result.student,
                    GradingState(prints[(result.assignment, result.student)], status, result.cell.error))
        if result.integrity is not None:
            report.integrity[(result.student, result.assignment)] = result.integrity
        if result.feedback_failure:
            report.feedback_failures.append((result.student, result.assignment, result.feedback_failure))
    _fill_from_gradebook(report, course, only)
    if similarity:
        _compare_answers(report, layout, progress)
    report.csv_path = course.export_csv(csv_path or layout.root / "grading" / "grades.csv")
    from grading.lms_export import export_lms_csv
    from grading.similarity import export_column

    report.lms_csv_path = export_lms_csv(layout.db_url, course.coursedir.course_id,
                                         report.csv_path.with_name("grades-lms.csv"), layout.path("integrity"),
                                         similarity=export_column(layout))
    return report


def _compare_answers(report: AutogradeReport, layout: CourseLayout, progress: bool) -> None:
    """Similar answers across students (``grading.similarity``), for every assignment this
    run graded something of: saved beside the integrity reports, summed up in the table."""
    from grading.similarity import pairs_by_student, similarity_report, student_lines, write_similarity_report

    for assignment in report.assignments:
        if not any(c.graded_now and c.status != "missing" for row in report.rows.values()
                   for a, c in row.items() if a == assignment):
            continue
        try:
            found = similarity_report(layout, assignment, progress=progress)
            write_similarity_report(found, layout.path("integrity"))
        except Exception as exc:  # noqa: BLE001 (grades stand; the table says the comparison failed)
            report.similarity_lines.append(f"{assignment}: answers could not be compared "
                                           f"({type(exc).__name__}: {safe_text(exc, 300)})")
            continue
        by = pairs_by_student(found.pairs)
        for student in sorted(by):
            if student in report.rows:
                report.similarity_lines += [f"{safe_text(student, 80)}/{assignment}: {line}"
                                            for line in student_lines(student, by[student])]


def _fill_from_gradebook(report: AutogradeReport, course: Course, only: list[str] | None) -> None:
    """Cells of the submissions this run left alone (their last grade) and of the gradebook's
    students who submitted nothing (missing). Assignments the gradebook does not know yet
    (never released, nothing submitted) count for no one's total, as in grades-lms.csv."""
    from nbgrader.api import Gradebook, MissingEntry

    layout = course.layout
    with Gradebook(layout.db_url, course.coursedir.course_id) as gb:
        known = {a.name for a in gb.assignments}
        for assignment in report.assignments:
            if assignment not in known:
                report.max_scores.pop(assignment, None)
                report.written_max_scores.pop(assignment, None)
        students = {s.id for s in gb.students} | {s for s, _ in report.unchanged}
        for student in sorted(students):
            if only is not None and student not in only:
                continue
            for assignment in report.assignments:
                if assignment in report.rows.get(student, {}) or assignment not in known:
                    continue
                cell = Cell(max_score=report.max_scores[assignment], graded_now=False,
                            written_max=report.written_max_scores[assignment])
                if (student, assignment) in report.unchanged:
                    try:
                        graded = score_cell(gb.find_submission(assignment, student))
                    except MissingEntry:
                        cell.error = "graded before, but its grade is no longer in the gradebook: grade it again with --force"
                    else:
                        graded.max_score, graded.graded_now = report.max_scores[assignment], False
                        graded.written_max = report.written_max_scores[assignment]
                        found = read_report(layout.path("integrity"), student, assignment)
                        graded.integrity = found.summary() if found else None
                        cell = graded
                report.rows.setdefault(student, {})[assignment] = cell
