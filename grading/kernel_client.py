"""Kernel clients that cannot miss a reply: the shell channel is polled in short slices.

nbclient waits for a cell's ``execute_reply`` with one long ``poll`` on the shell socket.
While it waits, its ipywidgets ``Output`` emulation sends ``comm_msg`` updates on that same
socket (nbclient issue #312). ZeroMQ's file-descriptor wake-up is edge-triggered, so such a
send can swallow the wake-up of a reply that arrives at the same moment; the reply then
sits unread while the kernel is idle, and the cell "hangs" until the 600 s timeout. We saw
it twice on 2-core machines under load, each time in a cell that built a widget demo.
Polling in slices re-checks the socket (pyzmq checks ``EVENTS`` whenever a poll starts),
so a lost wake-up costs at most one slice instead of the whole timeout.
"""

from __future__ import annotations

from queue import Empty
from time import monotonic
from typing import Any

from jupyter_core.utils import run_sync
from nbclient import NotebookClient

POLL_SLICE_S = 0.5


def poll_in_slices(channel: Any, slice_s: float = POLL_SLICE_S) -> None:
    """Make ``channel.get_msg(timeout)`` (an async channel) poll at most ``slice_s`` at a time.

    The timeout keeps its meaning: ``Empty`` is raised once ``timeout`` seconds have passed
    (never, for ``timeout=None``).
    """
    if getattr(channel, "_polls_in_slices", False):
        return
    original = channel.get_msg

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - monotonic())
            step = slice_s if remaining is None else min(slice_s, remaining)
            try:
                return await original(timeout=step)
            except Empty:
                if remaining is not None and remaining <= step:
                    raise

    channel.get_msg = get_msg
    channel._polls_in_slices = True


class SlicedPollingMixin:
    """For ``NotebookClient`` subclasses: the kernel client's shell channel polls in slices."""

    async def async_start_new_kernel_client(self) -> Any:
        kernel_client = await super().async_start_new_kernel_client()  # type: ignore[misc]
        poll_in_slices(kernel_client.shell_channel)
        return kernel_client

    # nbclient binds the sync twin to its own coroutine at class creation; ``setup_kernel``
    # (used by nbconvert's ExecutePreprocessor, so by nbgrader) calls the twin.
    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class CourseNotebookClient(SlicedPollingMixin, NotebookClient):
    """``nbclient.NotebookClient`` that survives a lost shell wake-up (see the module doc)."""
