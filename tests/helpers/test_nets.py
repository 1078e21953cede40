"""``helpers.nets`` is notebook 03's two-layer net: the same numbers as notebook 03's reference."""

from __future__ import annotations

import numpy as np

from grading.trusted.reference import reference
from helpers import gradcheck, nets


def test_same_network_as_notebook_03():
    backprop = reference("backprop")
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(4, 6)), "b1": rng.normal(size=6), "W2": rng.normal(size=(6, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(7, 4)), rng.integers(0, 3, size=7)
    np.testing.assert_allclose(nets.two_layer_net_loss(params, X), backprop["two_layer_net_loss"](params, X), rtol=1e-12)
    loss, grads = nets.two_layer_net_loss(params, X, y, reg=0.1)
    loss_03, grads_03 = backprop["two_layer_net_loss"](params, X, y, 0.1)
    assert isinstance(loss, float) and loss == np.float64(loss_03)
    for name in params:
        np.testing.assert_allclose(grads[name], grads_03[name], rtol=1e-12, atol=1e-15)


def test_gradients_match_numerical_ones():
    rng = np.random.default_rng(4)
    params = {"W1": rng.normal(size=(3, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 2)), "b2": rng.normal(size=2)}
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    _, grads = nets.two_layer_net_loss(params, X, y, reg=0.05)
    for name in params:
        def loss_at(value, name=name):
            return nets.two_layer_net_loss({**params, name: value}, X, y, reg=0.05)[0]
        numerical = gradcheck.eval_numerical_gradient(loss_at, params[name].copy())
        assert gradcheck.rel_error(grads[name], numerical) < 1e-7


def test_initialisation_and_batches_follow_notebook_03s_recipe():
    backprop = reference("backprop")
    params = nets.init_two_layer_net(5, 4, 3, np.random.default_rng(11))
    draws = np.random.default_rng(11)
    np.testing.assert_array_equal(params["W1"], backprop["xavier_init"](5, 4, draws))
    np.testing.assert_array_equal(params["W2"], backprop["xavier_init"](4, 3, draws))
    assert not params["b1"].any() and params["b2"].shape == (3,)
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    ours = list(nets.iterate_minibatches(X, y, 4, np.random.default_rng(2)))
    theirs = list(backprop["iterate_minibatches"](X, y, 4, np.random.default_rng(2)))
    assert [b[1].tolist() for b in ours] == [b[1].tolist() for b in theirs]
    assert sorted(np.concatenate([b[1] for b in ours]).tolist()) == list(range(10))


def test_accuracy():
    params = {"W1": np.eye(2), "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
    assert nets.accuracy(params, np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]]), np.array([0, 1, 1])) == 2 / 3
