"""``python -m grading collect``: nbgrader's own collect over a real exchange folder, with the
inbound records a hostile student can write (review findings F3 and F6) refused, reported and
left in place, and the good ones still collected."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest

from grading.cli import main
from grading.collect import copy_without_links
from grading.course import CourseLayout

COURSE_ID = "collect-course"
A = "a1"
SECRET = "TOPSECRET-instructor-key-4711"
OLD, NEW, NEWER = ("2020-01-01 00:00:00.000000 UTC", "2020-01-02 00:00:00.000000 UTC",
                   "2020-01-03 00:00:00.000000 UTC")
FUTURE = "2999-01-01 00:00:00.000000 UTC"


@pytest.fixture()
def course(tmp_path) -> CourseLayout:
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "grading").mkdir()
    exchange = tmp_path / "exchange"
    (exchange / COURSE_ID / "inbound").mkdir(parents=True)
    (root / "course.toml").write_text(f'[course]\nid = "{COURSE_ID}"\nexchange_root = "{exchange}"\n')
    (root / "secret").mkdir()
    (root / "secret" / "key.txt").write_text(SECRET)
    return CourseLayout(root=root)


def inbound(layout: CourseLayout) -> Path:
    return Path(layout.settings.exchange_root) / COURSE_ID / "inbound"


def record(layout: CourseLayout, student: str, ts: str = OLD, answer: str = "", name: str | None = None,
           timestamp_txt: str | None = None) -> Path:
    """An inbound record as ``nbgrader submit`` writes it (folder name, timestamp.txt, notebook)."""
    folder = inbound(layout) / (name or f"{student}+{A}+{ts}+{os.urandom(4).hex()}")
    folder.mkdir()
    (folder / "timestamp.txt").write_text(ts if timestamp_txt is None else timestamp_txt)
    (folder / "a1.ipynb").write_text(answer or f'{{"answer": "{student} at {ts}"}}')
    return folder


def roster(layout: CourseLayout, *students: str) -> None:
    from nbgrader.api import Gradebook

    from grading.engine import use_inprocess_alembic_head

    use_inprocess_alembic_head()
    with Gradebook(layout.db_url, COURSE_ID) as gb:
        for s in students:
            gb.add_student(s)


def run(layout: CourseLayout, capsys, *extra: str) -> tuple[int, str]:
    rc = main(["collect", A, "--course", str(layout.root), *extra])
    out = capsys.readouterr()
    return rc, out.out + out.err


def submitted(layout: CourseLayout, student: str) -> Path:
    return layout.path("submitted") / student / A


def files_holding(root: Path, text: str, skip: Path) -> list[Path]:
    """Every file under ``root`` (links not followed) whose bytes hold ``text``, but ``skip``."""
    found = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            if p != skip and p.is_file() and not p.is_symlink() and text.encode() in p.read_bytes():
                found.append(p)
    return found


def test_posing_as_a_classmate_with_links_to_a_secret_is_refused(course, capsys):
    """F3: bob's own submission is collected; the forged, newer "bob" record holding links to
    an instructor file and folder is refused, listed, left in place, and copies nothing."""
    roster(course, "alice", "bob")
    record(course, "alice")
    record(course, "bob", OLD, answer='{"answer": "the real bob"}')
    forged = record(course, "bob", NEW)
    (forged / "loot.txt").symlink_to(course.root / "secret" / "key.txt")
    (forged / "lootdir").symlink_to(course.root / "secret")

    rc, out = run(course, capsys)

    assert rc == 1
    assert (submitted(course, "alice") / "a1.ipynb").is_file()
    # the forged record did not push the real one aside
    assert (submitted(course, "bob") / "a1.ipynb").read_text() == '{"answer": "the real bob"}'
    assert not (submitted(course, "bob") / "loot.txt").exists()
    assert files_holding(course.root, SECRET, skip=course.root / "secret" / "key.txt") == []
    assert forged.is_dir() and (forged / "loot.txt").is_symlink()  # evidence kept
    assert "REFUSED 1 inbound record" in out
    row = next(line for line in out.splitlines() if line.startswith(forged.name))
    assert "bob" in row and "loot.txt is a symbolic link" in row and "lootdir is a symbolic link" in row


def test_a_fifo_is_refused_and_the_class_is_still_collected(course, capsys):
    """F6: nbgrader's copytree raises on a named pipe and stops for everyone; here only that
    record is refused (the pipe is never opened, so nothing blocks)."""
    roster(course, "alice", "bob", "carol")
    record(course, "alice")
    record(course, "carol")
    bad = record(course, "bob")
    os.mkfifo(bad / "pipe")

    rc, out = run(course, capsys)

    assert rc == 1
    assert (submitted(course, "alice") / "a1.ipynb").is_file()
    assert (submitted(course, "carol") / "a1.ipynb").is_file()
    assert not submitted(course, "bob").exists()
    assert "pipe is a named pipe (FIFO)" in out
    assert stat.S_ISFIFO(os.lstat(bad / "pipe").st_mode)  # left as it was


def test_special_entries_hard_links_and_non_folders_are_refused(course, capsys, tmp_path):
    roster(course, "alice", "bob", "carol", "dave")
    record(course, "alice")
    linked = record(course, "bob")
    os.link(course.root / "secret" / "key.txt", linked / "key.txt")
    (inbound(course) / f"carol+{A}+{OLD}+ffff").write_text("a file, not a folder")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "a1.ipynb").write_text(SECRET)
    (inbound(course) / f"dave+{A}+{OLD}+eeee").symlink_to(target)

    rc, out = run(course, capsys)

    assert rc == 1
    assert sorted(p.name for p in course.path("submitted").iterdir()) == ["alice"]
    assert "key.txt is a hard link (the file has 2 names)" in out
    assert "it is not a folder" in out
    assert "it is a symbolic link, not a folder" in out
    assert files_holding(course.root, SECRET, skip=course.root / "secret" / "key.txt") == []


def test_unknown_student_is_refused_when_there_is_a_roster(course, capsys):
    roster(course, "alice")
    record(course, "alice")
    record(course, "mallory")

    rc, out = run(course, capsys)

    assert rc == 1
    assert not submitted(course, "mallory").exists()
    assert "no student of this id in the gradebook (roster)" in out
    assert (submitted(course, "alice") / "a1.ipynb").is_file()


def test_without_a_roster_every_id_is_collected_and_that_is_said(course, capsys):
    record(course, "alice")
    record(course, "mallory")

    rc, out = run(course, capsys)

    assert rc == 0
    assert submitted(course, "mallory").is_dir() and submitted(course, "alice").is_dir()
    assert "the gradebook has no students yet" in out


def test_future_and_unreadable_timestamps_are_refused(course, capsys):
    """nbgrader aborts the whole collect on a name it cannot parse; a future timestamp.txt
    that differs from the name is refused too."""
    import datetime

    from dateutil.tz import gettz

    roster(course, "alice", "bob", "carol", "dave", "erin", "frank")
    record(course, "alice")
    record(course, "bob", FUTURE)
    record(course, "carol", OLD, name=f"carol+{A}+not a date+abcd")
    record(course, "dave", OLD, timestamp_txt=FUTURE)
    # "now" as nbgrader submit writes it with Exchange.timezone = "Asia/Seoul": nbgrader reads
    # "KST" back as UTC (9 hours ahead), which is not a forgery; an hour ahead in UTC is.
    fmt = "%Y-%m-%d %H:%M:%S.%f %Z"
    record(course, "erin", datetime.datetime.now(gettz("Asia/Seoul")).strftime(fmt))
    record(course, "frank", (datetime.datetime.now(datetime.timezone.utc)
                             + datetime.timedelta(hours=1)).strftime(fmt))

    rc, out = run(course, capsys)

    assert rc == 1
    assert sorted(p.name for p in course.path("submitted").iterdir()) == ["alice", "erin"]
    assert "frank" in next(line for line in out.splitlines() if "the timestamp in its name is in the future" in line
                           and line.startswith("frank"))
    assert "the timestamp in its name is in the future (2999-01-01" in out
    assert "the timestamp in its name cannot be read as a timestamp" in out
    assert "timestamp.txt is in the future" in out


def test_a_forged_future_record_cannot_block_the_real_students_update(course, capsys):
    """F3 with --update: the forged record is refused, so bob's real newer submission replaces
    his older one."""
    roster(course, "bob")
    record(course, "bob", OLD, answer='{"v": 1}')
    assert run(course, capsys)[0] == 0
    record(course, "bob", FUTURE, answer='{"v": "forged"}')
    record(course, "bob", NEWER, answer='{"v": 2}')

    rc, out = run(course, capsys, "--update")

    assert rc == 1
    assert (submitted(course, "bob") / "a1.ipynb").read_text() == '{"v": 2}'
    assert "updated (newer submission): bob" in out

    # without --update an existing submission is left alone, as nbgrader does
    rc, out = run(course, capsys)
    assert "already collected (newer ones need --update): bob" in out
    assert (submitted(course, "bob") / "a1.ipynb").read_text() == '{"v": 2}'


def test_owner_must_be_the_named_students_unix_account(course, capsys):
    """Where the student is a unix user, a record owned by anyone else is refused; students
    without an account are collected, with a note that owners were not checked for them."""
    try:
        account = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no 'nobody' account on this machine")
    if account.pw_uid == os.geteuid():
        pytest.skip("running as 'nobody'")
    roster(course, "alice", "nobody")
    record(course, "alice")  # no unix account named alice
    forged = record(course, "nobody")  # owned by this test's user, not by nobody

    rc, out = run(course, capsys)

    assert rc == 1
    assert not submitted(course, "nobody").exists()
    assert f"is owned by uid {os.geteuid()}, not by the student's account (uid {account.pw_uid})" in out
    assert "record owners not checked for 1 student(s) without a unix account of that name (alice)" in out
    assert forged.is_dir()

    if os.geteuid() != 0:
        return  # handing files to another user needs root
    for path in [forged, *forged.iterdir()]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    rc, out = run(course, capsys)
    assert rc == 0, out
    assert (submitted(course, "nobody") / "a1.ipynb").is_file()


def test_nbgraders_own_collect_uses_it_through_the_exchange_factory(course):
    """``c.ExchangeFactory.collect`` makes ``nbgrader collect`` and formgrader refuse the same
    records (they log a warning each instead of the table)."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from grading.course import course_config

    roster(course, "alice", "bob")
    record(course, "alice")
    bad = record(course, "bob")
    (bad / "loot.txt").symlink_to(course.root / "secret" / "key.txt")
    config = course_config(course)
    config.ExchangeFactory.collect = "grading.collect.SafeExchangeCollect"
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    result = api.collect(A, update=True)

    assert result["success"], result
    assert "Refusing inbound record" in result["log"] and "loot.txt is a symbolic link" in result["log"]
    assert (submitted(course, "alice") / "a1.ipynb").is_file()
    assert not submitted(course, "bob").exists()


