"""Checks that nbgrader test cells call on a student's answer.

Every check raises ``AssertionError`` with a message that says what was expected, what was
found and the likely mistake. No check uses an ``assert`` statement (``python -O`` would
remove it), prints anything, or lets a numpy warning reach stderr: nbgrader scores a test
cell that writes to stderr as 0.

This module imports only numpy (not TensorFlow, not matplotlib), so test cells stay fast.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from helpers import gradcheck

__all__ = [
    "assert_that",
    "call_student",
    "check_array_gradient",
    "check_array_gradient_batch",
    "check_close",
    "check_dtype",
    "check_finite",
    "check_gradient",
    "check_gradient_batch",
    "check_not_modified",
    "check_raises",
    "check_scalar",
    "check_shape",
    "check_type",
    "isolate",
    "redacted",
    "require_plain_value",
]

# Abstract numpy scalar types: check_dtype matches these by kind (np.issubdtype).
_ABSTRACT_DTYPES = (
    np.generic,
    np.number,
    np.integer,
    np.signedinteger,
    np.unsignedinteger,
    np.inexact,
    np.floating,
    np.complexfloating,
    np.flexible,
    np.character,
)


#: While true (inside ``redacted()``), failure messages leave out expected values.
_REDACT = False


class redacted:
    """Within this context, failure messages say what differs but not the expected values
    (hidden cases of the trusted checks: the student sees the message in feedback)."""

    def __enter__(self) -> "redacted":
        global _REDACT
        self._before, _REDACT = _REDACT, True
        return self

    def __exit__(self, *exc: Any) -> None:
        global _REDACT
        _REDACT = self._before


# --------------------------------------------------------------------------- basics


def assert_that(condition: Any, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``condition`` is true.

    Use instead of an ``assert`` statement, which ``python -O`` silently removes.
    """
    if not bool(condition):
        raise AssertionError(message)


def _fn_name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__name__", None) or repr(fn)


def _not_implemented(fn: Callable[..., Any]) -> AssertionError:
    return AssertionError(
        f"{_fn_name(fn)} is not implemented yet: "
        "replace `raise NotImplementedError()` with your code"
    )


