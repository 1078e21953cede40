"""Plausible wrong answers for notebook 02; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail. Sources are self-contained (they use only
``np``, ``tf`` and the functions of the notebook).
"""

ASSIGNMENT = "02_logistic_softmax"

MUTANTS: dict[str, dict[str, str]] = {
    "sigmoid": {
        "naive_overflows": '''
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))
''',
        "where_both_branches": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    # np.where evaluates both branches: exp(z) overflows for z = 1000
    return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
''',
        "wrong_sign": '''
def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
''',
        "clipped_probabilities": '''
def sigmoid(z):
    # clipping "for safety" breaks the limits and the symmetry
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.clip(np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), 1e-7, 1 - 1e-7)
''',
        "integer_output": '''
def sigmoid(z):
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype)
''',
    },
    "logistic_cost": {
        "log_of_sigmoid": '''
def logistic_cost(X, y, w, b):
    z = X @ w + b
    p = sigmoid(z)
    cost = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    return cost, X.T @ (p - y) / len(y), float(np.mean(p - y))
''',
        "sum_not_mean": '''
def logistic_cost(X, y, w, b):
    z = X @ w + b
    cost = float(np.sum(np.logaddexp(0.0, z) - y * z))
    error = sigmoid(z) - y
    return cost, X.T @ error, float(np.sum(error))
''',
        "only_positive_term": '''
def logistic_cost(X, y, w, b):
    # the deck's one-hot formula applied to binary labels: forgets the (1 - y) term
    z = X @ w + b
    cost = float(np.mean(y * np.logaddexp(0.0, -z)))
    error = sigmoid(z) - y
    return cost, X.T @ error / len(y), float(np.mean(error))
''',
        "gradient_sign": '''
def logistic_cost(X, y, w, b):
    z = X @ w + b
    cost = float(np.mean(np.logaddexp(0.0, z) - y * z))
    error = y - sigmoid(z)
    return cost, X.T @ error / len(y), float(np.mean(error))
''',
        "dw_missing_one_over_n": '''
def logistic_cost(X, y, w, b):
    z = X @ w + b
    cost = float(np.mean(np.logaddexp(0.0, z) - y * z))
    error = sigmoid(z) - y
    return cost, X.T @ error, float(np.mean(error))
''',
        "db_summed": '''
def logistic_cost(X, y, w, b):
    z = X @ w + b
    cost = float(np.mean(np.logaddexp(0.0, z) - y * z))
    error = sigmoid(z) - y
    return cost, X.T @ error / len(y), float(np.sum(error))
''',
    },
    "predict_binary": {
        "greater_or_equal": '''
def predict_binary(X, w, b, threshold=0.5):
    return (sigmoid(X @ w + b) >= threshold).astype(int)
''',
        "threshold_on_logit": '''
def predict_binary(X, w, b, threshold=0.5):
    return (X @ w + b > threshold).astype(int)
''',
        "ignores_threshold": '''
def predict_binary(X, w, b, threshold=0.5):
    return (X @ w + b > 0).astype(int)
''',
        "boolean_output": '''
def predict_binary(X, w, b, threshold=0.5):
    return sigmoid(X @ w + b) > threshold
''',
    },
    "softmax": {
        "normalised_over_samples": '''
def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return E / np.sum(E, axis=0, keepdims=True)
''',
        "no_shift": '''
def softmax(Z):
    E = np.exp(Z)
    return E / np.sum(E, axis=1, keepdims=True)
''',
        "global_max_shift": '''
def softmax(Z):
    E = np.exp(Z - np.max(Z))
    return E / np.sum(E, axis=1, keepdims=True)
''',
        "missing_keepdims": '''
def softmax(Z):
    E = np.exp(Z - np.max(Z, axis=1))
    return E / np.sum(E, axis=1)
''',
    },
    "one_hot": {
        "eye_indexing_no_checks": '''
def one_hot(y, num_classes):
    return np.eye(num_classes)[y]
''',
        "integer_matrix": '''
def one_hot(y, num_classes):
    y = np.asarray(y)
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError("label out of range")
    return np.eye(num_classes, dtype=int)[y]
''',
        "classes_from_labels": '''
def one_hot(y, num_classes):
    y = np.asarray(y)
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError("label out of range")
    return np.eye(y.max() + 1)[y]
