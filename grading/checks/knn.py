"""Trusted checks of notebook 11, ``knn`` (one ``@check`` per graded cell).

Before ``s.hidden()``: the cases of the notebook's visible test cell. After it: the hidden
cases that used to sit in the notebook. Inputs are built here (same seeds and values as the
old test cells); expected values come from literals, scikit-learn or a brute-force vote
computed here, never from the student's kernel.

Partial credit as before: ``cross_validate_k`` runs with reference distance and vote
functions. Two things the old cells did in the kernel need the kernel's help:

- ``np.errstate(invalid="raise")`` around a call: ``fp_strict_calls`` makes the kernel raise
  ``FloatingPointError`` for one request and restores NumPy's defaults right after.
- reading the code of ``compute_distances_no_loops`` (no Python loops, no SciPy or
  scikit-learn): the kernel's input history (``In``) holds the cells as they ran; the check
  parses the last cell that defines the function, here, with ``ast``.
"""

from __future__ import annotations

import ast
import inspect
import re

import numpy as np

from grading.trusted.fp_errors import fp_strict_calls, raise_invalid_fp
from grading.trusted.registry import check
from grading.trusted.student import LocalStudent
from helpers import testing

# --------------------------------------------------------------------------- stand-ins
# Sent to the kernel as source and run there in a scope that holds only ``np``: each must
# be self-contained.


def reference_distances(X_test, X_train):
    """Stand-in for the student's ``compute_distances_no_loops``."""
    return np.sqrt(np.maximum((X_test ** 2).sum(1)[:, None] + (X_train ** 2).sum(1)[None, :]
                              - 2 * X_test @ X_train.T, 0.0))


def reference_predict(dists, y_train, k=1):
    """Stand-in for the student's ``predict_labels``."""
    nearest_columns = np.argsort(dists, axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(y_train[row], minlength=y_train.max() + 1).argmax() for row in nearest_columns])


CV_ISOLATION = {"compute_distances_no_loops": reference_distances, "predict_labels": reference_predict}


def brute_force_votes(dists: np.ndarray, labels: np.ndarray, k: int, num_labels: int) -> np.ndarray:
    """Plain kNN votes: stable order of distances, ties to the smallest label."""
    order = np.argsort(dists, axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(labels[row], minlength=num_labels).argmax() for row in order])


def euclidean(X_te: np.ndarray, X_tr: np.ndarray) -> np.ndarray:
    return np.sqrt(((X_te[:, None, :] - X_tr[None, :, :]) ** 2).sum(axis=2))


# --------------------------------------------------------------------------- distances

X_TEST_CHECK = np.array([[0.0, 0.0], [1.0, 1.0]])
X_TRAIN_CHECK = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
DISTS_CHECK = [[5.0, 0.0, 1.0], [np.sqrt(13.0), np.sqrt(2.0), 1.0]]


@check("test_compute_distances_two_loops")
def compute_distances_two_loops(s):
    from sklearn.metrics import pairwise_distances

    dists_case = s.call("compute_distances_two_loops", X_TEST_CHECK, X_TRAIN_CHECK)
    testing.check_shape(dists_case, (2, 3), "dists for 2 test and 3 training points")
    testing.check_close(dists_case, DISTS_CHECK,
                        "the distances", hint="dists[i, j] = sqrt(sum((X_test[i] - X_train[j])**2)): row i is test point i")
    s.hidden()
    rng = np.random.default_rng(201)
    cases = []
    for num_test, num_train, num_features in [(1, 1, 1), (4, 9, 3), (7, 2, 10)]:
        X_te, X_tr = rng.normal(size=(num_test, num_features)), rng.normal(size=(num_train, num_features))
        cases.append((X_te, X_tr))
    for dists, (X_te, X_tr) in zip(s.call_many("compute_distances_two_loops", cases), cases):
        (num_test, num_features), num_train = X_te.shape, len(X_tr)
        testing.check_close(dists, pairwise_distances(X_te, X_tr),
                            f"two-loop distances for M, N, D = {num_test}, {num_train}, {num_features}")


