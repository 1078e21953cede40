"""``python -m grading``: the instructor's command line over nbgrader.

Subcommands: release, check, autograde, grade, demo, slides (each has ``--help``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

from grading.textsafe import safe_text

EXIT_OK, EXIT_FAILED = 0, 1


def _quiet() -> None:
    """Keep nbgrader's SQLAlchemy warnings and kernel chatter out of the instructor's terminal."""
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("traitlets").setLevel(logging.ERROR)


def cmd_release(args) -> int:
    from grading.release import release

    for path in release(args.assignments or None):
        print(f"released {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return EXIT_OK


def cmd_check(args) -> int:
    from grading.check import check_course

    report = check_course(args.assignments or None, workers=args.workers)
    print(report.render())
    print("all checks passed" if report.ok else "some checks FAILED")
    return EXIT_OK if report.ok else EXIT_FAILED


def limits_from(args):
    from grading.course import GradingLimits

    return GradingLimits(cell_timeout_s=args.cell_timeout, notebook_timeout_s=args.notebook_timeout,
                         memory_mb=args.memory_mb, max_processes=args.max_processes,
                         max_threads=args.max_threads, max_disk_mb=args.disk_mb)


def layout_from(args):
    from grading.course import REPO_ROOT, CourseLayout

    return CourseLayout(root=REPO_ROOT, database_url=getattr(args, "db_url", None))


def cmd_autograde(args) -> int:
    from grading.autograde import autograde_course

    report = autograde_course(args.assignments or None, layout_from(args), feedback=not args.no_feedback,
                              progress=not args.no_progress, workers=default_workers(args), unsafe=args.unsafe,
                              limits=limits_from(args), scheduler=args.dask)
    if not report.rows:
        print("no submissions found: put them in grading/submitted/<student_id>/<assignment>/<notebook>.ipynb")
        return EXIT_OK
    print(report.table())
    print(f"grades exported to {report.csv_path}")
    return EXIT_OK


def cmd_grade(args) -> int:
    from grading.grade_one import grade_notebook

    run = grade_notebook(args.assignment, Path(args.notebook),
                         source_dir=Path(args.source) if args.source else None,
                         unsafe=args.unsafe, limits=limits_from(args))
    grade = run.grade
    if args.json:
        print(json.dumps(grade.to_json()))
    else:
        if grade.status == "error":
            print(f"{safe_text(args.notebook, 200)}: could not be graded: {safe_text(grade.error, 1000)}")
        else:
            for test in grade.tests:
                mark = "PASS" if test.passed else "FAIL"
                print(f"{mark} {safe_text(test.grade_id, 80):<40} {test.score:g}/{test.max_score:g}  "
                      f"{safe_text(test.message, 500)}".rstrip())
            print(f"score: {grade.score:g}/{grade.max_score:g}")
            if grade.integrity:
                from grading.integrity import IntegrityReport

                found = IntegrityReport(**grade.integrity)
                print(f"integrity: {found.summary()}")
                for line in found.lines():
                    print(f"  {line}")
    return EXIT_OK if grade.status == "graded" else EXIT_FAILED


def cmd_demo(args) -> int:
    from grading.demo import DEMO_STUDENTS, run_demo

    start = time.perf_counter()
    report = run_demo(args.assignments or None, progress=not args.no_progress, unsafe=args.unsafe,
                      workers=default_workers(args))
    print()
    print("Sample students: " + ", ".join(f"{s} ({k})" for s, k in DEMO_STUDENTS.items()))
    print(report.table())
    print(f"grades exported to {report.csv_path}; feedback in grading/feedback/")
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    return EXIT_OK if not report.failures else EXIT_FAILED


def cmd_bundle(args) -> int:
    from grading.bundle import BundleError, build_bundle

    try:
        archive = build_bundle(Path(args.out) if args.out else None)
    except BundleError as exc:
        print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"wrote {archive} ({archive.stat().st_size / 1e6:.1f} MB): hand it to students")
    return EXIT_OK


def cmd_slides(args) -> int:
    from grading.slides import build_slides

    out = Path(args.out) if args.out else None
    for path in build_slides(args.assignments or None, out_dir=out):
        print(f"wrote {path}")
    return EXIT_OK


def default_workers(args) -> int:
    """``--workers``, else one per core (at most 4); resolved after parsing so that
    ``--help`` imports nothing heavy (``grading.parallel`` imports nbgrader)."""
    if args.workers:
        return args.workers
    from grading.parallel import default_workers as cores

    return cores()


def build_parser() -> argparse.ArgumentParser:
    """The parser; imports only light modules, so ``--help`` is fast (tested)."""
    parser = argparse.ArgumentParser(prog="python -m grading", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_text: str, assignments: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if assignments:
            p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT",
                           help="assignment folder names under solutions/ (default: all)")
        p.set_defaults(func=func)
        return p

    def add_safety(p: argparse.ArgumentParser) -> None:
        from grading.course import GradingLimits

        d = GradingLimits()
        p.add_argument("--unsafe", action="store_true",
                       help="grade even where no sandbox (bubblewrap) works: student code then runs "
                            "with your permissions")
        p.add_argument("--cell-timeout", type=int, default=d.cell_timeout_s, metavar="S",
                       help=f"seconds one cell may run (default {d.cell_timeout_s})")
        p.add_argument("--notebook-timeout", type=int, default=d.notebook_timeout_s, metavar="S",
                       help=f"seconds a whole notebook may run, sandbox only (default {d.notebook_timeout_s})")
        p.add_argument("--memory-mb", type=int, default=d.memory_mb, metavar="MB",
                       help=f"memory of one kernel, sandbox only (default {d.memory_mb})")
        p.add_argument("--max-processes", type=int, default=d.max_processes, metavar="N",
                       help=f"processes of one kernel, sandbox only (default {d.max_processes})")
        p.add_argument("--max-threads", type=int, default=d.max_threads, metavar="N",
                       help=f"threads of all of a kernel's processes, sandbox only (default {d.max_threads})")
        p.add_argument("--disk-mb", type=int, default=d.max_disk_mb, metavar="MB",
                       help=f"bytes a kernel may write in its working folder, sandbox only (default {d.max_disk_mb})")

    add("release", cmd_release, "Regenerate notebooks/ (the student release) from solutions/ with nbgrader.")
    p = add("check", cmd_check, "Check that reference answers get full marks, the blank release scores 0 "
            "without crashing, and the release is in sync and leaks no solution or hidden test.")
    p.add_argument("--workers", type=int, default=None, help="notebooks graded at once (default: cores, max 4)")
    p = add("autograde", cmd_autograde, "Autograde every submission under grading/submitted/, write feedback, "
            "export grading/grades.csv and print the grade table.")
    p.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="submissions graded at once (default: the cores, at most 4)")
    p.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run the grading jobs on Dask: a local cluster of --workers processes, or the "
                        "scheduler at ADDRESS (tcp://host:8786); see docs/grading.md")
    p.add_argument("--db-url", default=None, metavar="URL",
                   help="gradebook database (default: SQLite grading/gradebook.db), e.g. "
                        "postgresql+psycopg2://user@host/dbname")
    add_safety(p)
    p = add("grade", cmd_grade, "Grade one notebook file in a throw-away course directory "
            "(the real gradebook is not touched).", assignments=False)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    add_safety(p)
    p.add_argument("--source", default=None, metavar="DIR",
                   help="folder of source assignments (default: solutions/)")
    p = add("demo", cmd_demo, "Release, create three sample submissions (reference, blank, partial), "
            "autograde them, generate feedback, export grades and print the table.")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="submissions graded at once (default: the cores, at most 4)")
    p.add_argument("--unsafe", action="store_true", help="grade without a sandbox where none works")
    p = add("slides", cmd_slides, "Render reveal.js decks of the lectures into build/slides/.")
    p.add_argument("--out", default=None, help="output folder (default: build/slides)")
    p = add("bundle", cmd_bundle, "Build the student bundle (release notebooks, helpers, data, environment) as build/student-bundle.zip.",
            assignments=False)
    p.add_argument("--out", default=None, help="output folder (default: build)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet()
    from grading.course import UnknownAssignmentError
    from grading.engine import NbgraderStepError
    from grading.sandbox import SandboxUnavailableError

    try:
        return args.func(args)
    except (UnknownAssignmentError, NbgraderStepError, SandboxUnavailableError) as exc:
        print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
