"""Plausible wrong answers for notebook 01; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail. Sources are self-contained (they use only
``np``, ``tf`` and the function they redefine).
"""

ASSIGNMENT = "01_linear_regression"

MUTANTS: dict[str, dict[str, str]] = {
    "predict": {
        "forgot_bias": '''
def predict(X, w, b):
    return X @ w
''',
        "column_output": '''
def predict(X, w, b):
    # keeps an extra axis: (N, 1) instead of (N,)
    return X @ w.reshape(-1, 1) + b
''',
        "first_feature_only": '''
def predict(X, w, b):
    # written for the one-feature deck example only
    return X[:, 0] * w[0] + b
''',
        "sum_over_samples": '''
def predict(X, w, b):
    # reduces over the wrong axis (samples instead of features)
    return np.sum(X * w, axis=0) + b
''',
        "bias_subtracted": '''
def predict(X, w, b):
    return X @ w - b
''',
    },
    "mse_cost": {
        "missing_half": '''
def mse_cost(X, y, w, b):
    residuals = X @ w + b - y
    return float(np.mean(residuals ** 2))
''',
        "sum_not_mean": '''
def mse_cost(X, y, w, b):
    residuals = X @ w + b - y
    return float(0.5 * np.sum(residuals ** 2))
''',
        "mean_before_square": '''
def mse_cost(X, y, w, b):
    residuals = X @ w + b - y
    return float(0.5 * np.mean(residuals) ** 2)
''',
        "per_sample_array": '''
def mse_cost(X, y, w, b):
    # forgot to average: one cost per sample
    return 0.5 * (X @ w + b - y) ** 2
''',
        "column_broadcast": '''
def mse_cost(X, y, w, b):
    # (N, 1) - (N,) broadcasts to (N, N) silently
    y_hat = (X @ w + b).reshape(-1, 1)
    return float(0.5 * np.mean((y_hat - y) ** 2))
''',
        "absolute_error": '''
def mse_cost(X, y, w, b):
    return float(0.5 * np.mean(np.abs(X @ w + b - y)))
''',
    },
    "mse_gradients": {
        "wrong_sign": '''
def mse_gradients(X, y, w, b):
    residuals = y - (X @ w + b)
    return X.T @ residuals / X.shape[0], float(np.mean(residuals))
''',
        "missing_one_over_n": '''
def mse_gradients(X, y, w, b):
    residuals = X @ w + b - y
    return X.T @ residuals, float(np.sum(residuals))
''',
        "extra_factor_two": '''
def mse_gradients(X, y, w, b):
    # the gradient of the mean squared error without the 1/2
    residuals = X @ w + b - y
    return 2 * X.T @ residuals / X.shape[0], float(2 * np.mean(residuals))
''',
        "db_as_sum": '''
def mse_gradients(X, y, w, b):
    residuals = X @ w + b - y
    return X.T @ residuals / X.shape[0], float(np.sum(residuals))
''',
        "factorised_mean": '''
def mse_gradients(X, y, w, b):
    # mean(x * r) is not mean(x) * mean(r)
    residuals = X @ w + b - y
    return np.mean(X, axis=0) * np.mean(residuals), float(np.mean(residuals))
''',
        "db_as_array": '''
def mse_gradients(X, y, w, b):
    residuals = X @ w + b - y
    return X.T @ residuals / X.shape[0], np.mean(residuals, keepdims=True)
''',
    },
    "gradient_descent": {
        "missing_initial_cost": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = []
    for _ in range(num_steps):
        r = X @ w + b - y
        w, b = w - lr * X.T @ r / len(y), b - lr * np.mean(r)
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)
''',
        "w0_mutated_in_place": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else w0  # no copy
    b = float(b0)
    history = [0.5 * np.mean((X @ w + b - y) ** 2)]
    for _ in range(num_steps):
        r = X @ w + b - y
        w -= lr * X.T @ r / len(y)
        b -= lr * np.mean(r)
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)
''',
        "sequential_update": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = [0.5 * np.mean((X @ w + b - y) ** 2)]
    for _ in range(num_steps):
        w = w - lr * X.T @ (X @ w + b - y) / len(y)
        b = b - lr * np.mean(X @ w + b - y)  # uses the already-updated w
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)
''',
        "bias_never_updated": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = [0.5 * np.mean((X @ w + b - y) ** 2)]
    for _ in range(num_steps):
        w = w - lr * X.T @ (X @ w + b - y) / len(y)
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)
''',
        "gradient_ascent": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = [0.5 * np.mean((X @ w + b - y) ** 2)]
    for _ in range(num_steps):
        r = X @ w + b - y
        w, b = w + lr * X.T @ r / len(y), b + lr * np.mean(r)
        history.append(0.5 * np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(history)
''',
        "stops_when_cost_grows": '''
def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    b = float(b0)
    history = [0.5 * np.mean((X @ w + b - y) ** 2)]
    for _ in range(num_steps):
        r = X @ w + b - y
        w_new, b_new = w - lr * X.T @ r / len(y), b - lr * np.mean(r)
        cost = 0.5 * np.mean((X @ w_new + b_new - y) ** 2)
        if cost > history[-1]:  # "safety" early stop: hides divergence
            break
        w, b = w_new, b_new
        history.append(cost)
    return w, b, np.array(history)
''',
    },
    "normal_equation": {
        "intercept_dropped": '''
def normal_equation(X, y):
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    return w, 0.0
''',
        "bias_from_wrong_end": '''
def normal_equation(X, y):
    A = np.column_stack([np.ones(X.shape[0]), X])  # ones first ...
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    return theta[:-1], float(theta[-1])  # ... but b read from the end
''',
        "bias_is_mean_of_y": '''
def normal_equation(X, y):
    # fits w without an intercept, then uses the mean target as b
    w = np.linalg.solve(X.T @ X, X.T @ (y - y.mean()))
    return w, float(y.mean())
''',
        "theta_returned_whole": '''
def normal_equation(X, y):
    A = np.column_stack([X, np.ones(X.shape[0])])
    theta = np.linalg.solve(A.T @ A, A.T @ y)
    return theta, float(theta[-1])
''',
    },
    "fit_linear_tf": {
        "loss_not_averaged": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(W * x_t + b - y_t))
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(float(tf.reduce_sum(tf.square(W * x_t + b - y_t))))
    return float(W[0]), float(b[0]), losses
''',
        "gradient_ascent": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(W * x_t + b - y_t))
        dW, db = tape.gradient(loss, [W, b])
        W.assign_add(lr * dW)
        b.assign_add(lr * db)
        losses.append(float(tf.reduce_mean(tf.square(W * x_t + b - y_t))))
    return float(W[0]), float(b[0]), losses
