"""Trusted checks of notebook 09 (``solutions/09_batchnorm/batchnorm.ipynb``).

One check per graded cell. The cases before ``s.hidden()`` are those of the notebook's visible
test cell; the hidden cases follow. Inputs are rebuilt here with the seeds the tests always
used; independent oracles (scikit-learn's StandardScaler, Keras's BatchNormalization in
float64, ``tf.GradientTape``) run in the grader, never in the student's kernel. Caches for the
backward passes come from the student's own forward pass (they cross the wire as data).
"""

from __future__ import annotations

import numpy as np

from grading.trusted.keras_models import grader_tensorflow, rebuilt_model
from grading.trusted.registry import check
from helpers import testing

TRAIN = {"mode": "train"}

#: What the visible test cells name the forward's input in their not-modified check.
X_IN_PLACE = "x (batchnorm_forward must not change its input: write xc = x - mu, not x -= mu)"


_tf = grader_tensorflow


# ----------------------------------------------------------------------------- helpers


def _items(result, count: int, message: str):
    """``result`` as a tuple/list of ``count`` items (what ``a, b = f(...)`` needs)."""
    testing.assert_that(isinstance(result, (tuple, list)) and len(result) == count, message)
    return result


def _at(result, index: int, message: str):
    """``result[index]`` (what ``f(...)[index]`` needs)."""
    testing.assert_that(isinstance(result, (tuple, list)) and len(result) > index, message)
    return result[index]


def _forward(s, name: str, *args):
    """``out, cache = name(*args)`` in the student's kernel."""
    return _items(s.call(name, *args), 2, f"{name} returns (out, cache)")


#: Most calls in one round trip: each answer carries the student's whole cache, and a kernel
#: message may not exceed the grader's limit (32 MB).
CALLS_PER_REQUEST = 200


def _forward_outputs(s, name: str, arg_lists: list) -> list:
    """``name(*args)[0]`` for every argument tuple (numerical gradients), a few round trips in all."""
    results = []
    for start in range(0, len(arg_lists), CALLS_PER_REQUEST):
        results += s.call_many(name, arg_lists[start:start + CALLS_PER_REQUEST])
    return [_items(result, 2, f"{name} returns (out, cache)")[0] for result in results]


def _forward_with_param(s, name: str, x, gamma, beta, bn_param: dict):
    """``(out, cache)`` and the ``bn_param`` dict as the student's function left it (in place)."""
    result, args_after, _ = s.call_with_inputs(name, x, gamma, beta, bn_param)
    param_after = args_after[3]
    testing.assert_that(isinstance(param_after, dict), f"{name} must leave bn_param a dict")
    return _items(result, 2, f"{name} returns (out, cache)"), param_after


def _keras_bn(channels: int, gamma, beta, moving_mean, moving_var, input_shape=None):
    """Keras's BatchNormalization in float64 (momentum 0.9, epsilon 1e-5) with these weights."""
    tf = _tf()
    layer = tf.keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, dtype="float64")
    layer.build(input_shape or (None, channels))
    layer.set_weights([np.asarray(gamma), np.asarray(beta), np.asarray(moving_mean), np.asarray(moving_var)])
    return layer


def _check_raises_value_error(s, name: str, *args) -> None:
    """``testing.check_raises(ValueError, name, *args)`` on the student's side."""
    raised = s.raises(name, *args)
    testing.assert_that(raised is not None, f"{name} should raise ValueError for these inputs but returned a result. "
                        "Check the inputs at the start of the function and raise ValueError when they are invalid.")
    testing.assert_that(raised.type == "ValueError",
                        f"{name} should raise ValueError for these inputs but raised {raised.type}. Raise ValueError "
                        "explicitly for this case (e.g. `raise ValueError(\"...\")`) before the computation fails.")


# ----------------------------------------------------------------------------- 1. standardize


def _check_lonely_statistic(s, X, given: dict, name: str, missing: str) -> None:
    """``standardize(X, **given)`` with only one of mean/std must raise ValueError (the docstring's rule)."""
    raised = s.raises("standardize", X, **given)
    testing.assert_that(
        raised is not None,
        f"standardize(X, {name}=...) without {missing} should raise ValueError (give both statistics or neither), "
        f"but it returned a result: did it recompute {missing} from X, or ignore the given {name}? Mixing the training "
        f"{name} with a {missing} computed from the test data scales the test set inconsistently.")
    testing.assert_that(
        raised.type == "ValueError",
        f"standardize(X, {name}=...) without {missing} should raise ValueError, but it raised {raised.type}: check "
        f"`(mean is None) != (std is None)` at the start and raise ValueError yourself, before the arithmetic fails.")