''',
        "transposed": '''
def one_hot(y, num_classes):
    y = np.asarray(y)
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError("label out of range")
    return np.eye(num_classes)[y].T
''',
    },
    "softmax_cross_entropy": {
        "sum_not_mean": '''
def softmax_cross_entropy(Z, y):
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dZ = np.exp(log_p)
    dZ[rows, y] -= 1
    return float(-np.sum(log_p[rows, y])), dZ
''',
        "dz_missing_one_over_n": '''
def softmax_cross_entropy(Z, y):
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    dZ = np.exp(log_p)
    dZ[rows, y] -= 1
    return float(-np.mean(log_p[rows, y])), dZ
''',
        "log_of_softmax": '''
def softmax_cross_entropy(Z, y):
    P = softmax(Z)
    rows = np.arange(len(y))
    dZ = P.copy()
    dZ[rows, y] -= 1
    return float(-np.mean(np.log(P[rows, y]))), dZ / len(y)
''',
        "forgot_one_hot": '''
def softmax_cross_entropy(Z, y):
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    return float(-np.mean(log_p[rows, y])), np.exp(log_p) / len(y)
''',
        "wrong_label_indexing": '''
def softmax_cross_entropy(Z, y):
    S = Z - Z.max(axis=1, keepdims=True)
    log_p = S - np.log(np.exp(S).sum(axis=1, keepdims=True))
    dZ = np.exp(log_p)
    dZ[:, y] -= 1  # every row gets every label
    return float(-np.mean(log_p[:, y])), dZ / len(y)
''',
    },
    "train_softmax": {
        "no_shuffle": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(num_epochs):
        losses = []
        for start in range(0, len(X), batch_size):
            batch = np.arange(start, min(start + batch_size, len(X)))
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * np.sum(W * W))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "shuffle_once": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    order = np.random.default_rng(seed).permutation(len(X))
    for _ in range(num_epochs):
        losses = []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * np.sum(W * W))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "regularised_bias": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * (np.sum(W * W) + np.sum(b * b)))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * (dZ.sum(axis=0) + reg * b)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "bias_in_penalty_only": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    # the bias's gradient is right, but the recorded loss penalises b too
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * (np.sum(W * W) + np.sum(b * b)))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "no_regularisation_gradient": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * np.sum(W * W))
            W, b = W - lr * (X[batch].T @ dZ), b - lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "history_per_batch": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            history.append(float(loss + 0.5 * reg * np.sum(W * W)))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * dZ.sum(axis=0)
    return W, b, history
''',
        "random_init": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    rng = np.random.default_rng(seed)
    W, b, history = 0.01 * rng.normal(size=(X.shape[1], num_classes)), np.zeros(num_classes), []
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * np.sum(W * W))
            W, b = W - lr * (X[batch].T @ dZ + reg * W), b - lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
        "gradient_ascent": '''
def train_softmax(X, y, num_classes, lr, num_epochs, batch_size, reg=0.0, seed=0):
    W, b, history = np.zeros((X.shape[1], num_classes)), np.zeros(num_classes), []
    rng = np.random.default_rng(seed)
    for _ in range(num_epochs):
        order, losses = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dZ = softmax_cross_entropy(X[batch] @ W + b, y[batch])
            losses.append(loss + 0.5 * reg * np.sum(W * W))
            W, b = W + lr * (X[batch].T @ dZ + reg * W), b + lr * dZ.sum(axis=0)
        history.append(float(np.mean(losses)))
    return W, b, history
''',
    },
    "softmax_cross_entropy_tf": {
        "reduce_sum": '''
def softmax_cross_entropy_tf(Z, y):
    logits = tf.constant(Z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return float(loss), tape.gradient(loss, logits).numpy()
''',
        "float32": '''
def softmax_cross_entropy_tf(Z, y):
    logits = tf.constant(Z, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return float(loss), tape.gradient(loss, logits).numpy()
''',
        "probabilities_as_logits": '''
def softmax_cross_entropy_tf(Z, y):
    logits = tf.constant(Z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=tf.nn.softmax(logits)))
    return float(loss), tape.gradient(loss, logits).numpy()
''',
        "tensor_not_numpy": '''
def softmax_cross_entropy_tf(Z, y):
    logits = tf.constant(Z, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return loss, tape.gradient(loss, logits)
''',
    },
}
