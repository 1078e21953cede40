"""Run the test suite with a CPU hog on every core beside it: no outcome may depend on speed.

    .venv/bin/python benchmarks/busy_machine.py [PYTEST ARGS...]

Starts one busy-looping process per core (plain priority, like another user's job), runs
``pytest -n 2 --dist loadfile`` (the README's ``make test``) with the given arguments, stops
the hogs, and prints a table: tests passed/failed/errors, wall time, and how much CPU the
hogs took meanwhile (so the load is measured, not assumed).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def hog() -> None:
    while True:
        pass


def main(argv: list[str]) -> int:
    cores = os.cpu_count() or 1
    hogs = [multiprocessing.Process(target=hog, daemon=True) for _ in range(cores)]
    for process in hogs:
        process.start()
    started = time.monotonic()
    cpu_before = sum(_cpu_seconds(p.pid) for p in hogs)
    command = [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadfile", "-q", *argv]
    try:
        run = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    finally:
        hog_cpu = sum(_cpu_seconds(p.pid) for p in hogs) - cpu_before
        for process in hogs:
            process.kill()
    wall = time.monotonic() - started
    tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else "(no output)"
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|errors?|skipped)", tail)}
    print(run.stdout[-20000:])
    print("| cores | hogs | hog CPU (core-seconds) | pytest wall (s) | passed | failed | errors | skipped | exit |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {cores} | {len(hogs)} | {hog_cpu:.0f} | {wall:.0f} | {counts.get('passed', 0)} | "
          f"{counts.get('failed', 0)} | {counts.get('errors', counts.get('error', 0))} | "
          f"{counts.get('skipped', 0)} | {run.returncode} |")
    return run.returncode


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
