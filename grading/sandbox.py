"""The sandbox every untrusted grading kernel runs in (Debian's ``bubblewrap``).

nbgrader stays the engine: it starts kernels through a kernel manager, and the sandbox is
only a different kernelspec. ``SandboxKernelManager`` hands nbclient a kernelspec whose
command is ``python -m grading.sandbox_launch``; that launcher (trusted, outside the
sandbox) starts ``ipykernel`` inside ``bwrap`` and watches it.

Inside the sandbox the kernel
- has no network (its own network namespace), so it talks to the grader over Unix
  sockets in a private per-kernel folder (ZeroMQ's ``ipc`` transport) instead of TCP;
- sees the operating system, the Python installation and ``helpers/`` read-only, its
  own notebook folder read-write, and a private ``/tmp`` and ``$HOME``; it cannot see
  ``solutions/``, the gradebook, other students' folders or the grader's home;
- is killed when it uses more memory or processes than the policy allows, or runs longer
  than the per-notebook limit (the per-cell limit is nbgrader's ``Execute.timeout``).
The GPU device files are bound in when present, so TensorFlow still finds the GPU.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

from grading.course import GradingLimits

REPO_ROOT = Path(__file__).resolve().parent.parent
GUARD_FILE = Path(__file__).resolve().parent / "kernel_guard.py"
POLICY_ENV = "GRADING_SANDBOX_POLICY"
#: Size of the sandbox's in-memory /tmp and /dev/shm (both count towards its memory).
TMPFS_BYTES = 1024 * 2**20
SHM_BYTES = 256 * 2**20
#: Where a kernel's socket folder, status and event files live (short: Unix socket paths
#: are limited to 107 bytes).
KERNEL_DIR_PREFIX = "gk-"

#: The few files of /etc that programs need; the rest (e.g. /etc/shadow) stays hidden.
ETC_FILES = (
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "fonts", "ssl", "localtime",
    "passwd", "group", "nsswitch.conf", "hosts", "mime.types", "matplotlibrc",
)


class SandboxUnavailableError(RuntimeError):
    """No working sandbox tool: grading untrusted code needs ``--unsafe`` to proceed."""


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits for one grading kernel. ``status_dir`` is filled in per kernel by the manager."""

    memory_mb: int = GradingLimits.memory_mb
    max_processes: int = GradingLimits.max_processes
    max_threads: int = GradingLimits.max_threads
    max_disk_mb: int = GradingLimits.max_disk_mb
    notebook_timeout_s: int = GradingLimits.notebook_timeout_s
    #: Let the Linux kernel enforce memory and tasks (``grading.cgroups``) where it can.
    cgroups: bool = True
    status_dir: str = ""

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls, text: str | None) -> "SandboxPolicy":
        return cls(**json.loads(text)) if text else cls()


@functools.lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """Why no sandbox can be made on this machine, or None when ``bwrap`` works."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return ("bubblewrap is not installed (Debian: apt-get install bubblewrap); without it "
                "student code would run with the grader's own permissions")
    probe = subprocess.run(
        [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev",
         "--proc", "/proc", "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap cannot create namespaces here ({detail}); enable unprivileged user "
                "namespaces or run the grader where they work")
    return None


def require_sandbox(unsafe: bool) -> bool:
    """Whether to sandbox: True when possible; without a sandbox, only with ``unsafe``."""
    problem = sandbox_problem()
    if problem is None:
        return True
    if unsafe:
        return False
    raise SandboxUnavailableError(
        f"refusing to run untrusted submissions: {problem}. Pass --unsafe to grade without a "
        "sandbox (only for code you trust).")


def python_roots() -> list[Path]:
    """Folders the kernel's interpreter needs: the base installation and the environment."""
    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    return sorted(roots)


def gpu_device_files() -> list[str]:
    """NVIDIA device nodes to bind into the sandbox (none on a CPU machine)."""
    return sorted(str(p) for p in Path("/dev").glob("nvidia*")) + (
        ["/dev/dxg"] if Path("/dev/dxg").exists() else [])


