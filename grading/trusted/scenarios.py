"""Scenarios: checker functions run in the student's kernel, with the notebook's namespace.

Most checks call one notebook function with data and judge its result here. Some need more:
a Keras model built, trained and saved, a ``tf.data`` pipeline iterated, an error's class
looked at. Such a check writes a *scenario*, a plain module-level function
``scenario(namespace, *args, **kwargs)`` that imports what it needs inside; it is sent as
source, run in the kernel, and only its result (plain data) comes back to be judged.

The kernel runs only notebook functions (``helpers.probe``), so ``_k_run`` is installed as
a stand-in carried by one call of a notebook function: the call names a second stand-in
that does not exist, which stops it before the student's code runs. After that,
``_k_run`` is kept in the kernel under ``KEY`` and called through a ``Handle``.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from grading.trusted.student import Handle, Student, StudentCallError
from helpers import wire

#: Where the kernel keeps ``_k_run`` (``helpers.probe._HANDLES``).
KEY = "dlcheck:scenarios"
#: A stand-in that does not exist: it stops the installing call before the student's code runs.
STOP = "_dlcheck_scenarios_installed_"


# ============================================================== kernel side (sent as source)


@(lambda f: __import__("helpers.probe").probe._HANDLES.__setitem__("dlcheck:scenarios", f) or f)
def _k_run(source, name, needs, *args, **kwargs):
    """Run the scenario ``name`` (its ``source``) with the notebook's namespace."""
    import sys

    import helpers.probe as probe
    import numpy as np

    namespace, frame = None, sys._getframe(1)
    while frame is not None and namespace is None:
        if frame.f_code.co_name == "run_request" and isinstance(frame.f_locals.get("namespace"), dict):
            namespace = frame.f_locals["namespace"]
        frame = frame.f_back
    if namespace is None:
        namespace = probe._user_namespace()
    for needed in needs:
        if needed not in namespace:
            return {"$missing": needed}
    scope = {"np": np, "__name__": "dlcheck_scenario"}
    exec(compile(source, "<dlcheck scenario>", "exec"), scope)  # noqa: S102 - the grader's own code
    return scope[name](namespace, *args, **kwargs)


# ============================================================== checker side


class Scenarios:
    """Runs one check module's scenarios; ``vehicles`` are the notebook's answer functions,
    any of which can carry the installing call."""

    def __init__(self, vehicles: tuple[str, ...]) -> None:
        self.vehicles = vehicles

    def run(self, s: Student, scenario: Callable, needs: tuple[str, ...], *args: Any, **kwargs: Any) -> Any:
        """``scenario(namespace, *args, **kwargs)`` run in the student's kernel; its result as data.

        ``needs``: the notebook names the scenario uses (a missing one fails the check with
        "run the cell that defines it"); the first is tried first to carry the installation.
        """
        if not getattr(s, "_dlcheck_scenarios", False):
            self._install(s, needs[0])
            s._dlcheck_scenarios = True
        result = Handle(s, KEY, needs[0])(inspect.getsource(scenario), scenario.__name__, list(needs),
                                          *args, **kwargs)
        if isinstance(result, dict) and "$missing" in result:
            # Named from ``needs``, not from the kernel's answer (student code could write that).
            missing = result["$missing"] if result["$missing"] in needs else "a function this test needs"
            raise AssertionError(f"{missing} is not defined: run the cell that defines it "
                                 "(and keep its name)")
        return result

    def _install(self, s: Student, first: str) -> None:
        """Register ``_k_run`` in the kernel (once per ``Student``), carried by any notebook function."""
        isolate = {"_dlcheck_run": _k_run, "_dlcheck_stop": f"helpers.probe:{STOP}"}
        for name in dict.fromkeys((first, *self.vehicles)):
            try:
                kind = s.read(name)
            except StudentCallError:
                continue
            if not (isinstance(kind, wire.Opaque) and kind.type == "builtins.function"):
                continue  # stand-ins are only applied to plain functions: this one would just be called
            try:
                s.call(name, isolate=isolate)
            except StudentCallError as exc:
                if STOP in getattr(exc, "kernel_text", ""):
                    return
        raise AssertionError(f"{first} is not defined: run the cell that defines it (and keep its name)")
