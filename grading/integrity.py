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
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from grading.preprocessors.execute import METADATA_KEY
from grading.textsafe import safe_text

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


#: Longest detail, cell label and kind kept from a runtime event; most runtime findings kept
#: per notebook (the guard's answers reach the report through student-controlled objects).
MAX_DETAIL, MAX_LABEL, MAX_RUNTIME_FINDINGS = 300, 80, 300
#: What an event name from the guard or the hardened Execute looks like.
EVENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,39}")


@dataclass
class IntegrityReport:
    """Findings for one (student, assignment); ``died_in`` names the cell where a kernel died;
    ``error`` says why (part of) the report could not be built."""

    student: str
    assignment: str
    findings: list[dict] = field(default_factory=list)
    died_in: str | None = None
    death: str | None = None
    sandboxed: bool = False
    error: str | None = None

    @property
    def clean(self) -> bool:
        return not self.findings and not self.error

    def summary(self) -> str:
        """One short phrase for the table and the CSV: "clean" or the kinds found."""
        parts = []
        if self.error:
            parts.append("integrity report incomplete")
        if self.findings:
            kinds = sorted({safe_text(f.get("kind"), 40) for f in self.findings})
            parts.append(f"{len(self.findings)} finding{'s' * (len(self.findings) != 1)}: {', '.join(kinds)}")
        if self.died_in:
            parts.append(f"kernel died in {safe_text(self.died_in, MAX_LABEL)}")
        return "; ".join(parts) or "clean"

    def lines(self) -> list[str]:
        """Every finding as one line, for the terminal (control characters shown as escapes)."""
        out = [safe_text(self.error, 500)] if self.error else []
        for f in self.findings:
            line = f" line {safe_text(f['line'], 10)}" if f.get("line") else ""
            out.append(f"{safe_text(f.get('kind'), 40)} in {safe_text(f.get('cell'), MAX_LABEL)}{line} "
                       f"({safe_text(f.get('source'), 20)}): {safe_text(f.get('detail'), 500)}")
        if self.death:
            out.append(safe_text(self.death, 500))
        return out

    def to_json(self) -> dict:
        """The report as JSON; ``error`` only where there is one (the ``grade --json`` contract)."""
        out = asdict(self)
        if out["error"] is None:
            del out["error"]
        return out


def failed_report(student: str, assignment: str, exc: BaseException) -> IntegrityReport:
    """The report of a submission whose report could not be built: it says so."""
    return IntegrityReport(student=student, assignment=assignment,
                           error=f"the integrity report could not be built ({type(exc).__name__}: "
                                 f"{safe_text(exc, 200)}); review the submission yourself")


def runtime_part(autograded: nbformat.NotebookNode) -> dict:
    """What the hardened Execute recorded in an autograded notebook's metadata."""
    part = autograded.metadata.get(METADATA_KEY, {})
    return dict(part) if isinstance(part, dict) else {}


def runtime_finding(event: object, prefix: str) -> dict:
    """One runtime event as a finding. The guard's answers pass through objects student code
    can replace, so an event may be anything: what is not a dict of short strings with a
    known-looking name becomes a "guard" finding that shows (the start of) it."""
    if (isinstance(event, dict) and isinstance(event.get("event"), str) and EVENT_NAME.fullmatch(event["event"])
            and isinstance(event.get("detail"), str) and isinstance(event.get("cell", ""), str)):
        name, detail = event["event"], event["detail"]
        return {"kind": event_kind(name), "cell": prefix + event.get("cell", "")[:MAX_LABEL], "line": None,
                "detail": (detail if name in ("monkeypatch", "guard", "verdict-mismatch") else f"{name} {detail}".strip())[:MAX_DETAIL],
                "source": "runtime"}
    try:
        shown = json.dumps(event)
    except (TypeError, ValueError, RecursionError):
        shown = repr(type(event))
    return {"kind": "guard", "cell": prefix.rstrip(": "), "line": None, "source": "runtime",
            "detail": f"malformed event from the integrity guard (tampered with?): {shown[:200]}"}


def _dedupe(findings: list[dict]) -> list[dict]:
    seen, unique = set(), []
    for f in findings:
        key = (f["kind"], f["cell"], f["detail"])
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def build_report(student: str, assignment: str, notebooks: list[tuple[Path, Path, Path]]) -> IntegrityReport:
    """``notebooks``: (submitted, source, autograded) paths of each notebook of the submission.

    Never raises for what a submission holds: a static scan that fails and malformed guard
    events are findings ("scan-failed", "guard"); an autograded notebook that cannot be read
    sets ``error``. Only a failure outside (say, the source unreadable) raises; callers then
    use ``failed_report``.
    """
    from grading.static_scan import scan_submission

    report = IntegrityReport(student=student, assignment=assignment)
    errors = []
    for submitted, source, autograded in notebooks:
        prefix = "" if len(notebooks) == 1 else f"{source.stem}: "
        src_nb = nbformat.read(source, as_version=4)
        try:
            found = [f.to_json() for f in scan_submission(nbformat.read(submitted, as_version=4), src_nb)]
        except Exception as exc:  # noqa: BLE001 (the report still comes, saying the scan failed)
            found = [{"kind": "scan-failed", "cell": "", "line": None, "source": "static",
                      "detail": f"the static scan failed ({type(exc).__name__}: {str(exc)[:150]}); "
                                "read the submission yourself"}]
        for item in found:
            item["cell"] = prefix + item["cell"]
            report.findings.append(item)
        if not autograded.exists():
            continue
        try:
            runtime = runtime_part(nbformat.read(autograded, as_version=4))
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{prefix}the autograded notebook could not be read ({type(exc).__name__}: "
                          f"{str(exc)[:150]}), so the runtime findings are missing")
            continue
        report.sandboxed = report.sandboxed or bool(runtime.get("sandbox"))
        events = runtime.get("findings", [])
        if not isinstance(events, list):
            events = [events]
        runtime_found = _dedupe([runtime_finding(e, prefix) for e in events])
        if len(runtime_found) > MAX_RUNTIME_FINDINGS:
            extra = len(runtime_found) - MAX_RUNTIME_FINDINGS
            runtime_found = runtime_found[:MAX_RUNTIME_FINDINGS] + [{
                "kind": "guard", "cell": prefix.rstrip(": "), "line": None, "source": "runtime",
                "detail": f"{extra} more runtime findings not listed"}]
        report.findings += runtime_found
        if runtime.get("died_in"):
            report.died_in = prefix + str(runtime["died_in"])[:MAX_LABEL]
            report.death = str(runtime.get("death"))[:MAX_DETAIL]
    if errors:
        report.error = "; ".join(errors)
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
