"""Trusted checks of notebook 07 (``solutions/07_cnn/cnn.ipynb``).

The NumPy exercises are called through ``s.call`` / ``s.call_many``; caches cross as plain data
(tuples of arrays and numbers), as the student's forward pass returned them. Expected values
come from literals and from NumPy oracles in this module (``_conv2d`` and friends: the
notebook's test cells use ``tf.nn.conv2d``, ``tf.nn.max_pool2d``, ``tf.nn.avg_pool2d`` and
``tf.GradientTape``, which compute the same numbers; importing TensorFlow into the grading
process would cost seconds per notebook).

Two checks need what the wire cannot carry: ``build_deck_cnn``'s layers (``isinstance`` against
Keras's classes, ``count_params``, configs, a call of the model) and ``isinstance(error,
ValueError)`` for ``conv_output_size``. They send a scenario to the kernel (``_k_*``, self-
contained) that reports plain facts; the verdict is decided here. How a scenario reaches the
kernel is explained in ``grading/trusted/scenarios.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grading.trusted.registry import check
from grading.trusted.scenarios import Scenarios
from grading.trusted.student import BUILTIN_EXCEPTIONS
from helpers import testing

_VEHICLES = ("conv_output_size", "zero_pad", "conv_forward_naive", "conv_backward_naive", "max_pool_forward",
             "max_pool_backward", "avg_pool_forward", "avg_pool_backward", "conv_forward_im2col", "apply_filter",
             "build_deck_cnn")


# ============================================================== kernel side (sent as source)


def _k_raises(ns, name, cases):
    """For each argument tuple: did ``name`` raise a ValueError (a subclass counts)?"""
    out = []
    for args in cases:
        try:
            value = ns[name](*args)
        except NotImplementedError:
            raise
        except ValueError as error:
            out.append({"raised": True, "value_error": True, "type": type(error).__name__})
        except Exception as error:  # noqa: BLE001 - the wrong kind of error is the finding
            out.append({"raised": True, "value_error": False, "type": type(error).__name__})
        else:
            out.append({"raised": False, "value": value})
    return out


def _k_deck_cnn(ns, cases):
    """Build the student's model for each case and describe it as the notebook's test reads it."""
    import numpy as np
    import tensorflow as tf

    layer_kinds = {"conv2d": tf.keras.layers.Conv2D, "max_pooling2d": tf.keras.layers.MaxPooling2D,
                   "dropout": tf.keras.layers.Dropout, "dense": tf.keras.layers.Dense,
                   "relu": tf.keras.layers.ReLU, "activation": tf.keras.layers.Activation}
    described = []
    for input_shape, num_classes, kwargs, batch in cases:
        model = ns["build_deck_cnn"](input_shape, num_classes, **kwargs)
        info = {"type": type(model).__name__, "is_none": model is None, "is_model": isinstance(model, tf.keras.Model)}
        described.append(info)
        if not info["is_model"]:
            continue
        if batch:
            info["logits"] = model(np.zeros((batch, *input_shape), np.float32))
        layers = []
        for layer in model.layers:
            try:
                config = layer.get_config()
            except Exception:  # noqa: BLE001 - a layer of the student's own without a config
                config = {}
            layers.append({"kinds": [kind for kind, cls in layer_kinds.items() if isinstance(layer, cls)],
                           "params": layer.count_params() if layer.built else None,
                           "rate": getattr(layer, "rate", None) if isinstance(layer, tf.keras.layers.Dropout) else None,
                           "config": {key: config.get(key) for key in ("activation", "padding", "units")}})
        info["layers"] = layers
    return described


# ============================================================== checker side


_kernel = Scenarios(_VEHICLES).run


def _check_raises_value_error(s, name: str, cases: list[tuple]) -> None:
    """``testing.check_raises(ValueError, name, *args)`` for each case (judged here)."""
    hidden = s.phase == "hidden"
    for outcome in _kernel(s, _k_raises, (name,), name, cases):
        if outcome["raised"] and outcome["value_error"]:
            continue
        if outcome["raised"]:
            kind = outcome["type"] if outcome["type"] in BUILTIN_EXCEPTIONS else "an exception of its own class"
            raise AssertionError(f"{name} should raise ValueError for these inputs but raised {kind}. Raise ValueError "
                                 "explicitly for this case (e.g. `raise ValueError(\"...\")`) before the computation fails.")
        found = "a value" if hidden else _short_repr(outcome["value"])
        raise AssertionError(f"{name} should raise ValueError for these inputs but returned {found}. Check the inputs "
                             "at the start of the function and raise ValueError when they are invalid.")


def _short_repr(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -------------------------------------------------------------- oracles (what TensorFlow computes)


def _windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(N, H', W', C, size, size): every size x size window of NHWC ``x`` (VALID, ``stride``)."""
    return sliding_window_view(np.asarray(x, dtype=np.float64), (size, size), axis=(1, 2))[:, ::stride, ::stride]


