"""Grade wall time per notebook before and after trusted verdicts (issue 20), in one run.

    .venv/bin/python benchmarks/trusted_benchmark.py [ASSIGNMENT...] [--repeats 3] [--before fb85e9b]

"before" grades each notebook as it was at commit ``--before`` (hidden tests in the test
cells, every check run in the student's kernel); "after" grades today's notebook, scored by
its trusted check module. Both with this checkout's grader: the "before" notebook is renamed
``<stem>_before`` so that no check module applies to it and the kernel's own outcome is
scored, as it was then. Each is the wall time of ``python -m grading grade ASSIGNMENT
reference.ipynb --json`` as a subprocess (sandboxed), alternating before/after so that the
machine's load falls on both alike. Prints one table: medians, the ratio, both scores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, list_assignments, source_notebooks
from grading.submissions import fill_answers


def git_notebook(commit: str, path: str) -> nbformat.NotebookNode:
    text = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{commit}:{path}"], check=True,
                          capture_output=True, text=True).stdout
    return nbformat.reads(text, as_version=4)


def prepare(assignment: str, kind: str, commit: str, folder: Path) -> tuple[Path, Path]:
    """(source folder for ``--source``, the reference submission) of one side."""
    (source,) = source_notebooks(assignment)
    if kind == "after":
        src_nb, release_nb, name, source_dir = (nbformat.read(source, as_version=4),
                                                nbformat.read(REPO_ROOT / "notebooks" / assignment / source.name, as_version=4),
                                                source.name, REPO_ROOT / "solutions")
    else:
        src_nb = git_notebook(commit, f"solutions/{assignment}/{source.name}")
        release_nb = git_notebook(commit, f"notebooks/{assignment}/{source.name}")
        name, source_dir = f"{source.stem}_before.ipynb", folder / "source"
        (source_dir / assignment).mkdir(parents=True, exist_ok=True)
        nbformat.write(src_nb, source_dir / assignment / name)
    submission = folder / kind / assignment / name
    submission.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(fill_answers(release_nb, src_nb), submission)
    return source_dir, submission


def time_grade(assignment: str, source_dir: Path, path: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grading", "grade", assignment, str(path), "--json",
                           "--source", str(source_dir)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        score = f"{result['score']:g}/{result['max_score']:g}"
    except (ValueError, IndexError, KeyError):
        score = "error: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
    return elapsed, score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--before", default="fb85e9b", help="the commit before trusted verdicts")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    names = args.assignments or list_assignments()
    print(f"# grade wall time before/after trusted verdicts — {platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, repeats {args.repeats}, before = commit {args.before}\n")
    print("| assignment | before (s) | after (s) | after/before | score before | score after |")
    print("|---|---:|---:|---:|---|---|")
    ratios = []
    with tempfile.TemporaryDirectory(prefix="trusted-bench-") as tmp:
        for assignment in names:
            sides = {k: prepare(assignment, k, args.before, Path(tmp)) for k in ("before", "after")}
            times: dict[str, list[float]] = {"before": [], "after": []}
            scores: dict[str, str] = {}
            for repeat in range(args.repeats):
                order = ["before", "after"] if repeat % 2 == 0 else ["after", "before"]
                for kind in order:
                    elapsed, scores[kind] = time_grade(assignment, *sides[kind])
                    times[kind].append(elapsed)
            before, after = statistics.median(times["before"]), statistics.median(times["after"])
            ratios.append(after / before)
            print(f"| {assignment} | {before:.1f} | {after:.1f} | {after / before:.2f} | {scores['before']} | "
                  f"{scores['after']} |", flush=True)
    print(f"\nmedian ratio over notebooks: {statistics.median(ratios):.2f}; largest: {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
