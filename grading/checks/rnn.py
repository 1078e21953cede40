"""Trusted checks of notebook 08 (``solutions/08_rnn/rnn.ipynb``): RNN, LSTM and GRU in NumPy,
then a Keras sequence classifier.

Each check builds its inputs with the seeds of the notebook's test cell, asks the kernel for the
student's results (``Student.call``) and judges them here. Expected values come from Keras cells
and layers run in this process (the independent oracle of the notebook's tests), from values
written below, or, where the notebook's tests do so, from the student's own functions (caches of
the student's forward pass, the forward pass probed for numerical gradients). A model returned by
``build_sequence_classifier`` crosses as ``helpers.wire.KerasModel`` and is rebuilt and run here.
"""

from __future__ import annotations

import ast
import builtins
import functools
import os

import numpy as np

from grading.trusted.registry import check
from grading.trusted.student import BUILTIN_EXCEPTIONS
from helpers import testing, wire

NAME = "rnn"


# ------------------------------------------------------------------ helpers (grader side only)


@functools.cache
def _tf():
    """TensorFlow in the grader, imported on first use (after the notebook ran)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    return tf


def _cell_output(cell, x, states):
    tf = _tf()
    return cell(tf.constant(x), [tf.constant(s) for s in states])


def keras_simple_rnn_step(x, h, Wx, Wh, b) -> np.ndarray:
    """next_h of ``tf.keras.layers.SimpleRNNCell`` with these weights (float64)."""
    cell = _tf().keras.layers.SimpleRNNCell(Wx.shape[1], dtype="float64")
    cell.build((None, Wx.shape[0]))
    cell.set_weights([Wx, Wh, b])
    return _cell_output(cell, x, [h])[0].numpy()


def keras_simple_rnn(x, h0, Wx, Wh, b) -> np.ndarray:
    """Every state of ``SimpleRNN(return_sequences=True)`` from ``h0``, shape (N, T, H)."""
    tf = _tf()
    layer = tf.keras.layers.SimpleRNN(Wx.shape[1], return_sequences=True, dtype="float64")
    layer.build((None, x.shape[1], x.shape[2]))
    layer.set_weights([Wx, Wh, b])
    return layer(tf.constant(x), initial_state=[tf.constant(h0)]).numpy()


def keras_lstm_step(x, h, c, Wx, Wh, b) -> tuple[np.ndarray, np.ndarray]:
    """(next_h, next_c) of ``tf.keras.layers.LSTMCell`` with these weights (float64)."""
    cell = _tf().keras.layers.LSTMCell(h.shape[1], dtype="float64")
    cell.build((None, x.shape[1]))
    cell.set_weights([Wx, Wh, b])
    _, (next_h, next_c) = _cell_output(cell, x, [h, c])
    return next_h.numpy(), next_c.numpy()


def keras_lstm(x, Wx, Wh, b, h0=None) -> np.ndarray:
    """Every state of ``LSTM(return_sequences=True)``; from (h0, c0 = 0), or zero states."""
    tf = _tf()
    units = Wh.shape[0]
    layer = tf.keras.layers.LSTM(units, return_sequences=True, dtype="float64")
    layer.build((None, x.shape[1], x.shape[2]))
    layer.set_weights([Wx, Wh, b])
    if h0 is None:
        return layer(tf.constant(x)).numpy()
    return layer(tf.constant(x), initial_state=[tf.constant(h0), tf.zeros((x.shape[0], units), tf.float64)]).numpy()


def keras_gru_step(x, h, Wx, Wh, b) -> np.ndarray:
    """next_h of ``tf.keras.layers.GRUCell(reset_after=False)`` with these weights (float64)."""
    cell = _tf().keras.layers.GRUCell(h.shape[1], reset_after=False, dtype="float64")
    cell.build((None, x.shape[1]))
    cell.set_weights([Wx, Wh, b])
    return _cell_output(cell, x, [h])[0].numpy()


def _described(value) -> str:
    if isinstance(value, wire.Opaque):
        return "an object"
    return type(value).__name__


def _parts(value, count: int, message: str) -> list:
    """``value`` as a list of ``count`` items (a tuple or list of that length), else fail."""
    length = len(value) if isinstance(value, (tuple, list)) else None
    testing.assert_that(length == count,
                        f"{message}, got {_described(value)} of length {length if length is not None else 'none'}")
    return list(value)


def _item(value, index: int, what: str):
    """``value[index]`` of a returned tuple, with a message instead of an IndexError."""
    testing.assert_that(isinstance(value, (tuple, list)) and len(value) > index,
                        f"{what} should return a tuple with at least {index + 1} items, got {_described(value)}")
    return value[index]


def _outputs(s, name: str, calls: list, index: int | None) -> list:
    """The student's ``name`` on every argument tuple in one round trip; item ``index`` of each
    result (``None``: the result itself)."""
    results = s.call_many(name, calls)
    return results if index is None else [_item(r, index, name) for r in results]


def _replaced(args: tuple, position: int, value) -> tuple:
    out = list(args)
    out[position] = value
    return tuple(out)


def _rnn_gradient(s, forward: str, args: tuple, position: int, upstream, analytic, name: str, tol: float = 1e-7) -> None:
    """Check ``analytic`` against the numerical gradient of ``sum(forward(*args)[0] * upstream)``
    with respect to argument ``position``; the student's forward pass is probed in one round trip."""
    testing.check_array_gradient_batch(
        lambda points: _outputs(s, forward, [_replaced(args, position, p) for p in points], 0),
        args[position], upstream, analytic, name, tol=tol)


def _check_upstream_kept(before, after, name: str, likely: str) -> None:
    """The upstream gradient ``name`` came back unchanged from the call (the instructions forbid
    modifying it in place: a caller such as BPTT still reads it); ``likely`` names the usual slip."""
    try:
        testing.check_not_modified(before, after, name)
    except AssertionError as error:
        raise AssertionError(f"{error} Likely {likely}") from None


