"""Submission intake (``grading.intake``): misnamed, misplaced, foreign and stripped notebooks
get a reason a student can act on, never a ``KeyError``; nothing submitted is moved or changed.

Real files in a temporary course: the tiny fixture assignment and the real notebook 01 (only
read, to recognise it: nothing of 01 is executed here).
"""

from __future__ import annotations

import copy
import datetime
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from grading import intake
from grading.course import REPO_ROOT, CourseLayout
from tests.conftest import FIXTURE_SOURCE, TINY

LR = "01_linear_regression"
STRIPPED_HINT = "Re-download the release notebook tiny.ipynb of 00_tiny, paste your answers into it"


@pytest.fixture
def course(tmp_path) -> CourseLayout:
    """A course directory with the tiny assignment and notebook 01's source (to tell them apart)."""
    shutil.copytree(FIXTURE_SOURCE / TINY, tmp_path / "solutions" / TINY)
    shutil.copytree(REPO_ROOT / "solutions" / LR, tmp_path / "solutions" / LR)
    return CourseLayout(root=tmp_path)


def tiny() -> nbformat.NotebookNode:
    return nbformat.read(FIXTURE_SOURCE / TINY / "tiny.ipynb", as_version=4)


def linear_regression() -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / "notebooks" / LR / "linear_regression.ipynb", as_version=4)


