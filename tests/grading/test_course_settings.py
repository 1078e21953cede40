"""course.toml, the instructor's own nbgrader_config.py on top, and what every command makes of them:
incremental and per-student grading, late penalties, status columns, roster, exit codes.

The grading here is real (nbgrader autogrades the tiny fixture course in the sandbox)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from grading.course import REPO_ROOT, CourseLayout, course_config
from grading.settings import LatePolicy, SettingsError, load_settings
from tests.conftest import FIXTURE_SOURCE, TINY


def write_toml(root: Path, text: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.toml").write_text(text)


def test_settings_parse_due_dates_and_policies(tmp_path):
    write_toml(tmp_path, """
[course]
id = "ml-2027"
exchange_root = "exchange"
timezone = "Asia/Seoul"
[late_penalty]
per_day_percent = 10
[assignments.00_tiny]
due = 2027-03-09T23:59:00+09:00
late_penalty = { per_day_percent = 50, zero_after_days = 2 }
[assignments.01_other]
due = "2027-03-10T12:00:00"
[limits]
cell_timeout_s = 60
""")
    s = load_settings(tmp_path)
    assert (s.course_id, s.exchange_root) == ("ml-2027", tmp_path / "exchange")
    assert s.assignment("00_tiny").due_utc == datetime(2027, 3, 9, 14, 59)
    assert s.assignment("01_other").due_utc == datetime(2027, 3, 10, 3, 0), "no offset: the course's time zone"
    assert s.assignment("01_other").late == LatePolicy(per_day_percent=10)
    assert s.assignment("02_unlisted").due_utc is None
    assert s.grading_limits().cell_timeout_s == 60
    tiny = s.assignment("00_tiny").late
    assert tiny.penalty(4.0, 3600) == 2.0, "one started day: 50%"
    assert tiny.penalty(4.0, 86400 + 1) == 4.0 and tiny.penalty(4.0, 2 * 86400) == 4.0
    assert tiny.penalty(4.0, 0) == 0.0 and LatePolicy(grace_minutes=5, per_day_percent=10).penalty(4, 200) == 0.0


@pytest.mark.parametrize("text, words", [
    ("[course]\nid = 'a b'", "course.id"),
    ("[course]\nidd = 'x'", "course.idd: unknown key"),
    ("[assignments.a]\ndue = 'next tuesday'", "assignments.a.due"),
    ("[late_penalty]\nper_day_percent = -1", "late_penalty.per_day_percent"),
    ("[limits]\ncell_timeout_s = 'long'", "limits.cell_timeout_s"),
    ("[course]\ngradebook_url = 'gradebook.db'", "course.gradebook_url"),
    ("[course\nid=1", "not valid TOML"),
])
def test_a_malformed_course_toml_names_the_key(tmp_path, text, words):
    write_toml(tmp_path, text)
    with pytest.raises(SettingsError, match=words.replace(".", r"\.")):
        load_settings(tmp_path)


def test_the_environment_url_wins_and_scratch_courses_ignore_settings(tmp_path, monkeypatch):
    write_toml(tmp_path, "[course]\ngradebook_url = 'sqlite:////nowhere/a.db'\n")
    assert CourseLayout(root=tmp_path).db_url == "sqlite:////nowhere/a.db"
    monkeypatch.setenv("COURSE_GRADEBOOK_URL", "sqlite:////nowhere/b.db")
    assert CourseLayout(root=tmp_path).db_url == "sqlite:////nowhere/b.db"
    scratch = CourseLayout.scratch(tmp_path)
    assert scratch.db_url == f"sqlite:///{tmp_path / 'gradebook.db'}", "a scratch course never reaches a real gradebook"


def make_course(root: Path, toml: str = "") -> CourseLayout:
    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    shutil.copyfile(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    write_toml(root, toml)
    return CourseLayout(root=root)


def nbgrader_view(course_root: Path, jupyter_dir: Path) -> dict:
    """The settings the ``nbgrader`` CLI and formgrader load in ``course_root`` (nbgrader's own loader)."""
    code = ("import json; from nbgrader.apps import NbGraderApp; a = NbGraderApp(); a.initialize([]); c = a.config; "
            "print(json.dumps(default=repr, obj={'course_id': c.CourseDirectory.course_id, 'root': c.CourseDirectory.root, "
            "'exchange': c.Exchange.get('root'), 'timeout': c.Execute.timeout, 'db_url': c.CourseDirectory.db_url, "
            "'warnings': __import__('os').environ.get('PYTHONWARNINGS')}))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "COURSE_GRADEBOOK_URL")}
    env["JUPYTER_CONFIG_DIR"] = str(jupyter_dir)
    proc = subprocess.run([sys.executable, "-c", code], cwd=course_root, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_one_configuration_for_python_m_grading_nbgrader_and_formgrader(tmp_path, monkeypatch):
    course = make_course(tmp_path / "course", "[course]\nid = 'ml-2027'\nexchange_root = '/srv/exchange'\n")
    home_jupyter = tmp_path / "jupyter"
    home_jupyter.mkdir()
    # The instructor's own file: a timeout of theirs, and a root that must not redirect the course.
    (home_jupyter / "nbgrader_config.py").write_text(
        "c = get_config()\nc.Execute.timeout = 77\nc.CourseDirectory.root = '/somewhere/else'\n")
    seen = nbgrader_view(course.root, home_jupyter)
    assert seen == {"course_id": "ml-2027", "root": str(course.root), "exchange": "/srv/exchange", "timeout": 77,
                    "db_url": f"sqlite:///{course.root / 'grading' / 'gradebook.db'}", "warnings": None}, \
        "loading the course's nbgrader config must not set grading variables for JupyterLab's kernels"
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(home_jupyter))
    ours = course_config(course)
    assert (ours.CourseDirectory.course_id, ours.Exchange.root, ours.Execute.timeout, ours.CourseDirectory.root) == (
        "ml-2027", "/srv/exchange", 77, str(course.root))
    (course.root / "nbgrader_config.local.py").write_text("c = get_config()\nc.Execute.timeout = 99\n")
    assert course_config(course).Execute.timeout == 99 and nbgrader_view(course.root, home_jupyter)["timeout"] == 99


def submit(layout: CourseLayout, student: str, notebook: Path, timestamp: str | None = None) -> None:
    folder = layout.path("submitted") / student / TINY
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, folder / "tiny.ipynb")
    if timestamp:
        (folder / "timestamp.txt").write_text(timestamp)


def run_cli(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "grading", *args], capture_output=True, text=True, timeout=1200)
    return proc.returncode, proc.stdout, proc.stderr


