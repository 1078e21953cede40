"""Put a submission's nbgrader cell metadata back in order before nbgrader checks it.

nbgrader's ``OverwriteCells`` restores a cell's type, lock, points and (for locked cells)
source, but not its ``grade`` and ``solution`` flags: a student who unticks "grade" on a
test cell makes the restored checksum disagree and nbgrader stops with "Inconsistent
checksums". And ``DeduplicateIds`` leaves an empty ``nbgrader`` dict on the extra copies
of a duplicated cell, on which ``add_missing_task_cells`` fails with ``KeyError:
'grade_id'``; so does a cell whose grade_id the gradebook does not know (copied and
renamed by the student, or from another assignment), which loses its nbgrader metadata
here. This preprocessor runs between the two and repairs all three, so such submissions
are graded (the integrity report still lists what the student changed).
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
                    # A cell copied and renamed, or from another assignment: OverwriteCells
                    # would drop only its grade_id and leave grade/solution flags that its
                    # add_missing_* steps then fail on (KeyError: 'grade_id'). Without its
                    # metadata it is a plain cell; the static scan reports it.
                    del cell.metadata["nbgrader"]
                    continue
                meta["grade"] = _exists(gb.find_graded_cell, grade_id, notebook, assignment)
                meta["solution"] = _exists(gb.find_solution_cell, grade_id, notebook, assignment)
        return nb, resources


def _exists(find, grade_id: str, notebook: str, assignment: str) -> bool:
    try:
        find(grade_id, notebook, assignment)
        return True
    except MissingEntry:
        return False


class DropMalformedMetadata(NbGraderPreprocessor):
    """Runs before ``DeduplicateIds``: nbgrader metadata that is not a dict, or that has no
    grade_id string, would make nbgrader fail on the whole submission (``KeyError:
    'grade_id'``, ``TypeError: unhashable type``); the cell loses it and is a plain cell
    (the static scan reports it)."""

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            metadata = cell.get("metadata")
            if not isinstance(metadata, dict) or "nbgrader" not in metadata:
                continue
            meta = metadata["nbgrader"]
            if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str) or not meta["grade_id"]:
                del metadata["nbgrader"]
        return nb, resources
