"""Trusted checks of notebook 02, ``logistic_softmax`` (one ``@check`` per graded cell).

Before ``s.hidden()``: the cases of the notebook's visible test cell. After it: the hidden
cases that used to sit in the notebook. Inputs are built here (same seeds and values as the
old test cells); expected values come from independent oracles (SciPy, scikit-learn, closed
forms) or literals, never from the student's kernel.

Partial credit as before: ``logistic_cost`` and ``predict_binary`` are checked with SciPy's
``expit`` as their ``sigmoid``, ``softmax_cross_entropy`` with SciPy's softmax and an
``np.eye`` one-hot, ``train_softmax`` with a reference cross-entropy.

NumPy's floating-point errors: ``with np.errstate(over="raise", ...)`` in the old cells ran in
the kernel. Here ``fp_strict_calls`` makes the kernel raise ``FloatingPointError`` for the
duration of one request and restores NumPy's defaults right after (``grading/trusted/fp_errors.py``).
"""

from __future__ import annotations

import builtins
import functools

import numpy as np
from scipy.special import expit, logsumexp
from scipy.special import softmax as scipy_softmax

from grading.trusted.fp_errors import fp_strict_calls
from grading.trusted.oracles import standardized
from grading.trusted.registry import check
from grading.trusted.student import BUILTIN_EXCEPTIONS
from helpers import data, testing

# --------------------------------------------------------------------------- stand-ins
# Sent to the kernel as source and run there in a scope that holds only ``np``: each must
# be self-contained.


def softmax_rows(Z):
    """Stand-in for the student's ``softmax``: SciPy's, over axis 1."""
    from scipy.special import softmax

    return softmax(Z, axis=1)


def eye_one_hot(y, num_classes):
    """Stand-in for the student's ``one_hot``."""
    return np.eye(num_classes)[y]


def reference_cross_entropy(Z, y):
    """Stand-in for the student's ``softmax_cross_entropy`` (graded on its own elsewhere)."""
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    return float(-np.mean(log_probs[rows, y])), (np.exp(log_probs) - np.eye(Z.shape[1])[y]) / len(y)


SIGMOID_EXPIT = {"sigmoid": "scipy.special:expit"}
CROSS_ENTROPY_ISOLATION = {"softmax": softmax_rows, "one_hot": eye_one_hot}
TRAIN_ISOLATION = {"softmax_cross_entropy": reference_cross_entropy}


def returned_tuple(result, size: int, message: str) -> tuple:
    testing.assert_that(isinstance(result, tuple) and len(result) == size, message)
    return result


def cost_result(result) -> tuple:
    return returned_tuple(result, 3, "logistic_cost should return a tuple (cost, dw, db).")


def cross_entropy_result(result) -> tuple:
    return returned_tuple(result, 2, "softmax_cross_entropy should return a tuple (loss, dZ).")


def train_result(result) -> tuple:
    return returned_tuple(result, 3, "train_softmax should return a tuple (W, b, loss_history).")


# --------------------------------------------------------------------------- sigmoid


@check("test_sigmoid_values")
def sigmoid_values(s):
    z_case = np.array([-2.0, 0.0, 2.0])
    s_case, s_zero = s.call_many("sigmoid", [(z_case,), (0.0,)])
    testing.check_shape(s_case, (3,), "sigmoid(z) for z of shape (3,)")
    testing.check_dtype(s_case, np.float64, "sigmoid(z)")
    testing.check_close(s_case, [0.11920292202211755, 0.5, 0.8807970779778823],
                        "sigmoid([-2, 0, 2])", hint="sigma(z) = 1 / (1 + exp(-z)): sigma(0) = 0.5 and sigma(2) is about 0.881")
    testing.check_close(testing.check_scalar(s_zero, "sigmoid(0.0)"), 0.5,
                        "sigmoid(0.0)", hint="a scalar input gives a single number")
    s.hidden()
    z_int = np.array([[0, 1], [-1, 3]])
    s_int = s.call("sigmoid", z_int)
    testing.check_shape(s_int, (2, 2), "sigmoid of a (2, 2) integer array")
    testing.check_dtype(s_int, np.floating, "sigmoid of an integer array")
    testing.check_close(s_int, 1.0 / (1.0 + np.exp(-z_int.astype(float))), "sigmoid of a (2, 2) integer array")
    rng = np.random.default_rng(7)
    for shape_case in [(1,), (4, 5, 2), (30,)]:
        z_rand = rng.normal(scale=8.0, size=shape_case)
        z_before = z_rand.copy()
        s_rand, (z_after,), _ = s.call_with_inputs("sigmoid", z_rand)
        testing.check_close(s_rand, 1.0 / (1.0 + np.exp(-z_rand)), f"sigmoid for z of shape {shape_case}")
        testing.check_not_modified(z_before, z_after, "z")
    testing.check_close(testing.check_scalar(s.call("sigmoid", -3.0), "sigmoid of a negative scalar"),
                        0.04742587317756678, "sigmoid of a negative scalar")


@check("test_sigmoid_stable")
def sigmoid_stable(s):
    # Huge logits: no overflow (an error here), exact limits, and the symmetry sigma(-z) = 1 - sigma(z).
    z_large = np.array([-1000.0, -40.0, 40.0, 1000.0])
    s_large, s_neg = fp_strict_calls(
        s, "sigmoid", [(z_large,), (-z_large,)],
        "sigmoid overflowed for z = +-1000 (NumPy raised FloatingPointError). Only exponentiate -|z| (see the "
        "exercise): np.where evaluates both branches.")
    testing.check_finite(s_large, "sigmoid(z) for z = [-1000, -40, 40, 1000]")
    testing.check_close(s_large, [0.0, 4.248354255291589e-18, 1.0, 1.0], "sigmoid([-1000, -40, 40, 1000])", rtol=1e-7,
                        atol=1e-300)
    testing.check_close(s_neg, 1.0 - np.asarray(s_large, dtype=float), "sigmoid(-z) against 1 - sigmoid(z)", rtol=0.0,
                        atol=1e-15, hint="the two halves of a stable sigmoid must mirror each other")
    s.hidden()
    z_grid = np.concatenate([np.linspace(-60.0, 60.0, 240), [-745.0, -709.0, 709.0, 745.0, -1e5, 1e5]]).reshape(3, -1)
    s_grid, s_grid_neg, s_scalar = fp_strict_calls(
        s, "sigmoid", [(z_grid,), (-z_grid,), (-1000.0,)],
        "sigmoid overflowed on a (3, 82) grid with |z| up to 1e5 (NumPy raised FloatingPointError).")
    testing.check_finite(s_grid, "sigmoid on a grid with |z| up to 1e5")
    testing.check_close(s_grid_neg, 1.0 - np.asarray(s_grid, dtype=float), "sigmoid(-z) against 1 - sigmoid(z) on a grid",
                        rtol=0.0, atol=1e-15)
    testing.assert_that(np.all((np.asarray(s_grid) >= 0.0) & (np.asarray(s_grid) <= 1.0)), "sigmoid must stay in [0, 1]")
    testing.check_close(testing.check_scalar(s_scalar, "sigmoid(-1000.0)"), 0.0, "sigmoid(-1000.0)", atol=1e-300)