def test_incremental_per_student_late_and_status_everywhere(tmp_path, tiny_notebooks):
    course = make_course(tmp_path / "course", """
[assignments.00_tiny]
due = 2026-01-01T00:00:00+00:00
late_penalty = { per_day_percent = 25 }
""")
    submit(course, "alice", tiny_notebooks["reference"], "2025-12-31 23:00:00.000000 UTC")
    submit(course, "bob", tiny_notebooks["blank"])
    submit(course, "lara", tiny_notebooks["reference"], "2026-01-01 12:00:00.000000 UTC")  # 12 h late
    (course.path("submitted") / "dave" / TINY).mkdir(parents=True)
    (course.path("submitted") / "dave" / TINY / "tiny.ipynb").write_text("{ not json")
    root = ["--course", str(course.root), "--no-progress"]

    rc, out, err = run_cli("autograde", f"{TINY}/", *root, "--json")  # shell completion's slash
    assert rc == 1, "a submission that could not be graded makes autograde fail"
    rows = {(r["student"], r["assignment"]): r for r in json.loads(out)}
    assert rows[("alice", TINY)]["score"] == 4.0 and rows[("alice", TINY)]["status_text"] == "graded"
    lara = rows[("lara", TINY)]
    assert (lara["status"], lara["status_text"], lara["raw_score"], lara["late_penalty"], lara["score"]) == (
        "graded", "late", 4.0, 1.0, 3.0)
    assert rows[("dave", TINY)]["status"] == "error" and "not a readable notebook" in rows[("dave", TINY)]["error"]
    assert rows[("dave", None)] == {"student": "dave", "assignment": None, "status": "total", "score": 0.0,
                                    "max_score": 4.0, "written_score": None, "written_max_score": 2.0,
                                    "written_pending": 0}, "errored work counts as 0 of its points"
    with open(course.root / "grading" / "grades.csv", newline="") as fh:
        by = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert (by["lara"]["score"], by["lara"]["late_submission_penalty"], by["lara"]["status"]) == ("3.0", "1.0", "late")
    assert by["dave"]["score"] == "" and by["dave"]["status"].startswith("error: ")
    with open(course.root / "grading" / "grades-lms.csv", newline="") as fh:
        lms = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert (lms["lara"][TINY], lms["lara"][f"{TINY} status"], lms["lara"]["total"]) == ("3.0", "late", "3.0")
    # max_total: every point of the assignment, its written question's 2 included (nbgrader's max_score)
    assert (lms["dave"][TINY], lms["dave"]["total"], lms["dave"]["max_total"]) == ("", "0.0", "6.0")
    assert (lms["dave"]["auto_max_total"], lms["dave"]["written_max_total"]) == ("4.0", "2.0")
    # Answers were compared across students: the tiny code answers are one-liners, too short to
    # count, but alice and lara handed in the same written answer (the reference's, word for word).
    assert (course.path("integrity") / f"{TINY}.similarity.json").is_file()
    assert lms["alice"][f"{TINY} similar to"] == "lara 1.00" and by["alice"]["similarity"] == "lara 1.00"
    assert lms["bob"][f"{TINY} similar to"] == "none"

    # Nothing changed: nothing is graded again, and the table still shows everyone.
    alice_graded = course.path("autograded") / "alice" / TINY / "tiny.ipynb"
    stamp = alice_graded.stat().st_mtime_ns
    rc, out, _ = run_cli("autograde", TINY, *root)
    assert rc == 1 and "3 submission(s) unchanged" in out and "3/4 late" in out and "ERROR dave/00_tiny" in out
    assert alice_graded.stat().st_mtime_ns == stamp

    # bob resubmits; only bob is graded. Then --student alice --force: only alice.
    submit(course, "bob", tiny_notebooks["partial"])
    rc, out, _ = run_cli("autograde", TINY, *root, "--json")
    graded_now = {r["student"] for r in json.loads(out) if r.get("graded_now")}
    assert graded_now == {"bob", "dave"}, "bob changed; dave's error is tried again every run"
    assert alice_graded.stat().st_mtime_ns == stamp
    bob_feedback = course.path("feedback") / "bob" / TINY / "tiny.html"
    bob_stamp = bob_feedback.stat().st_mtime_ns
    rc, out, _ = run_cli("autograde", TINY, *root, "--student", "alice/", "--force", "--json")
    assert {r["student"] for r in json.loads(out) if r["status"] != "total"} == {"alice"}
    assert rc == 0, "dave's error is not part of a run for alice"
    assert alice_graded.stat().st_mtime_ns != stamp and bob_feedback.stat().st_mtime_ns == bob_stamp

    # A course-side change (here the late policy in course.toml) grades everyone again.
    (course.root / "course.toml").write_text((course.root / "course.toml").read_text().replace(
        "per_day_percent = 25", "per_day_percent = 50"))
    rc, out, _ = run_cli("autograde", TINY, *root, "--json")
    again = {(r["student"], r["assignment"]): r for r in json.loads(out)}
    assert again[("lara", TINY)]["graded_now"] and again[("lara", TINY)]["score"] == 2.0
    assert {r["student"] for r in json.loads(out) if r.get("graded_now")} == {"alice", "bob", "lara", "dave"}

    # A column per question: alice's add up to her score.
    rc, out, err = run_cli("export", "--per-question", "--course", str(course.root))
    assert rc == 0, err
    with open(course.root / "grading" / "grades-lms.csv", newline="") as fh:
        alice = next(r for r in csv.DictReader(fh) if r["student_id"] == "alice")
    questions = {k: v for k, v in alice.items() if k.startswith(f"{TINY}:")}
    assert questions.pop(f"{TINY}:written_sign") == "", "a written answer not graded yet: empty, not 0"
    assert len(questions) >= 2 and sum(map(float, questions.values())) == float(alice[TINY]) == 4.0

    # Unknown names are refused before anything is written.
    gradebook = course.root / "grading" / "gradebook.db"
    before = gradebook.stat().st_mtime_ns
    for bad in (["99_nope"], [TINY, "--student", "alicee"]):
        rc, out, err = run_cli("autograde", *bad, *root)
        assert rc == 1 and "unknown" in err and gradebook.stat().st_mtime_ns == before
    assert "did you mean alice" in err


