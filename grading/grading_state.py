"""What the last grading of each submission saw and concluded, for incremental grading.

``python -m grading autograde`` grades only submissions that are new or changed since they
were last graded. "Changed" is judged by a fingerprint of everything the grade depends on:
the submitted folder's files (names and bytes), the assignment's source notebooks and their
trusted check modules. So a resubmission, a fixed test or an edited check each lead to a
regrade, and nothing else does. The state of each (student, assignment) is one small JSON
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


def fingerprint(layout: CourseLayout, assignment: str, student: str) -> str:
    """SHA-256 over the submission's files and the assignment's grading sources."""
    digest = hashlib.sha256()
    folder = layout.path("submitted") / student / assignment

    def add(label: str, path: Path) -> None:
        digest.update(label.encode("utf-8", "surrogateescape") + b"\0")
        if path.is_symlink():  # never followed: the link itself is what was submitted
            digest.update(b"link:" + os.readlink(path).encode("utf-8", "surrogateescape"))
        elif path.is_file():
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        digest.update(b"\0")

    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if (Path(root) / d).is_symlink()]:
            path = Path(root) / name
            add("submitted/" + str(path.relative_to(folder)), path)
    for source in source_notebooks(assignment, layout.path("source")):
        add("source/" + source.name, source)
        for module in check_module_paths(source.stem):
            add("check/" + module.name, module)
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
