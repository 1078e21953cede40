"""Grade several notebooks at once, each in its own process and scratch course."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from grading.grade_one import GradeRun, grade_notebook


def _grade(job: tuple) -> GradeRun:
    assignment, notebook, kwargs = job
    return grade_notebook(assignment, Path(notebook), **kwargs)


def default_workers() -> int:
    """One worker per core, at most 4: each kernel is itself multi-threaded."""
    return max(1, min(4, os.cpu_count() or 1))


def grade_many(jobs: list[tuple[str, Path, dict]], workers: int | None = None) -> list[GradeRun]:
    """Run ``grade_notebook(assignment, notebook, **kwargs)`` for each job; results in order."""
    workers = workers or default_workers()
    if workers == 1 or len(jobs) == 1:
        return [_grade(job) for job in jobs]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=ctx) as pool:
        return list(pool.map(_grade, jobs))
