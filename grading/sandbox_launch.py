"""``python -m grading.sandbox_launch -f CONNECTION_FILE [KERNEL ARGS...]``: the sandbox's kernelspec command.

Runs outside the sandbox (it is the grader's code): starts ``ipykernel`` inside ``bwrap``
(see ``grading.sandbox``) and watches it until it exits. Limits are enforced twice:

- by the Linux kernel, where a cgroup can be made (``grading.cgroups``): memory (shared
  memory and ``memfd`` files included) and tasks (threads and processes);
- by a watchdog that polls the sandbox every 50 ms and kills all of it at a limit: memory
  (resident memory + what is stored in its ``/tmp`` and ``/dev/shm`` + ``memfd`` files),
  processes, threads, bytes in its working folder, wall time of the notebook.

Either way the reason is written to ``status.json`` in the kernel's private folder, where
the grader reads it to name the reason in the report. When the grading worker that started
the launcher dies (the watchdog sees the launcher handed to another parent), the launcher
kills the sandbox and exits; if the launcher itself is killed, ``bwrap --die-with-parent``
takes the kernel with it. So a killed worker leaves no orphans. The kernel's own stdout and stderr
are kept (last 64 KiB) in ``kernel.log`` there, not in the grader's terminal.
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

from grading import cgroups
from grading.sandbox import POLICY_ENV, SHM_BYTES, TMPFS_BYTES, SandboxPolicy, bwrap_argv, sandbox_env

POLL_S = 0.05
#: Walking the working folder costs more than reading /proc: every 20th poll (1 s).
DISK_POLL_EVERY = 20
LOG_TAIL_BYTES = 64 * 1024
EVENTS_LIMIT_BYTES = 1024 * 1024


def split_args(argv: list[str]) -> tuple[Path, list[str]]:
    """The connection file (after ``-f``) and the remaining kernel arguments."""
    if "-f" not in argv or argv.index("-f") + 1 >= len(argv):
        raise SystemExit("usage: python -m grading.sandbox_launch -f CONNECTION_FILE [ARGS...]")
    i = argv.index("-f")
    return Path(argv[i + 1]).resolve(), argv[:i] + argv[i + 2:]


def tree_processes(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root] + root.children(recursive=True)
    except psutil.Error:
        return []


def tree_usage(root: psutil.Process) -> tuple[int, int, int]:
    """(memory bytes, processes, threads) of ``root`` and all its descendants.

    Memory is resident memory plus ``memfd`` files the processes hold open (memory that
    is in no address space until mapped), each file counted once.
    """
    rss, count, threads = 0, 0, 0
    memfds: dict[tuple[int, int], int] = {}
    for proc in tree_processes(root):
        try:
            rss += proc.memory_info().rss
            threads += proc.num_threads()
            count += 1
        except psutil.Error:
            continue
        memfds.update(memfd_sizes(proc.pid))
    return rss + sum(memfds.values()), count, threads


def memfd_sizes(pid: int) -> dict[tuple[int, int], int]:
    """(device, inode) -> size of each ``memfd`` file ``pid`` has open."""
    out: dict[tuple[int, int], int] = {}
    folder = f"/proc/{pid}/fd"
    try:
        names = os.listdir(folder)
    except OSError:
        return out
    for name in names:
        path = f"{folder}/{name}"
        try:
            if os.readlink(path).startswith("/memfd:"):
                st = os.stat(path)
                out[(st.st_dev, st.st_ino)] = st.st_size
        except OSError:
            continue
    return out


def sandboxed_pid(root: psutil.Process) -> int | None:
    """A process of the tree that lives in the sandbox's own mount namespace (not bwrap's
    outer process, which still sees the host's /tmp), or None before there is one."""
    try:
        own = os.readlink("/proc/self/ns/mnt")
        for proc in root.children(recursive=True):
            if os.readlink(f"/proc/{proc.pid}/ns/mnt") != own:
                return proc.pid
    except (OSError, psutil.Error):
        return None
    return None


def tmpfs_usage(root: psutil.Process) -> int:
    """Bytes stored in the sandbox's in-memory /tmp and /dev/shm."""
    pid = sandboxed_pid(root)
    if pid is None:
        return 0
    used = 0
    for mount, size in (("tmp", TMPFS_BYTES), ("dev/shm", SHM_BYTES)):
        try:
            st = os.statvfs(f"/proc/{pid}/root/{mount}")
        except OSError:
            continue
        # Only the sandbox's own tmpfs (while bwrap sets up, the path is still the host's).
        if st.f_blocks * st.f_frsize == size:
            used += (st.f_blocks - st.f_bfree) * st.f_frsize
    return used


def folder_bytes(folder: Path) -> int:
    """Disk bytes under ``folder`` (allocated blocks, so sparse files count what they use)."""
    total = 0
    for root, dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue
    return total


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


