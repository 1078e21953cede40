"""``grading bundle``: the archive an instructor hands to students.

It holds the student release (``notebooks/``), the ``helpers`` package, ``data/``, the
environment files (the students-only lock ``requirements-student.lock``, an ``environment.yml``
that installs it and a ``pyproject.toml`` that installs ``helpers`` only) and a student README,
and nothing from ``solutions/``, the hidden tests, the grading tool, its test and grading
dependencies (the instructor's ``requirements.lock``) or the gradebook. The build refuses
when the release is out of date and checks the finished archive for solution and
hidden-test text before writing it.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, list_assignments, source_notebooks
from grading.leaks import find_leaks, secret_lines
from grading.release import release_drift

BUNDLE_ROOT = "dl-course-student"
#: The students' lock: the instructor's versions, without pytest, Dask, JupyterHub ...
#: (``requirements-student.in`` says what is in it and how to regenerate it).
STUDENT_LOCK = "requirements-student.lock"
#: Files and folders copied from the repository as they are.
COPIED = ("notebooks", "helpers", "data", STUDENT_LOCK)
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
FORBIDDEN_SUFFIXES = (".db", ".sqlite", ".pyc")

STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "dl-course-student"
version = "0.1.0"
description = "The helpers package of the deep-learning course (the notebooks import it)."
requires-python = ">=3.10,<3.13"

[tool.setuptools.packages.find]
include = ["helpers", "helpers.*"]

[tool.setuptools.package-data]
helpers = ["texts/*.txt"]
"""

STUDENT_ENVIRONMENT = """\
# `conda env create -f environment.yml && conda activate dl-course`: Python from conda-forge,
# every Python package pinned by requirements-student.lock.
name: dl-course
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
      - -r requirements-student.lock
      - -e .
"""

STUDENT_README = """\
# Deep learning, from theory to practice: student files

Eleven Jupyter notebooks (`notebooks/`), the `helpers` package they import, and the pinned
environment. You implement each idea in NumPy, then with TensorFlow 2; test cells check your
work as you go, and the graders run more tests than you see.

## Set up (once)

With conda:

    conda env create -f environment.yml
    conda activate dl-course

or with plain Python 3.11:

    python3.11 -m venv .venv
    .venv/bin/pip install -r requirements-student.lock
    .venv/bin/pip install --no-deps -e .

Nothing downloads at run time: the data sets ship with the installed packages. Optional larger
data (Fashion-MNIST) is read from `data/` when you put it there (see `data/README.md`).

## Work

    jupyter lab notebooks/

Open a notebook, run it from the top, replace each `raise NotImplementedError()` with your
code and run the test cells below it. Use the **Validate** button in the notebook toolbar
before you submit: it runs the whole notebook the way the grader will. Do not edit the locked
cells and do not rename the notebooks.

## Submit

Hand in the `.ipynb` files you worked on, as your instructor asks (the nbgrader assignment
list in JupyterLab, or by upload).
"""


class BundleError(RuntimeError):
    """The bundle cannot be built safely (release out of date, or secret text found)."""


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*SKIPPED_NAMES, "*.pyc"))


def _secret_lines() -> set[str]:
    secrets: set[str] = set()
    for assignment in list_assignments():
        for source in source_notebooks(assignment):
            secrets |= set(secret_lines(nbformat.read(source, as_version=4)))
    return secrets


def check_bundle_folder(folder: Path) -> list[str]:
    """Problems that would make ``folder`` unsafe to hand out (empty when it is safe)."""
    problems = []
    secrets = _secret_lines()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.suffix in FORBIDDEN_SUFFIXES:
            problems.append(f"{relative}: a {path.suffix} file does not belong in a student bundle")
            continue
        if relative.split("/")[0] in {"solutions", "grading"}:
            problems.append(f"{relative}: instructor files")
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
            problems.append(f"{relative}: solution or hidden-test markers")
        # Notebooks are compared line by line with the solutions and hidden tests; library code
        # (helpers) shares generic lines such as `raise ValueError(` with them, so only markers count there.
        leaks = find_leaks(text, secrets) if path.suffix == ".ipynb" else []
        if leaks:
            problems.append(f"{relative}: {len(leaks)} line(s) of solutions or hidden tests, e.g. {leaks[0]!r}")
    return problems


def build_bundle(out_dir: Path | None = None, repo_root: Path = REPO_ROOT) -> Path:
    """Write ``<out_dir>/student-bundle.zip`` (one top folder, ``dl-course-student/``) and return its path."""
    drift = {assignment: release_drift(assignment) for assignment in list_assignments()}
    stale = sorted(assignment for assignment, problems in drift.items() if problems)
    if stale:
        raise BundleError(f"the student release is out of date for {', '.join(stale)}: run `python -m grading release` first")
    if not (repo_root / STUDENT_LOCK).is_file():
        raise BundleError(f"{STUDENT_LOCK} is missing: compile it from requirements-student.in (see that file)")
    out_dir = Path(out_dir or repo_root / "build")
    with tempfile.TemporaryDirectory(prefix="bundle-") as tmp:
        folder = Path(tmp) / BUNDLE_ROOT
        folder.mkdir()
        for name in COPIED:
            source = repo_root / name
            if source.is_dir():
                _copy_tree(source, folder / name)
            elif source.exists():
                shutil.copy2(source, folder / name)
        # data/ holds only what git tracks: optional data a student adds stays out of the bundle.
        for extra in sorted((folder / "data").glob("*")):
            if extra.name != "README.md":
                shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
        (folder / "environment.yml").write_text(STUDENT_ENVIRONMENT, encoding="utf-8")
        (folder / "pyproject.toml").write_text(STUDENT_PYPROJECT, encoding="utf-8")
        (folder / "README.md").write_text(STUDENT_README, encoding="utf-8")
        problems = check_bundle_folder(folder)
        if problems:
            raise BundleError("refusing to write the bundle:\n  " + "\n  ".join(problems))
        out_dir.mkdir(parents=True, exist_ok=True)
        archive = out_dir / "student-bundle.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    zf.write(path, path.relative_to(folder.parent).as_posix())
    return archive


__all__ = ["BUNDLE_ROOT", "STUDENT_LOCK", "BundleError", "build_bundle", "check_bundle_folder"]
