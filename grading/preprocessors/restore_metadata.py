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

It also puts missing graded cells back itself, before ``OverwriteCells`` would: nbgrader's
``add_missing_grade_cells`` places a missing cell right after the source cell before it and
assumes that one is in the submission as a graded or answer cell. When it is not (an answer
cell whose metadata an editor stripped, a locked cell before the test, a notebook of another
assignment) nbgrader stops with ``KeyError: '<that cell's id>'`` (``KeyError: 'predict'``).
Here a missing cell goes before the next cell of the source that the submission has, which
is where nbgrader would put it whenever its own rule works. A notebook with none of the
notebook's answer and test cells cannot be matched to it at all and is refused with
``NotebookMismatchError``, a reason a student can act on.

Manually graded answers (the written questions) are repaired the same way: their grade,
solution and locked flags come from the gradebook here, their points from ``OverwriteCells``,
so a student cannot make one worth more, lock it or turn it into a test (``grading.results``).
"""

from __future__ import annotations

import uuid

from nbformat import from_dict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor, OverwriteCells


class NotebookMismatchError(ValueError):
    """The submitted notebook has none of the answer and test cells of the notebook it is
    graded as (its nbgrader metadata was stripped, or it is another notebook)."""


def mismatch_message(notebook: str, assignment: str) -> str:
    """What a student reads when a notebook cannot be matched to ``notebook`` of ``assignment``."""
    return (f"this notebook has none of the answer and test cells of {notebook}.ipynb ({assignment}): "
            "its hidden cell information (nbgrader metadata) was removed, by saving it with an editor "
            "other than Jupyter or by copying the cells into a new notebook, or it is another "
            "assignment's notebook. Re-download the release notebook, paste your answers into it "
            "and submit it again")


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
                    source_cell = gb.find_source_cell(grade_id, notebook, assignment)
                except MissingEntry:
                    # A cell copied and renamed, or from another assignment: OverwriteCells
                    # would drop only its grade_id and leave grade/solution flags that its
                    # add_missing_* steps then fail on (KeyError: 'grade_id'). Without its
                    # metadata it is a plain cell; the static scan reports it.
                    del cell.metadata["nbgrader"]
                    continue
                _restore_known_cell(meta, gb, source_cell, notebook, assignment)
            self._add_missing_graded_cells(nb, gb, notebook, assignment)
        return nb, resources

    def _add_missing_graded_cells(self, nb, gb: Gradebook, notebook: str, assignment: str) -> None:
        """Refuse a notebook with none of the source's answer and test cells; put missing
        graded cells back (when ``OverwriteCells.add_missing_cells`` is on) before the next
        source cell present, so that nbgrader finds none missing (see the module docstring)."""
        source_nb = gb.find_notebook(notebook, assignment)
        graded = {cell.name: cell for cell in source_nb.grade_cells}
        answers = {cell.name for cell in source_nb.solution_cells}
        present = {_grade_id(cell) for cell in nb.cells} - {None}
        if (graded.keys() | answers) and not (graded.keys() | answers) & present:
            raise NotebookMismatchError(mismatch_message(notebook, assignment))
        if not self.config.OverwriteCells.get("add_missing_cells", False):
            return
        adder = OverwriteCells(parent=self)  # its cell format and notification text
        # nbgrader's own order of the source cells (the order it records them in).
        order = list(source_nb.source_cells)
        for at, source_cell in enumerate(order):
            if source_cell.name not in graded or source_cell.name in present:
                continue
            # from_dict: nested NotebookNodes, as OverwriteCells reads them (cell.metadata.nbgrader)
            cell = from_dict(adder.missing_cell_transform(source_cell, graded[source_cell.name].max_score,
                                                          is_solution=source_cell.name in answers))
            cell.setdefault("id", uuid.uuid4().hex[:8])  # nbformat 4.5 wants one
            later = next((c.name for c in order[at + 1:] if c.name in present), None)
            index = next((i for i, c in enumerate(nb.cells) if later is not None and _grade_id(c) == later),
                         len(nb.cells))
            nb.cells.insert(index, cell)
            present.add(source_cell.name)
            self.log.warning("Missing grade cell %s encountered, adding to notebook", source_cell.name)


def _restore_known_cell(meta: dict, gb: Gradebook, source_cell, notebook: str, assignment: str) -> None:
    """The nbgrader metadata of a cell the gradebook knows, as the gradebook says, so that
    nothing a student wrote into it can fail nbgrader's schema check (``CheckCellMetadata``:
    "Notebook failed to validate", the whole submission ungraded) or change points:

    - keys nbgrader's schema does not have (a forged ``score``) are dropped;
    - ``schema_version``, the ``grade``, ``solution`` and ``locked`` flags are the gradebook's
      (``OverwriteCells`` restores ``locked`` only where nbgrader reads it, never on an answer
      cell: a written answer is unlocked whatever its flag says);
    - ``points`` of a graded cell are the gradebook's (also where they were deleted or are
      not a number, on which ``OverwriteCells`` would fail); other cells have none;
    - a ``checksum`` or ``cell_type`` that is not text is dropped (``OverwriteCells`` writes
      the checksum again).
    """
    from nbgrader.nbgraderformat import MetadataValidator

    validator = MetadataValidator()
    for key in set(meta) - set(validator.schema["properties"]):
        del meta[key]
    meta["schema_version"] = validator.schema_version
    graded = _find(gb.find_graded_cell, meta["grade_id"], notebook, assignment)  # a grade or a task cell
    task = _find(gb.find_task_cell, meta["grade_id"], notebook, assignment) is not None
    meta["grade"] = graded is not None and not task
    meta["solution"] = _exists(gb.find_solution_cell, meta["grade_id"], notebook, assignment)
    meta["locked"] = bool(source_cell.locked)
    if task or "task" in meta:
        meta["task"] = task
    if graded is not None:
        meta["points"] = float(graded.max_score)
    else:
        meta.pop("points", None)
    for key in ("checksum", "cell_type"):
        if key in meta and not isinstance(meta[key], str):
            del meta[key]


def _find(find, grade_id: str, notebook: str, assignment: str):
    try:
        return find(grade_id, notebook, assignment)
    except MissingEntry:
        return None


def _grade_id(cell) -> str | None:
    """The grade id of a cell that still has nbgrader metadata (the loop above left only
    valid ones), else ``None``."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


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
