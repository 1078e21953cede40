"""Trusted checks of notebook 01 (``solutions/01_linear_regression/linear_regression.ipynb``).

One check per graded cell. Each builds its own inputs (the seeds and values of the notebook's
test cells), asks the student's kernel for the results and judges them here. The part before
``s.hidden()`` repeats the notebook's visible test cell; the rest are the hidden cases, whose
messages say what is wrong without showing expected values.
"""

from __future__ import annotations

import numpy as np

from grading.trusted.registry import check
from helpers import data, testing

#: ``fit_linear_tf`` sees TensorFlow as ``tf``. The notebook imports it in a cell of its own,
#: which the reference namespace (set-up cell and answer cells only) does not run; TF's public
#: ``tf.compat.v2`` is the same API (the same Keras, the same ops).
TF = {"tf": "tensorflow:compat.v2"}

# The 4x3 example of the hidden cases (shared by predict, mse_cost, mse_gradients, gradient_descent).
X_4X3 = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [-2.0, 1.0, 1.0], [0.0, 3.0, -1.0]])
W_4X3 = np.array([0.2, -0.4, 0.1])
B_4X3 = -0.7
Y_4X3 = np.array([1.0, -0.5, 0.25, 2.0])

# The 3x2 example the notebook's visible cells work out by hand.
X_3X2 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
W_3X2 = np.array([0.5, -1.0])
Y_3X2 = np.array([1.0, 0.0, -3.0])


# ----------------------------------------------------------------------------- helpers


def _kind(value) -> str:
    """A type name for messages (never a name the student chose)."""
    plain = (type(None), bool, int, float, str, list, tuple, dict, np.ndarray)
    return type(value).__name__ if isinstance(value, plain) or isinstance(value, np.generic) else "other object"


def _unpack(result, count: int, message: str) -> tuple:
    """``result`` as a tuple of ``count`` items, or an AssertionError with ``message``."""
    testing.assert_that(isinstance(result, tuple) and len(result) == count, message)
    return result


def _pair(result, function: str, names: str = "(dw, db)") -> tuple:
    return _unpack(result, 2, f"{function} should return a tuple {names} but returned {_kind(result)}"
                              f"{' of length ' + str(len(result)) if isinstance(result, (tuple, list)) else ''}.")


def _triple(result, function: str, names: str) -> tuple:
    return _unpack(result, 3, f"{function} should return a tuple {names} but returned {_kind(result)}"
                              f"{' of length ' + str(len(result)) if isinstance(result, (tuple, list)) else ''}.")


def _cost(X, y, w, b):
    """The least-squares cost, written out here (independent of the student's mse_cost)."""
    residuals = X @ w + b - y
    return 0.5 * np.mean(residuals**2)


#: ``float(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0)[0])``: the
#: W that ``fit_linear_tf`` starts from. Stateless draws are the same on every device and
#: version (Philox); kept here so that grading needs no TensorFlow in the grader (~650 MB),
#: and checked against TensorFlow by ``tests/grading/test_checks.py``.
STATELESS_W = {
    0: -0.5779690742492676, 1: 0.7569763660430908, 2: 0.6019580364227295, 3: -0.6081743240356445,
    4: 0.1611955165863037, 5: -0.876293420791626, 6: -0.21436524391174316, 7: 0.4941575527191162,
    8: 0.048906803131103516, 9: 0.5152308940887451, 10: -0.7919964790344238, 11: 0.7080855369567871,
    12: 0.8171491622924805, 13: 0.8722126483917236, 14: -0.558969259262085, 15: -0.5358047485351562,
    42: -0.435133695602417, 123: -0.04798412322998047,
}


def _initial_W(seed: int) -> float:
    """The W that fit_linear_tf must start from (TensorFlow's stateless draw)."""
    if seed in STATELESS_W:
        return STATELESS_W[seed]
    from helpers import device

    device.configure_tensorflow()
    tf = device.import_tensorflow()
    return float(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0)[0])


def _exact_gradients(X, y, w, b):
    """dJ/dw and dJ/db of J = mean((X w + b - y)**2) / 2, in float64: what TensorFlow's
    GradientTape gives (the notebook's oracle), written out so the grader needs no TensorFlow."""
    residuals = np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b - y
    return X.T @ residuals / len(y), float(np.mean(residuals))


def _lstsq(X, y):
    """theta = [w, b] of the least-squares fit with an intercept."""
    return np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]


# ----------------------------------------------------------------------------- stand-ins
# Sent to the kernel as source and run there in a scope that holds only ``np``: each must be
# self-contained. gradient_descent runs with them (``GD_ISOLATION``), so a mistake in predict,
# mse_cost or mse_gradients is charged once, in their own tests, and never again in
# gradient_descent's. The notebook's visible cells do the same with ``testing.isolate`` (there
# the gradient is the numerical gradient of the written-out cost, which agrees to ~1e-10).


def reference_predict(X, w, b):
    """Stand-in for the student's ``predict``."""
    return X @ w + b


def reference_mse_cost(X, y, w, b):
    """Stand-in for the student's ``mse_cost``."""
    return float(0.5 * np.mean((X @ w + b - y) ** 2))


def reference_mse_gradients(X, y, w, b):
    """Stand-in for the student's ``mse_gradients``."""
    residuals = X @ w + b - y
    return X.T @ residuals / X.shape[0], float(np.mean(residuals))


GD_ISOLATION = {"predict": reference_predict, "mse_cost": reference_mse_cost,
                "mse_gradients": reference_mse_gradients}


# ----------------------------------------------------------------------------- predict


