"""Feedback shows no absolute path of the grading machine.

Tracebacks and messages in an autograded notebook name where things are on the grader:
the submission's scratch folder (``/tmp/.../autograded/<student>/<assignment>``), the
course root, the virtual environment's ``site-packages``, the standard library, the
grader's home. The student needs none of it, and it maps the grading machine for anyone
who wants to attack it. ``ScrubGraderPaths`` (a feedback preprocessor) rewrites them in
every output to relative or neutral forms:

=============================================  =====================================
on the grader                                  in the feedback
=============================================  =====================================
the notebook's own folder (the kernel's cwd)   ``.``  (``./data.csv``)
a course root (``roots``)                      relative (``helpers/testing.py``)
``site-packages``, ``dist-packages``           ``site-packages/numpy/...``
the standard library (``/usr/lib/python3.11``) ``python3.11/json/...``
the home folder                                ``~``
anything else under the temporary folder       ``<tmp>/.../<last part>``
=============================================  =====================================

The autograded notebook itself keeps the full paths (instructors only).
"""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
import tempfile
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

#: Characters that end a path in a message (besides the end of the text).
_END = r"(?=[/\s'\"`<>:,;()\[\]{}|\x1b]|$)"
#: What a path's parts are made of, for the temporary folder's catch-all.
_PART = r"[^/\s'\"`<>:,;()\[\]{}|\x1b]+"


def python_dirs() -> list[str]:
    """The interpreter's library folders: site-packages (venv, user, system) and the stdlib."""
    found = set()
    for key in ("purelib", "platlib", "stdlib", "platstdlib"):
        path = sysconfig.get_paths().get(key)
        if path:
            found.add(path)
    for path in [*site.getsitepackages(), site.getusersitepackages(), *sys.path]:
        if path and Path(path).name in ("site-packages", "dist-packages"):
            found.add(path)
    return sorted(found)


def path_rules(folder: str | None, roots: list[str], temp_dirs: list[str]) -> list[tuple[re.Pattern, str]]:
    """(pattern, replacement) pairs, the longest path first so nested folders win."""
    targets: dict[str, str] = {}
    for root in roots:
        targets[root] = ""  # relative to the course root
    for path in python_dirs():
        targets[path] = Path(path).name
    home = os.path.expanduser("~")
    if home not in ("", "/"):
        targets.setdefault(home, "~")
    if folder:
        targets[folder] = "."
    rules = []
    variants: dict[str, str] = {}
    for path, replacement in targets.items():
        for form in {os.path.normpath(path), os.path.realpath(path)}:
            if len(form) > 1:
                variants.setdefault(form, replacement)
    for path in sorted(variants, key=len, reverse=True):
        replacement = variants[path]
        if replacement == "":
            # "<root>/x" -> "x"; the root alone -> "."
            rules.append((re.compile(re.escape(path) + r"/(?=\S)"), ""))
            rules.append((re.compile(re.escape(path) + _END), "."))
        else:
            rules.append((re.compile(re.escape(path) + _END), replacement))
    for temp in sorted({os.path.normpath(t) for t in temp_dirs if t and len(t) > 1}, key=len, reverse=True):
        # whatever is left under the temporary folder: keep only the last part
        rules.append((re.compile(re.escape(temp) + rf"((?:/{_PART})*)/({_PART})" + _END), r"<tmp>/.../\2"))
        rules.append((re.compile(re.escape(temp) + r"/?" + _END), "<tmp>"))
    return rules


def scrub_text(text: str, rules: list[tuple[re.Pattern, str]]) -> str:
    """``text`` with every rule applied in order."""
    if "/" not in text:
        return text
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


class ScrubGraderPaths(NbGraderPreprocessor):
    """Rewrite the grader's absolute paths in every output (see the module docstring)."""

    roots = List(Unicode(), help="Course roots (and the repository): paths under them become "
                                 "relative.").tag(config=True)
    temp_dirs = List(Unicode(), help="Temporary folders whose remaining paths keep only their last "
                                     "part (default: /tmp and the system's temporary folder).").tag(config=True)

    def preprocess(self, nb, resources):
        folder = (resources or {}).get("metadata", {}).get("path") or None
        temps = list(self.temp_dirs) or sorted({"/tmp", tempfile.gettempdir()})
        self._rules = path_rules(os.path.abspath(folder) if folder else None, list(self.roots), temps)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            self._scrub_output(output)
        return cell, resources

    def _scrub(self, value):
        if isinstance(value, str):
            return scrub_text(value, self._rules)
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        return value

    def _scrub_output(self, output) -> None:
        for key in ("text", "evalue", "ename", "traceback"):
            if key in output:
                output[key] = self._scrub(output[key])
        data = output.get("data")
        if isinstance(data, dict):
            for mime in list(data):
                if mime.startswith("text/") or mime == "image/svg+xml":
                    data[mime] = self._scrub(data[mime])