def _lstm_both(results: list) -> list:
    """[next_h, next_c] side by side for each result of lstm_step_forward."""
    both = []
    for result in results:
        next_h, next_c = _item(result, 0, "lstm_step_forward"), _item(result, 1, "lstm_step_forward")
        for part, label in ((next_h, "next_h"), (next_c, "next_c")):
            testing.require_plain_value(part, f"lstm_step_forward's {label}")
        both.append(np.concatenate([np.asarray(next_h, dtype=np.float64), np.asarray(next_c, dtype=np.float64)], axis=1))
    return both


def _lstm_gradient(s, args: tuple, position: int, upstream, analytic, name: str) -> None:
    """The notebook's ``lstm_both``: f(z) = [next_h, next_c] of the student's lstm_step_forward with
    argument ``position`` replaced by z, upstream gradient [dnext_h, dnext_c]."""
    testing.check_array_gradient_batch(
        lambda points: _lstm_both(s.call_many("lstm_step_forward", [_replaced(args, position, p) for p in points])),
        args[position], upstream, analytic, name)


# The reference namespace (``grading.trusted.reference``) holds only the setup and answer cells;
# lstm_step_forward and gru_step_forward call ``sigmoid``, which a locked cell of the notebook
# defines. A kernel ran the whole notebook; a LocalStudent (the tests of this module) gets the
# notebook's own ``sigmoid`` definition added to its functions' globals.
_HELPER_CELLS = ("sigmoid",)
_USES_HELPERS = ("lstm_step_forward", "gru_step_forward")


@functools.cache
def _helper_definitions() -> str:
    import nbformat

    from grading.trusted.reference import find_source

    nb = nbformat.read(str(find_source(NAME)), as_version=4)
    sources = []
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") in _HELPER_CELLS:
            tree = ast.parse(cell.source)
            tree.body = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
            sources.append(ast.unparse(tree))
    return "\n\n".join(sources)


def _with_notebook_helpers(s) -> None:
    namespace = getattr(s, "namespace", None)  # LocalStudent only; a KernelStudent has none
    if not isinstance(namespace, dict):
        return
    for name in _USES_HELPERS:
        scope = getattr(namespace.get(name), "__globals__", None)
        if isinstance(scope, dict) and not all(helper in scope for helper in _HELPER_CELLS):
            exec(compile(_helper_definitions(), f"<{NAME}.ipynb: helper cells>", "exec"), scope)  # noqa: S102 - the course's own


# ------------------------------------------------------------------ rnn_step_forward


@check("test_rnn_step_forward")
def rnn_step_forward_values(s):
    gen = np.random.default_rng(0)
    x, h = gen.standard_normal((3, 4)), gen.standard_normal((3, 5))
    Wx, Wh, b = gen.standard_normal((4, 5)), gen.standard_normal((5, 5)) * 0.5, gen.standard_normal(5)
    next_h, _ = _parts(s.call("rnn_step_forward", x, h, Wx, Wh, b), 2, "rnn_step_forward should return (next_h, cache)")
    testing.check_shape(next_h, (3, 5), "next_h for N=3, D=4, H=5")
    # Keras's SimpleRNNCell with the same weights is the oracle.
    testing.check_close(next_h, keras_simple_rnn_step(x, h, Wx, Wh, b), "next_h against tf.keras.layers.SimpleRNNCell",
                        rtol=1e-10, atol=1e-10, hint=("tanh(x @ Wx + prev_h @ Wh + b): rows are samples, "
                                                      "so the weights come second"))
    s.hidden()
    fixed = s.call("rnn_step_forward", np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]),
                   np.arange(6, dtype=np.float64).reshape(2, 3) / 10.0 - 0.2,
                   (np.arange(9, dtype=np.float64).reshape(3, 3) - 4.0) / 8.0, np.array([0.1, 0.0, -0.1]))
    testing.check_close(_item(fixed, 0, "rnn_step_forward"),
                        np.array([-0.049958374957879956, -0.17323515783466012, -0.29131261245159096, -0.13663996695649616,
                                  0.0, 0.13663996695649616]).reshape(2, 3), "rnn_step_forward on a fixed example")


