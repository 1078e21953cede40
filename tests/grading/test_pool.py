"""A dead grading worker costs one submission: the others are graded, nothing is orphaned.

The pool itself is checked with jobs that kill their own process, exit, segfault or raise.
Then notebook 01 is graded for a few students, by ``autograde_course`` and by
``grade_many``, while the worker grading one student (whose answer sleeps) is killed with
SIGKILL, as the out-of-memory killer would: that student gets an error naming the dead
worker, everyone else a full score, and no sandbox launcher, bwrap or kernel of the dead
worker survives it.
"""

from __future__ import annotations

import copy
import csv
import ctypes
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grading.course import REPO_ROOT, CourseLayout, GradingLimits
from grading.pool import as_finished, in_order

A = "01_linear_regression"
NB = "linear_regression.ipynb"
LIMITS = GradingLimits(cell_timeout_s=120, notebook_timeout_s=900, memory_mb=2048, max_processes=32)
#: Generous: the suite runs on busy 2-core machines; nothing below depends on speed.
FIND_DEADLINE_S = 600
ORPHAN_DEADLINE_S = 60
#: Written by the victim's kernel (in its working folder) once it runs the student's code.
SLEEPING = "kernel-is-sleeping"
SLEEPER = (f"import pathlib, time\npathlib.Path({SLEEPING!r}).touch()\n"
           "time.sleep(600)  # the test kills this student's grading worker meanwhile\n")


def job(arg):
    """A pool job: ``(kind, value)``; returns ``(value * 2, pid)`` unless ``kind`` says otherwise."""
    kind, value = arg
    if kind == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif kind == "exit":
        os._exit(3)
    elif kind == "segfault":
        ctypes.string_at(0)
    elif kind == "raise":
        raise ValueError(f"bad {value}")
    elif kind == "pair":  # returns whether another "pair" job ran at the same time
        folder = Path(value)
        (folder / str(os.getpid())).touch()
        end = time.monotonic() + 300
        while len(list(folder.iterdir())) < 2 and time.monotonic() < end:
            time.sleep(0.05)
        return len(list(folder.iterdir())) >= 2, os.getpid()
    elif kind == "sleep":
        (Path(value) / str(os.getpid())).touch()
        time.sleep(600)
    return value * 2, os.getpid()


def test_a_dead_worker_costs_one_job_and_is_replaced(tmp_path):
    jobs = [("ok", 1), ("kill", 2), ("ok", 3), ("raise", 4), ("exit", 5), ("ok", 6), ("segfault", 7),
            ("ok", 8), ("pair", str(tmp_path)), ("pair", str(tmp_path))]
    outcomes = in_order(job, jobs, workers=2, describe=lambda j: f"job-{j[1]}")
    assert [o.index for o in outcomes] == list(range(len(jobs)))
    errors = {o.job[0]: o.error for o in outcomes if o.error}
    assert set(errors) == {"kill", "raise", "exit", "segfault"}, errors
    assert errors["kill"].endswith("died (killed by signal 9, e.g. the out-of-memory killer) while grading job-2")
    assert errors["kill"].startswith("the grading worker (pid ")
    assert errors["raise"] == "grading job-4 failed: ValueError: bad 4"
    assert "died (exited with status 3) while grading job-5" in errors["exit"]
    assert "died (killed by signal 11 (SIGSEGV)) while grading job-7" in errors["segfault"]
    assert [o.result[0] for o in outcomes if o.job[0] == "ok"] == [2, 6, 12, 16]
    # Both workers were back for the last two jobs: each saw the other running.
    pairs = [o.result for o in outcomes if o.job[0] == "pair"]
    assert [seen for seen, _ in pairs] == [True, True] and pairs[0][1] != pairs[1][1]


