"""``course.toml``: the one file an instructor edits to set up a course.

It holds what differs between course offerings: the course id, nbgrader's exchange folder
(where students fetch and submit), the gradebook database, time zone, due dates and late
penalties per assignment, and grading limits. ``grading.course.apply_course_config`` turns it
into nbgrader settings, so ``python -m grading``, the ``nbgrader`` command line and formgrader
(both load ``nbgrader_config.py`` at the course root) read the same values. An instructor's
own ``nbgrader_config.py`` files are layered on top (``grading.course.instructor_config_files``).

A missing file means the defaults below (the repository's own course, SQLite gradebook, no
exchange). Secrets stay out of the file: ``COURSE_GRADEBOOK_URL`` in the environment
overrides ``gradebook_url`` (a PostgreSQL URL with a password).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SETTINGS_FILE = "course.toml"
GRADEBOOK_URL_ENV = "COURSE_GRADEBOOK_URL"
DEFAULT_COURSE_ID = "dl-course"


class SettingsError(ValueError):
    """``course.toml`` is malformed; the message names the file, the key and what is wrong."""


@dataclass(frozen=True)
class LatePolicy:
    """How late work loses points: ``per_day_percent`` of the score per started day late
    (after ``grace_minutes``), and nothing at all from ``zero_after_days`` days late on."""

    per_day_percent: float = 0.0
    zero_after_days: float | None = None
    grace_minutes: float = 0.0

    def penalty(self, score: float, seconds_late: float) -> float:
        """Points taken from ``score`` for work ``seconds_late`` seconds after the deadline."""
        late = seconds_late - 60 * self.grace_minutes
        if late <= 0 or score <= 0:
            return 0.0
        days = late / 86400
        if self.zero_after_days is not None and days >= self.zero_after_days:
            return float(score)
        return float(min(score, score * self.per_day_percent / 100 * math.ceil(days)))

    def describe(self) -> str:
        if not self.per_day_percent and self.zero_after_days is None:
            return "no late penalty"
        parts = []
        if self.per_day_percent:
            parts.append(f"-{self.per_day_percent:g}% per started day late")
        if self.zero_after_days is not None:
            parts.append(f"0 points from {self.zero_after_days:g} days late")
        if self.grace_minutes:
            parts.append(f"{self.grace_minutes:g} min grace")
        return ", ".join(parts)


@dataclass(frozen=True)
class AssignmentSettings:
    """One assignment's deadline (UTC, naive as nbgrader stores it) and late policy."""

    name: str
    due_utc: datetime | None = None
    late: LatePolicy = LatePolicy()


@dataclass(frozen=True)
class CourseSettings:
    course_id: str = DEFAULT_COURSE_ID
    #: nbgrader's ``Exchange.root`` (absolute, or relative to the course root); None: no exchange.
    exchange_root: Path | None = None
    #: nbgrader's gradebook URL; None: the SQLite file of the course layout.
    gradebook_url: str | None = None
    timezone: str = "UTC"
    late: LatePolicy = LatePolicy()
    assignments: dict[str, AssignmentSettings] = field(default_factory=dict)
    #: ``GradingLimits`` field -> value, for the fields the file sets.
    limits: dict[str, int | bool] = field(default_factory=dict)
    source: Path | None = None

    def assignment(self, name: str) -> AssignmentSettings:
        return self.assignments.get(name, AssignmentSettings(name, None, self.late))

    def grading_limits(self):
        from grading.course import GradingLimits

        return GradingLimits(**self.limits)


def load_settings(root: Path) -> CourseSettings:
    """The settings of the course at ``root`` (``root/course.toml``; defaults if absent)."""
    path = Path(root) / SETTINGS_FILE
    env_url = os.environ.get(GRADEBOOK_URL_ENV) or None
    if env_url is not None and "://" not in env_url:
        raise SettingsError(f"${GRADEBOOK_URL_ENV}: {env_url!r} is not a database URL "
                            "(sqlite:///path or postgresql+psycopg2://...)")
    if not path.is_file():
        return CourseSettings(gradebook_url=env_url)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    return parse_settings(data, Path(root), path, env_url)


