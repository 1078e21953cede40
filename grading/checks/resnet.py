"""Trusted checks of notebook 10 (``solutions/10_resnet/resnet.ipynb``).

One check per graded cell. The cases before ``s.hidden()`` are those of the notebook's visible
test cell; the hidden cases follow.

The blocks (``inception_module``, ``residual_block`` ...) are functions of a Keras tensor, which
cannot cross the wire. The kernel wraps each one in a functional model around
``tf.keras.Input(shape)`` (``_block_models``); the model comes back as ``helpers.wire.KerasModel``
(configuration and weights) and is rebuilt here, so layer counts, parameter counts and outputs
(zero kernels, known weights in training and inference mode) are all computed in the grader.
The known-weights oracles (``_ref_*``) run TensorFlow in float64 here, never in the kernel.
"""

from __future__ import annotations

import numpy as np

from grading.trusted.keras_models import grader_tensorflow, rebuilt_model
from grading.trusted.registry import check
from grading.trusted.student import StudentCallError
from helpers import testing

#: Name under which ``_CourseBlockModelInstaller`` puts the model builder into the kernel.
BUILDER = "_course_block_model"


_tf = grader_tensorflow


# ----------------------------------------------------------------------------- the kernel's side


class _CourseBlockModelInstaller:
    """Sent to the kernel as a stand-in (``isolate``) with a request that calls nothing: the probe
    executes a stand-in's source when it builds it, and this class body then puts ``BUILDER``
    into the notebook's namespace. ``BUILDER(name, input_shape, args, kwargs)`` returns
    ``tf.keras.Model(inputs, name(inputs, *args, **kwargs))`` for ``inputs = tf.keras.Input(input_shape)``,
    looking the student's function up by name when it is called.

    A work-around: ``helpers.probe`` has no request that passes a Keras tensor (or builds a model
    around a function of one); the namespace is the ``namespace`` argument of the probe's
    ``_stand_in`` a few frames up.
    """

    import sys as _sys

    _namespace = None
    _frame = _sys._getframe()
    while _frame is not None and _namespace is None:
        if _frame.f_code.co_filename.replace("\\", "/").endswith("helpers/probe.py") and isinstance(_frame.f_locals.get("namespace"), dict):
            _namespace = _frame.f_locals["namespace"]
        _frame = _frame.f_back
    del _frame

    def _build(namespace, name, input_shape, args, kwargs):
        import tensorflow as tf

        inputs = tf.keras.Input(tuple(input_shape))
        return tf.keras.Model(inputs, namespace[name](inputs, *args, **kwargs))

    if _namespace is not None:
        import functools as _functools

        _namespace["_course_block_model"] = _functools.partial(_build, _namespace)


def _rebuilt(result, what: str):
    """The grader's copy of a Keras model the kernel sent (``helpers.wire.KerasModel``)."""
    return rebuilt_model(result, what, "Conv2D, BatchNormalization, ReLU, Add, Concatenate ...; or x + y")


def _block_models(s, name: str, cases: list) -> list:
    """Models around the student's ``name``: ``cases`` holds ``(input_shape, args, kwargs)``;
    one round trip installs the builder, one builds every model."""
    s.call_many(name, [], isolate={"_course_install": _CourseBlockModelInstaller})
    try:
        results = s.call_many(BUILDER, [(name, tuple(shape), list(args), dict(kwargs)) for shape, args, kwargs in cases])
    except StudentCallError as exc:
        text = str(exc)
        if BUILDER in text and "is not defined" in text:
            raise StudentCallError(f"{name} should be a function of the notebook, defined with `def {name}(x, ...)`") from None
        raise StudentCallError(text.replace(BUILDER, name)) from None
    return [_rebuilt(result, f"tf.keras.Model(inputs, {name}(inputs, ...))") for result in results]


def _block_model(s, name: str, input_shape: tuple, *args, **kwargs):
    """``tf.keras.Model(inputs, name(inputs, *args, **kwargs))`` for ``inputs = tf.keras.Input(input_shape)``."""
    (model,) = _block_models(s, name, [(input_shape, args, kwargs)])
    return model


def _resnet(s, what: str, *args, **kwargs):
    return _rebuilt(s.call("build_resnet", *args, **kwargs), what)


# ----------------------------------------------------------------------------- the tests' helpers
# (the notebook's block_test_helpers and resnet_test_helper cells, and what the hidden tests repeated)


def all_layers(model) -> list:
    """Every layer and operation of a model (such as x + y), looking inside nested models."""
    tf = _tf()
    try:
        children = model.operations
    except AttributeError:          # a Sequential model lists layers only
        children = model.layers
    found = []
    for child in children:
        found.append(child)
        if isinstance(child, tf.keras.Model):
            found.extend(all_layers(child))
    return found