@check("test_sigmoid_oracle")
def sigmoid_oracle(s):
    # Independent oracle: scipy.special.expit is a stable sigmoid.
    rng = np.random.default_rng(11)
    z_rand = rng.normal(scale=20.0, size=(3, 4))
    testing.check_close(s.call("sigmoid", z_rand), expit(z_rand), "sigmoid on random z of shape (3, 4)")
    s.hidden()
    cases = [(rng.normal(scale=scale, size=shape_case), shape_case, scale)
             for shape_case, scale in [((1,), 1.0), ((2, 3, 4), 50.0), ((500,), 300.0)]]
    results = s.call_many("sigmoid", [(z_rand,) for z_rand, _, _ in cases])
    for s_rand, (z_rand, shape_case, scale) in zip(results, cases):
        testing.check_close(s_rand, expit(z_rand), f"sigmoid for z of shape {shape_case} (|z| ~ {scale:g})", atol=1e-300)


# --------------------------------------------------------------------------- logistic_cost
# Your logistic_cost is tested with scipy's sigmoid (expit), so a mistake in Exercise 1 costs nothing here.


@check("test_logistic_cost_shapes")
def logistic_cost_shapes(s):
    X_case = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    y_case = np.array([1.0, 0.0, 1.0])
    cost_case, dw_case, db_case = cost_result(
        s.call("logistic_cost", X_case, y_case, np.array([0.5, -0.25]), 0.1, isolate=SIGMOID_EXPIT))
    testing.check_scalar(cost_case, "cost")
    testing.check_shape(dw_case, (2,), "dw")
    testing.check_scalar(db_case, "db")
    s.hidden()
    one, wide = s.call_many("logistic_cost", [(np.array([[2.0]]), np.array([1.0]), np.array([0.5]), -1.0),
                                              (np.ones((2, 5)), np.array([0.0, 1.0]), np.zeros(5), 0.0)],
                            isolate=SIGMOID_EXPIT)
    cost_one, dw_one, db_one = cost_result(one)
    testing.check_scalar(cost_one, "cost for one sample and one feature")
    testing.check_shape(dw_one, (1,), "dw for one feature")
    testing.check_scalar(db_one, "db for one sample")
    cost_wide, dw_wide, _ = cost_result(wide)
    testing.check_shape(dw_wide, (5,), "dw for X of shape (2, 5)")
    testing.check_scalar(cost_wide, "cost for X of shape (2, 5)")


@check("test_logistic_cost_values")
def logistic_cost_values(s):
    # At w = 0, b = 0 every p is 0.5, so every sample costs -log 0.5 = log 2 and p - y = 0.5 - y.
    X_case = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    y_case = np.array([1.0, 0.0, 1.0])
    cost_case, dw_case, db_case = cost_result(
        s.call("logistic_cost", X_case, y_case, np.zeros(2), 0.0, isolate=SIGMOID_EXPIT))
    testing.check_close(testing.check_scalar(cost_case, "cost"), np.log(2.0),
                        "cost at w = 0, b = 0", hint="with p = 0.5 each sample costs log 2; a different value means "
                                                     "a wrong formula or a missing 1/N")
    testing.check_close(dw_case, X_case.T @ (0.5 - y_case) / 3, "dw at w = 0, b = 0", hint="dw = X^T (p - y) / N")
    testing.check_close(testing.check_scalar(db_case, "db"), np.mean(0.5 - y_case),
                        "db at w = 0, b = 0", hint="db = mean(p - y)")
    s.hidden()
    X_fixed = np.array([1.029, 1.642, 1.147, -0.973, -1.393, 0.067, 0.861, 0.509, 1.81, 0.751, 0.64, -0.731, -1.108,
                        1.484, 0.049]).reshape(5, 3)
    y_fixed = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    w_fixed = np.array([0.7, -1.2, 0.25])
    cost_fixed, dw_fixed, db_fixed = cost_result(s.call("logistic_cost", X_fixed, y_fixed, w_fixed, -0.4,
                                                        isolate=SIGMOID_EXPIT))
    testing.check_close(testing.check_scalar(cost_fixed, "cost"), 1.5065604904883105, "cost on a 5x3 example")
    testing.check_close(dw_fixed, np.array([-0.09575352766205579, -0.760773037023984, 0.10336354296832287]),
                        "dw on a 5x3 example")
    testing.check_close(testing.check_scalar(db_fixed, "db"), -0.2566371486282855, "db on a 5x3 example")
    # oracle: the cost from the logits, mean(log(1 + e^z) - y z) (scikit-learn's log_loss gives the
    # same; importing scikit-learn into the grader costs seconds), on other shapes
    rng = np.random.default_rng(21)
    for num_samples, num_features in [(1, 1), (8, 4), (200, 6)]:
        X_rand = rng.normal(size=(num_samples, num_features))
        y_rand = rng.integers(0, 2, size=num_samples).astype(float)
        w_rand, b_rand = rng.normal(size=num_features), float(rng.normal())
        X_before, y_before, w_before = X_rand.copy(), y_rand.copy(), w_rand.copy()
        p_rand = 1.0 / (1.0 + np.exp(-(X_rand @ w_rand + b_rand)))
        result, (X_after, y_after, w_after, _), _ = s.call_with_inputs("logistic_cost", X_rand, y_rand, w_rand, b_rand,
                                                                       isolate=SIGMOID_EXPIT)
        cost_rand, dw_rand, db_rand = cost_result(result)
        logits = X_rand @ w_rand + b_rand
        testing.check_close(testing.check_scalar(cost_rand, "cost"), np.mean(np.logaddexp(0.0, logits) - y_rand * logits),
                            f"cost for X of shape {X_rand.shape} against the cost computed from the logits")
        testing.check_close(dw_rand, X_rand.T @ (p_rand - y_rand) / num_samples, f"dw for X of shape {X_rand.shape}")
        testing.check_close(testing.check_scalar(db_rand, "db"), np.mean(p_rand - y_rand), f"db for X of shape {X_rand.shape}")
        testing.check_not_modified(X_before, X_after, "X")
        testing.check_not_modified(y_before, y_after, "y")
        testing.check_not_modified(w_before, w_after, "w")


