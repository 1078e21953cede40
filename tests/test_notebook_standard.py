"""Static checks of ../shared/notebook-standard.md on every source and release notebook (no execution)."""

from __future__ import annotations

import re

import nbformat
import pytest

from grading.course import REPO_ROOT, list_assignments, source_notebooks

NOTEBOOKS = [(a, p) for a in list_assignments() for p in source_notebooks(a)]
IDS = [a for a, _ in NOTEBOOKS]
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def release_of(source):
    return REPO_ROOT / "notebooks" / source.parent.name / source.name


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_no_outputs_or_volatile_metadata(assignment, source):
    for path in (source, release_of(source)):
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: committed output"
            assert "execution" not in cell.metadata, f"{path.name}: timing metadata committed"
        assert "widgets" not in nb.metadata, f"{path.name}: widget state committed"


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_shape_of_the_notebook(assignment, source):
    nb = nbformat.read(source, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# "), "starts with a title"
    assert re.search(r"learning goals", first.source, re.I), "the title cell states learning goals"
    setup = [c for c in nb.cells if nbg(c).get("grade_id") == "setup"]
    assert len(setup) == 1 and nbg(setup[0]).get("locked"), "one locked setup cell"
    assert "from helpers import" in setup[0].source and "setup_notebook" in setup[0].source
    text = "\n".join(c.source for c in nb.cells)
    assert HANGUL.search(text), "keep the deck's Korean key terms in parentheses"
    assert "import tensorflow as tf" in text, "a TensorFlow 2 part"
    assert re.search(r"^\|.*(TF1|TensorFlow 1).*\|.*(TF2|TensorFlow 2).*\|", text, re.M), "a TF1 -> TF2 table"
    assert "widgets.interactive_demo" in text, "an ipywidgets demo"
    assert re.search(r"^#+ .*what to try next", text, re.I | re.M) and re.search(r"^#+ .*summary", text, re.I | re.M)
    for cell in nb.cells:
        assert "slideshow" in cell.metadata and "slide_type" in cell.metadata["slideshow"], \
            f"cell {nbg(cell).get('grade_id')} has no slide_type"
        assert "nbgrader" in cell.metadata, "every cell carries nbgrader metadata"


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_exercises_have_answer_and_graded_test_cells(assignment, source):
    nb = nbformat.read(source, as_version=4)
    release = nbformat.read(release_of(source), as_version=4)
    answers = [c for c in nb.cells if nbg(c).get("solution") and c.cell_type == "code"]
    tests = [c for c in nb.cells if nbg(c).get("grade") and not nbg(c).get("solution")]
    assert answers and tests
    released = {nbg(c)["grade_id"]: c for c in release.cells if nbg(c).get("solution")}
    for cell in answers:
        name = nbg(cell)["grade_id"]
        assert re.search(rf"^(def|class) {re.escape(name)}\b", cell.source, re.M), f"answer cell {name} defines {name}"
        assert cell.metadata["slideshow"]["slide_type"] == "skip"
        assert "raise NotImplementedError()" in released[name].source
        mine = [t for t in tests if nbg(t)["grade_id"] == f"test_{name}" or nbg(t)["grade_id"].startswith(f"test_{name}_")]
        assert mine, f"no test cell for {name}"
        assert any(has_hidden_cases(source.stem, nbg(t)["grade_id"]) for t in mine), f"{name} has no hidden cases"
        assert not any("BEGIN HIDDEN TESTS" in t.source for t in mine), "hidden cases belong in grading/checks"
    for cell in tests:
        meta = nbg(cell)
        assert meta["grade_id"].startswith("test_") and meta.get("locked") and meta.get("points", 0) > 0
        assert cell.metadata["slideshow"]["slide_type"] == "skip"
        assert "testing." in cell.source, f"{meta['grade_id']} should check through helpers.testing"


# helpers.testing checks that return None; any other value left on a test cell's last line is
# displayed, and nbgrader reads a numeric display as the cell's score (log 2 instead of full marks).
NONE_RETURNING_CHECKS = {
    "assert_that", "check_array_gradient", "check_close", "check_dtype", "check_finite",
    "check_gradient", "check_not_modified", "check_shape", "check_type",
}


def displayed_last_value(source: str) -> str | None:
    """The source of a test cell's final expression when IPython would display its value."""
    import ast

    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    body = ast.parse(code).body
    if not body or not isinstance(body[-1], ast.Expr):
        return None
    value = body[-1].value
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in NONE_RETURNING_CHECKS:
        return None
    return ast.unparse(value)


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_test_cells_display_no_value(assignment, source):
    offenders = {}
    for path in (source, release_of(source)):
        nb = nbformat.read(path, as_version=4)
        offenders |= {f"{path.parent.parent.name}:{nbg(c)['grade_id']}": expr for c in nb.cells
                      if nbg(c).get("grade") and c.cell_type == "code"
                      and (expr := displayed_last_value(c.source)) is not None}
    assert not offenders, f"test cells end in an expression whose value nbgrader would take as the score: {offenders}"


def has_hidden_cases(notebook: str, grade_id: str) -> bool:
    """Whether the trusted check of ``grade_id`` has hidden cases (calls ``s.hidden()``)."""
    import inspect

    from grading.trusted.registry import checks_of

    check = (checks_of(notebook) or {}).get(grade_id)
    return check is not None and ".hidden()" in inspect.getsource(check)


def test_displayed_last_value_rule():
    assert displayed_last_value("x = 1\ntesting.check_scalar(x, 'x')") == "testing.check_scalar(x, 'x')"
    assert displayed_last_value("testing.check_raises(ValueError, f, 1)") is not None
    assert displayed_last_value("testing.check_close(a, b, 'a')") is None
    assert displayed_last_value("value = testing.check_scalar(x, 'x')") is None
    assert displayed_last_value("for i in range(2):\n    testing.call_student(f, i)") is None


# ------------------------------------------------------------------ written questions, glossary, deck slides

WRITTEN_HEADING = re.compile(r"^#+ Written question", re.M)
GLOSSARY_HEADER = re.compile(r"^\|\s*English\s*\|\s*The deck's wording\s*\|\s*Standard Korean\s*\|\s*$", re.M)


def written_answers(nb) -> list:
    """Manually graded answer cells: markdown, ``solution`` and ``grade`` both set."""
    return [c for c in nb.cells if nbg(c).get("solution") and nbg(c).get("grade")]


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_written_questions_are_manually_graded_and_keep_their_rubric_out_of_the_release(assignment, source):
    nb = nbformat.read(source, as_version=4)
    release = nbformat.read(release_of(source), as_version=4)
    answers = written_answers(nb)
    assert 1 <= len(answers) <= 3, f"{assignment}: 1-3 written questions, found {len(answers)}"
    index = {id(c): i for i, c in enumerate(nb.cells)}
    released = {nbg(c)["grade_id"]: c for c in release.cells if nbg(c).get("solution")}
    for cell in answers:
        meta = nbg(cell)
        name = meta["grade_id"]
        assert cell.cell_type == "markdown", f"{name}: a written answer is a markdown cell"
        assert name.startswith("written_"), f"{name}: written answers are named written_<topic>"
        assert 1 <= meta.get("points", 0) <= 5 and not meta.get("locked")
        assert cell.metadata["slideshow"]["slide_type"] == "skip"
        question = nb.cells[index[id(cell)] - 1]
        assert question.cell_type == "markdown" and WRITTEN_HEADING.search(question.source), \
            f"{name}: the cell before a written answer states the question under a 'Written question' heading"
        assert nbg(question).get("locked"), f"{name}: the question cell is locked"
        assert cell.source.count("### BEGIN SOLUTION") == 1 and cell.source.count("### END SOLUTION") == 1
        solution = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
        assert "**Model answer" in solution and "**Rubric" in solution, f"{name}: a model answer and a rubric"
        assert re.search(r"\b\d+(\.\d+)? (point|pt)", solution), f"{name}: the rubric says what earns points"
        student = released[name].source
        assert "Rubric" not in student and "Model answer" not in student, f"{name}: the rubric reached the release"


@pytest.mark.parametrize("assignment,source", NOTEBOOKS, ids=IDS)
def test_glossary_and_deck_slides(assignment, source):
    nb = nbformat.read(source, as_version=4)
    glossary = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"^#+ Glossary", c.source, re.M)]
    assert len(glossary) == 1, f"{assignment}: one '## Glossary' cell"
    assert GLOSSARY_HEADER.search(glossary[0].source), \
        "the glossary is a table headed | English | The deck's wording | Standard Korean |"
    rows = [line for line in glossary[0].source.splitlines()
            if line.startswith("|") and not GLOSSARY_HEADER.match(line) and not re.match(r"^\|[\s:|-]+\|$", line)]
    assert len(rows) >= 6, f"{assignment}: only {len(rows)} glossary rows"
    for row in rows:
        cells = [part.strip() for part in row.strip().strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"glossary row with an empty or missing column: {row}"
        assert HANGUL.search(cells[2]), f"glossary row without a standard Korean term: {row}"
    slides = [c for c in nb.cells if c.cell_type == "markdown" and re.search(r"^#+ .*deck slides covered", c.source, re.I | re.M)]
    assert len(slides) == 1, f"{assignment}: one markdown cell headed 'Deck slides covered'"
    titles = [line for line in slides[0].source.splitlines() if re.match(r"^\s*[-*] ", line)]
    assert len(titles) >= 3, "list the deck's slide titles this notebook covers"
    assert all(re.search(r"\bl(ine|ines)? ?\d+", t) for t in titles), "give each slide title its deck line(s)"
