"""Throughput of course-wide autograding and the sandbox's overhead, on this machine.

    .venv/bin/python benchmarks/autograde_benchmark.py [--assignment A] [--students 8] [--repeats 3]

Part 1: ``students`` reference submissions of one assignment are autograded (sandboxed,
no feedback) with 1, 2 and 4 workers, each time into a fresh copy of the course; the table
gives submissions per minute and the speed-up over 1 worker.
Part 2: one reference submission is graded with ``grade_notebook`` with and without the
sandbox, alternating (and alternating which goes first), ``repeats`` times each; the table gives the medians and their ratio.
Everything is measured in one run (this machine is noisy).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, CourseLayout, source_notebooks
from grading.submissions import fill_answers


def make_course(root: Path, assignment: str, students: int) -> CourseLayout:
    from grading.release import release

    shutil.copytree(REPO_ROOT / "solutions" / assignment, root / "solutions" / assignment)
    layout = CourseLayout(root=root)
    release([assignment], layout)
    (source,) = source_notebooks(assignment, layout.path("source"))
    reference = fill_answers(nbformat.read(layout.path("release") / assignment / source.name, as_version=4),
                             nbformat.read(source, as_version=4))
    for i in range(students):
        folder = layout.path("submitted") / f"student{i:03d}" / assignment
        folder.mkdir(parents=True)
        nbformat.write(reference, folder / source.name)
    return layout


def throughput(assignment: str, students: int, workers: int) -> tuple[float, float]:
    from grading.autograde import autograde_course

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        layout = make_course(Path(tmp), assignment, students)
        start = time.perf_counter()
        report = autograde_course([assignment], layout, workers=workers, feedback=False, progress=False)
        seconds = time.perf_counter() - start
        bad = [s for s, row in report.rows.items() if row[assignment].error or row[assignment].score != row[assignment].max_score]
        if bad:
            raise SystemExit(f"benchmark submissions did not get full marks: {bad}")
    return seconds, students / seconds * 60


def sandbox_overhead(assignment: str, repeats: int) -> tuple[float, float]:
    from grading.grade_one import grade_notebook
    from grading.sandbox import require_sandbox

    require_sandbox(unsafe=False)
    (source,) = source_notebooks(assignment)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        path = Path(tmp) / source.name
        nbformat.write(fill_answers(nbformat.read(REPO_ROOT / "notebooks" / assignment / source.name, as_version=4),
                                    nbformat.read(source, as_version=4)), path)
        times: dict[bool, list[float]] = {True: [], False: []}
        for i in range(repeats):
            for sandboxed in ((True, False) if i % 2 == 0 else (False, True)):  # alternate who goes first
                start = time.perf_counter()
                grade = grade_notebook(assignment, path, sandbox=sandboxed).grade
                times[sandboxed].append(time.perf_counter() - start)
                assert grade.status == "graded" and grade.score == grade.max_score, grade.error
                assert (grade.integrity or {}).get("sandboxed") == sandboxed
    return statistics.median(times[True]), statistics.median(times[False])


def main() -> None:
    warnings.filterwarnings("ignore")  # nbgrader's SQLAlchemy autoflush notices
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_linear_regression")
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4],
                        help="worker counts to measure (none: skip part 1)")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.workers:
        print(f"\nautograde {args.students} reference submissions of {args.assignment} (sandboxed, no feedback)")
        print(f"{'workers':>7}  {'wall s':>7}  {'subs/min':>8}  {'speed-up':>8}")
    base = None
    for workers in args.workers:
        seconds, per_minute = throughput(args.assignment, args.students, workers)
        base = base or per_minute
        print(f"{workers:>7}  {seconds:>7.1f}  {per_minute:>8.2f}  {per_minute / base:>7.2f}x", flush=True)
    sandboxed, plain = sandbox_overhead(args.assignment, args.repeats)
    print(f"\ngrade one reference submission of {args.assignment}, median of {args.repeats}")
    print(f"{'sandboxed s':>11}  {'unsandboxed s':>13}  {'ratio':>6}  {'overhead s':>10}")
    print(f"{sandboxed:>11.2f}  {plain:>13.2f}  {sandboxed / plain:>6.2f}  {sandboxed - plain:>10.2f}")


if __name__ == "__main__":
    main()
