"""Plain data across the grading boundary (the student's kernel <-> the trusted checker).

A payload is one JSON header followed by NumPy ``.npy`` blobs. The header describes the
structure (``None``, booleans, numbers, strings, lists, tuples, dicts) and refers to the
arrays by position; each array is read back with ``np.load(..., allow_pickle=False)``, so
object arrays, pickles, array subclasses and lazy objects cannot cross: whatever a kernel
sends, the checker gets builtin Python values and base-class ``np.ndarray``s.

Values that are not plain data are converted on the sending side: TensorFlow tensors and
variables become arrays, generators and iterators become lists (at most ``MAX_ITEMS``),
Keras models become ``KerasModel`` (their JSON config and weights), exceptions become
``RemoteError`` (type name and message), anything else an ``Opaque`` (type name and a short
repr). ``decode`` checks sizes, nesting and dtypes before building anything.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["KerasModel", "Opaque", "RemoteError", "WireError", "decode", "decode_b64", "encode",
           "encode_b64", "MAX_BYTES", "MAX_ITEMS", "MAX_DEPTH"]

#: Largest payload accepted (bytes after base64 decoding).
MAX_BYTES = 64_000_000
#: Most items in one list/tuple/dict, and most elements of a consumed generator.
MAX_ITEMS = 100_000
#: Deepest nesting of lists, tuples and dicts.
MAX_DEPTH = 32
#: Longest string kept (longer ones are cut).
MAX_STR = 100_000
#: Array kinds that may cross: booleans, integers, floats, complex numbers, unicode text.
ARRAY_KINDS = "biufcU"
_MAGIC = b"DLW1"


class WireError(ValueError):
    """A payload that is not well-formed plain data (too big, too deep, a forbidden type)."""


@dataclass(frozen=True)
class RemoteError:
    """An exception raised on the other side, as data."""

    type: str
    message: str


@dataclass(frozen=True)
class Opaque:
    """A value that is not plain data: only its type's name and a short ``repr`` crossed."""

    type: str
    summary: str


@dataclass
class KerasModel:
    """A Keras model as data: ``config`` is ``model.to_json()``'s JSON text, ``weights`` the
    arrays of ``model.get_weights()`` in order, ``summary`` a few facts read on the kernel's
    side (name, class, input and output shapes, parameter count) for messages only."""

    class_name: str
    config: str
    weights: list = field(default_factory=list)
    summary: dict = field(default_factory=dict)

    def rebuild(self):
        """The model rebuilt on this side with Keras's safe mode (no ``Lambda`` code, no
        custom classes): raises ``ValueError``/``TypeError`` for what it cannot rebuild."""
        import keras

        model = keras.models.model_from_json(self.config)
        if len(model.weights) != len(self.weights):
            raise ValueError(f"the model has {len(model.weights)} weights but {len(self.weights)} arrays came")
        model.set_weights(self.weights)
        return model


# ------------------------------------------------------------------ encoding (either side)


def encode(value: Any) -> bytes:
    """``value`` as a payload (see the module docstring)."""
    arrays: list[np.ndarray] = []
    header = _to_header(value, arrays, 0)
    head = json.dumps(header, allow_nan=True, separators=(",", ":")).encode()
    out = io.BytesIO()
    out.write(_MAGIC)
    out.write(struct.pack("<QI", len(head), len(arrays)))
    out.write(head)
    for array in arrays:
        blob = io.BytesIO()
        np.save(blob, array, allow_pickle=False)
        data = blob.getvalue()
        out.write(struct.pack("<Q", len(data)))
        out.write(data)
    return out.getvalue()


def encode_b64(value: Any) -> str:
    return base64.b64encode(encode(value)).decode("ascii")


def _plain_array(value: Any) -> np.ndarray:
    array = np.array(value, copy=True)  # a base-class copy: a subclass's methods stay behind
    if type(array) is not np.ndarray:
        array = np.asarray(array).view(np.ndarray)
    if array.dtype.kind not in ARRAY_KINDS:
        raise WireError(f"arrays of dtype {array.dtype} cannot be sent")
    return array


