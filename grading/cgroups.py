"""Hard memory and task limits for one grading kernel, enforced by the Linux kernel (cgroups).

The sandbox launcher (``grading.sandbox_launch``) puts the sandbox in a cgroup of its own
where the machine lets it create one:

- **cgroup v2** when the launcher's own cgroup delegates the ``memory`` and ``pids``
  controllers to its children (``cgroup.subtree_control``), e.g. a systemd unit with
  ``Delegate=yes``: ``memory.max`` (with ``memory.swap.max = 0``) and ``pids.max``;
- **cgroup v1** when the ``memory`` and ``pids`` hierarchies are mounted and writable (as
  root in many containers): ``memory.limit_in_bytes`` (and ``memory.memsw.limit_in_bytes``
  where swap accounting exists) and ``pids.max``.

Either way the kernel charges everything the sandbox allocates, shared memory in
``/dev/shm`` and ``memfd`` files included, and counts threads as well as processes.
Where neither works, ``create`` returns None and the launcher's watchdog is the only limit
(it runs in both cases and names the reason). ``docs/grading.md`` says which applies where.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """controller name (or "" for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for name in (controllers.split(",") if controllers else [""]):
            paths[name] = path
    return paths


def _mounts() -> dict[str, tuple[Path, str]]:
    """controller (or "" for v2) -> (mount point, root of the mount) from /proc/self/mountinfo."""
    mounts: dict[str, tuple[Path, str]] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or not extra:
            continue
        root, point, fstype = fields[3], Path(fields[4]), extra[0]
        if fstype == "cgroup2":
            mounts.setdefault("", (point, root))
        elif fstype == "cgroup" and len(extra) >= 3:
            for option in extra[2].split(","):
                if option in ("memory", "pids"):
                    mounts[option] = (point, root)
    return mounts


def _folder(mount: tuple[Path, str], path: str) -> Path:
    point, root = mount
    relative = os.path.relpath(path, root) if root != "/" else path.lstrip("/")
    return point if relative in (".", "") else point / relative


@dataclass
class Cgroup:
    """One cgroup (v2) or a pair of memory/pids cgroups (v1) holding a sandbox."""

    version: int
    folders: list[Path] = field(default_factory=list)

    @property
    def memory(self) -> Path:
        return self.folders[0]

    @property
    def pids(self) -> Path:
        return self.folders[-1]

    def add_self(self) -> None:
        """Move the calling process in (called in the child before ``exec``)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def _read(self, folder: Path, name: str) -> str:
        try:
            return (folder / name).read_text()
        except OSError:
            return ""

    def _events(self, folder: Path, name: str) -> dict[str, int]:
        out = {}
        for line in self._read(folder, name).splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                out[key] = int(value)
        return out

    def memory_exhausted(self) -> bool:
        """Whether the memory limit was hit hard enough for the kernel's OOM killer to act."""
        if self.version == 2:
            events = self._events(self.memory, "memory.events")
            return events.get("oom_kill", 0) > 0 or events.get("oom", 0) > 0
        control = self._events(self.memory, "memory.oom_control")
        return control.get("oom_kill", 0) > 0 or control.get("under_oom", 0) > 0

    def tasks_exhausted(self) -> bool:
        """Whether a fork or a new thread was refused at the task limit."""
        return self._events(self.pids, "pids.events").get("max", 0) > 0

    def pids_in_use(self) -> list[int]:
        return [int(p) for folder in self.folders for p in self._read(folder, "cgroup.procs").split()]

    def remove(self, timeout_s: float = 10.0) -> None:
        """Kill what is left inside and delete the cgroup folders."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = self.pids_in_use()
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for folder in self.folders:
                try:
                    folder.rmdir()
                except OSError:
                    pass
            if not any(f.exists() for f in self.folders) or time.monotonic() > deadline:
                return
            time.sleep(0.05)


def _write(folder: Path, name: str, value: str, required: bool = True) -> None:
    try:
        (folder / name).write_text(value)
    except OSError:
        if required:
            raise


def create(memory_bytes: int, max_tasks: int, prefix: str = "grading-") -> Cgroup | None:
    """A new cgroup with these limits, or None where this machine lets us make none."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    own, mounts = _own_paths(), _mounts()
    made: list[Path] = []
    try:
        if "" in own and "" in mounts:
            parent = _folder(mounts[""], own[""])
            enabled = set((parent / "cgroup.subtree_control").read_text().split()) if (parent / "cgroup.subtree_control").exists() else set()
            if {"memory", "pids"} <= enabled:
                folder = parent / name
                folder.mkdir()
                made.append(folder)
                _write(folder, "memory.max", str(memory_bytes))
                _write(folder, "memory.swap.max", "0", required=False)
                _write(folder, "pids.max", str(max_tasks))
                return Cgroup(version=2, folders=[folder])
        if {"memory", "pids"} <= set(mounts) and {"memory", "pids"} <= set(own):
            memory = _folder(mounts["memory"], own["memory"]) / name
            pids = _folder(mounts["pids"], own["pids"]) / name
            memory.mkdir()
            made.append(memory)
            pids.mkdir()
            made.append(pids)
            _write(memory, "memory.limit_in_bytes", str(memory_bytes))
            _write(memory, "memory.memsw.limit_in_bytes", str(memory_bytes), required=False)
            _write(pids, "pids.max", str(max_tasks))
            return Cgroup(version=1, folders=[memory, pids])
    except OSError:
        for folder in reversed(made):
            try:
                folder.rmdir()
            except OSError:
                pass
    return None


def available() -> str | None:
    """"cgroup v2" / "cgroup v1" when limits can be enforced by the kernel here, else None."""
    group = create(64 * 2**20, 64, prefix="grading-probe-")
    if group is None:
        return None
    group.remove()
    return f"cgroup v{group.version}"
