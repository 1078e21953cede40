"""Move a course's nbgrader gradebook between databases (SQLite <-> PostgreSQL) without loss.

``copy_gradebook(source_url, target_url)`` copies every table of nbgrader's schema
(``nbgrader.api.Base.metadata``: course, students, assignments, notebooks, cells, submissions,
grades, comments, with manual scores, extra credit, late penalties and timestamps) table by
table in foreign-key order, ids preserved, in one transaction on the target. The target's
schema is created by nbgrader's own ``Gradebook`` (which also stamps the alembic revision).
Then both databases are read again and every table's row count and every row's checksum must
be equal, so a copy that lost or changed anything (or a gradebook graded into while it was
copied) is reported as failed.

Grading data is never overwritten: a target that holds anything but an empty gradebook
(nbgrader's course row and schema revision) is refused before anything is written to it.

``gradebook_info(root)`` says which gradebook a course uses and where that setting came from
(``COURSE_GRADEBOOK_URL``, ``course.toml``, or the default SQLite file), password masked.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: Rows inserted per statement while copying.
BATCH_ROWS = 1000
#: nbgrader's bookkeeping: a gradebook holding rows only here has no grading data.
BOOKKEEPING_TABLES = ("course", "alembic_version")


class GradebookCopyError(RuntimeError):
    """The copy was refused or failed; the message says why and what was (not) written."""


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (safe to print or log)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<not a database URL>"


def _engine(url: str, role: str, must_exist: bool):
    """An engine for ``url``; a source SQLite file must exist (SQLite would create it)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        # Not echoed: a malformed URL may still hold a password.
        raise GradebookCopyError(f"the {role} is not a database URL "
                                 "(sqlite:///path/gradebook.db or postgresql+psycopg2://user@host/db)") from exc
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if not db or db == ":memory:":
            raise GradebookCopyError(f"{role} {mask_url(url)}: an SQLite gradebook must be a file")
        path = Path(db)
        if must_exist and not path.is_file():
            raise GradebookCopyError(f"{role} {mask_url(url)}: no such file {path}")
        if not path.parent.is_dir():
            raise GradebookCopyError(f"{role} {mask_url(url)}: folder {path.parent} does not exist")
    try:
        return create_engine(parsed, future=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise GradebookCopyError(f"{role} {mask_url(url)}: no database driver for it: {exc}") from exc


def _reason(exc: BaseException) -> str:
    """The first line of a database error (the driver's own message where there is one)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _connect_check(engine, url: str, role: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        raise GradebookCopyError(f"cannot open the {role} {mask_url(url)}: {_reason(exc)}") from exc


def same_database(a: str, b: str) -> bool:
    """Whether two URLs name the same database (SQLite: the same file)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        ua, ub = make_url(a), make_url(b)
    except ArgumentError:
        return a == b
    if ua.get_backend_name() == ub.get_backend_name() == "sqlite":
        return Path(ua.database or "").resolve() == Path(ub.database or "").resolve()

    def where(u):  # the driver, password and options do not change which database it is
        return u.set(drivername=u.get_backend_name(), password=None, query={})

    return where(ua) == where(ub)


def _schema():
    """nbgrader's tables in foreign-key order (parents first)."""
    from nbgrader.api import Base

    return list(Base.metadata.sorted_tables)


def _alembic_version(conn) -> str | None:
    from sqlalchemy import inspect, text

    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    versions = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    return versions[0] if len(versions) == 1 else ",".join(sorted(versions)) or None


def _row_counts(conn, names: Iterable[str]) -> dict[str, int]:
    from sqlalchemy import func, select, table

    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _canonical(value: Any) -> Any:
    """One row value in a form that is equal across databases (SQLite stores datetimes as
    text and booleans as integers; SQLAlchemy's column types give back the same Python values)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # exact (shortest round-tripping form), also for inf and nan
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def _row_digests(conn, tbl) -> list[str]:
    """sha256 of every row of ``tbl`` (columns by name), in primary-key order."""
    from sqlalchemy import select

    order = list(tbl.primary_key.columns) or list(tbl.columns)
    digests = []
    for row in conn.execute(select(tbl).order_by(*order)).mappings():
        data = json.dumps({k: _canonical(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=True)
        digests.append(hashlib.sha256(data.encode()).hexdigest())
    return digests


@dataclass
class TableCopy:
    """One table of a copy: rows read, rows in the target after it, checksum of all rows."""

    name: str
    source_rows: int
    target_rows: int
    checksum: str
    equal: bool


@dataclass
class CopyReport:
    source: str
    target: str
    alembic_version: str
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(t.equal for t in self.tables)

    def table(self) -> str:
        """The summary printed by ``python -m grading gradebook copy``."""
        lines = [f"{'table':<22} {'source':>8} {'target':>8}  {'checksum':<16}  check"]
        for t in self.tables:
            lines.append(f"{t.name:<22} {t.source_rows:>8} {t.target_rows:>8}  {t.checksum[:16]:<16}  "
                         f"{'equal' if t.equal else 'DIFFERENT'}")
        return "\n".join(lines)


def check_source(conn, url: str) -> str:
    """The source's alembic revision, after checking it is an nbgrader gradebook this
    nbgrader can copy (same schema revision, no tables nbgrader does not know)."""
    from sqlalchemy import inspect

    from grading.engine import alembic_head

    names = set(inspect(conn).get_table_names())
    known = {t.name for t in _schema()}
    if not names:
        raise GradebookCopyError(f"source {mask_url(url)} holds no gradebook (no tables)")
    missing = sorted(known - names)
    if missing:
        raise GradebookCopyError(f"source {mask_url(url)} is not an nbgrader gradebook: "
                                 f"no table {', '.join(missing)}")
    extra = sorted(names - known - {"alembic_version"})
    if extra:
        raise GradebookCopyError(f"source {mask_url(url)} holds tables nbgrader does not know "
                                 f"({', '.join(extra)}); they would not be copied, so nothing was")
    version = _alembic_version(conn)
    head = alembic_head()
    if version != head:
        raise GradebookCopyError(f"source {mask_url(url)} has schema revision {version!r}, this nbgrader "
                                 f"writes {head!r}: upgrade it first (nbgrader db upgrade)")
    return version


def check_target_empty(conn, url: str, version: str | None = None) -> None:
    """Refuse a target that holds grading data, tables that are not nbgrader's, or another
    schema revision; an empty database or an empty gradebook passes."""
    from sqlalchemy import inspect

    names = set(inspect(conn).get_table_names())
    known = {t.name for t in _schema()}
    foreign = sorted(names - known - {"alembic_version"})
    if foreign:
        raise GradebookCopyError(f"target {mask_url(url)} holds tables that are not nbgrader's "
                                 f"({', '.join(foreign)}): copy into an empty database; nothing was written")
    counts = _row_counts(conn, sorted(names & known - set(BOOKKEEPING_TABLES)))
    full = {name: n for name, n in counts.items() if n}
    if full:
        held = ", ".join(f"{name}: {n} rows" for name, n in sorted(full.items()))
        raise GradebookCopyError(f"target {mask_url(url)} already holds grading data ({held}): refusing to "
                                 "overwrite it; copy into an empty database; nothing was written")
    existing = _alembic_version(conn)
    if version is not None and existing is not None and existing != version:
        raise GradebookCopyError(f"target {mask_url(url)} is a gradebook of schema revision {existing!r}, "
                                 f"the source is {version!r}; nothing was written")


def _dump_digests(conn) -> dict[str, list[str]]:
    from sqlalchemy import text

    out = {t.name: _row_digests(conn, t) for t in _schema()}
    out["alembic_version"] = sorted(hashlib.sha256(row[0].encode()).hexdigest()
                                    for row in conn.execute(text("SELECT version_num FROM alembic_version")))
    return out


def copy_gradebook(source_url: str, target_url: str) -> CopyReport:
    """Copy the gradebook at ``source_url`` into the empty database at ``target_url``.

    Raises ``GradebookCopyError`` (nothing written, or the copy rolled back) when the source is
    not a gradebook this nbgrader can read, the target holds data, or the check after copying
    finds any table different.
    """
    from sqlalchemy import delete, insert, select
    from sqlalchemy.exc import SQLAlchemyError

    if same_database(source_url, target_url):
        raise GradebookCopyError("source and target are the same database")
    source = _engine(source_url, "source", must_exist=True)
    target = _engine(target_url, "target", must_exist=False)
    try:
        _connect_check(source, source_url, "source")
        with source.connect() as conn:
            version = check_source(conn, source_url)
            course_ids = [row[0] for row in conn.execute(select(_table("course").c.id))]
        # Only now the target (connecting creates an SQLite file): a bad source leaves no trace.
        _connect_check(target, target_url, "target")
        with target.connect() as conn:
            check_target_empty(conn, target_url, version)
        try:
            _create_schema(target_url, course_ids[0] if course_ids else "default_course")
        except SQLAlchemyError as exc:
            raise GradebookCopyError(f"cannot create nbgrader's tables in {mask_url(target_url)}: "
                                     f"{_reason(exc)}") from exc
        try:
            with source.connect() as src, target.begin() as dst:
                # Again, inside the transaction: nothing graded into the target since the check.
                check_target_empty(dst, target_url, version)
                dst.execute(delete(_table("course")))  # the row nbgrader's Gradebook made
                for tbl in _schema():
                    rows = src.execute(select(tbl)).mappings()
                    while batch := [dict(r) for r in rows.fetchmany(BATCH_ROWS)]:
                        dst.execute(insert(tbl), batch)
        except SQLAlchemyError as exc:
            raise GradebookCopyError(f"copy into {mask_url(target_url)} failed and was rolled back "
                                     f"(the target holds an empty gradebook): {_reason(exc)}") from exc
        report = verify_copy(source, target, source_url, target_url, version)
    finally:
        source.dispose()
        target.dispose()
    if not report.ok:
        different = ", ".join(t.name for t in report.tables if not t.equal)
        raise GradebookCopyError(f"the copy in {mask_url(target_url)} differs from the source in {different} "
                                 "(was the source graded into while copying?). The source is unchanged; do not "
                                 "use the target, empty it (drop and create the database, or delete the file) "
                                 f"and copy again\n{report.table()}")
    return report


def verify_copy(source, target, source_url: str, target_url: str, version: str) -> CopyReport:
    """Both gradebooks read again: every table's rows (count and checksums) compared."""
    with source.connect() as src, target.connect() as dst:
        before, after = _dump_digests(src), _dump_digests(dst)
    report = CopyReport(source=mask_url(source_url), target=mask_url(target_url), alembic_version=version)
    for name in before:
        whole = hashlib.sha256("".join(sorted(before[name])).encode()).hexdigest()
        report.tables.append(TableCopy(name, len(before[name]), len(after[name]), whole,
                                       sorted(before[name]) == sorted(after[name])))
    return report


def _table(name: str):
    from nbgrader.api import Base

    return Base.metadata.tables[name]


def _create_schema(url: str, course_id: str) -> None:
    """nbgrader's own schema in the target: tables, and the alembic revision stamped."""
    from nbgrader.api import Gradebook

    from grading.engine import use_inprocess_alembic_head

    use_inprocess_alembic_head()
    with Gradebook(url, course_id):
        pass


@dataclass
class GradebookInfo:
    url: str
    #: "environment COURSE_GRADEBOOK_URL", "course.toml", or "default (SQLite file of the course)".
    origin: str
    exists: bool
    counts: dict[str, int] = field(default_factory=dict)
    problem: str | None = None
    #: Instructor config files that set ``CourseDirectory.db_url`` (nbgrader would use theirs).
    overridden_by: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"gradebook: {mask_url(self.url)}", f"set by:    {self.origin}"]
        if self.problem:
            out.append(f"problem:   {self.problem}")
        elif not self.exists:
            out.append("contents:  no gradebook yet (nbgrader creates it on first use)")
        else:
            out.append("contents:  " + ", ".join(f"{n} {name}" for name, n in self.counts.items()))
        for path in self.overridden_by:
            out.append(f"WARNING:   {path} sets CourseDirectory.db_url; nbgrader uses that, not the line above")
        return out


