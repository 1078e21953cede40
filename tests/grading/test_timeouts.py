"""Test cells that ran out of time in the notebook: checked again by the trusted checker (the
time may have gone on a lost reply or a busy moment), until one such re-check runs out of time
too. Real nbgrader autogrades of the tiny fixture assignment with a 3 s cell timeout, without
a sandbox (the code is ours), well under a minute each."""

from __future__ import annotations

import json

import nbformat

from grading.course import GradingLimits
from tests.conftest import FIXTURE_SOURCE, TINY

LIMITS = GradingLimits(cell_timeout_s=3)

#: Slow only on its first call: its test cell times out in the notebook, the re-check passes.
SLOW_ONCE = ("import time\n_calls = []\n\ndef square(x):\n    _calls.append(x)\n"
             "    if len(_calls) == 1:\n        time.sleep(30)\n    return x * x\n")
#: Never returns.
ENDLESS = "def {name}(*args):\n    while True:\n        pass\n"


def _grade(tiny_notebooks, tmp_path, answers: dict[str, str]):
    from grading.grade_one import grade_notebook

    nb = nbformat.read(tiny_notebooks["reference"], as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    run = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, keep_dir=tmp_path / "course", unsafe=True,
                         sandbox=False, limits=LIMITS)
    assert run.grade.status == "graded", run.grade.error
    graded = nbformat.read(run.autograded, as_version=4)
    verdicts = graded.metadata["course_grading"]["trusted"]
    by_id = {v["grade_id"]: v for v in (verdicts.values() if isinstance(verdicts, dict) else verdicts)}
    outputs = {c.metadata.get("nbgrader", {}).get("grade_id"): json.dumps(c.get("outputs", [])) for c in graded.cells}
    return run.grade, by_id, outputs


def test_a_test_that_timed_out_once_is_checked_again_and_passes(tiny_notebooks, tmp_path):
    grade, verdicts, outputs = _grade(tiny_notebooks, tmp_path, {"square": SLOW_ONCE})
    assert "CellTimeoutError" in outputs["test_square_visible"] or "KeyboardInterrupt" in outputs[
        "test_square_visible"], "the notebook's own run of the test ran out of time"
    assert verdicts["test_square_visible"]["passed"], verdicts["test_square_visible"]
    assert (grade.score, grade.max_score) == (4.0, 4.0)


def test_after_one_re_check_runs_out_of_time_the_other_timed_out_tests_fail_unchecked(tiny_notebooks, tmp_path):
    grade, verdicts, _ = _grade(tiny_notebooks, tmp_path, {"add": ENDLESS.format(name="add"),
                                                           "square": ENDLESS.format(name="square")})
    assert grade.score == 0.0
    assert "CellTimeoutError" in verdicts["test_add"]["message"], verdicts["test_add"]
    assert verdicts["test_add"]["calls"] == 1
    # given up on: failed with the notebook's timeout, and the function was not called again
    unchecked = verdicts["test_square_visible"]
    assert "did not finish within the time limit" in unchecked["message"] and unchecked["calls"] == 0, unchecked
