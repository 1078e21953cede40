"""Trusted checks of notebook 06 (``solutions/06_tensorflow/tensorflow_basics.ipynb``).

Most exercises of this notebook take TensorFlow objects (a ``tf.Variable``, a Keras model and
optimizer, a ``tf.data`` pipeline, files in the kernel's folders) or are judged by what they do
to them, and such objects cannot cross the wire (``helpers.wire``): the checker cannot hand a
``tf.Variable`` to ``s.call``. So each check sends a *scenario* to the kernel: a function of
this module (the ``_k_*`` functions, self-contained: they import what they need) that builds
the same objects as the notebook's test cell, calls the student's function on them and
returns plain data (arrays, numbers, strings, flags such as "was the result a tf.Variable?").
Every verdict is decided here, on that data; expected values never enter the kernel.

How a scenario reaches the kernel: ``grading/trusted/scenarios.py``.
"""

from __future__ import annotations

import functools

import numpy as np

from grading.trusted.registry import check
from grading.trusted.scenarios import Scenarios
from helpers import testing

#: The notebook's answer functions, any of which can carry the installing call.
_VEHICLES = ("tensor_info", "double_in_place", "train_step", "make_dataset", "csv_dataset",
             "train_with_checkpoints", "log_scalars", "seeded_weights")


# ============================================================== kernel side (sent as source)


def _k_tensor_info(ns, cases):
    import tensorflow as tf

    results = []
    for kind, value, dtype in cases:
        if kind == "constant":
            value = tf.constant(value) if dtype is None else tf.constant(value, dtype=dtype)
        elif kind == "zeros":
            value = tf.zeros(value, dtype=dtype)
        results.append(ns["tensor_info"](value))
    return results


def _k_pow(ns, pairs, trace):
    import tensorflow as tf

    fn = ns["pow_of_sum_and_product"]
    results = [fn(tf.constant(x), tf.constant(y)) for x, y in pairs]
    out = {"results": results, "tensor": [hasattr(r, "numpy") for r in results],
           "decorated": isinstance(fn, type(tf.function(lambda: 0))) or hasattr(fn, "get_concrete_function"),
           "ops": None}
    if trace and hasattr(fn, "get_concrete_function"):
        traced = fn.get_concrete_function(tf.TensorSpec([], tf.float32), tf.TensorSpec([], tf.float32))
        out["ops"] = len(traced.graph.get_operations())
    return out


def _k_double(ns, initial, calls):
    import tensorflow as tf

    variable = tf.Variable(initial)
    returned = [ns["double_in_place"](variable) for _ in range(calls)]
    # Read after every call (as the notebook's test does): a live view shows the last value.
    return {"is_variable": [isinstance(r, tf.Variable) for r in returned],
            "tensor": [hasattr(r, "numpy") for r in returned],
            "returned": returned, "variable": variable.numpy()}


def _k_linear_variables(ns, in_features, out_features, seed, calls):
    import tensorflow as tf

    layer = ns["Linear"](in_features, out_features, seed=seed)
    for _ in range(calls):
        layer(tf.ones([2, in_features]))
    return {"variables": list(layer.trainable_variables),
            "w": getattr(layer, "w", None), "b": getattr(layer, "b", None)}


def _k_linear_call(ns, in_features, out_features, seed, assign, x, as_tensor):
    import tensorflow as tf

    layer = ns["Linear"](in_features, out_features, seed=seed)
    if assign is not None:
        layer.w.assign(assign[0])
        layer.b.assign(assign[1])
    out = layer(tf.constant(x) if as_tensor else x)
    return {"out": out, "tensor": hasattr(out, "numpy"), "w": layer.w.numpy(), "b": layer.b.numpy()}


