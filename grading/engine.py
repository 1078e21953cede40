"""A thin layer over nbgrader's Python API for one course directory.

Every step (generate_assignment, autograde, generate_feedback, export) is nbgrader's own;
this module only supplies the course configuration and turns nbgrader's
``{"success": bool, "error": str, "log": str}`` results into exceptions with a short reason.
"""

from __future__ import annotations

import functools
import logging
import re
import warnings
from pathlib import Path

from grading.course import CourseLayout, GradingLimits, course_config, set_kernel_environment, source_notebooks


class NbgraderStepError(RuntimeError):
    """An nbgrader step failed; ``reason`` is the one line worth showing a person."""

    def __init__(self, step: str, reason: str, log: str = ""):
        super().__init__(f"{step} failed: {reason}")
        self.step = step
        self.reason = reason
        self.log = log


_EXCEPTION_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)):\s*(.*)$")


#: Plain-words explanations of the failures a person meets most, keyed by exception name.
_EXPLANATIONS = {
    "DeadKernelError": "the kernel died while running the notebook (a crash, os._exit/sys.exit "
                       "at top level, or running out of memory)",
}


def explain(cause: str) -> str:
    """Prefix a known exception line with what it means for the person reading the report."""
    for name, meaning in _EXPLANATIONS.items():
        if name in cause:
            return f"{meaning} [{cause}]"
    return cause


def failure_reason(result: dict) -> str:
    """The most useful single line of a failed nbgrader result.

    That is the last exception raised inside nbgrader's own log (the cause), not nbgrader's
    closing "please see the traceback above" wrapper.
    """
    causes = [m.group(0).strip() for m in map(_EXCEPTION_LINE.match, (result.get("log", "") or "").splitlines())
              if m and not m.group(1).endswith("NbGraderException")]
    if causes:
        return explain(causes[-1])
    lines = [ln.strip() for ln in (result.get("log", "") or "").splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("[ERROR]", "[CRITICAL]"))]
    meaningful = [ln for ln in errors if "There was an error processing" not in ln
                  and "Please see the error message" not in ln]
    if meaningful:
        return meaningful[0].split("]", 1)[1].strip()
    tb = [ln.strip() for ln in (result.get("error", "") or "").splitlines() if ln.strip()]
    if tb:
        return explain(tb[-1])
    return errors[0].split("]", 1)[1].strip() if errors else "unknown nbgrader error"


@functools.lru_cache(maxsize=1)
def alembic_head() -> str:
    """nbgrader's gradebook schema revision, read in-process from nbgrader's migration scripts."""
    import nbgrader
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def use_inprocess_alembic_head() -> None:
    """Speed: nbgrader asks a new ``alembic heads`` subprocess for the schema revision each
    time it creates a gradebook (about 3 s here, once per scratch course). The answer is the
    same revision, read from the same scripts without the subprocess."""
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head


class Course:
    """nbgrader operations on one course directory (the repository or a scratch copy)."""

    def __init__(self, layout: CourseLayout, quiet: bool = True, limits: GradingLimits | None = None,
                 sandbox: bool = False):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        set_kernel_environment()
        use_inprocess_alembic_head()
        # nbgrader 0.9 with SQLAlchemy 2 warns on every autograde (harmless autoflush notices);
        # here, not only in the CLI, because grading workers are fresh processes.
        warnings.filterwarnings("ignore", message=r"Object of type .* not in session")
        (layout.root / layout.gradebook).parent.mkdir(parents=True, exist_ok=True)
        self.layout = layout
        self.config = course_config(layout, limits, sandbox)
        self.sandbox = sandbox
        self.coursedir = CourseDirectory(config=self.config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config)
        if quiet:
            self.api.log.setLevel(logging.ERROR)
            self.api.log_level = logging.ERROR

    def _run(self, step: str, result: dict) -> dict:
        if not result.get("success"):
            raise NbgraderStepError(step, failure_reason(result), result.get("log", "") + result.get("error", ""))
        return result

    def generate_assignment(self, assignment: str) -> None:
        """Write the student version of ``assignment`` and record it in the gradebook."""
        self._run(f"generate_assignment {assignment}", self.api.generate_assignment(assignment, force=True, create=True))

    def autograde(self, assignment: str, student: str) -> None:
        self._run(f"autograde {assignment} for {student}", self.api.autograde(assignment, student, force=True, create=True))

    def generate_feedback(self, assignment: str, student: str) -> None:
        """nbgrader's feedback, holding only the notebooks' HTML (``grading.html_safety``)."""
        from grading.html_safety import prune_feedback_folder

        self._run(f"generate_feedback {assignment} for {student}",
                  self.api.generate_feedback(assignment, student, force=True))
        # nbgrader's post-convert hook prunes too, but it swallows its own errors.
        graded = [p.stem for p in source_notebooks(assignment, self.layout.path("source"))]
        prune_feedback_folder(self.layout.path("feedback") / student / assignment, graded,
                              receipts_from=self.layout.path("submitted") / student / assignment)

    def submitted_students(self, assignment: str) -> list[str]:
        folder = self.layout.path("submitted")
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())

    def autograded_notebook(self, assignment: str, student: str, notebook: str) -> Path:
        return self.layout.path("autograded") / student / assignment / f"{notebook}.ipynb"

    def feedback_html(self, assignment: str, student: str, notebook: str) -> Path:
        return self.layout.path("feedback") / student / assignment / f"{notebook}.html"

    def export_csv(self, dest: Path) -> Path:
        """The whole gradebook as CSV with the course's export plugin (``grading.export``:
        nbgrader's columns, quoted and formula-safe, plus the integrity columns)."""
        from nbgrader.api import Gradebook

        from grading.export import CourseCsvExportPlugin

        dest.parent.mkdir(parents=True, exist_ok=True)
        with Gradebook(self.layout.db_url, self.coursedir.course_id) as gb:
            CourseCsvExportPlugin(to=str(dest), config=self.config).export(gb)
        return dest
