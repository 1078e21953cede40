"""The static scan of submissions: each rule on a tiny notebook, and no finding on the course."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader import utils

from grading.course import REPO_ROOT
from grading.static_scan import KINDS, Finding, scan_submission

SOURCES = sorted((REPO_ROOT / "solutions").glob("*/*.ipynb"))


def cell(source: str, grade_id: str | None = None, *, grade: bool = False, solution: bool = False,
         locked: bool = False, points: float | None = None, markdown: bool = False) -> nbformat.NotebookNode:
    """A cell with nbgrader metadata written by hand (none when ``grade_id`` is None)."""
    new = new_markdown_cell if markdown else new_code_cell
    if grade_id is None:
        return new(source)
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": locked,
            "schema_version": 3, "task": False}
    if points is not None:
        meta["points"] = points
    return new(source, metadata={"nbgrader": meta})


def source_notebook() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        cell("# Exercise", "intro", locked=True, markdown=True),
        cell("%matplotlib inline\nimport numpy as np\nfrom helpers import testing", "setup", locked=True),
        cell("def answer(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "answer", solution=True),
        cell("testing.check_close(answer(1), 2, 'answer(1)')\n### BEGIN HIDDEN TESTS\n"
             "assert answer(2) == 4\n### END HIDDEN TESTS", "test_answer", grade=True, locked=True, points=1),
    ])


def release(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What nbgrader would hand out: no solution, no hidden tests, checksums of locked cells."""
    nb = copy.deepcopy(source)
    for c in nb.cells:
        meta = c.metadata.nbgrader
        if meta["grade_id"] == "answer":
            c.source = "def answer(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
        if meta["grade_id"] == "test_answer":
            c.source = c.source.split("\n### BEGIN HIDDEN TESTS")[0]
        if utils.is_locked(c):
            meta["checksum"] = utils.compute_checksum(c)
        meta["cell_type"] = c.cell_type
    return nb


def scan_answer(code: str) -> list[Finding]:
    """Findings of a submission whose only change is ``code`` in the solution cell."""
    source = source_notebook()
    submitted = release(source)
    submitted.cells[2].source = code
    return scan_submission(submitted, source)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_an_untouched_release_and_an_honest_answer_are_clean():
    source = source_notebook()
    assert scan_submission(release(source), source) == []
    assert scan_submission(source, source) == []
    assert scan_answer("def answer(x):\n    return x + x") == []


def test_finding_fields_and_json():
    finding = only(scan_answer("import numpy as np\n\nnp.allclose = lambda *a, **k: True"))
    assert finding == Finding("monkeypatch", "answer", 3, "assigns numpy.allclose (monkeypatching a module)")
    assert finding.to_json() == {"kind": "monkeypatch", "cell": "answer", "line": 3,
                                 "detail": "assigns numpy.allclose (monkeypatching a module)",
                                 "source": "static"}
    assert finding.kind in KINDS


@pytest.mark.parametrize("code, line, detail", [
    ("x = 1\nnp.allclose = lambda *a, **k: True", 2, "assigns numpy.allclose"),
    ("testing.check_close = print", 1, "assigns helpers.testing.check_close"),
    ("np.testing.assert_allclose = print", 1, "assigns numpy.testing.assert_allclose"),
    ("import tensorflow as tflow\ntflow.reduce_sum = sum", 2, "assigns tensorflow.reduce_sum"),
    ("np.pi += 1", 1, "assigns numpy.pi"),
    ("del np.allclose", 1, "deletes numpy.allclose"),
    ("numpy_module = np\nnumpy_module.isclose = print", 2, "assigns numpy.isclose"),
    ("m = __import__('numpy')\nm.isclose = print", 2, "assigns numpy.isclose"),
    ("setattr(testing, 'check_close', print)", 1, "calls setattr on helpers.testing"),
    ("delattr(np, 'allclose')", 1, "calls delattr on numpy"),
    ("__builtins__.len = lambda x: 0", 1, "assigns builtins.len"),
    ("__builtins__['len'] = lambda x: 0", 1, "uses __builtins__"),
    ("import builtins", 1, "imports builtins"),
    ("from builtins import print", 1, "imports builtins.print"),
    ("sys.modules['numpy'] = None", 1, "uses sys.modules"),
    ("answer.__class__ = int", 1, "assigns __class__"),
    ("vars(np)\nnp.__dict__['allclose'] = print", 2, "uses numpy.__dict__"),
])
def test_monkeypatching_is_found(code, line, detail):
    finding = only(scan_answer(code))
    assert (finding.kind, finding.cell, finding.line) == ("monkeypatch", "answer", line)
    assert finding.detail.startswith(detail), finding.detail