@check("test_rnn_step_forward_edge_cases")
def rnn_step_forward_edge_cases(s):
    # A single sample with more input features than hidden units (D = 6 > H = 2).
    gen = np.random.default_rng(10)
    one_x, one_h = gen.standard_normal((1, 6)), gen.standard_normal((1, 2))
    Wx_one, Wh_one, b_one = gen.standard_normal((6, 2)), gen.standard_normal((2, 2)), gen.standard_normal(2)
    one_out, _ = _parts(s.call("rnn_step_forward", one_x, one_h, Wx_one, Wh_one, b_one), 2,
                        "rnn_step_forward should return (next_h, cache)")
    testing.check_close(one_out, np.tanh(one_x.dot(Wx_one) + one_h.dot(Wh_one) + b_one),
                        "rnn_step_forward for a single sample with D=6, H=2")
    s.hidden()
    weights_other = [gen.standard_normal((7, 3)), gen.standard_normal((3, 3)), gen.standard_normal(3)]
    x_other, h_other = gen.standard_normal((4, 7)), gen.standard_normal((4, 3))
    saturating = (np.full((2, 2), 500.0), np.zeros((2, 3)), np.ones((2, 3)), np.eye(3), np.zeros(3))
    big, other = _outputs(s, "rnn_step_forward", [saturating, (x_other, h_other, *weights_other)], 0)
    testing.check_close(big, np.ones((2, 3)), "rnn_step_forward with huge pre-activations (tanh saturates at 1)")
    testing.check_close(other, keras_simple_rnn_step(x_other, h_other, *weights_other),
                        "rnn_step_forward against SimpleRNNCell for N=4, D=7, H=3", rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ rnn_step_backward


def _rnn_step_case(gen):
    """x (4, 3), prev_h (4, 5), Wx (3, 5), Wh (5, 5), b (5,) and dnext_h (4, 5)."""
    args = (gen.standard_normal((4, 3)), gen.standard_normal((4, 5)), gen.standard_normal((3, 5)),
            gen.standard_normal((5, 5)) * 0.5, gen.standard_normal(5))
    return args, gen.standard_normal((4, 5))


def _rnn_step_single_case(gen):
    """The hidden single-sample case: x (1, 6), prev_h (1, 2), Wx (6, 2), Wh (2, 2), b (2,), d (1, 2)."""
    args = (gen.standard_normal((1, 6)), gen.standard_normal((1, 2)), gen.standard_normal((6, 2)),
            gen.standard_normal((2, 2)), gen.standard_normal(2))
    return args, gen.standard_normal((1, 2))


def _rnn_step_grads(s, args, upstream):
    _, cache = _parts(s.call("rnn_step_forward", *args), 2, "rnn_step_forward should return (next_h, cache)")
    return s.call("rnn_step_backward", upstream.copy(), cache)


@check("test_rnn_step_backward_inputs")
def rnn_step_backward_inputs(s):
    gen = np.random.default_rng(1)
    args, dnext = _rnn_step_case(gen)
    _, cache = _parts(s.call("rnn_step_forward", *args), 2, "rnn_step_forward should return (next_h, cache)")
    grads, after, _ = s.call_with_inputs("rnn_step_backward", dnext, cache)
    _parts(grads, 5, "rnn_step_backward should return (dx, dprev_h, dWx, dWh, db)")
    _check_upstream_kept(dnext, after[0], "dnext_h",
                         "`dnext_h *= 1 - next_h ** 2`: write `da = dnext_h * (1 - next_h ** 2)`, a new array.")
    _rnn_gradient(s, "rnn_step_forward", args, 0, dnext, grads[0], "dx")
    _rnn_gradient(s, "rnn_step_forward", args, 1, dnext, grads[1], "dprev_h")
    s.hidden()
    args_one, d_one = _rnn_step_single_case(gen)
    one_grads = _rnn_step_grads(s, args_one, d_one)
    _rnn_gradient(s, "rnn_step_forward", args_one, 0, d_one, _item(one_grads, 0, "rnn_step_backward"), "dx for a single sample")
    _rnn_gradient(s, "rnn_step_forward", args_one, 1, d_one, _item(one_grads, 1, "rnn_step_backward"),
                  "dprev_h for a single sample")


@check("test_rnn_step_backward_weights")
def rnn_step_backward_weights(s):
    gen = np.random.default_rng(11)
    args, dnext = _rnn_step_case(gen)
    grads = _rnn_step_grads(s, args, dnext)
    _rnn_gradient(s, "rnn_step_forward", args, 2, dnext, _item(grads, 2, "rnn_step_backward"), "dWx")
    s.hidden()
    _rnn_gradient(s, "rnn_step_forward", args, 3, dnext, _item(grads, 3, "rnn_step_backward"), "dWh")
    _rnn_gradient(s, "rnn_step_forward", args, 4, dnext, _item(grads, 4, "rnn_step_backward"), "db")
    args_one, d_one = _rnn_step_single_case(gen)
    one_grads = _rnn_step_grads(s, args_one, d_one)
    for position, name in [(2, "dWx"), (3, "dWh"), (4, "db")]:
        _rnn_gradient(s, "rnn_step_forward", args_one, position, d_one, _item(one_grads, position, "rnn_step_backward"),
                      f"{name} for a single sample")


# ------------------------------------------------------------------ rnn_forward


@check("test_rnn_forward")
def rnn_forward_values(s):
    gen = np.random.default_rng(2)
    x, h0 = gen.standard_normal((3, 6, 4)), gen.standard_normal((3, 5))
    Wx, Wh, b = gen.standard_normal((4, 5)), gen.standard_normal((5, 5)) * 0.5, gen.standard_normal(5)
    h, _ = _parts(s.call("rnn_forward", x, h0, Wx, Wh, b), 2, "rnn_forward should return (h, cache)")
    testing.check_shape(h, (3, 6, 5), "h for N=3, T=6, D=4, H=5 (batch first: (N, T, H))")
    testing.check_close(h, keras_simple_rnn(x, h0, Wx, Wh, b), "h against tf.keras.layers.SimpleRNN(return_sequences=True)",
                        rtol=1e-10, atol=1e-10, hint=("start from h0, feed each step the previous step's state, "
                                                      "store the state of step t at h[:, t]"))
    s.hidden()
    fixed = s.call("rnn_forward", np.arange(12, dtype=np.float64).reshape(2, 3, 2) / 6.0 - 1.0,
                   np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]), np.arange(6, dtype=np.float64).reshape(2, 3) / 10.0 - 0.2,
                   (np.arange(9, dtype=np.float64).reshape(3, 3) - 4.0) / 8.0, np.array([0.1, 0.0, -0.1]))
    testing.check_close(_item(fixed, 0, "rnn_forward"),
                        np.array([0.26052044583550266, 0.008333140437456954, -0.24491866240370913, -0.009197938338652949,
                                  -0.21925466417274594, -0.4107788389988174, 0.07914521427792638, -0.1494646788527194,
                                  -0.3631388046061151, 0.24883137539561212, 0.18130656540177173, 0.1120277810892399,
                                  -0.035723521691913694, 0.015364109701111715, 0.06637164892334292, 0.0823472641229284,
                                  0.13741090382263765, 0.19163814688022307]).reshape(2, 3, 3), "rnn_forward on a fixed example")


