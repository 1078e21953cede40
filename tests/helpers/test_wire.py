"""The wire format between a student's kernel and the trusted checker, against hostile values."""

from __future__ import annotations

import io
import json
import pickle
import struct

import numpy as np
import pytest

from helpers import wire


def roundtrip(value):
    return wire.decode(wire.encode(value))


def test_plain_values_cross_unchanged():
    value = {"a": [1, 2.5, None, True, "text"], "t": (1, (2, 3)), 3: np.arange(6).reshape(2, 3),
             "s": np.float32(1.5), "c": 1 + 2j, "nan": float("nan"), "inf": float("-inf"), "big": 2**70}
    back = roundtrip(value)
    assert back["a"] == [1, 2.5, None, True, "text"] and back["t"] == (1, (2, 3))
    assert type(back[3]) is np.ndarray and back[3].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["s"] == np.float32(1.5) and back["s"].dtype == np.float32
    assert back["c"] == 1 + 2j and np.isnan(back["nan"]) and back["inf"] == float("-inf")
    assert back["big"] == float(2**70)


def test_array_dtypes_and_nan_survive():
    for array in [np.array([1.0, np.nan, np.inf]), np.array([1, 2], dtype=np.int8), np.array([True]),
                  np.array(["ab", "c"]), np.zeros((0, 3)), np.array(3.0)]:
        back = roundtrip(array)
        assert back.dtype == array.dtype and back.shape == array.shape
        assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


class Lying(np.ndarray):
    """An ndarray subclass whose methods would answer whatever a check asks."""

    def __eq__(self, other):
        return True

    @property
    def shape(self):  # noqa: D401 - the attack
        raise RuntimeError("walked the frames")


def test_a_subclass_crosses_as_its_data_only():
    liar = np.arange(3.0).view(Lying)
    back = roundtrip(liar)
    assert type(back) is np.ndarray and back.tolist() == [0.0, 1.0, 2.0]
    assert not (back == np.array([9.0, 9.0, 9.0])).any()


def test_objects_arrays_and_pickles_cannot_cross():
    with pytest.raises(wire.WireError):
        wire.encode(np.array([object()], dtype=object))
    # A hand-made payload holding a pickled object array: refused when read.
    blob = io.BytesIO()
    np.save(blob, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    data = blob.getvalue()
    head = json.dumps({"$array": 0}).encode()
    payload = b"DLW1" + struct.pack("<QI", len(head), 1) + head + struct.pack("<Q", len(data)) + data
    with pytest.raises(wire.WireError):
        wire.decode(payload)
    with pytest.raises(wire.WireError):
        wire.decode(pickle.dumps({"a": 1}))


def test_structured_and_void_dtypes_are_refused():
    blob = io.BytesIO()
    np.save(blob, np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]))
    data = blob.getvalue()
    head = b'{"$array":0}'
    payload = b"DLW1" + struct.pack("<QI", len(head), 1) + head + struct.pack("<Q", len(data)) + data
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_other_objects_become_opaque_and_generators_lists():
    class Thing:
        def __repr__(self):
            return "thing"

    back = roundtrip({"obj": Thing(), "gen": (i * i for i in range(4)), "err": ValueError("bad")})
    assert isinstance(back["obj"], wire.Opaque) and back["obj"].summary == "thing"
    assert back["gen"] == [0, 1, 4, 9]
    assert back["err"] == wire.RemoteError("ValueError", "bad")


@pytest.mark.parametrize("payload", [
    b"", b"DLW1", b"XXXX" + bytes(20),
    b"DLW1" + struct.pack("<QI", 10**9, 0),                      # header length past the end
    b"DLW1" + struct.pack("<QI", 2, 1) + b"{}",                   # an array that is not there
    b"DLW1" + struct.pack("<QI", 13, 0) + b'{"$eval": "x"}',      # unknown node
    b"DLW1" + struct.pack("<QI", 12, 0) + b'{"$array":5}',        # reference out of range
    b"DLW1" + struct.pack("<QI", 5, 0) + b"nope!",                # not JSON
])
def test_malformed_payloads_are_refused(payload):
    with pytest.raises(wire.WireError):
        wire.decode(payload)


def test_size_depth_and_count_limits():
    with pytest.raises(wire.WireError):
        wire.decode(wire.encode(np.zeros(1000)), max_bytes=1000)
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    head = ("[" * 200 + "]" * 200).encode()
    with pytest.raises(wire.WireError):
        wire.decode(b"DLW1" + struct.pack("<QI", len(head), 0) + head)
    with pytest.raises(wire.WireError):
        wire.encode(iter(range(wire.MAX_ITEMS + 10)))
    with pytest.raises(wire.WireError):
        wire.decode_b64("not base64 !!")


def test_unhashable_or_odd_dict_keys_are_refused():
    head = b'{"$dict":[[[1,2],3]]}'
    with pytest.raises(wire.WireError):
        wire.decode(b"DLW1" + struct.pack("<QI", len(head), 0) + head)


def test_keras_models_cross_as_config_and_weights():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="relu")])
    back = roundtrip(model)
    assert isinstance(back, wire.KerasModel) and back.summary["params"] == 8
    rebuilt = back.rebuild()
    x = np.ones((1, 3), dtype="float32")
    assert np.allclose(rebuilt(x).numpy(), model(x).numpy())
