"""Feedback: written answers a grader has not scored yet say so, instead of nbgrader's 0.

A written answer (a manually graded cell, ``grading.results``) has no score until a grader
gives one in formgrader; nbgrader's ``GetGrades`` still writes ``score: 0`` into the feedback
copy (its ``Grade.score`` is 0 when neither nbgrader nor a grader scored the cell), so a
student reading feedback made right after autograding would see 0 for an answer nobody has
read. ``MarkUngradedAnswers`` runs after ``GetGrades`` and marks those cells
(``ungraded: true`` in their nbgrader metadata, a feedback copy only) and counts them
(``resources["nbgrader"]["ungraded_answers"]``); the course's feedback template
(``grading/templates/course_feedback``) shows "not graded yet" for them.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from grading.results import grade_value, manual_cell_names


class MarkUngradedAnswers(NbGraderPreprocessor):
    """Mark the written answers of a feedback notebook that no one has scored yet."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        try:
            with Gradebook(info["db_url"]) as gb:
                submitted = gb.find_submission_notebook(info["notebook"], info["assignment"], info["student"])
                manual = manual_cell_names(submitted.notebook)
                ungraded = {g.name for g in submitted.grades if g.name in manual and grade_value(g) is None}
        except MissingEntry:  # GetGrades has failed on this already
            ungraded = set()
        count = 0
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader")
            if isinstance(meta, dict) and meta.get("grade_id") in ungraded:
                meta["ungraded"] = True
                count += 1
        info["ungraded_answers"] = count
        return nb, resources
