"""``python -m grading``: the instructor's command line over nbgrader.

Subcommands: release, check, collect, autograde, roster, export, similarity, gradebook, grade,
rubric, demo, slides, bundle, wipe (each has ``--help``).
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

    for path in release(args.assignments or None, layout_from(args)):
        print(f"released {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return EXIT_OK


def cmd_collect(args) -> int:
    from grading.collect import CollectError, cli_logger, collect

    try:
        report = collect(layout_from(args), args.assignment, update=args.update, log=cli_logger())
    except CollectError as exc:
        print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
    print("\n".join(report.lines()))
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_check(args) -> int:
    from grading.check import check_course

    report = check_course(args.assignments or None, workers=args.workers)
    print(report.render())
    print("all checks passed" if report.ok else "some checks FAILED")
    return EXIT_OK if report.ok else EXIT_FAILED


def limits_from(args, layout=None):
    """The course's limits (``course.toml``), with the ones given on the command line."""
    import dataclasses

    from grading.course import GradingLimits

    base = layout.settings.grading_limits() if layout is not None else GradingLimits()
    given = {"cell_timeout_s": args.cell_timeout, "notebook_timeout_s": args.notebook_timeout,
             "memory_mb": args.memory_mb, "max_processes": args.max_processes,
             "max_threads": args.max_threads, "max_disk_mb": args.disk_mb}
    return dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})


def course_root(args) -> Path:
    """The course directory a command works on: ``--course``, else ``$COURSE_ROOT``, else
    this repository."""
    import os

    from grading.course import REPO_ROOT

    return Path(getattr(args, "course", None) or os.environ.get("COURSE_ROOT") or REPO_ROOT).resolve()


def layout_from(args):
    """The layout of ``course_root(args)``, which must be a course (have ``solutions/``)."""
    from grading.course import CourseLayout

    root = course_root(args)
    if not (root / "solutions").is_dir():
        raise CourseDirError(root)
    return CourseLayout(root=root)


class CourseDirError(LookupError):
    def __init__(self, root: Path):
        super().__init__(f"{root} is not a course directory (it has no solutions/ folder); "
                         "give one with --course DIR or $COURSE_ROOT")


def cmd_autograde(args) -> int:
    from grading.autograde import autograde_course

    layout = layout_from(args)
    report = autograde_course(args.assignments or None, layout, feedback=not args.no_feedback,
                              progress=not args.no_progress and not args.json, workers=default_workers(args),
                              unsafe=args.unsafe, limits=limits_from(args, layout), scheduler=args.dask,
                              students=args.student, force=args.force)
    # Exit 1 whenever something could not be graded: an ERROR row, or a misplaced file.
    failed = EXIT_FAILED if report.failures or report.misplaced else EXIT_OK
    if args.json:
        print(json.dumps(report.to_json()))
        return failed
    if not report.rows:
        print("no submissions found: put them in grading/submitted/<student_id>/<assignment>/<notebook>.ipynb")
        for line in report.misplaced:
            print(f"MISPLACED {line}")
        return failed
    print(report.table())
    print(f"grades exported to {report.csv_path} and {report.lms_csv_path}")
    if report.failures:
        print(f"{len(report.failures)} submission(s) could not be graded (ERROR rows above)", file=sys.stderr)
    if report.misplaced:
        print(f"{len(report.misplaced)} misplaced file(s) were not graded (MISPLACED lines above)", file=sys.stderr)
    return failed