def kinds_of(model) -> list[str]:
    """Class names of all_layers(model)."""
    return [type(op).__name__ for op in all_layers(model)]


def relu_count(model) -> int:
    """How many ReLUs a model applies (ReLU or Activation("relu") layers, relu activations inside layers, ops.relu)."""
    tf = _tf()
    count = 0
    for op in all_layers(model):
        activation = getattr(op, "activation", None)
        if isinstance(op, tf.keras.layers.ReLU) or type(op).__name__ == "Relu":
            count += 1
        elif activation is not None and getattr(activation, "__name__", "") == "relu":
            count += 1
    return count


def conv_count(model) -> int:
    tf = _tf()
    return sum(isinstance(op, tf.keras.layers.Conv2D) for op in all_layers(model))


def allowed_counts(*conv_shapes, bn_channels=()) -> set[int]:
    """Parameter counts for these convolutions (kernel shapes) with or without biases, plus BN layers (4 values per channel)."""
    bn = 4 * sum(bn_channels)
    no_bias = sum(int(np.prod(shape)) for shape in conv_shapes)
    return {no_bias + bn, no_bias + sum(shape[-1] for shape in conv_shapes) + bn}


def resnet_parameters(blocks_per_stage, base, channels_in, num_classes, residual, model=None) -> int:
    """Parameter count of the exercise's network: convolutions without bias (plus the biases of those of model's
    convolutions that have one, if a model is given), BN 4 values per channel."""
    tf = _tf()
    total = 9 * channels_in * base + 4 * base
    width = base
    for stage in range(3):
        filters = base * 2 ** stage
        for index in range(blocks_per_stage):
            total += 9 * width * filters + 9 * filters * filters + 8 * filters
            if residual and width != filters:
                total += width * filters + 4 * filters
            width = filters
    biases = sum(op.filters for op in all_layers(model) if isinstance(op, tf.keras.layers.Conv2D) and op.use_bias) if model else 0
    return total + width * num_classes + num_classes + biases


def known_array(shape, scale=1.0, offset=0.0):
    """Deterministic values that depend only on the shape."""
    seed = int(np.prod(shape)) * 31 + 7 * shape[0] + 3 * shape[-1] + len(shape)
    return offset + scale * np.random.default_rng(seed).standard_normal(shape)


def fill_known_weights(model, conv_bias=False) -> None:
    """Give every Conv2D and BatchNormalization layer of model (nested models too) weights chosen by their shape only."""
    tf = _tf()
    for layer in all_layers(model):
        if isinstance(layer, tf.keras.layers.Conv2D):
            shape = tuple(layer.kernel.shape)
            fan_in = shape[0] * shape[1] * shape[2]
            layer.kernel.assign(known_array(shape, 1.0 / np.sqrt(fan_in)))
            if layer.use_bias:
                layer.bias.assign(known_array((layer.filters,), 0.1) if conv_bias else np.zeros(layer.filters))
        elif isinstance(layer, tf.keras.layers.BatchNormalization):
            c = layer.moving_mean.shape[0]
            if layer.scale:
                layer.gamma.assign(known_array((c,), 0.2, 1.0))
            if layer.center:
                layer.beta.assign(known_array((c, 1), 0.1).ravel())
            layer.moving_mean.assign(known_array((c, 2), 0.1)[:, 0])
            layer.moving_variance.assign(np.abs(known_array((c, 3), 0.3)[:, 0]) + 0.5)


def bn_epsilon(model) -> float:
    tf = _tf()
    eps = {layer.epsilon for layer in all_layers(model) if isinstance(layer, tf.keras.layers.BatchNormalization)}
    return eps.pop() if len(eps) == 1 else 1e-3


def _ref_conv(x, kernel_shape, stride=1, bias=False):
    tf = _tf()
    fan_in = kernel_shape[0] * kernel_shape[1] * kernel_shape[2]
    out = tf.nn.conv2d(x, known_array(kernel_shape, 1.0 / np.sqrt(fan_in)), strides=stride, padding="SAME")
    return out + known_array((kernel_shape[-1],), 0.1) if bias else out


def _ref_bn(x, training, eps):
    tf = _tf()
    c = x.shape[-1]
    gamma, beta = known_array((c,), 0.2, 1.0), known_array((c, 1), 0.1).ravel()
    if training:
        mean, var = tf.nn.moments(x, axes=[0, 1, 2])
    else:
        mean, var = known_array((c, 2), 0.1)[:, 0], np.abs(known_array((c, 3), 0.3)[:, 0]) + 0.5
    return (x - mean) / tf.sqrt(var + eps) * gamma + beta