@check("test_predict_shape")
def predict_shape(s):
    X = np.arange(12, dtype=np.float64).reshape(4, 3)
    y_hat = s.call("predict", X, np.array([0.5, -1.0, 2.0]), 0.25)
    testing.check_type(y_hat, np.ndarray, "predict(X, w, b)")
    testing.check_shape(y_hat, (4,), "predict(X, w, b) for X of shape (4, 3)")
    testing.check_dtype(y_hat, np.floating, "predict(X, w, b)")

    s.hidden()
    # a single sample with a single feature, and shapes where N < D, N == D, N > D
    rng = np.random.default_rng(101)
    cases = []
    for num_samples, num_features in [(1, 1), (7, 2), (2, 7), (5, 5), (1, 6)]:
        X = rng.normal(size=(num_samples, num_features))
        cases.append((X, rng.normal(size=num_features), 0.5))
    for (X, _, _), out in zip(cases, s.call_many("predict", cases)):
        testing.check_shape(out, (X.shape[0],), f"predict(X, w, b) for X of shape {X.shape}")
        testing.check_dtype(out, np.floating, f"predict(X, w, b) for X of shape {X.shape}")


@check("test_predict_values")
def predict_values(s):
    testing.check_close(s.call("predict", X_3X2, W_3X2, 2.0), np.array([0.5, -0.5, -1.5]),
                        "predict(X, w, b) on the 3x2 example", hint=(
                            "entry i is X[i, 0] * w[0] + X[i, 1] * w[1] + b: did you add b, and use every feature?"))

    s.hidden()
    fixed, deck = s.call_many("predict", [(X_4X3, W_4X3, B_4X3),
                                          (np.array([[-1.0], [0.0], [0.55], [2.0]]), np.array([0.1]), 0.3)])
    testing.check_close(fixed, np.array([0.0, -0.4499999999999999, -1.4, -2.0]), "predict on a 4x3 example with a negative bias")
    # the deck's line y = 0.1 x + 0.3 at a few points (D = 1)
    testing.check_close(deck, np.array([0.2, 0.3, 0.355, 0.5]), "predict on the deck's line y = 0.1x + 0.3")
    # independent oracle (einsum) on random shapes: one sample, N == D, large magnitudes
    rng = np.random.default_rng(202)
    for num_samples, num_features, scale in [(1, 4, 1.0), (9, 3, 1.0), (5, 5, 1.0), (6, 2, 1e6)]:
        X = rng.normal(size=(num_samples, num_features)) * scale
        w = rng.normal(size=num_features)
        b = float(rng.normal() * scale)
        out, (X_after, w_after, _), _ = s.call_with_inputs("predict", X, w, b)
        described = f"predict for X of shape {X.shape}" + (" (values in the millions)" if scale > 1 else "")
        testing.check_close(out, np.einsum("nd,d->n", X, w) + b, described, rtol=1e-10)
        testing.check_not_modified(X, X_after, "X")
        testing.check_not_modified(w, w_after, "w")


# ----------------------------------------------------------------------------- mse_cost


@check("test_mse_cost_type")
def mse_cost_type(s):
    cost = testing.check_scalar(s.call("mse_cost", X_3X2, Y_3X2, W_3X2, 2.0), "mse_cost(X, y, w, b)")
    testing.assert_that(cost >= 0.0, f"mse_cost returned {cost}, but a sum of squares cannot be negative.")
    perfect = testing.check_scalar(s.call("mse_cost", X_3X2, X_3X2 @ W_3X2 + 2.0, W_3X2, 2.0),
                                   "mse_cost(X, y, w, b) for a perfect fit")
    testing.check_close(perfect, 0.0, "mse_cost for predictions equal to y", atol=1e-12,
                        hint=(
                            "when every prediction equals its target the cost must be exactly 0; if it is not, "
                            "check that predict returns shape (N,), not (N, 1): (N, 1) - (N,) broadcasts to (N, N)"))

    s.hidden()
    # the answer must be a single number for every shape
    rng = np.random.default_rng(303)
    shapes = [(1, 3), (6, 1), (4, 4), (50, 7)]
    cases = [(rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), 0.1) for n, d in shapes]
    for (n, d), cost in zip(shapes, s.call_many("mse_cost", cases)):
        testing.check_scalar(cost, f"mse_cost for X of shape ({n}, {d})")


@check("test_mse_cost_values")
def mse_cost_values(s):
    # residuals [-0.5, -0.5, 1.5]: J = 2.75 / 6
    cost = testing.check_scalar(s.call("mse_cost", X_3X2, Y_3X2, W_3X2, 2.0), "mse_cost(X, y, w, b)")
    testing.check_close(cost, 2.75 / 6, "mse_cost on the 3x2 example", hint=(
        "J = sum of squared residuals / (2N). 0.9167 means the 1/2 is missing; 1.375 means you "
        "divided by 2 but not by N."))

    s.hidden()
    x_deck, y_deck = data.linear_regression_data(num_points=1000, seed=5)
    one, fixed, deck = s.call_many("mse_cost", [
        (np.array([[2.0]]), np.array([1.0]), np.array([3.0]), -1.0),
        (X_4X3, Y_4X3, W_4X3, B_4X3),
        (x_deck.reshape(-1, 1), y_deck, np.array([0.1]), 0.3),
    ])
    # one sample, one feature: J = (w x + b - y)^2 / 2
    testing.check_close(testing.check_scalar(one, "mse_cost for a single sample"), 8.0,
                        "mse_cost for one sample (w x + b - y = 4)", hint="with N = 1 the cost is (prediction - y)**2 / 2")
    testing.check_close(testing.check_scalar(fixed, "mse_cost"), 2.465625, "mse_cost on a 4x3 example with a negative bias")
    # the deck's data at its true parameters: J is half the noise variance, ~0.03**2 / 2
    noise = y_deck - (0.1 * x_deck + 0.3)
    testing.check_close(testing.check_scalar(deck, "mse_cost"), float(np.sum(noise**2) / 2000),
                        "mse_cost on the deck's data at W = 0.1, b = 0.3")


