"""Reproducible, quiet set-up of numpy / TensorFlow and a short device report.

TensorFlow is imported lazily, inside the functions that need it, so importing this
module costs nothing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import platform
import random
import sys
import warnings
from types import ModuleType
from typing import Iterator

import numpy as np

__all__ = [
    "configure_tensorflow",
    "device_report",
    "quiet_warnings",
    "seed_everything",
    "setup_notebook",
]

# Modules whose warnings never help a student and would put text on stderr.
_NOISY_MODULES = r"(tensorflow|keras|tf_keras|absl|google\.protobuf|h5py|ml_dtypes)(\.|$)"


def tensorflow_available() -> bool:
    """Whether TensorFlow can be imported (without importing it)."""
    return "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is not None


@contextlib.contextmanager
def _stderr_fd_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration of the block.

    TensorFlow >= 2.20 logs through C++ absl before any log level applies, so its
    import-time INFO lines ignore TF_CPP_MIN_LOG_LEVEL; only the fd itself can be muted.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield  # no real fd 2 (unusual embedding): nothing to silence
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow(quiet: bool = True) -> ModuleType:
    """Import TensorFlow; with ``quiet``, without its start-up log lines on stderr."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    if not quiet:
        import tensorflow as tf

        return tf
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with _stderr_fd_silenced(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import tensorflow as tf
    return tf


def quiet_warnings() -> None:
    """Hide warnings that only add noise to a notebook (and zero a test cell's score).

    Ignores DeprecationWarning, PendingDeprecationWarning and FutureWarning everywhere and
    every warning raised inside TensorFlow / Keras / absl. numpy's RuntimeWarnings
    (overflow, divide by zero) stay visible: they point at real bugs in an answer.
    """
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category)
    warnings.filterwarnings("ignore", module=_NOISY_MODULES)


def seed_everything(seed: int = 0) -> None:
    """Seed python's ``random``, numpy's global generator and TensorFlow (if installed).

    Also sets ``PYTHONHASHSEED`` so that subprocesses hash strings the same way. Data
    generators in ``helpers.data`` take their own ``seed`` and do not depend on this.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if tensorflow_available():
        tf = import_tensorflow(quiet=True)
        tf.random.set_seed(seed)


def configure_tensorflow(
    memory_growth: bool = True, allow_tf32: bool = False, quiet: bool = True
) -> None:
    """Set up TensorFlow for the course; safe to call more than once.

    Args:
        memory_growth: let each GPU's memory grow on demand instead of grabbing it all.
        allow_tf32: TF32 matmuls on Ampere+ GPUs lose precision; off so that checks
            against float32 numpy (~1e-5) hold on a GPU too.
        quiet: no C++ start-up logs, Python logger and absl at ERROR, TF/Keras warnings hidden.
    """
    if quiet:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        warnings.filterwarnings("ignore", module=_NOISY_MODULES)
    tf = import_tensorflow(quiet=quiet)
    if quiet:
        tf.get_logger().setLevel("ERROR")
        try:
            from absl import logging as absl_logging

            absl_logging.set_verbosity(absl_logging.ERROR)
        except ImportError:  # absl ships with TensorFlow, but stay safe
            pass
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, memory_growth)
        except (RuntimeError, ValueError):
            # Raised once the GPU is initialised (second call, or after first use):
            # the setting from the first call stays in force.
            pass
    tf.config.experimental.enable_tensor_float_32_execution(allow_tf32)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may use (containers)
    except AttributeError:
        return os.cpu_count() or 1


def _gpu_names(tf: ModuleType) -> list[str]:
    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except (RuntimeError, ValueError):
            details = {}
        names.append(details.get("device_name") or gpu.name)
    return names


def device_report() -> str:
    """A short multi-line summary of the software and hardware a notebook runs on.

    Example::

        Python 3.11.7 | NumPy 2.4.6 | TensorFlow 2.21.0
        CPU cores: 2
        no GPU: running on CPU
    """
    versions = f"Python {platform.python_version()} | NumPy {np.__version__}"
    lines = []
    gpu_line = "no GPU: running on CPU"
    if tensorflow_available():
        tf = import_tensorflow(quiet=True)
        versions += f" | TensorFlow {tf.__version__}"
        gpus = _gpu_names(tf)
        if gpus:
            gpu_line = f"GPU ({len(gpus)}): " + ", ".join(gpus)
    else:
        versions += " | TensorFlow not installed"
    lines.append(versions)
    lines.append(f"CPU cores: {_cpu_count()}")
    lines.append(gpu_line)
    return "\n".join(lines)


def setup_notebook(seed: int = 0) -> str:
    """The one call of a notebook's setup cell; returns the device report to print.

    Quiets warnings, configures TensorFlow (memory growth, no TF32, quiet logs), seeds
    everything and applies the course's matplotlib style.
    """
    from helpers import plots

    quiet_warnings()
    if tensorflow_available():
        configure_tensorflow()
    seed_everything(seed)
    plots.use_course_style()
    return device_report()
