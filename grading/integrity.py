"""The integrity report of one submission: what the static scan and the runtime guard found.

Sources, merged per submission:
- ``grading.static_scan`` reads the submitted notebook against the source (structure:
  deleted, duplicated or edited cells, changed metadata; code: monkeypatching, lying
  objects, introspection, file access, native code, processes, network, kernel exits);
- the runtime guard and the hardened ``Execute`` leave ``course_grading`` in the
  autograded notebook's metadata: monkeypatches undone before tests, audited events
  (reads outside the student's folder, frame/gc introspection, ctypes, ...), and where
  the kernel died and why.

The report is saved as JSON under ``grading/integrity/<student>/<assignment>.json``, marks
the submission as flagged in nbgrader's gradebook (formgrader shows the flag), and is
summarised in the grade table and in ``grades.csv``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from grading.preprocessors.execute import METADATA_KEY

#: Runtime event names -> the static scan's kinds, so one vocabulary reaches the instructor.
EVENT_KINDS = {
    "monkeypatch": "monkeypatch", "open": "file-access", "guard": "guard",
    "sys._getframe": "introspection", "sys._current_frames": "introspection",
    "gc.get_objects": "introspection", "gc.get_referrers": "introspection",
    "gc.get_referents": "introspection", "sys.settrace": "introspection",
    "sys.setprofile": "introspection", "sys.addaudithook": "introspection",
    "ctypes.dlopen": "native-code", "ctypes.dlsym": "native-code", "ctypes.string_at": "native-code",
    "ctypes.wstring_at": "native-code", "ctypes.cdata": "native-code", "ctypes.addressof": "native-code",
    "ctypes.call_function": "native-code",
    "socket.connect": "network", "socket.bind": "network",
}


def event_kind(event: str) -> str:
    return EVENT_KINDS.get(event, "process" if event.startswith(("os.", "subprocess.")) else event)


@dataclass
class IntegrityReport:
    """Findings for one (student, assignment); ``died_in`` names the cell where a kernel died."""

    student: str
    assignment: str
    findings: list[dict] = field(default_factory=list)
    died_in: str | None = None
    death: str | None = None
    sandboxed: bool = False

    @property
    def clean(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        """One short phrase for the table and the CSV: "clean" or the kinds found."""
        parts = []
        if self.findings:
            kinds = sorted({f["kind"] for f in self.findings})
            parts.append(f"{len(self.findings)} finding{'s' * (len(self.findings) != 1)}: {', '.join(kinds)}")
        if self.died_in:
            parts.append(f"kernel died in {self.died_in}")
        return "; ".join(parts) or "clean"

    def lines(self) -> list[str]:
        """Every finding as one line, for the terminal."""
        out = [f"{f['kind']} in {f['cell']}" + (f" line {f['line']}" if f.get("line") else "")
               + f" ({f['source']}): {f['detail']}" for f in self.findings]
        if self.death:
            out.append(self.death)
        return out

    def to_json(self) -> dict:
        return asdict(self)


def runtime_part(autograded: nbformat.NotebookNode) -> dict:
    """What the hardened Execute recorded in an autograded notebook's metadata."""
    return dict(autograded.metadata.get(METADATA_KEY, {}))


def build_report(student: str, assignment: str, notebooks: list[tuple[Path, Path, Path]]) -> IntegrityReport:
    """``notebooks``: (submitted, source, autograded) paths of each notebook of the submission."""
    from grading.static_scan import scan_submission

    report = IntegrityReport(student=student, assignment=assignment)
    for submitted, source, autograded in notebooks:
        prefix = "" if len(notebooks) == 1 else f"{source.stem}: "
        sub_nb = nbformat.read(submitted, as_version=4)
        src_nb = nbformat.read(source, as_version=4)
        for finding in scan_submission(sub_nb, src_nb):
            item = finding.to_json()
            item["cell"] = prefix + item["cell"]
            report.findings.append(item)
        if autograded.exists():
            runtime = runtime_part(nbformat.read(autograded, as_version=4))
            report.sandboxed = bool(runtime.get("sandbox"))
            for event in runtime.get("findings", []):
                report.findings.append({
                    "kind": event_kind(event["event"]), "cell": prefix + event.get("cell", ""),
                    "line": None, "detail": event["detail"] if event["event"] in ("monkeypatch", "guard")
                    else f"{event['event']} {event['detail']}".strip(), "source": "runtime"})
            if runtime.get("died_in"):
                report.died_in = prefix + runtime["died_in"]
                report.death = runtime.get("death")
    return report


def report_path(integrity_dir: Path, student: str, assignment: str) -> Path:
    return integrity_dir / student / f"{assignment}.json"


def write_report(report: IntegrityReport, integrity_dir: Path) -> Path:
    path = report_path(integrity_dir, report.student, report.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_json(), indent=1))
    return path


def read_report(integrity_dir: Path, student: str, assignment: str) -> IntegrityReport | None:
    try:
        return IntegrityReport(**json.loads(report_path(integrity_dir, student, assignment).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def flag_in_gradebook(db_url: str, course_id: str, report: IntegrityReport, notebooks: list[str]) -> None:
    """Mark the submission's notebooks as flagged for review (nbgrader's own field)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, course_id) as gb:
        for name in notebooks:
            try:
                nb = gb.find_submission_notebook(name, report.assignment, report.student)
            except MissingEntry:
                continue
            nb.flagged = not report.clean
        gb.db.commit()
