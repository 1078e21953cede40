"""Trusted checks of notebook 03 (``solutions/03_backprop/backprop.ipynb``): one per graded cell.

Each check repeats the visible cases of its test cell, then (after ``s.hidden()``) the hidden
cases that used to live in the notebook. Expected values come from literals, independent
oracles (SciPy, plain NumPy formulas for what the notebook checks with TensorFlow) or the
student's own forward pass, exactly as
the notebook's hidden tests had them.

Three things the probe cannot do on its own are done by isolation stand-ins below that are
never called: the probe executes their source in the kernel just before it makes the calls of
the request that names them (``isolate={...}``), and executing it does the work.

- ``_course_kernel_arguments``: arguments that are not data (a ``np.random.Generator`` for
  ``xavier_init``/``iterate_minibatches``, the function ``f`` given to ``numerical_gradient``)
  are sent as placeholders (``_rng``, ``_fn``) and built in the kernel.
- ``_course_float_errors_raise`` / ``_course_overflow_raise`` and
  ``_course_float_errors_restore``: today's ``with np.errstate(over="raise", ...)`` around a
  call (overflow checks of ``sigmoid_forward`` and ``two_layer_net_loss``).

Partial credit: ``two_layer_net_loss`` and ``train_two_layer_net`` are graded with the earlier
exercises replaced by the reference stand-ins ``_ref_*`` (today's ``testing.isolate``), in the
visible cases too, as the notebook's grading run did.
"""

from __future__ import annotations


import numpy as np

from grading.trusted.mistakes import explained
from grading.trusted.oracles import standardized_digits_split
from grading.trusted.registry import check
from grading.trusted.student import StudentCallError
from helpers import testing, wire

_MARK = "course-kernel-argument"


# ----------------------------------------------------------------------------- stand-ins
# Reference layers and training pieces (sent as source, executed in the kernel with only `np`).

def _ref_affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def _ref_affine_backward(dout, cache):
    x_c, w_c, _ = cache
    return dout @ w_c.T, x_c.T @ dout, dout.sum(axis=0)


def _ref_relu_forward(x):
    return np.maximum(x, 0.0), x


def _ref_relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def _ref_loss(params, X, y=None, reg=0.0):
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    scores = hidden @ params["W2"] + params["b2"]
    if y is None: return scores  # noqa: E701
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    d_scores = (np.exp(log_p) - np.eye(scores.shape[1])[y]) / n
    d_hidden = (d_scores @ params["W2"].T) * (hidden > 0)
    penalty = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return float(-np.mean(log_p[np.arange(n), y]) + penalty), {
        "W1": X.T @ d_hidden + reg * params["W1"], "b1": d_hidden.sum(axis=0),
        "W2": hidden.T @ d_scores + reg * params["W2"], "b2": d_scores.sum(axis=0)}


def _ref_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _ref_xavier(fan_in, fan_out, rng):
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out))


class _course_kernel_arguments:
    """Never called. Built in the kernel (the probe executes this source just before the calls
    of the request that names it), it replaces every placeholder ``{"course-kernel-argument":
    kind, ...}`` among that request's arguments with the object it describes: ``rng`` a
    ``np.random.default_rng(seed)`` (placeholders with the same ``share`` key get the same
    generator), ``recorder`` the function sum(z**2) that keeps a copy of each z it sees (it
    goes back over the wire as that list), other kinds the functions below."""

    def _build_arguments():
        import sys

        import numpy

        mark = "course-kernel-argument"

        class Recorder:
            def __init__(self):
                self.seen = []

            def __call__(self, z):
                self.seen.append(numpy.array(z, dtype=float, copy=True))
                return float(numpy.sum(numpy.asarray(z) ** 2))

            def __iter__(self):
                return iter(self.seen)

            def __next__(self):
                raise StopIteration

        def build(spec, shared):
            key = spec.get("share")
            if key is not None and key in shared:
                return shared[key]
            kind = spec[mark]
            if kind == "rng":
                value = numpy.random.default_rng(spec["seed"])
            elif kind == "recorder":
                value = Recorder()
            elif kind == "sum_of_squares":
                value = lambda z: float(numpy.sum(z ** 2))  # noqa: E731
            elif kind == "weighted_sin":
                weights = numpy.asarray(spec["A"])
                value = lambda z: float(numpy.sum(numpy.sin(z) * weights))  # noqa: E731
            elif kind == "cubic":
                value = lambda z: float(z[0] ** 3 + z[1] * z[2])  # noqa: E731
            elif kind == "quartic":
                value = lambda z: float(numpy.sum(z ** 4))  # noqa: E731
            elif kind == "product":
                value = lambda z: float(numpy.prod(z))  # noqa: E731
            else:
                raise ValueError(f"unknown kernel argument {kind!r}")
            if key is not None:
                shared[key] = value
            return value

        def replace(container, shared, depth):
            items = list(enumerate(container)) if type(container) is list else list(container.items())
            for index, item in items:
                if type(item) is dict and mark in item:
                    container[index] = build(item, shared)
                elif type(item) in (list, dict) and depth < 4:
                    replace(item, shared, depth + 1)

        # The request being served is a local of a caller (helpers.probe.run_request): the
        # nearest dict with "calls" whose "isolate" names this stand-in.
        frame = sys._getframe(1)
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if (type(value) is dict and type(value.get("calls")) is list
                        and "_course_kernel_arguments" in (value.get("isolate") or {})):
                    replace(value["calls"], {}, 0)
                    return
            frame = frame.f_back

    if __name__ == "course_stand_in":  # in the kernel (not when the checker imports this module)
        _build_arguments()


class _course_float_errors_raise:
    """Never called. Built in the kernel, it makes NumPy raise FloatingPointError on overflow,
    invalid values and division by zero (``np.errstate(over=, invalid=, divide="raise")``)
    until ``_course_float_errors_restore`` is built."""

    if __name__ == "course_stand_in":
        import numpy as _numpy

        _numpy.__dict__.setdefault("_course_saved_errstate", _numpy.seterr(over="raise", invalid="raise", divide="raise"))
        del _numpy


class _course_overflow_raise:
    """``_course_float_errors_raise`` for overflow and invalid values only (division as it was)."""

    if __name__ == "course_stand_in":
        import numpy as _numpy

        _numpy.__dict__.setdefault("_course_saved_errstate", _numpy.seterr(over="raise", invalid="raise"))
        del _numpy


class _course_float_errors_restore:
    """Never called. Built in the kernel, it puts back NumPy's floating-point error handling as
    it was before ``_course_float_errors_raise`` / ``_course_overflow_raise``."""

    if __name__ == "course_stand_in":
        import numpy as _numpy

        if "_course_saved_errstate" in _numpy.__dict__:
            _numpy.seterr(**_numpy.__dict__.pop("_course_saved_errstate"))
        del _numpy


KERNEL_ARGUMENTS = {"_course_kernel_arguments": _course_kernel_arguments}
LAYERS = {"affine_forward": _ref_affine_forward, "affine_backward": _ref_affine_backward,
          "relu_forward": _ref_relu_forward, "relu_backward": _ref_relu_backward}
