"""``python -m grading rubric ASSIGNMENT``: the written questions with their model answers and rubrics.

A written question is two cells of a source notebook (``solutions/``): a locked markdown cell
stating it (``### Written question N: <title>``), then the answer cell, a manually graded
markdown cell (nbgrader: grade and solution) whose solution region holds ``**Model answer.**``
and ``**Rubric (N points).**``. The release holds neither (nbgrader's ``ClearSolutions``
leaves "YOUR ANSWER HERE"); graders read them here, beside formgrader, where they score the
students' answers (``grading.results``: the written part, apart from the autograded score).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, source_notebooks
from grading.results import is_written_cell
from grading.textsafe import safe_text

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_HEADING = re.compile(r"^\s*#+\s*(Written question.*?)\s*$", re.M | re.I)
_MODEL = re.compile(r"\*\*Model answer\.?\*\*\.?", re.I)
_RUBRIC = re.compile(r"\*\*Rubric\b[^*]*\*\*\.?", re.I)
_RUBRIC_POINTS = re.compile(r"\*\*Rubric\s*\((\d+(?:\.\d+)?)\s*points?\)", re.I)


@dataclass
class WrittenQuestion:
    """One written question of a source notebook, as a grader needs it."""

    notebook: str
    grade_id: str
    points: float
    title: str
    question: str
    model_answer: str
    rubric: str
    #: The points the rubric says it hands out ("Rubric (N points)"), when it says so.
    rubric_points: float | None = None

    def problems(self) -> list[str]:
        """What would mislead a grader: a rubric for other points, no model answer or rubric."""
        out = []
        if not self.model_answer:
            out.append("no **Model answer.** in the answer cell's solution region")
        if not self.rubric:
            out.append("no **Rubric (N points).** in the answer cell's solution region")
        if self.rubric_points is not None and self.rubric_points != self.points:
            out.append(f"the rubric is for {self.rubric_points:g} points but the cell is worth {self.points:g}")
        return out


def solution_region(source: str) -> str:
    """The text between nbgrader's solution markers (all of it without markers)."""
    if BEGIN in source:
        source = source.split(BEGIN, 1)[1]
        source = source.split(END, 1)[0]
    return source.strip("\n")


def split_solution(region: str) -> tuple[str, str, float | None]:
    """(model answer, rubric, the rubric's points) of a written answer's solution region."""
    model_at, rubric_at = _MODEL.search(region), _RUBRIC.search(region)
    points = _RUBRIC_POINTS.search(region)
    rubric_points = float(points.group(1)) if points else None
    if rubric_at is None:
        model = region[model_at.end():] if model_at else region
        return model.strip(), "", rubric_points
    rubric = region[rubric_at.end():].strip()
    before = region[:rubric_at.start()]
    model = before[model_at.end():] if model_at else before
    return model.strip(), rubric, rubric_points


def question_of(cells: list, index: int) -> tuple[str, str]:
    """(title, text) of the question a written answer at ``index`` answers: the markdown cell
    before it (``### Written question N: ...``); its heading is the title."""
    for cell in reversed(cells[:index]):
        if cell.cell_type != "markdown" or is_written_cell(cell):
            continue
        heading = _HEADING.search(cell.source)
        if heading:
            text = (cell.source[:heading.start()] + cell.source[heading.end():]).strip()
            return heading.group(1).strip(), text
        return "", cell.source.strip()
    return "", ""


def written_questions(assignment: str, source_dir: Path | None = None) -> list[WrittenQuestion]:
    """The written questions of every source notebook of ``assignment`` (in notebook order);
    ``UnknownAssignmentError`` for an assignment without a folder."""
    out = []
    for path in source_notebooks(assignment, source_dir):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if not is_written_cell(cell):
                continue
            meta = cell.metadata["nbgrader"]
            title, question = question_of(nb.cells, index)
            model, rubric, rubric_points = split_solution(solution_region(cell.source))
            out.append(WrittenQuestion(path.name, str(meta.get("grade_id", "")), float(meta.get("points", 0) or 0),
                                       title, question, model, rubric, rubric_points))
    return out


def render_rubric(assignment: str, questions: list[WrittenQuestion]) -> str:
    """The grader's sheet: each question (text, points), its model answer and its rubric."""
    if not questions:
        return f"{assignment} has no written questions (nothing to grade by hand)\n"
    total = sum(q.points for q in questions)
    lines = [f"Written questions of {assignment}: {len(questions)} question(s), {total:g} points, graded by hand "
             "in formgrader (apart from the autograded score)", ""]
    for number, q in enumerate(questions, start=1):
        lines.append(f"== {number}. {q.title or q.grade_id} ({q.points:g} points) ==")
        lines.append(f"notebook {q.notebook}, answer cell {q.grade_id}")
        lines += ["", "Question:", _indent(q.question or "(no question cell before the answer cell)"), ""]
        lines += ["Model answer:", _indent(q.model_answer or "(none)"), ""]
        lines += [f"Rubric ({q.rubric_points:g} points):" if q.rubric_points is not None else "Rubric:",
                  _indent(q.rubric or "(none)"), ""]
        lines += [f"WARNING {q.grade_id}: {problem}" for problem in q.problems()]
    return "\n".join(lines).rstrip() + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line if line.strip() else "" for line in safe_text(text, None, one_line=False).splitlines())


def rubric_text(assignment: str, source_dir: Path | None = None) -> str:
    """``render_rubric`` of ``assignment`` under ``source_dir`` (``solutions/`` by default)."""
    return render_rubric(assignment, written_questions(assignment, Path(source_dir or REPO_ROOT / "solutions")))
