"""The checker's side: ``Student`` over the wire, verdicts, redaction, output rewriting."""

from __future__ import annotations

import numpy as np
import pytest
from nbformat import NotebookNode

from grading.trusted.apply import apply_verdict
from grading.trusted.runner import Verdict, run_check, run_checks
from grading.trusted.student import KernelStudent, LocalStudent, StudentCallError
from helpers import testing, wire


def namespace():
    def double(x):
        return 2 * np.asarray(x)

    def scale_in_place(x, factor=2.0):
        x *= factor
        return x

    def broken(x):
        raise ValueError(f"secret {x!r}")

    def stub(x):
        raise NotImplementedError()

    class Custom(Exception):
        pass

    def custom(x):
        raise Custom("data")

    class Counter:
        def __init__(self, start):
            self.count = start

        def step(self, by=1):
            self.count += by
            return self.count

    def liar():
        class Liar:
            def __eq__(self, other):
                return True
        return Liar()

    return {"double": double, "scale_in_place": scale_in_place, "broken": broken, "stub": stub,
            "custom": custom, "Counter": Counter, "liar": liar, "LIMIT": 3}


def test_calls_come_back_as_plain_data():
    s = LocalStudent(namespace())
    assert s.call("double", [1, 2]).tolist() == [2, 4]
    assert [r.tolist() for r in s.call_many("double", [(1,), (2,)])] == [2, 4]
    result, args_after, _ = s.call_with_inputs("scale_in_place", np.ones(2))
    assert result.tolist() == [2.0, 2.0] and args_after[0].tolist() == [2.0, 2.0]
    assert s.raises("broken", 1) == wire.RemoteError("ValueError", "secret 1")
    assert s.read("LIMIT") == 3
    counter = s.keep("Counter", 5)
    assert counter.call("step") == 6 and counter.call("step", by=3) == 9 and counter.read("count") == 9
    assert isinstance(s.call("liar"), wire.Opaque)


def test_student_errors_show_no_message_and_no_own_class_name():
    s = LocalStudent(namespace())
    with pytest.raises(StudentCallError, match="not implemented yet"):
        s.call("stub", 1)
    with pytest.raises(StudentCallError) as err:
        s.call("broken", 12345)
    assert "ValueError" in str(err.value) and "12345" not in str(err.value)
    with pytest.raises(StudentCallError) as err:
        s.call("custom", 1)
    assert "Custom" not in str(err.value)
    with pytest.raises(StudentCallError, match="not defined"):
        s.call("missing", 1)


def test_hidden_phase_redacts_expected_values():
    def check(s):
        testing.check_close(s.call("double", 1.0), 2.0, "visible")
        s.hidden()
        testing.check_close(s.call("double", np.array([1.0, 2.0])), np.array([2.0, 123.456]), "hidden pair")

    verdict = run_check("test_double", check, LocalStudent(namespace()))
    assert not verdict.passed and verdict.phase == "hidden" and verdict.visible_passed
    assert verdict.message.startswith("hidden case:") and "123.456" not in verdict.message
    assert "1 of 2 values differ" in verdict.message
    assert not testing._REDACT, "redaction ends with the check"


def test_a_check_that_errors_fails_with_a_message():
    verdicts = run_checks({"a": lambda s: s.call("double", 1)["key"]}, LocalStudent(namespace()), ["a", "b"])
    assert not verdicts["a"].passed and "could not use your function's result" in verdicts["a"].message
    assert not verdicts["b"].passed and "no trusted check" in verdicts["b"].message


def test_kernel_answers_are_decoded_defensively():
    # the transport returns what a hostile kernel might send
    answers = iter([
        [],                                                                  # no answer at all
        [{"output_type": "display_data", "data": {"application/vnd.dlcourse.probe+b64": "!!"}}],
        [{"output_type": "display_data", "data": {"application/vnd.dlcourse.probe+b64":
                                                  wire.encode_b64({"nonce": "wrong", "results": []})}}],
    ])
    s = KernelStudent(lambda code: next(answers))
    for expected in ["did not answer", "not plain data", "did not answer"]:
        with pytest.raises(StudentCallError, match=expected):
            s.call("double", 1)


def _cell(outputs):
    return NotebookNode(cell_type="code", source="check()", metadata={}, outputs=outputs)


def test_verdicts_decide_the_outputs_nbgrader_scores():
    passed_in_kernel = _cell([NotebookNode(output_type="stream", name="stdout", text="ok\n")])
    finding = apply_verdict(passed_in_kernel, Verdict("test_x", False, "hidden case: wrong", "hidden"))
    assert finding is None  # a hidden case may fail where the visible ones passed
    assert passed_in_kernel.outputs[-1]["output_type"] == "error"

    failed_in_kernel = _cell([NotebookNode(output_type="error", ename="AssertionError", evalue="bad", traceback=[])])
    finding = apply_verdict(failed_in_kernel, Verdict("test_x", True))
    assert finding["event"] == "verdict-mismatch"
    assert not any(o["output_type"] == "error" for o in failed_in_kernel.outputs)

    faked = _cell([])
    finding = apply_verdict(faked, Verdict("test_x", False, "values differ", "visible"))
    assert finding["event"] == "verdict-mismatch" and faked.outputs[-1]["evalue"] == "values differ"
