"""Schematic drawings of network structures (boxes and arrows, no data).

Like ``helpers.plots``, every function returns the Axes or Figure it drew on, never calls
``plt.show()``, and imports matplotlib only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from helpers.plots import COURSE_COLORS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RNN_IO_STRUCTURES", "plot_plain_and_residual_blocks", "plot_rnn_io_structures", "plot_unrolled_rnn"]

# Colours of the three kinds of node, as in the usual RNN drawings.
_INPUT, _HIDDEN, _OUTPUT = COURSE_COLORS["red"], COURSE_COLORS["green"], COURSE_COLORS["blue"]
_BOX = 0.6  # side of one node box, in step units

#: name -> (number of steps, steps that read an input, steps that emit an output, example).
RNN_IO_STRUCTURES: dict[str, tuple[int, tuple[int, ...], tuple[int, ...], str]] = {
    "one to one": (1, (0,), (0,), "vanilla network\n(image -> class)"),
    "one to many": (3, (0,), (0, 1, 2), "image captioning\n(image -> words)"),
    "many to one": (3, (0, 1, 2), (2,), "sentiment classification\n(words -> sentiment)"),
    "many to many": (5, (0, 1, 2), (3, 4), "machine translation\n(words -> words)"),
    "many to many (synced)": (3, (0, 1, 2), (0, 1, 2), "video classification\n(frame -> label)"),
}


def _node(ax: Axes, x: float, y: float, colour: str, text: str = "") -> None:
    from matplotlib.patches import FancyBboxPatch

    half = _BOX / 2
    ax.add_patch(
        FancyBboxPatch(
            (x - half, y - half), _BOX, _BOX, boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=colour, edgecolor="black", linewidth=1.0, alpha=0.85,
        )
    )
    if text:
        ax.text(x, y, text, ha="center", va="center", color="white", fontsize=10, fontweight="bold")


def _arrow(ax: Axes, start: Sequence[float], end: Sequence[float], text: str = "") -> None:
    ax.annotate(
        "", xy=end, xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0},
    )
    if text:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        horizontal = abs(end[0] - start[0]) > abs(end[1] - start[1])
        offset = (0.0, 0.14) if horizontal else (0.12, 0.0)
        ax.text(middle[0] + offset[0], middle[1] + offset[1], text, ha="center" if horizontal else "left",
                va="bottom" if horizontal else "center", fontsize=10, style="italic")


def _finish(ax: Axes, width: float, height: float) -> None:
    ax.set_xlim(-0.6, width - 0.4)
    ax.set_ylim(-0.6, height - 0.4)
    ax.set_aspect("equal")
    ax.axis("off")


def plot_unrolled_rnn(num_steps: int = 4, ax: Axes | None = None) -> Axes:
    """The recurrence folded (left) and unrolled over ``num_steps`` steps (right).

    Inputs x_t (red) enter through U, the state s_t (green) passes to the next step through
    W, outputs o_t (blue) leave through V; every step uses the same U, W and V.
    """
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * (num_steps + 2), 3.2))
    # Folded cell with its loop.
    _node(ax, 0, 0, _INPUT, "x")
    _node(ax, 0, 1, _HIDDEN, "s")
    _node(ax, 0, 2, _OUTPUT, "o")
    _arrow(ax, (0, _BOX / 2), (0, 1 - _BOX / 2), "U")
    _arrow(ax, (0, 1 + _BOX / 2), (0, 2 - _BOX / 2), "V")
    ax.annotate(
        "", xy=(-_BOX / 2, 1.1), xytext=(-_BOX / 2, 0.9),
        arrowprops={"arrowstyle": "-|>", "connectionstyle": "arc3,rad=-2.5", "color": "black"},
    )
    ax.text(-0.62, 1.0, "W", ha="right", va="center", fontsize=10, style="italic")
    ax.text(1.0, 1.0, "=", ha="center", va="center", fontsize=16)
    for step in range(num_steps):
        x = 2.0 + 1.3 * step
        suffix = "t" if step == num_steps - 1 else f"t-{num_steps - 1 - step}"
        _node(ax, x, 0, _INPUT)
        _node(ax, x, 1, _HIDDEN)
        _node(ax, x, 2, _OUTPUT)
        ax.text(x, -0.45, f"$x_{{{suffix}}}$", ha="center", va="top", fontsize=10)
        ax.text(x, 1.0, f"$s_{{{suffix}}}$", ha="center", va="center", fontsize=10, color="white")
        ax.text(x, 2.45, f"$o_{{{suffix}}}$", ha="center", va="bottom", fontsize=10)
        _arrow(ax, (x, _BOX / 2), (x, 1 - _BOX / 2), "U")
        _arrow(ax, (x, 1 + _BOX / 2), (x, 2 - _BOX / 2), "V")
        if step:
            _arrow(ax, (x - 1.3 + _BOX / 2, 1), (x - _BOX / 2, 1), "W")
    _finish(ax, 2.0 + 1.3 * num_steps, 3.2)
    ax.set_title("One cell, unrolled: the same U, W, V at every step")
    return ax


def plot_rnn_io_structures(figsize: tuple[float, float] = (14.0, 3.6)) -> Figure:
    """The five input/output structures of an RNN side by side, with the deck's examples.

    Returns:
        The Figure, one Axes per entry of ``RNN_IO_STRUCTURES`` (titled with its name).
    """
    import matplotlib.pyplot as plt

    widths = [max(steps, 2) for steps, *_ in RNN_IO_STRUCTURES.values()]
    figure, axes = plt.subplots(1, len(widths), figsize=figsize, gridspec_kw={"width_ratios": widths})
    for ax, (name, (steps, inputs, outputs, example)) in zip(axes, RNN_IO_STRUCTURES.items()):
        for step in range(steps):
            _node(ax, step, 1, _HIDDEN)
            if step in inputs:
                _node(ax, step, 0, _INPUT)
                _arrow(ax, (step, _BOX / 2), (step, 1 - _BOX / 2))
            if step in outputs:
                _node(ax, step, 2, _OUTPUT)
                _arrow(ax, (step, 1 + _BOX / 2), (step, 2 - _BOX / 2))
            if step:
                _arrow(ax, (step - 1 + _BOX / 2, 1), (step - _BOX / 2, 1))
        _finish(ax, max(steps, 2), 3)
        ax.set_title(name)
        ax.text((steps - 1) / 2, -0.55, example, ha="center", va="top", fontsize=9)
    figure.tight_layout()
    return figure


def _layer_box(ax: Axes, x: float, y: float, text: str, colour: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - 1.1, y - 0.28), 2.2, 0.56, boxstyle="round,pad=0.02,rounding_size=0.1",
                                facecolor=colour, edgecolor="black", linewidth=1.0, alpha=0.85))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)


def plot_plain_and_residual_blocks(figsize: tuple[float, float] = (9.0, 4.6)) -> Figure:
    """Two weight layers without (left) and with (right) a shortcut: H(x) against F(x) + x.

    Returns:
        The Figure with two Axes titled "plain" and "residual".
    """
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=figsize)
    layer_colour = COURSE_COLORS["sky"]
    for ax, residual in zip(axes, (False, True)):
        ax.text(0, 4.35, "x", ha="center", va="center", fontsize=12, style="italic")
        _arrow(ax, (0, 4.15), (0, 3.58))
        _layer_box(ax, 0, 3.3, "weight layer", layer_colour)
        _arrow(ax, (0, 3.02), (0, 2.58), "ReLU")
        _layer_box(ax, 0, 2.3, "weight layer", layer_colour)
        if residual:
            ax.add_patch(plt.Circle((0, 1.45), 0.17, facecolor="white", edgecolor="black"))
            ax.text(0, 1.45, "+", ha="center", va="center", fontsize=13)
            _arrow(ax, (0, 2.02), (0, 1.62))
            ax.annotate("", xy=(0.17, 1.45), xytext=(0.05, 4.15),
                        arrowprops={"arrowstyle": "-|>", "connectionstyle": "bar,fraction=-0.6", "color": "black"})
            ax.text(2.3, 2.85, "x\n(identity)", ha="center", va="center", fontsize=10, style="italic")
            ax.text(-1.3, 1.8, "F(x)", ha="right", va="center", fontsize=11, style="italic")
            _arrow(ax, (0, 1.28), (0, 0.72), "ReLU")
            ax.text(0, 0.5, "ReLU(F(x) + x)", ha="center", va="center", fontsize=12, style="italic")
        else:
            _arrow(ax, (0, 2.02), (0, 1.1), "ReLU")
            ax.text(0, 0.85, "H(x)", ha="center", va="center", fontsize=12, style="italic")
        ax.set_xlim(-2.5, 2.8)
        ax.set_ylim(0.2, 4.6)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title("residual" if residual else "plain")
    figure.tight_layout()
    return figure
