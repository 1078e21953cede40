"""The other subcommands on the tiny fixture: check, demo, slides, --help; grade leaves the gradebook alone."""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from grading.course import REPO_ROOT, CourseLayout
from tests.conftest import FIXTURE_SOURCE, TINY

SUBCOMMANDS = ["release", "check", "autograde", "grade", "rubric", "demo", "slides"]


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_has_help(command):
    proc = subprocess.run([sys.executable, "-m", "grading", command, "--help"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m grading " + command)


def test_check_passes_on_a_sound_assignment_and_fails_on_a_tampered_release(tiny_course, tmp_path):
    from grading.check import check_course

    report = check_course([TINY], tiny_course, workers=2)
    assert report.ok, report.render()
    assert report.scores[TINY] == "reference 4/4 blank 0/4"

    broken = CourseLayout(root=tmp_path / "course")
    shutil.copytree(tiny_course.path("source"), broken.path("source"))
    shutil.copytree(tiny_course.path("release"), broken.path("release"))
    release = broken.path("release") / TINY / "tiny.ipynb"
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:  # a release that hands out an answer, and a test that cannot fail
        cell.source = cell.source.replace("raise NotImplementedError()", "return a + b", 1)
    nbformat.write(nb, release)
    problems = "\n".join(check_course([TINY], broken, workers=2).problems[TINY])
    assert "out of date" in problems
    assert "leaks line 'return a + b'" in problems
    assert "the blank release earns points" in problems and "test_add" in problems


def test_demo_grades_three_sample_students_in_a_throw_away_course(tmp_path):
    from grading.demo import DEMO_MARKER, run_demo

    demo_root = tmp_path / "build" / "demo-course"
    report = run_demo([TINY], progress=False, demo_root=demo_root, source_dir=FIXTURE_SOURCE)
    scores = {student: row[TINY].score for student, row in report.rows.items()}
    assert scores == {"alice_reference": 4.0, "bob_blank": 0.0, "carol_partial": 2.0}
    assert report.csv_path.is_relative_to(demo_root) and report.csv_path.exists()
    assert (demo_root / "feedback" / "carol_partial" / TINY / "tiny.html").exists()
    assert (demo_root / "gradebook.db").exists() and (demo_root / DEMO_MARKER).exists()
    # Where the demo used to hand in its students: the repository's own course.
    assert not (REPO_ROOT / "grading" / "submitted" / "alice_reference" / TINY).exists()

    # Running it again starts from a fresh course: nothing of the last run (or added to it) is left.
    (demo_root / "submitted" / "mallory").mkdir()
    again = run_demo([TINY], progress=False, demo_root=demo_root, source_dir=FIXTURE_SOURCE)
    assert {s: r[TINY].score for s, r in again.rows.items()} == scores
    assert not (demo_root / "submitted" / "mallory").exists()


def test_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    from grading.demo import DemoCourseError, prepare_demo_course

    taken = tmp_path / "demo-course"
    (taken / "grading" / "submitted").mkdir(parents=True)
    (taken / "grading" / "gradebook.db").write_bytes(b"somebody's grades")
    with pytest.raises(DemoCourseError, match="was not made by `grading demo`"):
        prepare_demo_course(taken, FIXTURE_SOURCE)
    assert (taken / "grading" / "gradebook.db").read_bytes() == b"somebody's grades"


def test_slides_leave_out_answer_and_test_cells(tmp_path):
    from grading.leaks import find_leaks, html_to_text, secret_lines
    from grading.slides import build_slides

    (deck,) = build_slides([TINY], out_dir=tmp_path, source_dir=FIXTURE_SOURCE)
    assert deck == tmp_path / TINY / "tiny.slides.html"
    text = html_to_text(deck.read_text())
    assert "Tiny fixture assignment" in text and "Two functions, four points." in text
    assert find_leaks(text, secret_lines(nbformat.read(FIXTURE_SOURCE / TINY / "tiny.ipynb", as_version=4))) == []
    assert "def add" not in text and "assert add(1, 2)" not in text


def test_grade_leaves_the_course_gradebook_untouched(tiny_course, tiny_notebooks):
    gradebook = tiny_course.root / tiny_course.gradebook
    before = gradebook.read_bytes()
    listing = lambda: sorted(str(p) for p in tiny_course.root.rglob("*"))  # noqa: E731
    files_before = listing()
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", TINY, str(tiny_notebooks["partial"]), "--json",
                           "--source", str(tiny_course.path("source"))], capture_output=True, text=True, timeout=300,
                          cwd=tiny_course.root)
    assert proc.returncode == 0, proc.stderr
    assert gradebook.read_bytes() == before
    assert listing() == files_before, "grade must work in a scratch course, not in the course directory"


@pytest.mark.parametrize("name, reason", [
    ("tiny (1).ipynb", "expected tiny.ipynb but found tiny (1).ipynb: rename tiny (1).ipynb to tiny.ipynb"),
    ("renamed.ipynb", "expected tiny.ipynb but found renamed.ipynb: rename the file and grade again"),
])
def test_grade_follows_autogrades_file_name_rule(tiny_notebooks, tmp_path, name, reason):
    """One rule for file names (grading.intake): `grade` refuses what `autograde` refuses, with
    the same reason, and renames nothing."""
    import json

    path = tmp_path / name
    shutil.copyfile(tiny_notebooks["reference"], path)
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", TINY, str(path), "--json",
                           "--source", str(FIXTURE_SOURCE)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "error" and result["error"].startswith(reason)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