@check("test_mse_cost_oracle")
def mse_cost_oracle(s):
    rng = np.random.default_rng(404)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    w = rng.normal(size=3)
    cost = s.call("mse_cost", X, y, w, -0.3)
    from sklearn.metrics import mean_squared_error  # once the function answers (sklearn takes a while to load)

    testing.check_close(testing.check_scalar(cost, "mse_cost"), mean_squared_error(y, X @ w - 0.3) / 2,
                        "mse_cost on random X of shape (20, 3)", hint=(
                            "compare with sklearn.metrics.mean_squared_error(y, y_hat) / 2"))

    s.hidden()
    for num_samples, num_features, scale in [(1, 1, 1.0), (1, 5, 1.0), (7, 7, 1.0), (300, 8, 1.0), (40, 3, 1e4)]:
        X = rng.normal(size=(num_samples, num_features)) * scale
        y = rng.normal(size=num_samples) * scale**2
        w = rng.normal(size=num_features) * scale
        b = float(rng.normal() * scale)
        cost, (X_after, y_after, w_after, _), _ = s.call_with_inputs("mse_cost", X, y, w, b)
        described = f"mse_cost for X of shape {X.shape}" + (" (large magnitudes)" if scale > 1 else "")
        testing.check_close(testing.check_scalar(cost, "mse_cost"),
                            mean_squared_error(y, np.einsum("nd,d->n", X, w) + b) / 2, described)
        testing.check_not_modified(X, X_after, "X")
        testing.check_not_modified(y, y_after, "y")
        testing.check_not_modified(w, w_after, "w")


# ----------------------------------------------------------------------------- mse_gradients


@check("test_mse_gradients_shape")
def mse_gradients_shape(s):
    rng = np.random.default_rng(505)
    result = s.call("mse_gradients", rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3), 0.5)
    dw, db = _pair(result, "mse_gradients")
    testing.assert_that(np.shape(dw) == (3,),
                        f"dw for X of shape (6, 3) has shape {np.shape(dw)} but should be (3,). If it has an "
                        "extra axis of size N, the residual probably has shape (N, 1): check that predict returns "
                        "shape (N,) (a (N, 1) - (N,) subtraction broadcasts to (N, N)).")
    testing.check_scalar(db, "db")

    s.hidden()
    shapes = [(1, 1), (1, 4), (3, 7), (5, 5), (40, 2)]
    cases = [(rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d), -0.2) for n, d in shapes]
    for (n, d), result in zip(shapes, s.call_many("mse_gradients", cases)):
        dw, db = _pair(result, "mse_gradients")
        testing.check_shape(dw, (d,), f"dw for X of shape ({n}, {d})")
        testing.check_dtype(dw, np.floating, "dw")
        testing.check_scalar(db, f"db for X of shape ({n}, {d})")


@check("test_mse_gradients_values")
def mse_gradients_values(s):
    # residuals r = [-0.5, -0.5, 1.5]: dw = X^T r / 3 = [5.5, 6] / 3 and db = 0.5 / 3
    dw, db = _pair(s.call("mse_gradients", X_3X2, Y_3X2, W_3X2, 2.0), "mse_gradients")
    testing.check_close(dw, np.array([5.5 / 3, 2.0]), "dw on the 3x2 example", hint="dw = X.T @ (y_hat - y) / N")
    testing.check_close(testing.check_scalar(db, "db"), 0.5 / 3, "db on the 3x2 example",
                        hint=(
                            "db = mean(y_hat - y): a negative value means you used y - y_hat"))

    s.hidden()
    fixed, one = s.call_many("mse_gradients", [(X_4X3, Y_4X3, W_4X3, B_4X3),
                                               (np.array([[2.0, -1.0]]), np.array([2.0]), np.array([2.0, -2.0]), 1.0)])
    dw, db = _pair(fixed, "mse_gradients")
    testing.check_close(dw, np.array([0.71875, -3.1625, 0.08125000000000004]), "dw on a 4x3 example")
    testing.check_close(testing.check_scalar(db, "db"), -1.65, "db on a 4x3 example")
    # one sample: dw = r * x, db = r with r = w x + b - y = 6 + 1 - 2 = 5
    dw, db = _pair(one, "mse_gradients")
    testing.check_close(dw, np.array([10.0, -5.0]), "dw for a single sample")
    testing.check_close(testing.check_scalar(db, "db"), 5.0, "db for a single sample")


def _gradcheck(X, y, w, b, result, where: str = "") -> None:
    """The student's (dw, db) against the numerical gradient of the cost written out here."""
    dw, db = _pair(result, "mse_gradients")
    testing.check_gradient(lambda v: _cost(X, y, v, b), w.copy(), dw, f"dw{where}")
    testing.check_gradient(lambda v: _cost(X, y, w, v[0]), np.array([b]),
                           np.array([testing.check_scalar(db, "db")]), f"db{where}")


