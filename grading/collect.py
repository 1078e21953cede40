"""``python -m grading collect``: nbgrader's collect, without trusting the exchange's inbound folder.

nbgrader's exchange lets every student write ``inbound/<student>+<assignment>+<timestamp>+<random>/``
folders, under any name. nbgrader 0.9's own collect trusts them: a folder claiming to be a
classmate's is collected as the classmate's (it only warns about the owner), symbolic links are
followed (a link to an instructor's file becomes a plain file in ``submitted/``, then in the
grading kernel's working folder), one named pipe makes ``shutil.copytree`` raise and stops the
collect for the whole class, a made-up student id becomes a graded row, and a forged future
timestamp blocks the real student's later submissions under ``--update``.

``SafeExchangeCollect`` is nbgrader's ``ExchangeCollect`` (its record selection, due-date logic,
``--update`` rules, ignore/size settings and log lines all still run) with, before anything is
copied, every inbound record of the assignment inspected with ``lstat`` only (no link followed,
no pipe opened). A record is refused when it holds a symbolic link, a hard link (a file with more
than one name), a named pipe, socket or device; when its student id is not in the gradebook's
students (when the gradebook has any); when it is owned by another unix user than the student it
names (where the student has a unix account of that name); when its timestamp (its name's or its
``timestamp.txt``) is in the future or unreadable. Refused records are reported and skipped, never
moved or deleted (they are evidence); they never compete with a student's good records, so a
forged record cannot hide the real one. Records that pass are copied from a private staging copy
made without following links, so a record changed after the inspection cannot smuggle a link in
either. One bad record never stops the collect of the others.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect

from grading.textsafe import safe_text

try:
    import pwd
except ImportError:  # pragma: no cover - Windows, where nbgrader's exchange does not run anyway
    pwd = None

#: A timestamp this far ahead of this machine's clock still counts as "now" (clock skew between
#: the students' servers and the instructor's).
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
#: Files and folders one record may hold, and how deep its folders may nest.
MAX_ENTRIES = 10_000
MAX_DEPTH = 64
TIMESTAMP_FILE = "timestamp.txt"
#: Bytes of ``timestamp.txt`` read; nbgrader writes about 30.
MAX_TIMESTAMP_BYTES = 200
#: Problems listed per refused record (the rest are counted).
MAX_REASONS = 3
#: Prefix of the user name given to refused records inside nbgrader's selection: each is then
#: grouped on its own, never with (or ahead of) the student's good records, and dropped after.
_REFUSED = "\0refused\0"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
#: O_NONBLOCK: opening a named pipe swapped in after the lstat returns at once instead of hanging.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class CollectError(RuntimeError):
    """The collect could not run at all (no exchange, no course folder in it, a bad name)."""


class _RecordChanged(RuntimeError):
    """A record changed between its inspection and its copy."""


@dataclass(frozen=True)
class Refusal:
    record: str
    student: str
    reason: str


@dataclass(frozen=True)
class Collected:
    student: str
    record: str
    outcome: str  # "collected", "updated", "unchanged"


@dataclass
class CollectReport:
    assignment: str
    collected: list[Collected] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused

    def lines(self) -> list[str]:
        out = [f"note: {safe_text(n, 2000)}" for n in self.notes]
        for c in self.collected:
            what = {"collected": "collected", "updated": "updated (newer submission)",
                    "unchanged": "already collected (newer ones need --update)"}.get(c.outcome, c.outcome)
            out.append(f"{what}: {safe_text(c.student, 100)}  [{safe_text(c.record, 200)}]")
        if not self.collected:
            out.append(f"nothing new to collect for {safe_text(self.assignment, 100)}")
        if self.refused:
            out.append("")
            out.append(f"REFUSED {len(self.refused)} inbound record(s) (left in place, not collected):")
            rows = [("record", "claimed student", "reason")] + [
                (safe_text(r.record, 120), safe_text(r.student, 60), safe_text(r.reason, 600))
                for r in self.refused]
            w0 = max(len(r[0]) for r in rows)
            w1 = max(len(r[1]) for r in rows)
            out += [f"{a:<{w0}}  {b:<{w1}}  {c}".rstrip() for a, b, c in rows]
        return out


def utc_now() -> datetime.datetime:
    """Now as nbgrader compares timestamps: naive UTC."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def parse_record_name(name: str, assignment: str) -> tuple[str, str | None, list[str]]:
    """``<student>+<assignment>+<timestamp>[+<random>]`` as nbgrader reads it: (student,
    timestamp text, problems)."""
    parts = name.rsplit("+", 3)
    if len(parts) < 3:
        return name, None, ["its name is not <student>+<assignment>+<timestamp>+<random>"]
    student, problems = parts[0], []
    if parts[1] != assignment:
        problems.append(f"its name does not split into student+{assignment}+timestamp+random")
    if not student or student.startswith(".") or "/" in student or not student.isprintable():
        problems.append("the student id in its name is empty, hidden or holds control characters")
    return student, parts[2], problems


