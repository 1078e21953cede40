"""The notebooks' own tests must take points away from every kept mutant.

One kernel per notebook: the reference solution notebook runs once; then each mutant is
defined in that kernel, only the trusted checks (``grading/checks``) of its function's test
cells are run against the kernel, and the reference answer is restored. A mutant that passes every one of its function's test cells survives,
and a survivor is a bug in the notebook's tests.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest

from grading.course import CELL_TIMEOUT_S, KERNEL_ARGS, REPO_ROOT, set_kernel_environment, source_notebooks

MUTANT_DIR = REPO_ROOT / "tests" / "mutants"
MUTANT_FILES = sorted(p for p in MUTANT_DIR.glob("[0-9][0-9]_*.py"))


def load_mutants(path: Path):
    spec = importlib.util.spec_from_file_location(f"mutants_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cell_failed(cell) -> str | None:
    """nbgrader's rule: an error or any stderr output means the cell earns nothing."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {(out.get('evalue') or '').splitlines()[0] if out.get('evalue') else ''}"
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "stderr: " + "".join(out.get("text", ""))[:200]
    return None


def owning_test_cells(nb, functions: list[str]) -> dict[str, list[int]]:
    """Indices of the test cells of each function (a cell goes to the longest matching name)."""
    owners: dict[str, list[int]] = {f: [] for f in functions}
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("grade"):
            continue
        grade_id = meta["grade_id"]
        matches = [f for f in functions if grade_id == f"test_{f}" or grade_id.startswith(f"test_{f}_")]
        if matches:
            owners[max(matches, key=len)].append(index)
    return owners


def answer_cells(nb) -> dict[str, int]:
    # code answers only: written answers (markdown, graded by hand) have no mutants
    return {c["metadata"]["nbgrader"]["grade_id"]: i for i, c in enumerate(nb.cells)
            if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c.get("cell_type") == "code"}


@pytest.mark.slow
@pytest.mark.parametrize("mutant_file", MUTANT_FILES, ids=[p.stem for p in MUTANT_FILES])
def test_every_mutant_loses_points(mutant_file: Path, tmp_path: Path):
    from grading.kernel_client import CourseNotebookClient
    from grading.trusted.registry import checks_of
    from grading.trusted.runner import run_checks
    from grading.trusted.student import KernelStudent

    module = load_mutants(mutant_file)
    (source,) = source_notebooks(module.ASSIGNMENT)
    work = tmp_path / module.ASSIGNMENT
    shutil.copytree(source.parent, work)
    nb = nbformat.read(work / source.name, as_version=4)
    answers = answer_cells(nb)
    missing = sorted(set(answers) - set(module.MUTANTS))
    assert not missing, f"no mutants kept for {missing}: the standard asks for at least two per exercise"
    too_few = sorted(f for f, ms in module.MUTANTS.items() if len(ms) < 2)
    assert not too_few, f"fewer than two mutants for {too_few}"
    owners = owning_test_cells(nb, list(module.MUTANTS))

    set_kernel_environment()
    client = CourseNotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3", allow_errors=True, extra_arguments=list(KERNEL_ARGS),
                            resources={"metadata": {"path": str(work)}})
    survivors, killed = [], 0
    with client.setup_kernel():
        for index, cell in enumerate(list(nb.cells)):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        broken = [(c["metadata"]["nbgrader"]["grade_id"], cell_failed(c)) for c in nb.cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade") and cell_failed(c)]
        assert not broken, f"the reference solution fails its own tests: {broken}"

        # nbclient writes each executed cell back into nb.cells[index]: run probes in one scratch slot.
        scratch = len(nb.cells)
        nb.cells.append(nbformat.v4.new_code_cell(""))

        def run(code: str):
            cell = nbformat.v4.new_code_cell(code)
            nb.cells[scratch] = cell
            client.execute_cell(cell, scratch)
            return cell

        # The grade comes from the trusted checks (grading/checks), asked of this kernel.
        checks = checks_of(source.stem)
        student = KernelStudent(lambda code: run(code).outputs)
        reference_verdicts = run_checks(checks, student, [c["metadata"]["nbgrader"]["grade_id"] for c in nb.cells
                                                          if c.get("metadata", {}).get("nbgrader", {}).get("grade")
                                                          and c.cell_type == "code"])
        failing = {k: v.message for k, v in reference_verdicts.items() if not v.passed}
        assert not failing, f"the reference solution fails its trusted checks: {failing}"

        for function, mutants in module.MUTANTS.items():
            test_indices = owners[function]
            assert test_indices, f"no test cell named test_{function}... exercises {function}"
            for name, code in mutants.items():
                probe = run(code)
                assert not cell_failed(probe), f"mutant {function}/{name} does not even define: {cell_failed(probe)}"
                grade_ids = [nb.cells[i]["metadata"]["nbgrader"]["grade_id"] for i in test_indices]
                failures = [g for g, v in run_checks(checks, student, grade_ids).items() if not v.passed]
                if failures:
                    killed += 1
                else:
                    survivors.append(f"{function}/{name}")
                restored = run(nb.cells[answers[function]].source)
                assert not cell_failed(restored), f"restoring {function} failed: {cell_failed(restored)}"
    assert not survivors, f"mutants that lose no points (the tests miss them): {survivors}"
    assert killed >= 2 * len(answers)
