"""The kernel's side of a trusted check: call a student's function, hand back plain data.

The grader (``grading.trusted``) never reads a student's objects. After the notebook has
run, it sends the kernel requests of the form
``__import__('helpers.probe').probe.serve(nonce, payload)``; ``serve`` decodes the request
(``helpers.wire``), calls the named function of the notebook on each set of arguments,
and publishes the results as one display message of type ``MIME``. Nothing here decides a
grade: student code may replace this module, and all it can change is the data the
checker receives, which is judged on the grader's side.

Request (a dict): ``target`` (a notebook name, or ``{"handle": h, "attr": a}`` for a
method or attribute of an object kept earlier), ``calls`` (a list of ``[args, kwargs]``),
``isolate`` (names the function should see instead of the notebook's: ``"module:attr"``
or ``{"source": code, "name": n}``), ``return_args`` (send the arguments back after each
call, to see in-place changes), ``keep`` (keep the first call's result as a handle),
``read`` (read the attribute instead of calling it).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import time
import types
from typing import Any

from helpers import wire

MIME = "application/vnd.dlcourse.probe+b64"
_HANDLES: dict[str, Any] = {}


def _user_namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:  # run outside IPython (tests): the caller's __main__
        import __main__

        return vars(__main__)
    return shell.user_ns


def _stand_in(spec: Any, namespace: dict) -> Any:
    if isinstance(spec, str) and ":" in spec:
        module, attr = spec.split(":", 1)
        value: Any = importlib.import_module(module)
        for part in attr.split("."):
            value = getattr(value, part)
        return value
    if isinstance(spec, dict) and "source" in spec:
        import numpy as np

        scope: dict[str, Any] = {"np": np, "__name__": "course_stand_in"}
        exec(compile(spec["source"], "<stand-in>", "exec"), scope)  # noqa: S102 - the grader's own code
        return scope[spec["name"]]
    raise ValueError(f"unknown stand-in {spec!r}")


def _isolated(fn: Any, stand_ins: dict, namespace: dict) -> Any:
    if not stand_ins or not isinstance(fn, types.FunctionType):
        return fn
    scope = dict(fn.__globals__)
    scope.update({name: _stand_in(spec, namespace) for name, spec in stand_ins.items()})
    clone = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__kwdefaults__ = fn.__kwdefaults__
    return clone


def _resolve(target: Any, namespace: dict) -> tuple[Any, str | None]:
    if isinstance(target, str):
        if target not in namespace:
            return None, f"{target} is not defined: run the cell that defines it (and keep its name)"
        return namespace[target], None
    handle = _HANDLES.get(target.get("handle"))
    if handle is None:
        return None, f"nothing is kept under {target.get('handle')!r}"
    if not target.get("attr"):
        return handle, None
    if not hasattr(handle, target["attr"]):
        return None, f"the object has no attribute {target['attr']!r}"
    return getattr(handle, target["attr"]), None


def run_request(request: dict, namespace: dict | None = None) -> dict:
    """The response to one decoded request, against ``namespace`` (the notebook's by default)."""
    namespace = _user_namespace() if namespace is None else namespace
    target, missing = _resolve(request["target"], namespace)
    if missing:
        return {"missing": missing}
    if request.get("read"):
        return {"results": [{"value": target}]}
    fn = _isolated(target, request.get("isolate") or {}, namespace)
    results, args_after = [], []
    for args, kwargs in request.get("calls", []):
        start = time.perf_counter()
        try:
            value = fn(*args, **kwargs)
            if request.get("keep"):
                _HANDLES[request["keep"]] = value
                value = wire.Opaque(type(value).__qualname__, "kept")
            results.append({"value": value, "seconds": time.perf_counter() - start})
        except Exception as exc:  # noqa: BLE001 - the student's exception is the data
            results.append({"raised": wire.RemoteError(type(exc).__name__, str(exc)[:2000]),
                            "seconds": time.perf_counter() - start})
        if request.get("return_args"):
            args_after.append([list(args), kwargs])
    return {"results": results, "args_after": args_after}


class _Discard(io.TextIOBase):
    """A text stream that keeps nothing."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def _quiet():
    """The student's prints, displays and results go nowhere while the checker calls: a
    function that prints at every step (or floods the output) costs the checks nothing."""
    from IPython import get_ipython

    shell = get_ipython()
    publisher = getattr(shell, "display_pub", None)
    saved_hook = sys.displayhook
    had_own_publish = publisher is not None and "publish" in vars(publisher)
    saved_publish = vars(publisher).get("publish") if had_own_publish else None
    try:
        if publisher is not None:
            publisher.publish = lambda *args, **kwargs: None
        sys.displayhook = lambda value: None
        with contextlib.redirect_stdout(_Discard()), contextlib.redirect_stderr(_Discard()):
            yield
    finally:
        sys.displayhook = saved_hook
        if publisher is not None:
            if had_own_publish:
                publisher.publish = saved_publish
            else:
                vars(publisher).pop("publish", None)


def serve(nonce: str, payload: str) -> None:
    """Answer one request (see the module docstring) with a display message."""
    from IPython.display import publish_display_data

    try:
        with _quiet():
            response = run_request(wire.decode_b64(payload))
        response["nonce"] = nonce
        text = wire.encode_b64(response)
    except Exception as exc:  # noqa: BLE001 - e.g. a result that is not plain data
        text = wire.encode_b64({"nonce": nonce, "serve_error": f"{type(exc).__name__}: {str(exc)[:500]}"})
    publish_display_data({MIME: text})


def forget() -> None:
    """Drop every kept object."""
    _HANDLES.clear()