def test_results_come_as_they_finish_and_workers_do_not_outlive_the_pool(tmp_path):
    jobs = [("sleep", str(tmp_path)), ("sleep", str(tmp_path)), ("ok", 21)]
    results = as_finished(job, jobs, workers=3)
    first = next(results)
    assert (first.index, first.result[0]) == (2, 42)
    end = time.monotonic() + FIND_DEADLINE_S
    while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < end:
        time.sleep(0.05)
    sleepers = [psutil.Process(int(p.name)) for p in tmp_path.iterdir()]
    assert len(sleepers) == 2
    results.close()  # what an interrupt or an exception in the parent does
    gone, alive = psutil.wait_procs(sleepers, timeout=ORPHAN_DEADLINE_S)
    assert not alive


# --- real grading ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """A released course with notebook 01: the layout, the reference and blank submissions, full score."""
    from grading.release import release
    from grading.submissions import fill_answers

    root = tmp_path_factory.mktemp("pool-course")
    shutil.copytree(REPO_ROOT / "solutions" / A, root / "solutions" / A)
    layout = CourseLayout(root=root)
    release([A], layout)
    source = nbformat.read(layout.path("source") / A / NB, as_version=4)
    blank = nbformat.read(layout.path("release") / A / NB, as_version=4)
    reference = fill_answers(blank, source)
    sleeper = copy.deepcopy(reference)
    first_answer = next(c for c in sleeper.cells
                        if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    first_answer.source = first_answer.source.rstrip() + "\n" + SLEEPER
    meta = [c.get("metadata", {}).get("nbgrader", {}) for c in source.cells]
    full = sum(m["points"] for m in meta if m.get("grade") and not m.get("solution"))
    return layout, {"reference": reference, "blank": blank, "sleeper": sleeper}, full


def _kill_worker_running(folder: Path, found: list, done: threading.Event) -> None:
    """Once the victim's kernel runs its sleeping cell in ``folder``, SIGKILL the pool worker
    (a child of this process) above that kernel's sandbox launcher; record (worker pid, its
    descendants: launcher, bwrap, kernel)."""
    me = os.getpid()
    end = time.monotonic() + FIND_DEADLINE_S
    while not done.is_set() and time.monotonic() < end:
        if not any(folder.rglob(SLEEPING)):
            time.sleep(0.2)
            continue
        for proc in psutil.Process(me).children(recursive=True):
            try:
                if ("grading.sandbox_launch" in " ".join(proc.cmdline())
                        and Path(proc.cwd()).resolve().is_relative_to(folder.resolve())):
                    worker = proc
                    while worker.ppid() != me:
                        worker = worker.parent()
                    tree = worker.children(recursive=True)
                    names = {" ".join(p.cmdline()[:3]) for p in tree}
                    worker.kill()
                    found.append((worker.pid, tree, names))
                    return
            except (psutil.Error, AttributeError):  # it ended meanwhile
                continue
        time.sleep(0.2)


def _run_while_killing(folder: Path, grade):
    """``grade()``, while the worker that grades in ``folder`` is killed; (result, killed pid, tree)."""
    found: list = []
    done = threading.Event()
    killer = threading.Thread(target=_kill_worker_running, args=(folder, found, done), daemon=True)
    killer.start()
    try:
        result = grade()
    finally:
        done.set()
        killer.join()
    assert found, f"no grading kernel was ever seen in {folder}"
    killed, tree, names = found[0]
    assert any("ipykernel_launcher" in name for name in names), names
    return result, killed, tree


def _leftovers(root: Path, tree: list[psutil.Process]) -> list[str]:
    """Live sandbox launchers, bwraps and kernels working for ``root``, and live descendants
    of the dead worker."""
    out = []
    for proc in psutil.process_iter():
        try:
            cmd = " ".join(proc.cmdline())
            if (not any(k in cmd for k in ("grading.sandbox_launch", "ipykernel_launcher", "bwrap"))
                    or proc.status() == psutil.STATUS_ZOMBIE):
                continue
            try:
                cwd = proc.cwd()
            except psutil.Error:
                cwd = ""
            if str(root) in cmd or cwd.startswith(str(root)):
                out.append(f"{proc.pid} {cmd[:300]}")
        except psutil.Error:
            continue
    listed = {int(line.split()[0]) for line in out}
    for proc in tree:
        try:
            if proc.pid not in listed and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(f"{proc.pid} (a child of the dead worker) {' '.join(proc.cmdline())[:300]}")
        except psutil.Error:
            continue
    return out


def _assert_nothing_left(root: Path, tree: list[psutil.Process]) -> None:
    end = time.monotonic() + ORPHAN_DEADLINE_S
    while (left := _leftovers(root, tree)) and time.monotonic() < end:
        time.sleep(0.5)
    assert not left, "processes outlived the dead worker:\n" + "\n".join(left)


@pytest.mark.slow
def test_autograde_with_a_killed_worker_grades_everyone_else(notebooks, tmp_path):
    from nbgrader.api import Gradebook, MissingEntry

    from grading.autograde import autograde_course

    base, subs, full = notebooks
    layout = CourseLayout(root=tmp_path / "course")
    shutil.copytree(base.root, layout.root)
    students = {"s1": "reference", "s2_victim": "sleeper", "s3": "reference", "s4": "reference"}
    for student, kind in students.items():
        folder = layout.path("submitted") / student / A
        folder.mkdir(parents=True)
        nbformat.write(subs[kind], folder / NB)

    victim = layout.path("autograded") / "s2_victim"
    report, killed, tree = _run_while_killing(victim, lambda: autograde_course(
        [A], layout, workers=2, limits=LIMITS, progress=False))

    assert report.rows["s2_victim"][A].error == (
        f"the grading worker (pid {killed}) died (killed by signal 9, e.g. the out-of-memory killer) "
        f"while grading s2_victim/{A}")
    for student in ("s1", "s3", "s4"):
        cell = report.rows[student][A]
        assert cell.error is None and cell.score == cell.max_score == full, (student, cell)
    with Gradebook(layout.db_url, "dl-course") as gb:
        for student in ("s1", "s3", "s4"):
            assert gb.find_submission(A, student).score == full
        with pytest.raises(MissingEntry):
            gb.find_submission(A, "s2_victim")
    with open(report.csv_path) as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert all(float(rows[s]["score"]) == full for s in ("s1", "s3", "s4"))
    assert "s2_victim" not in rows or float(rows["s2_victim"]["score"] or 0) == 0
    assert not victim.exists() or not any(victim.rglob("*.ipynb"))
    _assert_nothing_left(layout.root, tree)


@pytest.mark.slow
def test_grade_many_with_a_killed_worker_keeps_the_other_results(notebooks, tmp_path):
    from grading.parallel import grade_many

    base, subs, full = notebooks
    jobs = []
    for name in ("reference", "sleeper", "blank"):
        path = tmp_path / "in" / name / NB
        path.parent.mkdir(parents=True)
        nbformat.write(subs[name], path)
        jobs.append((A, path, {"keep_dir": tmp_path / name, "limits": LIMITS,
                               "source_dir": base.path("source")}))

    runs, killed, tree = _run_while_killing(tmp_path / "sleeper", lambda: grade_many(jobs, workers=2))

    reference, sleeper, blank = (run.grade for run in runs)
    assert (reference.status, reference.score, reference.max_score) == ("graded", full, full), reference.error
    assert (blank.status, blank.score, blank.max_score) == ("graded", 0.0, full), blank.error
    assert (sleeper.status, sleeper.score, sleeper.max_score, sleeper.notebook) == ("error", 0.0, full, "linear_regression")
    assert sleeper.error == (f"the grading worker (pid {killed}) died (killed by signal 9, e.g. the "
                             f"out-of-memory killer) while grading {A}/{NB}")
    _assert_nothing_left(tmp_path, tree)
