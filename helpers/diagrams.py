"""Schematic drawings of network structures (boxes and arrows, no data).

Like ``helpers.plots``, every function returns the Axes or Figure it drew on, never calls
``plt.show()``, and imports matplotlib only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

from helpers.plots import COURSE_COLORS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["RNN_IO_STRUCTURES", "plot_computational_graph", "plot_feature_pipelines", "plot_network_theta",
           "plot_plain_and_residual_blocks", "plot_rnn_io_structures", "plot_unrolled_rnn"]

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


def plot_network_theta(layer_sizes: Sequence[int] = (3, 3, 1), ax: Axes | None = None) -> Axes:
    """A fully connected network in the deck's notation, with the weights into unit 1 of layer 2 named.

    Every layer but the last gets a bias unit (x_0 = 1, a_0 = 1, drawn dashed). The edges into
    a_1^(2) are labelled Theta^(1)_{1j}; the one from unit 3 is drawn thick: Theta_13 connects
    unit 3 of the EARLIER layer to unit 1 of the LATER one (the first index is the destination).

    Args:
        layer_sizes: units per layer without the bias units, input first (at least two layers;
            the highlighted weights need at least one unit in layer 2).
        ax: where to draw (a new figure when None).
    """
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError(f"layer_sizes needs at least two layers of at least one unit, got {tuple(layer_sizes)}")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    if ax is None:
        _, ax = plt.subplots(figsize=(2.6 * len(layer_sizes) + 1.0, 0.9 * max(layer_sizes) + 2.4))
    spacing_x, radius = 3.0, 0.32
    positions: list[list[tuple[float, float]]] = []  # per layer: bias unit first (if any), then units 1..n
    for layer, size in enumerate(layer_sizes):
        has_bias = layer < len(layer_sizes) - 1
        count = size + has_bias
        ys = [(count - 1) / 2 - k for k in range(count)]
        positions.append([(layer * spacing_x, y) for y in ys])
    highlight = COURSE_COLORS["red"]
    for layer in range(len(layer_sizes) - 1):
        sources = positions[layer]
        targets = positions[layer + 1][1:] if layer + 1 < len(layer_sizes) - 1 else positions[layer + 1]
        for target_index, (tx, ty) in enumerate(targets, start=1):
            for source_index, (sx, sy) in enumerate(sources):
                named = layer == 0 and target_index == 1
                colour = (highlight if source_index == 3 else COURSE_COLORS["blue"]) if named else "0.75"
                ax.plot([sx + radius, tx - radius], [sy, ty], color=colour, zorder=1,
                        linewidth=3.0 if named and source_index == 3 else (1.6 if named else 0.8))
                if named:
                    fraction = 0.3
                    ax.text(sx + radius + fraction * (tx - sx - 2 * radius), sy + fraction * (ty - sy) + 0.12,
                            f"$\\Theta^{{(1)}}_{{1{source_index}}}$", fontsize=11, color=colour, ha="center",
                            va="bottom", zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    for layer, units in enumerate(positions):
        has_bias = layer < len(layer_sizes) - 1
        for index, (x, y) in enumerate(units):
            bias = has_bias and index == 0
            number = index if has_bias else index + 1
            ax.add_patch(Circle((x, y), radius, facecolor="white" if bias else COURSE_COLORS["sky"], edgecolor="black",
                                linestyle="--" if bias else "-", linewidth=1.2, zorder=3))
            if layer == 0:
                label = f"$x_{{{number}}}$"
            else:
                label = f"$a^{{({layer + 1})}}_{{{number}}}$"
            ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=5)
        bottom = min(y for _, y in units)
        name = "input" if layer == 0 else ("output" if layer == len(layer_sizes) - 1 else "hidden")
        ax.text(layer * spacing_x, bottom - 0.75, f"layer {layer + 1}\n({name})", ha="center", va="top", fontsize=10)
        if layer < len(layer_sizes) - 1:
            top = max(max(y for _, y in units), max(y for _, y in positions[layer + 1]))
            ax.text((layer + 0.5) * spacing_x, top + 0.55, f"$\\Theta^{{({layer + 1})}}$", ha="center", va="bottom",
                    fontsize=13)
    ax.set_xlim(-0.8, (len(layer_sizes) - 1) * spacing_x + 0.8)
    tallest = max(len(units) for units in positions)
    ax.set_ylim(-(tallest - 1) / 2 - 1.7, (tallest - 1) / 2 + 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(r"$\Theta_{13}$: from unit 3 of the earlier layer to unit 1 of the later one (destination first);"
                 "\ndashed: bias units, always 1", fontsize=10)
    return ax


def plot_computational_graph(
    nodes: Mapping[str, tuple[float, float, str]],
    edges: Sequence[tuple[str, str, str, str]],
    ax: Axes | None = None,
    title: str | None = None,
    box_width: float = 1.1,
    label_at: float = 0.5,
) -> Axes:
    """A computational graph with each edge's forward value above it and its gradient below.

    Args:
        nodes: name -> (x, y, label): the node's position and the text drawn in its box
            (operations and leaves alike).
        edges: (source, target, forward, backward): an arrow from source to target, the value
            that flows forward written above it (green) and dL/d(that value) below it (red).
        ax: where to draw (a new figure when None).
        title: the Axes title.
        box_width: the width of every node's box (in data units; the height is 0.6).
        label_at: where along each arrow its two texts sit (0 at the source, 1 at the target).
    """
    unknown = sorted({name for source, target, *_ in edges for name in (source, target)} - set(nodes))
    if unknown:
        raise ValueError(f"edges name nodes that are not in nodes: {unknown}")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    if ax is None:
        _, ax = plt.subplots(figsize=(11.0, 3.6))
    half_w, half_h = box_width / 2, 0.3
    for x, y, label in nodes.values():
        ax.add_patch(FancyBboxPatch((x - half_w, y - half_h), 2 * half_w, 2 * half_h,
                                    boxstyle="round,pad=0.02,rounding_size=0.12", facecolor=COURSE_COLORS["sky"],
                                    edgecolor="black", linewidth=1.0, alpha=0.9, zorder=2))
        ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=3)
    forward_colour, backward_colour = COURSE_COLORS["green"], COURSE_COLORS["red"]
    for source, target, forward, backward in edges:
        (sx, sy, _), (tx, ty, _) = nodes[source], nodes[target]
        start, end = (sx + half_w, sy), (tx - half_w, ty)
        ax.annotate("", xy=end, xytext=start, zorder=1,
                    arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0})
        middle = (start[0] + label_at * (end[0] - start[0]), start[1] + label_at * (end[1] - start[1]))
        if forward:
            ax.text(middle[0], middle[1] + 0.08, forward, ha="center", va="bottom", fontsize=10, color=forward_colour,
                    zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3})
        if backward:
            ax.text(middle[0], middle[1] - 0.08, backward, ha="center", va="top", fontsize=10, color=backward_colour,
                    zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3})
    xs = [x for x, _, _ in nodes.values()]
    ys = [y for _, y, _ in nodes.values()]
    ax.set_xlim(min(xs) - half_w - 0.3, max(xs) + half_w + 0.3)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.text(min(xs) - half_w - 0.3, min(ys) - 0.75, "above an arrow: the forward value;  below: the gradient dL/d(value)",
            fontsize=9, color="0.3", va="bottom")
    if title:
        ax.set_title(title)
    return ax


def plot_feature_pipelines(figsize: tuple[float, float] = (11.0, 3.6)) -> Figure:
    """Traditional machine learning (top) against deep learning (bottom), as the deck contrasts them.

    Top: raw input -> hand-made features (designed by a person, fixed) -> a learned model.
    Bottom: raw input -> a learned feature extractor (layers) -> a learned model, all trained
    together. Learned boxes are green, hand-made ones grey.

    Returns:
        The Figure (one Axes).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    learned, by_hand, data_colour = COURSE_COLORS["green"], "0.75", COURSE_COLORS["sky"]
    figure, ax = plt.subplots(figsize=figsize)

    def box(x: float, y: float, width: float, text: str, colour: str) -> None:
        ax.add_patch(FancyBboxPatch((x - width / 2, y - 0.32), width, 0.64, boxstyle="round,pad=0.02,rounding_size=0.1",
                                    facecolor=colour, edgecolor="black", linewidth=1.0, alpha=0.85))
        ax.text(x, y, text, ha="center", va="center", fontsize=10)

    rows = [
        (2.0, "traditional machine learning", [("raw input\n(pixels, text, ...)", data_colour, 2.0),
                                               ("hand-made features\n(chosen by a person)", by_hand, 2.6),
                                               ("learned model\n(e.g. linear)", learned, 2.0), ("output", data_colour, 1.2)]),
        (0.4, "deep learning", [("raw input\n(pixels, text, ...)", data_colour, 2.0),
                                ("learned feature extractor\n(hidden layers 1, 2, ...)", learned, 2.6),
                                ("learned model\n(last layer)", learned, 2.0), ("output", data_colour, 1.2)]),
    ]
    centres = [1.0, 4.0, 7.0, 9.4]
    for y, title, boxes in rows:
        ax.text(-0.1, y + 0.55, title, ha="left", va="bottom", fontsize=11, fontweight="bold")
        for (text, colour, width), x in zip(boxes, centres):
            box(x, y, width, text, colour)
        for (_, _, w_left), (_, _, w_right), x_left, x_right in zip(boxes, boxes[1:], centres, centres[1:]):
            _arrow(ax, (x_left + w_left / 2, y), (x_right - w_right / 2, y))
    ax.annotate("", xy=(8.05, -0.12), xytext=(2.65, -0.12),
                arrowprops={"arrowstyle": "<->", "color": learned, "linewidth": 1.5})
    ax.text(5.35, -0.2, "trained together, from the data", ha="center", va="top", fontsize=10, color=learned)
    ax.text(10.2, 2.85, "grey: designed by hand   green: learned", ha="right", va="top", fontsize=9, color="0.3")
    ax.set_xlim(-0.2, 10.2)
    ax.set_ylim(-0.6, 2.9)
    ax.axis("off")
    figure.tight_layout()
    return figure