def _to_header(value: Any, arrays: list, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError(f"nested more than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value if kind is not str else value[:MAX_STR]
    if kind is int:
        return value if abs(value) < 2**63 else {"$float": float(value)}
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is complex:
        return {"$complex": [value.real, value.imag]}
    if kind in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} items")
        items = [_to_header(v, arrays, depth + 1) for v in value]
        return items if kind is list else {"$tuple": items}
    if kind is dict:
        if len(value) > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} items")
        return {"$dict": [[_to_header(k, arrays, depth + 1), _to_header(v, arrays, depth + 1)]
                          for k, v in value.items()]}
    if isinstance(value, BaseException):
        return {"$error": [type(value).__name__, str(value)[:2000]]}
    if isinstance(value, RemoteError):
        return {"$error": [value.type, value.message]}
    if isinstance(value, Opaque):
        return {"$opaque": [value.type, value.summary]}
    if isinstance(value, KerasModel):
        arrays_at = []
        for w in value.weights:
            arrays.append(_plain_array(w))
            arrays_at.append(len(arrays) - 1)
        return {"$keras": {"class_name": value.class_name, "config": value.config,
                           "weights": arrays_at, "summary": _to_header(value.summary, arrays, depth + 1)}}
    if isinstance(value, np.generic):
        arrays.append(_plain_array(value))
        return {"$scalar": len(arrays) - 1}
    if isinstance(value, np.ndarray):
        arrays.append(_plain_array(value))
        return {"$array": len(arrays) - 1}
    module = (kind.__module__ or "").split(".")[0]
    if module in ("tensorflow", "keras", "tf_keras"):
        model = _keras_model(value)
        if model is not None:
            return _to_header(model, arrays, depth)
        if hasattr(value, "numpy"):
            return _to_header(value.numpy(), arrays, depth)
    if hasattr(value, "__next__") and hasattr(value, "__iter__"):
        items = []
        for item in value:
            items.append(item)
            if len(items) > MAX_ITEMS:
                raise WireError(f"the iterator gave more than {MAX_ITEMS} items")
        return {"$iter": [_to_header(v, arrays, depth + 1) for v in items]}
    try:
        summary = repr(value)[:200]
    except Exception:  # noqa: BLE001 - a repr that raises is itself worth reporting
        summary = "<repr failed>"
    return {"$opaque": [f"{kind.__module__}.{kind.__qualname__}", summary]}


def _keras_model(value: Any) -> KerasModel | None:
    import keras

    if not isinstance(value, keras.Model):
        return None
    summary: dict[str, Any] = {"name": str(value.name), "class": type(value).__name__}
    try:
        summary["params"] = int(value.count_params())
    except Exception:  # noqa: BLE001 - an unbuilt model has no parameter count yet
        summary["params"] = None
    for attr in ("input_shape", "output_shape"):
        try:
            shape = getattr(value, attr)
            summary[attr] = json.loads(json.dumps(shape, default=str))
        except Exception:  # noqa: BLE001
            summary[attr] = None
    try:
        config = value.to_json()
    except Exception as exc:  # noqa: BLE001 - a subclassed model without get_config
        config = json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]})
    return KerasModel(type(value).__name__, config, [np.asarray(w) for w in value.get_weights()], summary)


# ------------------------------------------------------------------ decoding (the trusted side)


def decode_b64(text: str, max_bytes: int = MAX_BYTES) -> Any:
    if not isinstance(text, str) or len(text) > max_bytes * 4 // 3 + 8:
        raise WireError("the payload is not a string of the accepted size")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise WireError(f"the payload is not base64: {exc}") from None
    return decode(data, max_bytes)


