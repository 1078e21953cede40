"""Similar answers across students (grading.similarity) on the tiny fixture: reading notebooks only."""

from __future__ import annotations

import json
import os
import shutil

import nbformat
import pytest

from grading.course import CourseLayout, UnknownAssignmentError
from grading.similarity import (SimilarityReport, pairs_by_student, read_similarity, similar_pairs,
                                similarity_report, similarity_summary, student_lines,
                                write_similarity_report)
from grading.submissions import answer_code
from tests.conftest import TINY

#: A long answer for each tiny cell, and the same answers with names, spacing and comments changed.
ADD = '''def add(a, b):
    """Return a + b."""
    values = [a, b]
    total = 0
    for value in values:
        if isinstance(value, bool):
            value = int(value)
        total = total + value
    checked = total - a - b
    assert checked == 0, "lost precision"
    return total
'''
ADD_RENAMED = '''def add(a, b):
    """Return a + b."""
    # my own work, honest
    items = [a,b]
    acc = 0
    for it in items:
        if isinstance(it, bool): it = int(it)
        acc = acc + it
    diff = acc - a - b
    assert diff == 0, "rounding"
    return acc
'''
SQUARE = '''def square(x):
    """Return x squared."""
    result = 0
    count = abs(int(x)) if float(x).is_integer() else None
    if count is None:
        return x * x
    for _ in range(count):
        result += abs(x)
    return result
'''
SQUARE_RENAMED = SQUARE.replace("result", "out").replace("count", "n").replace("_ in", "step in")
#: Independent answers: other ideas, other structure.
ADD_OTHER = '''def add(a, b):
    """Return a + b."""
    import operator
    from functools import reduce
    numbers = (a, b)
    if any(n is None for n in numbers):
        raise TypeError("None is not a number")
    return reduce(operator.add, numbers, 0)
'''
SQUARE_OTHER = '''def square(x):
    """Return x squared."""
    import math
    if isinstance(x, complex):
        return x.real ** 2 - x.imag ** 2 + 2j * x.real * x.imag
    return math.copysign(abs(x) ** 2, 1) if x == x else x
'''


@pytest.fixture
def course(tiny_course, tmp_path) -> CourseLayout:
    """A fresh course directory with the tiny assignment's source and release, nothing submitted."""
    layout = CourseLayout(root=tmp_path / "course")
    shutil.copytree(tiny_course.path("source"), layout.path("source"))
    shutil.copytree(tiny_course.path("release"), layout.path("release"))
    return layout


def release_nb(layout: CourseLayout):
    return nbformat.read(layout.path("release") / TINY / "tiny.ipynb", as_version=4)


def reference(layout: CourseLayout) -> dict[str, str]:
    """The reference's code answers (the one-liners); its written answer, the model answer
    word for word, would rightly be flagged when several students hand it in."""
    source = nbformat.read(layout.path("source") / TINY / "tiny.ipynb", as_version=4)
    return {c.metadata.nbgrader["grade_id"]: answer_code(c) for c in source.cells
            if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}


def submit(layout: CourseLayout, student: str, answers: dict[str, str] | None = None, nb=None):
    """Write a submission: the release with ``answers`` (grade_id -> source) typed in."""
    nb = nb if nb is not None else release_nb(layout)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
    path = layout.path("submitted") / student / TINY / "tiny.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def scores(pairs) -> dict[tuple[str, str], float]:
    return {(p.student_a, p.student_b): p.score for p in pairs}


def test_renamed_copy_is_the_top_pair_and_independent_work_scores_low(course):
    submit(course, "alice", {"add": ADD, "square": SQUARE})
    submit(course, "bob", {"add": ADD_RENAMED, "square": SQUARE_RENAMED})
    submit(course, "carol", {"add": ADD_OTHER, "square": SQUARE_OTHER})
    submit(course, "dave", {"add": ADD_OTHER})  # copied one cell of carol's, wrote square alone
    submit(course, "erin", {"square": SQUARE})  # copied one cell of alice's, left add blank

    report = similarity_report(course, TINY, progress=False)
    assert report.students == ("alice", "bob", "carol", "dave", "erin")
    top = report.pairs[0]
    assert (top.student_a, top.student_b) == ("alice", "bob") and top.score == 1.0
    assert {c.grade_id for c in top.cells} == {"add", "square"}
    assert all(c.score == 1.0 and c.tokens_a >= 50 for c in top.cells)
    # Only the cells both answered count: erin's square is alice's and bob's.
    found = scores(report.pairs)
    assert found[("alice", "erin")] == 1.0 and found[("bob", "erin")] == 1.0
    assert [c.grade_id for p in report.pairs if p.student_b == "erin" for c in p.cells] == ["square", "square"]
    assert found[("carol", "dave")] == 1.0
    assert ("alice", "carol") not in found and report.skipped == ()
    # With no score floor, independent work still scores low (or shares nothing at all).
    everything = scores(similar_pairs(course, TINY, min_score=0.0, progress=False))
    for a, b in (("alice", "carol"), ("bob", "carol"), ("alice", "dave")):
        assert everything.get((a, b), 0.0) < 0.3, (a, b, everything)
    ranked = [p.score for p in similar_pairs(course, TINY, min_score=0.0, progress=False)]
    assert ranked == sorted(ranked, reverse=True)