@check("test_standardize")
def standardize_values(s):
    X_check = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    result_check, args_after, _ = s.call_with_inputs("standardize", X_check)
    testing.check_not_modified(X_check, args_after[0], "X (standardize must not change its input)")
    testing.assert_that(isinstance(result_check, (tuple, list)) and len(result_check) == 3, "standardize returns (X_scaled, mean, std)")
    scaled_check, mean_check, std_check = result_check
    testing.check_close(mean_check, np.array([3.0, 20.0]), "mean", hint="one mean per feature: axis=0")
    testing.check_close(std_check, np.sqrt(np.array([8.0, 200.0]) / 3), "std", hint="np.std with ddof=0, per feature (axis=0)")
    testing.check_type(scaled_check, np.ndarray, "X_scaled")
    testing.check_close(scaled_check.mean(axis=0), np.zeros(2), "mean of every scaled feature", atol=1e-12)
    testing.check_close(scaled_check.std(axis=0), np.ones(2), "std of every scaled feature", rtol=1e-6)
    # scikit-learn's StandardScaler is the oracle on random data.
    from sklearn.preprocessing import StandardScaler

    X_random = np.random.default_rng(22).normal(3.0, 5.0, size=(40, 6))
    testing.check_close(_at(s.call("standardize", X_random), 0, "standardize returns (X_scaled, mean, std)"),
                        StandardScaler().fit_transform(X_random), "standardize against sklearn's StandardScaler",
                        rtol=1e-6, atol=1e-7)

    s.hidden()
    fixed, one = s.call_many("standardize", [
        (np.array([[1.0, 200.0, 3.0], [2.0, 180.0, 3.0], [4.0, 260.0, 3.0], [5.0, 220.0, 3.0]]),),
        (np.array([[7.0, -2.0]]),)])
    fixed_scaled = _at(fixed, 0, "standardize returns (X_scaled, mean, std)")
    testing.check_close(fixed_scaled, np.array([-1.2649110560673518, -0.5070925526656813, 0.0, -0.6324555280336759, -1.1832159562199231, 0.0, 0.6324555280336759, 1.5212776579970442, 0.0, 1.2649110560673518, 0.16903085088856046, 0.0]).reshape(4, 3),
                        "standardize on a fixed example with a constant feature")
    testing.check_finite(fixed_scaled, "a constant feature (std = 0) must give zeros, not nan")
    testing.check_close(_at(one, 0, "standardize returns (X_scaled, mean, std)"), np.zeros((1, 2)), "standardize of a single row")


@check("test_standardize_given_statistics")
def standardize_given_statistics(s):
    # Training statistics applied to new data as they are.
    X_new = np.array([[4.0, 40.0], [2.0, 20.0]])
    scaled_new, mean_used, std_used = _items(s.call("standardize", X_new, np.array([3.0, 20.0]), np.array([2.0, 10.0])), 3,
                                             "standardize returns (X_scaled, mean, std)")
    testing.check_close(scaled_new, np.array([[0.5, 2.0], [-0.5, 0.0]]), "test data scaled with the training mean and std",
                        hint="when mean and std are given, do not recompute them from X")
    testing.check_close(mean_used, np.array([3.0, 20.0]), "the returned mean when statistics are given")
    # Only one of mean and std: a ValueError, never a silent mix of given and recomputed statistics.
    _check_lonely_statistic(s, X_new, {"mean": np.array([3.0, 20.0])}, "mean", "std")
    _check_lonely_statistic(s, X_new, {"std": np.array([2.0, 10.0])}, "std", "mean")

    s.hidden()
    big = np.random.default_rng(20).normal(1e6, 1e3, size=(500, 3))
    big_result, same_result = s.call_many("standardize", [(big,), (big[:10], big.mean(axis=0), big.std(axis=0))])
    big_scaled, _, _ = _items(big_result, 3, "standardize returns (X_scaled, mean, std)")
    testing.check_type(big_scaled, np.ndarray, "X_scaled")
    testing.check_close(big_scaled.std(axis=0), np.ones(3), "std after scaling features around 1e6", rtol=1e-6)
    _, _, same_std = _items(same_result, 3, "standardize returns (X_scaled, mean, std)")
    testing.check_close(same_std, big.std(axis=0), "the returned std when statistics are given")


# ----------------------------------------------------------------------------- 2. batchnorm_forward


