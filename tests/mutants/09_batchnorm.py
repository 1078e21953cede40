"""Plausible wrong answers for notebook 09; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "09_batchnorm"

_FORWARD_HEAD = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
'''

MUTANTS: dict[str, dict[str, str]] = {
    "standardize": {
        "recomputes_given_statistics": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / (std + eps), mean, std
''',
        "statistics_over_rows": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None:
        mean, std = X.mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True)
    return (X - mean) / (std + eps), mean, std
''',
        "unbiased_std": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None:
        mean, std = X.mean(axis=0), X.std(axis=0, ddof=1)
    return (X - mean) / (std + eps), mean, std
''',
        "modifies_x_in_place": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None:
        mean, std = X.mean(axis=0), X.std(axis=0)
    X -= mean
    X /= std + eps
    return X, mean, std
''',
        "no_eps": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None:
        mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / std, mean, std
''',
        # Only one of mean/std given: the docstring asks for a ValueError.
        "recomputes_a_lonely_statistic": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None or std is None:
        mean, std = X.mean(axis=0), X.std(axis=0)
    return (X - mean) / (std + eps), mean, std
''',
        "no_error_for_a_lonely_statistic": '''
def standardize(X, mean=None, std=None, eps=1e-8):
    if mean is None:
        mean, std = X.mean(axis=0), X.std(axis=0)
    elif std is None:
        std = X.std(axis=0)
    return (X - mean) / (std + eps), mean, std
''',
    },
    "batchnorm_forward": {
        "unbiased_variance": _FORWARD_HEAD + '''
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0, ddof=1)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * x_hat + beta, (x_hat, x - mu, np.sqrt(var + eps), gamma)
    if mode == "test":
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    raise ValueError(mode)
''',
        "momentum_swapped": _FORWARD_HEAD + '''
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        bn_param["running_mean"] = (1 - momentum) * running_mean + momentum * mu
        bn_param["running_var"] = (1 - momentum) * running_var + momentum * var
        return gamma * x_hat + beta, (x_hat, x - mu, np.sqrt(var + eps), gamma)
    if mode == "test":
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    raise ValueError(mode)
''',
        "test_mode_uses_batch_statistics": _FORWARD_HEAD + '''
    if mode not in ("train", "test"):
        raise ValueError(mode)
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    if mode == "train":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    return gamma * x_hat + beta, (x_hat, x - mu, np.sqrt(var + eps), gamma)
''',
        "running_stats_not_stored": _FORWARD_HEAD + '''
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        return gamma * x_hat + beta, (x_hat, x - mu, np.sqrt(var + eps), gamma)
    if mode == "test":
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    raise ValueError(mode)
''',
        "std_instead_of_sqrt_var_eps": _FORWARD_HEAD + '''
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x_hat = (x - mu) / (np.sqrt(var) + eps)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * x_hat + beta, (x_hat, x - mu, np.sqrt(var) + eps, gamma)
    if mode == "test":
        return gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta, None
    raise ValueError(mode)
''',
        # Correct outputs, but x itself is centred and scaled in place (the caller's array changes).
        "modifies_x_in_place": _FORWARD_HEAD + '''
    if mode == "train":
        mu = x.mean(axis=0)
        x -= mu
        var = (x ** 2).mean(axis=0)
        std = np.sqrt(var + eps)
        xc = x.copy()
        x /= std
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return gamma * x + beta, (x.copy(), xc, std, gamma)
    if mode == "test":
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    raise ValueError(mode)
''',
    },
    "batchnorm_backward": {
        "mean_path_forgotten": '''
def batchnorm_backward(dout, cache):
    x_hat, xc, std, gamma = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dvar = (-(dx_hat * xc).sum(axis=0) / std ** 2) / (2.0 * std)
    dx = dx_hat / std + 2.0 * xc * dvar / N
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
''',
        "variance_path_forgotten": '''
def batchnorm_backward(dout, cache):
    x_hat, xc, std, gamma = cache
    dxc = dout * gamma / std
    dx = dxc - dxc.mean(axis=0)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
''',
        "dgamma_without_x_hat": '''
def batchnorm_backward(dout, cache):
    x_hat, xc, std, gamma = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0)) / (N * std)
    return dx, dout.sum(axis=0), dout.sum(axis=0)
''',
    },
    "batchnorm_backward_alt": {
        "calls_the_graph_version": '''
def batchnorm_backward_alt(dout, cache):
    return batchnorm_backward(dout, cache)
''',
        "gamma_forgotten": '''
def batchnorm_backward_alt(dout, cache):
    x_hat, _, std, gamma = cache
    N = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return (N * dout - dbeta - x_hat * dgamma) / (N * std), dgamma, dbeta
''',
        "wrong_sign": '''
def batchnorm_backward_alt(dout, cache):
    x_hat, _, std, gamma = cache
    N = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma * (N * dout - dbeta + x_hat * dgamma) / (N * std), dgamma, dbeta
''',
        "plain_scaling_only": '''
def batchnorm_backward_alt(dout, cache):
    x_hat, _, std, gamma = cache
    return gamma * dout / std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)
''',
    },
    "population_statistics": {
        "no_correction": '''
def population_statistics(batch_means, batch_vars, batch_size):
    if batch_size < 2:
        raise ValueError(batch_size)
    return np.mean(batch_means, axis=0), np.mean(batch_vars, axis=0)
''',
        "inverted_correction": '''
def population_statistics(batch_means, batch_vars, batch_size):
    if batch_size < 2:
        raise ValueError(batch_size)
    return np.mean(batch_means, axis=0), (batch_size - 1) / batch_size * np.mean(batch_vars, axis=0)
''',
        "averaged_over_features": '''
def population_statistics(batch_means, batch_vars, batch_size):
    if batch_size < 2:
        raise ValueError(batch_size)
    return np.mean(batch_means, axis=1), batch_size / (batch_size - 1) * np.mean(batch_vars, axis=1)
''',
        "no_error_for_one": '''
def population_statistics(batch_means, batch_vars, batch_size):
    factor = batch_size / (batch_size - 1) if batch_size > 1 else 1.0
    return np.mean(batch_means, axis=0), factor * np.mean(batch_vars, axis=0)
''',
    },
    "spatial_batchnorm_forward": {
        "statistics_per_position": '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, H, W, C = x.shape
    out, cache = batchnorm_forward(x.reshape(N, H * W * C), np.tile(gamma, H * W), np.tile(beta, H * W), {"mode": bn_param["mode"]})
    return out.reshape(N, H, W, C), cache
''',
        "channels_first_reshape": '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, H, W, C = x.shape
    out, cache = batchnorm_forward(x.reshape(C, -1).T, gamma, beta, bn_param)
    return out.T.reshape(N, H, W, C), cache
''',
    },
    "spatial_batchnorm_backward": {
        "dgamma_per_position": '''
def spatial_batchnorm_backward(dout, cache):
    C = dout.shape[-1]
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.reshape(-1, C), cache)
    return dx.reshape(dout.shape), dgamma / (dout.size // C), dbeta
''',
        "dx_not_normalised": '''
def spatial_batchnorm_backward(dout, cache):
    x_hat, _, std, gamma = cache
    C = dout.shape[-1]
    flat = dout.reshape(-1, C)
    return (gamma * flat / std).reshape(dout.shape), (flat * x_hat).sum(axis=0), flat.sum(axis=0)
''',
    },
    "build_mlp": {
        "batchnorm_after_activation": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth):
        model.add(tf.keras.layers.Dense(width, activation=activation))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
        "activation_ignored": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth):
        model.add(tf.keras.layers.Dense(width))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
        model.add(tf.keras.layers.Activation("relu"))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
        "softmax_output": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth):
        model.add(tf.keras.layers.Dense(width))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
        model.add(tf.keras.layers.Activation(activation))
    model.add(tf.keras.layers.Dense(num_classes, activation="softmax"))
    return model
''',
        "plain_net_without_activation": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth):
        model.add(tf.keras.layers.Dense(width))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
            model.add(tf.keras.layers.Activation(activation))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
        "plain_net_always_relu": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth):
        model.add(tf.keras.layers.Dense(width))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
            model.add(tf.keras.layers.Activation(activation))
        else:
            model.add(tf.keras.layers.Activation("relu"))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
        "one_hidden_layer_too_few": '''
def build_mlp(depth, width, num_classes, use_batchnorm, activation="relu", input_dim=64):
    model = tf.keras.Sequential([tf.keras.Input((input_dim,))])
    for _ in range(depth - 1):
        model.add(tf.keras.layers.Dense(width))
        if use_batchnorm:
            model.add(tf.keras.layers.BatchNormalization())
        model.add(tf.keras.layers.Activation(activation))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
    },
}
