"""The set-up files agree with each other: pyproject ranges, the lock file, environment.yml, Makefile."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from grading.course import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def lock_pins(path=REPO_ROOT / "requirements.lock") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def declared_requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    reqs += [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return reqs


@pytest.mark.parametrize("req", declared_requirements(), ids=lambda r: r.name)
def test_every_dependency_is_upper_bounded_and_pinned_in_range(req):
    assert any(spec.operator in ("<", "<=", "==", "~=") for spec in req.specifier), \
        f"{req} has no upper bound in pyproject.toml"
    pins = lock_pins()
    name = canonicalize_name(req.name)
    assert name in pins, f"{req.name} is not pinned in requirements.lock: run pip-compile (see README)"
    assert req.specifier.contains(pins[name], prereleases=True), \
        f"requirements.lock pins {req.name}=={pins[name]}, outside pyproject's {req.specifier}"


def test_gpu_extra_installs_tensorflow_with_cuda():
    (gpu,) = [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["gpu"]]
    assert gpu.name == "tensorflow" and "and-cuda" in gpu.extras


@pytest.mark.parametrize("package", ["tensorflow", "numpy", "nbgrader", "jupyterlab", "ipywidgets", "pytest"])
def test_running_environment_matches_the_lock(package):
    assert metadata.version(package) == lock_pins()[canonicalize_name(package)], \
        f"{package} installed differs from requirements.lock: run `make venv`"


def test_environment_yml_uses_conda_forge_python_and_the_lock():
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    deps = env["dependencies"]
    python = [d for d in deps if isinstance(d, str) and d.startswith("python=")]
    assert python == ["python=3.11"]
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains("3.11")
    (pip_section,) = [d["pip"] for d in deps if isinstance(d, dict)]
    assert "-r requirements.lock" in pip_section and "-e ." in pip_section


def test_makefile_targets_create_the_venv_from_the_lock():
    text = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^\$\(STAMP\): requirements\.lock", text, re.M)
    assert "-r requirements.lock" in text
    for target in ["demo", "test", "release", "check", "lab", "slides", "bundle"]:
        assert re.search(rf"^{target}: \$\(STAMP\)( \$\(ASSETS\))?( \$\(HUB_PROXY\))?$", text, re.M), \
            f"make {target} must depend on the venv stamp"
    # The decks' reveal.js and MathJax come from the npm lock file, for the tests and for make slides.
    assert re.search(r"^\$\(ASSETS\): grading/slides_assets/package-lock\.json", text, re.M) and "npm ci" in text
    for target in ["test", "slides"]:
        assert re.search(rf"^{target}: \$\(STAMP\) \$\(ASSETS\)( \$\(HUB_PROXY\))?$", text, re.M), \
            f"make {target} must install the slide assets"
    assert re.search(r"^test: .*\$\(HUB_PROXY\)$", text, re.M), "the JupyterHub test needs the pinned proxy"


def test_readme_opens_with_the_two_commands():
    head = "\n".join((REPO_ROOT / "README.md").read_text().splitlines()[:25])
    assert "make demo" in head and "make test" in head


def test_ci_runs_make_test():
    text = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make test" in text


def test_wheel_ships_every_module_of_both_packages(tmp_path):
    """A non-editable install must work too: every .py under helpers/ and grading/ is in the wheel."""
    import shutil
    import subprocess
    import sys
    import zipfile

    src = tmp_path / "src"
    shutil.copytree(REPO_ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "grading/submitted", "__pycache__", "*.egg-info", "notebooks", "solutions", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    str(src), "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(REPO_ROOT)) for pkg in ("helpers", "grading") for p in (REPO_ROOT / pkg).rglob("*.py")}
    assert expected - shipped == set()


# --- The students' lock (requirements-student.lock, shipped by `grading bundle`) -------------

#: Grading and test tools a student's machine never needs. nbgrader is not here on purpose: its
#: JupyterLab extension is the Validate button the student README tells students to use.
NOT_FOR_STUDENTS = ["pytest", "pytest-xdist", "playwright", "dask", "distributed", "psycopg2", "psycopg2-binary",
                    "jupyterhub", "copydetect", "pip-tools", "tqdm"]


def student_lock_pins() -> dict[str, str]:
    return lock_pins(REPO_ROOT / "requirements-student.lock")


def test_student_lock_holds_no_grading_or_test_tools():
    pins = student_lock_pins()
    assert {"tensorflow", "numpy", "jupyterlab", "ipykernel", "nbgrader"} <= set(pins)
    assert [name for name in NOT_FOR_STUDENTS if name in pins] == []


def test_student_lock_pins_the_instructor_versions():
    """Students run exactly what the grader runs: every shared package at the same version."""
    ours, theirs = lock_pins(), student_lock_pins()
    assert {name: version for name, version in theirs.items() if ours.get(name) != version} == {}, \
        "requirements-student.lock differs from requirements.lock: regenerate it (see requirements-student.in)"
    wanted = [canonicalize_name(line.strip()) for line in (REPO_ROOT / "requirements-student.in").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert wanted and [name for name in wanted if name not in theirs] == []


def _third_party_imports(source: str) -> set[str]:
    """Top-level modules ``source`` imports (IPython magics and shell lines dropped)."""
    import ast
    import sys

    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"helpers", "__future__", "__main__"}


def test_student_lock_covers_every_import_of_the_release_and_helpers():
    import json

    modules = set()
    for path in sorted((REPO_ROOT / "helpers").rglob("*.py")):
        modules |= _third_party_imports(path.read_text())
    for path in sorted((REPO_ROOT / "notebooks").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                modules |= _third_party_imports("".join(cell["source"]))
    assert {"numpy", "tensorflow", "matplotlib", "sklearn", "scipy", "ipywidgets"} <= modules
    providers = metadata.packages_distributions()
    pins = student_lock_pins()
    missing = {module: providers.get(module) for module in modules
               if not any(canonicalize_name(dist) in pins for dist in providers.get(module, []))}
    assert missing == {}, "imported by helpers/ or notebooks/ but not in requirements-student.lock"


# --- make clean ------------------------------------------------------------------------------

def test_make_clean_removes_build_artefacts_and_no_grading_data(tmp_path):
    """`make clean` run for real in a copy of the course holding grading data and artefacts."""
    import shutil
    import subprocess

    if shutil.which("make") is None:
        pytest.skip("GNU make is not installed")
    shutil.copy2(REPO_ROOT / "Makefile", tmp_path / "Makefile")
    data = ["grading/submitted/alice/01_x/x.ipynb", "grading/submitted/alice/01_x/__pycache__/m.pyc",
            "grading/autograded/alice/01_x/x.ipynb", "grading/feedback/alice/01_x/x.html",
            "grading/integrity/alice/01_x.json", "grading/gradebook.db", "grading/grades.csv", "grades.csv",
            "course.toml", "nbgrader_config.local.py", "solutions/01_x/x.ipynb", "notebooks/01_x/x.ipynb",
            "data/fashion/train.npz", ".venv/lib/site/__pycache__/m.pyc", "grading/slides_assets/node_modules/x.js"]
    artefacts = ["build/slides/01_x/x.slides.html", "build/student-bundle.zip", "build/demo-course/gradebook.db",
                 "dist/dl_course.whl", ".pytest_cache/v/x", "dl_course.egg-info/PKG-INFO",
                 "helpers/__pycache__/data.cpython-311.pyc", "grading/checks/__pycache__/c.pyc"]
    for number, name in enumerate(data + artefacts):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"file {number}")
    proc = subprocess.run(["make", "clean"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [name for name in artefacts if (tmp_path / name).exists()] == []
    assert {name: (tmp_path / name).read_text() for name in data if (tmp_path / name).exists()} == \
        {name: f"file {number}" for number, name in enumerate(data)}
    for gone in ["build", "dist", ".pytest_cache", "dl_course.egg-info", "helpers/__pycache__"]:
        assert not (tmp_path / gone).exists(), gone
