"""The instructor's solution functions, loaded into the checker (never into a kernel).

``reference("linear_regression")`` runs the source notebook's set-up cell and its answer
cells (nbgrader solution cells, with the solutions in them) in a fresh namespace and
returns it, once per process. Check modules compute expected values with these functions
instead of repeating reference code in every check.
"""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT


def find_source(notebook: str, source_dir: Path | None = None) -> Path:
    """``solutions/<assignment>/<notebook>.ipynb`` (or under ``source_dir``)."""
    folder = Path(source_dir or REPO_ROOT / "solutions")
    found = sorted(folder.glob(f"*/{notebook}.ipynb"))
    if not found:
        raise FileNotFoundError(f"no source notebook {notebook}.ipynb under {folder}")
    return found[0]


def answer_namespace(path: Path, include_setup: bool = True, strict: bool = True) -> dict:
    """Run the first code cell (the set-up) and every answer cell of ``path`` in a new
    namespace (printed output is discarded); return the namespace. With ``strict=False``
    a cell that raises is skipped (a blank release's stubs)."""
    nb = nbformat.read(str(path), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    # The set-up cell, cells that only import (say, TensorFlow's own cell), and answer cells.
    cells = [c for i, c in enumerate(code) if c.get("metadata", {}).get("nbgrader", {}).get("solution")
             or (include_setup and (i == 0 or _imports_only(c.source)))]
    namespace: dict = {"__name__": f"reference_{path.stem}"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in cells:
            label = cell.metadata.get("nbgrader", {}).get("grade_id", "setup")
            # IPython magics (``%matplotlib inline``) mean nothing outside a kernel.
            source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                               for line in cell.source.splitlines())
            try:
                exec(compile(source, f"<{path.name}: {label}>", "exec"), namespace)  # noqa: S102 - the course's own
            except Exception:
                if strict:
                    raise
    return namespace


def _imports_only(source: str) -> bool:
    import ast

    try:
        body = ast.parse("\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)


@functools.lru_cache(maxsize=None)
def reference(notebook: str, source_dir: str | None = None, include_setup: bool = True) -> dict:
    """The reference namespace of ``notebook`` (cached per process)."""
    return answer_namespace(find_source(notebook, Path(source_dir) if source_dir else None), include_setup)
