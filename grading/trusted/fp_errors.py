"""NumPy floating-point errors raised in the student's kernel for one request.

An old test cell wrapped a call in ``np.errstate(over="raise", ...)`` in the kernel: an
overflow or a NaN became a ``FloatingPointError``. A trusted check does the same with
``fp_strict_calls``: a stand-in whose *definition* switches NumPy's error handling (its default
value is computed when the kernel runs the definition, before the request's calls), and a
second, empty request whose stand-in switches it back to NumPy's defaults.
"""

from __future__ import annotations

import numpy as np

from grading.trusted.student import Student, StudentCallError

#: The stand-in name the guards are defined under (no notebook function uses it).
FP_GUARD = "_course_fp_errors"


# ``__name__`` is "course_stand_in" in the probe's scope and this module's name here, so the
# default values change NumPy's settings in the kernel only.
def raise_fp_errors(_=np.seterr(over="raise", invalid="raise", divide="raise")
                    if __name__ == "course_stand_in" else None):
    """Makes NumPy raise FloatingPointError in the kernel (np.errstate(..., "raise"))."""


def raise_invalid_fp(_=np.seterr(invalid="raise") if __name__ == "course_stand_in" else None):
    """Makes NumPy raise FloatingPointError for invalid operations (NaN results) in the kernel."""


def default_fp_errors(_=np.seterr(over="warn", invalid="warn", divide="warn", under="ignore")
                      if __name__ == "course_stand_in" else None):
    """Restores NumPy's default floating-point error handling in the kernel."""


def fp_strict_calls(s: Student, name: str, calls: list, message: str, isolate: dict | None = None,
                    guard=raise_fp_errors) -> list:
    """``s.call_many(name, calls, isolate=isolate)`` with NumPy raising as ``guard`` says in the
    kernel; a ``FloatingPointError`` fails the check with ``message``."""
    try:
        return s.call_many(name, calls, isolate={**(isolate or {}), FP_GUARD: guard})
    except StudentCallError as exc:
        if "raised FloatingPointError" in str(exc):
            raise AssertionError(message) from None
        raise
    finally:
        try:  # an empty request: the stand-in's definition alone restores the defaults
            s.call_many(name, [], isolate={FP_GUARD: default_fp_errors})
        except StudentCallError:
            pass