def cmd_roster(args) -> int:
    from grading.roster import RosterError, import_roster

    from grading.engine import Course

    layout = layout_from(args)
    try:
        from grading.roster import read_roster

        read_roster(Path(args.csv))  # every row checked before the gradebook is even opened
        Course(layout)  # the gradebook's folder, and nbgrader's schema revision without a subprocess
        added, updated = import_roster(Path(args.csv), layout.db_url, layout.course_id)
    except RosterError as exc:
        print(f"error: {safe_text(exc, 5000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"roster imported into the gradebook: {added} added, {updated} updated")
    return EXIT_OK


def cmd_export(args) -> int:
    from grading.engine import Course
    from grading.lms_export import export_lms_csv
    from grading.similarity import export_column

    layout = layout_from(args)
    course = Course(layout)
    out = Path(args.out) if args.out else layout.root / "grading" / "grades-lms.csv"
    csv_path = course.export_csv(layout.root / "grading" / "grades.csv")
    export_lms_csv(layout.db_url, layout.course_id, out, layout.path("integrity"), per_question=args.per_question,
                   similarity=export_column(layout))
    print(f"wrote {out} (one row per student) and {csv_path} (one row per submission)")
    return EXIT_OK


def cmd_similarity(args) -> int:
    from grading.course import list_assignments
    from grading.similarity import similarity_report, write_similarity_report

    layout = layout_from(args)
    options = {k: v for k, v in (("min_score", args.min_score), ("min_tokens", args.min_tokens)) if v is not None}
    for raw in args.assignments or list_assignments(layout.path("source")):
        from grading.autograde import resolve_assignments

        assignment = resolve_assignments([raw], layout)[0]
        try:
            report = similarity_report(layout, assignment, progress=not args.no_progress, **options)
        except ValueError as exc:  # unreleased assignment, bad threshold
            print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
            return EXIT_FAILED
        print("\n".join(report.lines(top=args.top)))
        print(f"report: {write_similarity_report(report, layout.path('integrity'))}")
    return EXIT_OK


def cmd_grade(args) -> int:
    from grading.grade_one import grade_notebook
    from grading.table import render_written

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
            for answer in grade.written:
                shown = "pending" if answer.pending else f"{answer.score:g}"
                print(f"WRITTEN {safe_text(answer.grade_id, 80):<37} {shown}/{answer.max_score:g}  "
                      f"{'graded by hand in formgrader' if answer.pending else ''}".rstrip())
            written = render_written(grade.written_score, grade.written_max_score, sum(w.pending for w in grade.written))
            print(f"score: {grade.score:g}/{grade.max_score:g}" + (f" + {written}" if written else ""))
            if grade.integrity:
                from grading.integrity import IntegrityReport

                found = IntegrityReport(**grade.integrity)
                print(f"integrity: {found.summary()}")
                for line in found.lines():
                    print(f"  {line}")
    return EXIT_OK if grade.status == "graded" else EXIT_FAILED


def cmd_rubric(args) -> int:
    from grading.rubric import rubric_text

    source = Path(args.source) if args.source else course_root(args) / "solutions"
    print(rubric_text(args.assignment.strip().rstrip("/\\"), source), end="")
    return EXIT_OK


def cmd_demo(args) -> int:
    from grading.demo import DEMO_ROOT, DEMO_STUDENTS, DemoCourseError, run_demo

    start = time.perf_counter()
    print(f"demo course (throw-away, made afresh each run): {DEMO_ROOT}; the real gradebook is not touched")
    try:
        report = run_demo(args.assignments or None, progress=not args.no_progress, unsafe=args.unsafe,
                          workers=default_workers(args), demo_root=DEMO_ROOT)
    except DemoCourseError as exc:
        print(f"error: {safe_text(exc, 2000)}", file=sys.stderr)
        return EXIT_FAILED
    print()
    print("Sample students: " + ", ".join(f"{s} ({k})" for s, k in DEMO_STUDENTS.items()))
    print(report.table())
    print(f"grades exported to {report.csv_path}; feedback in {DEMO_ROOT / 'feedback'}/")
    print(f"demo finished in {time.perf_counter() - start:.0f} s")
    return EXIT_OK if not report.failures else EXIT_FAILED


def cmd_wipe(args) -> int:
    from grading.course import CourseLayout
    from grading.wipe import WipeError, run_wipe

    # Not layout_from: wipe names a missing folder itself, and a course without solutions/ can be wiped.
    layout = CourseLayout(root=course_root(args))
    try:
        return run_wipe(layout, dry_run=args.dry_run, yes=args.yes)
    except WipeError as exc:
        print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED


def cmd_gradebook_copy(args) -> int:
    from grading.gradebook_copy import GradebookCopyError, copy_gradebook, mask_url

    source = args.source or layout_from(args).db_url
    try:
        report = copy_gradebook(source, args.to)
    except GradebookCopyError as exc:
        print(f"error: {safe_text(exc, 5000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"copied {mask_url(source)} -> {mask_url(args.to)} (schema {report.alembic_version})")
    print(report.table())
    print("every table's rows are equal in both; the source is unchanged. To use the copy, set "
          "[course] gradebook_url in course.toml (or COURSE_GRADEBOOK_URL)")
    return EXIT_OK


def cmd_gradebook_info(args) -> int:
    from grading.gradebook_copy import gradebook_info

    info = gradebook_info(layout_from(args).root)
    for line in info.lines():
        print(safe_text(line, 2000))
    return EXIT_FAILED if info.problem else EXIT_OK


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
    from grading.slides import SlideAssetsMissingError, build_slides

    if args.check_fit:
        from grading.slide_fit import check_fit

        _quiet()
        try:
            ok = check_fit(args.assignments or None, source_dir=Path(args.source) if args.source else None,
                           screenshots=Path(args.screenshots) if args.screenshots else None)
        except (SlideAssetsMissingError, FileNotFoundError) as exc:
            print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
            return EXIT_FAILED
        print("every slide fits" if ok else "some slides overflow the 1280x720 slide (marked OVERFLOW / TOO-WIDE)")
        return EXIT_OK if ok else EXIT_FAILED
    out = Path(args.out) if args.out else None
    for path in build_slides(args.assignments or None, out_dir=out, source_dir=Path(args.source) if args.source else None):
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
        # Defaults come from course.toml's [limits] (else GradingLimits), resolved in limits_from.
        p.add_argument("--cell-timeout", type=int, default=None, metavar="S",
                       help=f"seconds one cell may run (default: course.toml's [limits], else {d.cell_timeout_s})")
        p.add_argument("--notebook-timeout", type=int, default=None, metavar="S",
                       help=f"seconds a whole notebook may run, sandbox only (default: course.toml's [limits], else {d.notebook_timeout_s})")
        p.add_argument("--memory-mb", type=int, default=None, metavar="MB",
                       help=f"memory of one kernel, sandbox only (default: course.toml's [limits], else {d.memory_mb})")
        p.add_argument("--max-processes", type=int, default=None, metavar="N",
                       help=f"processes of one kernel, sandbox only (default: course.toml's [limits], else {d.max_processes})")
        p.add_argument("--max-threads", type=int, default=None, metavar="N",
                       help=f"threads of all of a kernel's processes, sandbox only (default: course.toml's [limits], else {d.max_threads})")
        p.add_argument("--disk-mb", type=int, default=None, metavar="MB",
                       help=f"bytes a kernel may write in its working folder, sandbox only (default: course.toml's [limits], else {d.max_disk_mb})")

    def add_course(p: argparse.ArgumentParser) -> None:
        p.add_argument("--course", default=None, metavar="DIR",
                       help="course directory (default: $COURSE_ROOT, else this repository)")

    p = add("release", cmd_release, "Regenerate notebooks/ (the student release) from solutions/ with nbgrader.")
    add_course(p)
    p = add("collect", cmd_collect, "Collect an assignment's submissions from nbgrader's exchange into "
            "grading/submitted/, refusing (and listing, never deleting) inbound records with links, special "
            "files, unknown students, another user's ownership or future timestamps. Exits 1 when one was "
            "refused.", assignments=False)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--update", action="store_true",
                   help="replace already collected submissions with newer ones")
    add_course(p)
    p = add("check", cmd_check, "Check that reference answers get full marks, the blank release scores 0 "
            "without crashing, and the release is in sync and leaks no solution or hidden test.")
    p.add_argument("--workers", type=int, default=None, help="notebooks graded at once (default: cores, max 4)")
    p = add("autograde", cmd_autograde, "Autograde the submissions under grading/submitted/ that are new or "
            "changed since their last grading, write feedback, export grading/grades.csv and "
            "grading/grades-lms.csv and print the grade table. Exits 1 when a submission could not be graded.")
    p.add_argument("--student", action="append", default=None, metavar="ID",
                   help="grade this student only (repeatable); other students' results are not touched")
    p.add_argument("--force", action="store_true",
                   help="grade again even submissions unchanged since their last grading")
    p.add_argument("--json", action="store_true",
                   help="print one JSON list (a row per student and assignment, and totals) instead of the table")
    p.add_argument("--no-feedback", action="store_true", help="skip the feedback HTML")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="submissions graded at once (default: the cores, at most 4)")
    p.add_argument("--dask", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run the grading jobs on Dask: a local cluster of --workers processes, or the "
                        "scheduler at ADDRESS (tcp://host:8786); see docs/grading.md")
    add_course(p)
    add_safety(p)
    p = add("roster", cmd_roster, "Import a class roster into the gradebook: a CSV with a header naming "
            "id (or student_id), first_name, last_name, email. All rows are checked first; a bad row "
            "imports nothing.", assignments=False)
    p.add_argument("csv", metavar="ROSTER.csv")
    add_course(p)
    p = add("similarity", cmd_similarity, "Rank pairs of students with similar answer cells (copied work; "
            "released starter code ignored); writes grading/integrity/<assignment>.similarity.json. "
            "autograde runs it too.")
    p.add_argument("--min-score", type=float, default=None, help="lowest pair score listed (default 0.5)")
    p.add_argument("--min-tokens", type=int, default=None,
                   help="shortest answer compared, in filtered characters (default 50)")
    p.add_argument("--top", type=int, default=20, help="pairs printed (all are in the report file)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_course(p)
    p = add("export", cmd_export, "Export the gradebook: grading/grades-lms.csv (a row per student, a score "
            "and a status column per assignment, totals) and grading/grades.csv (nbgrader's rows).",
            assignments=False)
    p.add_argument("--per-question", action="store_true", help="add a column per graded question")
    p.add_argument("--out", default=None, metavar="FILE", help="where the per-student CSV goes")
    add_course(p)
    p = add("grade", cmd_grade, "Grade one notebook file in a throw-away course directory "
            "(the real gradebook is not touched).", assignments=False)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("notebook", metavar="NOTEBOOK.ipynb")
    p.add_argument("--json", action="store_true", help="print exactly one JSON object")
    add_safety(p)
    p.add_argument("--source", default=None, metavar="DIR",
                   help="folder of source assignments (default: solutions/)")
    p = add("rubric", cmd_rubric, "Print an assignment's written questions (manually graded in formgrader) "
            "with each one's points, model answer and rubric, from solutions/: the grader's sheet.",
            assignments=False)
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--source", default=None, metavar="DIR",
                   help="folder of source assignments (default: the course's solutions/)")
    add_course(p)
    p = add("demo", cmd_demo, "In a throw-away course (build/demo-course/): release, create three sample "
            "submissions (reference, blank, partial), autograde them, generate feedback, export grades and "
            "print the table.")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="submissions graded at once (default: the cores, at most 4)")
    p.add_argument("--unsafe", action="store_true", help="grade without a sandbox where none works")
    p = add("slides", cmd_slides, "Render reveal.js decks of the lectures into build/slides/.")
    p.add_argument("--out", default=None, help="output folder (default: build/slides)")
    p.add_argument("--check-fit", action="store_true",
                   help="write no deck: execute each solution notebook, open its deck in headless Chromium and "
                        "print every slide's height; exit 1 when a slide overflows the 1280x720 slide")
    p.add_argument("--screenshots", default=None, metavar="DIR",
                   help="with --check-fit: save a PNG of each overflowing slide in DIR")
    p.add_argument("--source", default=None, metavar="DIR",
                   help="folder of source assignments (default: solutions/)")
    p = add("bundle", cmd_bundle, "Build the student bundle (release notebooks, helpers, data, environment) as build/student-bundle.zip.",
            assignments=False)
    p.add_argument("--out", default=None, help="output folder (default: build)")
    p = add("wipe", cmd_wipe, "Delete the course's grading data (submissions, autograded copies, feedback, "
            "integrity reports, SQLite gradebook, grades CSV) after listing it and asking for the course id.",
            assignments=False)
    p.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
    p.add_argument("--yes", action="store_true", help="do not ask (needed when stdin is not a terminal)")
    p.add_argument("--course", "--root", dest="course", default=None, metavar="DIR",
                   help="course directory (default: $COURSE_ROOT, else this repository); its gradebook is the "
                        "one course.toml names (a server database is named, never dropped)")
    p = add("gradebook", None, "Which gradebook database the course uses (info), and copying it to another "
            "database, e.g. from SQLite to PostgreSQL (copy).", assignments=False)
    gsub = p.add_subparsers(dest="gradebook_command", required=True, metavar="ACTION")
    text = "the gradebook URL (password hidden), where it is set, what it holds"
    q = gsub.add_parser("info", help=text, description=text)
    q.set_defaults(func=cmd_gradebook_info)
    add_course(q)
    text = ("copy the whole gradebook into an empty database, ids kept, and check every row; never "
            "writes into a database that holds grading data")
    q = gsub.add_parser("copy", help=text, description=text)
    q.set_defaults(func=cmd_gradebook_copy)
    q.add_argument("--to", required=True, metavar="URL",
                   help="target, e.g. postgresql+psycopg2://grader@dbhost/gradebook or sqlite:///path/gradebook.db")
    q.add_argument("--from", dest="source", default=None, metavar="URL",
                   help="source (default: the course's gradebook, see 'gradebook info')")
    add_course(q)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet()
    from grading.autograde import UnknownStudentError
    from grading.course import UnknownAssignmentError
    from grading.engine import NbgraderStepError
    from grading.sandbox import SandboxUnavailableError
    from grading.settings import SettingsError

    from sqlalchemy.exc import SQLAlchemyError

    try:
        return args.func(args)
    except SQLAlchemyError as exc:  # an unreachable or refusing gradebook database
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: the gradebook database cannot be used: {safe_text(first, 500)}", file=sys.stderr)
        return EXIT_FAILED
    except (UnknownAssignmentError, UnknownStudentError, NbgraderStepError, SandboxUnavailableError,
            SettingsError, CourseDirError) as exc:
        print(f"error: {safe_text(exc, 2000, one_line=False)}", file=sys.stderr)
        return EXIT_FAILED