@check("test_logistic_cost_stable")
def logistic_cost_stable(s):
    # Logit z = 1000 for both samples: the y = 1 sample costs 0, the y = 0 sample costs 1000.
    (result,) = fp_strict_calls(
        s, "logistic_cost", [(np.array([[1.0], [1.0]]), np.array([1.0, 0.0]), np.array([1000.0]), 0.0)],
        "logistic_cost overflowed or took log(0) for a logit of 1000 (NumPy raised FloatingPointError): "
        "use the stable form log(1 + e^z) - y z (np.logaddexp(0, z) - y * z).", isolate=SIGMOID_EXPIT)
    cost_large, dw_large, db_large = cost_result(result)
    testing.check_close(testing.check_scalar(cost_large, "cost"), 500.0,
                        "cost for logits of 1000 with y = [1, 0]", hint="a sample with z = 1000 and y = 0 costs "
                                                                        "log(1 + e^1000) = 1000; -log(sigmoid) gives inf here")
    testing.check_close(dw_large, [0.5], "dw for logits of 1000")
    testing.check_close(testing.check_scalar(db_large, "db"), 0.5, "db for logits of 1000")
    s.hidden()
    X_huge = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.0]])
    y_huge = np.array([1.0, 1.0, 0.0, 0.0])
    w_huge = np.array([-800.0, 1200.0])
    (result,) = fp_strict_calls(s, "logistic_cost", [(X_huge, y_huge, w_huge, 3.0)],
                                "logistic_cost overflowed for logits of magnitude ~1000 (NumPy raised FloatingPointError).",
                                isolate=SIGMOID_EXPIT)
    cost_huge, dw_huge, db_huge = cost_result(result)
    z_huge = X_huge @ w_huge + 3.0  # [-797, 1203, 403, 803]
    testing.check_close(testing.check_scalar(cost_huge, "cost"), float(np.mean(np.logaddexp(0.0, z_huge) - y_huge * z_huge)),
                        "cost for logits of magnitude ~1000 of both signs")
    p_huge = np.array([0.0, 1.0, 1.0, 1.0])
    testing.check_close(dw_huge, X_huge.T @ (p_huge - y_huge) / 4, "dw for logits of magnitude ~1000")
    testing.check_close(testing.check_scalar(db_huge, "db"), float(np.mean(p_huge - y_huge)), "db for logits of magnitude ~1000")


def check_cost_gradients(s, X, y, w, b, dw, db, suffix: str = "") -> None:
    """Centred differences of the student's own cost (one request per parameter)."""
    def costs(calls):
        return [cost_result(r)[0] for r in s.call_many("logistic_cost", calls, isolate=SIGMOID_EXPIT)]

    testing.check_gradient_batch(lambda points: costs([(X, y, p, b) for p in points]), w, dw, f"dw of logistic_cost{suffix}")
    testing.check_gradient_batch(lambda points: costs([(X, y, w, float(p[0])) for p in points]), np.array([b]),
                                 np.array([testing.check_scalar(db, "db")]), f"db of logistic_cost{suffix}")


@check("test_logistic_cost_gradcheck")
def logistic_cost_gradcheck(s):
    # Numerical gradient check of dw and db (centred differences of your own cost).
    rng = np.random.default_rng(31)
    X_rand = rng.normal(size=(6, 3))
    y_rand = rng.integers(0, 2, size=6).astype(float)
    w_rand, b_rand = rng.normal(size=3), 0.3
    _, dw_rand, db_rand = cost_result(s.call("logistic_cost", X_rand, y_rand, w_rand, b_rand, isolate=SIGMOID_EXPIT))
    check_cost_gradients(s, X_rand, y_rand, w_rand, b_rand, dw_rand, db_rand)
    s.hidden()
    for num_samples, num_features in [(1, 2), (9, 1), (15, 5)]:
        X_rand = rng.normal(size=(num_samples, num_features)) * 2
        y_rand = rng.integers(0, 2, size=num_samples).astype(float)
        w_rand, b_rand = rng.normal(size=num_features), float(rng.normal())
        _, dw_rand, db_rand = cost_result(s.call("logistic_cost", X_rand, y_rand, w_rand, b_rand, isolate=SIGMOID_EXPIT))
        check_cost_gradients(s, X_rand, y_rand, w_rand, b_rand, dw_rand, db_rand, f" for X of shape {X_rand.shape}")


# --------------------------------------------------------------------------- predict_binary
# Your predict_binary is tested with scipy's sigmoid (expit), so a mistake in Exercise 1 costs nothing here.


@check("test_predict_binary_values")
def predict_binary_values(s):
    X_case = np.array([[1.0, 1.0], [2.0, -3.0], [0.0, 0.0], [-1.0, 0.5]])
    labels_case = s.call("predict_binary", X_case, np.array([1.0, 1.0]), 0.0, isolate=SIGMOID_EXPIT)  # logits [2, -1, 0, -0.5]
    testing.check_shape(labels_case, (4,), "predict_binary(X, w, b)")
    testing.check_dtype(labels_case, np.integer, "predict_binary(X, w, b)")
    testing.check_close(labels_case, [1, 0, 0, 0],
                        "predict_binary for logits [2, -1, 0, -0.5]", hint="1 only where sigmoid(z) > 0.5, i.e. z > 0; "
                                                                           "z = 0 exactly (P = 0.5) is class 0")
    s.hidden()
    rng = np.random.default_rng(41)
    cases = []
    for num_samples, num_features in [(1, 3), (25, 2), (300, 7)]:
        X_rand = rng.normal(size=(num_samples, num_features))
        w_rand, b_rand = rng.normal(size=num_features), float(rng.normal())
        cases.append((X_rand, w_rand, b_rand))
    results = s.call_many("predict_binary", cases + [(np.array([[0.0], [1e-9], [-1e-9]]), np.array([1.0]), 0.0)],
                          isolate=SIGMOID_EXPIT)
    for labels_rand, (X_rand, w_rand, b_rand) in zip(results, cases):
        testing.check_shape(labels_rand, (len(X_rand),), f"predict_binary for X of shape {X_rand.shape}")
        testing.check_dtype(labels_rand, np.integer, "predict_binary")
        testing.check_close(labels_rand, (X_rand @ w_rand + b_rand > 0).astype(int),
                            f"predict_binary for X of shape {X_rand.shape}")
    testing.check_close(results[-1], [0, 1, 0], "predict_binary at and next to the boundary")


@check("test_predict_binary_threshold")
def predict_binary_threshold(s):
    # Logits [2, 3, -2] give P = [0.881, 0.953, 0.119].
    X_case = np.array([[2.0], [3.0], [-2.0]])
    high, low = s.call_many("predict_binary", [((X_case, np.array([1.0]), 0.0), {"threshold": 0.9}),
                                               ((X_case, np.array([1.0]), 0.0), {"threshold": 0.1})],
                            isolate=SIGMOID_EXPIT)
    testing.check_close(high, [0, 1, 0], "predict_binary with threshold 0.9",
                        hint="compare the probability sigmoid(z) (not z) with the threshold")
    testing.check_close(low, [1, 1, 1], "predict_binary with threshold 0.1")
    s.hidden()
    rng = np.random.default_rng(43)
    X_rand = rng.normal(size=(60, 3))
    w_rand = rng.normal(size=3)
    thresholds = [0.05, 0.3, 0.7, 0.99]
    results = s.call_many("predict_binary", [((X_rand, w_rand, -0.2), {"threshold": t}) for t in thresholds],
                          isolate=SIGMOID_EXPIT)
    for labels_rand, threshold_case in zip(results, thresholds):
        testing.check_dtype(labels_rand, np.integer, "predict_binary")
        testing.check_close(labels_rand, (expit(X_rand @ w_rand - 0.2) > threshold_case).astype(int),
                            f"predict_binary with threshold {threshold_case}")


