"""Put a submission's nbgrader cell metadata back in order before nbgrader checks it.

nbgrader's ``OverwriteCells`` restores a cell's type, lock, points and (for locked cells)
source, but not its ``grade`` and ``solution`` flags: a student who unticks "grade" on a
test cell makes the restored checksum disagree and nbgrader stops with "Inconsistent
checksums". And ``DeduplicateIds`` leaves an empty ``nbgrader`` dict on the extra copies
of a duplicated cell, on which ``add_missing_task_cells`` fails with ``KeyError:
'grade_id'``. This preprocessor runs between the two and repairs both, so such
submissions are graded (the integrity report still lists what the student changed).
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor


class RestoreCellMetadata(NbGraderPreprocessor):
    """Drop emptied nbgrader metadata; restore grade/solution flags from the gradebook."""

    def preprocess(self, nb, resources):
        notebook = resources["nbgrader"]["notebook"]
        assignment = resources["nbgrader"]["assignment"]
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader")
                if meta is None:
                    continue
                grade_id = meta.get("grade_id")
                if not grade_id:
                    del cell.metadata["nbgrader"]
                    continue
                try:
                    gb.find_source_cell(grade_id, notebook, assignment)
                except MissingEntry:
                    continue  # OverwriteCells drops unknown ids itself
                meta["grade"] = _exists(gb.find_graded_cell, grade_id, notebook, assignment)
                meta["solution"] = _exists(gb.find_solution_cell, grade_id, notebook, assignment)
        return nb, resources


def _exists(find, grade_id: str, notebook: str, assignment: str) -> bool:
    try:
        find(grade_id, notebook, assignment)
        return True
    except MissingEntry:
        return False