def _conv2d(x: np.ndarray, w: np.ndarray, stride: int = 1, pad: int = 0) -> np.ndarray:
    """``tf.nn.conv2d(x padded by pad, w, strides=stride, padding="VALID")`` (no flip; SAME for
    stride 1 and an odd filter is pad = (F - 1) / 2)."""
    x = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    return np.einsum("nhwcij,ijck->nhwk", _windows(x, w.shape[0], stride), np.asarray(w, dtype=np.float64))


def _conv2d_gradients(x: np.ndarray, w: np.ndarray, dout: np.ndarray, stride: int, pad: int):
    """``tf.GradientTape``'s (dx, dw, db) of ``sum((conv2d(x, w) + b) * dout)``."""
    x_pad = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    size, (_, h_out, w_out, _) = w.shape[0], dout.shape
    dw = np.einsum("nhwcij,nhwk->ijck", _windows(x_pad, size, stride), dout)
    dx_pad = np.zeros_like(x_pad)
    for i in range(size):
        for j in range(size):
            dx_pad[:, i:i + stride * h_out:stride, j:j + stride * w_out:stride, :] += np.einsum("nhwk,ck->nhwc", dout, w[i, j])
    return dx_pad[:, pad:dx_pad.shape[1] - pad, pad:dx_pad.shape[2] - pad, :], dw, dout.sum(axis=(0, 1, 2))


def _max_pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """``tf.nn.max_pool2d(x, size, stride, "VALID")``."""
    return _windows(x, size, stride).max(axis=(-2, -1))


def _avg_pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """``tf.nn.avg_pool2d(x, size, stride, "VALID")``."""
    return _windows(x, size, stride).mean(axis=(-2, -1))


def _max_pool_gradient(x: np.ndarray, dout: np.ndarray, size: int, stride: int) -> np.ndarray:
    """``tf.GradientTape``'s gradient of ``sum(max_pool2d(x) * dout)`` (inputs without ties)."""
    windows = _windows(x, size, stride)
    n, h_out, w_out, c = windows.shape[:4]
    flat = windows.reshape(n, h_out, w_out, c, size * size).argmax(axis=-1)
    rows, cols = np.divmod(flat, size)
    nn, ii, jj, cc = np.meshgrid(np.arange(n), np.arange(h_out), np.arange(w_out), np.arange(c), indexing="ij")
    dx = np.zeros(np.shape(x))
    np.add.at(dx, (nn, ii * stride + rows, jj * stride + cols, cc), dout)
    return dx


# -------------------------------------------------------------- conv_output_size


@check("test_conv_output_size")
def conv_output_size(s):
    # The deck's examples: 7x7 input, 3x3 filter.
    stride_1, stride_2 = s.call_many("conv_output_size", [(7, 3, 0, 1), (7, 3, 0, 2)])
    testing.assert_that(stride_1 == 5, "7x7 input, 3x3 filter, stride 1 gives 5x5")
    testing.assert_that(stride_2 == 3, "7x7 input, 3x3 filter, stride 2 gives 3x3")
    _check_raises_value_error(s, "conv_output_size", [(7, 3, 0, 3)])  # stride 3 does not fit a 7x7 input with a 3x3 filter
    s.hidden()
    cases = [((32, 5, 0, 1), 28), ((32, 5, 2, 1), 32), ((28, 2, 0, 2), 14), ((5, 5, 0, 1), 1),
             ((227, 11, 0, 4), 55), ((8, 5, 2, 1), 8), ((1, 1, 0, 1), 1)]
    found = s.call_many("conv_output_size", [args for args, _ in cases])
    testing.check_type(found[0], int, "conv_output_size(W, F, P, S)")
    for (args, expected), value in zip(cases, found):
        testing.assert_that(value == expected, "conv_output_size gives a wrong width on a hidden case: (W - F + 2P) / S + 1, "
                                               "with P zeros on each side")
    _check_raises_value_error(s, "conv_output_size", [(5, 7, 0, 1), (6, 3, 0, 2), (4, 3, 0, 0)])


