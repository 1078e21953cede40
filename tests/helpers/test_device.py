"""helpers.device: seeding repeats draws, TensorFlow set-up is quiet and repeatable."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import device

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_hash_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    # seed_everything writes PYTHONHASHSEED; let monkeypatch put the old value back.
    monkeypatch.setenv("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED", "random"))


def draws() -> tuple[float, np.ndarray]:
    return random.random(), np.random.rand(3)


def test_seed_everything_repeats_python_and_numpy_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "tensorflow_available", lambda: False)
    device.seed_everything(7)
    first = draws()
    device.seed_everything(7)
    second = draws()
    device.seed_everything(8)
    third = draws()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[1], third[1])
    assert os.environ["PYTHONHASHSEED"] == "8"


def test_seed_everything_repeats_tensorflow_draws() -> None:
    device.seed_everything(3)
    import tensorflow as tf

    first = tf.random.uniform([4]).numpy()
    device.seed_everything(3)
    second = tf.random.uniform([4]).numpy()
    device.seed_everything(4)
    third = tf.random.uniform([4]).numpy()
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, third)


def test_configure_tensorflow_twice_disables_tf32() -> None:
    device.configure_tensorflow()
    device.configure_tensorflow()  # safe to repeat (GPU settings already fixed)
    import tensorflow as tf

    assert tf.config.experimental.tensor_float_32_execution_enabled() is False
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    device.configure_tensorflow(allow_tf32=True)
    assert tf.config.experimental.tensor_float_32_execution_enabled() is True
    device.configure_tensorflow()
    assert tf.config.experimental.tensor_float_32_execution_enabled() is False


def test_device_report() -> None:
    import tensorflow as tf

    report = device.device_report()
    lines = report.splitlines()
    assert 3 <= len(lines) <= 5
    assert f"NumPy {np.__version__}" in lines[0]
    assert f"TensorFlow {tf.__version__}" in lines[0]
    assert lines[0].startswith("Python 3.")
    assert "CPU cores:" in report
    if tf.config.list_physical_devices("GPU"):
        assert "GPU (" in report
    else:
        assert "no GPU: running on CPU" in report


def test_device_report_without_tensorflow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "tensorflow_available", lambda: False)
    report = device.device_report()
    assert "TensorFlow not installed" in report
    assert "no GPU: running on CPU" in report


def test_setup_notebook_in_fresh_process_is_silent() -> None:
    # A notebook's setup cell: nothing may reach stderr (TF's C++ start-up logs included),
    # and a Keras warning raised by student code must stay hidden.
    code = (
        "from helpers import device\n"
        "report = device.setup_notebook(seed=5)\n"
        "import matplotlib as mpl, numpy as np, tensorflow as tf, keras\n"
        "keras.layers.Dense(2, input_shape=(3,))\n"
        "a = (np.random.rand(), float(tf.random.uniform([])))\n"
        "device.seed_everything(5)\n"
        "b = (np.random.rand(), float(tf.random.uniform([])))\n"
        "print(report)\n"
        "print('repeat', a == b, 'grid', mpl.rcParams['axes.grid'])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")}
    env["MPLBACKEND"] = "Agg"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "TensorFlow" in result.stdout
    assert "repeat True grid True" in result.stdout
