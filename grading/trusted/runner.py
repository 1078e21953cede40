"""Run a notebook's trusted checks against a ``Student`` and return one ``Verdict`` each."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Iterable

from grading.trusted.student import Student, StudentCallError

#: Longest failure message kept (feedback shows it).
MESSAGE_CHARS = 2000


@dataclass
class Verdict:
    """The trusted outcome of one graded cell.

    ``phase`` is where the check stopped ("visible" or "hidden": a failure in the hidden
    cases, or a pass); ``visible_passed`` says whether the cases the notebook's own test cell
    shows passed here (compared with the kernel's run of that cell).
    """

    grade_id: str
    passed: bool
    message: str = ""
    phase: str = "visible"
    seconds: float = 0.0
    calls: int = 0

    @property
    def visible_passed(self) -> bool:
        return self.passed or self.phase == "hidden"

    def as_dict(self) -> dict:
        return {**asdict(self), "visible_passed": self.visible_passed}


def run_check(grade_id: str, check, student: Student) -> Verdict:
    """Run one check; its ``AssertionError`` (or any error reading the student's result)
    becomes a failed verdict with a message."""
    student.reset()
    calls_before, start = student.calls, time.perf_counter()
    passed, message = True, ""
    try:
        check(student)
    except (AssertionError, StudentCallError) as exc:
        passed, message = False, str(exc) or "the check failed"
    except Exception as exc:  # noqa: BLE001 - e.g. a result of the wrong kind that the check could not read
        passed = False
        message = (f"the check could not use your function's result ({type(exc).__name__}: {str(exc)[:300]}); "
                   "check what your function returns (type, shape, keys)")
    phase = student.phase
    if not passed and phase == "hidden" and "not implemented yet" not in message:
        message = f"hidden case: {message}"
    student.reset()
    if len(message) > MESSAGE_CHARS:
        message = message[:MESSAGE_CHARS] + "..."
    return Verdict(grade_id, passed, message, phase, time.perf_counter() - start, student.calls - calls_before)


def run_checks(checks: dict, student: Student, grade_ids: Iterable[str]) -> dict[str, Verdict]:
    """Verdicts for ``grade_ids`` (in that order); a grade id without a check fails."""
    verdicts = {}
    for grade_id in grade_ids:
        check = checks.get(grade_id)
        if check is None:
            verdicts[grade_id] = Verdict(grade_id, False, "this test cell has no trusted check (a course error: "
                                                          "tell your instructor)")
            continue
        verdicts[grade_id] = run_check(grade_id, check, student)
    return verdicts
