"""The course's figures: loss curves, regression fits, decision boundaries, image grids,
cost surfaces, confusion matrices and the L1/L2 constraint geometry.

Every function returns the matplotlib Axes or Figure it drew on and never calls
``plt.show()`` (Jupyter shows the figure; tests inspect it). matplotlib is imported inside
the functions, so importing this module changes no global state.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # only for annotations: keeps the import free of matplotlib
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "COURSE_COLORS",
    "norm_ball_minimum",
    "plot_confusion_matrix",
    "plot_cost_surface",
    "plot_decision_boundary",
    "plot_image_grid",
    "plot_loss_curve",
    "plot_norm_ball_geometry",
    "plot_regression_fit",
    "plot_trajectories",
    "use_course_style",
]

# Okabe-Ito colour-blind-safe palette; red and green keep the deck's kNN class colours.
COURSE_COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
# Class colours for two-class plots: label 0 = red, label 1 = green (the deck's kNN slides).
CLASS_COLORS = [
    COURSE_COLORS[name] for name in ("red", "green", "blue", "orange", "purple", "sky")
]


def use_course_style() -> None:
    """Apply the course's matplotlib style (size, grid, colours) to ``rcParams``."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.2),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=list(COURSE_COLORS.values())),
            "legend.frameon": False,
            "lines.linewidth": 2.0,
            "lines.markersize": 4.0,
            "image.cmap": "viridis",
        }
    )


def _new_axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots()
    return new_ax


def plot_loss_curve(
    losses: Sequence[float] | np.ndarray,
    ax: Axes | None = None,
    title: str = "Cost",
    xlabel: str = "step",
    ylabel: str = "cost",
    log_y: bool = False,
    label: str | None = None,
) -> Axes:
    """Line plot of a loss (cost) per step.

    Args:
        losses: (K,) cost per step; nan/inf (a diverged run) leave a gap.
        ax: draw on this Axes (several curves on one plot); a new figure if None.
        log_y: logarithmic cost axis (compare runs whose costs differ by orders of magnitude).
        label: legend entry for this curve.

    Returns:
        The Axes drawn on.
    """
    ax = _new_axes(ax)
    values = np.asarray(losses, dtype=np.float64).ravel()
    # inf cannot be drawn (nor put on a log axis): show it as a gap like nan.
    values = np.where(np.isfinite(values), values, np.nan)
    ax.plot(np.arange(len(values)), values, label=label)
    if log_y:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if label is not None:
        ax.legend()
    return ax


