"""JupyterLab tried as a student would, in Debian's headless Chromium driven by Playwright.

JupyterLab serves the student release: a notebook opens, its setup cell runs, an ipywidgets demo
renders and reacts to its slider, and nbgrader's Validate button validates an answered notebook.
Screenshots go to build/screenshots/lab/. (The lecture decks are opened in the same browser by
tests/test_notebooks.py, which shares the graded reference run.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from grading.course import REPO_ROOT
from tests.browser import SCREENSHOTS, free_port, launch_browser

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def browser():
    yield from launch_browser()


# --------------------------------------------------------------------------- JupyterLab


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on localhost over a copy of the student release, plus one answered notebook to validate."""
    from grading.submissions import fill_answers

    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO_ROOT / "notebooks" / "09_batchnorm", root / "09_batchnorm")
    answered = root / "answered"
    answered.mkdir()
    release = nbformat.read(REPO_ROOT / "notebooks" / "11_knn" / "knn.ipynb", as_version=4)
    source = nbformat.read(REPO_ROOT / "solutions" / "11_knn" / "knn.ipynb", as_version=4)
    nbformat.write(fill_answers(release, source), answered / "knn.ipynb")
    home = tmp_path_factory.mktemp("lab-home")
    # No "official Jupyter news?" toast over the notebook.
    notification = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), "course-test-token"
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "PYTHONPATH": str(REPO_ROOT)}
    log = open(home / "lab.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={home / 'workspaces'}", f"--LabApp.user_settings_dir={home / 'settings'}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start: {(home / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    yield {"base": base, "token": token, "root": root, "log": home / "lab.log"}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _open_notebook(browser, lab, path: str):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    # A workspace of its own, reset: only this notebook is open (and active).
    workspace = re.sub(r"\W", "-", path)
    page.goto(f"{lab['base']}/lab/workspaces/{workspace}/tree/{path}?reset&token={lab['token']}", wait_until="load")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=300_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=300_000)
    return page


def _run_cell_containing(page, text: str) -> None:
    """Select the cell and press Shift+Enter, as a student would; pressed again if the cell
    shows no sign of running (on a busy machine the first key press can go to a page that is
    still settling, and the cell never runs)."""
    cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=text).first
    prompt = cell.locator(".jp-InputArea-prompt")
    for _ in range(3):
        cell.scroll_into_view_if_needed()
        prompt.click()
        page.keyboard.press("Shift+Enter")
        deadline = time.time() + 60
        while time.time() < deadline:
            if re.search(r"\[(\*|\d+)\]", prompt.inner_text()):
                return
            page.wait_for_timeout(500)
    raise AssertionError(f"the cell containing {text!r} did not start running after three Shift+Enter presses")


def test_student_runs_setup_and_a_widget_in_jupyterlab(browser, lab):
    page = _open_notebook(browser, lab, "09_batchnorm/batchnorm.ipynb")
    _run_cell_containing(page, "device.setup_notebook")
    setup = page.locator(".jp-Notebook .jp-CodeCell", has_text="device.setup_notebook").first
    setup.locator(".jp-OutputArea-output", has_text="CPU cores").wait_for(timeout=600_000)  # TensorFlow import on a busy machine
    assert "TensorFlow" in setup.locator(".jp-OutputArea").inner_text()

    _run_cell_containing(page, "batch_demo = widgets.interactive_demo")
    demo = page.locator(".jp-Notebook .jp-CodeCell", has_text="batch_demo = widgets.interactive_demo").first
    slider = demo.locator(".widget-slider").first
    slider.wait_for(timeout=300_000)
    image = demo.locator(".widget-output img").first
    image.wait_for(timeout=300_000)
    before = image.get_attribute("src")
    folder = SCREENSHOTS / "lab"
    folder.mkdir(parents=True, exist_ok=True)
    demo.screenshot(path=str(folder / "widget-before.png"))
    # Move the slider with the keyboard, as a student would with the arrow keys: the figure is redrawn.
    demo.locator(".noUi-handle, .slider-container [role='slider']").first.focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("(before) => { const img = document.querySelectorAll('.widget-output img'); "
                           "return img.length && img[img.length - 1].src !== before; }", arg=before, timeout=300_000)
    page.wait_for_timeout(1500)  # let the last key press redraw too
    demo.screenshot(path=str(folder / "widget-after.png"))
    page.screenshot(path=str(folder / "notebook.png"))
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    page.close()


def test_student_validates_a_notebook_with_nbgrader(browser, lab):
    page = _open_notebook(browser, lab, "answered/knn.ipynb")
    page.locator("button:has-text('Validate'), .jp-ToolbarButtonComponent:has-text('Validate')").first.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=600_000)
    dialog.get_by_text(re.compile("Success|passed|failed|Error", re.I)).first.wait_for(timeout=600_000)
    folder = SCREENSHOTS / "lab"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "validate.png"))
    text = dialog.inner_text()
    assert "Success" in text, text[:2000]
    page.close()