# --------------------------------------------------------------------------- softmax


@check("test_softmax_values")
def softmax_values(s):
    Z_case = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    P_case = s.call("softmax", Z_case)
    testing.check_shape(P_case, (2, 3), "softmax(Z) for Z of shape (2, 3)")
    testing.check_close(np.asarray(P_case).sum(axis=1), [1.0, 1.0],
                        "the row sums of softmax(Z)", hint="each row (one sample) must sum to 1: did you normalise over "
                                                           "axis 0 instead of axis 1?")
    testing.check_close(P_case, [[0.09003057317038046, 0.24472847105479764, 0.6652409557748219], [1 / 3, 1 / 3, 1 / 3]],
                        "softmax([[1, 2, 3], [0, 0, 0]])")
    s.hidden()
    rng = np.random.default_rng(51)
    Z_square = rng.normal(size=(4, 4))
    Z_rand = rng.normal(size=(5, 7))
    shifts = rng.normal(scale=10.0, size=(5, 1))
    P_one, P_single, P_square, P_shifted, P_oracle = s.call_many(
        "softmax", [(np.array([[0.5, -1.0, 2.0, 0.0]]),), (np.array([[3.0], [-7.0], [0.0]]),), (Z_square,),
                    (Z_rand + shifts,), (Z_rand,)])
    testing.check_close(P_one, (np.exp([0.5, -1.0, 2.0, 0.0]) / np.sum(np.exp([0.5, -1.0, 2.0, 0.0])))[None, :],
                        "softmax of one sample (1, 4)")
    testing.check_close(P_single, np.ones((3, 1)), "softmax with a single class (3, 1)")
    expected_square = np.exp(Z_square) / np.exp(Z_square).sum(axis=1, keepdims=True)
    testing.check_close(P_square, expected_square, "softmax of a square (4, 4) Z",
                        hint="a square Z hides a wrong axis or a missing keepdims from the shape checks")
    testing.check_close(P_shifted, P_oracle, "softmax(Z + c) against softmax(Z) with a different constant c per row")


@check("test_softmax_stable")
def softmax_stable(s):
    Z_large = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -1000.0]])
    (P_large,) = fp_strict_calls(s, "softmax", [(Z_large,)],
                               "softmax overflowed for logits of 1000 (NumPy raised FloatingPointError): subtract each "
                               "row's maximum first.")
    testing.check_finite(P_large, "softmax for logits of magnitude 1000")
    testing.check_close(P_large, [[0.09003057317038046, 0.24472847105479764, 0.6652409557748219], [1 / 3, 1 / 3, 1 / 3]],
                        hint="subtract the maximum of each row (axis=1, keepdims=True), not one global maximum",
                        name="softmax([[1000, 1001, 1002], [-1000, -1000, -1000]])")
    s.hidden()
    Z_mixed = np.array([[1e4, 0.0, -1e4], [2000.0, 2000.0, 1999.0], [-3000.0, -3001.0, -3000.0], [0.1, 0.2, 0.3]])
    (P_mixed,) = fp_strict_calls(s, "softmax", [(Z_mixed,)],
                                 "softmax overflowed on rows of very different scales (NumPy raised FloatingPointError).")
    expected_mixed = np.exp(Z_mixed - Z_mixed.max(axis=1, keepdims=True))
    expected_mixed /= expected_mixed.sum(axis=1, keepdims=True)
    testing.check_finite(P_mixed, "softmax on rows of very different scales")
    testing.check_close(P_mixed, expected_mixed, "softmax on rows with logits from -3000 to 1e4")


@check("test_softmax_oracle")
def softmax_oracle(s):
    # Independent oracle: scipy.special.softmax over axis 1.
    rng = np.random.default_rng(53)
    Z_rand = rng.normal(scale=3.0, size=(6, 4))
    Z_before = Z_rand.copy()
    P_oracle, (Z_after,), _ = s.call_with_inputs("softmax", Z_rand)
    testing.check_close(P_oracle, scipy_softmax(Z_rand, axis=1), "softmax of a random (6, 4) Z")
    testing.check_not_modified(Z_before, Z_after, "Z")
    s.hidden()
    for shape_case, scale in [((1, 2), 1.0), ((3, 10), 30.0), ((200, 5), 500.0)]:
        Z_rand = rng.normal(scale=scale, size=shape_case)
        Z_before = Z_rand.copy()
        P_oracle, (Z_after,), _ = s.call_with_inputs("softmax", Z_rand)
        testing.check_close(P_oracle, scipy_softmax(Z_rand, axis=1), f"softmax of Z {shape_case}", atol=1e-300)
        testing.check_not_modified(Z_before, Z_after, "Z")


# --------------------------------------------------------------------------- one_hot

#: Built-in exceptions that ``except ValueError`` catches.
VALUE_ERRORS = frozenset(name for name, value in vars(builtins).items()
                         if isinstance(value, type) and issubclass(value, ValueError))


def expect_value_error(s, name: str, *args) -> None:
    """``testing.check_raises(ValueError, name, *args)`` across the kernel boundary."""
    raised = s.raises(name, *args)
    if raised is None:
        raise AssertionError(f"{name} should raise ValueError for these inputs but returned a value. Check the inputs "
                             "at the start of the function and raise ValueError when they are invalid.")
    if raised.type not in VALUE_ERRORS:
        kind = raised.type if raised.type in BUILTIN_EXCEPTIONS else "an exception of its own class"
        raise AssertionError(f"{name} should raise ValueError for these inputs but raised {kind}. Raise ValueError "
                             "explicitly for this case (e.g. `raise ValueError(\"...\")`) before the computation fails.")


@check("test_one_hot_values")
def one_hot_values(s):
    Y_case, Y_four = s.call_many("one_hot", [(np.array([2, 0, 1, 2]), 3), (np.array([0, 1]), 4)])
    testing.check_shape(Y_case, (4, 3), "one_hot([2, 0, 1, 2], 3)")
    testing.check_dtype(Y_case, np.floating, "one_hot(y, num_classes)")
    testing.check_close(Y_case, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
                        "one_hot([2, 0, 1, 2], 3)", hint="row i is zero except a 1 in column y[i]")
    testing.check_shape(Y_four, (2, 4), "one_hot([0, 1], 4): C is num_classes, not max(y) + 1")
    s.hidden()
    Y_single_label, Y_single_class = s.call_many("one_hot", [(np.array([3]), 5), (np.array([0, 0, 0]), 1)])
    testing.check_close(Y_single_label, [[0, 0, 0, 1, 0]], "one_hot of a single label")
    testing.check_close(Y_single_class, np.ones((3, 1)), "one_hot with a single class")
    rng = np.random.default_rng(61)
    y_rand = rng.integers(0, 10, size=100)
    y_before = y_rand.copy()
    Y_rand, (y_after, _), _ = s.call_with_inputs("one_hot", y_rand, 10)
    testing.check_dtype(Y_rand, np.floating, "one_hot")
    testing.check_close(Y_rand, np.eye(10)[y_rand], "one_hot of 100 random labels, 10 classes")
    testing.check_not_modified(y_before, y_after, "y")


