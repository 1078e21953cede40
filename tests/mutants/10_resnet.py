"""Plausible wrong answers for notebook 10; every one must lose points.

Each entry is the full source of a wrong implementation, executed in the kernel that ran the
reference notebook; then only the test cells of that function (grade_id ``test_<function>...``)
are re-run, and at least one of them must fail.
"""

ASSIGNMENT = "10_resnet"

L = "tf.keras.layers"

MUTANTS: dict[str, dict[str, str]] = {
    "conv_params": {
        "bias_always_counted": '''
def conv_params(filter_size, in_channels, out_channels, bias=True):
    return filter_size * filter_size * in_channels * out_channels + out_channels
''',
        "filter_size_not_squared": '''
def conv_params(filter_size, in_channels, out_channels, bias=True):
    return filter_size * in_channels * out_channels + (out_channels if bias else 0)
''',
    },
    "inception_params": {
        "no_reductions": '''
def inception_params(in_channels, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    return (conv_params(1, in_channels, n1x1) + conv_params(3, in_channels, n3x3) + conv_params(5, in_channels, n5x5)
            + conv_params(1, in_channels, pool_proj))
''',
        "pool_projection_forgotten": '''
def inception_params(in_channels, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    return (conv_params(1, in_channels, n1x1) + conv_params(1, in_channels, n3x3_reduce) + conv_params(3, n3x3_reduce, n3x3)
            + conv_params(1, in_channels, n5x5_reduce) + conv_params(5, n5x5_reduce, n5x5))
''',
    },
    "local_response_norm": {
        "window_not_clipped_at_the_top": '''
def local_response_norm(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    C = a.shape[-1]
    sums = np.zeros_like(a)
    for i in range(C):
        sums[..., i] = (a[..., max(0, i - n // 2):min(C - 1, i + n // 2)] ** 2).sum(axis=-1)
    return a / (k + alpha * sums) ** beta
''',
        "alpha_divided_by_n": '''
def local_response_norm(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    C = a.shape[-1]
    sums = np.zeros_like(a)
    for i in range(C):
        sums[..., i] = (a[..., max(0, i - n // 2):min(C, i + n // 2 + 1)] ** 2).sum(axis=-1)
    return a / (k + alpha / n * sums) ** beta
''',
        "neighbours_in_space": '''
def local_response_norm(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    W = a.shape[2]
    sums = np.zeros_like(a)
    for j in range(W):
        sums[:, :, j, :] = (a[:, :, max(0, j - n // 2):j + n // 2 + 1, :] ** 2).sum(axis=2)
    return a / (k + alpha * sums) ** beta
''',
    },
    "residual_block": {
        "no_shortcut": f'''
def residual_block(x, filters, stride=1):
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = {L}.ReLU()({L}.BatchNormalization()(y))
    y = {L}.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return {L}.ReLU()({L}.BatchNormalization()(y))
''',
        "always_projection": f'''
def residual_block(x, filters, stride=1):
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = {L}.ReLU()({L}.BatchNormalization()(y))
    y = {L}.BatchNormalization()({L}.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    shortcut = {L}.BatchNormalization()({L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
        "relu_before_addition": f'''
def residual_block(x, filters, stride=1):
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = {L}.ReLU()({L}.BatchNormalization()(y))
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 3, padding="same", use_bias=False)(y)))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.BatchNormalization()({L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return {L}.Add()([y, shortcut])
''',
        "stride_on_second_conv": f'''
def residual_block(x, filters, stride=1):
    y = {L}.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    y = {L}.ReLU()({L}.BatchNormalization()(y))
    y = {L}.BatchNormalization()({L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.BatchNormalization()({L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
    },
    "bottleneck_block": {
        "no_expansion": f'''
def bottleneck_block(x, filters, stride=1):
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 1, use_bias=False)(x)))
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y)))
    y = {L}.BatchNormalization()({L}.Conv2D(filters, 1, use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.BatchNormalization()({L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
        "stride_on_first_1x1": f'''
def bottleneck_block(x, filters, stride=1):
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x)))
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 3, padding="same", use_bias=False)(y)))
    y = {L}.BatchNormalization()({L}.Conv2D(4 * filters, 1, use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != 4 * filters:
        shortcut = {L}.BatchNormalization()({L}.Conv2D(4 * filters, 1, strides=stride, use_bias=False)(x))
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
        "relu_after_expansion": f'''
def bottleneck_block(x, filters, stride=1):
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 1, use_bias=False)(x)))
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y)))
    y = {L}.ReLU()({L}.BatchNormalization()({L}.Conv2D(4 * filters, 1, use_bias=False)(y)))
    shortcut = x
    if stride != 1 or x.shape[-1] != 4 * filters:
        shortcut = {L}.BatchNormalization()({L}.Conv2D(4 * filters, 1, strides=stride, use_bias=False)(x))
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
    },
    "preact_residual_block": {
        "relu_after_addition": f'''
def preact_residual_block(x, filters, stride=1):
    pre = {L}.ReLU()({L}.BatchNormalization()(x))
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(pre)
    y = {L}.Conv2D(filters, 3, padding="same", use_bias=False)({L}.ReLU()({L}.BatchNormalization()(y)))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.Conv2D(filters, 1, strides=stride, use_bias=False)(pre)
    return {L}.ReLU()({L}.Add()([y, shortcut]))
''',
        "original_order": f'''
def preact_residual_block(x, filters, stride=1):
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = {L}.ReLU()({L}.BatchNormalization()(y))
    y = {L}.BatchNormalization()({L}.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
    return {L}.Add()([y, shortcut])
''',
        "projection_on_raw_input": f'''
def preact_residual_block(x, filters, stride=1):
    pre = {L}.ReLU()({L}.BatchNormalization()(x))
    y = {L}.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(pre)
    y = {L}.Conv2D(filters, 3, padding="same", use_bias=False)({L}.ReLU()({L}.BatchNormalization()(y)))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = {L}.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
    return {L}.Add()([y, shortcut])
''',
    },
    "inception_module": {
        "branches_in_another_order": f'''
def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    conv = lambda t, c, k: {L}.Conv2D(c, k, padding="same", activation="relu")(t)
    b1 = conv(x, n1x1, 1)
    b3 = conv(conv(x, n3x3_reduce, 1), n3x3, 3)
    b5 = conv(conv(x, n5x5_reduce, 1), n5x5, 5)
    bp = conv({L}.MaxPooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return {L}.Concatenate()([b3, b1, b5, bp])
''',
        "no_relu": f'''
def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    conv = lambda t, c, k: {L}.Conv2D(c, k, padding="same")(t)
    b1 = conv(x, n1x1, 1)
    b3 = conv(conv(x, n3x3_reduce, 1), n3x3, 3)
    b5 = conv(conv(x, n5x5_reduce, 1), n5x5, 5)
    bp = conv({L}.MaxPooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return {L}.Concatenate()([b1, b3, b5, bp])
''',
        "reductions_swapped": f'''
def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    conv = lambda t, c, k: {L}.Conv2D(c, k, padding="same", activation="relu")(t)
    b1 = conv(x, n1x1, 1)
    b3 = conv(conv(x, n5x5_reduce, 1), n3x3, 3)
    b5 = conv(conv(x, n3x3_reduce, 1), n5x5, 5)
    bp = conv({L}.MaxPooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return {L}.Concatenate()([b1, b3, b5, bp])
''',
        "average_pooling": f'''
def inception_module(x, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj):
    conv = lambda t, c, k: {L}.Conv2D(c, k, padding="same", activation="relu")(t)
    b1 = conv(x, n1x1, 1)
    b3 = conv(conv(x, n3x3_reduce, 1), n3x3, 3)
    b5 = conv(conv(x, n5x5_reduce, 1), n5x5, 5)
    bp = conv({L}.AveragePooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return {L}.Concatenate()([b1, b3, b5, bp])
''',
    },
    "dense_block": {
        "input_not_kept": f'''
def dense_block(x, num_layers, growth_rate):
    features, outputs = x, []
    for _ in range(num_layers):
        y = {L}.Conv2D(growth_rate, 3, padding="same", use_bias=False)({L}.ReLU()({L}.BatchNormalization()(features)))
        outputs.append(y)
        features = {L}.Concatenate()([features, y])
    return {L}.Concatenate()(outputs) if len(outputs) > 1 else outputs[0]
''',
        "each_layer_sees_only_the_previous": f'''
def dense_block(x, num_layers, growth_rate):
    previous, outputs = x, [x]
    for _ in range(num_layers):
        previous = {L}.Conv2D(growth_rate, 3, padding="same", use_bias=False)({L}.ReLU()({L}.BatchNormalization()(previous)))
        outputs.append(previous)
    return {L}.Concatenate()(outputs)
''',
        "new_maps_first": f'''
def dense_block(x, num_layers, growth_rate):
    features = x
    for _ in range(num_layers):
        y = {L}.Conv2D(growth_rate, 3, padding="same", use_bias=False)({L}.ReLU()({L}.BatchNormalization()(features)))
        features = {L}.Concatenate()([y, features])
    return features
''',
    },
    "build_resnet": {
        "no_downsampling": '''
def build_resnet(input_shape, num_classes, blocks_per_stage, base_filters=16, residual=True):
    inputs = tf.keras.Input(input_shape)
    x = tf.keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False)(inputs)
    x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
    for stage in range(3):
        for index in range(blocks_per_stage):
            x = residual_block(x, base_filters * 2 ** stage, 1)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(num_classes)(x))
''',
        "plain_flag_ignored": '''
def build_resnet(input_shape, num_classes, blocks_per_stage, base_filters=16, residual=True):
    inputs = tf.keras.Input(input_shape)
    x = tf.keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False)(inputs)
    x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
    for stage in range(3):
        for index in range(blocks_per_stage):
            x = residual_block(x, base_filters * 2 ** stage, 2 if stage and not index else 1)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(num_classes)(x))
''',
        "softmax_head": '''
def build_resnet(input_shape, num_classes, blocks_per_stage, base_filters=16, residual=True):
    inputs = tf.keras.Input(input_shape)
    x = tf.keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False)(inputs)
    x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
    for stage in range(3):
        for index in range(blocks_per_stage):
            x = residual_block(x, base_filters * 2 ** stage, 2 if stage and not index else 1)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(num_classes, activation="softmax")(x))
''',
        "stem_without_relu": '''
def build_resnet(input_shape, num_classes, blocks_per_stage, base_filters=16, residual=True):
    inputs = tf.keras.Input(input_shape)
    x = tf.keras.layers.BatchNormalization()(tf.keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False)(inputs))
    for stage in range(3):
        for index in range(blocks_per_stage):
            x = residual_block(x, base_filters * 2 ** stage, 2 if stage and not index else 1)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(num_classes)(x))
''',
        "two_stages_only": '''
def build_resnet(input_shape, num_classes, blocks_per_stage, base_filters=16, residual=True):
    inputs = tf.keras.Input(input_shape)
    x = tf.keras.layers.Conv2D(base_filters, 3, padding="same", use_bias=False)(inputs)
    x = tf.keras.layers.ReLU()(tf.keras.layers.BatchNormalization()(x))
    for stage in range(2):
        for index in range(blocks_per_stage):
            x = residual_block(x, base_filters * 2 ** stage, 2 if stage and not index else 1)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    return tf.keras.Model(inputs, tf.keras.layers.Dense(num_classes)(x))
''',
    },
}