def plot_regression_fit(
    x: np.ndarray,
    y: np.ndarray,
    lines: Mapping[str, tuple[float, float]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of the data plus one line ``y = w x + b`` per entry of ``lines``.

    Args:
        x: (N,) inputs.
        y: (N,) targets.
        lines: name -> (w, b), e.g. ``{"step 0": (w0, b0), "fitted": (w, b)}``.

    Returns:
        The Axes drawn on.
    """
    ax = _new_axes(ax)
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    ax.scatter(x, y, s=8, alpha=0.5, color=COURSE_COLORS["red"], label="data")
    if len(x):
        grid = np.linspace(x.min(), x.max(), 100)
        for name, (w, b) in (lines or {}).items():
            ax.plot(grid, w * grid + b, label=f"{name}: y = {w:.3f}x + {b:.3f}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend()
    return ax


def plot_decision_boundary(
    predict_fn: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
) -> Axes:
    """Colour the plane by the predicted class and scatter the labelled points on top.

    Args:
        predict_fn: maps (M, 2) points to (M,) predictions: integer class labels, or
            probabilities of class 1 (then the 0.5 contour is drawn as the boundary).
        X: (N, 2) points.
        y: (N,) integer labels (0 = red, 1 = green, ...).
        resolution: grid points per axis (resolution**2 predictions).

    Returns:
        The Axes drawn on.
    """
    from matplotlib.colors import ListedColormap

    ax = _new_axes(ax)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (N, 2), got {X.shape}")
    margin = 0.1 * np.maximum(X.max(axis=0) - X.min(axis=0), 1e-3) + 0.5
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    predictions = np.asarray(predict_fn(points))
    if predictions.size != len(points):
        raise ValueError(
            f"predict_fn must map ({len(points)}, 2) points to ({len(points)},) "
            f"predictions, got shape {predictions.shape}"
        )
    Z = predictions.reshape(grid_x.shape).astype(np.float64)
    is_labels = bool(np.all(np.isfinite(Z)) and np.all(Z == np.round(Z)))
    classes = np.union1d(np.unique(y), np.unique(Z)) if is_labels else np.unique(y)
    colors = [CLASS_COLORS[int(c) % len(CLASS_COLORS)] for c in classes]
    if is_labels:
        # One flat region per class: levels halfway between consecutive labels.
        levels = np.concatenate(
            [[classes[0] - 0.5], (classes[:-1] + classes[1:]) / 2, [classes[-1] + 0.5]]
        )
        ax.contourf(grid_x, grid_y, Z, levels=levels, cmap=ListedColormap(colors), alpha=0.25)
    elif Z.max() > Z.min():  # a constant surface has no contours (matplotlib would warn)
        ax.contourf(grid_x, grid_y, Z, levels=20, cmap="RdYlGn", alpha=0.3)
        if Z.min() < 0.5 < Z.max():
            ax.contour(grid_x, grid_y, Z, levels=[0.5], colors="k", linewidths=1.5)
    point_colors = [colors[int(np.searchsorted(classes, label))] for label in y]
    ax.scatter(X[:, 0], X[:, 1], c=point_colors, edgecolors="k", linewidths=0.5, s=30)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def plot_image_grid(
    images: np.ndarray,
    labels: Sequence[Any] | np.ndarray | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Show images in a grid, optionally with a label above each.

    Args:
        images: (N, H, W), (N, H, W, 1) or (N, H, W, 3) (NHWC, as TensorFlow uses).
        labels: N labels (ints or class names) shown as titles.
        ncols: images per row.
        cmap: colormap for single-channel images.
        vmin, vmax: one colour scale for every single-channel image (default: each image
            scaled on its own); e.g. ``-m, m`` with a diverging cmap puts 0 at its centre.

    Returns:
        The Figure (one Axes per image, axes hidden).
    """
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"images must have shape (N, H, W[, C]) with N > 0, got {images.shape}")
    if labels is not None and len(labels) != len(images):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.3 * ncols, 1.5 * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= len(images):
            continue
        if images.ndim == 3:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
        else:
            ax.imshow(images[i])
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=9)
    fig.tight_layout()
    return fig


def _grid_values(value_range: Sequence[float] | np.ndarray, num_points: int) -> np.ndarray:
    values = np.asarray(value_range, dtype=np.float64).ravel()
    if len(values) == 2:
        return np.linspace(values[0], values[1], num_points)
    return values


def plot_cost_surface(
    cost_fn: Callable[[float, float], float],
    w_range: Sequence[float] | np.ndarray,
    b_range: Sequence[float] | np.ndarray,
    path: np.ndarray | None = None,
    ax: Axes | None = None,
    levels: int | Sequence[float] = 30,
    num_points: int = 80,
) -> Axes:
    """Contour plot of ``cost_fn(w, b)`` with an optional gradient-descent path on top.

    Args:
        cost_fn: maps scalars (w, b) to the scalar cost; called once per grid point.
        w_range, b_range: (min, max) (``num_points`` values each) or explicit 1-D grids.
        path: (K, 2) successive (w, b) of gradient descent.
        levels: number of contour levels or the levels themselves.

    Returns:
        The Axes drawn on (limits stay on the grid even if the path leaves it).
    """
    ax = _new_axes(ax)
    w_values = _grid_values(w_range, num_points)
    b_values = _grid_values(b_range, num_points)
    W, B = np.meshgrid(w_values, b_values)
    # A plain loop: cost_fn usually closes over (N,) data and does not broadcast over a grid.
    C = np.array([[float(cost_fn(w, b)) for w in w_values] for b in b_values])
    contours = ax.contour(W, B, C, levels=levels, cmap="viridis")
    ax.clabel(contours, inline=True, fontsize=7, fmt="%.3g")
    if path is not None:
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path must have shape (K, 2), got {path.shape}")
        ax.plot(path[:, 0], path[:, 1], "o-", color=COURSE_COLORS["red"], markersize=3,
                label="GD path")
        ax.plot(path[0, 0], path[0, 1], "s", color=COURSE_COLORS["black"], label="start")
        ax.legend()
    ax.set_xlim(w_values.min(), w_values.max())
    ax.set_ylim(b_values.min(), b_values.max())
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    return ax