@check("test_batchnorm_forward_train")
def batchnorm_forward_train(s):
    rng = np.random.default_rng(1)
    x_check = rng.normal(5.0, 3.0, size=(50, 4))
    gamma_check, beta_check = np.array([1.0, 2.0, 0.5, 3.0]), np.array([0.0, -1.0, 4.0, 0.5])
    result_check, args_after, _ = s.call_with_inputs("batchnorm_forward", x_check, gamma_check, beta_check, {"mode": "train"})
    testing.check_not_modified(x_check, args_after[0], X_IN_PLACE)
    out_check, _ = _items(result_check, 2, "batchnorm_forward returns (out, cache)")
    testing.check_shape(out_check, (50, 4), "out for x of shape (50, 4)")
    testing.check_type(out_check, np.ndarray, "out")
    testing.check_close(out_check.mean(axis=0), beta_check, "mean of every output unit (should be beta)", atol=1e-10,
                        hint="normalise per unit: statistics over axis 0 (the batch)")
    testing.check_close(out_check.std(axis=0), gamma_check, "std of every output unit (should be gamma)", rtol=1e-4,
                        hint="divide by sqrt(biased variance + eps), then multiply by gamma")
    # Keras's BatchNormalization in training mode, same momentum and epsilon, copied running statistics.
    start_mean, start_var = rng.standard_normal(4), rng.random(4) + 0.5
    layer_check = _keras_bn(4, gamma_check, beta_check, start_mean, start_var)
    param_check = {"mode": "train", "momentum": 0.9, "eps": 1e-5, "running_mean": start_mean.copy(), "running_var": start_var.copy()}
    (out_check, _), param_after = _forward_with_param(s, "batchnorm_forward", x_check, gamma_check, beta_check, param_check)
    testing.check_close(out_check, layer_check(x_check, training=True).numpy(), "out against BatchNormalization(training=True)",
                        rtol=1e-9, atol=1e-9)
    testing.check_close(param_after.get("running_mean"), layer_check.moving_mean.numpy(), "running_mean after one step against Keras's moving_mean",
                        rtol=1e-9, atol=1e-9, hint="running = momentum * running + (1 - momentum) * batch mean, stored back in bn_param")
    testing.check_close(param_after.get("running_var"), layer_check.moving_variance.numpy(), "running_var after one step against Keras's moving_variance",
                        rtol=1e-9, atol=1e-9, hint="the biased batch variance (1/N), stored back in bn_param")

    s.hidden()
    (fixed_out, _), fixed_param = _forward_with_param(
        s, "batchnorm_forward", np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 0.25], [-1.0, 4.0, 1.0], [2.0, 2.0, -0.75]]),
        np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0]), {"mode": "train", "momentum": 0.8, "eps": 1e-3})
    testing.check_close(fixed_out, np.array([-0.1689922285640851, -3.6830132850849644, 3.1958752061342786, 1.1829455999485956, -1.8943377616949881, 3.0, -1.5209300570767659, 1.6830132850849644, 3.5876256184028357, 0.5069766856922553, -0.10566223830501198, 2.2164991754628858]).reshape(4, 3),
                        "batchnorm_forward on a fixed example (momentum 0.8, eps 1e-3)")
    testing.check_close(fixed_param.get("running_mean"), np.array([0.24999999999999994, 0.19999999999999996, 0.04999999999999999]),
                        "running_mean on the fixed example (starting from zeros)")
    testing.check_close(fixed_param.get("running_var"), np.array([1.2374999999999998, 1.7999999999999998, 0.8812500000000001]),
                        "running_var on the fixed example (starting from ones)")


