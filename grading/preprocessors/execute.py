"""nbgrader's ``Execute`` preprocessor, hardened for untrusted submissions.

On top of nbgrader's own ``Execute`` (all its ``c.Execute.*`` settings apply):

- the shell channel is polled in slices, so a lost wake-up cannot hang a cell
  (see ``grading.kernel_client``);
- with ``sandbox = True`` kernels start inside the sandbox (``grading.sandbox``);
- every kernel loads the runtime integrity guard (``grading.kernel_guard``) before any
  cell runs, and the guard is told before each cell whether it is the student's or a
  test; before a test it undoes monkeypatches. What it finds is recorded;
- a cell's outputs are capped at ``max_output_bytes`` while they arrive, so a 100 MB
  print costs neither the grader's memory nor the feedback file;
- when the kernel dies (crash, ``os._exit``, a sandbox limit), the cell where it died
  gets an error naming the reason, the test cells after it get a "not run" error (an
  unexecuted test cell would otherwise count as passed), and the test cells that
  completed before it keep their credit.

What happened is written to the notebook's metadata under ``course_grading``, which the
grader reads back from the autograded notebook (``grading.integrity``).
"""

from __future__ import annotations

import ast
import json
import os
import time
from queue import Empty
from time import monotonic
from pathlib import Path

import zmq
import zmq.asyncio
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from grading.course import KERNEL_ENV, GradingLimits
from grading.kernel_client import SlicedPollingMixin
from grading.trusted.apply import TIMED_OUT, not_run
from grading.sandbox import GUARD_FILE, SandboxKernelManager, SandboxPolicy
from helpers.probe import MIME as PROBE_MIME

METADATA_KEY = "course_grading"
DEFAULT_LIMITS = GradingLimits()
#: How often a wait for a kernel's reply checks that the connection is still there.
SHELL_CHECK_S = 1.0
#: How long a kernel whose connection dropped may take to die before the drop is taken for
#: an oversized message.
DEATH_GRACE_S = 5.0
GUARD_CALL = "__import__('sys').modules['_course_guard'].enter({kind!r}, {label!r})"
GUARD_EXEC_LINE = f"__import__('runpy').run_path({str(GUARD_FILE)!r})['install']()"


def cell_kind(cell: NotebookNode) -> str:
    """"test" (graded, locked), "student" (an answer or a cell the student may edit) or "other"."""
    if utils.is_grade(cell) and not utils.is_solution(cell):
        return "test"
    if utils.is_solution(cell) or not utils.is_locked(cell):
        return "student"
    return "other"


