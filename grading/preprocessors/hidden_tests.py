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
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["traceback"] = scrub_traceback(output.get("traceback", []), output)
        return cell, resources


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
