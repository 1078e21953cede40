"""Shared fixtures: paths, the tiny fixture course, and one graded run per real notebook.

Executing a notebook is the expensive part of the suite, so each real notebook's reference
and blank submissions are graded once per session (in parallel) and every check that
needs the executed result (scores, feedback, slides) reads that one run.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks

FIXTURE_SOURCE = REPO_ROOT / "tests" / "fixtures" / "course" / "solutions"
TINY = "00_tiny"
#: The tiny fixture notebook's trusted checks (grading.trusted.registry looks here too);
#: set at import so that grading workers and subprocesses started by tests inherit it.
FIXTURE_CHECKS = REPO_ROOT / "tests" / "fixtures" / "checks"
os.environ["COURSE_CHECK_DIRS"] = str(FIXTURE_CHECKS)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def tiny_course(tmp_path_factory) -> CourseLayout:
    """A course directory (repository layout) holding only the tiny fixture assignment, released."""
    from grading.release import release

    root = tmp_path_factory.mktemp("tiny-course")
    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    layout = CourseLayout(root=root)
    release([TINY], layout)
    return layout


@pytest.fixture(scope="session")
def tiny_notebooks(tiny_course) -> dict[str, Path]:
    """The tiny assignment's source, release and sample submissions, as files."""
    from grading.submissions import sample_submissions

    source = tiny_course.path("source") / TINY / "tiny.ipynb"
    release = tiny_course.path("release") / TINY / "tiny.ipynb"
    out = {"source": source, "release": release}
    folder = tiny_course.root / "samples"
    folder.mkdir(exist_ok=True)
    for kind, nb in sample_submissions(source, release).items():
        # named like the notebook: `grade` refuses any other name, as autograde does (grading.intake)
        out[kind] = folder / kind / "tiny.ipynb"
        out[kind].parent.mkdir(exist_ok=True)
        nbformat.write(nb, out[kind])
    return out


#: ``COURSE_TEST_ASSIGNMENTS=01_linear_regression,02_logistic_softmax`` narrows the real-notebook tests
#: to some assignments while one notebook is being worked on (the whole course otherwise).
REAL_ASSIGNMENTS = [a for a in list_assignments()
                    if not os.environ.get("COURSE_TEST_ASSIGNMENTS")
                    or a in os.environ["COURSE_TEST_ASSIGNMENTS"].split(",")]
#: (assignment, notebook stem) of every real source notebook; test ids read "assignment/stem".
REAL_NOTEBOOKS = [(a, p.stem) for a in REAL_ASSIGNMENTS for p in source_notebooks(a)]
REAL_NOTEBOOK_IDS = [f"{a}/{stem}" for a, stem in REAL_NOTEBOOKS]


@pytest.fixture(scope="session")
def graded_reference(tmp_path_factory):
    """For every real notebook: the reference and blank submissions graded once, kept on disk.

    Returns ``{(assignment, stem): {"reference": GradeRun, "blank": GradeRun, "source": Path}}``;
    both runs keep their autograded notebook and feedback HTML.
    """
    from grading.parallel import grade_many
    from grading.submissions import fill_answers

    base = tmp_path_factory.mktemp("graded")
    jobs, keys = [], []
    for assignment in REAL_ASSIGNMENTS:
        for source in source_notebooks(assignment):
            release = REPO_ROOT / "notebooks" / assignment / source.name
            reference = base / "submissions" / assignment / source.stem / source.name
            reference.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(fill_answers(nbformat.read(release, as_version=4),
                                        nbformat.read(source, as_version=4)), reference)
            scratch = base / assignment / source.stem
            jobs.append((assignment, reference, {"keep_dir": scratch / "reference", "feedback": True}))
            jobs.append((assignment, release, {"keep_dir": scratch / "blank", "feedback": True}))
            keys += [(assignment, source, "reference"), (assignment, source, "blank")]
    results: dict = {}
    for (assignment, source, kind), run in zip(keys, grade_many(jobs)):
        results.setdefault((assignment, source.stem), {"source": source})[kind] = run
    return results


class PostgresServer:
    """A throw-away PostgreSQL server on 127.0.0.1 (trust authentication, user ``grader``)."""

    def __init__(self, port: int):
        self.port = port
        self._names = itertools.count(1)

    def new_database(self) -> str:
        """A new empty database on this server; its SQLAlchemy URL."""
        import psycopg2

        name = f"gradebook_{next(self._names)}"
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="grader", dbname="postgres")
        try:
            conn.autocommit = True
            conn.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return f"postgresql+psycopg2://grader@127.0.0.1:{self.port}/{name}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session, from Debian's package (.ci/run installs it)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it")
    bindir = Path(bins[-1]).parent
    data = Path(tempfile.mkdtemp(prefix="pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chown(data, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(as_user + [str(bindir / "initdb"), "-D", str(data / "db"), "--auth=trust", "-U", "grader",
                              "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-l", str(data / "log"), "-w",
                              "-o", f"-p {port} -k {data} -h 127.0.0.1", "start"], check=True, capture_output=True)
    try:
        import psycopg2

        for _ in range(50):  # pg_ctl -w waits for start-up; this covers a slow first connection
            try:
                psycopg2.connect(host="127.0.0.1", port=port, user="grader", dbname="postgres").close()
                break
            except psycopg2.OperationalError:
                time.sleep(0.2)
        yield PostgresServer(port)
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a new, empty PostgreSQL database (one per test)."""
    return postgres_server.new_database()
