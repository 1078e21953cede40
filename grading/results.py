"""Scores of graded notebooks, read back from nbgrader's gradebook and autograded files.

A notebook's graded cells are of two kinds. **Autograded** cells are the test cells (grade,
not solution): nbgrader scores them from their outputs (``grading.trusted`` sets those). **Written**
answers are manually graded answer cells (grade *and* solution: the markdown answers of the
written questions, ``### Written question N``); nbgrader cannot score them (its ``auto_score`` is
``None``, "needs manual grade") except an answer left as released, which it scores 0 ("No
response."). A grader scores the others in formgrader (``Grade.manual_score``). The two are kept
apart everywhere: a notebook's ``score``/``max_score`` are its autograded points, its written
points are ``written_score``/``written_max_score`` with a ``written_status``:

- ``none``: the notebook has no written questions;
- ``pending``: at least one written answer is not graded yet (``written_score`` is what the
  graded ones got, ``None`` when none is graded);
- ``graded``: every written answer has a score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat


@dataclass
class TestResult:
    """One graded cell: its nbgrader ``grade_id``, points and first failure line."""

    grade_id: str
    score: float
    max_score: float
    passed: bool
    message: str = ""


@dataclass
class WrittenResult:
    """One written answer: its ``grade_id``, points and score (``None``: not graded yet)."""

    grade_id: str
    score: float | None
    max_score: float

    @property
    def pending(self) -> bool:
        return self.score is None


@dataclass
class NotebookGrade:
    """The outcome of grading one notebook; ``to_json`` follows the ``grading grade --json`` contract."""

    assignment: str
    notebook: str
    status: str  # "graded" | "error"
    error: str | None
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)
    #: ``IntegrityReport.to_json()`` of the submission (None when it was not graded).
    integrity: dict | None = None
    #: The written answers (manually graded), apart from ``tests``/``score``.
    written: list[WrittenResult] = field(default_factory=list)
    #: Points of the written answers (also when the notebook could not be graded).
    written_max_score: float = 0.0

    @property
    def written_score(self) -> float | None:
        """Points of the graded written answers; ``None`` while none is graded."""
        return written_total(self.written)

    @property
    def written_status(self) -> str | None:
        """``none``, ``pending`` or ``graded`` (module docstring); ``None`` when not graded."""
        if self.status != "graded":
            return None
        return written_status(self.written, self.written_max_score)

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = float(self.score)
        data["max_score"] = float(self.max_score)
        data["written"] = [{"grade_id": w.grade_id, "score": w.score, "max_score": float(w.max_score),
                            "status": "pending" if w.pending else "graded"} for w in self.written]
        data["written_max_score"] = float(self.written_max_score)
        data["written_score"] = self.written_score
        data["written_status"] = self.written_status
        return data


def written_total(written: list[WrittenResult]) -> float | None:
    """The sum of the graded written answers' scores (``None``: none is graded)."""
    graded = [w.score for w in written if w.score is not None]
    return float(sum(graded)) if graded else None


def written_status(written: list[WrittenResult], max_score: float) -> str:
    """``none`` (no written questions), ``pending`` (one is not graded yet) or ``graded``."""
    if not written and not max_score:
        return "none"
    return "pending" if not written or any(w.pending for w in written) else "graded"


def is_written_cell(cell) -> bool:
    """Whether a notebook cell is a manually graded answer (nbgrader: grade and solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade") and meta.get("solution"))


def first_failure_line(cell: dict) -> str:
    """The first line of what made a test cell fail: its error, else its stderr."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename = output.get("ename", "Error")
            evalue = (output.get("evalue") or "").strip().splitlines()
            return f"{ename}: {evalue[0]}" if evalue else ename
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            text = "".join(output.get("text", "")).strip().splitlines()
            return f"wrote to stderr: {text[0]}" if text else "wrote to stderr"
    return ""


def grade_cell_order(nb: nbformat.NotebookNode) -> dict[str, dict]:
    """Map grade_id -> cell for every graded cell, in notebook order."""
    cells = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cells[meta["grade_id"]] = cell
    return cells


def max_points(nb: nbformat.NotebookNode) -> float:
    """Autograded points of a notebook: its test cells' (from its nbgrader metadata), not
    the written answers' (``written_points``)."""
    return float(sum(c["metadata"]["nbgrader"].get("points", 0) for c in grade_cell_order(nb).values()
                     if not is_written_cell(c)))


def written_points(nb: nbformat.NotebookNode) -> float:
    """Points of a notebook's written answers (manually graded cells)."""
    return float(sum(c["metadata"]["nbgrader"].get("points", 0) for c in grade_cell_order(nb).values()
                     if is_written_cell(c)))


def manual_cell_names(notebook) -> set[str]:
    """Names of the manually graded cells of a gradebook ``Notebook`` (the source's): graded
    answer cells, and nbgrader's task cells. The gradebook, not the submission, says which
    they are: a submission's metadata is the student's to change."""
    graded = {cell.name for cell in notebook.grade_cells}
    return ({cell.name for cell in notebook.solution_cells} & graded) | {cell.name for cell in notebook.task_cells}