def _ref_inception(x, n1, r3, n3, r5, n5, pp):
    tf = _tf()
    c = x.shape[-1]
    b1 = tf.nn.relu(_ref_conv(x, (1, 1, c, n1), bias=True))
    b3 = tf.nn.relu(_ref_conv(tf.nn.relu(_ref_conv(x, (1, 1, c, r3), bias=True)), (3, 3, r3, n3), bias=True))
    b5 = tf.nn.relu(_ref_conv(tf.nn.relu(_ref_conv(x, (1, 1, c, r5), bias=True)), (5, 5, r5, n5), bias=True))
    bp = tf.nn.relu(_ref_conv(tf.nn.max_pool2d(x, 3, 1, "SAME"), (1, 1, c, pp), bias=True))
    return tf.concat([b1, b3, b5, bp], axis=-1)


def _ref_residual(x, filters, stride, training, eps):
    tf = _tf()
    c = x.shape[-1]
    y = tf.nn.relu(_ref_bn(_ref_conv(x, (3, 3, c, filters), stride), training, eps))
    y = _ref_bn(_ref_conv(y, (3, 3, filters, filters)), training, eps)
    shortcut = x if stride == 1 and c == filters else _ref_bn(_ref_conv(x, (1, 1, c, filters), stride), training, eps)
    return tf.nn.relu(y + shortcut)


def _ref_bottleneck(x, filters, stride, training, eps):
    tf = _tf()
    c = x.shape[-1]
    y = tf.nn.relu(_ref_bn(_ref_conv(x, (1, 1, c, filters)), training, eps))
    y = tf.nn.relu(_ref_bn(_ref_conv(y, (3, 3, filters, filters), stride), training, eps))
    y = _ref_bn(_ref_conv(y, (1, 1, filters, 4 * filters)), training, eps)
    shortcut = x if stride == 1 and c == 4 * filters else _ref_bn(_ref_conv(x, (1, 1, c, 4 * filters), stride), training, eps)
    return tf.nn.relu(y + shortcut)


def _ref_preact(x, filters, stride, training, eps):
    tf = _tf()
    c = x.shape[-1]
    pre = tf.nn.relu(_ref_bn(x, training, eps))
    y = tf.nn.relu(_ref_bn(_ref_conv(pre, (3, 3, c, filters), stride), training, eps))
    y = _ref_conv(y, (3, 3, filters, filters))
    shortcut = x if stride == 1 and c == filters else _ref_conv(pre, (1, 1, c, filters), stride)
    return y + shortcut


def _ref_dense(x, num_layers, growth, training, eps):
    tf = _tf()
    maps = x
    for _ in range(num_layers):
        new_maps = _ref_conv(tf.nn.relu(_ref_bn(maps, training, eps)), (3, 3, maps.shape[-1], growth))
        maps = tf.concat([maps, new_maps], axis=-1)
    return maps


def _output(model, x, **kwargs) -> np.ndarray:
    return np.asarray(model(x, **kwargs))


def _known_weights_cases(models: list, x_known: np.ndarray, reference, labels: list, training_modes=(False, True)) -> None:
    """Each model, with known weights, against ``reference(x, training, eps)`` in float64."""
    tf = _tf()
    for model, label, ref_args in zip(models, labels, reference):
        fill_known_weights(model)
        for training in training_modes:
            testing.check_close(_output(model, x_known, training=training),
                                ref_args(tf.constant(x_known, tf.float64), training, bn_epsilon(model)).numpy(),
                                f"{label} with known weights, training={training}", rtol=1e-5, atol=1e-5)


def _zero_kernels(model) -> None:
    model.set_weights([np.zeros_like(w) if w.ndim == 4 else w for w in model.get_weights()])


# ----------------------------------------------------------------------------- 1. parameter counts


@check("test_conv_params")
def conv_params_counts(s):
    first, second, third = s.call_many("conv_params", [((5, 1, 6), {}), ((3, 64, 64), {"bias": False}), ((1, 2, 3), {})])
    testing.assert_that(first == 156, "LeNet-5's C1: six 5x5 filters on 1 channel, with biases, is 156")
    testing.assert_that(second == 36864, "a 3x3 convolution 64 -> 64 without bias has 36 864 weights")
    testing.check_type(third, int, "conv_params(1, 2, 3)")

    s.hidden()
    cases = [((11, 3, 96), 34944, "large filters with biases"), ((1, 256, 64), 16448, "a 1x1 convolution with biases"),
             ((7, 3, 64, False), 9408, "a 7x7 convolution without bias"), ((3, 1, 1), 10, "a single 3x3 filter on one channel"),
             ((5, 192, 32, False), 153600, "a 5x5 convolution without bias")]
    counts = s.call_many("conv_params", [args for args, _, _ in cases])
    for count, (_, expected, what) in zip(counts, cases):
        testing.assert_that(count == expected, f"conv_params gives a wrong count for {what}: F * F * D * K weights, "
                            "plus K biases only when bias is True")