TRAINING = {"two_layer_net_loss": _ref_loss, "iterate_minibatches": _ref_minibatches, "xavier_init": _ref_xavier}


def _rng(seed: int, share: str | None = None) -> dict:
    """Placeholder for ``np.random.default_rng(seed)`` built in the kernel."""
    spec = {_MARK: "rng", "seed": seed}
    if share is not None:
        spec["share"] = share
    return spec


def _fn(kind: str, **values) -> dict:
    """Placeholder for one of ``_course_kernel_arguments``' functions built in the kernel."""
    return {_MARK: kind, **values}


def _float_error(s, name: str, args: tuple, kwargs: dict | None = None, isolate: dict | None = None,
                 raising=_course_float_errors_raise) -> wire.RemoteError | None:
    """What ``name(*args, **kwargs)`` raised while NumPy raised on floating-point errors
    (today's ``with np.errstate(...)`` around the call), or ``None``."""
    kwargs, isolate = kwargs or {}, isolate or {}
    try:
        return s.raises(name, *args, isolate={**isolate, "_course_float_errors": raising}, **kwargs)
    finally:
        try:  # a request without calls: the kernel builds the stand-in and calls nothing
            s.call_many(name, [], isolate={"_course_float_errors": _course_float_errors_restore})
        except StudentCallError:
            pass


# ----------------------------------------------------------------------------- likely mistakes
# Each wrong answer a student is likely to give, recomputed from the check's inputs: a failed check
# names the one that matches (grading.trusted.mistakes.explained) instead of a generic chain-rule hint.