def test_roster_import_all_or_nothing(tmp_path):
    from nbgrader.api import Gradebook

    course = make_course(tmp_path / "course")
    bad = tmp_path / "bad.csv"
    bad.write_text("student_id,first_name,last_name,email\nkim01,Minji,Kim,minji@example.edu\n../x,A,B,\n"
                   "kim01,Again,Kim,\nlee02,Jun,Lee,not-an-address\na+b,Plus,Sign,\n")
    rc, out, err = run_cli("roster", str(bad), "--course", str(course.root))
    assert rc == 1 and "nothing imported" in err
    assert "line 3" in err and "line 4: id 'kim01' repeats line 2" in err and "line 5: email" in err
    assert "line 6: id 'a+b'" in err, "'+' separates the parts of nbgrader's exchange records"
    assert not (course.root / "grading" / "gradebook.db").exists()
    good = tmp_path / "good.csv"
    good.write_text("\ufeffID,First,Last,Email\nkim01,Minji,Kim,minji@example.edu\nlee02,Jun,\"Lee, Jr.\",\n")
    rc, out, err = run_cli("roster", str(good), "--course", str(course.root))
    assert (rc, out.strip()) == (0, "roster imported into the gradebook: 2 added, 0 updated"), err
    with Gradebook(course.db_url, course.course_id) as gb:
        assert {(s.id, s.first_name, s.last_name, s.email) for s in gb.students} == {
            ("kim01", "Minji", "Kim", "minji@example.edu"), ("lee02", "Jun", "Lee, Jr.", None)}


