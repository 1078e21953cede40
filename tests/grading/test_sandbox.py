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

    # Generous: the kernel must start and run test_add within the limit on a busy machine.
    path = _submission(tiny_notebooks, tmp_path, "square", "import time\ntime.sleep(600)")
    limits = GradingLimits(cell_timeout_s=900, notebook_timeout_s=45)
    grade = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, limits=limits).grade
    assert grade.status == "graded"
    assert grade.score == 2.0, "test_add ran before the limit and keeps its 2 points"
    assert grade.integrity["died_in"] == "square"
    assert "notebook time limit exceeded (45 s)" in grade.integrity["death"]


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


MEMFD_HOG = """import os
held = []
for _ in range(40):  # 40 memfd files of 128 MB: memory in no process's address space
    held.append(os.memfd_create('hog'))
    for _ in range(2):
        os.write(held[-1], b'x' * 2**26)
"""


def test_watchdog_alone_counts_memfd_memory(tiny_notebooks, tmp_path):
    """Where no cgroup can be made, the watchdog still sees memory held in memfd files."""
    from grading.grade_one import grade_notebook

    path = _submission(tiny_notebooks, tmp_path, "square", MEMFD_HOG)
    limits = GradingLimits(cell_timeout_s=600, memory_mb=1024, cgroups=False)
    grade = grade_notebook(TINY, path, source_dir=FIXTURE_SOURCE, limits=limits).grade
    assert grade.status == "graded" and grade.score == 2.0
    assert grade.integrity["died_in"] == "square"
    assert "memory limit exceeded" in grade.integrity["death"] and "memfd" in grade.integrity["death"]


def _in_cgroup(group, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], preexec_fn=group.add_self,
                          capture_output=True, text=True, timeout=300)


def test_cgroup_limits_are_enforced_by_the_linux_kernel():
    """The cgroup alone (no watchdog): shared memory is charged, threads are counted."""
    import pytest

    from grading import cgroups

    if cgroups.available() is None:
        pytest.skip("this machine lets the grader make no cgroup: the watchdog is the only limit here "
                    "(test_watchdog_alone_counts_memfd_memory covers it)")
    group = cgroups.create(256 * 2**20, 40)
    try:
        run = _in_cgroup(group, "import os\nfd = os.memfd_create('m')\nfor _ in range(16):\n"
                                "    os.write(fd, b'x' * 2**25)\nprint('survived')")
        assert run.returncode == -9 and "survived" not in run.stdout
        assert group.memory_exhausted()
    finally:
        group.remove()
    group = cgroups.create(2**30, 40)
    try:
        run = _in_cgroup(group, "import threading, time\nthreads = []\ntry:\n    for _ in range(200):\n"
                                "        threads.append(threading.Thread(target=time.sleep, args=(5,)))\n"
                                "        threads[-1].start()\nexcept RuntimeError as exc:\n"
                                "    print('refused after', len(threads))")
        assert "refused after" in run.stdout and int(run.stdout.split()[-1]) <= 40  # 40 tasks, the main thread included
        assert group.tasks_exhausted() and not group.memory_exhausted()
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders)


GRADER_PEAK = """import sys
from pathlib import Path
from grading.course import GradingLimits
from grading.grade_one import grade_notebook
run = grade_notebook(sys.argv[1], Path(sys.argv[2]), source_dir=Path(sys.argv[3]),
                     keep_dir=Path(sys.argv[4]), limits=GradingLimits(cell_timeout_s=600))
# VmHWM, not ru_maxrss: ru_maxrss keeps the RSS of the process that forked this one (pytest's).
peak_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM:")).split()[1])
print("PEAK", peak_kb // 1024, run.grade.status, run.grade.score)
"""


def test_a_600_mb_message_costs_the_grader_no_memory(tiny_notebooks, tmp_path):
    """ZeroMQ drops a message over the limit while reading its header: the grading process
    never holds it, and the cell says what happened."""
    path = _submission(tiny_notebooks, tmp_path, "add", "from IPython.display import display\n"
                       "display({'text/plain': 'x' * 600_000_000}, raw=True)")
    nb = nbformat.read(path, as_version=4)
    next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "square").source += \
        "\nprint('output of a later cell')"
    nbformat.write(nb, path)
    out = subprocess.run([sys.executable, "-c", GRADER_PEAK, TINY, str(path), str(FIXTURE_SOURCE),
                          str(tmp_path / "course")], capture_output=True, text=True, timeout=900, cwd=REPO_ROOT)
    peak_mb, status, score = out.stdout.split("PEAK", 1)[1].split()
    assert (status, float(score)) == ("graded", 4.0), out.stdout + out.stderr
    assert int(peak_mb) < 400, f"the grader peaked at {peak_mb} MB"
    nb = nbformat.read(next((tmp_path / "course").rglob("autograded/*/*/tiny.ipynb")), as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert "larger than 32000000 bytes or more output than could be received; it was dropped" in text
    assert "output of a later cell" in text, "the connection is back for the next cells"
