"""Golden tests of ``python -m grading grade`` on the tiny fixture assignment (real nbgrader runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grading.leaks import check_module_lines, find_leaks, html_to_text, notebook_text
from tests.conftest import FIXTURE_SOURCE, TINY

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"


def run_grade_cli(notebook: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "grading", "grade", TINY, str(notebook), "--json", "--source", str(FIXTURE_SOURCE), *extra],
        capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("kind", ["reference", "blank", "partial"])
def test_grade_json_matches_golden(kind, tiny_notebooks):
    proc = run_grade_cli(tiny_notebooks[kind])
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"--json must print exactly one JSON object, got: {proc.stdout!r}"
    result = json.loads(lines[0])
    golden = json.loads((GOLDEN / f"tiny_{kind}.json").read_text())
    assert result == golden


def test_grade_json_contract_fields(tiny_notebooks):
    result = json.loads(run_grade_cli(tiny_notebooks["partial"]).stdout)
    assert set(result) == {"assignment", "notebook", "status", "error", "score", "max_score", "tests", "integrity",
                           "written", "written_score", "written_max_score", "written_status"}
    assert set(result["integrity"]) == {"student", "assignment", "findings", "died_in", "death", "sandboxed"}
    assert result["status"] == "graded" and result["error"] is None
    assert 0 < result["score"] < result["max_score"]
    for test in result["tests"]:
        assert set(test) == {"grade_id", "score", "max_score", "passed", "message"}
        assert test["passed"] == (test["score"] == test["max_score"])
        assert (test["message"] == "") == test["passed"]
    # Written answers are not tests: apart, pending until a grader scores them in formgrader.
    assert [t["grade_id"] for t in result["tests"]] == ["test_add", "test_square_visible", "test_square_hidden"]
    assert result["written"] == [{"grade_id": "written_sign", "score": None, "max_score": 2.0, "status": "pending"}]
    assert (result["written_score"], result["written_max_score"], result["written_status"]) == (None, 2.0, "pending")


def test_malformed_notebook_is_an_error_not_a_crash(tmp_path):
    broken = tmp_path / "tiny.ipynb"
    broken.write_text('{"cells": [ this is not json')
    proc = run_grade_cli(broken)
    assert proc.returncode == 1
    result = json.loads(proc.stdout)
    assert result["status"] == "error"
    assert "not a readable notebook" in result["error"]
    assert result["score"] == 0.0 and result["max_score"] == 4.0 and result["tests"] == []
    assert (result["written"], result["written_max_score"], result["written_status"]) == ([], 2.0, None)


def test_missing_file_is_an_error(tmp_path):
    proc = run_grade_cli(tmp_path / "nowhere.ipynb")
    assert proc.returncode == 1
    assert "no such file" in json.loads(proc.stdout)["error"]


def test_unknown_assignment_is_an_error(tiny_notebooks):
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", "99_nope", str(tiny_notebooks["reference"]),
                           "--json", "--source", str(FIXTURE_SOURCE)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "unknown assignment '99_nope'" in json.loads(proc.stdout)["error"]


def test_feedback_hides_hidden_tests(tiny_notebooks, tmp_path):
    from grading.grade_one import grade_notebook

    import nbformat

    wrong = nbformat.read(tiny_notebooks["reference"], as_version=4)
    for cell in wrong.cells:
        cell.source = cell.source.replace("return x * x", "return x * abs(x)")
    nbformat.write(wrong, tmp_path / "tiny.ipynb")
    run = grade_notebook(TINY, tmp_path / "tiny.ipynb", source_dir=FIXTURE_SOURCE,
                         keep_dir=tmp_path / "course", feedback=True)
    assert [t.passed for t in run.grade.tests] == [True, True, False]

    # The hidden cases live in the check module, run by the grader: they reach neither the
    # kernel (the autograded notebook) nor the feedback; the failure message does.
    secrets = check_module_lines("tiny")
    assert any("-4" in s for s in secrets), "the fixture must have hidden check lines to look for"
    assert find_leaks(notebook_text(run.autograded), secrets) == []
    text = html_to_text(run.feedback.read_text())
    assert find_leaks(text, secrets) == []
    assert "hidden case: the square of a negative number is wrong" in text


def test_a_dying_kernel_keeps_earlier_credit_and_names_the_cell(tiny_notebooks, tmp_path):
    import nbformat

    nb = nbformat.read(tiny_notebooks["reference"], as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("return x * x", "import os\n    os._exit(1)")
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    proc = run_grade_cli(tmp_path / "tiny.ipynb")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "graded" and result["score"] == 2.0
    assert [(t["grade_id"], t["score"]) for t in result["tests"]] == [
        ("test_add", 2.0), ("test_square_visible", 0.0), ("test_square_hidden", 0.0)]
    assert result["integrity"]["died_in"] == "test_square_visible"
    assert "the kernel process ended" in result["integrity"]["death"]
    assert result["tests"][1]["message"].startswith("KernelDied: the kernel died in test_square_visible")
    assert not [f for f in result["integrity"]["findings"] if "could not be run again" in f["detail"]], \
        "the cells before the death were checked in a fresh kernel"
    assert result["tests"][2]["message"].startswith("KernelDied: not run: the kernel died in test_square_visible")
