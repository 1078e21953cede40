"""helpers.plots: each function draws what it says on an Agg canvas and returns Axes/Figure."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from helpers import plots  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_figures(monkeypatch: pytest.MonkeyPatch):
    def no_show(*args, **kwargs):
        raise AssertionError("helpers.plots must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("error")  # a warning would reach stderr in a notebook
        yield
    plt.close("all")


def test_import_changes_no_global_state() -> None:
    code = (
        "import json, sys, matplotlib as mpl\n"
        # Only style keys: reading rcParams['backend'] would itself import pyplot.
        "keys = ['axes.grid', 'figure.figsize', 'axes.prop_cycle', 'font.size']\n"
        "before = [mpl.rcParams[k] for k in keys]\n"
        "import helpers.plots, helpers.widgets, helpers.device\n"
        "print(json.dumps({'pyplot': 'matplotlib.pyplot' in sys.modules,\n"
        "                  'ipywidgets': 'ipywidgets' in sys.modules,\n"
        "                  'tf': 'tensorflow' in sys.modules,\n"
        "                  'same_rc': [mpl.rcParams[k] for k in keys] == before}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "pyplot": False, "ipywidgets": False, "tf": False, "same_rc": True
    }


def test_use_course_style() -> None:
    matplotlib.rcdefaults()
    plots.use_course_style()
    assert matplotlib.rcParams["axes.grid"] is True
    assert matplotlib.rcParams["axes.spines.top"] is False
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert colors[0] == plots.COURSE_COLORS["blue"]
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.4, 4.2)


def test_plot_loss_curve() -> None:
    losses = np.array([4.0, 2.0, 1.0, 0.5])
    ax = plots.plot_loss_curve(losses, title="MSE", label="lr=0.1")
    assert isinstance(ax, Axes)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
    np.testing.assert_array_equal(line.get_ydata(), losses)
    assert ax.get_title() == "MSE" and ax.get_xlabel() == "step" and ax.get_ylabel() == "cost"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["lr=0.1"]
    assert ax.get_yscale() == "linear"


def test_plot_loss_curve_on_given_axes_log_and_diverged() -> None:
    _, ax = plt.subplots()
    plots.plot_loss_curve([1.0, 0.1], ax=ax)
    returned = plots.plot_loss_curve([1.0, 10.0, np.inf, np.nan], ax=ax, log_y=True)
    assert returned is ax
    assert len(ax.get_lines()) == 2
    assert ax.get_yscale() == "log"
    assert ax.get_legend() is None
    y = ax.get_lines()[1].get_ydata()
    assert np.isnan(y[2]) and np.isnan(y[3])  # inf shown as a gap
    ax.figure.canvas.draw()  # renders without warnings


def test_plot_regression_fit() -> None:
    x = np.linspace(-1, 1, 20)
    y = 0.1 * x + 0.3
    ax = plots.plot_regression_fit(x, y, lines={"start": (0.0, 0.0), "fit": (0.1, 0.3)})
    assert isinstance(ax, Axes)
    (points,) = ax.collections
    np.testing.assert_allclose(points.get_offsets(), np.column_stack([x, y]))
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, (w, b) in zip(lines, [(0.0, 0.0), (0.1, 0.3)]):
        np.testing.assert_allclose(line.get_ydata(), w * line.get_xdata() + b)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "data" and labels[1].startswith("start") and "0.100" in labels[2]
    assert len(plots.plot_regression_fit(x, y).get_lines()) == 0


def test_plot_decision_boundary_labels() -> None:
    X = np.array([[-1.0, 0.0], [-2.0, 1.0], [1.0, 0.0], [2.0, -1.0]])
    y = np.array([0, 0, 1, 1])
    calls = []

    def predict(points: np.ndarray) -> np.ndarray:
        calls.append(points.shape)
        return (points[:, 0] > 0).astype(int)

    ax = plots.plot_decision_boundary(predict, X, y, resolution=30)
    assert isinstance(ax, Axes)
    assert calls == [(900, 2)]
    facecolors = [to_hex(c) for c in ax.collections[-1].get_facecolors()]
    red, green = plots.COURSE_COLORS["red"].lower(), plots.COURSE_COLORS["green"].lower()
    assert facecolors == [red, red, green, green]  # 0 = red, 1 = green as in the deck
    x_lo, x_hi = ax.get_xlim()
    assert x_lo < -2 and x_hi > 2
    ax.figure.canvas.draw()


def test_plot_decision_boundary_probabilities_and_errors() -> None:
    X, y = np.array([[-1.0, -1.0], [1.0, 1.0]]), np.array([0, 1])
    ax = plots.plot_decision_boundary(
        lambda p: 1 / (1 + np.exp(-(p[:, 0] + p[:, 1]))), X, y, resolution=20
    )
    ax.figure.canvas.draw()
    with pytest.raises(ValueError, match="predict_fn"):
        plots.plot_decision_boundary(lambda p: np.zeros(3), X, y, resolution=10)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plots.plot_decision_boundary(
            lambda p: p[:, 0], np.zeros((3, 3)), np.zeros(3), resolution=10
        )


def test_plot_image_grid() -> None:
    images = np.random.default_rng(0).integers(0, 255, size=(10, 28, 28, 1), dtype=np.uint8)
    fig = plots.plot_image_grid(images, labels=[f"c{i}" for i in range(10)], ncols=4)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12  # 3 rows of 4
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10
    assert [ax.get_title() for ax in shown] == [f"c{i}" for i in range(10)]
    assert shown[0].images[0].get_array().shape == (28, 28)
    rgb = plots.plot_image_grid(np.zeros((2, 5, 5, 3)), ncols=8)
    assert len(rgb.axes) == 2
    with pytest.raises(ValueError, match="labels"):
        plots.plot_image_grid(images, labels=[1, 2])


def test_plot_cost_surface() -> None:
    calls = []

    def cost(w: float, b: float) -> float:
        calls.append((w, b))
        return (w - 0.1) ** 2 + (b - 0.3) ** 2

    path = np.array([[-0.5, -0.5], [0.0, 0.1], [0.1, 0.3]])
    ax = plots.plot_cost_surface(cost, (-1, 1), (-1, 1), path=path, levels=10, num_points=15)
    assert isinstance(ax, Axes)
    assert len(calls) == 15 * 15
    gd_line = ax.get_lines()[0]
    np.testing.assert_allclose(np.column_stack([gd_line.get_xdata(), gd_line.get_ydata()]), path)
    assert ax.get_xlim() == (-1.0, 1.0) and ax.get_xlabel() == "w"
    ax.figure.canvas.draw()
    with pytest.raises(ValueError, match=r"\(K, 2\)"):
        plots.plot_cost_surface(cost, (-1, 1), (-1, 1), path=np.zeros(3), num_points=5)


def test_plot_confusion_matrix() -> None:
    counts = np.array([[5, 1, 0], [0, 7, 2], [0, 0, 9]])
    ax = plots.plot_confusion_matrix(counts, class_names=["a", "b", "c"])
    assert isinstance(ax, Axes)
    np.testing.assert_array_equal(ax.images[0].get_array(), counts)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 9 and texts[:3] == ["5", "1", "·"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert "accuracy 0.875" in ax.get_title() and ax.get_ylabel() == "true class"
    ax.figure.canvas.draw()
    with pytest.raises(ValueError, match="square"):
        plots.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class names"):
        plots.plot_confusion_matrix(counts, class_names=["a"])
    with pytest.raises(ValueError, match="non-negative"):
        plots.plot_confusion_matrix(-counts)


def test_plot_image_grid_shared_colour_scale() -> None:
    weights = np.stack([np.full((4, 4), 0.5), np.linspace(-2.0, 1.0, 16).reshape(4, 4)])
    fig = plots.plot_image_grid(weights, cmap="RdBu_r", vmin=-2.0, vmax=2.0)
    limits = [ax.images[0].get_clim() for ax in fig.axes if ax.images]
    assert limits == [(-2.0, 2.0), (-2.0, 2.0)]
    own_scale = plots.plot_image_grid(weights, cmap="RdBu_r")
    assert [ax.images[0].get_clim() for ax in own_scale.axes][1] == (-2.0, 1.0)


def test_norm_ball_minimum_l1_lands_on_a_corner_l2_does_not() -> None:
    A = ((1.0, 0.4), (0.4, 0.8))
    l1 = plots.norm_ball_minimum((1.0, 2.5), A, 1.0, 1)
    l2 = plots.norm_ball_minimum((1.0, 2.5), A, 1.0, 2)
    np.testing.assert_array_equal(l1, [0.0, 1.0])  # exactly on the w2 axis: w1 is 0
    assert np.all(np.abs(l2) > 0.5) and np.isclose(np.linalg.norm(l2), 1.0)
    # w* inside the ball is its own minimum; identity curvature projects onto the disc
    np.testing.assert_array_equal(plots.norm_ball_minimum((0.2, 0.1), A, 1.0, 1), [0.2, 0.1])
    np.testing.assert_allclose(plots.norm_ball_minimum((3.0, 4.0), np.eye(2), 1.0, 2), [0.6, 0.8], atol=1e-3)
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        plots.norm_ball_minimum((1.0, 1.0), A, 1.0, 3)


def test_plot_norm_ball_geometry() -> None:
    figure = plots.plot_norm_ball_geometry()
    assert isinstance(figure, Figure)
    left, right = figure.axes
    assert left.get_title().startswith("L1") and right.get_title().startswith("L2")
    assert "(0.00, 1.00)" in " ".join(t.get_text() for t in left.get_legend().get_texts())
    figure.canvas.draw()


def test_plot_trajectories_draws_contours_and_one_line_per_path() -> None:
    from helpers import optim

    paths = {"a": np.array([[-1.5, 2.0], [-1.0, 1.0], [0.0, 0.0]]), "b": np.array([[-1.5, 2.0], [0.5, 0.5]])}
    ax = plots.plot_trajectories(optim.rosenbrock, paths, (-2.0, 2.0), (-1.0, 3.0), minimum=(1, 1), num_points=30, title="t")
    assert isinstance(ax, Axes)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "a" in labels and "b" in labels
    np.testing.assert_allclose(ax.get_lines()[labels.index("a")].get_xydata(), paths["a"])
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.0, 3.0)
    assert ax.get_title() == "t" and ax.get_legend() is not None
    assert ax.collections, "contour lines drawn"
    # a linear-level variant and a bad path shape
    plots.plot_trajectories(optim.saddle, {}, (-1, 1), (-1, 1), log_levels=False, num_points=20)
    with pytest.raises(ValueError, match="shape"):
        plots.plot_trajectories(optim.rosenbrock, {"bad": np.zeros((3, 3))}, (-2, 2), (-1, 3), num_points=10)