@check("test_rnn_forward_edge_cases")
def rnn_forward_edge_cases(s):
    # One step only, with Wx = 0: the state is tanh(h0 Wh + b).
    gen = np.random.default_rng(12)
    h0_one, Wh_one, b_one = gen.standard_normal((2, 5)), gen.standard_normal((5, 5)), gen.standard_normal(5)
    h_one, _ = _parts(s.call("rnn_forward", gen.standard_normal((2, 1, 3)), h0_one, np.zeros((3, 5)), Wh_one, b_one), 2,
                      "rnn_forward should return (h, cache)")
    testing.check_shape(h_one, (2, None, 5), "h for N=2, T=1, H=5")
    testing.check_close(np.asarray(h_one)[:, 0], np.tanh(h0_one @ Wh_one + b_one),
                        "rnn_forward with T=1 and Wx = 0 (only h0 and b matter)")
    s.hidden()
    weights_other = [gen.standard_normal((1, 2)), gen.standard_normal((2, 2)), gen.standard_normal(2)]
    x_other, h0_other = gen.standard_normal((1, 9, 1)), gen.standard_normal((1, 2))
    testing.check_close(_item(s.call("rnn_forward", x_other, h0_other, *weights_other), 0, "rnn_forward"),
                        keras_simple_rnn(x_other, h0_other, *weights_other),
                        "rnn_forward against SimpleRNN for one sequence of 9 steps, D=1, H=2", rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ rnn_backward


def _rnn_sequence_case(gen):
    """x (2, 5, 3), h0 (2, 4), Wx (3, 4), Wh (4, 4), b (4,) and dh (2, 5, 4)."""
    args = (gen.standard_normal((2, 5, 3)), gen.standard_normal((2, 4)), gen.standard_normal((3, 4)),
            gen.standard_normal((4, 4)) * 0.5, gen.standard_normal(4))
    return args, gen.standard_normal((2, 5, 4))


def _rnn_sequence_grads(s, args, upstream):
    _, cache = _parts(s.call("rnn_forward", *args), 2, "rnn_forward should return (h, cache)")
    return s.call("rnn_backward", upstream.copy(), cache)


@check("test_rnn_backward_inputs")
def rnn_backward_inputs(s):
    gen = np.random.default_rng(3)
    args, dh = _rnn_sequence_case(gen)
    _, cache = _parts(s.call("rnn_forward", *args), 2, "rnn_forward should return (h, cache)")
    grads, after, _ = s.call_with_inputs("rnn_backward", dh, cache)
    _parts(grads, 5, "rnn_backward should return (dx, dh0, dWx, dWh, db)")
    _check_upstream_kept(dh, after[0], "dh",
                         "`dh[:, t] += dprev_h`: pass `dh[:, t] + dprev_h` (a new array) to rnn_step_backward instead.")
    _rnn_gradient(s, "rnn_forward", args, 0, dh, grads[0], "dx", tol=1e-6)
    s.hidden()
    _rnn_gradient(s, "rnn_forward", args, 1, dh, grads[1], "dh0", tol=1e-6)


@check("test_rnn_backward_weights")
def rnn_backward_weights(s):
    gen = np.random.default_rng(13)
    args, dh = _rnn_sequence_case(gen)
    grads = _rnn_sequence_grads(s, args, dh)
    _rnn_gradient(s, "rnn_forward", args, 3, dh, _item(grads, 3, "rnn_backward"), "dWh", tol=1e-6)
    s.hidden()
    _rnn_gradient(s, "rnn_forward", args, 2, dh, _item(grads, 2, "rnn_backward"), "dWx", tol=1e-6)
    _rnn_gradient(s, "rnn_forward", args, 4, dh, _item(grads, 4, "rnn_backward"), "db", tol=1e-6)


@check("test_rnn_backward_many_to_one")
def rnn_backward_many_to_one(s):
    # Many to one: only the last state has a loss; the gradient must still reach every step.
    gen = np.random.default_rng(14)
    args = (gen.standard_normal((3, 6, 2)), gen.standard_normal((3, 4)), gen.standard_normal((2, 4)),
            gen.standard_normal((4, 4)) * 0.5, gen.standard_normal(4))
    upstream = np.zeros((3, 6, 4))
    upstream[:, -1] = gen.standard_normal((3, 4))
    last_grads = _rnn_sequence_grads(s, args, upstream)
    _rnn_gradient(s, "rnn_forward", args, 0, upstream, _item(last_grads, 0, "rnn_backward"),
                  name="dx when only the last step has a gradient", tol=1e-6)
    s.hidden()
    _rnn_gradient(s, "rnn_forward", args, 3, upstream, _item(last_grads, 3, "rnn_backward"),
                  name="dWh when only the last step has a gradient", tol=1e-6)
    _rnn_gradient(s, "rnn_forward", args, 1, upstream, _item(last_grads, 1, "rnn_backward"),
                  name="dh0 when only the last step has a gradient", tol=1e-6)


# ------------------------------------------------------------------ lstm_step_forward


@check("test_lstm_step_forward")
def lstm_step_forward_values(s):
    _with_notebook_helpers(s)
    gen = np.random.default_rng(4)
    x, h, c = gen.standard_normal((3, 4)), gen.standard_normal((3, 5)), gen.standard_normal((3, 5))
    Wx, Wh, b = gen.standard_normal((4, 20)), gen.standard_normal((5, 20)) * 0.5, gen.standard_normal(20)
    next_h, next_c, _ = _parts(s.call("lstm_step_forward", x, h, c, Wx, Wh, b), 3,
                               "lstm_step_forward should return (next_h, next_c, cache)")
    testing.check_shape(next_h, (3, 5), "next_h for N=3, D=4, H=5")
    testing.check_shape(next_c, (3, 5), "next_c for N=3, D=4, H=5")
    expected_h, expected_c = keras_lstm_step(x, h, c, Wx, Wh, b)
    testing.check_close(next_c, expected_c, "next_c against tf.keras.layers.LSTMCell",
                        rtol=1e-10, atol=1e-10, hint="blocks in the order [i, f, g, o]; next_c = f * prev_c + i * g")
    testing.check_close(next_h, expected_h, "next_h against tf.keras.layers.LSTMCell",
                        rtol=1e-10, atol=1e-10, hint="next_h = o * tanh(next_c), with the new cell state")
    s.hidden()
    fixed = s.call("lstm_step_forward", np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]),
                   np.array([[0.3, -0.6, 0.9], [1.2, 0.0, -0.3]]), np.sin(np.arange(24.0)).reshape(2, 12),
                   np.cos(np.arange(36.0)).reshape(3, 12) / 2.0, np.linspace(-1.0, 1.0, 12))
    fixed_h, fixed_c = _item(fixed, 0, "lstm_step_forward"), _item(fixed, 1, "lstm_step_forward")
    testing.check_close(fixed_c, np.array([0.31708176079766215, -0.07748810858010308, 0.5494816366964552, 0.4539131235235795,
                                           0.7016836849603407, 0.7928191049991039]).reshape(2, 3), "next_c on a fixed example")
    testing.check_close(fixed_h, np.array([0.1544296248290926, -0.047878006342017686, 0.38997469786004374, 0.36027722632055426,
                                           0.2496527356327363, 0.13634733909125077]).reshape(2, 3), "next_h on a fixed example")