def gradebook_origin(root: Path) -> str:
    """Where the course at ``root`` gets its gradebook URL from."""
    from grading.course import course_settings
    from grading.settings import GRADEBOOK_URL_ENV, SETTINGS_FILE

    if os.environ.get(GRADEBOOK_URL_ENV):
        return f"environment {GRADEBOOK_URL_ENV}"
    if course_settings(root).gradebook_url:
        return f"{Path(root) / SETTINGS_FILE} ([course] gradebook_url)"
    return "default (the course's SQLite file)"


def gradebook_info(root: Path) -> GradebookInfo:
    """Which gradebook the course at ``root`` uses, where that came from, and what it holds.
    Reads only: a missing SQLite file or an empty database is reported, not created."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    from grading.course import CourseLayout

    layout = CourseLayout(root=Path(root))
    url = layout.db_url
    info = GradebookInfo(url=url, origin=gradebook_origin(root), exists=False,
                         overridden_by=_db_url_overrides(Path(root)))
    try:
        engine = _engine(url, "gradebook", must_exist=True)
    except GradebookCopyError as exc:
        if "no such file" not in str(exc):
            info.problem = str(exc)
        return info
    try:
        with engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if not names:
                return info
            info.exists = True
            wanted = {"student": "students", "assignment": "assignments", "submitted_assignment": "submissions",
                      "grade": "grades"}
            counts = _row_counts(conn, [n for n in wanted if n in names])
            info.counts = {wanted[n]: c for n, c in counts.items()}
    except SQLAlchemyError as exc:
        info.problem = f"cannot read it: {_reason(exc)}"
    finally:
        engine.dispose()
    return info


def _db_url_overrides(root: Path) -> list[Path]:
    from traitlets.config.loader import PyFileConfigLoader

    from grading.course import instructor_config_files

    found = []
    for path in instructor_config_files(root):
        try:
            config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        except Exception:  # a broken instructor file is reported by nbgrader itself
            continue
        if "CourseDirectory" in config and "db_url" in config.CourseDirectory:
            found.append(path)
    return found
