"""``grading wipe``: delete a course's grading data, after saying exactly what and asking.

Grading data is what cannot be rebuilt from the repository: the students' submissions, the
autograded copies (with any manual grades entered in formgrader kept in the gradebook), the
feedback, the integrity reports, the gradebook and the exported grades. ``make clean`` never
touches it; this command is the only one in the course that deletes it, and it

* lists every path it would delete, with how many students and files each holds;
* deletes only after the course id is typed on a terminal (``--yes`` skips the question, for
  scripts; without it and without a terminal it refuses);
* never drops a database: a PostgreSQL gradebook is named, with how to empty it by hand.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from grading.course import CourseLayout
from grading.textsafe import safe_text

#: Layout steps whose folders hold one sub-folder per student.
STUDENT_FOLDERS = ("submitted", "autograded", "feedback", "integrity")
#: Where grade exports land: ``autograde`` and ``export`` write ``grading/grades.csv`` and
#: ``grading/grades-lms.csv``, ``nbgrader export`` run from the course root ``grades.csv``.
GRADE_EXPORTS = ("grading/grades.csv", "grading/grades-lms.csv", "grades.csv")
#: Files SQLite keeps next to a database while it is open or after a crash.
SQLITE_SIDECARS = ("-journal", "-wal", "-shm")


class WipeError(RuntimeError):
    """The wipe cannot go ahead (no such course directory, unreadable gradebook URL)."""


@dataclass(frozen=True)
class WipeItem:
    """One path the wipe deletes, and what it holds (for the listing)."""

    path: Path
    what: str
    students: int | None = None
    files: int = 1
    is_link: bool = False

    def describe(self, root: Path) -> str:
        shown = self.path.relative_to(root) if self.path.is_relative_to(root) else self.path
        folder = self.path.is_dir() and not self.is_link
        name = safe_text(f"{shown}/" if folder else shown, 300)
        if self.is_link:
            return f"{name:<28} {self.what} (a symbolic link: only the link is removed, not what it points to)"
        counts = []
        if self.students is not None:
            counts.append(f"{self.students} student{'s' * (self.students != 1)}")
        counts.append(f"{self.files} file{'s' * (self.files != 1)}" if folder else _size(self.path))
        return f"{name:<28} {self.what} ({', '.join(counts)})"


@dataclass
class WipePlan:
    """Everything ``wipe`` would delete in one course, and the database it leaves alone."""

    layout: CourseLayout
    course_id: str
    items: list[WipeItem] = field(default_factory=list)
    #: The gradebook when it is a database server (shown without its password), else None.
    kept_database: str | None = None
    kept_database_name: str | None = None

    def lines(self) -> list[str]:
        root = self.layout.root
        out = [f"course {safe_text(self.course_id, 100)} at {safe_text(root, 300)}"]
        if self.items:
            out.append("wipe deletes:")
            out += [f"  {item.describe(root)}" for item in self.items]
        else:
            out.append("no grading data to delete (no submissions, autograded copies, feedback, "
                       "integrity reports, SQLite gradebook or grade exports)")
        if self.kept_database:
            name = safe_text(self.kept_database_name or "NAME", 100)
            out.append(f"not deleted: the gradebook database {self.kept_database}")
            out.append("  wipe never drops a database. To empty it, drop and recreate it as its owner")
            out.append(f"  (PostgreSQL: `dropdb {name} && createdb {name}`, with your -h/-U options);")
            out.append("  nbgrader creates its tables again on the next release or autograde.")
        out.append("kept: solutions/, notebooks/, course.toml and the rest of the repository")
        return out


def plan_wipe(layout: CourseLayout) -> WipePlan:
    """What wiping ``layout``'s course would delete; reads the course, changes nothing."""
    root = layout.root
    if not root.is_dir():
        raise WipeError(f"no course directory at {safe_text(root, 300)}")
    try:
        course_id, db_url = layout.course_id, layout.db_url
    except ValueError as exc:  # a malformed course.toml (grading.settings.SettingsError)
        raise WipeError(str(exc)) from exc
    plan = WipePlan(layout=layout, course_id=course_id)
    for step in STUDENT_FOLDERS:
        folder = layout.path(step)
        if folder.is_symlink():
            plan.items.append(WipeItem(folder, f"{step} folder", is_link=True))
        elif folder.is_dir():
            students = sum(1 for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
            plan.items.append(WipeItem(folder, f"{step} folder", students=students, files=_count_files(folder)))
    gradebook = _sqlite_file(db_url, root)
    if gradebook is None:
        plan.kept_database, plan.kept_database_name = _shown_url(db_url), _parse_url(db_url).database
    else:
        for path in [gradebook] + [gradebook.with_name(gradebook.name + s) for s in SQLITE_SIDECARS]:
            if path.is_file() or path.is_symlink():
                plan.items.append(WipeItem(path, "SQLite gradebook" if path == gradebook else "SQLite gradebook journal",
                                           is_link=path.is_symlink()))
    for name in GRADE_EXPORTS:
        path = root / name
        if path.is_file() or path.is_symlink():
            plan.items.append(WipeItem(path, "grade export", is_link=path.is_symlink()))
    return plan


def execute_wipe(plan: WipePlan) -> list[Path]:
    """Delete exactly the plan's paths (a symbolic link itself, never what it points to)."""
    deleted = []
    for item in plan.items:
        if item.path.is_symlink() or not item.path.is_dir():
            item.path.unlink(missing_ok=True)
        else:
            shutil.rmtree(item.path)
        deleted.append(item.path)
    return deleted


def run_wipe(layout: CourseLayout, *, dry_run: bool = False, yes: bool = False,
             stdin: TextIO | None = None, out: TextIO | None = None) -> int:
    """The ``wipe`` command: list, then ask for the course id (unless ``yes``), then delete.

    Returns the exit status: 0 when deleted, listed only (``dry_run``) or nothing to delete;
    1 when refused or not confirmed (nothing deleted).
    """
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    plan = plan_wipe(layout)
    print("\n".join(plan.lines()), file=out)
    if dry_run or not plan.items:
        if dry_run:
            print("dry run: nothing deleted", file=out)
        return 0
    if not yes:
        if not stdin.isatty():
            print("refusing: nobody can confirm (stdin is not a terminal). Run `python -m grading wipe` "
                  "in a terminal, or add --yes once you have checked the list (--dry-run lists only).", file=out)
            return 1
        print(f"Type the course id ({safe_text(plan.course_id, 100)}) to delete all of the above, "
              "anything else to keep it: ", end="", file=out, flush=True)
        answer = stdin.readline().strip()
        if answer != plan.course_id:
            print("not confirmed: nothing deleted", file=out)
            return 1
    deleted = execute_wipe(plan)
    print(f"deleted {len(deleted)} path{'s' * (len(deleted) != 1)}", file=out)
    return 0


def _count_files(folder: Path) -> int:
    """Files under ``folder``, links counted as files and not followed."""
    return sum(len(files) + sum(1 for d in dirs if os.path.islink(os.path.join(top, d)))
               for top, dirs, files in os.walk(folder))


def _size(path: Path) -> str:
    size = path.lstat().st_size
    return f"{size} bytes" if size < 10_000 else f"{size / 1e3:.0f} kB" if size < 10_000_000 else f"{size / 1e6:.0f} MB"


def _sqlite_file(db_url: str, root: Path) -> Path | None:
    """The file of a SQLite gradebook URL (relative paths from ``root``), None for a server."""
    url = _parse_url(db_url)
    if not url.get_backend_name() == "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise WipeError(f"the gradebook URL {_shown_url(db_url)} names no SQLite file")
    return root / url.database  # an absolute database path stays absolute


def _shown_url(db_url: str) -> str:
    return safe_text(_parse_url(db_url).render_as_string(hide_password=True), 300)


def _parse_url(db_url: str):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(db_url)
    except ArgumentError as exc:
        # The URL is not shown: it may hold a password.
        raise WipeError("the gradebook URL is not a database URL (expected e.g. "
                        "postgresql+psycopg2://user@host/dbname or sqlite:///path/gradebook.db)") from exc


__all__ = ["WipeError", "WipeItem", "WipePlan", "execute_wipe", "plan_wipe", "run_wipe"]
