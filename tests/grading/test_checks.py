"""The trusted check modules (``grading/checks``) against the reference and the blank release,
without a notebook or a kernel: ``LocalStudent`` calls the functions in this process, through
the same wire format the kernel uses."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from grading.course import REPO_ROOT, source_notebooks
from grading.trusted.reference import answer_namespace, reference
from grading.trusted.registry import checks_of
from grading.trusted.runner import run_checks
from grading.trusted.student import LocalStudent
from tests.conftest import REAL_NOTEBOOK_IDS, REAL_NOTEBOOKS


def graded_ids(path) -> list[str]:
    nb = nbformat.read(str(path), as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")]


@pytest.mark.parametrize("assignment, stem", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_one_check_per_graded_cell(assignment, stem):
    (source,) = [p for p in source_notebooks(assignment) if p.stem == stem]
    checks = checks_of(stem)
    assert checks is not None, f"grading/checks/{stem}.py is missing"
    # In the notebook's order: grading runs the checks in this order whatever order a
    # submission's cells are in (grading.preprocessors.execute), so that a check that hands
    # the kernel reference stand-ins never runs before the functions they stand in for.
    assert list(checks) == graded_ids(source)


@pytest.mark.parametrize("assignment, stem", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_no_hidden_tests_in_the_notebook(assignment, stem):
    (source,) = [p for p in source_notebooks(assignment) if p.stem == stem]
    assert "BEGIN HIDDEN TESTS" not in source.read_text()


@pytest.mark.parametrize("assignment, stem", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_reference_passes_every_check(assignment, stem):
    checks = checks_of(stem)
    verdicts = run_checks(checks, LocalStudent(dict(reference(stem))), sorted(checks))
    failed = {k: v.message for k, v in verdicts.items() if not v.passed}
    assert not failed


@pytest.mark.parametrize("assignment, stem", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_blank_release_fails_every_check(assignment, stem):
    release = REPO_ROOT / "notebooks" / assignment / f"{stem}.ipynb"
    checks = checks_of(stem)
    verdicts = run_checks(checks, LocalStudent(answer_namespace(release, strict=False)), sorted(checks))
    passed = sorted(k for k, v in verdicts.items() if v.passed)
    assert not passed
    assert all("not implemented" in v.message or "not defined" in v.message for v in verdicts.values())


def test_stored_stateless_draws_are_tensorflows():
    """Notebook 01's checks keep TensorFlow's stateless draws as data (no TF in the grader)."""
    from grading.checks.linear_regression import STATELESS_W
    from helpers import device

    device.configure_tensorflow()
    tf = device.import_tensorflow()
    for seed, value in STATELESS_W.items():
        drawn = float(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0)[0])
        assert value == drawn, f"seed {seed}: stored {value}, TensorFlow draws {drawn}"


@pytest.mark.parametrize("notebook", ["linear_regression", "backprop"])
def test_checks_need_no_tensorflow_in_the_grader(monkeypatch, notebook):
    """The grader's memory cap (``grader_memory_mb``) leaves little room for TensorFlow (~650 MB,
    seconds to import): the checks of notebooks 01 and 03 judge every answer without it (the
    reference's own TensorFlow answers use it, as the student's kernel does)."""
    import inspect

    from grading.trusted.registry import check_module
    from helpers import device

    assert "import tensorflow" not in inspect.getsource(check_module(notebook))
    namespace = dict(reference(notebook))

    def refuse(*args, **kwargs):
        raise AssertionError(f"a check of {notebook} imported TensorFlow in the grader")

    monkeypatch.setattr(device, "import_tensorflow", refuse)
    monkeypatch.setattr(device, "configure_tensorflow", refuse)
    checks = checks_of(notebook)
    verdicts = run_checks(checks, LocalStudent(namespace), sorted(checks))
    assert {k: v.message for k, v in verdicts.items() if not v.passed} == {}


def test_standardize_matches_scikit_learns_standard_scaler():
    from sklearn.preprocessing import StandardScaler

    from grading.trusted.oracles import standardized as standardize
    from helpers.data import load_digits, split_train_val_test

    X_train, _, X_val, _, X_test, _ = split_train_val_test(*load_digits(), seed=1)
    assert (X_train.std(axis=0) == 0).any(), "digits have blank pixels: the constant-column case is exercised"
    scaler = StandardScaler().fit(X_train)
    for ours, theirs in zip(standardize(X_train, X_val, X_test), map(scaler.transform, (X_train, X_val, X_test))):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    # constant columns whose round-off variance is not exactly zero are only centred too
    constant = np.column_stack([np.full(50, 0.1), np.full(50, 123.456), np.full(50, 1e6 + 0.1), np.arange(50.0)])
    for ours, theirs in zip(standardize(constant), [StandardScaler().fit_transform(constant)]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_a_wrong_earlier_exercise_costs_gradient_descent_nothing():
    """Notebook 01 charges a wrong ``predict``/``mse_cost``/``mse_gradients`` once, in its own tests:
    ``gradient_descent`` is judged with correct stand-ins (issue 22)."""
    from grading.trusted.reference import answer_namespace, find_source

    namespace = answer_namespace(find_source("linear_regression"))  # fresh: gradient_descent's globals
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.random.default_rng(1).normal(size=20)
    before = namespace["gradient_descent"](X, y, 0.1, 5)[2]
    source = ("def mse_gradients(X, y, w, b):\n    r = y - (X @ w + b)\n    return X.T @ r, float(np.sum(r))\n"
              "def mse_cost(X, y, w, b):\n    return float(np.mean((X @ w + b - y) ** 2))\n"
              "def predict(X, w, b):\n    return X @ w\n")
    exec(source, namespace)  # noqa: S102 - wrong answers to Exercises 1-3, as a student might write them
    assert not np.allclose(namespace["gradient_descent"](X, y, 0.1, 5)[2], before), "the wrong answers reach it"
    checks = checks_of("linear_regression")
    verdicts = run_checks(checks, LocalStudent(namespace), sorted(checks))
    failed = {k for k, v in verdicts.items() if not v.passed}
    assert {"test_mse_gradients_values", "test_mse_cost_values", "test_predict_values"} <= failed
    assert not {k for k in failed if k.startswith("test_gradient_descent")}, {k: verdicts[k].message for k in failed}


@pytest.mark.parametrize("where", ["gradient", "gradient_and_penalty", "penalty"])
def test_a_regularised_bias_is_named_in_the_message(where):
    """Notebook 02: a ``train_softmax`` that regularises its bias is told so (issue 22), in the
    visible case or, for the penalty alone, in the hint of the loss history."""
    from grading.trusted.reference import answer_namespace, find_source

    namespace = answer_namespace(find_source("logistic_softmax"))
    penalty = "np.sum(W * W) + np.sum(b * b)" if "penalty" in where else "np.sum(W * W)"
    db = "dZ.sum(axis=0) + reg * b" if "gradient" in where else "dZ.sum(axis=0)"
    exec(f"""
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * ({penalty}))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * ({db})
        history.append(float(np.mean(losses)))
    return W, b, history
""", namespace)  # noqa: S102 - a wrong answer, as a student might write it
    verdict = run_checks(checks_of("logistic_softmax"), LocalStudent(namespace), ["test_train_softmax_replay"])
    message = verdict["test_train_softmax_replay"].message
    assert not verdict["test_train_softmax_replay"].passed
    assert "bias is not regularised" in message or "b is not in the penalty" in message, message