@check("test_batchnorm_forward_test")
def batchnorm_forward_test_mode(s):
    rng = np.random.default_rng(2)
    x_check = rng.normal(-2.0, 4.0, size=(6, 3))
    gamma_check, beta_check = np.array([0.5, 1.5, -1.0]), np.array([1.0, 0.0, 2.0])
    running_mean, running_var = np.array([-1.0, 0.5, 2.0]), np.array([4.0, 9.0, 0.25])
    param_check = {"mode": "test", "eps": 1e-5, "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    (out_check, _), param_after = _forward_with_param(s, "batchnorm_forward", x_check, gamma_check, beta_check, param_check)
    layer_check = _keras_bn(3, gamma_check, beta_check, running_mean, running_var)
    testing.check_close(out_check, layer_check(x_check, training=False).numpy(), "test-mode out against BatchNormalization(training=False)",
                        rtol=1e-9, atol=1e-9, hint="in test mode use running_mean and running_var, not the batch statistics")
    testing.check_close(param_after.get("running_mean"), running_mean, "running_mean after a test-mode call (must not change)")

    s.hidden()
    one_result, one_args, _ = s.call_with_inputs("batchnorm_forward", x_check[:1], gamma_check, beta_check, dict(param_check))
    testing.check_not_modified(x_check[:1], one_args[0], "x in test mode (batchnorm_forward must not change its input)")
    one_out, _ = _items(one_result, 2, "batchnorm_forward returns (out, cache)")
    testing.check_close(one_out, layer_check(x_check[:1], training=False).numpy(), "test mode on a single sample", rtol=1e-9, atol=1e-9)
    testing.check_close(param_after.get("running_var"), running_var, "running_var after a test-mode call (must not change)")
    _check_raises_value_error(s, "batchnorm_forward", x_check, gamma_check, beta_check, {"mode": "inference"})


@check("test_batchnorm_forward_defaults")
def batchnorm_forward_defaults(s):
    # Only the mode given: eps 1e-5, momentum 0.9, running statistics start at zeros and ones.
    x_check = np.array([[1.0, 10.0], [3.0, 10.0]])
    (out_check, _), param_after = _forward_with_param(s, "batchnorm_forward", x_check, np.ones(2), np.zeros(2), {"mode": "train"})
    testing.check_close(param_after.get("running_mean"), np.array([0.2, 1.0]), "running_mean after one step from zeros with momentum 0.9",
                        hint="0.9 * 0 + 0.1 * batch mean; write the result into bn_param['running_mean']")
    testing.check_close(param_after.get("running_var"), np.array([1.0, 0.9]), "running_var after one step from ones with momentum 0.9")
    testing.check_type(out_check, np.ndarray, "out")
    testing.check_close(out_check[:, 1], np.zeros(2), "a constant unit normalises to 0 (eps keeps it finite)")

    s.hidden()
    testing.check_close(out_check[:, 0], np.array([-1.0, 1.0]) / np.sqrt(1.0 + 1e-5), "out with the default eps 1e-5", rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- 3. batchnorm_backward


def _dx_check(s, forward: str, x, gamma, beta, dout, dx, name: str, h: float = 1e-5, tol: float = 1e-7):
    """``dx`` against the numerical gradient of ``forward(., gamma, beta, train)`` at ``x``."""
    testing.check_array_gradient_batch(
        lambda points: _forward_outputs(s, forward, [(p, gamma, beta, TRAIN) for p in points]),
        x, dout, dx, name, h=h, tol=tol)


def _dgamma_check(s, forward: str, x, gamma, beta, dout, dgamma, name: str):
    testing.check_array_gradient_batch(
        lambda points: _forward_outputs(s, forward, [(x, p, beta, TRAIN) for p in points]), gamma, dout, dgamma, name)


def _dbeta_check(s, forward: str, x, gamma, beta, dout, dbeta, name: str):
    testing.check_array_gradient_batch(
        lambda points: _forward_outputs(s, forward, [(x, gamma, p, TRAIN) for p in points]), beta, dout, dbeta, name)


def _grads(s, backward: str, forward: str, x, gamma, beta, dout):
    """The student's ``backward(dout, cache)`` with the cache of the student's own forward pass."""
    _, cache = _forward(s, forward, x, gamma, beta, TRAIN)
    return s.call(backward, dout.copy(), cache)


@check("test_batchnorm_backward")
def batchnorm_backward_dx(s):
    rng = np.random.default_rng(3)
    x_check = rng.normal(2.0, 3.0, size=(6, 4))
    gamma_check, beta_check = rng.standard_normal(4), rng.standard_normal(4)
    dout_check = rng.standard_normal((6, 4))
    grads_check = _grads(s, "batchnorm_backward", "batchnorm_forward", x_check, gamma_check, beta_check, dout_check)
    testing.assert_that(isinstance(grads_check, (tuple, list)) and len(grads_check) == 3, "batchnorm_backward returns (dx, dgamma, dbeta)")
    _dx_check(s, "batchnorm_forward", x_check, gamma_check, beta_check, dout_check, grads_check[0], "dx", tol=1e-6)

    s.hidden()
    fixed_x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 0.25], [-1.0, 4.0, 1.0], [2.0, 2.0, -0.75]])
    fixed_dout = np.array([[0.1, 0.2, -0.3], [0.4, -0.5, 0.6], [-0.7, 0.8, 0.9], [1.0, -1.1, 1.2]])
    fixed_grads = _grads(s, "batchnorm_backward", "batchnorm_forward", fixed_x, np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0]),
                         fixed_dout)
    testing.check_close(_at(fixed_grads, 0, "batchnorm_backward returns (dx, dgamma, dbeta)"), np.array([-0.009659148619072855, 0.47404561519143257, -0.6335999593645665, -0.2704468888480846, -0.25938373333742026, 0.0, -0.08693233757165547, 0.6887085703548541, 0.4525647792546592, 0.36703837503881287, -0.9033704522088664, 0.18103518010990727]).reshape(4, 3),
                        "dx on a fixed example")
    # TensorFlow's own gradient through Keras's BatchNormalization (float64) is an independent oracle.
    tf = _tf()
    layer_tape = _keras_bn(4, gamma_check, beta_check, np.zeros(4), np.ones(4))
    x_tape = tf.constant(x_check)
    with tf.GradientTape() as tape:
        tape.watch(x_tape)
        tape_loss = tf.reduce_sum(layer_tape(x_tape, training=True) * dout_check)
    tape_dx = tape.gradient(tape_loss, x_tape)
    testing.check_close(grads_check[0], tape_dx.numpy(), "dx against tf.GradientTape through BatchNormalization", rtol=1e-8, atol=1e-10)
    x_far = rng.normal(1e3, 5.0, size=(5, 3))
    d_far = rng.standard_normal((5, 3))
    far_grads = _grads(s, "batchnorm_backward", "batchnorm_forward", x_far, np.ones(3), np.zeros(3), d_far)
    _dx_check(s, "batchnorm_forward", x_far, np.ones(3), np.zeros(3), d_far,
              _at(far_grads, 0, "batchnorm_backward returns (dx, dgamma, dbeta)"),
              "dx for a batch of 5 with values around 1e3", h=1e-3, tol=1e-6)