@pytest.mark.parametrize("code", [
    "plt.rcParams['figure.dpi'] = 100",
    "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'",
    "model = object()\nmodel.trainable = False",
    "class Layer:\n    def __init__(self, w):\n        self.w = w",
    "def answer(data):\n    data.shape = (2, 3)  # 'data' is the argument here, not helpers.data\n    return data",
    "np.random.seed(0)\nx = np.pi * 2",
    "import sys\nsys.path.insert(0, 'lib')\nprint(sys.version)",
])
def test_ordinary_attribute_code_is_not_monkeypatching(code):
    assert scan_answer(code) == []


def test_lying_objects_are_found_and_keras_style_classes_are_not():
    lying = "import numpy as np\n\nclass Anything:\n    __array_priority__ = 1000\n\n    def __eq__(self, other):\n        return True"
    finding = only(scan_answer(lying))
    assert (finding.kind, finding.line) == ("lying-object", 3)
    assert finding.detail.startswith("class Anything defines __array_priority__, __eq__")
    honest = ("class Dense:\n    def __init__(self, units):\n        self.units = units\n"
              "    def build(self, shape):\n        pass\n    def call(self, x):\n        return x\n"
              "    def __call__(self, x):\n        return self.call(x)\n"
              "    def get_config(self):\n        return {'units': self.units}\n"
              "    def __repr__(self):\n        return 'Dense'")
    assert scan_answer(honest) == []
    assert only(scan_answer("Fake = type('Fake', (), {'__bool__': lambda s: True})")).kind == "lying-object"


@pytest.mark.parametrize("code, line, detail", [
    ("import sys\nframe = sys._getframe(1)", 2, "uses sys._getframe"),
    ("x = 1\nsys._current_frames()", 2, "uses sys._current_frames"),
    ("sys.settrace(print)", 1, "uses sys.settrace"),
    ("sys.setprofile(print)", 1, "uses sys.setprofile"),
    ("from inspect import currentframe", 1, "imports inspect.currentframe"),
    ("import gc", 1, "imports gc"),
    ("from traceback import walk_stack", 1, "imports traceback.walk_stack"),
    ("shell = get_ipython()", 1, "uses get_ipython()"),
    ("text = In[-2]", 1, "reads IPython's history variable In"),
    ("text = _i3", 1, "reads IPython's history variable _i3"),
    ("text = _ih", 1, "reads IPython's history variable _ih"),
    ("def f(frame):\n    return frame.f_back", 2, "accesses .f_back"),
    ("secrets = testing.check_close.__globals__", 1, "accesses .__globals__"),
    ("object.__subclasses__()", 1, "accesses .__subclasses__"),
    ("getattr(answer, '__code__')", 1, "accesses .__code__ via getattr"),
])
def test_introspection_is_found(code, line, detail):
    finding = only(scan_answer(code))
    assert (finding.kind, finding.cell, finding.line) == ("introspection", "answer", line)
    assert finding.detail.startswith(detail), finding.detail


def test_introspection_module_uses_and_imports_are_both_reported():
    findings = scan_answer("import inspect\n\ndef answer(x):\n    return inspect.stack()[1].frame.f_locals['expected']")
    assert [(f.kind, f.line, f.detail.split(" (")[0]) for f in findings] == [
        ("introspection", 1, "imports inspect"),
        ("introspection", 4, "uses inspect.stack"),
        ("introspection", 4, "accesses .f_locals"),
    ]


def test_variables_named_like_history_or_exit_are_ordinary():
    assert scan_answer("for _i in range(3):\n    print(_i)\nIn = [1]\nprint(In)") == []
    assert scan_answer("def exit(code):\n    return code\nexit(0)") == []


