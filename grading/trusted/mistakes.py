"""Name the likely mistake when a check fails, instead of a generic hint.

``helpers.testing``'s gradient checks end their message with a generic sentence ("Check the
chain rule step by step ..."). Where the wrong answer equals a known mistake (a forgotten
transpose, a sum over the wrong axis, a missing or extra 1/N, the pre-activation used where the
post-activation belongs ...), the message should name that mistake. A check recomputes each
known mistake from its own inputs, in the grader, and wraps the comparison in ``explained``:

    with explained(dw, [("dw = dout.T @ x is dw transposed: dw = x.T @ dout", dout.T @ x)],
                   usual="dw = x.T @ dout"):
        testing.check_array_gradient(...)

A mistake is recognised by its value, so the message shows no expected value (safe after
``s.hidden()``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np

#: The last sentence of helpers.testing's gradient-check messages.
GENERIC_GRADIENT_HINT = "Check the chain rule step by step and that you used the cached forward values."


def _matches(found, wrong) -> bool:
    if wrong is None:
        return False
    try:
        found_array, wrong_array = np.asarray(found, dtype=np.float64), np.asarray(wrong, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    if found_array.shape != wrong_array.shape or not np.all(np.isfinite(wrong_array)):
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(found_array, wrong_array, rtol=1e-6, atol=1e-9))


def likely_mistake(found, mistakes: Sequence[tuple[str, object]]) -> str | None:
    """The description of the first known mistake whose result equals ``found`` (same shape, close values)."""
    for description, wrong in mistakes:
        if _matches(found, wrong):
            return description
    return None


@contextlib.contextmanager
def explained(found, mistakes: Sequence[tuple[str, object]], usual: str) -> Iterator[None]:
    """Re-raise a failed check with its likely mistake.

    A matching one of ``mistakes`` is named (in place of the generic gradient sentence, or added
    to the message); otherwise ``usual``, the exercise's most common mistake, replaces the generic
    gradient sentence. Other messages are left as they are.
    """
    try:
        yield
    except AssertionError as error:
        message = str(error)
        mistake = likely_mistake(found, mistakes)
        if mistake is not None:
            text = f"Likely mistake: {mistake}."
            message = message.replace(GENERIC_GRADIENT_HINT, text) if GENERIC_GRADIENT_HINT in message else f"{message} {text}"
        elif GENERIC_GRADIENT_HINT in message:
            message = message.replace(GENERIC_GRADIENT_HINT, f"The usual mistake here: {usual}.")
        raise AssertionError(message) from None