@check("test_one_hot_errors")
def one_hot_errors(s):
    expect_value_error(s, "one_hot", np.array([0, 3]), 3)
    expect_value_error(s, "one_hot", np.array([-1, 0]), 3)
    s.hidden()
    expect_value_error(s, "one_hot", np.array([5]), 5)
    expect_value_error(s, "one_hot", np.array([0, 1, -2, 1]), 10)
    testing.check_close(s.call("one_hot", np.array([4, 0]), 5), [[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]],
                        "one_hot with the largest valid label")


# --------------------------------------------------------------------------- softmax_cross_entropy
# Your softmax_cross_entropy is tested with SciPy's softmax (and an np.eye one-hot), so a mistake
# in Exercises 4 and 5 costs nothing here.


@check("test_softmax_cross_entropy_values")
def softmax_cross_entropy_values(s):
    # Zero logits: P = 1/4 everywhere, so the loss is log 4 and dZ = (1/4 - Y) / N.
    loss_case, dZ_case = cross_entropy_result(
        s.call("softmax_cross_entropy", np.zeros((2, 4)), np.array([0, 3]), isolate=CROSS_ENTROPY_ISOLATION))
    testing.check_close(testing.check_scalar(loss_case, "loss"), np.log(4.0),
                        "loss for zero logits and 4 classes", hint="every class has probability 1/4, so each sample costs "
                                                                   "-log(1/4); a mean, not a sum, over samples")
    testing.check_shape(dZ_case, (2, 4), "dZ")
    testing.check_close(dZ_case, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]],
                        "dZ for zero logits", hint="dZ = (P - one_hot(y)) / N")
    s.hidden()
    Z_fixed = np.array([1.623, -2.753, -0.873, -2.582, -1.551, 1.806, -2.961, -1.068, 0.328, -1.337, -0.505,
                        -0.444]).reshape(4, 3)
    loss_fixed, dZ_fixed = cross_entropy_result(
        s.call("softmax_cross_entropy", Z_fixed, np.array([2, 0, 0, 1]), isolate=CROSS_ENTROPY_ISOLATION))
    testing.check_close(testing.check_scalar(loss_fixed, "loss"), 2.8690276972336113, "loss on a (4, 3) example")
    testing.check_close(dZ_fixed, np.array([0.22831267978828754, 0.0028711598929746815, -0.23118383968126222,
                                            -0.24703380868247854, 0.008316809811482787, 0.23871699887099576,
                                            -0.24274422028956397, 0.04817298336007911, 0.1945712369294849,
                                            0.04355130605370517, -0.14992301972409644, 0.10637171367039126]).reshape(4, 3),
                        "dZ on a (4, 3) example")
    # oracle: the loss from the logits, mean(logsumexp(z) - z_y) (scikit-learn's log_loss gives the
    # same), on random logits of other shapes
    rng = np.random.default_rng(71)
    for num_samples, num_classes in [(1, 2), (7, 5), (120, 10)]:
        Z_rand = rng.normal(scale=2.0, size=(num_samples, num_classes))
        y_rand = rng.integers(0, num_classes, size=num_samples)
        Z_before, y_before = Z_rand.copy(), y_rand.copy()
        P_oracle = scipy_softmax(Z_rand, axis=1)
        result, (Z_after, y_after), _ = s.call_with_inputs("softmax_cross_entropy", Z_rand, y_rand,
                                                           isolate=CROSS_ENTROPY_ISOLATION)
        loss_rand, dZ_rand = cross_entropy_result(result)
        testing.check_close(testing.check_scalar(loss_rand, "loss"),
                            np.mean(logsumexp(Z_rand, axis=1) - Z_rand[np.arange(num_samples), y_rand]),
                            f"loss for Z of shape {Z_rand.shape} against the loss computed from the logits")
        testing.check_close(dZ_rand, (P_oracle - np.eye(num_classes)[y_rand]) / num_samples, f"dZ for Z of shape {Z_rand.shape}")
        testing.check_not_modified(Z_before, Z_after, "Z")
        testing.check_not_modified(y_before, y_after, "y")
    loss_single, dZ_single = cross_entropy_result(
        s.call("softmax_cross_entropy", np.array([[2.0], [-5.0]]), np.array([0, 0]), isolate=CROSS_ENTROPY_ISOLATION))
    testing.check_close(testing.check_scalar(loss_single, "loss"), 0.0, "loss with a single class", atol=1e-12)
    testing.check_close(dZ_single, np.zeros((2, 1)), "dZ with a single class", atol=1e-12)


@check("test_softmax_cross_entropy_stable")
def softmax_cross_entropy_stable(s):
    # Sample 0 is confidently wrong (logit 1000 on class 0, true class 1): it costs 1000. Sample 1 is right: 0.
    (result,) = fp_strict_calls(
        s, "softmax_cross_entropy", [(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 1]))],
        "softmax_cross_entropy overflowed or took log(0) for logits of 1000 (NumPy raised FloatingPointError): "
        "use log P = S - log(sum(exp(S))) with S = Z - row max.", isolate=CROSS_ENTROPY_ISOLATION)
    loss_large, dZ_large = cross_entropy_result(result)
    testing.check_close(testing.check_scalar(loss_large, "loss"), 500.0,
                        "loss for logits of 1000", hint="-log P of a confidently wrong sample is the logit gap (1000), not inf")
    testing.check_close(dZ_large, [[0.5, -0.5], [0.0, 0.0]], "dZ for logits of 1000", atol=1e-12)
    s.hidden()
    Z_huge = np.array([[1e4, -1e4, 0.0], [-2e4, 0.0, 3e4], [5.0, 5.0, 5.0]])
    (result,) = fp_strict_calls(
        s, "softmax_cross_entropy", [(Z_huge, np.array([2, 0, 1]))],
        "softmax_cross_entropy overflowed for logits of magnitude 1e4 (NumPy raised FloatingPointError).",
        isolate=CROSS_ENTROPY_ISOLATION)
    loss_huge, dZ_huge = cross_entropy_result(result)
    testing.check_close(testing.check_scalar(loss_huge, "loss"), (1e4 + 5e4 + np.log(3.0)) / 3,
                        "loss for logits of magnitude 1e4")
    testing.check_close(dZ_huge, np.array([[1.0, 0.0, -1.0], [-1.0, 0.0, 1.0], [1 / 3, -2 / 3, 1 / 3]]) / 3,
                        "dZ for logits of magnitude 1e4", atol=1e-12)