@check("test_mse_gradients_gradcheck")
def mse_gradients_gradcheck(s):
    rng = np.random.default_rng(606)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)
    w, b = rng.normal(size=3), 0.7
    _gradcheck(X, y, w, b, s.call("mse_gradients", X, y, w, b))

    s.hidden()
    cases = []
    for num_samples, num_features, scale in [(1, 1, 1.0), (1, 5, 1.0), (4, 4, 1.0), (30, 6, 1.0), (25, 3, 10.0)]:
        X = rng.normal(size=(num_samples, num_features)) * scale
        y = rng.normal(size=num_samples) * scale
        w, b = rng.normal(size=num_features), float(rng.normal())
        cases.append((X, y, w, b))
    for case, result in zip(cases, s.call_many("mse_gradients", cases)):
        _gradcheck(*case, result, where=f" for X of shape {case[0].shape}")


@check("test_mse_gradients_oracle")
def mse_gradients_oracle(s):
    # (1) at the least-squares solution (np.linalg.lstsq) the gradient vanishes;
    # (2) TensorFlow's automatic differentiation (float64) gives the same gradient anywhere.
    rng = np.random.default_rng(707)
    X = rng.normal(size=(50, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.8 + 0.1 * rng.normal(size=50)
    theta = _lstsq(X, y)
    w_away = theta[:-1] + rng.normal(size=4)
    at_best, away = s.call_many("mse_gradients", [(X, y, theta[:-1], float(theta[-1])), (X, y, w_away, 0.0)])
    dw, db = _pair(at_best, "mse_gradients")
    testing.check_close(dw, np.zeros(4), "dw at the least-squares solution", atol=1e-10,
                        hint=(
                            "at the minimum of J every partial derivative is 0"))
    testing.check_close(testing.check_scalar(db, "db"), 0.0, "db at the least-squares solution", atol=1e-10,
                        hint=(
                            "at the minimum of J every partial derivative is 0"))
    dw, db = _pair(away, "mse_gradients")
    dw_tf, db_tf = _exact_gradients(X, y, w_away, 0.0)
    testing.check_close(dw, dw_tf, "dw vs the exact gradient (TensorFlow's GradientTape) on X of shape (50, 4)", rtol=1e-7)
    testing.check_close(testing.check_scalar(db, "db"), db_tf, "db vs the exact gradient (TensorFlow's GradientTape)", rtol=1e-7)

    s.hidden()
    cases = []
    for num_samples, num_features, scale in [(1, 1, 1.0), (1, 3, 1.0), (6, 6, 1.0), (200, 9, 1.0), (30, 2, 1e3)]:
        X = rng.normal(size=(num_samples, num_features)) * scale
        y = rng.normal(size=num_samples) * scale
        w, b = rng.normal(size=num_features), float(rng.normal())
        cases.append((X, y, w, b))
    for case, result in zip(cases, s.call_many("mse_gradients", cases)):
        dw, db = _pair(result, "mse_gradients")
        dw_tf, db_tf = _exact_gradients(*case)
        shape = case[0].shape
        testing.check_close(dw, dw_tf, f"dw for X of shape {shape} vs TensorFlow", rtol=1e-7)
        testing.check_close(testing.check_scalar(db, "db"), db_tf, f"db for X of shape {shape} vs TensorFlow", rtol=1e-7)


# ----------------------------------------------------------------------------- gradient_descent


def _gd_result(result) -> tuple:
    return _triple(result, "gradient_descent", "(w, b, history)")


@check("test_gradient_descent_shapes")
def gradient_descent_shapes(s):
    rng = np.random.default_rng(808)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    w, b, history = _gd_result(s.call("gradient_descent", X, y, 0.1, 10, isolate=GD_ISOLATION))
    testing.check_shape(w, (3,), "w returned by gradient_descent")
    testing.check_scalar(b, "b returned by gradient_descent")
    testing.check_type(history, np.ndarray, "history")
    length = np.asarray(history).size
    testing.assert_that(length != 10, "history has 10 entries but should have num_steps + 1 = 11: did you forget to "
                                      "record the cost before the first step?")
    testing.assert_that(length != 12, "history has 12 entries but should have num_steps + 1 = 11: did you record "
                                      "the initial cost twice?")
    testing.check_shape(history, (11,), "history for num_steps = 10")
    testing.check_dtype(history, np.floating, "history")

    s.hidden()
    # num_steps = 0: no update at all
    start = np.array([0.3, -0.2, 0.1])
    calls = [((X, y, 0.1, 0), {"w0": start, "b0": 0.4})]
    # one sample, one feature; many features
    sizes = [(1, 1, 3), (2, 9, 5), (30, 1, 1)]
    for n, d, steps in sizes:
        calls.append(((rng.normal(size=(n, d)), rng.normal(size=n), 0.05, steps), {}))
    zero, *others = s.call_many("gradient_descent", calls, isolate=GD_ISOLATION)
    w, b, history = _gd_result(zero)
    testing.assert_that(np.shape(history) == (1,),
                        f"history for num_steps = 0 has shape {np.shape(history)} but should be (1,): "
                        "just the cost at the starting point.")
    testing.check_close(w, start, "w after 0 steps (must equal w0)")
    testing.check_close(testing.check_scalar(b, "b"), 0.4, "b after 0 steps (must equal b0)")
    for (n, d, steps), result in zip(sizes, others):
        w, b, history = _gd_result(result)
        testing.check_shape(w, (d,), f"w for X of shape ({n}, {d})")
        testing.check_scalar(b, "b")
        testing.assert_that(np.shape(history) == (steps + 1,),
                            f"history for num_steps = {steps} has shape {np.shape(history)} but should be "
                            "(num_steps + 1,): one cost before the first update, then one after each update.")


def _replay_gd(X, y, lr, num_steps, w, b):
    """Step-by-step replay of gradient descent (simultaneous updates)."""
    costs = [_cost(X, y, w, b)]
    for _step in range(num_steps):
        r = X @ w + b - y
        w, b = w - lr * X.T @ r / len(y), b - lr * np.mean(r)
        costs.append(_cost(X, y, w, b))
    return w, b, np.array(costs)


@check("test_gradient_descent_values")
def gradient_descent_values(s):
    # history[0] = J(w0, b0) and history[-1] = J(w, b) at the returned parameters
    rng = np.random.default_rng(909)
    X, y = rng.normal(size=(25, 2)), rng.normal(size=25)
    start = np.array([1.0, -1.0])
    w, b, history = _gd_result(s.call("gradient_descent", X, y, 0.1, 5, w0=start, b0=0.5, isolate=GD_ISOLATION))
    testing.assert_that(np.shape(history) == (6,),
                        f"history has shape {np.shape(history)} but should be (num_steps + 1,) = (6,): "
                        "one cost before the first update, then one after each of the 5 updates.")
    # gradient_descent ran with correct stand-ins for mse_cost and mse_gradients (GD_ISOLATION), so the
    # history is judged against the cost written out here: a mistake in those is charged once, in their tests.
    testing.check_close(history[0], _cost(X, y, start, 0.5), "history[0] (the cost at w0, b0)",
                        hint=(
                            "record the cost before the first update, at the starting point (w0, b0)"))
    b_value = testing.check_scalar(b, "b")
    testing.check_close(history[-1], _cost(X, y, w, b_value), "history[-1] (the cost at the returned w, b)",
                        hint=(
                            "record the cost after each update, with the updated parameters"))
    with np.errstate(all="ignore"):  # a diverging history (inf, nan) simply fails
        falling = bool(np.all(np.diff(history) < 0))
    testing.assert_that(falling,
                        f"with a small learning rate (0.1) the cost must fall at every step, got {history}: "
                        "check the sign of the update (w = w - lr * dw).")

    s.hidden()
    # fixed small example, 4 steps of lr = 0.05 from (w0, b0); then step-by-step replays, also with a
    # learning rate so large that the cost grows
    calls = [((X_4X3, Y_4X3, 0.05, 4), {"w0": W_4X3, "b0": B_4X3})]
    replays = []
    for num_samples, num_features, lr, num_steps in [(1, 2, 0.3, 6), (40, 3, 0.2, 12), (60, 1, 2.6, 8)]:
        X, y = rng.normal(size=(num_samples, num_features)), rng.normal(size=num_samples)
        w0, b0 = rng.normal(size=num_features), float(rng.normal())
        calls.append(((X, y, lr, num_steps), {"w0": w0, "b0": b0}))
        replays.append((X.shape, lr, num_steps, _replay_gd(X, y, lr, num_steps, w0, b0)))
    fixed, *others = s.call_many("gradient_descent", calls, isolate=GD_ISOLATION)
    w, b, history = _gd_result(fixed)
    testing.check_close(w, np.array([0.09782118327140807, 0.09277981464385987, 0.11373012234687806]),
                        "w after 4 steps on a 4x3 example",
                        hint=(
                            "compute dw and db at the same point (w, b), then update both (simultaneous update). "
                            "This test runs your gradient_descent with a correct mse_cost and mse_gradients, so the "
                            "mistake is in gradient_descent itself"))
    testing.check_close(testing.check_scalar(b, "b"), -0.4246039729881287, "b after 4 steps on a 4x3 example",
                        hint=(
                            "update b with db computed at the same point as dw (simultaneous update)"))
    testing.check_close(history, np.array([2.465625, 1.8559031768798826, 1.4230524697681068, 1.1132548395326975,
                                           0.8894433444010567]), "history of 4 steps on a 4x3 example",
                        hint=(
                            "history[0] is the cost at (w0, b0), history[k] the cost after k updates. This test "
                            "runs your gradient_descent with a correct mse_cost and mse_gradients, so the mistake "
                            "is in gradient_descent itself"))
    for (shape, lr, num_steps, (w_exp, b_exp, history_exp)), result in zip(replays, others):
        w, b, history = _gd_result(result)
        name = f"for X of shape {shape}" + (" with a learning rate so large that the cost grows" if lr > 2 else "")
        testing.assert_that(np.shape(history) == (num_steps + 1,),
                            f"history {name} has shape {np.shape(history)} but should be (num_steps + 1,): take every "
                            "step and record every cost, even when the cost grows (no early stopping).")
        testing.check_close(history, history_exp, f"history {name}",
                            hint="do not stop early or clip: every step must be taken" if lr > 2 else "")
        testing.check_close(w, w_exp, f"w {name}")
        testing.check_close(testing.check_scalar(b, "b"), b_exp, f"b {name}")


@check("test_gradient_descent_inputs")
def gradient_descent_inputs(s):
    # gradient_descent must not change X, y or w0 in place
    rng = np.random.default_rng(1010)
    X, y = rng.normal(size=(15, 2)), rng.normal(size=15)
    start = np.array([0.5, -0.5])
    _, (X_after, y_after, _, _), kwargs_after = s.call_with_inputs("gradient_descent", X, y, 0.1, 3, w0=start, b0=0.2,
                                                                      isolate=GD_ISOLATION)
    testing.check_not_modified(start, kwargs_after.get("w0"), "w0")
    testing.check_not_modified(X, X_after, "X")
    testing.check_not_modified(y, y_after, "y")

    s.hidden()
    # a second call from the same w0 must give the same result (no state kept between calls); as in a
    # notebook, each call gets the arrays the call before left behind
    results = []
    for _ in range(2):
        result, (X_after, y_after, _, _), kwargs_after = s.call_with_inputs(
            "gradient_descent", X_after, y_after, 0.1, 3, w0=kwargs_after.get("w0"), b0=0.2, isolate=GD_ISOLATION)
        results.append(_gd_result(result)[2])
    testing.check_close(results[1], results[0], "history of a repeated identical call")
    testing.check_not_modified(start, kwargs_after.get("w0"), "w0 (after two calls)")
    for num_samples, num_features in [(1, 3), (8, 8)]:
        X, y = rng.normal(size=(num_samples, num_features)), rng.normal(size=num_samples)
        w0 = rng.normal(size=num_features)
        _, (X_after, y_after, _, _), kwargs_after = s.call_with_inputs("gradient_descent", X, y, 0.05, 4, w0=w0, b0=-1.0,
                                                                          isolate=GD_ISOLATION)
        testing.check_not_modified(w0, kwargs_after.get("w0"), f"w0 of shape ({num_features},)")
        testing.check_not_modified(X, X_after, f"X of shape ({num_samples}, {num_features})")
        testing.check_not_modified(y, y_after, f"y of shape ({num_samples},)")


@check("test_gradient_descent_converges")
def gradient_descent_converges(s):
    # Oracle: on a well-conditioned problem, gradient descent must reach the least-squares solution.
    rng = np.random.default_rng(1111)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 4.0 + 0.1 * rng.normal(size=200)
    theta = _lstsq(X, y)
    w, b, _ = _gd_result(s.call("gradient_descent", X, y, 0.5, 300, isolate=GD_ISOLATION))
    testing.check_close(w, theta[:-1], "w after 300 steps vs np.linalg.lstsq", rtol=1e-6, atol=1e-8,
                        hint=(
                            "all 300 steps must be taken with the given lr, stepping against the gradient (w - lr * dw)"))
    testing.check_close(testing.check_scalar(b, "b"), theta[-1], "b after 300 steps vs np.linalg.lstsq", rtol=1e-6, atol=1e-8)

    s.hidden()
    # the deck's data (one feature), from a bad start; then targets in the millions, five features
    x_deck, y_deck = data.linear_regression_data(num_points=500, seed=12)
    theta_deck = _lstsq(x_deck.reshape(-1, 1), y_deck)
    X_big = rng.normal(size=(100, 5))
    y_big = 1e6 * (X_big @ rng.normal(size=5) + 3.0) + 1e4 * rng.normal(size=100)
    theta_big = _lstsq(X_big, y_big)
    deck, big = s.call_many("gradient_descent", [((x_deck.reshape(-1, 1), y_deck, 1.0, 200), {"w0": np.array([-1.0]), "b0": 2.0}),
                                                 ((X_big, y_big, 0.5, 400), {})], isolate=GD_ISOLATION)
    w, b, _ = _gd_result(deck)
    testing.check_close(w, theta_deck[:1], "w on the deck's data vs lstsq", rtol=1e-6, atol=1e-8)
    testing.check_close(testing.check_scalar(b, "b"), theta_deck[1], "b on the deck's data vs lstsq", rtol=1e-6)
    w, b, history = _gd_result(big)
    testing.check_close(w, theta_big[:-1], "w for targets ~1e6 vs lstsq", rtol=1e-6)
    testing.check_close(testing.check_scalar(b, "b"), theta_big[-1], "b for targets ~1e6 vs lstsq", rtol=1e-6)
    testing.check_finite(history, "history for targets ~1e6")


# ----------------------------------------------------------------------------- normal_equation


def _ne_result(result) -> tuple:
    return _pair(result, "normal_equation", "(w, b)")


@check("test_normal_equation_shapes")
def normal_equation_shapes(s):
    rng = np.random.default_rng(1212)
    result = s.call("normal_equation", rng.normal(size=(30, 4)), rng.normal(size=30))
    testing.assert_that(isinstance(result, tuple) and len(result) == 2, "normal_equation should return a tuple (w, b).")
    w, b = result
    testing.assert_that(np.shape(w) != (5,),
                        "w has shape (5,) = (D + 1,) but should be (4,): you returned theta with the bias inside; "
                        "split it into w = theta[:-1] and b = theta[-1].")
    testing.check_shape(w, (4,), "w returned by normal_equation for X of shape (30, 4)")
    testing.check_scalar(b, "b returned by normal_equation")

    s.hidden()
    shapes = [(2, 1), (10, 1), (12, 6), (50, 10)]
    cases = [(rng.normal(size=(n, d)), rng.normal(size=n)) for n, d in shapes]
    for (n, d), result in zip(shapes, s.call_many("normal_equation", cases)):
        w, b = _ne_result(result)
        testing.check_shape(w, (d,), f"w for X of shape ({n}, {d})")
        testing.check_dtype(w, np.floating, "w")
        testing.check_scalar(b, f"b for X of shape ({n}, {d})")


@check("test_normal_equation_values")
def normal_equation_values(s):
    # noise-free data y = 2 x1 - 3 x2 + 0.5: the exact parameters must come back
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0], [-1.0, 3.0]])
    w, b = _ne_result(s.call("normal_equation", X, X @ np.array([2.0, -3.0]) + 0.5))
    testing.check_close(w, np.array([2.0, -3.0]), "w for y = 2 x1 - 3 x2 + 0.5", rtol=1e-8, atol=1e-10)
    testing.check_close(testing.check_scalar(b, "b"), 0.5, "b for y = 2 x1 - 3 x2 + 0.5", rtol=1e-8, atol=1e-10,
                        hint=(
                            "b = 0 means the column of ones is missing; check also which end of theta holds b"))

    s.hidden()
    two, noisy = s.call_many("normal_equation", [
        (np.array([[1.0], [3.0]]), np.array([2.0, 6.0])),  # a line through two points (N = 2, D = 1)
        (np.array([[1.0, 0.0], [2.0, 1.0], [3.0, -1.0], [4.0, 2.0], [0.5, 0.5], [-1.0, 1.5]]),
         np.array([1.2, 2.9, 5.1, 4.2, 0.8, -1.5])),  # a small noisy example with hard-coded expected values
    ])
    w, b = _ne_result(two)
    testing.check_close(w, np.array([2.0]), "w of the line through (1, 2) and (3, 6)", rtol=1e-8, atol=1e-10)
    testing.check_close(testing.check_scalar(b, "b"), 0.0, "b of the line through (1, 2) and (3, 6)", atol=1e-9)
    w, b = _ne_result(noisy)
    testing.check_close(w, np.array([1.2681114551083597, -0.5789031402034494]), "w on a noisy 6x2 example", rtol=1e-8)
    testing.check_close(testing.check_scalar(b, "b"), 0.49475895621406507, "b on a noisy 6x2 example", rtol=1e-8)


