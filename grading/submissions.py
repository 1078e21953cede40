"""Build sample submissions from the source and release notebooks (for the demo and the tests)."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_code(source_cell) -> str:
    """A solution cell's code as a student would type it: the solution markers removed."""
    lines = source_cell.source.splitlines()
    return "\n".join(ln for ln in lines if ln.strip() not in SOLUTION_MARKERS)


def fill_answers(release_nb, source_nb, answer_ids: set[str] | None = None):
    """A copy of the release notebook with the reference answers typed into answer cells.

    ``answer_ids`` limits which answer cells (by ``grade_id``) are filled; the others keep
    the release stub, as a student who has not done them yet.
    """
    solutions = {_nbgrader(c)["grade_id"]: c for c in source_nb.cells if _nbgrader(c).get("solution")}
    filled = copy.deepcopy(release_nb)
    for cell in filled.cells:
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        if meta.get("solution") and grade_id in solutions and (answer_ids is None or grade_id in answer_ids):
            cell.source = answer_code(solutions[grade_id])
    return filled


def answer_ids(nb) -> list[str]:
    """The grade_ids of the answer cells of a notebook, in order."""
    return [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c).get("solution")]


def sample_submissions(source_path: Path, release_path: Path) -> dict[str, nbformat.NotebookNode]:
    """The demo's three students: reference answers, the blank release, every other answer done."""
    source_nb = nbformat.read(source_path, as_version=4)
    release_nb = nbformat.read(release_path, as_version=4)
    ids = answer_ids(release_nb)
    return {
        "reference": fill_answers(release_nb, source_nb),
        "blank": copy.deepcopy(release_nb),
        "partial": fill_answers(release_nb, source_nb, set(ids[::2])),
    }
