"""A process pool where a dead worker costs one job, not the whole run.

Each worker is a ``multiprocessing`` process (spawn) with its own pipe and runs one job at a
time, so the parent always knows which job a worker holds. When a worker ends without
sending a result (killed by the out-of-memory killer, ``os._exit``, a segfault), that one
job is reported as failed with the reason and a new worker takes over the remaining jobs.
Workers still running when the pool stops (an interrupt, an exception in the parent) are
terminated.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator

#: How long a worker may take to exit once asked to (then it is killed).
STOP_TIMEOUT_S = 10


@dataclass
class Outcome:
    """What became of ``jobs[index]``: its ``result``, or why there is none (``error``)."""

    index: int
    job: Any
    result: Any = None
    error: str | None = None


def how_it_died(exitcode: int | None) -> str:
    """The exit status of a worker, in words."""
    if exitcode is None:
        return "it did not exit"
    if exitcode >= 0:
        return f"exited with status {exitcode}"
    if -exitcode == signal.SIGKILL:
        return f"killed by signal {-exitcode}, e.g. the out-of-memory killer"
    try:
        name = signal.Signals(-exitcode).name
    except ValueError:
        name = "unknown"
    return f"killed by signal {-exitcode} ({name})"


def _serve(conn, func: Callable) -> None:
    """A worker: run ``func`` on each ``(index, job)`` received, send back ``(index, result, error)``."""
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            index, job = task
            try:
                reply = (index, func(job), None)
            except Exception as exc:  # noqa: BLE001 (the job failed, the worker goes on)
                reply = (index, None, f"{type(exc).__name__}: {exc}")
            try:
                conn.send(reply)
            except Exception as exc:  # noqa: BLE001 (e.g. a result that cannot be pickled)
                conn.send((index, None, f"the result could not be sent back: {type(exc).__name__}: {exc}"))
    except (EOFError, KeyboardInterrupt):  # the pool is gone or stopping
        return


class _Worker:
    def __init__(self, ctx, func: Callable):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, func), name="grading-worker")
        self.process.start()
        child.close()
        self.task: tuple[int, Any] | None = None
        self.served = 0

    def give(self, task: tuple[int, Any]) -> None:
        self.task = task
        try:
            self.conn.send(task)
        except OSError:  # it died already: its sentinel says so and the job is reported
            pass

    def receive(self) -> tuple | None:
        """The reply to the current task, or None when the worker died without one."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (EOFError, OSError):
            return None

    def stop(self) -> None:
        """Ask an idle worker to exit; terminate a busy one."""
        if self.process.is_alive():
            try:
                if self.task is None:
                    self.conn.send(None)
                else:
                    self.process.terminate()
            except OSError:
                pass

    def reap(self) -> None:
        self.process.join(STOP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def as_finished(func: Callable, jobs: list, workers: int,
                describe: Callable[[Any], str] = str) -> Iterator[Outcome]:
    """Run ``func(job)`` for every job in at most ``workers`` processes; yield an ``Outcome``
    per job as it finishes. ``func`` must be picklable (a module-level function). A job that
    raises, or whose worker dies, comes back with ``error`` (``describe(job)`` names it)."""
    ctx = multiprocessing.get_context("spawn")
    todo = deque(enumerate(jobs))
    size = max(1, min(workers, len(jobs)))
    pool: list[_Worker] = []
    try:
        while todo or any(w.task is not None for w in pool):
            for worker in [w for w in pool if w.task is None and w.served and not w.process.is_alive()]:
                pool.remove(worker)  # it died between jobs: no job lost
                worker.reap()
            while todo and len(pool) < size:
                pool.append(_Worker(ctx, func))
            for worker in pool:
                if worker.task is None and todo:
                    worker.give(todo.popleft())
            ready = wait([w.process.sentinel for w in pool] + [w.conn for w in pool if w.task is not None])
            for worker in list(pool):
                if worker.process.sentinel not in ready and worker.conn not in ready:
                    continue
                reply = worker.receive() if worker.task is not None else None
                if reply is not None:
                    index, result, error = reply
                    job = worker.task[1]
                    worker.task = None
                    worker.served += 1
                    if error is not None:
                        error = f"grading {describe(job)} failed: {error}"
                    yield Outcome(index, job, result, error)
                    continue
                # No reply: the worker ended (idle, or holding a job it never answered).
                pool.remove(worker)
                worker.reap()
                if worker.task is not None:
                    index, job = worker.task
                    yield Outcome(index, job, error=(
                        f"the grading worker (pid {worker.process.pid}) died "
                        f"({how_it_died(worker.process.exitcode)}) while grading {describe(job)}"))
    finally:
        for worker in pool:
            worker.stop()
        for worker in pool:
            worker.reap()


def in_order(func: Callable, jobs: list, workers: int, describe: Callable[[Any], str] = str) -> list[Outcome]:
    """``as_finished``, collected in the order of ``jobs``."""
    return sorted(as_finished(func, jobs, workers, describe), key=lambda o: o.index)