@check("test_compute_distances_one_loop")
def compute_distances_one_loop(s):
    from sklearn.metrics import pairwise_distances

    testing.check_close(s.call("compute_distances_one_loop", X_TEST_CHECK, X_TRAIN_CHECK), DISTS_CHECK,
                        "one-loop distances", hint="inside the loop, X_train - X_test[i] has shape (N, D); "
                                                   "sum the squares over axis 1")
    s.hidden()
    rng = np.random.default_rng(202)
    for num_test, num_train, num_features in [(1, 1, 1), (5, 8, 4), (30, 3, 2)]:
        X_te, X_tr = rng.normal(size=(num_test, num_features)), rng.normal(size=(num_train, num_features))
        copies = X_te.copy(), X_tr.copy()
        dists, (X_te_after, X_tr_after), _ = s.call_with_inputs("compute_distances_one_loop", X_te, X_tr)
        testing.check_close(dists, pairwise_distances(X_te, X_tr),
                            f"one-loop distances for M, N, D = {num_test}, {num_train}, {num_features}")
        testing.check_not_modified(copies[0], X_te_after, "X_test")
        testing.check_not_modified(copies[1], X_tr_after, "X_train")


# Reading the code of compute_distances_no_loops (comments and docstrings do not count).
LOOP_NODES = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
FORBIDDEN_NAMES = {"scipy", "sklearn", "cdist", "pdist", "pairwise_distances", "euclidean_distances", "apply_along_axis",
                   "vectorize"}
LIBRARIES = ("scipy", "sklearn")


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            return ast.parse(TransformerManager().transform_cell(source))
        except Exception:  # noqa: BLE001 - a cell that is not Python (or not whole) defines nothing
            return None


def _local_cells(s: LocalStudent, name: str) -> list[str]:
    """The source of ``name`` in a ``LocalStudent``'s namespace (the reference loader runs the
    notebook's answer cells under the file name ``<notebook.ipynb: grade_id>``)."""
    fn = s.namespace.get(name)
    if fn is None:
        return []
    try:
        return [inspect.getsource(fn)]
    except (OSError, TypeError):
        pass
    found = re.fullmatch(r"<([\w.-]+\.ipynb): ([\w-]+)>", getattr(getattr(fn, "__code__", None), "co_filename", ""))
    if not found:
        return []
    import nbformat

    from grading.course import REPO_ROOT

    for path in sorted(REPO_ROOT.glob(f"*/*/{found[1]}")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != found[2]:
                continue
            tree = _parse(cell.source)
            try:
                code = compile(tree, found[0], "exec") if tree is not None else None
            except (SyntaxError, ValueError):
                code = None
            if code is not None and any(getattr(c, "co_name", None) == fn.__name__ and c.co_code == fn.__code__.co_code
                                        for c in code.co_consts):
                return [cell.source]
    return []


def notebook_cells(s, name: str) -> list[str]:
    """The code cells the kernel ran, in order (its input history ``In``)."""
    if isinstance(s, LocalStudent) and "In" not in s.namespace:
        return _local_cells(s, name)
    history = s.read("In")
    testing.assert_that(isinstance(history, list) and all(isinstance(c, str) for c in history),
                        "the notebook's input history (In) could not be read: do not reassign In")
    return history


def function_code(s, name: str) -> tuple[ast.FunctionDef, set[str]]:
    """The last ``def name`` the notebook ran, and every name the notebook bound by importing
    from SciPy or scikit-learn."""
    definition, library_names = None, set()
    for source in notebook_cells(s, name):
        if name not in source and "import" not in source:
            continue
        tree = _parse(source)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                definition = node
            elif isinstance(node, ast.Import):
                library_names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names
                                  if alias.name.split(".")[0] in LIBRARIES}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
                library_names |= {alias.asname or alias.name for alias in node.names}
    testing.assert_that(definition is not None, f"the code of {name} was not found in your notebook: define it with "
                                                f"`def {name}(...)` in its answer cell and run that cell")
    return definition, library_names


