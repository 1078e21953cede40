"""Written questions (manually graded answers): kept apart from the autograded score end to end.

The tiny fixture assignment has one written question (``written_sign``, 2 points) beside its
4 autograded points. A gradebook built with nbgrader's API checks the exports' arithmetic (late
penalty included) without a kernel; one real autograde of the tiny course, with one student
per attack on the written answer cell (test_hostile.py's way), checks the pipeline; grades
entered as formgrader enters them (``Grade.manual_score``) must survive a forced regrade.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import subprocess
import sys
from datetime import datetime
from types import SimpleNamespace

import nbformat
import pytest

from grading.course import CourseLayout
from tests.conftest import FIXTURE_SOURCE, TINY

WRITTEN = "written_sign"
QUESTION = "written_question_sign"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ----------------------------------------------------------------- the rubric (no kernel)

def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", *args], capture_output=True, text=True, timeout=120)


def test_rubric_prints_each_question_with_its_model_answer_and_rubric():
    proc = run_cli("rubric", TINY, "--source", str(FIXTURE_SOURCE))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Written questions of 00_tiny: 1 question(s), 2 points" in out
    assert "== 1. Written question 1: the sign of a square (2 points) ==" in out
    assert "notebook tiny.ipynb, answer cell written_sign" in out
    assert "Why do `square(-4)` and `square(4)` give the same number?" in out
    assert out.index("Question:") < out.index("Model answer:") < out.index("Rubric (2 points):")
    assert "A negative number times itself is positive" in out
    assert "- 1 point: the product of two negative numbers is positive" in out
    assert "BEGIN SOLUTION" not in out and "WARNING" not in out


def test_rubric_of_an_unknown_assignment_is_a_clear_error():
    proc = run_cli("rubric", "99_nope", "--source", str(FIXTURE_SOURCE))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "error: unknown assignment '99_nope'; known assignments: 00_tiny" in proc.stderr


def test_rubric_without_written_questions_and_with_a_rubric_for_other_points(tmp_path):
    from grading.rubric import rubric_text

    nb = nbformat.read(FIXTURE_SOURCE / TINY / "tiny.ipynb", as_version=4)
    (tmp_path / "01_none").mkdir()
    none = copy.deepcopy(nb)
    none.cells = [c for c in none.cells if c.metadata["nbgrader"]["grade_id"] not in (WRITTEN, QUESTION)]
    nbformat.write(none, tmp_path / "01_none" / "none.ipynb")
    assert rubric_text("01_none", tmp_path) == "01_none has no written questions (nothing to grade by hand)\n"
    (tmp_path / "02_off").mkdir()
    next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == WRITTEN).metadata["nbgrader"]["points"] = 3
    nbformat.write(nb, tmp_path / "02_off" / "off.ipynb")
    assert "WARNING written_sign: the rubric is for 2 points but the cell is worth 3" in rubric_text("02_off", tmp_path)


def test_points_of_a_notebook_are_split():
    from grading.results import max_points, written_points

    nb = nbformat.read(FIXTURE_SOURCE / TINY / "tiny.ipynb", as_version=4)
    assert (max_points(nb), written_points(nb)) == (4.0, 2.0)


# ------------------------------------------------- exports from a gradebook made with nbgrader's API

@pytest.fixture
def gradebook(tmp_path):
    """One assignment (3 autograded points, written answers of 2 and 3 points) and students in
    every state; scores set as SaveAutoGrades and formgrader set them."""
    from nbgrader.api import Gradebook

    from grading.engine import use_inprocess_alembic_head

    use_inprocess_alembic_head()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    # student: (test's auto score, {written: manual score}, late penalty, timestamp late?)
    states = {
        "pending": (3.0, {}, None, False),
        "graded": (3.0, {"w_a": 2.0, "w_b": 1.0}, None, False),
        "partly": (2.0, {"w_a": 2.0}, None, False),
        "late": (3.0, {"w_a": 2.0, "w_b": 3.0}, 1.5, True),
        "overflow": (1.0, {"w_a": 2.0, "w_b": 2.0}, 2.5, True),  # penalty set when the written answers counted
        "absent": None,
    }
    with Gradebook(url, "dl-course") as gb:
        gb.add_assignment("01_w", duedate=datetime(2026, 1, 2))
        gb.add_notebook("nb", "01_w")
        gb.add_grade_cell("test_a", "nb", "01_w", max_score=3, cell_type="code")
        for name, points in (("w_a", 2), ("w_b", 3)):
            gb.add_grade_cell(name, "nb", "01_w", max_score=points, cell_type="markdown")
            gb.add_solution_cell(name, "nb", "01_w")
        for student, state in states.items():
            gb.add_student(student)
            if state is None:
                continue
            auto, manual, penalty, late = state
            gb.add_submission("01_w", student, timestamp=datetime(2026, 1, 3 if late else 1))
            gb.find_grade("test_a", "nb", "01_w", student).auto_score = auto
            for name in ("w_a", "w_b"):  # as formgrader's GradeHandler.put
                grade = gb.find_grade(name, "nb", "01_w", student)
                grade.manual_score = manual.get(name)
                grade.needs_manual_grade = grade.manual_score is None
            gb.find_submission_notebook("nb", "01_w", student).late_submission_penalty = penalty
        gb.db.commit()
    return url


def _csv(path) -> dict[str, dict]:
    with open(path, newline="") as fh:
        return {r["student_id"]: r for r in csv.DictReader(fh)}


def test_grades_csv_keeps_nbgraders_columns_and_adds_the_parts(tmp_path, gradebook):
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    from grading.export import NBGRADER_COLUMNS, CourseCsvExportPlugin

    with Gradebook(gradebook, "dl-course") as gb:
        CourseCsvExportPlugin(to=str(tmp_path / "grades.csv")).export(gb)
        CsvExportPlugin(to=str(tmp_path / "nbgrader.csv")).export(gb)
    ours, theirs = _csv(tmp_path / "grades.csv"), _csv(tmp_path / "nbgrader.csv")
    assert {s: {k: r[k] for k in NBGRADER_COLUMNS} for s, r in ours.items()} == theirs, "nbgrader's columns as nbgrader"
    part = lambda s: tuple(ours[s][k] for k in ("auto_score", "auto_max_score", "written_score",  # noqa: E731
                                                 "written_max_score", "written_status"))
    assert part("pending") == ("3.0", "3.0", "", "5.0", "pending"), "nothing graded by hand yet: empty, never 0"
    assert part("graded") == ("3.0", "3.0", "3.0", "5.0", "graded")
    assert part("partly") == ("2.0", "3.0", "2.0", "5.0", "pending")
    assert part("late") == ("1.5", "3.0", "5.0", "5.0", "graded"), "the penalty is taken from the autograded part"
    assert part("overflow") == ("0.0", "3.0", "2.5", "5.0", "graded"), "... and what is left of it from the written"
    assert part("absent") == ("0.0", "3.0", "0.0", "5.0", "")
    for student, row in ours.items():
        assert float(row["max_score"]) == 8.0, "nbgrader's max_score: all the points"
        assert float(row["score"]) == float(row["auto_score"]) + float(row["written_score"] or 0), student
    assert (ours["pending"]["score"], ours["graded"]["score"], ours["late"]["status"]) == ("3.0", "6.0", "late")


def test_lms_export_shows_the_parts_and_leaves_ungraded_answers_empty(tmp_path, gradebook):
    from grading.lms_export import export_lms_csv

    rows = _csv(export_lms_csv(gradebook, "dl-course", tmp_path / "lms.csv", per_question=True))
    pending, graded = rows["pending"], rows["graded"]
    assert (pending["01_w"], pending["01_w auto"], pending["01_w written"], pending["01_w written status"]) == \
        ("3.0", "3.0", "", "pending")
    assert (pending["01_w:test_a"], pending["01_w:w_a"], pending["01_w:w_b"]) == ("3.0", "", ""), \
        "a written answer not graded yet is empty, not 0"
    assert (graded["01_w"], graded["01_w written"], graded["01_w:w_b"], graded["01_w written status"]) == \
        ("6.0", "3.0", "1.0", "graded")
    assert (rows["absent"]["01_w auto"], rows["absent"]["01_w written status"]) == ("0.0", "")
    late = rows["late"]
    assert (late["total"], late["max_total"], late["auto_total"], late["auto_max_total"], late["written_total"],
            late["written_max_total"]) == ("6.5", "8.0", "1.5", "3.0", "5.0", "5.0")


def test_table_cells_show_the_written_part_apart(gradebook):
    from nbgrader.api import Gradebook

    from grading.autograde import score_cell
    from grading.table import Cell, render_table

    with Gradebook(gradebook, "dl-course") as gb:
        cells = {s: score_cell(gb.find_submission("01_w", s)) for s in ("pending", "graded", "partly", "late", "overflow")}
    assert {s: c.render() for s, c in cells.items()} == {
        "pending": "3/3 + written pending", "graded": "3/3 + written 3/5", "partly": "2/3 + written 2/5 (1 pending)",
        "late": "1.5/3 late + written 5/5", "overflow": "0/3 late + written 2.5/5"}
    assert {s: c.written_status for s, c in cells.items()} == {
        "pending": "pending", "graded": "graded", "partly": "pending", "late": "graded", "overflow": "graded"}
    rows = {s: {"01_w": c} for s, c in cells.items()}
    rows["absent"] = {}
    table = render_table(rows, ["01_w"], {"01_w": 3.0}, {"01_w": 5.0})
    assert "3/3 (100%) + written pending" in table
    assert "2/3 (67%) + written 2/5 (1 pending)" in table
    lines = {line.split()[0]: line for line in table.splitlines()}
    assert lines["absent"].split()[1:] == ["missing", "0/3", "(0%)", "+", "written", "0/5"]
    assert "written = the written answers, graded by hand in formgrader" in table
    assert Cell(score=4.0, max_score=4.0).render() == "4/4", "no written questions: as before"


# ------------------------------------------------------- a real autograde, one attack per student

XSS_ANSWER = (
    "<script>window.__xss_w1 = 1</script>\n\n"
    "<img src=\"http://127.0.0.1:9/w.png\" onerror=\"window.__xss_w2 = 1\">\n\n"
    "[click](javascript:window.__xss_w3=1) <a href=\"#\" onclick=\"window.__xss_w4 = 1\">x</a>\n\n"
    "<iframe src=\"http://127.0.0.1:9/frame\"></iframe><svg onload=\"window.__xss_w5 = 1\"></svg>\n\n"
    "<style>body { background: url(http://127.0.0.1:9/bg) }</style>\n\n"
    "=HYPERLINK(\"http://evil.example\",\"click\") \x1b[2J\x1b[31m red\r\n"
)


def _meta(cell) -> dict:
    return cell.setdefault("metadata", {}).setdefault("nbgrader", {})


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def _edit(nb, grade_id, change):
    nb = copy.deepcopy(nb)
    change(_cell(nb, grade_id))
    return nb


def _to_code(cell):
    cell.cell_type = "code"
    cell.source = "open('written_ran.txt', 'w').write('ran')\nprint('THE WRITTEN ANSWER RAN')\n"
    cell.outputs, cell.execution_count = [], None


def _question_gradable(cell):
    _meta(cell).update(grade=True, solution=True, locked=False, points=50)
    cell.source = "I made the question an answer worth 50 points."


def _submissions(reference, blank) -> dict:
    """student -> notebook (each attack starts from the reference, written answer filled in)."""
    set_meta = lambda **kw: (lambda c: _meta(c).update(kw))  # noqa: E731
    return {
        "honest": reference,
        "blank": blank,
        "html_answer": _edit(reference, WRITTEN, lambda c: setattr(c, "source", XSS_ANSWER)),
        "points_1000": _edit(reference, WRITTEN, set_meta(points=1000)),
        "grade_flag_off": _edit(reference, WRITTEN, set_meta(grade=False)),
        "solution_flag_off": _edit(reference, WRITTEN, set_meta(solution=False)),
        "locked": _edit(reference, WRITTEN, set_meta(locked=True)),
        "every_flag": _edit(reference, WRITTEN, set_meta(grade=False, solution=False, locked=True, points=1000)),
        "forged_score": _edit(reference, WRITTEN, set_meta(score=2.0, needs_manual_grade=False, comment="A+")),
        "points_text": _edit(reference, WRITTEN, set_meta(points="lots", schema_version="3")),
        "points_deleted": _edit(reference, WRITTEN, lambda c: _meta(c).pop("points")),
        "task_flag": _edit(reference, WRITTEN, set_meta(task=True, grade=False, checksum=7)),
        "renamed_id": _edit(reference, WRITTEN, set_meta(grade_id="written_bonus", points=50)),
        "to_code": _edit(reference, WRITTEN, _to_code),
        "question_gradable": _edit(reference, QUESTION, _question_gradable),
        "emptied": _edit(reference, WRITTEN, lambda c: setattr(c, "source", "")),
        "deleted": _without(reference, WRITTEN),
    }


def _without(nb, grade_id):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


slow = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory, tiny_notebooks):
    from grading.autograde import autograde_course
    from grading.release import release

    root = tmp_path_factory.mktemp("written-course")
    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    layout = CourseLayout(root=root)
    release([TINY], layout)
    reference = nbformat.read(tiny_notebooks["reference"], as_version=4)
    blank = nbformat.read(tiny_notebooks["blank"], as_version=4)
    for student, nb in _submissions(reference, blank).items():
        folder = layout.path("submitted") / student / TINY
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "tiny.ipynb")
    report = autograde_course([TINY], layout, workers=2, progress=False)
    return SimpleNamespace(layout=layout, report=report, rows=report.rows, csv=_csv(report.csv_path),
                           lms=_csv(report.lms_csv_path), table=report.table(), json=report.to_json())


def _grade(layout, student):
    from nbgrader.api import Gradebook

    with Gradebook(layout.db_url, "dl-course") as gb:
        grade = gb.find_grade(WRITTEN, "tiny", TINY, student)
        return SimpleNamespace(auto=grade.auto_score, manual=grade.manual_score, max=grade.max_score,
                               needs_manual=grade.needs_manual_grade,
                               assignment_max=gb.find_assignment(TINY).max_score)


def _autograded(graded, student):
    return nbformat.read(graded.layout.path("autograded") / student / TINY / "tiny.ipynb", as_version=4)


def _feedback_text(layout, student) -> str:
    from bs4 import BeautifulSoup

    page = (layout.path("feedback") / student / TINY / "tiny.html").read_text()
    return " ".join(BeautifulSoup(page, "html.parser").get_text(" ").split())


def _findings(graded, student) -> list[str]:
    return [f"{f['kind']}: {f['detail']}" for f in graded.report.integrity[(student, TINY)].findings]


@slow
def test_written_answers_are_not_tests_and_wait_for_a_grader(graded):
    honest, blank = graded.rows["honest"][TINY], graded.rows["blank"][TINY]
    assert (honest.score, honest.max_score, honest.written_max, honest.written_score) == (4.0, 4.0, 2.0, None)
    assert honest.render() == "4/4 + written pending"
    assert (blank.score, blank.written_score, blank.written_status, blank.render()) == \
        (0.0, 0.0, "graded", "0/4 + written 0/2"), "an answer left as released: nbgrader's 0, 'No response.'"
    row = graded.csv["honest"]
    assert (row["score"], row["max_score"], row["auto_score"], row["auto_max_score"], row["written_score"],
            row["written_max_score"], row["written_status"]) == ("4.0", "6.0", "4.0", "4.0", "", "2.0", "pending")
    assert (graded.lms["honest"][f"{TINY} written status"], graded.lms["blank"][f"{TINY} written"]) == ("pending", "0.0")
    entry = next(e for e in graded.json if e["student"] == "honest" and e["assignment"] == TINY)
    assert (entry["score"], entry["written_score"], entry["written_max_score"], entry["written_status"]) == \
        (4.0, None, 2.0, "pending")
    assert _grade(graded.layout, "honest").needs_manual is True
    assert "written = the written answers, graded by hand in formgrader" in graded.table
    # The feedback says so too, instead of nbgrader's 0 for an answer no one has read yet.
    honest_page, blank_page = _feedback_text(graded.layout, "honest"), _feedback_text(graded.layout, "blank")
    assert "tiny (Score: 4.0 / 6.0) (written answers not graded yet: 1)" in honest_page
    assert "Written response written_sign (Score: not graded yet / 2.0)" in honest_page
    assert "Written response written_sign (Score: 0.0 / 2.0)" in blank_page and "not graded yet" not in blank_page


ATTACKS = ["points_1000", "grade_flag_off", "solution_flag_off", "locked", "every_flag", "forged_score",
           "points_text", "points_deleted", "task_flag", "renamed_id", "to_code", "question_gradable", "emptied",
           "deleted", "html_answer"]


@slow
@pytest.mark.parametrize("student", ATTACKS)
def test_an_attack_on_the_written_answer_changes_no_points(graded, student):
    """Every submission is graded; its autograded points are the reference's, the written
    answer stays worth 2 points (the gradebook's), pending for a grader, nothing more."""
    cell = graded.rows[student][TINY]
    assert cell.error is None, cell.error
    assert (cell.score, cell.max_score, cell.written_max, cell.written_score, cell.written_status) == \
        (4.0, 4.0, 2.0, None, "pending")
    grade = _grade(graded.layout, student)
    assert (grade.max, grade.auto, grade.manual, grade.needs_manual, grade.assignment_max) == (2.0, None, None, True, 6.0)
    answer = _cell(_autograded(graded, student), WRITTEN)
    assert answer.cell_type == "markdown" and "outputs" not in answer
    assert (_meta(answer)["points"], _meta(answer)["grade"], _meta(answer)["solution"], _meta(answer)["locked"]) == \
        (2.0, True, True, False)
    assert not _meta(answer).get("task") and set(_meta(answer)) <= {
        "schema_version", "grade", "locked", "solution", "task", "grade_id", "points", "checksum", "cell_type"}
    assert graded.csv[student]["written_max_score"] == "2.0" and graded.csv[student]["max_score"] == "6.0"


@slow
@pytest.mark.parametrize("student, finding", [
    ("points_1000", "changed nbgrader metadata of written_sign: points 2 -> 1000"),
    ("grade_flag_off", "changed nbgrader metadata of written_sign: grade True -> False"),
    ("locked", "changed nbgrader metadata of written_sign: locked False -> True"),
    ("renamed_id", "cell with unknown grade id 'written_bonus'"),
    ("question_gradable", "edited locked cell written_question_sign"),
    ("deleted", "deleted graded cell written_sign; nbgrader adds it back"),
])
def test_an_attack_on_the_written_answer_is_reported(graded, student, finding):
    assert any(finding in f for f in _findings(graded, student)), _findings(graded, student)


@slow
def test_a_written_answer_made_code_never_runs(graded):
    """nbgrader's OverwriteCells makes it markdown again before anything runs: its text is
    shown to the grader, never executed."""
    nb = _autograded(graded, "to_code")
    assert "print('THE WRITTEN ANSWER RAN')" in _cell(nb, WRITTEN).source
    assert "THE WRITTEN ANSWER RAN" not in json.dumps([c.get("outputs", []) for c in nb.cells])
    assert not list(graded.layout.root.rglob("written_ran.txt"))


@slow
def test_deleted_and_emptied_answers_still_grade_and_say_so(graded):
    restored = _cell(_autograded(graded, "deleted"), WRITTEN)
    assert restored.source.startswith("This cell (id:written_sign) was missing from the submission")
    assert _cell(_autograded(graded, "emptied"), WRITTEN).source == ""
    question = _cell(_autograded(graded, "question_gradable"), QUESTION)
    assert "made the question an answer" not in question.source and not _meta(question)["grade"]


@slow
def test_html_in_a_written_answer_is_inert_in_feedback_formgrader_table_and_csvs(graded):
    import os

    import nbgrader
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter

    from grading.course import course_config
    from tests.grading.test_hostile import active_content

    feedback = (graded.layout.path("feedback") / "html_answer" / TINY / "tiny.html").read_text()
    assert "<script" not in feedback.lower() and "<iframe" not in feedback.lower()
    assert active_content(feedback, allow_styles=True) == []
    shown = " ".join(el.get_text() for el in BeautifulSoup(feedback, "html.parser").select(".text_cell_render"))
    assert "<script>window.__xss_w1 = 1" in shown, "shown as text to the reader"
    assert "\x1b" not in feedback

    config = course_config(graded.layout)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [
        os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")]
    resources = {"assignment_id": TINY, "notebook_id": "tiny", "submission_id": "x", "index": 0, "total": 1,
                 "base_url": "", "student": "s", "last_name": "", "first_name": "", "notebook_path": "x"}
    html, _ = HTMLExporter(config=config).from_filename(
        str(graded.layout.path("autograded") / "html_answer" / TINY / "tiny.ipynb"), resources=resources)
    found = [f for f in active_content(html, allow_styles=True) if f not in ("<script>", "<link>")
             and "toggle_name" not in f]
    assert found == [], found
    assert "__xss_w" not in "".join(str(s) for s in BeautifulSoup(html, "html.parser").find_all("script"))
    soup = BeautifulSoup(html, "html.parser")
    box = soup.find("input", id=WRITTEN)
    assert box is not None and "score" in box["class"], "formgrader's score box for the written answer"

    # Nothing of an answer's text reaches the table or the exports.
    for text in (graded.table, graded.report.csv_path.read_text(), graded.report.lms_csv_path.read_text()):
        assert "__xss_w" not in text and "HYPERLINK" not in text and "\x1b" not in text
    for path in (graded.report.csv_path, graded.report.lms_csv_path):
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        assert all(len(r) == len(rows[0]) for r in rows)
        assert not [v for r in rows for v in r if v.startswith(FORMULA_STARTS)]


@slow
def test_manual_scores_show_apart_and_survive_a_forced_regrade(graded):
    """A grader scores written answers in formgrader; ``autograde --force`` grades the
    submissions again and keeps those scores (nbgrader flags them for a second look)."""
    from nbgrader.api import Gradebook

    from grading.autograde import autograde_course

    layout = graded.layout
    given = {"honest": 2.0, "html_answer": 0.5, "deleted": 0.0}
    with Gradebook(layout.db_url, "dl-course") as gb:
        for student, points in given.items():  # as formgrader's GradeHandler.put
            grade = gb.find_grade(WRITTEN, "tiny", TINY, student)
            grade.manual_score, grade.needs_manual_grade = points, False
        gb.find_comment(WRITTEN, "tiny", TINY, "honest").manual_comment = "Clear and complete."
        gb.db.commit()

    kept = autograde_course([TINY], layout, progress=False)  # nothing changed: nothing graded again
    assert {s for s, _ in kept.unchanged} >= set(given)
    assert kept.rows["honest"][TINY].render() == "4/4 + written 2/2"

    again = autograde_course([TINY], layout, progress=False, students=sorted(given), force=True)
    assert not again.unchanged and not again.failures
    assert {s: again.rows[s][TINY].render() for s in given} == {
        "honest": "4/4 + written 2/2", "html_answer": "4/4 + written 0.5/2", "deleted": "4/4 + written 0/2 !"}
    for student, points in given.items():
        grade = _grade(layout, student)
        assert (grade.manual, grade.needs_manual) == (points, True), "kept, flagged for a second look"
    rows = _csv(again.csv_path)
    assert (rows["honest"]["score"], rows["honest"]["auto_score"], rows["honest"]["written_score"],
            rows["honest"]["written_status"]) == ("6.0", "4.0", "2.0", "graded")
    assert (rows["points_1000"]["written_status"], rows["points_1000"]["written_score"]) == ("pending", "")
    lms = _csv(again.lms_csv_path)
    assert (lms["honest"][TINY], lms["honest"][f"{TINY} written"], lms["honest"]["max_total"]) == ("6.0", "2.0", "6.0")
    feedback = _feedback_text(layout, "honest")
    assert "Clear and complete." in feedback and "not graded yet" not in feedback
    assert "tiny (Score: 6.0 / 6.0)" in feedback and "Written response written_sign (Score: 2.0 / 2.0)" in feedback