# ----------------------------------------------------------------------------- 2. local response normalization


@check("test_local_response_norm")
def local_response_norm_against_tf(s):
    tf = _tf()
    rng = np.random.default_rng(0)
    a_check = (rng.standard_normal((2, 4, 4, 8)) * 30).astype(np.float32)
    b_check = s.call("local_response_norm", a_check)
    testing.check_shape(b_check, (2, 4, 4, 8), "local_response_norm output")
    expected = tf.nn.local_response_normalization(a_check, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75).numpy()
    testing.check_close(b_check, expected, "local_response_norm against tf.nn.local_response_normalization", rtol=1e-5, atol=1e-6,
                        hint="sum the squares over channels i - n//2 .. i + n//2 at the same (x, y), then (k + alpha * sum) ** beta")

    s.hidden()
    a_other = (rng.standard_normal((1, 3, 2, 11)) * 100).astype(np.float32)
    testing.check_close(s.call("local_response_norm", a_other, k=1.0, n=3, alpha=1e-3, beta=0.5),
                        tf.nn.local_response_normalization(a_other, depth_radius=1, bias=1.0, alpha=1e-3, beta=0.5).numpy(),
                        "local_response_norm with other k, n, alpha and beta (use the arguments, not the defaults)", rtol=1e-5, atol=1e-6)