@check("test_lstm_step_forward_gates")
def lstm_step_forward_gates(s):
    _with_notebook_helpers(s)
    # A forget gate wide open and an input gate shut: the cell state passes unchanged, and o = sigmoid(0) = 0.5.
    gen = np.random.default_rng(15)
    c_keep = gen.standard_normal((2, 3))
    bias = np.concatenate([np.full(3, -60.0), np.full(3, 60.0), np.zeros(3), np.zeros(3)])  # i shut, f open, o = 0.5
    h_out, c_out, _ = _parts(s.call("lstm_step_forward", gen.standard_normal((2, 2)), np.zeros((2, 3)), c_keep,
                                    np.zeros((2, 12)), np.zeros((3, 12)), bias), 3,
                             "lstm_step_forward should return (next_h, next_c, cache)")
    testing.check_close(c_out, c_keep, "next_c with f = 1 and i = 0 (should equal prev_c)",
                        rtol=1e-12, atol=1e-12, hint="the forget gate is the second block of H columns, the input gate the first")
    testing.check_close(h_out, 0.5 * np.tanh(c_keep),
                        "next_h with o = 0.5 (zero pre-activation)", rtol=1e-12, atol=1e-12)
    s.hidden()
    weights_other = [gen.standard_normal((6, 8)), gen.standard_normal((2, 8)), gen.standard_normal(8)]
    x_other, h_other, c_other = gen.standard_normal((1, 6)), gen.standard_normal((1, 2)), gen.standard_normal((1, 2))
    other = s.call("lstm_step_forward", x_other, h_other, c_other, *weights_other)
    other_h, other_c = _item(other, 0, "lstm_step_forward"), _item(other, 1, "lstm_step_forward")
    keras_h, keras_c = keras_lstm_step(x_other, h_other, c_other, *weights_other)
    testing.check_close(other_c, keras_c, "next_c against LSTMCell for one sample, D=6, H=2", rtol=1e-10, atol=1e-10)
    testing.check_close(other_h, keras_h, "next_h against LSTMCell for one sample, D=6, H=2", rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ lstm_step_backward


def _lstm_step_case(gen):
    """x (3, 4), prev_h (3, 5), prev_c (3, 5), Wx (4, 20), Wh (5, 20), b (20,), dnext_h and dnext_c (3, 5)."""
    args = (gen.standard_normal((3, 4)), gen.standard_normal((3, 5)), gen.standard_normal((3, 5)),
            gen.standard_normal((4, 20)) * 0.5, gen.standard_normal((5, 20)) * 0.5, gen.standard_normal(20))
    return args, gen.standard_normal((3, 5)), gen.standard_normal((3, 5))


def _lstm_step_grads(s, args, dnext_h, dnext_c):
    _, _, cache = _parts(s.call("lstm_step_forward", *args), 3, "lstm_step_forward should return (next_h, next_c, cache)")
    return s.call("lstm_step_backward", dnext_h.copy(), dnext_c.copy(), cache)


@check("test_lstm_step_backward_inputs")
def lstm_step_backward_inputs(s):
    _with_notebook_helpers(s)
    gen = np.random.default_rng(5)
    input_args, dh, dc = _lstm_step_case(gen)
    _, _, cache = _parts(s.call("lstm_step_forward", *input_args), 3,
                         "lstm_step_forward should return (next_h, next_c, cache)")
    grads, after, _ = s.call_with_inputs("lstm_step_backward", dh, dc, cache)
    _parts(grads, 6, "lstm_step_backward should return (dx, dprev_h, dprev_c, dWx, dWh, db)")
    _check_upstream_kept(dh, after[0], "dnext_h", "an in-place update such as `dnext_h *= ...`: compute new arrays.")
    _check_upstream_kept(dc, after[1], "dnext_c",
                         "`dnext_c += dnext_h * o * (1 - tanh_c ** 2)`: write `dc = dnext_c + ...`, a new array.")
    # Both outputs of the step at once: f(z) = [next_h, next_c], upstream gradient [dnext_h, dnext_c].
    d_both = np.concatenate([dh, dc], axis=1)
    _lstm_gradient(s, input_args, 0, d_both, grads[0], "dx")
    _lstm_gradient(s, input_args, 1, d_both, grads[1], "dprev_h")
    _lstm_gradient(s, input_args, 2, d_both, grads[2], "dprev_c")
    s.hidden()
    # Another shape: one sample, D = 6 > H = 2.
    args_one = (gen.standard_normal((1, 6)), gen.standard_normal((1, 2)), gen.standard_normal((1, 2)),
                gen.standard_normal((6, 8)) * 0.5, gen.standard_normal((2, 8)) * 0.5, gen.standard_normal(8))
    d_one = gen.standard_normal((1, 4))
    one_grads = _lstm_step_grads(s, args_one, d_one[:, :2], d_one[:, 2:])
    for position, name in [(0, "dx"), (1, "dprev_h"), (2, "dprev_c")]:
        _lstm_gradient(s, args_one, position, d_one, _item(one_grads, position, "lstm_step_backward"),
                       f"{name} for one sample with D=6, H=2")


@check("test_lstm_step_backward_weights")
def lstm_step_backward_weights(s):
    _with_notebook_helpers(s)
    gen = np.random.default_rng(16)
    weight_args, dh, dc = _lstm_step_case(gen)
    grads = _lstm_step_grads(s, weight_args, dh, dc)
    d_both = np.concatenate([dh, dc], axis=1)
    _lstm_gradient(s, weight_args, 5, d_both, _item(grads, 5, "lstm_step_backward"), "db")
    s.hidden()
    _lstm_gradient(s, weight_args, 3, d_both, _item(grads, 3, "lstm_step_backward"), "dWx")
    _lstm_gradient(s, weight_args, 4, d_both, _item(grads, 4, "lstm_step_backward"), "dWh")


@check("test_lstm_step_backward_paths")
def lstm_step_backward_paths(s):
    _with_notebook_helpers(s)
    # Only the cell-state gradient arrives (dnext_h = 0): the path through C alone.
    gen = np.random.default_rng(17)
    path_args = (gen.standard_normal((2, 3)), gen.standard_normal((2, 4)), gen.standard_normal((2, 4)),
                 gen.standard_normal((3, 16)) * 0.5, gen.standard_normal((4, 16)) * 0.5, gen.standard_normal(16))
    dc_only = gen.standard_normal((2, 4))
    only_c = _lstm_step_grads(s, path_args, np.zeros((2, 4)), dc_only)
    upstream_c = np.concatenate([np.zeros((2, 4)), dc_only], axis=1)  # [dnext_h = 0, dnext_c]
    _lstm_gradient(s, path_args, 2, upstream_c, _item(only_c, 2, "lstm_step_backward"), "dprev_c when dnext_h = 0")
    s.hidden()
    _lstm_gradient(s, path_args, 5, upstream_c, _item(only_c, 5, "lstm_step_backward"), "db when dnext_h = 0")
    # Only the output gradient arrives (dnext_c = 0): next_h also reaches C through tanh.
    dh_only = gen.standard_normal((2, 4))
    only_h = _lstm_step_grads(s, path_args, dh_only, np.zeros((2, 4)))
    upstream_h = np.concatenate([dh_only, np.zeros((2, 4))], axis=1)  # [dnext_h, dnext_c = 0]
    _lstm_gradient(s, path_args, 2, upstream_h, _item(only_h, 2, "lstm_step_backward"), "dprev_c when dnext_c = 0")
    _lstm_gradient(s, path_args, 0, upstream_h, _item(only_h, 0, "lstm_step_backward"), "dx when dnext_c = 0")


# ------------------------------------------------------------------ lstm_forward


@check("test_lstm_forward")
def lstm_forward_values(s):
    _with_notebook_helpers(s)
    gen = np.random.default_rng(6)
    x, h0 = gen.standard_normal((2, 7, 3)), gen.standard_normal((2, 4))
    Wx, Wh, b = gen.standard_normal((3, 16)), gen.standard_normal((4, 16)) * 0.5, gen.standard_normal(16)
    h, _ = _parts(s.call("lstm_forward", x, h0, Wx, Wh, b), 2, "lstm_forward should return (h, cache)")
    testing.check_shape(h, (2, 7, 4), "h for N=2, T=7, D=3, H=4")
    testing.check_close(h, keras_lstm(x, Wx, Wh, b, h0=h0), "h against tf.keras.layers.LSTM(return_sequences=True) with c0 = 0",
                        rtol=1e-10, atol=1e-10, hint="carry both h and c from step to step; c starts at zeros (not at h0)")
    s.hidden()
    fixed = s.call("lstm_forward", np.arange(12.0).reshape(2, 3, 2) / 6.0 - 1.0, np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]),
                   np.sin(np.arange(24.0)).reshape(2, 12), np.cos(np.arange(36.0)).reshape(3, 12) / 2.0,
                   np.linspace(-1.0, 1.0, 12))
    testing.check_close(_item(fixed, 0, "lstm_forward"),
                        np.array([0.10649237744965552, -0.04078118160959065, -0.07060678593789266, 0.1291167558974973,
                                  -0.055186208880114634, -0.12787350668936634, 0.10972364244593973, -0.028906874404028157,
                                  -0.09211307207388668, -0.01077424945204542, 0.08758404566627105, 0.1706500300212328,
                                  -0.06335650984626161, 0.18688415703220992, 0.27003797813763025, -0.1354606747759,
                                  0.26753793053697245, 0.23903994469146939]).reshape(2, 3, 3), "lstm_forward on a fixed example")


