"""``grading demo``: release, three sample students, autograde, feedback, grades table."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from grading.autograde import AutogradeReport, autograde_course
from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks
from grading.release import release
from grading.submissions import sample_submissions

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
        for source in source_notebooks(assignment, layout.path("source")):
            release_nb = layout.path("release") / assignment / source.name
            samples = sample_submissions(source, release_nb)
            for student, kind in DEMO_STUDENTS.items():
                folder = layout.path("submitted") / student / assignment
                if folder.exists() and not (folder / source.name).exists():
                    shutil.rmtree(folder)
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(samples[kind], folder / source.name)
                written.append(folder / source.name)
    return written


def run_demo(assignments: list[str] | None = None, layout: CourseLayout | None = None,
             progress: bool = True) -> AutogradeReport:
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    release(names, layout)
    write_sample_submissions(names, layout)
    return autograde_course(names, layout, feedback=True, progress=progress)
