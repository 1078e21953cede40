"""``python -m grading wipe``: lists what it deletes, asks for the course id, deletes only that.

Every test runs the real command in a subprocess on a course directory under tmp_path; the
confirmation is typed on a real pseudo-terminal (the command refuses a pipe).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grading.course import REPO_ROOT

#: Grading data: what wipe deletes.
GRADING_DATA = [
    "grading/submitted/alice/01_x/x.ipynb",
    "grading/submitted/bob/01_x/x.ipynb",
    "grading/submitted/bob/02_y/y.ipynb",
    "grading/submitted/\x1b[2Jevil/01_x/x.ipynb",   # a student id that would clear the terminal
    "grading/autograded/alice/01_x/x.ipynb",
    "grading/feedback/alice/01_x/x.html",
    "grading/integrity/alice/01_x.json",
    "grading/gradebook.db",
    "grading/grades.csv",
    "grades.csv",
]
#: Everything else in a course: wipe leaves it alone.
KEPT = [
    "course.toml",
    "solutions/01_x/x.ipynb",
    "notebooks/01_x/x.ipynb",
    "grading/checks/x.py",
    "grading/grades-2026-spring.csv",
    "grading/.nbgrader.log",
    "build/slides/x.html",
]


def make_course(root: Path, course_id: str = "ml-2027") -> Path:
    for number, name in enumerate(GRADING_DATA + KEPT):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(f"file {number}")
    (root / "course.toml").write_text(f'[course]\nid = "{course_id}"\n')
    return root


def present(root: Path, names: list[str]) -> list[str]:
    return [name for name in names if (root / name).exists()]


def env() -> dict[str, str]:
    # A gradebook URL in the environment would override the course's SQLite gradebook.
    return {k: v for k, v in os.environ.items() if k != "COURSE_GRADEBOOK_URL"}


def wipe(*args: str, stdin=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grading", "wipe", *args], capture_output=True, text=True,
                          stdin=stdin, timeout=300, cwd=REPO_ROOT, env=env())


def wipe_in_terminal(root: Path, answer: str) -> tuple[int, str]:
    """Run wipe with a pseudo-terminal as stdin/stdout, type ``answer`` at the prompt."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "grading", "wipe", "--root", str(root)], stdin=slave,
                            stdout=slave, stderr=slave, cwd=REPO_ROOT, env=env(), close_fds=True)
    os.close(slave)
    output, typed = b"", False
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 300)
            assert ready, f"wipe printed nothing for 300 s; so far: {output!r}"
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not typed and b"Type the course id" in output:
                os.write(master, answer.encode() + b"\n")
                typed = True
    finally:
        os.close(master)
    return proc.wait(timeout=300), output.decode("utf-8", "replace").replace("\r\n", "\n")


def test_dry_run_lists_each_path_with_counts_and_deletes_nothing(tmp_path):
    root = make_course(tmp_path / "course")
    proc = wipe("--root", str(root), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"course ml-2027 at {root}" in out
    listed = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert "(3 students, 4 files)" in listed["grading/submitted/"]
    for folder in ["grading/autograded/", "grading/feedback/", "grading/integrity/"]:
        assert "(1 student, 1 file)" in listed[folder]
    assert "SQLite gradebook" in listed["grading/gradebook.db"]
    assert "grade export" in listed["grading/grades.csv"] and "grade export" in listed["grades.csv"]
    assert len(listed) == 7
    assert "grades-2026-spring" not in out and "dry run: nothing deleted" in out
    assert "\x1b" not in out, "student ids are never printed"
    assert present(root, GRADING_DATA + KEPT) == GRADING_DATA + KEPT


def test_refuses_without_a_terminal_even_when_the_id_is_piped_in(tmp_path):
    root = make_course(tmp_path / "course")
    proc = wipe("--root", str(root), stdin=None)
    assert proc.returncode == 1 and "refusing" in proc.stdout and "--yes" in proc.stdout
    piped = subprocess.run([sys.executable, "-m", "grading", "wipe", "--root", str(root)], input="ml-2027\n",
                           capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env=env())
    assert piped.returncode == 1 and "refusing" in piped.stdout
    assert present(root, GRADING_DATA + KEPT) == GRADING_DATA + KEPT


def test_a_wrong_answer_at_the_terminal_deletes_nothing(tmp_path):
    root = make_course(tmp_path / "course")
    code, out = wipe_in_terminal(root, "yes")
    assert code == 1 and "Type the course id (ml-2027)" in out and "not confirmed: nothing deleted" in out
    assert present(root, GRADING_DATA + KEPT) == GRADING_DATA + KEPT


def test_typing_the_course_id_deletes_exactly_what_was_listed(tmp_path):
    root = make_course(tmp_path / "course")
    code, out = wipe_in_terminal(root, "ml-2027")
    assert code == 0, out
    assert "grading/submitted/" in out.split("Type the course id")[0], "listed before the question"
    assert "deleted 7 paths" in out
    assert present(root, GRADING_DATA) == []
    assert present(root, KEPT) == KEPT
    assert {name: (root / name).read_text() for name in KEPT if name != "course.toml"} == \
        {name: f"file {len(GRADING_DATA) + i}" for i, name in enumerate(KEPT) if name != "course.toml"}
    # Nothing left to delete: says so and succeeds.
    again = wipe("--root", str(root))
    assert again.returncode == 0 and "no grading data to delete" in again.stdout


def test_yes_deletes_a_linked_folder_s_link_not_its_target(tmp_path):
    root = make_course(tmp_path / "course")
    elsewhere = tmp_path / "archive" / "feedback"
    (elsewhere / "alice").mkdir(parents=True)
    (elsewhere / "alice" / "kept.html").write_text("archived feedback")
    shutil.rmtree(root / "grading" / "feedback")
    (root / "grading" / "feedback").symlink_to(elsewhere, target_is_directory=True)
    proc = wipe("--root", str(root), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "only the link is removed" in proc.stdout
    assert not (root / "grading" / "feedback").is_symlink() and not (root / "grading" / "feedback").exists()
    assert (elsewhere / "alice" / "kept.html").read_text() == "archived feedback"
    assert present(root, KEPT) == KEPT


def test_a_postgresql_gradebook_is_named_not_dropped(tmp_path):
    root = make_course(tmp_path / "course")
    url = "postgresql+psycopg2://grader:s3cret@db.example.edu/dl_course"
    (root / "course.toml").write_text(f'[course]\nid = "ml-2027"\ngradebook_url = "{url}"\n')
    proc = wipe("--course", str(root), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "not deleted: the gradebook database postgresql+psycopg2://grader:***@db.example.edu/dl_course" in proc.stdout
    assert "dropdb dl_course && createdb dl_course" in proc.stdout and "s3cret" not in proc.stdout
    # The SQLite file is not this course's gradebook then, so it is not listed.
    assert "grading/gradebook.db" not in proc.stdout and "grading/submitted/" in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["--root", "/nonexistent/course"], "no course directory at /nonexistent/course"),
    (["bad-url"], "is not a database URL"),
])
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    if args == ["bad-url"]:
        root = make_course(tmp_path / "course")
        (root / "course.toml").write_text('[course]\nid = "ml-2027"\ngradebook_url = "gradebook.db"\n')
        args = ["--root", str(root)]
    proc = wipe(*args)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    if (tmp_path / "course").exists():
        assert present(tmp_path / "course", GRADING_DATA) == GRADING_DATA


def test_wipe_has_help():
    proc = wipe("--help")
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m grading wipe")
    assert "--dry-run" in proc.stdout and "--yes" in proc.stdout