@pytest.mark.parametrize("code, line, literal", [
    ("x = 1\nopen('../solutions/01/linear_regression.ipynb').read()", 2, "../solutions/01/linear_regression.ipynb"),
    ("from pathlib import Path\np = Path('/root') / 'course'", 2, "/root"),
    ("import glob\nglob.glob('autograded')", 2, "autograded"),
    ("p = f'~/{name}'", 1, "~/"),
    ("open('/etc/passwd')", 1, "/etc/passwd"),
])
def test_paths_of_grader_files_are_found(code, line, literal):
    finding = only(scan_answer(code))
    assert (finding.kind, finding.line) == ("file-access", line)
    assert f"string {literal!r}" in finding.detail


def test_long_paths_are_truncated_and_sentences_are_not_paths():
    finding = only(scan_answer(f"open('{'x' * 100}/gradebook.db')"))
    assert f"string {'x' * 77 + '...'!r}" in finding.detail
    assert scan_answer("print('submitted: see the feedback in the next cell')") == []
    assert scan_answer("path = 'data/homework_1.csv'") == []
    assert only(scan_answer("path = '/home/student/x.npy'")).kind == "file-access"
    assert scan_answer('def answer(x):\n    """Docstring mentioning ../solutions."""\n    return 2 * x') == []


@pytest.mark.parametrize("code, kind, line, detail", [
    ("import ctypes", "native-code", 1, "imports ctypes"),
    ("from cffi import FFI", "native-code", 1, "imports cffi.FFI"),
    ("x = 1\nimport _ctypes", "native-code", 2, "imports _ctypes"),
    ("import subprocess", "process", 1, "imports subprocess"),
    ("from multiprocessing import Process", "process", 1, "imports multiprocessing.Process"),
    ("import pty", "process", 1, "imports pty"),
    ("os.system('ls')", "process", 1, "uses os.system"),
    ("import os\n\nos.popen('ls')", "process", 3, "uses os.popen"),
    ("os.execv('/bin/sh', ['sh'])", "process", 1, "uses os.execv"),
    ("os.spawnlp(os.P_WAIT, 'ls')", "process", 1, "uses os.spawnlp"),
    ("os.posix_spawn('ls', ['ls'], {})", "process", 1, "uses os.posix_spawn"),
    ("os.fork()", "process", 1, "uses os.fork"),
    ("import socket", "network", 1, "imports socket"),
    ("import urllib.request", "network", 1, "imports urllib.request"),
    ("from http import client", "network", 1, "imports http.client"),
    ("import requests", "network", 1, "imports requests"),
    ("import ftplib", "network", 1, "imports ftplib"),
    ("import smtplib", "network", 1, "imports smtplib"),
    ("os._exit(0)", "kernel-exit", 1, "uses os._exit"),
    ("sys.exit(1)", "kernel-exit", 1, "uses sys.exit"),
    ("exit()", "kernel-exit", 1, "calls exit()"),
    ("quit()", "kernel-exit", 1, "calls quit()"),
    ("os.kill(os.getpid(), 9)", "kernel-exit", 1, "uses os.kill"),
    ("os.abort()", "kernel-exit", 1, "uses os.abort"),
    ("import signal", "kernel-exit", 1, "imports signal"),
    ("import faulthandler", "kernel-exit", 1, "imports faulthandler"),
    ("raise SystemExit", "kernel-exit", 1, "raises SystemExit"),
])
def test_native_code_processes_network_and_exits_are_found(code, kind, line, detail):
    finding = only(scan_answer(code))
    assert (finding.kind, finding.cell, finding.line) == (kind, "answer", line)
    assert finding.detail.startswith(detail), finding.detail


def test_shell_lines_are_processes_and_the_rest_of_the_cell_is_still_scanned():
    findings = scan_answer("%time x = 1\n!ls ../solutions\nimport ctypes")
    assert [(f.kind, f.line) for f in findings] == [("process", 2), ("file-access", 2), ("native-code", 3)]
    assert findings[0].detail == "runs a shell command: '!ls ../solutions'"
    assert [(f.kind, f.line) for f in scan_answer("%%bash\ncat /etc/passwd")] == [("file-access", 1), ("process", 1)]