def stripped(nb: nbformat.NotebookNode, keep=lambda meta: False) -> nbformat.NotebookNode:
    """``nb`` with the nbgrader metadata of its cells removed (those ``keep`` rejects), as
    editors other than Jupyter do."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata and not keep(cell.metadata.nbgrader):
            del cell.metadata["nbgrader"]
    return nb


def submit(layout: CourseLayout, student: str, name: str, nb, assignment: str = TINY) -> Path:
    path = layout.path("submitted") / student / assignment / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- file names


@pytest.mark.parametrize("name", ["knn (1).ipynb", "knn(2).ipynb", "knn-1.ipynb", "knn_3.ipynb", "KNN.ipynb",
                                  "knn - Copy.ipynb", "Copy of knn.ipynb", "knn (1) (2).ipynb", "knn.IPYNB"])
def test_a_copy_or_download_of_the_name_is_recognised(name):
    assert intake.intended_name(name, ["knn.ipynb"]) == "knn.ipynb"


@pytest.mark.parametrize("name", ["knnx.ipynb", "my_knn.ipynb", "knn.txt", "(1).ipynb", "resnet.ipynb"])
def test_other_names_are_not_taken_for_copies(name):
    assert intake.intended_name(name, ["knn.ipynb", "resnet_50.ipynb"]) is None


def test_a_notebook_whose_own_name_ends_in_digits():
    assert intake.intended_name("resnet_50 (1).ipynb", ["resnet_50.ipynb"]) == "resnet_50.ipynb"


def test_a_browser_suffix_is_refused_with_a_rename(course):
    submit(course, "bob", "tiny (1).ipynb", tiny())
    reason = intake.submission_problem(course, TINY, "bob")
    assert reason.startswith("expected tiny.ipynb but found tiny (1).ipynb: rename tiny (1).ipynb to tiny.ipynb")
    assert list((course.path("submitted") / "bob" / TINY).iterdir()) == [
        course.path("submitted") / "bob" / TINY / "tiny (1).ipynb"], "nothing renamed"


def test_another_name_keeps_autogrades_reason(course):
    submit(course, "erin", "renamed.ipynb", tiny())
    assert intake.submission_problem(course, TINY, "erin") == \
        "expected tiny.ipynb but found renamed.ipynb: rename the file and grade again"


def test_a_notebook_in_a_subfolder_is_named(course):
    submit(course, "zip", "unzipped/tiny.ipynb", tiny())
    assert intake.submission_problem(course, TINY, "zip") == (
        "expected tiny.ipynb but found it in a subfolder (unzipped/tiny.ipynb): put it directly in the 00_tiny "
        "folder and submit it again")


def test_links_and_unreadable_notebooks_are_refused(course):
    submit(course, "ok", "tiny.ipynb", tiny())
    assert intake.submission_problem(course, TINY, "ok") is None
    folder = course.path("submitted") / "lnk" / TINY
    folder.mkdir(parents=True)
    (folder / "tiny.ipynb").symlink_to(course.path("source") / TINY / "tiny.ipynb")
    assert "a link or special file" in intake.submission_problem(course, TINY, "lnk")
    (course.path("submitted") / "bad" / TINY).mkdir(parents=True)
    (course.path("submitted") / "bad" / TINY / "tiny.ipynb").write_text('{"cells": [')
    assert "not a readable notebook" in intake.submission_problem(course, TINY, "bad")


def test_hostile_file_names_are_escaped_in_the_reason(course):
    submit(course, "eve", '\x1b[2J=HYPERLINK("x")\n.ipynb', tiny())
    reason = intake.submission_problem(course, TINY, "eve")
    assert "\x1b" not in reason and "\n" not in reason and "\\x1b[2J=HYPERLINK" in reason


# ------------------------------------------------------------------------ which notebook


def test_another_assignments_notebook_is_named(course):
    submit(course, "frank", "tiny.ipynb", linear_regression())
    assert intake.submission_problem(course, TINY, "frank") == (
        "tiny.ipynb is the notebook of 01_linear_regression (linear_regression.ipynb); submit tiny.ipynb for 00_tiny")


def test_another_assignments_notebook_is_named_even_stripped(course):
    submit(course, "gus", "tiny.ipynb", stripped(linear_regression()))  # recognised by its text
    assert intake.submission_problem(course, TINY, "gus").startswith(
        "tiny.ipynb is the notebook of 01_linear_regression (linear_regression.ipynb)")


def test_stripped_metadata_says_what_happened_and_what_to_do(course):
    submit(course, "hal", "tiny.ipynb", stripped(tiny()))
    reason = intake.submission_problem(course, TINY, "hal")
    assert "lost the hidden information that tells the grader which cell is which" in reason
    assert STRIPPED_HINT in reason


def test_ids_of_no_notebook_say_what_to_do(course):
    nb = tiny()
    for cell in nb.cells:
        cell.metadata.nbgrader["grade_id"] += "_renamed"
    submit(course, "ida", "tiny.ipynb", nb)
    reason = intake.submission_problem(course, TINY, "ida")
    assert reason.startswith("none of the answer and test cells of tiny.ipynb carry the hidden ids of tiny.ipynb")
    assert "re-download the release notebook tiny.ipynb" in reason


def test_a_partly_stripped_notebook_is_still_graded(course):
    # Answer cells without metadata, test cells with: nbgrader can still tell the tests.
    submit(course, "jan", "tiny.ipynb", stripped(tiny(), keep=lambda meta: meta.get("grade")))
    assert intake.submission_problem(course, TINY, "jan") is None


# ------------------------------------------------------------------------- misplaced files


def test_misplaced_files_are_reported_with_where_they_belong_and_left_alone(course):
    sub = course.path("submitted")
    submit(course, "ok", "tiny.ipynb", tiny())
    (sub / "hank").mkdir()
    nbformat.write(tiny(), sub / "hank" / "tiny.ipynb")                 # no assignment folder
    submit(course, TINY, "tiny.ipynb", tiny(), assignment="ivan")        # submitted/00_tiny/ivan/tiny.ipynb
    submit(course, "jo", "tiny.ipynb", tiny(), assignment="tiny")       # folder named after the notebook
    submit(course, "kim", "tiny.ipynb", tiny())
    submit(course, "kim", "tiny (1).ipynb", tiny())                     # a copy beside it
    submit(course, "lee", "sub/tiny.ipynb", tiny())                     # in a subfolder
    submit(course, "mo", "tiny.ipynb", tiny())
    submit(course, "mo", "linear_regression.ipynb", linear_regression())  # another assignment's
    (sub / "pat" / "lab9").mkdir(parents=True)                          # nothing to guess from
    (sub / "readme.txt").write_text("notes")
    before = snapshot(sub)

    found = {str(m.path.relative_to(sub)): m for m in intake.find_misplaced(course, [TINY])}

    assert snapshot(sub) == before, "nothing is moved or changed"
    where = {path: (m.should_be.relative_to(sub).as_posix() if m.should_be else None) for path, m in found.items()}
    assert where == {
        "hank/tiny.ipynb": "hank/00_tiny/tiny.ipynb",
        "00_tiny/ivan": "ivan/00_tiny",
        "jo/tiny": "jo/00_tiny",
        "kim/00_tiny/tiny (1).ipynb": None,
        "lee/00_tiny/sub/tiny.ipynb": "lee/00_tiny/tiny.ipynb",
        "mo/00_tiny/linear_regression.ipynb": "mo/01_linear_regression/linear_regression.ipynb",
        "pat/lab9": None,
        "readme.txt": None,
    }
    assert "levels are swapped" in found["00_tiny/ivan"].reason
    assert "only 00_tiny/tiny.ipynb is graded" in found["kim/00_tiny/tiny (1).ipynb"].reason
    assert "no assignment is called lab9 (assignments: 00_tiny, 01_linear_regression)" == found["pat/lab9"].reason
    assert found["hank/tiny.ipynb"].line(sub) == ("hank/tiny.ipynb: a notebook directly in the student folder, "
                                                  "outside any assignment folder (should be hank/00_tiny/tiny.ipynb)")


def test_a_link_under_submitted_is_reported_not_followed(course, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    nbformat.write(tiny(), outside / "tiny.ipynb")
    (course.path("submitted") / "nina").mkdir(parents=True)
    (course.path("submitted") / "nina" / TINY).symlink_to(outside)
    (found,) = intake.find_misplaced(course)
    assert found.path.name == TINY and "link" in found.reason and found.should_be is None


# -------------------------------------------------------------------- timestamp and feedback


def test_ensure_timestamp_writes_nbgraders_format_once(course):
    from nbgrader.coursedir import CourseDirectory

    path = submit(course, "olga", "tiny.ipynb", tiny())
    submitted = path.read_bytes()
    when = datetime.datetime(2024, 3, 1, 12, 30, 15, 250000, tzinfo=datetime.timezone.utc)
    os.utime(path, (when.timestamp(), when.timestamp()))
    folder = path.parent
    assert intake.ensure_timestamp(folder) is True
    assert (folder / "timestamp.txt").read_text() == "2024-03-01 12:30:15.250000 UTC"
    # nbgrader reads it back as that moment (naive UTC, as it stores timestamps)
    assert CourseDirectory().get_existing_timestamp(str(folder)) == when.replace(tzinfo=None)
    assert intake.ensure_timestamp(folder) is False
    (folder / "timestamp.txt").write_text("2024-01-01 00:00:00.000000 UTC")
    assert intake.ensure_timestamp(folder) is False
    assert (folder / "timestamp.txt").read_text() == "2024-01-01 00:00:00.000000 UTC", "never overwritten"
    assert path.read_bytes() == submitted and path.stat().st_mtime == when.timestamp(), "the notebook is untouched"


def test_ensure_timestamp_caps_a_future_time_and_skips_links_and_empty_folders(course, tmp_path):
    path = submit(course, "pia", "tiny.ipynb", tiny())
    future = datetime.datetime.now().timestamp() + 10 * 365 * 86400
    os.utime(path, (future, future))
    assert intake.ensure_timestamp(path.parent)
    from nbgrader.utils import parse_utc

    assert parse_utc((path.parent / "timestamp.txt").read_text()) <= datetime.datetime.utcnow()
    empty = course.path("submitted") / "quinn" / TINY
    empty.mkdir(parents=True)
    assert intake.ensure_timestamp(empty) is False and not (empty / "timestamp.txt").exists()
    target = tmp_path / "not-yours.txt"
    target.write_text("keep")
    linked = submit(course, "rob", "tiny.ipynb", tiny()).parent
    (linked / "timestamp.txt").symlink_to(target)
    assert intake.ensure_timestamp(linked) is False and target.read_text() == "keep"


HOSTILE_REASON = ('expected tiny.ipynb but found <script>alert(1)</script><img src=x onerror=alert(2)>'
                  '\x1b[2J"\'.ipynb: rename the file')


def test_error_feedback_is_escaped_scriptless_and_released_by_nbgrader(course, tmp_path):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from grading.course import course_config

    folder = submit(course, "sam", "tiny (1).ipynb", tiny()).parent
    assert intake.ensure_timestamp(folder) and intake.ensure_submission_secret(folder)
    out = intake.write_error_feedback(course, TINY, "sam", HOSTILE_REASON)
    assert out == course.path("feedback") / "sam" / TINY
    assert sorted(p.name for p in out.iterdir()) == ["submission_secret.txt", "timestamp.txt", "tiny.html"]
    page = (out / "tiny.html").read_text()
    soup = BeautifulSoup(page, "html.parser")
    first = soup.head.find(True)
    assert first.name == "meta" and first["http-equiv"] == "Content-Security-Policy"
    assert "script-src 'none'" in first["content"] and "default-src 'none'" in first["content"]
    assert not soup.find_all(["script", "img", "iframe", "object", "link"])
    assert not [a for tag in soup.find_all(True) for a in tag.attrs if a.lower().startswith("on")]
    assert "<script>alert(1)</script><img src=x onerror=alert(2)>" in soup.get_text()  # shown as text
    assert "\x1b" not in page and "\\x1b[2J" in soup.get_text()
    assert "00_tiny: tiny was not graded" in soup.get_text()

    # nbgrader's own release_feedback hands the page out (it needs both files next to it).
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    config = course_config(course)
    config.Exchange.root = str(exchange)
    result = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).release_feedback(TINY, "sam")
    assert result["success"], result.get("error")
    (released,) = (exchange / "dl-course" / "feedback").glob("*.html")
    assert released.read_text() == page


def test_error_feedback_refuses_a_linked_feedback_folder(course, tmp_path):
    (course.path("feedback")).mkdir(parents=True)
    (course.path("feedback") / "tom").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="is a link"):
        intake.write_error_feedback(course, TINY, "tom", "why")
    assert not (tmp_path / TINY).exists()


# ------------------------------------------------------------------ grading, for real


def test_grade_refuses_a_copy_name_with_autogrades_reason(course, tmp_path):
    from grading.grade_one import grade_notebook

    path = tmp_path / "in" / "tiny (1).ipynb"
    path.parent.mkdir()
    nbformat.write(tiny(), path)
    grade = grade_notebook(TINY, path, source_dir=course.path("source")).grade
    submit(course, "uma", "tiny (1).ipynb", tiny())
    assert grade.status == "error" and grade.error == intake.submission_problem(course, TINY, "uma")


def test_grading_a_stripped_notebook_gives_the_reason_not_a_keyerror(course, tmp_path):
    from grading.grade_one import grade_notebook

    path = tmp_path / "in" / "tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(stripped(tiny()), path)
    grade = grade_notebook(TINY, path, source_dir=course.path("source")).grade
    assert grade.status == "error" and STRIPPED_HINT in grade.error and "KeyError" not in grade.error


def test_nbgrader_itself_refuses_a_foreign_notebook_with_the_reason(course):
    """The pipeline's own check (grading.preprocessors.restore_metadata), for the plain
    ``nbgrader`` command: nbgrader used to stop with ``KeyError: 'add'`` here."""
    from grading.engine import Course, NbgraderStepError

    submit(course, "vic", "tiny.ipynb", linear_regression())
    nbgrader = Course(course, sandbox=True)
    nbgrader.generate_assignment(TINY)
    with pytest.raises(NbgraderStepError) as failed:
        nbgrader.autograde(TINY, "vic")
    assert "NotebookMismatchError: this notebook has none of the answer and test cells of tiny.ipynb (00_tiny)" \
        in failed.value.reason
    assert "Re-download the release notebook, paste your answers into it" in failed.value.reason
    assert "KeyError" not in failed.value.reason


def test_a_test_cell_missing_after_a_stripped_answer_is_put_back_and_graded(course, tmp_path):
    """Answers without metadata and a deleted test cell: nbgrader's add_missing_grade_cells
    failed on it (``KeyError: 'add'``, the cell before the test); now the test goes back
    before the next known cell, after the student's code, and the submission gets its points."""
    from grading.grade_one import grade_notebook

    nb = stripped(tiny(), keep=lambda meta: not meta.get("solution"))
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_add"]
    path = tmp_path / "in" / "tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    run = grade_notebook(TINY, path, source_dir=course.path("source"), keep_dir=tmp_path / "scratch")
    assert run.grade.status == "graded", run.grade.error
    assert (run.grade.score, run.grade.max_score) == (4.0, 4.0)
    order = [c.metadata.get("nbgrader", {}).get("grade_id") or c.source.split("(")[0]
             for c in nbformat.read(run.autograded, as_version=4).cells]
    assert order.index("test_add") > order.index("def add")
    assert any("deleted test cell test_add" in f["detail"] for f in run.grade.integrity["findings"])