@check("test_normal_equation_oracle")
def normal_equation_oracle(s):
    # Independent oracle: scikit-learn's LinearRegression (with intercept) on noisy random data.
    rng = np.random.default_rng(1313)
    X = rng.normal(size=(50, 4)) + 2.0
    y = X @ rng.normal(size=4) - 1.5 + 0.3 * rng.normal(size=50)
    w, b = _ne_result(s.call("normal_equation", X, y))
    from sklearn.linear_model import LinearRegression  # once the function answers (sklearn takes a while to load)

    oracle = LinearRegression().fit(X, y)
    testing.check_close(w, oracle.coef_, "w vs sklearn LinearRegression().coef_", rtol=1e-7, atol=1e-9)
    testing.check_close(testing.check_scalar(b, "b"), oracle.intercept_, "b vs sklearn LinearRegression().intercept_", rtol=1e-7,
                        atol=1e-9)

    s.hidden()
    for num_samples, num_features, offset, scale in [(30, 1, 0.0, 1.0), (3, 2, 1.0, 1.0), (200, 8, -3.0, 1.0), (80, 3, 1e3, 10.0)]:
        X = offset + scale * rng.normal(size=(num_samples, num_features))
        y = X @ rng.normal(size=num_features) + 7.0 + rng.normal(size=num_samples)
        oracle = LinearRegression().fit(X, y)
        result, (X_after, y_after), _ = s.call_with_inputs("normal_equation", X, y)
        w, b = _ne_result(result)
        name = f"for X of shape {X.shape}" + (" (features far from 0)" if abs(offset) > 100 else
                                              " (features not centred)" if offset else "")
        testing.check_close(w, oracle.coef_, f"w {name}", rtol=1e-6, atol=1e-8)
        testing.check_close(testing.check_scalar(b, "b"), oracle.intercept_, f"b {name}", rtol=1e-6, atol=1e-8)
        testing.check_not_modified(X, X_after, "X")
        testing.check_not_modified(y, y_after, "y")


