"""``grading demo``: release, three sample students, autograde, feedback, grades table.

By default it all happens in a throw-away course directory, ``build/demo-course/``, made
afresh from ``solutions/`` on every run: the sample students never reach the real
submitted folder, gradebook or grades, and the committed release is not rewritten.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grading.autograde import AutogradeReport, autograde_course
from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks
from grading.release import release
from grading.submissions import sample_submissions

#: The demo's throw-away course directory (``make clean`` removes it with the rest of build/).
DEMO_ROOT = REPO_ROOT / "build" / "demo-course"
#: The file that marks a folder as made by the demo, so that it may be deleted.
DEMO_MARKER = ".grading-demo-course"

#: Sample student ids and which sample submission each hands in.
DEMO_STUDENTS = {
    "alice_reference": "reference",
    "bob_blank": "blank",
    "carol_partial": "partial",
}


def write_sample_submissions(assignments: list[str], layout: CourseLayout) -> list[Path]:
    """Put the demo students' notebooks into the submitted folder (replacing earlier ones)."""
    written = []
    for assignment in assignments:
        for student in DEMO_STUDENTS:
            folder = layout.path("submitted") / student / assignment
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        for source in source_notebooks(assignment, layout.path("source")):
            samples = sample_submissions(source, layout.path("release") / assignment / source.name)
            for student, kind in DEMO_STUDENTS.items():
                path = layout.path("submitted") / student / assignment / source.name
                nbformat.write(samples[kind], path)
                written.append(path)
    return written


class DemoCourseError(RuntimeError):
    """The demo's course directory is taken by something the demo did not make."""


def prepare_demo_course(root: Path = DEMO_ROOT, source_dir: Path | None = None) -> CourseLayout:
    """A fresh throw-away course at ``root`` holding a copy of ``source_dir`` (``solutions/``).

    The folder is deleted first, but only when an earlier demo made it (it holds
    ``DEMO_MARKER``): the demo never deletes a folder it did not create.
    """
    root = Path(root)
    if root.exists() or root.is_symlink():
        if root.is_symlink() or not (root / DEMO_MARKER).is_file():
            raise DemoCourseError(f"{root} exists and was not made by `grading demo` (no {DEMO_MARKER} in it): "
                                  "move it away or pick another folder")
        shutil.rmtree(root)
    # nbgrader's own folder names, and no course.toml: nothing here can reach a real gradebook.
    layout = CourseLayout.scratch(root)
    root.mkdir(parents=True)
    (root / DEMO_MARKER).write_text("made by `python -m grading demo`; deleted and made again on every run\n",
                                    encoding="utf-8")
    shutil.copytree(Path(source_dir or REPO_ROOT / "solutions"), layout.path("source"),
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return layout


def run_demo(assignments: list[str] | None = None, layout: CourseLayout | None = None,
             progress: bool = True, unsafe: bool = False, workers: int = 1, *,
             demo_root: Path = DEMO_ROOT, source_dir: Path | None = None) -> AutogradeReport:
    """Release, hand in the sample submissions, autograde with feedback, export the grades.

    Without ``layout`` this runs in a fresh throw-away course at ``demo_root`` made from
    ``source_dir`` (``prepare_demo_course``); the report's ``csv_path`` lies inside it.
    """
    layout = layout or prepare_demo_course(demo_root, source_dir)
    names = assignments or list_assignments(layout.path("source"))
    release(names, layout)
    write_sample_submissions(names, layout)
    return autograde_course(names, layout, feedback=True, progress=progress, unsafe=unsafe,
                            workers=workers)