def _k_train_step(ns, x, y, learning_rate, loss="mse", seed=0):
    import tensorflow as tf

    def pinball(y_true, y_pred):
        # the quantile (pinball) loss at level 0.8: not symmetric in its two arguments
        residual = y_true - y_pred
        return tf.reduce_mean(tf.maximum(0.8 * residual, -0.2 * residual))

    loss_fns = {"mse": tf.keras.losses.MeanSquaredError(), "bce": tf.keras.losses.BinaryCrossentropy(from_logits=True),
                "pinball": pinball}
    # a Keras layer as the model (so that this exercise does not depend on Linear); bias starts at 0
    tf.keras.utils.set_random_seed(seed=seed)
    layer = tf.keras.layers.Dense(1)
    layer.build((None, x.shape[1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    w_before = layer.kernel.numpy().copy()
    loss_value = ns["train_step"](layer, optimizer, loss_fns[loss], tf.constant(x), tf.constant(y))
    return {"w_before": w_before, "loss": loss_value, "w_after": layer.kernel.numpy()}


def _k_train_step_compiled(ns, x, y, learning_rate, steps):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed=0)
    tf.keras.layers.Dense(1).build((None, 1))  # the same random state as in the notebook's test
    compiled_step = tf.function(ns["train_step"])
    layer = tf.keras.layers.Dense(1)
    layer.build((None, x.shape[1]))
    optimizer = tf.keras.optimizers.SGD(learning_rate=learning_rate)
    x, y = tf.constant(x), tf.constant(y)
    loss_fn = tf.keras.losses.MeanSquaredError()  # one object: a new Python argument each call would retrace
    return [float(compiled_step(layer, optimizer, loss_fn, x, y)) for _ in range(steps)]


def _k_make_dataset(ns, x, y, batch_size, kwargs, epochs, first_batch_only):
    import tensorflow as tf

    tf.random.set_seed(seed=0)  # the global seed the notebook's test ran under
    dataset = ns["make_dataset"](x, y, batch_size, **kwargs)
    if not isinstance(dataset, tf.data.Dataset):
        return {"is_dataset": False}
    if first_batch_only:
        return {"is_dataset": True, "first": tuple(next(iter(dataset)))}
    limit = len(x) + 1  # more batches than samples: a dataset that repeats (stops it)
    runs = []
    for _ in range(epochs):
        batches = []
        for xb, yb in dataset:
            batches.append((xb, yb))
            if len(batches) > limit:
                break
        runs.append(batches)
    return {"is_dataset": True, "epochs": runs}


def _k_csv_dataset(ns, text, filename, label_column, batch_size, take):
    import os
    import tempfile

    import tensorflow as tf

    tf.random.set_seed(seed=0)
    path = os.path.join(tempfile.mkdtemp(), filename)
    with open(path, "w") as handle:
        handle.write(text)
    batches = []
    for features, labels in ns["csv_dataset"](path, label_column, batch_size).take(take):
        is_dict = isinstance(features, dict)
        batches.append({"is_dict": is_dict, "features": dict(features) if is_dict else features,
                        "labels": labels})
    return batches


def _k_checkpoints(ns, folder, seed, x, y, total_steps, save_every, max_to_keep=None):
    import os
    import tempfile

    import tensorflow as tf

    class Counting(tf.keras.Model):
        # a Keras model (not the student's Linear, so that this exercise is graded on its own) that counts its calls
        def __init__(self, seed):
            tf.keras.Model.__init__(self)
            tf.keras.utils.set_random_seed(seed=seed)
            self.dense = tf.keras.layers.Dense(units=1)
            self.call_count = 0

        def call(self, inputs):
            self.call_count = self.call_count + 1
            return self.dense(inputs)

    folder = folder or tempfile.mkdtemp()
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    model, optimizer = Counting(seed), tf.keras.optimizers.SGD(0.1)
    model(tf.zeros([1, x.shape[1]]))  # build the weights before training
    keep = {} if max_to_keep is None else {"max_to_keep": max_to_keep}
    final = ns["train_with_checkpoints"](model, optimizer, dataset, folder, total_steps, save_every, **keep)
    state = tf.train.get_checkpoint_state(folder)
    return {"folder": folder, "final": final, "latest": tf.train.latest_checkpoint(folder),
            "kept": None if state is None else [os.path.basename(p) for p in state.all_model_checkpoint_paths],
            "iterations": int(optimizer.iterations)}


def _k_checkpoints_restore(ns, x, runs):
    import tempfile

    import tensorflow as tf

    def dense_model(num_inputs, seed):
        tf.keras.utils.set_random_seed(seed=seed)
        return tf.keras.Sequential([tf.keras.Input(shape=(num_inputs,)), tf.keras.layers.Dense(units=1)])

    dataset = tf.data.Dataset.from_tensor_slices((x, x[:, :1] * 3.0)).batch(4)
    folders, out = {}, []
    for seed, optimizer_name, learning_rate, folder_key, total_steps, save_every in runs:
        folder = folders.setdefault(folder_key, tempfile.mkdtemp())
        model = dense_model(x.shape[1], seed)
        optimizer = getattr(tf.keras.optimizers, optimizer_name)(learning_rate)
        ns["train_with_checkpoints"](model, optimizer, dataset, folder, total_steps, save_every)
        out.append({"kernel": model.layers[0].kernel.numpy(), "iterations": int(optimizer.iterations)})
    return out


def _k_log_scalars(ns, name, values, read_names):
    import os
    import tempfile

    import tensorflow as tf

    logdir = tempfile.mkdtemp()
    ns["log_scalars"](logdir, name, values)
    files = sorted(os.listdir(logdir))
    pairs = {tag: [] for tag in read_names}
    for filename in files:  # the notebook's read_scalars
        path = os.path.join(logdir, filename)
        for event in tf.compat.v1.train.summary_iterator(path):
            for summary_value in event.summary.value:
                if summary_value.tag in pairs:
                    pairs[summary_value.tag].append((int(event.step), float(tf.make_ndarray(summary_value.tensor))))
    return {"files": len(files), "pairs": {tag: sorted(found) for tag, found in pairs.items()}}


def _k_seeded_weights(ns, seed, other_seed, shape):
    import numpy as np
    import tensorflow as tf

    fn = ns["seeded_weights"]
    tf.random.set_seed(seed=0)  # a known global state: a stateful op then differs after the reset to 123 below
    first = fn(seed, shape)
    out = {"first": first, "first_type": type(first).__name__, "first_is_ndarray": isinstance(first, np.ndarray)}
    tf.random.uniform(shape=[5])  # other random ops in between must not matter
    tf.random.set_seed(seed=123)
    out["again"] = fn(seed, shape)
    out["other"] = fn(other_seed, shape)
    return out


# ============================================================== checker side


_kernel = Scenarios(_VEHICLES).run


#: ``tf.random.stateless_normal(shape, seed=(seed, 0))`` as this course's TensorFlow computes it
#: (float32, exact): importing TensorFlow into the grading process costs seconds, so these
#: values are tried first; a value that differs from them is compared with TensorFlow itself.
_STATELESS_NORMAL = {
    ((3, 2), 1): [0.12665030360221863, -0.4930165708065033, 0.6311907172203064,
                  -0.7888465523719788, 0.5683088898658752, -1.5569937229156494],
    ((3,), 7): [-0.6741727590560913, -0.35869255661964417, -1.8795816898345947],
}


def _stateless_normal(shape: tuple, seed: int, scale: float, found, rtol: float = 1e-7, atol: float = 1e-9) -> np.ndarray:
    """``scale * tf.random.stateless_normal(shape, seed=(seed, 0))`` (float32), from the values
    above when ``found`` matches them, else from TensorFlow (another TensorFlow version)."""
    known = scale * np.array(_STATELESS_NORMAL[(shape, seed)], dtype=np.float32).reshape(shape)
    try:
        if np.shape(found) == shape and np.allclose(np.asarray(found, dtype=np.float64), known, rtol=rtol, atol=atol):
            return known
    except (TypeError, ValueError):
        pass
    import tensorflow as tf

    return scale * tf.random.stateless_normal(shape, seed=(seed, 0)).numpy()


# -------------------------------------------------------------- tensor_info


@check("test_tensor_info")
def tensor_info(s):
    scalar, info = _kernel(s, _k_tensor_info, ("tensor_info",),
                           [("constant", 3.0, None), ("zeros", [2, 3], "int32")])
    testing.assert_that(scalar == (0, (), "float32"), "a scalar: (0, (), 'float32')")
    testing.assert_that(info == (2, (2, 3), "int32"), f"tf.zeros([2, 3], int32) should give (2, (2, 3), 'int32'), got {info}")
    testing.assert_that(all(type(v) is int for v in info[1]) and type(info[0]) is int, "rank and shape entries should be python ints")
    testing.assert_that(type(info[1]) is tuple, f"the shape should be a python tuple (tuple(t.shape)), got {type(info[1]).__name__}")
    s.hidden()
    nested, array, strings = _kernel(s, _k_tensor_info, ("tensor_info",),
                                     [("value", [[1, 2, 3]], None), ("value", np.zeros((4, 1, 2)), None),
                                      ("constant", ["a", "b"], None)])
    testing.assert_that(nested == (2, (1, 3), "int32"), "a nested Python list of ints")
    testing.assert_that(array == (3, (4, 1, 2), "float64"), "a float64 NumPy array keeps its dtype")
    testing.assert_that(strings == (1, (2,), "string"), "a string tensor")


# -------------------------------------------------------------- pow_of_sum_and_product


@check("test_pow_of_sum_and_product")
def pow_of_sum_and_product(s):
    out = _kernel(s, _k_pow, ("pow_of_sum_and_product",), [(2.0, 3.0)], False)
    testing.check_close(float(out["results"][0]), 7776.0, "(2 * 3) ** (2 + 3)", rtol=1e-5, hint="tf.pow(x * y, x + y)")
    testing.assert_that(out["decorated"], "keep the @tf.function decorator")
    s.hidden()
    out = _kernel(s, _k_pow, ("pow_of_sum_and_product",), [(1.5, 2.0), ([1.0, 2.0], [2.0, 1.0])], True)
    testing.check_close(float(out["results"][0]), 3.0 ** 3.5, "x = 1.5, y = 2", rtol=1e-5)
    testing.assert_that(out["tensor"][1], "pow_of_sum_and_product should return a tf.Tensor")
    testing.check_close(out["results"][1], [8.0, 8.0], "element-wise on vectors", rtol=1e-5)
    testing.assert_that(out["ops"] is not None and out["ops"] >= 3, "the function should trace into a graph with operations")


# -------------------------------------------------------------- double_in_place


@check("test_double_in_place")
def double_in_place(s):
    out = _kernel(s, _k_double, ("double_in_place",), 2.0, 3)
    testing.assert_that(not out["is_variable"][0],
                        "double_in_place returned the variable itself: v.assign(...) returns the variable (a live view that keeps changing); "
                        "return v.read_value() instead")
    testing.check_close([float(value) for value in out["returned"]], [4.0, 8.0, 16.0], "three calls from 2", hint="v.assign(v * 2)")
    testing.check_close(float(out["variable"]), 16.0, "the variable itself after three calls (it must change in place)")
    s.hidden()
    vector = _kernel(s, _k_double, ("double_in_place",), [1.0, -2.0, 0.5], 1)
    testing.assert_that(vector["tensor"][0], "double_in_place should return a tf.Tensor (v.read_value()), not a NumPy array or a number")
    testing.check_close(vector["returned"][0], [2.0, -4.0, 1.0], "a vector variable")
    testing.check_close(vector["variable"], [2.0, -4.0, 1.0], "the vector variable after the call")
    snapshot = _kernel(s, _k_double, ("double_in_place",), 3.0, 2)
    testing.check_close(float(snapshot["returned"][0]), 6.0, "the first returned value after a second call (a snapshot, not a live view)")


# -------------------------------------------------------------- Linear


def _check_linear_attributes(out: dict) -> None:
    testing.assert_that(out["w"] is not None and out["b"] is not None,
                        "Linear should keep its variables as self.w (in_features, out_features) and self.b (out_features,)")


@check("test_Linear_variables")
def linear_variables(s):
    out = _kernel(s, _k_linear_variables, ("Linear",), 3, 2, 1, 0)
    variables = out["variables"]
    testing.assert_that(len(variables) == 2, f"Linear should own exactly 2 variables, found {len(variables)}")
    shapes = sorted(tuple(np.shape(v)) for v in variables)
    testing.assert_that(shapes == [(2,), (3, 2)], f"variable shapes should be (3, 2) and (2,), got {shapes}")
    _check_linear_attributes(out)
    testing.check_close(out["w"], _stateless_normal((3, 2), 1, 0.1, out["w"]), "the initial w", hint=(
        "0.1 * tf.random.stateless_normal([in, out], seed=(seed, 0))"))
    testing.check_close(out["b"], np.zeros(2), "the initial b")
    s.hidden()
    called = _kernel(s, _k_linear_variables, ("Linear",), 4, 5, 2, 3)
    testing.assert_that(len(called["variables"]) == 2, "calling the layer must not create new variables")


@check("test_Linear_call")
def linear_call(s):
    assign = ([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], [0.5, 0.0, -0.5])
    out = _kernel(s, _k_linear_call, ("Linear",), 2, 3, 0, assign, np.array([[1.0, 1.0], [0.0, 2.0]], np.float32), True)
    testing.assert_that(out["tensor"], "Linear should return a tf.Tensor (tf.matmul(x, self.w) + self.b)")
    testing.check_close(out["out"], [[3.5, 1.0, -1.5], [4.5, 2.0, -0.5]], "Linear on a 2x2 batch", hint="x @ w + b")
    s.hidden()
    x_big = np.random.default_rng(0).normal(size=(5, 6)).astype(np.float32)
    big = _kernel(s, _k_linear_call, ("Linear",), 6, 4, 3, None, x_big, False)
    testing.assert_that(big["tensor"], "Linear should return a tf.Tensor (tf.matmul(x, self.w) + self.b)")
    testing.check_close(big["out"], x_big @ big["w"] + big["b"], "Linear on random inputs", rtol=1e-5)


# -------------------------------------------------------------- train_step


@check("test_train_step")
def train_step(s):
    x, y = np.array([[1.0], [2.0]], np.float32), np.array([[2.0], [4.0]], np.float32)
    out = _kernel(s, _k_train_step, ("train_step",), x, y, 0.1)
    w_before = np.asarray(out["w_before"], dtype=np.float64)
    testing.check_shape(w_before, (1, 1), "the Dense layer's kernel")
    loss_expected = float(np.mean((np.array([[1.0], [2.0]]) * w_before - np.array([[2.0], [4.0]])) ** 2))
    testing.check_close(float(out["loss"]), loss_expected, "the returned loss (computed before the update)", rtol=1e-5)
    w_gradient = float(np.mean(2 * (np.array([1.0, 2.0]) * w_before[0, 0] - np.array([2.0, 4.0])) * np.array([1.0, 2.0])))
    testing.check_close(np.asarray(out["w_after"])[0, 0], w_before[0, 0] - 0.1 * w_gradient, "w after one SGD step", rtol=1e-5, hint=(
        "tape.gradient(loss, model.trainable_variables), then optimizer.apply_gradients"))
    # An asymmetric loss: mean squared error cannot tell loss_fn(y, model(x)) from loss_fn(model(x), y).
    x_bce, y_bce = np.array([[1.0], [-2.0], [0.5]], np.float32), np.array([[1.0], [0.0], [1.0]], np.float32)
    bce = _kernel(s, _k_train_step, ("train_step",), x_bce, y_bce, 0.5, "bce", 1)
    z = x_bce[:, 0].astype(np.float64) * float(np.asarray(bce["w_before"])[0, 0])
    labels = y_bce[:, 0].astype(np.float64)
    expected = float(np.mean(np.logaddexp(0.0, z) - labels * z))
    swapped = float(np.mean(np.logaddexp(0.0, labels) - labels * z))  # BinaryCrossentropy(y_true=z, y_pred=labels)
    found = float(np.asarray(bce["loss"]))
    testing.assert_that(not (np.isclose(found, swapped, rtol=1e-5) and not np.isclose(found, expected, rtol=1e-5)),
                        f"with BinaryCrossentropy(from_logits=True) the loss should be {expected:.6f}, got {found:.6f}, which is "
                        "loss_fn(model(x), y): Keras losses take (y_true, y_pred), so call loss_fn(y, model(x))")
    testing.check_close(found, expected, "the binary cross-entropy loss", rtol=1e-5, hint=(
        "Keras losses take (y_true, y_pred): loss_fn(y, model(x)), not loss_fn(model(x), y)"))
    s.hidden()
    x_fn = np.random.default_rng(1).normal(size=(16, 3)).astype(np.float32)
    y_fn = x_fn @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    losses = _kernel(s, _k_train_step_compiled, ("train_step",), x_fn, y_fn, 0.05, 200)
    testing.assert_that(losses[-1] < 0.05 * losses[0], f"200 steps under tf.function should fit a linear map: loss {losses[0]:.3f} -> {losses[-1]:.4f}")
    # another asymmetric loss, a plain function: the quantile (pinball) loss at level 0.8
    rng = np.random.default_rng(4)
    x_q = rng.normal(size=(6, 2)).astype(np.float32)
    y_q = (x_q @ np.array([[1.0], [-1.0]]) + rng.normal(size=(6, 1))).astype(np.float32)
    quantile = _kernel(s, _k_train_step, ("train_step",), x_q, y_q, 0.1, "pinball", 2)
    w0 = np.asarray(quantile["w_before"], dtype=np.float64)
    testing.check_shape(w0, (2, 1), "the Dense layer's kernel")
    residual = y_q.astype(np.float64) - x_q.astype(np.float64) @ w0
    dz = np.where(residual > 0, -0.8, 0.2) / len(residual)
    hint = "a loss that is not symmetric: call loss_fn(y, model(x)), the truth first"
    testing.check_close(float(np.asarray(quantile["loss"])), float(np.mean(np.maximum(0.8 * residual, -0.2 * residual))),
                        "the loss returned for a quantile loss", rtol=1e-5, hint=hint)
    testing.check_close(quantile["w_after"], w0 - 0.1 * x_q.T.astype(np.float64) @ dz, "w after one step with a quantile loss",
                        rtol=1e-5, atol=1e-6, hint=hint)


# -------------------------------------------------------------- make_dataset


def _labels(batches: list) -> np.ndarray:
    return np.concatenate([np.asarray(yb) for _, yb in batches]) if batches else np.zeros(0)


@check("test_make_dataset")
def make_dataset(s):
    x, y = np.arange(10, dtype=np.float32).reshape(10, 1), np.arange(10)
    out = _kernel(s, _k_make_dataset, ("make_dataset",), x, y, 4, {"shuffle": True, "seed": 1}, 2, False)
    testing.assert_that(out["is_dataset"], "make_dataset should return a tf.data.Dataset")
    first_epoch, second_epoch = out["epochs"]
    testing.assert_that([len(yb) for _, yb in first_epoch] == [4, 4, 2], f"batch sizes should be [4, 4, 2], got {[len(yb) for _, yb in first_epoch]}")
    first_labels = _labels(first_epoch)
    testing.assert_that(sorted(first_labels.tolist()) == list(range(10)), "every sample exactly once per epoch")
    testing.assert_that(all(np.array_equal(np.asarray(xb)[:, 0], yb) for xb, yb in first_epoch), "x and y must stay paired")
    testing.assert_that(not np.array_equal(first_labels, np.arange(10)), "shuffle=True should change the order")
    testing.assert_that(not np.array_equal(first_labels, _labels(second_epoch)), "a new order every epoch (reshuffle_each_iteration=True)")
    s.hidden()
    not_dataset = "make_dataset should return a tf.data.Dataset"
    ordered = _kernel(s, _k_make_dataset, ("make_dataset",), x, y, 3, {"shuffle": False}, 1, False)
    testing.assert_that(ordered["is_dataset"], not_dataset)
    testing.check_close(_labels(ordered["epochs"][0]), np.arange(10), "shuffle=False keeps the order")
    x_big, y_big = np.arange(500, dtype=np.float32), np.arange(500)
    first = _kernel(s, _k_make_dataset, ("make_dataset",), x_big, y_big, 50, {"shuffle": True, "seed": 0}, 1, True)
    testing.assert_that(first["is_dataset"], not_dataset)
    testing.assert_that(np.asarray(first["first"][1]).max() > 250, "shuffle over the whole set (buffer_size=len(x)), not a small buffer")
    same_seed = [_kernel(s, _k_make_dataset, ("make_dataset",), x, y, 4, {"seed": 5}, 1, False) for _ in range(2)]
    testing.assert_that(all(run["is_dataset"] for run in same_seed), not_dataset)
    testing.check_close(_labels(same_seed[0]["epochs"][0]), _labels(same_seed[1]["epochs"][0]),
                        "two datasets with the same seed give the same first epoch")


# -------------------------------------------------------------- csv_dataset


@check("test_csv_dataset")
def csv_dataset(s):
    houses = "rooms,area,price\n3,70.5,210\n2,48.0,150\n4,95.25,300\n1,30.0,90\n5,120.0,380\n"
    batches = _kernel(s, _k_csv_dataset, ("csv_dataset",), houses, "houses.csv", "price", 2, 4)  # take(4): a dataset that repeats would never end
    testing.assert_that(len(batches) == 3, f"5 rows in batches of 2 should give 3 batches, got {len(batches)}")
    first = batches[0]
    testing.assert_that(first["is_dict"] and sorted(first["features"]) == ["area", "rooms"],
                        f"features should be a dict with keys area and rooms, got {first['features'] if not first['is_dict'] else sorted(first['features'])}")
    testing.check_close(np.concatenate([np.asarray(b["labels"]) for b in batches]).astype(float), [210, 150, 300, 90, 380], "the labels, in file order")
    testing.check_close(np.concatenate([np.asarray(b["features"]["area"]) for b in batches]).astype(float), [70.5, 48.0, 95.25, 30.0, 120.0], "the area column")
    s.hidden()
    flowers = "label,width,height\n0,1.5,2.0\n1,3.0,4.5\n2,0.5,0.25\n"
    flower_batches = _kernel(s, _k_csv_dataset, ("csv_dataset",), flowers, "flowers.csv", "label", 5, 3)
    testing.assert_that(len(flower_batches) == 1 and flower_batches[0]["is_dict"] and sorted(flower_batches[0]["features"]) == ["height", "width"],
                        "label in the first column")
    testing.check_close(np.asarray(flower_batches[0]["labels"]).astype(float), [0, 1, 2], "labels from the first column")


# -------------------------------------------------------------- train_with_checkpoints


@functools.cache
def _checkpoint_data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(2).normal(size=(32, 2)).astype(np.float32)
    return x, x @ np.array([[2.0], [-1.0]], dtype=np.float32)


@check("test_train_with_checkpoints")
def train_with_checkpoints(s):
    x, y = _checkpoint_data()
    out = _kernel(s, _k_checkpoints, ("train_with_checkpoints",), None, 0, x, y, 10, 4)
    final = out["final"]
    testing.assert_that(final == 10 and type(final) is int, f"10 steps should return the python int 10, got {final!r}")
    saved = out["latest"]
    testing.assert_that(saved is not None and saved.endswith("-10"), f"the last checkpoint should be numbered 10, got {saved}")
    kept = out["kept"]
    testing.assert_that(kept == ["ckpt-4", "ckpt-8", "ckpt-10"],
                        f"saving every 4 steps and at the end should keep ckpt-4, ckpt-8, ckpt-10, got {kept}")
    keep_two = _kernel(s, _k_checkpoints, ("train_with_checkpoints",), None, 1, x, y, 12, 2, 2)
    testing.assert_that(keep_two["kept"] == ["ckpt-10", "ckpt-12"],
                        f"max_to_keep=2 should keep only ckpt-10 and ckpt-12, got {keep_two['kept']}: "
                        "pass max_to_keep to tf.train.CheckpointManager")
    s.hidden()
    keep_five = _kernel(s, _k_checkpoints, ("train_with_checkpoints",), None, 3, x, y, 16, 2, 5)
    kept_five = keep_five["kept"]
    testing.assert_that(kept_five == [f"ckpt-{step}" for step in range(8, 17, 2)],
                        f"with another max_to_keep the checkpoints kept are wrong ({0 if kept_five is None else len(kept_five)} kept): "
                        "pass max_to_keep to tf.train.CheckpointManager")
    # an "interrupted" run resumes: a fresh model and optimizer, the same folder, a larger total
    resumed = _kernel(s, _k_checkpoints, ("train_with_checkpoints",), out["folder"], 5, x, y, 14, 4)
    testing.assert_that(resumed["final"] == 14, f"resuming should return the new total_steps, got {resumed['final']}")
    testing.assert_that(resumed["iterations"] == 14,
                        f"after resuming, the optimizer should count the restored steps and the new ones, got {resumed['iterations']} iterations: "
                        "put the optimizer and the step in the Checkpoint and restore before training")
    testing.assert_that(resumed["kept"] is not None and len(resumed["kept"]) <= 3,
                        f"max_to_keep=3 should keep at most 3 checkpoints, found {None if resumed['kept'] is None else len(resumed['kept'])}")
    testing.assert_that(resumed["latest"] is not None and resumed["latest"].endswith("-14"), "the last checkpoint should be numbered with the final step")


@check("test_train_with_checkpoints_restores")
def train_with_checkpoints_restores(s):
    # The restored weights are the saved ones: continuing 0 extra steps returns the saved model unchanged.
    x = np.random.default_rng(3).normal(size=(16, 3)).astype(np.float32)
    model_a, model_b = _kernel(s, _k_checkpoints_restore, ("train_with_checkpoints",), x,
                               [(1, "SGD", 0.05, "same", 6, 3), (9, "SGD", 0.05, "same", 6, 3)])
    testing.check_close(model_b["kernel"], model_a["kernel"], "weights restored into a fresh model (total_steps already reached)", hint=(
        "checkpoint.restore(manager.latest_checkpoint) before training, with the model in the Checkpoint"))
    s.hidden()
    (model_c,) = _kernel(s, _k_checkpoints_restore, ("train_with_checkpoints",), x, [(2, "Adam", 0.01, "new", 5, 10)])
    testing.assert_that(model_c["iterations"] == 5, f"the optimizer should have made total_steps steps, made {model_c['iterations']}")


# -------------------------------------------------------------- log_scalars


@check("test_log_scalars")
def log_scalars(s):
    out = _kernel(s, _k_log_scalars, ("log_scalars",), "loss", [1.0, 0.5, 0.25], ["loss"])
    testing.assert_that(out["files"] >= 1, "log_scalars should write an event file into logdir")
    pairs = out["pairs"]["loss"]
    testing.assert_that([step for step, _ in pairs] == [0, 1, 2], f"steps should be [0, 1, 2], got {[step for step, _ in pairs]}")
    testing.check_close([value for _, value in pairs], [1.0, 0.5, 0.25], "the logged values", rtol=1e-6)
    s.hidden()
    values = np.linspace(0.1, 0.9, 9)
    two = _kernel(s, _k_log_scalars, ("log_scalars",), "accuracy", values, ["accuracy", "loss"])
    testing.check_close([value for _, value in two["pairs"]["accuracy"]], values, "nine values from a NumPy array", rtol=1e-6)
    testing.assert_that(two["pairs"]["loss"] == [], "only the given name is written")


# -------------------------------------------------------------- seeded_weights


@check("test_seeded_weights")
def seeded_weights(s):
    out = _kernel(s, _k_seeded_weights, ("seeded_weights",), 3, 4, (2, 4))
    first = out["first"]
    testing.assert_that(out["first_is_ndarray"] and np.shape(first) == (2, 4), f"expected a (2, 4) NumPy array, got {out['first_type']}")
    testing.check_close(out["again"], first, "a second call with seed 3", rtol=0, atol=0, hint=(
        "a stateless op (tf.random.stateless_normal) depends on its seed argument only"))
    testing.assert_that(not np.allclose(out["other"], first), "seed 4 should give other weights")
    s.hidden()
    small, sample = s.call_many("seeded_weights", [(7, (3,)), (11, (200, 50))])
    testing.check_close(small, _stateless_normal((3,), 7, 1.0, small), "seed 7, shape (3,)")
    testing.check_close(np.asarray(sample).std(), 1.0, "the standard deviation of normal weights", rtol=0.03)