def parse_timestamp(text: str, what: str, now: datetime.datetime) -> tuple[datetime.datetime | None, str | None]:
    """(naive UTC timestamp, problem)."""
    from nbgrader.utils import parse_utc

    try:
        ts = parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError, AttributeError) as exc:
        return None, f"{what} cannot be read as a timestamp ({safe_text(exc, 120)})"
    if ts is None:
        return None, f"{what} is empty"
    if ts > now + FUTURE_TOLERANCE + _unknown_zone_slack(text):
        return ts, f"{what} is in the future ({ts:%Y-%m-%d %H:%M:%S} UTC; now {now:%Y-%m-%d %H:%M:%S} UTC)"
    return ts, None


def _unknown_zone_slack(text: str) -> datetime.timedelta:
    """nbgrader writes ``%Z`` (``Exchange.timezone``'s abbreviation, e.g. "KST", or "+14") and
    reads back as UTC any abbreviation dateutil does not know (and "+14" as 14 seconds): such a
    time can look up to 14 hours ahead."""
    from dateutil.tz import gettz

    parts = text.strip().split(" ")
    if len(parts) != 3:
        return datetime.timedelta(0)
    if parts[2].lstrip("+-").isdigit():
        return datetime.timedelta(hours=14)
    try:
        known = gettz(parts[2]) is not None
    except Exception:  # dateutil raises on some odd names
        known = False
    return datetime.timedelta(0) if known else datetime.timedelta(hours=14)


def account_uid(student: str) -> int | None:
    """The uid of the unix account named ``student``, or None when there is none."""
    if pwd is None:
        return None
    try:
        return pwd.getpwnam(student).pw_uid
    except (KeyError, ValueError):  # ValueError: a NUL in the name
        return None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    return "not a regular file or folder"


@dataclass
class Inspection:
    """What one record holds, seen through ``lstat`` and descriptors opened with O_NOFOLLOW."""

    uid: int | None  # the owner every entry must have, or None (not checked)
    max_bytes: int | None
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    size: int = 0
    timestamp_text: str | None = None

    def record(self, path: str) -> None:
        """Inspect the record folder at ``path`` (the inbound entry itself is never followed)."""
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.problems.append(f"cannot be read ({exc.strerror})")
            return
        if stat.S_ISLNK(st.st_mode):
            self.problems.append("it is a symbolic link, not a folder")
            return
        if not stat.S_ISDIR(st.st_mode):
            self.problems.append(f"it is not a folder ({_kind(st.st_mode)})")
            return
        self._owner(".", st)
        try:
            fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            self.problems.append(f"cannot be read ({exc.strerror})")
            return
        try:
            self._walk(fd, "", 0)
        finally:
            os.close(fd)
        if self.max_bytes is not None and self.size > self.max_bytes:
            self.problems.append(f"it holds {self.size} bytes, more than CourseDirectory.max_dir_size "
                                 f"({self.max_bytes} bytes)")

    def _owner(self, rel: str, st: os.stat_result) -> None:
        if self.uid is not None and st.st_uid != self.uid:
            where = "the record folder" if rel == "." else rel
            self.problems.append(f"{where} is owned by uid {st.st_uid}, not by the student's account "
                                 f"(uid {self.uid})")

    def _walk(self, dir_fd: int, rel: str, depth: int) -> None:
        try:
            names = sorted(os.listdir(dir_fd))
        except OSError as exc:
            self.problems.append(f"{rel or 'the record folder'} cannot be listed ({exc.strerror})")
            return
        for name in names:
            path = f"{rel}/{name}" if rel else name
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                self.problems.append(f"it holds more than {MAX_ENTRIES} files and folders")
                return
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except OSError as exc:
                self.problems.append(f"{path} cannot be read ({exc.strerror})")
                continue
            self._owner(path, st)
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                try:
                    target = os.readlink(name, dir_fd=dir_fd)
                except OSError:
                    target = "?"
                self.problems.append(f"{path} is a symbolic link (to {target})")
            elif stat.S_ISDIR(mode):
                if depth + 1 >= MAX_DEPTH:
                    self.problems.append(f"{path}: folders nested deeper than {MAX_DEPTH}")
                    continue
                try:
                    sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
                except OSError as exc:
                    self.problems.append(f"{path} cannot be opened ({exc.strerror})")
                    continue
                try:
                    self._walk(sub, path, depth + 1)
                finally:
                    os.close(sub)
            elif stat.S_ISREG(mode):
                if st.st_nlink > 1:
                    self.problems.append(f"{path} is a hard link (the file has {st.st_nlink} names)")
                    continue
                self.size += st.st_size
                self._read_check(dir_fd, name, path, st, keep=(rel == "" and name == TIMESTAMP_FILE))
            else:
                self.problems.append(f"{path} is {_kind(mode)}")

    def _read_check(self, dir_fd: int, name: str, path: str, st: os.stat_result, keep: bool) -> None:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            self.problems.append(f"{path} cannot be read ({exc.strerror})")
            return
        try:
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(now.st_mode):
                self.problems.append(f"{path} changed while it was inspected")
            elif keep:
                self.timestamp_text = os.read(fd, MAX_TIMESTAMP_BYTES + 1).decode("utf-8", "replace")
        except OSError as exc:
            self.problems.append(f"{path} cannot be read ({exc.strerror})")
        finally:
            os.close(fd)