def parse_settings(data: dict, root: Path, path: Path, env_url: str | None = None) -> CourseSettings:
    def fail(key: str, why: str):
        raise SettingsError(f"{path}: {key}: {why}")

    unknown = set(data) - {"course", "late_penalty", "limits", "assignments"}
    if unknown:
        fail(", ".join(sorted(unknown)), "unknown section (known: course, late_penalty, limits, assignments)")
    course = _table(data, "course", fail)
    _known(course, {"id", "exchange_root", "gradebook_url", "timezone"}, "course", fail)
    course_id = course.get("id", DEFAULT_COURSE_ID)
    if not isinstance(course_id, str) or not course_id or not course_id.replace("-", "").replace("_", "").isalnum():
        fail("course.id", f"{course_id!r} must be letters, digits, '-' or '_'")
    tz_name = course.get("timezone", "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        fail("course.timezone", f"{tz_name!r} is not a time zone name (e.g. 'Asia/Seoul', 'UTC')")
    exchange = course.get("exchange_root") or None
    if exchange is not None:
        if not isinstance(exchange, str):
            fail("course.exchange_root", "must be a path")
        exchange = (root / exchange) if not Path(exchange).is_absolute() else Path(exchange)
    url = env_url or course.get("gradebook_url") or None
    if url is not None and (not isinstance(url, str) or "://" not in url):
        fail("course.gradebook_url", f"{url!r} is not a database URL (sqlite:///path or postgresql+psycopg2://...)")

    default_late = _late(_table(data, "late_penalty", fail), "late_penalty", fail)
    assignments = {}
    for name, spec in _table(data, "assignments", fail).items():
        key = f"assignments.{name}"
        if not isinstance(spec, dict):
            fail(key, "must be a table")
        _known(spec, {"due", "late_penalty"}, key, fail)
        due = spec.get("due")
        due_utc = _due(due, tz, f"{key}.due", fail) if due is not None else None
        late = _late(spec["late_penalty"], f"{key}.late_penalty", fail) if "late_penalty" in spec else default_late
        assignments[name] = AssignmentSettings(name, due_utc, late)

    from grading.course import GradingLimits

    limits = _table(data, "limits", fail)
    allowed = {f.name: f.type for f in fields(GradingLimits)}
    _known(limits, set(allowed), "limits", fail)
    for key, value in limits.items():
        want = bool if allowed[key] in (bool, "bool") else int
        if type(value) is not want or (want is int and value <= 0):
            fail(f"limits.{key}", f"{value!r} must be a positive integer" if want is int else "must be true or false")
    return CourseSettings(course_id=course_id, exchange_root=exchange, gradebook_url=url, timezone=tz_name,
                          late=default_late, assignments=assignments, limits=dict(limits), source=path)


def _table(data: dict, key: str, fail) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        fail(key, "must be a table ([" + key + "])")
    return value


def _known(table: dict, known: set[str], where: str, fail) -> None:
    unknown = set(table) - known
    if unknown:
        fail(f"{where}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(known))})")


def _late(spec: dict, where: str, fail) -> LatePolicy:
    if not isinstance(spec, dict):
        fail(where, "must be a table, e.g. { per_day_percent = 10, zero_after_days = 7 }")
    _known(spec, {"per_day_percent", "zero_after_days", "grace_minutes"}, where, fail)
    for key, value in spec.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            fail(f"{where}.{key}", f"{value!r} must be a number >= 0")
    if spec.get("per_day_percent", 0) > 100:
        fail(f"{where}.per_day_percent", "must be at most 100")
    return LatePolicy(per_day_percent=float(spec.get("per_day_percent", 0)),
                      zero_after_days=(float(spec["zero_after_days"]) if "zero_after_days" in spec else None),
                      grace_minutes=float(spec.get("grace_minutes", 0)))


def _due(value, tz: ZoneInfo, where: str, fail) -> datetime:
    """A due date as naive UTC (nbgrader's gradebook convention); a time without an offset is
    in the course's time zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            fail(where, f"{value!r} is not a date-time like 2027-03-09T23:59:00+09:00")
    if not isinstance(value, datetime):
        fail(where, "must be a date and time (e.g. 2027-03-09T23:59:00+09:00)")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc).replace(tzinfo=None)
