"""Find solution code or hidden-test code where students can see it.

A "secret" is a line inside a ``BEGIN SOLUTION``/``BEGIN HIDDEN TESTS`` region of the
source notebook that appears nowhere outside such regions (so shared lines such as
``return out`` in a docstring example are not reported), long enough to be telling.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MIN_SECRET_LENGTH = 12


def secret_lines(source_nb, regions: tuple[str, ...] = ("SOLUTION", "HIDDEN TESTS")) -> set[str]:
    """Telling lines of the solution and/or hidden-test regions of a source notebook.

    ``regions`` picks which kinds count as secret: ``("HIDDEN TESTS",)`` for feedback, where
    a student's own solution code legitimately appears.
    """
    inside: set[str] = set()
    outside: set[str] = set()
    for cell in source_nb.cells:
        region = None
        for line in cell.source.splitlines():
            text = line.strip()
            begin = next((r for r in ("SOLUTION", "HIDDEN TESTS") if f"BEGIN {r}" in text), None)
            if begin:
                region = begin
                continue
            if any(f"END {r}" in text for r in ("SOLUTION", "HIDDEN TESTS")):
                region = None
                continue
            if region is None:
                outside.add(text)
            elif region in regions:
                inside.add(text)
    visible = "\n".join(outside)
    return {s for s in inside - outside
            if len(s) >= MIN_SECRET_LENGTH and not s.startswith("#") and s not in visible}


def html_to_text(markup: str) -> str:
    """Visible text of an HTML page (tags dropped, entities decoded, scripts kept as text)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def find_leaks(text: str, secrets: set[str]) -> list[str]:
    """Markers and secret lines present in ``text`` as whole lines (one message each)."""
    found = [f"marker {m!r}" for m in MARKERS if m in text]
    lines = {" ".join(line.split()) for line in text.splitlines()}
    for secret in sorted(secrets):
        if " ".join(secret.split()) in lines:
            found.append(f"line {secret!r}")
    return found


def notebook_text(path: Path) -> str:
    """All cell sources and text outputs of a notebook, one string."""
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def check_module_lines(notebook: str) -> set[str]:
    """Telling lines of a notebook's trusted check module (``grading/checks``): code that must
    never reach a student. Lines that are only a string (messages are meant to be read), a
    comment, an import or a definition are not counted."""
    import ast
    import inspect

    from grading.trusted.registry import check_module

    module = check_module(notebook)
    if module is None:
        return set()
    from grading.course import REPO_ROOT

    # A line the course's own notebook shows (a visible case, a hint, the reference answer
    # that a correct submission repeats) is no secret.
    released = {" ".join(line.split()) for folder in ("solutions", "notebooks")
                for path in (REPO_ROOT / folder).glob(f"*/{notebook}.ipynb")
                for line in notebook_text(path).splitlines()}
    found = set()
    for line in inspect.getsource(module).splitlines():
        text = line.strip()
        if len(text) < MIN_SECRET_LENGTH or text.startswith(("#", "import ", "from ", "def ", "@", '"""')):
            continue
        try:
            if isinstance(ast.parse(text.rstrip(",)"), mode="eval").body, (ast.Constant, ast.JoinedStr)):
                continue
        except SyntaxError:
            pass
        if " ".join(text.split()) not in released:
            found.add(text)
    return found