@pytest.mark.parametrize("code, kind, detail", [
    ("x = 1\nexec('import ctypes')", "native-code", "imports ctypes (runs native code), in a string run by exec()"),
    ("x = 1\n__import__('ctypes')", "native-code", "dynamically imports ctypes (runs native code)"),
    ("import importlib\nimportlib.import_module('socket')", "network", "dynamically imports socket"),
    ("import os\ngetattr(__import__('os'), 'system')('ls')", "process", "uses os.system"),
    ("from numpy import testing as nt\nnt.assert_allclose = print", "monkeypatch", "assigns numpy.testing.assert_allclose"),
])
def test_hidden_and_renamed_code_is_found(code, kind, detail):
    finding = only(scan_answer(code))
    assert (finding.kind, finding.line) == (kind, 2)
    assert finding.detail.startswith(detail), finding.detail


def test_a_cell_that_does_not_parse_gives_one_syntax_finding():
    finding = only(scan_answer("def answer(x):\n    return (x\nimport ctypes"))
    assert (finding.kind, finding.cell) == ("syntax", "answer")
    assert finding.line is not None


def test_cells_are_labelled_by_grade_id_or_position_and_findings_are_unique():
    source = source_notebook()
    submitted = release(source)
    submitted.cells.insert(3, cell("np.allclose = print\nnp.allclose = print"))
    assert scan_submission(submitted, source) == [
        Finding("monkeypatch", "cell 4", 1, "assigns numpy.allclose (monkeypatching a module)")]


def test_instructor_test_cells_are_not_scanned_but_setup_cells_are():
    source = source_notebook()
    source.cells[3].source += "\nnp.allclose = print\nimport inspect"
    submitted = release(source)
    assert scan_submission(submitted, source) == []
    source.cells[1].source += "\nimport subprocess"
    assert [(f.kind, f.cell, f.line) for f in scan_submission(release(source), source)] == [("process", "setup", 4)]


def test_structure_duplicated_cell_whose_earlier_copy_is_scanned():
    source = source_notebook()
    submitted = release(source)
    fake = copy.deepcopy(submitted.cells[3])
    fake.source = "testing.check_close = print"
    submitted.cells.insert(3, fake)
    findings = scan_submission(submitted, source)
    assert [(f.kind, f.cell, f.line) for f in findings] == [
        ("structure", "test_answer", None), ("structure", "test_answer", None), ("monkeypatch", "test_answer", 1)]
    assert findings[0].detail == "duplicated cell test_answer (2 copies)"
    assert findings[1].detail.startswith("edited test cell test_answer")


def test_structure_deleted_cells():
    source = source_notebook()
    submitted = release(source)
    del submitted.cells[3]  # the test cell
    del submitted.cells[0]  # a locked markdown cell
    assert [(f.kind, f.cell, f.line, f.detail) for f in scan_submission(submitted, source)] == [
        ("structure", "intro", None, "deleted locked cell intro"),
        ("structure", "test_answer", None, "deleted test cell test_answer; nbgrader adds it back"),
    ]
    submitted = release(source)
    del submitted.cells[2]  # a solution cell: not locked, nothing to report
    assert scan_submission(submitted, source) == []


def test_structure_edited_locked_cell():
    source = source_notebook()
    submitted = release(source)
    submitted.cells[3].source = "pass"
    finding = only(scan_submission(submitted, source))
    assert finding == Finding("structure", "test_answer", None,
                              "edited test cell test_answer; nbgrader restores the original before grading")


def test_structure_changed_metadata_is_not_also_an_edit():
    source = source_notebook()
    submitted = release(source)
    submitted.cells[3].metadata.nbgrader["points"] = 100
    submitted.cells[1].metadata.nbgrader["locked"] = False
    findings = scan_submission(submitted, source)
    assert [(f.cell, f.detail) for f in findings] == [
        ("setup", "changed nbgrader metadata of setup: locked True -> False"),
        ("test_answer", "changed nbgrader metadata of test_answer: points 1 -> 100"),
    ]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.parent.name)
def test_no_finding_on_the_course_notebooks(path: Path):
    """The reference (the source itself) and the untouched student release are clean."""
    source = nbformat.read(path, as_version=4)
    student_release = nbformat.read(REPO_ROOT / "notebooks" / path.parent.name / path.name, as_version=4)
    assert scan_submission(copy.deepcopy(source), source) == []
    assert scan_submission(student_release, source) == []


def test_there_are_course_notebooks_to_check():
    assert len(SOURCES) >= 6
