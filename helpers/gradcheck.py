"""Numerical gradients by centred differences, to check hand-written backward passes.

One implementation for the whole course (after CS231n's ``gradient_check.py``); notebooks
and tests call these functions instead of re-typing them.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["rel_error", "eval_numerical_gradient", "eval_numerical_gradient_array", "centred_points",
           "gradient_from_points"]


def rel_error(x: np.ndarray | float, y: np.ndarray | float) -> float:
    """Largest elementwise relative error between ``x`` and ``y``.

    Args:
        x, y: arrays of the same (broadcastable) shape, or scalars.

    Returns:
        ``max(|x - y| / max(1e-8, |x| + |y|))`` as a python float; 0.0 for empty arrays.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # The 1e-8 floor keeps the ratio finite where both values are (near) zero.
    errors = np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))
    if errors.size == 0:
        return 0.0
    return float(np.max(errors))


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    h: float = 1e-5,
    verbose: bool = False,
) -> np.ndarray:
    """Centred-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` is modified in place while probing (so ``f`` may close over it) and every
    entry is restored before returning.

    Args:
        f: maps an array shaped like ``x`` to a scalar.
        x: float array of any shape (D1, ..., Dk); must be writeable.
        h: step of the finite difference.
        verbose: print each index and partial derivative (for debugging only).

    Returns:
        grad: float64 array of the same shape as ``x``, ``grad[i] ~ df/dx[i]``.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix, f_plus, f_minus in _centred_probes(lambda z: float(f(z)), x, h):
        grad[ix] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    df: np.ndarray,
    h: float = 1e-5,
) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * df)`` for an array-valued ``f``.

    This is what a layer's backward pass computes when the upstream gradient is ``df``.
    ``x`` is modified in place while probing and restored before returning.

    Args:
        f: maps an array shaped like ``x`` to an array shaped like ``df``.
        x: float array of any shape; must be writeable.
        df: upstream gradient, same shape as ``f(x)``.
        h: step of the finite difference.

    Returns:
        grad: float64 array of the same shape as ``x``.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    df = np.asarray(df, dtype=np.float64)
    # Copy: f may return a view of its input or a buffer it reuses.
    copied = lambda z: np.array(f(z), dtype=np.float64, copy=True)  # noqa: E731
    for ix, pos, neg in _centred_probes(copied, x, h):
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)  # difference first: less cancellation
    return grad


def _centred_probes(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float) -> Iterator[tuple]:
    """Yield ``(index, f(x + h e_i), f(x - h e_i))`` for every entry of ``x``, probing in place.

    Each entry is restored even when ``f`` raises: ``x`` may be the caller's data.
    """
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old_value = x[ix]
        try:
            x[ix] = old_value + h
            plus = f(x)
            x[ix] = old_value - h
            minus = f(x)
        finally:
            x[ix] = old_value
        yield ix, plus, minus
        it.iternext()


def centred_points(x: np.ndarray, h: float = 1e-5) -> list[np.ndarray]:
    """Every probe point of a centred difference at ``x``, in order: ``x + h e_0``,
    ``x - h e_0``, ``x + h e_1``, ... (``2 * x.size`` new float64 arrays; ``x`` is not changed).

    For callers that evaluate ``f`` on all points at once (one batch, e.g. one request to
    another process) and then call ``gradient_from_points``.
    """
    base = np.array(x, dtype=np.float64)
    points = []
    for ix in np.ndindex(base.shape):
        for sign in (1.0, -1.0):
            point = base.copy()
            point[ix] = base[ix] + sign * h
            points.append(point)
    return points


def gradient_from_points(values: list, shape: tuple, h: float = 1e-5, df: np.ndarray | None = None) -> np.ndarray:
    """The centred-difference gradient from ``f``'s values at ``centred_points(x, h)``.

    Args:
        values: ``f`` at each point (scalars, or arrays shaped like ``df``), ``2 * prod(shape)``.
        shape: the shape of ``x``.
        df: upstream gradient for an array-valued ``f`` (the gradient of ``sum(f(x) * df)``).

    Returns:
        grad: float64 array of ``shape``.
    """
    grad = np.zeros(shape, dtype=np.float64)
    if len(values) != 2 * grad.size:
        raise ValueError(f"expected {2 * grad.size} values, got {len(values)}")
    for k, ix in enumerate(np.ndindex(grad.shape)):
        plus, minus = values[2 * k], values[2 * k + 1]
        if df is None:
            grad[ix] = (float(plus) - float(minus)) / (2 * h)
        else:
            diff = np.asarray(plus, dtype=np.float64) - np.asarray(minus, dtype=np.float64)
            grad[ix] = np.sum(diff * df) / (2 * h)
    return grad
