"""The sandbox on the tiny fixture: what a kernel sees, the per-notebook time limit, and the
refusal to grade untrusted code where no sandbox can be made."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, GradingLimits
from tests.conftest import FIXTURE_SOURCE, TINY


PROBE = '''import json, os, socket
seen = {"cwd": os.getcwd(), "repo": sorted(os.listdir(%r)), "grading": sorted(os.listdir(%r)),
        "grader_home": sorted(os.listdir(%r)) if os.path.isdir(%r) else [], "etc_shadow": os.path.exists("/etc/shadow")}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "connected"
except OSError as exc:
    seen["net"] = type(exc).__name__
open("written.txt", "w").write("mine")
print("PROBE" + json.dumps(seen))
'''


def _submission(tiny_notebooks, tmp_path: Path, answer_id: str, code: str) -> Path:
    nb = copy.deepcopy(nbformat.read(tiny_notebooks["reference"], as_version=4))
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == answer_id)
    cell.source += "\n" + code
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def test_kernel_sees_only_its_folder_and_no_network(tiny_notebooks, tmp_path):
    from grading.grade_one import grade_notebook

    from grading.sandbox import data_folders, python_roots, sandbox_env

    home = Path.home()
    path = _submission(tiny_notebooks, tmp_path, "add", PROBE % (str(REPO_ROOT), str(REPO_ROOT / "grading"), str(home), str(home)))
    run = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, keep_dir=tmp_path / "course")
    assert run.grade.score == 4.0 and run.grade.integrity["sandboxed"] is True
    nb = nbformat.read(run.autograded, as_version=4)
    text = next(o["text"] for c in nb.cells for o in c.get("outputs", []) if "PROBE" in o.get("text", ""))
    seen = json.loads(text.split("PROBE", 1)[1])
    assert seen["cwd"] == str(run.autograded.parent)
    assert seen["repo"] == sorted(p for p in ("data", "grading", "helpers", ".venv") if (REPO_ROOT / p).exists())
    assert seen["grading"] == ["kernel_guard.py"], "only the guard of the grader's code is visible"
    # Of the grader's home only the way to the Python installation and the read-only data
    # folders (Keras's dataset cache) are there, when they live there.
    shared = list(python_roots()) + data_folders(sandbox_env(dict(os.environ)))
    assert seen["grader_home"] == sorted({p.relative_to(home).parts[0] for p in shared if p.is_relative_to(home)})
    assert seen["etc_shadow"] is False
    assert seen["net"] != "connected"
    assert (run.autograded.parent / "written.txt").read_text() == "mine"


def test_notebook_time_limit_kills_the_kernel_and_names_the_cell(tiny_notebooks, tmp_path):
    from grading.grade_one import grade_notebook

    path = _submission(tiny_notebooks, tmp_path, "square", "import time\ntime.sleep(60)")
    limits = GradingLimits(cell_timeout_s=120, notebook_timeout_s=8)
    grade = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, limits=limits).grade
    assert grade.status == "graded"
    assert grade.score == 2.0, "test_add ran before the limit and keeps its 2 points"
    assert grade.integrity["died_in"] == "square"
    assert "notebook time limit exceeded (8 s)" in grade.integrity["death"]


def test_grading_refuses_without_a_sandbox_unless_unsafe(tiny_notebooks, tmp_path):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on PATH
    command = [sys.executable, "-m", "grading", "grade", TINY, str(tiny_notebooks["reference"]),
               "--source", str(FIXTURE_SOURCE), "--json"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 1
    result = json.loads(refused.stdout)
    assert "refusing to run untrusted submissions: bubblewrap is not installed" in result["error"]
    assert "--unsafe" in result["error"]
    unsafe = subprocess.run(command + ["--unsafe"], capture_output=True, text=True, env=env, timeout=300)
    assert unsafe.returncode == 0, unsafe.stderr[-2000:]
    graded = json.loads(unsafe.stdout)
    assert graded["score"] == 4.0 and graded["integrity"]["sandboxed"] is False


def test_guard_tells_library_actions_from_student_actions(tmp_path):
    """A student cell that is the first to import matplotlib makes matplotlib run fc-list and
    register its figure-flushing callback: neither is a finding, and figures still show. The
    student's own frame access through inspect is one."""
    from nbformat.v4 import new_code_cell, new_notebook
    from traitlets.config import Config

    from grading.course import set_kernel_environment
    from grading.preprocessors import RobustExecute

    def cell(src, grade_id, **flags):
        meta = {"solution": False, "grade": False, "locked": True, "grade_id": grade_id, "schema_version": 3}
        return new_code_cell(src, metadata={"nbgrader": {**meta, **flags}})

    nb = new_notebook(cells=[
        cell("import inspect", "setup"),
        cell("def f(x):\n    caller = inspect.currentframe().f_back\n    return x\n"
             "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()",
             "answer", solution=True, locked=False),
        cell("assert f(1) == 1", "test_f", grade=True, points=1),
        cell("plt.plot([2, 1]); plt.show()", "demo"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})
    set_kernel_environment()
    config = Config()
    config.RobustExecute.sandbox = True
    nb, _ = RobustExecute(config=config).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    found = nb.metadata["course_grading"]["findings"]
    assert [(f["event"], f["cell"]) for f in found] == [("sys._getframe", "answer")], found
    assert [o["output_type"] for o in nb.cells[3].outputs] == ["display_data"]
