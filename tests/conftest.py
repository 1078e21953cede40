"""Shared fixtures: paths, the tiny fixture course, and one graded run per real notebook.

Executing a notebook is the expensive part of the suite, so each real notebook's reference
and blank submissions are graded once per session (in parallel) and every check that
needs the executed result (scores, feedback, slides) reads that one run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks

FIXTURE_SOURCE = REPO_ROOT / "tests" / "fixtures" / "course" / "solutions"
TINY = "00_tiny"
#: The tiny fixture notebook's trusted checks (grading.trusted.registry looks here too);
#: set at import so that grading workers and subprocesses started by tests inherit it.
FIXTURE_CHECKS = REPO_ROOT / "tests" / "fixtures" / "checks"
os.environ["COURSE_CHECK_DIRS"] = str(FIXTURE_CHECKS)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory) -> CourseLayout:
    """A course directory (repository layout) holding only the tiny fixture assignment, released."""
    from grading.release import release

    root = tmp_path_factory.mktemp("tiny-course")
    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    layout = CourseLayout(root=root)
    release([TINY], layout)
    return layout


@pytest.fixture(scope="session")
def tiny_notebooks(tiny_course) -> dict[str, Path]:
    """The tiny assignment's source, release and sample submissions, as files."""
    from grading.submissions import sample_submissions

    source = tiny_course.path("source") / TINY / "tiny.ipynb"
    release = tiny_course.path("release") / TINY / "tiny.ipynb"
    out = {"source": source, "release": release}
    folder = tiny_course.root / "samples"
    folder.mkdir(exist_ok=True)
    for kind, nb in sample_submissions(source, release).items():
        out[kind] = folder / f"{kind}.ipynb"
        nbformat.write(nb, out[kind])
    return out


REAL_ASSIGNMENTS = list_assignments()
#: (assignment, notebook stem) of every real source notebook; test ids read "assignment/stem".
REAL_NOTEBOOKS = [(a, p.stem) for a in REAL_ASSIGNMENTS for p in source_notebooks(a)]
REAL_NOTEBOOK_IDS = [f"{a}/{stem}" for a, stem in REAL_NOTEBOOKS]


@pytest.fixture(scope="session")
def graded_reference(tmp_path_factory):
    """For every real notebook: the reference and blank submissions graded once, kept on disk.

    Returns ``{(assignment, stem): {"reference": GradeRun, "blank": GradeRun, "source": Path}}``;
    both runs keep their autograded notebook and feedback HTML.
    """
    from grading.parallel import grade_many
    from grading.submissions import fill_answers

    base = tmp_path_factory.mktemp("graded")
    jobs, keys = [], []
    for assignment in REAL_ASSIGNMENTS:
        for source in source_notebooks(assignment):
            release = REPO_ROOT / "notebooks" / assignment / source.name
            reference = base / "submissions" / assignment / source.stem / source.name
            reference.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill_answers(nbformat.read(release, as_version=4),
                                        nbformat.read(source, as_version=4)), reference)
            scratch = base / assignment / source.stem
            jobs.append((assignment, reference, {"keep_dir": scratch / "reference", "feedback": True}))
            jobs.append((assignment, release, {"keep_dir": scratch / "blank", "feedback": True}))
            keys += [(assignment, source, "reference"), (assignment, source, "blank")]
    results: dict = {}
    for (assignment, source, kind), run in zip(keys, grade_many(jobs)):
        results.setdefault((assignment, source.stem), {"source": source})[kind] = run
    return results
