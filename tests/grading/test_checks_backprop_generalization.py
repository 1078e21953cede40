"""Notebooks 03 and 05 beyond "the reference passes, the blank release fails": answers written
another allowed way pass (and the locked demo cells run with them), and failed checks name the
likely mistake instead of a generic hint (``grading.trusted.mistakes``)."""

from __future__ import annotations

import contextlib
import io

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from grading.course import REPO_ROOT  # noqa: E402
from grading.trusted.mistakes import GENERIC_GRADIENT_HINT  # noqa: E402
from grading.trusted.reference import reference  # noqa: E402
from grading.trusted.registry import checks_of  # noqa: E402
from grading.trusted.runner import run_checks  # noqa: E402
from grading.trusted.student import LocalStudent  # noqa: E402

GENERALIZATION = REPO_ROOT / "solutions" / "05_generalization" / "generalization.ipynb"

#: build_regularized_mlp with the functional API, as the exercise allows ("a tf.keras.Model").
FUNCTIONAL_MLP = '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    inputs = tf.keras.Input(shape=(input_dim,))
    hidden = inputs
    for units in hidden_units:
        hidden = tf.keras.layers.Dense(units, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2))(hidden)
        hidden = tf.keras.layers.Dropout(dropout_rate)(hidden)
    outputs = tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.L2(l2))(hidden)
    return tf.keras.Model(inputs, outputs)
'''


def _verdicts(stem: str, replacement: str, grade_ids: list[str], extra: dict | None = None) -> dict:
    namespace = {**reference(stem), **(extra or {})}
    exec(replacement, namespace)  # noqa: S102 - the test's own code
    checks = checks_of(stem)
    return run_checks(checks, LocalStudent(namespace), grade_ids)


def _failure(stem: str, replacement: str, grade_ids: list[str], extra: dict | None = None) -> str:
    messages = [v.message for v in _verdicts(stem, replacement, grade_ids, extra).values() if not v.passed]
    assert messages, "the wrong answer passed every check"
    return " | ".join(messages)


def _cell(path, grade_id: str) -> str:
    nb = nbformat.read(str(path), as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]
    return cell.source


def test_a_functional_api_mlp_gets_full_marks():
    from helpers import device

    verdicts = _verdicts("generalization", FUNCTIONAL_MLP,
                         ["test_build_regularized_mlp_structure", "test_build_regularized_mlp_modes"],
                         extra={"tf": device.import_tensorflow()})
    assert {k: v.message for k, v in verdicts.items() if not v.passed} == {}


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_the_locked_sparsity_cell_runs_with_either_kind_of_model(style, monkeypatch):
    """The sparsity demo looked at ``model.layers[0]``, a functional model's InputLayer."""
    import matplotlib.pyplot as plt

    from helpers import device

    tf = device.import_tensorflow()
    namespace = {"np": np, "plt": plt, "tf": tf}
    exec(FUNCTIONAL_MLP if style == "functional" else _cell(GENERALIZATION, "build_regularized_mlp"), namespace)  # noqa: S102
    tf.keras.utils.set_random_seed(0)
    model = namespace["build_regularized_mlp"](64, 10, [32, 16], 0.0, 0.5)
    assert (type(model.layers[0]).__name__ == "InputLayer") == (style == "functional")
    inputs = np.abs(np.random.default_rng(0).normal(size=(40, 64)))
    namespace.update(models={"plain": model, "dropout 0.5": model}, X_dig_val=inputs)
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(_cell(GENERALIZATION, "sparsity"), namespace)  # noqa: S102 - the notebook's own cell
    plt.close("all")
    first_dense = next(layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense))
    expected = float(np.mean(first_dense(inputs.astype(np.float32)).numpy() == 0))
    assert f"{expected:.1%} of the activations are exactly 0" in printed.getvalue()


def test_ridge_names_a_penalised_intercept_not_sum_against_mean():
    message = _failure("generalization", '''
def ridge_fit(X, y, lam):
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return theta[:-1], float(theta[-1])
''', ["test_ridge_fit_values", "test_ridge_fit_oracle"])
    assert "intercept b was penalised" in message and "a sum (not a mean)" not in message


@pytest.mark.parametrize("replacement, grade_ids, named", [
    ('''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)
''', ["test_affine_backward_shapes", "test_affine_backward_gradcheck"], "dw transposed"),
    ('''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout / len(x), dout.sum(axis=0)
''', ["test_affine_backward_gradcheck"], "dw divided by N"),
    ('''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=1)
''', ["test_affine_backward_gradcheck"], "summed over the wrong axis"),
    ('''
def sigmoid_backward(dout, cache):
    s = 1.0 / (1.0 + np.exp(-cache))
    return dout * s * (1.0 - s)
''', ["test_sigmoid_backward"], "post-activation"),
    ('''
def tanh_backward(dout, cache):
    return dout * (1.0 - np.tanh(cache) ** 2)
''', ["test_tanh_backward"], "post-activation"),
    ('''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    if y is None:
        return _ref_loss(params, X)
    loss, grads = _ref_loss(params, X, y, reg)
    pre = X @ params["W1"] + params["b1"]
    scores = np.maximum(pre, 0.0) @ params["W2"] + params["b2"]
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    grads["W2"] = pre.T @ ((p - np.eye(p.shape[1])[y]) / len(y)) + reg * params["W2"]  # pre where relu(pre) belongs
    return loss, grads
''', ["test_two_layer_net_loss_gradcheck"], "pre-activation"),
    ('''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    if y is None:
        return _ref_loss(params, X)
    loss, grads = _ref_loss(params, X, y, reg)
    data_part = {k: g - reg * params[k] if k in ("W1", "W2") else g for k, g in grads.items()}
    return loss, {k: len(y) * g + (reg * params[k] if k in ("W1", "W2") else 0.0) for k, g in data_part.items()}
''', ["test_two_layer_net_loss_gradcheck"], "forgot 1/N"),
])
def test_backprop_failures_name_the_likely_mistake(replacement, grade_ids, named):
    from grading.checks import backprop

    message = _failure("backprop", replacement, grade_ids, extra={"_ref_loss": backprop._ref_loss})
    assert named in message, message
    assert GENERIC_GRADIENT_HINT not in message


def test_a_gradient_failure_without_a_known_mistake_names_the_usual_one():
    message = _failure("backprop", '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T + 1e-3, x.T @ dout, dout.sum(axis=0)
''', ["test_affine_backward_gradcheck"])
    assert GENERIC_GRADIENT_HINT not in message and "The usual mistake here: dx = dout @ w.T" in message


def test_generalization_gradient_failures_name_the_likely_mistake():
    message = _failure("generalization", '''
def dropout_backward(dout, cache):
    mask, keep_prob, train = cache
    return dout * mask if train else dout.copy()
''', ["test_dropout_backward"])
    assert "forgot to divide by keep_prob" in message and GENERIC_GRADIENT_HINT not in message