def _sigmoid(z):
    with np.errstate(all="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def _affine_mistakes(x, w, dout) -> dict[str, list]:
    """Known wrong dx, dw, db of affine_backward for these inputs."""
    n = x.shape[0]
    return {
        "dx": [("dx = dout @ w without the transpose: dx = dout @ w.T", dout @ w if dout.shape[1] == w.shape[0] else None),
               ("dx divided by N: the upstream gradient dout already carries the loss's 1/N", dout @ w.T / n)],
        "dw": [("dw = dout.T @ x is dw transposed: dw = x.T @ dout, shape (D, M) like w", dout.T @ x),
               ("dw divided by N: the upstream gradient dout already carries the loss's 1/N", x.T @ dout / n)],
        "db": [("db summed over the wrong axis: sum dout over the samples, axis 0", dout.sum(axis=1)),
               ("db averaged over the samples: sum them (dout already carries the loss's 1/N)", dout.mean(axis=0)),
               ("db summed over everything: db has one entry per output, dout.sum(axis=0)", dout.sum())],
    }


def _activation_mistakes(kind: str, x, dout) -> list:
    """Known wrong backward passes of an element-wise activation (the cache holds its output,
    or the input for ReLU)."""
    if kind == "relu":
        out = np.maximum(x, 0.0)
        return [("returned the forward output max(0, x): dx = dout where x > 0, else 0", out),
                ("the mask is inverted: pass dout where x > 0, not where x < 0", dout * (x < 0)),
                ("multiplied dout by the input (or the output) instead of the 0/1 mask (x > 0)", dout * out),
                ("ignored the mask: dx = dout * (x > 0)", dout),
                ("forgot dout: dx = dout * (x > 0), not the mask alone", (x > 0).astype(float))]
    derivative = {"sigmoid": lambda f: f * (1 - f), "tanh": lambda f: 1 - f**2}
    formula = {"sigmoid": "f' = f (1 - f)", "tanh": "f' = 1 - f**2"}
    out = _sigmoid(x) if kind == "sigmoid" else np.tanh(x)
    again = _sigmoid(out) if kind == "sigmoid" else np.tanh(out)
    other = "tanh" if kind == "sigmoid" else "sigmoid"
    return [(f"applied {kind} again to the cache: the cache holds the output f = {kind}(x) (the post-activation), "
             f"so {formula[kind]} uses it directly", dout * derivative[kind](again)),
            ("forgot to multiply by dout (the chain rule: dx = dout * f')", derivative[kind](out)),
            (f"used {other}'s derivative ({formula[other]}) instead of {formula[kind]}", dout * derivative[other](out)),
            (f"a factor is missing: {formula[kind]}", dout * (out if kind == "sigmoid" else 1 - out)),
            (f"used the input x (the pre-activation) where {formula[kind]} needs the cached output f", dout * derivative[kind](x))]


def _loss_mistakes(params, X, y, reg) -> list[tuple[str, dict]]:
    """Known wrong gradients of two_layer_net_loss, each recomputed here in NumPy."""
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0.0)
    scores = hidden @ params["W2"] + params["b2"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    onehot = np.eye(scores.shape[1])[y]

    def grads(d_scores, hidden_in_dw2=hidden, mask=pre > 0, reg_w=reg, reg_b=0.0, skip_relu=False):
        d_hidden = d_scores @ params["W2"].T
        d_pre = d_hidden if skip_relu else d_hidden * mask
        return {"W1": X.T @ d_pre + reg_w * params["W1"], "b1": d_pre.sum(axis=0) + reg_b * params["b1"],
                "W2": hidden_in_dw2.T @ d_scores + reg_w * params["W2"], "b2": d_scores.sum(axis=0) + reg_b * params["b2"]}

    right = (probs - onehot) / n
    return [
        ("forgot 1/N in dscores: the loss is a mean over the samples, so dscores = (P - Y) / N", grads(probs - onehot)),
        ("dW2 uses the pre-activation X W1 + b1 where the post-activation relu(X W1 + b1) belongs", grads(right, pre)),
        ("forgot the ReLU's backward pass between the two affine layers", grads(right, skip_relu=True)),
        ("the ReLU mask must come from the cached input of the ReLU (x > 0), not from the upstream gradient",
         grads(right, mask=(right @ params["W2"].T) > 0)),
        ("dscores = P - Y: subtract 1 at the true class, dscores = (P - Y) / N", grads(probs / n)),
        ("forgot the regularisation gradient reg * W", grads(right, reg_w=0.0)),
        ("the gradient of 0.5 * reg * sum(W**2) is reg * W (not 0.5 * reg * W)", grads(right, reg_w=0.5 * reg)),
        ("the gradient of 0.5 * reg * sum(W**2) is reg * W (not 2 * reg * W)", grads(right, reg_w=2 * reg)),
        ("the biases are not regularised: no reg * b in their gradients", grads(right, reg_b=reg)),
    ]


LOSS_USUAL = ("dscores = (P - Y) / N, then affine_backward, relu_backward (mask from the ReLU's input), "
              "affine_backward, and reg * W added to dW1 and dW2 only")


# ----------------------------------------------------------------------------- affine layer

@check("test_affine_forward_shape")
def affine_forward_shape(s):
    result = s.call("affine_forward", np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    testing.assert_that(isinstance(result, tuple) and len(result) == 2,
                        "affine_forward should return a tuple (out, cache).")
    testing.check_shape(result[0], (2, 4), "out for x (2, 3), w (3, 4)")
    s.hidden()
    cases = [((1, 1), 1), ((7, 5), 2), ((3, 10), 12)]
    results = s.call_many("affine_forward", [(np.ones(shape_x), np.ones((shape_x[1], num_out)), np.zeros(num_out))
                                             for shape_x, num_out in cases])
    for (shape_x, num_out), (out, _) in zip(cases, results):
        testing.check_shape(out, (shape_x[0], num_out), f"out for x {shape_x}, w ({shape_x[1]}, {num_out})")


@check("test_affine_forward_values")
def affine_forward_values(s):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([[1.0, 0.0, -1.0], [0.5, 1.0, 2.0]])
    b = np.array([0.1, 0.2, 0.3])
    out, _ = s.call("affine_forward", x, w, b)
    testing.check_close(out, [[2.1, 2.2, 3.3], [5.1, 4.2, 5.3]], "affine_forward on a 2x2 input",
                        hint=(
                            "out[n, i] = sum_j x[n, j] w[j, i] + b[i]; a transposed w or a missing b gives other numbers"))
    s.hidden()
    # random inputs of other shapes against the formula (what tf.linalg.matmul computes); the inputs stay untouched
    rng = np.random.default_rng(101)
    for num_samples, num_in, num_out in [(1, 1, 1), (6, 4, 3), (20, 9, 15)]:
        x_rand, w_rand, b_rand = (rng.normal(size=(num_samples, num_in)), rng.normal(size=(num_in, num_out)),
                                  rng.normal(size=num_out))
        (out_rand, _), after, _ = s.call_with_inputs("affine_forward", x_rand, w_rand, b_rand)
        testing.check_close(out_rand, x_rand @ w_rand + b_rand,
                            f"affine_forward for x {x_rand.shape}, w {w_rand.shape}")
        for name, before, now in zip(["x", "w", "b"], (x_rand, w_rand, b_rand), after):
            testing.check_not_modified(before, now, name)


@check("test_affine_backward_shapes")
def affine_backward_shapes(s):
    _, cache = s.call("affine_forward", np.ones((2, 3)), np.ones((3, 4)), np.zeros(4))
    result = s.call("affine_backward", np.ones((2, 4)), cache)
    testing.assert_that(isinstance(result, tuple) and len(result) == 3, "affine_backward should return (dx, dw, db).")
    dx, dw, db = result
    mistakes = _affine_mistakes(np.ones((2, 3)), np.ones((3, 4)), np.ones((2, 4)))
    for name, found, shape in [("dx", dx, (2, 3)), ("dw", dw, (3, 4)), ("db", db, (4,))]:
        with explained(found, mistakes[name], AFFINE_USUAL[name]):
            testing.check_shape(found, shape, name)
    s.hidden()
    _, cache_one = s.call("affine_forward", np.ones((1, 5)), np.ones((5, 1)), np.zeros(1))
    dx_one, dw_one, db_one = s.call("affine_backward", np.ones((1, 1)), cache_one)
    mistakes = _affine_mistakes(np.ones((1, 5)), np.ones((5, 1)), np.ones((1, 1)))
    for name, found, shape, what in [("dx", dx_one, (1, 5), "dx for one sample and one output"),
                                     ("dw", dw_one, (5, 1), "dw for one sample and one output"),
                                     ("db", db_one, (1,), "db for one output")]:
        with explained(found, mistakes[name], AFFINE_USUAL[name]):
            testing.check_shape(found, shape, what)


AFFINE_USUAL = {"dx": "dx = dout @ w.T (the transpose of w), shape (N, D) like x",
                "dw": "dw = x.T @ dout (the transpose of x), shape (D, M) like w",
                "db": "db = dout.sum(axis=0), a sum over the samples, shape (M,) like b"}


def _affine_gradchecks(x, w, b, dout, grads, suffix=("", "", "")) -> None:
    """dx, dw, db against the numerical gradient of out = x w + b itself (computed here); a
    failure names the likely mistake."""
    dx, dw, db = grads
    mistakes = _affine_mistakes(x, w, dout)
    with explained(dx, mistakes["dx"], AFFINE_USUAL["dx"]):
        testing.check_array_gradient(lambda x_probe: x_probe @ w + b, x, dout, dx, "dx" + suffix[0])
    with explained(dw, mistakes["dw"], AFFINE_USUAL["dw"]):
        testing.check_array_gradient(lambda w_probe: x @ w_probe + b, w, dout, dw, "dw" + suffix[1])
    with explained(db, mistakes["db"], AFFINE_USUAL["db"]):
        testing.check_array_gradient(lambda b_probe: x @ w + b_probe, b, dout, db, "db" + suffix[2])


@check("test_affine_backward_gradcheck")
def affine_backward_gradcheck(s):
    rng = np.random.default_rng(102)
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    # the student's forward pass builds the cache; the numerical gradient is of out = x w + b itself
    _, cache = s.call("affine_forward", x.copy(), w.copy(), b.copy())
    grads, after, _ = s.call_with_inputs("affine_backward", dout, cache)
    testing.check_not_modified(dout, after[0], "dout")
    _affine_gradchecks(x, w, b, dout, grads)
    s.hidden()
    cases = []
    for num_samples, num_in, num_out in [(1, 2, 1), (7, 1, 3), (3, 6, 6)]:
        x, w, b = rng.normal(size=(num_samples, num_in)), rng.normal(size=(num_in, num_out)), rng.normal(size=num_out)
        cases.append((x, w, b, rng.normal(size=(num_samples, num_out))))
    forwards = s.call_many("affine_forward", [(x, w, b) for x, w, b, _ in cases])
    backwards = s.call_many("affine_backward", [(dout, cache) for (*_, dout), (_, cache) in zip(cases, forwards)])
    for (x, w, b, dout), grads in zip(cases, backwards):
        _affine_gradchecks(x, w, b, dout, grads, (f" for x {x.shape}", f" for w {w.shape}", f" for b {b.shape}"))


def _tape_affine(x, w, b, dout) -> list[np.ndarray]:
    """Oracle: the gradients of sum(out * dout) written out (what tf.GradientTape computes in
    float64, without importing TensorFlow into the grader)."""
    return [dout @ w.T, x.T @ dout, dout.sum(axis=0)]


@check("test_affine_backward_oracle")
def affine_backward_oracle(s):
    rng = np.random.default_rng(103)
    x, w, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    dout = rng.normal(size=(5, 2))
    expected = _tape_affine(x, w, b, dout)
    _, cache = s.call("affine_forward", x, w, b)
    mistakes = _affine_mistakes(x, w, dout)
    for name, mine, theirs in zip(["dx", "dw", "db"], s.call("affine_backward", dout, cache), expected):
        with explained(mine, mistakes[name], AFFINE_USUAL[name]):
            testing.check_close(mine, theirs, f"{name} against the exact gradient (what tf.GradientTape gives)",
                                hint=(
                                    "dx = dout w^T, dw = x^T dout, db = dout summed over the rows"))
    s.hidden()
    x, w, b = rng.normal(size=(12, 7)), rng.normal(size=(7, 9)), rng.normal(size=9)
    dout = rng.normal(size=(12, 9))
    expected = _tape_affine(x, w, b, dout)
    _, cache = s.call("affine_forward", x, w, b)
    mistakes = _affine_mistakes(x, w, dout)
    for name, mine, theirs in zip(["dx", "dw", "db"], s.call("affine_backward", dout, cache), expected):
        with explained(mine, mistakes[name], AFFINE_USUAL[name]):
            testing.check_close(mine, theirs, f"{name} against the exact gradient for x (12, 7), w (7, 9)")


# ----------------------------------------------------------------------------- activations

@check("test_relu_forward")
def relu_forward(s):
    x = np.array([[-2.0, -0.5, 0.5], [3.0, -1e-3, 1e-3]])
    out, _ = s.call("relu_forward", x)
    testing.check_close(out, [[0.0, 0.0, 0.5], [3.0, 0.0, 1e-3]], "relu_forward", hint=(
        "max(0, x) element by element"))
    s.hidden()
    x = np.random.default_rng(111).normal(size=(2, 3, 4))
    (out, _), after, _ = s.call_with_inputs("relu_forward", x)
    testing.check_close(out, np.where(x > 0, x, 0.0), "relu_forward on a (2, 3, 4) array")
    testing.check_not_modified(x, after[0], "x")


@check("test_relu_backward")
def relu_backward(s):
    x = np.array([[-2.0, -0.5, 0.5], [3.0, -1e-3, 1e-3]])
    _, cache = s.call("relu_forward", x)
    dx = s.call("relu_backward", np.full((2, 3), 2.0), cache)
    with explained(dx, _activation_mistakes("relu", x, np.full((2, 3), 2.0)), RELU_USUAL):
        testing.check_close(dx, [[0.0, 0.0, 2.0], [2.0, 0.0, 2.0]],
                            "relu_backward with dout = 2", hint=(
                                "dx = dout where x > 0 and 0 elsewhere (not the output itself)"))
    rng = np.random.default_rng(112)
    x = rng.uniform(0.1, 2.0, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))  # away from the kink
    dout = rng.normal(size=(4, 5))
    _, cache = s.call("relu_forward", x.copy())
    dx = s.call("relu_backward", dout, cache)
    with explained(dx, _activation_mistakes("relu", x, dout), RELU_USUAL):
        testing.check_array_gradient(lambda x_probe: np.maximum(x_probe, 0.0), x, dout, dx, "relu_backward")
    s.hidden()
    cases = []
    for shape in [(1,), (3, 2, 2), (50,)]:
        x = rng.uniform(0.1, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        cases.append((shape, x, rng.normal(size=shape)))
    forwards = s.call_many("relu_forward", [(x.copy(),) for _, x, _ in cases])
    for (shape, x, dout), (_, cache) in zip(cases, forwards):
        dx, after, _ = s.call_with_inputs("relu_backward", dout, cache)
        testing.check_not_modified(dout, after[0], "dout")
        with explained(dx, _activation_mistakes("relu", x, dout), RELU_USUAL):
            testing.check_close(dx, np.where(x > 0, dout, 0.0), f"relu_backward for shape {shape}")


RELU_USUAL = "dx = dout * (x > 0), with x the ReLU's cached input"
SIGMOID_USUAL = "dx = dout * f * (1 - f) with f the cached output (not the input)"
TANH_USUAL = "dx = dout * (1 - f**2) with f the cached output (not the input)"


def _expit(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(x)


@check("test_sigmoid_forward")
def sigmoid_forward(s):
    out, _ = s.call("sigmoid_forward", np.array([[-2.0, 0.0], [2.0, 4.0]]))
    testing.check_close(out, [[0.11920292202211755, 0.5], [0.8807970779778823, 0.9820137900379085]], "sigmoid_forward")
    x_big = np.array([-1000.0, 1000.0])
    raised = _float_error(s, "sigmoid_forward", (x_big,))
    if raised is not None and raised.type == "FloatingPointError":
        raise AssertionError("sigmoid_forward overflowed for x = +-1000 (a floating-point error): only exponentiate -|x|.")
    big_out, _ = s.call("sigmoid_forward", x_big)
    testing.check_close(big_out, [0.0, 1.0], "sigmoid_forward([-1000, 1000])")
    s.hidden()
    rng = np.random.default_rng(113)
    for shape, scale in [((1,), 1.0), ((2, 3, 4), 10.0), ((100,), 300.0)]:
        x = rng.normal(scale=scale, size=shape)
        raised = _float_error(s, "sigmoid_forward", (x,), raising=_course_overflow_raise)
        if raised is not None and raised.type == "FloatingPointError":
            raise AssertionError(f"sigmoid_forward overflowed for shape {shape}, |x| ~ {scale:g} (a floating-point "
                                 "error): only exponentiate -|x|.")
        out, _ = s.call("sigmoid_forward", x)
        testing.check_close(out, _expit(x), f"sigmoid_forward for shape {shape}, |x| ~ {scale:g}", atol=1e-12)


@check("test_sigmoid_backward")
def sigmoid_backward(s):
    _, cache = s.call("sigmoid_forward", np.array([0.0, 2.0]))
    dx = s.call("sigmoid_backward", np.array([1.0, 2.0]), cache)
    with explained(dx, _activation_mistakes("sigmoid", np.array([0.0, 2.0]), np.array([1.0, 2.0])), SIGMOID_USUAL):
        testing.check_close(dx, [0.25, 2 * 0.8807970779778823 * (1 - 0.8807970779778823)],
                            "sigmoid_backward at x = [0, 2]", hint=(
                                "dx = dout * f * (1 - f) with f the cached output"))
    rng = np.random.default_rng(114)
    x, dout = rng.normal(scale=2.0, size=(3, 4)), rng.normal(size=(3, 4))
    _, cache = s.call("sigmoid_forward", x.copy())
    dx = s.call("sigmoid_backward", dout, cache)
    with explained(dx, _activation_mistakes("sigmoid", x, dout), SIGMOID_USUAL):
        testing.check_array_gradient(lambda x_probe: 1.0 / (1.0 + np.exp(-x_probe)), x, dout, dx, "sigmoid_backward")
    s.hidden()
    cases = []
    for shape in [(1,), (2, 2, 5), (40,)]:
        cases.append((shape, rng.normal(scale=3.0, size=shape), rng.normal(size=shape)))
    forwards = s.call_many("sigmoid_forward", [(x.copy(),) for _, x, _ in cases])
    for (shape, x, dout), (_, cache) in zip(cases, forwards):
        dx, after, _ = s.call_with_inputs("sigmoid_backward", dout, cache)
        with explained(dx, _activation_mistakes("sigmoid", x, dout), SIGMOID_USUAL):
            testing.check_close(dx, dout * _expit(x) * (1 - _expit(x)), f"sigmoid_backward for shape {shape}")
        testing.check_not_modified(dout, after[0], "dout")


@check("test_tanh_forward")
def tanh_forward(s):
    out, _ = s.call("tanh_forward", np.array([[-1.0, 0.0, 0.5]]))
    testing.check_close(out, [[-0.7615941559557649, 0.0, 0.46211715726000974]], "tanh_forward")
    s.hidden()
    x = np.random.default_rng(115).normal(scale=5.0, size=(2, 3, 2))
    out, _ = s.call("tanh_forward", x)
    testing.check_close(out, np.tanh(x), "tanh_forward on a (2, 3, 2) array")


@check("test_tanh_backward")
def tanh_backward(s):
    _, cache = s.call("tanh_forward", np.array([0.0, 0.5]))
    dx = s.call("tanh_backward", np.array([1.0, 3.0]), cache)
    with explained(dx, _activation_mistakes("tanh", np.array([0.0, 0.5]), np.array([1.0, 3.0])), TANH_USUAL):
        testing.check_close(dx, [1.0, 3 * (1 - 0.46211715726000974**2)],
                            "tanh_backward at x = [0, 0.5]", hint=(
                                "dx = dout * (1 - f**2) with f the cached output"))
    rng = np.random.default_rng(116)
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    _, cache = s.call("tanh_forward", x.copy())
    dx = s.call("tanh_backward", dout, cache)
    with explained(dx, _activation_mistakes("tanh", x, dout), TANH_USUAL):
        testing.check_array_gradient(lambda x_probe: np.tanh(x_probe), x, dout, dx, "tanh_backward")
    s.hidden()
    cases = []
    for shape in [(1,), (3, 3, 3), (64,)]:
        cases.append((shape, rng.normal(scale=2.0, size=shape), rng.normal(size=shape)))
    forwards = s.call_many("tanh_forward", [(x.copy(),) for _, x, _ in cases])
    for (shape, x, dout), (_, cache) in zip(cases, forwards):
        dx, after, _ = s.call_with_inputs("tanh_backward", dout, cache)
        with explained(dx, _activation_mistakes("tanh", x, dout), TANH_USUAL):
            testing.check_close(dx, dout * (1 - np.tanh(x) ** 2), f"tanh_backward for shape {shape}")
        testing.check_not_modified(dout, after[0], "dout")


# ----------------------------------------------------------------------------- initialisation

@check("test_xavier_init")
def xavier_init(s):
    W = s.call("xavier_init", 3, 5, _rng(0), isolate=KERNEL_ARGUMENTS)
    testing.check_shape(W, (3, 5), "xavier_init(3, 5, rng)")
    limit = np.sqrt(6.0 / 8.0)
    testing.assert_that(np.all(np.abs(W) <= limit),
                        f"every weight must lie in [-{limit:.4f}, {limit:.4f}] (sqrt(6) / sqrt(fan_in + fan_out)); "
                        f"found {np.abs(W).max():.4f}")
    testing.check_close(W, np.random.default_rng(0).uniform(-limit, limit, size=(3, 5)),
                        "xavier_init(3, 5, default_rng(0))",
                        hint=(
                            "draw with rng.uniform(-limit, limit, size=(fan_in, fan_out)) from the given rng"))
    s.hidden()
    first, second = s.call_many("xavier_init", [(4, 2, _rng(7, share="rng")), (4, 2, _rng(7, share="rng"))],
                                isolate=KERNEL_ARGUMENTS)
    testing.assert_that(not np.allclose(first, second),
                        "two calls with the same generator must give different weights (use the rng you are given)")
    big, one = s.call_many("xavier_init", [(400, 600, _rng(8)), (1, 1, _rng(9))], isolate=KERNEL_ARGUMENTS)
    testing.check_close(np.var(big), 2.0 / 1000, "the variance of a (400, 600) Xavier matrix", rtol=0.02)
    testing.check_close(one, np.random.default_rng(9).uniform(-np.sqrt(3.0), np.sqrt(3.0), size=(1, 1)),
                        "xavier_init(1, 1, rng)")


# ----------------------------------------------------------------------------- numerical gradient

@check("test_numerical_gradient_values")
def numerical_gradient_values(s):
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    grad = s.call("numerical_gradient", _fn("sum_of_squares"), x, isolate=KERNEL_ARGUMENTS)
    testing.check_shape(grad, (2, 3), "the gradient of sum(x**2) for x of shape (2, 3)")
    testing.check_close(grad, 2 * x, "the numerical gradient of sum(x**2)", rtol=1e-6, atol=1e-8,
                        hint=(
                            "(f(x + h e_i) - f(x - h e_i)) / (2h) for every entry i"))
    s.hidden()
    rng = np.random.default_rng(121)
    A = rng.normal(size=(2, 3, 4))
    x_rand = rng.normal(size=(2, 3, 4))
    x_vec = np.array([1.0, 2.0, -1.0])
    sin_grad, cubic_grad, quartic_grad = s.call_many("numerical_gradient", [
        ((_fn("weighted_sin", A=A), x_rand), {}),
        ((_fn("cubic"), x_vec), {}),
        ((_fn("quartic"), np.array([1.0, 2.0])), {"h": 0.1}),
    ], isolate=KERNEL_ARGUMENTS)
    testing.check_close(sin_grad, np.cos(x_rand) * A, "the numerical gradient of sum(sin(x) * A) for x of shape (2, 3, 4)",
                        rtol=1e-6, atol=1e-8)
    testing.check_close(cubic_grad, [3.0, -1.0, 2.0], "the numerical gradient of x0**3 + x1 * x2", rtol=1e-6, atol=1e-8)
    # the step h is the one given: for x**4 the centred difference is exactly 4x**3 + 4x h**2
    testing.check_close(quartic_grad, [4.04, 32.08], "numerical_gradient of sum(x**4) with h = 0.1", rtol=1e-9,
                        hint=(
                            "use the h argument, and divide by 2h"))


@check("test_numerical_gradient_restores")
def numerical_gradient_restores(s):
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    _, (seen, x_after), _ = s.call_with_inputs("numerical_gradient", _fn("recorder"), x, isolate=KERNEL_ARGUMENTS)
    x_after = np.asarray(x_after)
    testing.assert_that(x_after.shape == x.shape and np.array_equal(x_after, x),
                        "x is not exactly what it was: " + ", ".join(f"x{[int(k) for k in i]} = {float(x_after[i])!r} (was {float(x[i])!r})"
                                                                 for i in zip(*np.nonzero(x_after != x))) +
                        ". Save original = x[index] before probing and assign it back afterwards: x + h - 2h + h is not always x.")
    testing.assert_that(isinstance(seen, list) and all(np.sum(np.abs(np.asarray(z) - x) > 0) <= 1 for z in seen),
                        "each call of f must see x with at most one entry changed (restore each entry before probing the next)")
    s.hidden()
    x_odd = np.array([1e-3, 123.456, -7.0, 0.1 + 0.2])
    _, (_, x_odd_after), _ = s.call_with_inputs("numerical_gradient", _fn("product"), x_odd, isolate=KERNEL_ARGUMENTS)
    testing.assert_that(np.shape(x_odd_after) == x_odd.shape and np.array_equal(x_odd_after, x_odd),
                        "x must be restored bit for bit after numerical_gradient (a hidden case changed it): "
                        "save the original entry and assign it back (x + h - h is not always x)")


# ----------------------------------------------------------------------------- two-layer network

@check("test_two_layer_net_loss_scores")
def two_layer_net_loss_scores(s):
    rng = np.random.default_rng(131)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 2)), "b2": rng.normal(size=2)}
    X = rng.normal(size=(5, 3))
    scores = s.call("two_layer_net_loss", params, X, isolate=LAYERS)
    testing.check_shape(scores, (5, 2), "the scores for y = None")
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0)
    testing.check_close(scores, hidden @ params["W2"] + params["b2"], "the scores",
                        hint=(
                            "scores = relu(X W1 + b1) W2 + b2; with y None return them, not the probabilities"))
    s.hidden()
    X_one = rng.normal(size=(1, 3))
    testing.check_shape(s.call("two_layer_net_loss", params, X_one, isolate=LAYERS), (1, 2), "the scores for one sample")


