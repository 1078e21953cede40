"""Where the course lives and how nbgrader is configured for it.

One place builds the nbgrader configuration, so the ``python -m grading`` tool, the
``nbgrader`` command line and formgrader (through the root ``nbgrader_config.py``) and the tests all grade
with the same settings.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from traitlets.config import Config

if TYPE_CHECKING:
    from grading.settings import CourseSettings

REPO_ROOT = Path(__file__).resolve().parent.parent

#: nbgrader's default per-cell timeout is 30 s; TensorFlow training cells need more.
CELL_TIMEOUT_S = 600

#: Environment every grading kernel inherits: quiet TensorFlow, no stray warnings on
#: stderr (nbgrader scores a test cell with any stderr output as 0), fixed hashing.
KERNEL_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_FORCE_GPU_ALLOW_GROWTH": "true",
    "PYTHONHASHSEED": "0",
    # Grading the same submission twice must give the same score.
    "TF_DETERMINISTIC_OPS": "1",
    "PYTHONWARNINGS": "ignore",
}

#: Arguments for every kernel started for grading: its own start-up chatter (e.g. the
#: "running over TCP" notice) is not something an instructor can act on.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]

#: Native TensorFlow/absl log lines that can still reach stderr before Python code can
#: silence them; such stderr outputs are dropped before grading.
TF_STDERR_NOISE = (
    r"(?m)^(?:WARNING: All log messages before absl::InitializeLog"
    r"|[IWE]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+\.cc:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] \S+\.cc:\d+\])"
)


@dataclass(frozen=True)
class GradingLimits:
    """What one submission may use. ``cell_timeout_s`` is nbgrader's per-cell timeout; the
    rest is enforced by the sandbox (``grading.sandbox``), so only when it is on."""

    cell_timeout_s: int = CELL_TIMEOUT_S
    notebook_timeout_s: int = 1800
    memory_mb: int = 6144
    max_processes: int = 64
    #: Threads of all the kernel's processes (TensorFlow starts a pool per core).
    max_threads: int = 1024
    #: Bytes the kernel may keep in its working folder (files it writes there).
    max_disk_mb: int = 1024
    max_output_bytes: int = 1_000_000
    #: Outputs kept over the whole notebook.
    max_notebook_output_bytes: int = 20_000_000
    #: The largest single message the grader accepts from a kernel; larger ones are dropped
    #: by ZeroMQ before the grader allocates memory for them.
    max_message_bytes: int = 32_000_000
    #: Files the kernel leaves in its working folder that are kept (the rest is deleted).
    max_kept_files_bytes: int = 5_000_000
    #: Memory (data segment) of one grading worker process, not of the kernel: a kernel that
    #: floods the grader with data (a message of many frames, each under the message limit)
    #: costs that one submission (an ERROR row), not the machine.
    grader_memory_mb: int = 4096
    #: Let the Linux kernel enforce memory and tasks with a cgroup where one can be made
    #: (``grading.cgroups``); the watchdog enforces every limit either way.
    cgroups: bool = True


@dataclass(frozen=True)
class CourseLayout:
    """Folder names of one course directory, relative to its root."""

    root: Path
    source: str = "solutions"
    release: str = "notebooks"
    submitted: str = "grading/submitted"
    autograded: str = "grading/autograded"
    feedback: str = "grading/feedback"
    gradebook: str = "grading/gradebook.db"
    integrity: str = "grading/integrity"
    #: A database URL for nbgrader's gradebook (e.g. ``postgresql+psycopg2://...``); by
    #: default the SQLite file ``gradebook``.
    database_url: str | None = None

    @classmethod
    def scratch(cls, root: Path, database_url: str | None = None) -> "CourseLayout":
        """Layout of a throw-away course directory (nbgrader's default names)."""
        return cls(root=Path(root), source="source", release="release",
                   submitted="submitted", autograded="autograded",
                   feedback="feedback", gradebook="gradebook.db", integrity="integrity",
                   database_url=database_url, use_settings=False)

    #: Read ``course.toml`` at ``root`` (course id, exchange, gradebook URL, limits, due dates);
    #: off for scratch courses, which must never reach a real gradebook.
    use_settings: bool = True

    def path(self, step: str) -> Path:
        return self.root / getattr(self, step)

    @property
    def settings(self) -> "CourseSettings":
        from grading.settings import CourseSettings

        return course_settings(self.root) if self.use_settings else CourseSettings()

    @property
    def db_url(self) -> str:
        return (self.database_url or self.settings.gradebook_url
                or f"sqlite:///{self.root / self.gradebook}")

    @property
    def course_id(self) -> str:
        return self.settings.course_id


def apply_course_config(c: Config, layout: CourseLayout, limits: GradingLimits | None = None,
                        sandbox: bool = False) -> Config:
    """Fill an nbgrader traitlets ``Config`` with this course's settings."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import DeduplicateIds, Execute

    from grading.preprocessors import RestoreCellMetadata, RobustExecute
    from grading.preprocessors.restore_metadata import DropMalformedMetadata

    settings = layout.settings
    c.CourseDirectory.root = str(layout.root)
    c.CourseDirectory.course_id = settings.course_id
    c.CourseDirectory.source_directory = layout.source
    c.CourseDirectory.release_directory = layout.release
    c.CourseDirectory.submitted_directory = layout.submitted
    c.CourseDirectory.autograded_directory = layout.autograded
    c.CourseDirectory.feedback_directory = layout.feedback
    c.CourseDirectory.db_url = layout.db_url
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", ".nbgrader.log"]

    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

    # nbgrader's own pipeline, with Execute swapped for a client that cannot miss a reply, and
    # course.toml's due date put in the gradebook before nbgrader judges lateness by it.
    from nbgrader.preprocessors import AssignLatePenalties

    from grading.late import SyncDueDate

    default_pipeline = Autograde.class_traits()["autograde_preprocessors"].default()
    pipeline = [RobustExecute if p is Execute else p for p in default_pipeline]
    pipeline.insert(pipeline.index(AssignLatePenalties), SyncDueDate)
    c.Autograde.autograde_preprocessors = pipeline
    # ... and nbgrader's sanitizing steps with duplicated cells and changed flags repaired.
    sanitize = Autograde.class_traits()["sanitize_preprocessors"].default()
    at = sanitize.index(DeduplicateIds)
    c.Autograde.sanitize_preprocessors = (sanitize[:at] + [DropMalformedMetadata, DeduplicateIds,
                                                           RestoreCellMetadata] + sanitize[at + 1:])
    # Speaker notes stay in the decks: the release leaves them out, after nbgrader has recorded
    # them in the gradebook (grading.preprocessors.speaker_notes says why there).
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import SaveCells

    from grading.preprocessors.speaker_notes import RemoveSpeakerNotes

    generate = list(GenerateAssignment.class_traits()["preprocessors"].default())
    generate.insert(generate.index(SaveCells) + 1, RemoveSpeakerNotes)
    c.GenerateAssignment.preprocessors = generate
    limits = limits or settings.grading_limits()
    c.Execute.timeout = limits.cell_timeout_s
    c.Execute.interrupt_on_timeout = True
    # Seconds to wait for a cell's last output after its reply (nbgrader: 4): generous for
    # a busy machine, since output that never arrives fails the cell (grading.preprocessors.execute).
    c.Execute.iopub_timeout = 15
    c.RobustExecute.sandbox = sandbox
    c.RobustExecute.max_output_bytes = limits.max_output_bytes
    c.RobustExecute.memory_mb = limits.memory_mb
    c.RobustExecute.max_processes = limits.max_processes
    c.RobustExecute.max_threads = limits.max_threads
    c.RobustExecute.max_disk_mb = limits.max_disk_mb
    c.RobustExecute.max_notebook_output_bytes = limits.max_notebook_output_bytes
    c.RobustExecute.max_message_bytes = limits.max_message_bytes
    c.RobustExecute.max_kept_files_bytes = limits.max_kept_files_bytes
    c.RobustExecute.cgroups = limits.cgroups
    c.RobustExecute.notebook_timeout_s = limits.notebook_timeout_s
    c.Execute.extra_arguments = list(KERNEL_ARGS)
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = TF_STDERR_NOISE
    # Students sometimes delete test cells; nbgrader puts them back instead of losing points silently.
    c.OverwriteCells.add_missing_cells = True

    # Feedback: hidden tests cleared (nbgrader issue #917), grader paths scrubbed, math as
    # MathML, inert HTML only (issue 19), tests named by grade id (grading.feedback).
    from grading.feedback import configure_feedback

    configure_feedback(c, layout)
    # grades.csv quoted and formula-safe, with the integrity columns (also for `nbgrader export`).
    c.ExportApp.plugin_class = "grading.export.CourseCsvExportPlugin"
    c.CourseCsvExportPlugin.integrity_directory = str(layout.path("integrity"))
    c.Exchange.assignment_dir = str(layout.root)
    if settings.exchange_root is not None:
        c.Exchange.root = str(settings.exchange_root)
    # nbgrader's collect with forged, linked or special-file records refused (grading.collect),
    # for `nbgrader collect` and formgrader as for `python -m grading collect`.
    c.ExchangeFactory.collect = "grading.collect.SafeExchangeCollect"
    # Due dates and late penalties (course.toml); nbgrader applies them at autograde.
    c.AssignLatePenalties.plugin_class = "grading.late.CoursePenaltyPlugin"
    c.CoursePenaltyPlugin.course_root = str(layout.root) if layout.use_settings else ""
    c.SyncDueDate.course_root = str(layout.root) if layout.use_settings else ""
    c.SyncDueDate.course_id = settings.course_id
    return c


def course_config(layout: CourseLayout | None = None, limits: GradingLimits | None = None,
                  sandbox: bool = False) -> Config:
    """A fresh ``Config`` for ``layout`` (the repository's course by default), with the
    instructor's own ``nbgrader_config.py`` files layered on top (not for scratch courses)."""
    layout = layout or CourseLayout(root=REPO_ROOT)
    c = apply_course_config(Config(), layout, limits, sandbox)
    if layout.use_settings:
        layer_instructor_config(c, layout)
    return c


#: Where the course's own values win over an instructor's file: these say which course
#: directory a command works on (the command was given it), and which course and gradebook
#: it is (``course.toml``'s: one gradebook for every command, never two).
_LAYOUT_KEYS = ("root", "source_directory", "release_directory", "submitted_directory",
                "autograded_directory", "feedback_directory", "course_id", "db_url")


def instructor_config_files(root: Path) -> list[Path]:
    """The instructor's own nbgrader settings, in the order nbgrader loads them (later wins):
    ``nbgrader_config.py`` in Jupyter's config path (``/etc/jupyter``, ``~/.jupyter``, ...;
    where nbgrader's docs put ``course_id`` and ``Exchange.root`` on a JupyterHub), then
    ``nbgrader_config.local.py`` at the course root (this course only, not in git). The
    course's own ``nbgrader_config.py`` files are not among them."""
    from jupyter_core.paths import jupyter_config_path

    ours = {(REPO_ROOT / "nbgrader_config.py").resolve(), (Path(root) / "nbgrader_config.py").resolve()}
    found = [Path(d) / "nbgrader_config.py" for d in reversed(jupyter_config_path())]
    found.append(Path(root) / "nbgrader_config.local.py")
    return [p for p in found if p.is_file() and p.resolve() not in ours]


def layer_instructor_config(c: Config, layout: CourseLayout) -> list[Path]:
    """Merge the instructor's files (``instructor_config_files``) into ``c``; returns them.

    The course directory itself stays the layout's (a ``CourseDirectory.root`` in
    ``~/.jupyter`` must not send ``python -m grading`` to another course)."""
    from traitlets.config.loader import PyFileConfigLoader

    files = instructor_config_files(layout.root)
    keep = {key: c.CourseDirectory[key] for key in _LAYOUT_KEYS if key in c.CourseDirectory}
    for path in files:
        c.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
    for key, value in keep.items():
        if c.CourseDirectory.get(key, value) != value and key in ("course_id", "db_url"):
            print(f"WARNING: CourseDirectory.{key} in your nbgrader_config.py ({', '.join(map(str, files))}) "
                  f"is ignored for this course: set it in {layout.root / 'course.toml'}", file=sys.stderr)
        c.CourseDirectory[key] = value
    return files


def configure_nbgrader(c: Config, root: Path) -> Config:
    """What the course root's ``nbgrader_config.py`` does for the ``nbgrader`` command line
    and formgrader: the course's settings, then the instructor's files on top.

    Kernels run in the sandbox when bubblewrap works here; otherwise nbgrader's CLI grades
    unsandboxed, with a warning (``python -m grading autograde`` refuses instead). Nothing
    here changes this process's environment for kernels: JupyterLab loads the file too, and
    students' interactive kernels must keep their warnings.
    """
    from grading.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem:
        print(f"WARNING: grading without a sandbox: {problem}", file=sys.stderr)
    layout = CourseLayout(root=Path(root))
    apply_course_config(c, layout, sandbox=problem is None)
    layer_instructor_config(c, layout)
    put_own_bin_on_path()
    return c


@functools.lru_cache(maxsize=8)
def _settings_at(path: Path, mtime_ns: int, env_url: str | None) -> "CourseSettings":
    from grading.settings import load_settings

    return load_settings(path.parent)


def course_settings(root: Path) -> "CourseSettings":
    """``course.toml`` of the course at ``root``, read again only when the file changed."""
    from grading.settings import GRADEBOOK_URL_ENV, SETTINGS_FILE

    path = Path(root) / SETTINGS_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _settings_at(path, mtime, os.environ.get(GRADEBOOK_URL_ENV))


def set_kernel_environment() -> None:
    """Export ``KERNEL_ENV`` so that every kernel this process starts inherits it: for
    processes that only grade or render (``python -m grading``, benchmarks, tests). Never
    from ``nbgrader_config.py``, which JupyterLab loads too: grading kernels get
    ``KERNEL_ENV`` from ``RobustExecute`` itself, interactive kernels keep the student's
    environment (warnings shown).
    """
    os.environ.update(KERNEL_ENV)
    put_own_bin_on_path()


def put_own_bin_on_path() -> None:
    """Put this interpreter's ``bin`` first on ``PATH``: nbgrader runs the ``alembic``
    command of its own environment, which is not on ``PATH`` when ``.venv`` is not activated."""
    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [bin_dir]:
        os.environ["PATH"] = os.pathsep.join([bin_dir] + [p for p in path if p != bin_dir])


def list_assignments(source_dir: Path | None = None) -> list[str]:
    """Assignment names (``NN_slug`` folders holding at least one notebook), sorted."""
    source_dir = source_dir or REPO_ROOT / "solutions"
    if not source_dir.is_dir():
        return []
    return sorted(
        p.name for p in source_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.ipynb"))
    )


def source_notebooks(assignment: str, source_dir: Path | None = None) -> list[Path]:
    """The source notebooks of one assignment, sorted by name."""
    folder = (source_dir or REPO_ROOT / "solutions") / assignment
    if not folder.is_dir():
        raise UnknownAssignmentError(assignment, list_assignments(source_dir))
    return sorted(p for p in folder.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


#: Assignment ids renumbered on 2026-12-03 (issue 23: ``04_optimization``, on optimizers,
#: comes after backprop): old id -> new id. Only for the error message: nbgrader keys
#: submissions, grades and feedback by id, so a course released under the old ids finishes
#: its semester on the commit it was released from (docs/instructor-guide.md).
RENAMED_ASSIGNMENTS: dict[str, str] = {
    "04_generalization": "05_generalization",
    "05_tensorflow": "06_tensorflow",
    "06_cnn": "07_cnn",
    "07_rnn": "08_rnn",
    "08_batchnorm": "09_batchnorm",
    "09_resnet": "10_resnet",
    "10_knn": "11_knn",
}


class UnknownAssignmentError(LookupError):
    """Raised for an assignment name with no folder under ``solutions/``; an id renumbered in
    ``RENAMED_ASSIGNMENTS`` is told its new id."""

    def __init__(self, name: str, known: list[str]):
        message = f"unknown assignment {name!r}"
        old_id = name.strip().rstrip("/\\")  # without the slash shell completion adds
        new_id = RENAMED_ASSIGNMENTS.get(old_id)
        if new_id:
            message += (f": `{old_id}` was renumbered to `{new_id}` on 2026-12-03 (issue 23): "
                        f"use `{new_id}`; a semester released under the old ids finishes on the commit it was "
                        f"released from (docs/instructor-guide.md, \"Assignment ids changed (December 2026)\")")
        super().__init__(f"{message}; known assignments: {', '.join(known) or 'none'}")
