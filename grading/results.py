"""Scores of graded notebooks, read back from nbgrader's gradebook and autograded files."""

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

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = float(self.score)
        data["max_score"] = float(self.max_score)
        return data


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
    """Total points of a notebook's graded cells (from its nbgrader metadata)."""
    return float(sum(c["metadata"]["nbgrader"].get("points", 0) for c in grade_cell_order(nb).values()))


def read_notebook_grade(db_url: str, course_id: str, assignment: str, student: str,
                        notebook: str, autograded_path: Path) -> NotebookGrade:
    """Per-test scores from the gradebook, with failure messages from the autograded notebook."""
    from nbgrader.api import Gradebook

    nb = nbformat.read(autograded_path, as_version=4)
    cells = grade_cell_order(nb)
    order = {grade_id: i for i, grade_id in enumerate(cells)}
    tests: list[TestResult] = []
    with Gradebook(db_url, course_id) as gb:
        submission = gb.find_submission_notebook(notebook, assignment, student)
        for grade in submission.grades:
            if grade.max_score is None or grade.max_score <= 0:
                continue
            score = float(grade.score or 0.0)
            max_score = float(grade.max_score)
            passed = score >= max_score
            cell = cells.get(grade.name, {})
            message = "" if passed else (first_failure_line(cell) or "no credit (see the cell output)")
            tests.append(TestResult(grade.name, score, max_score, passed, message))
    tests.sort(key=lambda t: order.get(t.grade_id, len(order)))
    return NotebookGrade(
        assignment=assignment, notebook=notebook, status="graded", error=None,
        score=sum(t.score for t in tests), max_score=sum(t.max_score for t in tests), tests=tests,
    )
