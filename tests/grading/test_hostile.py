"""Hostile submissions against a real notebook: every attack and fault ends as specified.

One course directory with notebook 01 is autograded once (two workers, sandboxed, short
limits) with one student per attack or fault, beside an honest student and a control
student whose answers are wrong in the same way as the attackers' but who does not
cheat. Each test then reads that one run: a cheat must not score more than the control,
must show in the integrity report, and must not change anyone else's grade.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from grading.course import REPO_ROOT, CourseLayout, GradingLimits
from grading.submissions import fill_answers

pytestmark = [pytest.mark.slow]

A = "01_linear_regression"
NB = "linear_regression.ipynb"
# Generous time limits (the suite must pass on a busy 2-core machine); small resource limits
# so that the resource attacks below reach them quickly.
LIMITS = GradingLimits(cell_timeout_s=120, notebook_timeout_s=900, memory_mb=2048, max_processes=32,
                       max_threads=256, max_disk_mb=256, max_notebook_output_bytes=5_000_000,
                       max_message_bytes=8_000_000, grader_memory_mb=768)
MULTI_FRAME = """kernel = get_ipython().kernel
frame = b'f' * 7_000_000  # each frame under the message limit, 700 MB in one message
kernel.session.send(kernel.iopub_socket, 'display_data', {'data': {'text/plain': 'x'}, 'metadata': {}},
                    buffers=[frame] * 100)
"""
SHM_AND_MEMFD = """import os
try:  # /dev/shm is a small tmpfs of the sandbox's own: this fails early
    with open('/dev/shm/hog', 'wb') as fh:
        for _ in range(50):
            fh.write(b'x' * 2**26)
except OSError as exc:
    print('shm full:', exc)
held = []
for _ in range(16):  # 16 memfd files of 192 MB (each under the file size limit): 3 GB in no address space
    held.append(os.memfd_create('hog'))
    for _ in range(3):
        os.write(held[-1], b'x' * 2**26)
"""
THREAD_BOMB = """import threading, time
threads = []
try:  # where a cgroup caps tasks, a new thread is refused before the watchdog's kill
    for _ in range(1500):
        threads.append(threading.Thread(target=time.sleep, args=(60,)))
        threads[-1].start()
except RuntimeError:
    pass
time.sleep(30)  # holding them
"""
DISK_HOG = """import time
for k in range(3):
    try:
        with open(f'big{k}.bin', 'wb') as fh:
            for _ in range(25):
                fh.write(b'x' * 2**23)
    except OSError as exc:
        print(k, exc)
time.sleep(10)
"""
DISPLAY_UPDATES = """from IPython.display import display, update_display
display('small', display_id='grow')
for i in range(1, 40):
    update_display({'text/plain': 'y' * 400_000 * i}, raw=True, display_id='grow')
"""
WRONG_PREDICT = "def predict(X, w, b):\n    return np.zeros(np.shape(X)[0])\n"
LIAR = '''import sys

class Liar:
    shape = (3,)
    dtype = np.dtype("float64")

    def __array__(self, dtype=None, copy=None):
        frame = sys._getframe(1)
        while frame is not None and "expected" not in frame.f_locals:
            frame = frame.f_back
        return np.asarray(frame.f_locals["expected"] if frame else [0.0], dtype=dtype)

    def __eq__(self, other):
        return True

def predict(X, w, b):
    return Liar()
'''


# Issue 20: four ways to get full marks while every check ran in the student's kernel. Names
# are assembled from strings so that the static scan sees nothing.
SWAP_AND_RESTORE = """import sys as _s
_t = _s.modules["helpers." + "tes" + "ting"]
_names = [n for n in dir(_t) if n.startswith("check_") or n == "assert" + "_that"]
_saved = {}

def _noop(*a, **k):
    return None

def _swap():
    for n in _names:
        f = getattr(_t, n)
        if hasattr(f, "__code__") and n not in _saved:
            _saved[n] = f.__code__
            f.__code__ = _noop.__code__

def _restore(*a):
    for n, c in list(_saved.items()):
        getattr(_t, n).__code__ = c
    _saved.clear()

get_ipython().events.register("post_run_cell", _restore)

def predict(X, w, b):
    _swap()  # when a test calls it: every check a no-op until the cell ends
    return np.zeros(np.shape(X)[0])
"""
GUARD_OFF = """import sys as _s, os as _o
_g = _s.modules.get("_course" + "_guard")
if _g is not None:
    _g.enter = lambda *a, **k: "[]"
_fd = int(_o.environ.get("COURSE_GUARD" + "_FD", "-1"))
if _fd >= 0:
    _o.dup2(_o.open(_o.devnull, _o.O_WRONLY), _fd)
_t = _s.modules["helpers." + "testing"]
for _n in dir(_t):
    if _n.startswith("check_") or _n == "assert_that":
        setattr(_t, _n, lambda *a, **k: None)
"""
SHADOW_TESTING = """print("SHADOW HELPERS LOADED")

def call_student(fn, *args, **kwargs):
    return fn(*args, **kwargs)

def __getattr__(name):
    return lambda *a, **k: None
"""
FRAME_WALKER = """import sys

class Walker(np.ndarray):
    @property
    def shape(self):
        real = np.ndarray.shape.__get__(self)
        frame = sys._getframe(1)
        while frame is not None:
            expected = frame.f_locals.get("expected_array")
            if expected is not None and np.shape(expected) == real:
                np.copyto(self.view(np.ndarray), expected)
            frame = frame.f_back
        return real

def predict(X, w, b):
    return np.zeros(np.shape(X)[0]).view(Walker)
"""
# A result that fails to encode with an error the student writes: the kernel's words must not
# reach the feedback (they carried hidden inputs there).
ENCODE_LEAK = """class _Leaky:
    def __init__(self, X):
        self.text = "LEAKMARK " + repr(np.asarray(X).ravel()[:6].tolist())

    def __iter__(self):
        return self

    def __next__(self):
        raise ValueError(self.text)

def predict(X, w, b):
    return (v for v in _Leaky(X))
"""
# Issue 20's leaks: a wrapper records what the tests send (inputs and the running cell's
# source), a cell after the tests and an event callback print it, and a file holds it.
RECORD_CALLS = """import json as _json
_seen = []
_real_mse_cost = mse_cost

def _plain(v):
    return v.tolist() if hasattr(v, "tolist") else v

def mse_cost(X, y, w, b):
    _seen.append({"source": get_ipython().user_ns["_ih"][-1], "args": [_plain(a) for a in (X, y, w, b)]})
    del _seen[:-60]  # the latest calls (the checker's come last); gradient descent calls it at every step
    open("leak.txt", "w").write(_json.dumps(_seen))
    return _real_mse_cost(X, y, w, b)

def _show(*a):
    print("RECORDED", _json.dumps(_seen))