def check_cross_entropy_gradient(s, Z, y, name: str, tol: float = 1e-7) -> None:
    _, dZ = cross_entropy_result(s.call("softmax_cross_entropy", Z, y, isolate=CROSS_ENTROPY_ISOLATION))
    testing.check_gradient_batch(
        lambda points: [cross_entropy_result(r)[0] for r in s.call_many(
            "softmax_cross_entropy", [(p, y) for p in points], isolate=CROSS_ENTROPY_ISOLATION)],
        Z, dZ, name, tol=tol)


@check("test_softmax_cross_entropy_gradcheck")
def softmax_cross_entropy_gradcheck(s):
    rng = np.random.default_rng(73)
    Z_rand = rng.normal(size=(3, 5))
    check_cross_entropy_gradient(s, Z_rand, np.array([4, 0, 2]), "dZ of softmax_cross_entropy")
    s.hidden()
    for num_samples, num_classes in [(1, 2), (6, 3), (10, 7)]:
        Z_rand = rng.normal(scale=1.5, size=(num_samples, num_classes))
        y_rand = rng.integers(0, num_classes, size=num_samples)
        # tol 1e-6: entries of dZ are ~P/N, small for N = 10, so round-off weighs more
        check_cross_entropy_gradient(s, Z_rand, y_rand, f"dZ of softmax_cross_entropy for Z of shape {Z_rand.shape}", tol=1e-6)


# --------------------------------------------------------------------------- train_softmax
# graded on its own: train_softmax runs with a reference softmax_cross_entropy, so a mistake in
# Exercise 6 costs nothing here.


#: The message for the likely mistake of a regularised bias (the recipe of Exercise 7, step 3).
BIAS_NOT_REGULARISED = ("The bias is not regularised: db = dZ summed over the batch (no reg * b), and the penalty "
                        "0.5 * reg * sum(W**2) leaves b out. Regularisation limits how strongly the output reacts to the "
                        "inputs (the weights); the bias only shifts the scores.")
#: b after two full-batch steps (lr 0.5, reg 0.1) of the visible 4x2 example when the bias IS regularised.
B_TWO_STEPS_BIAS_REGULARISED = np.array([-0.0668840200385345, 0.14592948795370977, -0.07904546791517525])


def _replay_train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg, seed, bias_gradient=False,
                          bias_penalty=False) -> tuple:
    """The recipe of Exercise 7 replayed here, optionally with the bias regularised (a likely mistake)."""
    W, b = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes)
    rng, history = np.random.default_rng(seed), []
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = reference_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * (np.sum(W * W) + (np.sum(b * b) if bias_penalty else 0.0)))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * (dZ.sum(axis=0) + (reg * b if bias_gradient else 0.0))
        history.append(float(np.mean(losses)))
    return W, b, history


def _close(actual, expected) -> bool:
    """``np.allclose`` for a value of any type and shape (False unless the shapes agree)."""
    try:
        actual = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return actual.shape == np.shape(expected) and bool(np.allclose(actual, expected, rtol=1e-7, atol=1e-9))


def _bias_regularised(W, b, history, X, y, num_classes, **recipe) -> bool:
    """Whether (W, b, history) is what the recipe gives with the bias regularised, in the gradient, the loss or both."""
    for gradient, penalty in [(True, False), (True, True), (False, True)]:
        W_e, b_e, history_e = _replay_train_softmax(X, y, num_classes, bias_gradient=gradient, bias_penalty=penalty, **recipe)
        if _close(W, W_e) and _close(b, b_e) and _close(history, history_e):
            return True
    return False


@check("test_train_softmax_shapes")
def train_softmax_shapes(s):
    rng = np.random.default_rng(81)
    X_case, y_case = rng.normal(size=(12, 3)), rng.integers(0, 4, size=12)
    X_before, y_before = X_case.copy(), y_case.copy()
    result, (X_after, y_after, _), _ = s.call_with_inputs("train_softmax", X_case, y_case, 4, lr=0.1, num_epochs=2,
                                                          batch_size=5, isolate=TRAIN_ISOLATION)
    W_case, b_case, history_case = train_result(result)
    testing.check_shape(W_case, (3, 4), "W")
    testing.check_shape(b_case, (4,), "b")
    testing.check_type(history_case, list, "loss_history")
    testing.assert_that(len(history_case) == 2 and all(isinstance(v, float) for v in history_case),
                        f"loss_history should hold num_epochs = 2 python floats (one mean per epoch), got {history_case!r}")
    testing.check_not_modified(X_before, X_after, "X")
    testing.check_not_modified(y_before, y_after, "y")
    s.hidden()
    none, big, one = s.call_many("train_softmax", [
        ((X_case, y_case, 4), {"lr": 0.1, "num_epochs": 0, "batch_size": 5}),
        ((X_case, y_case, 6), {"lr": 0.1, "num_epochs": 3, "batch_size": 100}),
        ((X_case[:4], y_case[:4], 4), {"lr": 0.1, "num_epochs": 2, "batch_size": 1})], isolate=TRAIN_ISOLATION)
    W_none, b_none, history_none = train_result(none)
    testing.check_close(W_none, np.zeros((3, 4)), "W after 0 epochs (W starts at zeros)")
    testing.check_close(b_none, np.zeros(4), "b after 0 epochs")
    testing.assert_that(history_none == [], f"loss_history after 0 epochs should be [], got {history_none!r}")
    W_large, _, history_large = train_result(big)
    testing.check_shape(W_large, (3, 6), "W with num_classes = 6 (more classes than labels present)")
    testing.assert_that(len(history_large) == 3, "loss_history should have one entry per epoch when batch_size > N")
    _, _, history_one = train_result(one)
    testing.assert_that(len(history_one) == 2, "loss_history should have one entry per epoch (not per batch) for batch_size = 1")


