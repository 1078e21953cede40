"""``grading slides``: reveal.js decks from executed copies of the solution notebooks.

Answer and test cells are removed before rendering, so no solution code or hidden test can
reach a deck; cells keep their ``slideshow`` metadata (slides, sub-slides, speaker notes).
"""

from __future__ import annotations

import copy
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


def lecture_cells_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop answer and test cells (and any cell marked ``skip``) from a notebook copy."""
    deck = copy.deepcopy(nb)
    kept = []
    for cell in deck.cells:
        meta = cell.get("metadata", {})
        nbg = meta.get("nbgrader", {})
        if nbg.get("solution") or nbg.get("grade") or meta.get("slideshow", {}).get("slide_type") == "skip":
            continue
        kept.append(cell)
    deck.cells = kept
    return deck


def render_deck(nb: nbformat.NotebookNode, out_path: Path) -> Path:
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_notebook_node(lecture_cells_only(nb))
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
    written = []
    for assignment in assignments or list_assignments(source_dir):
        for source in source_notebooks(assignment, source_dir):
            nb = (executed or {}).get(str(source)) or execute_copy(source)
            written.append(render_deck(nb, out_dir / assignment / f"{source.stem}.slides.html"))
    return written


__all__ = ["build_slides", "execute_copy", "lecture_cells_only", "render_deck"]
