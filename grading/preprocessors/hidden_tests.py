"""Keep hidden tests out of what students see (nbgrader issue #917), and say which part failed.

nbgrader's autograder restores the full test cells, hidden tests included, before running
a submission, so the autograded notebook (and the feedback rendered from it) shows the
hidden code and the traceback lines that quote it. Feedback runs these preprocessors:
``ClearHiddenTestOutputs`` first, while the hidden markers are still there to be seen,
then nbgrader's own ``ClearHiddenTests`` to remove the hidden source itself.

A failure in the *visible* part of a test is worded as such, "failed in the visible tests:
<message>": the student sees those tests, so the message may be shown. Where the grade came
from a trusted check (``grading.trusted``), the verdicts in the notebook's metadata
(``course_grading.trusted``: ``phase`` is "visible" or "hidden") say which part failed;
hidden failures keep their redacted "hidden case: ..." message. In a test cell with a
``### BEGIN HIDDEN TESTS`` block run by the kernel, the traceback's line in the cell says
it: before the marker is visible. Either way no line of the cell's source is quoted.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_NOTE = "(the lines of the hidden test that failed are not shown)"
VISIBLE_FAILURE = "failed in the visible tests: "
#: The first line of the error a failed trusted check leaves (``grading.trusted.apply``).
CHECKER_HEADER = "Graded by the course's checker:"
METADATA_KEY = "course_grading"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Where a traceback frame says which line of the running cell failed (IPython >= 8.4,
#: IPython 8.0-8.3, IPython 7).
_CELL_LINE = (re.compile(r"Cell In\s*\[\d*\],\s*line (\d+)"), re.compile(r"<cell line: (\d+)>"),
              re.compile(r"(?m)^-*> ?(\d+)\b"))


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from a traceback line."""
    return _ANSI.sub("", text)


class ClearHiddenTestOutputs(NbGraderPreprocessor):
    """Drop traceback frames that quote the source of a test cell with hidden tests, and
    word failures of the visible tests as such (see the module docstring).

    The error name and message stay (they are what the student acts on), and frames
    from the student's own functions or from ``helpers`` stay too.
    """

    def preprocess(self, nb, resources):
        self._verdicts = trusted_verdicts(nb)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        verdict = getattr(self, "_verdicts", {}).get(cell.metadata.nbgrader.get("grade_id"))
        if verdict is not None and not verdict.get("passed") and verdict.get("phase") == "visible":
            for output in cell.get("outputs", []):
                if is_checker_error(output):
                    output["traceback"] = [CHECKER_HEADER, VISIBLE_FAILURE + str(output.get("evalue", ""))]
        if HIDDEN_BEGIN not in cell.source:
            return cell, resources
        hidden = hidden_lines(cell.source)
        marker = hidden_marker_line(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and not is_checker_error(output):
                frames = output.get("traceback", [])
                failed_at = failing_cell_line(frames)
                visible = failed_at is not None and marker is not None and failed_at < marker
                output["traceback"] = scrub_traceback(frames, output, visible=visible)
            scrub_quotes(output, hidden)
        return cell, resources


def trusted_verdicts(nb) -> dict[str, dict]:
    """The trusted checks' verdicts by grade id, from the notebook's metadata (only
    well-formed entries: the metadata was written by the grader, but costs nothing to check)."""
    grading = nb.get("metadata", {}).get(METADATA_KEY)
    trusted = grading.get("trusted") if isinstance(grading, dict) else None
    if not isinstance(trusted, dict):
        return {}
    return {str(k): v for k, v in trusted.items() if isinstance(v, dict) and isinstance(v.get("phase"), str)}


def is_checker_error(output: dict) -> bool:
    """Whether ``output`` is the error a failed trusted check wrote (it quotes no cell source)."""
    traceback = output.get("traceback") or []
    return output.get("output_type") == "error" and bool(traceback) and traceback[0] == CHECKER_HEADER


def hidden_marker_line(source: str) -> int | None:
    """The 1-based line of the cell's first ``BEGIN HIDDEN TESTS`` marker."""
    for number, line in enumerate(source.splitlines(), start=1):
        if HIDDEN_BEGIN in line:
            return number
    return None


def failing_cell_line(frames: list[str]) -> int | None:
    """The line of the running cell where the error was raised: the traceback's first frame
    that points into a cell (the outermost frame is the cell being run)."""
    for frame in frames:
        plain = strip_ansi(frame)
        if not ("Cell In[" in plain or "<ipython-input-" in plain or "Input In [" in plain):
            continue
        for pattern in _CELL_LINE:
            match = pattern.search(plain)
            if match:
                return int(match.group(1))
        return None
    return None


def hidden_lines(source: str) -> list[str]:
    """The lines of a cell's hidden-test blocks worth looking for (12 characters or more)."""
    lines, inside = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif inside and len(line.strip()) >= 12:
            lines.append(line.strip())
    return lines


def scrub_quotes(output: dict, hidden: list[str]) -> None:
    """Blank any text of ``output`` that quotes a hidden line: student code can print the
    running cell's source (``In[-1]``) or put it in an exception's message."""
    note = "(removed: this output quoted the hidden test)"

    def clean(text):
        return note if isinstance(text, str) and any(line in text for line in hidden) else text

    if "text" in output:
        output["text"] = clean("".join(output["text"]) if isinstance(output["text"], list) else output["text"])
    if "evalue" in output:
        output["evalue"] = clean(output["evalue"])
    if "traceback" in output:
        output["traceback"] = [clean(strip_ansi(t)) if clean(strip_ansi(t)) == note else t for t in output["traceback"]]
    for mime, value in list(output.get("data", {}).items()):
        text = "".join(value) if isinstance(value, list) else value
        output["data"][mime] = clean(text) if isinstance(text, str) else value


def scrub_traceback(frames: list[str], output: dict, visible: bool = False) -> list[str]:
    """Replace the frames that show the test cell's own lines with one note: the hidden-test
    note, or, for a failure in the visible part, "failed in the visible tests: <error>"."""
    message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    kept: list[str] = []
    noted = False
    for frame in frames:
        plain = strip_ansi(frame)
        if "Cell In[" in plain or "<ipython-input-" in plain or "input In [" in plain or "Input In [" in plain:
            if not noted:
                kept.append(VISIBLE_FAILURE + message if visible else HIDDEN_NOTE)
                noted = True
            continue
        kept.append(frame)
    if visible:
        if not noted:
            kept.append(VISIBLE_FAILURE + message)
        elif strip_ansi(kept[-1]).strip() == message.strip():
            kept.pop()  # IPython's last line repeats the error the note already names
        return kept
    if not kept or not strip_ansi(kept[-1]).startswith(str(output.get("ename", ""))):
        kept.append(message)
    return kept
