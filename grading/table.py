"""The grade table (student x assignment) printed by ``autograde`` and ``demo``.

Student ids and error reasons come from submissions: they are shown through
``grading.textsafe.safe_text`` (no terminal control characters, capped length)."""

from __future__ import annotations

from dataclasses import dataclass

from grading.textsafe import safe_text


@dataclass
class Cell:
    """One student's result on one assignment: a score, or the reason there is none."""

    score: float | None = None
    max_score: float | None = None
    error: str | None = None
    #: The integrity report's summary ("clean", "2 findings: monkeypatch", ...), when graded.
    integrity: str | None = None

    def render(self) -> str:
        if self.error is not None:
            return "ERROR"
        if self.score is None:
            return "-"
        flag = " !" if self.integrity not in (None, "clean") else ""
        return f"{self.score:g}/{self.max_score:g}{flag}"


def render_table(rows: dict[str, dict[str, Cell]], assignments: list[str]) -> str:
    """A plain-text table, one row per student, one column per assignment, plus a total."""
    header = ["student"] + assignments + ["total"]
    body = []
    for student in sorted(rows):
        cells = [rows[student].get(a, Cell()) for a in assignments]
        got = sum(c.score or 0.0 for c in cells if c.error is None)
        possible = sum(c.max_score or 0.0 for c in cells if c.error is None)
        total = f"{got:g}/{possible:g}" + (f" ({100 * got / possible:.0f}%)" if possible else "")
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
    return "\n".join(out)