def decode(data: bytes, max_bytes: int = MAX_BYTES) -> Any:
    """The value of a payload, built only from builtins, ``np.ndarray`` and this module's
    data classes. Raises ``WireError`` for anything else."""
    if not isinstance(data, (bytes, bytearray)) or len(data) > max_bytes:
        raise WireError(f"the payload is over {max_bytes} bytes")
    view = memoryview(data)
    if bytes(view[:4]) != _MAGIC or len(view) < 16:
        raise WireError("the payload does not start with the wire format's header")
    head_len, count = struct.unpack("<QI", view[4:16])
    if head_len > len(view) - 16 or count > MAX_ITEMS:
        raise WireError("the payload's header is inconsistent")
    pos = 16 + head_len
    try:
        header = json.loads(bytes(view[16:pos]).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(f"the payload's header is not JSON: {exc}") from None
    arrays = []
    for _ in range(count):
        if pos + 8 > len(view):
            raise WireError("the payload ends early")
        (size,) = struct.unpack("<Q", view[pos:pos + 8])
        pos += 8
        if size > len(view) - pos:
            raise WireError("an array runs past the payload's end")
        arrays.append(_read_array(bytes(view[pos:pos + size])))
        pos += size
    return _from_header(header, arrays, 0)


def _read_array(blob: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(blob), allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable blob is the sender's fault
        raise WireError(f"an array could not be read: {type(exc).__name__}: {str(exc)[:200]}") from None
    if type(array) is not np.ndarray or array.dtype.kind not in ARRAY_KINDS or array.dtype.fields:
        raise WireError(f"arrays of dtype {getattr(array, 'dtype', '?')} are not accepted")
    return array


def _from_header(node: Any, arrays: list, depth: int) -> Any:
    if depth > MAX_DEPTH + 2:
        raise WireError(f"nested more than {MAX_DEPTH} levels")
    kind = type(node)
    if node is None or kind in (bool, int, float):
        return node
    if kind is str:
        return node[:MAX_STR]
    if kind is list:
        if len(node) > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} items")
        return [_from_header(v, arrays, depth + 1) for v in node]
    if kind is not dict or len(node) != 1:
        raise WireError("the payload's header has an unknown node")
    (tag, body), = node.items()
    if tag == "$tuple":
        return tuple(_from_header(body, arrays, depth))
    if tag == "$iter":
        return _from_header(body, arrays, depth)
    if tag == "$dict":
        if not isinstance(body, list) or len(body) > MAX_ITEMS:
            raise WireError("a dict node is malformed")
        out = {}
        for pair in body:
            if not isinstance(pair, list) or len(pair) != 2:
                raise WireError("a dict item is malformed")
            key = _from_header(pair[0], arrays, depth + 1)
            if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                raise WireError(f"dict keys of type {type(key).__name__} are not accepted")
            out[key] = _from_header(pair[1], arrays, depth + 1)
        return out
    if tag in ("$array", "$scalar"):
        if type(body) is not int or not 0 <= body < len(arrays):
            raise WireError("an array reference is out of range")
        return arrays[body] if tag == "$array" else arrays[body][()] if arrays[body].ndim == 0 else arrays[body]
    if tag == "$float":
        return float(body)
    if tag == "$complex" and isinstance(body, list) and len(body) == 2:
        return complex(float(body[0]), float(body[1]))
    if tag in ("$error", "$opaque") and isinstance(body, list) and len(body) == 2:
        cls = RemoteError if tag == "$error" else Opaque
        return cls(str(body[0])[:200], str(body[1])[:2000])
    if tag == "$keras" and isinstance(body, dict):
        indices = body.get("weights", [])
        if not isinstance(indices, list) or any(type(i) is not int or not 0 <= i < len(arrays) for i in indices):
            raise WireError("a model's weights are malformed")
        summary = _from_header(body.get("summary", {}), arrays, depth + 1)
        return KerasModel(str(body.get("class_name", ""))[:200], str(body.get("config", "")),
                          [arrays[i] for i in indices], summary if isinstance(summary, dict) else {})
    raise WireError(f"the payload's header has an unknown node {tag!r}")
