"""Plausible wrong answers for notebook 05; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "05_generalization"

MUTANTS: dict[str, dict[str, str]] = {
    "polynomial_features": {
        "starts_at_power_zero": '''
def polynomial_features(x, degree):
    return np.column_stack([x ** p for p in range(degree)])
''',
        "transposed": '''
def polynomial_features(x, degree):
    return np.array([x ** p for p in range(1, degree + 1)])
''',
        "multiplies_instead_of_powers": '''
def polynomial_features(x, degree):
    return np.column_stack([x * p for p in range(1, degree + 1)])
''',
    },
    "ridge_fit": {
        "bias_penalised": '''
def ridge_fit(X, y, lam):
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)
    return theta[:-1], float(theta[-1])
''',
        "mean_instead_of_sum": '''
def ridge_fit(X, y, lam):
    Xc, yc = X - X.mean(0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc / len(X) + lam * np.eye(X.shape[1]), Xc.T @ yc / len(X))
    return w, float(y.mean() - X.mean(0) @ w)
''',
        "no_intercept": '''
def ridge_fit(X, y, lam):
    w = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ y)
    return w, 0.0
''',
        "intercept_is_mean_y": '''
def ridge_fit(X, y, lam):
    Xc, yc = X - X.mean(0), y - y.mean()
    w = np.linalg.lstsq(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ yc, rcond=None)[0]
    return w, float(y.mean())
''',
    },
    "l2_penalty": {
        "missing_half": '''
def l2_penalty(weights, lam):
    return lam * sum(float((W ** 2).sum()) for W in weights), [lam * W for W in weights]
''',
        "gradient_doubled": '''
def l2_penalty(weights, lam):
    return 0.5 * lam * sum(float((W ** 2).sum()) for W in weights), [2 * lam * W for W in weights]
''',
        "first_array_only": '''
def l2_penalty(weights, lam):
    return 0.5 * lam * float((weights[0] ** 2).sum()), [lam * W for W in weights]
''',
        "decays_in_place": '''
def l2_penalty(weights, lam):
    penalty = 0.5 * lam * sum(float((W ** 2).sum()) for W in weights)
    for W in weights:
        W *= 1.0  # harmless...
        W -= 0.0
    grads = [lam * W for W in weights]
    for W in weights:
        W *= (1 - lam)  # ...but this applies the decay to the caller's weights
    return penalty, grads
''',
    },
    "l1_penalty": {
        "half_factor": '''
def l1_penalty(weights, lam):
    return 0.5 * lam * sum(float(np.abs(W).sum()) for W in weights), [lam * np.sign(W) for W in weights]
''',
        "gradient_is_weight": '''
def l1_penalty(weights, lam):
    return lam * sum(float(np.abs(W).sum()) for W in weights), [lam * W for W in weights]
''',
        "sign_of_zero_is_one": '''
def l1_penalty(weights, lam):
    return lam * sum(float(np.abs(W).sum()) for W in weights), [lam * np.where(W >= 0, 1.0, -1.0) for W in weights]
''',
    },
    "train_val_test_split": {
        "train_first": '''
def train_val_test_split(X, y, val_fraction, test_fraction, rng):
    order = rng.permutation(len(X))
    n_test, n_val = round(test_fraction * len(X)), round(val_fraction * len(X))
    n_train = len(X) - n_test - n_val
    tr, va, te = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]
''',
        "no_shuffle": '''
def train_val_test_split(X, y, val_fraction, test_fraction, rng):
    order = np.arange(len(X))
    n_test, n_val = round(test_fraction * len(X)), round(val_fraction * len(X))
    te, va, tr = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]
''',
        "floor_instead_of_round": '''
def train_val_test_split(X, y, val_fraction, test_fraction, rng):
    order = rng.permutation(len(X))
    n_test, n_val = int(test_fraction * len(X)), int(val_fraction * len(X))
    te, va, tr = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    return X[tr], y[tr], X[va], y[va], X[te], y[te]
''',
        "separate_shuffles": '''
def train_val_test_split(X, y, val_fraction, test_fraction, rng):
    ox, oy = rng.permutation(len(X)), rng.permutation(len(X))
    n_test, n_val = round(test_fraction * len(X)), round(val_fraction * len(X))
    s = lambda o: (o[n_test + n_val:], o[n_test:n_test + n_val], o[:n_test])
    (xtr, xva, xte), (ytr, yva, yte) = s(ox), s(oy)
    return X[xtr], y[ytr], X[xva], y[yva], X[xte], y[yte]
''',
    },
    "early_stopping": {
        "equal_counts_as_improvement": '''
def early_stopping(val_losses, patience):
    best, best_loss = 0, val_losses[0]
    for e, loss in enumerate(val_losses):
        if loss <= best_loss:
            best, best_loss = e, loss
        if e - best >= patience:
            return best, e
    return best, len(val_losses) - 1
''',
        "global_minimum": '''
def early_stopping(val_losses, patience):
    best = int(np.argmin(val_losses))
    return best, min(best + patience, len(val_losses) - 1)
''',
        "stop_check_before_update": '''
def early_stopping(val_losses, patience):
    best, best_loss = 0, val_losses[0]
    for e, loss in enumerate(val_losses):
        if e - best >= patience:
            return best, e
        if loss < best_loss:
            best, best_loss = e, loss
    return best, len(val_losses) - 1
''',
        "off_by_one_patience": '''
def early_stopping(val_losses, patience):
    best, best_loss = 0, val_losses[0]
    for e, loss in enumerate(val_losses):
        if loss < best_loss:
            best, best_loss = e, loss
        if e - best > patience:
            return best, e
    return best, len(val_losses) - 1
''',
    },
    "dropout_forward": {
        "not_inverted": '''
def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x.copy(), (None, keep_prob, False)
    mask = rng.random(x.shape) < keep_prob
    return x * mask, (mask, keep_prob, True)
''',
        "drop_probability_swapped": '''
def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x.copy(), (None, keep_prob, False)
    mask = rng.random(x.shape) < 1 - keep_prob
    return x * mask / keep_prob, (mask, keep_prob, True)
''',
        "scales_at_test_time": '''
def dropout_forward(x, keep_prob, train, rng):
    mask = rng.random(x.shape) < keep_prob
    if not train:
        return x * keep_prob, (None, keep_prob, False)
    return x * mask / keep_prob, (mask, keep_prob, True)
''',
        "one_mask_per_feature": '''
def dropout_forward(x, keep_prob, train, rng):
    if not train:
        return x.copy(), (None, keep_prob, False)
    mask = rng.random(x.shape[-1:]) < keep_prob
    return x * mask / keep_prob, (np.broadcast_to(mask, x.shape), keep_prob, True)
''',
    },
    "dropout_backward": {
        "forgets_scaling": '''
def dropout_backward(dout, cache):
    mask, keep_prob, train = cache
    return dout * mask if train else dout.copy()
''',
        "ignores_mask": '''
def dropout_backward(dout, cache):
    mask, keep_prob, train = cache
    return dout / keep_prob if train else dout.copy()
''',
        "masks_at_test_time": '''
def dropout_backward(dout, cache):
    mask, keep_prob, train = cache
    return dout * keep_prob if not train else dout * mask / keep_prob
''',
    },
    "build_regularized_mlp": {
        "softmax_output": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers += [tf.keras.layers.Dense(u, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2)),
                   tf.keras.layers.Dropout(dropout_rate)]
    layers.append(tf.keras.layers.Dense(num_classes, activation="softmax", kernel_regularizer=tf.keras.regularizers.L2(l2)))
    return tf.keras.Sequential(layers)
''',
        "keep_prob_as_rate": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers += [tf.keras.layers.Dense(u, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2)),
                   tf.keras.layers.Dropout(1 - dropout_rate)]
    layers.append(tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.L2(l2)))
    return tf.keras.Sequential(layers)
''',
        "output_not_regularised": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers += [tf.keras.layers.Dense(u, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2)),
                   tf.keras.layers.Dropout(dropout_rate)]
    layers.append(tf.keras.layers.Dense(num_classes))
    return tf.keras.Sequential(layers)
''',
        "activity_regulariser": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers += [tf.keras.layers.Dense(u, activation="relu", activity_regularizer=tf.keras.regularizers.L2(l2)),
                   tf.keras.layers.Dropout(dropout_rate)]
    layers.append(tf.keras.layers.Dense(num_classes, activity_regularizer=tf.keras.regularizers.L2(l2)))
    return tf.keras.Sequential(layers)
''',
        "dropout_before_dense": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers += [tf.keras.layers.Dropout(dropout_rate),
                   tf.keras.layers.Dense(u, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2))]
    layers.append(tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.L2(l2)))
    return tf.keras.Sequential(layers)
''',
        "no_dropout_layers": '''
def build_regularized_mlp(input_dim, num_classes, hidden_units, l2, dropout_rate):
    layers = [tf.keras.Input(shape=(input_dim,))]
    for u in hidden_units:
        layers.append(tf.keras.layers.Dense(u, activation="relu", kernel_regularizer=tf.keras.regularizers.L2(l2)))
    layers.append(tf.keras.layers.Dense(num_classes, kernel_regularizer=tf.keras.regularizers.L2(l2)))
    return tf.keras.Sequential(layers)
''',
    },
}
