"""Decks on small synthetic notebooks: long code folds, widget code never shows, answers and tests
stay out, the slide is 1280x720, and the fit checker finds a slide that runs off it."""

from __future__ import annotations

import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grading.leaks import html_to_text
from grading.slides import FOLD_LINES, STATIC_NAME, copy_assets, fold_for_slides, lecture_cells_only, render_deck

LONG_CODE = "# Fit the line and plot it\n" + "\n".join(f"value_{i} = {i} * 2" for i in range(FOLD_LINES + 5))
SHORT_CODE = "x = 1\nprint(x)"
WIDGET_CODE = ("lr_demo = widgets.interactive_demo(\n    compute, render,\n"
               "    {'lr': widgets.log_slider('learning rate', 0.01, -3, 0.6)},\n)\nlr_demo")
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def cell(kind: str, source: str, slide: str = "-", outputs=(), tags=(), **nbgrader):
    made = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source, outputs=list(outputs))
    made.metadata["slideshow"] = {"slide_type": slide}
    if nbgrader:
        made.metadata["nbgrader"] = {"schema_version": 3, "locked": False, "solution": False, "grade": False, **nbgrader}
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def stream(text: str):
    return new_output("stream", name="stdout", text=text)


def picture():
    return new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})


def synthetic(tall_markdown_lines: int = 0) -> nbformat.NotebookNode:
    cells = [
        cell("markdown", "# A synthetic lecture\n\nOne slide per idea.", slide="slide"),
        cell("code", LONG_CODE, slide="subslide", outputs=[stream("fitted\n"), picture()]),
        cell("code", SHORT_CODE, outputs=[stream("1\n")]),
        cell("code", WIDGET_CODE, slide="subslide", outputs=[picture()]),
        cell("code", "def secret_answer():\n    return 42  # SOLUTION-ONLY", slide="subslide",
             grade_id="answer", solution=True),
        cell("code", "assert secret_answer() == 42  # TEST-ONLY", grade_id="test_answer", grade=True, points=1),
        cell("markdown", "Speaker: the answer is 42 (NOTE-ONLY)", slide="notes"),
        cell("code", "\n".join(f"shown_{i} = {i}" for i in range(FOLD_LINES + 3)), slide="subslide",
             tags=["slides-show-code"]),
        cell("code", "folded_anyway = 1", tags=["slides-fold-code"]),
        cell("code", "print('log ' * 3)", slide="subslide", outputs=[stream("".join(f"line {i}\n" for i in range(500)))]),
    ]
    if tall_markdown_lines:
        cells.append(cell("markdown", "## A slide that is far too tall\n\n" +
                          "\n".join(f"- point number {i}" for i in range(tall_markdown_lines)), slide="slide"))
        cells.append(cell("markdown", "## A short slide\n\nIt fits.", slide="slide"))
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def by_source(nb, start: str):
    return next(c for c in nb.cells if c.source.startswith(start))


def test_long_code_folds_short_code_shows_widget_code_hides():
    deck = fold_for_slides(synthetic())
    long = by_source(deck, "# Fit the line")
    assert long.metadata["course_deck"] == {"input": "fold", "label": f"code: Fit the line and plot it ({FOLD_LINES + 6} lines)"}
    assert "course_deck" not in by_source(deck, "x = 1").metadata
    assert by_source(deck, "lr_demo").metadata["course_deck"]["input"] == "hide"
    assert "course_deck" not in by_source(deck, "shown_0").metadata, "slides-show-code keeps long code on the slide"
    assert by_source(deck, "folded_anyway").metadata["course_deck"]["input"] == "fold"
    log = by_source(deck, "print('log").outputs[0]["text"]
    assert log.count("\n") <= 61 and "more lines in the notebook" in log


@pytest.mark.parametrize("source", [
    "import ipywidgets as w\nw.IntSlider()",
    "demo = widgets.interactive_demo(f, g, {})",
    "s = widgets.int_slider('n', 3, 1, 9)",
    "from ipywidgets import interact\ninteract(f, x=3)",
])
def test_any_widget_building_code_is_hidden_even_when_tagged_to_show(source):
    nb = new_notebook(cells=[cell("code", source, tags=["slides-show-code"])])
    assert fold_for_slides(nb).cells[0].metadata["course_deck"]["input"] == "hide"


def test_a_cell_that_displayed_a_widget_hides_its_code():
    view = new_output("display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "m1", "version_major": 2,
                                                                                         "version_minor": 0}})
    nb = new_notebook(cells=[cell("code", "show(make_demo())", outputs=[view])])
    assert lecture_cells_only(nb).cells[0].metadata["course_deck"]["input"] == "hide"


