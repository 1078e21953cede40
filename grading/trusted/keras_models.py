"""Keras in the grader: TensorFlow set up for the checks' own computations, and the grader's
copy of a model the student's kernel sent (``helpers.wire.KerasModel``: configuration and
weights, rebuilt here so that nothing of the student's code runs in the grader)."""

from __future__ import annotations

import functools
from typing import Any

from helpers import wire


@functools.cache
def grader_tensorflow() -> Any:
    """TensorFlow for the grader's own computations: quiet, and without TF32 (float32
    convolutions and matmuls on an Ampere+ GPU would otherwise miss the 1e-5 tolerances)."""
    from helpers import device

    device.configure_tensorflow()
    return device.import_tensorflow()


def rebuilt_model(result: Any, what: str, layers_hint: str) -> Any:
    """The ``tf.keras.Model`` rebuilt from ``result`` (what the student's function returned,
    named ``what`` in messages); anything else fails the check. ``layers_hint`` names the
    standard layers the exercise needs, for the message when rebuilding fails."""
    if not isinstance(result, wire.KerasModel):
        if result is None:
            raise AssertionError(f"{what} is None: did you forget to `return` it at the end of your function?")
        kind = result.type if isinstance(result, wire.Opaque) else type(result).__name__
        raise AssertionError(f"{what} should be a tf.keras.Model but is a {str(kind)[:80]}.")
    grader_tensorflow()
    try:
        return result.rebuild()
    except Exception as exc:  # noqa: BLE001 - any failure to rebuild is the model's
        raise AssertionError(f"{what}: the model could not be rebuilt from its configuration ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); use standard Keras layers ({layers_hint}), without Lambda layers "
                             "or classes of your own") from None
