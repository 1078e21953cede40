"""Interactive demos: ipywidgets controls wired to a plain-Python compute function.

The compute function does the teaching (and is tested headless); the widget only wires
controls to ``render(compute(**values), ax)``. ipywidgets and matplotlib are imported
inside the functions that build widgets.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import numpy as np

if TYPE_CHECKING:  # annotations only: importing this module stays cheap
    import ipywidgets
    from matplotlib.axes import Axes

__all__ = [
    "RunHistories",
    "choice",
    "float_slider",
    "int_slider",
    "interactive_demo",
    "is_diverged",
    "learning_rate_runs",
    "log_slider",
]

_SLIDER_STYLE = {"description_width": "initial"}


def interactive_demo(
    compute: Callable[..., Any],
    render: Callable[[Any, Axes], None],
    controls: Mapping[str, ipywidgets.ValueWidget],
    description: str = "",
    figsize: tuple[float, float] = (6.4, 4.2),
) -> ipywidgets.VBox:
    """Build a demo: moving a control recomputes and redraws one figure.

    Args:
        compute: plain function; called as ``compute(**{name: control.value})``.
        render: draws ``compute``'s result on a fresh Axes of the demo's one figure.
        controls: keyword name of ``compute`` -> widget (e.g. from ``log_slider``).
        description: text (HTML, $LaTeX$ allowed) shown above the controls.

    Returns:
        A VBox [description, controls, output]. It also carries ``update(**values)``
        (set some controls, recompute, redraw; returns the result), ``figure``,
        ``output`` and ``controls``, so the wiring can be driven without a browser.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    # A bare Figure (not pyplot): no global figure list, no duplicate inline display.
    figure = Figure(figsize=figsize)
    output = widgets.Output()
    controls = dict(controls)
    setting_values = [False]  # True while update() sets several controls at once

    def update(**new_values: Any) -> Any:
        unknown = sorted(set(new_values) - set(controls))
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; the demo has {sorted(controls)}")
        setting_values[0] = True
        try:
            for name, value in new_values.items():
                controls[name].value = value  # sliders clip to their range
        finally:
            setting_values[0] = False
        values = {name: control.value for name, control in controls.items()}
        result = compute(**values)
        figure.clear()
        render(result, figure.add_subplot())
        if _in_ipython():
            # Replace the Output widget's content in one state update. Capturing with
            # `with output:` would make nbclient (grading, tests) send widget updates on the
            # shell channel mid-execution, which can cost it the cell's reply (nbclient #312).
            output.outputs = (_png_output(figure),)
        return result

    def on_change(_change: dict[str, Any]) -> None:
        if setting_values[0]:
            return
        try:
            update()
        except Exception:
            # A slider moved in the browser: show the error in the demo (Output shows and
            # swallows it inside a kernel; elsewhere it propagates).
            output.outputs = ()
            with output:
                raise

    for control in controls.values():
        control.observe(on_change, names="value")

    children: list[Any] = []
    if description:
        children.append(widgets.HTMLMath(value=description))
    children.append(widgets.VBox(list(controls.values())))
    children.append(output)
    box = widgets.VBox(children)
    box.update = update
    box.figure = figure
    box.output = output
    box.controls = controls
    update()
    return box


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _png_output(figure: Any) -> dict[str, Any]:
    """The figure as one nbformat ``display_data`` output (PNG, base64)."""
    import base64

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
                 "text/plain": "<Figure>"},
        "metadata": {},
    }


def log_slider(
    description: str, value: float, min_exp: float, max_exp: float, step: float = 0.1
) -> ipywidgets.FloatLogSlider:
    """A slider over ``10**min_exp .. 10**max_exp`` on a log scale (learning rates, lambdas)."""
    import ipywidgets as widgets

    if not 10.0**min_exp <= value <= 10.0**max_exp:
        raise ValueError(f"value {value} is outside [1e{min_exp:g}, 1e{max_exp:g}]")
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=min_exp,
        max=max_exp,
        step=step,
        description=description,
        readout_format=".3g",
        continuous_update=False,
        style=_SLIDER_STYLE,
    )


def _bounded_slider(widget_class: str, description: str, value, min, max, **options):  # noqa: A002
    """An ipywidgets slider that refuses a start value outside its range, updating on release."""
    import ipywidgets as widgets

    if not min <= value <= max:
        raise ValueError(f"value {value} is outside [{min}, {max}]")
    return getattr(widgets, widget_class)(
        value=value, min=min, max=max, description=description,
        continuous_update=False, style=_SLIDER_STYLE, **options,
    )


def int_slider(
    description: str,
    value: int,
    min: int,  # noqa: A002 (ipywidgets' names)
    max: int,  # noqa: A002
    step: int = 1,
) -> ipywidgets.IntSlider:
    """An integer slider (k of kNN, batch size, number of steps)."""
    return _bounded_slider("IntSlider", description, value, min, max, step=step)


def float_slider(
    description: str,
    value: float,
    min: float,  # noqa: A002 (ipywidgets' names)
    max: float,  # noqa: A002
    step: float = 0.01,
    readout_format: str = ".2f",
) -> ipywidgets.FloatSlider:
    """A linear float slider (dropout rate, noise level, a weight)."""
    return _bounded_slider("FloatSlider", description, value, min, max, step=step, readout_format=readout_format)


def choice(description: str, options: Iterable[str], value: str) -> ipywidgets.ToggleButtons:
    """A row of toggle buttons for a few named options (uniform vs rank-weighted vote, ...)."""
    import ipywidgets as widgets

    options = list(options)
    if value not in options:
        raise ValueError(f"value {value!r} is not one of {options}")
    return widgets.ToggleButtons(options=options, value=value, description=description, style=_SLIDER_STYLE)


class RunHistories(dict):
    """``learning rate -> (K,) cost history``, plus ``diverged``: learning rate -> bool."""

    def __init__(self) -> None:
        super().__init__()
        self.diverged: dict[float, bool] = {}


def is_diverged(history: np.ndarray) -> bool:
    """Whether a (K,) cost history diverged: any non-finite value, or last cost > first."""
    history = np.asarray(history, dtype=np.float64).ravel()
    if history.size == 0:
        return False
    if not np.all(np.isfinite(history)):
        return True
    return bool(history[-1] > history[0])


def learning_rate_runs(
    gd_fn: Callable[[np.ndarray, np.ndarray, float, int], tuple[Any, Any, Any]],
    X: np.ndarray,
    y: np.ndarray,
    learning_rates: Iterable[float],
    num_steps: int,
) -> RunHistories:
    """Run gradient descent once per learning rate and collect the cost histories.

    Args:
        gd_fn: ``gd_fn(X, y, lr, num_steps) -> (w, b, history)``, history (K,) cost per step.
        X, y: the data passed to every run.
        learning_rates: e.g. ``[0.01, 0.1, 1.0, 10.0]``.

    Returns:
        ``RunHistories``: a dict ``float(lr) -> (K,) float64 history`` whose ``diverged``
        dict marks the runs that blew up. A run that overflows (numpy warnings, or a
        FloatingPointError / OverflowError) is recorded, never raised or warned about;
        its history is all nan if it produced none.
    """
    runs = RunHistories()
    for lr in learning_rates:
        lr = float(lr)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                _, _, history = gd_fn(X, y, lr, num_steps)
                history = np.array(history, dtype=np.float64).ravel()
            except (FloatingPointError, OverflowError):
                history = np.full(num_steps + 1, np.nan)  # same length as a finished run
        runs[lr] = history
        runs.diverged[lr] = is_diverged(history)
    return runs