# ----------------------------------------------------------------------------- fit_linear_tf


def _fit_result(result) -> tuple:
    return _triple(result, "fit_linear_tf", "(W, b, losses)")


@check("test_fit_linear_tf_types")
def fit_linear_tf_types(s):
    x, y = data.linear_regression_data(num_points=200, seed=1)
    result = s.call("fit_linear_tf", x, y, lr=0.5, num_steps=3, seed=0, isolate=TF)
    testing.assert_that(isinstance(result, tuple) and len(result) == 3, "fit_linear_tf should return a tuple (W, b, losses).")
    W, b, losses = result
    for name, value in [("W", W), ("b", b)]:
        testing.assert_that(isinstance(value, float),
                            f"{name} should be a python float but is {_kind(value)}: return float({name}[0]) "
                            "(a tf.Variable or a shape-(1,) array is not a float).")
    testing.check_type(losses, list, "losses")
    testing.assert_that(len(losses) == 3,
                        f"losses has {len(losses)} entries but should have num_steps = 3: one loss after each update.")
    testing.assert_that(all(isinstance(loss, float) for loss in losses),
                        f"every entry of losses should be a python float (use float(loss)), got "
                        f"{[_kind(loss) for loss in losses]}.")

    s.hidden()
    zero, one = s.call_many("fit_linear_tf", [((x, y), {"lr": 0.5, "num_steps": 0, "seed": 4}),
                                              ((np.array([0.5]), np.array([1.0])), {"lr": 0.1, "num_steps": 2, "seed": 2})],
                            isolate=TF)
    W, b, losses = _fit_result(zero)
    testing.assert_that(losses == [], f"with num_steps = 0 losses should be [] but is {losses}.")
    testing.assert_that(isinstance(W, float) and isinstance(b, float), "W and b should be python floats for num_steps = 0 too.")
    _, _, losses = _fit_result(one)
    testing.assert_that(isinstance(losses, list) and len(losses) == 2 and all(isinstance(loss, float) for loss in losses),
                        "losses for a single sample and num_steps = 2 should be a list of 2 python floats.")