@check("test_compute_distances_no_loops")
def compute_distances_no_loops(s):
    from sklearn.metrics import pairwise_distances

    testing.check_close(s.call("compute_distances_no_loops", X_TEST_CHECK, X_TRAIN_CHECK), DISTS_CHECK,
                        "no-loop distances", hint="||a||^2 (as a column) + ||b||^2 (as a row) - 2 X_test X_train^T, "
                                                  "then the square root")
    # Read the code itself (comments and docstrings do not count): no loops, no SciPy/scikit-learn.
    tree_case, library_names = function_code(s, "compute_distances_no_loops")
    loops_case = [type(node).__name__ for node in ast.walk(tree_case) if isinstance(node, LOOP_NODES)]
    testing.assert_that(not loops_case, f"compute_distances_no_loops must not loop in Python; found {sorted(set(loops_case))}")
    used_case = {node.id for node in ast.walk(tree_case) if isinstance(node, ast.Name)} | {
        node.attr for node in ast.walk(tree_case) if isinstance(node, ast.Attribute)} | {
        alias.name.split(".")[0] for node in ast.walk(tree_case) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names} | {
        (node.module or "").split(".")[0] for node in ast.walk(tree_case) if isinstance(node, ast.ImportFrom)}
    library_case = sorted(name for name in used_case if name in FORBIDDEN_NAMES or name in library_names)
    testing.assert_that(not library_case,
                        f"compute_distances_no_loops must not use SciPy, scikit-learn or a hidden loop; found {library_case}")
    s.hidden()
    rng = np.random.default_rng(203)
    cases = []
    for num_test, num_train, num_features, scale in [(1, 1, 1, 1.0), (6, 11, 5, 1.0), (40, 25, 64, 100.0)]:
        X_te, X_tr = (rng.normal(size=(num_test, num_features)) * scale,
                      rng.normal(size=(num_train, num_features)) * scale)
        cases.append((X_te, X_tr, scale))
    results = s.call_many("compute_distances_no_loops", [(X_te, X_tr) for X_te, X_tr, _ in cases])
    for dists, (X_te, X_tr, scale) in zip(results, cases):
        (num_test, num_features), num_train = X_te.shape, len(X_tr)
        testing.check_close(dists, pairwise_distances(X_te, X_tr),
                            f"no-loop distances for M, N, D = {num_test}, {num_train}, {num_features}", rtol=1e-8,
                            atol=1e-6 * scale)
    # identical points: the expansion can go slightly negative, and sqrt of it is nan without a clamp
    X_same = rng.normal(size=(20, 30)) * 1e3
    (dists_same,) = fp_strict_calls(
        s, "compute_distances_no_loops", [(X_same, X_same)],
        "sqrt of a slightly negative number: clamp the squared distances at 0 first (np.maximum(..., 0))",
        guard=raise_invalid_fp)
    testing.check_finite(dists_same, "distances between identical points")
    # ||a||^2 is ~3e7 here, so round-off of ~1e-8 in the squared distance becomes ~1e-4 after the square root
    testing.check_close(np.diag(np.asarray(dists_same, dtype=float)), np.zeros(20), "the distance of each point to itself",
                        atol=1e-3)


# --------------------------------------------------------------------------- votes


@check("test_predict_labels_values")
def predict_labels_values(s):
    dists_case = np.array([[0.5, 0.1, 0.9, 0.3], [0.2, 0.8, 0.1, 0.7]])
    y_train_case = np.array([2, 0, 1, 2])
    labels_case, labels_three = s.call_many("predict_labels", [((dists_case, y_train_case), {"k": 1}),
                                                                ((dists_case, y_train_case), {"k": 3})])
    testing.check_shape(labels_case, (2,), "predict_labels(dists, y_train, k=1)")
    testing.check_dtype(labels_case, np.integer, "the predictions")
    testing.check_close(labels_case, [0, 1], "the 1-NN predictions",
                        hint="the label of the column with the smallest distance in each row")
    testing.check_close(labels_three, [2, 2], "the 3-NN predictions",
                        hint="row 0's three nearest have labels 0, 2, 2; row 1's have 1, 2, 2")
    s.hidden()
    # oracle: scikit-learn's brute-force kNN on random data (continuous distances: no ties)
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(204)
    cases = []
    for num_train, num_classes, k_case in [(30, 2, 1), (60, 3, 5), (200, 10, 7)]:
        X_tr, y_tr = rng.normal(size=(num_train, 4)), rng.integers(0, num_classes, size=num_train)
        X_te = rng.normal(size=(25, 4))
        expected = KNeighborsClassifier(n_neighbors=k_case, algorithm="brute").fit(X_tr, y_tr).predict(X_te)
        cases.append((euclidean(X_te, X_tr), y_tr, k_case, num_classes, expected))
    results = s.call_many("predict_labels", [((d, y), {"k": k}) for d, y, k, _, _ in cases])
    for labels, (_, y_tr, k_case, num_classes, expected) in zip(results, cases):
        testing.check_close(labels, expected,
                            f"predictions against KNeighborsClassifier (N = {len(y_tr)}, {num_classes} classes, k = {k_case})")


