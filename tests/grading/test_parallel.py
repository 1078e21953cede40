"""Parallel and distributed grading give the same grades as one-at-a-time grading.

The tiny fixture course with six students is graded sequentially, with two local worker
processes, on a local Dask cluster, and with the gradebook in a real PostgreSQL server
(``postgres_url`` in tests/conftest.py, from Debian's ``postgresql`` package). Each run must
record exactly one submission per student with the same per-test scores, and grading again
changes nothing.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from grading.course import CourseLayout
from tests.conftest import FIXTURE_SOURCE, TINY

pytestmark = [pytest.mark.slow]

STUDENTS = {"s1": "reference", "s2": "blank", "s3": "partial", "s4": "reference",
            "s5": "partial", "s6": "blank"}


def make_course(root: Path, tiny_notebooks: dict, database_url: str | None = None) -> CourseLayout:
    from grading.release import release

    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    layout = CourseLayout(root=root, database_url=database_url)
    release([TINY], layout)
    for student, kind in STUDENTS.items():
        folder = layout.path("submitted") / student / TINY
        folder.mkdir(parents=True)
        shutil.copyfile(tiny_notebooks[kind], folder / "tiny.ipynb")
    return layout


def gradebook_scores(layout: CourseLayout) -> dict[str, dict[str, float]]:
    """student -> {grade_id: score}, read from nbgrader's gradebook; fails on duplicates."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float]] = {}
    with Gradebook(layout.db_url, "dl-course") as gb:
        submissions = gb.find_assignment(TINY).submissions
        students = [s.student.id for s in submissions]
        assert len(students) == len(set(students)), f"duplicated submissions: {students}"
        for sub in submissions:
            nb = gb.find_submission_notebook("tiny", TINY, sub.student.id)
            out[sub.student.id] = {g.name: float(g.score) for g in nb.grades}
    return out


def csv_scores(path: Path) -> dict[tuple[str, str], float]:
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    keys = [(r["student_id"], r["assignment"]) for r in rows]
    assert len(keys) == len(set(keys)), "duplicated rows in the CSV export"
    return {k: float(r["score"]) for k, r in zip(keys, rows)}


@pytest.fixture(scope="module")
def sequential(tmp_path_factory, tiny_notebooks):
    from grading.autograde import autograde_course

    layout = make_course(tmp_path_factory.mktemp("seq"), tiny_notebooks)
    report = autograde_course([TINY], layout, workers=1, progress=False, feedback=False)
    return gradebook_scores(layout), csv_scores(report.csv_path)


def test_sequential_grades_are_as_expected(sequential):
    scores, table = sequential
    assert set(scores) == set(STUDENTS)
    totals = {s: sum(g.values()) for s, g in scores.items()}
    assert totals["s1"] == totals["s4"] == 4.0 and totals["s2"] == totals["s6"] == 0.0
    assert 0 < totals["s3"] == totals["s5"] < 4
    assert table == {(s, TINY): totals[s] for s in STUDENTS}


def test_workers_give_the_same_grades_and_regrading_changes_nothing(tmp_path, tiny_notebooks, sequential):
    from grading.autograde import autograde_course

    layout = make_course(tmp_path, tiny_notebooks)
    report = autograde_course([TINY], layout, workers=2, progress=False, feedback=True)
    assert (gradebook_scores(layout), csv_scores(report.csv_path)) == sequential
    assert all((layout.path("feedback") / s / TINY / "tiny.html").exists() for s in STUDENTS)
    again = autograde_course([TINY], layout, workers=2, progress=False, feedback=False)
    assert (gradebook_scores(layout), csv_scores(again.csv_path)) == sequential


def test_dask_local_cluster_gives_the_same_grades(tmp_path, tiny_notebooks, sequential):
    from grading.autograde import autograde_course

    layout = make_course(tmp_path, tiny_notebooks)
    report = autograde_course([TINY], layout, workers=2, scheduler="local", progress=False, feedback=False)
    assert (gradebook_scores(layout), csv_scores(report.csv_path)) == sequential


def test_postgres_gradebook_with_workers(tmp_path, tiny_notebooks, sequential, postgres_url):
    from grading.autograde import autograde_course

    layout = make_course(tmp_path, tiny_notebooks, database_url=postgres_url)
    report = autograde_course([TINY], layout, workers=2, progress=False, feedback=False)
    assert (gradebook_scores(layout), csv_scores(report.csv_path)) == sequential
    assert not (tmp_path / "grading" / "gradebook.db").exists(), "the SQLite file must not be used"