def plot_confusion_matrix(
    counts: np.ndarray,
    class_names: Sequence[Any] | None = None,
    ax: Axes | None = None,
    title: str = "Confusion matrix",
) -> Axes:
    """Show a confusion matrix as a heat map with the count written in every cell.

    Args:
        counts: (C, C) non-negative counts; row i = true class i, column j = predicted class j
            (``sklearn.metrics.confusion_matrix``'s layout).
        class_names: C tick labels (default 0 .. C-1).
        title: the Axes title; the accuracy (trace / total) is appended.

    Returns:
        The Axes drawn on.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"counts must be a square (C, C) matrix, got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("counts must be finite and non-negative")
    num_classes = counts.shape[0]
    names = list(range(num_classes)) if class_names is None else list(class_names)
    if len(names) != num_classes:
        raise ValueError(f"got {len(names)} class names for a {num_classes}x{num_classes} matrix")
    ax = _new_axes(ax)
    ax.imshow(counts, cmap="Blues")
    ax.grid(False)
    darkest = counts.max() if counts.max() > 0 else 1
    for row in range(num_classes):
        for col in range(num_classes):
            value = counts[row, col]
            text = f"{value:g}" if value else "·"
            colour = "white" if value > 0.6 * darkest else "black"
            ax.text(col, row, text, ha="center", va="center", color=colour, fontsize=8)
    ax.set_xticks(range(num_classes), [str(n) for n in names])
    ax.set_yticks(range(num_classes), [str(n) for n in names])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else float("nan")
    ax.set_title(f"{title} (accuracy {accuracy:.3f})")
    return ax


def norm_ball_minimum(w_star: Sequence[float], curvature: Any, radius: float, p: int, num_points: int = 40_000) -> np.ndarray:
    """The minimum of the quadratic loss (w - w*)^T A (w - w*) over the 2-D ball ||w||_p <= radius.

    For w* outside the ball the minimum lies on its boundary, which is searched on
    ``num_points`` points (a multiple of 4 puts points exactly on the L1 ball's corners).

    Args:
        w_star: the unconstrained minimum, shape (2,).
        curvature: A, a symmetric positive-definite (2, 2) matrix.
        radius: the ball's radius (> 0).
        p: 1 (the diamond |w1| + |w2| <= r) or 2 (the disc).

    Returns:
        The constrained minimum, shape (2,); coordinates within 1e-12 of 0 are returned as 0.
    """
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p}")
    w_star, A = np.asarray(w_star, dtype=np.float64), np.asarray(curvature, dtype=np.float64)
    if np.sum(np.abs(w_star) ** p) ** (1 / p) <= radius:
        return w_star.copy()
    angles = 2 * np.pi * np.arange(num_points) / num_points
    directions = np.column_stack([np.cos(angles), np.sin(angles)])
    directions[np.abs(directions) < 1e-12] = 0.0
    boundary = radius * directions / np.linalg.norm(directions, ord=p, axis=1, keepdims=True)
    offsets = boundary - w_star
    losses = np.einsum("ni,ij,nj->n", offsets, A, offsets)
    best = boundary[int(np.argmin(losses))]
    return np.where(np.abs(best) < 1e-12, 0.0, best)


def plot_norm_ball_geometry(
    w_star: Sequence[float] = (1.0, 2.5),
    curvature: Any = ((1.0, 0.4), (0.4, 0.8)),
    radius: float = 1.0,
    figsize: tuple[float, float] = (10.0, 4.6),
) -> Figure:
    """Why L1 gives zeros: the loss contours first touch the diamond at a corner (on an axis),
    the disc at a point where both weights are non-zero.

    Left L1, right L2: the ball ||w||_p <= radius (shaded), elliptical contours of
    (w - w*)^T A (w - w*) around the unregularised minimum w* (a star), the contour through the
    constrained minimum (thick) and that minimum (a dot, from ``norm_ball_minimum``).

    Returns:
        The Figure with two Axes titled "L1 ..." and "L2 ...".
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle, Polygon

    w_star, A = np.asarray(w_star, dtype=np.float64), np.asarray(curvature, dtype=np.float64)
    figure, axes = plt.subplots(1, 2, figsize=figsize)
    extent = max(radius, *np.abs(w_star)) + 1.0
    grid = np.linspace(-extent, extent, 300)
    W1, W2 = np.meshgrid(grid, grid)
    D1, D2 = W1 - w_star[0], W2 - w_star[1]
    loss = A[0, 0] * D1**2 + 2 * A[0, 1] * D1 * D2 + A[1, 1] * D2**2
    for ax, p in zip(axes, (1, 2)):
        best = norm_ball_minimum(w_star, A, radius, p)
        offset = best - w_star
        touching = float(offset @ A @ offset)
        shade = COURSE_COLORS["sky"]
        if p == 1:
            ball = Polygon([(radius, 0), (0, radius), (-radius, 0), (0, -radius)], closed=True, facecolor=shade,
                           edgecolor="black", alpha=0.5)
        else:
            ball = Circle((0, 0), radius, facecolor=shade, edgecolor="black", alpha=0.5)
        ax.add_patch(ball)
        ax.contour(W1, W2, loss, levels=sorted({touching * f for f in (0.25, 0.5, 2.0, 3.5)}), colors="0.6",
                   linewidths=0.8)
        ax.contour(W1, W2, loss, levels=[touching], colors=COURSE_COLORS["orange"], linewidths=2.0)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.plot(*w_star, "*", color="black", markersize=12, label="$w^*$ (no penalty)")
        ax.plot(*best, "o", color=COURSE_COLORS["red"], markersize=8,
                label=f"constrained minimum ({best[0]:.2f}, {best[1]:.2f})")
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xlabel("$w_1$")
        ax.set_ylabel("$w_2$")
        name = "L1: $|w_1| + |w_2| \\leq r$" if p == 1 else "L2: $w_1^2 + w_2^2 \\leq r^2$"
        ax.set_title(name)
        ax.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    return figure


def plot_trajectories(
    loss_fn: Callable[[np.ndarray], np.ndarray],
    paths: Mapping[str, np.ndarray],
    x_range: Sequence[float],
    y_range: Sequence[float],
    ax: Axes | None = None,
    num_levels: int = 20,
    log_levels: bool = True,
    num_points: int = 200,
    minimum: Sequence[float] | None = None,
    title: str | None = None,
) -> Axes:
    """Contours of a 2-D loss with one optimizer path per entry of ``paths`` on top.

    Args:
        loss_fn: maps a grid ``w`` of shape (2, G, G) to losses (G, G) (it must broadcast over
            the trailing axes, as ``helpers.optim.rosenbrock`` does).
        paths: name -> (K, 2) successive points w_0, w_1, ... of one optimizer.
        x_range, y_range: (min, max) of the plotted window (paths may leave it).
        num_levels: contour levels, log-spaced between the grid's smallest and largest loss
            when ``log_levels`` (valleys and Rosenbrock's banana need them), else linear.
        minimum: where to draw a star (the minimum), or None.

    Returns:
        The Axes drawn on; its limits are the window.
    """
    ax = _new_axes(ax)
    xs = np.linspace(float(x_range[0]), float(x_range[1]), num_points)
    ys = np.linspace(float(y_range[0]), float(y_range[1]), num_points)
    grid_x, grid_y = np.meshgrid(xs, ys)
    losses = np.asarray(loss_fn(np.stack([grid_x, grid_y])), dtype=np.float64)
    if log_levels:
        low = max(float(np.min(losses)), 1e-12 * max(float(np.max(losses)), 1e-12))
        levels = np.geomspace(max(low, 1e-6), float(np.max(losses)), num_levels)
    else:
        levels = np.linspace(float(np.min(losses)), float(np.max(losses)), num_levels)
    ax.contour(grid_x, grid_y, losses, levels=levels, cmap="viridis", linewidths=0.7)
    colors = list(COURSE_COLORS.values())
    for k, (name, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"path {name!r} must have shape (K, 2), got {path.shape}")
        color = colors[k % len(colors)] if colors[k % len(colors)] != COURSE_COLORS["yellow"] else "0.4"
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.4, marker="o", markersize=2, label=name)
    if paths:
        first = np.asarray(next(iter(paths.values())), dtype=np.float64)[0]
        ax.plot(first[0], first[1], "s", color=COURSE_COLORS["black"], markersize=6)
        ax.legend(fontsize=8, loc="best")
    if minimum is not None:
        ax.plot(minimum[0], minimum[1], "*", color=COURSE_COLORS["black"], markersize=12)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    if title is not None:
        ax.set_title(title)
    return ax
