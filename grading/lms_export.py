"""``grades-lms.csv``: one row per student, one column per assignment, for an LMS gradebook.

nbgrader's own CSV (``grading.export``) has a row per (assignment, student); an LMS import
wants a row per student. Each assignment gets its score (after the late penalty, as
nbgrader computes it) and a status column: ``graded``, ``late``, ``error: <reason>`` (the
score cell is then empty: never a silent 0) or ``missing`` (0). Optionally a column per
graded question (``<assignment>:<grade_id>``). The total counts errored and missing work as
0 of its points, like the grade table. Text is written through ``grading.export``'s field
rules (control characters escaped, formula-safe).

Written answers (graded by hand in formgrader, ``grading.results``) count in the assignment's
score as nbgrader counts them (once graded) and in ``max_total``; three more columns per
assignment keep them apart: ``<assignment> auto`` (the autograded points after the late
penalty), ``<assignment> written`` (the written points graded so far; empty while none is) and
``<assignment> written status`` (``none``, ``pending`` or ``graded``; empty without a graded
submission), and the totals ``auto_total``/``auto_max_total`` and
``written_total``/``written_max_total`` at the end. A per-question column of a written answer
not graded yet is empty, never 0.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grading.export import _field
from grading.grading_state import read_error
from grading.integrity import read_report
from grading.results import assignment_points, grade_value, manual_cell_names, submission_parts


def lms_rows(gb: Gradebook, integrity_dir: Path | None, per_question: bool = False,
             similarity: dict[tuple[str, str], str] | None = None) -> tuple[list[str], list[dict]]:
    """The header and one dict per student (sorted by id)."""
    assignments = sorted(gb.assignments, key=lambda a: a.name)
    questions: dict[str, list[tuple[str, str]]] = {}
    if per_question:
        for assignment in assignments:
            several = len(assignment.notebooks) > 1  # grade ids are unique per notebook only
            questions[assignment.name] = [(nb.name, f"{nb.name}/{cell.name}" if several else cell.name)
                                          for nb in sorted(assignment.notebooks, key=lambda n: n.name)
                                          for cell in nb.grade_cells]
    header = ["student_id", "last_name", "first_name", "email"]
    for assignment in assignments:
        header += [assignment.name, f"{assignment.name} status", f"{assignment.name} integrity"]
        if similarity is not None:
            header.append(f"{assignment.name} similar to")
        header += [f"{assignment.name}:{cell}" for _, cell in questions.get(assignment.name, [])]
        header += [f"{assignment.name} auto", f"{assignment.name} written", f"{assignment.name} written status"]
    header += ["total", "max_total", "percent", "auto_total", "auto_max_total", "written_total", "written_max_total"]
    points = {assignment.name: assignment_points(assignment) for assignment in assignments}
    rows = []
    for student in sorted(gb.students, key=lambda s: s.id):
        row = {"student_id": student.id, "last_name": student.last_name, "first_name": student.first_name,
               "email": student.email}
        got = possible = auto_got = auto_possible = written_got = written_possible = 0.0
        for assignment in assignments:
            name = assignment.name
            possible += assignment.max_score
            auto_possible += points[name][0]
            written_possible += points[name][1]
            try:
                submission = gb.find_submission(name, student.id)
            except MissingEntry:
                error = read_error(integrity_dir, student.id, name) if integrity_dir else None
                row[name] = None if error else 0.0
                row[f"{name} status"] = f"error: {error}" if error else "missing"
                row[f"{name} integrity"] = None
                row[f"{name} auto"] = row[f"{name} written"] = None if error else 0.0
                row[f"{name} written status"] = None
                for _, cell in questions.get(name, []):
                    row[f"{name}:{cell}"] = None
            else:
                score = max(0.0, submission.score - submission.late_submission_penalty)
                got += score
                row[name] = score
                row[f"{name} status"] = "late" if submission.total_seconds_late > 0 else "graded"
                report = read_report(integrity_dir, student.id, name) if integrity_dir else None
                row[f"{name} integrity"] = report.summary() if report else None
                parts = submission_parts(submission)
                row[f"{name} auto"], row[f"{name} written"] = parts.auto_score, parts.written_score
                row[f"{name} written status"] = parts.written_status
                auto_got += parts.auto_score
                written_got += parts.written_score or 0.0
                for notebook, cell in questions.get(name, []):
                    try:
                        grade = gb.find_grade(cell.rsplit("/", 1)[-1], notebook, name, student.id)
                    except MissingEntry:
                        row[f"{name}:{cell}"] = None
                    else:  # a written answer not graded yet: empty (nbgrader's Grade.score would be 0)
                        row[f"{name}:{cell}"] = grade_value(grade) if grade.name in manual_cell_names(
                            grade.notebook.notebook) else grade.score
            if similarity is not None:
                row[f"{name} similar to"] = similarity.get((student.id, name))
        row.update(total=got, max_total=possible, percent=round(100 * got / possible, 1) if possible else None,
                   auto_total=auto_got, auto_max_total=auto_possible, written_total=written_got,
                   written_max_total=written_possible)
        rows.append(row)
    return header, rows


def export_lms_csv(db_url: str, course_id: str, dest: Path, integrity_dir: Path | None = None,
                   per_question: bool = False, similarity: dict[tuple[str, str], str] | None = None) -> Path:
    """Write ``dest`` (quoted, formula-safe); returns it."""
    with Gradebook(db_url, course_id) as gb:
        header, rows = lms_rows(gb, integrity_dir, per_question, similarity)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([_field(h) for h in header])
        for row in rows:
            writer.writerow([_field(row.get(key)) for key in header])
    return dest