# A fixed example (reg 0.05) shared by the hidden cases of two_layer_net_loss and tape_gradients.
_PARAMS_FIXED = {
    "W1": np.array([-0.401, -0.662, -0.124, 0.21, 0.568, 0.055, -0.276, -0.392, 0.374, 0.817, 0.136, -0.617]).reshape(3, 4),
    "b1": np.array([-0.096, 0.16, 0.02, -0.173]),
    "W2": np.array([-0.042, -0.582, -0.315, -0.244, -0.357, 0.277, -0.032, -0.295, 0.205, 0.415, -0.822, -0.128]).reshape(4, 3),
    "b2": np.array([-0.098, -0.017, -0.129]),
}
_X_FIXED = np.array([1.053, 1.776, -2.553, -0.138, 1.014, 1.352, 0.654, 1.497, 0.29, 0.551, 0.179, -1.074, -0.847, 0.38,
                     -0.58]).reshape(5, 3)
_Y_FIXED = np.array([0, 2, 1, 2, 0])
_GRADS_FIXED = {
    "W1": np.array([0.061632736929316964, -0.018158311354773894, -0.006200000000000001, -0.06322485302968452,
                    0.10446257188581365, 0.031040701190491224, -0.013800000000000002, -0.15411680747359818,
                    0.07797748596935775, -0.03783372879925234, 0.0068000000000000005, 0.1514464682911582]).reshape(3, 4),
    "b1": np.array([0.01420707030096717, 0.022901582911935434, 0.0, -0.06355126186627062]),
    "W2": np.array([0.07980223724998661, -0.0624159309246691, -0.06433630632531753, 0.048424144834227974,
                    0.0410941372588476, -0.10571828209307556, -0.0016, -0.01475, 0.01025, -0.02176334825447571,
                    0.018193134203433346, -0.023179785948957605]).reshape(4, 3),
    "b2": np.array([0.0004238559045472434, 0.040918229045959646, -0.04134208495050691]),
}


