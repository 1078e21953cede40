"""No student HTML or script runs in a grader's or a student's browser (issue 19).

One submission carries every payload of ``tests/grading/test_hostile.py`` (script, event
handlers, ``javascript:`` links, frames and plugins, SVG scripts, ``display(Javascript)``,
raw HTML in markdown, output metadata that lands in attributes), each setting its own
``window.__xss_*`` marker or fetching from a local marker server. It is autograded in the
sandbox, then opened in headless Chromium as a student opens the feedback (over HTTP and as
a file) and as a grader opens it in formgrader, on a real Jupyter server. Nothing may run,
nothing may be fetched from the marker server or Jupyter's contents/terminals API, no
dialog may open. Screenshots go to build/screenshots/safety/.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grading.course import REPO_ROOT, CourseLayout, GradingLimits
from tests.browser import SCREENSHOTS, QuietHandler, free_port, launch_browser

pytestmark = [pytest.mark.slow]

A = "01_linear_regression"
NB = "linear_regression.ipynb"
STUDENT = "mallory"
LIMITS = GradingLimits(cell_timeout_s=60, notebook_timeout_s=600, memory_mb=2048, max_processes=32)
SHOTS = SCREENSHOTS / "safety"

#: Marker checks run in the page once it has settled.
MARKERS_JS = """() => ({
    markers: Object.keys(window).filter(k => k.startsWith('__xss')),
    title: document.title,
    dataset: Object.assign({}, document.body ? document.body.dataset : {}),
    violations: window.__cspViolations || [],
})"""
#: Installed before any page script: records CSP violations (something the sanitizer let
#: through and only the policy stopped).
CSP_RECORDER = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""
#: Jupyter endpoints student script would use to read files or run commands.
JUPYTER_API = ("/api/contents", "/api/terminals", "/terminals", "/api/kernels", "/api/sessions")


class MarkerServer:
    """An HTTP server on 127.0.0.1 that records every path a browser asks it for."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def marker():
    server = MarkerServer()
    yield server
    server.close()


