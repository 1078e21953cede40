"""Every real assignment, graded for real: reference full marks, blank 0, nothing leaks.

The reference and blank submissions of each notebook are graded once per session (see
``graded_reference`` in conftest); these tests only read those runs.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading

import nbformat
import pytest

from grading.leaks import check_module_lines, find_leaks, html_to_text, notebook_text, secret_lines
from grading.release import release_drift
from tests.browser import SCREENSHOTS, QuietHandler, collect_errors, launch_browser, without_favicon
from tests.conftest import REAL_NOTEBOOK_IDS, REAL_NOTEBOOKS

pytestmark = [pytest.mark.slow]


def _source(graded, key):
    return nbformat.read(graded[key]["source"], as_version=4)


notebooks = pytest.mark.parametrize("key", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)


@notebooks
def test_reference_answers_get_full_marks(key, graded_reference):
    grade = graded_reference[key]["reference"].grade
    assert grade.status == "graded", grade.error
    failed = [(t.grade_id, t.message) for t in grade.tests if not t.passed]
    assert not failed, f"reference answers lose points: {failed}"
    assert grade.score == grade.max_score > 0


@notebooks
def test_blank_release_scores_zero_with_clear_messages(key, graded_reference):
    grade = graded_reference[key]["blank"].grade
    assert grade.status == "graded", f"the blank release crashed the grader: {grade.error}"
    assert grade.score == 0, [t.grade_id for t in grade.tests if t.score > 0]
    vague = [t.grade_id for t in grade.tests if "not implemented" not in t.message.lower()]
    assert not vague, f"blank answers should fail with a 'not implemented yet' message: {vague}"


@notebooks
@pytest.mark.parametrize("kind", ["reference", "blank"])
def test_every_graded_cell_is_scored_by_a_trusted_verdict(key, kind, graded_reference):
    run = graded_reference[key][kind]
    verdicts = nbformat.read(run.autograded, as_version=4).metadata["course_grading"]["trusted"]
    assert verdicts is not None, "no check module was used"
    assert sorted(verdicts) == sorted(t.grade_id for t in run.grade.tests)
    for test in run.grade.tests:
        assert test.passed == verdicts[test.grade_id]["passed"], (test.grade_id, test.message)


@notebooks
@pytest.mark.parametrize("kind", ["reference", "blank"])
def test_honest_submissions_run_sandboxed_with_a_clean_integrity_report(key, kind, graded_reference):
    """Every notebook works inside the sandbox, and neither the static scan nor the runtime
    guard finds anything in an honest submission (no false alarms for instructors)."""
    integrity = graded_reference[key][kind].grade.integrity
    assert integrity["sandboxed"] is True
    assert integrity["findings"] == [] and integrity["died_in"] is None, integrity


@notebooks
def test_release_is_what_nbgrader_generates(key):
    assert release_drift(key[0]) == []


@notebooks
def test_release_has_no_speaker_notes(key, repo_root):
    """Notes are for the decks (built from solutions/); they may answer the notebook's questions."""
    from grading.preprocessors.speaker_notes import is_speaker_notes

    release = nbformat.read(repo_root / "notebooks" / key[0] / f"{key[1]}.ipynb", as_version=4)
    notes = [c.metadata.get("nbgrader", {}).get("grade_id") or c.source[:40] for c in release.cells if is_speaker_notes(c)]
    assert notes == [], f"speaker notes in the student release (run `python -m grading release {key[0]}`): {notes}"


@notebooks
def test_release_leaks_no_solution_or_hidden_test(key, graded_reference, repo_root):
    source = _source(graded_reference, key)
    release = repo_root / "notebooks" / key[0] / graded_reference[key]["source"].name
    assert find_leaks(notebook_text(release), secret_lines(source)) == []


@notebooks
@pytest.mark.parametrize("kind", ["reference", "blank"])
def test_feedback_leaks_no_hidden_test(key, kind, graded_reference):
    run = graded_reference[key][kind]
    hidden = check_module_lines(graded_reference[key]["source"].stem)
    assert hidden, "each notebook has a trusted check module"
    text = html_to_text(run.feedback.read_text())
    assert find_leaks(text, hidden) == []
    if kind == "blank":
        assert find_leaks(text, secret_lines(_source(graded_reference, key), regions=("SOLUTION",))) == []