@check("test_two_layer_net_loss_values")
def two_layer_net_loss_values(s):
    # With W2 = 0 and b2 = 0 every class gets probability 1/C: the data loss is log(C).
    rng = np.random.default_rng(132)
    params = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4), "W2": np.zeros((4, 5)), "b2": np.zeros(5)}
    X, y = rng.normal(size=(6, 3)), np.array([0, 1, 2, 3, 4, 0])
    result = s.call("two_layer_net_loss", params, X, y, isolate=LAYERS)
    testing.assert_that(isinstance(result, tuple) and len(result) == 2, "with labels, return (loss, grads)")
    loss, grads = result
    testing.check_close(testing.check_scalar(loss, "loss"), np.log(5.0), "the loss with W2 = 0 (5 classes)",
                        hint=(
                            "mean over samples of -log softmax(scores)[y]"))
    testing.assert_that(isinstance(grads, dict) and set(grads) == {"W1", "b1", "W2", "b2"},
                        f"grads should be a dict with keys W1, b1, W2, b2, got {type(grads).__name__} "
                        f"{sorted(grads) if isinstance(grads, dict) else ''}")
    for key in params:
        testing.check_shape(grads[key], params[key].shape, f"grads['{key}']")
    s.hidden()
    loss_fixed, grads_fixed = s.call("two_layer_net_loss", _PARAMS_FIXED, _X_FIXED, _Y_FIXED, reg=0.05, isolate=LAYERS)
    testing.check_close(testing.check_scalar(loss_fixed, "loss"), 1.0629753764691654,
                        "the loss on a fixed 5x3 example with reg 0.05")
    mistakes = _loss_mistakes(_PARAMS_FIXED, _X_FIXED, _Y_FIXED, 0.05)
    for name in _GRADS_FIXED:
        with explained(grads_fixed[name], [(text, wrong[name]) for text, wrong in mistakes], LOSS_USUAL):
            testing.check_close(grads_fixed[name], _GRADS_FIXED[name], f"grads['{name}'] on a fixed example")
    # huge scores must not overflow
    params_big = {"W1": np.eye(2) * 1000.0, "b1": np.zeros(2), "W2": np.eye(2), "b2": np.zeros(2)}
    big_case = (params_big, np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 1]))
    raised = _float_error(s, "two_layer_net_loss", big_case, isolate=LAYERS)
    if raised is not None and raised.type == "FloatingPointError":
        raise AssertionError("two_layer_net_loss overflowed or took log(0) for scores of 1000 (a floating-point error): "
                             "compute log-probabilities as shifted - log(sum(exp(shifted))), not np.log of the softmax.")
    loss_big, _ = s.call("two_layer_net_loss", *big_case, isolate=LAYERS)
    testing.check_close(testing.check_scalar(loss_big, "loss"), 500.0, "the loss for scores of 1000 (one confident mistake)")


