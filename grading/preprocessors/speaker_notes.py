"""Speaker notes stay in the decks: the student release leaves them out.

A cell whose ``slideshow.slide_type`` is ``"notes"`` is the lecturer's (reveal.js shows it in the
speaker view, press S); such notes may answer the notebook's own questions. ``grading slides``
renders the decks from ``solutions/``, so they keep their notes; ``generate_assignment`` runs
``RemoveSpeakerNotes`` and the release in ``notebooks/`` has none.

It runs after nbgrader's ``SaveCells``, as ``ClearHiddenTests`` does: the gradebook still records
the notes (locked) cells, so regenerating a release changes no cell set (nbgrader refuses that once
there are submissions), a submission made from an older release that still has the notes is
graded as before (``OverwriteCells`` restores them by grade id), and one without them is complete
(nbgrader puts back only missing graded and task cells; the static scan does not call their
absence a deleted cell: ``is_speaker_notes``). Answer, test and task cells are never removed, even
when marked as notes.
"""

from __future__ import annotations

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

NOTES = "notes"


def is_speaker_notes(cell) -> bool:
    """A speaker-notes cell that the release leaves out (never an answer, test or task cell)."""
    metadata = cell.get("metadata", {})
    slideshow = metadata.get("slideshow") if isinstance(metadata, dict) else None
    if not isinstance(slideshow, dict) or slideshow.get("slide_type") != NOTES:
        return False
    return not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_task(cell))


class RemoveSpeakerNotes(NbGraderPreprocessor):
    """Drop speaker-notes cells (``slide_type: notes``) from the notebook being released."""

    def preprocess(self, nb, resources):
        removed = [cell for cell in nb.cells if is_speaker_notes(cell)]
        if removed:
            nb.cells = [cell for cell in nb.cells if not is_speaker_notes(cell)]
            self.log.debug("Removed %d speaker-notes cells from the release", len(removed))
        return nb, resources


__all__ = ["RemoveSpeakerNotes", "is_speaker_notes"]