def check_timestamp_file(text: str | None, name_ts: datetime.datetime | None,
                         now: datetime.datetime) -> list[str]:
    """Problems of a record's ``timestamp.txt`` (None: the record has none, as in hand-made ones)."""
    if text is None:
        return []
    if len(text) > MAX_TIMESTAMP_BYTES:
        return [f"{TIMESTAMP_FILE} is longer than {MAX_TIMESTAMP_BYTES} bytes"]
    ts, problem = parse_timestamp(text, TIMESTAMP_FILE, now)
    if problem:
        return [problem]
    if name_ts is not None and ts != name_ts:
        return [f"{TIMESTAMP_FILE} ({ts}) differs from the timestamp in the record's name ({name_ts})"]
    return []


def copy_without_links(src: str, dest: str) -> list[str]:
    """Copy the folder ``src`` to the new folder ``dest``: regular files with one name, and
    folders, never through a link (every open is O_NOFOLLOW, relative to its folder's
    descriptor). Returns what was not copied (links, pipes, ...); setuid/setgid bits are dropped."""
    skipped: list[str] = []
    fd = os.open(src, _DIR_FLAGS)
    try:
        root_mode = os.fstat(fd).st_mode
        os.mkdir(dest, 0o700)
        _copy_dir(fd, dest, "", skipped, 0)
        os.chmod(dest, stat.S_IMODE(root_mode) & 0o777 | 0o700)
    finally:
        os.close(fd)
    return skipped


def _copy_dir(dir_fd: int, dest: str, rel: str, skipped: list[str], depth: int) -> None:
    for name in sorted(os.listdir(dir_fd)):
        path = f"{rel}/{name}" if rel else name
        target = os.path.join(dest, name)
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode) and depth + 1 < MAX_DEPTH:
            sub = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            try:
                os.mkdir(target, 0o700)
                _copy_dir(sub, target, path, skipped, depth + 1)
                os.chmod(target, stat.S_IMODE(st.st_mode) & 0o777 | 0o700)
            finally:
                os.close(sub)
        elif stat.S_ISREG(st.st_mode) and st.st_nlink == 1:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
            try:
                now = os.fstat(fd)
                if not stat.S_ISREG(now.st_mode) or now.st_nlink != 1:
                    skipped.append(path)
                    continue
                with os.fdopen(os.dup(fd), "rb") as fin, open(target, "xb") as fout:
                    shutil.copyfileobj(fin, fout)
                os.chmod(target, stat.S_IMODE(now.st_mode) & 0o777)
                os.utime(target, ns=(now.st_atime_ns, now.st_mtime_ns))
            finally:
                os.close(fd)
        else:
            skipped.append(path)


