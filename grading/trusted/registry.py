"""Where a notebook's checks live: ``grading/checks/<notebook>.py``, one ``@check`` per graded cell.

A check module belongs to the grader: it is never released, never copied into a kernel or a
feedback folder. Each check is a function of one argument, the ``Student``
(``grading.trusted.student``), registered under the ``grade_id`` of the test cell whose
points it decides::

    from grading.trusted.registry import check

    @check("test_sigmoid_values")
    def sigmoid_values(s):
        z = np.array([-1.0, 0.0, 2.0])
        testing.check_close(s.call("sigmoid", z), expit(z), "sigmoid(z)")
        s.hidden()            # from here on: hidden cases
        ...

A check passes when it returns, and fails with the message of the ``AssertionError`` it
raises (``helpers.testing``'s checks raise those).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

CheckFunction = Callable[["object"], None]
PACKAGE = "grading.checks"
#: More folders of check modules (``os.pathsep``-separated), e.g. the tests' fixture course.
EXTRA_DIRS_ENV = "COURSE_CHECK_DIRS"


def check(grade_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the trusted check of test cell ``grade_id``."""

    def register(fn: CheckFunction) -> CheckFunction:
        fn.grade_id = grade_id
        return fn

    return register


def check_module(notebook: str) -> ModuleType | None:
    """The check module of ``notebook`` (the notebook's file name without ``.ipynb``):
    ``grading.checks.<notebook>``, else ``<notebook>.py`` in a folder of ``$COURSE_CHECK_DIRS``;
    ``None`` if there is none."""
    if not notebook.isidentifier():
        return None
    name = f"{PACKAGE}.{notebook}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (name, PACKAGE):
            raise
    for folder in filter(None, os.environ.get(EXTRA_DIRS_ENV, "").split(os.pathsep)):
        path = Path(folder) / f"{notebook}.py"
        if path.is_file():
            key = f"course_checks_{notebook}"
            if key not in sys.modules:
                spec = importlib.util.spec_from_file_location(key, path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[key] = module
                spec.loader.exec_module(module)
            return sys.modules[key]
    return None


def checks_of(notebook: str) -> dict[str, CheckFunction] | None:
    """grade_id -> check function for ``notebook``; ``None`` if it has no check module."""
    module = check_module(notebook)
    if module is None:
        return None
    table: dict[str, CheckFunction] = {}
    for value in vars(module).values():
        grade_id = getattr(value, "grade_id", None)
        if callable(value) and isinstance(grade_id, str):
            if grade_id in table and table[grade_id] is not value:
                raise ValueError(f"{module.__name__}: two checks for {grade_id}")
            table[grade_id] = value
    return table