@check("test_batchnorm_backward_params")
def batchnorm_backward_params(s):
    rng = np.random.default_rng(4)
    x_check = rng.normal(-1.0, 2.0, size=(5, 3))
    gamma_check, beta_check = rng.standard_normal(3), rng.standard_normal(3)
    dout_check = rng.standard_normal((5, 3))
    _, dgamma_check, dbeta_check = _items(_grads(s, "batchnorm_backward", "batchnorm_forward", x_check, gamma_check, beta_check, dout_check),
                                          3, "batchnorm_backward returns (dx, dgamma, dbeta)")
    _dgamma_check(s, "batchnorm_forward", x_check, gamma_check, beta_check, dout_check, dgamma_check, "dgamma")
    _dbeta_check(s, "batchnorm_forward", x_check, gamma_check, beta_check, dout_check, dbeta_check, "dbeta")

    s.hidden()
    _, dgamma_one, dbeta_one = _items(_grads(s, "batchnorm_backward", "batchnorm_forward", x_check[:2], gamma_check, beta_check,
                                             dout_check[:2]), 3, "batchnorm_backward returns (dx, dgamma, dbeta)")
    _dgamma_check(s, "batchnorm_forward", x_check[:2], gamma_check, beta_check, dout_check[:2], dgamma_one, "dgamma for a batch of 2")
    testing.check_close(dbeta_one, dout_check[:2].sum(axis=0), "dbeta for a batch of 2")


# ----------------------------------------------------------------------------- 4. batchnorm_backward_alt


def _calls_the_graph_version(dout, cache):
    """Stand-in for ``batchnorm_backward`` while ``batchnorm_backward_alt`` runs: the closed form
    must not call the computation-graph version."""
    raise LookupError("course-check: batchnorm_backward_alt called batchnorm_backward")


@check("test_batchnorm_backward_alt")
def batchnorm_backward_alt_dx(s):
    rng = np.random.default_rng(5)
    x_check = rng.normal(1.0, 2.0, size=(8, 5))
    gamma_check, beta_check = rng.standard_normal(5), rng.standard_normal(5)
    dout_check = rng.standard_normal((8, 5))
    _, cache_check = _forward(s, "batchnorm_forward", x_check, gamma_check, beta_check, TRAIN)
    alt_check = s.call("batchnorm_backward_alt", dout_check.copy(), cache_check)
    testing.assert_that(isinstance(alt_check, (tuple, list)) and len(alt_check) == 3, "batchnorm_backward_alt returns (dx, dgamma, dbeta)")
    _dx_check(s, "batchnorm_forward", x_check, gamma_check, beta_check, dout_check, alt_check[0],
              "dx (closed form)", tol=1e-6)

    s.hidden()
    # Today's test read the function's code (co_names); here batchnorm_backward is replaced, while
    # batchnorm_backward_alt runs, by a stand-in that raises: a call to it shows.
    raised = s.raises("batchnorm_backward_alt", dout_check.copy(), cache_check,
                      isolate={"batchnorm_backward": _calls_the_graph_version})
    testing.assert_that(not (raised is not None and raised.type == "LookupError" and "course-check" in raised.message),
                        "batchnorm_backward_alt should compute the closed form itself, not call batchnorm_backward")


@check("test_batchnorm_backward_alt_params")
def batchnorm_backward_alt_params(s):
    rng = np.random.default_rng(25)
    x_check = rng.normal(-1.0, 3.0, size=(7, 4))
    gamma_check, beta_check = rng.standard_normal(4), rng.standard_normal(4)
    dout_check = rng.standard_normal((7, 4))
    alt_check = _grads(s, "batchnorm_backward_alt", "batchnorm_forward", x_check, gamma_check, beta_check, dout_check)
    message = "batchnorm_backward_alt returns (dx, dgamma, dbeta)"
    _dgamma_check(s, "batchnorm_forward", x_check, gamma_check, beta_check, dout_check, _at(alt_check, 1, message), "dgamma (closed form)")
    testing.check_close(_at(alt_check, 2, message), dout_check.sum(axis=0), "dbeta (closed form)", hint="dbeta is the sum of dout over the batch")

    s.hidden()
    one = _grads(s, "batchnorm_backward_alt", "batchnorm_forward", x_check[:1], gamma_check, beta_check, dout_check[:1])
    testing.check_close(_at(one, 0, message), np.zeros((1, 4)), "dx for a batch of one sample (the output is beta whatever x is)", atol=1e-6)
    x_big = rng.normal(0.0, 1.0, size=(64, 7)) * 5 + 100
    d_big = rng.standard_normal((64, 7))
    big = _grads(s, "batchnorm_backward_alt", "batchnorm_forward", x_big, np.ones(7), np.zeros(7), d_big)
    _dx_check(s, "batchnorm_forward", x_big, np.ones(7), np.zeros(7), d_big, _at(big, 0, message),
              "dx (closed form) for a batch of 64 around 100", h=1e-3, tol=1e-6)


