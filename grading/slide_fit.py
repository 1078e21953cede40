"""``grading slides --check-fit``: does every slide of a deck fit the 1280×720 slide?

Each deck is rendered from an executed copy of its solution notebook (as ``grading slides``
does), served on localhost with its offline assets and opened in headless Chromium
(Debian's ``chromium`` driven by Playwright). Every slide, horizontal and vertical, is shown in
turn, after MathJax has typeset it, and its content is measured in slide pixels (reveal.js
scales the whole 1280×720 slide to the window; the measure is before that scaling). A slide
whose content is taller than 720 px (or wider than 1280 px) runs off the screen in a lecture.

``measure_deck`` is the part the tests use: give it a Playwright page (and the deck's URL).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grading.slides import SLIDE_HEIGHT, SLIDE_WIDTH

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Flags for a closed network: no background connections, no sandbox when run as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass(frozen=True)
class SlideMeasure:
    """One slide's content size in slide pixels (before reveal.js scales the slide to the window)."""

    h: int
    v: int
    height: int
    width: int
    text: str
    max_height: int = SLIDE_HEIGHT
    max_width: int = SLIDE_WIDTH

    @property
    def too_tall(self) -> bool:
        return self.height > self.max_height

    @property
    def too_wide(self) -> bool:
        return self.width > self.max_width

    @property
    def overflows(self) -> bool:
        return self.too_tall or self.too_wide

    @property
    def where(self) -> str:
        return f"{self.h}/{self.v}"

    def describe(self) -> str:
        marks = " ".join(mark for mark, on in (("OVERFLOW", self.too_tall), ("TOO-WIDE", self.too_wide)) if on)
        return f"slide {self.where} ({self.height}x{self.width} px{', ' + marks if marks else ''}): {self.text!r}"


_MATHJAX_IDLE = ("() => !window.MathJax || !MathJax.Hub || (MathJax.Hub.queue.pending === 0 "
                 "&& MathJax.Hub.queue.running === 0)")

# Measure the present slide. Only it is laid out (others may be display:none); scrollHeight and
# scrollWidth are layout sizes in slide pixels, unaffected by reveal.js's scaling transform, and they
# leave out what a scrollable box (a capped output) hides. Hidden fragments still take their space.
_MEASURE_SLIDE = """() => {
    const slide = Reveal.getCurrentSlide();
    const text = (slide.innerText || '').replace(/\\s+/g, ' ').trim();
    return {height: Math.max(slide.scrollHeight, slide.offsetHeight), width: Math.max(slide.scrollWidth, slide.offsetWidth), text};
}"""


def wait_for_deck(page, timeout_ms: int = 60_000) -> None:
    """Wait until reveal.js is ready, MathJax has typeset everything queued and the fonts are in."""
    page.wait_for_function("window.Reveal && Reveal.isReady && Reveal.isReady()", timeout=timeout_ms)
    page.wait_for_function(_MATHJAX_IDLE, timeout=timeout_ms)
    page.evaluate("document.fonts.ready.then(() => true)")


def measure_deck(page, url: str | None = None, text_chars: int = 60) -> list[SlideMeasure]:
    """Measure every slide (horizontal and vertical) of the deck open in ``page``, or at ``url``.

    The page's viewport should be 1280×720 (any size works: the measures are in slide pixels).
    """
    if url is not None:
        page.goto(url, wait_until="load")
    wait_for_deck(page)
    page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
    indices = page.evaluate("Reveal.getSlides().map(s => { const i = Reveal.getIndices(s); return [i.h, i.v || 0]; })")
    measures = []
    for h, v in indices:
        page.evaluate("([h, v]) => Reveal.slide(h, v)", [h, v])
        page.wait_for_function(_MATHJAX_IDLE, timeout=60_000)  # a slide change re-renders its formulas
        got = page.evaluate(_MEASURE_SLIDE)
        text = got["text"]
        measures.append(SlideMeasure(h=h, v=v, height=got["height"], width=got["width"],
                                     text=text if len(text) <= text_chars else text[:text_chars - 1] + "…"))
    page.evaluate("Reveal.slide(0, 0)")
    return measures


def format_table(measures: Sequence[SlideMeasure], title: str = "") -> str:
    """A table: slide h/v, height and width in px, marks, the slide's first words."""
    bad = sum(m.overflows for m in measures)
    lines = [f"{title}: {len(measures)} slides, {bad} overflow the {SLIDE_WIDTH}x{SLIDE_HEIGHT} slide" if title else ""]
    lines.append(f"{'slide':>7} {'height':>6} {'width':>6}  {'':9} text")
    for m in measures:
        mark = "OVERFLOW" if m.too_tall else ("TOO-WIDE" if m.too_wide else "")
        lines.append(f"{m.where:>7} {m.height:>6} {m.width:>6}  {mark:9} {m.text}")
    return "\n".join(line for line in lines if line)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on a free localhost port (MathJax's fonts need http, not file:)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium_page(width: int = SLIDE_WIDTH, height: int = SLIDE_HEIGHT):
    """A Playwright page in headless Debian Chromium (no browser download)."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()


def check_decks(decks: dict[str, nbformat.NotebookNode], screenshots: Path | None = None) -> dict[str, list[SlideMeasure]]:
    """Render each executed notebook (``name -> notebook``) as a deck and measure every slide.

    With ``screenshots``, a PNG of each overflowing slide is written there (``<name>-<h>-<v>.png``).
    """
    from grading.slides import STATIC_NAME, copy_assets, render_deck

    results: dict[str, list[SlideMeasure]] = {}
    with tempfile.TemporaryDirectory(prefix="slide-fit-") as tmp:
        root = Path(tmp)
        copy_assets(root / STATIC_NAME)
        paths = {name: render_deck(nb, root / "decks" / f"{name}.slides.html", static_url=f"../{STATIC_NAME}")
                 for name, nb in decks.items()}
        with serve(root) as base, chromium_page() as page:
            for name, path in paths.items():
                measures = measure_deck(page, f"{base}/decks/{path.name}")
                results[name] = measures
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    for m in measures:
                        if m.overflows:
                            page.evaluate("([h, v]) => Reveal.slide(h, v)", [m.h, m.v])
                            page.wait_for_timeout(200)
                            page.screenshot(path=str(screenshots / f"{name}-{m.h}-{m.v}.png"))
    return results


def check_fit(assignments: Sequence[str] | None = None, source_dir: Path | None = None,
              screenshots: Path | None = None, out=print) -> bool:
    """Execute each assignment's solution notebooks, measure their decks, print a table each.

    Returns True when every slide fits.
    """
    from grading.course import list_assignments, source_notebooks
    from grading.slides import execute_copy

    ok = True
    for assignment in assignments or list_assignments(source_dir):
        for source in source_notebooks(assignment, source_dir):
            name = f"{assignment}-{source.stem}" if assignment != source.stem else assignment
            measures = check_decks({name: execute_copy(source)}, screenshots=screenshots)[name]
            out(format_table(measures, title=f"{assignment}/{source.name}"))
            ok = ok and not any(m.overflows for m in measures)
    return ok


__all__ = ["SLIDE_HEIGHT", "SLIDE_WIDTH", "SlideMeasure", "check_decks", "check_fit", "chromium_page", "format_table",
           "measure_deck", "serve", "wait_for_deck"]
