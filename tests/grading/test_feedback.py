"""Feedback pages read well and work offline (real nbgrader runs on small fixture notebooks).

Math is MathML made when the page is generated (no MathJax, no CDN, no script), each test is
named by its grade id, a failure of the visible tests is worded as such while hidden ones stay
redacted, and no absolute path of the grading machine reaches the page.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grading.course import REPO_ROOT
from grading.leaks import check_module_lines, find_leaks, html_to_text
from tests.conftest import FIXTURE_SOURCE, TINY

VISIBLE = "failed in the visible tests: "
#: Markdown the student adds: inline and display math, an escaped dollar, TeX that tries
#: markup, a link and a style, and math inside code (left alone, as MathJax left it).
MATH_MARKDOWN = (
    "Loss: $\\mathcal{L}(\\theta) = \\frac{1}{n}\\sum_i (\\hat y_i - y_i)^2$ costs \\$5.\n\n"
    "$$\\hat{\\mathbf y} = X\\mathbf w + b$$\n\n"
    "Tricks: $\\text{<b>bold</b>}$ $\\href{javascript:alert(1)}{x}$ $\\style{color:red}{y}$ `$z$`"
)
PRINT_PATHS = ("import os, numpy as np, helpers\n"
               "print(os.getcwd()); print(helpers.__file__); print(np.__file__)\n"
               "from IPython.display import Math, display\n"
               "display(Math(r'\\sigma(z) = \\frac{1}{1 + e^{-z}}'))")


def _page(path: Path) -> tuple[str, BeautifulSoup]:
    html = path.read_text()
    return html, BeautifulSoup(html, "html.parser")


def _without_css_comments(soup: BeautifulSoup) -> str:
    """The page with the comments of its ``<style>`` blocks removed (the licence notices
    of Bootstrap's CSS name their web sites; nothing fetches them)."""
    copy = BeautifulSoup(str(soup), "html.parser")
    for style in copy.find_all("style"):
        style.string = re.sub(r"/\*.*?\*/", "", style.string or "", flags=re.S)
    return str(copy)


@pytest.fixture(scope="module")
def tiny_feedback(tiny_notebooks, tmp_path_factory):
    """The tiny notebook with ``add`` wrong in its visible case and ``square`` wrong in a
    hidden one, plus math, path-printing and numpy-error cells, graded with feedback."""
    from grading.grade_one import grade_notebook

    nb = nbformat.read(tiny_notebooks["reference"], as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("return a + b", "return a + b + 1").replace(
            "return x * x", "return x * abs(x)")
    nb.cells.insert(1, new_markdown_cell(MATH_MARKDOWN))
    nb.cells.insert(3, new_code_cell(PRINT_PATHS))
    nb.cells.insert(4, new_code_cell("np.linalg.inv(np.zeros((2, 2)))"))
    folder = tmp_path_factory.mktemp("feedback-tiny")
    nbformat.write(nb, folder / "tiny.ipynb")
    run = grade_notebook(TINY, folder / "tiny.ipynb", source_dir=FIXTURE_SOURCE,
                         keep_dir=folder / "course", feedback=True)
    assert run.grade.status == "graded", run.grade.error
    return run


def test_math_is_mathml_made_offline(tiny_feedback):
    from tests.grading.test_hostile import active_content

    html, soup = _page(tiny_feedback.feedback)
    assert soup.find_all("script") == [] and soup.find_all("link") == []
    assert active_content(html, allow_styles=True) == []
    # No URL at all outside the CSS's licence comments: nothing to fetch, no CDN.
    assert not re.search(r"https?:", _without_css_comments(soup)), "a URL in the feedback page"
    assert "mathjax" not in html.lower()

    markdown = next(el for el in soup.select(".text_cell_render") if "Loss:" in el.get_text())
    maths = markdown.find_all("math")
    assert [m["display"] for m in maths[:2]] == ["inline", "block"]
    assert maths[0].find("mfrac") is not None and maths[0].find("msub") is not None
    assert "\\frac" not in markdown.get_text() and "costs $5." in markdown.get_text()
    assert markdown.find("code").get_text() == "$z$", "math in code stays as written"
    # TeX that tries markup or links: its text is text, the link and the style are gone.
    tricks = maths[2:]
    assert len(tricks) == 3 and tricks[0].find("mtext").get_text() == "<b>bold</b>"
    for math in tricks:
        assert math.find("b") is None
        assert all(not {"href", "style", "class", "id"} & set(el.attrs) for el in math.find_all(True))
    # A LaTeX output (IPython's display(Math(...)): "$\displaystyle ...$") is MathML too.
    latex = soup.select_one(".output_latex")
    assert latex is not None and latex.find("math").find("mfrac") is not None


def test_tests_are_named_by_grade_id(tiny_feedback):
    _, soup = _page(tiny_feedback.feedback)
    entries = [li.get_text(" ", strip=True) for li in soup.select("#toc li")]
    assert [e.split(" (Score")[0] for e in entries] == [
        "Test test_add", "Test test_square_visible", "Test test_square_hidden", "Written response written_sign"]
    assert "Test cell" not in soup.get_text()
    assert [a["href"] for a in soup.select("#toc li a")] == [
        "#test_add", "#test_square_visible", "#test_square_hidden", "#written_sign"]
    assert entries[-1] == "Written response written_sign (Score: not graded yet / 2.0)", "not nbgrader's 0"


def test_visible_failures_are_worded_as_visible_and_hidden_ones_stay_hidden(tiny_feedback):
    assert [t.passed for t in tiny_feedback.grade.tests] == [False, True, False]
    html, _ = _page(tiny_feedback.feedback)
    text = html_to_text(html)
    assert VISIBLE + "add(1, 2) should be 3" in text
    assert text.count(VISIBLE) == 1, "only test_add failed in its visible part"
    assert "hidden case: the square of a negative number is wrong" in text
    assert find_leaks(text, check_module_lines("tiny")) == []


def test_no_path_of_the_grader_reaches_the_feedback(tiny_feedback):
    from grading.preprocessors.grader_paths import python_dirs

    html, _ = _page(tiny_feedback.feedback)
    course_root = tiny_feedback.autograded.parents[3]
    for path in [str(REPO_ROOT), str(course_root), "/tmp/", *python_dirs()]:
        assert path not in html, f"{path} is in the feedback"
    # ... and the rewritten paths still say where things are.
    text = html_to_text(html)
    assert "site-packages/numpy/linalg/" in text, "the numpy frames keep their relative path"
    assert "helpers/__init__.py" in text
    # The autograded notebook (instructors only) keeps the full paths.
    autograded = tiny_feedback.autograded.read_text()
    assert any(f"{path}/numpy/" in autograded for path in python_dirs())


# --- a notebook graded by its own test cells (no trusted check module) -------------------

def _meta(grade_id: str, *, solution=False, grade=False, points=0) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def kernel_graded_source() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION",
                      metadata=_meta("f", solution=True)),
        new_code_cell("assert f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
                      "assert f(-1) == 0, 'f at minus one is wrong'\n### END HIDDEN TESTS",
                      metadata=_meta("test_f_visible_first", grade=True, points=1)),
        new_code_cell("assert f(0) > 0, 'f(0) should be positive'\n### BEGIN HIDDEN TESTS\n"
                      "assert f(-5) == -4, 'f at minus five is wrong'\n### END HIDDEN TESTS",
                      metadata=_meta("test_f_hidden_second", grade=True, points=1)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_kernel_graded_hidden_tests_say_which_part_failed(tmp_path):
    """Without a check module the kernel's run of the test cell decides: a failure before
    ``BEGIN HIDDEN TESTS`` is worded as visible, one after it hides the cell's lines."""
    from grading.grade_one import grade_notebook

    source_dir = tmp_path / "solutions"
    (source_dir / "90_kernel").mkdir(parents=True)
    nbformat.write(kernel_graded_source(), source_dir / "90_kernel" / "kernelonly.ipynb")
    submission = kernel_graded_source()
    submission.cells[0].source = "def f(x):\n    return x + 2"  # f(1) == 3: the visible assert fails
    nbformat.write(submission, tmp_path / "kernelonly.ipynb")
    run = grade_notebook("90_kernel", tmp_path / "kernelonly.ipynb", source_dir=source_dir,
                         keep_dir=tmp_path / "course", feedback=True)
    assert run.grade.status == "graded", run.grade.error
    assert [t.passed for t in run.grade.tests] == [False, False]

    html, soup = _page(run.feedback)
    first, second = (soup.find("a", attrs={"name": gid}).find_parent("div", class_="cell")
                     for gid in ("test_f_visible_first", "test_f_hidden_second"))
    first_text, second_text = html_to_text(str(first)), html_to_text(str(second))
    assert VISIBLE + "AssertionError: f(1) should be 2" in first_text
    assert "not shown" not in first_text
    assert VISIBLE not in second_text
    assert "(the lines of the hidden test that failed are not shown)" in second_text
    assert "AssertionError: f at minus five is wrong" in second_text
    # Neither the hidden source nor the lines quoting it reach the page.
    for secret in ("f(-1) == 0", "f(-5) == -4", "BEGIN HIDDEN"):
        assert secret not in html_to_text(html)
    assert str(tmp_path) not in html and str(REPO_ROOT) not in html


# --- the pieces, without nbgrader ---------------------------------------------------------

def test_typeset_keeps_markup_out_and_leaves_what_it_cannot_read():
    from grading.preprocessors.mathml import MAX_TEX_CHARS, Budget, typeset

    out = BeautifulSoup(typeset(
        "<p>$\\text{&lt;script&gt;x&lt;/script&gt;}$ $\\frac{a$ $x^$ "
        f"${'x' * (MAX_TEX_CHARS + 1)}$ \\(a\\) \\[b\\] \\begin{{aligned}} a &amp;= b \\end{{aligned}}</p>"
        "<pre>$p$</pre><textarea>$t$</textarea>"), "html.parser")
    assert out.find("script") is None and out.find("mtext").get_text() == "<script>x</script>"
    assert "$x^$" in out.get_text(), "TeX the converter rejects stays as written"
    assert "x" * (MAX_TEX_CHARS + 1) in out.get_text(), "over-long TeX is not converted"
    assert [m["display"] for m in out.find_all("math")] == ["inline", "inline", "inline", "block", "block"]
    assert out.find("mtable") is not None, "aligned becomes a table"
    assert out.find("pre").get_text() == "$p$" and out.find("textarea").get_text() == "$t$"
    assert typeset("<p>no math here</p>") == "<p>no math here</p>"
    # Deep nesting stays TeX (no recursion error), and a page's budget runs out.
    deep = "\\frac{" * 300 + "x" + "}{y}" * 300
    assert BeautifulSoup(typeset(f"<p>${deep}$</p>"), "html.parser").find("math") is None
    budget = Budget(formulas=2)
    assert typeset("<p>$a$ $b$ $c$</p>", budget).count("<math") == 2 and budget.formulas == 0
    assert typeset("<p>$d$</p>", budget) == "<p>$d$</p>"


def test_formgrader_view_renders_math_without_mathjax(tiny_feedback):
    """The page formgrader serves for a submission, rendered as formgrader renders it
    (nbgrader's "formgrade" template, the course configuration)."""
    import os

    import nbgrader
    from nbconvert.exporters import HTMLExporter

    from grading.course import CourseLayout, course_config

    layout = CourseLayout.scratch(tiny_feedback.autograded.parents[3])
    config = course_config(layout)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [
        os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")]
    resources = {"assignment_id": TINY, "notebook_id": "tiny", "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "/base", "student": "s", "last_name": "", "first_name": "",
                 "notebook_path": "x"}
    html, _ = HTMLExporter(config=config).from_filename(str(tiny_feedback.autograded), resources=resources)
    soup = BeautifulSoup(html, "html.parser")
    assert "cdnjs" not in html and not any("mathjax" in (s.get("src") or "").lower() for s in soup.find_all("script"))
    # formgrader's own page is still there: its scripts, its score inputs, the stand-in for MathJax.
    assert any(s.get("src", "").endswith("/formgrader/static/js/formgrade.js") for s in soup.find_all("script"))
    assert [i["id"] for i in soup.select("input.score")] == [
        "test_add", "test_square_visible", "test_square_hidden", "written_sign"]
    assert "window.MathJax = {Hub: {Startup" in html
    markdown = next(el for el in soup.select(".text_cell_render") if "Loss:" in el.get_text())
    assert markdown.find("math") is not None and soup.select_one(".output_latex math") is not None


def test_failing_line_of_the_test_cell_is_read_from_each_ipython_traceback_style():
    from grading.preprocessors.hidden_tests import HIDDEN_NOTE, failing_cell_line, hidden_marker_line, scrub_traceback

    source = "assert f(1) == 2, 'visible'\n### BEGIN HIDDEN TESTS\nassert f(-1) == 0, 'hidden'\n### END HIDDEN TESTS"
    assert hidden_marker_line(source) == 2
    ipython8 = ["\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[2]\x1b[39m\x1b[32m, line 3\x1b[39m\n----> 3 assert f(-1) == 0",
                "\x1b[31mAssertionError\x1b[39m: hidden"]
    assert failing_cell_line(ipython8) == 3
    assert failing_cell_line(["Input In [7], in <cell line: 1>()\n----> 1 assert f(1) == 2"]) == 1
    assert failing_cell_line(["<ipython-input-7-abc> in <module>\n----> 1 assert f(1) == 2\n      2 ### BEGIN"]) == 1
    assert failing_cell_line(["File ~/x.py:3, in g()"]) is None
    hidden = scrub_traceback(ipython8, {"ename": "AssertionError", "evalue": "hidden"})
    assert hidden == [HIDDEN_NOTE, "\x1b[31mAssertionError\x1b[39m: hidden"]
    visible = scrub_traceback(["Cell In[2], line 1\n----> 1 assert f(1) == 2\n      2 ### BEGIN HIDDEN TESTS",
                               "AssertionError: visible"], {"ename": "AssertionError", "evalue": "visible"}, visible=True)
    assert visible == [VISIBLE + "AssertionError: visible"]


#: The TeX-finding regex ``grading.preprocessors.mathml`` used before its linear scanner
#: (quadratic on unclosed openers): the reference for what the scanner must find.
OLD_TEX_REGEX = re.compile(r"""
    (?P<escaped>\\\$)
  | \$\$(?P<dollars>(?:\\.|[^\\$])+?)\$\$
  | \\\[(?P<bracket>.+?)\\\]
  | (?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})
  | \\\((?P<paren>.+?)\\\)
  | \$(?P<dollar>(?:\\.|[^\\$])+?)\$
""", re.S | re.X)


def _old_spans(text: str) -> list[tuple]:
    spans = []
    for m in OLD_TEX_REGEX.finditer(text):
        if m.group("escaped"):
            spans.append((m.start(), m.end(), None, False))
            continue
        display = any(m.group(g) is not None for g in ("dollars", "bracket", "env"))
        tex = next(m.group(g) for g in ("dollars", "bracket", "env", "paren", "dollar") if m.group(g) is not None)
        spans.append((m.start(), m.end(), tex, display))
    return spans


def _new_spans(text: str) -> list[tuple]:
    from grading.preprocessors.mathml import TexScanner

    return [(s.start, s.end, s.tex, s.display) for s in TexScanner(text)]


def test_tex_scanner_finds_what_the_old_regex_found():
    """The same spans (place, TeX, display) on every markdown cell of the course's eleven
    notebooks, and on random strings of delimiters, escapes and environments."""
    import random

    notebooks = sorted(REPO_ROOT.glob("solutions/*/*.ipynb"))
    assert len(notebooks) == 11
    cells = spans = 0
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                old = _old_spans(cell.source)
                assert _new_spans(cell.source) == old, (path.name, cell.source[:200])
                cells, spans = cells + 1, spans + len(old)
    assert cells > 100 and spans > 500, (cells, spans)  # the course writes a lot of math
    pieces = ["\\[", "\\]", "\\(", "\\)", "$", "$$", "\\$", "\\\\", "\\", "x", " ", "\n", "{a}", "}", "*",
              "\\begin{a}", "\\end{a}", "\\begin{a*}", "\\end{a*}", "\\begin{ab}", "\\end{ab}", "\\begin{",
              "\\end{", "\\b", "egin{a}"]
    rng = random.Random(5)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert _new_spans(text) == _old_spans(text), text


@pytest.mark.parametrize("opener", ["\\[", "\\(", "\\begin{a}", "\\begin{a*}", "$\\", "$$\\$", "\\$"])
def test_unclosed_openers_cost_linear_time(opener):
    """A megabyte of openers that never close (the old regex scanned to the end for each:
    hours) or of escaped dollars (one node each made bs4 quadratic) is typeset in well
    under 30 s (1.5 s at most when measured), and the scanner's work grows linearly."""
    import time

    from grading.preprocessors.mathml import TexScanner, typeset

    steps = []
    for size in (100_000, 200_000, 400_000):
        scanner = TexScanner(opener * (size // len(opener)))
        list(scanner)
        steps.append(scanner.steps)
    assert steps[1] <= 2.5 * steps[0] and steps[2] <= 2.5 * steps[1], steps
    assert steps[2] <= 2 * 400_000, steps  # two steps per character at most
    html = "<p>" + opener * (1_000_000 // len(opener)) + "</p>"
    started = time.perf_counter()
    out = typeset(html)
    assert time.perf_counter() - started < 30
    if opener[:2] in ("\\[", "\\(", "\\b"):
        assert out == html  # nothing closes: nothing changes
