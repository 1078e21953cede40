"""helpers.diagrams: schematic network drawings on an Agg canvas, warning-free."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from helpers import diagrams  # noqa: E402


@pytest.fixture(autouse=True)
def _clean_figures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would reach stderr in a notebook
        yield
    plt.close("all")


def _boxes(ax) -> int:
    return sum(isinstance(patch, FancyBboxPatch) for patch in ax.patches)


@pytest.mark.parametrize("num_steps", [1, 4])
def test_unrolled_rnn_draws_three_nodes_per_step_plus_the_folded_cell(num_steps: int) -> None:
    ax = diagrams.plot_unrolled_rnn(num_steps)
    assert _boxes(ax) == 3 * (num_steps + 1)
    labels = [text.get_text() for text in ax.texts]
    assert labels.count("W") == num_steps  # the folded loop and one arrow between each pair of steps
    assert "$s_{t}$" in labels and "same U, W, V" in ax.get_title()
    ax.figure.canvas.draw()


def test_unrolled_rnn_rejects_zero_steps_and_uses_given_axes() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        diagrams.plot_unrolled_rnn(0)
    _, ax = plt.subplots()
    assert diagrams.plot_unrolled_rnn(2, ax=ax) is ax


def test_io_structures_one_panel_per_structure_with_the_right_nodes() -> None:
    figure = diagrams.plot_rnn_io_structures()
    assert [ax.get_title() for ax in figure.axes] == list(diagrams.RNN_IO_STRUCTURES)
    for ax, (steps, inputs, outputs, example) in zip(figure.axes, diagrams.RNN_IO_STRUCTURES.values()):
        assert _boxes(ax) == steps + len(inputs) + len(outputs)
        assert any(text.get_text() == example for text in ax.texts)
    many_to_one = figure.axes[2]
    assert _boxes(many_to_one) == 3 + 3 + 1
    figure.canvas.draw()


def test_plain_and_residual_blocks_differ_by_the_shortcut() -> None:
    figure = diagrams.plot_plain_and_residual_blocks()
    plain, residual = figure.axes
    assert (plain.get_title(), residual.get_title()) == ("plain", "residual")
    plain_text = [text.get_text() for text in plain.texts]
    residual_text = [text.get_text() for text in residual.texts]
    assert "H(x)" in plain_text and "+" not in plain_text
    assert "+" in residual_text and "ReLU(F(x) + x)" in residual_text and "F(x)" in residual_text
    assert _boxes(plain) == _boxes(residual) == 2  # the same two weight layers
    figure.canvas.draw()


def test_feature_pipelines_hand_made_against_learned_features() -> None:
    figure = diagrams.plot_feature_pipelines()
    (ax,) = figure.axes
    texts = [text.get_text() for text in ax.texts]
    assert "traditional machine learning" in texts and "deep learning" in texts
    assert any(t.startswith("hand-made features") for t in texts)
    assert any(t.startswith("learned feature extractor") for t in texts)
    assert _boxes(ax) == 8  # four boxes per pipeline
    figure.canvas.draw()


def test_network_theta_names_the_weights_into_unit_one() -> None:
    from matplotlib.patches import Circle

    ax = diagrams.plot_network_theta((3, 3, 1))
    assert sum(isinstance(patch, Circle) for patch in ax.patches) == 3 + 1 + 3 + 1 + 1  # two bias units
    labels = [text.get_text() for text in ax.texts]
    assert [f"$\\Theta^{{(1)}}_{{1{j}}}$" for j in range(4)] == [t for t in labels if t.startswith("$\\Theta^{(1)}_")]
    assert "$a^{(3)}_{1}$" in labels and "Theta_{13}" in ax.get_title()
    ax.figure.canvas.draw()
    with pytest.raises(ValueError, match="at least two layers"):
        diagrams.plot_network_theta((3,))


def test_computational_graph_writes_forward_values_above_and_gradients_below() -> None:
    nodes = {"x": (0, 0, "$x$"), "square": (2, 0, "$x^2$")}
    ax = diagrams.plot_computational_graph(nodes, [("x", "square", "x = 3", "dL/dx = 6")], title="square")
    assert _boxes(ax) == 2 and ax.get_title() == "square"
    texts = {text.get_text(): text for text in ax.texts}
    assert texts["x = 3"].get_position()[1] > texts["dL/dx = 6"].get_position()[1]
    ax.figure.canvas.draw()
    with pytest.raises(ValueError, match="not in nodes"):
        diagrams.plot_computational_graph(nodes, [("x", "cube", "", "")])
