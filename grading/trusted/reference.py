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
    # The set-up cell, the imports and definitions of the other instructor cells (a helper
    # such as ``sigmoid`` that answers call), and the answer cells; no demo or test code.
    cells = []
    for i, c in enumerate(code):
        meta = c.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") or (include_setup and i == 0):
            cells.append(c)
        elif include_setup and not meta.get("grade"):
            definitions = _definitions(c.source)
            if definitions:
                cells.append(nbformat.v4.new_code_cell(definitions, metadata=c.metadata))
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


def _definitions(source: str) -> str:
    """The top-level imports, functions and classes of a cell, as source."""
    import ast

    try:
        body = ast.parse("\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))).body
    except SyntaxError:
        return ""
    kept = [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))]
    return "\n\n".join(ast.unparse(node) for node in kept)


@functools.lru_cache(maxsize=None)
def reference(notebook: str, source_dir: str | None = None, include_setup: bool = True) -> dict:
    """The reference namespace of ``notebook`` (cached per process)."""
    return answer_namespace(find_source(notebook, Path(source_dir) if source_dir else None), include_setup)