NBGRADER_CONFIG = '''# Formgrader reads the course from here (as the repository's own nbgrader_config.py does).
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from grading.course import CourseLayout, apply_course_config
apply_course_config(get_config(), CourseLayout(root=Path({root!r})))
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory, marker):
    """A course with one hostile submission, autograded in the sandbox, with feedback."""
    from grading.autograde import autograde_course
    from grading.release import release
    from grading.submissions import fill_answers
    from tests.grading.test_hostile import _append, xss_notebooks, xss_output_code

    root = tmp_path_factory.mktemp("safety")
    shutil.copytree(REPO_ROOT / "solutions" / A, root / "solutions" / A)
    layout = CourseLayout(root=root)
    release([A], layout)
    source = nbformat.read(layout.path("source") / A / NB, as_version=4)
    blank = nbformat.read(layout.path("release") / A / NB, as_version=4)
    reference = fill_answers(blank, source)
    hostile = _append(xss_notebooks(reference, marker.base)["xss_markdown"], "predict",
                      xss_output_code(marker.base) + "\nopen('stolen.txt', 'w').write('handed back?')\n")
    folder = layout.path("submitted") / STUDENT / A
    folder.mkdir(parents=True)
    nbformat.write(hostile, folder / NB)
    report = autograde_course([A], layout, limits=LIMITS, progress=False)
    cell = report.rows[STUDENT][A]
    assert cell.error is None and cell.score == cell.max_score, report.table()
    assert not report.feedback_failures, report.table()
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(repo=str(REPO_ROOT), root=str(root)))
    return layout


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


def watch(page) -> dict:
    """Record what the page requests and every dialog it opens (dismissed at once)."""
    seen = {"requests": [], "dialogs": []}
    page.add_init_script(CSP_RECORDER)
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    return seen


def settle(page) -> None:
    """Let every load, error handler and timer of the page run."""
    page.wait_for_load_state("load", timeout=90_000)
    page.wait_for_load_state("networkidle", timeout=90_000)


def assert_inert(page, url: str, seen: dict, marker: MarkerServer) -> None:
    # formgrader's own script records the shown cell in the query (?index=0): not a navigation.
    assert page.url.split("?")[0] == url.split("?")[0], "the page navigated away"
    state = page.evaluate(MARKERS_JS)
    assert state["markers"] == [], state
    assert state["title"] != "pwned" and not state["dataset"], state
    assert seen["dialogs"] == [], seen["dialogs"]
    assert not [u for u in seen["requests"] if u.startswith(marker.base)], seen["requests"]
    assert marker.hits == [], marker.hits
    # The payloads were rendered, as text: the page is not blank.
    assert page.get_by_text("window.__xss_m1", exact=False).count() > 0


# --------------------------------------------------------------------------- feedback


def feedback_file(course) -> Path:
    return course.path("feedback") / STUDENT / A / NB.replace(".ipynb", ".html")


def test_feedback_holds_only_the_notebook_html(course):
    from grading.html_safety import NBGRADER_RECEIPTS

    names = {p.name for p in feedback_file(course).parent.iterdir()}
    assert names - NBGRADER_RECEIPTS == {feedback_file(course).name}


@pytest.mark.parametrize("how", ["http", "file"])
def test_feedback_runs_nothing_of_the_student(course, browser, marker, how):
    html = feedback_file(course)
    server = None
    if how == "http":
        handler = functools.partial(QuietHandler, directory=str(html.parent))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{html.name}"
    else:
        url = html.as_uri()
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        seen = watch(page)
        page.goto(url, wait_until="load", timeout=90_000)
        settle(page)
        assert_inert(page, url, seen, marker)
        # Nothing fetched but the page itself (images are data: URLs).
        assert [u for u in seen["requests"] if u != url and not u.startswith("data:")
                and not u.endswith("/favicon.ico")] == [], seen["requests"]
        # Nothing was only stopped by the Content-Security-Policy: the sanitizer removed it first.
        assert page.evaluate("window.__cspViolations") == []
        assert [e for e in errors if "favicon.ico" not in e and "404" not in e] == [], errors
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".output_html", has_text="window.__xss_1").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"feedback-{how}.png"), full_page=False)
    finally:
        page.close()
        if server:
            server.shutdown()
            server.server_close()


# --------------------------------------------------------------------------- formgrader


@pytest.fixture(scope="module")
def formgrader(course, tmp_path_factory):
    """A Jupyter server (with nbgrader's formgrader) on localhost, rooted at the course."""
    home = tmp_path_factory.mktemp("formgrader-home")
    port, token = free_port(), "safety-test-token"
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "PYTHONPATH": str(REPO_ROOT)}
    log = open(home / "server.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course.root}", "--allow-root"],
        cwd=course.root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                log.close()
                pytest.fail(f"jupyter server did not start: {(home / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
    yield {"base": base, "token": token, "log": home / "server.log"}
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def submission_id(course) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, "dl-course") as gb:
        return gb.find_submission_notebook(NB.replace(".ipynb", ""), A, STUDENT).id


def test_formgrader_runs_nothing_of_the_student(course, formgrader, browser, marker):
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    # Logged in as the grader: the page and every request it makes carry the token.
    context = browser.new_context(viewport={"width": 1300, "height": 900},
                                  extra_http_headers={"Authorization": f"token {formgrader['token']}"})
    page = context.new_page()
    try:
        seen = watch(page)
        # MathJax comes from a CDN in formgrader's template; offline it would only time out.
        page.route("https://cdnjs.cloudflare.com/**", lambda route: route.abort())
        url = f"{formgrader['base']}/formgrader/submissions/{submission_id(course)}/"
        page.goto(url, wait_until="load", timeout=90_000)
        # Formgrader's own script ran: it loaded the grades and put the scores into the inputs.
        try:
            page.wait_for_function("() => { const s = document.querySelectorAll('input.score');"
                                   " return window.formgrader && formgrader.grades && formgrader.grades.loaded"
                                   " && formgrader.comments.loaded && s.length > 0"
                                   # written answers have no autograded score, so no placeholder
                                   " && [...s].some(i => i.getAttribute('placeholder') !== null); }",
                                   timeout=90_000)
        except PlaywrightTimeoutError:
            assert_inert(page, url, seen, marker)  # student markup breaking the page: say so first
            raise
        settle(page)
        assert_inert(page, url, seen, marker)
        api = [u for u in seen["requests"] if u.startswith(formgrader["base"])
               and urllib.parse.urlsplit(u).path.startswith(JUPYTER_API)]
        assert api == [], api
        # Student markup cannot take the ids and classes formgrader's script looks up.
        assert page.evaluate("document.getElementById('test_predict_shape').tagName") == "INPUT"
        assert page.evaluate("document.getElementById('statusmessage').tagName") == "DIV"
        assert page.locator(".tabbable", has_text="clobber").count() == 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(".text_cell_render", has_text="window.__xss_m1").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "formgrader.png"), full_page=False)
    finally:
        context.close()
