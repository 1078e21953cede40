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


# --- issue 19: text a submission controls, robust integrity reports, --help -------------

def test_safe_text_shows_control_characters_and_caps_length():
    from grading.textsafe import safe_text

    assert safe_text("\x1b[2J\x1b[31mred\x1b[0m") == "\\x1b[2J\\x1b[31mred\\x1b[0m"
    assert safe_text("a\r\nb\tc\bd") == "a\\r\\nb\\tc\\x08d"
    assert safe_text("a\nb\tc\r", one_line=False) == "a\nb\tc\\r"
    assert safe_text("\u202eevil\u200b \x85 \udc80 \u2028") == "\\u202eevil\\u200b \\x85 \\udc80 \\u2028"
    assert safe_text("héllo, 日本 \\x1b =1") == "héllo, 日本 \\x1b =1"
    assert safe_text("x" * 1000, 20) == "x" * 17 + "..." and len(safe_text("\x1b" * 1000, 20)) == 20
    assert safe_text(ValueError("boom\x1b")) == "boom\\x1b" and safe_text(None) == "None"
    assert safe_text("y" * 10**6, None) == "y" * 10**6


def test_safe_cell_neutralises_formulas_and_keeps_numbers():
    from grading.textsafe import safe_cell

    assert [safe_cell(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok, \"q\"", None]] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ok, \"q\"", ""]
    assert [safe_cell(v) for v in [-1.5, 0, 4.0]] == [-1.5, 0, 4.0]


def test_render_table_escapes_student_ids_and_reasons():
    rows = {"mal\x1b[31mlory": {"01": Cell(1.0, 2.0, integrity="integrity report incomplete")},
            "eve\r": {"01": Cell(error="bad\x1b[2J\nreason")}}
    table = render_table(rows, ["01"])
    assert "\x1b" not in table and "\r" not in table
    assert "mal\\x1b[31mlory  1/2 !" in table
    assert "ERROR eve\\r/01: bad\\x1b[2J\\nreason" in table


def _tiny_notebooks(tmp_path, runtime: object, autograded_text: str | None = None):
    from grading.preprocessors.execute import METADATA_KEY

    source = new_notebook(cells=[new_code_cell("def f(x):\n    return x", metadata=_meta("f", solution=True))])
    paths = [tmp_path / name for name in ("submitted.ipynb", "source.ipynb", "autograded.ipynb")]
    nbformat.write(source, paths[0])
    nbformat.write(source, paths[1])
    autograded = new_notebook(cells=source.cells)
    autograded.metadata[METADATA_KEY] = runtime
    if autograded_text is None:
        nbformat.write(autograded, paths[2])
    else:
        paths[2].write_text(autograded_text)
    return [tuple(paths)]


def test_build_report_turns_junk_guard_events_into_findings(tmp_path):
    from grading.integrity import MAX_DETAIL, build_report

    junk = ["junk", 42, None, [1, [2]], {"event": 7, "detail": "x"}, {"detail": "no event"},
            {"event": "open", "detail": ["not", "a", "string"]}, {"event": "=HYPERLINK(\"x\")", "detail": "d"},
            {"event": "open", "detail": "\x1b[31m/etc/passwd" + "p" * 10_000, "cell": "\x1b[2Jpredict"},
            "z" * 100_000, {"event": "monkeypatch", "detail": "np.isclose restored", "cell": "predict"}]
    report = build_report("s", "a", _tiny_notebooks(tmp_path, {"findings": junk, "died_in": 5, "death": ["?"]}))
    guard = [f for f in report.findings if f["kind"] == "guard"]
    assert len(guard) == 9 and all("malformed event" in f["detail"] for f in guard)
    assert all(len(f["detail"]) <= MAX_DETAIL for f in report.findings)
    assert {"file-access", "monkeypatch"} <= {f["kind"] for f in report.findings}
    assert report.died_in == "5" and not report.clean
    assert all("\x1b" not in line for line in report.lines())
    assert report.summary() == "11 findings: file-access, guard, monkeypatch; kernel died in 5"
    # a findings value that is not even a list, and a huge repeated list, still give a report
    report = build_report("s", "a", _tiny_notebooks(tmp_path, {"findings": "oops"}))
    assert [f["kind"] for f in report.findings] == ["guard"]
    many = [{"event": "open", "detail": f"/x/{i}", "cell": "c"} for i in range(5000)]
    report = build_report("s", "a", _tiny_notebooks(tmp_path, {"findings": many * 2}))
    assert len(report.findings) == 301 and "more runtime findings not listed" in report.findings[-1]["detail"]


def test_build_report_of_an_unreadable_autograded_notebook_says_so(tmp_path):
    from grading.integrity import build_report, failed_report

    report = build_report("s", "a", _tiny_notebooks(tmp_path, {}, autograded_text="{ nope"))
    assert report.error and "could not be read" in report.error
    assert not report.clean and report.summary() == "integrity report incomplete"
    assert report.lines()[0].startswith("the autograded notebook could not be read")
    failed = failed_report("s", "a", RecursionError("deep\x1b"))
    assert not failed.clean and "RecursionError: deep\\x1b" in failed.error


