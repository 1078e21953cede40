"""The gradebook database is a course setting, and a course moves between databases intact.

A tiny course is graded for real into SQLite and then graded by hand through nbgrader's own
Gradebook API (a manual score, extra credit, a comment, a due date, a submission time and
extension, a late penalty, a flag). Its gradebook is copied SQLite -> PostgreSQL -> SQLite:
every table's rows must be equal to the original, and the CSV export identical from all three.
With ``gradebook_url`` in ``course.toml`` set to PostgreSQL, the ``nbgrader`` command line and
formgrader's configuration use that database and no SQLite file appears. A copy into a
database that already holds grading data is refused and leaves it as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from grading.course import REPO_ROOT, CourseLayout
from grading.settings import GRADEBOOK_URL_ENV
from tests.conftest import FIXTURE_SOURCE, TINY

pytestmark = [pytest.mark.slow]

STUDENTS = {"ana": "reference", "ben": "partial", "cleo": "blank"}
MANUAL_COMMENT = "Gut gemacht, très bien ✓\n(second line: \"quoted\", =1+1)"


def dump(url: str) -> dict[str, list[dict]]:
    """Every row of every nbgrader table (and the schema revision), as Python values, in
    primary-key order: what "the same gradebook" means here."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, select, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            out = {t.name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
                   for t in Base.metadata.sorted_tables}
            out["alembic_version"] = [dict(r) for r in conn.execute(text("SELECT * FROM alembic_version")).mappings()]
    finally:
        engine.dispose()
    return out


@pytest.fixture(scope="module")
def graded(tmp_path_factory, tiny_notebooks) -> CourseLayout:
    """The tiny course graded into SQLite, then graded by hand (as in formgrader)."""
    from nbgrader.api import Gradebook

    from grading.autograde import autograde_course
    from grading.release import release

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(GRADEBOOK_URL_ENV, raising=False)
        root = tmp_path_factory.mktemp("graded")
        shutil.copytree(FIXTURE_SOURCE, root / "solutions")
        layout = CourseLayout(root=root)
        release([TINY], layout)
        for student, kind in STUDENTS.items():
            folder = layout.path("submitted") / student / TINY
            folder.mkdir(parents=True)
            shutil.copyfile(tiny_notebooks[kind], folder / "tiny.ipynb")
        report = autograde_course([TINY], layout, workers=1, progress=False, feedback=False)
        assert set(report.rows) == set(STUDENTS) and not report.failures

        with Gradebook(layout.db_url, layout.course_id) as gb:
            grade = gb.find_grade("test_square_hidden", "tiny", TINY, "ben")
            grade.manual_score, grade.extra_credit = 0.5, 0.25
            gb.find_comment("square", "tiny", TINY, "ben").manual_comment = MANUAL_COMMENT
            student = gb.find_student("ben")
            student.first_name, student.last_name, student.email = "Bén", "O'Brien", "ben@example.edu"
            gb.find_assignment(TINY).duedate = datetime(2027, 3, 9, 14, 59, 0, 123456)
            submission = gb.find_submission(TINY, "ben")
            submission.timestamp = datetime(2027, 3, 10, 1, 2, 3, 456789)
            submission.extension = timedelta(hours=6, seconds=1)
            notebook = gb.find_submission_notebook("tiny", TINY, "ben")
            notebook.late_submission_penalty, notebook.flagged = 0.75, True
            gb.db.commit()
        return layout


def export(layout: CourseLayout, url: str, dest: Path) -> bytes:
    """The course's CSV export, read from the gradebook at ``url``."""
    from grading.engine import Course

    course_layout = CourseLayout(root=layout.root, database_url=url)
    return Course(course_layout).export_csv(dest).read_bytes()


def test_sqlite_to_postgres_to_sqlite_loses_nothing(graded, postgres_url, tmp_path, capsys):
    from nbgrader.api import Gradebook

    from grading.cli import main
    from grading.gradebook_copy import copy_gradebook

    original = dump(graded.db_url)
    ben = next(r for r in original["grade"] if r["manual_score"] == 0.5)
    assert ben["extra_credit"] == 0.25
    assert [r["manual_comment"] for r in original["comment"] if r["manual_comment"]] == [MANUAL_COMMENT]
    assert any(r["extension"] == timedelta(hours=6, seconds=1) for r in original["submitted_assignment"])
    assert len(original["submitted_assignment"]) == len(STUDENTS) and original["grade_cells"]

    assert main(["gradebook", "copy", "--from", graded.db_url, "--to", postgres_url]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.endswith(("equal", "DIFFERENT"))}
    assert set(rows) == set(original) and all(r[-1] == "equal" for r in rows.values())
    assert rows["submitted_assignment"][:2] == [str(len(STUDENTS))] * 2
    assert dump(postgres_url) == original

    # Back into SQLite, into an empty gradebook such as formgrader creates on first start.
    back = f"sqlite:///{tmp_path / 'back.db'}"
    with Gradebook(back, graded.course_id):
        pass
    report = copy_gradebook(postgres_url, back)
    assert report.ok and {t.name: t.target_rows for t in report.tables}["grade"] == len(original["grade"])
    assert dump(back) == original

    csv = export(graded, graded.db_url, tmp_path / "sqlite.csv")
    assert "ben" in csv.decode() and csv == export(graded, postgres_url, tmp_path / "pg.csv")
    assert csv == export(graded, back, tmp_path / "back.csv")