@check("test_predict_labels_ties")
def predict_labels_ties(s):
    # Equal votes go to the smallest label: the two nearest have labels 3 and 1 -> predict 1.
    labels_tie = s.call("predict_labels", np.array([[0.1, 0.2, 0.9]]), np.array([3, 1, 1]), k=2)
    testing.check_close(labels_tie, [1], "a 1-1 tie between labels 3 and 1",
                        hint="np.argmax(np.bincount(votes)) picks the smallest label on a tie")
    s.hidden()
    # many exact ties in long rows: only a stable sort gives the training order (NumPy's default sort does not)
    rng_ties = np.random.default_rng(207)
    dists_ties = rng_ties.integers(0, 3, size=(8, 200)).astype(float)
    labels_ties = rng_ties.integers(0, 4, size=200)
    ks = [1, 5, 12]
    results = s.call_many("predict_labels", [
        ((np.array([[0.5, 0.5, 0.5]]), np.array([2, 0, 1])), {"k": 1}),
        ((np.array([[0.5, 0.5, 0.5, 0.1]]), np.array([2, 0, 1, 1])), {"k": 2}),
        ((np.array([[0.3, 0.1, 0.2, 0.4, 0.5]]), np.array([4, 2, 4, 2, 0])), {"k": 4}),
        ((np.array([[0.3, 0.1]]), np.array([0, 0])), {"k": 2}),
    ] + [((dists_ties, labels_ties), {"k": k}) for k in ks])
    # equal distances are taken in training order (stable sort): with k = 1 the first of the equal columns wins
    testing.check_close(results[0], [2], "k = 1 with three equal distances (the first training point wins)")
    testing.check_close(results[1], [1], "k = 2: the nearest and the first of three equal distances: a tie")
    testing.check_close(results[2], [2], "a 2-2 tie between two labels with k = 4")
    testing.check_close(results[3], [0], "a single class")
    for labels, k_case in zip(results[4:], ks):
        testing.check_close(labels, brute_force_votes(dists_ties, labels_ties, k_case, 4),
                            f"k = {k_case} on rows of 200 distances with many exact ties",
                            hint='np.argsort(dists, axis=1, kind="stable") keeps equal distances in training order')


def rank_weighted_votes(dists: np.ndarray, labels: np.ndarray, k: int, num_labels: int) -> np.ndarray:
    """The deck's vote by brute force: the i-th nearest (stable order) adds 1/i to its label."""
    scores = np.zeros((len(dists), num_labels))
    for row_index, row in enumerate(np.argsort(dists, axis=1, kind="stable")[:, :k]):
        for position, column in enumerate(row):
            scores[row_index, labels[column]] += 1.0 / (position + 1)
    return np.argmax(scores, axis=1)


