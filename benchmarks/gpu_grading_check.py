"""GPU check for grading: every notebook's reference submission graded with and without the GPU.

    .venv/bin/python benchmarks/gpu_grading_check.py [ASSIGNMENT...]

Run on a machine with an NVIDIA GPU and ``pip install -e '.[gpu]'``. First it proves the
GPU is visible to TensorFlow inside the grading sandbox (the device files are bound in),
then grades each assignment's reference submission twice in the sandbox: with
``CUDA_VISIBLE_DEVICES=-1`` (CPU) and with the GPU, and prints one table (seconds, score,
ratio). Record the output in docs/benchmarks.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grading.course import REPO_ROOT, list_assignments, set_kernel_environment, source_notebooks
from grading.submissions import fill_answers


def gpus_in_sandbox() -> str:
    """What TensorFlow lists as GPUs when run in a sandboxed kernel."""
    from grading.kernel_client import CourseNotebookClient
    from grading.sandbox import SandboxKernelManager

    nb = new_notebook(cells=[new_code_cell(
        "import tensorflow as tf\nprint([d.name for d in tf.config.list_physical_devices('GPU')])")],
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    with tempfile.TemporaryDirectory() as tmp:
        CourseNotebookClient(nb, kernel_manager_class=SandboxKernelManager, timeout=300,
                             resources={"metadata": {"path": tmp}}).execute()
    return "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()


def grade(assignment: str, folder: Path, gpu: bool) -> tuple[float, str]:
    from grading.grade_one import grade_notebook

    (source,) = source_notebooks(assignment)
    path = folder / assignment / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill_answers(nbformat.read(REPO_ROOT / "notebooks" / assignment / source.name, as_version=4),
                                nbformat.read(source, as_version=4)), path)
    saved = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = (saved or "0") if gpu else "-1"
    try:
        start = time.perf_counter()
        result = grade_notebook(assignment, path).grade
        seconds = time.perf_counter() - start
    finally:
        os.environ.pop("CUDA_VISIBLE_DEVICES")
        if saved is not None:
            os.environ["CUDA_VISIBLE_DEVICES"] = saved
    status = f"{result.score:g}/{result.max_score:g}" if result.status == "graded" else f"ERROR {result.error}"
    return seconds, status


def main() -> None:
    set_kernel_environment()
    print(f"GPUs seen by TensorFlow inside the sandbox: {gpus_in_sandbox()}", flush=True)
    names = sys.argv[1:] or list_assignments()
    print(f"{'assignment':<24} {'cpu s':>7} {'gpu s':>7} {'cpu/gpu':>7}  score cpu | gpu")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            cpu, cpu_status = grade(name, Path(tmp) / "cpu", gpu=False)
            gpu, gpu_status = grade(name, Path(tmp) / "gpu", gpu=True)
            print(f"{name:<24} {cpu:>7.1f} {gpu:>7.1f} {cpu / gpu:>7.2f}  {cpu_status} | {gpu_status}", flush=True)


if __name__ == "__main__":
    main()