def test_copy_into_a_gradebook_with_data_is_refused_and_changes_nothing(graded, postgres_url, tmp_path, capsys):
    from nbgrader.api import Gradebook

    from grading.cli import main
    from grading.gradebook_copy import GradebookCopyError, copy_gradebook

    with Gradebook(postgres_url, "other-course") as gb:
        gb.add_student("zoe", first_name="Zoe")
    before = dump(postgres_url)
    with pytest.raises(GradebookCopyError, match=r"already holds grading data \(student: 1 rows\)"):
        copy_gradebook(graded.db_url, postgres_url)
    assert dump(postgres_url) == before

    # The course's own gradebook as the target (e.g. --from and --to swapped): refused too.
    other = tmp_path / "other.db"
    assert main(["gradebook", "copy", "--from", postgres_url, "--to", f"sqlite:///{other}"]) == 0
    capsys.readouterr()
    graded_bytes = Path(graded.db_url.removeprefix("sqlite:///")).read_bytes()
    assert main(["gradebook", "copy", "--from", f"sqlite:///{other}", "--to", graded.db_url]) == 1
    assert "already holds grading data" in capsys.readouterr().err
    assert Path(graded.db_url.removeprefix("sqlite:///")).read_bytes() == graded_bytes


def nbgrader_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment for ``nbgrader`` in a course directory: this repository importable,
    no gradebook URL from outside, no instructor config from the test machine's home."""
    env = {k: v for k, v in os.environ.items() if k != GRADEBOOK_URL_ENV}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "jupyter-config")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


FORMGRADER_CONFIG = """
import json
from nbgrader.apps import NbGraderApp
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
app = NbGraderApp()
app.initialize([])
print(json.dumps({"formgrader": FormgradeExtension().load_config().CourseDirectory.db_url,
                  "nbgrader": app.config.CourseDirectory.db_url}))
"""


def test_course_toml_gradebook_url_is_used_by_nbgrader_and_formgrader(graded, postgres_url, tmp_path,
                                                                      monkeypatch, capsys):
    from grading.cli import main
    from grading.gradebook_copy import copy_gradebook

    monkeypatch.delenv(GRADEBOOK_URL_ENV, raising=False)
    copy_gradebook(graded.db_url, postgres_url)
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "course.toml").write_text(f'[course]\nid = "dl-course"\ngradebook_url = "{postgres_url}"\n')
    env = nbgrader_env(tmp_path)

    listed = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "list"], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert sorted(line.split()[0] for line in listed.stdout.splitlines()[1:] if line.strip()) == sorted(STUDENTS)
    assert "Bén" in listed.stdout

    config = subprocess.run([sys.executable, "-c", FORMGRADER_CONFIG], cwd=course, env=env,
                            capture_output=True, text=True, timeout=300)
    assert config.returncode == 0, config.stderr
    assert json.loads(config.stdout.splitlines()[-1]) == {"formgrader": postgres_url, "nbgrader": postgres_url}
    assert not list(course.rglob("*.db")), "no SQLite gradebook may appear next to a PostgreSQL one"

    assert main(["gradebook", "info", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert postgres_url in out and "course.toml" in out
    assert f"{len(STUDENTS)} students, 1 assignments, {len(STUDENTS)} submissions" in out

    # The environment wins over course.toml; a password is never printed.
    with_password = postgres_url.replace("grader@", "grader:s3cret@")
    monkeypatch.setenv(GRADEBOOK_URL_ENV, with_password)
    assert main(["gradebook", "info", "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert f"environment {GRADEBOOK_URL_ENV}" in out and "grader:***@" in out and "s3cret" not in out
    assert f"{len(STUDENTS)} students" in out


def test_bad_copies_are_refused_with_a_clear_message(graded, tmp_path, capsys):
    from grading.cli import main

    target = f"sqlite:///{tmp_path / 'new.db'}"
    cases = {
        ("--from", f"sqlite:///{tmp_path / 'missing.db'}", "--to", target): "no such file",
        ("--from", graded.db_url, "--to", graded.db_url): "the same database",
        ("--from", graded.db_url, "--to", "not a url"): "is not a database URL",
        ("--from", graded.db_url, "--to", f"sqlite:///{tmp_path / 'no' / 'dir.db'}"): "does not exist",
    }
    for args, message in cases.items():
        assert main(["gradebook", "copy", *args]) == 1, args
        assert message in capsys.readouterr().err, args
    assert not (tmp_path / "new.db").exists() and not (tmp_path / "missing.db").exists()


def test_gradebook_command_has_help():
    for action in ("copy", "info"):
        proc = subprocess.run([sys.executable, "-m", "grading", "gradebook", action, "--help"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0 and proc.stdout.startswith(f"usage: python -m grading gradebook {action}")
