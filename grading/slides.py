"""``grading slides``: reveal.js decks from executed copies of the solution notebooks.

Answer and test cells are removed before rendering, so no solution code or hidden test can
reach a deck; cells keep their ``slideshow`` metadata (slides, sub-slides, speaker notes: the
decks are the only place notes go, the student release drops them). Every deck is laid out for a
1280×720 slide: long code folds, widget code never shows, figures and long outputs are capped
(``fold_for_slides`` and the ``course_reveal`` template); ``grading.slide_fit`` measures the fit.
Decks work offline: reveal.js, require.js, jQuery and MathJax come from the npm packages pinned
in ``grading/slides_assets/package-lock.json`` (``make slides-assets``) and are copied into
``build/slides/_static/``; no deck loads anything from a CDN.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from grading.course import CELL_TIMEOUT_S, KERNEL_ARGS, REPO_ROOT, list_assignments, set_kernel_environment, source_notebooks


def execute_copy(source: Path) -> nbformat.NotebookNode:
    """Execute a copy of a notebook in a scratch folder holding its assignment's files."""
    from grading.kernel_client import CourseNotebookClient

    set_kernel_environment()
    with tempfile.TemporaryDirectory(prefix="slides-") as tmp:
        work = Path(tmp) / source.parent.name
        shutil.copytree(source.parent, work)
        nb = nbformat.read(work / source.name, as_version=4)
        CourseNotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=False, extra_arguments=list(KERNEL_ARGS),
                       resources={"metadata": {"path": str(work)}}).execute()
    return nb


#: The slide every deck is laid out for (reveal.js scales it to the screen, never the content on it):
#: ``grading slides --check-fit`` (grading.slide_fit) measures each slide against it.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
ASSETS_DIR = REPO_ROOT / "grading" / "slides_assets"
STATIC_NAME = "_static"
TEMPLATE_DIR = REPO_ROOT / "grading" / "slides_template"
#: MathJax 2 files a deck needs (TeX input, CommonHTML output); the whole package is 73 MB.
MATHJAX_PARTS = ("MathJax.js", "config/TeX-AMS_CHTML-full.js", "config/Safe.js", "extensions", "jax/input/TeX",
                 "jax/output/CommonHTML", "jax/element", "fonts/HTML-CSS/TeX/woff", "localization/en")
#: (path under node_modules, path under _static)
ASSET_FILES = (("reveal.js/dist", "reveal.js/dist"), ("reveal.js/plugin/notes", "reveal.js/plugin/notes"),
               ("requirejs/require.js", "require.js"), ("jquery/dist/jquery.min.js", "jquery.min.js"),
               *((f"mathjax/{part}", f"mathjax/{part}") for part in MATHJAX_PARTS))


class SlideAssetsMissingError(FileNotFoundError):
    """The npm packages the decks load are not installed."""


def copy_assets(static_dir: Path, modules_dir: Path | None = None) -> Path:
    """Copy reveal.js, require.js, jQuery and MathJax from ``node_modules`` into ``static_dir``."""
    modules_dir = modules_dir or ASSETS_DIR / "node_modules"
    missing = [source for source, _ in ASSET_FILES if not (modules_dir / source).exists()]
    if missing:
        raise SlideAssetsMissingError(
            f"the slide assets are not installed (missing {', '.join(missing[:3])} under {modules_dir}): run "
            "`make slides-assets` (npm ci --prefix grading/slides_assets), which installs the versions pinned in "
            "grading/slides_assets/package-lock.json")
    for source, target in ASSET_FILES:
        src, dst = modules_dir / source, static_dir / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    return static_dir


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _widget_pictures(state: dict, model_id: str, seen: set[str] | None = None) -> list[dict]:
    """The image outputs held by a widget and its children (an interactive demo's current figure)."""
    seen = seen if seen is not None else set()
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id].get("state", {})
    pictures = [output for output in model.get("outputs", []) if "image/png" in output.get("data", {})]
    for child in model.get("children", []):
        pictures += _widget_pictures(state, str(child).removeprefix("IPY_MODEL_"), seen)
    return pictures


def static_widgets(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace live widget views by the figure they show and drop the widget state.

    A deck has no kernel, and the widget manager would be fetched from a CDN; an interactive demo
    becomes a picture of its current figure (or disappears when it shows none).
    """
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                outputs.append(output)
                continue
            for picture in _widget_pictures(state, view["model_id"]):
                outputs.append(nbformat.v4.new_output("display_data", data={"image/png": picture["data"]["image/png"]}))
        cell.outputs = outputs
    return nb


#: Code cells longer than this (lines) are folded on slides: a one-line ``<details>`` summary, the
#: code inside it, the output shown below as usual.
FOLD_LINES = 10
#: Text outputs longer than this (lines) are cut on slides (the slide's CSS also caps their height
#: and lets them scroll); the notebook has them in full.
MAX_OUTPUT_LINES = 60
#: Cell tags that override the rules below for one cell.
TAG_SHOW, TAG_FOLD, TAG_HIDE = "slides-show-code", "slides-fold-code", "slides-hide-code"
#: Code that builds widgets: an interactive demo's code never reaches a slide (its figure does).
WIDGET_CODE = re.compile(r"\binteractive_demo\s*\(|\bipywidgets\b|\bwidgets\.(?:\w*_slider|choice)\s*\("
                         r"|\binteract(?:ive)?\s*\(")


def _shows_widget(cell: nbformat.NotebookNode) -> bool:
    return bool(WIDGET_CODE.search(cell.source)) or any(
        WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))


def _fold_label(source: str, lines: int) -> str:
    """``code: <the cell's first comment or line> (N lines)``."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    first = first.lstrip("#").strip() if first.startswith("#") else first.rstrip(":")
    first = first if len(first) <= 70 else first[:69] + "…"
    return f"code: {first} ({lines} lines)" if first else f"code ({lines} lines)"


def _cut_text(text: str, max_lines: int) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) <= max_lines:
        return text
    return "".join(lines[:max_lines]) + f"… ({len(lines) - max_lines} more lines in the notebook)\n"


