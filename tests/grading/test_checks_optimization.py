"""Notebook 04's checks judge without TensorFlow in the grader: what they write out of Keras
(its optimizers' update steps, its schedules, ``tf.clip_by_global_norm``) is proved here equal to
TensorFlow itself, and a wrong earlier update rule costs ``train_with_optimizer`` nothing."""

from __future__ import annotations

import numpy as np
import pytest

from grading.checks import optimization as checks
from grading.trusted.reference import reference
from grading.trusted.registry import checks_of
from grading.trusted.runner import run_checks
from grading.trusted.student import LocalStudent
from helpers import device, optim

#: Hyper-parameters float32 holds exactly (Keras keeps them in float32), epsilon zero and not.
KERAS_CASES = [
    ("sgd", "SGD", {"learning_rate": 0.0625, "momentum": 0.875}),
    ("sgd", "SGD", {"learning_rate": 0.0625, "momentum": 0.875, "nesterov": True}),
    ("sgd", "SGD", {"learning_rate": 0.03125, "momentum": 0.0}),
    ("adagrad", "Adagrad", {"learning_rate": 0.5, "initial_accumulator_value": 0.125, "epsilon": 0.0}),
    ("adagrad", "Adagrad", {"learning_rate": 0.25, "initial_accumulator_value": 0.5, "epsilon": 2.0 ** -10}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.0625, "rho": 0.875, "epsilon": 0.0}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.0625, "rho": 0.96875, "epsilon": 2.0 ** -10}),
    ("adam", "Adam", {"learning_rate": 0.125, "beta_1": 0.875, "beta_2": 1 - 2.0 ** -10, "epsilon": 0.0}),
    ("adam", "Adam", {"learning_rate": 2.0 ** -6, "beta_1": 0.75, "beta_2": 0.96875, "epsilon": 2.0 ** -8}),
]


@pytest.fixture(scope="module")
def tf():
    device.configure_tensorflow()
    return device.import_tensorflow()


@pytest.mark.parametrize("name, keras_class, hp", KERAS_CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(KERAS_CASES)])
def test_written_out_keras_optimizers_are_keras(tf, name, keras_class, hp):
    rng = np.random.default_rng(7)
    M = rng.normal(size=(3, 3))
    gradient = optim.quadratic_gradient(M @ M.T + np.eye(3))
    w0 = rng.normal(size=3)
    expected = optim.keras_path(getattr(tf.keras.optimizers, keras_class)(**hp), w0, gradient, 50)
    np.testing.assert_allclose(checks.keras_path(name, hp, w0, gradient, 50), expected, rtol=1e-12, atol=1e-14)


def test_epsilon_and_first_accumulator_make_keras_differ_from_the_papers(tf):
    """The notebook's claim: with Keras's defaults its Adam and AdaGrad are not the papers' forms."""
    gradient = optim.quadratic_gradient(optim.ill_conditioned_quadratic(25.0))
    w0 = np.array([1.5, -1.0])
    keras_adam = optim.keras_path(tf.keras.optimizers.Adam(learning_rate=0.125, beta_1=0.875, beta_2=1 - 2.0 ** -10,
                                                           epsilon=0.1), w0, gradient, 20)
    paper_adam = optim.run_update_rule(
        lambda w, dw, c: checks.paper_step("adam", w, dw, c),
        {"learning_rate": 0.125, "beta1": 0.875, "beta2": 1 - 2.0 ** -10, "epsilon": 0.1}, w0, gradient, 20)
    assert np.max(np.abs(keras_adam - paper_adam)) > 1e-3
    # small gradients: Keras's accumulator starts at 0.1, the paper's at 0
    w0_small = np.array([0.015, -0.01])
    keras_adagrad = optim.keras_path(tf.keras.optimizers.Adagrad(learning_rate=0.5), w0_small, gradient, 20)
    paper_adagrad = optim.run_update_rule(lambda w, dw, c: checks.paper_step("adagrad", w, dw, c),
                                          {"learning_rate": 0.5}, w0_small, gradient, 20)
    assert np.max(np.abs(keras_adagrad - paper_adagrad)) > 1e-3


def test_written_out_schedules_are_keras(tf):
    schedules = tf.keras.optimizers.schedules
    steps = [0, 1, 3, 4, 5, 17, 40, 99, 100, 101, 204, 205, 500]
    for staircase in (False, True):
        keras = schedules.ExponentialDecay(0.02, 100, 0.9, staircase=staircase)
        ours = [checks.keras_exponential_decay(step, 0.02, 100, 0.9, staircase) for step in steps]
        np.testing.assert_allclose(ours, [float(keras(step)) for step in steps], rtol=1e-6)
    for initial, peak, warmup, decay, alpha in [(1e-4, 0.5, 4, 200, 0.05), (0.2, 0.2, 0, 50, 0.0), (0.01, 0.1, 25, 30, 0.2),
                                                (0.0, 1.0, 10, 100, 0.1)]:
        keras = schedules.CosineDecay(initial, decay, alpha=alpha, warmup_target=peak, warmup_steps=warmup)
        ours = [checks.keras_cosine_decay(step, initial, decay, alpha, peak, warmup) for step in steps]
        np.testing.assert_allclose(ours, [float(keras(step)) for step in steps], rtol=1e-5, atol=1e-9)


def test_written_out_global_norm_clipping_is_tensorflows(tf):
    rng = np.random.default_rng(8)
    for max_norm, scale in [(1.0, 1.0), (0.5, 10.0), (100.0, 1.0)]:
        grads = [rng.normal(size=(3, 4)) * scale, rng.normal(size=4) * scale]
        clipped, norm = checks.clip_oracle(grads, max_norm)
        tf_clipped, tf_norm = tf.clip_by_global_norm([tf.constant(g) for g in grads], max_norm)
        assert norm == pytest.approx(float(tf_norm), rel=1e-12)
        for ours, theirs in zip(clipped, tf_clipped):
            np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)


def test_a_wrong_update_rule_costs_train_with_optimizer_nothing():
    namespace = dict(reference("optimization"))
    broken = "def sgd_momentum(w, dw, config=None):\n    return w + dw, config\n" \
             "def adam(w, dw, config=None):\n    return w * 0.0, config\n"
    exec(broken, namespace)  # noqa: S102 - the test's own code
    checks_run = checks_of("optimization")
    ids = ["test_train_with_optimizer_replay", "test_train_with_optimizer_digits", "test_adam_values"]
    verdicts = run_checks(checks_run, LocalStudent(namespace), ids)
    assert verdicts["test_train_with_optimizer_replay"].passed, verdicts["test_train_with_optimizer_replay"].message
    assert verdicts["test_train_with_optimizer_digits"].passed, verdicts["test_train_with_optimizer_digits"].message
    assert not verdicts["test_adam_values"].passed


def test_checks_need_no_tensorflow_in_the_grader(monkeypatch):
    import inspect

    assert "import tensorflow" not in inspect.getsource(checks)

    def refuse(*args, **kwargs):
        raise AssertionError("a check of notebook 04 imported TensorFlow in the grader")

    namespace = dict(reference("optimization"))
    monkeypatch.setattr(device, "import_tensorflow", refuse)
    monkeypatch.setattr(device, "configure_tensorflow", refuse)
    checks_run = checks_of("optimization")
    verdicts = run_checks(checks_run, LocalStudent(namespace), sorted(checks_run))
    assert {k: v.message for k, v in verdicts.items() if not v.passed} == {}