# -------------------------------------------------------------- zero_pad


@check("test_zero_pad")
def zero_pad(s):
    x = np.ones((2, 3, 4, 5))
    padded_images = s.call("zero_pad", x, 2)
    testing.check_shape(padded_images, (2, 7, 8, 5), "zero_pad(x, 2) for x of shape (2, 3, 4, 5)")
    testing.check_close(padded_images[:, 2:-2, 2:-2, :], x, "the inside of the padded images", hint="the original pixels must sit in the middle")
    testing.check_close(padded_images[:, :2].sum() + padded_images[:, -2:].sum(), 0.0, "the padded border", hint="pad with zeros")
    s.hidden()
    x = np.random.default_rng(3).standard_normal((1, 2, 2, 3))
    unpadded, padded = s.call_many("zero_pad", [(x, 0), (x, 1)])
    testing.check_close(unpadded, x, "zero_pad(x, 0)")
    testing.check_shape(padded, (1, 4, 4, 3), "zero_pad(x, 1)")
    testing.check_close(padded[0, 1:3, 1:3, :], x[0], "zero_pad keeps the channels in place")
    # The docstring promises the input's dtype: np.zeros(shape) (float64 by default) filled with x does not keep it.
    integers, singles = s.call_many("zero_pad", [(np.arange(12, dtype=np.int64).reshape(1, 2, 2, 3), 1),
                                                 (np.ones((1, 2, 2, 1), dtype=np.float32), 2)])
    for padded_case, expected_dtype, what in [(integers, np.int64, "an int64 batch"), (singles, np.float32, "a float32 batch")]:
        found_dtype = np.asarray(padded_case).dtype
        testing.assert_that(found_dtype == expected_dtype, (
            f"zero_pad of {what} returned dtype {found_dtype}: the docstring asks for the same dtype as x. "
            "np.zeros(shape) is float64 by default: pass dtype=x.dtype (or use np.pad, which keeps the dtype)"))


# -------------------------------------------------------------- conv_forward_naive


def _outputs(results: list) -> list:
    """The ``out`` of each ``(out, cache)`` a forward pass returned."""
    outputs = []
    for result in results:
        testing.assert_that(isinstance(result, (tuple, list)) and len(result) == 2,
                            "the forward pass should return a pair (out, cache)")
        outputs.append(result[0])
    return outputs


@check("test_conv_forward_naive_shape")
def conv_forward_naive_shape(s):
    rng = np.random.default_rng(seed=0)
    (out,) = _outputs([s.call("conv_forward_naive", rng.standard_normal((2, 5, 5, 3)), rng.standard_normal((3, 3, 3, 4)), np.zeros(4), 1, 0)])
    testing.check_shape(out, (2, 3, 3, 4), "conv_forward_naive output for x (2, 5, 5, 3), w (3, 3, 3, 4), stride 1, pad 0")
    s.hidden()
    (out,) = _outputs([s.call("conv_forward_naive", rng.standard_normal((1, 7, 7, 2)), rng.standard_normal((3, 3, 2, 5)), np.zeros(5), 2, 1)])
    testing.check_shape(out, (1, 4, 4, 5), "conv_forward_naive output with a stride and padding: H' = (H - F + 2P) / S + 1")