# ----------------------------------------------------------------------------- 5. population_statistics


@check("test_population_statistics")
def population_statistics_values(s):
    means_check = np.array([[1.0, 0.0], [3.0, 2.0]])
    vars_check = np.array([[2.0, 4.0], [4.0, 8.0]])
    result_check = s.call("population_statistics", means_check, vars_check, 4)
    testing.assert_that(isinstance(result_check, (tuple, list)) and len(result_check) == 2, "population_statistics returns (mean, var)")
    testing.check_close(result_check[0], np.array([2.0, 1.0]), "E[x]: the mean of the batch means", hint="average over the batches: axis 0")
    testing.check_close(result_check[1], np.array([4.0, 8.0]), "Var[x] = m/(m-1) * mean of the batch variances (m = 4)",
                        hint="the factor is m / (m - 1) = 4/3 here")

    s.hidden()
    _, one_var = _items(s.call("population_statistics", means_check[:1], vars_check[:1], 2), 2, "population_statistics returns (mean, var)")
    testing.check_close(one_var, np.array([4.0, 8.0]), "Var[x] from a single batch of 2")


@check("test_population_statistics_unbiased")
def population_statistics_unbiased(s):
    # Unbiased: batches of 5 from N(3, 2^2); the plain mean of batch variances would give 3.2 instead of 4.
    draws = np.random.default_rng(21).normal(3.0, 2.0, size=(20000, 5))
    pop_mean, pop_var = _items(s.call("population_statistics", draws.mean(axis=1, keepdims=True), draws.var(axis=1, keepdims=True), 5),
                               2, "population_statistics returns (mean, var)")
    testing.check_close(pop_mean, np.array([3.0]), "E[x] from 20 000 batches of 5 drawn from N(3, 4)", rtol=0.01)
    testing.check_close(pop_var, np.array([4.0]), "Var[x] from 20 000 batches of 5 drawn from N(3, 4) (unbiased)", rtol=0.03,
                        hint="without the m/(m-1) factor the estimate is 3.2, 20% too small")

    s.hidden()
    _check_raises_value_error(s, "population_statistics", np.zeros((3, 2)), np.ones((3, 2)), 1)


# ----------------------------------------------------------------------------- 7. spatial batch normalization


@check("test_spatial_batchnorm_forward")
def spatial_batchnorm_forward_train(s):
    rng = np.random.default_rng(12)
    x_check = rng.normal(3.0, 2.0, size=(4, 5, 6, 3))
    gamma_check, beta_check = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
    out_check, _ = _forward(s, "spatial_batchnorm_forward", x_check, gamma_check, beta_check, {"mode": "train"})
    testing.check_shape(out_check, (4, 5, 6, 3), "out for x of shape (4, 5, 6, 3)")
    testing.check_type(out_check, np.ndarray, "out")
    testing.check_close(out_check.mean(axis=(0, 1, 2)), beta_check, "mean of every output channel over (N, H, W)", atol=1e-10,
                        hint="one mean per channel over N, H and W: reshape to (N*H*W, C)")
    layer_check = _keras_bn(3, gamma_check, beta_check, np.zeros(3), np.ones(3), input_shape=(None, 5, 6, 3))
    testing.check_close(out_check, layer_check(x_check, training=True).numpy(), "out against BatchNormalization(training=True) on NHWC",
                        rtol=1e-9, atol=1e-9, hint="reshape to (N*H*W, C) so that each column is one channel; reshape(C, -1) mixes channels")

    s.hidden()
    x_odd = rng.normal(-1.0, 0.5, size=(1, 3, 5, 2))
    odd_out, _ = _forward(s, "spatial_batchnorm_forward", x_odd, np.ones(2), np.zeros(2), {"mode": "train"})
    testing.check_type(odd_out, np.ndarray, "out")
    testing.check_close(odd_out.std(axis=(0, 1, 2)), np.ones(2), "per-channel std for a single 3x5 image", rtol=1e-4)