def bwrap_argv(workdir: Path, socket_dir: Path, connection_file: Path,
               kernel_argv: list[str], env: dict[str, str]) -> list[str]:
    """The ``bwrap`` command that runs ``kernel_argv`` in the sandbox described above."""
    argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--clearenv"]
    for name, value in env.items():
        argv += ["--setenv", name, value]
    for top in ("usr", "bin", "lib", "lib32", "lib64", "libx32", "sbin"):
        argv += ["--ro-bind-try", f"/{top}", f"/{top}"]
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # /tmp and /dev/shm live in memory: each has a size, and the watchdog (and a cgroup,
    # where there is one) counts what is in them as the kernel's memory.
    argv += ["--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev",
             "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
             "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", "--dir", env["HOME"]]
    for device in gpu_device_files():
        argv += ["--dev-bind", device, device]
    for root in python_roots():
        argv += ["--ro-bind", str(root), str(root)]
    for shared in (REPO_ROOT / "helpers", REPO_ROOT / "data", GUARD_FILE, *data_folders(env)):
        argv += ["--ro-bind-try", str(shared), str(shared)]
    argv += ["--bind", str(socket_dir), str(socket_dir),
             "--ro-bind", str(connection_file), str(connection_file),
             "--bind", str(workdir), str(workdir), "--chdir", str(workdir)]
    # bwrap's own / and /dev are unbounded in-memory filesystems: read-only once set up, so
    # the kernel writes only where a limit applies (its folder, /tmp, /dev/shm, the sockets).
    argv += ["--remount-ro", "/dev", "--remount-ro", "/"]
    return argv + ["--"] + kernel_argv


def data_folders(env: dict[str, str]) -> list[Path]:
    """Optional data the notebooks read from disk (``helpers.data``): bound read-only."""
    return [Path(env[k]) for k in ("COURSE_DATA_DIR", "KERAS_HOME") if env.get(k)]


def sandbox_env(policy_env: dict[str, str]) -> dict[str, str]:
    """The environment inside the sandbox: nothing of the grader's but what kernels need."""
    keep = ("LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES",
            "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_FORCE_GPU_ALLOW_GROWTH",
            "TF_DETERMINISTIC_OPS", "PYTHONHASHSEED", "PYTHONWARNINGS", "OMP_NUM_THREADS",
            "COURSE_DATA_DIR", "COURSE_HEAVY_RUNS")
    env = {k: policy_env[k] for k in keep if k in policy_env}
    # Keras's dataset cache of the grader, read-only (the sandbox's own $HOME is empty).
    keras_home = policy_env.get("KERAS_HOME") or str(Path(policy_env.get("HOME", str(Path.home()))) / ".keras")
    if Path(keras_home).is_dir():
        env["KERAS_HOME"] = keras_home
    env.update({
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "MPLCONFIGDIR": "/tmp/home/.matplotlib",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYTHONNOUSERSITE": "1",
        "COURSE_SANDBOX": "1",
    })
    return env


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run inside the sandbox.

    Each kernel gets a private folder ``gk-*/`` with ``sock/`` (bound into the sandbox, the
    ZeroMQ sockets) beside ``status.json`` and ``events.jsonl`` (written by the launcher,
    outside the student's reach).
    """

    policy = SandboxPolicy()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kernel_dir = Path(tempfile.mkdtemp(prefix=KERNEL_DIR_PREFIX))
        (self.kernel_dir / "sock").mkdir(mode=0o700)
        self.transport = "ipc"
        self.ip = str(self.kernel_dir / "sock" / "k")

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "grading.sandbox_launch", "-f", "{connection_file}"],
            display_name="Python 3 (grading sandbox)", language="python",
            interrupt_mode="message", env={}, metadata={})

    async def _async_pre_start_kernel(self, **kw):
        env = dict(kw.get("env") or os.environ)
        policy = SandboxPolicy(**{**asdict(type(self).policy), "status_dir": str(self.kernel_dir)})
        env[POLICY_ENV] = policy.to_env()
        kw["env"] = env
        return await super()._async_pre_start_kernel(**kw)

    def status(self) -> dict:
        """What the launcher recorded: ``{"reason": ...}`` when it killed the kernel."""
        try:
            return json.loads((self.kernel_dir / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def events_file(self) -> Path:
        return self.kernel_dir / "events.jsonl"

    def cleanup_kernel_dir(self) -> None:
        shutil.rmtree(self.kernel_dir, ignore_errors=True)