@check("test_train_softmax_replay")
def train_softmax_replay(s):
    # Two runs whose result does not depend on the shuffling order:
    X_case = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]])
    y_case = np.array([0, 1, 2, 1])
    still, step = s.call_many("train_softmax", [
        ((X_case, y_case, 3), {"lr": 0.0, "num_epochs": 3, "batch_size": 2}),
        ((X_case, y_case, 3), {"lr": 0.5, "num_epochs": 1, "batch_size": 4})], isolate=TRAIN_ISOLATION)
    # (a) lr = 0: nothing moves, every batch loss is log(C) at W = 0, b = 0.
    W_frozen, _, history_frozen = train_result(still)
    testing.check_close(W_frozen, np.zeros((2, 3)), "W with lr = 0", hint="W must start at zeros")
    testing.check_close(np.array(history_frozen), np.full(3, np.log(3.0)), "loss_history with lr = 0 (W = 0, 3 classes)")
    # (b) one epoch, one batch holding all samples: a single step of full-batch gradient descent from zeros.
    W_one_step, b_one_step, history_one_step = train_result(step)
    dZ_expected = (np.full((4, 3), 1 / 3) - np.eye(3)[y_case]) / 4
    testing.check_close(W_one_step, -0.5 * X_case.T @ dZ_expected,
                        "W after one full-batch step", hint="dW = X_batch^T dZ with dZ = (P - Y) / batch size; W -= lr * dW")
    testing.check_close(b_one_step, -0.5 * dZ_expected.sum(axis=0), "b after one full-batch step",
                        hint="db = dZ summed over the batch")
    testing.check_close(np.array(history_one_step), [np.log(3.0)],
                        "loss_history after one full-batch step (the loss before the update)")
    # (c) two full-batch steps with reg = 0.1: W is regularised, b is not.
    W_two, b_two, history_two = train_result(s.call("train_softmax", X_case, y_case, 3, lr=0.5, num_epochs=2, batch_size=4,
                                                    reg=0.1, isolate=TRAIN_ISOLATION))
    testing.assert_that(not _close(b_two, B_TWO_STEPS_BIAS_REGULARISED),
                        f"b after two full-batch steps with reg = 0.1 is {np.round(b_two, 8)}: that is what regularising "
                        f"the bias gives. {BIAS_NOT_REGULARISED}")
    testing.check_close(np.array(history_two), [1.0986122886681098, 0.9694255784658253],
                        "loss_history of two full-batch steps with reg = 0.1",
                        hint="batch loss = data loss + 0.5 * reg * sum(W**2), before the update (b is not in the penalty)")
    testing.check_close(W_two, np.array([[0.1558399782488188, -0.3086761932760941, 0.1528362150272753],
                                         [-0.1908289455736238, 0.14896874795533535, 0.041860197618288464]]),
                        "W after two full-batch steps with reg = 0.1", hint="dW = X_batch^T dZ + reg * W")
    testing.check_close(b_two, np.array([-0.06896735337186782, 0.15009615462037645, -0.08112880124850859]),
                        "b after two full-batch steps with reg = 0.1", hint=BIAS_NOT_REGULARISED)
    s.hidden()
    X_fixed = np.array([0.428, -0.571, 2.654, -1.609, 0.662, -0.143, -0.355, 1.066, -1.818, -0.985, -0.114, 1.741, 0.089,
                        0.896, -1.863, -1.239, 0.97, -0.628, -0.063, 0.731, -2.205]).reshape(7, 3)
    y_fixed = np.array([0, 2, 1, 3, 3, 0, 2])
    fixed, fixed2 = s.call_many("train_softmax", [
        ((X_fixed, y_fixed, 4), {"lr": 0.3, "num_epochs": 3, "batch_size": 3, "reg": 0.1, "seed": 5}),
        ((X_fixed, y_fixed, 4), {"lr": 0.05, "num_epochs": 2, "batch_size": 2, "seed": 11})], isolate=TRAIN_ISOLATION)
    W_fixed, b_fixed, history_fixed = train_result(fixed)
    # the likely mistake first: a regularised bias (in the gradient, the loss or both) gets its own message
    testing.assert_that(not _bias_regularised(W_fixed, b_fixed, history_fixed, X_fixed, y_fixed, 4, lr=0.3, num_epochs=3,
                                              batch_size=3, reg=0.1, seed=5),
                        f"W, b and loss_history (N = 7, batch 3, 3 epochs, reg 0.1, seed 5) are what regularising the "
                        f"bias gives. {BIAS_NOT_REGULARISED}")
    testing.check_close(np.array(history_fixed), [1.4609062629661185, 1.5060466379732171, 1.4997334980656385],
                        "loss_history (N = 7, batch 3, 3 epochs, reg 0.1, seed 5)",
                        hint="one rng = np.random.default_rng(seed); order = rng.permutation(N) every epoch; batch loss "
                             "before the update, with 0.5 * reg * sum(W**2) (W only: the bias is not regularised)")
    testing.check_close(W_fixed, np.array([-0.0924961813167183, 0.15345312226836233, -0.10010173653714881, 0.03914479558550478,
                                           0.04592591051936142, -0.07298416932902228, -0.09715789162257962, 0.12421615043224066,
                                           0.49911866933815974, -0.08550321961742596, -0.07201403469177137,
                                           -0.34160141502896263]).reshape(3, 4),
                        "W (N = 7, batch 3, 3 epochs, reg 0.1, seed 5)", hint="dW = X_batch^T dZ + reg * W (and db = dZ summed over the batch, without reg * b)")
    testing.check_close(b_fixed, np.array([0.29625294873177993, -0.31539355781037615, -0.14216578410069314, 0.16130639317928946]),
                        "b (N = 7, batch 3, 3 epochs, reg 0.1, seed 5)", hint=BIAS_NOT_REGULARISED)
    W_fixed2, b_fixed2, history_fixed2 = train_result(fixed2)
    testing.check_close(np.array(history_fixed2), [1.411946555705523, 1.3321570366953144],
                        "loss_history (batch 2, 2 epochs, seed 11, reg 0)")
    testing.check_close(W_fixed2, np.array([0.012400251628688939, 0.02601907053379337, -0.03663818794953077,
                                            -0.0017811342129515403, -0.034385821471969044, 0.0056358498319958065,
                                            0.03270026076625034, -0.003950289126277116, 0.17488636306387545,
                                            -0.05861466153965768, -0.12597067054633887, 0.009698969022121091]).reshape(3, 4),
                        "W (batch 2, 2 epochs, seed 11, reg 0)")
    testing.check_close(b_fixed2, np.array([0.027144972978514613, -0.04874315418322991, 0.021334982761908854,
                                            0.0002631984428064435]), "b (batch 2, 2 epochs, seed 11, reg 0)")


@functools.cache
def digits_splits() -> tuple:
    """The notebook's digits split (train, test: standardised) and the hidden test's other split."""
    X_all, y_all = data.load_digits()
    X_train, y_train, _, _, X_test, y_test = data.split_train_val_test(X_all, y_all, val_fraction=0.15,
                                                                       test_fraction=0.2, seed=0)
    X_tr2, y_tr2, _, _, X_te2, y_te2 = data.split_train_val_test(X_all, y_all, val_fraction=0.0, test_fraction=0.25,
                                                                 seed=3)
    (X_train_std, X_test_std), (X_tr2_std, X_te2_std) = standardized(X_train, X_test), standardized(X_tr2, X_te2)
    return (X_train_std, y_train, X_test_std, y_test), (X_tr2_std, y_tr2, X_te2_std, y_te2)


def accuracy_of(W, b, X_test: np.ndarray, y_test: np.ndarray) -> float:
    testing.check_shape(W, (X_test.shape[1], 10), "W")
    return float(np.mean(np.argmax(X_test @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float), axis=1) == y_test))


