"""Test cells that ran out of time in the notebook: checked again by the trusted checker (the
time may have gone on a lost reply or a busy moment), until one such re-check runs out of time
too, always in the notebook's order. Real nbgrader autogrades of the tiny fixture assignment
with a 10 s cell timeout, without a sandbox (the code is ours), about a minute each."""

from __future__ import annotations

import json

import nbformat

from grading.course import GradingLimits
from tests.conftest import FIXTURE_SOURCE, TINY

LIMITS = GradingLimits(cell_timeout_s=10)

#: Slow only on its first call: its test cell times out in the notebook, the re-check passes.
SLOW_ONCE = ("import time\n_calls = []\n\ndef square(x):\n    _calls.append(x)\n"
             "    if len(_calls) == 1:\n        time.sleep(120)\n    return x * x\n")
#: ``add`` fakes a timeout in the notebook (its test cell runs before ``square``'s), then answers
#: right only once ``square``'s checks have run: as a function would that picks up a reference
#: stand-in a later check hands to the kernel, if it were re-checked after them.
AFTER_LATER_CHECKS = ("_square_calls = []\n\ndef add(a, b):\n    if not _square_calls:\n"
                      "        raise KeyboardInterrupt\n    return a + b if len(_square_calls) > 1 else a - b\n")
SQUARE_LOGGED = "def square(x):\n    _square_calls.append(x)\n    return x * x\n"
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
    assert [f["detail"] for f in grade.integrity["findings"] if f["kind"] == "verdict-mismatch"
            and "ran out of time in the kernel" in f["detail"]], grade.integrity["findings"]


def test_after_one_re_check_runs_out_of_time_the_other_timed_out_tests_fail_unchecked(tiny_notebooks, tmp_path):
    grade, verdicts, _ = _grade(tiny_notebooks, tmp_path, {"add": ENDLESS.format(name="add"),
                                                           "square": ENDLESS.format(name="square")})
    assert grade.score == 0.0
    assert "CellTimeoutError" in verdicts["test_add"]["message"], verdicts["test_add"]
    assert verdicts["test_add"]["calls"] == 1
    # given up on: failed with the notebook's timeout, and the function was not called again
    unchecked = verdicts["test_square_visible"]
    assert "did not finish within the time limit" in unchecked["message"] and unchecked["calls"] == 0, unchecked


def test_a_timed_out_test_is_re_checked_in_the_notebooks_order(tiny_notebooks, tmp_path):
    grade, verdicts, outputs = _grade(tiny_notebooks, tmp_path, {"add": AFTER_LATER_CHECKS, "square": SQUARE_LOGGED})
    assert "KeyboardInterrupt" in outputs["test_add"], "the fake timeout happened in the notebook"
    assert not verdicts["test_add"]["passed"], "re-checked before square's checks, add is still wrong"
    assert verdicts["test_square_visible"]["passed"] and verdicts["test_square_hidden"]["passed"]
    assert (grade.score, grade.max_score) == (2.0, 4.0)