def test_starter_code_blank_and_one_line_answers_are_never_flagged(course):
    release = release_nb(course)
    given = "\n".join(c.source for c in release.cells if c.cell_type == "code")
    ref = reference(course)
    submit(course, "blank1")
    submit(course, "blank2")
    # Starter code pasted into the answers (the given cells, the stub itself) is not the students'.
    submit(course, "paster1", {"add": given, "square": given})
    submit(course, "paster2", {"add": given, "square": given})
    # The reference one-liners (`return a + b`): everybody writes them alike.
    for name in ("ref1", "ref2", "ref3"):
        submit(course, name, ref)
    report = similarity_report(course, TINY, min_score=0.0, progress=False)
    assert report.pairs == () and report.compared_pairs == 0
    # ... while the same answers with the floor lowered do match, so it is the floor that acts.
    low = scores(similar_pairs(course, TINY, min_score=0.0, min_tokens=1, noise_t=5, progress=False))
    assert low.get(("ref1", "ref2")) == 1.0 and ("blank1", "blank2") not in low


def test_what_many_students_write_alike_is_common_code_not_copying(course):
    for i in range(12):
        submit(course, f"s{i:02}", {"add": ADD, "square": SQUARE})
    submit(course, "pair1", {"add": ADD_OTHER, "square": SQUARE_OTHER})
    submit(course, "pair2", {"add": ADD_OTHER, "square": SQUARE_OTHER})
    report = similarity_report(course, TINY, progress=False)  # 12 alike > max(10, 0.25 * 14)
    assert [(p.student_a, p.student_b) for p in report.pairs] == [("pair1", "pair2")]
    allowed = similar_pairs(course, TINY, common_min=20, progress=False)
    assert len(allowed) == 12 * 11 // 2 + 1 and all(p.score == 1.0 for p in allowed)


