"""Regenerate the student release (``notebooks/``) from ``solutions/`` with nbgrader."""

from __future__ import annotations

import filecmp
import json
import shutil
import tempfile
from pathlib import Path

from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks
from grading.engine import Course


def release(assignments: list[str] | None = None, layout: CourseLayout | None = None) -> list[Path]:
    """Run nbgrader's generate_assignment for each assignment; returns the release notebooks."""
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    course = Course(layout)
    written = []
    for name in names:
        source_notebooks(name, layout.path("source"))  # clear error for an unknown name
        course.generate_assignment(name)
        written.extend(sorted((layout.path("release") / name).glob("*.ipynb")))
    return written


def release_drift(assignment: str, layout: CourseLayout | None = None) -> list[str]:
    """Differences between the committed release of ``assignment`` and a fresh regeneration.

    Returns one line per differing, missing or extra file (empty when in sync).
    """
    layout = layout or CourseLayout(root=REPO_ROOT)
    source_notebooks(assignment, layout.path("source"))  # a clear error for an unknown name
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        scratch = CourseLayout.scratch(Path(tmp))
        src = layout.path("source") / assignment
        dst = scratch.path("source") / assignment
        dst.parent.mkdir(parents=True)
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        Course(scratch).generate_assignment(assignment)
        return _compare_trees(scratch.path("release") / assignment, layout.path("release") / assignment)


def _compare_trees(fresh: Path, committed: Path) -> list[str]:
    problems = []
    fresh_files = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    committed_files = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()} if committed.is_dir() else set()
    for rel in sorted(fresh_files - committed_files):
        problems.append(f"missing from the release: {committed / rel}")
    for rel in sorted(committed_files - fresh_files):
        problems.append(f"not produced by nbgrader (stale?): {committed / rel}")
    for rel in sorted(fresh_files & committed_files):
        a, b = fresh / rel, committed / rel
        if rel.suffix == ".ipynb":
            if json.loads(a.read_text()) != json.loads(b.read_text()):
                problems.append(f"out of date: {b} (run `python -m grading release`)")
        elif not filecmp.cmp(a, b, shallow=False):
            problems.append(f"out of date: {b}")
    return problems
