"""The grade table (student x assignment) printed by ``autograde`` and ``demo``.

Student ids and error reasons come from submissions: they are shown through
``grading.textsafe.safe_text`` (no terminal control characters, capped length)."""

from __future__ import annotations

from dataclasses import dataclass

from grading.textsafe import safe_text


@dataclass
class Cell:
    """One student's result on one assignment: a score, or the reason there is none.

    ``status``: "graded", "error" (``error`` says why), "missing" (no submission). ``score``
    and ``max_score`` are the autograded part: ``score`` is after the late penalty
    (``raw_score - late_penalty``, nbgrader's penalty: ``grading.results.SubmissionParts``);
    ``max_score`` is the assignment's autograded points whatever the status, so totals count
    errored and missing work as 0 of its points. The written answers (graded by hand in
    formgrader) are apart: ``written_score`` (``None`` while none is graded), ``written_max``
    and ``written_pending`` (answers not graded yet)."""

    score: float | None = None
    max_score: float | None = None
    error: str | None = None
    #: The integrity report's summary ("clean", "2 findings: monkeypatch", ...), when graded.
    integrity: str | None = None
    raw_score: float | None = None
    late_penalty: float = 0.0
    late: bool = False
    #: False when this run left the submission alone (unchanged since it was last graded).
    graded_now: bool = True
    written_score: float | None = None
    written_max: float = 0.0
    written_pending: int = 0

    @property
    def written_status(self) -> str | None:
        """``none`` (no written questions), ``pending`` or ``graded``; ``None`` without a graded submission."""
        if self.status != "graded":
            return None
        if not self.written_max:
            return "none"
        return "pending" if self.written_pending or self.written_score is None else "graded"

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "missing" if self.score is None else "graded"

    def render(self) -> str:
        if self.error is not None:
            return "ERROR"
        if self.score is None:
            return "missing" if self.max_score else "-"
        flag = " !" if self.integrity not in (None, "clean") else ""
        late = " late" if self.late else ""
        written = render_written(self.written_score, self.written_max, self.written_pending)
        # The integrity flag is the submission's: last, after the written part.
        return f"{self.score:g}/{self.max_score:g}{late}" + (f" + {written}" if written else "") + flag

    def status_text(self) -> str:
        """The export's status column: graded / late / error: reason / missing."""
        if self.error is not None:
            return f"error: {self.error}"
        if self.score is None:
            return "missing"
        return "late" if self.late else "graded"


def render_written(score: float | None, max_score: float, pending: int) -> str:
    """The written part of a score: "written 3/5", "written pending" (nothing graded yet),
    "written 2/5 (1 pending)"; empty without written questions."""
    if not max_score:
        return ""
    if score is None and pending:
        return "written pending"
    score = score or 0.0
    return f"written {score:g}/{max_score:g}" + (f" ({pending} pending)" if pending else "")


def totals(cells: list[Cell]) -> tuple[float, float]:
    """Autograded points got and possible: errored and missing work count as 0 of its points."""
    got = sum(c.score or 0.0 for c in cells if c.error is None)
    possible = sum(c.max_score or 0.0 for c in cells)
    return got, possible


def written_totals(cells: list[Cell]) -> tuple[float | None, float, int]:
    """Written points got (``None`` while none is graded), possible, and answers pending;
    errored and missing work counts as 0 of its written points."""
    graded = [c.written_score for c in cells if c.error is None and c.written_score is not None]
    possible = sum(c.written_max or 0.0 for c in cells)
    pending = sum(c.written_pending for c in cells if c.error is None)
    return (float(sum(graded)) if graded else None), possible, pending


def render_table(rows: dict[str, dict[str, Cell]], assignments: list[str],
                 max_scores: dict[str, float] | None = None,
                 written_max_scores: dict[str, float] | None = None) -> str:
    """A plain-text table, one row per student, one column per assignment, plus a total.

    ``max_scores`` (assignment -> autograded points) and ``written_max_scores`` (assignment ->
    written points) fill in the points of assignments a student has no cell for, so they count
    as 0 of their points. The total is the autograded one; written points follow it apart."""
    header = ["student"] + assignments + ["total"]
    body = []
    for student in sorted(rows):
        cells = [rows[student].get(a) or Cell(max_score=(max_scores or {}).get(a),
                                               written_max=(written_max_scores or {}).get(a, 0.0))
                 for a in assignments]
        got, possible = totals(cells)
        total = f"{got:g}/{possible:g}" + (f" ({100 * got / possible:.0f}%)" if possible else "")
        written = render_written(*written_totals(cells))
        total += f" + {written}" if written else ""
        body.append([safe_text(student, 80)] + [c.render() for c in cells] + [total])
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    line = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in body]
    errors = [(s, a, rows[s][a].error) for s in sorted(rows) for a in assignments
              if a in rows[s] and rows[s][a].error is not None]
    for student, assignment, reason in errors:
        out.append(f"ERROR {safe_text(student, 80)}/{assignment}: {safe_text(reason, 500)}")
    if any(c.integrity not in (None, "clean") for row in rows.values() for c in row.values()):
        out.append("! = the integrity report lists findings or could not be built (below, and in grading/integrity/)")
    if any(c.late for row in rows.values() for c in row.values()):
        out.append("late = submitted after the due date; the score shown is after the late penalty (course.toml)")
    if any(c.written_max for row in rows.values() for c in row.values()):
        out.append("written = the written answers, graded by hand in formgrader (pending: not graded yet); "
                   "apart from the autograded score (python -m grading rubric ASSIGNMENT)")
    return "\n".join(out)
