"""``helpers.optim``: the surfaces and the trajectory runners of notebook 04."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import gradcheck, optim


def test_ill_conditioned_quadratic_has_the_asked_eigenvalues():
    A = optim.ill_conditioned_quadratic(25.0)
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0, 25.0])
    assert abs(A[0, 1]) > 1.0  # turned: neither axis is an eigen-direction


def test_rosenbrock_gradient_is_its_derivative():
    for point in [np.array([-1.5, 2.0]), np.array([0.3, -0.2]), np.array([1.0, 1.0])]:
        numerical = gradcheck.eval_numerical_gradient(lambda w: float(optim.rosenbrock(w)), point.copy())
        np.testing.assert_allclose(optim.rosenbrock_gradient(point), numerical, rtol=1e-5, atol=1e-6)
    assert optim.rosenbrock(np.array([1.0, 1.0])) == 0.0
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4)))
    assert optim.rosenbrock(grid).shape == (4, 5)


def test_run_update_rule_iterates_and_leaves_the_config_alone():
    def halve(w, dw, config):
        config["calls"] = config.get("calls", 0) + 1
        return w - 0.5 * dw, config

    config = {"learning_rate": 0.5}
    path = optim.run_update_rule(halve, config, np.array([4.0, -2.0]), lambda w: w, 3)
    np.testing.assert_allclose(path, [[4.0, -2.0], [2.0, -1.0], [1.0, -0.5], [0.5, -0.25]])
    assert config == {"learning_rate": 0.5}


def test_run_update_rule_stops_a_diverging_run():
    path = optim.run_update_rule(lambda w, dw, c: (w + 10 * dw, c), {}, np.array([1.0]), lambda w: w, 20, max_norm=1e3)
    assert np.all(np.isfinite(path)) and path[-1, 0] == path[2, 0] == 11.0 ** 2  # 1331 left the ball


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_keras_path_runs_a_keras_optimizer():
    from helpers import device

    device.configure_tensorflow()
    tf = device.import_tensorflow()
    path = optim.keras_path(tf.keras.optimizers.SGD(learning_rate=0.25), np.array([2.0, -4.0]), lambda w: w, 2)
    np.testing.assert_allclose(path, [[2.0, -4.0], [1.5, -3.0], [1.125, -2.25]])


# ---------------------------------------------------------------- nb04's additions: quadratic_loss, saddle, steps_to_reach


def test_quadratic_loss_is_half_w_A_w_for_a_point_and_a_grid():
    A = optim.ill_conditioned_quadratic(25.0)
    loss = optim.quadratic_loss(A)
    w = np.array([0.3, -1.2])
    assert loss(w) == pytest.approx(0.5 * w @ A @ w)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-2, 2, 3)))
    values = loss(grid)
    assert values.shape == (3, 5)
    assert values[1, 3] == pytest.approx(0.5 * grid[:, 1, 3] @ A @ grid[:, 1, 3])
    numerical = gradcheck.eval_numerical_gradient(lambda p: float(loss(p)), w.copy())
    np.testing.assert_allclose(optim.quadratic_gradient(A)(w), numerical, rtol=1e-6)


def test_saddle_is_flat_at_the_origin_and_curves_both_ways():
    assert optim.saddle(np.zeros(2)) == 0.0
    np.testing.assert_array_equal(optim.saddle_gradient(np.zeros(2)), [0.0, 0.0])
    assert optim.saddle(np.array([0.5, 0.0])) > 0 > optim.saddle(np.array([0.0, 0.5]))
    point = np.array([0.7, -0.4])
    numerical = gradcheck.eval_numerical_gradient(lambda p: float(optim.saddle(p)), point.copy())
    np.testing.assert_allclose(optim.saddle_gradient(point), numerical, rtol=1e-6)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 2)))
    assert optim.saddle(grid).shape == (2, 4)


def test_steps_to_reach_finds_the_first_step_below_the_tolerance():
    path = np.array([[4.0, 0.0], [2.0, 0.0], [1.0, 0.0], [0.5, 0.0], [0.1, 0.0]])
    loss = lambda w: float(w[0] ** 2)  # noqa: E731
    assert optim.steps_to_reach(path, loss, 1.0) == 2
    assert optim.steps_to_reach(path, loss, 16.0) == 0
    assert optim.steps_to_reach(path, loss, 1e-3) is None
