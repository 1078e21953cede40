"""Plausible wrong answers for notebook 08; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "08_rnn"

_LSTM_FORWARD_GATE_ORDER = '''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    f = sigmoid(a[:, :H])
    i = sigmoid(a[:, H:2 * H])
    g = np.tanh(a[:, 2 * H:3 * H])
    o = sigmoid(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)
'''

MUTANTS: dict[str, dict[str, str]] = {
    "rnn_step_forward": {
        "no_bias": '''
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh)
    return next_h, (x, prev_h, Wx, Wh, next_h)
''',
        "transposed_recurrent_weights": '''
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)
''',
        "sigmoid_instead_of_tanh": '''
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = sigmoid(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)
''',
    },
    "rnn_step_backward": {
        "no_tanh_derivative": '''
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        "recurrent_weights_not_transposed": '''
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)
    return da @ Wx.T, da @ Wh, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        "bias_gradient_averaged": '''
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.mean(axis=0)
''',
        # Right gradients, but the caller's dnext_h is overwritten (the statement forbids it).
        "scales_dnext_h_in_place": '''
def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dnext_h *= 1.0 - next_h ** 2
    return dnext_h @ Wx.T, dnext_h @ Wh.T, x.T @ dnext_h, prev_h.T @ dnext_h, dnext_h.sum(axis=0)
''',
    },
    "rnn_forward": {
        "ignores_h0": '''
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches, prev_h = [], np.zeros_like(h0)
    for t in range(T):
        prev_h, cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        caches.append(cache)
    return h, caches
''',
        "stores_previous_state": '''
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches, prev_h = [], h0
    for t in range(T):
        h[:, t, :] = prev_h
        prev_h, cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        caches.append(cache)
    return h, caches
''',
        "same_state_every_step": '''
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches = []
    for t in range(T):
        next_h, cache = rnn_step_forward(x[:, t, :], h0, Wx, Wh, b)
        h[:, t, :] = next_h
        caches.append(cache)
    return h, caches
''',
    },
    "rnn_backward": {
        "no_gradient_from_the_future": '''
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t], cache[t])
        dWx += dWx_t; dWh += dWh_t; db += db_t
    return dx, dprev_h, dWx, dWh, db
''',
        "weights_not_summed_over_steps": '''
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx, dWh, db = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
    return dx, dprev_h, dWx, dWh, db
''',
        "forward_order": '''
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in range(T):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t; dWh += dWh_t; db += db_t
    return dx, dprev_h, dWx, dWh, db
''',
        # Right gradients, but dh[:, t] += dprev_h overwrites the caller's dh (the test hole).
        "adds_into_dh_in_place": '''
def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx, dWx, dWh, db = np.zeros((N, T, D)), np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dh[:, t] += dprev_h
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t], cache[t])
        dWx += dWx_t; dWh += dWh_t; db += db_t
    return dx, dprev_h, dWx, dWh, db
''',
    },
    "lstm_step_forward": {
        "gate_order_f_i_g_o": _LSTM_FORWARD_GATE_ORDER,
        "no_tanh_on_cell_state": '''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    next_c = f * prev_c + i * g
    next_h = o * next_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)
''',
        "output_from_old_cell_state": '''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = np.tanh(a[:, 2 * H:3 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(prev_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)
''',
        "sigmoid_candidate": '''
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 3 * H:])
    g = sigmoid(a[:, 2 * H:3 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)
''',
    },
    "lstm_step_backward": {
        "cell_misses_the_output_path": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c
    do = dnext_h * tanh_c
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        "cell_gradient_skips_forget_gate": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)
    do = dnext_h * tanh_c
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        "tanh_derivative_for_gates": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)
    do = dnext_h * tanh_c
    da = np.concatenate([dc * g * (1 - i ** 2), dc * prev_c * (1 - f ** 2), dc * i * (1 - g ** 2), do * (1 - o ** 2)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        # Right gradients, but the output path is added into the caller's dnext_c (the test hole).
        "accumulates_into_dnext_c": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tanh_c = np.tanh(next_c)
    dnext_c += dnext_h * o * (1.0 - tanh_c ** 2)
    dc = dnext_c
    do = dnext_h * tanh_c
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
        # Right gradients, but do is written into the caller's dnext_h.
        "overwrites_dnext_h": '''
def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)
    do = dnext_h
    do *= tanh_c
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dc * i * (1 - g ** 2), do * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
''',
    },
    "lstm_forward": {
        "cell_state_starts_at_h0": '''
def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, prev_c, caches = h0, h0.copy(), []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches
''',
        "returns_cell_states": '''
def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, prev_c, caches = h0, np.zeros_like(h0), []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_c
        caches.append(cache)
    return h, caches
''',
        "cell_state_reset_every_step": '''
def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h, caches = h0, []
    for t in range(T):
        prev_h, _, cache = lstm_step_forward(x[:, t], prev_h, np.zeros_like(h0), Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(cache)
    return h, caches
''',
    },
    "gru_step_forward": {
        "update_gate_swapped": '''
def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    xa = x @ Wx + b
    z = sigmoid(xa[:, :H] + prev_h @ Wh[:, :H])
    r = sigmoid(xa[:, H:2 * H] + prev_h @ Wh[:, H:2 * H])
    candidate = np.tanh(xa[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:])
    return z * candidate + (1.0 - z) * prev_h
''',
        "reset_after_the_product": '''
def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    xa = x @ Wx + b
    z = sigmoid(xa[:, :H] + prev_h @ Wh[:, :H])
    r = sigmoid(xa[:, H:2 * H] + prev_h @ Wh[:, H:2 * H])
    candidate = np.tanh(xa[:, 2 * H:] + r * (prev_h @ Wh[:, 2 * H:]))
    return (1.0 - z) * candidate + z * prev_h
''',
        "blocks_r_z_h": '''
def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    xa = x @ Wx + b
    r = sigmoid(xa[:, :H] + prev_h @ Wh[:, :H])
    z = sigmoid(xa[:, H:2 * H] + prev_h @ Wh[:, H:2 * H])
    candidate = np.tanh(xa[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:])
    return (1.0 - z) * candidate + z * prev_h
''',
    },
    "build_sequence_classifier": {
        "lstm_for_every_cell_type": '''
def build_sequence_classifier(cell_type, timesteps, features, units, num_classes, num_layers=1):
    if cell_type not in ("rnn", "lstm", "gru") or num_layers < 1:
        raise ValueError(cell_type)
    model = tf.keras.Sequential([tf.keras.Input((timesteps, features))])
    for index in range(num_layers):
        model.add(tf.keras.layers.LSTM(units, return_sequences=index < num_layers - 1))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
        "softmax_output": '''
def build_sequence_classifier(cell_type, timesteps, features, units, num_classes, num_layers=1):
    layers = {"rnn": tf.keras.layers.SimpleRNN, "lstm": tf.keras.layers.LSTM, "gru": tf.keras.layers.GRU}
    if cell_type not in layers or num_layers < 1:
        raise ValueError(cell_type)
    model = tf.keras.Sequential([tf.keras.Input((timesteps, features))])
    for index in range(num_layers):
        model.add(layers[cell_type](units, return_sequences=index < num_layers - 1))
    model.add(tf.keras.layers.Dense(num_classes, activation="softmax"))
    return model
''',
        "num_layers_ignored": '''
def build_sequence_classifier(cell_type, timesteps, features, units, num_classes, num_layers=1):
    layers = {"rnn": tf.keras.layers.SimpleRNN, "lstm": tf.keras.layers.LSTM, "gru": tf.keras.layers.GRU}
    if cell_type not in layers:
        raise ValueError(cell_type)
    return tf.keras.Sequential([tf.keras.Input((timesteps, features)), layers[cell_type](units),
                                tf.keras.layers.Dense(num_classes)])
''',
        "unknown_type_falls_back_to_rnn": '''
def build_sequence_classifier(cell_type, timesteps, features, units, num_classes, num_layers=1):
    layers = {"lstm": tf.keras.layers.LSTM, "gru": tf.keras.layers.GRU}
    model = tf.keras.Sequential([tf.keras.Input((timesteps, features))])
    for index in range(max(num_layers, 1)):
        model.add(layers.get(cell_type, tf.keras.layers.SimpleRNN)(units, return_sequences=index < num_layers - 1))
    model.add(tf.keras.layers.Dense(num_classes))
    return model
''',
    },
}
