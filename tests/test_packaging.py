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


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
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
        assert re.search(rf"^{target}: \$\(STAMP\)( \$\(ASSETS\))?$", text, re.M), f"make {target} must depend on the venv stamp"
    # The decks' reveal.js and MathJax come from the npm lock file, for the tests and for make slides.
    assert re.search(r"^\$\(ASSETS\): grading/slides_assets/package-lock\.json", text, re.M) and "npm ci" in text
    for target in ["test", "slides"]:
        assert re.search(rf"^{target}: \$\(STAMP\) \$\(ASSETS\)$", text, re.M), f"make {target} must install the slide assets"


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
