"""Test surfaces and trajectory runners for notebook 04 (optimizers).

An update rule follows one contract (after CS231n's ``optim.py``):
``update(w, dw, config) -> (next_w, config)``, ``config`` a dict holding the hyper-parameters
and the rule's state (velocity, caches, step counter). The runners here only call rules;
they never implement one.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = [
    "ill_conditioned_quadratic",
    "keras_path",
    "quadratic_gradient",
    "quadratic_loss",
    "rosenbrock",
    "rosenbrock_gradient",
    "run_update_rule",
    "saddle",
    "saddle_gradient",
    "steps_to_reach",
]

UpdateRule = Callable[[np.ndarray, np.ndarray, dict], tuple[np.ndarray, dict]]


def ill_conditioned_quadratic(condition_number: float = 25.0) -> np.ndarray:
    """The Hessian ``A`` (2, 2) of f(w) = 0.5 w^T A w: eigenvalues 1 and ``condition_number``,
    axes turned by 30 degrees so that neither coordinate is an eigen-direction."""
    angle = np.pi / 6
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return rotation @ np.diag([1.0, float(condition_number)]) @ rotation.T


def quadratic_gradient(A: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The gradient w -> A w of f(w) = 0.5 w^T A w (``A`` symmetric (D, D))."""
    A = np.asarray(A, dtype=np.float64)
    return lambda w: A @ w


def quadratic_loss(A: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The loss w -> 0.5 w^T A w (``A`` symmetric (D, D)) for one point (D,) or a grid (D, ...)
    (the result has the trailing shape), e.g. for contour plots."""
    A = np.asarray(A, dtype=np.float64)
    return lambda w: 0.5 * np.einsum("i...,ij,j...->...", np.asarray(w, dtype=np.float64), A,
                                     np.asarray(w, dtype=np.float64))


def rosenbrock(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """Rosenbrock's banana valley f(x, y) = (a - x)^2 + b (y - x^2)^2, minimum 0 at (a, a^2).

    ``w`` has shape (2,) or (2, ...) (a grid); the result has the trailing shape."""
    x, y = w[0], w[1]
    return (a - x) ** 2 + b * (y - x ** 2) ** 2


def rosenbrock_gradient(w: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    """The gradient (2,) of ``rosenbrock`` at ``w`` (2,)."""
    x, y = w
    return np.array([-2.0 * (a - x) - 4.0 * b * x * (y - x ** 2), 2.0 * b * (y - x ** 2)])


def run_update_rule(update_rule: UpdateRule, config: dict[str, Any] | None, w0: np.ndarray,
                    gradient: Callable[[np.ndarray], np.ndarray], num_steps: int,
                    max_norm: float = 1e6) -> np.ndarray:
    """Iterate ``w <- update_rule(w, gradient(w), config)`` from ``w0`` (D,).

    ``config`` is copied first (the caller's dict is never changed). A run that leaves the
    ball of radius ``max_norm`` (diverged) stops there.

    Returns:
        path: (num_steps + 1, D) float64, row 0 is ``w0``; rows after a divergence repeat the
        last finite point.
    """
    w = np.array(w0, dtype=np.float64)
    config = dict(config or {})
    path = np.empty((num_steps + 1, w.size))
    path[0] = w
    for step in range(1, num_steps + 1):
        next_w, config = update_rule(w, gradient(w), config)
        if not np.all(np.isfinite(next_w)) or np.linalg.norm(next_w) > max_norm:
            path[step:] = w
            break
        w = np.asarray(next_w, dtype=np.float64)
        path[step] = w
    return path


def keras_path(optimizer: Any, w0: np.ndarray, gradient: Callable[[np.ndarray], np.ndarray],
               num_steps: int) -> np.ndarray:
    """The same iteration with a ``tf.keras.optimizers`` optimizer on a float64 variable.

    Returns:
        path: (num_steps + 1, D) float64, row 0 is ``w0``.
    """
    import tensorflow as tf

    variable = tf.Variable(np.array(w0, dtype=np.float64))
    path = [variable.numpy().copy()]
    for _ in range(num_steps):
        optimizer.apply_gradients([(tf.constant(gradient(variable.numpy())), variable)])
        path.append(variable.numpy().copy())
    return np.array(path)


def saddle(w: np.ndarray) -> np.ndarray:
    """The saddle f(x, y) = 0.5 (x^2 - y^2): a minimum along x, a maximum along y, gradient 0 at (0, 0).

    ``w`` has shape (2,) or (2, ...) (a grid); the result has the trailing shape."""
    return 0.5 * (w[0] ** 2 - w[1] ** 2)


def saddle_gradient(w: np.ndarray) -> np.ndarray:
    """The gradient (2,) of ``saddle`` at ``w`` (2,): (x, -y)."""
    x, y = w
    return np.array([x, -y], dtype=np.float64)


def steps_to_reach(path: np.ndarray, loss_fn: Callable[[np.ndarray], Any], tolerance: float) -> int | None:
    """The first step k at which ``loss_fn(path[k]) <= tolerance``, or None if the path never gets there.

    Args:
        path: (K, D) points, as ``run_update_rule`` returns them.
        loss_fn: maps one point (D,) to a scalar loss.
    """
    for step, point in enumerate(np.asarray(path, dtype=np.float64)):
        if float(loss_fn(point)) <= tolerance:
            return step
    return None
