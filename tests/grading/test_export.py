"""grades.csv through the course's export plugin: a real nbgrader gradebook (SQLite in a
temporary folder) with students whose ids and names hold commas, quotes, formulas and
terminal escapes; no kernel runs."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from grading.export import COLUMNS, NBGRADER_COLUMNS, NO_REPORT, CourseCsvExportPlugin
from grading.integrity import IntegrityReport, write_report

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
STUDENTS = {
    "eve,=1+1": {"first_name": '=HYPERLINK("http://evil.example","click")', "last_name": 'O"Brien, Jr.',
                 "email": "@SUM(1+1)"},
    "mal\x1b[31mlory": {"first_name": "+1", "last_name": "-2\nnext line", "email": "\tx"},
    "plain": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"},
    "absent": {},
}


@pytest.fixture
def gradebook(tmp_path):
    from nbgrader.api import Gradebook

    from grading.engine import use_inprocess_alembic_head

    use_inprocess_alembic_head()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, "dl-course") as gb:
        gb.add_assignment("01_x", duedate=datetime(2026, 1, 2, 3, 4, 5))
        gb.add_assignment("=02,y")
        for student, names in STUDENTS.items():
            gb.add_student(student, **names)
        for student in ("eve,=1+1", "mal\x1b[31mlory", "plain"):
            gb.add_submission("01_x", student, timestamp=datetime(2026, 1, 1, 12, 0, 0))
    integrity = tmp_path / "integrity"
    write_report(IntegrityReport("eve,=1+1", "01_x", findings=[
        {"kind": "=cmd|' /C calc'!A0", "cell": "x", "line": None, "detail": "d", "source": "runtime"},
        {"kind": "monkeypatch", "cell": "\x1b[2J", "line": 1, "detail": "a, \"b\"\n=c", "source": "static"}],
        died_in="predict"), integrity)
    write_report(IntegrityReport("plain", "01_x"), integrity)
    return url, integrity


def export(tmp_path, gradebook, **kwargs) -> tuple[str, list[dict]]:
    from nbgrader.api import Gradebook

    url, integrity = gradebook
    dest = tmp_path / "grades.csv"
    with Gradebook(url, "dl-course") as gb:
        CourseCsvExportPlugin(to=str(dest), integrity_directory=str(integrity), **kwargs).export(gb)
    text = dest.read_text()
    with open(dest, newline="") as fh:
        return text, list(csv.DictReader(fh))


def test_rows_parse_to_the_right_columns(tmp_path, gradebook):
    text, rows = export(tmp_path, gradebook)
    assert list(rows[0]) == COLUMNS == NBGRADER_COLUMNS + [
        "auto_score", "auto_max_score", "written_score", "written_max_score", "written_status",
        "integrity_findings", "integrity", "status", "similarity"]
    assert all(None not in row and len(row) == len(COLUMNS) for row in rows), "a field shifted the columns"
    assert len(rows) == 2 * len(STUDENTS)
    by_key = {(r["assignment"], r["student_id"]): r for r in rows}
    eve = by_key[("01_x", "eve,=1+1")]
    assert eve["first_name"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert eve["last_name"] == 'O"Brien, Jr.'
    assert eve["email"] == "'@SUM(1+1)"
    assert (eve["duedate"], eve["timestamp"]) == ("2026-01-02 03:04:05", "2026-01-01 12:00:00")
    assert (eve["score"], eve["max_score"], eve["raw_score"]) == ("0.0", "0.0", "0.0")
    assert eve["integrity_findings"] == "2"
    assert eve["integrity"].startswith("2 findings: ") and "kernel died in predict" in eve["integrity"]
    mallory = by_key[("01_x", "mal\\x1b[31mlory")]
    assert (mallory["first_name"], mallory["last_name"], mallory["email"]) == ("'+1", "'-2\\nnext line", "\\tx")
    assert mallory["integrity"] == NO_REPORT, "a graded submission without a report says so"
    assert (by_key[("01_x", "plain")]["integrity_findings"], by_key[("01_x", "plain")]["integrity"]) == ("0", "clean")
    assert (by_key[("01_x", "absent")]["integrity"], by_key[("01_x", "absent")]["score"]) == ("", "0.0")
    assert by_key[("01_x", "absent")]["status"] == "missing"
    assert by_key[("01_x", "plain")]["status"] == "graded"
    assert by_key[("'=02,y", "plain")]["integrity"] == "", "no submission: no integrity value"
    for row in rows:
        for key, value in row.items():
            assert not value.startswith(FORMULA_STARTS), (key, value)
    assert "\x1b" not in text and "\r" not in text


def test_same_rows_as_nbgrader_for_plain_values_and_filters(tmp_path, gradebook):
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    url, _ = gradebook
    theirs = tmp_path / "nbgrader.csv"
    with Gradebook(url, "dl-course") as gb:
        CsvExportPlugin(to=str(theirs), student=["plain", "absent"], assignment=["01_x"]).export(gb)
    _, ours = export(tmp_path, gradebook, student=["plain", "absent"], assignment=["01_x"])
    with open(theirs, newline="") as fh:
        expected = list(csv.DictReader(fh))
    assert [{k: r[k] for k in NBGRADER_COLUMNS} for r in ours] == expected
    assert sorted(r["student_id"] for r in ours) == ["absent", "plain"]


def test_it_is_the_course_export_plugin(tmp_path):
    from nbgrader.apps.exportapp import ExportApp

    from grading.course import CourseLayout, course_config

    layout = CourseLayout(root=tmp_path)
    app = ExportApp(config=course_config(layout))
    app.init_plugin()
    assert isinstance(app.plugin_inst, CourseCsvExportPlugin)
    assert app.plugin_inst.integrity_directory == str(layout.path("integrity"))


def test_a_report_that_cannot_be_built_is_flagged_everywhere(tmp_path, monkeypatch, tiny_notebooks):
    """The grade stands; the table shows "!", the CSV and the report say so, the gradebook flags it
    (one real autograde of the tiny fixture course, no sandbox: the code is ours)."""
    import shutil

    from nbgrader.api import Gradebook

    import grading.autograde
    from grading.autograde import autograde_course
    from grading.integrity import read_report
    from grading.release import release
    from tests.conftest import FIXTURE_SOURCE, TINY

    shutil.copytree(FIXTURE_SOURCE, tmp_path / "solutions")
    from grading.course import CourseLayout

    layout = CourseLayout(root=tmp_path)
    release([TINY], layout)
    folder = layout.path("submitted") / "alice" / TINY
    folder.mkdir(parents=True)
    shutil.copyfile(tiny_notebooks["reference"], folder / "tiny.ipynb")

    def broken(*args):
        raise RecursionError("maximum recursion depth exceeded\x1b[2J")

    monkeypatch.setattr(grading.autograde, "integrity_of", broken)
    report = autograde_course([TINY], layout, progress=False, feedback=False, unsafe=True, in_process=True)
    cell = report.rows["alice"][TINY]
    assert (cell.score, cell.render()) == (4.0, "4/4 + written pending !")
    assert cell.integrity == "integrity report incomplete"
    table = report.table()
    assert "INTEGRITY alice/00_tiny: the integrity report could not be built (RecursionError: " in table
    assert "\x1b" not in table
    saved = read_report(layout.path("integrity"), "alice", TINY)
    assert saved is not None and "RecursionError" in saved.error
    with open(report.csv_path, newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["student_id"] == "alice")
    assert (row["score"], row["integrity_findings"], row["integrity"]) == ("4.0", "0", "integrity report incomplete")
    with Gradebook(layout.db_url, "dl-course") as gb:
        assert gb.find_submission_notebook("tiny", TINY, "alice").flagged is True
