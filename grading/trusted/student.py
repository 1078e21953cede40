"""The checker's handle on a submission: call its functions, get plain data back.

A check never holds a student's object. ``Student.call("sigmoid", z)`` sends the name and
the arguments to the kernel (``helpers.probe``), which calls the function and sends back
plain data (``helpers.wire``): builtins, ``np.ndarray``, ``KerasModel``, ``Opaque``. An
exception the function raised comes back as data and becomes an ``AssertionError`` that
says so (``StudentCallError``).

``KernelStudent`` talks to a running kernel through a ``transport`` (code -> the outputs of
running it); ``LocalStudent`` calls functions of a plain namespace, through the same wire
format both ways, so check modules can be unit-tested on the reference solution without a
notebook or a kernel.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import secrets
import time
from typing import Any, Callable, Iterable, Sequence

from helpers import probe, testing, wire

#: Exception names shown in messages (a student's own class name could carry data).
BUILTIN_EXCEPTIONS = frozenset(name for name, value in vars(builtins).items()
                               if isinstance(value, type) and issubclass(value, BaseException))


class StudentCallError(AssertionError):
    """The student's function raised, or could not be called."""


class ProbeError(RuntimeError):
    """The kernel did not answer a request (it died, timed out, or sent no valid answer)."""


class Student:
    """One submission as the checker sees it (subclasses supply ``_exchange``).

    ``phase`` is ``"visible"`` until a check calls ``hidden()``; from then on failures do
    not show expected values (``helpers.testing.redacted``) or the student's exception
    messages for hidden inputs.
    """

    def __init__(self) -> None:
        self.phase = "visible"
        self.calls = 0
        self.seconds = 0.0
        self._redaction = contextlib.ExitStack()
        self._handles = 0

    # ---------------------------------------------------------------- phases
    def hidden(self) -> None:
        """Mark the start of the hidden cases of the running check."""
        if self.phase != "hidden":
            self.phase = "hidden"
            self._redaction.enter_context(testing.redacted())

    def reset(self) -> None:
        self._redaction.close()
        self._redaction = contextlib.ExitStack()
        self.phase = "visible"

    # ---------------------------------------------------------------- calls
    def call(self, name: str, *args: Any, isolate: dict | None = None, **kwargs: Any) -> Any:
        """``name(*args, **kwargs)`` in the submission; its result as plain data."""
        (result,) = self.call_many(name, [(args, kwargs)], isolate=isolate)
        return result

    def call_many(self, name: str, calls: Iterable[tuple[Sequence, dict] | Sequence], *,
                  isolate: dict | None = None, common: dict | None = None) -> list:
        """One round trip for many calls: ``calls`` holds ``(args, kwargs)`` pairs, or
        argument tuples; ``common`` keyword arguments go to every call."""
        batch = [_as_call(c, common) for c in calls]
        response = self._request({"target": name, "calls": batch, "isolate": _stand_ins(isolate)})
        return [self._value(name, item) for item in response["results"]]

    def call_with_inputs(self, name: str, *args: Any, isolate: dict | None = None, **kwargs: Any
                         ) -> tuple[Any, list, dict]:
        """``(result, args after the call, kwargs after the call)``: the inputs come back
        from the kernel after the call, to compare with what was sent (in-place changes)."""
        response = self._request({"target": name, "calls": [[list(args), kwargs]],
                                  "isolate": _stand_ins(isolate), "return_args": True})
        result = self._value(name, response["results"][0])
        after = response.get("args_after") or [[[], {}]]
        try:
            args_after, kwargs_after = after[0]
        except (TypeError, ValueError):
            raise StudentCallError(f"{name}: the kernel sent back malformed arguments") from None
        if not isinstance(args_after, list) or not isinstance(kwargs_after, dict) or len(args_after) != len(args):
            raise StudentCallError(f"{name}: the kernel sent back malformed arguments")
        return result, args_after, kwargs_after

    def raises(self, name: str, *args: Any, isolate: dict | None = None, **kwargs: Any) -> wire.RemoteError | None:
        """The exception ``name(*args, **kwargs)`` raised, as data (``None`` if it returned)."""
        response = self._request({"target": name, "calls": [[list(args), kwargs]], "isolate": _stand_ins(isolate)})
        item = _result_item(response["results"][0])
        raised = item.get("raised")
        if isinstance(raised, wire.RemoteError) and raised.type == "NotImplementedError":
            raise _not_implemented(name)
        return raised if isinstance(raised, wire.RemoteError) else None

    def read(self, name: str) -> Any:
        """A notebook variable as plain data. Only for values the check then verifies on
        its own side (a trained model's weights scored on the checker's data): a number the
        notebook computed proves nothing, since student code can set it to anything."""
        response = self._request({"target": name, "read": True, "calls": []})
        return self._value(name, response["results"][0])

    def keep(self, name: str, *args: Any, isolate: dict | None = None, **kwargs: Any) -> "Handle":
        """Call ``name`` and keep its result in the kernel (an object: a model, a class
        instance); use the returned ``Handle`` to call its methods and read attributes."""
        self._handles += 1
        key = f"h{self._handles}"
        response = self._request({"target": name, "calls": [[list(args), kwargs]],
                                  "isolate": _stand_ins(isolate), "keep": key})
        self._value(name, response["results"][0])
        return Handle(self, key, name)

    # ---------------------------------------------------------------- plumbing
    def _value(self, name: str, item: Any) -> Any:
        item = _result_item(item)
        if "raised" in item:
            raised = item["raised"]
            if not isinstance(raised, wire.RemoteError):
                raise StudentCallError(f"{name}: the kernel sent a malformed answer")
            if raised.type == "NotImplementedError":
                raise _not_implemented(name)
            # Only the name of a built-in exception is shown, never the message: student code
            # could put in it what it saw of the hidden cases. The notebook's own run of the
            # visible test shows the full error.
            kind = raised.type if raised.type in BUILTIN_EXCEPTIONS else "an exception of its own class"
            if self.phase == "hidden":
                raise StudentCallError(f"{name} raised {kind} on a hidden case: try your function on other "
                                       "shapes and edge cases")
            raise StudentCallError(f"{name} raised {kind} (run this test cell in your notebook to see the message)")
        return item.get("value")

    def _request(self, request: dict) -> dict:
        start = time.perf_counter()
        try:
            response = self._exchange(request)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - start
        if not isinstance(response, dict):
            raise StudentCallError("the kernel sent a malformed answer")
        # The kernel's own words are never shown: student code can write them (a function whose
        # result fails to encode raises an error of its choosing; a replaced helpers.probe answers
        # anything), and they would carry what it saw of the hidden cases into the feedback.
        if "missing" in response:
            target = request.get("target")
            if isinstance(target, str):
                raise StudentCallError(f"{target} is not defined: run the cell that defines it (and keep its name)")
            raise StudentCallError("the object this check kept in your kernel is gone, or lacks what the check asked of it")
        if "serve_error" in response:
            error = StudentCallError("the result could not be sent back as plain data: return NumPy arrays, numbers, "
                                     "lists, tuples or dicts")
            # for the grader's own signals (grading.trusted.scenarios), never for a message
            error.kernel_text = str(response["serve_error"])[:300]
            raise error
        results = response.get("results")
        if not isinstance(results, list) or len(results) != len(request.get("calls", [None])) and not request.get("read"):
            raise StudentCallError("the kernel sent a malformed answer")
        return response

    def _exchange(self, request: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError


class Handle:
    """An object kept in the kernel by ``Student.keep``."""

    def __init__(self, student: Student, key: str, made_by: str):
        self.student, self.key, self.made_by = student, key, made_by

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``obj.method(*args, **kwargs)``; its result as plain data."""
        response = self.student._request({"target": {"handle": self.key, "attr": method},
                                          "calls": [[list(args), kwargs]]})
        return self.student._value(f"{self.made_by}(...).{method}", response["results"][0])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        response = self.student._request({"target": {"handle": self.key, "attr": None},
                                          "calls": [[list(args), kwargs]]})
        return self.student._value(f"{self.made_by}(...)", response["results"][0])

    def read(self, attr: str | None = None) -> Any:
        """An attribute of the object (or the object itself) as plain data."""
        response = self.student._request({"target": {"handle": self.key, "attr": attr}, "read": True, "calls": []})
        return self.student._value(f"{self.made_by}(...).{attr}" if attr else self.made_by, response["results"][0])


def _result_item(item: Any) -> dict:
    if not isinstance(item, dict) or not ("value" in item or "raised" in item):
        raise StudentCallError("the kernel sent a malformed answer")
    return item


def _as_call(call: Any, common: dict | None) -> list:
    if isinstance(call, tuple) and len(call) == 2 and isinstance(call[1], dict) and isinstance(call[0], (list, tuple)):
        args, kwargs = list(call[0]), dict(call[1])
    else:
        args, kwargs = list(call), {}
    return [args, {**(common or {}), **kwargs}]


def _stand_ins(isolate: dict | None) -> dict:
    """``isolate`` values: ``"module:attr"`` strings pass as they are; a function of the
    checker is sent as its source (a stand-in for an earlier exercise)."""
    out = {}
    for name, value in (isolate or {}).items():
        if isinstance(value, str):
            out[name] = value
        elif callable(value):
            out[name] = {"source": inspect.getsource(value), "name": value.__name__}
        else:
            raise TypeError(f"isolate[{name!r}] should be 'module:attr' or a function")
    return out


def _not_implemented(name: str) -> StudentCallError:
    return StudentCallError(f"{name} is not implemented yet: replace `raise NotImplementedError()` with your code")


class KernelStudent(Student):
    """A submission running in a kernel; ``transport(code)`` runs code there and returns
    the outputs (nbformat output dicts) it produced."""

    def __init__(self, transport: Callable[[str], list], max_bytes: int = wire.MAX_BYTES):
        super().__init__()
        self.transport = transport
        self.max_bytes = max_bytes

    def _exchange(self, request: dict) -> dict:
        nonce = secrets.token_hex(8)
        code = f"__import__('helpers.probe').probe.serve({nonce!r}, {wire.encode_b64(request)!r})"
        try:
            outputs = self.transport(code)
        except ProbeError as exc:
            raise StudentCallError(f"the kernel did not answer the check: {exc}") from None
        for output in reversed(outputs or []):
            data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
            text = data.get(probe.MIME)
            if not isinstance(text, str):
                continue
            try:
                response = wire.decode_b64(text, self.max_bytes)
            except wire.WireError as exc:
                raise StudentCallError(f"the kernel's answer is not plain data: {exc}") from None
            if isinstance(response, dict) and response.get("nonce") == nonce:
                return response
        errors = [o for o in outputs or [] if o.get("output_type") == "error"]
        why = f" ({errors[-1].get('ename')}: {str(errors[-1].get('evalue'))[:200]})" if errors else ""
        raise StudentCallError(f"the kernel did not answer the check{why}")


class LocalStudent(Student):
    """The functions of ``namespace`` (say, the reference solution), called in this process
    through the wire format both ways: for unit tests of check modules."""

    def __init__(self, namespace: dict):
        super().__init__()
        self.namespace = namespace

    def _exchange(self, request: dict) -> dict:
        crossed = wire.decode(wire.encode(request))
        try:
            response = probe.run_request(crossed, self.namespace)
            payload = wire.encode(response)
        except Exception as exc:  # noqa: BLE001 - as probe.serve reports it
            payload = wire.encode({"serve_error": f"{type(exc).__name__}: {exc}"})
        return wire.decode(payload)