@check("test_conv_forward_naive_values")
def conv_forward_naive_values(s):
    # One 3x3 filter of ones over a 3x3 image of ones, no padding: one output, the sum 9, plus the bias.
    (out,) = _outputs([s.call("conv_forward_naive", np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), np.array([0.5]), 1, 0)])
    testing.check_close(np.reshape(out, -1), np.array([9.5]), "conv of ones with a 3x3 filter of ones plus bias 0.5")
    # Against TensorFlow on random inputs.
    rng = np.random.default_rng(seed=1)
    x, w, b = rng.standard_normal((2, 6, 6, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    x_strided = rng.standard_normal((1, 7, 7, 3))
    same, strided = _outputs(s.call_many("conv_forward_naive", [(x, w, b, 1, 1), (x_strided, w, b, 2, 0)]))
    testing.check_close(same, _conv2d(x, w, 1, 1) + b, "conv_forward_naive against tf.nn.conv2d (SAME)", rtol=1e-10, atol=1e-10, hint=(
        "check the window slices (i * stride : i * stride + F) and that you add b[k]"))
    testing.check_close(strided, _conv2d(x_strided, w, 2, 0) + b, "conv_forward_naive with stride 2 and no padding", rtol=1e-10, atol=1e-10, hint=(
        "the receptive field of output (i, j) starts at (i * stride, j * stride)"))
    s.hidden()
    x_fixed = np.arange(2 * 4 * 4 * 2, dtype=np.float64).reshape(2, 4, 4, 2) / 10.0
    w_fixed = (np.arange(3 * 3 * 2 * 3, dtype=np.float64).reshape(3, 3, 2, 3) - 27.0) / 20.0
    cases = []
    for shape, f, c_out, stride, pad in [((1, 9, 9, 2), 3, 3, 2, 1), ((3, 8, 8, 1), 5, 2, 1, 2), ((2, 7, 5, 2), 3, 2, 2, 0)]:
        x = rng.standard_normal(shape)
        w, b = rng.standard_normal((f, f, shape[-1], c_out)), rng.standard_normal(c_out)
        cases.append((x, w, b, stride, pad))
    fixed, *random = _outputs(s.call_many("conv_forward_naive", [(x_fixed, w_fixed, np.array([0.5, -1.0, 0.25]), 1, 1), *cases]))
    testing.check_close(fixed, np.array([4.4, 3.12, 4.59, 6.110000000000001, 5.0, 6.640000000000001, 7.01, 6.02, 7.78, 3.8, 2.68, 4.31, 7.34, 6.41, 8.23, 8.51, 7.955000000000002, 10.149999999999999, 8.24, 7.865, 10.24, 2.84, 2.1500000000000004, 4.210000000000001, 8.06, 7.609999999999999, 9.91, 7.430000000000001, 7.594999999999999, 10.51, 7.159999999999999, 7.504999999999999, 10.599999999999998, 0.6799999999999997, 0.47000000000000064, 3.009999999999999, -4.359999999999999, -5.0, -2.89, -10.99, -11.14, -8.54, -12.25, -12.28, -9.559999999999999, -11.68, -12.16, -9.89, 17.84, 17.84, 20.59, 20.51, 21.32, 24.880000000000003, 21.41, 22.339999999999996, 26.019999999999996, 9.559999999999999, 9.719999999999999, 12.629999999999999, 10.219999999999999, 11.21, 14.95, 4.1899999999999995, 6.515000000000001, 11.589999999999998, 3.919999999999999, 6.425000000000001, 11.68, -5.800000000000001, -4.5699999999999985, -0.5900000000000016, 10.939999999999998, 12.41, 16.63, 3.1100000000000003, 6.155, 11.95, 2.8400000000000016, 6.065, 12.04, -7.960000000000001, -6.25, -1.7899999999999991, -13.96, -13.32, -9.93, -31.15, -29.38, -24.86, -32.41, -30.520000000000003, -25.88, -28.96, -28.16, -24.610000000000003]).reshape(2, 4, 4, 3),
                        "conv_forward_naive on a fixed example (stride 1, pad 1)")
    for (x, w, b, stride, pad), out in zip(cases, random):
        testing.check_close(out, _conv2d(x, w, stride, pad) + b, "conv_forward_naive against tf.nn.conv2d on other shapes, "
                            "filter sizes, strides and paddings", rtol=1e-10, atol=1e-10)


# -------------------------------------------------------------- conv_backward_naive


def _forward_backward(s, x, w, b, stride, pad, rng):
    """The student's forward pass, ``dout`` drawn in its output's shape, the student's backward pass."""
    out, cache = s.call("conv_forward_naive", x.copy(), w.copy(), b.copy(), stride, pad)
    dout = rng.standard_normal(np.shape(out))
    grads = s.call("conv_backward_naive", dout, cache)
    testing.assert_that(isinstance(grads, (tuple, list)) and len(grads) == 3, "conv_backward_naive should return (dx, dw, db)")
    return dout, grads


def _check_dx_shape(dx, x_shape: tuple, pad: int, what: str) -> None:
    """dx has x's shape; an empty dx for pad = 0 is the ``[P:-P]`` slice (``[0:-0]`` is empty)."""
    found = np.shape(dx)
    if pad == 0 and found != tuple(x_shape) and len(found) == 4 and 0 in found[1:3]:
        raise AssertionError(
            f"{what} is empty (shape {found}) but should have the input's shape: with pad = 0, cutting the "
            "padding off with dx_pad[:, P:-P, P:-P, :] keeps nothing ([0:-0] is an empty slice). "
            "Use dx_pad[:, P:P + H, P:P + W, :] instead")
    testing.check_shape(dx, x_shape, what)


@check("test_conv_backward_naive_gradcheck")
def conv_backward_naive_gradcheck(s):
    rng = np.random.default_rng(seed=4)
    x, w, b = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    dout, (dx, dw, db) = _forward_backward(s, x, w, b, 1, 1, rng)
    testing.check_array_gradient(lambda x_: _conv2d(x_, w, 1, 1) + b, x, dout, dx, "dx")
    testing.check_array_gradient(lambda w_: _conv2d(x, w_, 1, 1) + b, w, dout, dw, "dw")
    testing.check_array_gradient(lambda b_: _conv2d(x, w, 1, 1) + b_, b, dout, db, "db")
    s.hidden()
    # no padding at stride 1 first, so that a pad = 0 mistake is not taken for a stride mistake
    x, w, b = rng.standard_normal((2, 5, 6, 2)), rng.standard_normal((3, 3, 2, 2)), rng.standard_normal(2)
    dout, (dx, dw, _) = _forward_backward(s, x, w, b, 1, 0, rng)
    _check_dx_shape(dx, x.shape, 0, "dx with no padding (pad = 0, stride 1)")
    testing.check_array_gradient(lambda x_: _conv2d(x_, w, 1, 0) + b, x, dout, dx, "dx with no padding (pad = 0, stride 1)")
    testing.check_array_gradient(lambda w_: _conv2d(x, w_, 1, 0) + b, w, dout, dw, "dw with no padding (pad = 0, stride 1)")
    x, w, b = rng.standard_normal((1, 7, 7, 1)), rng.standard_normal((3, 3, 1, 2)), rng.standard_normal(2)
    dout, (dx, dw, _) = _forward_backward(s, x, w, b, 2, 0, rng)
    _check_dx_shape(dx, x.shape, 0, "dx with stride 2 and no padding")
    testing.check_array_gradient(lambda x_: _conv2d(x_, w, 2, 0) + b, x, dout, dx, "dx with stride 2")
    testing.check_array_gradient(lambda w_: _conv2d(x, w_, 2, 0) + b, w, dout, dw, "dw with stride 2")


@check("test_conv_backward_naive_tape")
def conv_backward_naive_tape(s):
    rng = np.random.default_rng(seed=5)
    x, w, b = rng.standard_normal((3, 6, 6, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    dout, (dx, dw, db) = _forward_backward(s, x, w, b, 1, 1, rng)
    testing.check_shape(dout, (3, 6, 6, 4), "conv_forward_naive's output (SAME: stride 1, pad 1)")
    gx, gw, gb = _conv2d_gradients(x, w, dout, 1, 1)
    testing.check_close(db, gb, "db against tf.GradientTape", rtol=1e-9, atol=1e-9, hint="db sums dout over (N, H', W')")
    testing.check_close(dw, gw, "dw against tf.GradientTape", rtol=1e-9, atol=1e-9, hint="shared weights: add up over every position and image")
    testing.check_close(dx, gx, "dx against tf.GradientTape", rtol=1e-9, atol=1e-9, hint="each pixel collects from every window that covers it; cut the padding off at the end")
    s.hidden()
    x, w, b = rng.standard_normal((2, 9, 9, 2)), rng.standard_normal((5, 5, 2, 3)), rng.standard_normal(3)
    dout, (dx, dw, _) = _forward_backward(s, x, w, b, 2, 2, rng)
    testing.check_shape(dout, (2, 5, 5, 3), "conv_forward_naive's output with a stride and padding")
    gx, gw, _ = _conv2d_gradients(x, w, dout, 2, 2)
    testing.check_close(dx, gx, "dx with a larger filter, a stride and padding", rtol=1e-9, atol=1e-9)
    testing.check_close(dw, gw, "dw with a larger filter, a stride and padding", rtol=1e-9, atol=1e-9)


# -------------------------------------------------------------- pooling


@check("test_max_pool_forward")
def max_pool_forward(s):
    x = np.array([[1.0, 3.0, 2.0, 1.0], [4.0, 4.0, 0.0, 5.0], [1.0, 2.0, 5.0, 5.0], [0.0, 7.0, 3.0, 1.0]]).reshape(1, 4, 4, 1)
    (out,) = _outputs([s.call("max_pool_forward", x, 2, 2)])
    testing.check_shape(out, (1, 2, 2, 1), "max_pool_forward(x, 2, 2) for x of shape (1, 4, 4, 1)")
    testing.check_close(np.reshape(out, (2, 2)), np.array([[4.0, 5.0], [7.0, 5.0]]), "2x2 max pooling of the 4x4 example", hint=(
        "take the max over axes (1, 2) of each window"))
    s.hidden()
    rng = np.random.default_rng(seed=6)
    cases = [(rng.standard_normal(shape), size, stride) for shape, size, stride in [((2, 6, 6, 3), 2, 2), ((1, 5, 5, 2), 3, 2), ((3, 4, 6, 1), 2, 1)]]
    fixed, *random = _outputs(s.call_many("max_pool_forward", [(x, 2, 2), *cases]))
    testing.check_close(fixed, np.array([4.0, 5.0, 7.0, 5.0]).reshape(1, 2, 2, 1), "max pooling of the fixed example")
    for (x, size, stride), out in zip(cases, random):
        testing.check_close(out, _max_pool(x, size, stride), "max_pool_forward against tf.nn.max_pool2d on other shapes, "
                            "window sizes and strides", rtol=1e-6, atol=1e-6)


@check("test_max_pool_backward")
def max_pool_backward(s):
    x = np.array([[1.0, 3.0], [4.0, 2.0]]).reshape(1, 2, 2, 1)
    _, cache = s.call("max_pool_forward", x, 2, 2)
    dx = s.call("max_pool_backward", np.array([[[[10.0]]]]), cache)
    testing.check_close(np.reshape(dx, (2, 2)), np.array([[0.0, 0.0], [10.0, 0.0]]), "the gradient of a 2x2 max pool", hint=(
        "the whole gradient goes to the position of the maximum (4 at row 1, column 0)"))
    rng = np.random.default_rng(seed=7)
    x = rng.standard_normal((2, 6, 6, 2))
    out, cache = s.call("max_pool_forward", x, 2, 2)
    dout = rng.standard_normal(np.shape(out))
    # A NumPy 2x2 max pool as the reference function for the numerical gradient.
    testing.check_array_gradient(lambda x_: x_.reshape(2, 3, 2, 3, 2, 2).max(axis=(2, 4)), x, dout,
                                 s.call("max_pool_backward", dout, cache), "max_pool_backward dx")
    s.hidden()
    # Ties: the first maximum in row-major order gets the gradient.
    _, cache_tie = s.call("max_pool_forward", np.array([[5.0, 5.0], [5.0, 1.0]]).reshape(1, 2, 2, 1), 2, 2)
    testing.check_close(np.reshape(s.call("max_pool_backward", np.array([[[[3.0]]]]), cache_tie), (2, 2)), np.array([[3.0, 0.0], [0.0, 0.0]]),
                        "max_pool_backward with a tie", hint="give the gradient to the first maximum only (np.argmax)")
    # Overlapping windows (stride 1) add up, checked against tf.GradientTape.
    x = rng.standard_normal((2, 5, 5, 3))
    out, cache = s.call("max_pool_forward", x, 3, 1)
    dout = rng.standard_normal(np.shape(out))
    testing.check_shape(dout, (2, 3, 3, 3), "max_pool_forward's output with overlapping windows")
    testing.check_close(s.call("max_pool_backward", dout, cache), _max_pool_gradient(x, dout, 3, 1),
                        "max_pool_backward with overlapping windows", rtol=1e-9, atol=1e-9)


@check("test_avg_pool_forward")
def avg_pool_forward(s):
    (out,) = _outputs([s.call("avg_pool_forward", np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1), 2, 2)])
    testing.check_close(np.reshape(out, (2, 2)), np.array([[2.5, 4.5], [10.5, 12.5]]), "2x2 average pooling of 0..15")
    s.hidden()
    rng = np.random.default_rng(seed=8)
    cases = [(rng.standard_normal(shape), size, stride) for shape, size, stride in [((2, 6, 6, 3), 2, 2), ((1, 7, 7, 2), 3, 2)]]
    for (x, size, stride), out in zip(cases, _outputs(s.call_many("avg_pool_forward", cases))):
        testing.check_close(out, _avg_pool(x, size, stride), "avg_pool_forward against tf.nn.avg_pool2d on other shapes",
                            rtol=1e-9, atol=1e-9)


@check("test_avg_pool_backward")
def avg_pool_backward(s):
    _, cache = s.call("avg_pool_forward", np.zeros((1, 2, 2, 1)), 2, 2)
    dx = s.call("avg_pool_backward", np.array([[[[8.0]]]]), cache)
    testing.check_close(np.reshape(dx, (2, 2)), np.full((2, 2), 2.0), "the gradient of a 2x2 average pool", hint=(
        "each of the 4 positions gets 1/4 of the gradient"))
    rng = np.random.default_rng(seed=9)
    x = rng.standard_normal((2, 6, 6, 2))
    out, cache = s.call("avg_pool_forward", x, 2, 2)
    dout = rng.standard_normal(np.shape(out))
    testing.check_array_gradient(lambda x_: _avg_pool(x_, 2, 2), x, dout, s.call("avg_pool_backward", dout, cache), "avg_pool_backward dx")
    s.hidden()
    x = rng.standard_normal((1, 5, 5, 3))
    out, cache = s.call("avg_pool_forward", x, 3, 1)
    dout = rng.standard_normal(np.shape(out))
    testing.check_array_gradient(lambda x_: _avg_pool(x_, 3, 1), x, dout, s.call("avg_pool_backward", dout, cache),
                                 "avg_pool_backward dx with overlapping windows")


# -------------------------------------------------------------- conv_forward_im2col


@check("test_conv_forward_im2col")
def conv_forward_im2col(s):
    rng = np.random.default_rng(seed=10)
    x, w, b = rng.standard_normal((2, 6, 6, 3)), rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    got = s.call("conv_forward_im2col", x, w, b, 1, 1)
    testing.check_close(got, _conv2d(x, w, 1, 1) + b, "conv_forward_im2col against tf.nn.conv2d (SAME)", rtol=1e-10, atol=1e-10)
    s.hidden()
    cases = []
    for shape, f, c_out, stride, pad in [((3, 9, 9, 2), 3, 5, 2, 1), ((1, 8, 8, 1), 5, 2, 1, 2), ((2, 7, 5, 3), 3, 2, 2, 0), ((2, 4, 4, 2), 1, 3, 1, 0)]:
        x = rng.standard_normal(shape)
        w, b = rng.standard_normal((f, f, shape[-1], c_out)), rng.standard_normal(c_out)
        cases.append((x, w, b, stride, pad))
    for (x, w, b, stride, pad), out in zip(cases, s.call_many("conv_forward_im2col", cases)):
        testing.check_close(out, _conv2d(x, w, stride, pad) + b, "conv_forward_im2col against tf.nn.conv2d on other shapes, "
                            "filter sizes (1x1 included), strides and paddings", rtol=1e-10, atol=1e-10)


# -------------------------------------------------------------- apply_filter


@check("test_apply_filter")
def apply_filter(s):
    image = np.zeros((5, 5))
    image[2, 2] = 1.0
    edge_kernel = np.array([[-1.0, -1.0, -1.0], [-1.0, 8.0, -1.0], [-1.0, -1.0, -1.0]])
    feature_map, flat = s.call_many("apply_filter", [(image, edge_kernel), (np.ones((4, 6)), edge_kernel)])
    testing.check_shape(feature_map, (5, 5), "apply_filter on a 5x5 image")
    expected_map = np.zeros((5, 5))
    expected_map[1:4, 1:4] = -1.0
    expected_map[2, 2] = 8.0
    testing.check_close(feature_map, expected_map, "the edge detector on a single bright pixel", hint=(
        "stride 1 and zero padding (F - 1) / 2 keep the size; do not flip the kernel"))
    testing.check_close(np.asarray(flat)[1:-1, 1:-1], np.zeros((2, 4)), "the edge detector on a flat image (away from the border)")
    s.hidden()
    rng = np.random.default_rng(seed=11)
    image, kernel = rng.standard_normal((7, 9)), rng.standard_normal((5, 5))
    fmap, integers = s.call_many("apply_filter", [(image, kernel), (np.ones((3, 3), dtype=np.int64), np.ones((3, 3), dtype=np.int64))])
    testing.check_close(fmap, _conv2d(image[None, :, :, None], kernel[:, :, None, None], 1, 2)[0, :, :, 0],
                        "apply_filter against tf.nn.conv2d (a larger kernel)", rtol=1e-10, atol=1e-10,
                        hint="a kernel that is not symmetric shows whether it was flipped")
    testing.check_dtype(integers, np.float64, "apply_filter on integers")


# -------------------------------------------------------------- build_deck_cnn


def _layers_of(kind: str, layers: list) -> list:
    return [layer for layer in layers if kind in layer["kinds"]]


@check("test_build_deck_cnn")
def build_deck_cnn(s):
    (model,) = _kernel(s, _k_deck_cnn, ("build_deck_cnn",), [((28, 28, 1), 10, {}, 2)])
    if model["is_none"]:
        raise AssertionError("build_deck_cnn(...) is None: did you forget to `return` it at the end of your function?")
    testing.assert_that(model["is_model"], f"build_deck_cnn(...) should be a Model but is {'an' if model['type'][:1].lower() in 'aeiou' else 'a'} {model['type']}.")
    testing.check_shape(model["logits"], (2, 10), "the logits for 2 MNIST images")
    layers = model["layers"]
    param_counts = [layer["params"] for layer in layers if layer["params"] is not None and layer["params"] > 0]
    testing.assert_that(param_counts == [832, 51264, 3212288, 10250],
                        f"parameter counts per layer should be [832, 51264, 3212288, 10250], got {param_counts}")
    s.hidden()
    dropouts = _layers_of("dropout", layers)
    testing.assert_that(len(dropouts) == 1 and abs(dropouts[0]["rate"] - 0.25) < 1e-12, "one Dropout with rate 1 - keep_prob")
    half, small = _kernel(s, _k_deck_cnn, ("build_deck_cnn",), [((8, 8, 1), 10, {"keep_prob": 0.5}, 0), ((8, 8, 1), 3, {}, 4)])
    testing.assert_that(half["is_model"] and small["is_model"], "build_deck_cnn should return a tf.keras.Model")
    half_dropouts = _layers_of("dropout", half["layers"])
    testing.assert_that(len(half_dropouts) == 1 and abs(half_dropouts[0]["rate"] - 0.5) < 1e-12, "keep_prob is the probability to keep: Dropout(rate = 1 - keep_prob)")
    testing.assert_that(layers[-1]["config"]["activation"] in ("linear", None), "the output layer returns logits (no softmax)")
    testing.check_shape(small["logits"], (4, 3), "logits for 8x8 digits and another number of classes")
    convs = _layers_of("conv2d", layers)
    testing.assert_that([str(c["config"]["padding"]).lower() for c in convs] == ["same", "same"], "both convolutions use SAME padding")
    testing.assert_that(len(_layers_of("max_pooling2d", layers)) == 2, "two MaxPooling2D layers (max, not average, pooling)")
    after = layers[1:] + [None]
    relu_at = [layer["config"]["activation"] == "relu" or (nxt is not None and "relu" in nxt["kinds"])
               or (nxt is not None and "activation" in nxt["kinds"] and nxt["config"]["activation"] == "relu")
               for layer, nxt in zip(layers, after)]
    hidden_units = [i for i, layer in enumerate(layers) if "conv2d" in layer["kinds"]
                    or ("dense" in layer["kinds"] and layer["config"]["units"] == 1024)]
    testing.assert_that(len(hidden_units) == 3 and all(relu_at[i] for i in hidden_units),
                        "both convolutions and the 1024-unit layer use ReLU")