@check("test_fit_linear_tf_converges")
def fit_linear_tf_converges(s):
    # The initial W must be the stateless draw; then on the deck's data W -> 0.1 and b -> 0.3.
    x, y = data.linear_regression_data(num_points=1000, seed=0)
    start, trained = s.call_many("fit_linear_tf", [((x, y), {"lr": 0.5, "num_steps": 0, "seed": 0}),
                                                   ((x, y), {"lr": 0.5, "num_steps": 60, "seed": 0})], isolate=TF)
    W, b, _ = _fit_result(start)
    testing.check_close(W, _initial_W(0), "W before any update (num_steps = 0, seed = 0)", rtol=1e-6,
                        hint=(
                            "draw W with tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0)"))
    testing.check_close(b, 0.0, "b before any update", atol=1e-12, hint="b starts at tf.zeros([1])")
    W, b, losses = _fit_result(trained)
    with np.errstate(all="ignore"):  # a diverging run (inf, nan) simply fails
        falling = len(losses) == 60 and bool(np.all(np.diff(losses[:10]) < 0))
    testing.assert_that(falling,
                        f"the loss should fall at each of the first 10 steps with lr = 0.5, got {np.round(losses[:10], 6)}: "
                        "check the sign of the update and that losses has one entry per step.")
    testing.check_close(W, 0.1, "W after 60 steps on the deck's data", atol=5e-3,
                        hint=(
                            "use the given lr with plain SGD, the mean (not the sum) of squared errors, and step against the gradient"))
    testing.check_close(b, 0.3, "b after 60 steps on the deck's data", atol=5e-3)

    s.hidden()
    # another line, another seed: y = -2 x + 1
    rng = np.random.default_rng(1414)
    x_r = rng.normal(1.0, 2.0, size=400)
    y_r = -2.0 * x_r + 1.0 + 0.05 * rng.normal(size=400)
    seeds = (1, 7, 123)
    trained, *starts = s.call_many("fit_linear_tf", [((x_r, y_r), {"lr": 0.05, "num_steps": 300, "seed": 9})]
                                   + [((x_r, y_r), {"lr": 0.05, "num_steps": 0, "seed": seed}) for seed in seeds], isolate=TF)
    W, b, _ = _fit_result(trained)
    testing.check_close(W, -2.0, "W for y = -2x + 1 after 300 steps of lr = 0.05", atol=1e-2)
    testing.check_close(b, 1.0, "b for y = -2x + 1 after 300 steps of lr = 0.05", atol=2e-2)
    for seed, result in zip(seeds, starts):
        W, _, _ = _fit_result(result)
        testing.check_close(W, _initial_W(seed), "initial W for another seed", rtol=1e-6,
                            hint=(
                                "seed=(seed, 0), in this order, with minval=-1.0 and maxval=1.0"))


