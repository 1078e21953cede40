"""Plausible wrong answers for notebook 03; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "03_backprop"

MUTANTS: dict[str, dict[str, str]] = {
    "affine_forward": {
        "activation_inside": '''
def affine_forward(x, w, b):
    # folds the ReLU into the affine layer
    out = np.maximum(x @ w + b, 0.0)
    return out, (x, w, b)
''',
        "forgot_bias": '''
def affine_forward(x, w, b):
    return x @ w, (x, w, b)
''',
        "bias_per_sample": '''
def affine_forward(x, w, b):
    out = x @ w
    out[:, 0] += b[0]  # only the first output gets its bias
    return out, (x, w, b)
''',
        "in_place_input": '''
def affine_forward(x, w, b):
    x += 0.0
    x *= 1.0 + 1e-3  # "normalises" the input in place
    return x @ w + b, (x, w, b)
''',
    },
    "affine_backward": {
        "dx_averaged": '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T / x.shape[0], x.T @ dout, dout.sum(axis=0)
''',
        "db_mean": '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, dout.mean(axis=0)
''',
        "dw_averaged": '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout / x.shape[0], dout.sum(axis=0)
''',
        "db_summed_wrong_axis": '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=1)[: dout.shape[1]]
''',
        "dw_transposed": '''
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)
''',
    },
    "relu_forward": {
        "leaky": '''
def relu_forward(x):
    return np.where(x > 0, x, 0.01 * x), x
''',
        "abs_value": '''
def relu_forward(x):
    return np.abs(x), x
''',
        "in_place": '''
def relu_forward(x):
    x[x < 0] = 0.0
    return x, x
''',
    },
    "relu_backward": {
        "passes_output": '''
def relu_backward(dout, cache):
    return np.maximum(cache, 0.0)
''',
        "mask_inverted": '''
def relu_backward(dout, cache):
    return dout * (cache < 0)
''',
        "ignores_mask": '''
def relu_backward(dout, cache):
    return dout.copy()
''',
        "masks_dout_in_place": '''
def relu_backward(dout, cache):
    dout[cache <= 0] = 0.0  # right values, but the caller's upstream gradient is overwritten
    return dout
''',
    },
    "sigmoid_forward": {
        "naive_overflows": '''
def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out
''',
        "wrong_sign": '''
def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, e / (1.0 + e), 1.0 / (1.0 + e))
    return out, out
''',
    },
    "sigmoid_backward": {
        "derivative_of_input": '''
def sigmoid_backward(dout, cache):
    # treats the cached output as if it were the input
    s = 1.0 / (1.0 + np.exp(-cache))
    return dout * s * (1.0 - s)
''',
        "missing_dout": '''
def sigmoid_backward(dout, cache):
    return cache * (1.0 - cache)
''',
        "one_minus_squared": '''
def sigmoid_backward(dout, cache):
    return dout * (1.0 - cache ** 2)
''',
    },
    "tanh_forward": {
        "sigmoid_instead": '''
def tanh_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out
''',
        "half_argument": '''
def tanh_forward(x):
    out = np.tanh(x / 2)
    return out, out
''',
    },
    "tanh_backward": {
        "sigmoid_derivative": '''
def tanh_backward(dout, cache):
    return dout * cache * (1.0 - cache)
''',
        "missing_square": '''
def tanh_backward(dout, cache):
    return dout * (1.0 - cache)
''',
        "missing_dout": '''
def tanh_backward(dout, cache):
    return 1.0 - cache ** 2
''',
    },
    "xavier_init": {
        "normal_not_uniform": '''
def xavier_init(fan_in, fan_out, rng):
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))
''',
        "fan_in_only": '''
def xavier_init(fan_in, fan_out, rng):
    limit = np.sqrt(6.0) / np.sqrt(fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))
''',
        "new_generator": '''
def xavier_init(fan_in, fan_out, rng):
    limit = np.sqrt(6.0) / np.sqrt(fan_in + fan_out)
    return np.random.default_rng(0).uniform(-limit, limit, size=(fan_in, fan_out))
''',
        "transposed_shape": '''
def xavier_init(fan_in, fan_out, rng):
    limit = np.sqrt(6.0) / np.sqrt(fan_in + fan_out)
    return rng.uniform(-limit, limit, size=(fan_out, fan_in)).T
''',
    },
    "numerical_gradient": {
        "forward_difference": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    fx = f(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        grad[index] = (f(x) - fx) / h
        x[index] = old
    return grad
''',
        "not_restored": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)
        x[index] += h  # x + h - 2h + h is not always exactly x
        grad[index] = (plus - minus) / (2 * h)
    return grad
''',
        "divides_by_h": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = f(x)
        x[index] = old - h
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / h
    return grad
''',
        "fixed_step": '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + 1e-5
        plus = f(x)
        x[index] = old - 1e-5
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / 2e-5
    return grad
''',
    },
    "two_layer_net_loss": {
        "no_relu": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    s, c2 = affine_forward(h, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    dh, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(dh, c1)
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
''',
        "reg_gradient_doubled": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), {"W1": dW1 + 2 * reg * params["W1"], "b1": db1, "W2": dW2 + 2 * reg * params["W2"], "b2": db2}
''',
        "dscores_not_averaged": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
''',
        "probabilities_not_scores": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    z = s - s.max(axis=1, keepdims=True)
    if y is None:
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
''',
        "biases_regularised": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    penalty = sum((params[k] ** 2).sum() for k in params)
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * penalty
    return float(loss), {k: g + reg * params[k] for k, g in {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}.items()}
''',
        "naive_softmax_overflows": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    n = len(y)
    ds = p.copy(); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
''',
        "pre_activation_in_dw2": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, (h, params["W2"], params["b2"]))  # the cache holds h, the pre-activation
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    grads = {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), grads
''',
        "relu_mask_from_upstream": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(da * (da > 0), c1)  # masks by the upstream gradient, not by the ReLU's input
    grads = {"W1": dW1 + reg * params["W1"], "b1": db1, "W2": dW2 + reg * params["W2"], "b2": db2}
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), grads
''',
        "forgot_reg_gradient": '''
def two_layer_net_loss(params, X, y=None, reg=0.0):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    a, cr = relu_forward(h)
    s, c2 = affine_forward(a, params["W2"], params["b2"])
    if y is None:
        return s
    z = s - s.max(axis=1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = len(y)
    ds = np.exp(lp); ds[np.arange(n), y] -= 1; ds /= n
    da, dW2, db2 = affine_backward(ds, c2)
    _, dW1, db1 = affine_backward(relu_backward(da, cr), c1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    loss = -lp[np.arange(n), y].mean() + 0.5 * reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())
    return float(loss), grads
''',
    },
    "iterate_minibatches": {
        "no_shuffle": '''
def iterate_minibatches(X, y, batch_size, rng):
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]
''',
        "drops_last_batch": '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
''',
        "shuffles_x_and_y_separately": '''
def iterate_minibatches(X, y, batch_size, rng):
    order_x, order_y = rng.permutation(len(X)), rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order_x[start:start + batch_size]], y[order_y[start:start + batch_size]]
''',
        "returns_list": '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    return [(X[order[s:s + batch_size]], y[order[s:s + batch_size]]) for s in range(0, len(X), batch_size)]
''',
    },
    "train_two_layer_net": {
        "own_generator_for_shuffling": '''
def train_two_layer_net(X, y, X_val, y_val, hidden_size, lr, reg, num_epochs, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    C = int(y.max()) + 1
    params = {"W1": xavier_init(X.shape[1], hidden_size, rng), "b1": np.zeros(hidden_size),
              "W2": xavier_init(hidden_size, C, rng), "b2": np.zeros(C)}
    shuffle_rng = np.random.default_rng(seed + 1)
    history = {"loss": [], "train_acc": [], "val_acc": []}
    for _ in range(num_epochs):
        losses = []
        for Xb, yb in iterate_minibatches(X, y, batch_size, shuffle_rng):
            loss, grads = two_layer_net_loss(params, Xb, yb, reg)
            losses.append(loss)
            for k in params:
                params[k] -= lr * grads[k]
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(float(np.mean(two_layer_net_loss(params, X).argmax(1) == y)))
        history["val_acc"].append(float(np.mean(two_layer_net_loss(params, X_val).argmax(1) == y_val)))
    return params, history
''',
        "w2_drawn_first": '''
def train_two_layer_net(X, y, X_val, y_val, hidden_size, lr, reg, num_epochs, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    C = int(y.max()) + 1
    W2 = xavier_init(hidden_size, C, rng)
    params = {"W1": xavier_init(X.shape[1], hidden_size, rng), "b1": np.zeros(hidden_size), "W2": W2, "b2": np.zeros(C)}
    history = {"loss": [], "train_acc": [], "val_acc": []}
    for _ in range(num_epochs):
        losses = []
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = two_layer_net_loss(params, Xb, yb, reg)
            losses.append(loss)
            for k in params:
                params[k] -= lr * grads[k]
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(float(np.mean(two_layer_net_loss(params, X).argmax(1) == y)))
        history["val_acc"].append(float(np.mean(two_layer_net_loss(params, X_val).argmax(1) == y_val)))
    return params, history
''',
        "accuracy_on_last_batch": '''
def train_two_layer_net(X, y, X_val, y_val, hidden_size, lr, reg, num_epochs, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    C = int(y.max()) + 1
    params = {"W1": xavier_init(X.shape[1], hidden_size, rng), "b1": np.zeros(hidden_size),
              "W2": xavier_init(hidden_size, C, rng), "b2": np.zeros(C)}
    history = {"loss": [], "train_acc": [], "val_acc": []}
    for _ in range(num_epochs):
        losses = []
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = two_layer_net_loss(params, Xb, yb, reg)
            losses.append(loss)
            for k in params:
                params[k] -= lr * grads[k]
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(float(np.mean(two_layer_net_loss(params, Xb).argmax(1) == yb)))
        history["val_acc"].append(float(np.mean(two_layer_net_loss(params, X_val).argmax(1) == y_val)))
    return params, history
''',
        "gradient_ascent": '''
def train_two_layer_net(X, y, X_val, y_val, hidden_size, lr, reg, num_epochs, batch_size, seed=0):
    rng = np.random.default_rng(seed)
    C = int(y.max()) + 1
    params = {"W1": xavier_init(X.shape[1], hidden_size, rng), "b1": np.zeros(hidden_size),
              "W2": xavier_init(hidden_size, C, rng), "b2": np.zeros(C)}
    history = {"loss": [], "train_acc": [], "val_acc": []}
    for _ in range(num_epochs):
        losses = []
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = two_layer_net_loss(params, Xb, yb, reg)
            losses.append(loss)
            for k in params:
                params[k] += lr * grads[k]
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(float(np.mean(two_layer_net_loss(params, X).argmax(1) == y)))
        history["val_acc"].append(float(np.mean(two_layer_net_loss(params, X_val).argmax(1) == y_val)))
    return params, history
''',
    },
    "tape_gradients": {
        "float32": '''
def tape_gradients(params, X, y, reg):
    v = {k: tf.Variable(val, dtype=tf.float32) for k, val in params.items()}
    with tf.GradientTape() as tape:
        s = tf.nn.relu(tf.constant(X, tf.float32) @ v["W1"] + v["b1"]) @ v["W2"] + v["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=s))
        loss += 0.5 * reg * (tf.reduce_sum(v["W1"] ** 2) + tf.reduce_sum(v["W2"] ** 2))
    return {k: g.numpy() for k, g in tape.gradient(loss, v).items()}
''',
        "no_regularisation": '''
def tape_gradients(params, X, y, reg):
    v = {k: tf.Variable(val, dtype=tf.float64) for k, val in params.items()}
    with tf.GradientTape() as tape:
        s = tf.nn.relu(tf.constant(X, tf.float64) @ v["W1"] + v["b1"]) @ v["W2"] + v["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=s))
    return {k: g.numpy() for k, g in tape.gradient(loss, v).items()}
''',
        "summed_loss": '''
def tape_gradients(params, X, y, reg):
    v = {k: tf.Variable(val, dtype=tf.float64) for k, val in params.items()}
    with tf.GradientTape() as tape:
        s = tf.nn.relu(tf.constant(X, tf.float64) @ v["W1"] + v["b1"]) @ v["W2"] + v["b2"]
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=s))
        loss += 0.5 * reg * (tf.reduce_sum(v["W1"] ** 2) + tf.reduce_sum(v["W2"] ** 2))
    return {k: g.numpy() for k, g in tape.gradient(loss, v).items()}
''',
        "tensors_not_arrays": '''
def tape_gradients(params, X, y, reg):
    v = {k: tf.Variable(val, dtype=tf.float64) for k, val in params.items()}
    with tf.GradientTape() as tape:
        s = tf.nn.relu(tf.constant(X, tf.float64) @ v["W1"] + v["b1"]) @ v["W2"] + v["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=s))
        loss += 0.5 * reg * (tf.reduce_sum(v["W1"] ** 2) + tf.reduce_sum(v["W2"] ** 2))
    return tape.gradient(loss, v)
''',
    },
}
