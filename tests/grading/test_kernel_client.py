"""grading.kernel_client: replies cannot be missed, and widget demos run in a real kernel."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import nbformat
import pytest

from grading.course import KERNEL_ARGS, REPO_ROOT, course_config, set_kernel_environment
from grading.kernel_client import CourseNotebookClient, poll_in_slices


class FakeChannel:
    """An async shell channel whose message shows up only after ``empty_polls`` polls."""

    def __init__(self, empty_polls: int | None) -> None:
        self.empty_polls = empty_polls
        self.timeouts: list[float | None] = []

    async def get_msg(self, timeout: float | None = None) -> dict:
        self.timeouts.append(timeout)
        if self.empty_polls is not None and len(self.timeouts) > self.empty_polls:
            return {"msg_type": "execute_reply"}
        await asyncio.sleep(timeout or 0)
        raise Empty


def test_a_missed_wakeup_costs_one_slice_not_the_timeout() -> None:
    channel = FakeChannel(empty_polls=3)
    poll_in_slices(channel, slice_s=0.01)
    poll_in_slices(channel, slice_s=0.01)  # idempotent: not wrapped twice
    reply = asyncio.run(channel.get_msg(timeout=600))
    assert reply == {"msg_type": "execute_reply"}
    assert len(channel.timeouts) == 4 and all(t <= 0.01 for t in channel.timeouts)


def test_the_total_timeout_still_raises_empty() -> None:
    channel = FakeChannel(empty_polls=None)
    poll_in_slices(channel, slice_s=0.05)
    start = time.monotonic()
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.2))
    assert 0.19 <= time.monotonic() - start < 1.0
    assert 4 <= len(channel.timeouts) <= 6


def test_no_timeout_polls_until_a_message_comes() -> None:
    channel = FakeChannel(empty_polls=5)
    poll_in_slices(channel, slice_s=0.001)
    assert asyncio.run(channel.get_msg(timeout=None)) == {"msg_type": "execute_reply"}
    assert channel.timeouts == [0.001] * 6


def test_autograde_runs_the_robust_execute_in_nbgraders_pipeline() -> None:
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import AssignLatePenalties, Execute

    from grading.late import SyncDueDate
    from grading.preprocessors import RobustExecute

    pipeline = course_config().Autograde.autograde_preprocessors
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert RobustExecute in pipeline and Execute not in pipeline
    assert [p for p in pipeline if p is not SyncDueDate] == [RobustExecute if p is Execute else p for p in default]
    assert pipeline.index(SyncDueDate) == pipeline.index(AssignLatePenalties) - 1, "due date synced just before"
    assert issubclass(RobustExecute, Execute)  # so every c.Execute.* setting still applies
    # both the async and the sync way of starting a kernel client are the sliced ones
    assert RobustExecute.start_new_kernel_client is not Execute.start_new_kernel_client


@pytest.mark.slow
def test_widget_demo_in_a_real_kernel() -> None:
    """The demo draws into its Output widget by state, and the cell completes."""
    set_kernel_environment()
    source = """
import numpy as np
from helpers import widgets

def compute(slope: float) -> dict:
    return {"x": np.linspace(0, 1, 5), "slope": slope}

def render(result, ax):
    ax.plot(result["x"], result["slope"] * result["x"])

demo = widgets.interactive_demo(compute, render, {"slope": widgets.float_slider("slope", 1.0, 0.0, 2.0)})
print(demo.update(slope=1.5)["slope"], len(demo.output.outputs), demo.output.outputs[0]["output_type"])
demo
"""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    client = CourseNotebookClient(nb, timeout=120, kernel_name="python3", extra_arguments=list(KERNEL_ARGS),
                                  resources={"metadata": {"path": str(REPO_ROOT)}})
    with client.setup_kernel():  # the sync path that nbgrader's Execute takes
        assert client.kc.shell_channel._polls_in_slices
        client.execute_cell(nb.cells[0], 0)
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], outputs
    assert "".join(o.get("text", "") for o in outputs if o.output_type == "stream") == "1.5 1 display_data\n"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    output_states = [s for s in client.widget_state.values() if s.get("_model_name") == "OutputModel"]
    assert len(output_states) == 1
    (png_output,) = output_states[0]["outputs"]
    assert png_output["data"]["image/png"].startswith("iVBOR")  # base64 of the PNG signature
