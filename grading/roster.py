"""Import a class roster (CSV) into nbgrader's gradebook.

The CSV has a header row; columns are matched by name, case-insensitively:
``id`` (or ``student_id``), ``first_name`` (or ``first``), ``last_name`` (or ``last``),
``email``. Every row is checked before anything is written: one bad row (a missing or
unsafe id, a repeated id, a malformed email) means nothing is imported and every problem
is listed with its line number. Students already in the gradebook get the roster's names;
their grades are untouched.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

#: A student id is a folder name under grading/submitted/ and part of nbgrader's exchange
#: record names, which use "+" as their separator (so no "+").
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
ALIASES = {"id": "id", "student_id": "id", "first_name": "first_name", "first": "first_name",
           "last_name": "last_name", "last": "last_name", "email": "email"}


class RosterError(ValueError):
    """The roster cannot be imported; the message lists every problem."""


@dataclass(frozen=True)
class RosterEntry:
    id: str
    first_name: str | None
    last_name: str | None
    email: str | None


def read_roster(path: Path) -> list[RosterEntry]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # spreadsheets add a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"{path}: cannot be read as UTF-8 text: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))  # a newline inside quotes stays in its field
    try:
        header = next(reader)
    except StopIteration:
        raise RosterError(f"{path}: empty file (expected a header: id,first_name,last_name,email)") from None
    columns = {}
    for i, name in enumerate(header):
        key = ALIASES.get(name.strip().lower())
        if key in columns:
            raise RosterError(f"{path}: two header columns mean {key!r} ({header[columns[key]]!r} and {name!r})")
        if key:
            columns[key] = i
    if "id" not in columns:
        raise RosterError(f"{path}: no 'id' (or 'student_id') column in the header {header!r}")
    problems, entries, seen = [], [], {}
    for fields in reader:
        line_no = reader.line_num
        if not any(f.strip() for f in fields):
            continue

        def get(key: str) -> str | None:
            i = columns.get(key)
            value = fields[i].strip() if i is not None and i < len(fields) else ""
            return value or None

        sid = get("id") or ""
        if not STUDENT_ID.match(sid):
            problems.append(f"line {line_no}: id {sid!r} must be 1-64 letters, digits or . _ @ - "
                            "(not starting with . or -)")
        elif sid in seen:
            problems.append(f"line {line_no}: id {sid!r} repeats line {seen[sid]}")
        else:
            seen[sid] = line_no
        email = get("email")
        if email and not EMAIL.match(email):
            problems.append(f"line {line_no}: email {email!r} is not an address")
        for key in ("first_name", "last_name"):
            value = get(key)
            if value and (len(value) > 200 or any(ord(ch) < 32 for ch in value)):
                problems.append(f"line {line_no}: {key} has control characters or is over 200 characters")
        entries.append(RosterEntry(sid, get("first_name"), get("last_name"), email))
    if problems:
        raise RosterError(f"{path}: nothing imported; fix these lines:\n  " + "\n  ".join(problems))
    if not entries:
        raise RosterError(f"{path}: no students in the file")
    return entries


def import_roster(path: Path, db_url: str, course_id: str) -> tuple[int, int]:
    """Add or update every roster student; returns (added, updated)."""
    from nbgrader.api import Gradebook, MissingEntry

    entries = read_roster(path)
    added = updated = 0
    with Gradebook(db_url, course_id) as gb:
        for entry in entries:
            try:
                gb.find_student(entry.id)
                updated += 1
            except MissingEntry:
                added += 1
            gb.update_or_create_student(entry.id, first_name=entry.first_name, last_name=entry.last_name,
                                        email=entry.email)
    return added, updated
