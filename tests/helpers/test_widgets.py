"""helpers.widgets: controls drive a plain compute function; learning-rate runs flag divergence."""

from __future__ import annotations

import warnings

import ipywidgets
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from helpers import widgets  # noqa: E402


@pytest.fixture(autouse=True)
def _no_warnings_no_output(capsys: pytest.CaptureFixture[str]):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out == ""  # headless: nothing displayed or printed


# --------------------------------------------------------------------------- sliders


def test_log_slider() -> None:
    slider = widgets.log_slider("learning rate", 0.01, -4, 1)
    assert isinstance(slider, ipywidgets.FloatLogSlider)
    assert slider.value == pytest.approx(0.01)
    assert (slider.base, slider.min, slider.max, slider.step) == (10, -4, 1, 0.1)
    assert slider.description == "learning rate"
    assert slider.continuous_update is False  # recompute on release, not on every pixel
    with pytest.raises(ValueError, match="outside"):
        widgets.log_slider("lr", 100.0, -4, 1)


def test_int_and_float_sliders() -> None:
    k = widgets.int_slider("k", 5, 1, 25, step=2)
    assert isinstance(k, ipywidgets.IntSlider)
    assert (k.value, k.min, k.max, k.step) == (5, 1, 25, 2)
    rate = widgets.float_slider("dropout", 0.5, 0.0, 0.9, step=0.05)
    assert isinstance(rate, ipywidgets.FloatSlider)
    assert (rate.value, rate.min, rate.max, rate.step) == (0.5, 0.0, 0.9, 0.05)
    with pytest.raises(ValueError):
        widgets.int_slider("k", 0, 1, 25)
    with pytest.raises(ValueError):
        widgets.float_slider("p", 1.5, 0.0, 1.0)


# --------------------------------------------------------------------------- interactive_demo


def make_demo(description: str = ""):
    calls: list[dict] = []
    rendered: list[tuple] = []

    def compute(lr: float, k: int) -> float:
        calls.append({"lr": lr, "k": k})
        return lr * k

    def render(result: float, ax: Axes) -> None:
        rendered.append((result, ax))
        ax.plot([0, 1], [0, result])

    controls = {
        "lr": widgets.log_slider("lr", 0.1, -3, 1),
        "k": widgets.int_slider("k", 3, 1, 10),
    }
    box = widgets.interactive_demo(compute, render, controls, description=description)
    return box, controls, calls, rendered


def test_interactive_demo_builds_box_and_draws_once() -> None:
    box, controls, calls, rendered = make_demo(description="Move the $\\alpha$ slider")
    assert isinstance(box, ipywidgets.VBox)
    assert isinstance(box.children[0], ipywidgets.HTMLMath)
    assert "slider" in box.children[0].value
    assert list(box.children[1].children) == list(controls.values())
    assert isinstance(box.children[-1], ipywidgets.Output)
    assert calls == [{"lr": pytest.approx(0.1), "k": 3}]
    result, ax = rendered[0]
    assert result == pytest.approx(0.3)
    assert ax.figure is box.figure


def test_update_calls_compute_with_new_values() -> None:
    box, controls, calls, rendered = make_demo()
    result = box.update(lr=1.0, k=7)
    assert calls[-1] == {"lr": pytest.approx(1.0), "k": 7}
    assert len(calls) == 2  # setting two controls recomputes once, not once per control
    assert result == pytest.approx(7.0)
    assert controls["k"].value == 7
    assert rendered[-1][0] == pytest.approx(7.0)
    assert len(box.figure.axes) == 1  # redrawn on a fresh Axes, not stacked
    with pytest.raises(ValueError, match="unknown control"):
        box.update(batch_size=3)


def test_moving_a_control_recomputes() -> None:
    box, controls, calls, _ = make_demo()
    controls["k"].value = 9
    assert calls[-1] == {"lr": pytest.approx(0.1), "k": 9}
    controls["lr"].value = 0.01
    assert calls[-1] == {"lr": pytest.approx(0.01), "k": 9}
    assert len(calls) == 3
    assert box.children[0] is not None


def test_no_description_means_no_header() -> None:
    box, *_ = make_demo()
    assert len(box.children) == 2


# --------------------------------------------------------------------------- learning_rate_runs


def linear_gd(X: np.ndarray, y: np.ndarray, lr: float, num_steps: int):
    """Reference full-batch gradient descent on MSE for y ~ w x + b; returns (w, b, costs)."""
    w, b = 0.0, 0.0
    history = []
    for _ in range(num_steps):
        error = w * X + b - y
        history.append(np.mean(error**2))
        w -= lr * 2 * np.mean(error * X)
        b -= lr * 2 * np.mean(error)
    return w, b, np.array(history)


def test_learning_rate_runs_flags_divergence() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(0, 0.55, size=200)
    y = 0.1 * X + 0.3 + rng.normal(0, 0.03, size=200)
    runs = widgets.learning_rate_runs(linear_gd, X, y, [0.01, 0.5, 1e6], num_steps=300)
    assert list(runs) == [0.01, 0.5, 1e6]
    assert all(isinstance(lr, float) for lr in runs)
    for history in runs.values():
        assert history.shape == (300,) and history.dtype == np.float64
    assert runs.diverged == {0.01: False, 0.5: False, 1e6: True}
    assert runs[0.5][-1] < 1e-3 < runs[0.01][-1] < runs[0.01][0]  # bigger lr converges faster
    assert not np.all(np.isfinite(runs[1e6]))  # it overflowed, silently


def test_learning_rate_runs_growing_cost_and_errors() -> None:
    def growing(X, y, lr, num_steps):
        return 0.0, 0.0, np.arange(1.0, num_steps + 1) * lr

    def overflowing(X, y, lr, num_steps):
        with np.errstate(over="raise"):
            np.exp(np.array(1000.0))
        raise AssertionError("unreachable")

    runs = widgets.learning_rate_runs(growing, None, None, [1], num_steps=5)
    assert runs.diverged == {1.0: True}
    runs = widgets.learning_rate_runs(overflowing, None, None, [0.1], num_steps=4)
    assert runs.diverged == {0.1: True}
    assert runs[0.1].shape == (5,) and np.all(np.isnan(runs[0.1])), "num_steps + 1 entries, like a finished run"


def test_is_diverged() -> None:
    assert widgets.is_diverged([3.0, 2.0, 1.0]) is False
    assert widgets.is_diverged([1.0, 0.5, 2.0]) is True
    assert widgets.is_diverged([1.0, np.nan]) is True
    assert widgets.is_diverged([1.0, np.inf, 0.5]) is True
    assert widgets.is_diverged([]) is False


def test_choice() -> None:
    buttons = widgets.choice("vote", ["uniform", "rank-weighted"], "uniform")
    assert buttons.options == ("uniform", "rank-weighted") and buttons.value == "uniform"
    assert buttons.description == "vote"
    with pytest.raises(ValueError, match="not one of"):
        widgets.choice("vote", ["a", "b"], "c")
    demo = widgets.interactive_demo(lambda vote: vote.upper(), lambda result, ax: ax.set_title(result), {"vote": buttons})
    assert demo.update(vote="rank-weighted") == "RANK-WEIGHTED"
