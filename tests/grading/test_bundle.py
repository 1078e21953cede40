"""``grading bundle``: what students get, and that it works on its own.

The archive is unpacked into a fresh virtual environment, its ``helpers`` is installed there
with pip, and a release notebook runs in a kernel of that environment up to its first
exercise. The third-party packages are the lock file's, linked from the course environment
(a .pth line) rather than downloaded again: the test proves the bundle brings everything of
its own, not that PyPI works.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.bundle import BUNDLE_ROOT, build_bundle, check_bundle_folder

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle")
    archive = build_bundle(out)
    assert archive == out / "student-bundle.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert all(name.startswith(f"{BUNDLE_ROOT}/") for name in names), "one top folder"
        zf.extractall(out)
    return out / BUNDLE_ROOT


def test_bundle_holds_the_student_files_and_nothing_of_the_instructor(unpacked: Path):
    top = {path.name for path in unpacked.iterdir()}
    assert top == {"notebooks", "helpers", "data", "environment.yml", "requirements-student.lock", "pyproject.toml", "README.md"}
    # The students' lock, not the instructor's (pytest, Dask, JupyterHub ...), and both ways of installing use it.
    root = Path(__file__).resolve().parents[2]
    assert (unpacked / "requirements-student.lock").read_bytes() == (root / "requirements-student.lock").read_bytes()
    assert "-r requirements-student.lock" in (unpacked / "environment.yml").read_text()
    notebooks = sorted(p.relative_to(unpacked).as_posix() for p in (unpacked / "notebooks").glob("*/*.ipynb"))
    assert len(notebooks) == 11 and "notebooks/09_batchnorm/batchnorm.ipynb" in notebooks
    assert (unpacked / "helpers" / "testing.py").exists() and (unpacked / "helpers" / "diagrams.py").exists()
    for path in unpacked.rglob("*"):
        assert path.name not in {"gradebook.db", "nbgrader_config.py"} and "solutions" not in path.parts
    assert check_bundle_folder(unpacked) == []
    readme = (unpacked / "README.md").read_text()
    assert "jupyter lab notebooks/" in readme and "Validate" in readme
    assert "pip install -r requirements-student.lock" in readme and "requirements.lock" not in readme


def test_check_catches_a_solution_slipped_into_a_bundle(unpacked: Path, tmp_path: Path):
    copy = tmp_path / "copy"
    (copy / "notebooks").mkdir(parents=True)
    source = nbformat.read(Path(__file__).resolve().parents[2] / "solutions" / "01_linear_regression" / "linear_regression.ipynb",
                           as_version=4)
    nbformat.write(source, copy / "notebooks" / "leaked.ipynb")
    (copy / "gradebook.db").write_bytes(b"")
    problems = check_bundle_folder(copy)
    assert any("leaked.ipynb" in p and "markers" in p for p in problems), problems
    assert any("gradebook.db" in p for p in problems), problems


def _fresh_venv(root: Path, bundle: Path) -> Path:
    """A new venv whose third-party packages are the course's locked ones, with the bundle's helpers pip-installed."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                    check=True, capture_output=True, text=True).stdout.strip())
    # A plain path line: the course environment's own .pth files (its editable install of the repository)
    # are not processed, so `helpers` can only come from the bundle.
    (venv_site / "locked-packages.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--no-index", "-e", str(bundle)], check=True, env=env, cwd=root)
    return python


def test_release_notebook_runs_in_a_fresh_environment_up_to_the_first_exercise(unpacked: Path, tmp_path: Path):
    from nbclient import NotebookClient

    python = _fresh_venv(tmp_path, unpacked)
    kernels = tmp_path / "jupyter" / "kernels" / "bundle-python"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bundle", "language": "python"}))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    folder = unpacked / "notebooks" / "01_linear_regression"
    nb = nbformat.read(folder / "linear_regression.ipynb", as_version=4)
    first_test = next(i for i, cell in enumerate(nb.cells)
                      if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"))
    probe = nbformat.v4.new_code_cell("import sys, helpers\nprint(sys.prefix)\nprint(helpers.__file__)")
    nb.cells = [probe] + nb.cells[:first_test + 1]      # up to the first exercise's first test
    old_path = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(tmp_path / "jupyter")
    try:
        NotebookClient(nb, timeout=300, kernel_name="bundle-python", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute(env=env)
    finally:
        if old_path is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old_path

    prefix, helpers_file = "".join(nb.cells[0].outputs[0]["text"]).split()
    assert Path(prefix) == python.parent.parent, "the kernel ran in the fresh environment"
    assert Path(helpers_file).resolve().is_relative_to(unpacked.resolve()), f"helpers came from {helpers_file}, not the bundle"
    errors = [(i, o["ename"], o["evalue"][:200]) for i, cell in enumerate(nb.cells[:-1]) if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == [], f"cells before the first exercise failed in the bundle's environment: {errors}"
    printed = "".join(o.get("text", "") for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    assert "TensorFlow" in printed, "the setup cell reports the TensorFlow version"
    test_errors = [o for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "error"]
    assert test_errors and "not implemented" in test_errors[0]["evalue"].lower(), "the first test cell says the exercise is not done yet"