@check("test_lstm_forward_edge_cases")
def lstm_forward_edge_cases(s):
    _with_notebook_helpers(s)
    # One step only: lstm_forward is a single lstm_step_forward from c0 = 0.
    gen = np.random.default_rng(18)
    x_one, h0_one = gen.standard_normal((1, 1, 3)), gen.standard_normal((1, 4))
    weights_one = (gen.standard_normal((3, 16)), gen.standard_normal((4, 16)) * 0.5, gen.standard_normal(16))
    h_one, _ = _parts(s.call("lstm_forward", x_one, h0_one, *weights_one), 2, "lstm_forward should return (h, cache)")
    # As in the notebook, the expected state is the student's own lstm_step_forward (from c0 = 0).
    expected_one = _item(s.call("lstm_step_forward", x_one[:, 0], h0_one, np.zeros((1, 4)), *weights_one), 0,
                         "lstm_step_forward")
    testing.require_plain_value(expected_one, "lstm_step_forward's next_h")
    testing.check_shape(h_one, (1, None, 4), "h for N=1, T=1, H=4")
    testing.check_close(np.asarray(h_one)[:, 0], expected_one, "lstm_forward with T=1 (one step from c0 = 0)",
                        hint="c0 is zeros, not h0")
    s.hidden()
    weights_other = [gen.standard_normal((5, 12)) * 0.5, gen.standard_normal((3, 12)) * 0.5, gen.standard_normal(12)]
    x_other, h0_other = gen.standard_normal((3, 10, 5)), np.zeros((3, 3))
    testing.check_close(_item(s.call("lstm_forward", x_other, h0_other, *weights_other), 0, "lstm_forward"),
                        keras_lstm(x_other, *weights_other),
                        "lstm_forward against LSTM for N=3, T=10, D=5, H=3 from zero states", rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ gru_step_forward


@check("test_gru_step_forward")
def gru_step_forward_values(s):
    _with_notebook_helpers(s)
    gen = np.random.default_rng(7)
    x, h = gen.standard_normal((3, 4)), gen.standard_normal((3, 5))
    Wx, Wh, b = gen.standard_normal((4, 15)), gen.standard_normal((5, 15)) * 0.5, gen.standard_normal(15)
    next_h = s.call("gru_step_forward", x, h, Wx, Wh, b)
    testing.check_shape(next_h, (3, 5), "next_h for N=3, D=4, H=5")
    testing.check_close(next_h, keras_gru_step(x, h, Wx, Wh, b), "next_h against tf.keras.layers.GRUCell(reset_after=False)",
                        rtol=1e-10, atol=1e-10, hint=("blocks [z, r, h]; the candidate uses (r * prev_h) @ Wh_h; "
                                                      "next_h = (1 - z) * candidate + z * prev_h"))
    s.hidden()
    weights_other = [gen.standard_normal((6, 6)), gen.standard_normal((2, 6)), gen.standard_normal(6)]
    x_other, h_other = gen.standard_normal((1, 6)), gen.standard_normal((1, 2))
    fixed, other = s.call_many("gru_step_forward", [
        (np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, 0.0]]),
         np.sin(np.arange(24.0)).reshape(2, 12)[:, :9], (np.cos(np.arange(36.0)).reshape(3, 12) / 2.0)[:, :9],
         np.linspace(-1.0, 1.0, 12)[:9]),
        (x_other, h_other, *weights_other)])
    testing.check_close(fixed, np.array([0.4069447968127829, 0.2482404121935142, 0.14259765166645708, -0.568942442402628,
                                         0.6054054977536147, 0.17386269470090007]).reshape(2, 3),
                        "gru_step_forward on a fixed example")
    testing.check_close(other, keras_gru_step(x_other, h_other, *weights_other),
                        "gru_step_forward against GRUCell for one sample, D=6, H=2", rtol=1e-10, atol=1e-10)