@notebooks
def test_slides_from_the_executed_reference(key, graded_reference, tmp_path):
    from grading.slides import render_deck

    executed = nbformat.read(graded_reference[key]["reference"].autograded, as_version=4)
    deck = render_deck(executed, tmp_path / f"{key[1]}.slides.html").read_text()
    assert find_leaks(html_to_text(deck), secret_lines(_source(graded_reference, key))) == []
    sections = len(re.findall(r"<section", deck))
    assert sections >= 8, f"only {sections} slides"
    assert "data:image/png;base64" in deck, "the deck shows no figure"
    # Speaker notes: `grading slides` builds decks from solutions/, which keep them; the release
    # (and so this autograded copy) has none (grading.preprocessors.speaker_notes).
    source_deck = render_deck(_source(graded_reference, key), tmp_path / "source.slides.html").read_text()
    assert '<aside class="notes">' in source_deck, "the deck has no speaker notes"
    # Widget code never reaches a slide (the demo's figure does); long code is folded.
    assert not re.search(r"interactive_demo|ipywidgets|_slider\(", html_to_text(deck)), "widget code on a slide"


# --------------------------------------------------------------------------- decks in a browser


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


@pytest.fixture(scope="module")
def slides_site(graded_reference, tmp_path_factory):
    """Every deck rendered from its executed reference notebook, served on localhost."""
    from grading.slides import STATIC_NAME, copy_assets, render_deck, write_index

    root = tmp_path_factory.mktemp("slides")
    copy_assets(root / STATIC_NAME)
    for key in REAL_NOTEBOOKS:
        executed = nbformat.read(graded_reference[key]["reference"].autograded, as_version=4)
        render_deck(executed, root / key[0] / f"{key[1]}.slides.html")
    write_index(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("key", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_deck_opens_offline_in_chromium_and_shows_no_secret(key, browser, slides_site, graded_reference):
    assignment, stem = key
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = collect_errors(page)
    page.goto(f"{slides_site}/{assignment}/{stem}.slides.html", wait_until="load")
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
    page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && MathJax.Hub.queue.running === 0",
                           timeout=60_000)
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total >= 8, f"{assignment}: only {total} slides"
    assert page.evaluate("document.querySelectorAll('.MathJax_CHTML, mjx-container').length") > 0, "no formula was typeset"
    source = nbformat.read(graded_reference[key]["source"], as_version=4)
    text = page.evaluate("document.body.innerText")
    assert find_leaks(text, secret_lines(source)) == [], "solution or hidden-test text in the deck"

    folder = SCREENSHOTS / "slides"
    folder.mkdir(parents=True, exist_ok=True)
    page.evaluate("Reveal.slide(0, 0)")
    page.wait_for_timeout(300)
    title = folder / f"{assignment}-title.png"
    page.screenshot(path=str(title))
    figure_slide = page.evaluate("""() => {
        const slides = Reveal.getSlides();
        const index = slides.findIndex(s => s.querySelector('img'));
        return index < 0 ? null : Reveal.getIndices(slides[index]);
    }""")
    assert figure_slide is not None, f"{assignment}: no slide shows a figure"
    page.evaluate(f"Reveal.slide({figure_slide['h']}, {figure_slide.get('v') or 0})")
    page.wait_for_timeout(500)
    figure = folder / f"{assignment}-figure.png"
    page.screenshot(path=str(figure))
    assert title.stat().st_size > 5_000 and figure.stat().st_size > 5_000
    page.close()
    assert without_favicon(errors) == [], errors


@pytest.mark.parametrize("key", REAL_NOTEBOOKS, ids=REAL_NOTEBOOK_IDS)
def test_every_slide_fits_a_1280x720_view(key, browser, slides_site):
    """Every slide, horizontal and vertical, measured in Chromium after MathJax: nothing runs off a
    1280x720 slide (`python -m grading slides --check-fit NN_slug` prints the same table)."""
    from grading.slide_fit import format_table, measure_deck

    assignment, stem = key
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    measures = measure_deck(page, f"{slides_site}/{assignment}/{stem}.slides.html")
    page.close()
    assert len(measures) >= 8
    overflowing = [m for m in measures if m.overflows]
    assert not overflowing, (f"{len(overflowing)} of {len(measures)} slides overflow the 1280x720 slide:\n"
                             + format_table(overflowing))