def _loss_gradcheck(s, params, X, y, reg, grads, label) -> None:
    """Every gradient against the numerical gradient of the student's own (isolated) loss; a
    failure names the likely mistake."""
    mistakes = _loss_mistakes(params, X, y, reg)
    for key in ("W1", "b1", "W2", "b2"):
        def losses(points, key=key):
            results = s.call_many("two_layer_net_loss", [({**params, key: p}, X, y) for p in points],
                                  common={"reg": reg}, isolate=LAYERS)
            return [result[0] for result in results]

        with explained(grads[key], [(text, wrong[key]) for text, wrong in mistakes], LOSS_USUAL):
            testing.check_gradient_batch(losses, params[key].copy(), grads[key], f"grads['{key}']{label}", tol=1e-6)


@check("test_two_layer_net_loss_gradcheck")
def two_layer_net_loss_gradcheck(s):
    rng = np.random.default_rng(133)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5), "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    _, grads = s.call("two_layer_net_loss", params, X, y, reg=0.1, isolate=LAYERS)
    _loss_gradcheck(s, params, X, y, 0.1, grads, " (reg = 0.1)")
    s.hidden()
    for num_samples, dims in [(1, (2, 3, 2)), (10, (6, 7, 4))]:
        D, H, C = dims
        params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H), "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
        X, y = rng.normal(size=(num_samples, D)), rng.integers(0, C, size=num_samples)
        _, grads = s.call("two_layer_net_loss", params, X, y, reg=0.0, isolate=LAYERS)
        _loss_gradcheck(s, params, X, y, 0.0, grads, f" for N = {num_samples}, D, H, C = {dims}")