get_ipython().events.register("post_run_cell", _show)
"""


def _shadow_helpers(notebook):
    """A submission with a folder ``helpers/`` beside the notebook (no-op checks)."""

    def fill(folder: Path) -> None:
        nbformat.write(notebook, folder / NB)
        (folder / "helpers").mkdir()
        (folder / "helpers" / "__init__.py").write_text("")
        (folder / "helpers" / "testing.py").write_text(SHADOW_TESTING)
        (folder / "helpers" / "gradcheck.py").write_text("")

    return fill


#: Where the XSS payloads ask a browser to fetch from (tests/test_browser_safety.py serves it
#: and counts hits); here only the rendered HTML is read, so nothing listens.
XSS_BASE = "http://127.0.0.1:9"


def xss_output_code(base: str = XSS_BASE) -> str:
    """Code whose outputs would run script or fetch ``base/xss/...`` if rendered as they are.

    Each payload sets its own marker (``window.__xss_<n>``) when it runs.
    """
    code = r"""
from IPython.display import HTML, SVG, Javascript, Latex, Markdown, display, publish_display_data
display(HTML('<script>window.__xss_1 = 1; document.title = "pwned"</script>'))
display(HTML('<img src=x onerror="window.__xss_2 = 1"><a href="javascript:window.__xss_3 = 1">link</a>'))
display(HTML('<b>frames</b><iframe src="BASE/xss/iframe"></iframe><iframe srcdoc="<script>parent.__xss_4 = 1</script>"></iframe>'))
display(HTML('<object data="BASE/xss/object"></object><embed src="BASE/xss/embed">'))
display(HTML('<svg onload="window.__xss_5 = 1"><script>window.__xss_5 = 2</script></svg>'))
display(HTML('<style>body { background: url(BASE/xss/css) }</style><div style="background-image: url(BASE/xss/style)">s</div>'))
display(HTML('<form action="BASE/xss/form"><button>go</button></form><meta http-equiv="refresh" content="0; url=BASE/xss/refresh"><base href="BASE/xss/base/"><link rel="stylesheet" href="BASE/xss/link">'))
display(HTML('<img src="BASE/xss/img"><details open ontoggle="window.__xss_6 = 1"><summary>s</summary></details>'))
display(HTML('<span id="test_predict_shape" class="tabbable score">clobber</span>'))
display(Javascript('window.__xss_7 = 1; document.body.dataset.x7 = "1"; fetch("BASE/xss/js-fetch"); '
                   'fetch("/api/contents"); fetch("/api/terminals", {method: "POST"}); alert("xss")'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="window.__xss_8 = 1"><script>window.__xss_8 = 2</script><image href="BASE/xss/svg-image"/></svg>'))
display(Markdown('<img src=x onerror="window.__xss_9 = 1"> [md](javascript:window.__xss_9=2) ![i](BASE/xss/md-output-img)'))
publish_display_data({'image/png': 'x" onerror="window.__xss_10 = 1'}, metadata={'image/png': {'width': '1 onerror=window.__xss_10=2', 'height': 1}})
publish_display_data({'image/png': 'iVBORw0KGgo='}, metadata={'filenames': {'image/png': 'BASE/xss/filename'}})
publish_display_data({'text/html': '<b>isolated</b><script>window.__xss_11 = 1</script>'}, metadata={'text/html': {'isolated': True}})
publish_display_data({'text/vnd.mermaid': '<img src=x onerror="window.__xss_12 = 1">'})
publish_display_data({'application/vnd.jupyter.widget-view+json': {'model_id': 'x', 'version_major': 2, 'version_minor': 0}, 'text/plain': 'widget'})
display(Latex(r'$\href{javascript:window.__xss_13 = 1}{x}$'))
print('<script>window.__xss_14 = 1</script>')
"""
    return code.replace("BASE", base)


def xss_markdown(base: str = XSS_BASE) -> str:
    """A markdown cell whose raw HTML and links would run script or fetch ``base/xss/...``."""
    md = """# Notes <script>window.__xss_m1 = 1</script>

<img src=x onerror="window.__xss_m2 = 1; fetch('/api/contents')">

[click](javascript:window.__xss_m3=1) <a href="javascript:window.__xss_m3 = 2">a</a>

<iframe srcdoc="<script>parent.__xss_m4 = 1</script>"></iframe>

<svg><script>window.__xss_m5 = 1</script><image href="x" onerror="window.__xss_m5 = 2"/></svg>

<object data="BASE/xss/md-object"></object><embed src="BASE/xss/md-embed">

<details open ontoggle="window.__xss_m6 = 1"><summary>x</summary></details>

<math><mtext><table><mglyph><style><img src=x onerror="window.__xss_m7 = 1">

![img](BASE/xss/md-image) <img src="BASE/xss/md-img">

<style>body { background: url(BASE/xss/md-css) }</style>

<meta http-equiv="refresh" content="0; url=BASE/xss/md-refresh">

<span id="statusmessage" class="tabbable">clobber</span>

$\\href{javascript:window.__xss_m8 = 1}{x}$
"""
    return md.replace("BASE", base)


def xss_notebooks(reference, base: str = XSS_BASE) -> dict:
    """The two XSS submissions: payloads in outputs, and in a markdown and a raw cell.

    Both keep the reference answers, so they score full marks."""
    markdown = _append(reference, "predict", "")
    at = markdown.cells.index(_cell(markdown, "predict")) + 1
    markdown.cells[at:at] = [
        nbformat.v4.new_markdown_cell(xss_markdown(base)),
        nbformat.v4.new_raw_cell('<script>window.__xss_r1 = 1</script><img src=x onerror="window.__xss_r2 = 1">',
                                 metadata={"raw_mimetype": "text/html"}),
    ]
    return {"xss_outputs": _append(reference, "predict", xss_output_code(base)), "xss_markdown": markdown}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _cell(nb, grade_id):
    return next(c for c in nb.cells if _meta(c).get("grade_id") == grade_id)


def _append(nb, grade_id, code):
    nb = copy.deepcopy(nb)
    cell = _cell(nb, grade_id)
    cell.source = cell.source.rstrip() + "\n" + code
    return nb


def _replace(nb, grade_id, code):
    nb = copy.deepcopy(nb)
    _cell(nb, grade_id).source = code
    return nb


def _submissions(reference, blank, root: Path) -> dict:
    """student -> a notebook, or a callable that fills the student's folder itself."""
    wrong = _replace(reference, "predict", WRONG_PREDICT)
    other = root / "grading" / "autograded" / "honest" / A / NB
    subs = {
        "honest": reference,
        "control_wrong": wrong,
        # Tampering: none of these may score more than control_wrong.
        "patch_testing": _append(wrong, "predict", "import helpers.testing\n"
                                 "testing.check_close = lambda *a, **k: None\n"
                                 "helpers.testing.check_close = lambda *a, **k: None\n"),
        "patch_numpy": _append(wrong, "predict", "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n"
                               "np.allclose = lambda *a, **k: True\n"),
        "patch_builtins": _append(wrong, "predict", "import builtins\n_real_all = builtins.all\n"
                                  "builtins.all = lambda *a: True\nbuiltins.AssertionError = UserWarning\n"),
        "lying_object": _replace(reference, "predict", LIAR),
        "swap_and_restore": _replace(reference, "predict", SWAP_AND_RESTORE),
        "guard_off": _append(wrong, "predict", GUARD_OFF),
        "shadow_helpers": _shadow_helpers(wrong),
        "frame_walker": _replace(reference, "predict", FRAME_WALKER),
        "encode_leak": _replace(reference, "predict", ENCODE_LEAK),
        "record_calls": _with_cells_after(_append(reference, "mse_cost", RECORD_CALLS), None,
                                          ["print('LAST CELL', _json.dumps(_seen))"]),
        # Faking a test's outcome through the kernel itself.
        "fake_result": _replace(reference, "predict", "import sys\n\ndef predict(X, w, b):\n"
                                "    sys.displayhook(2.0)  # nbgrader would read 2.0 as the score\n"
                                "    return np.zeros(np.shape(X)[0])\n"),
        "clear_errors": _append(wrong, "predict", "import IPython\nfrom IPython.display import clear_output\n"
                                "IPython.get_ipython().events.register('post_run_cell', lambda r: clear_output())\n"
                                "IPython.get_ipython().showtraceback = lambda *a, **k: None\n"),
        "transform_tests": _append(wrong, "predict", "get_ipython().input_transformers_cleanup.append("
                                   "lambda lines: ['pass\\n'])\n"),
        "rebind_testing": _append(wrong, "predict", "import types, helpers.testing as _t\n"
                                  "testing = types.SimpleNamespace(**{n: (lambda *a, **k: a[0] if a else None) "
                                  "for n in _t.__all__ if n != 'call_student'}, call_student=_t.call_student)\n"),
        "code_swap": _append(wrong, "predict", "testing.check_close.__code__ = (lambda *a, **k: None).__code__\n"
                             "testing.check_shape.__code__ = (lambda *a, **k: None).__code__\n"),
        "symlinks": _append(reference, "predict", (
            "import os\n"
            "os.remove('linear_regression.ipynb')\n"
            f"os.symlink({str(root / 'grading' / 'gradebook.db')!r}, 'linear_regression.ipynb')\n"
            f"os.symlink({str(root / 'solutions' / A / NB)!r}, 'notes.txt')\n")),
        "print_hidden": _append(reference, "mse_cost", (
            "_real_mse_cost = mse_cost\n\n"
            "def mse_cost(X, y, w, b):\n"
            "    source = get_ipython().user_ns['_ih'][-1]\n"
            "    print(source)\n"
            "    raise ValueError(source)\n")),
        "timer_exit": _append(reference, "predict", "import os, threading\n"
                              "threading.Timer(0.3, os._exit, (0,)).start()\n"),
        "read_solutions": _append(blank, "predict", (
            "import json, pathlib\n"
            "for p in ['../../../../solutions/01_linear_regression/linear_regression.ipynb',\n"
            f"          {str(root / 'solutions' / A / NB)!r}]:\n"
            "    try:\n"
            "        for c in json.loads(pathlib.Path(p).read_text())['cells']:\n"
            "            if c['metadata'].get('nbgrader', {}).get('solution'):\n"
            "                exec(''.join(c['source']))\n"
            "    except OSError:\n"
            "        pass\n")),
        "write_others": _append(reference, "predict", (
            "for p, blob in [(" f"{str(root / 'grading' / 'gradebook.db')!r}, b'garbage'), "
            f"({str(other)!r}, b'{{}}')]:\n"
            "    try:\n"
            "        open(p, 'wb').write(blob)\n"
            "    except OSError:\n"
            "        pass\n")),
        "escape": _append(reference, "predict", (
            "import socket, subprocess\n"
            "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\nexcept OSError:\n    pass\n"
            "try:\n    subprocess.run(['cat', '/etc/shadow'], capture_output=True, timeout=5)\nexcept Exception:\n    pass\n")),
        # Faults.
        "infinite_loop": _replace(reference, "predict", "while True:\n    pass\n"),
        "memory_bomb": _append(reference, "mse_gradients",
                               "hog = []\nwhile True:\n    hog.append(np.ones(2**24))\n"),
        "os_exit": _append(reference, "gradient_descent", "import os\nos._exit(3)\n"),
        "segfault": _append(reference, "normal_equation", "import ctypes\nctypes.string_at(0)\n"),
        "sys_exit": _append(reference, "predict", "import sys\nsys.exit(3)\n"),
        "fork_many": _append(reference, "mse_cost", "import subprocess\nkids = []\n"
                             "while True:\n    kids.append(subprocess.Popen(['sleep', '60']))\n"),
        "big_print": _append(reference, "predict", "print('x' * 100_000_000)\n"),
        # Resource limits held from outside the kernel.
        "shm_memfd": _append(reference, "mse_gradients", SHM_AND_MEMFD),
        "thread_bomb": _append(reference, "mse_cost", THREAD_BOMB),
        "disk_hog": _append(reference, "gradient_descent", DISK_HOG),
        "cell_output_cap": _append(reference, "predict", "import sys\nfor _ in range(3):\n"
                                   "    print('z' * 900_000)\n    sys.stdout.flush()\n"),
        "display_updates": _append(reference, "predict", DISPLAY_UPDATES),
        "many_output_cells": _with_cells_after(reference, "predict", [
            "import sys\nprint('w' * 999_000)\nsys.stdout.flush()"] * 12),
        "huge_message": _append(reference, "predict", "from IPython.display import display\n"
                                "display({'text/plain': 'h' * 50_000_000}, raw=True)\n"),
        "multi_frame_message": _append(reference, "predict", MULTI_FRAME),
        "huge_reply": _append(reference, "predict", "get_ipython().payload_manager.write_payload("
                              "{'source': 'page', 'data': {'text/plain': 'p' * 50_000_000}, 'start': 0})\n"),
        "huge_message_in_test": _replace(reference, "predict", "from IPython.display import display\n"
                                         "_floods = [3]\n\n"
                                         "def predict(X, w, b):\n"
                                         "    if _floods[0] > 0:\n"
                                         "        _floods[0] -= 1\n"
                                         "        display({'text/plain': 'h' * 20_000_000}, raw=True)\n"
                                         "    return np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b\n"),
        "files_left": _append(reference, "predict", "open('stolen.txt', 'w').write('answers')\n"
                              "open('blob.bin', 'wb').write(b'x' * 8_000_000)\n"),
        "edited_tests": _edit_tests(blank),
        "deleted_cells": _delete_tests(reference),
        "duplicated_cells": _duplicate(reference, ["predict", "test_predict_values"]),
        "changed_metadata": _change_metadata(reference),
        # What the browser of a grader or student would run (issue 19), and files handed back.
        **xss_notebooks(reference),
        "stolen_files": _append(reference, "predict", (
            "import os\n"
            "open('stolen.txt', 'w').write('handed back?')\n"
            "open('evil.html', 'w').write('<script>window.__xss_f = 1</script>')\n"
            "os.makedirs('extra', exist_ok=True)\n"
            "open('extra/more.txt', 'w').write('x')\n"
            # nbgrader's receipts, which feedback keeps for release_feedback, rewritten in place
            "open('timestamp.txt', 'w').write('9999-12-31 00:00:00 UTC')\n"
            "open('submission_secret.txt', 'w').write('chosen')\n")),
        # Integrity reports that cannot be suppressed, text that cannot act on a terminal or
        # a spreadsheet, cells whose grade id the gradebook does not know (issue 19).
        "malformed_events": _append(reference, "predict", _guard_answers(MALFORMED_EVENTS)),
        "deep_expression": _with_cells_after(reference, "predict", ["x = " + "+".join(["1"] * 20_000)]),
        ANSI_STUDENT: _append(reference, "predict", _guard_answers([HOSTILE_EVENT])),
        "ansi_error": lambda folder: nbformat.write(reference, folder / ANSI_FILE_NAME),
        "unknown_grade_id": _unknown_grade_ids(reference),
        "malformed_json": lambda folder: (folder / NB).write_text('{"cells": [ nope'),
        "renamed": lambda folder: nbformat.write(reference, folder / "my_linear_regression.ipynb"),
        "missing": lambda folder: (folder / "notes.txt").write_text("I forgot the notebook"),
        # Test cells moved up so that gradient_descent's checks run first and hand the kernel
        # their reference mse_gradients, which the student's mse_gradients then forwards to.
        "reorder_capture": _reorder_capture(reference),
    }
    return subs


def _reorder_capture(reference):
    """gradient_descent keeps the mse_gradients the grader's checks give it (not the student's
    own, nor the visible test cell's numerical one, whose code the student can read anyway), and
    the student's (wrong) mse_gradients answers with it once it has one; the cells of
    gradient_descent and its tests are moved above mse_gradients'."""
    nb = copy.deepcopy(reference)
    gd_source = _cell(nb, "gradient_descent").source.replace("def gradient_descent(", "def _gd_impl(", 1)
    _cell(nb, "mse_gradients").source = (
        "CAPTURED = []\n\n"
        "def mse_gradients(X, y, w, b):\n"
        "    if CAPTURED:\n"
        "        return CAPTURED[-1](X, y, w, b)\n"
        "    return np.zeros_like(np.asarray(w, dtype=float)), 0.0\n")
    _cell(nb, "gradient_descent").source = (
        gd_source + "\n\n\n"
        "def gradient_descent(X, y, lr, num_steps, w0=None, b0=0.0):\n"
        "    given = globals().get('mse_gradients')\n"
        "    if getattr(given, '__code__', _MINE) is not _MINE and given.__name__ != 'numerical_gradients':\n"
        "        CAPTURED.append(given)\n"
        "    return _gd_impl(X, y, lr, num_steps, w0, b0)\n\n\n"
        "_MINE = mse_gradients.__code__\n")
    moved_ids = ["gradient_descent", "test_gradient_descent_shapes", "test_gradient_descent_values",
                 "test_gradient_descent_inputs", "test_gradient_descent_converges"]
    moved = [_cell(nb, grade_id) for grade_id in moved_ids]
    rest = [c for c in nb.cells if all(c is not m for m in moved)]
    at = rest.index(_cell(nb, "test_mse_gradients_shape"))
    nb.cells = rest[:at] + moved + rest[at:]
    return nb


def _with_cells_after(nb, grade_id, sources):
    """New student code cells after the cell ``grade_id`` (at the end for ``None``; students
    may add cells)."""
    nb = copy.deepcopy(nb)
    at = len(nb.cells) if grade_id is None else nb.cells.index(_cell(nb, grade_id)) + 1
    nb.cells[at:at] = [nbformat.v4.new_code_cell(src) for src in sources]
    return nb


def _edit_tests(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if _meta(cell).get("grade") and not _meta(cell).get("solution"):
            cell.source = "pass  # tests? what tests?"
    return nb


def _delete_tests(nb):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not (_meta(c).get("grade") and not _meta(c).get("solution"))]
    return nb


def _duplicate(nb, grade_ids):
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if _meta(cell).get("grade_id") in grade_ids:
            twin = copy.deepcopy(cell)
            twin["id"] = uuid.uuid4().hex[:8]
            cells.append(twin)
    nb.cells = cells
    return nb


#: A student id (folder name) a spreadsheet would split and evaluate, were it not quoted.
ANSI_STUDENT = "eve,=1+1"
#: A submitted file name that would clear and recolour the instructor's terminal.
ANSI_FILE_NAME = '\x1b[2J\x1b[31m=HYPERLINK("evil.example","x"),\n"q".ipynb'  # no / in a name
HOSTILE_TEXT = '\x1b[2J\x1b[31m/x, "quoted"\r\n=HYPERLINK("http://evil.example","click")\b'
#: A well-formed guard event full of hostile text (kept in the report, escaped when shown).
HOSTILE_EVENT = {"event": "open", "detail": HOSTILE_TEXT, "cell": '=HYPERLINK("x")\r\x1b[1A'}
#: What student code can make the guard's answers hold instead of events.
MALFORMED_EVENTS = ["junk", 42, None, [1, [2, [3]]], {"event": 7}, {"detail": "no event"},
                    {"event": "open", "detail": ["not", "text"]}, {"event": "=1+1", "detail": "x"},
                    "Z" * 50_000]


def _guard_answers(extra: list) -> str:
    """Student code that makes the guard's every answer also carry ``extra``."""
    return ("import json, sys\n"
            "_guard = sys.modules['_course_guard']\n"
            "_real_enter = _guard.enter\n"
            f"_extra = {extra!r}\n"
            "_guard.enter = lambda kind, label: json.dumps(json.loads(_real_enter(kind, label)) + _extra)\n")


def _unknown_grade_ids(nb):
    """A test cell copied with a new grade id and 50 points, and a solution cell of another
    assignment: nbgrader failed the whole submission on them (KeyError: 'grade_id')."""
    nb = copy.deepcopy(nb)
    bonus = copy.deepcopy(_cell(nb, "test_predict_shape"))
    bonus["id"] = "bonus-test"
    _meta(bonus).update(grade_id="test_bonus", points=50)
    foreign = nbformat.v4.new_code_cell("def helper():\n    return 1\n", metadata={"nbgrader": {
        "grade": False, "grade_id": "other_assignment_solution", "locked": False, "schema_version": 3,
        "solution": True, "task": False}})
    at = nb.cells.index(_cell(nb, "test_predict_shape")) + 1
    nb.cells[at:at] = [bonus, foreign]
    return nb


def _change_metadata(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell["id"] = uuid.uuid4().hex[:8]
    _meta(_cell(nb, "test_predict_shape"))["points"] = 100
    _meta(_cell(nb, "test_predict_values"))["grade"] = False
    _meta(_cell(nb, "test_mse_cost_type"))["locked"] = False
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from grading.autograde import autograde_course
    from grading.release import release

    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(REPO_ROOT / "solutions" / A, root / "solutions" / A)
    layout = CourseLayout(root=root)
    release([A], layout)
    source = nbformat.read(layout.path("source") / A / NB, as_version=4)
    blank = nbformat.read(layout.path("release") / A / NB, as_version=4)
    reference = fill_answers(blank, source)
    for student, sub in _submissions(reference, blank, root).items():
        folder = layout.path("submitted") / student / A
        folder.mkdir(parents=True)
        sub(folder) if callable(sub) else nbformat.write(sub, folder / NB)
    report = autograde_course([A], layout, workers=2, limits=LIMITS, progress=False)
    with open(report.csv_path, newline="") as fh:
        csv_rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    full = sum(_meta(c)["points"] for c in source.cells if _meta(c).get("grade") and not _meta(c).get("solution"))
    return SimpleNamespace(layout=layout, report=report, rows=report.rows, csv=csv_rows, source=source, full=full)


def score(graded, student) -> float:
    cell = graded.rows[student][A]
    assert cell.error is None, f"{student} was not graded: {cell.error}"
    return cell.score


def findings(graded, student) -> list[dict]:
    return graded.report.integrity[(student, A)].findings


def kinds(graded, student) -> set[str]:
    return {f["kind"] for f in findings(graded, student)}


def points_before(source, grade_id) -> float:
    """Points of the test cells that come before the cell ``grade_id`` in the notebook."""
    total = 0.0
    for cell in source.cells:
        if _meta(cell).get("grade_id") == grade_id:
            return total
        if _meta(cell).get("grade") and not _meta(cell).get("solution"):
            total += _meta(cell)["points"]
    raise KeyError(grade_id)


def autograded(graded, student):
    return nbformat.read(graded.layout.path("autograded") / student / A / NB, as_version=4)


def test_honest_and_control_students(graded):
    cell = graded.rows["honest"][A]
    assert cell.score == cell.max_score == graded.full
    assert cell.integrity == "clean"
    assert findings(graded, "honest") == []
    assert 0 < score(graded, "control_wrong") < graded.full
    assert findings(graded, "control_wrong") == []


@pytest.mark.parametrize("student", ["patch_testing", "patch_numpy", "patch_builtins"])
def test_monkeypatching_gains_nothing_and_is_reported(graded, student):
    assert score(graded, student) == score(graded, "control_wrong")
    found = [f for f in findings(graded, student) if f["kind"] == "monkeypatch"]
    assert {f["source"] for f in found} == {"static", "runtime"}, found
    assert any("restored" in f["detail"] for f in found if f["source"] == "runtime")


@pytest.mark.parametrize("student", ["fake_result", "clear_errors", "transform_tests", "rebind_testing", "code_swap"])
def test_faking_a_test_outcome_gains_nothing_and_is_reported(graded, student):
    assert score(graded, student) == score(graded, "control_wrong")
    assert findings(graded, student), "the attempt must show in the integrity report"


def test_symlinks_cannot_redirect_the_graders_writes(graded):
    assert score(graded, "symlinks") == graded.full
    assert graded.rows["honest"][A].score == graded.full and float(graded.csv["honest"]["score"]) == graded.full
    folder = graded.layout.path("autograded") / "symlinks" / A
    assert not any(p.is_symlink() for p in folder.iterdir())
    assert not (graded.layout.path("feedback") / "symlinks" / A / "notes.txt").exists()
    removed = [f for f in findings(graded, "symlinks") if f["source"] == "runtime" and "removed" in f["detail"]]
    assert len(removed) == 2, removed


def feedback_text(graded, student) -> str:
    from grading.leaks import html_to_text

    html = graded.layout.path("feedback") / student / A / NB.replace(".ipynb", ".html")
    return html_to_text(html.read_text())


def test_hidden_tests_printed_by_student_code_do_not_reach_the_feedback(graded):
    from grading.leaks import check_module_lines, find_leaks

    text = feedback_text(graded, "print_hidden")
    assert "mse_cost" in text and find_leaks(text, check_module_lines(NB.replace(".ipynb", ""))) == []
    assert "introspection" in kinds(graded, "print_hidden")


@pytest.mark.parametrize("student", ["swap_and_restore", "guard_off", "shadow_helpers", "frame_walker"])
def test_checks_in_the_students_kernel_decide_nothing(graded, student):
    """Issue 20's four attacks each gave full marks while the checks ran in the kernel."""
    assert score(graded, student) <= score(graded, "control_wrong") < graded.full
    # Reported where the attack left a trace (the static scan, the guard, or a visible check
    # that passed in the kernel but failed in the checker); a helpers/ folder that is never
    # imported leaves none.
    assert student == "shadow_helpers" or findings(graded, student)


def test_a_result_that_fails_to_encode_does_not_carry_the_students_words_to_the_feedback(graded):
    assert score(graded, "encode_leak") <= score(graded, "control_wrong")
    # The checker's messages (the kernel's own run of the visible cells may show the student's
    # error about the visible inputs: that is the student's own output).
    messages = [o.get("evalue", "") for c in autograded(graded, "encode_leak").cells for o in c.get("outputs", [])
                if o.get("output_type") == "error" and o.get("traceback", [""])[0].startswith("Graded by the course")]
    assert any("could not be sent back as plain data" in m for m in messages), messages
    assert not any("LEAKMARK" in m for m in messages), messages


def test_submitted_helpers_folder_is_not_imported(graded):
    outputs = json.dumps([c.get("outputs", []) for c in autograded(graded, "shadow_helpers").cells])
    assert "SHADOW HELPERS LOADED" not in outputs


def sent_to(function: str, stem: str) -> tuple[set[str], set[str]]:
    """repr() of every non-integer float the trusted checks send to ``function``: in their
    visible cases, and in their hidden cases only (recorded against the reference solution)."""
    import numpy as np

    from grading.trusted.reference import reference
    from grading.trusted.registry import checks_of
    from grading.trusted.runner import run_checks
    from grading.trusted.student import LocalStudent

    sent = {"visible": set(), "hidden": set()}

    class Recording(LocalStudent):
        def _exchange(self, request):
            if request.get("target") == function:
                for args, _ in request["calls"]:
                    for arg in args:
                        try:
                            values = np.ravel(np.asarray(arg, dtype=float))
                        except (TypeError, ValueError):
                            continue
                        sent[self.phase] |= {repr(float(v)) for v in values if v != round(v)}
            return super()._exchange(request)

    checks = checks_of(stem)
    run_checks(checks, Recording(dict(reference(stem))), sorted(checks))
    return sent["visible"], sent["hidden"] - sent["visible"]


def test_what_the_checks_send_never_reaches_the_student(graded):
    """A wrapper records every call and the running cell's source; a cell after the tests and
    an event callback print it, and a file holds it: the feedback shows visible cases only."""
    visible, hidden = sent_to("mse_cost", NB.replace(".ipynb", ""))
    # Telling numbers only: six significant digits or more, and not in the notebook's own text.
    release = (graded.layout.path("release") / A / NB).read_text()
    hidden = {v for v in hidden if len(v.lstrip("-0.").replace(".", "")) >= 6 and v not in release}
    assert hidden, "the checks of mse_cost have hidden inputs"
    text = feedback_text(graded, "record_calls")
    assert "LAST CELL" in text and any(v in text for v in visible), "the recording did reach the feedback"
    assert not [v for v in hidden if v in text]
    assert score(graded, "record_calls") == graded.full
    from grading.html_safety import NBGRADER_RECEIPTS

    names = {p.name for p in (graded.layout.path("feedback") / "record_calls" / A).iterdir()}
    assert names - NBGRADER_RECEIPTS == {NB.replace(".ipynb", ".html")}


def test_moved_test_cells_do_not_hand_reference_stand_ins_to_earlier_functions(graded):
    """Checks run in the source notebook's order whatever order the submission's cells are in:
    gradient_descent's checks (which hand the kernel a reference mse_gradients) run after
    mse_gradients' own, so the captured stand-in comes too late to answer them."""
    # zeros of the right shape: only the shape test of mse_gradients may pass
    wrong_values = {"test_mse_gradients_values", "test_mse_gradients_gradcheck", "test_mse_gradients_oracle"}
    failed = {_meta(c)["grade_id"] for c in autograded(graded, "reorder_capture").cells
              if _meta(c).get("grade") and any(o.get("output_type") == "error" for o in c.get("outputs", []))}
    assert failed == wrong_values
    lost = sum(_meta(c)["points"] for c in graded.source.cells if _meta(c).get("grade_id") in wrong_values)
    assert score(graded, "reorder_capture") == graded.full - lost


def test_kernel_killed_between_cells_still_gets_a_grade(graded):
    # The cells before the death run again for the trusted checks and the timer kills that
    # kernel too: a grade (not an error row) below full marks, and the death on record.
    cell = graded.rows["timer_exit"][A]
    assert cell.error is None and cell.score < graded.full
    assert graded.report.integrity[("timer_exit", A)].died_in


def test_lying_object_gains_nothing_and_is_reported(graded):
    assert score(graded, "lying_object") <= score(graded, "control_wrong")
    assert {"lying-object", "introspection"} <= kinds(graded, "lying_object")
    values = next(c for c in autograded(graded, "lying_object").cells
                  if _meta(c).get("grade_id") == "test_predict_values")
    assert "Liar object" in json.dumps(values.outputs)


def test_solutions_cannot_be_read(graded):
    assert score(graded, "read_solutions") == 0
    runtime = [f for f in findings(graded, "read_solutions") if f["source"] == "runtime"]
    assert any(f["kind"] == "file-access" and "solutions" in f["detail"] for f in runtime), runtime
    assert "file-access" in {f["kind"] for f in findings(graded, "read_solutions") if f["source"] == "static"}


def test_gradebook_and_other_students_cannot_be_written(graded):
    assert score(graded, "write_others") == graded.full
    assert graded.rows["honest"][A].score == graded.full
    assert float(graded.csv["honest"]["score"]) == graded.full
    assert len(autograded(graded, "honest").cells) > 10, "another student's autograded notebook was overwritten"
    opens = [f for f in findings(graded, "write_others") if f["source"] == "runtime" and f["kind"] == "file-access"]
    assert any("gradebook.db" in f["detail"] for f in opens), opens


def test_network_and_processes_are_blocked_and_reported(graded):
    assert score(graded, "escape") == graded.full
    assert {"network", "process"} <= kinds(graded, "escape")
    runtime = {f["kind"] for f in findings(graded, "escape") if f["source"] == "runtime"}
    assert {"network", "process"} <= runtime


def test_infinite_loop_is_interrupted_and_the_rest_is_graded(graded):
    got = score(graded, "infinite_loop")
    assert 0 < got < graded.full
    loop_cell = _cell(autograded(graded, "infinite_loop"), "predict")
    assert any(o.get("ename") in ("KeyboardInterrupt", "CellTimeoutError") for o in loop_cell.outputs)


@pytest.mark.parametrize("student, cell, reason", [
    ("memory_bomb", "mse_gradients", "memory limit exceeded"),
    ("os_exit", "gradient_descent", "kernel process ended"),
    ("segfault", "normal_equation", "kernel process ended"),
    ("fork_many", "mse_cost", "process limit exceeded"),
])
def test_dead_kernel_keeps_earlier_credit_and_names_the_cell(graded, student, cell, reason):
    assert score(graded, student) == points_before(graded.source, cell)
    report = graded.report.integrity[(student, A)]
    assert report.died_in == cell
    assert reason in report.death
    assert f"kernel died in {cell}" in graded.rows[student][A].integrity
    assert f"kernel died in {cell}" in graded.csv[student]["integrity"]
    later = _cell(autograded(graded, student), "test_fit_linear_tf_replay")
    assert later.outputs[0]["ename"] == "KernelDied"


def test_sys_exit_does_not_kill_grading(graded):
    assert score(graded, "sys_exit") == graded.full
    assert "kernel-exit" in kinds(graded, "sys_exit")


def test_huge_print_is_capped(graded):
    assert score(graded, "big_print") == graded.full
    path = graded.layout.path("autograded") / "big_print" / A / NB
    assert path.stat().st_size < 5_000_000
    text = json.dumps(_cell(autograded(graded, "big_print"), "predict").outputs)
    # one 100 MB stream message: over the message limit, so ZeroMQ drops it
    assert f"larger than {LIMITS.max_message_bytes} bytes or more output than could be received" in text


def test_edited_tests_are_restored(graded):
    assert score(graded, "edited_tests") == 0
    assert any("edited" in f["detail"] for f in findings(graded, "edited_tests") if f["kind"] == "structure")


def test_deleted_tests_are_added_back(graded):
    cell = graded.rows["deleted_cells"][A]
    assert (cell.score, cell.max_score) == (graded.full, graded.full)
    assert any("deleted" in f["detail"] for f in findings(graded, "deleted_cells"))


def test_duplicated_cells_are_graded_once(graded):
    cell = graded.rows["duplicated_cells"][A]
    assert (cell.score, cell.max_score) == (graded.full, graded.full)
    assert any("duplicated" in f["detail"] for f in findings(graded, "duplicated_cells"))


def test_changed_ids_and_metadata_do_not_change_points(graded):
    cell = graded.rows["changed_metadata"][A]
    assert (cell.score, cell.max_score) == (graded.full, graded.full)
    assert any(f["kind"] == "structure" and "points" in f["detail"] for f in findings(graded, "changed_metadata"))


@pytest.mark.parametrize("student, reason", [
    ("malformed_json", "not a readable notebook"),
    ("renamed", "expected linear_regression.ipynb but found my_linear_regression.ipynb"),
    ("missing", "expected linear_regression.ipynb but found no notebook"),
])
def test_unreadable_submissions_get_a_clear_reason(graded, student, reason):
    cell = graded.rows[student][A]
    assert cell.error is not None and reason in cell.error
    assert student not in graded.csv or float(graded.csv[student]["score"] or 0) == 0


def test_every_submission_has_a_grade_or_a_reason(graded):
    students = {p.name for p in graded.layout.path("submitted").iterdir()}
    assert set(graded.rows) == students
    for student in students:
        cell = graded.rows[student][A]
        assert (cell.score is not None) != (cell.error is not None), student
    table = graded.report.table()
    assert "INTEGRITY patch_numpy/01_linear_regression: monkeypatch" in table
    assert "ERROR malformed_json/01_linear_regression" in table


def test_findings_are_flagged_in_the_gradebook(graded):
    from nbgrader.api import Gradebook

    with Gradebook(graded.layout.db_url, "dl-course") as gb:
        flagged = {nb.student.id: nb.flagged for nb in gb.find_assignment(A).notebooks[0].submissions}
    assert flagged["patch_numpy"] is True
    assert flagged["honest"] is False


# --------------------------------------------------------------------------- resource limits


@pytest.mark.parametrize("student, cell, reason", [
    ("shm_memfd", "mse_gradients", "memory limit exceeded"),
    ("thread_bomb", "mse_cost", "thread limit exceeded"),
    ("disk_hog", "gradient_descent", "disk limit exceeded"),
])
def test_resource_limits_hold_from_outside_the_kernel(graded, student, cell, reason):
    assert score(graded, student) == points_before(graded.source, cell)
    report = graded.report.integrity[(student, A)]
    assert report.died_in == cell and reason in report.death, report.death


def test_shared_memory_is_a_small_private_tmpfs(graded):
    text = json.dumps(_cell(autograded(graded, "shm_memfd"), "mse_gradients").outputs)
    # the private /dev/shm is as large as the file size limit here: either error stops it
    assert "shm full:" in text and ("No space left on device" in text or "File too large" in text)


def test_disk_hog_files_are_deleted_after_the_kill(graded):
    folder = graded.layout.path("autograded") / "disk_hog" / A
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 2_000_000
    assert any("deleted: big" in f["detail"] for f in findings(graded, "disk_hog"))


def test_output_caps_per_cell_per_notebook_and_for_display_updates(graded):
    for student in ("cell_output_cap", "display_updates", "many_output_cells"):
        assert score(graded, student) == graded.full, student
    predict = json.dumps(_cell(autograded(graded, "cell_output_cap"), "predict").outputs)
    assert "bytes of output were dropped" in predict and len(predict) < 1_100_000
    updates = _cell(autograded(graded, "display_updates"), "predict")
    assert len(json.dumps(updates.outputs)) < 1_100_000
    assert "bytes of output were dropped" in json.dumps(updates.outputs)
    path = graded.layout.path("autograded") / "many_output_cells" / A / NB
    assert path.stat().st_size < LIMITS.max_notebook_output_bytes + 1_000_000
    assert "bytes of output were dropped" in path.read_text()


@pytest.mark.parametrize("student", ["huge_message", "huge_reply", "multi_frame_message"])
def test_an_oversized_message_is_dropped_and_grading_goes_on(graded, student):
    """A huge output (output channel), a huge reply payload (request channel), or one message
    of many frames each under the limit (refused once the grading worker's own memory cap
    is reached): dropped, and the connection is back for the next cells."""
    assert score(graded, student) == graded.full
    assert "it was dropped" in json.dumps(_cell(autograded(graded, student), "predict").outputs)
    assert "output" in kinds(graded, student)


def test_a_message_dropped_inside_a_test_is_noted_and_the_checker_decides(graded):
    """A correct function that floods the output (its first calls: the notebook's first test
    cells) loses messages inside a test cell. The kernel's output decides nothing any more (the
    trusted checker calls the function with its output silenced), so the loss is noted in the
    cell and reported, and the grade is the checker's. (A function that floods at every call
    makes the test cells that call it many times run into the time limits: how many depends on
    the machine's speed, so that variant is not a test here.)"""
    assert score(graded, "huge_message_in_test") == score(graded, "honest")
    values = _cell(autograded(graded, "huge_message_in_test"), "test_predict_values")
    assert "OutputDropped" in json.dumps(values.outputs)
    assert "output" in kinds(graded, "huge_message_in_test")


def test_files_a_kernel_leaves_are_kept_only_up_to_a_small_cap(graded):
    assert score(graded, "files_left") == graded.full
    folder = graded.layout.path("autograded") / "files_left" / A
    assert (folder / "stolen.txt").exists() and not (folder / "blob.bin").exists()
    assert any("deleted: blob.bin" in f["detail"] for f in findings(graded, "files_left"))


# --------------------------------------------------------------------------- issue 19: browsers

#: Elements that run script, load another document or plugin, or send the page somewhere.
ACTIVE_TAGS = ["script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
               "link", "svg", "math", "style", "audio", "video", "source", "track", "portal"]
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "data", "srcdoc", "srcset", "poster",
                  "background", "xlink:href", "ping", "content"}


def mathml_made_here(math) -> bool:
    """Math the page made from TeX (``grading.preprocessors.mathml``): allowlisted MathML only."""
    from grading.preprocessors.mathml import MATHML_ATTRIBUTES, MATHML_ELEMENTS

    return all(el.name in MATHML_ELEMENTS and set(el.attrs) <= MATHML_ATTRIBUTES for el in [math, *math.find_all(True)])


def active_content(html: str, allow_styles: bool = False) -> list[str]:
    """What in a page could run script or fetch something: active elements, event-handler
    attributes, ``javascript:`` URLs, images or links not from the page itself, inline CSS
    with ``url(``. The page template's own ``<style>`` blocks pass with ``allow_styles``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    found = [f"<{el.name}>" for el in soup.find_all(ACTIVE_TAGS) if not (allow_styles and el.name == "style")
             and not (el.name == "math" and mathml_made_here(el))]
    for el in soup.find_all(True):
        for name, value in el.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            compact = "".join(value.split()).lower()
            where = f"<{el.name} {name}={value[:60]!r}>"
            if name.lower().startswith("on"):
                found.append(where)
            elif "javascript:" in compact or "vbscript:" in compact:
                found.append(where)
            elif name.lower() in URL_ATTRIBUTES and "127.0.0.1" in value:
                found.append(where)
            elif name.lower() == "style" and "url(" in compact:
                found.append(where)
            elif el.name == "meta" and name.lower() == "http-equiv" and value.lower() != "content-security-policy":
                found.append(where)
    return found


def feedback_page(graded, student) -> str:
    return (graded.layout.path("feedback") / student / A / NB.replace(".ipynb", ".html")).read_text()


@pytest.mark.parametrize("student, shown", [
    ("xss_outputs", "<script>window.__xss_1 = 1"),  # escaped: visible to the reader, inert
    ("xss_markdown", "<script>window.__xss_m1 = 1"),
])
def test_student_script_and_html_do_not_reach_the_feedback(graded, student, shown):
    from bs4 import BeautifulSoup

    assert score(graded, student) == graded.full
    html = feedback_page(graded, student)
    assert "<script" not in html.lower()
    assert active_content(html, allow_styles=True) == []
    soup = BeautifulSoup(html, "html.parser")
    rendered = " ".join(el.get_text() for el in soup.select(".output_subarea, .text_cell_render"))
    assert shown in rendered, "the payload should be shown as text"


def test_feedback_pages_carry_a_content_security_policy(graded):
    from bs4 import BeautifulSoup

    for student in ("honest", "xss_outputs"):
        soup = BeautifulSoup(feedback_page(graded, student), "html.parser")
        first = next(el for el in soup.head.children if getattr(el, "name", None))
        assert first.name == "meta" and first.get("http-equiv") == "Content-Security-Policy"
        policy = first["content"]
        for directive in ("script-src 'none'", "connect-src 'none'", "frame-src 'none'", "object-src 'none'",
                          "img-src data: 'self'", "base-uri 'none'"):
            assert directive in policy, (directive, policy)
    # Sanitizing keeps what a reader needs: the honest notebook's figures are still there.
    honest = BeautifulSoup(feedback_page(graded, "honest"), "html.parser")
    assert honest.select("img[src^='data:image/png;base64,']")


def test_formgrader_view_of_a_submission_is_sanitized(graded):
    """The page formgrader serves for a submission, rendered as formgrader renders it."""
    import os

    import nbgrader
    from nbconvert.exporters import HTMLExporter

    from grading.course import course_config

    config = course_config(graded.layout)
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [
        os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")]
    exporter = HTMLExporter(config=config)
    resources = {"assignment_id": A, "notebook_id": "linear_regression", "submission_id": "x", "index": 0,
                 "total": 1, "base_url": "", "student": "s", "last_name": "", "first_name": "", "notebook_path": "x"}
    for student in ("xss_outputs", "xss_markdown"):
        html, _ = exporter.from_filename(str(graded.layout.path("autograded") / student / A / NB), resources=resources)
        found = [f for f in active_content(html, allow_styles=True)
                 if f not in ("<script>", "<link>") and "toggle_name" not in f]
        assert found == [], found
        # The page's own scripts are formgrader's and MathJax's, none of them the student's.
        assert "__xss_" not in "".join(str(s) for s in _scripts(html))


def _scripts(html: str) -> list:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").find_all("script")


def test_feedback_holds_only_the_notebook_html(graded):
    assert score(graded, "stolen_files") == graded.full
    from grading.html_safety import NBGRADER_RECEIPTS

    for student in ("stolen_files", "honest", "xss_outputs"):
        folder = graded.layout.path("feedback") / student / A
        names = {p.name for p in folder.iterdir()}
        assert names - NBGRADER_RECEIPTS == {NB.replace(".ipynb", ".html")}, student
        for receipt in names & NBGRADER_RECEIPTS:  # nbgrader's, as submitted: not what the kernel wrote
            submitted = graded.layout.path("submitted") / student / A / receipt
            assert (folder / receipt).read_bytes() == submitted.read_bytes(), (student, receipt)


# --- issue 19: the integrity report cannot be removed; text a submission controls is inert --

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(graded) -> str:
    return graded.report.csv_path.read_bytes().decode()  # no newline translation


def test_malformed_guard_events_are_findings_not_a_missing_report(graded):
    assert score(graded, "malformed_events") == graded.full
    report = graded.report.integrity[("malformed_events", A)]
    assert report.error is None
    malformed = [f for f in report.findings if f["kind"] == "guard" and "malformed event" in f["detail"]]
    assert len(malformed) == len(MALFORMED_EVENTS), malformed
    assert all(len(f["detail"]) <= 300 for f in report.findings)
    assert "monkeypatch" in kinds(graded, "malformed_events"), "the static scan sees sys.modules"
    assert graded.rows["malformed_events"][A].render().endswith(" !")
    row = graded.csv["malformed_events"]
    assert int(row["integrity_findings"]) == len(report.findings) and "guard" in row["integrity"]
    saved = json.loads((graded.layout.path("integrity") / "malformed_events" / f"{A}.json").read_text())
    assert len(saved["findings"]) == len(report.findings)


def test_a_scan_that_fails_is_a_finding(graded):
    assert score(graded, "deep_expression") == graded.full
    failed = [f for f in findings(graded, "deep_expression") if f["kind"] == "scan-failed"]
    assert len(failed) == 1 and "RecursionError" in failed[0]["detail"], failed
    assert "scan-failed" in graded.csv["deep_expression"]["integrity"]


def test_hostile_text_is_escaped_in_the_table_and_inert_in_the_csv(graded):
    assert score(graded, ANSI_STUDENT) == graded.full
    report = graded.report.integrity[(ANSI_STUDENT, A)]
    assert any(f["detail"] == f"open {HOSTILE_TEXT}" for f in report.findings), "kept as evidence"
    table = graded.report.table()
    assert not any(ch in table for ch in "\x1b\r\b"), "terminal control characters in the table"
    assert f"INTEGRITY {ANSI_STUDENT}/{A}: file-access in =HYPERLINK(\"x\")\\r\\x1b[1A (runtime): open \\x1b[2J" in table
    reason = graded.rows["ansi_error"][A].error
    assert "HYPERLINK" in reason and "ERROR ansi_error/01_linear_regression: expected linear_regression.ipynb " \
        "but found \\x1b[2J\\x1b[31m=HYPERLINK(" in table
    text = _csv_text(graded)
    assert "\x1b" not in text and "\r" not in text and "\b" not in text
    with open(graded.report.csv_path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    assert header[-4:] == ["integrity_findings", "integrity", "status", "similarity"]
    assert all(len(r) == len(header) for r in rows), "a field shifted the columns"
    assert not [v for r in rows for v in r if v.startswith(FORMULA_STARTS)], "a field starts like a formula"
    row = graded.csv[ANSI_STUDENT]
    assert (row["assignment"], float(row["score"]), row["integrity_findings"]) == (A, graded.full, str(len(report.findings)))
    # issue 21: the error reason also reaches the status columns, the per-student export and the
    # student's error feedback page.
    assert graded.csv["ansi_error"]["status"].startswith("error: expected linear_regression.ipynb")
    assert graded.csv["ansi_error"]["score"] == ""
    lms = graded.report.lms_csv_path.read_bytes().decode()
    assert "\x1b" not in lms and "\r" not in lms and "\b" not in lms
    with open(graded.report.lms_csv_path, newline="") as fh:
        lms_rows = list(csv.reader(fh))
    assert all(len(r) == len(lms_rows[0]) for r in lms_rows), "a field shifted the columns"
    assert not [v for r in lms_rows for v in r if v.startswith(FORMULA_STARTS)], "a field starts like a formula"
    page = (graded.layout.path("feedback") / "ansi_error" / A / NB.replace(".ipynb", ".html")).read_text()
    assert "was not graded" in page and "<script" not in page.lower() and "\x1b" not in page
    assert "=HYPERLINK(&quot;evil.example&quot;" in page and "Content-Security-Policy" in page, "escaped"


def test_cells_with_unknown_grade_ids_lose_their_metadata_and_are_reported(graded):
    cell = graded.rows["unknown_grade_id"][A]
    assert (cell.score, cell.max_score) == (graded.full, graded.full), "no bonus points, nothing lost"
    details = [f["detail"] for f in findings(graded, "unknown_grade_id") if f["kind"] == "structure"]
    for grade_id in ("test_bonus", "other_assignment_solution"):
        assert f"cell with unknown grade id {grade_id!r}: its nbgrader metadata was dropped" in details, details
    ids = {_meta(c).get("grade_id") for c in autograded(graded, "unknown_grade_id").cells}
    assert not ids & {"test_bonus", "other_assignment_solution"}

