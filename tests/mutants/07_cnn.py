"""Plausible wrong answers for notebook 07; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "07_cnn"

MUTANTS: dict[str, dict[str, str]] = {
    "conv_output_size": {
        "floor_division": '''
def conv_output_size(input_size, filter_size, padding, stride):
    return (input_size - filter_size + 2 * padding) // stride + 1
''',
        "padding_once": '''
def conv_output_size(input_size, filter_size, padding, stride):
    span = input_size - filter_size + padding
    if span < 0 or span % stride:
        raise ValueError("does not fit")
    return span // stride + 1
''',
        "float_result": '''
def conv_output_size(input_size, filter_size, padding, stride):
    span = input_size - filter_size + 2 * padding
    if span < 0 or span % stride:
        raise ValueError("does not fit")
    return span / stride + 1
''',
    },
    "zero_pad": {
        "pads_every_axis": '''
def zero_pad(x, pad):
    return np.pad(x, pad)
''',
        "one_side_only": '''
def zero_pad(x, pad):
    return np.pad(x, ((0, 0), (pad, 0), (pad, 0), (0, 0)))
''',
        # issue 22: np.zeros defaults to float64, so integer (and float32) input changes dtype
        "zeros_default_dtype": '''
def zero_pad(x, pad):
    N, H, W, C = x.shape
    out = np.zeros((N, H + 2 * pad, W + 2 * pad, C))
    out[:, pad:pad + H, pad:pad + W, :] = x
    return out
''',
    },
    "conv_forward_naive": {
        "no_bias": '''
def conv_forward_naive(x, w, b, stride, pad):
    N, H, W, _ = x.shape
    F, _, _, C_out = w.shape
    H_out = conv_output_size(H, F, pad, stride)
    W_out = conv_output_size(W, F, pad, stride)
    x_pad = zero_pad(x, pad)
    out = np.zeros((N, H_out, W_out, C_out))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                field = x_pad[n, i * stride:i * stride + F, j * stride:j * stride + F, :]
                out[n, i, j, :] = np.tensordot(field, w, axes=3)
    return out, (x, w, b, stride, pad)
''',
        "flipped_kernel": '''
def conv_forward_naive(x, w, b, stride, pad):
    N, H, W, _ = x.shape
    F, _, _, C_out = w.shape
    H_out = conv_output_size(H, F, pad, stride)
    W_out = conv_output_size(W, F, pad, stride)
    x_pad = zero_pad(x, pad)
    out = np.zeros((N, H_out, W_out, C_out))
    wf = w[::-1, ::-1]
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                field = x_pad[n, i * stride:i * stride + F, j * stride:j * stride + F, :]
                out[n, i, j, :] = np.tensordot(field, wf, axes=3) + b
    return out, (x, w, b, stride, pad)
''',
        "stride_ignored_in_window": '''
def conv_forward_naive(x, w, b, stride, pad):
    N, H, W, _ = x.shape
    F, _, _, C_out = w.shape
    H_out = conv_output_size(H, F, pad, stride)
    W_out = conv_output_size(W, F, pad, stride)
    x_pad = zero_pad(x, pad)
    out = np.zeros((N, H_out, W_out, C_out))
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                field = x_pad[n, i:i + F, j:j + F, :]
                out[n, i, j, :] = np.tensordot(field, w, axes=3) + b
    return out, (x, w, b, stride, pad)
''',
    },
    "conv_backward_naive": {
        "db_mean": '''
def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    F = w.shape[0]
    N, H_out, W_out, _ = dout.shape
    x_pad = zero_pad(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows, cols = slice(i * stride, i * stride + F), slice(j * stride, j * stride + F)
                dw += x_pad[n, rows, cols, :, None] * dout[n, i, j, :]
                dx_pad[n, rows, cols, :] += w @ dout[n, i, j, :]
    return dx_pad[:, pad:pad + x.shape[1], pad:pad + x.shape[2], :], dw, dout.mean(axis=(0, 1, 2))
''',
        "dw_overwritten": '''
def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    F = w.shape[0]
    N, H_out, W_out, _ = dout.shape
    x_pad = zero_pad(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows, cols = slice(i * stride, i * stride + F), slice(j * stride, j * stride + F)
                dw = x_pad[n, rows, cols, :, None] * dout[n, i, j, :]
                dx_pad[n, rows, cols, :] += w @ dout[n, i, j, :]
    return dx_pad[:, pad:pad + x.shape[1], pad:pad + x.shape[2], :], dw, dout.sum(axis=(0, 1, 2))
''',
        "padding_not_removed_right": '''
def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    F = w.shape[0]
    N, H_out, W_out, _ = dout.shape
    x_pad = zero_pad(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows, cols = slice(i * stride, i * stride + F), slice(j * stride, j * stride + F)
                dw += x_pad[n, rows, cols, :, None] * dout[n, i, j, :]
                dx_pad[n, rows, cols, :] += w @ dout[n, i, j, :]
    return dx_pad[:, :x.shape[1], :x.shape[2], :], dw, dout.sum(axis=(0, 1, 2))
''',
        # issue 22: [P:-P] is [0:-0], an empty slice, when pad = 0
        "minus_pad_slice": '''
def conv_backward_naive(dout, cache):
    x, w, b, stride, pad = cache
    F = w.shape[0]
    N, H_out, W_out, _ = dout.shape
    x_pad = zero_pad(x, pad)
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                rows, cols = slice(i * stride, i * stride + F), slice(j * stride, j * stride + F)
                dw += x_pad[n, rows, cols, :, None] * dout[n, i, j, :]
                dx_pad[n, rows, cols, :] += w @ dout[n, i, j, :]
    return dx_pad[:, pad:-pad, pad:-pad, :], dw, dout.sum(axis=(0, 1, 2))
''',
    },
    "max_pool_forward": {
        "min_pool": '''
def max_pool_forward(x, pool_size, stride):
    N, H, W, C = x.shape
    H_out, W_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :].min(axis=(1, 2))
    return out, (x, pool_size, stride)
''',
        "pools_over_channels": '''
def max_pool_forward(x, pool_size, stride):
    N, H, W, C = x.shape
    H_out, W_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :].max(axis=(1, 2, 3))[:, None]
    return out, (x, pool_size, stride)
''',
    },
    "max_pool_backward": {
        "to_every_position": '''
def max_pool_backward(dout, cache):
    x, pool_size, stride = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros(x.shape)
    for i in range(H_out):
        for j in range(W_out):
            dx[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :] += dout[:, i:i + 1, j:j + 1, :]
    return dx
''',
        "every_tied_maximum": '''
def max_pool_backward(dout, cache):
    x, pool_size, stride = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros(x.shape)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            mask = window == window.max(axis=(1, 2), keepdims=True)
            dx[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :] += mask * dout[:, i:i + 1, j:j + 1, :]
    return dx
''',
        "overlaps_overwrite": '''
def max_pool_backward(dout, cache):
    x, pool_size, stride = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros(x.shape)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :]
            flat = window.reshape(N, pool_size * pool_size, C).argmax(axis=1)
            rows, cols = np.unravel_index(flat, (pool_size, pool_size))
            for n in range(N):
                for c in range(C):
                    dx[n, i * stride + rows[n, c], j * stride + cols[n, c], c] = dout[n, i, j, c]
    return dx
''',
    },
    "avg_pool_forward": {
        "sum_pool": '''
def avg_pool_forward(x, pool_size, stride):
    N, H, W, C = x.shape
    H_out, W_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :].sum(axis=(1, 2))
    return out, (x.shape, pool_size, stride)
''',
        "stride_is_pool_size": '''
def avg_pool_forward(x, pool_size, stride):
    N, H, W, C = x.shape
    H_out, W_out = (H - pool_size) // stride + 1, (W - pool_size) // stride + 1
    out = np.zeros((N, H_out, W_out, C))
    for i in range(H_out):
        for j in range(W_out):
            out[:, i, j, :] = x[:, i * pool_size:i * pool_size + pool_size, j * pool_size:j * pool_size + pool_size, :].mean(axis=(1, 2))
    return out, (x.shape, pool_size, stride)
''',
    },
    "avg_pool_backward": {
        "no_division": '''
def avg_pool_backward(dout, cache):
    x_shape, pool_size, stride = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros(x_shape)
    for i in range(H_out):
        for j in range(W_out):
            dx[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :] += dout[:, i:i + 1, j:j + 1, :]
    return dx
''',
        "divide_by_size_once": '''
def avg_pool_backward(dout, cache):
    x_shape, pool_size, stride = cache
    N, H_out, W_out, C = dout.shape
    dx = np.zeros(x_shape)
    for i in range(H_out):
        for j in range(W_out):
            dx[:, i * stride:i * stride + pool_size, j * stride:j * stride + pool_size, :] += dout[:, i:i + 1, j:j + 1, :] / pool_size
    return dx
''',
    },
    "conv_forward_im2col": {
        "wrong_filter_reshape": '''
def conv_forward_im2col(x, w, b, stride, pad):
    N, H, W, C_in = x.shape
    F, _, _, C_out = w.shape
    H_out, W_out = conv_output_size(H, F, pad, stride), conv_output_size(W, F, pad, stride)
    x_pad = zero_pad(x, pad)
    cols = np.empty((N, H_out, W_out, F, F, C_in))
    for di in range(F):
        for dj in range(F):
            cols[:, :, :, di, dj, :] = x_pad[:, di:di + stride * H_out:stride, dj:dj + stride * W_out:stride, :]
    wm = w.transpose(2, 0, 1, 3).reshape(F * F * C_in, C_out)
    return (cols.reshape(-1, F * F * C_in) @ wm + b).reshape(N, H_out, W_out, C_out)
''',
        "stride_one_slices": '''
def conv_forward_im2col(x, w, b, stride, pad):
    N, H, W, C_in = x.shape
    F, _, _, C_out = w.shape
    H_out, W_out = conv_output_size(H, F, pad, stride), conv_output_size(W, F, pad, stride)
    x_pad = zero_pad(x, pad)
    cols = np.empty((N, H_out, W_out, F, F, C_in))
    for di in range(F):
        for dj in range(F):
            cols[:, :, :, di, dj, :] = x_pad[:, di:di + H_out, dj:dj + W_out, :]
    return (cols.reshape(-1, F * F * C_in) @ w.reshape(F * F * C_in, C_out) + b).reshape(N, H_out, W_out, C_out)
''',
    },
    "apply_filter": {
        "flipped_kernel": '''
def apply_filter(image, kernel):
    F = kernel.shape[0]
    x = np.asarray(image, dtype=np.float64)[None, :, :, None]
    w = np.asarray(kernel, dtype=np.float64)[::-1, ::-1, None, None]
    return conv_forward_im2col(x, w, np.zeros(1), 1, (F - 1) // 2)[0, :, :, 0]
''',
        "valid_padding": '''
def apply_filter(image, kernel):
    x = np.asarray(image, dtype=np.float64)[None, :, :, None]
    w = np.asarray(kernel, dtype=np.float64)[:, :, None, None]
    return conv_forward_im2col(x, w, np.zeros(1), 1, 0)[0, :, :, 0]
''',
    },
    "build_deck_cnn": {
        "keep_prob_as_rate": '''
def build_deck_cnn(input_shape, num_classes, keep_prob=0.75):
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Conv2D(32, 5, padding="same", activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(64, 5, padding="same", activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(1024, activation="relu"),
        tf.keras.layers.Dropout(keep_prob), tf.keras.layers.Dense(num_classes)])
''',
        "valid_padding": '''
def build_deck_cnn(input_shape, num_classes, keep_prob=0.75):
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Conv2D(32, 5, activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(64, 5, activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(1024, activation="relu"),
        tf.keras.layers.Dropout(1 - keep_prob), tf.keras.layers.Dense(num_classes)])
''',
        "softmax_output": '''
def build_deck_cnn(input_shape, num_classes, keep_prob=0.75):
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Conv2D(32, 5, padding="same", activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(64, 5, padding="same", activation="relu"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(1024, activation="relu"),
        tf.keras.layers.Dropout(1 - keep_prob), tf.keras.layers.Dense(num_classes, activation="softmax")])
''',
        "no_relu": '''
def build_deck_cnn(input_shape, num_classes, keep_prob=0.75):
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Conv2D(32, 5, padding="same"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Conv2D(64, 5, padding="same"), tf.keras.layers.MaxPooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(1024),
        tf.keras.layers.Dropout(1 - keep_prob), tf.keras.layers.Dense(num_classes)])
''',
        "average_pooling": '''
def build_deck_cnn(input_shape, num_classes, keep_prob=0.75):
    return tf.keras.Sequential([
        tf.keras.Input(shape=input_shape),
        tf.keras.layers.Conv2D(32, 5, padding="same", activation="relu"), tf.keras.layers.AveragePooling2D(2),
        tf.keras.layers.Conv2D(64, 5, padding="same", activation="relu"), tf.keras.layers.AveragePooling2D(2),
        tf.keras.layers.Flatten(), tf.keras.layers.Dense(1024, activation="relu"),
        tf.keras.layers.Dropout(1 - keep_prob), tf.keras.layers.Dense(num_classes)])
''',
    },
}