@check("test_two_layer_net_loss_reg")
def two_layer_net_loss_reg(s):
    rng = np.random.default_rng(134)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(5, 3)), np.array([0, 1, 2, 1, 0])
    (loss_plain, grads_plain), (loss_reg, grads_reg) = s.call_many(
        "two_layer_net_loss", [((params, X, y), {"reg": 0.0}), ((params, X, y), {"reg": 0.3})], isolate=LAYERS)
    penalty = 0.5 * 0.3 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    testing.check_close(loss_reg - loss_plain, penalty, "the regularisation term of the loss",
                        hint=(
                            "0.5 * reg * (sum(W1**2) + sum(W2**2)); biases are not regularised"))
    for name in ["W1", "W2"]:
        difference = grads_reg[name] - grads_plain[name]
        with explained(difference, [("the gradient of 0.5 * reg * sum(W**2) is reg * W, not 0.5 * reg * W", 0.15 * params[name]),
                                    ("the gradient of 0.5 * reg * sum(W**2) is reg * W, not 2 * reg * W", 0.6 * params[name]),
                                    ("forgot to add reg * W to the gradient", np.zeros_like(params[name]))],
                       "add reg * W to dW1 and dW2"):
            testing.check_close(difference, 0.3 * params[name], f"the regularisation gradient of {name}")
    for name in ["b1", "b2"]:
        testing.check_close(grads_reg[name], grads_plain[name], f"grads['{name}'] (biases are not regularised)",
                            hint="add reg * W to dW1 and dW2 only, never reg * b to the bias gradients")
    s.hidden()
    loss_big_reg, _ = s.call("two_layer_net_loss", params, X, y, reg=10.0, isolate=LAYERS)
    testing.check_close(loss_big_reg - loss_plain, penalty / 0.3 * 10.0, "the regularisation term for reg = 10")


# ----------------------------------------------------------------------------- training

@check("test_iterate_minibatches")
def iterate_minibatches(s):
    X = np.arange(10, dtype=float).reshape(10, 1) * 10.0  # row i holds 10 * i, so rows can be traced
    y = np.arange(10)
    batches = list(s.call("iterate_minibatches", X, y, 4, _rng(0), isolate=KERNEL_ARGUMENTS))
    sizes = [len(yb) for _, yb in batches]
    testing.assert_that(sizes == [4, 4, 2], f"10 samples in batches of 4 should give sizes [4, 4, 2], got {sizes}")
    seen = np.concatenate([yb for _, yb in batches])
    testing.assert_that(sorted(seen.tolist()) == list(range(10)), f"every sample exactly once per call, got labels {seen.tolist()}")
    testing.assert_that(all(np.array_equal(np.asarray(xb)[:, 0], 10.0 * np.asarray(yb)) for xb, yb in batches),
                        "X_batch and y_batch must hold the same samples, row for row")
    testing.check_close(seen, np.random.default_rng(0).permutation(10), "the order of the samples",
                        hint=(
                            "order = rng.permutation(N) with the rng you are given, then consecutive slices"))
    s.hidden()
    # A generator crosses the wire as the list of what it yields: ask the kernel what it is.
    kept = s.keep("iterate_minibatches", X, y, 3, _rng(1), isolate=KERNEL_ARGUMENTS)
    try:
        code = kept.read("gi_code")
    except StudentCallError:
        code = None
    testing.assert_that(isinstance(code, wire.Opaque) and code.type == "builtins.code",
                        "iterate_minibatches should be a generator function (use yield)")
    first, second = s.call_many("iterate_minibatches", [(X, y, 3, _rng(5, share="rng")), (X, y, 3, _rng(5, share="rng"))],
                                isolate=KERNEL_ARGUMENTS)
    expected = np.random.default_rng(5)
    testing.check_close(np.concatenate([yb for _, yb in first]), expected.permutation(10), "the first call's order")
    testing.check_close(np.concatenate([yb for _, yb in second]), expected.permutation(10),
                        "the second call's order (a new permutation from the same rng)")
    batches_big, batches_one = s.call_many("iterate_minibatches", [(X, y, 25, _rng(2)), (X[:3], y[:3], 1, _rng(3))],
                                           isolate=KERNEL_ARGUMENTS)
    testing.assert_that(len(batches_big) == 1 and len(batches_big[0][1]) == 10, "batch_size > N gives one batch with every sample")
    testing.assert_that(len(batches_one) == 3 and all(np.shape(xb) == (1, 1) for xb, _ in batches_one),
                        "batch_size 1 gives N batches of shape (1, D)")


@check("test_train_two_layer_net_history")
def train_two_layer_net_history(s):
    rng = np.random.default_rng(141)
    X, y = rng.normal(size=(12, 3)), np.array([0, 1, 2, 3] * 3)
    result = s.call("train_two_layer_net", X, y, X[:4], y[:4], 5, 0.1, 0.0, 2, 5, isolate=TRAINING)
    testing.assert_that(isinstance(result, tuple) and len(result) == 2, "train_two_layer_net should return (params, history)")
    params, history = result
    for name, shape in [("W1", (3, 5)), ("b1", (5,)), ("W2", (5, 4)), ("b2", (4,))]:
        testing.check_shape(params[name], shape, f"params['{name}']")
    for key in ["loss", "train_acc", "val_acc"]:
        testing.assert_that(key in history and len(history[key]) == 2 and all(isinstance(v, float) for v in history[key]),
                            f"history['{key}'] should be a list of num_epochs = 2 python floats, got {history.get(key)!r}")
    s.hidden()
    _, history_zero = s.call("train_two_layer_net", X, y, X, y, 5, 0.1, 0.0, 0, 5, isolate=TRAINING)
    testing.assert_that(all(history_zero[k] == [] for k in ["loss", "train_acc", "val_acc"]), "0 epochs give empty histories")


