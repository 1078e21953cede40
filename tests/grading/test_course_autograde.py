"""Course-wide autograding on the tiny fixture: broken submissions are reported, others graded."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat

from grading.autograde import autograde_course
from grading.release import release_drift
from grading.leaks import find_leaks, notebook_text, secret_lines
from tests.conftest import TINY


def test_release_is_in_sync_and_clean(tiny_course, tiny_notebooks):
    assert release_drift(TINY, tiny_course) == []
    text = notebook_text(tiny_notebooks["release"])
    assert find_leaks(text, secret_lines(nbformat.read(tiny_notebooks["source"], as_version=4))) == []
    assert "raise NotImplementedError()" in text


def test_release_drift_is_detected(tiny_course, tiny_notebooks, tmp_path):
    from grading.course import CourseLayout

    copy = CourseLayout(root=tmp_path / "course")
    shutil.copytree(tiny_course.path("source"), copy.path("source"))
    shutil.copytree(tiny_course.path("release"), copy.path("release"))
    stale = copy.path("release") / TINY / "tiny.ipynb"
    nb = nbformat.read(stale, as_version=4)
    nb.cells[0].source += "\nedited by hand"
    nbformat.write(nb, stale)
    (copy.path("release") / TINY / "extra.txt").write_text("stray")
    problems = release_drift(TINY, copy)
    assert any("out of date" in p and "tiny.ipynb" in p for p in problems)
    assert any("extra.txt" in p for p in problems)


def test_autograde_course_survives_broken_submissions(tiny_course, tiny_notebooks):
    submitted = tiny_course.path("submitted")
    for student, kind in {"alice": "reference", "bob": "blank", "carol": "partial", "gina": "reference"}.items():
        (submitted / student / TINY).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tiny_notebooks[kind], submitted / student / TINY / "tiny.ipynb")
    (submitted / "dave" / TINY).mkdir(parents=True, exist_ok=True)
    (submitted / "dave" / TINY / "tiny.ipynb").write_text("{ not json")
    (submitted / "erin" / TINY).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tiny_notebooks["reference"], submitted / "erin" / TINY / "renamed.ipynb")

    first = autograde_course([TINY], tiny_course, progress=False)
    assert first.rows["gina"][TINY].score == 4.0
    # gina resubmits a broken file: her old grade must not survive in the gradebook or the CSV.
    (submitted / "gina" / TINY / "tiny.ipynb").write_text('{"cells": ')

    report = autograde_course([TINY], tiny_course, progress=False)
    rows = report.rows
    assert (rows["alice"][TINY].score, rows["alice"][TINY].max_score) == (4.0, 4.0)
    assert rows["bob"][TINY].score == 0.0
    assert 0.0 < rows["carol"][TINY].score < 4.0
    assert "not a readable notebook" in rows["dave"][TINY].error
    assert rows["erin"][TINY].error == "expected tiny.ipynb but found renamed.ipynb: rename the file and grade again"
    assert "not a readable notebook" in rows["gina"][TINY].error

    table = report.table()
    assert "alice" in table and "4/4" in table and "ERROR dave/00_tiny" in table

    with open(report.csv_path) as fh:
        rows_csv = {(r["student_id"], r["assignment"]): r for r in csv.DictReader(fh)}
    assert (rows_csv[("alice", TINY)]["score"], rows_csv[("alice", TINY)]["status"]) == ("4.0", "graded")
    assert float(rows_csv[("bob", TINY)]["score"]) == 0.0
    for broken in ("dave", "erin", "gina"):
        row = rows_csv[(broken, TINY)]
        assert row["score"] == "" and row["raw_score"] == "", f"{broken} must not keep a grade, nor a silent 0"
        assert row["status"].startswith("error: "), row["status"]
    assert rows_csv[("erin", TINY)]["status"] == "error: " + rows["erin"][TINY].error
    # Her old feedback is replaced by a page that says why this submission has no grade.
    page = (tiny_course.path("feedback") / "gina" / TINY / "tiny.html").read_text()
    assert "not a readable notebook" in page and "4 / 4" not in page and "<script" not in page
    assert (tiny_course.path("feedback") / "carol" / TINY / "tiny.html").exists()


def test_autograde_unknown_assignment_is_a_clear_error(tiny_course):
    import pytest

    from grading.course import UnknownAssignmentError

    with pytest.raises(UnknownAssignmentError, match="unknown assignment '99_nope'"):
        autograde_course(["99_nope"], tiny_course, progress=False)


def test_inprocess_alembic_head_matches_nbgrader_subprocess():
    """The speed patch in grading.engine must give nbgrader the revision its own CLI would."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import nbgrader.api

    from grading.engine import alembic_head

    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    original = nbgrader.api.get_alembic_version.__module__ == "nbgrader.api"
    code = "from nbgrader.api import get_alembic_version; print(get_alembic_version())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == alembic_head()
    assert original or nbgrader.api.get_alembic_version is alembic_head


def _variant(tiny_notebooks, tmp_path, name, edit) -> Path:
    nb = nbformat.read(tiny_notebooks["reference"], as_version=4)
    edit(nb)
    path = tmp_path / name / "tiny.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


def test_deleted_test_cell_is_put_back_and_graded(tiny_notebooks, tmp_path):
    from grading.grade_one import grade_notebook
    from tests.conftest import FIXTURE_SOURCE

    def delete_hidden_test(nb):
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_square_hidden"]

    path = _variant(tiny_notebooks, tmp_path, "deleted", delete_hidden_test)
    grade = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE).grade
    assert grade.status == "graded"
    assert [t.grade_id for t in grade.tests] == ["test_add", "test_square_visible", "test_square_hidden"]
    assert grade.score == grade.max_score == 4.0


def test_stderr_in_a_test_cell_costs_nothing(tiny_notebooks, tmp_path):
    """nbgrader would score any stderr as 0: native TensorFlow log lines are dropped, and the
    trusted check, not the kernel's output, decides the rest (the text stays, as stdout)."""
    from grading.grade_one import grade_notebook
    from tests.conftest import FIXTURE_SOURCE

    tf_line = "2026-11-28 03:50:00.123456: I tensorflow/core/platform/cpu_feature_guard.cc:210] AVX2 FMA"

    def noisy(message):
        def edit(nb):
            for cell in nb.cells:
                if cell.metadata.get("nbgrader", {}).get("grade_id") == "add":
                    cell.source = cell.source.replace(
                        "return a + b", f"import sys\n    print({message!r}, file=sys.stderr)\n    return a + b")
        return edit

    tf_noise = grade_notebook(TINY, _variant(tiny_notebooks, tmp_path, "tf", noisy(tf_line)),
                              source_dir=FIXTURE_SOURCE).grade
    assert tf_noise.score == 4.0, [(t.grade_id, t.message) for t in tf_noise.tests]
    own_noise = grade_notebook(TINY, _variant(tiny_notebooks, tmp_path, "own", noisy("debug: a is 1")),
                               source_dir=FIXTURE_SOURCE).grade
    assert own_noise.score == 4.0, [(t.grade_id, t.message) for t in own_noise.tests]
    autograded = tmp_path / "kept"
    kept = grade_notebook(TINY, _variant(tiny_notebooks, tmp_path, "own2", noisy("debug: a is 1")),
                          source_dir=FIXTURE_SOURCE, keep_dir=autograded).autograded
    import nbformat

    cell = next(c for c in nbformat.read(kept, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_add")
    assert [o["name"] for o in cell.outputs if o["output_type"] == "stream"] == ["stdout", "stdout"]
    assert "debug: a is 1" in cell.outputs[0]["text"]