def test_lecture_cells_only_leaves_the_source_notebook_alone():
    nb = synthetic()
    before = nbformat.writes(nb)
    lecture_cells_only(nb)
    assert nbformat.writes(nb) == before


def test_rendered_deck_folds_hides_and_keeps_secrets_out(tmp_path):
    html = render_deck(synthetic(), tmp_path / "synthetic.slides.html").read_text()
    text = html_to_text(html)
    assert "SOLUTION-ONLY" not in text and "TEST-ONLY" not in text and "secret_answer" not in text
    assert "interactive_demo" not in html and "log_slider" not in html, "widget code reached the deck"
    assert "interactive demo: its code and controls are in the notebook" in text
    # The long cell is inside a closed <details>; its output (stream and figure) is outside it.
    fold = re.search(r'<details class="course-code-fold"><summary>code: Fit the line and plot it \(\d+ lines\)</summary>'
                     r'(.*?)</details>(.*?)fitted', html, re.S)
    assert fold and "value_3" in fold.group(1) and "fitted" not in fold.group(1)
    assert html.count('<details class="course-code-fold">') == 2
    assert "shown_0" in html and "shown_0" not in "".join(re.findall(r"<details.*?</details>", html, re.S))
    # A 1280x720 slide that scrolls nothing away; no In[ ]/Out[ ] prompts eating the width.
    assert re.search(r"width:\s*1280,\s*height:\s*720", html)
    assert 'class="jp-InputPrompt' not in html and 'class="jp-OutputPrompt' not in html
    assert "max-height: 440px" in html
    assert 'class="notes"' in html and "NOTE-ONLY" in html, "speaker notes stay in the decks"
    assert re.findall(r"""(?:src|href)=["']?(?:https?:)?//""", html) == [], "the deck loads something off-line decks cannot"


def test_slide_measure_flags_and_table():
    from grading.slide_fit import SlideMeasure, format_table

    fits, tall, wide = SlideMeasure(0, 0, 700, 1280, "fits"), SlideMeasure(1, 0, 900, 1280, "tall"), SlideMeasure(1, 1, 300, 1500, "wide")
    assert not fits.overflows and tall.too_tall and tall.overflows and wide.too_wide and not wide.too_tall
    table = format_table([fits, tall, wide], title="deck")
    assert table.splitlines()[0] == "deck: 3 slides, 2 overflow the 1280x720 slide"
    assert re.search(r"1/0\s+900\s+1280\s+OVERFLOW\s+tall", table) and re.search(r"1/1\s+300\s+1500\s+TOO-WIDE\s+wide", table)


def test_check_fit_is_an_option_of_slides():
    from grading.cli import build_parser

    args = build_parser().parse_args(["slides", "--check-fit", "01_linear_regression", "--screenshots", "/tmp/x"])
    assert args.check_fit and args.assignments == ["01_linear_regression"] and args.screenshots == "/tmp/x"


def test_measure_deck_finds_the_slide_that_runs_off_the_bottom(tmp_path):
    """The fit checker in Chromium: every slide visited, the tall one flagged, the others not."""
    from grading.slide_fit import chromium_page, measure_deck, serve
    from tests.browser import require_chromium

    require_chromium()
    copy_assets(tmp_path / STATIC_NAME)
    render_deck(synthetic(tall_markdown_lines=40), tmp_path / "deck" / "synthetic.slides.html")
    with serve(tmp_path) as base, chromium_page() as page:
        measures = measure_deck(page, f"{base}/deck/synthetic.slides.html")
    where = {m.where: m for m in measures}
    assert len(measures) == 7 and "2/0" in where and "0/1" in where, [m.describe() for m in measures]
    tall = [m for m in measures if m.overflows]
    assert [m.text[:30] for m in tall] == ["A SLIDE THAT IS FAR TOO TALL p"], [m.describe() for m in measures]
    assert tall[0].height > 1000 and where["2/0"].height < 300
    # The folded long code, the hidden widget code and the capped 500-line log all fit.
    assert all(m.height <= 720 for m in measures if m.h == 0)


def test_a_fold_label_is_escaped(tmp_path):
    code = "# compare <b> & friends\n" + "\n".join(f"y_{i} = {i}" for i in range(FOLD_LINES))
    nb = new_notebook(cells=[cell("markdown", "# Title", slide="slide"), cell("code", code)])
    html = render_deck(nb, tmp_path / "escaped.slides.html").read_text()
    assert "<summary>code: compare &lt;b&gt; &amp; friends (11 lines)</summary>" in html