def call_student(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a student's function and return its result.

    A ``NotImplementedError`` (the untouched release stub) becomes an ``AssertionError``
    that tells the student what to do; any other exception propagates unchanged so its
    traceback points at the student's line.
    """
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _not_implemented(fn) from None


def isolate(fn: Callable[..., Any], **references: Any) -> Callable[..., Any]:
    """A copy of a student's function that sees ``references`` instead of the global names given.

    Partial credit: when ``logistic_cost`` calls the student's ``sigmoid``, a wrong sigmoid
    would also cost the logistic_cost tests. ``isolate(logistic_cost, sigmoid=expit)`` tests
    logistic_cost on its own. Nothing in the notebook's namespace changes; a name the
    function does not use is harmless; anything but a plain function is returned unchanged.
    """
    import types

    if not isinstance(fn, types.FunctionType):
        return fn
    namespace = dict(fn.__globals__)
    namespace.update(references)
    clone = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    clone.__doc__ = fn.__doc__
    clone.__qualname__ = fn.__qualname__
    return clone


def check_raises(
    exc_type: type[BaseException] | tuple[type[BaseException], ...],
    fn: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> BaseException:
    """Check that ``fn(*args, **kwargs)`` raises ``exc_type``; return the exception."""
    expected = (
        " or ".join(t.__name__ for t in exc_type)
        if isinstance(exc_type, tuple)
        else exc_type.__name__
    )
    try:
        result = fn(*args, **kwargs)
    except exc_type as err:
        return err
    except NotImplementedError:
        raise _not_implemented(fn) from None
    except Exception as err:
        raise AssertionError(
            f"{_fn_name(fn)} should raise {expected} for these inputs but raised "
            f"{type(err).__name__}: {err}. Raise {expected} explicitly for this case "
            f"(e.g. `raise {expected.split(' or ')[0]}(\"...\")`) before the computation fails."
        ) from err
    raise AssertionError(
        f"{_fn_name(fn)} should raise {expected} for these inputs but returned "
        f"{_short_repr(result)}. Check the inputs at the start of the function and raise "
        f"{expected} when they are invalid."
    )


# --------------------------------------------------------------------------- formatting


def _plain(value: Any) -> Any:
    """NumPy scalars (also inside tuples, lists and dicts) as Python numbers, for messages.

    NumPy 2 writes ``np.int64(0)`` and ``np.float64(0.5)``; students should read ``0`` and ``0.5``.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        items = [_plain(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    return value


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(_plain(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fmt_index(index: tuple[int, ...]) -> str:
    """``(1, 2)`` -> ``"[1, 2]"`` (the way a student would index the array)."""
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _fmt_num(value: Any) -> str:
    return f"{value:.10g}" if isinstance(value, (float, np.floating)) else repr(_plain(value))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _type_name(kind: type) -> str:
    return "numpy array" if kind is np.ndarray else kind.__name__


def _fmt_shape(shape: Sequence[int | None]) -> str:
    parts = ["any" if s is None else str(int(s)) for s in shape]
    if len(parts) == 1:
        return f"({parts[0]},)"
    return "(" + ", ".join(parts) + ")"


#: Packages whose values the checks read. A value of any other class (say, one defined in
#: the notebook) could answer ``__array__``, ``shape`` or ``__eq__`` with whatever the
#: test expects, so the checks refuse it instead of asking it.
TRUSTED_PACKAGES = frozenset({"builtins", "numpy", "tensorflow", "keras", "tf_keras"})


def require_plain_value(value: Any, name: str) -> None:
    """Refuse values the checks cannot read honestly (objects of the student's own classes).

    NumPy arrays (subclasses included: NumPy reads their buffer without asking them),
    Python and NumPy numbers, TensorFlow tensors and variables, and lists or tuples of
    these pass.
    """
    kind = type(value)
    if isinstance(value, np.ndarray) or kind in (int, float, bool, complex, str, bytes, type(None)):
        return
    if kind in (list, tuple):
        for item in value:
            require_plain_value(item, name)
        return
    if (kind.__module__ or "").split(".")[0] in TRUSTED_PACKAGES and _is_defined_where_it_says(kind):
        return
    if kind.__module__ == "helpers.wire" and kind.__name__ == "Opaque":
        # What the trusted checker receives for a value that is not data. Its class name is
        # the student's to choose, so it is shown only when it looks like one.
        import re

        shown = value.type if re.fullmatch(r"[A-Za-z_][\w.]{0,59}", value.type) else "other"
        shown = "your own class" if shown.startswith("__main__.") else shown
        raise AssertionError(
            f"{name} should be a NumPy array, a number or a TensorFlow tensor, not an object of "
            f"{shown}: return the values themselves."
        )
    raise AssertionError(
        f"{name} should be a NumPy array, a number or a TensorFlow tensor, not a "
        f"{kind.__module__}.{kind.__qualname__} object: return the values themselves."
    )


def _is_defined_where_it_says(kind: type) -> bool:
    """Whether ``kind`` really is the class its ``__module__`` and ``__qualname__`` name
    (a class can claim ``__module__ = "numpy"``; it cannot make NumPy hold it)."""
    import sys

    found: Any = sys.modules.get(kind.__module__)
    for part in kind.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is kind


def _shape_of(value: Any) -> tuple[int | None, ...]:
    """Shape of an array-like (numpy, TensorFlow tensor, list, scalar) as a tuple."""
    shape = getattr(value, "shape", None)
    if shape is None:
        shape = np.shape(value)
    return tuple(None if s is None else int(s) for s in shape)


def _none_message(name: str) -> AssertionError:
    return AssertionError(
        f"{name} is None: did you forget to `return` it at the end of your function?"
    )


# --------------------------------------------------------------------------- type / shape


def check_type(value: Any, expected_type: type | tuple[type, ...], name: str) -> None:
    """Check ``isinstance(value, expected_type)``."""
    if isinstance(value, expected_type):
        return
    types = expected_type if isinstance(expected_type, tuple) else (expected_type,)
    expected = " or ".join(_type_name(t) for t in types)
    if value is None:
        raise _none_message(name)
    found = _type_name(type(value))
    hint = ""
    module = type(value).__module__ or ""
    if np.ndarray in types and isinstance(value, (list, tuple)):
        hint = " Convert it with np.array(...)."
    elif np.ndarray in types and module.startswith(("tensorflow", "keras")):
        hint = " Convert the tensor to numpy with .numpy()."
    elif any(t in (float, int) for t in types) and isinstance(value, np.ndarray):
        hint = (
            " You returned an array: return a single number with float(...) or .item() "
            "(after reducing it with np.sum / np.mean)."
        )
    raise AssertionError(
        f"{name} should be {_article(expected)} {expected} but is {_article(found)} {found}.{hint}"
    )


def _shape_matches(actual: tuple, expected: tuple) -> bool:
    return len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected)
    )


def _shape_hint(actual: tuple, expected: tuple) -> str:
    """The likely mistake behind a shape mismatch (the usual transposes and axes)."""
    a, e = actual, expected
    if len(e) == 0:
        return (
            "did you return an array instead of a single number? Reduce it with "
            "np.sum / np.mean over all axes, or use float(...) / .item()"
        )
    if len(a) == 0:
        return "did you reduce over every axis? Pass axis=... to np.sum / np.mean"
    # (N,) op (N, 1) broadcasts to (N, N): the classic regression mistake.
    if len(a) == 2 and a[0] == a[1] > 1 and a[0] in e and len(e) <= 2 and a != e:
        return (
            "this looks like broadcasting: an (N,) array combined with an (N, 1) array "
            "gives (N, N). Make both operands the same shape first (e.g. y.ravel() or "
            "y.reshape(-1, 1))"
        )
    if len(a) == len(e) + 1:
        if a[-1] == 1 and _shape_matches(a[:-1], e):
            return "did you keep an extra axis? Use .ravel() or index with [:, 0]"
        if a[0] == 1 and _shape_matches(a[1:], e):
            return "did you keep an extra leading axis? Index with [0] or use .squeeze(0)"
        return (
            "it has one axis too many: did you forget to reduce over an axis "
            "(np.sum / np.mean with axis=...) or use keepdims=True by mistake?"
        )
    if len(a) == len(e) - 1:
        if e[-1] == 1 and _shape_matches(a, e[:-1]):
            return "did you drop an axis? Use keepdims=True or .reshape(-1, 1)"
        if e[0] == 1 and _shape_matches(a, e[1:]):
            return "did you drop the leading axis? Use keepdims=True or x[np.newaxis]"
        return "it has one axis too few: did you reduce over an axis you should keep?"
    if len(a) == len(e):
        if _shape_matches(a[::-1], e):
            return (
                "the axes are reversed: did you transpose (W vs W.T) or multiply in the "
                "wrong order (X @ W vs W @ X)?"
            )
        if None not in e and sorted(a) == sorted(e):
            return (
                "the axes are in the wrong order: check your transpose/reshape "
                "(TensorFlow images are NHWC: (batch, height, width, channels))"
            )
        bad = [i for i, (x, y) in enumerate(zip(a, e)) if y is not None and x != y]
        axes = ", ".join(f"axis {i} is {a[i]} instead of {e[i]}" for i in bad)
        return f"{axes}: check which axis you reduce over and the order of matrix products"
    return "print the shapes of your intermediate results to see where they go wrong"


def check_shape(array: Any, expected_shape: Sequence[int | None], name: str) -> None:
    """Check the shape of an array-like; ``None`` in ``expected_shape`` matches any size.

    Args:
        array: numpy array, TensorFlow tensor, nested list or scalar.
        expected_shape: e.g. ``(N, 10)``; ``()`` for a scalar.
    """
    if array is None:
        raise _none_message(name)
    require_plain_value(array, name)
    expected = tuple(None if s is None else int(s) for s in expected_shape)
    try:
        actual = _shape_of(array)
    except (ValueError, TypeError):
        raise AssertionError(
            f"{name} should be an array of shape {_fmt_shape(expected)} but is a "
            f"{type(array).__name__} that numpy cannot turn into an array (ragged lists?)."
        ) from None
    if _shape_matches(actual, expected):
        return
    actual_text = "()" if not actual else _fmt_shape(actual)
    expected_text = "() (a single number)" if not expected else _fmt_shape(expected)
    raise AssertionError(
        f"{name} has shape {actual_text} but should be {expected_text}: "
        f"{_shape_hint(actual, expected)}"
    )


# --------------------------------------------------------------------------- dtype / values


def _dtype_of(array: Any) -> np.dtype:
    dtype = getattr(array, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype
    # TensorFlow dtypes know their numpy equivalent.
    numpy_dtype = getattr(dtype, "as_numpy_dtype", None)
    if numpy_dtype is not None:
        return np.dtype(numpy_dtype)
    return np.asarray(array).dtype


def _dtype_hint(actual: np.dtype, expected_kind: type[np.generic] | np.dtype) -> str:
    wants_float = (
        isinstance(expected_kind, np.dtype) and expected_kind.kind == "f"
    ) or (isinstance(expected_kind, type) and issubclass(np.floating, expected_kind))
    if actual.kind in "iu" and wants_float:
        return (
            "it holds integers: did you build it from integer values (np.array([1, 2]), "
            "dtype=int) or use // ? Cast with .astype(np.float64)"
        )
    if actual.kind == "b":
        return "comparisons give booleans: cast the result with .astype(...)"
    if actual.kind == "O":
        return "numpy could not find one numeric type: are the elements lists or tensors?"
    if actual == np.float32 and isinstance(expected_kind, np.dtype) and expected_kind == np.float64:
        return (
            "float32 usually comes from TensorFlow or an explicit dtype: "
            "cast with .astype(np.float64)"
        )
    if actual == np.float64 and isinstance(expected_kind, np.dtype) and expected_kind == np.float32:
        return (
            "TensorFlow works in float32: cast with tf.cast(x, tf.float32) or "
            ".astype(np.float32)"
        )
    if actual.kind == "f" and not wants_float:
        return (
            "labels and indices must be integers: np.argmax returns integers, or cast with "
            ".astype(np.int64)"
        )
    return "cast it with .astype(...)"


def check_dtype(
    array: Any, expected_dtype: type | str | np.dtype, name: str
) -> None:
    """Check the dtype of an array or tensor.

    Args:
        expected_dtype: a concrete dtype (``np.float64``, ``"int64"``) compared exactly,
            or an abstract kind (``np.floating``, ``np.integer``) matched with
            ``np.issubdtype``.
    """
    if array is None:
        raise _none_message(name)
    require_plain_value(array, name)
    actual = _dtype_of(array)
    if isinstance(expected_dtype, type) and expected_dtype in _ABSTRACT_DTYPES:
        if np.issubdtype(actual, expected_dtype):
            return
        kind: type[np.generic] | np.dtype = expected_dtype
        expected_text = f"{_article(expected_dtype.__name__)} {expected_dtype.__name__} type"
    else:
        kind = np.dtype(expected_dtype)
        if actual == kind:
            return
        expected_text = str(kind)
    raise AssertionError(
        f"{name} has dtype {actual} but should be {expected_text}: {_dtype_hint(actual, kind)}"
    )


def _as_float_array(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise _none_message(name)
    require_plain_value(value, name)
    try:
        array = np.asarray(value)
        if array.dtype.kind == "c":
            raise TypeError("complex")
        return array.astype(np.float64)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} should hold real numbers but is {type(value).__name__} "
            f"{_short_repr(value)}: numpy cannot read it as a float array."
        ) from None


def check_finite(array: Any, name: str) -> None:
    """Check that every entry is finite; names the index of the first nan/inf."""
    values = _as_float_array(array, name)
    finite = np.isfinite(values)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    first = tuple(bad[0])
    first_value = values[first]
    where = f" at index {_fmt_index(first)}" if values.ndim else ""
    raise AssertionError(
        f"{name} should be finite but contains {_fmt_num(first_value)}{where} "
        f"({len(bad)} of {values.size} entries are nan or inf). Likely causes: log(0) "
        "(add a small eps or clip), division by zero, exp overflow (subtract the max "
        "before np.exp), or a learning rate so large that training diverged."
    )


def check_scalar(value: Any, name: str) -> float:
    """Check that ``value`` is one real number (python, numpy or 0-d array); return it as float."""
    if value is None:
        raise _none_message(name)
    require_plain_value(value, name)
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(
            f"{name} should be a number but is a boolean ({value}): return the value itself, "
            "not a comparison."
        )
    shape = _shape_of(value) if not isinstance(value, (int, float)) else ()
    if shape != ():
        raise AssertionError(
            f"{name} should be a single number but has shape {_fmt_shape(shape)}: "
            f"{_shape_hint(shape, ())}"
        )
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise AssertionError(
            f"{name} should be a real number but has dtype {array.dtype} "
            f"({_short_repr(value)})."
        )
    return float(array)


def _pattern_hint(actual: np.ndarray, expected: np.ndarray) -> str:
    """Spot a wrong sign or a constant factor (missing 1/N, factor 2, learning rate)."""
    if actual.shape != expected.shape or actual.size == 0:
        return ""
    if not (np.all(np.isfinite(actual)) and np.all(np.isfinite(expected))):
        return ""
    norm = float(np.sum(expected * expected))
    if norm == 0.0:
        return ""
    factor = float(np.sum(actual * expected)) / norm
    if factor == 0.0 or not np.allclose(actual, factor * expected, rtol=1e-6, atol=1e-12):
        return ""
    if np.isclose(factor, -1.0):
        return " The values have the wrong sign: check the sign of your update or gradient."
    if actual.size > 1 and not np.isclose(factor, 1.0):
        return (
            f" Every value is {factor:.6g} times the expected one: a missing or extra "
            "constant factor (1/N, 2, the learning rate)?"
        )
    return ""


def check_close(
    actual: Any,
    expected: Any,
    name: str,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    hint: str = "",
) -> None:
    """Check ``actual`` against ``expected`` with ``np.allclose(actual, expected, rtol, atol)``.

    The shape is checked first (``check_shape``). nan matches nan. Works for python
    floats, numpy scalars, arrays and TensorFlow tensors.

    Args:
        actual: the student's value, shape S.
        expected: the reference value, shape S.
        hint: appended to the failure message (the likely mistake for this exercise).
    """
    expected_array = _as_float_array(expected, "expected value")
    check_shape(actual, expected_array.shape, name)
    actual_array = _as_float_array(actual, name)
    with np.errstate(all="ignore"):
        close = np.isclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return
        abs_err = np.abs(actual_array - expected_array)
        # nan/inf where a finite value was expected count as the worst mismatch.
        abs_err = np.where(close, 0.0, np.where(np.isfinite(abs_err), abs_err, np.inf))
        # A relative error against an expected 0 is meaningless (it printed as 1e+300): only
        # mismatches where a non-zero value was expected get one.
        nonzero = np.abs(expected_array) > 0
        rel_err = np.where(nonzero, abs_err / np.where(nonzero, np.abs(expected_array), 1.0), 0.0)
        worst = np.unravel_index(int(np.argmax(abs_err)), abs_err.shape)
        max_abs = float(np.max(abs_err))
        mismatched_nonzero = ~close & nonzero
        max_rel = float(np.max(np.where(mismatched_nonzero, rel_err, 0.0))) if mismatched_nonzero.any() else None
        pattern = _pattern_hint(actual_array, expected_array)
    num_bad = int(np.sum(~close))
    got, want = actual_array[worst], expected_array[worst]
    if _REDACT:
        count = "the value differs" if actual_array.ndim == 0 else f"{num_bad} of {actual_array.size} values differ"
        message = f"{name} does not match the expected values: {count} (rtol={rtol:g}, atol={atol:g}).{pattern}"
        raise AssertionError(message + (f" Hint: {hint}" if hint else ""))
    if actual_array.ndim == 0:
        where = f"got {_fmt_num(got)}, expected {_fmt_num(want)}"
        count = "the value differs"
    else:
        where = (
            f"worst mismatch at index {_fmt_index(worst)}: got {_fmt_num(got)}, "
            f"expected {_fmt_num(want)}"
        )
        count = f"{num_bad} of {actual_array.size} values differ"
    message = (
        f"{name} does not match the expected values: {count} "
        f"(rtol={rtol:g}, atol={atol:g}); {where}; "
        f"max abs error {max_abs:.3g}, "
        + (f"max rel error {max_rel:.3g}." if max_rel is not None
           else "no relative error (the values that differ should be 0).")
        + pattern
    )
    if hint:
        message += f" Hint: {hint}"
    raise AssertionError(message)


def check_not_modified(before: Any, after: Any, name: str) -> None:
    """Check that an input array was not changed in place.

    Args:
        before: a copy taken before calling the student's function.
        after: the same input object after the call.
    """
    before_array, after_array = np.asarray(before), np.asarray(after)
    advice = (
        "Work on a copy (x = x.copy()) or write out-of-place updates "
        "(w = w - lr * dw instead of w -= lr * dw)."
    )
    if before_array.shape != after_array.shape:
        raise AssertionError(
            f"your function changed the input {name} in place: its shape went from "
            f"{_fmt_shape(before_array.shape)} to {_fmt_shape(after_array.shape)}. {advice}"
        )
    if np.array_equal(before_array, after_array, equal_nan=before_array.dtype.kind in "fc"):
        return
    with np.errstate(all="ignore"):
        same = (before_array == after_array) | _both_nan(before_array, after_array)
        changed = np.argwhere(~same)
    first = tuple(changed[0]) if len(changed) else ()
    if _REDACT:
        raise AssertionError(f"your function changed the input {name} in place ({len(changed)} of "
                             f"{before_array.size} entries changed). {advice}")
    old, new = before_array[first], after_array[first]
    # Round-off changes (x + h - h) print identically at 10 digits: show every digit then.
    show = repr if _fmt_num(old) == _fmt_num(new) else _fmt_num
    where = (
        f", first at index {_fmt_index(first)}: was {show(old)}, now {show(new)}"
        if before_array.ndim
        else f": was {show(old)}, now {show(new)}"
    )
    raise AssertionError(
        f"your function changed the input {name} in place ({len(changed)} of "
        f"{before_array.size} entries changed{where}). {advice}"
    )


def _both_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return np.isnan(a) & np.isnan(b)
    return np.zeros(np.broadcast(a, b).shape, dtype=bool)


# --------------------------------------------------------------------------- gradients


def _as_probe_array(x: Any) -> np.ndarray:
    """The array to probe: ``x`` itself when it is a writeable float64 ndarray.

    Probing ``x`` in place keeps CS231n-style closures working (``lambda _: f(x)``
    that ignore their argument); other inputs are converted to a float64 copy.
    """
    if isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.writeable:
        return x
    return np.array(x, dtype=np.float64)


def _compare_gradients(
    numeric: np.ndarray, analytic: Any, name: str, tol: float, what: str
) -> None:
    check_shape(analytic, numeric.shape, name)
    analytic_array = _as_float_array(analytic, name)
    check_finite(analytic_array, name)
    with np.errstate(all="ignore"):
        errors = np.abs(analytic_array - numeric) / np.maximum(
            1e-8, np.abs(analytic_array) + np.abs(numeric)
        )
        error = gradcheck.rel_error(analytic_array, numeric)
        if error <= tol:
            return
        worst = np.unravel_index(int(np.argmax(errors)), errors.shape)
        pattern = _pattern_hint(analytic_array, numeric)
    where = f"at index {_fmt_index(worst)}: " if numeric.ndim else ""
    raise AssertionError(
        f"{name} does not match the numerical gradient {what}: relative error "
        f"{error:.3g} (should be below {tol:g}); worst {where}your value "
        f"{_fmt_num(analytic_array[worst])}, numerical {_fmt_num(numeric[worst])}.{pattern} "
        "Check the chain rule step by step and that you used the cached forward values."
    )


def check_gradient(
    f: Callable[[np.ndarray], float],
    x: Any,
    analytic: Any,
    name: str,
    h: float = 1e-5,
    tol: float = 1e-7,
) -> None:
    """Compare an analytic gradient with the centred-difference gradient of scalar ``f`` at ``x``.

    Args:
        f: maps an array shaped like ``x`` to a scalar (e.g. the loss).
        x: the point, shape S (probed in place and restored when it is a float64 array).
        analytic: the student's gradient, shape S.
        tol: largest accepted ``gradcheck.rel_error``.
    """
    probe = _as_probe_array(x)

    def scalar_f(z: np.ndarray) -> float:
        return check_scalar(call_student(f, z), "the function whose gradient is checked")

    with np.errstate(all="ignore"):
        numeric = gradcheck.eval_numerical_gradient(scalar_f, probe, h=h)
    _compare_gradients(numeric, analytic, name, tol, "of a scalar function")


def check_array_gradient(
    f: Callable[[np.ndarray], np.ndarray],
    x: Any,
    df: Any,
    analytic: Any,
    name: str,
    h: float = 1e-5,
    tol: float = 1e-7,
) -> None:
    """Compare a backward pass with the numerical gradient of ``sum(f(x) * df)``.

    Args:
        f: the forward pass, maps shape S to shape T.
        x: the input, shape S (probed in place and restored when it is a float64 array).
        df: upstream gradient, shape T.
        analytic: the student's gradient with respect to ``x``, shape S.
    """
    probe = _as_probe_array(x)
    df_array = np.asarray(df, dtype=np.float64)

    def array_f(z: np.ndarray) -> np.ndarray:
        return call_student(f, z)

    # A forward output that does not match df would broadcast silently: say so instead.
    check_shape(array_f(probe), df_array.shape, "the forward output (compared with df)")

    with np.errstate(all="ignore"):
        numeric = gradcheck.eval_numerical_gradient_array(array_f, probe, df_array, h=h)
    _compare_gradients(numeric, analytic, name, tol, "(upstream gradient df)")


def check_gradient_batch(
    f_batch: Callable[[list], list],
    x: Any,
    analytic: Any,
    name: str,
    h: float = 1e-5,
    tol: float = 1e-7,
) -> None:
    """``check_gradient`` with ``f`` evaluated on all probe points in one call.

    Args:
        f_batch: maps a list of arrays shaped like ``x`` to the list of scalar values of
            ``f`` at them (e.g. one request to the student's kernel).
        x: the point, shape S (not changed).
        analytic: the student's gradient, shape S.
    """
    probe = np.array(x, dtype=np.float64)
    values = list(f_batch(gradcheck.centred_points(probe, h)))
    scalars = [check_scalar(v, "the function whose gradient is checked") for v in values]
    with np.errstate(all="ignore"):
        numeric = gradcheck.gradient_from_points(scalars, probe.shape, h)
    _compare_gradients(numeric, analytic, name, tol, "of a scalar function")


def check_array_gradient_batch(
    f_batch: Callable[[list], list],
    x: Any,
    df: Any,
    analytic: Any,
    name: str,
    h: float = 1e-5,
    tol: float = 1e-7,
) -> None:
    """``check_array_gradient`` with the forward pass evaluated on all probe points (and
    ``x`` itself, first) in one call: ``f_batch([x, x + h e_0, x - h e_0, ...])``."""
    probe = np.array(x, dtype=np.float64)
    df_array = np.asarray(df, dtype=np.float64)
    values = list(f_batch([probe] + gradcheck.centred_points(probe, h)))
    if len(values) != 2 * probe.size + 1:
        raise AssertionError(f"expected {2 * probe.size + 1} forward outputs, got {len(values)}")
    for value in values:
        require_plain_value(value, "the forward output")
    check_shape(values[0], df_array.shape, "the forward output (compared with df)")
    with np.errstate(all="ignore"):
        numeric = gradcheck.gradient_from_points(values[1:], probe.shape, h, df=df_array)
    _compare_gradients(numeric, analytic, name, tol, "(upstream gradient df)")