@check("test_train_two_layer_net_replay")
def train_two_layer_net_replay(s):
    # lr = 0: nothing moves, so params are the Xavier draws (W1 first, then W2, from default_rng(seed)).
    rng = np.random.default_rng(142)
    X, y = rng.normal(size=(8, 3)), np.array([0, 1, 2, 0, 1, 2, 0, 1])
    still, history_lr0 = s.call("train_two_layer_net", X, y, X, y, 4, 0.0, 0.0, 2, 4, seed=11, isolate=TRAINING)
    xavier_draws = np.random.default_rng(11)
    limit_w1, limit_w2 = np.sqrt(6.0 / (3 + 4)), np.sqrt(6.0 / (4 + 3))
    testing.check_close(still["W1"], xavier_draws.uniform(-limit_w1, limit_w1, size=(3, 4)), "W1 with lr = 0",
                        hint=(
                            "rng = np.random.default_rng(seed); W1 = xavier_init(D, hidden_size, rng) first, then W2"))
    testing.check_close(still["W2"], xavier_draws.uniform(-limit_w2, limit_w2, size=(4, 3)), "W2 with lr = 0")
    testing.check_close(still["b1"], np.zeros(4), "b1 with lr = 0 (biases start at 0)")
    testing.check_close(history_lr0["loss"][0], history_lr0["loss"][1],
                        "the epoch losses with lr = 0 and two equal batches (nothing changes)", rtol=1e-12)
    s.hidden()
    X_fixed = np.array([-1.738, -1.337, -1.361, -0.352, -2.313, -0.189, -0.957, 0.894, 0.957, 1.392, 0.767, -0.053, 0.86,
                        1.505, -0.654, 0.61, -0.043, 1.44, -0.837, -0.302, 0.362, 0.258, -1.639, 0.36, -0.118, -0.24,
                        -0.155, 0.219, -1.816, 1.552, -0.861, -2.241, -0.082, 1.457, -0.519, 1.551]).reshape(9, 4)
    y_fixed = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0])
    X_val_fixed = np.array([-0.803, 0.243, -1.656, 0.656, 1.143, -0.453, 0.43, 0.251, -0.394, -0.862, -2.033, 1.41,
                            -0.048, 2.522, 0.826, 0.278]).reshape(4, 4)
    y_val_fixed = np.array([1, 0, 2, 2])
    params_expected = {
        "W1": np.array([0.592953038004993, 0.5834435201051595, 0.827518109873647, -0.2757211966313537,
                        -0.6427299301178914, 0.2791616937272958, 0.19490399688869026, -0.5647487746016163,
                        0.45254341411508425, 0.9513887088342128, -0.18322369464223703, 0.5529572521641348,
                        -0.6676578004654187, -0.010390491196153902, 0.40432634995283856, -0.4273072571094838,
                        0.008621423413559278, -0.48254709064685464, 0.40725126942672796, 0.12777022493828938]).reshape(4, 5),
        "b1": np.array([-0.255443300271436, 0.011317804945610575, 0.07488944673442231, -0.11829316588187828,
                        0.10652656561188212]),
        "W2": np.array([-0.17125439764748182, 0.4192348248852831, 0.6097145407254735, 0.02326031774696943,
                        0.39857471455025784, 0.8850591099027431, -0.7028584912462728, 0.04460458928446228,
                        0.8222428026048417, -0.2938544428048314, -0.449562149651085, -0.2931341916011365,
                        0.5629259967359859, 0.22292864410087548, -0.2367638452445899]).reshape(5, 3),
        "b2": np.array([0.28520290299903184, -0.11495325806546394, -0.17024964493356795]),
    }
    params_fixed, history_fixed = s.call("train_two_layer_net", X_fixed, y_fixed, X_val_fixed, y_val_fixed, 5, 0.2, 0.01, 3, 4,
                                         seed=13, isolate=TRAINING)
    testing.check_close(np.array(history_fixed["loss"]), [1.682025707123838, 1.0845064742261508, 1.14478951403193],
                        "history['loss'] (N = 9, H = 5, batch 4, 3 epochs, seed 13)",
                        hint=(
                            "the mean of each epoch's batch losses, each computed before its update"))
    testing.check_close(np.array(history_fixed["train_acc"]), [0.4444444444444444, 0.4444444444444444, 0.4444444444444444],
                        "history['train_acc'] (after each epoch, on all of X)")
    testing.check_close(np.array(history_fixed["val_acc"]), [0.25, 0.25, 0.25], "history['val_acc'] (after each epoch, on X_val)")
    for name in params_expected:
        testing.check_close(params_fixed[name], params_expected[name], f"params['{name}'] after the replayed run",
                            hint=(
                                "the same rng for the Xavier draws and the shuffling; iterate_minibatches once per epoch"))


@check("test_train_two_layer_net_digits")
def train_two_layer_net_digits(s):
    X_train_std, y_train, X_val_std, y_val = standardized_digits_split()
    _, history = s.call("train_two_layer_net", X_train_std, y_train, X_val_std, y_val, 128, 0.1, 1e-3, 30, 32,
                        isolate=TRAINING)
    testing.assert_that(history["val_acc"][-1] >= 0.96,
                        f"validation accuracy after 30 epochs is {history['val_acc'][-1]:.3f}, expected >= 0.96")
    testing.assert_that(history["loss"][-1] < 0.3 * history["loss"][0],
                        f"the epoch loss should fall a lot: {history['loss'][0]:.3f} -> {history['loss'][-1]:.3f}")
    s.hidden()
    _, history_other = s.call("train_two_layer_net", X_train_std, y_train, X_val_std, y_val, 64, 0.3, 1e-3, 20, 64, seed=4,
                              isolate=TRAINING)
    testing.assert_that(history_other["val_acc"][-1] >= 0.95,
                        "the validation accuracy of another training run on the digits (other seed, hidden size, "
                        "learning rate and batch size) is too low: check the update, the shuffling and the seed handling")


# ----------------------------------------------------------------------------- TensorFlow

def _is_numpy_array_in_kernel(s, grads_handle, name: str) -> bool:
    """Whether grads[name] is a NumPy array in the kernel: a TensorFlow tensor crosses the wire as
    an array, so its class is asked of the kernel (``keep`` on the dict's ``__getitem__``)."""
    value = s.keep({"handle": grads_handle.key, "attr": "__getitem__"}, name)
    cls = value.read("__class__")
    return isinstance(cls, wire.Opaque) and cls.summary.startswith("<class 'numpy.")


@check("test_tape_gradients")
def tape_gradients(s):
    rng = np.random.default_rng(151)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4), "W2": rng.normal(size=(4, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    kept = s.keep("tape_gradients", params, X, y, 0.1)
    grads = kept.read()
    testing.assert_that(isinstance(grads, dict) and set(grads) == {"W1", "b1", "W2", "b2"},
                        "tape_gradients should return a dict with keys W1, b1, W2, b2")
    for key in params:
        testing.assert_that(isinstance(grads[key], np.ndarray) and _is_numpy_array_in_kernel(s, kept, key),
                            f"grads['{key}'] should be a NumPy array (.numpy())")
        testing.check_dtype(grads[key], np.float64, f"grads['{key}'] (make the variables tf.float64)")
        testing.check_shape(grads[key], params[key].shape, f"grads['{key}']")
    # softmax's gradient for b2 sums to zero over the classes: sum_c (P - Y) = 0 for every sample
    testing.check_close(np.sum(grads["b2"]), 0.0, "the sum of grads['b2']", atol=1e-12, hint=(
        "dL/db2 = mean over samples of (P - Y)"))
    s.hidden()
    grads_fixed = s.call("tape_gradients", _PARAMS_FIXED, _X_FIXED, _Y_FIXED, 0.05)
    for name in _GRADS_FIXED:
        testing.check_close(grads_fixed[name], _GRADS_FIXED[name], f"TF grads['{name}'] on a fixed example (reg 0.05)",
                            rtol=1e-9, atol=1e-12,
                            hint=(
                                "float64 variables, the mean cross-entropy, and 0.5 * reg * (sum(W1**2) + sum(W2**2))"))
