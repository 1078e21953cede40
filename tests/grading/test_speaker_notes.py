"""Speaker notes stay in the decks: the release leaves them out, and grading works for
submissions made from a release with them (older) and without them (new)."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.preprocessors.speaker_notes import RemoveSpeakerNotes, is_speaker_notes
from tests.conftest import FIXTURE_SOURCE, TINY

SECRET = "NOTES-ONLY: a negative number squared is positive"


def notes_cell(source: str = SECRET, grade_id: str = "notes_square", **nbgrader):
    cell = new_markdown_cell(source)
    cell.metadata = {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": True, "schema_version": 3,
                                  "solution": False, "task": False, **nbgrader},
                     "slideshow": {"slide_type": "notes"}}
    return cell


@pytest.mark.parametrize("cell, notes", [
    (notes_cell(), True),
    (new_markdown_cell("plain notes", metadata={"slideshow": {"slide_type": "notes"}}), True),
    (new_markdown_cell("a slide", metadata={"slideshow": {"slide_type": "slide"}}), False),
    (new_markdown_cell("no slideshow metadata"), False),
    (new_markdown_cell("odd metadata", metadata={"slideshow": "notes"}), False),
    # Answer, test and task cells are never dropped, whatever their slide type.
    (notes_cell(grade_id="answer", solution=True, locked=False), False),
    (notes_cell(grade_id="test", grade=True, points=1), False),
    (notes_cell(grade_id="task", task=True, points=1), False),
])
def test_which_cells_are_speaker_notes(cell, notes):
    assert is_speaker_notes(cell) is notes


def test_remove_speaker_notes_keeps_every_other_cell_in_order():
    cells = [new_markdown_cell("# Title", metadata={"slideshow": {"slide_type": "slide"}}), notes_cell(),
             new_code_cell("x = 1"), notes_cell(grade_id="test", grade=True, points=1)]
    nb, _ = RemoveSpeakerNotes().preprocess(new_notebook(cells=cells), {})
    assert [c.source for c in nb.cells] == ["# Title", "x = 1", SECRET]


def test_generate_assignment_runs_it_after_savecells():
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions, SaveCells

    from grading.course import CourseLayout, course_config

    pipeline = course_config(CourseLayout(root=FIXTURE_SOURCE.parent)).GenerateAssignment.preprocessors
    at = pipeline.index(RemoveSpeakerNotes)
    assert pipeline[at - 1] is SaveCells and pipeline.index(ClearSolutions) < at < pipeline.index(ClearHiddenTests)


@pytest.fixture(scope="module")
def notes_course(tmp_path_factory):
    """The tiny course with a speaker-notes cell, released; plus the release an older course
    version made (nbgrader's pipeline without RemoveSpeakerNotes: the notes in it)."""
    from grading.course import CourseLayout
    from grading.release import release

    root = tmp_path_factory.mktemp("notes-course")
    shutil.copytree(FIXTURE_SOURCE, root / "solutions")
    source = root / "solutions" / TINY / "tiny.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells.insert(1, notes_cell())
    nbformat.write(nb, source)

    old = CourseLayout.scratch(tmp_path_factory.mktemp("old-release"))
    shutil.copytree(root / "solutions", old.path("source"))
    keep = RemoveSpeakerNotes.preprocess
    RemoveSpeakerNotes.preprocess = lambda self, nb, resources: (nb, resources)
    try:
        release([TINY], old)
    finally:
        RemoveSpeakerNotes.preprocess = keep

    layout = CourseLayout(root=root)
    release([TINY], layout)
    return layout, source, layout.path("release") / TINY / "tiny.ipynb", old.path("release") / TINY / "tiny.ipynb"


def test_release_has_no_notes_but_the_gradebook_and_decks_keep_them(notes_course, tmp_path):
    from nbgrader.api import Gradebook

    from grading.release import release_drift
    from grading.slides import render_deck

    layout, source, new_release, old_release = notes_course
    assert SECRET not in new_release.read_text()
    assert SECRET in old_release.read_text(), "the older release (nbgrader's own pipeline) has the notes"
    assert not any(is_speaker_notes(c) for c in nbformat.read(new_release, as_version=4).cells)
    assert release_drift(TINY, layout) == []
    with Gradebook(layout.db_url) as gb:  # recorded: regenerating never changes the gradebook's cell set
        assert SECRET in gb.find_source_cell("notes_square", "tiny", TINY).source
    deck = render_deck(nbformat.read(source, as_version=4), tmp_path / "tiny.slides.html").read_text()
    assert SECRET in deck and '<aside class="notes">' in deck


def test_submissions_from_the_old_and_the_new_release_grade_alike(notes_course):
    from grading.autograde import autograde_course
    from grading.submissions import sample_submissions

    layout, source, new_release, old_release = notes_course
    new, old = sample_submissions(source, new_release), sample_submissions(source, old_release)
    assert SECRET in nbformat.writes(old["reference"]) and SECRET not in nbformat.writes(new["reference"])
    for student, nb in {"olga": old["reference"], "nina": new["reference"], "bert": new["blank"]}.items():
        folder = layout.path("submitted") / student / TINY
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "tiny.ipynb")

    report = autograde_course([TINY], layout, progress=False, similarity=False)
    rows = report.rows
    assert rows["olga"][TINY].error is None and rows["nina"][TINY].error is None, (rows["olga"][TINY], rows["nina"][TINY])
    assert rows["olga"][TINY].score == rows["nina"][TINY].score == rows["nina"][TINY].max_score > 0
    assert rows["bert"][TINY].score == 0
    for student in ("olga", "nina"):
        assert report.integrity[(student, TINY)].findings == [], f"{student}: {report.integrity[(student, TINY)].findings}"
    # The old submission keeps its notes (nbgrader restores locked cells); the new one gets none back.
    autograded = {s: (layout.path("autograded") / s / TINY / "tiny.ipynb").read_text() for s in ("olga", "nina")}
    assert SECRET in autograded["olga"] and SECRET not in autograded["nina"]
    feedback = layout.path("feedback") / "nina" / TINY / "tiny.html"
    assert feedback.exists() and SECRET not in feedback.read_text()