def cell_label(cell: NotebookNode, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return grade_id or f"cell {index + 1}"


def folder_snapshot(folder: str | None) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime in ns) of every regular file under ``folder`` (links not followed)."""
    found: dict[str, tuple[int, int]] = {}
    if not folder:
        return found
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            found[path] = (st.st_size, st.st_mtime_ns)
    return found


def drain_disconnects(monitor: zmq.Socket) -> bool:
    """Read every event waiting on a socket monitor; whether there was any (a disconnect)."""
    seen = False
    try:
        while monitor.poll(0):
            monitor.recv_multipart(zmq.NOBLOCK)
            seen = True
    except zmq.ZMQError:
        pass
    return seen


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


class RobustExecute(SlicedPollingMixin, Execute):
    """``Execute`` for untrusted notebooks (see the module docstring)."""

    sandbox = Bool(False, help="Run kernels inside the bubblewrap sandbox.").tag(config=True)
    guard = Bool(True, help="Load the runtime integrity guard into each kernel.").tag(config=True)
    max_output_bytes = Integer(DEFAULT_LIMITS.max_output_bytes, help="Outputs kept per cell; the rest is dropped.").tag(config=True)
    memory_mb = Integer(DEFAULT_LIMITS.memory_mb, help="Sandbox: memory limit of the kernel's processes.").tag(config=True)
    max_processes = Integer(DEFAULT_LIMITS.max_processes, help="Sandbox: most processes the kernel may run.").tag(config=True)
    max_threads = Integer(DEFAULT_LIMITS.max_threads, help="Sandbox: most threads of all its processes.").tag(config=True)
    max_disk_mb = Integer(DEFAULT_LIMITS.max_disk_mb, help="Sandbox: bytes it may write in its working folder.").tag(config=True)
    max_notebook_output_bytes = Integer(DEFAULT_LIMITS.max_notebook_output_bytes,
                                        help="Outputs kept over the whole notebook.").tag(config=True)
    max_message_bytes = Integer(DEFAULT_LIMITS.max_message_bytes,
                                help="Largest kernel message accepted; larger ones are dropped.").tag(config=True)
    cgroups = Bool(DEFAULT_LIMITS.cgroups, help="Sandbox: enforce memory and tasks with a cgroup where possible.").tag(config=True)
    max_kept_files_bytes = Integer(DEFAULT_LIMITS.max_kept_files_bytes,
                                   help="Files the kernel writes in its folder that are kept; the rest is deleted.").tag(config=True)
    notebook_timeout_s = Integer(DEFAULT_LIMITS.notebook_timeout_s, help="Sandbox: wall time for the whole notebook.").tag(config=True)
    trusted = Bool(True, help="Score graded cells from the notebook's trusted checks "
                              "(grading.trusted) when it has a check module.").tag(config=True)
    notebook_name = Unicode("", help="The notebook's name (which check module applies); by default "
                                     "nbgrader's name for it.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        if self.sandbox:
            policy = SandboxPolicy(memory_mb=self.memory_mb, max_processes=self.max_processes,
                                   max_threads=self.max_threads, max_disk_mb=self.max_disk_mb,
                                   notebook_timeout_s=self.notebook_timeout_s, cgroups=self.cgroups)
            self.kernel_manager_class = type("PolicySandboxKernelManager", (SandboxKernelManager,),
                                             {"policy": policy})
        self._death: str | None = None
        self._died_in: str | None = None
        self._findings: list[dict] = []
        self._dropped: dict[int, int] = {}
        self._kept: dict[int, int] = {}
        self._total_kept = 0
        self._dropped_message = False
        self._probe_timeouts = 0
        self._current_index = 0
        self._monitors: list = []
        self._monitors_to_close: list = []
        self._shell_monitor = None
        self._contexts: list = []
        self._last_km = None
        self._kind, self._label = "other", ""
        self._verdicts: dict = {}
        self._trusted_done = False
        self._probe_bytes = 0
        self._checks = self._load_checks(resources or {})
        folder = (resources or {}).get("metadata", {}).get("path")
        before = folder_snapshot(folder)
        self._folder, self._folder_before = folder, before
        try:
            nb, resources = super().preprocess(nb, resources, km)
            if self._checks is not None and not self._trusted_done:
                self._replay_and_check(nb)
            if self._checks is not None:
                self._apply_verdicts(nb)
        finally:
            self._collect_sandbox_events()
            self._remove_links(folder)
            self._prune_files(folder, before)
            self._close_contexts()
        nb.metadata[METADATA_KEY] = {
            "died_in": self._died_in, "death": self._death,
            "sandbox": bool(self.sandbox), "findings": self._findings,
            "trusted": None if self._checks is None else {k: v.as_dict() for k, v in self._verdicts.items()},
        }
        return nb, resources

    async def async_start_new_kernel(self, **kwargs):
        # Here, not in preprocess(): nbconvert re-reads c.Execute.extra_arguments in between.
        arguments = [a for a in self.extra_arguments if not a.startswith("--IPKernelApp.exec_lines")]
        if self.guard:
            arguments.append(f"--IPKernelApp.exec_lines={GUARD_EXEC_LINE}")
        self.extra_arguments = arguments
        # Grading settings reach grading kernels only (not JupyterLab's, which share this
        # process's environment when formgrader autogrades): passed here, not exported.
        kwargs["env"] = {**dict(kwargs.get("env") or os.environ), **KERNEL_ENV}
        return await super().async_start_new_kernel(**kwargs)

    # nbclient binds the sync twin to its own coroutine; nbconvert's setup_kernel calls it.
    start_new_kernel = run_sync(async_start_new_kernel)

    def create_kernel_manager(self):
        km = self._last_km = super().create_kernel_manager()  # nbclient drops self.km at cleanup
        make_client = km.client

        def client(**kwargs):
            # ZeroMQ refuses a larger message while reading its header, before the grader
            # allocates memory for it; the kernel's connection is dropped and reconnects.
            context = zmq.asyncio.Context()
            context.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
            self._contexts.append(context)
            kc = make_client(context=context, **kwargs)
            return kc

        km.client = client
        return km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self._watch_iopub(kc)
        self._watch_shell(kc)
        return kc

    def _watch_shell(self, kc) -> None:
        """An oversized reply (a huge payload, or a forged guard answer) makes ZeroMQ drop the
        shell connection for good, and the reply would be awaited until the cell's timeout:
        poll the connection's monitor while waiting, and give up on that reply at once."""
        monitor = kc.shell_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._shell_monitor = (monitor, zmq.Socket.shadow(monitor.underlying))
        self._monitors_to_close.append(monitor)
        channel = kc.shell_channel
        if getattr(channel, "_watched", False):
            return
        sliced = channel.get_msg

        async def get_msg(timeout: float | None = None):
            deadline = None if timeout is None else monotonic() + timeout
            while True:
                step = SHELL_CHECK_S if deadline is None else min(SHELL_CHECK_S, max(0.0, deadline - monotonic()))
                try:
                    return await sliced(timeout=step)
                except Empty:
                    if self._shell_dropped(kc):
                        raise  # nbclient's timeout path: interrupt, error_on_timeout in the cell
                    if deadline is not None and monotonic() >= deadline:
                        raise

        channel.get_msg = get_msg
        channel._watched = True

    def _shell_dropped(self, kc) -> bool:
        dropped = drain_disconnects(self._shell_monitor[1])
        if dropped and not self._survives_disconnect():
            return False  # the kernel died, and its connection with it: nbclient reports that
        if dropped:
            old = kc.shell_channel.socket
            kc.shell_channel.socket = kc.connect_shell(identity=kc.session.bsession)
            old.close(linger=0)
            self._watch_shell(kc)
            self._dropped_message = True
        return dropped

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def _watch_iopub(self, kc) -> None:
        monitor = kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        # read without the event loop; the asyncio socket owns it and is kept for closing
        self._monitors.append((monitor, zmq.Socket.shadow(monitor.underlying)))

    def _message_dropped(self) -> bool:
        """Whether ZeroMQ dropped the output connection, as it does on an oversized message
        (a protocol error: it does not reconnect by itself). If so, reconnect and wait until
        output flows again, so the next cell loses nothing."""
        dropped = any([drain_disconnects(monitor) for _, monitor in self._monitors])  # drain them all
        if not dropped or self.kc is None or self.km is None:
            return dropped
        if not self._survives_disconnect():
            return False  # the kernel died, and its connection with it
        old = self.kc.iopub_channel.socket
        self.kc.iopub_channel.socket = self.kc.connect_iopub()
        old.close(linger=0)
        self._watch_iopub(self.kc)
        run_sync(self.kc._async_wait_for_ready)(timeout=self.startup_timeout)
        return True

    def _survives_disconnect(self, grace_s: float = DEATH_GRACE_S) -> bool:
        """After a dropped connection: whether the kernel is still alive ``grace_s`` later
        (a kernel the sandbox kills drops its connections a moment before it is gone)."""
        if self.km is None:
            return False
        deadline = monotonic() + grace_s
        while run_sync(self.km.is_alive)():
            if monotonic() > deadline:
                return True
            time.sleep(0.1)
        return False

    def _close_contexts(self) -> None:
        for monitor in self._monitors_to_close:
            monitor.close(linger=0)
        for monitor, _ in self._monitors:
            monitor.close(linger=0)
        for context in self._contexts:
            context.destroy(linger=0)
        self._monitors, self._contexts, self._monitors_to_close = [], [], []

    def preprocess_cell(self, cell, resources, index):
        cell, resources = self._preprocess_one_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1 and self._checks is not None and not self._death:
            self._run_trusted_checks(self.nb, len(self.nb.cells))
        return cell, resources

    def _preprocess_one_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        label = cell_label(cell, index)
        if self._death:
            cell.outputs = [error_output("KernelDied", f"not run: {self._death}")] if utils.is_grade(cell) else []
            return cell, resources
        self._kind, self._label = cell_kind(cell), label
        self._current_index = index
        try:
            if self.guard:
                self._tell_guard(self._kind, label)
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError as exc:
            # The reply came but the output never finished: a dropped oversized message took
            # the closing "idle" with it, or the kernel is still flooding the output channel.
            # Either way this cell's output is incomplete: noted below (a test cell fails).
            if "IOPub" not in str(exc):
                raise
            self._dropped_message = True
        except DeadKernelError:
            self._died_in = label
            self._death = f"the kernel died in {label}: {self._death_reason()}"
            cell.outputs.append(error_output("KernelDied", self._death))
        dropped = self._dropped.get(index)
        if dropped:
            cell.outputs.append(NotebookNode(
                output_type="stream", name="stdout",
                text=f"\n[grading: {dropped} more bytes of output were dropped; the limits are "
                     f"{self.max_output_bytes} bytes per cell and {self.max_notebook_output_bytes} "
                     "bytes per notebook]\n"))
        if not self._death and (self._message_dropped() or self._dropped_message):
            self._dropped_message = False
            note = (f"the kernel sent a message larger than {self.max_message_bytes} bytes or more output than "
                    "could be received; it was dropped, and other output of this cell may be lost with it")
            # Lost output may include a test's error: a test cell never passes that way.
            cell.outputs.append(error_output("OutputDropped", note) if self._kind == "test" else
                                NotebookNode(output_type="stream", name="stdout", text=f"\n[grading: {note}]\n"))
            self._add_finding("output", f"a kernel message over {self.max_message_bytes} bytes, or more output than "
                                        "could be received, was dropped", label)
        return cell, resources

    def clear_output(self, outs, msg, cell_index):
        if self._kind == "probe":
            return super().clear_output(outs, msg, cell_index)
        if self._kind == "test":  # clearing a test's error would turn it into a pass
            self._add_finding("tamper", "code tried to clear a test cell's output; ignored", self._label)
            return None
        return super().clear_output(outs, msg, cell_index)

    def output(self, outs, msg, display_id, cell_index):
        if self._kind == "probe":
            # the checker's request: only its answer (or the request's own error) is read,
            # and nothing of it is kept in the notebook
            content = msg.get("content", {})
            if not (msg["msg_type"] == "error" or (msg["msg_type"] == "display_data"
                                                   and PROBE_MIME in (content.get("data") or {}))):
                return None
            size = len(json.dumps(content))
            if self._probe_bytes + size > self.max_message_bytes:
                return None
            self._probe_bytes += size
            return super().output(outs, msg, None, cell_index)
        if self._kind == "test" and msg["msg_type"] == "execute_result":
            # nbgrader reads a test cell's first result as its score; course tests display
            # none (tests/test_notebook_standard.py), so one here came from student code.
            self._add_finding("tamper", "code displayed a result inside a test cell (nbgrader would read "
                                        "it as the score); ignored", self._label)
            return None
        content = msg.get("content", {})
        if msg["msg_type"] == "error":
            content["ename"] = str(content.get("ename", ""))[:200]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(t)[:2000] for t in content.get("traceback", [])[-30:]]
            size = len(json.dumps(content))
            if size > self._room(cell_index):
                # An error decides a test's grade, so the cell's first one is always kept
                # (short); more errors over the caps are dropped like any output.
                if any(o.get("output_type") == "error" for o in outs):
                    self._drop(cell_index, size)
                    return None
                content["evalue"] = content["evalue"][:200]
                content["traceback"] = [t[:200] for t in content["traceback"][-1:]]
                size = len(json.dumps(content))
            self._count(cell_index, size)
            return super().output(outs, msg, display_id, cell_index)
        size = len(json.dumps(content))
        room = self._room(cell_index)
        if size > room and self._kind == "test" and msg["msg_type"] == "stream" and content.get("name") == "stderr" \
                and not any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs):
            room = max(room, 200)  # stderr costs a test its points (nbgrader): never drop all of it
        if size > room:
            if msg["msg_type"] == "stream" and room > 0:
                text = str(content.get("text", ""))[:room]
                msg = {**msg, "content": {**content, "text": text}}
                self._drop(cell_index, size - room)
                self._count(cell_index, room)
                return super().output(outs, msg, display_id, cell_index)
            self._drop(cell_index, size)
            return None
        self._count(cell_index, size)
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        """``update_display`` replaces the data of earlier outputs: under the same caps."""
        if self._kind == "probe":
            # after the last cell nothing may change what the notebook shows (hidden inputs)
            self._add_finding("tamper", "code updated an earlier output while the grader checked it; ignored",
                              self._label)
            return None
        content = msg.get("content", {})
        size = len(json.dumps({"data": content.get("data"), "metadata": content.get("metadata")}))
        places = [(c, i) for c, indices in self._display_id_map.get(display_id, {}).items() for i in indices]
        grow: dict[int, int] = {}
        for cell_idx, out_idx in places:
            try:
                old = self.nb.cells[cell_idx].outputs[out_idx]
                before = len(json.dumps({"data": old.get("data"), "metadata": old.get("metadata")}))
            except (IndexError, AttributeError):
                before = 0
            grow[cell_idx] = grow.get(cell_idx, 0) + size - before
        if any(g > 0 and g > self._room(c) for c, g in grow.items()):
            self._drop(self._current_index, size)
            return None
        for cell_idx, g in grow.items():
            self._count(cell_idx, g)
        return super()._update_display_id(display_id, msg)

    def _room(self, cell_index: int) -> int:
        """Bytes of output the cell may still add: per cell, and over the whole notebook."""
        return max(0, min(self.max_output_bytes - self._kept.get(cell_index, 0),
                          self.max_notebook_output_bytes - self._total_kept))

    def _count(self, cell_index: int, size: int) -> None:
        self._kept[cell_index] = self._kept.get(cell_index, 0) + size
        self._total_kept += size

    def _drop(self, cell_index: int, size: int) -> None:
        self._dropped[cell_index] = self._dropped.get(cell_index, 0) + size

    def _remove_links(self, folder: str | None) -> None:
        """Symbolic links and special files the kernel left in its folder go before
        nbgrader writes there (it follows links: a link named like the notebook would
        make nbgrader overwrite its target, say the gradebook)."""
        if not folder:
            return
        for root, dirs, files in os.walk(folder):  # does not follow links
            for name in dirs + files:
                path = Path(root) / name
                if path.is_symlink() or not (path.is_file() or path.is_dir()):
                    target = os.readlink(path) if path.is_symlink() else "a special file"
                    path.unlink(missing_ok=True)
                    self._add_finding("file-access", f"left {path.name} -> {target} in its folder; removed", "")

    def _prune_files(self, folder: str | None, before: dict[str, tuple[int, int]]) -> None:
        """Files the kernel wrote in its folder are kept up to ``max_kept_files_bytes`` (smallest
        first); the rest is deleted, so a submission cannot fill the grader's disk or hand
        files back through the autograded folder."""
        if not folder:
            return
        written = [(size, path) for path, (size, mtime) in folder_snapshot(folder).items()
                   if before.get(path) != (size, mtime)]
        kept, removed, removed_bytes = 0, [], 0
        for size, path in sorted(written):
            if kept + size <= self.max_kept_files_bytes:
                kept += size
                continue
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(os.path.relpath(path, folder))
            removed_bytes += size
        if removed:
            shown = ", ".join(removed[:5]) + (f" and {len(removed) - 5} more" if len(removed) > 5 else "")
            self._add_finding("file-access", f"wrote {len(removed)} file(s), {removed_bytes / 2**20:.1f} MB, in "
                              f"its folder beyond the {self.max_kept_files_bytes / 2**20:.0f} MB kept; "
                              f"deleted: {shown}", "")

    # ------------------------------------------------------------------ trusted checks
    def _load_checks(self, resources: dict) -> dict | None:
        """The notebook's trusted checks (``grading.trusted.registry``), or ``None``."""
        if not self.trusted:
            return None
        from grading.trusted.registry import checks_of

        name = self.notebook_name or resources.get("nbgrader", {}).get("notebook") or resources.get("unique_key", "")
        return checks_of(str(name)) if name else None

    def _graded_ids(self, nb, before: int) -> list[str]:
        return [cell_label(c, i) for i, c in enumerate(nb.cells[:before])
                if c.cell_type == "code" and cell_kind(c) == "test" and not not_run(c)]

    def _run_trusted_checks(self, nb, before: int) -> None:
        """Every check of the graded cells before index ``before``, against the running kernel.

        Runs after the notebook's cells: nothing the student's code sees during the checks
        (the hidden inputs) can reach the notebook's outputs any more.
        """
        from grading.trusted.runner import Verdict, run_checks
        from grading.trusted.student import KernelStudent

        self._trusted_done = True
        graded = self._graded_ids(nb, before)
        # The source notebook's order (the check module's), not the submission's: a student who
        # moves a later test cell up would otherwise get its reference stand-ins into the kernel
        # before the functions they stand in for are checked.
        source_order = list(self._checks or {})
        graded.sort(key=lambda gid: source_order.index(gid) if gid in source_order else len(source_order))
        timed_out = {cell_label(c, i) for i, c in enumerate(nb.cells[:before]) if cell_label(c, i) in graded
                     and any(o.get("ename") in TIMED_OUT for o in c.get("outputs", []))}
        student = KernelStudent(self._probe, max_bytes=self.max_message_bytes)
        nb.cells.append(NotebookNode(cell_type="code", source="", metadata={}, outputs=[], execution_count=None))
        self._probe_slot = len(nb.cells) - 1
        try:
            # A test that ran out of time in the notebook may have lost only its reply (a dropped
            # message) or a busy moment: it is checked again, until one such re-check runs out of
            # time too; the rest would only do the same, at one cell timeout each. Always in the
            # source notebook's order: later checks hand reference stand-ins to the kernel, which an
            # earlier function checked after them could pick up.
            self._verdicts, gave_up = {}, False
            for grade_id in graded:
                if grade_id in timed_out and gave_up:
                    self._verdicts[grade_id] = Verdict(grade_id, False, "this test did not finish within the time "
                                                       "limit in your notebook (an endless loop, or far too slow?)")
                    continue
                before_timeouts = self._probe_timeouts
                self._verdicts.update(run_checks(self._checks, student, [grade_id]))
                gave_up = gave_up or (grade_id in timed_out and self._probe_timeouts > before_timeouts)
        finally:
            nb.cells.pop()

    def _probe(self, code: str) -> list:
        from grading.trusted.student import ProbeError

        if self._death:
            raise ProbeError(self._death)
        cell = NotebookNode(cell_type="code", source=code, metadata={}, outputs=[], execution_count=None)
        self._kind, self._probe_bytes = "probe", 0
        try:
            self.execute_cell(cell, self._probe_slot, store_history=False)
        except DeadKernelError:
            self._death = f"the kernel died while the grader checked it: {self._death_reason()}"
            self._died_in = self._died_in or "the checks"
            raise ProbeError(self._death) from None
        except CellTimeoutError as exc:
            self._probe_timeouts += 1
            raise ProbeError(f"no answer in time ({str(exc)[:200]})") from None
        if self._message_dropped():
            raise ProbeError(f"the answer was larger than {self.max_message_bytes} bytes")
        if any(o.get("ename") in TIMED_OUT for o in cell.outputs):
            self._probe_timeouts += 1
        return list(cell.outputs)

    def _replay_and_check(self, nb) -> None:
        """The kernel died (or stopped) before the checks ran: run the cells before the one
        where it died again in a fresh kernel, then check the graded cells among them."""
        died_at = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not_run(c)), len(nb.cells))
        if not self._graded_ids(nb, died_at):
            return
        death, died_in = self._death, self._died_in
        self._death = None
        for _, monitor in self._monitors:  # the dead kernel's connections, not the new one's
            drain_disconnects(monitor)
        if self._shell_monitor:
            drain_disconnects(self._shell_monitor[1])
        copies = [NotebookNode(cell_type="code", source=c.source, metadata=c.metadata, outputs=[],
                               execution_count=None) for c in nb.cells[:died_at] if c.cell_type == "code"]
        # What the dead kernel wrote goes first: a folder it filled would stop the new one at once.
        self._prune_files(self._folder, self._folder_before)
        scratch = self.nb if getattr(self, "nb", None) is not None else nb
        try:
            with self.setup_kernel():
                scratch.cells.append(NotebookNode(cell_type="code", source="", metadata={}, outputs=[],
                                                  execution_count=None))
                slot = len(scratch.cells) - 1
                try:
                    for copy in copies:
                        self._kind, self._label = "probe", "replay"
                        self._probe_bytes = 0
                        self.execute_cell(copy, slot, store_history=True)
                finally:
                    scratch.cells.pop()
                self._run_trusted_checks(nb, died_at)
        except Exception as exc:  # noqa: BLE001 - the cells after the death keep their "not run" error
            self._verdicts = {gid: self._verdicts.get(gid) for gid in self._graded_ids(nb, died_at)
                              if self._verdicts.get(gid) is not None}
            self._add_finding("kernel", f"the checks of the cells before the kernel's death could not be run "
                                        f"again ({type(exc).__name__}: {str(exc)[:200]})", died_in or "")
        finally:
            self._death, self._died_in = death or self._death, died_in or self._died_in

    def _apply_verdicts(self, nb) -> None:
        from grading.trusted.apply import apply_verdict
        from grading.trusted.runner import Verdict

        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or cell_kind(cell) != "test" or not_run(cell):
                continue
            grade_id = cell_label(cell, index)
            verdict = self._verdicts.get(grade_id) or Verdict(
                grade_id, False, "the grader could not check this cell: " + (self._death or "no verdict"))
            finding = apply_verdict(cell, verdict)
            if finding:
                self._add_finding(finding["event"], finding["detail"], finding["cell"])

    # ------------------------------------------------------------------ the guard
    def _tell_guard(self, kind: str, label: str) -> None:
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={"guard": GUARD_CALL.format(kind=kind, label=label)})
            reply = self.wait_for_reply(msg_id)
            result = reply["content"]["user_expressions"]["guard"]
            if result.get("status") != "ok":
                raise RuntimeError(f"{result.get('ename')}: {result.get('evalue')}")
            self._findings += json.loads(ast.literal_eval(result["data"]["text/plain"]))
        except DeadKernelError:
            raise
        except Exception as exc:  # noqa: BLE001 (any failure here is itself the finding)
            self._add_finding("guard", f"the integrity guard did not answer before {label} "
                                       f"({type(exc).__name__}: {str(exc)[:200]})", label)

    def _add_finding(self, event: str, detail: str, cell: str) -> None:
        item = {"event": event, "detail": detail, "cell": cell}
        if item not in self._findings:
            self._findings.append(item)

    def _death_reason(self) -> str:
        status = self.km.status() if isinstance(self.km, SandboxKernelManager) else {}
        return status.get("reason") or "the kernel process ended (a crash such as a segmentation fault, os._exit, or running out of memory)"

    def _collect_sandbox_events(self) -> None:
        """Events the guard wrote to the launcher's append-only file (they survive a crash)."""
        km = self._last_km
        if not isinstance(km, SandboxKernelManager):
            return
        events_file: Path = km.events_file()
        try:
            lines = events_file.read_text(errors="replace").splitlines()[:1000]
        except OSError:
            lines = []
        for line in lines:
            try:
                item = json.loads(line)
                self._add_finding(str(item["event"]), str(item["detail"])[:300], str(item["cell"]))
            except (ValueError, KeyError, TypeError):
                self._add_finding("guard", "a line in the guard's event log was not written by the guard", "")
        km.cleanup_kernel_dir()
