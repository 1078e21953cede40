"""Time of the similarity report (grading.similarity) for classes of synthetic students.

    .venv/bin/python benchmarks/similarity_benchmark.py [--students 50 200] [--assignment NAME] [--seed 0]

Each class is written into a throw-away course directory: the tiny fixture assignment
(released with nbgrader, as the tests do) or, with ``--assignment``, one of the course's own
(``solutions/`` and ``notebooks/``, already released). Every student answers every answer
cell with a random program of 6 to 10 statements (random structure, operators, numbers and
names), so independent answers differ as real ones do; 10% copy another student's answers
with other names and spacing, 5% hand in the blank release. Prints one table: students,
answer cells, pairs of students possible and compared, pairs flagged (a student copied twice
makes three), planted copies found, wall and CPU seconds of ``similarity_report``.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, CourseLayout
from grading.similarity import similarity_report

TINY_SOURCE = REPO_ROOT / "tests" / "fixtures" / "course" / "solutions" / "00_tiny"
NAMES = ["x", "y", "z", "total", "acc", "value", "tmp", "out", "res", "count", "k", "m", "buf", "item"]
OPS = ["+", "-", "*", "//", "%", "**"]
STATEMENTS = [
    "{a} = {b} {op} {n}",
    "if {a} > {n}:\n    {b} = {a} {op} {b}",
    "for {i} in range({n}):\n    {a} += {i} {op} {b}",
    "{a} = [{b} {op} {i} for {i} in range({n})]",
    "{a} = max({b}, {n}) if {a} else min({b}, {n})",
    "while {a} < {n}:\n    {a} = {a} {op} {n} + 1",
    "{a} = sum({i} {op} {n} for {i} in range({b}))",
]


def random_program(rng: random.Random, names: list[str]) -> list[str]:
    """Statements of one random answer (a template per line, names left as placeholders)."""
    lines = []
    for _ in range(rng.randint(6, 10)):
        a, b, i = rng.sample(range(len(names)), 3)
        lines.append(rng.choice(STATEMENTS).format(a="{%d}" % a, b="{%d}" % b, i="{%d}" % i,
                                                    op=rng.choice(OPS), n=rng.randint(2, 999)))
    return lines


def render(lines: list[str], names: list[str], rng: random.Random, header: str) -> str:
    """An answer cell: the release's ``def`` line, then the program with these names."""
    body = "\n".join(line.format(*names) for line in lines)
    if rng.random() < 0.5:
        body = body.replace(" = ", "=")  # other spacing: filtered away
    body = "\n".join("    " + ln for ln in body.splitlines())
    return f"{header}\n{body}\n    return {names[0]}\n"


def answer_cells(layout: CourseLayout, assignment: str) -> list[tuple[Path, str]]:
    """(release notebook, grade_id) of every code answer cell of the assignment."""
    out = []
    for release in sorted((layout.path("release") / assignment).glob("*.ipynb")):
        for cell in nbformat.read(release, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and cell.cell_type == "code":
                out.append((release, meta["grade_id"]))
    return out


def make_class(layout: CourseLayout, assignment: str, students: int, rng: random.Random) -> set[tuple[str, str]]:
    """Write ``students`` submissions; returns the (original, copier) pairs planted."""
    releases = sorted((layout.path("release") / assignment).glob("*.ipynb"))
    programs: dict[str, dict[str, list[str]] | None] = {}
    copies = set()
    for n in range(students):
        student, roll = f"student{n:03}", rng.random()
        answered = [s for s, program in programs.items() if program is not None]
        if answered and roll < 0.10:
            original = rng.choice(answered)
            programs[student] = programs[original]
            copies.add((original, student))
        else:
            programs[student] = None if roll < 0.15 else {}  # None: blank
        for release in releases:
            nb = nbformat.read(release, as_version=4)
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if programs[student] is None or not (meta.get("solution") and cell.cell_type == "code"):
                    continue
                lines = programs[student].setdefault(meta["grade_id"], random_program(rng, NAMES))
                header = next((ln for ln in cell.source.splitlines() if ln.startswith("def ")), "")
                cell.source = render(lines, rng.sample(NAMES, len(NAMES)), rng, header)
            path = layout.path("submitted") / student / assignment / release.name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
    return copies


def course_for(assignment: str | None, root: Path) -> tuple[CourseLayout, str]:
    layout = CourseLayout(root=root)
    if assignment is None:
        from grading.release import release

        shutil.copytree(TINY_SOURCE, layout.path("source") / TINY_SOURCE.name)
        release([TINY_SOURCE.name], layout)
        return layout, TINY_SOURCE.name
    shutil.copytree(REPO_ROOT / "solutions" / assignment, layout.path("source") / assignment)
    shutil.copytree(REPO_ROOT / "notebooks" / assignment, layout.path("release") / assignment)
    return layout, assignment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--assignment", default=None, help="a course assignment (default: the tiny fixture)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as tmp:
        template, assignment = course_for(args.assignment, Path(tmp) / "template")
        print(f"# {assignment}; Python {platform.python_version()} on {platform.machine()}, "
              f"{platform.system()}")
        print(f"{'students':>8} {'cells':>5} {'pairs':>7} {'compared':>8} {'flagged':>7} "
              f"{'copies found':>12} {'seconds':>7} {'cpu s':>7}")
        for count in args.students:
            layout = CourseLayout(root=Path(tmp) / f"class{count}")
            shutil.copytree(template.path("source"), layout.path("source"))
            shutil.copytree(template.path("release"), layout.path("release"))
            copies = make_class(layout, assignment, count, random.Random(args.seed))
            start, cpu = time.perf_counter(), time.process_time()
            report = similarity_report(layout, assignment, progress=False)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            flagged = {(p.student_a, p.student_b) for p in report.pairs}
            found = sum(tuple(sorted(c)) in flagged for c in copies)
            cells = len(answer_cells(layout, assignment))
            print(f"{count:>8} {cells:>5} {count * (count - 1) // 2:>7} {report.compared_pairs:>8} "
                  f"{len(flagged):>7} {f'{found}/{len(copies)}':>12} {seconds:>7.2f} {cpu:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
