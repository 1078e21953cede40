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


def run_demo(assignments: list[str] | None = None, layout: CourseLayout | None = None,
             progress: bool = True, unsafe: bool = False, workers: int = 1) -> AutogradeReport:
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    release(names, layout)
    write_sample_submissions(names, layout)
    return autograde_course(names, layout, feedback=True, progress=progress, unsafe=unsafe,
                            workers=workers)