def child_setup(policy: SandboxPolicy, group: cgroups.Cgroup | None):
    """In the child before exec: into the cgroup, and no file larger than the disk limit."""
    limit = policy.max_disk_mb * 2**20

    def setup() -> None:
        if group is not None:
            group.add_self()
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return setup


def copy_events(fd: int, path: Path, limit: int = EVENTS_LIMIT_BYTES) -> None:
    """Append what the guard writes to ``fd`` to ``path``, up to ``limit`` bytes."""
    written = 0
    with open(fd, "rb", buffering=0) as pipe, open(path, "ab", buffering=0) as out:
        for chunk in iter(lambda: pipe.read(65536), b""):
            if written < limit:
                out.write(chunk[: limit - written])
                written += len(chunk)


def over_limit(root: psutil.Process, policy: SandboxPolicy, started: float, workdir: Path | None,
               check_disk: bool, socket_dir: Path | None = None) -> str | None:
    """Which limit the sandbox is over right now, or None."""
    memory, count, threads = tree_usage(root)
    memory += tmpfs_usage(root)
    if memory > policy.memory_mb * 2**20:
        return (f"memory limit exceeded: the kernel used {memory / 2**20:.0f} MB, counting /tmp, "
                f"/dev/shm and memfd files (limit {policy.memory_mb} MB)")
    if count > policy.max_processes + 2:  # bwrap itself runs two processes
        return f"process limit exceeded: more than {policy.max_processes} processes"
    if threads >= policy.max_threads:
        return f"thread limit exceeded: {threads} threads (limit {policy.max_threads})"
    if check_disk and workdir is not None:
        # the socket folder is writable too (the kernel binds its sockets there)
        used = folder_bytes(workdir) + (folder_bytes(socket_dir) if socket_dir else 0)
        if used > policy.max_disk_mb * 2**20:
            return (f"disk limit exceeded: {used / 2**20:.0f} MB written in the working folder "
                    f"(limit {policy.max_disk_mb} MB)")
    if time.monotonic() - started > policy.notebook_timeout_s:
        return f"notebook time limit exceeded ({policy.notebook_timeout_s} s)"
    return None


def watch(proc: subprocess.Popen, policy: SandboxPolicy, workdir: Path | None = None,
          group: cgroups.Cgroup | None = None, parent: int | None = None,
          socket_dir: Path | None = None) -> str | None:
    """Wait for ``proc`` to end; kill it at a limit and return why (None if it ended itself).
    ``parent``: the grading process that started the launcher (read when the launcher started)."""
    root = psutil.Process(proc.pid)
    started = time.monotonic()
    parent = parent or os.getppid()
    polls = 0
    while proc.poll() is None:
        if os.getppid() != parent:  # the grading worker died: nobody will read this kernel
            kill_tree(root)
            proc.wait()
            return "the grading process that started the kernel ended"
        reason = over_limit(root, policy, started, workdir, check_disk=polls % DISK_POLL_EVERY == 0,
                            socket_dir=socket_dir)
        polls += 1
        if reason:
            kill_tree(root)
            proc.wait()
            return reason
        time.sleep(POLL_S)
    if group is not None and group.memory_exhausted():
        return f"memory limit exceeded (limit {policy.memory_mb} MB, enforced by the Linux kernel)"
    return None


def main(argv: list[str] | None = None) -> int:
    parent = os.getppid()  # before anything else: the worker may die while the sandbox starts
    # The grading worker's own memory cap (RLIMIT_DATA) is not the kernel's: undo it for the
    # sandbox, whose memory the cgroup and the watchdog limit.
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    resource.setrlimit(resource.RLIMIT_DATA, (hard, hard))
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
    workdir = Path.cwd().resolve()
    argv_ = bwrap_argv(workdir, socket_dir, connection_file, kernel_argv, env)
    # The cgroup's task limit sits above the watchdog's, so the watchdog names the reason.
    group = cgroups.create(policy.memory_mb * 2**20, policy.max_threads + 64) if policy.cgroups else None
    (status_dir / "limits.json").write_text(json.dumps({"cgroup": f"v{group.version}" if group else None}))
    proc = subprocess.Popen(argv_, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, pass_fds=(events_write,),
                            preexec_fn=child_setup(policy, group))
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
    try:
        reason = watch(proc, policy, workdir, group, parent=parent, socket_dir=socket_dir)
    finally:
        if group is not None:
            group.remove()
    reader.join(timeout=2)
    recorder.join(timeout=2)
    (status_dir / "kernel.log").write_bytes(b"".join(tail))
    if reason:
        (status_dir / "status.json").write_text(json.dumps({"reason": reason}))
        print(f"grading sandbox: {reason}", file=sys.stderr)
    return proc.returncode if proc.returncode is not None else 1


if __name__ == "__main__":
    sys.exit(main())
