"""helpers.testing: every check passes good values and fails bad ones with a useful message."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import testing

REPO_ROOT = Path(__file__).resolve().parents[2]


def fails(check, *args, **kwargs) -> str:
    """Run a check that must fail; return its message."""
    with pytest.raises(AssertionError) as info:
        check(*args, **kwargs)
    return str(info.value)


@pytest.fixture(autouse=True)
def _no_warnings_no_stderr(capsys: pytest.CaptureFixture[str]):
    # Test cells that warn or write to stderr score 0 in nbgrader: checks must do neither.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    assert capsys.readouterr().err == ""


# --------------------------------------------------------------------------- call_student / raises


def not_done(x):
    raise NotImplementedError()


def test_call_student_returns_result() -> None:
    assert testing.call_student(lambda a, b=1: a + b, 2, b=3) == 5


def test_call_student_turns_stub_into_assertion() -> None:
    message = fails(testing.call_student, not_done, 1)
    assert message == (
        "not_done is not implemented yet: replace `raise NotImplementedError()` with your code"
    )


def test_call_student_keeps_other_errors() -> None:
    with pytest.raises(ZeroDivisionError):
        testing.call_student(lambda: 1 / 0)


def test_check_raises() -> None:
    def strict(x):
        if x < 0:
            raise ValueError("negative")
        return x

    err = testing.check_raises(ValueError, strict, -1)
    assert str(err) == "negative"
    message = fails(testing.check_raises, ValueError, strict, 2)
    assert "should raise ValueError" in message and "returned 2" in message
    message = fails(testing.check_raises, ValueError, lambda: 1 / 0)
    assert "raised ZeroDivisionError" in message
    message = fails(testing.check_raises, ValueError, not_done, 1)
    assert "not_done is not implemented yet" in message


def test_assert_that() -> None:
    testing.assert_that(np.bool_(True), "unused")
    assert fails(testing.assert_that, 1 > 2, "k must be odd: got 4") == "k must be odd: got 4"


def test_no_assert_statements_in_checks() -> None:
    # python -O strips assert statements: the checks must raise explicitly.
    tree = ast.parse((REPO_ROOT / "helpers" / "testing.py").read_text())
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def test_checks_still_fail_under_python_O() -> None:
    code = (
        "import numpy as np\n"
        "from helpers import testing\n"
        "try:\n"
        "    testing.check_close(np.ones(2), np.zeros(2), 'x')\n"
        "except AssertionError:\n"
        "    print('raised')\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.stdout.strip() == "raised", result.stderr


def test_light_imports_do_not_load_tensorflow() -> None:
    code = (
        "import json, sys\n"
        "import helpers, helpers.testing, helpers.gradcheck, helpers.data\n"
        "print(json.dumps({'tf': 'tensorflow' in sys.modules,\n"
        "                  'mpl': 'matplotlib' in sys.modules,\n"
        "                  'file': helpers.__file__, 'all': helpers.__all__}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    info = json.loads(result.stdout)
    assert info["tf"] is False
    assert info["mpl"] is False  # helpers.testing must not pull in matplotlib either
    assert Path(info["file"]).resolve() == REPO_ROOT / "helpers" / "__init__.py"
    assert info["all"] == ["data", "device", "gradcheck", "plots", "testing", "widgets"]


# --------------------------------------------------------------------------- type / shape / dtype


def test_check_type() -> None:
    testing.check_type(np.zeros(2), np.ndarray, "x")
    testing.check_type(3, (int, float), "k")
    message = fails(testing.check_type, [1, 2], np.ndarray, "x")
    assert "x should be a numpy array but is a list" in message and "np.array" in message
    assert "forget to `return`" in fails(testing.check_type, None, np.ndarray, "x")
    message = fails(testing.check_type, np.zeros(2), float, "cost")
    assert "float(...)" in message


def test_check_shape_passes_and_wildcards() -> None:
    testing.check_shape(np.zeros((3, 1)), (3, 1), "dw")
    testing.check_shape([[1, 2], [3, 4]], (2, 2), "nested list")
    testing.check_shape(2.0, (), "cost")
    testing.check_shape(np.zeros((7, 10)), (None, 10), "logits")


def test_check_shape_extra_axis_message() -> None:
    message = fails(testing.check_shape, np.zeros((3, 1)), (3,), "dw")
    assert message == (
        "dw has shape (3, 1) but should be (3,): did you keep an extra axis? "
        "Use .ravel() or index with [:, 0]"
    )


@pytest.mark.parametrize(
    ("actual", "expected", "pieces"),
    [
        ((4, 3), (3, 4), ["(4, 3)", "(3, 4)", "transpose"]),
        ((3,), (3, 1), ["keepdims=True"]),
        ((5, 5), (5,), ["broadcasting", "(N, 1)"]),
        ((5, 5), (5, 1), ["broadcasting"]),
        ((3,), (), ["single number", ".item()"]),
        ((), (3,), ["axis="]),
        ((2, 3, 4), (2, 4, 3), ["wrong order", "NHWC"]),
        ((2, 5), (None, 4), ["(any, 4)", "axis 1 is 5 instead of 4"]),
        ((1, 3), (3,), ["extra leading axis"]),
    ],
)
def test_check_shape_hints(actual, expected, pieces) -> None:
    message = fails(testing.check_shape, np.zeros(actual), expected, "value")
    assert message.startswith("value has shape")
    for piece in pieces:
        assert piece in message, message


def test_check_shape_none_means_missing_return() -> None:
    assert "forget to `return`" in fails(testing.check_shape, None, (2,), "y_pred")


def test_check_dtype() -> None:
    testing.check_dtype(np.zeros(2), np.float64, "x")
    testing.check_dtype(np.zeros(2, np.float32), np.floating, "x")
    testing.check_dtype(np.arange(3), np.integer, "labels")
    testing.check_dtype(np.arange(3, dtype=np.int64), "int64", "labels")
    message = fails(testing.check_dtype, np.arange(3), np.floating, "x")
    assert "int64" in message and "a floating type" in message and ".astype(np.float64)" in message
    message = fails(testing.check_dtype, np.zeros(2, np.float32), np.float64, "x")
    assert "float32" in message and "should be float64" in message
    message = fails(testing.check_dtype, np.zeros(2), np.integer, "labels")
    assert "an integer type" in message and "argmax" in message


# --------------------------------------------------------------------------- values


def test_check_finite_names_first_bad_index() -> None:
    testing.check_finite(np.ones((2, 2)), "probs")
    testing.check_finite(np.arange(3), "ints")
    message = fails(testing.check_finite, np.array([[1.0, 2.0], [np.nan, np.inf]]), "probs")
    assert "nan at index [1, 0]" in message
    assert "2 of 4" in message
    assert "log(0)" in message
    assert "inf" in fails(testing.check_finite, np.inf, "cost")


def test_check_scalar() -> None:
    assert testing.check_scalar(2, "k") == 2.0
    assert testing.check_scalar(np.float32(2.5), "cost") == 2.5
    value = testing.check_scalar(np.array(1.5), "cost")
    assert value == 1.5 and isinstance(value, float)
    assert "shape (1,)" in fails(testing.check_scalar, np.array([1.0]), "cost")
    assert "boolean" in fails(testing.check_scalar, True, "cost")
    assert "forget to `return`" in fails(testing.check_scalar, None, "cost")
    assert "real number" in fails(testing.check_scalar, np.array("a"), "cost")


def test_check_close_passes_within_tolerance() -> None:
    testing.check_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-10]), "y")
    testing.check_close(0.1 + 0.2, 0.3, "sum")
    testing.check_close(np.float64(3.0), 3, "three")
    testing.check_close([1.0, np.nan], np.array([1.0, np.nan]), "with nan")
    testing.check_close(np.array([1.0, 1.001]), np.array([1.0, 1.0]), "loose", rtol=1e-2)


def test_check_close_reports_worst_mismatch() -> None:
    actual = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expected = actual.copy()
    expected[0, 2] = 3.1
    expected[1, 1] = 7.0
    message = fails(testing.check_close, actual, expected, "out", hint="did you add the bias?")
    assert "2 of 6 values differ" in message
    assert "index [1, 1]" in message
    assert "got 5, expected 7" in message
    assert "max abs error 2" in message
    assert "max rel error 0.286" in message
    assert message.endswith("Hint: did you add the bias?")


def test_check_close_gives_no_relative_error_against_zero() -> None:
    message = fails(testing.check_close, np.array([0.25, 0.0]), np.zeros(2), "dW")
    assert "1e+300" not in message and "max abs error 0.25" in message
    assert "no relative error" in message
    mixed = fails(testing.check_close, np.array([2.0, 0.5]), np.array([1.0, 0.0]), "dW")
    assert "max rel error 1." in mixed and "1e+300" not in mixed


def test_messages_show_numpy_scalars_as_plain_numbers() -> None:
    message = fails(testing.check_close, np.int64(3), 2.0, "count")
    assert "np.int64" not in message and "got 3, expected 2" in message
    assert testing._short_repr((np.int64(0), [np.float64(0.5)], {"k": np.float32(1.5)})) == "(0, [0.5], {'k': 1.5})"


def test_check_close_shape_first() -> None:
    message = fails(testing.check_close, np.zeros((3, 1)), np.zeros(3), "dw")
    assert "dw has shape (3, 1) but should be (3,)" in message


def test_check_close_scalars_and_nan() -> None:
    message = fails(testing.check_close, 0.5, 0.25, "cost")
    assert "got 0.5, expected 0.25" in message
    message = fails(testing.check_close, np.array([1.0, np.nan]), np.array([1.0, 2.0]), "a")
    assert "index [1]" in message and "got nan" in message


def test_check_close_spots_sign_and_factor() -> None:
    expected = np.array([1.0, -2.0, 3.0])
    assert "wrong sign" in fails(testing.check_close, -expected, expected, "dw")
    assert "2 times the expected" in fails(testing.check_close, 2 * expected, expected, "dw")


def test_check_not_modified() -> None:
    x = np.arange(4.0)
    before = x.copy()
    testing.check_not_modified(before, x, "X")
    x[2] = 7.0
    message = fails(testing.check_not_modified, before, x, "X")
    assert "changed the input X in place" in message
    assert "index [2]: was 2, now 7" in message
    assert "copy" in message
    nan_array = np.array([np.nan, 1.0])
    testing.check_not_modified(nan_array.copy(), nan_array, "with nan")


# --------------------------------------------------------------------------- gradients


def test_check_gradient_accepts_correct_gradient() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2))
    original = x.copy()
    testing.check_gradient(lambda z: float(np.sum(z**2)), x, 2 * x, "dx")
    assert np.array_equal(x, original)
    # Integer inputs are probed on a float copy.
    testing.check_gradient(lambda z: float(np.sum(z**2)), np.array([1, 2]), [2.0, 4.0], "dx")


def test_check_gradient_reports_error_and_index() -> None:
    x = np.array([1.0, 2.0, 3.0])
    analytic = 2 * x
    analytic[1] = 0.0
    message = fails(testing.check_gradient, lambda z: float(np.sum(z**2)), x, analytic, "dx")
    assert "relative error 1" in message
    assert "index [1]" in message
    assert "your value 0, numerical 4" in message
    message = fails(testing.check_gradient, lambda z: float(np.sum(z**2)), x, -2 * x, "dx")
    assert "wrong sign" in message


def test_check_gradient_shape_and_nan() -> None:
    x = np.ones(3)
    assert "shape (3, 1)" in fails(
        testing.check_gradient, lambda z: float(np.sum(z)), x, np.ones((3, 1)), "dx"
    )
    assert "nan" in fails(
        testing.check_gradient, lambda z: float(np.sum(z)), x, np.array([1.0, np.nan, 1.0]), "dx"
    )


def test_check_gradient_stub_is_reported() -> None:
    message = fails(testing.check_gradient, not_done, np.ones(2), np.ones(2), "dx")
    assert "not_done is not implemented yet" in message


def test_check_array_gradient() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3))
    W = rng.normal(size=(3, 2))
    df = rng.normal(size=(4, 2))
    testing.check_array_gradient(lambda z: z @ W, x, df, df @ W.T, "dx")
    message = fails(testing.check_array_gradient, lambda z: z @ W, x, df, (df @ W.T).T, "dx")
    assert "dx has shape (3, 4) but should be (4, 3)" in message and "transpose" in message
    wrong = df @ W.T
    wrong[2, 1] += 1.0
    message = fails(testing.check_array_gradient, lambda z: z @ W, x, df, wrong, "dx")
    assert "index [2, 1]" in message and "relative error" in message
    message = fails(testing.check_array_gradient, lambda z: z @ W, x, df[:2], df @ W.T, "dx")
    assert "forward output" in message


def _student_sigmoid(z):
    return 0.0 * z  # a wrong helper the student wrote


def _student_cost(z, scale=2.0, *, offset=0.0):
    """Calls the student's own helper through a global name."""
    return scale * _student_sigmoid(z) + offset


