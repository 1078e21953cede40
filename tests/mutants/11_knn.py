"""Plausible wrong answers for notebook 11; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "11_knn"

MUTANTS: dict[str, dict[str, str]] = {
    "compute_distances_two_loops": {
        "squared_distances": '''
def compute_distances_two_loops(X_test, X_train):
    d = np.zeros((len(X_test), len(X_train)))
    for i in range(len(X_test)):
        for j in range(len(X_train)):
            d[i, j] = np.sum((X_test[i] - X_train[j]) ** 2)
    return d
''',
        "transposed": '''
def compute_distances_two_loops(X_test, X_train):
    d = np.zeros((len(X_train), len(X_test)))
    for i in range(len(X_test)):
        for j in range(len(X_train)):
            d[j, i] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))
    return d
''',
        "manhattan": '''
def compute_distances_two_loops(X_test, X_train):
    d = np.zeros((len(X_test), len(X_train)))
    for i in range(len(X_test)):
        for j in range(len(X_train)):
            d[i, j] = np.sum(np.abs(X_test[i] - X_train[j]))
    return d
''',
    },
    "compute_distances_one_loop": {
        "sum_over_wrong_axis": '''
def compute_distances_one_loop(X_test, X_train):
    d = np.zeros((len(X_test), len(X_train)))
    for i in range(len(X_test)):
        d[i] = np.sqrt(np.sum((X_train - X_test[i]) ** 2, axis=0)).sum()
    return d
''',
        "forgot_sqrt": '''
def compute_distances_one_loop(X_test, X_train):
    d = np.zeros((len(X_test), len(X_train)))
    for i in range(len(X_test)):
        d[i] = np.sum((X_train - X_test[i]) ** 2, axis=1)
    return d
''',
        "in_place_subtraction": '''
def compute_distances_one_loop(X_test, X_train):
    d = np.zeros((len(X_test), len(X_train)))
    for i in range(len(X_test)):
        X_train -= X_test[i]
        d[i] = np.sqrt(np.sum(X_train ** 2, axis=1))
        X_train += X_test[i]
    return d
''',
    },
    "compute_distances_no_loops": {
        "no_clamp": '''
def compute_distances_no_loops(X_test, X_train):
    return np.sqrt((X_test ** 2).sum(1)[:, None] + (X_train ** 2).sum(1)[None, :] - 2 * X_test @ X_train.T)
''',
        "missing_factor_two": '''
def compute_distances_no_loops(X_test, X_train):
    sq = (X_test ** 2).sum(1)[:, None] + (X_train ** 2).sum(1)[None, :] - X_test @ X_train.T
    return np.sqrt(np.maximum(sq, 0.0))
''',
        "norms_not_squared": '''
def compute_distances_no_loops(X_test, X_train):
    sq = np.sqrt((X_test ** 2).sum(1))[:, None] + np.sqrt((X_train ** 2).sum(1))[None, :] - 2 * X_test @ X_train.T
    return np.sqrt(np.maximum(sq, 0.0))
''',
        "uses_scipy": '''
def compute_distances_no_loops(X_test, X_train):
    from scipy.spatial.distance import cdist
    return cdist(X_test, X_train)
''',
        "apply_along_axis": '''
def compute_distances_no_loops(X_test, X_train):
    return np.apply_along_axis(lambda row: np.sqrt(((X_train - row) ** 2).sum(axis=1)), 1, X_test)
''',
        "list_comprehension": '''
def compute_distances_no_loops(X_test, X_train):
    return np.array([np.sqrt(((X_train - row) ** 2).sum(axis=1)) for row in X_test])
''',
    },
    "predict_labels": {
        "default_sort": '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1)[:, :k]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])
''',
        "farthest_neighbours": '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, -k:]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])
''',
        "off_by_one_k": '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k + 1]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])
''',
        "ties_to_largest_label": '''
def predict_labels(dists, y_train, k=1):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    out = []
    for row in nearest:
        counts = np.bincount(y_train[row])
        out.append(len(counts) - 1 - np.argmax(counts[::-1]))
    return np.array(out)
''',
        "ties_to_nearest_neighbour": '''
def predict_labels(dists, y_train, k=1):
    from collections import Counter
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    return np.array([Counter(y_train[row].tolist()).most_common(1)[0][0] for row in nearest])
''',
        "equal_distances_last_first": '''
def predict_labels(dists, y_train, k=1):
    # sorts the reversed columns: among equal distances the LAST training point comes first
    num_train = dists.shape[1]
    nearest = num_train - 1 - np.argsort(dists[:, ::-1], axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])
''',
    },
    "predict_labels_rank_weighted": {
        "default_sort": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1)[:, :k]
    out = []
    for row in nearest:
        scores = np.bincount(y_train[row], weights=1.0 / np.arange(1, k + 1))
        out.append(np.flatnonzero(scores >= scores.max() - 1e-12)[0])
    return np.array(out)
''',
        "inverse_distance_weights": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    out = []
    for i, row in enumerate(nearest):
        scores = np.bincount(y_train[row], weights=1.0 / np.maximum(dists[i, row], 1e-12))
        out.append(np.flatnonzero(scores >= scores.max() - 1e-12)[0])
    return np.array(out)
''',
        "plain_vote": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])
''',
        "weights_by_column_index": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    out = []
    for row in nearest:
        scores = np.bincount(y_train[row], weights=1.0 / (row + 1.0))
        out.append(np.argmax(scores))
    return np.array(out)
''',
        "zero_based_rank": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    out = []
    for row in nearest:
        scores = np.bincount(y_train[row], weights=1.0 / (np.arange(k) + 2.0))
        out.append(np.argmax(scores))
    return np.array(out)
''',
        "exact_float_comparison": '''
def predict_labels_rank_weighted(dists, y_train, k):
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    out = []
    for row in nearest:
        scores = {}
        for rank, column in enumerate(row, start=1):
            scores[y_train[column]] = scores.get(y_train[column], 0.0) + 1.0 / rank
        best = max(scores.values())
        out.append(min(label for label, value in scores.items() if value == best))
    return np.array(out)
''',
    },
    "cross_validate_k": {
        "shuffles_folds": '''
def cross_validate_k(X, y, k_choices, num_folds):
    order = np.random.default_rng(0).permutation(len(X))
    X_folds, y_folds = np.array_split(X[order], num_folds), np.array_split(y[order], num_folds)
    acc = {k: [] for k in k_choices}
    for f in range(num_folds):
        Xtr = np.concatenate([X_folds[i] for i in range(num_folds) if i != f])
        ytr = np.concatenate([y_folds[i] for i in range(num_folds) if i != f])
        d = compute_distances_no_loops(X_folds[f], Xtr)
        for k in k_choices:
            acc[k].append(float(np.mean(predict_labels(d, ytr, k) == y_folds[f])))
    return acc
''',
        "trains_on_all_data": '''
def cross_validate_k(X, y, k_choices, num_folds):
    X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
    acc = {k: [] for k in k_choices}
    for f in range(num_folds):
        d = compute_distances_no_loops(X_folds[f], X)
        for k in k_choices:
            acc[k].append(float(np.mean(predict_labels(d, y, k) == y_folds[f])))
    return acc
''',
        "ceil_sized_folds": '''
def cross_validate_k(X, y, k_choices, num_folds):
    size = -(-len(X) // num_folds)
    X_folds = [X[i * size:(i + 1) * size] for i in range(num_folds)]
    y_folds = [y[i * size:(i + 1) * size] for i in range(num_folds)]
    acc = {k: [] for k in k_choices}
    for f in range(num_folds):
        Xtr = np.concatenate([X_folds[i] for i in range(num_folds) if i != f])
        ytr = np.concatenate([y_folds[i] for i in range(num_folds) if i != f])
        d = compute_distances_no_loops(X_folds[f], Xtr)
        for k in k_choices:
            acc[k].append(float(np.mean(predict_labels(d, ytr, k) == y_folds[f])))
    return acc
''',
        "mean_instead_of_list": '''
def cross_validate_k(X, y, k_choices, num_folds):
    X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
    acc = {k: [] for k in k_choices}
    for f in range(num_folds):
        Xtr = np.concatenate([X_folds[i] for i in range(num_folds) if i != f])
        ytr = np.concatenate([y_folds[i] for i in range(num_folds) if i != f])
        d = compute_distances_no_loops(X_folds[f], Xtr)
        for k in k_choices:
            acc[k].append(float(np.mean(predict_labels(d, ytr, k) == y_folds[f])))
    return {k: [float(np.mean(v))] * num_folds for k, v in acc.items()}
''',
    },
    "knn_predict_tf": {
        "largest_distances": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test, tf.float64), tf.constant(X_train, tf.float64)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    _, idx = tf.math.top_k(sq, k=k)
    votes = tf.gather(tf.constant(y_train, tf.int64), idx)
    return tf.argmax(tf.reduce_sum(tf.one_hot(votes, int(np.max(y_train)) + 1), axis=1), axis=1).numpy()
''',
        "float32_distances": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test * 1e4, tf.float32), tf.constant(X_train * 1e4, tf.float32)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    _, idx = tf.math.top_k(tf.round(-sq / 1e9), k=k)
    votes = tf.gather(tf.constant(y_train, tf.int64), idx)
    return tf.argmax(tf.reduce_sum(tf.one_hot(votes, int(np.max(y_train)) + 1), axis=1), axis=1).numpy()
''',
        # issue 22: plain float32 (TensorFlow's default): ||a||^2 + ||b||^2 - 2ab cancels for data far from 0
        "plain_float32": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test, tf.float32), tf.constant(X_train, tf.float32)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    _, idx = tf.math.top_k(-sq, k=k)
    votes = tf.gather(tf.constant(y_train, tf.int64), idx)
    return tf.argmax(tf.reduce_sum(tf.one_hot(votes, int(np.max(y_train)) + 1), axis=1), axis=1).numpy()
''',
        "returns_tensor": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test, tf.float64), tf.constant(X_train, tf.float64)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    _, idx = tf.math.top_k(-sq, k=k)
    votes = tf.gather(tf.constant(y_train, tf.int64), idx)
    return tf.argmax(tf.reduce_sum(tf.one_hot(votes, int(np.max(y_train)) + 1), axis=1), axis=1)
''',
        "classes_from_unique_labels": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test, tf.float64), tf.constant(X_train, tf.float64)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    _, idx = tf.math.top_k(-sq, k=k)
    votes = tf.gather(tf.constant(y_train, tf.int64), idx)
    return tf.argmax(tf.reduce_sum(tf.one_hot(votes, len(np.unique(y_train))), axis=1), axis=1).numpy()
''',
        "one_nearest_only": '''
def knn_predict_tf(X_test, X_train, y_train, k):
    test, train = tf.constant(X_test, tf.float64), tf.constant(X_train, tf.float64)
    sq = tf.reduce_sum(test ** 2, 1, keepdims=True) + tf.reduce_sum(train ** 2, 1)[None, :] - 2 * tf.matmul(test, train, transpose_b=True)
    return tf.gather(tf.constant(y_train, tf.int64), tf.argmin(sq, axis=1)).numpy()
''',
    },
}
