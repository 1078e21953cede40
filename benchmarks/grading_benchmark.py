"""Per assignment: execution time of the reference notebook, wall time of `grading grade`, overhead.

    .venv/bin/python benchmarks/grading_benchmark.py [ASSIGNMENT...] [--repeats 3]

"execute" is the time to run every cell of the reference submission in a fresh kernel
(kernel start excluded, shown separately); "grade" is the wall time of
``python -m grading grade ASSIGNMENT reference.ipynb --json`` as a subprocess (interpreter
start, nbgrader's generate_assignment and autograde, gradebook reads); "overhead" is
grade - execute. Medians over the repeats, measured in one run.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grading.course import CELL_TIMEOUT_S, KERNEL_ARGS, REPO_ROOT, list_assignments, set_kernel_environment, source_notebooks
from grading.submissions import fill_answers


def reference_submission(assignment: str, folder: Path) -> Path:
    (source,) = source_notebooks(assignment)
    release = REPO_ROOT / "notebooks" / assignment / source.name
    path = folder / assignment / source.name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill_answers(nbformat.read(release, as_version=4), nbformat.read(source, as_version=4)), path)
    return path


def time_execution(path: Path) -> tuple[float, float]:
    """(kernel start seconds, seconds to execute every cell)."""
    from grading.kernel_client import CourseNotebookClient

    nb = nbformat.read(path, as_version=4)
    client = CourseNotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", extra_arguments=list(KERNEL_ARGS),
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        done = time.perf_counter()
    return started - start, done - started


def time_grade(assignment: str, path: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", assignment, str(path), "--json"],
                          capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    set_kernel_environment()
    names = args.assignments or list_assignments()
    print(f"# grading benchmark — {platform.processor() or platform.machine()}, "
          f"{__import__('os').cpu_count()} cores, python {platform.python_version()}, repeats {args.repeats}")
    print()
    print("| assignment | kernel start (s) | execute (s) | grade wall (s) | overhead (s) | score |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for assignment in names:
            path = reference_submission(assignment, Path(tmp))
            starts, executes, grades, score = [], [], [], ""
            for _ in range(args.repeats):
                kernel_start, execute = time_execution(path)
                grade, result = time_grade(assignment, path)
                starts.append(kernel_start)
                executes.append(execute)
                grades.append(grade)
                score = f"{result['score']:g}/{result['max_score']:g}" if result["status"] == "graded" else result["error"]
            med = statistics.median
            print(f"| {assignment} | {med(starts):.1f} | {med(executes):.1f} | {med(grades):.1f} | "
                  f"{med(grades) - med(executes):.1f} | {score} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