@check("test_spatial_batchnorm_forward_test_mode")
def spatial_batchnorm_forward_test_mode(s):
    rng = np.random.default_rng(23)
    x_check = rng.normal(3.0, 2.0, size=(2, 4, 4, 3))
    gamma_check, beta_check = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -1.0])
    param_test = {"mode": "test", "running_mean": np.array([1.0, 2.0, 3.0]), "running_var": np.array([4.0, 1.0, 0.25])}
    test_out, _ = _forward(s, "spatial_batchnorm_forward", x_check, gamma_check, beta_check, dict(param_test))
    layer_check = _keras_bn(3, gamma_check, beta_check, param_test["running_mean"], param_test["running_var"], input_shape=(None, 4, 4, 3))
    testing.check_close(test_out, layer_check(x_check, training=False).numpy(), "test mode on NHWC against BatchNormalization(training=False)",
                        rtol=1e-9, atol=1e-9, hint="pass bn_param on to batchnorm_forward unchanged")

    s.hidden()
    one_out, _ = _forward(s, "spatial_batchnorm_forward", x_check[:1], gamma_check, beta_check, param_test)
    testing.check_close(one_out, layer_check(x_check[:1], training=False).numpy(), "test mode on one image", rtol=1e-9, atol=1e-9)
    _, param_run = _forward_with_param(s, "spatial_batchnorm_forward", x_check, gamma_check, beta_check, {"mode": "train"})
    testing.check_close(param_run.get("running_mean"), 0.1 * x_check.mean(axis=(0, 1, 2)), "running_mean per channel after one step")


@check("test_spatial_batchnorm_backward")
def spatial_batchnorm_backward_dx(s):
    rng = np.random.default_rng(13)
    x_check = rng.normal(1.0, 2.0, size=(2, 3, 4, 3))
    gamma_check, beta_check = rng.standard_normal(3), rng.standard_normal(3)
    dout_check = rng.standard_normal((2, 3, 4, 3))
    grads_check = _grads(s, "spatial_batchnorm_backward", "spatial_batchnorm_forward", x_check, gamma_check, beta_check, dout_check)
    testing.assert_that(isinstance(grads_check, (tuple, list)) and len(grads_check) == 3, "spatial_batchnorm_backward returns (dx, dgamma, dbeta)")
    _dx_check(s, "spatial_batchnorm_forward", x_check, gamma_check, beta_check, dout_check, grads_check[0],
              "dx", tol=1e-6)

    s.hidden()
    x_wide = rng.normal(0.0, 5.0, size=(3, 2, 2, 5))
    d_wide = rng.standard_normal((3, 2, 2, 5))
    wide = _grads(s, "spatial_batchnorm_backward", "spatial_batchnorm_forward", x_wide, np.ones(5), np.zeros(5), d_wide)
    _dx_check(s, "spatial_batchnorm_forward", x_wide, np.ones(5), np.zeros(5), d_wide,
              _at(wide, 0, "spatial_batchnorm_backward returns (dx, dgamma, dbeta)"), "dx for 5 channels of 2x2 maps", tol=1e-6)


@check("test_spatial_batchnorm_backward_params")
def spatial_batchnorm_backward_params(s):
    rng = np.random.default_rng(24)
    x_check = rng.normal(1.0, 2.0, size=(2, 3, 2, 4))
    gamma_check, beta_check = rng.standard_normal(4), rng.standard_normal(4)
    dout_check = rng.standard_normal((2, 3, 2, 4))
    message = "spatial_batchnorm_backward returns (dx, dgamma, dbeta)"
    grads_check = _grads(s, "spatial_batchnorm_backward", "spatial_batchnorm_forward", x_check, gamma_check, beta_check, dout_check)
    _dgamma_check(s, "spatial_batchnorm_forward", x_check, gamma_check, beta_check, dout_check, _at(grads_check, 1, message),
                  "dgamma (one value per channel: a sum over N, H and W)")
    testing.check_close(_at(grads_check, 2, message), dout_check.sum(axis=(0, 1, 2)), "dbeta: sum over N, H and W")

    s.hidden()
    fixed_x = np.arange(2 * 2 * 2 * 2, dtype=np.float64).reshape(2, 2, 2, 2) ** 1.5 / 10.0
    fixed_d = np.cos(np.arange(16.0)).reshape(2, 2, 2, 2)
    fixed_grads = _grads(s, "spatial_batchnorm_backward", "spatial_batchnorm_forward", fixed_x, np.array([1.5, -0.5]), np.array([0.2, 0.1]),
                         fixed_d)
    testing.check_close(_at(fixed_grads, 0, message), np.array([0.7610371513987128, -0.1270697949414464, -0.4416007987651588, 0.2707722324452038, -0.6446805320241029, -0.06815845111118686, 0.7228877063619346, -0.19752130791409292, -0.21777646839319653, 0.2321240073220245, -0.8090314955980207, -0.01578306477805718, 0.6162262940750548, -0.2611499720824972, 0.012938142944776824, 0.16678635106005224]).reshape(2, 2, 2, 2),
                        "dx on a fixed example")
    testing.check_close(_at(fixed_grads, 1, message), np.array([0.04929746210431052, -0.47932464592699553]), "dgamma on a fixed example")


# ----------------------------------------------------------------------------- 8. build_mlp (Keras)