def test_static_scan_failures_and_unknown_or_malformed_grade_ids_are_findings():
    from grading.static_scan import scan_submission

    source = new_notebook(cells=[new_code_cell("def f(x):\n    return x", metadata=_meta("f", solution=True)),
                                 new_code_cell("assert f(1) == 1", metadata=_meta("test_f", grade=True))])
    copied = nbformat.from_dict({**source.cells[1], "id": "bonus1"})
    copied.metadata = {"nbgrader": {**_meta("test_bonus", grade=True)["nbgrader"], "points": 99}}
    broken = [new_code_cell("x = 1", metadata={"nbgrader": "junk"}),
              new_code_cell("x = 1", metadata={"nbgrader": {"grade": True, "grade_id": ["a"]}})]
    deep = new_code_cell("x = " + "+".join(["1"] * 20_000))
    submitted = new_notebook(cells=[*source.cells, copied, *broken, deep, new_code_cell("import ctypes")])
    found = [(f.kind, f.cell, f.detail) for f in scan_submission(submitted, source)]
    assert ("structure", "cell 3", "cell with unknown grade id 'test_bonus': its nbgrader metadata was dropped") in found
    assert [f for f in found if f[1] in ("cell 4", "cell 5")] == [
        ("structure", f"cell {i}", "cell with malformed nbgrader metadata (no grade id): it was dropped") for i in (4, 5)]
    assert [f[0] for f in found if f[1] == "cell 6"] == ["scan-failed"]
    assert "RecursionError" in next(f[2] for f in found if f[1] == "cell 6")
    assert ("native-code", "cell 7") in [f[:2] for f in found], "the other cells are still scanned"


def test_help_of_every_subcommand_imports_nothing_heavy():
    import subprocess
    import sys

    from grading.course import REPO_ROOT

    probe = ("import runpy, sys\n"
             "sys.argv = ['python -m grading'] + sys.argv[1:]\n"
             "try:\n    runpy.run_module('grading', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('LOADED', ' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n")
    for command in [[], ["release"], ["check"], ["autograde"], ["grade"], ["demo"], ["slides"], ["bundle"]]:
        done = subprocess.run([sys.executable, "-c", probe, *command, "--help"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "usage: python -m grading" in done.stdout
        loaded = set(done.stdout.split("LOADED", 1)[1].split())
        assert not loaded & {"nbgrader", "tensorflow", "nbconvert", "nbformat", "nbclient", "numpy"}, (command, loaded)


def test_drop_malformed_metadata_keeps_well_formed_cells():
    from grading.preprocessors.restore_metadata import DropMalformedMetadata

    good = new_code_cell("x", metadata=_meta("f", solution=True))
    bad = [new_code_cell("x", metadata={"nbgrader": value}) for value in
           ("junk", None, {"grade": True}, {"grade_id": ["a"], "grade": True}, {"grade_id": ""})]
    nb, _ = DropMalformedMetadata().preprocess(new_notebook(cells=[good, *bad, new_code_cell("y")]), {})
    assert nb.cells[0].metadata == _meta("f", solution=True)
    assert all("nbgrader" not in c.metadata for c in nb.cells[1:])


def test_an_old_assignment_id_is_told_its_new_id():
    """Issue 23 renumbered 04-10 to 05-11: an old id names its new one and the date; the map
    points from ids that no longer exist to ids that do; other unknown names read as before."""
    import pytest

    from grading.autograde import resolve_assignments
    from grading.course import (REPO_ROOT, RENAMED_ASSIGNMENTS, CourseLayout, UnknownAssignmentError,
                                list_assignments, source_notebooks)

    known = list_assignments()
    assert len(RENAMED_ASSIGNMENTS) == 7 and set(RENAMED_ASSIGNMENTS.values()) <= set(known)
    assert not set(RENAMED_ASSIGNMENTS) & set(known), "an old id is not a folder any more"
    with pytest.raises(UnknownAssignmentError) as info:
        source_notebooks("04_generalization")
    message = str(info.value)
    assert message.startswith("unknown assignment '04_generalization': `04_generalization` was renumbered to "
                              "`05_generalization` on 2026-12-03 (issue 23): ")
    assert "docs/instructor-guide.md" in message and message.endswith("known assignments: " + ", ".join(known))
    # autograde's check of the names typed, trailing slash from shell completion included
    with pytest.raises(UnknownAssignmentError, match="`10_knn` was renumbered to `11_knn`"):
        resolve_assignments(["10_knn/"], CourseLayout(root=REPO_ROOT))
    with pytest.raises(UnknownAssignmentError) as info:
        source_notebooks("99_nope")
    assert str(info.value) == "unknown assignment '99_nope'; known assignments: " + ", ".join(known)