def _replay_fit_linear(x, y, lr, num_steps, seed):
    """float64 NumPy replay of the TF run (inputs rounded to float32 as the model sees them)."""
    x = np.asarray(x, dtype=np.float32).astype(np.float64)
    y = np.asarray(y, dtype=np.float32).astype(np.float64)
    W, b = _initial_W(seed), 0.0
    losses = []
    for _step in range(num_steps):
        r = W * x + b - y
        W, b = W - lr * 2 * np.mean(r * x), b - lr * 2 * np.mean(r)
        losses.append(np.mean((W * x + b - y) ** 2))
    return W, b, np.array(losses)


@check("test_fit_linear_tf_replay")
def fit_linear_tf_replay(s):
    # The first update, replayed by hand: dW = 2 mean(r x), db = 2 mean(r) with r = W x + b - y.
    x, y = data.linear_regression_data(num_points=300, seed=2)
    W, b, losses = _fit_result(s.call("fit_linear_tf", x, y, lr=0.5, num_steps=1, seed=0, isolate=TF))
    W0 = _initial_W(0)
    r0 = W0 * x - y
    W1 = W0 - 0.5 * 2 * np.mean(r0 * x)
    b1 = 0.0 - 0.5 * 2 * np.mean(r0)
    testing.check_close(W, W1, "W after one step", rtol=1e-5, atol=1e-6,
                        hint=(
                            "the loss is the plain mean of squares (no 1/2) and the step is W - lr * dW"))
    testing.check_close(b, b1, "b after one step", rtol=1e-5, atol=1e-6)
    testing.check_close(losses[0], np.mean((W1 * x + b1 - y) ** 2), "losses[0]", rtol=1e-5,
                        hint=(
                            "losses[0] is the loss AFTER the first update (the deck printed sess.run(loss) after sess.run(train))"))

    s.hidden()
    rng = np.random.default_rng(1515)
    cases = [
        ("on the deck's data", *data.linear_regression_data(num_points=1000, seed=0), 0.5, 10, 0),
        ("on another sample of the deck's line", *data.linear_regression_data(num_points=500, seed=3), 0.3, 7, 11),
        ("for a single sample", np.array([0.7]), np.array([-0.2]), 0.1, 4, 5),
        ("on random data", rng.normal(1.0, 2.0, size=64), rng.normal(size=64), 0.05, 12, 3),
    ]
    results = s.call_many("fit_linear_tf", [((x_r, y_r), {"lr": lr, "num_steps": steps, "seed": seed})
                                            for _, x_r, y_r, lr, steps, seed in cases], isolate=TF)
    for (where, x_r, y_r, lr, steps, seed), result in zip(cases, results):
        W_exp, b_exp, losses_exp = _replay_fit_linear(x_r, y_r, lr, steps, seed)
        W, b, losses = _fit_result(result)
        testing.check_close(np.array(losses, dtype=np.float64), losses_exp, f"losses {where}", rtol=1e-5, atol=1e-9,
                            hint=(
                                "losses[i] is the mean squared error right after update i"))
        testing.check_close(W, W_exp, f"W {where}", rtol=1e-5, atol=1e-6)
        testing.check_close(b, b_exp, f"b {where}", rtol=1e-5, atol=1e-6)