class SafeExchangeCollect(ExchangeCollect):
    """nbgrader's default ``ExchangeCollect`` that refuses unsafe inbound records (module doc).

    Usable as ``c.ExchangeFactory.collect = "grading.collect.SafeExchangeCollect"`` too (then
    ``nbgrader collect`` and formgrader refuse the same records, with a warning each)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.refusals: list[Refusal] = []
        self.outcomes: list[Collected] = []
        self.notes: list[str] = []
        self._staged: dict[str, str] = {}
        self._copied = False

    # -- inspection, inside nbgrader's own record selection --------------------------------

    def init_src(self):
        self._now = utc_now()
        self._roster = self._load_roster()
        # Our owner check refuses; nbgrader's only warns (for every record where students have no
        # unix account, e.g. on a JupyterHub running every server as one user).
        self._owner_check = bool(self.check_owner) and pwd is not None
        self.check_owner = False
        self._no_account: set[str] = set()
        max_kb = self.coursedir.max_dir_size
        self._max_bytes = 1000 * max_kb if max_kb else None
        super().init_src()  # globs inbound, calls _path_to_record per record, picks one per student
        self.src_records = [r for r in self.src_records if not r["username"].startswith(_REFUSED)]
        if not self._owner_check:
            self.notes.append("record owners not checked (ExchangeCollect.check_owner is off)")
        elif self._no_account:
            names = ", ".join(sorted(self._no_account)[:10]) + (", ..." if len(self._no_account) > 10 else "")
            self.notes.append(f"record owners not checked for {len(self._no_account)} student(s) without a "
                              f"unix account of that name ({names}): students are not separate unix users "
                              "here (e.g. JupyterHub's SimpleLocalProcessSpawner), so one could pose as another")
        if self._roster is None:
            self.notes.append("the gradebook has no students yet: student ids were not checked against a "
                              "roster (import one with `python -m grading roster`)")

    def _load_roster(self) -> set[str] | None:
        from nbgrader.api import Gradebook

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            ids = {s.id for s in gb.students}
        return ids or None

    def _path_to_record(self, path):
        name = os.path.basename(path)
        student, problems, ts = self.inspect(path)
        if problems:
            shown = problems[:MAX_REASONS]
            if len(problems) > MAX_REASONS:
                shown.append(f"and {len(problems) - MAX_REASONS} more")
            refusal = Refusal(record=name, student=student, reason="; ".join(shown))
            self.refusals.append(refusal)
            self.log.warning("Refusing inbound record %s (claims student %s): %s",
                             safe_text(name, 200), safe_text(student, 100), safe_text(refusal.reason, 1000),
                             extra={"collect_refusal": True})
            return {"username": _REFUSED + name, "filename": name, "timestamp": datetime.datetime.min}
        return {"username": student, "filename": name, "timestamp": ts}

    def inspect(self, path: str) -> tuple[str, list[str], datetime.datetime | None]:
        """(claimed student, problems, timestamp) of the inbound record at ``path``."""
        name = os.path.basename(path)
        student, ts_text, problems = parse_record_name(name, self.coursedir.assignment_id)
        ts = None
        if ts_text is not None:
            ts, problem = parse_timestamp(ts_text, "the timestamp in its name", self._now)
            if problem:
                problems.append(problem)
        if self._roster is not None and student not in self._roster:
            problems.append("no student of this id in the gradebook (roster)")
        uid = None
        if self._owner_check:
            uid = account_uid(student)
            if uid is None:
                self._no_account.add(student)
        found = Inspection(uid=uid, max_bytes=self._max_bytes)
        found.record(path)
        problems += found.problems
        problems += check_timestamp_file(found.timestamp_text, ts, self._now)
        return student, problems, ts

    # -- copying: per record, from a staging copy made without following links ------------

    def copy_files(self):
        records = self.src_records
        if not records:
            return super().copy_files()
        try:
            for rec in records:
                self._collect_one(rec)
        finally:
            self.src_records = records

    def _collect_one(self, rec) -> None:
        student, name = rec["username"], rec["filename"]
        src = os.path.join(self.inbound_path, name)
        dest = self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                          self.coursedir.assignment_id)
        existed = os.path.isdir(dest)
        staging = tempfile.mkdtemp(prefix="grading-collect-")
        try:
            if not existed or self.update or self.before_duedate:  # nbgrader may copy it
                staged = os.path.join(staging, "record")
                skipped = copy_without_links(src, staged)
                problems = [f"{p} appeared after the inspection (a link or special file)" for p in skipped]
                text = _read_small(os.path.join(staged, TIMESTAMP_FILE))
                problems += check_timestamp_file(text, rec["timestamp"], self._now)
                if problems:
                    raise _RecordChanged("; ".join(problems[:MAX_REASONS]))
                self._staged[src] = staged
            self._copied = False
            self.src_records = [rec]
            super().copy_files()  # nbgrader's logic: new, --update, already collected
        except Exception as exc:  # one record never stops the others (nbgrader's fail() raises too)
            reason = (f"changed while it was collected: {exc}" if isinstance(exc, _RecordChanged)
                      else f"could not be collected: {type(exc).__name__}: {exc}")
            self.refusals.append(Refusal(record=name, student=student, reason=reason))
            self.log.warning("Refusing inbound record %s: %s", safe_text(name, 200), safe_text(reason, 1000),
                             extra={"collect_refusal": True})
            return
        finally:
            self._staged.pop(src, None)
            shutil.rmtree(staging, ignore_errors=True)  # our private copy, not grading data
        outcome = ("updated" if existed else "collected") if self._copied else "unchanged"
        self.outcomes.append(Collected(student=student, record=name, outcome=outcome))

    def do_copy(self, src, dest, log=None):
        staged = self._staged.get(src)
        if staged is None:  # not through copy_files (nbgrader changed?): stage now, refuse links
            staging = tempfile.mkdtemp(prefix="grading-collect-")
            try:
                staged = os.path.join(staging, "record")
                skipped = copy_without_links(src, staged)
                if skipped:
                    raise _RecordChanged(", ".join(skipped[:MAX_REASONS]) + " not copied (links or special files)")
                super().do_copy(staged, dest, log)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        else:
            super().do_copy(staged, dest, log)
        self._copied = True


def _read_small(path: str) -> str | None:
    try:
        fd = os.open(path, _FILE_FLAGS)
    except FileNotFoundError:
        return None
    try:
        return os.read(fd, MAX_TIMESTAMP_BYTES + 1).decode("utf-8", "replace")
    finally:
        os.close(fd)


def collect(layout, assignment: str, update: bool = False,
            log: logging.Logger | None = None) -> CollectReport:
    """Collect ``assignment`` from the course's exchange into its submitted folder, refusing
    unsafe records (module doc). Raises ``CollectError`` when the collect cannot run at all."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeError

    from grading.course import course_config
    from grading.engine import use_inprocess_alembic_head

    if (not assignment or assignment.startswith(".") or any(c in assignment for c in "+/\\*?[]")
            or not assignment.isprintable()):
        raise CollectError(f"invalid assignment name {safe_text(assignment, 100)!r}")
    use_inprocess_alembic_head()
    (layout.root / layout.gradebook).parent.mkdir(parents=True, exist_ok=True)
    config = course_config(layout)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = assignment
    collector = SafeExchangeCollect(coursedir=coursedir, authenticator=Authenticator(config=config),
                                    config=config, log=log or logging.getLogger("grading.collect"))
    collector.update = update
    report = CollectReport(assignment=assignment)
    try:
        collector.start()
    except ExchangeError as exc:
        raise CollectError(f"nbgrader collect failed: {exc} (exchange: {collector.root}; set "
                           "[course] exchange_root and id in course.toml)") from exc
    report.collected = collector.outcomes
    report.refused = collector.refusals
    report.notes = collector.notes
    return report


def cli_logger() -> logging.Logger:
    """The logger ``python -m grading collect`` gives nbgrader: its warnings (files ignored as too
    large, ...) to stderr; refusals are left to the report's table."""
    log = logging.getLogger("grading.collect")
    if not log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        # nbgrader's fail() logs CRITICAL, then raises: the command prints that error once.
        handler.addFilter(lambda record: not getattr(record, "collect_refusal", False)
                          and record.levelno < logging.CRITICAL)
        log.addHandler(handler)
        log.setLevel(logging.WARNING)
        log.propagate = False
    return log


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (not when it was made)."""

    def emit(self, record):
        import sys

        self.stream = sys.stderr
        super().emit(record)