def test_copy_without_links_copies_only_files_and_folders(tmp_path):
    """The staging copy behind every collected record (a record changed after its inspection):
    links and pipes are left out and listed, set-id bits dropped, contents and times kept."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "nb.ipynb").write_text("{}")
    (src / "tool").write_text("#!/bin/sh\n")
    os.chmod(src / "tool", 0o4755)
    os.utime(src / "sub" / "nb.ipynb", (1_000_000_000, 1_000_000_000))
    (src / "link").symlink_to(tmp_path)
    os.mkfifo(src / "sub" / "pipe")

    skipped = copy_without_links(str(src), str(tmp_path / "dest"))

    dest = tmp_path / "dest"
    assert sorted(skipped) == ["link", "sub/pipe"]
    assert (dest / "sub" / "nb.ipynb").read_text() == "{}"
    assert (dest / "sub" / "nb.ipynb").stat().st_mtime == 1_000_000_000
    assert stat.S_IMODE((dest / "tool").stat().st_mode) == 0o755
    assert not (dest / "link").exists() and not (dest / "link").is_symlink()
    assert not (dest / "sub" / "pipe").exists()


def test_no_exchange_is_a_clear_error(tmp_path, capsys):
    root = tmp_path / "course"
    (root / "solutions").mkdir(parents=True)
    (root / "course.toml").write_text(f'[course]\nid = "{COURSE_ID}"\nexchange_root = "{tmp_path / "none"}"\n')

    rc = main(["collect", A, "--course", str(root)])

    err = capsys.readouterr().err
    assert rc == 1
    assert err.startswith("error: nbgrader collect failed") and "exchange_root" in err
