"""What the last grading of each submission saw and concluded, for incremental grading.

``python -m grading autograde`` grades only submissions that are new or changed since they
were last graded. "Changed" is judged by a fingerprint of everything the grade depends on:
the submitted folder's files (names and bytes), the assignment's source notebooks, their
trusted check modules, the grader's own code that runs them (``grading/trusted``) and the
``helpers`` package the notebooks import, and the assignment's settings in ``course.toml``
(due date, late policy, limits). So a resubmission, a fixed test, an edited check or a moved
deadline each lead to a regrade, and nothing else does. The state of each (student, assignment) is one small JSON
file beside its integrity report: ``<integrity>/<student>/<assignment>.grading.json``, with
the fingerprint, the outcome (graded, or error and its reason) and when it was decided.
It is the grader's own bookkeeping, never student data; the gradebook stays nbgrader's.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from grading.course import REPO_ROOT, CourseLayout, source_notebooks

STATE_SUFFIX = ".grading.json"


@dataclass
class GradingState:
    fingerprint: str
    status: str  # "graded" | "error"
    reason: str | None = None
    graded_at: str = ""


def check_module_paths(notebook_stem: str) -> list[Path]:
    """The trusted check modules that can score a notebook (``grading.trusted.registry``)."""
    dirs = [REPO_ROOT / "grading" / "checks"] + [Path(d) for d in os.environ.get("COURSE_CHECK_DIRS", "").split(os.pathsep) if d]
    return [d / f"{notebook_stem}.py" for d in dirs if (d / f"{notebook_stem}.py").is_file()]


def _add(digest, label: str, path: Path | None = None, data: bytes | None = None) -> None:
    """Add one labelled item; every part is length-prefixed, so no two different sets of
    (label, content) pairs give the same byte stream."""
    def part(b: bytes) -> None:
        digest.update(len(b).to_bytes(8, "big") + b)

    part(label.encode("utf-8", "surrogateescape"))
    if data is not None:
        part(data)
    elif path is not None and path.is_symlink():  # never followed: the link itself was submitted
        part(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
    elif path is not None and path.is_file() and not path.is_symlink():
        size = path.stat().st_size
        digest.update(b"file" + size.to_bytes(8, "big"))
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:  # a folder, FIFO or socket: only its kind counts (never opened)
        part(b"other")


def _tree(digest, prefix: str, folder: Path, pattern: str = "*") -> None:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob(pattern)):
        if "__pycache__" not in path.parts and (path.is_file() or path.is_symlink()):
            _add(digest, f"{prefix}/{path.relative_to(folder)}", path)


def grading_inputs(layout: CourseLayout, assignment: str) -> str:
    """SHA-256 of what grades ``assignment`` on the course's side (the same for every
    student): source notebooks, check modules, the grader's trusted-check code, ``helpers``,
    and the assignment's settings."""
    digest = hashlib.sha256()
    for source in source_notebooks(assignment, layout.path("source")):
        _add(digest, "source/" + source.name, source)
        for module in check_module_paths(source.stem):
            _add(digest, "check/" + module.name, module)
    _tree(digest, "trusted", REPO_ROOT / "grading" / "trusted", "*.py")
    _tree(digest, "helpers", REPO_ROOT / "helpers", "*.py")
    settings = layout.settings
    _add(digest, "settings", data=repr((settings.assignment(assignment), sorted(settings.limits.items()))).encode())
    return digest.hexdigest()


def fingerprint(layout: CourseLayout, assignment: str, student: str, inputs: str | None = None) -> str:
    """SHA-256 over the submission's files and ``grading_inputs`` (pass it in when grading
    many students of one assignment: it is the same for all)."""
    digest = hashlib.sha256()
    folder = layout.path("submitted") / student / assignment
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + sorted(d for d in dirs if (Path(root) / d).is_symlink()):
            path = Path(root) / name
            _add(digest, "submitted/" + str(path.relative_to(folder)), path)
    _add(digest, "inputs", data=(inputs or grading_inputs(layout, assignment)).encode())
    return digest.hexdigest()


def state_path(layout: CourseLayout, assignment: str, student: str) -> Path:
    return layout.path("integrity") / student / f"{assignment}{STATE_SUFFIX}"


def read_state(layout: CourseLayout, assignment: str, student: str) -> GradingState | None:
    try:
        data = json.loads(state_path(layout, assignment, student).read_text(encoding="utf-8"))
        return GradingState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_state(layout: CourseLayout, assignment: str, student: str, state: GradingState) -> None:
    path = state_path(layout, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    state.graded_at = state.graded_at or datetime.now(timezone.utc).isoformat(timespec="seconds")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")
    tmp.replace(path)  # never a half-written state file


def forget_states_without_submission(layout: CourseLayout, assignment: str) -> list[str]:
    """Drop the states of submissions whose folder is gone (taken back, moved): an old error
    must not stay in the exports. Returns the students."""
    gone = []
    folder = layout.path("integrity")
    if not folder.is_dir():
        return gone
    for path in folder.glob(f"*/{assignment}{STATE_SUFFIX}"):
        student = path.parent.name
        if not (layout.path("submitted") / student / assignment).is_dir():
            path.unlink(missing_ok=True)
            gone.append(student)
    return gone


def read_error(integrity_dir: Path, student: str, assignment: str) -> str | None:
    """The reason a submission could not be graded at its last grading, or None (for the
    CSV exporter, which knows the integrity folder but not the layout)."""
    try:
        data = json.loads((integrity_dir / student / f"{assignment}{STATE_SUFFIX}").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("status") != "error":
        return None
    return data.get("reason") or "could not be graded"