@check("test_predict_labels_rank_weighted_deck")
def predict_labels_rank_weighted_deck(s):
    # The deck's example: ranks 1..11 as distances; red = 0, green = 1.
    deck_distances = np.arange(1, 12, dtype=float)[None, :]
    deck_classes = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1])
    seven, eleven, cubed = s.call_many("predict_labels_rank_weighted", [(deck_distances, deck_classes, 7),
                                                                        (deck_distances, deck_classes, 11),
                                                                        (deck_distances**3 / 100, deck_classes, 11)])
    for labels, k_case in [(seven, 7), (eleven, 11)]:
        testing.check_close(labels, [0], hint="red scores 1 + 1/2 + 1/3 + 1/4 + 1/6 = 27/12; green at most 0.770",
                            name=f"the rank-weighted vote of the deck's example, k = {k_case}")
    testing.check_dtype(seven, np.integer, "the predictions")
    # the weights depend on the rank only, not on the distance itself
    testing.check_close(cubed, [0], hint="weight 1/rank, not 1/distance",
                        name="the deck's example with other distances in the same order")
    s.hidden()
    # a case where the weighting changes the answer: label 1 has 3 far neighbours, label 0 two near ones
    dists_flip = np.array([[0.1, 0.2, 0.5, 0.6, 0.7]])
    labels_flip = np.array([0, 0, 1, 1, 1])
    order = np.array([3, 0, 4, 1, 2])
    flip, first, shuffled = s.call_many("predict_labels_rank_weighted", [(dists_flip, labels_flip, 5),
                                                                         (dists_flip, labels_flip, 1),
                                                                         (dists_flip[:, order], labels_flip[order], 5)])
    testing.check_close(flip, [0], "rank-weighted vote: two near neighbours against three far ones")
    testing.check_close(first, [0], "k = 1")
    # shuffled columns: ranks come from the distances, not from the column order
    testing.check_close(shuffled, [0], "the same example with the training points in another order")


