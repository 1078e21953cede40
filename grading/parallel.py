"""Grade several notebooks at once, each in its own process and scratch course."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT
from grading.grade_one import GradeRun, _error, grade_notebook, pick_source_notebook
from grading.pool import in_order
from grading.results import max_points, written_points


def _grade(job: tuple) -> GradeRun:
    assignment, notebook, kwargs = job
    return grade_notebook(assignment, Path(notebook), **kwargs)


def default_workers() -> int:
    """One worker per core, at most 4: each kernel is itself multi-threaded."""
    return max(1, min(4, os.cpu_count() or 1))


def grade_many(jobs: list[tuple[str, Path, dict]], workers: int | None = None) -> list[GradeRun]:
    """Run ``grade_notebook(assignment, notebook, **kwargs)`` for each job; results in order.
    A job whose worker process dies (e.g. the out-of-memory killer) gets an error grade
    naming why; the other jobs are still graded."""
    workers = workers or default_workers()
    if workers == 1 or len(jobs) == 1:
        return [_grade(job) for job in jobs]
    outcomes = in_order(_grade, jobs, workers, describe=lambda job: f"{job[0]}/{Path(job[1]).name}")
    return [o.result if o.error is None else _failed(o.job, o.error) for o in outcomes]


def _failed(job: tuple, reason: str) -> GradeRun:
    """An error grade for a job whose worker died (or raised), like ``grade_notebook``'s own."""
    assignment, notebook, kwargs = job
    try:
        source = pick_source_notebook(assignment, Path(notebook), Path(kwargs.get("source_dir") or REPO_ROOT / "solutions"))
        nb = nbformat.read(source, as_version=4)
        name, total, written = source.stem, max_points(nb), written_points(nb)
    except Exception:  # noqa: BLE001 (the reason matters, not the maximum)
        name, total, written = Path(notebook).stem, 0.0, 0.0
    return GradeRun(_error(assignment, name, reason, total, written))
