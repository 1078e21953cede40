"""Unit tests of the grading tool's small pieces (no kernel, no nbgrader run)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from grading.engine import failure_reason
from grading.leaks import find_leaks, html_to_text, secret_lines
from grading.preprocessors.hidden_tests import HIDDEN_NOTE, scrub_traceback
from grading.results import first_failure_line
from grading.submissions import answer_code, fill_answers
from grading.table import Cell, render_table


def test_scrub_traceback_drops_cell_frames_and_keeps_the_rest():
    frames = [
        "\x1b[0;31m---------------------------------------------------------------------------\x1b[0m",
        "\x1b[0;31mAssertionError\x1b[0m                            Traceback (most recent call last)",
        "Cell \x1b[0;32mIn[7], line 4\x1b[0m\n      3 ### BEGIN HIDDEN TESTS\n----> 4 assert secret(2) == 5",
        "File \x1b[0;32m~/student.py:3\x1b[0m, in \x1b[0;36msecret\x1b[0;34m(x)\x1b[0m\n----> 3 return x",
        "\x1b[0;31mAssertionError\x1b[0m: secret(2) should be 5",
    ]
    out = scrub_traceback(frames, {"ename": "AssertionError", "evalue": "secret(2) should be 5"})
    text = "\n".join(out)
    assert "assert secret(2) == 5" not in text and "BEGIN HIDDEN" not in text
    assert HIDDEN_NOTE in text
    assert "student.py" in text, "frames from the student's own code stay"
    assert out[-1].endswith("secret(2) should be 5")


def test_failure_reason_prefers_the_cause_over_nbgrader_wrapper():
    result = {"success": False, "log": "\n".join([
        "[ERROR] There was an error processing assignment: /x",
        "[ERROR] Traceback (most recent call last):",
        "    FileNotFoundError: [Errno 2] No such file or directory: 'alembic'",
        "[ERROR] Please see the the above traceback for details",
    ]), "error": "Traceback...\nnbgrader.converters.base.NbGraderException: Please see the above"}
    assert failure_reason(result) == "FileNotFoundError: [Errno 2] No such file or directory: 'alembic'"
    assert failure_reason({"success": False, "error": "Traceback\nValueError: boom"}) == "ValueError: boom"


def test_first_failure_line_error_then_stderr():
    cell = new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="shape (3,) should be (2,)\nmore", traceback=[])]
    assert first_failure_line(cell) == "AssertionError: shape (3,) should be (2,)"
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: careful\nline 2")]
    assert first_failure_line(cell) == "wrote to stderr: UserWarning: careful"
    cell.outputs = []
    assert first_failure_line(cell) == ""


def _meta(grade_id, solution=False, grade=False):
    return {"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
                         "schema_version": 3, "task": False}}


def test_secret_lines_and_leak_search():
    nb = new_notebook(cells=[
        new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x * 2 + 1000\n    ### END SOLUTION", metadata=_meta("f", solution=True)),
        new_code_cell("assert f(1) == 1002\n### BEGIN HIDDEN TESTS\nassert f(-1) == 998, 'hidden'\n### END HIDDEN TESTS", metadata=_meta("test_f", grade=True)),
    ])
    assert secret_lines(nb) == {"return x * 2 + 1000", "assert f(-1) == 998, 'hidden'"}
    assert secret_lines(nb, regions=("HIDDEN TESTS",)) == {"assert f(-1) == 998, 'hidden'"}
    html = "<pre><span>assert</span> f(-1) <span>==</span> 998, &#39;hidden&#39;</pre>"
    assert find_leaks(html_to_text(html), secret_lines(nb)) == ["line \"assert f(-1) == 998, 'hidden'\""]
    assert find_leaks("### BEGIN SOLUTION", set()) == ["marker 'BEGIN SOLUTION'"]
    assert find_leaks("nothing to see", secret_lines(nb)) == []


def test_fill_answers_types_the_reference_without_markers():
    source = new_notebook(cells=[
        new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION", metadata=_meta("f", solution=True)),
        new_code_cell("def g(x):\n    ### BEGIN SOLUTION\n    return -x\n    ### END SOLUTION", metadata=_meta("g", solution=True)),
    ])
    release = new_notebook(cells=[
        new_code_cell("def f(x):\n    raise NotImplementedError()", metadata=_meta("f", solution=True)),
        new_code_cell("def g(x):\n    raise NotImplementedError()", metadata=_meta("g", solution=True)),
    ])
    assert answer_code(source.cells[0]) == "def f(x):\n    return x"
    full = fill_answers(release, source)
    assert [c.source for c in full.cells] == ["def f(x):\n    return x", "def g(x):\n    return -x"]
    half = fill_answers(release, source, {"g"})
    assert "NotImplementedError" in half.cells[0].source and half.cells[1].source.endswith("return -x")
    assert "NotImplementedError" in release.cells[0].source, "the release itself is not modified"


def test_render_table_totals_and_errors():
    rows = {
        "bob": {"01": Cell(0.0, 10.0), "02": Cell(error="kernel died in cell test_x")},
        "alice": {"01": Cell(10.0, 10.0), "02": Cell(5.0, 5.0)},
    }
    table = render_table(rows, ["01", "02"])
    lines = table.splitlines()
    assert lines[0].split() == ["student", "01", "02", "total"]
    assert lines[2].split() == ["alice", "10/10", "5/5", "15/15", "(100%)"]
    assert lines[3].split()[:4] == ["bob", "0/10", "ERROR", "0/10"]
    assert lines[-1] == "ERROR bob/02: kernel died in cell test_x"