def grade_value(grade) -> float | None:
    """A gradebook grade's score, ``None`` when neither nbgrader nor a grader gave one
    (nbgrader's own ``Grade.score`` is 0 then)."""
    if grade.manual_score is None and grade.auto_score is None:
        return None
    return float(grade.score)


@dataclass
class SubmissionParts:
    """One submission's points split into autograded and written, with nbgrader's penalty.

    nbgrader's late penalty is one number per notebook, set at autograde time from the
    notebook's score then (``AssignLatePenalties``): written answers count with what a grader
    had given them by that time (nothing, at a first grading). It is taken from the
    autograded part first (``auto_score``), any rest from the written part
    (``written_score``), so ``auto_score + written_score`` is nbgrader's own score after the
    penalty (``max(0, raw - penalty)``, the ``score`` of ``grades.csv``)."""

    auto_raw: float
    auto_max: float
    written: list[WrittenResult]
    written_max: float
    penalty: float

    @property
    def auto_score(self) -> float:
        return max(0.0, self.auto_raw - self.penalty)

    @property
    def written_score(self) -> float | None:
        """The graded written answers' points after any rest of the penalty (``None``: none graded)."""
        total = written_total(self.written)
        if total is None:
            return None
        return max(0.0, total - max(0.0, self.penalty - self.auto_raw))

    @property
    def written_status(self) -> str:
        return written_status(self.written, self.written_max)

    @property
    def pending(self) -> int:
        return sum(w.pending for w in self.written)


def notebook_parts(notebook) -> tuple[float, float, list[WrittenResult], float]:
    """(autograded score, autograded points, written answers, written points) of one
    gradebook ``SubmittedNotebook`` (scores as nbgrader's ``Grade.score``: a grader's
    override and extra credit included)."""
    manual = manual_cell_names(notebook.notebook)
    auto = auto_max = written_max = 0.0
    written = []
    for grade in notebook.grades:
        max_score = float(grade.max_score or 0.0)
        if grade.name in manual:
            written.append(WrittenResult(grade.name, grade_value(grade), max_score))
            written_max += max_score
        else:
            auto += float(grade.score or 0.0)
            auto_max += max_score
    return auto, auto_max, written, written_max


def submission_parts(submission) -> SubmissionParts:
    """The ``SubmissionParts`` of a gradebook ``SubmittedAssignment`` (all its notebooks)."""
    auto = auto_max = written_max = 0.0
    written: list[WrittenResult] = []
    for notebook in sorted(submission.notebooks, key=lambda n: n.name):
        a, am, w, wm = notebook_parts(notebook)
        auto, auto_max, written_max = auto + a, auto_max + am, written_max + wm
        written += w
    return SubmissionParts(auto, auto_max, written, written_max, float(submission.late_submission_penalty or 0.0))


def assignment_points(assignment) -> tuple[float, float]:
    """(autograded points, written points) of a gradebook ``Assignment``."""
    auto = written = 0.0
    for notebook in assignment.notebooks:
        manual = manual_cell_names(notebook)
        for cell in notebook.grade_cells:
            if cell.name in manual:
                written += float(cell.max_score or 0.0)
            else:
                auto += float(cell.max_score or 0.0)
        written += sum(float(cell.max_score or 0.0) for cell in notebook.task_cells)
    return auto, written


def read_notebook_grade(db_url: str, course_id: str, assignment: str, student: str,
                        notebook: str, autograded_path: Path) -> NotebookGrade:
    """Per-test scores from the gradebook, with failure messages from the autograded notebook;
    the written answers apart (``NotebookGrade.written``: pending until a grader scores them)."""
    from nbgrader.api import Gradebook

    nb = nbformat.read(autograded_path, as_version=4)
    cells = grade_cell_order(nb)
    order = {grade_id: i for i, grade_id in enumerate(cells)}
    tests: list[TestResult] = []
    written: list[WrittenResult] = []
    with Gradebook(db_url, course_id) as gb:
        submission = gb.find_submission_notebook(notebook, assignment, student)
        manual = manual_cell_names(submission.notebook)
        for grade in submission.grades:
            if grade.max_score is None or grade.max_score <= 0:
                continue
            if grade.name in manual:
                written.append(WrittenResult(grade.name, grade_value(grade), float(grade.max_score)))
                continue
            score = float(grade.score or 0.0)
            max_score = float(grade.max_score)
            passed = score >= max_score
            cell = cells.get(grade.name, {})
            message = "" if passed else (first_failure_line(cell) or "no credit (see the cell output)")
            tests.append(TestResult(grade.name, score, max_score, passed, message))
    tests.sort(key=lambda t: order.get(t.grade_id, len(order)))
    written.sort(key=lambda w: order.get(w.grade_id, len(order)))
    return NotebookGrade(
        assignment=assignment, notebook=notebook, status="graded", error=None,
        score=sum(t.score for t in tests), max_score=sum(t.max_score for t in tests), tests=tests,
        written=written, written_max_score=float(sum(w.max_score for w in written)),
    )