def fold_for_slides(deck: nbformat.NotebookNode, fold_lines: int = FOLD_LINES,
                    max_output_lines: int = MAX_OUTPUT_LINES) -> nbformat.NotebookNode:
    """Mark how each code cell's input shows on a slide (``metadata.course_deck``, read by the template).

    Widget code is hidden (``input: hide``; the demo's figure stays), code longer than
    ``fold_lines`` is folded (``input: fold``, with a one-line label), and long text outputs are
    cut. The tags ``slides-show-code``, ``slides-fold-code`` and ``slides-hide-code`` decide for one
    cell (widget code is hidden whatever the tags say). Call it before ``static_widgets``.
    """
    for cell in deck.cells:
        if cell.cell_type != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        lines = len(cell.source.strip().splitlines())
        if _shows_widget(cell) or TAG_HIDE in tags:
            cell.metadata["course_deck"] = {"input": "hide", "label": "interactive demo: its code and controls are in the "
                                            "notebook" if _shows_widget(cell) else "code in the notebook"}
        elif TAG_FOLD in tags or (lines > fold_lines and TAG_SHOW not in tags):
            cell.metadata["course_deck"] = {"input": "fold", "label": _fold_label(cell.source, lines)}
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                output["text"] = _cut_text(output.get("text", ""), max_output_lines)
            elif "text/plain" in output.get("data", {}) and len(output["data"]) == 1:
                output["data"]["text/plain"] = _cut_text(output["data"]["text/plain"], max_output_lines)
    return deck


def lecture_cells_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop answer and test cells (and any cell marked ``skip``) from a notebook copy; widgets become
    pictures, long code is folded and widget code hidden (``fold_for_slides``)."""
    deck = copy.deepcopy(nb)
    kept = []
    for cell in deck.cells:
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {})
        if nbg.get("solution") or nbg.get("grade") or meta.get("slideshow", {}).get("slide_type") == "skip":
            continue
        kept.append(cell)
    deck.cells = kept
    return static_widgets(fold_for_slides(deck))


def render_deck(nb: nbformat.NotebookNode, out_path: Path, static_url: str = f"../{STATIC_NAME}") -> Path:
    """Write one deck; ``static_url`` is where the deck finds the files of ``copy_assets`` (relative to it)."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(template_name="course_reveal", extra_template_basedirs=[str(TEMPLATE_DIR)], reveal_theme="white",
                              reveal_width=str(SLIDE_WIDTH), reveal_height=str(SLIDE_HEIGHT), reveal_scroll=False,
                              exclude_input_prompt=True, exclude_output_prompt=True,
                              reveal_url_prefix=f"{static_url}/reveal.js", require_js_url=f"{static_url}/require.js",
                              jquery_url=f"{static_url}/jquery.min.js",
                              mathjax_url=f"{static_url}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe")
    body, _ = exporter.from_notebook_node(lecture_cells_only(nb))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(body, encoding="utf-8")
    return out_path


def build_slides(assignments: list[str] | None = None, out_dir: Path | None = None,
                 executed: dict[str, nbformat.NotebookNode] | None = None,
                 source_dir: Path | None = None) -> list[Path]:
    """Render ``build/slides/<assignment>/<notebook>.slides.html`` for each notebook.

    ``executed`` maps a source notebook path (as a string) to an already executed copy, so a
    caller that has run the notebook once (for example to grade it) need not run it again.
    """
    out_dir = out_dir or REPO_ROOT / "build" / "slides"
    copy_assets(out_dir / STATIC_NAME)
    written = []
    for assignment in assignments or list_assignments(source_dir):
        for source in source_notebooks(assignment, source_dir):
            nb = (executed or {}).get(str(source)) or execute_copy(source)
            written.append(render_deck(nb, out_dir / assignment / f"{source.stem}.slides.html"))
    write_index(out_dir)
    return written


def write_index(out_dir: Path) -> Path:
    """``index.html`` linking every deck under ``out_dir``."""
    decks = sorted(path.relative_to(out_dir) for path in out_dir.glob("*/*.slides.html"))
    items = "\n".join(f'<li><a href="{deck.as_posix()}">{deck.parent.name}</a></li>' for deck in decks)
    index = out_dir / "index.html"
    index.write_text(f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Course slides</title></head>\n"
                     f"<body><h1>Course slides</h1>\n<ul>\n{items}\n</ul>\n"
                     "<p>Serve this folder (<code>python -m http.server -d build/slides</code>) for the math fonts; "
                     "press S in a deck for the speaker notes.</p></body></html>\n", encoding="utf-8")
    return index


__all__ = ["FOLD_LINES", "SLIDE_HEIGHT", "SLIDE_WIDTH", "SlideAssetsMissingError", "build_slides", "copy_assets",
           "execute_copy", "fold_for_slides", "lecture_cells_only", "render_deck", "write_index"]