def test_isolate_swaps_only_the_named_globals() -> None:
    isolated = testing.isolate(_student_cost, _student_sigmoid=lambda z: z + 1.0)
    assert isolated(1.0) == 4.0 and isolated(1.0, 3.0, offset=1.0) == 7.0  # defaults kept
    assert _student_cost(1.0) == 0.0  # the original and the module's namespace are untouched
    assert globals()["_student_sigmoid"] is _student_sigmoid
    assert isolated.__name__ == "_student_cost" and isolated.__doc__ == _student_cost.__doc__
    assert testing.isolate(_student_cost, unused_name=abs)(2.0) == 0.0  # an unused name is harmless
    assert testing.isolate(len, x=1) is len  # not a Python function: returned as it is


def test_check_not_modified_shows_round_off_changes() -> None:
    before = np.array([0.1 + 0.2, 1.0])
    after = before.copy()
    after[0] = np.nextafter(after[0], 1.0)  # a one-ulp change that prints the same at 10 digits
    assert after[0] != before[0]
    with pytest.raises(AssertionError) as info:
        testing.check_not_modified(before, after, "x")
    assert repr(before[0]) in str(info.value) and repr(after[0]) in str(info.value)


def test_checks_refuse_objects_that_could_lie():
    """A student's object whose __array__ peeks at the caller's expected value must not pass."""
    import sys

    class Liar:
        shape = (3,)
        dtype = np.dtype(np.float64)

        def __array__(self, dtype=None, copy=None):
            frame = sys._getframe(1)
            while frame is not None and "expected" not in frame.f_locals:
                frame = frame.f_back
            return np.asarray(frame.f_locals["expected"], dtype=dtype)

        def __eq__(self, other):
            return True

    expected = np.array([0.5, -0.5, -1.5])
    for check in (lambda: testing.check_close(Liar(), expected, "predict(X, w, b)"),
                  lambda: testing.check_shape(Liar(), (3,), "predict(X, w, b)"),
                  lambda: testing.check_dtype(Liar(), np.floating, "predict(X, w, b)"),
                  lambda: testing.check_scalar(Liar(), "cost"),
                  lambda: testing.check_close([Liar()], [expected], "predict(X, w, b)")):
        with pytest.raises(AssertionError, match="not a .*Liar object"):
            check()


def test_checks_refuse_a_class_that_claims_to_be_numpy():
    class Liar:
        __module__ = "numpy"
        shape = (1,)

        def __array__(self, dtype=None, copy=None):
            return np.array([1.0])

    for name in ("Liar", "ndarray"):
        Liar.__qualname__ = name
        with pytest.raises(AssertionError, match="not a numpy"):
            testing.check_close(Liar(), np.array([1.0]), "value")


def test_checks_still_read_plain_values():
    class Sub(np.ndarray):
        def __eq__(self, other):  # NumPy reads the buffer; this is never asked
            return True

    value = np.array([1.0, 2.0]).view(Sub)
    testing.check_close(value, np.array([1.0, 2.0]), "a subclass with the right values")
    with pytest.raises(AssertionError):
        testing.check_close(value, np.array([1.0, 3.0]), "a subclass with a wrong value")
    testing.check_close([1.0, np.float32(2.0)], [1.0, 2.0], "a list of numbers")
    testing.check_scalar(np.float64(1.5), "a NumPy scalar")