def _layer_kinds(model) -> list[str]:
    """Names of the model's layers (InputLayer skipped), Dense and Activation layers marked by their activation."""
    tf = _tf()
    kinds = []
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.InputLayer):
            continue
        if isinstance(layer, tf.keras.layers.Dense):
            kinds.append(f"Dense[{layer.activation.__name__}]")
        elif isinstance(layer, tf.keras.layers.BatchNormalization):
            kinds.append("BN")
        elif isinstance(layer, tf.keras.layers.Activation):
            kinds.append(f"Activation[{layer.activation.__name__}]")
        elif isinstance(layer, tf.keras.layers.ReLU):
            kinds.append("Activation[relu]")
        else:
            kinds.append(type(layer).__name__)
    return kinds


def _mlp_parameters(depth, width, num_classes, use_batchnorm, input_dim=64) -> set[int]:
    """Allowed parameter counts: with BN the hidden Dense layers may drop their bias; BN has 4 values per unit."""
    counts = set()
    for bias in ((0, 1) if use_batchnorm else (1,)):
        dense = input_dim * width + (depth - 1) * width * width + depth * width * bias + width * num_classes + num_classes
        counts.add(dense + (4 * width * depth if use_batchnorm else 0))
    return counts


def _model(s, what: str, *args, **kwargs):
    """The Keras model the student's ``build_mlp`` returns, rebuilt in the grader from its config and weights."""
    return rebuilt_model(s.call("build_mlp", *args, **kwargs), what, "Dense, BatchNormalization, Activation")


@check("test_build_mlp")
def build_mlp_structure(s):
    for use_bn in (False, True):
        model_check = _model(s, f"build_mlp(3, 16, 10, use_batchnorm={use_bn})", 3, 16, 10, use_bn)
        kinds_check = _layer_kinds(model_check)
        block = ["Dense[linear]", "BN", "Activation[relu]"] if use_bn else ["Dense[linear]", "Activation[relu]"]
        expected_kinds = block * 3 + ["Dense[linear]"]
        testing.assert_that(kinds_check == expected_kinds, f"use_batchnorm={use_bn}: layers should be {expected_kinds}, found {kinds_check} "
                            "(Dense without activation, then BatchNormalization when asked, then an Activation layer)")
        logits_check = np.asarray(model_check(np.random.default_rng(0).standard_normal((5, 64)).astype(np.float32), training=False))
        testing.check_shape(logits_check, (5, 10), "model output for 5 samples")
        testing.assert_that((logits_check < 0).any() and not np.allclose(logits_check.sum(axis=1), 1.0),
                            "the output should be logits (no softmax on the last layer)")
        allowed = _mlp_parameters(3, 16, 10, use_bn)
        testing.assert_that(model_check.count_params() in allowed,
                            f"{model_check.count_params()} parameters; expected one of {sorted(allowed)} "
                            "(hidden Dense layers with or without bias, an output layer with bias, BN with 4 values per unit)")

    s.hidden()
    deep_check = _model(s, "build_mlp with depth 6 and batch normalization", 6, 8, 3, True)
    testing.assert_that(_layer_kinds(deep_check).count("BN") == 6,
                        f"a deeper network with batch normalization needs one BatchNormalization layer per hidden block; "
                        f"found the layers {_layer_kinds(deep_check)}")
    testing.assert_that(deep_check.count_params() in _mlp_parameters(6, 8, 3, True),
                        f"a deeper network with batch normalization has the wrong number of parameters ({deep_check.count_params()}): "
                        "check the number of hidden blocks and which layers have a bias")


@check("test_build_mlp_activation")
def build_mlp_activation(s):
    model_check = _model(s, "build_mlp(2, 8, 4, True, activation='tanh')", 2, 8, 4, True, activation="tanh")
    kinds_check = _layer_kinds(model_check)
    testing.assert_that(kinds_check.count("Activation[tanh]") == 2, f"activation='tanh' should give two tanh Activation layers, found {kinds_check}")
    testing.assert_that("Activation[relu]" not in kinds_check, "activation='tanh' must replace ReLU, not add to it")

    s.hidden()
    sigmoid_model = _model(s, "build_mlp with activation='sigmoid' and input_dim", 1, 5, 2, False, activation="sigmoid", input_dim=3)
    testing.check_shape(np.asarray(sigmoid_model(np.zeros((4, 3), np.float32))), (4, 2), "build_mlp(..., input_dim=3) on 4 samples of 3 features")
    testing.assert_that(_layer_kinds(sigmoid_model) == ["Dense[linear]", "Activation[sigmoid]", "Dense[linear]"],
                        f"a one-block MLP without batch normalization and activation='sigmoid': found the layers "
                        f"{_layer_kinds(sigmoid_model)} (Dense, then the Activation asked for, then the output Dense)")
    testing.assert_that(sigmoid_model.count_params() == 3 * 5 + 5 + 5 * 2 + 2,
                        "parameters of a one-block sigmoid MLP on 3 features (with biases): did you use input_dim?")