@check("test_gru_step_forward_gates")
def gru_step_forward_gates(s):
    _with_notebook_helpers(s)
    # Update gate open (z = 1): the state passes unchanged.
    gen = np.random.default_rng(19)
    x_gate, h_gate = gen.standard_normal((3, 4)), gen.standard_normal((3, 5))
    Wx_gate, Wh_gate, b_gate = gen.standard_normal((4, 15)), gen.standard_normal((5, 15)) * 0.5, gen.standard_normal(15)
    z_open = np.concatenate([np.full(5, 60.0), b_gate[5:]])
    testing.check_close(s.call("gru_step_forward", x_gate, h_gate, Wx_gate, Wh_gate, z_open), h_gate,
                        "gru_step_forward with z = 1 (should return prev_h)", rtol=1e-12,
                        atol=1e-12, hint="next_h = (1 - z) * candidate + z * prev_h, with z from the first block")
    s.hidden()
    # Update gate shut (z = 0) and reset gate shut (r = 0): the new state is tanh(x Uh + bh) alone.
    shut_bias = np.concatenate([np.full(5, -60.0), np.full(5, -60.0), b_gate[10:]])
    testing.check_close(s.call("gru_step_forward", x_gate, h_gate, Wx_gate, Wh_gate, shut_bias),
                        np.tanh(x_gate @ Wx_gate[:, 10:] + b_gate[10:]), "gru_step_forward with z = 0 and r = 0",
                        rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ build_sequence_classifier


def _cell_classes() -> dict:
    layers = _tf().keras.layers
    return {"rnn": layers.SimpleRNNCell, "lstm": layers.LSTMCell, "gru": layers.GRUCell}


def _model(value, call: str):
    """The student's model, rebuilt here from its configuration and weights."""
    if not isinstance(value, wire.KerasModel):
        found = "None" if value is None else _described(value)
        raise AssertionError(f"{call} should be a tf.keras.Model but is {found}"
                             + (": did you forget to `return` the model?" if value is None else "."))
    try:
        return value.rebuild()
    except Exception as exc:  # noqa: BLE001 - whatever Keras says, the model cannot be checked
        raise AssertionError(f"{call}: the model could not be rebuilt from its configuration "
                             f"({type(exc).__name__}); build it from Keras's own layers (Sequential or the functional API), "
                             "without Lambda layers or custom classes") from None


def recurrent_cells(model) -> list:
    """The recurrent cells of a model in order (layers such as LSTM or RNN(cell), and stacked cells)."""
    keras_layers = _tf().keras.layers
    recurrent = [layer.cell for layer in model.layers if isinstance(layer, keras_layers.RNN)]
    return [inner for outer in recurrent
            for inner in (outer.cells if isinstance(outer, keras_layers.StackedRNNCells) else [outer])]


def expected_parameters(cells, features: int, num_classes: int) -> int:
    """Parameters of these recurrent cells stacked on ``features`` inputs, then Dense(num_classes)."""
    keras_layers = _tf().keras.layers
    blocks = {keras_layers.SimpleRNNCell: 1, keras_layers.LSTMCell: 4, keras_layers.GRUCell: 3}
    count, inputs = 0, features
    for rnn_cell in cells:
        bias_rows = 2 if getattr(rnn_cell, "reset_after", False) else 1
        count += blocks[type(rnn_cell)] * rnn_cell.units * (inputs + rnn_cell.units + bias_rows)
        inputs = rnn_cell.units
    return count + (inputs + 1) * num_classes


def _run(model, inputs: np.ndarray) -> np.ndarray:
    return np.asarray(model(inputs))


def _check_raises_value_error(s, call: str, *args, **kwargs) -> None:
    """``testing.check_raises(ValueError, build_sequence_classifier, ...)`` across the wire."""
    raised = s.raises("build_sequence_classifier", *args, **kwargs)
    if raised is None:
        raise AssertionError(f"{call} should raise ValueError for these inputs but returned a value. Check the inputs at "
                             "the start of the function and raise ValueError when they are invalid.")
    if raised.type not in _VALUE_ERRORS:
        # Only a built-in exception's name is shown, never the message (see grading.trusted.student).
        kind = raised.type if raised.type in BUILTIN_EXCEPTIONS else "an exception of its own class"
        raise AssertionError(f"{call} should raise ValueError for these inputs but raised {kind}. Raise "
                             'ValueError explicitly for this case (e.g. `raise ValueError("...")`) before the computation fails.')


#: ValueError and its built-in subclasses; a class the student defines is only a name here (a
#: subclass of ValueError of the student's own does not count).
_VALUE_ERRORS = frozenset(name for name, value in vars(builtins).items()
                          if isinstance(value, type) and issubclass(value, ValueError))


@check("test_build_sequence_classifier")
def build_sequence_classifier_kinds(s):
    kinds = ["rnn", "lstm", "gru"]
    results = s.call_many("build_sequence_classifier", [(kind, 8, 8, 16, 10) for kind in kinds])
    cell_classes = _cell_classes()
    sequences = np.random.default_rng(0).standard_normal((5, 8, 8)).astype(np.float32)
    for kind, result in zip(kinds, results):
        model = _model(result, f"build_sequence_classifier({kind!r}, ...)")
        cells = recurrent_cells(model)
        testing.assert_that(len(cells) == 1, f"{kind}: expected one recurrent layer, found {len(cells)}")
        expected_class = cell_classes[kind]
        testing.assert_that(type(cells[0]) is expected_class,
                            f"{kind}: expected a {expected_class.__name__[:-4]} layer, found {type(cells[0]).__name__}")
        testing.assert_that(cells[0].units == 16, f"{kind}: the recurrent layer should have 16 units")
        logits = _run(model, sequences)
        testing.check_shape(logits, (5, 10), f"{kind} model output for 5 sequences")
        testing.assert_that(bool((logits < 0).any()) and not np.allclose(logits.sum(axis=1), 1.0),
                            f"{kind}: the output should be logits (no softmax activation on the last layer)")
        expected, found = expected_parameters(cells, 8, 10), model.count_params()
        testing.assert_that(found == expected, f"{kind}: {found} parameters, expected {expected} "
                                               "(one recurrent layer and one Dense layer, nothing else)")
    s.hidden()
    lstm_result, wide_result = s.call_many("build_sequence_classifier", [("lstm", 8, 8, 16, 10), ("rnn", 20, 1, 7, 3)])
    lstm_model = _model(lstm_result, "build_sequence_classifier('lstm', 8, 8, 16, 10)")
    _run(lstm_model, np.zeros((1, 8, 8), np.float32))
    testing.assert_that(lstm_model.count_params() == 4 * 16 * (8 + 16 + 1) + 16 * 10 + 10,
                        "an LSTM(16) on 8 features plus Dense(10) has the wrong number of parameters "
                        "(one LSTM layer and one Dense layer, nothing else)")
    wide_model = _model(wide_result, "build_sequence_classifier('rnn', 20, 1, 7, 3)")
    testing.check_shape(_run(wide_model, np.zeros((2, 20, 1), np.float32)), (2, 3),
                        "output for timesteps=20, features=1, num_classes=3")
    testing.assert_that(wide_model.count_params() == 7 * (1 + 7 + 1) + 7 * 3 + 3,
                        "parameters of SimpleRNN(7) on 1 feature plus Dense(3)")


@check("test_build_sequence_classifier_stacked")
def build_sequence_classifier_stacked(s):
    stacked = _model(s.call("build_sequence_classifier", "gru", 8, 8, 12, 10, num_layers=3),
                     "build_sequence_classifier('gru', 8, 8, 12, 10, num_layers=3)")
    stacked_cells = recurrent_cells(stacked)
    testing.assert_that(len(stacked_cells) == 3, f"num_layers=3: expected three recurrent layers, found {len(stacked_cells)}")
    testing.check_shape(_run(stacked, np.zeros((2, 8, 8), np.float32)), (2, 10), "output of a 3-layer GRU classifier")
    testing.assert_that(stacked.count_params() == expected_parameters(stacked_cells, 8, 10),
                        "a stacked model has the recurrent layers and one Dense layer, nothing else")
    _check_raises_value_error(s, "build_sequence_classifier('transformer', 8, 8, 12, 10)", "transformer", 8, 8, 12, 10)
    s.hidden()
    two_check = _model(s.call("build_sequence_classifier", "lstm", 5, 3, 4, 2, num_layers=2),
                       "build_sequence_classifier('lstm', 5, 3, 4, 2, num_layers=2)")
    _run(two_check, np.zeros((1, 5, 3), np.float32))
    two_cells = recurrent_cells(two_check)
    testing.assert_that([type(c) for c in two_cells] == [_cell_classes()["lstm"]] * 2,
                        "num_layers=2 with 'lstm' stacks two LSTM layers")
    testing.assert_that(two_check.count_params() == 4 * 4 * (3 + 4 + 1) + 4 * 4 * (4 + 4 + 1) + 4 * 2 + 2,
                        "parameters of LSTM(4) -> LSTM(4) -> Dense(2) on 3 features")
    _check_raises_value_error(s, "build_sequence_classifier('rnn', 8, 8, 12, 10, num_layers=0)", "rnn", 8, 8, 12, 10,
                              num_layers=0)