def test_forged_and_unreadable_submissions_are_skipped_with_a_reason(course):
    submit(course, "alice", {"add": ADD, "square": SQUARE})
    submit(course, "bob", {"add": ADD_RENAMED, "square": SQUARE_RENAMED})
    # Forged metadata: the add answer in a markdown cell carrying add's grade id; a duplicate
    # square cell (only the first, the blank stub, is the answer); alice's square in a new
    # cell that claims to be an answer cell.
    nb = release_nb(course)
    for cell in list(nb.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id == "add":
            nb.cells[nb.cells.index(cell)] = nbformat.v4.new_markdown_cell(
                ADD, metadata={"nbgrader": dict(cell.metadata.nbgrader)})
        if grade_id == "square":
            copy = nbformat.from_dict(json.loads(json.dumps(cell)))
            copy.source, copy.id = SQUARE, "square-again"
            nb.cells.insert(nb.cells.index(cell) + 1, copy)
    nb.cells.append(nbformat.v4.new_code_cell(SQUARE, metadata={"nbgrader": {
        "solution": True, "grade_id": "extra", "grade": False, "locked": False, "schema_version": 3}}))
    submit(course, "mallory", nb=nb)
    broken = {"notjson": b"{not json", "v3": json.dumps({"nbformat": 3, "cells": []}).encode(),
              "nocells": b"[1, 2]", "latin1": "{\"x\": \"\xe9\"}".encode("latin-1")}
    odd = json.loads(nbformat.writes(release_nb(course)))
    for cell in odd["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "square":
            cell["source"] = {"not": "text"}
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "add":
            cell["metadata"]["nbgrader"] = ["not", "a", "dict"]
    broken["oddsource"] = json.dumps(odd).encode()
    for student, data in broken.items():
        path = course.path("submitted") / student / TINY / "tiny.ipynb"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    linked = course.path("submitted") / "linked" / TINY
    linked.mkdir(parents=True)
    os.symlink(course.path("submitted") / "alice" / TINY / "tiny.ipynb", linked / "tiny.ipynb")
    os.symlink(course.path("submitted") / "alice", course.path("submitted") / "linkdir")
    fifo = course.path("submitted") / "fifo" / TINY
    fifo.mkdir(parents=True)
    os.mkfifo(fifo / "tiny.ipynb")  # reading it would block forever
    renamed = course.path("submitted") / "renamed" / TINY
    renamed.mkdir(parents=True)
    shutil.copy(course.path("submitted") / "alice" / TINY / "tiny.ipynb", renamed / "Tiny (1).ipynb")

    report = similarity_report(course, TINY, min_score=0.0, progress=False)
    assert scores(report.pairs) == {("alice", "bob"): 1.0}
    reasons = {(s.student, s.grade_id): s.reason for s in report.skipped}
    assert "markdown, not code" in reasons[("mallory", "add")]
    assert "not JSON" in reasons[("notjson", None)] and "not JSON" in reasons[("latin1", None)]
    assert "not nbformat 4" in reasons[("v3", None)]
    assert "no list of cells" in reasons[("nocells", None)]
    assert "link" in reasons[("linked", None)] and "special file" in reasons[("fifo", None)]
    assert "no tiny.ipynb" in reasons[("renamed", None)]
    assert "folder is a link" in reasons[("linkdir", None)]
    assert "not text" in reasons[("oddsource", "square")]  # its add cell lost its grade id: no answer
    assert len(reasons) == len(report.skipped) == 10
    assert "mallory" in report.students
    assert any("skipped mallory/tiny cell add" in line for line in report.lines())


def test_report_file_round_trip_and_views(course):
    submit(course, "alice", {"add": ADD, "square": SQUARE})
    submit(course, "=bob\x1b[2J", {"add": ADD_RENAMED, "square": SQUARE_RENAMED})
    submit(course, "carol", {"add": ADD_RENAMED})
    report = similarity_report(course, TINY, progress=False)
    folder = course.path("integrity")
    assert read_similarity(folder, TINY) is None
    path = write_similarity_report(report, folder)
    assert path == folder / f"{TINY}.similarity.json"
    again = read_similarity(folder, TINY)
    assert again == report and isinstance(again, SimilarityReport)
    json.loads(path.read_text())  # plain JSON

    by_student = pairs_by_student(report.pairs)
    assert [p.other("alice") for p in by_student["alice"]] == ["=bob\x1b[2J", "carol"]
    assert similarity_summary("alice", by_student["alice"]) == "=bob\x1b[2J 1.00, carol 1.00"
    assert similarity_summary("alice", by_student["alice"], top=1) == "=bob\x1b[2J 1.00, +1 more"
    assert len(by_student["carol"]) == 2 and len(by_student) == 3
    assert student_lines("carol", by_student["carol"]) == [
        "similar answers to =bob\\x1b[2J: 1.00 (add 1.00)", "similar answers to alice: 1.00 (add 1.00)"]
    text = "\n".join(report.lines())
    assert "\x1b" not in text and "\\x1b[2J" in text

    path.write_text('{"version": 1, "pairs": "nope"}')
    with pytest.raises(ValueError, match="not a readable similarity report"):
        read_similarity(folder, TINY)


def test_bad_assignment_names_are_clear_errors(course):
    with pytest.raises(ValueError, match="not an assignment name"):
        similarity_report(course, "../solutions", progress=False)
    with pytest.raises(UnknownAssignmentError, match="known assignments: 00_tiny"):
        similarity_report(course, "99_nope", progress=False)
    shutil.copytree(course.path("source") / TINY, course.path("source") / "01_unreleased")
    with pytest.raises(ValueError, match="release it first"):
        similarity_report(course, "01_unreleased", progress=False)
    with pytest.raises(ValueError, match="min_score"):
        similarity_report(course, TINY, min_score=2.0, progress=False)
    assert similarity_report(course, TINY, progress=False).students == ()  # nothing submitted yet


def test_markdown_answers_compare_as_text_and_the_reference_text_is_no_starter(course):
    explain = {"grade": False, "grade_id": "explain", "locked": False, "schema_version": 3,
               "solution": True, "task": False}
    reference_text = ("Adding is associative and commutative, so the order of the two "
                      "arguments never changes the result of add.")
    for step, text in (("source", reference_text), ("release", "YOUR ANSWER HERE")):
        path = course.path(step) / TINY / "tiny.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": dict(explain)}))
        nbformat.write(nb, path)
    essay = ("The square of a number is never negative, because a negative times a negative "
             "is positive, and I checked this for zero as well.")
    submit(course, "alice", {"explain": essay})
    submit(course, "bob", {"explain": essay.upper().replace(" ", "\n ")})  # case and wrapping
    submit(course, "carol", {"explain": "Squares grow quickly: doubling the input multiplies "
                                        "the output by four, which the tests do not check."})
    submit(course, "dave", {"explain": reference_text})  # the leaked reference text ...
    submit(course, "erin", {"explain": reference_text})  # ... is shared, not starter text
    submit(course, "frank")  # "YOUR ANSWER HERE"
    submit(course, "gina")
    found = scores(similar_pairs(course, TINY, min_score=0.0, progress=False))
    assert found == {("alice", "bob"): 1.0, ("dave", "erin"): 1.0}


