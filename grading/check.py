"""``grading check``: the reference passes, the blank release scores 0, the release is clean."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading.course import REPO_ROOT, CourseLayout, list_assignments, source_notebooks
from grading.leaks import find_leaks, notebook_text, secret_lines
from grading.parallel import grade_many
from grading.release import release_drift
from grading.submissions import fill_answers


@dataclass
class CheckReport:
    """Problems found per assignment (empty lists mean all good)."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    scores: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(self.problems.values())

    def render(self) -> str:
        lines = []
        for assignment, problems in self.problems.items():
            status = "ok" if not problems else "FAILED"
            lines.append(f"{assignment}: {status}  {self.scores.get(assignment, '')}".rstrip())
            lines.extend(f"  - {p}" for p in problems)
        return "\n".join(lines)


def static_problems(assignment: str, layout: CourseLayout) -> list[str]:
    """Release drift and leaked solution/hidden-test text (no notebook is executed)."""
    problems = release_drift(assignment, layout)
    for source in source_notebooks(assignment, layout.path("source")):
        release = layout.path("release") / assignment / source.name
        if not release.exists():
            continue
        leaks = find_leaks(notebook_text(release), secret_lines(nbformat.read(source, as_version=4)))
        problems.extend(f"release {release.name} leaks {leak}" for leak in leaks)
    for source in source_notebooks(assignment, layout.path("source")):
        problems.extend(check_module_problems(source))
    return problems


def check_module_problems(source: Path) -> list[str]:
    """Whether every graded cell of ``source`` is scored by a trusted check (issue 20)."""
    from grading.trusted.registry import checks_of

    nb = nbformat.read(source, as_version=4)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
              and not c.metadata["nbgrader"].get("solution")}
    problems = []
    if any("BEGIN HIDDEN TESTS" in c.source for c in nb.cells):
        problems.append(f"{source.name} has hidden tests in its test cells: they would run in the student's "
                        f"kernel; move them to grading/checks/{source.stem}.py")
    try:
        checks = checks_of(source.stem)
    except Exception as exc:  # noqa: BLE001 - a broken check module is this command's finding
        return problems + [f"grading/checks/{source.stem}.py does not import: {type(exc).__name__}: {exc}"]
    if checks is None:
        return problems + ([f"no check module grading/checks/{source.stem}.py: its graded cells would be "
                            "scored by the student's own kernel"] if graded else [])
    if sorted(set(graded) - set(checks)):
        problems.append(f"graded cells without a trusted check: {', '.join(sorted(set(graded) - set(checks)))}")
    if sorted(set(checks) - set(graded)):
        problems.append(f"checks for cells the notebook does not have: {', '.join(sorted(set(checks) - set(graded)))}")
    return problems


def check_course(assignments: list[str] | None = None, layout: CourseLayout | None = None,
                 workers: int | None = None) -> CheckReport:
    """Run every check; the reference and blank gradings of all notebooks run in parallel."""
    layout = layout or CourseLayout(root=REPO_ROOT)
    names = assignments or list_assignments(layout.path("source"))
    report = CheckReport()
    jobs, labels = [], []
    with tempfile.TemporaryDirectory(prefix="check-") as tmp:
        for assignment in names:
            report.problems[assignment] = static_problems(assignment, layout)
            for source in source_notebooks(assignment, layout.path("source")):
                release = layout.path("release") / assignment / source.name
                if not release.exists():
                    continue
                reference = Path(tmp) / assignment / "reference" / source.name
                reference.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(fill_answers(nbformat.read(release, as_version=4),
                                            nbformat.read(source, as_version=4)), reference)
                # The course's own notebooks: sandboxed where possible, graded anyway where not.
                kwargs = {"source_dir": layout.path("source"), "unsafe": True}
                jobs += [(assignment, reference, kwargs), (assignment, release, kwargs)]
                labels += [(assignment, "reference"), (assignment, "blank")]
        for (assignment, kind), run in zip(labels, grade_many(jobs, workers)):
            grade = run.grade
            problems = report.problems[assignment]
            if grade.status != "graded":
                problems.append(f"{kind} submission could not be graded: {grade.error}")
                continue
            report.scores[assignment] = (report.scores.get(assignment, "") + f" {kind} {grade.score:g}/{grade.max_score:g}").strip()
            if kind == "reference" and grade.score != grade.max_score:
                failed = ", ".join(f"{t.grade_id} ({t.message})" for t in grade.tests if not t.passed)
                problems.append(f"reference answers lose points: {failed}")
            if kind == "blank" and grade.score != 0:
                passed = ", ".join(t.grade_id for t in grade.tests if t.score > 0)
                problems.append(f"the blank release earns points (tests that cannot fail?): {passed}")
            if grade.max_score <= 0:
                problems.append("no graded test cells")
    return report
