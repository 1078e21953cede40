"""``grades.csv``: nbgrader's CSV export written safely, with the integrity columns.

nbgrader's ``CsvExportPlugin`` joins fields with commas as they are, so a student id or
name holding a comma shifts the columns, and one starting with ``=`` is a formula in a
spreadsheet. This plugin writes the same columns (and rows, in the same order) with the
csv module, control characters in text shown as escapes (``\\x1b``), text that starts
like a formula prefixed with ``'``, and two more columns from the course's integrity
reports (``grading.integrity``):

- ``integrity_findings``: how many findings the submission's report lists;
- ``integrity``: its summary ("clean", "2 findings: monkeypatch", ...), or "no integrity
  report" for a graded submission without one (it could not be built or saved);
- ``status``: ``graded``, ``late`` (graded, submitted after the due date: ``score`` is after
  the penalty), ``error: <reason>`` (submitted but could not be graded: the score columns
  are then empty, never a silent 0) or ``missing`` (nothing submitted: 0 points);
- ``similarity``: the students whose answers are most like this one's ("bob 0.93, carol
  0.81", ``grading.similarity``), ``none``, or empty where the assignment was not compared;
- the autograded and written parts apart (``grading.results``): ``auto_score`` (the test
  cells' points, after the late penalty) of ``auto_max_score``, ``written_score`` (the written
  answers' points a grader gave in formgrader, or nbgrader's 0 for an answer left as released;
  empty while none is graded) of ``written_max_score``, and ``written_status``: ``none`` (no
  written questions), ``pending`` (an answer not graded yet) or ``graded``. For a missing
  submission both scores are 0 and ``written_status`` is empty; for an error all but the
  maxima are empty.

nbgrader's own columns keep nbgrader's meaning: ``raw_score`` and ``score`` count the written
answers graded so far, ``max_score`` all the assignment's points. nbgrader's late penalty is set
at autograde from the notebook's score at that time (written answers graded by then included)
and is taken from the autograded part first, so ``score == auto_score + written_score`` (an
empty ``written_score`` counts 0). Written scores entered after the last autograde are not
penalised until the submission is graded again (``autograde --force``; manual scores are kept).

The integrity columns are empty where there is no graded submission. It is the course's export plugin
(``c.ExportApp.plugin_class``), so ``nbgrader export`` writes the same file as
``python -m grading autograde``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Unicode

from grading.grading_state import read_error
from grading.integrity import read_report
from grading.results import assignment_points, submission_parts
from grading.textsafe import safe_cell, safe_text

#: nbgrader's CsvExportPlugin columns, in its order.
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name",
                    "email", "raw_score", "late_submission_penalty", "score", "max_score"]
#: The autograded and the written parts of the score, apart (the module docstring).
PART_COLUMNS = ["auto_score", "auto_max_score", "written_score", "written_max_score", "written_status"]
COLUMNS = NBGRADER_COLUMNS + PART_COLUMNS + ["integrity_findings", "integrity", "status", "similarity"]
NO_REPORT = "no integrity report"


class CourseCsvExportPlugin(ExportPlugin):
    """nbgrader's CSV export, quoted and formula-safe, plus the integrity columns."""

    integrity_directory = Unicode(
        "", help="Folder of the integrity reports (<student>/<assignment>.json); empty: no "
                 "integrity columns' values").tag(config=True)

    def rows(self, gradebook: Gradebook):
        """One dict per (assignment, student), as nbgrader's exporter computes them."""
        students = {str(s) for s in self.student}
        assignments = {str(a) for a in self.assignment}
        integrity_dir = Path(self.integrity_directory) if self.integrity_directory else None
        for assignment in sorted(gradebook.assignments, key=lambda a: (_nulls_first(a.duedate), a.name)):
            if assignments and assignment.name not in assignments:
                continue
            similar = _similarity(integrity_dir, assignment.name)
            auto_max, written_max = assignment_points(assignment)
            for student in sorted(gradebook.students, key=lambda s: (_nulls_first(s.last_name),
                                                                     _nulls_first(s.first_name), s.id)):
                if students and student.id not in students:
                    continue
                row = {"assignment": assignment.name, "duedate": assignment.duedate,
                       "student_id": student.id, "last_name": student.last_name,
                       "first_name": student.first_name, "email": student.email,
                       "max_score": assignment.max_score, "integrity_findings": None, "integrity": None,
                       "similarity": similar.get(student.id) if similar is not None else None,
                       "auto_max_score": auto_max, "written_max_score": written_max, "written_status": None}
                try:
                    submission = gradebook.find_submission(assignment.name, student.id)
                except MissingEntry:
                    error = read_error(integrity_dir, student.id, assignment.name) if integrity_dir else None
                    if error:
                        row.update(timestamp=None, raw_score=None, late_submission_penalty=None, score=None,
                                   status=f"error: {safe_text(error, 500)}", auto_score=None, written_score=None)
                    else:
                        row.update(timestamp=None, raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                                   status="missing", auto_score=0.0, written_score=0.0)
                else:
                    penalty = submission.late_submission_penalty
                    row.update(timestamp=submission.timestamp, raw_score=submission.score,
                               late_submission_penalty=penalty, score=max(0.0, submission.score - penalty),
                               status="late" if submission.total_seconds_late > 0 else "graded")
                    parts = submission_parts(submission)
                    row.update(auto_score=parts.auto_score, written_score=parts.written_score,
                               written_status=parts.written_status)
                    if integrity_dir is not None:
                        report = read_report(integrity_dir, student.id, assignment.name)
                        row["integrity_findings"] = len(report.findings) if report else None
                        row["integrity"] = safe_text(report.summary(), 500) if report else NO_REPORT
                yield row

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "grades.csv"
        self.log.info("Exporting grades to %s", dest)
        with open(dest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")  # as nbgrader writes it
            writer.writerow(COLUMNS)
            for row in self.rows(gradebook):
                writer.writerow([_field(row[key]) for key in COLUMNS])


def _nulls_first(value) -> tuple:
    """A sort key for nbgrader's order (due date, name; last name, first name) that is the same
    in every database: nbgrader sorts in SQL, where SQLite puts NULLs first and PostgreSQL last,
    and ties (students without names) come in storage order. Here: NULLs first, ties by id."""
    return (value is not None, value if value is not None else "")


def _similarity(integrity_dir: Path | None, assignment: str) -> dict[str, str] | None:
    """student -> the similarity text of one assignment; None when it was not compared."""
    if integrity_dir is None:
        return None
    from grading.similarity import pairs_by_student, read_similarity, similarity_summary

    try:
        report = read_similarity(integrity_dir, assignment)
    except ValueError:
        return {}
    if report is None:
        return None
    by = pairs_by_student(report.pairs)
    return {s: similarity_summary(s, by[s]) if s in by else "none" for s in report.students}


def _field(value):
    """nbgrader's text for a value (None is empty, dates as ``str``), numbers as numbers;
    text without control characters (shown as escapes, so ``cat grades.csv`` is safe too)
    and formula-safe."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return safe_cell(safe_text(value, None))