@pytest.mark.parametrize("sandbox", [False, True])
def test_grading_kernels_get_the_grading_environment_without_the_process_having_it(tmp_path, monkeypatch, sandbox):
    """The grading settings (``KERNEL_ENV``) are handed to each grading kernel by RobustExecute,
    so formgrader's autograde has them while JupyterLab's interactive kernels, started by the
    same server process, keep the student's environment (warnings shown)."""
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    from grading.course import KERNEL_ENV
    from grading.preprocessors import RobustExecute

    for name in KERNEL_ENV:
        monkeypatch.delenv(name, raising=False)
    nb = new_notebook(cells=[new_code_cell(
        "import os\nprint(os.environ.get('PYTHONWARNINGS'), os.environ.get('TF_DETERMINISTIC_OPS'))",
        metadata={"nbgrader": {"solution": False, "grade": False, "locked": True, "grade_id": "env",
                               "schema_version": 3}})],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    config = Config()
    config.RobustExecute.sandbox = sandbox
    nb, _ = RobustExecute(config=config).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert [o.get("text") for o in nb.cells[0].outputs] == ["ignore 1\n"]
    assert "PYTHONWARNINGS" not in os.environ


def test_error_reasons_reach_students_without_grader_paths(tmp_path):
    from grading.autograde import student_facing

    course = make_course(tmp_path / "course")
    reason = (f"OSError: {course.root}/grading/submitted/kim01/{TINY}/tiny.ipynb unreadable "
              f"(from {REPO_ROOT}/grading/checks/tiny.py, {tmp_path}/grade-abc/x.json)")
    shown = student_facing(reason, course)
    assert str(course.root) not in shown and str(REPO_ROOT) not in shown and str(tmp_path) not in shown
    assert "kim01/00_tiny/tiny.ipynb" in shown and "grading/checks/tiny.py" in shown


def test_a_failed_regrade_never_drops_manual_grades(tmp_path, tiny_notebooks):
    """A submission a person graded by hand keeps its gradebook entry (and its feedback) when a
    resubmission cannot be graded: the row says why, and the submission is flagged."""
    from nbgrader.api import Gradebook

    from grading.autograde import autograde_course

    course = make_course(tmp_path / "course")
    submit(course, "alice", tiny_notebooks["reference"])
    first = autograde_course([TINY], course, progress=False, similarity=False)
    assert first.rows["alice"][TINY].score == 4.0
    with Gradebook(course.db_url, course.course_id) as gb:
        grade = gb.find_submission_notebook("tiny", TINY, "alice").grades[0]
        grade.manual_score = 0.5
        gb.db.commit()
    (course.path("submitted") / "alice" / TINY / "tiny.ipynb").write_text("{ not json")

    again = autograde_course([TINY], course, progress=False, similarity=False)
    cell = again.rows["alice"][TINY]
    assert "not a readable notebook" in cell.error and "kept because it has manual grades" in cell.error
    with Gradebook(course.db_url, course.course_id) as gb:
        notebook = gb.find_submission_notebook("tiny", TINY, "alice")
        assert [g.manual_score for g in notebook.grades if g.manual_score is not None] == [0.5]
        assert notebook.flagged
    assert (course.path("feedback") / "alice" / TINY / "tiny.html").is_file()
