"""Keep hidden tests out of what students see (nbgrader issue #917).

nbgrader's autograder restores the full test cells, hidden tests included, before running
a submission, so the autograded notebook (and the feedback rendered from it) shows the
hidden code and the traceback lines that quote it. Feedback runs these preprocessors:
``ClearHiddenTestOutputs`` first, while the hidden markers are still there to be seen,
then nbgrader's own ``ClearHiddenTests`` to remove the hidden source itself.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader import utils

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_NOTE = "(the lines of the hidden test that failed are not shown)"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes from a traceback line."""
    return _ANSI.sub("", text)


class ClearHiddenTestOutputs(NbGraderPreprocessor):
    """Drop traceback frames that quote the source of a test cell with hidden tests.

    The error name and message stay (they are what the student acts on), and frames
    from the student's own functions or from ``helpers`` stay too.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or HIDDEN_BEGIN not in cell.source:
            return cell, resources
        hidden = hidden_lines(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = scrub_traceback(output.get("traceback", []), output)
            scrub_quotes(output, hidden)
        return cell, resources


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


def scrub_traceback(frames: list[str], output: dict) -> list[str]:
    """Replace the frames that show the test cell's own lines with one note."""
    kept: list[str] = []
    noted = False
    for frame in frames:
        plain = strip_ansi(frame)
        if "Cell In[" in plain or "<ipython-input-" in plain or "input In [" in plain:
            if not noted:
                kept.append(HIDDEN_NOTE)
                noted = True
            continue
        kept.append(frame)
    if not kept or not strip_ansi(kept[-1]).startswith(str(output.get("ename", ""))):
        kept.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
    return kept
