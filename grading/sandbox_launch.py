"""``python -m grading.sandbox_launch -f CONNECTION_FILE [KERNEL ARGS...]``: the sandbox's kernelspec command.

Runs outside the sandbox (it is the grader's code): starts ``ipykernel`` inside ``bwrap``
(see ``grading.sandbox``) and watches it until it exits. It kills the whole sandbox when
the kernel uses more memory or processes than the policy allows, or outlives the
per-notebook time limit, and writes why to ``status.json`` in the kernel's private folder,
where the grader reads it to name the reason in the report. The kernel's own stdout and
stderr are kept (last 64 KiB) in ``kernel.log`` there, not in the grader's terminal.
"""

from __future__ import annotations

import collections
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from grading.sandbox import MAX_FILE_BYTES, POLICY_ENV, SandboxPolicy, bwrap_argv, sandbox_env

POLL_S = 0.05
LOG_TAIL_BYTES = 64 * 1024
EVENTS_LIMIT_BYTES = 1024 * 1024


def split_args(argv: list[str]) -> tuple[Path, list[str]]:
    """The connection file (after ``-f``) and the remaining kernel arguments."""
    if "-f" not in argv or argv.index("-f") + 1 >= len(argv):
        raise SystemExit("usage: python -m grading.sandbox_launch -f CONNECTION_FILE [ARGS...]")
    i = argv.index("-f")
    return Path(argv[i + 1]).resolve(), argv[:i] + argv[i + 2:]


def tree_usage(root: psutil.Process) -> tuple[int, int]:
    """(resident bytes, process count) of ``root`` and all its descendants."""
    rss, count = 0, 0
    try:
        procs = [root] + root.children(recursive=True)
    except psutil.Error:
        return 0, 0
    for proc in procs:
        try:
            rss += proc.memory_info().rss
            count += 1
        except psutil.Error:
            continue
    return rss, count


def kill_tree(root: psutil.Process) -> None:
    try:
        procs = root.children(recursive=True) + [root]
    except psutil.Error:
        procs = [root]
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass


def keep_tail(stream, tail: collections.deque) -> None:
    """Read the kernel's output to the end, keeping only the last ``LOG_TAIL_BYTES``."""
    size = 0
    for chunk in iter(lambda: stream.read1(65536), b""):
        tail.append(chunk)
        size += len(chunk)
        while size - len(tail[0]) >= LOG_TAIL_BYTES:
            size -= len(tail.popleft())


def limit_file_size() -> None:
    """In the child before exec: no file the kernel writes may exceed ``MAX_FILE_BYTES``."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))


def copy_events(fd: int, path: Path, limit: int = EVENTS_LIMIT_BYTES) -> None:
    """Append what the guard writes to ``fd`` to ``path``, up to ``limit`` bytes."""
    written = 0
    with open(fd, "rb", buffering=0) as pipe, open(path, "ab", buffering=0) as out:
        for chunk in iter(lambda: pipe.read(65536), b""):
            if written < limit:
                out.write(chunk[: limit - written])
                written += len(chunk)


def watch(proc: subprocess.Popen, policy: SandboxPolicy) -> str | None:
    """Wait for ``proc`` to end; kill it at a limit and return why (None if it ended itself)."""
    root = psutil.Process(proc.pid)
    started = time.monotonic()
    limit_bytes = policy.memory_mb * 1024 * 1024
    while proc.poll() is None:
        rss, count = tree_usage(root)
        reason = None
        if rss > limit_bytes:
            reason = (f"memory limit exceeded: the kernel used {rss / 2**20:.0f} MB "
                      f"(limit {policy.memory_mb} MB)")
        elif count > policy.max_processes + 2:  # bwrap itself runs two processes
            reason = f"process limit exceeded: more than {policy.max_processes} processes"
        elif time.monotonic() - started > policy.notebook_timeout_s:
            reason = f"notebook time limit exceeded ({policy.notebook_timeout_s} s)"
        if reason:
            kill_tree(root)
            proc.wait()
            return reason
        time.sleep(POLL_S)
    return None


def main(argv: list[str] | None = None) -> int:
    connection_file, kernel_args = split_args(list(sys.argv[1:] if argv is None else argv))
    policy = SandboxPolicy.from_env(os.environ.get(POLICY_ENV))
    status_dir = Path(policy.status_dir or connection_file.parent)
    socket_dir = Path(json.loads(connection_file.read_text())["ip"]).parent
    # The guard's events come through a pipe this process copies to a file: the student's
    # code can add lines but cannot truncate or rewrite what was already recorded.
    events_read, events_write = os.pipe()
    env = sandbox_env(dict(os.environ))
    env["COURSE_GUARD_FD"] = str(events_write)
    kernel_argv = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file), *kernel_args]
    argv_ = bwrap_argv(Path.cwd().resolve(), socket_dir, connection_file, kernel_argv, env)
    proc = subprocess.Popen(argv_, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, pass_fds=(events_write,), preexec_fn=limit_file_size)
    os.close(events_write)
    tail: collections.deque = collections.deque()
    reader = threading.Thread(target=keep_tail, args=(proc.stdout, tail), daemon=True)
    reader.start()
    recorder = threading.Thread(target=copy_events, args=(events_read, status_dir / "events.jsonl"), daemon=True)
    recorder.start()

    def stop(signum, frame):  # the kernel manager's kill/terminate reaches the sandbox too
        kill_tree(psutil.Process(proc.pid))

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts come as control messages
    reason = watch(proc, policy)
    reader.join(timeout=2)
    recorder.join(timeout=2)
    (status_dir / "kernel.log").write_bytes(b"".join(tail))
    if reason:
        (status_dir / "status.json").write_text(json.dumps({"reason": reason}))
        print(f"grading sandbox: {reason}", file=sys.stderr)
    return proc.returncode if proc.returncode is not None else 1


if __name__ == "__main__":
    sys.exit(main())