@check("test_local_response_norm_edges")
def local_response_norm_edges(s):
    # Channel edges: with 3 channels and n = 5 every window is clipped; channel 0 sees channels 0..2.
    a_edge = np.array([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
    b_edge = s.call("local_response_norm", a_edge, k=1.0, n=5, alpha=1.0, beta=1.0)
    testing.check_type(b_edge, np.ndarray, "local_response_norm output")
    testing.check_close(b_edge.ravel(), np.array([1.0, 2.0, 3.0]) / 15.0, "3 channels, n=5, k=1, alpha=1, beta=1: every sum is 1+4+9",
                        hint="clip the window to the channels that exist: max(0, i - n//2) .. min(C - 1, i + n//2)")

    s.hidden()
    a_fixed = (np.arange(2 * 2 * 3 * 6, dtype=np.float64).reshape(2, 2, 3, 6) - 30.0) * 7.0
    fixed, zeros = s.call_many("local_response_norm", [((a_fixed,), {"k": 1.0, "n": 3, "alpha": 1e-3, "beta": 0.5}),
                                                        (np.zeros((1, 2, 2, 4)),)])
    testing.check_close(fixed, np.array([-22.604309878984264, -18.176877551729483, -18.171063371460818, -18.16459783521018, -18.157380176174865, -21.74810974976185, -22.623313367722144, -18.129871924388347, -18.118148606211307, -18.104738881460577, -18.089304731644965, -21.493870552096894, -22.616774972689775, -18.025958453684922, -17.996757891455516, -17.96171271116892, -17.919169154928532, -20.940299925605608, -22.461980749524106, -17.718715321666284, -17.611525878744676, -17.46969694696176, -17.277039603708545, -19.164912357942686, -21.02893469149621, -16.020362069505403, -15.074693257628635, -13.496523027394732, -10.7819980893861, -6.273550009275091, 0.0, 6.273550009275091, 10.7819980893861, 13.496523027394732, 15.074693257628635, 20.1770165619526, 18.480517461733495, 17.00712380059246, 17.277039603708545, 17.46969694696176, 17.611525878744676, 22.38807273968772, 20.782277117154553, 17.866851816051366, 17.919169154928532, 17.96171271116892, 17.996757891455516, 22.608298789521726, 21.431484995454042, 18.0714194889247, 18.089304731644965, 18.104738881460577, 18.118148606211307, 22.62517213642922, 21.716049982618074, 18.14928942330043, 18.157380176174865, 18.16459783521018, 18.171063371460818, 22.607949483422004, 21.87155910739423, 18.18687649741821, 18.191192904653512, 18.195125562258884, 18.198718578252386, 22.585777894767755, 21.968345409311073, 18.207814411983534, 18.21038085813119, 18.212753392625643, 18.214951047959865, 22.564943285817325]).reshape(2, 2, 3, 6),
                        "local_response_norm on a fixed example")
    testing.check_close(zeros, np.zeros((1, 2, 2, 4)), "local_response_norm of zeros")


@check("test_inception_params")
def inception_params_counts(s):
    count = s.call("inception_params", 192, 64, 96, 128, 16, 32, 32)
    testing.assert_that(count == 163696, f"inception (3a) on 192 channels has 163 696 parameters with biases, got {count}")

    s.hidden()
    inception_4a, tiny = s.call_many("inception_params", [(480, 192, 96, 208, 16, 48, 64), (3, 1, 1, 1, 1, 1, 1)])
    testing.assert_that(inception_4a == 376176, "inception_params is wrong for module (4a) of the table: count every branch's "
                        "convolutions, with their biases")
    testing.assert_that(tiny == 4 + 4 + 10 + 4 + 26 + 4, "inception_params is wrong for a tiny module on 3 channels with one filter per branch")


# ----------------------------------------------------------------------------- 3. Inception module


def _bias_for(filters):
    return np.linspace(-1.0, 1.0, filters) + 0.1 * filters


@check("test_inception_module")
def inception_module_shapes(s):
    model_check = _block_model(s, "inception_module", (8, 8, 12), 4, 3, 5, 2, 3, 2)
    testing.check_shape(_output(model_check, np.zeros((2, 8, 8, 12), np.float32)), (2, 8, 8, 4 + 5 + 3 + 2),
                        "inception_module output for an (8, 8, 12) input")
    # As the notebook's test: Keras's count against the student's own inception_params.
    by_hand = s.call("inception_params", 12, 4, 3, 5, 2, 3, 2)
    testing.assert_that(model_check.count_params() == by_hand,
                        f"Keras counts {model_check.count_params()} parameters, inception_params says {by_hand} "
                        "(every convolution has a bias; pooling has none)")

    s.hidden()
    model_odd = _block_model(s, "inception_module", (5, 7, 3), 2, 4, 6, 1, 2, 3)
    testing.check_shape(_output(model_odd, np.zeros((1, 5, 7, 3), np.float32)), (1, 5, 7, 13),
                        "inception_module output for a non-square input (padding='same' keeps H and W)")


@check("test_inception_module_values")
def inception_module_values(s):
    tf = _tf()
    # Zero kernels and known biases: each branch outputs ReLU(bias of its last convolution), in the order 1x1, 3x3, 5x5, pool.
    bias_model = _block_model(s, "inception_module", (5, 5, 3), 2, 6, 3, 7, 4, 5)
    for op in all_layers(bias_model):
        if isinstance(op, tf.keras.layers.Conv2D):
            op.kernel.assign(np.zeros(op.kernel.shape))
            testing.assert_that(op.use_bias, "every convolution of the Inception module needs a bias")
            op.bias.assign(_bias_for(op.filters))
    expected_check = np.concatenate([np.maximum(_bias_for(n), 0) for n in (2, 3, 4, 5)])
    testing.check_close(_output(bias_model, np.ones((1, 5, 5, 3), np.float32))[0, 2, 2], expected_check,
                        "inception_module with zero kernels: the channels of one position", rtol=1e-6, atol=1e-6,
                        hint="concatenate [1x1, 3x3, 5x5, pool] in this order, each branch ending in a ReLU")

    s.hidden()
    x_known = np.random.default_rng(30).standard_normal((2, 7, 7, 5)).astype(np.float32)
    known_model = _block_model(s, "inception_module", (7, 7, 5), 4, 2, 5, 3, 6, 7)
    fill_known_weights(known_model, conv_bias=True)
    testing.check_close(_output(known_model, x_known), _ref_inception(tf.constant(x_known, tf.float64), 4, 2, 5, 3, 6, 7).numpy(),
                        "inception_module with known weights against a hand computation (branch order 1x1, 3x3, 5x5, pool)",
                        rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------- 4. residual blocks


@check("test_residual_block_shapes")
def residual_block_shapes(s):
    same_model, down_model = _block_models(s, "residual_block", [((8, 8, 16), (16,), {}), ((8, 8, 16), (32,), {"stride": 2})])
    testing.check_shape(_output(same_model, np.zeros((2, 8, 8, 16), np.float32)), (2, 8, 8, 16), "residual_block(x, 16) for x (8, 8, 16)")
    allowed_same = allowed_counts((3, 3, 16, 16), (3, 3, 16, 16), bn_channels=(16, 16))
    testing.assert_that(same_model.count_params() in allowed_same,
                        f"residual_block(x, 16) on 16 channels: {same_model.count_params()} parameters, expected two 3x3 convolutions and "
                        f"two BN layers ({sorted(allowed_same)}); an identity shortcut has none")
    testing.check_shape(_output(down_model, np.zeros((2, 8, 8, 16), np.float32)), (2, 4, 4, 32), "residual_block(x, 32, stride=2) for x (8, 8, 16)")
    testing.assert_that(down_model.count_params() in allowed_counts((3, 3, 16, 32), (3, 3, 32, 32), (1, 1, 16, 32), bn_channels=(32, 32, 32)),
                        f"residual_block(x, 32, stride=2): {down_model.count_params()} parameters; expected the two 3x3 convolutions, "
                        "a 1x1 projection shortcut and three BN layers")
    testing.assert_that("Add" in kinds_of(same_model), "the block should add the shortcut to the main path (tf.keras.layers.Add or x + y)")

    s.hidden()
    odd_model = _block_model(s, "residual_block", (7, 7, 8), 8, stride=2)
    testing.check_shape(_output(odd_model, np.zeros((1, 7, 7, 8), np.float32)), (1, 4, 4, 8),
                        "residual_block with stride 2 on odd-sized maps and the same channels (the stride alone needs a projection)")


@check("test_residual_block_values")
def residual_block_values(s):
    # All kernels zero, BN at its initial values, inference mode: the main path gives 0, so the block is ReLU(x).
    zero_model = _block_model(s, "residual_block", (6, 6, 4), 4)
    _zero_kernels(zero_model)
    x_check = np.random.default_rng(31).standard_normal((2, 6, 6, 4)).astype(np.float32)
    testing.check_close(_output(zero_model, x_check, training=False), np.maximum(x_check, 0), "residual_block with zero kernels (identity shortcut)",
                        rtol=1e-5, atol=1e-6, hint="the output is ReLU(main + x): add the input itself when the shapes match")

    s.hidden()
    cases = [(6, 1), (8, 2), (4, 1)]
    tiny_model, *known_models = _block_models(s, "residual_block", [((3, 3, 2), (2, 1), {})] + [((8, 8, 6), case, {}) for case in cases])
    tiny_x = (np.arange(2 * 3 * 3 * 2, dtype=np.float32).reshape(2, 3, 3, 2) - 18.0) / 9.0
    fill_known_weights(tiny_model)
    tf = _tf()
    for tiny_layer in all_layers(tiny_model):
        if isinstance(tiny_layer, tf.keras.layers.BatchNormalization):
            tiny_layer.epsilon = 1e-3                                     # the literal below was computed with Keras's default
    testing.check_close(_output(tiny_model, tiny_x, training=False), np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.034919878478288924, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05507271507200562, 0.0, 0.0, 0.8178420802142576, 0.19504582316555685, 1.0818784447931256, 0.04913298502179808, 0.8918575805663146, 0.6371817926329393, 1.443203111077184, 0.21326160914613435, 1.0144118055567046, 0.4137392248244931, 0.7994586649395911, 1.5169272209354174, 1.360922762137839, 1.7882744945850413, 0.7658790821108116, 1.1140719212894146, 1.1820776873789458, 1.5414519774542588]).reshape(2, 3, 3, 2),
                        "residual_block(x, 2) on a fixed example with known weights", rtol=1e-5, atol=1e-5)
    x_known = np.random.default_rng(32).standard_normal((3, 8, 8, 6)).astype(np.float32)
    _known_weights_cases(known_models, x_known,
                         [lambda x, training, eps, f=f, st=st: _ref_residual(x, f, st, training, eps) for f, st in cases],
                         [f"residual_block(x, {f}, stride={st})" for f, st in cases])


@check("test_bottleneck_block_shapes")
def bottleneck_block_shapes(s):
    same_model = _block_model(s, "bottleneck_block", (8, 8, 32), 8)
    testing.check_shape(_output(same_model, np.zeros((2, 8, 8, 32), np.float32)), (2, 8, 8, 32), "bottleneck_block(x, 8) for x (8, 8, 32)")
    expected_same = allowed_counts((1, 1, 32, 8), (3, 3, 8, 8), (1, 1, 8, 32), bn_channels=(8, 8, 32))
    testing.assert_that(same_model.count_params() in expected_same,
                        f"bottleneck_block(x, 8) on 32 channels: {same_model.count_params()} parameters, expected one of {sorted(expected_same)} "
                        "(1x1 down to 8, 3x3, 1x1 up to 32, three BN layers, identity shortcut)")

    s.hidden()
    down_model = _block_model(s, "bottleneck_block", (8, 8, 16), 8, stride=2)
    testing.check_shape(_output(down_model, np.zeros((1, 8, 8, 16), np.float32)), (1, 4, 4, 32),
                        "bottleneck_block with stride 2 and fewer input channels than 4 * filters")
    testing.assert_that(down_model.count_params() in allowed_counts((1, 1, 16, 8), (3, 3, 8, 8), (1, 1, 8, 32), (1, 1, 16, 32), bn_channels=(8, 8, 32, 32)),
                        f"bottleneck_block with stride 2 and a change of channels needs a projection shortcut (1x1 convolution and BN): "
                        f"found {down_model.count_params()} parameters")


@check("test_bottleneck_block_values")
def bottleneck_block_values(s):
    zero_model = _block_model(s, "bottleneck_block", (4, 4, 8), 2)
    _zero_kernels(zero_model)
    x_check = np.random.default_rng(33).standard_normal((2, 4, 4, 8)).astype(np.float32)
    testing.check_close(_output(zero_model, x_check, training=False), np.maximum(x_check, 0), "bottleneck_block with zero kernels (identity shortcut)",
                        rtol=1e-5, atol=1e-6)

    s.hidden()
    cases = [(2, 1), (3, 2), (4, 1)]
    known_models = _block_models(s, "bottleneck_block", [((8, 8, 8), case, {}) for case in cases])
    x_known = np.random.default_rng(34).standard_normal((2, 8, 8, 8)).astype(np.float32)
    _known_weights_cases(known_models, x_known,
                         [lambda x, training, eps, f=f, st=st: _ref_bottleneck(x, f, st, training, eps) for f, st in cases],
                         [f"bottleneck_block(x, {f}, stride={st})" for f, st in cases])


@check("test_preact_residual_block_shapes")
def preact_residual_block_shapes(s):
    same_model = _block_model(s, "preact_residual_block", (8, 8, 8), 8)
    testing.check_shape(_output(same_model, np.zeros((2, 8, 8, 8), np.float32)), (2, 8, 8, 8), "preact_residual_block(x, 8) for x (8, 8, 8)")
    expected_same = allowed_counts((3, 3, 8, 8), (3, 3, 8, 8), bn_channels=(8, 8))
    testing.assert_that(same_model.count_params() in expected_same,
                        f"preact_residual_block(x, 8): {same_model.count_params()} parameters, expected one of {sorted(expected_same)} (BN on the input, BN in the middle)")

    s.hidden()
    down_model = _block_model(s, "preact_residual_block", (8, 8, 4), 8, stride=2)
    testing.check_shape(_output(down_model, np.zeros((1, 8, 8, 4), np.float32)), (1, 4, 4, 8),
                        "preact_residual_block with stride 2 and a change of channels")
    testing.assert_that(down_model.count_params() in allowed_counts((3, 3, 4, 8), (3, 3, 8, 8), (1, 1, 4, 8), bn_channels=(4, 8)),
                        f"preact_residual_block with stride 2 and a change of channels: {down_model.count_params()} parameters "
                        "(the projection is a 1x1 convolution on pre, without BN)")


@check("test_preact_residual_block_values")
def preact_residual_block_values(s):
    # Zero kernels: the main path gives 0 and nothing follows the addition, so the block is the identity (negative values stay).
    zero_model = _block_model(s, "preact_residual_block", (4, 4, 3), 3)
    _zero_kernels(zero_model)
    x_check = np.random.default_rng(35).standard_normal((2, 4, 4, 3)).astype(np.float32)
    testing.check_close(_output(zero_model, x_check, training=False), x_check, "preact_residual_block with zero kernels (should return x itself)",
                        rtol=1e-5, atol=1e-6, hint="no ReLU after the addition in a pre-activation block")

    s.hidden()
    cases = [(6, 1), (8, 2)]
    known_models = _block_models(s, "preact_residual_block", [((8, 8, 6), case, {}) for case in cases])
    x_known = np.random.default_rng(36).standard_normal((2, 8, 8, 6)).astype(np.float32)
    _known_weights_cases(known_models, x_known,
                         [lambda x, training, eps, f=f, st=st: _ref_preact(x, f, st, training, eps) for f, st in cases],
                         [f"preact_residual_block(x, {f}, stride={st})" for f, st in cases])


# ----------------------------------------------------------------------------- 5. DenseNet


@check("test_dense_block_shapes")
def dense_block_shapes(s):
    dense_model = _block_model(s, "dense_block", (6, 6, 5), 3, 4)
    testing.check_shape(_output(dense_model, np.zeros((2, 6, 6, 5), np.float32)), (2, 6, 6, 5 + 3 * 4), "dense_block(x, 3, 4) for x (6, 6, 5)")
    expected_dense = allowed_counts((3, 3, 5, 4), (3, 3, 9, 4), (3, 3, 13, 4), bn_channels=(5, 9, 13))
    testing.assert_that(dense_model.count_params() in expected_dense,
                        f"dense_block(x, 3, 4) on 5 channels: {dense_model.count_params()} parameters, expected one of {sorted(expected_dense)} "
                        "(layer l sees 5 + 4 (l - 1) channels)")

    s.hidden()
    one_model = _block_model(s, "dense_block", (3, 3, 2), 1, 7)
    testing.check_shape(_output(one_model, np.zeros((1, 3, 3, 2), np.float32)), (1, 3, 3, 9), "dense_block with a single layer")


@check("test_dense_block_values")
def dense_block_values(s):
    # The block's first channels are its input, unchanged.
    dense_model = _block_model(s, "dense_block", (4, 4, 3), 2, 2)
    x_check = np.random.default_rng(37).standard_normal((2, 4, 4, 3)).astype(np.float32)
    testing.check_close(_output(dense_model, x_check, training=False)[..., :3], x_check, "the first 3 output channels (the input itself)",
                        hint="concatenate in the order [x, y_1, y_2, ...]")

    s.hidden()
    known_model = _block_model(s, "dense_block", (6, 6, 4), 3, 3)
    x_known = np.random.default_rng(38).standard_normal((2, 6, 6, 4)).astype(np.float32)
    _known_weights_cases([known_model], x_known, [lambda x, training, eps: _ref_dense(x, 3, 3, training, eps)], ["dense_block(x, 3, 3)"])


# ----------------------------------------------------------------------------- 6. build_resnet


@check("test_build_resnet")
def build_resnet_structure(s):
    tf = _tf()
    model_check = _resnet(s, "build_resnet((8, 8, 1), 10, 2, base_filters=8)", (8, 8, 1), 10, 2, base_filters=8)
    logits_check = _output(model_check, np.random.default_rng(40).standard_normal((5, 8, 8, 1)).astype(np.float32))
    testing.check_shape(logits_check, (5, 10), "build_resnet output for 5 digits")
    testing.assert_that((logits_check < 0).any() and not np.allclose(logits_check.sum(axis=1), 1.0),
                        "the output should be logits (a Dense layer without softmax)")
    count_conv = conv_count(model_check)
    testing.assert_that(count_conv == 1 + 3 * 2 * 2 + 2, f"expected 15 convolutions (stem, 12 in the blocks, 2 projections), found {count_conv}")
    testing.assert_that(kinds_of(model_check).count("Add") == 3 * 2, f"expected 6 shortcut additions, found {kinds_of(model_check).count('Add')}")
    testing.assert_that(relu_count(model_check) == 1 + 3 * 2 * 2, f"expected 13 ReLUs (stem, two per block), found {relu_count(model_check)}")
    expected_check = resnet_parameters(2, 8, 1, 10, True, model_check)
    testing.assert_that(model_check.count_params() == expected_check,
                        f"{model_check.count_params()} parameters, expected {expected_check} (3x3 stem and blocks, 1x1 projections at the "
                        "two stride-2 blocks, BN after each convolution, one Dense layer)")

    s.hidden()
    bigger = _resnet(s, "build_resnet on 16x16 colour images with one block per stage", (16, 16, 3), 5, 1, base_filters=4)
    testing.check_shape(_output(bigger, np.zeros((2, 16, 16, 3), np.float32)), (2, 5),
                        "build_resnet output on 16x16 colour images with another number of classes")
    testing.assert_that(bigger.count_params() == resnet_parameters(1, 4, 3, 5, True, bigger),
                        "build_resnet on 16x16 colour images with one block per stage has the wrong number of parameters: "
                        "use input_shape, num_classes, blocks_per_stage and base_filters as given")
    pooling = [op for op in all_layers(bigger) if isinstance(op, tf.keras.layers.GlobalAveragePooling2D)]
    testing.assert_that(len(pooling) == 1, f"the head should have one GlobalAveragePooling2D layer, found {len(pooling)}")
    testing.assert_that(tuple(pooling[0].input.shape[1:3]) == (4, 4),
                        "the two stride-2 stages should halve the height and width twice before the pooling, found maps of "
                        f"{tuple(pooling[0].input.shape[1:3])}")


@check("test_build_resnet_plain")
def build_resnet_plain(s):
    plain_check = _resnet(s, "build_resnet((8, 8, 1), 10, 2, base_filters=8, residual=False)", (8, 8, 1), 10, 2, base_filters=8, residual=False)
    testing.check_shape(_output(plain_check, np.zeros((3, 8, 8, 1), np.float32)), (3, 10), "build_resnet(..., residual=False) output")
    testing.assert_that("Add" not in kinds_of(plain_check), "residual=False: the plain network must have no shortcut additions")
    testing.assert_that(conv_count(plain_check) == 13, "residual=False: the same 13 3x3 convolutions (stem and blocks), no projections")
    testing.assert_that(relu_count(plain_check) == 13, f"residual=False: 13 ReLUs (stem, two per block), found {relu_count(plain_check)}")
    expected_plain = resnet_parameters(2, 8, 1, 10, False, plain_check)
    testing.assert_that(plain_check.count_params() == expected_plain,
                        f"residual=False: {plain_check.count_params()} parameters, expected {expected_plain} (Conv-BN-ReLU-Conv-BN-ReLU blocks)")

    s.hidden()
    plain_small = _resnet(s, "a one-block-per-stage plain network", (12, 12, 2), 3, 1, base_filters=2, residual=False)
    testing.assert_that(plain_small.count_params() == resnet_parameters(1, 2, 2, 3, False, plain_small),
                        "parameters of a one-block-per-stage plain net: use every argument of build_resnet")
