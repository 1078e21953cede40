"""Cells whose nbgrader metadata nbgrader cannot handle (an unknown grade id, metadata that is
not a dict with a grade id) lose it and the submission is graded: a real nbgrader autograde
of the tiny fixture assignment, without a sandbox (the code is ours), a few seconds."""

from __future__ import annotations

import copy
import json

import nbformat

from tests.conftest import FIXTURE_SOURCE, TINY


def _with_extra_cells(reference: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(reference)
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_add")
    extra = []
    for i, change in enumerate([
        lambda m: m.update(grade_id="test_bonus", points=50),  # copied test cell, renamed
        lambda m: m.update(grade_id="other_assignment", solution=True, grade=False),
        lambda m: m.pop("grade_id"),  # KeyError: 'grade_id' in DeduplicateIds
        lambda m: m.update(grade_id=["a", "list"]),  # unhashable
    ]):
        cell = copy.deepcopy(test)
        cell["id"] = f"extra-{i}"
        change(cell.metadata.nbgrader)
        extra.append(cell)
    junk = nbformat.v4.new_code_cell("y = 2")
    junk.metadata["nbgrader"] = "junk"
    nb.cells += [*extra, junk]
    return nb


def test_unknown_and_malformed_grade_ids_are_dropped_and_reported(tiny_notebooks, tmp_path):
    from grading.grade_one import grade_notebook

    reference = nbformat.read(tiny_notebooks["reference"], as_version=4)
    path = tmp_path / "tiny.ipynb"
    path.write_text(json.dumps(_with_extra_cells(reference)))  # as a student's editor would save it
    run = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, unsafe=True, sandbox=False)
    grade = run.grade
    assert grade.status == "graded", grade.error
    assert (grade.score, grade.max_score) == (4.0, 4.0), "no bonus points, nothing lost"
    details = [f["detail"] for f in grade.integrity["findings"] if f["kind"] == "structure"]
    assert details == [
        "cell with unknown grade id 'test_bonus': its nbgrader metadata was dropped",
        "cell with unknown grade id 'other_assignment': its nbgrader metadata was dropped",
        *["cell with malformed nbgrader metadata (no grade id): it was dropped"] * 3,
    ], details
