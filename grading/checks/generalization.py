"""Trusted checks of notebook 05 (``solutions/05_generalization/generalization.ipynb``).

One check per graded cell. Each builds its own inputs (the seeds and values of the notebook's
test cells), asks the student's kernel for the results and judges them here. The part before
``s.hidden()`` repeats the notebook's visible test cell; the rest are the hidden cases, whose
messages say what is wrong without showing expected values.

Two things the probe cannot send are made in the kernel:

- ``train_val_test_split`` and ``dropout_forward`` take a ``np.random.Generator``, which is not
  data. ``_course_call_with_rng`` (below, defined in the student's namespace for the check) calls
  them with ``np.random.default_rng(seed)`` and sends back the result, the arguments after the
  call and the generator's next number; for ``dropout_backward`` it passes on the cache of the
  student's own forward pass, which never leaves the kernel.
- Keras models stay in the kernel (``Student.keep``): their outputs and ``losses`` come from
  there, and their layers are read from the model rebuilt here from its config.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from grading.trusted.mistakes import explained
from grading.trusted.registry import check
from grading.trusted.student import BUILTIN_EXCEPTIONS, LocalStudent, StudentCallError
from helpers import data, testing, wire

#: ``build_regularized_mlp`` sees TensorFlow as ``tf``. The notebook imports it in a cell of its
#: own, which the reference namespace (set-up cell and answer cells only) does not run; TF's
#: public ``tf.compat.v2`` is the same API (the same Keras).
TF = {"tf": "tensorflow:compat.v2"}

#: The two weight arrays of the notebook's visible penalty tests.
WEIGHTS = [np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([0.5, -0.5])]


# ----------------------------------------------------------------------------- helpers


def _kind(value) -> str:
    """A type name for messages (never a name the student chose)."""
    plain = (type(None), bool, int, float, str, list, tuple, dict, np.ndarray)
    return type(value).__name__ if isinstance(value, plain) or isinstance(value, np.generic) else "other object"


def _pair(result, function: str, names: str) -> tuple:
    testing.assert_that(isinstance(result, (tuple, list)) and len(result) == 2,
                        f"{function} should return a tuple {names} but returned {_kind(result)}"
                        f"{' of length ' + str(len(result)) if isinstance(result, (tuple, list)) else ''}.")
    return tuple(result)


def _item(values, index: int, name: str):
    """``values[index]`` for a list or tuple the student returned."""
    testing.assert_that(isinstance(values, (tuple, list)) and len(values) > index,
                        f"{name}: expected a list with at least {index + 1} arrays, got {_kind(values)}.")
    return values[index]


# ------------------------------------------------------------------ calls with a random generator


def _course_call_with_rng(name, args, seed, backward=None, backward_args=(), want_args=True):
    """Runs in the student's namespace: ``name(*args, np.random.default_rng(seed))``.

    Returns a dict: ``result``, ``args`` (as they are after the call), ``next_random`` (the
    generator's next number after the call); with ``backward``, also
    ``backward(*backward_args, cache)`` with the cache of that result and the backward
    arguments after the call. A missing name or an exception comes back as data.
    """
    import numpy

    namespace = globals()
    for function in (name, backward):
        if function is not None and not callable(namespace.get(function)):
            return {"missing": function}
    args, backward_args = list(args), list(backward_args)
    rng = numpy.random.default_rng(seed)
    try:
        result = namespace[name](*args, rng)
    except Exception as exc:  # noqa: BLE001 - the student's exception, as data
        return {"raised": [name, type(exc).__name__]}
    out = {"result": result, "next_random": float(rng.random()), "args": args if want_args else None}
    if backward is not None:
        if not (isinstance(result, tuple) and len(result) == 2):
            return {"forward": result}
        try:
            out["backward"] = namespace[backward](*backward_args, result[1])
        except Exception as exc:  # noqa: BLE001
            return {"raised": [backward, type(exc).__name__]}
        out["backward_args"] = backward_args
    return out


_CALLER = _course_call_with_rng.__name__
_CALLER_SOURCE = inspect.getsource(_course_call_with_rng)


def _with_rng(s, name: str, cases: list, backward: str | None = None) -> list[dict]:
    """``name(*args, np.random.default_rng(seed))`` in the kernel for each ``(args, seed)`` or
    ``(args, seed, backward_args)`` of ``cases``; one round trip for all."""
    if isinstance(s, LocalStudent):
        # A namespace in this process (the checks' unit tests): define the caller in it.
        exec(compile(_CALLER_SOURCE, "<course checks>", "exec"), s.namespace)  # noqa: S102 - the course's own
    else:
        s.keep("get_ipython").call("ex", _CALLER_SOURCE)
    calls = []
    for case in cases:
        args, seed, *rest = case
        calls.append(((name, list(args), seed), {"backward": backward, "backward_args": list(rest[0]) if rest else [],
                                                 "want_args": backward is None}))
    answers = s.call_many(_CALLER, calls)
    for answer in answers:
        if not isinstance(answer, dict):
            raise StudentCallError(f"{name}: the kernel sent a malformed answer")
        if "missing" in answer:
            raise StudentCallError(f"{answer['missing']} is not defined: run the cell that defines it (and keep its name)")
        if "raised" in answer:
            function, kind = (list(answer["raised"]) + ["", ""])[:2]
            function = function if function in (name, backward) else name
            if kind == "NotImplementedError":
                raise StudentCallError(f"{function} is not implemented yet: replace `raise NotImplementedError()` "
                                       "with your code")
            kind = kind if kind in BUILTIN_EXCEPTIONS else "an exception of its own class"
            if s.phase == "hidden":
                raise StudentCallError(f"{function} raised {kind} on a hidden case: try your function on other "
                                       "shapes and edge cases")
            raise StudentCallError(f"{function} raised {kind} (run this test cell in your notebook to see the message)")
        if "forward" in answer:
            _pair(answer["forward"], name, "(out, cache)")
    return answers


def _forward_out(answer: dict):
    """``out`` of ``dropout_forward``'s ``(out, cache)``."""
    return _pair(answer["result"], "dropout_forward", "(out, cache)")[0]


# ----------------------------------------------------------------------------- polynomial_features


@check("test_polynomial_features")
def polynomial_features(s):
    features = s.call("polynomial_features", np.array([1.0, 2.0, -3.0]), 3)
    testing.check_shape(features, (3, 3), "polynomial_features(x of shape (3,), degree 3)")
    testing.check_close(features, [[1, 1, 1], [2, 4, 8], [-3, 9, -27]], "polynomial_features([1, 2, -3], 3)",
                        hint=(
                            "column d - 1 holds x**d, starting at x**1 (no column of ones)"))

    s.hidden()
    testing.check_close(s.call("polynomial_features", np.array([0.5, -2.0]), 1), [[0.5], [-2.0]], "degree 1")
    x = np.random.default_rng(401).normal(size=7)
    features, (x_after, _), _ = s.call_with_inputs("polynomial_features", x, 6)
    testing.check_close(features, np.vander(x, 7, increasing=True)[:, 1:], "degree 6 on random x")
    testing.check_not_modified(x, x_after, "x")


# ----------------------------------------------------------------------------- ridge_fit


def _ridge(result) -> tuple:
    return _pair(result, "ridge_fit", "(w, b)")


def _ridge_mistakes(X: np.ndarray, y: np.ndarray, lam: float) -> list[tuple[str, np.ndarray, float]]:
    """Known wrong answers of ridge_fit for these inputs: (what went wrong, w, b), recomputed here."""
    num_samples, num_features = X.shape
    x_mean, y_mean = X.mean(axis=0), y.mean()
    X_c, y_c = X - x_mean, y - y_mean

    def solve(gram, rhs):
        return np.linalg.lstsq(gram, rhs, rcond=None)[0]

    ones = np.column_stack([X, np.ones(num_samples)])
    theta = solve(ones.T @ ones + lam * np.eye(num_features + 1), ones.T @ y)
    w_mean = solve(X_c.T @ X_c / num_samples + lam * np.eye(num_features), X_c.T @ y_c / num_samples)
    w_right = solve(X_c.T @ X_c + lam * np.eye(num_features), X_c.T @ y_c)
    w_raw = solve(X.T @ X + lam * np.eye(num_features), X.T @ y)
    return [
        ("the intercept b was penalised: a column of ones inside lam * I shrinks b too. Centre X and y (or leave b out "
         "of the penalty) and compute b = mean(y) - mean(X) . w afterwards", theta[:-1], float(theta[-1])),
        ("lam acts N times too strongly: the objective is a sum over samples, so use Xc^T Xc + lam I (not the mean "
         "Xc^T Xc / N)", w_mean, float(y_mean - x_mean @ w_mean)),
        ("no intercept: centre X and y before solving, then b = mean(y) - mean(X) . w", w_raw, 0.0),
        ("b = mean(y) alone forgets the features' means: b = mean(y) - mean(X) . w", w_right, float(y_mean)),
    ]


def _ridge_hint(X, y, lam, w, b, usual: str) -> str:
    """The likely mistake when ridge_fit's (w, b) is wrong: a recognised one, else ``usual``."""
    for what, w_wrong, b_wrong in _ridge_mistakes(X, y, lam):
        try:
            same = (np.shape(w) == np.shape(w_wrong) and np.allclose(np.asarray(w, dtype=float), w_wrong, rtol=1e-6, atol=1e-9)
                    and np.isclose(float(np.asarray(b, dtype=float)), b_wrong, rtol=1e-6, atol=1e-9))
        except (TypeError, ValueError):
            same = False
        if same:
            return what
    return usual


RIDGE_USUAL = ("w = (Xc^T Xc + lam I)^-1 Xc^T yc, a sum (not a mean) over samples, with the intercept left out of the "
               "penalty; then b = mean(y) - mean(X) . w")


@check("test_ridge_fit_values")
def ridge_fit_values(s):
    X_line, y_line = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([3.0, 5.0, 7.0, 9.0])
    plain, shrunk = s.call_many("ridge_fit", [(X_line, y_line, 0.0), (X_line, y_line, 5.0)])
    w, b = _ridge(plain)
    testing.check_shape(w, (1,), "w")
    testing.check_close(w, [2.0], "w for y = 2x + 1 with lam = 0",
                        hint=_ridge_hint(X_line, y_line, 0.0, w, b, "with lam = 0 this is least squares on centred X and y"))
    testing.check_close(testing.check_scalar(b, "b"), 1.0, "b for y = 2x + 1 with lam = 0",
                        hint=_ridge_hint(X_line, y_line, 0.0, w, b, "b = mean(y) - mean(x) . w"))
    # lam = 5: centred x is [-1.5, -0.5, 0.5, 1.5] (sum of squares 5), so w = 2 * 5 / (5 + 5) = 1 and b = 6 - 2.5 * 1
    w, b = _ridge(shrunk)
    hint = _ridge_hint(X_line, y_line, 5.0, w, b, RIDGE_USUAL)
    testing.check_close(w, [1.0], "w for y = 2x + 1 with lam = 5", hint=hint)
    testing.check_close(testing.check_scalar(b, "b"), 3.5, "b with lam = 5 (the intercept is not penalised)", hint=hint)

    s.hidden()
    X = np.array([-1.142, -1.069, -0.757, 0.769, -1.038, -1.026, -0.393, 1.388, -0.917, -0.697, 0.193, 0.145, 0.386,
                  -0.571, -0.936, -1.336, 0.33, -0.208, 0.427, 0.045, 1.39, 0.583, 0.165, 0.044, -0.51, -0.387,
                  -0.32, 1.522, -0.189, -0.597, 0.242, 0.722, -1.128, -2.331, -0.271, 1.025]).reshape(12, 3)
    y = np.array([-1.232, 0.267, -0.007, 0.502, -1.327, 1.108, 0.094, -1.171, -1.358, -1.307, -0.718, 1.186])
    w, b = _ridge(s.call("ridge_fit", X, y, 0.7))
    hint = _ridge_hint(X, y, 0.7, w, b, RIDGE_USUAL)
    testing.check_close(w, np.array([-0.39848130443837393, 0.2687612239622515, 0.3369224577154027]),
                        "w on a fixed 12x3 example with lam 0.7", hint=hint)
    testing.check_close(testing.check_scalar(b, "b"), -0.3050956838891511, "b on a fixed 12x3 example with lam 0.7",
                        hint=hint)


@check("test_ridge_fit_oracle")
def ridge_fit_oracle(s):
    # Oracle: scikit-learn's Ridge minimises the same objective (alpha = lam, intercept not penalised).
    rng = np.random.default_rng(402)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    w, b = _ridge(s.call("ridge_fit", X, y, 2.5))
    from sklearn.linear_model import LinearRegression, Ridge  # once the function answers (sklearn takes a while to load)

    oracle = Ridge(alpha=2.5).fit(X, y)
    hint = _ridge_hint(X, y, 2.5, w, b, RIDGE_USUAL)
    testing.check_close(w, oracle.coef_, "w against sklearn Ridge(alpha=2.5)", hint=hint)
    testing.check_close(testing.check_scalar(b, "b"), oracle.intercept_, "b against sklearn Ridge(alpha=2.5)", hint=hint)

    s.hidden()
    described = {0.0: "(no penalty)", 100.0: "(a strong penalty)", 1.0: "(more features than samples)"}
    for num_samples, num_features, lam in [(5, 1, 0.0), (50, 8, 0.0), (40, 6, 100.0), (3, 5, 1.0)]:
        X, y = rng.normal(size=(num_samples, num_features)), rng.normal(size=num_samples) + 3.0
        result, (X_after, y_after, _), _ = s.call_with_inputs("ridge_fit", X, y, lam)
        w, b = _ridge(result)
        oracle = (Ridge(alpha=lam) if lam > 0 else LinearRegression()).fit(X, y)
        where = f"for X {X.shape} {described[lam]}"
        hint = _ridge_hint(X, y, lam, w, b, RIDGE_USUAL)
        testing.check_close(w, oracle.coef_, f"w {where}", rtol=1e-6, atol=1e-8, hint=hint)
        testing.check_close(testing.check_scalar(b, "b"), oracle.intercept_, f"b {where}", rtol=1e-6, atol=1e-8, hint=hint)
        testing.check_not_modified(X, X_after, "X")
        testing.check_not_modified(y, y_after, "y")
    # a huge lam shrinks w to 0 and leaves b at mean(y)
    w, b = _ridge(s.call("ridge_fit", X, y, 1e12))
    hint = _ridge_hint(X, y, 1e12, w, b, RIDGE_USUAL)
    testing.check_close(w, np.zeros(5), "w for a huge lam (should shrink to 0)", atol=1e-8, hint=hint)
    testing.check_close(testing.check_scalar(b, "b"), y.mean(), "b for a huge lam (the mean of y)", atol=1e-8, hint=hint)


# ----------------------------------------------------------------------------- penalties


def _call_penalty(s, function: str, weights: list, lam: float) -> tuple:
    """``function(weights, lam)``: (penalty, grads, the weight arrays as they are after the call)."""
    result, (weights_after, _), _ = s.call_with_inputs(function, weights, lam)
    penalty, grads = _pair(result, function, "(penalty, grads)")
    return penalty, grads, weights_after


def _penalty_gradcheck(s, function: str, weights: list, weights_after, lam: float, grads, name: str) -> None:
    """The student's gradients against the numerical gradient of the student's own penalty at
    the weights as the call left them (as the notebook's test had it), all probe points in one
    round trip."""
    shapes = [w.shape for w in weights]
    ends = np.cumsum([0] + [w.size for w in weights])
    point = weights_after if [np.shape(w) for w in weights_after] == shapes else weights

    def penalties(points):
        calls = [([p[ends[i]:ends[i + 1]].reshape(shape) for i, shape in enumerate(shapes)], lam) for p in points]
        return [_pair(value, function, "(penalty, grads)")[0] for value in s.call_many(function, calls)]

    testing.assert_that(isinstance(grads, (tuple, list)), f"grads should be a list of arrays, got {_kind(grads)}.")
    flat = np.concatenate([np.ravel(w) for w in point])
    found = np.concatenate([np.ravel(g) for g in grads])
    if function == "l2_penalty":
        mistakes = [("the gradient of 0.5 * lam * W**2 is lam * W (no factor 2)", 2 * lam * flat),
                    ("the gradient of 0.5 * lam * W**2 is lam * W (the 1/2 cancels the 2 of the square)", 0.5 * lam * flat),
                    ("the gradient is lam * W, not lam * sign(W) (that is L1's)", lam * np.sign(flat)),
                    ("forgot lam: the gradient is lam * W", flat)]
        usual = "the gradient of 0.5 * lam * sum(W**2) is lam * W, one array per weight array, in the same order"
    else:
        mistakes = [("the L1 gradient is lam * sign(W), not lam * W (that is L2's)", lam * flat),
                    ("forgot lam: the gradient is lam * sign(W)", np.sign(flat)),
                    ("the gradient of lam * |W| is lam * sign(W) (no 1/2)", 0.5 * lam * np.sign(flat))]
        usual = "the gradient of lam * sum(|W|) is lam * np.sign(W), one array per weight array, in the same order"
    with explained(found, mistakes, usual):
        testing.check_gradient_batch(penalties, flat, found, name)


def _not_modified(weights: list, weights_after: list) -> None:
    for before, after in zip(weights, weights_after):
        testing.check_not_modified(before, after, "a weight array")


@check("test_l2_penalty")
def l2_penalty(s):
    penalty, grads = _pair(s.call("l2_penalty", WEIGHTS, 0.1), "l2_penalty", "(penalty, grads)")
    testing.check_close(testing.check_scalar(penalty, "penalty"), 0.05 * (1 + 4 + 9 + 0.25 + 0.25), "the L2 penalty",
                        hint=(
                            "0.5 * lam * (sum of every squared weight, over all arrays)"))
    testing.assert_that(isinstance(grads, list) and len(grads) == 2, "grads should be a list with one array per weight array")
    testing.check_close(grads[0], 0.1 * WEIGHTS[0], "the L2 gradient of the first array",
                        hint="lam * W: the 1/2 of the penalty cancels the 2 of the square")
    testing.check_close(grads[1], 0.1 * WEIGHTS[1], "the L2 gradient of the second array")

    s.hidden()
    rng = np.random.default_rng(403)
    weights = [rng.normal(size=shape) for shape in [(3, 4), (4,), (2, 2, 2)]]
    _, grads, weights_after = _call_penalty(s, "l2_penalty", weights, 0.3)
    _penalty_gradcheck(s, "l2_penalty", weights, weights_after, 0.3, grads, "the L2 gradients (numerical check)")
    _not_modified(weights, weights_after)
    zero, _ = _pair(s.call("l2_penalty", [np.ones(3)], 0.0), "l2_penalty", "(penalty, grads)")
    testing.check_close(testing.check_scalar(zero, "penalty"), 0.0, "lam = 0")


@check("test_l1_penalty")
def l1_penalty(s):
    penalty, grads = _pair(s.call("l1_penalty", WEIGHTS, 0.1), "l1_penalty", "(penalty, grads)")
    testing.check_close(testing.check_scalar(penalty, "penalty"), 0.1 * 7.0, "the L1 penalty", hint="lam * sum of |W| (no 1/2)")
    testing.check_close(_item(grads, 0, "grads"), [[0.1, -0.1], [0.0, 0.1]], "the L1 gradient of the first array",
                        hint=(
                            "lam * sign(W), 0 where W == 0"))
    testing.check_close(_item(grads, 1, "grads"), [0.1, -0.1], "the L1 gradient of the second array")

    s.hidden()
    rng = np.random.default_rng(404)
    weights = [rng.normal(size=shape) for shape in [(5,), (3, 3)]]
    penalty, grads, weights_after = _call_penalty(s, "l1_penalty", weights, 2.0)
    testing.check_close(testing.check_scalar(penalty, "penalty"), 2.0 * sum(np.abs(w).sum() for w in weights),
                        "the L1 penalty of random weights")
    _penalty_gradcheck(s, "l1_penalty", weights, weights_after, 2.0, grads, "the L1 gradients (numerical check away from 0)")
    _not_modified(weights, weights_after)


# ----------------------------------------------------------------------------- train_val_test_split


@check("test_train_val_test_split")
def train_val_test_split(s):
    X = np.arange(20, dtype=float).reshape(10, 2)  # row i is [2i, 2i + 1]
    (answer,) = _with_rng(s, "train_val_test_split", [((X, np.arange(10), 0.2, 0.3), 0)])
    parts = answer["result"]
    testing.assert_that(isinstance(parts, tuple) and len(parts) == 6,
                        "return six arrays: X_train, y_train, X_val, y_val, X_test, y_test")
    X_train, y_train, X_val, y_val, X_test, y_test = parts
    sizes = (len(y_train), len(y_val), len(y_test))
    testing.assert_that(sizes == (5, 2, 3), f"sizes (train, val, test) should be (5, 2, 3), got {sizes}")
    every = sorted(np.concatenate([y_train, y_val, y_test]).tolist()) == list(range(10))
    testing.assert_that(every, "every sample exactly once")
    testing.assert_that(all(np.array_equal(np.asarray(X_part)[:, 0], 2 * np.asarray(y_part))
                            for X_part, y_part in [(X_train, y_train), (X_val, y_val), (X_test, y_test)]),
                        "X and y must stay row-aligned")
    order = np.random.default_rng(0).permutation(10)
    testing.check_close(y_test, order[:3], "the test labels", hint="test = order[:n_test], then validation, then training")
    testing.check_close(y_val, order[3:5], "the validation labels")

    s.hidden()
    X_big, y_big = np.random.default_rng(5).normal(size=(101, 3)), np.arange(101)
    cases = [(0.15, 0.15, 1), (0.0, 0.25, 2), (0.33, 0.0, 3), (0.375, 0.1, 4)]  # 0.375 * 101 = 37.9 rounds to 38
    answers = _with_rng(s, "train_val_test_split", [((X_big, y_big, val_f, test_f), seed) for val_f, test_f, seed in cases])
    for number, ((val_f, test_f, seed), answer) in enumerate(zip(cases, answers), start=1):
        expected = data.split_train_val_test(X_big, y_big, val_fraction=val_f, test_fraction=test_f, seed=seed)
        got = answer["result"]
        testing.assert_that(isinstance(got, tuple) and len(got) == 6,
                            "return six arrays: X_train, y_train, X_val, y_val, X_test, y_test")
        sizes_got = [len(part) for part in got[1::2]]
        testing.assert_that(sizes_got == [len(part) for part in expected[1::2]],
                            f"for N = 101 (hidden case {number} of 4) the sizes (train, val, test) {sizes_got} are "
                            "wrong: n = round(fraction * N), not int(fraction * N)")
        for name, mine, theirs in zip(["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"], got, expected):
            testing.check_close(mine, theirs, f"{name} for N = 101 (hidden case {number} of 4)")


# ----------------------------------------------------------------------------- early_stopping


def _epochs(result) -> tuple:
    """``tuple(result)``, as the notebook's test took it."""
    try:
        return tuple(result)
    except TypeError:
        raise AssertionError(f"early_stopping should return a tuple (best_epoch, stop_epoch), got {_kind(result)}.") from None


@check("test_early_stopping")
def early_stopping(s):
    first, plateau, just_in_time = s.call_many("early_stopping", [([5.0, 4.0, 3.0, 3.5, 3.6, 2.0], 2),
                                                                  ([2.0, 2.0, 2.0], 2),
                                                                  ([3.0, 2.0, 2.0, 2.0, 1.0], 3)])
    testing.assert_that(_epochs(first) == (2, 4),
                        f"for losses [5, 4, 3, 3.5, 3.6, 2] and patience 2 expected (best 2, stop 4), got {first}: "
                        "the later 2.0 is never seen because training stopped at epoch 4")
    testing.assert_that(_epochs(plateau) == (0, 2),
                        "a plateau: equal losses are not improvements, so best stays 0 and training stops at epoch 2: expected (0, 2)")
    testing.assert_that(_epochs(just_in_time) == (4, 4),
                        "epoch 4 improves just in time (update the best first, then check): expected (4, 4)")

    s.hidden()
    cases = [([1.0, 2.0, 3.0], 1, (0, 1)), ([1.0], 5, (0, 0)), ([3.0, 2.0, 1.0, 0.5], 1, (3, 3)),
             ([2.0, 2.0, 2.0, 2.0], 2, (0, 2)), ([5.0, 1.0, 1.0, 0.9, 2.0, 3.0, 0.1], 3, (6, 6)),
             ([5.0, 1.0, 1.0, 0.9, 2.0, 3.0, 4.0, 0.1], 3, (3, 6)), ([4.0, 3.0, 5.0, 6.0, 7.0, 8.0], 10, (1, 5))]
    results = s.call_many("early_stopping", [(losses, patience) for losses, patience, _ in cases])
    for (losses, _, expected), got in zip(cases, results):
        epochs = _epochs(got)
        try:
            right = tuple(int(v) for v in epochs) == expected and all(isinstance(v, (int, np.integer)) for v in epochs)
        except (TypeError, ValueError):
            right = False
        testing.assert_that(right,
                            f"early_stopping on a hidden curve of {len(losses)} losses returned {got}: best_epoch is the "
                            "first epoch with the lowest loss so far (only a strictly lower loss counts), training stops "
                            "at the first epoch e with e - best_epoch >= patience (or at the last epoch), and both are "
                            "python ints")


# ----------------------------------------------------------------------------- dropout


@check("test_dropout_forward_train")
def dropout_forward_train(s):
    x = np.arange(1.0, 9.0).reshape(2, 4)
    small, big = _with_rng(s, "dropout_forward", [((x, 0.5, True), 0), ((np.ones((200, 500)), 0.8, True), 1)])
    testing.check_not_modified(x, small["args"][0], "x")
    mask = np.random.default_rng(0).random((2, 4)) < 0.5
    testing.check_close(_forward_out(small), x * mask / 0.5, "dropout_forward(x, 0.5, train=True, default_rng(0))",
                        hint=(
                            "mask = rng.random(x.shape) < keep_prob; out = x * mask / keep_prob (inverted dropout)"))
    out_ones = np.asarray(_forward_out(big))
    testing.check_close(out_ones.mean(), 1.0, "the mean of inverted dropout on ones (keep_prob 0.8)", rtol=0.01,
                        hint=(
                            "dividing by keep_prob keeps the expected activation unchanged"))
    testing.check_close(np.mean(out_ones == 0), 0.2, "the fraction of dropped units (keep_prob 0.8)", atol=0.01)

    s.hidden()
    cases = [(0.3, (3, 3, 3), 7), (0.9, (1,), 8), (0.5, (50,), 9)]
    inputs = [np.random.default_rng(seed + 100).normal(size=shape) for _, shape, seed in cases]
    answers = _with_rng(s, "dropout_forward", [((x_r, keep, True), seed) for x_r, (keep, _, seed) in zip(inputs, cases)]
                        + [((x, 1.0, True), 3)])
    for x_r, (keep, shape, seed), answer in zip(inputs, cases, answers):
        mask = np.random.default_rng(seed).random(shape) < keep
        testing.check_close(_forward_out(answer), x_r * mask / keep, f"dropout_forward in training for x of shape {shape}")
        testing.check_not_modified(x_r, answer["args"][0], "x")
    testing.check_close(_forward_out(answers[-1]), x, "keep_prob = 1 in training (the identity)")


@check("test_dropout_forward_test_mode")
def dropout_forward_test_mode(s):
    x = np.arange(1.0, 9.0).reshape(2, 4)
    (answer,) = _with_rng(s, "dropout_forward", [((x, 0.5, False), 2)])
    testing.check_close(_forward_out(answer), x, "dropout_forward at test time", hint="train=False: no mask and no scaling")
    testing.check_close(answer["next_random"], np.random.default_rng(2).random(), "the next number of rng after a test-mode call",
                        hint=(
                            "test mode must not draw from rng"))

    s.hidden()
    (answer,) = _with_rng(s, "dropout_forward", [((np.array([[-3.0]]), 0.1, False), 4)])
    testing.check_close(_forward_out(answer), [[-3.0]], "test mode with a small keep_prob")


@check("test_dropout_backward")
def dropout_backward(s):
    x = np.random.default_rng(50).normal(size=(3, 4))
    dout = np.random.default_rng(51).normal(size=(3, 4))
    # the cache comes from the student's own forward pass (seed 5), in the kernel
    (answer,) = _with_rng(s, "dropout_forward", [((x, 0.6, True), 5, (dout,))], backward="dropout_backward")
    # the same seed gives the same mask, so the forward pass is a fixed linear map that can be checked numerically
    mask = np.random.default_rng(5).random((3, 4)) < 0.6
    mistakes = [("forgot to divide by keep_prob: the forward pass scaled by 1 / keep_prob, so the backward pass does too",
                 dout * mask),
                ("ignored the mask: units dropped in the forward pass get no gradient", dout / 0.6),
                ("multiplied by keep_prob instead of dividing by it", dout * mask * 0.6),
                ("drew a new mask in the backward pass: use the forward pass's mask from the cache", None)]
    with explained(answer["backward"], mistakes, "dx = dout * mask / keep_prob with the forward pass's mask"):
        testing.check_array_gradient(lambda z: z * mask / 0.6, x, dout, answer["backward"], "dropout_backward in training")

    s.hidden()
    test_mode, keep_all = _with_rng(s, "dropout_forward", [((x, 0.6, False), 6, (dout,)), ((x, 1.0, True), 7, (dout,))],
                                    backward="dropout_backward")
    testing.check_close(test_mode["backward"], dout, "dropout_backward at test time (identity)")
    testing.check_not_modified(dout, test_mode["backward_args"][0], "dout")
    testing.check_close(keep_all["backward"], dout, "dropout_backward with keep_prob 1")


# ----------------------------------------------------------------------------- build_regularized_mlp


@functools.cache
def _keras_here() -> None:
    """TensorFlow in the checker, quiet, with GPU memory growth (for the rebuilt models)."""
    from helpers import device

    device.configure_tensorflow()


def _model(s, *args) -> tuple:
    """``build_regularized_mlp(*args)`` kept in the kernel, and the model rebuilt here."""
    handle = s.keep("build_regularized_mlp", *args, isolate=TF)
    found = handle.read()
    testing.assert_that(isinstance(found, wire.KerasModel),
                        f"build_regularized_mlp should return a tf.keras.Model, got {_kind(found)}")
    _keras_here()
    try:
        model = found.rebuild()
    except Exception as exc:  # noqa: BLE001 - whatever keeps Keras from rebuilding it
        raise AssertionError(f"the model could not be rebuilt from its config ({type(exc).__name__}): build it from "
                             "built-in Keras layers (tf.keras.Sequential or the functional API)") from None
    return handle, model


def _layers(model) -> tuple[list, list]:
    import keras

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    dropout = [layer for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    return dense, dropout


@check("test_build_regularized_mlp_structure")
def build_regularized_mlp_structure(s):
    handle, model = _model(s, 8, 3, [16, 4], 0.01, 0.25)
    import keras  # loaded by the rebuild above

    dense, dropout = _layers(model)
    testing.assert_that([layer.units for layer in dense] == [16, 4, 3],
                        f"Dense sizes should be [16, 4, 3], got {[layer.units for layer in dense]}")
    testing.assert_that(len(dropout) == 2 and all(abs(layer.rate - 0.25) < 1e-12 for layer in dropout),
                        f"one Dropout(rate=0.25) after each hidden layer, got rates {[layer.rate for layer in dropout]}")
    order = [type(layer).__name__ for layer in model.layers if isinstance(layer, (keras.layers.Dense, keras.layers.Dropout))]
    testing.assert_that(order == ["Dense", "Dropout", "Dense", "Dropout", "Dense"],
                        f"layers should come in the order Dense, Dropout, Dense, Dropout, Dense (dropout AFTER each hidden "
                        f"layer), got {order}")
    testing.check_shape(handle(np.zeros((5, 8), dtype=np.float32)), (5, 3), "the model's output for 5 inputs")
    losses = handle.read("losses")
    testing.assert_that(isinstance(losses, list) and len(losses) == 3,
                        f"model.losses should hold one L2 term per Dense layer (3), got "
                        f"{len(losses) if isinstance(losses, list) else _kind(losses)}")
    expected_l2 = sum(0.01 * float(np.sum(np.asarray(layer.kernel) ** 2)) for layer in dense)
    testing.check_close(float(np.sum([testing.check_scalar(loss, "a term of model.losses") for loss in losses])),
                        expected_l2, "the sum of model.losses", rtol=1e-5,
                        hint=(
                            "kernel_regularizer=tf.keras.regularizers.L2(l2) on every Dense layer (kernels only)"))

    s.hidden()
    handle, model = _model(s, 4, 2, [7], 0.5, 0.0)
    losses = handle.read("losses")
    testing.assert_that(isinstance(losses, list) and len(losses) == 2, "two Dense layers, two L2 terms")
    testing.assert_that(model.layers[-1].get_config().get("activation") in ("linear", None),
                        "the output layer must produce logits (no activation)")
    dense, _ = _layers(model)
    testing.assert_that(dense and dense[0].get_config().get("activation") == "relu", "hidden layers use ReLU")
    handle, _ = _model(s, 3, 4, [], 0.1, 0.5)
    testing.check_shape(handle(np.ones((2, 3), dtype=np.float32)), (2, 4), "a model without hidden layers")


@check("test_build_regularized_mlp_modes")
def build_regularized_mlp_modes(s):
    model = s.keep("build_regularized_mlp", 10, 4, [64], 0.0, 0.5, isolate=TF)
    inputs = np.random.default_rng(0).normal(size=(32, 10)).astype(np.float32)
    inference = [model(inputs, training=False) for _ in range(2)]
    training = [model(inputs, training=True) for _ in range(2)]
    testing.check_close(inference[0], inference[1], "two calls with training=False (deterministic)", rtol=1e-6)
    testing.assert_that(not np.allclose(training[0], training[1]),
                        "two calls with training=True should differ (dropout is active)")
    testing.assert_that(not np.allclose(training[0], inference[0]),
                        "training=True and training=False should differ with dropout 0.5")

    s.hidden()
    model = s.keep("build_regularized_mlp", 10, 4, [16], 0.0, 0.0, isolate=TF)
    testing.check_close(model(inputs, training=True), model(inputs, training=False),
                        "with dropout_rate 0 training and test mode agree", rtol=1e-6)