#: A copied function of about 200 characters that the kernel finds by name wherever it is defined.
HELPER = '''def add(a, b):
    """Return a + b."""
    total = 0
    for value in (a, b):
        if isinstance(value, bool):
            value = int(value)
        total = total + value
    assert total - a - b == 0, "lost precision"
    return total
'''


def with_added_cells(layout: CourseLayout, *sources: str, after: str = "square"):
    """The release notebook, answer cells left as the stubs, with new plain code cells
    (no nbgrader metadata) inserted after the cell ``after``."""
    nb = release_nb(layout)
    at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    for offset, source in enumerate(sources, 1):
        nb.cells.insert(at + offset, nbformat.v4.new_code_cell(source))
    return nb


def test_code_added_in_new_cells_is_compared_as_one_more_answer(course):
    from grading.similarity import EXTRA_CELLS

    assert 180 <= len(HELPER) <= 260
    submit(course, "alice", nb=with_added_cells(course, HELPER))
    # Renamed, split over two new cells elsewhere, with the stub cell pasted again in between.
    stub = next(c.source for c in release_nb(course).cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add")
    renamed = HELPER.replace("total", "acc").replace("value", "item")
    head, tail = renamed.split("        acc = acc", 1)
    submit(course, "bob", nb=with_added_cells(course, head, stub, "        acc = acc" + tail, after="setup"))
    # A copy of the add answer cell (same grade id, later) is no answer cell: it counts as added.
    nb = release_nb(course)
    copy = nbformat.from_dict(json.loads(json.dumps(next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "add"))))
    copy.source, copy.id = HELPER, "add-again"
    nb.cells.append(copy)
    submit(course, "carol", nb=nb)
    submit(course, "dave", {"add": ADD_OTHER, "square": SQUARE_OTHER})  # answers where they belong

    report = similarity_report(course, TINY, progress=False)
    found = scores(report.pairs)
    assert set(found) == {("alice", "bob"), ("alice", "carol"), ("bob", "carol")}, found
    assert all(score >= 0.9 for score in found.values()), found
    top = report.pairs[0]
    assert [(c.notebook, c.grade_id) for c in top.cells] == [("tiny", EXTRA_CELLS)]
    assert top.cells[0].tokens_a >= 50 and top.cells[0].tokens_b >= 50
    assert report.skipped == ()
    # The answer cells themselves are still compared as before (dave's are nobody's copy).
    assert not any("dave" in pair for pair in found)


def test_tiny_or_given_code_in_new_cells_makes_no_pair(course):
    from grading.similarity import EXTRA_CELLS, MAX_EXTRA_CHARS

    given = "\n".join(c.source for c in release_nb(course).cells if c.cell_type == "code")
    submit(course, "alice", nb=with_added_cells(course, "print(add(1, 2))"))
    submit(course, "bob", nb=with_added_cells(course, "print('checking square', square(4))"))
    # The same tiny cell in both: under the min_tokens floor, not a sign of copying.
    submit(course, "carol", nb=with_added_cells(course, "for i in range(3):\n    print(i, square(i))"))
    submit(course, "dave", nb=with_added_cells(course, "for i in range(3):\n    print(i, square(i))"))
    # The given cells pasted again, whole and edited: starter code, nobody's.
    submit(course, "erin", nb=with_added_cells(course, given, "import math\n"))
    submit(course, "frank", nb=with_added_cells(course, given.replace("\n", "\n\n"), "import math  # again"))
    # A megabyte of added code is compared up to MAX_EXTRA_CHARS, with a note.
    submit(course, "gina", nb=with_added_cells(course, "x = 1\n" * 200_000))
    report = similarity_report(course, TINY, min_score=0.0, progress=False)
    assert report.pairs == () and report.compared_pairs == 0
    assert [(s.student, s.grade_id) for s in report.skipped] == [("gina", EXTRA_CELLS)]
    assert f"only the first {MAX_EXTRA_CHARS} compared" in report.skipped[0].reason
    # ... while the same cells with the floor lowered do match: it is the floor that acts.
    low = scores(similar_pairs(course, TINY, min_score=0.0, min_tokens=1, noise_t=5, progress=False))
    assert low.get(("carol", "dave")) == 1.0 and ("erin", "frank") not in low