@check("test_predict_labels_rank_weighted_ties")
def predict_labels_rank_weighted_ties(s):
    # 1/2 + 1/3 + 1/6 against 1: a tie (up to round-off) -> the smallest label, 2.
    tie_dists = np.array([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
    tie_labels = np.array([5, 2, 2, 9, 9, 2])
    first_label = s.call("predict_labels_rank_weighted", tie_dists, tie_labels, 6)[0:1]
    testing.check_close(first_label, [2],
                        "scores 1 (label 5), 1/2 + 1/3 + 1/6 (label 2), 1/4 + 1/5 (label 9)", hint="compare with a "
                        "tolerance (1e-12) and give ties to the smallest label")
    s.hidden()
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(205)
    X_tr, y_tr = rng.normal(size=(80, 3)), rng.integers(0, 4, size=80)
    X_te = rng.normal(size=(30, 3))
    dists_rand = euclidean(X_te, X_tr)
    rng_ties = np.random.default_rng(208)
    dists_ties = rng_ties.integers(0, 3, size=(8, 200)).astype(float)
    labels_ties = rng_ties.integers(0, 4, size=200)
    one, nine, ties = s.call_many("predict_labels_rank_weighted", [(dists_rand, y_tr, 1), (dists_rand, y_tr, 9),
                                                                   (dists_ties, labels_ties, 6)])
    # with k = 1 the weighted vote is the 1-NN prediction
    testing.check_close(one, KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(X_tr, y_tr).predict(X_te),
                        "rank-weighted vote with k = 1")
    # a brute-force reference for k = 9
    testing.check_close(nine, rank_weighted_votes(dists_rand, y_tr, 9, 4), "rank-weighted vote with k = 9, 4 classes")
    testing.check_close(ties, rank_weighted_votes(dists_ties, labels_ties, 6, 4),
                        "rank-weighted vote on rows with many exact ties (stable order)")


# --------------------------------------------------------------------------- cross-validation
# graded on its own: cross_validate_k runs with reference distance and vote functions, so
# mistakes in the distance and vote exercises cost nothing here.


@check("test_cross_validate_k")
def cross_validate_k(s):
    X_case = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    y_case = np.array([0, 0, 0, 1, 1, 1])
    result_case = s.call("cross_validate_k", X_case, y_case, [1, 3], 3, isolate=CV_ISOLATION)
    testing.assert_that(isinstance(result_case, dict) and sorted(result_case) == [1, 3],
                        f"expected a dict with keys [1, 3], got {result_case!r}")
    testing.assert_that(all(len(result_case[k]) == 3 for k in result_case), "each k should have num_folds = 3 accuracies")
    # folds [0, 0.1], [0.2, 1.0], [1.1, 1.2]. For fold 0 the 3 nearest training points are 0.2 (label 0), 1.0 and 1.1 (label 1).
    testing.check_close(np.array(result_case[1]), [1.0, 1.0, 1.0],
                        "1-NN accuracy per fold", hint="fold f = np.array_split(...)[f]; train on the other folds in order")
    testing.check_close(np.array(result_case[3]), [0.0, 1.0, 0.0], "3-NN accuracy per fold")
    s.hidden()
    X_fixed = np.array([-1.103, -0.725, -0.782, 0.267, -0.249, 0.126, 0.843, 0.858, 0.475, -0.451, -0.755, -0.815, -0.344,
                        -0.051, -0.972, -1.134, 0.306, -1.852, -0.177, 0.426, -0.985, -1.113, -0.761, 0.648, -0.13, -1.87,
                        -0.423, 1.014, 0.984, 0.63, -0.238, -1.845, 0.17, -0.176, 0.077, 1.542, 0.184, 0.276, 0.605, -0.257,
                        -0.664, -0.737, 0.767, 0.505, -0.49, 1.153, 0.184, -1.34, 0.606, -0.139, -1.329, 0.515, -0.345,
                        -0.392, 0.59, -2.192, -1.277, -0.425, 0.249, -0.665, -0.997, -1.052, -0.117, 0.675, -1.45, -2.08,
                        -0.297, -0.382, -0.909]).reshape(23, 3)
    y_fixed = np.array([1, 0, 2, 0, 1, 1, 2, 2, 0, 2, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 2, 0, 2])
    expected_fixed = {1: [0.3333333333333333, 0.3333333333333333, 0.5, 0.0],
                      3: [0.16666666666666666, 0.3333333333333333, 0.3333333333333333, 0.0],
                      5: [0.6666666666666666, 0.16666666666666666, 0.3333333333333333, 0.2]}
    # N = 10 in 4 folds: np.array_split makes folds of 3, 3, 2, 2 (not 3, 3, 3, 1)
    X_ten = np.array([[-0.007, 1.046], [0.742, 0.724], [1.619, -1.206], [-0.627, -1.321], [-0.108, 0.999], [-0.022, 0.496],
                      [-1.911, 0.147], [-0.907, 1.775], [0.887, 0.949], [-0.058, 0.613]])
    y_ten = np.array([2, 2, 2, 2, 1, 2, 2, 2, 0, 0])
    result_fixed, result_ten = s.call_many("cross_validate_k", [(X_fixed, y_fixed, [1, 3, 5], 4), (X_ten, y_ten, [1, 3], 4)],
                                           isolate=CV_ISOLATION)
    for result, keys in [(result_fixed, [1, 3, 5]), (result_ten, [1, 3])]:
        testing.assert_that(isinstance(result, dict) and all(k in result for k in keys),
                            "cross_validate_k should return a dict with one entry per k in k_choices")
    testing.check_close(np.array(result_ten[1]), [1 / 3, 1 / 3, 0.0, 0.0],
                        "1-NN accuracies for N = 10 in 4 folds (sizes 3, 3, 2, 2)",
                        hint="use np.array_split, which spreads the remainder over the first folds")
    testing.check_close(np.array(result_ten[3]), [1 / 3, 2 / 3, 0.5, 0.0], "3-NN accuracies for N = 10 in 4 folds")
    for k_case, accuracies in expected_fixed.items():
        testing.check_close(np.array(result_fixed[k_case]), accuracies,
                            f"accuracies for k = {k_case} (N = 23, 4 folds of sizes 6, 6, 6, 5)")
        testing.assert_that(all(isinstance(a, float) for a in result_fixed[k_case]), "accuracies should be python floats")


# --------------------------------------------------------------------------- TensorFlow


@check("test_knn_predict_tf_values")
def knn_predict_tf_values(s):
    X_train_case = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
    y_train_case = np.array([0, 0, 1, 2, 2])
    X_test_case = np.array([[0.1, 0.1], [5.5, 4.9], [0.0, 0.9]])
    kept = s.keep("knn_predict_tf", X_test_case, X_train_case, y_train_case, 1)
    result_case = kept.read()
    # Tensors reach the checker as arrays: their repr in the kernel tells whether they were tensors.
    shown = kept.call("__repr__")
    is_tensor = isinstance(shown, str) and shown.startswith("<tf.")
    testing.assert_that(isinstance(result_case, np.ndarray) and not is_tensor,
                        "knn_predict_tf should return a NumPy array (.numpy()), got "
                        f"{'a TensorFlow tensor' if is_tensor else type(result_case).__name__}")
    testing.check_dtype(result_case, np.integer, "the TF predictions")
    testing.check_close(result_case, [0, 2, 1], "1-NN predictions in TensorFlow", hint="top_k of the NEGATED squared distances")
    testing.check_close(s.call("knn_predict_tf", X_test_case, X_train_case, y_train_case, 3), [0, 2, 0],
                        "3-NN predictions in TensorFlow")
    s.hidden()
    # ties: equal distances keep training order, equal votes go to the smallest label
    X_tie = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    # labels with gaps: 0, 3 and 7 (count up to the largest label, not the number of distinct labels)
    rng_gap = np.random.default_rng(209)
    X_gap_tr, X_gap_te = rng_gap.normal(size=(60, 3)), rng_gap.normal(size=(20, 3))
    y_gap = rng_gap.choice([0, 3, 7], size=60)
    first, pair, gaps = s.call_many("knn_predict_tf", [(np.zeros((1, 2)), X_tie, np.array([3, 1, 2, 0]), 1),
                                                       (np.zeros((1, 2)), X_tie, np.array([3, 1, 2, 0]), 2),
                                                       (X_gap_te, X_gap_tr, y_gap, 3)])
    testing.check_close(first, [3], "four training points at equal distance, k = 1 (the first one wins)")
    testing.check_close(pair, [1], "equal distances, k = 2: two labels tie, the smaller wins")
    testing.check_close(gaps, brute_force_votes(euclidean(X_gap_te, X_gap_tr), y_gap, 3, 8), "labels 0, 3 and 7 (k = 3)")


@check("test_knn_predict_tf_oracle")
def knn_predict_tf_oracle(s):
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(206)
    X_tr, y_tr = rng.normal(size=(120, 5)), rng.integers(0, 4, size=120)
    X_te = rng.normal(size=(40, 5))
    sklearn_labels = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X_tr, y_tr).predict(X_te)
    testing.check_close(s.call("knn_predict_tf", X_te, X_tr, y_tr, 5), sklearn_labels,
                        "knn_predict_tf against KNeighborsClassifier (k = 5)")
    s.hidden()
    cases = []
    for k_case, num_classes in [(1, 2), (4, 3), (11, 10)]:
        X_tr, y_tr = rng.normal(size=(200, 8)), rng.integers(0, num_classes, size=200)
        X_te = rng.normal(size=(60, 8))
        cases.append((X_te, X_tr, y_tr, k_case, num_classes))
    results = s.call_many("knn_predict_tf", [(X_te, X_tr, y_tr, k) for X_te, X_tr, y_tr, k, _ in cases])
    for labels, (X_te, X_tr, y_tr, k_case, num_classes) in zip(results, cases):
        testing.check_close(labels, brute_force_votes(euclidean(X_te, X_tr), y_tr, k_case, num_classes),
                            f"knn_predict_tf for k = {k_case}, {num_classes} classes (ties included)")
    # Data far from the origin: in float32, ||a||^2 + ||b||^2 - 2 a.b loses the small differences between
    # large numbers (a float32 version disagrees with the float64 vote on about 30% of these points).
    rng_far = np.random.default_rng(210)
    X_far_tr, y_far = rng_far.normal(size=(200, 8)) + 1000.0, rng_far.integers(0, 3, size=200)
    X_far_te = rng_far.normal(size=(60, 8)) + 1000.0
    far = s.call("knn_predict_tf", X_far_te, X_far_tr, y_far, 5)
    testing.check_shape(far, (60,), "knn_predict_tf for points far from the origin")
    agree = float(np.mean(np.asarray(far) == brute_force_votes(euclidean(X_far_te, X_far_tr), y_far, 5, 3)))
    testing.assert_that(agree == 1.0, (
        f"knn_predict_tf disagrees with the exact vote on {1 - agree:.0%} of the points when the data lie far from "
        "the origin (a large common offset): compute the squared distances in float64 (tf.constant(..., dtype="
        "tf.float64)); in float32, ||a||^2 + ||b||^2 - 2 a.b cancels the small differences between large numbers"))