@check("test_train_softmax_digits")
def train_softmax_digits(s):
    (X_train_std, y_train, X_test_std, y_test), (X_tr2, y_tr2, X_te2, y_te2) = digits_splits()
    W_case, b_case, history_case = train_result(s.call(
        "train_softmax", X_train_std, y_train, 10, lr=0.1, num_epochs=30, batch_size=32, reg=1e-3, isolate=TRAIN_ISOLATION))
    accuracy_case = accuracy_of(W_case, b_case, X_test_std, y_test)
    testing.assert_that(accuracy_case >= 0.95, f"test accuracy on the digits is {accuracy_case:.3f}, expected >= 0.95")
    testing.assert_that(history_case[-1] < 0.5 * history_case[0],
                        f"the mean epoch loss should fall by more than half over 30 epochs: {history_case[0]:.3f} -> "
                        f"{history_case[-1]:.3f}")
    s.hidden()
    W_check2, b_check2, _ = train_result(s.call("train_softmax", X_tr2, y_tr2, 10, lr=0.05, num_epochs=20, batch_size=64,
                                                reg=1e-4, seed=9, isolate=TRAIN_ISOLATION))
    accuracy_check2 = accuracy_of(W_check2, b_check2, X_te2, y_te2)
    testing.assert_that(accuracy_check2 >= 0.94,
                        f"test accuracy on another digits split is {accuracy_check2:.3f}, expected >= 0.94")


# --------------------------------------------------------------------------- TensorFlow


@check("test_softmax_cross_entropy_tf_values")
def softmax_cross_entropy_tf_values(s):
    kept = s.keep("softmax_cross_entropy_tf", np.zeros((2, 4)), np.array([0, 3]))
    result_case = kept.read()
    testing.assert_that(isinstance(result_case, tuple) and len(result_case) == 2,
                        "softmax_cross_entropy_tf should return a tuple (loss, dZ).")
    # Tensors reach the checker as arrays: their repr in the kernel tells whether they were tensors.
    shown = kept.call("__repr__")
    shown = shown if isinstance(shown, str) else ""
    loss_case, dZ_case = result_case
    loss_tensor, dZ_tensor = shown.startswith("(<tf."), ", <tf." in shown
    testing.assert_that(isinstance(loss_case, float) and not loss_tensor,
                        "loss should be a python float (float(loss)), got "
                        f"{'a TensorFlow tensor' if loss_tensor else type(loss_case).__name__}")
    testing.assert_that(isinstance(dZ_case, np.ndarray) and not dZ_tensor,
                        "dZ should be a NumPy array (call .numpy() on the gradient), got "
                        f"{'a TensorFlow tensor' if dZ_tensor else type(dZ_case).__name__}")
    testing.check_close(loss_case, np.log(4.0), "TF loss for zero logits and 4 classes",
                        rtol=1e-10, hint="the mean (tf.reduce_mean) of the per-sample losses, in float64")
    testing.check_close(dZ_case, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]], "TF dZ for zero logits",
                        rtol=1e-10)
    s.hidden()
    Z_fixed = np.array([1.623, -2.753, -0.873, -2.582, -1.551, 1.806, -2.961, -1.068, 0.328, -1.337, -0.505,
                        -0.444]).reshape(4, 3)
    fixed, big = s.call_many("softmax_cross_entropy_tf", [(Z_fixed, np.array([2, 0, 0, 1])),
                                                          (np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([1, 1]))])
    loss_fixed, dZ_fixed = returned_tuple(fixed, 2, "softmax_cross_entropy_tf should return a tuple (loss, dZ).")
    testing.check_close(loss_fixed, 2.8690276972336113, "TF loss on a (4, 3) example", rtol=1e-10,
                        hint="use tf.float64, not float32")
    testing.check_close(dZ_fixed, np.array([0.22831267978828754, 0.0028711598929746815, -0.23118383968126222,
                                            -0.24703380868247854, 0.008316809811482787, 0.23871699887099576,
                                            -0.24274422028956397, 0.04817298336007911, 0.1945712369294849,
                                            0.04355130605370517, -0.14992301972409644, 0.10637171367039126]).reshape(4, 3),
                        "TF dZ on a (4, 3) example", rtol=1e-10, atol=1e-14)
    loss_large, dZ_large = returned_tuple(big, 2, "softmax_cross_entropy_tf should return a tuple (loss, dZ).")
    testing.check_close(loss_large, 500.0, "TF loss for logits of 1000")
    testing.check_close(dZ_large, [[0.5, -0.5], [0.0, 0.0]], "TF dZ for logits of 1000", atol=1e-12)


@check("test_softmax_cross_entropy_tf_gradient")
def softmax_cross_entropy_tf_gradient(s):
    # Oracle: the closed form (P - Y) / N with SciPy's softmax, on random logits.
    rng = np.random.default_rng(91)
    Z_rand = rng.normal(scale=2.0, size=(6, 5))
    y_rand = rng.integers(0, 5, size=6)
    loss_rand, dZ_rand = returned_tuple(s.call("softmax_cross_entropy_tf", Z_rand, y_rand), 2,
                                        "softmax_cross_entropy_tf should return a tuple (loss, dZ).")
    P_oracle = scipy_softmax(Z_rand, axis=1)
    testing.check_close(loss_rand, -np.mean(np.log(P_oracle[np.arange(6), y_rand])), "TF loss on random (6, 5) logits",
                        rtol=1e-10)
    testing.check_close(dZ_rand, (P_oracle - np.eye(5)[y_rand]) / 6, "TF dZ on random (6, 5) logits", rtol=1e-9,
                        atol=1e-14, hint="the tape's gradient of the *mean* loss is (P - Y) / N")
    s.hidden()
    cases = []
    for num_samples, num_classes in [(1, 1), (3, 2), (50, 10)]:
        Z_rand = rng.normal(scale=4.0, size=(num_samples, num_classes))
        y_rand = rng.integers(0, num_classes, size=num_samples)
        cases.append((Z_rand, y_rand))
    results = s.call_many("softmax_cross_entropy_tf", cases)
    for result, (Z_rand, y_rand) in zip(results, cases):
        num_samples, num_classes = Z_rand.shape
        loss_rand, dZ_rand = returned_tuple(result, 2, "softmax_cross_entropy_tf should return a tuple (loss, dZ).")
        P_oracle = scipy_softmax(Z_rand, axis=1)
        testing.check_close(loss_rand, -np.mean(np.log(P_oracle[np.arange(num_samples), y_rand])),
                            f"TF loss for Z of shape {Z_rand.shape}", rtol=1e-10, atol=1e-14)
        testing.check_close(dZ_rand, (P_oracle - np.eye(num_classes)[y_rand]) / num_samples,
                            f"TF dZ for Z of shape {Z_rand.shape}",
                            rtol=1e-9, atol=1e-14)