''',
        "no_stateless_seed": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.uniform([1], -1.0, 1.0, seed=seed))  # the deck's tf.random_uniform
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(W * x_t + b - y_t))
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(float(tf.reduce_mean(tf.square(W * x_t + b - y_t))))
    return float(W[0]), float(b[0]), losses
''',
        "seed_pair_swapped": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(0, seed), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(W * x_t + b - y_t))
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(float(tf.reduce_mean(tf.square(W * x_t + b - y_t))))
    return float(W[0]), float(b[0]), losses
''',
        "loss_before_update": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(W * x_t + b - y_t))
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(float(loss))  # the loss before this update
    return float(W[0]), float(b[0]), losses
''',
        "half_mse_like_numpy": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = 0.5 * tf.reduce_mean(tf.square(W * x_t + b - y_t))  # the NumPy part's J
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(float(0.5 * tf.reduce_mean(tf.square(W * x_t + b - y_t))))
    return float(W[0]), float(b[0]), losses
''',
        "returns_tensors": '''
def fit_linear_tf(x, y, lr=0.5, num_steps=10, seed=0):
    import tensorflow as tf
    x_t, y_t = tf.constant(x, tf.float32), tf.constant(y, tf.float32)
    W = tf.Variable(tf.random.stateless_uniform([1], seed=(seed, 0), minval=-1.0, maxval=1.0))
    b = tf.Variable(tf.zeros([1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=lr)
    losses = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(W * x_t + b - y_t))
        optimizer.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
        losses.append(tf.reduce_mean(tf.square(W * x_t + b - y_t)).numpy())
    return W.numpy(), b.numpy(), losses
''',
    },
}
