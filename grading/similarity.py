"""Similar answers across students (copied work), per assignment, with copydetect.

The integrity report (``grading.integrity``) looks at one submission at a time; this module
compares the submissions of one assignment with each other and ranks pairs of students by
how much of their answers they share.

What is compared
    Answer cells, found through the **release** notebook: each release cell whose
    nbgrader metadata says ``solution: true``. A submission's metadata is the student's to
    forge, so its own ``solution`` flags are ignored; for each release answer cell the
    submission's *first* cell carrying the same ``grade_id`` is taken, and only when it is of
    the same type (code or markdown). Later duplicates are ignored; a cell of the wrong type
    or with an unreadable source is listed as skipped.

    And the code a student added elsewhere: the trusted checks call functions by name from
    the kernel, wherever they were defined, so an answer can live in a new cell while the
    answer cell keeps its stub. Per notebook, every code cell of the submission that is not
    a release cell (the first cell carrying a release cell's ``grade_id``; later copies
    count as added) and whose text is not that of a release cell is joined, in order, into
    one more answer, ``EXTRA_CELLS`` ("(extra cells)"), compared like the others (starter
    and common code removed, ``min_tokens``), up to ``MAX_EXTRA_CHARS``.

How (copydetect 0.5)
    Each answer is fingerprinted once (``copydetect.CodeFingerprint``): code is tokenized
    with Pygments and filtered (names become ``V``, strings ``S``, whitespace and comments
    go), so renaming variables or reformatting changes nothing; markdown is compared as
    lower-cased text with whitespace collapsed. Fingerprints are the hashes of all
    ``noise_t``-character k-grams (copydetect's default of 25; window 1, so no match of 25
    or more filtered characters is missed). Then fingerprints are removed from every answer:

    - **starter code**: every k-gram of the release notebook (stubs, given cells) and of the
      source notebook outside its solution regions, so a blank submission has nothing left
      and code copied from the notebook itself never counts. (copydetect's own
      ``boilerplate`` argument is not used: in 0.5 it drops repeated fingerprints of the
      answer itself as well, ``np.intersect1d(..., assume_unique=True)`` on a list with
      repeats, so the removal is done here, on copydetect's ``hash_idx``);
    - **common code**: a fingerprint found in the answers of more than
      ``max(common_min, common_fraction * students)`` students to the same cell. What many
      students write alike is the obvious way to write it, not copying (MOSS's ``-m``,
      default 10, does the same).

    Two answers are then compared with ``copydetect.compare_files``: the share of each
    answer's remaining tokens found in the other (``score_a``, ``score_b``). A cell's
    ``score`` weighs both by their sizes; a pair's ``score`` is the same over all the cells
    both students answered, so a large shared answer counts more than a small one.

Thresholds (parameters, with these defaults)
    ``min_tokens = 50``: an answer is compared only when at least 50 of its filtered
    characters (``V=V.V(V,V=1)`` is 12) lie outside starter and common code, in both
    students' answers. Short answers such as ``return np.maximum(0.0, x), x`` (17) are
    written the same by students who never met; without this floor every pair of a class
    would share them. Of the reference answers of the course's 91 code answer cells, 21 are
    under 50 (one- and two-liners) and are never compared; the median is 95.
    ``min_score = 0.5``: a pair is listed when at least half of the answers they both gave
    (by size) match, a match being 25 or more filtered characters in a row; copydetect's
    own report shows files from 0.33. Renamed variables and reformatting score 1.0.
    ``common_fraction = 0.25``, ``common_min = 10``: see "common code" above.

Cost
    Reading and fingerprinting are linear in the students (each answer once). Candidate
    pairs come from an index of fingerprints: only students who share at least one
    remaining fingerprint are compared, at most every pair (19,900 for 200 students); each
    candidate pair costs one ``compare_files`` per answer cell (set intersections, small).
    ``benchmarks/similarity_benchmark.py`` measures it.

A submission that cannot be read (not JSON, not nbformat 4, a link or special file, too
large) is listed as skipped with the reason; it never stops the report. Student ids and
reasons are the student's text: print them through ``grading.textsafe.safe_text``.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Iterable

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage

from grading.course import CourseLayout, UnknownAssignmentError, list_assignments
from grading.textsafe import safe_text

#: Version of the report file's format.
REPORT_VERSION = 1
#: k: the shortest run of filtered characters that counts as a match (copydetect's default).
NOISE_T = 25
#: Tokens an answer must keep after starter and common code are removed to be compared.
MIN_TOKENS = 50
#: Lowest pair score listed.
MIN_SCORE = 0.5
#: A fingerprint in more than max(COMMON_MIN, COMMON_FRACTION * students) answers is common.
COMMON_FRACTION = 0.25
COMMON_MIN = 10
#: Characters of one answer that are compared (an answer is rarely 2,000); the rest is
#: ignored, with a note, so a megabyte cell costs no more than this.
MAX_ANSWER_CHARS = 20_000
#: The pseudo grade id of the code a submission added outside its answer cells (parentheses
#: and a space: never an nbgrader grade id), and how much of it is compared.
EXTRA_CELLS = "(extra cells)"
MAX_EXTRA_CHARS = 5 * MAX_ANSWER_CHARS
#: Larger submitted notebooks are skipped (outputs included; the course's are far smaller).
MAX_NOTEBOOK_BYTES = 100_000_000
#: Markers of the solution region in a source cell (nbgrader's).
SOLUTION_REGION = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S)
#: An assignment name that is a plain folder name (it becomes part of a file name).
ASSIGNMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class CellMatch:
    """One answer cell both students gave. ``score_a``: share of student a's answer (its
    tokens) found in b's; ``score_b`` the other way; ``score``: both, weighed by size."""

    notebook: str
    grade_id: str
    score: float
    score_a: float
    score_b: float
    tokens_a: int
    tokens_b: int


@dataclass(frozen=True)
class SimilarPair:
    """Two students (``student_a < student_b``) and how alike their answers are, in [0, 1].
    ``cells``: every answer cell both gave, most similar first."""

    assignment: str
    student_a: str
    student_b: str
    score: float
    cells: tuple[CellMatch, ...] = ()

    def other(self, student: str) -> str:
        return self.student_b if student == self.student_a else self.student_a

    @classmethod
    def from_json(cls, data: dict) -> "SimilarPair":
        return cls(**{**data, "cells": tuple(CellMatch(**c) for c in data["cells"])})


@dataclass(frozen=True)
class Skipped:
    """A submission (``grade_id`` None) or one answer cell of it left out, and why."""

    student: str
    notebook: str
    reason: str
    grade_id: str | None = None


@dataclass(frozen=True)
class SimilaritySettings:
    """The thresholds a report was made with (see the module docstring)."""

    min_score: float = MIN_SCORE
    min_tokens: int = MIN_TOKENS
    noise_t: int = NOISE_T
    common_fraction: float = COMMON_FRACTION
    common_min: int = COMMON_MIN

    def __post_init__(self):
        if not 0.0 <= self.min_score <= 1.0:
            raise ValueError(f"min_score must be in [0, 1], not {self.min_score!r}")
        if self.min_tokens < 1 or self.noise_t < 2:
            raise ValueError("min_tokens must be at least 1 and noise_t at least 2")
        if not 0.0 <= self.common_fraction <= 1.0 or self.common_min < 1:
            raise ValueError("common_fraction must be in [0, 1] and common_min at least 1")


@dataclass(frozen=True)
class SimilarityReport:
    """One assignment's result: the pairs over ``min_score`` (ranked), what was skipped."""

    assignment: str
    students: tuple[str, ...]
    pairs: tuple[SimilarPair, ...]
    skipped: tuple[Skipped, ...] = ()
    settings: SimilaritySettings = field(default_factory=SimilaritySettings)
    #: Pairs of students actually compared (sharing at least one fingerprint).
    compared_pairs: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict:
        return {"version": REPORT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> "SimilarityReport":
        if not isinstance(data, dict) or data.get("version") != REPORT_VERSION:
            raise ValueError(f"not a similarity report of version {REPORT_VERSION}")
        data = {k: v for k, v in data.items() if k != "version"}
        return cls(**{**data, "students": tuple(data["students"]),
                      "pairs": tuple(SimilarPair.from_json(p) for p in data["pairs"]),
                      "skipped": tuple(Skipped(**s) for s in data["skipped"]),
                      "settings": SimilaritySettings(**data["settings"])})

    def lines(self, top: int | None = 20) -> list[str]:
        """The report for a terminal: one line per pair (best cells named), then the skipped."""
        out = [f"similarity {safe_text(self.assignment, 80)}: {len(self.pairs)} pair{'s' * (len(self.pairs) != 1)} "
               f"at or over {self.settings.min_score:g} ({len(self.students)} students, "
               f"{self.compared_pairs} pairs compared)"]
        for pair in self.pairs[:top]:
            cells = ", ".join(f"{safe_text(c.grade_id, 60)} {c.score:.2f}" for c in pair.cells[:3])
            out.append(f"  {pair.score:.2f}  {safe_text(pair.student_a, 80)} ~ {safe_text(pair.student_b, 80)}"
                       f"  ({cells})")
        if top is not None and len(self.pairs) > top:
            out.append(f"  ... {len(self.pairs) - top} more in the report file")
        for s in self.skipped:
            cell = f" cell {safe_text(s.grade_id, 60)}" if s.grade_id else ""
            out.append(f"  skipped {safe_text(s.student, 80)}/{safe_text(s.notebook, 80)}{cell}: "
                       f"{safe_text(s.reason, 300)}")
        return out


# --- reading notebooks -----------------------------------------------------------------


class UnreadableNotebook(ValueError):
    """A notebook that is not a readable nbformat-4 file; the message says why."""


@dataclass(frozen=True)
class AnswerCell:
    """An answer cell of the release: where students write (``kind``: code or markdown)."""

    notebook: str
    grade_id: str
    kind: str


def read_notebook_json(path: Path, max_bytes: int = MAX_NOTEBOOK_BYTES) -> dict:
    """The notebook at ``path`` as JSON, checked just enough to walk its cells safely.

    Refuses links and special files (a FIFO would block the read), files over
    ``max_bytes``, text that is not JSON and notebooks other than nbformat 4.
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise UnreadableNotebook(f"cannot be read ({exc.strerror})") from exc
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise UnreadableNotebook("is a link or special file, not a plain file")
    if st.st_size > max_bytes:
        raise UnreadableNotebook(f"is larger than {max_bytes} bytes")
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise UnreadableNotebook(f"is not JSON ({type(exc).__name__})") from exc
    except OSError as exc:
        raise UnreadableNotebook(f"cannot be read ({exc.strerror})") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise UnreadableNotebook("is not a notebook (no list of cells)")
    if nb.get("nbformat") != 4:
        raise UnreadableNotebook(f"is not nbformat 4 (nbformat {safe_text(nb.get('nbformat'), 20)})")
    return nb


def cell_source(cell: object) -> str | None:
    """A cell's source as text (nbformat allows a list of lines), or None when malformed."""
    if not isinstance(cell, dict):
        return None
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return source if isinstance(source, str) else None


def nbgrader_meta(cell: object) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    found = meta.get("nbgrader") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def release_answer_cells(release_nb: dict, notebook: str) -> list[AnswerCell]:
    """The answer cells of a release notebook (the instructor's: its metadata is trusted)."""
    cells, seen = [], set()
    for cell in release_nb["cells"]:
        meta = nbgrader_meta(cell)
        grade_id, kind = meta.get("grade_id"), cell.get("cell_type")
        if meta.get("solution") and isinstance(grade_id, str) and kind in ("code", "markdown") \
                and grade_id not in seen:
            seen.add(grade_id)
            cells.append(AnswerCell(notebook, grade_id, kind))
    return cells


def submitted_answers(nb: dict, cells: list[AnswerCell], student: str
                      ) -> tuple[dict[str, str], list[Skipped]]:
    """``{grade_id: answer text}`` of one submitted notebook, matched on the release's cells.

    The first cell carrying a release answer cell's grade_id is the answer, only when it is
    of the same type; a missing cell is no answer (the integrity report covers deleted cells).
    """
    first: dict[str, object] = {}
    for cell in nb["cells"]:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id not in first:
            first[grade_id] = cell
    answers, skipped = {}, []
    for want in cells:
        cell = first.get(want.grade_id)
        if cell is None:
            continue
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        text = cell_source(cell)
        if kind != want.kind:
            skipped.append(Skipped(student, want.notebook, f"the cell with this grade id is "
                                   f"{safe_text(kind, 20)}, not {want.kind} as released", want.grade_id))
        elif text is None:
            skipped.append(Skipped(student, want.notebook, "the cell's source is not text", want.grade_id))
        else:
            if len(text) > MAX_ANSWER_CHARS:
                skipped.append(Skipped(student, want.notebook, f"answer of {len(text)} characters: "
                                       f"only the first {MAX_ANSWER_CHARS} compared", want.grade_id))
                text = text[:MAX_ANSWER_CHARS]
            answers[want.grade_id] = text
    return answers, skipped


def release_cells(release_nb: dict) -> tuple[set[str], set[str]]:
    """(every grade_id, every code cell's text stripped) of a release notebook: what a
    submission's added code is told apart from."""
    grade_ids, code = set(), set()
    for cell in release_nb["cells"]:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str):
            grade_ids.add(grade_id)
        source = cell_source(cell)
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and source is not None:
            code.add(source.strip())
    return grade_ids, code


def extra_code(nb: dict, release_ids: set[str], release_code: set[str]) -> str:
    """The code cells a submission added, joined in order: every code cell that is not the
    first cell carrying a release grade_id and whose text is not a release cell's."""
    seen: set[str] = set()
    parts = []
    for cell in nb["cells"]:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id in release_ids and grade_id not in seen:
            seen.add(grade_id)  # the release cell itself (an answer is compared by its grade_id)
            continue
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell_source(cell)
        if source is not None and source.strip() and source.strip() not in release_code:
            parts.append(source)
    return "\n".join(parts)


def starter_text(source_nb: dict | None, release_nb: dict) -> tuple[list[str], list[str]]:
    """(code, markdown) texts every student was given: all release cells, and the source
    notebook's cells with their solution regions cut out."""
    code, text = [], []
    for nb, is_source in ((release_nb, False), (source_nb, True)):
        for cell in (nb or {}).get("cells", []):
            source = cell_source(cell)
            if source is None:
                continue
            if is_source and nbgrader_meta(cell).get("solution"):
                # Without markers nbgrader clears the whole cell: all of it is the solution.
                if not SOLUTION_REGION.search(source):
                    continue
                source = SOLUTION_REGION.sub("", source)
            (code if cell.get("cell_type") == "code" else text).append(source)
    return code, text + ["YOUR ANSWER HERE"]


# --- fingerprints ----------------------------------------------------------------------


def fingerprint(text: str, kind: str, k: int) -> CodeFingerprint:
    """copydetect's fingerprint of one answer (all k-grams: window 1), keys as plain ints."""
    if kind == "code":
        fp = CodeFingerprint("answer.py", k, 1, filter=True, language="python", fp=io.StringIO(text))
    else:
        fp = CodeFingerprint("answer.md", k, 1, filter=False, fp=io.StringIO(" ".join(text.lower().split())))
    fp.hash_idx = {int(h): idx for h, idx in fp.hash_idx.items()}
    fp.hashes = set(fp.hash_idx)
    #: Filtered characters inside a removed (starter or common) k-gram.
    fp.removed = np.zeros(len(fp.filtered_code), dtype=bool)
    return fp


def drop_fingerprints(fp: CodeFingerprint, drop: set[int]) -> None:
    """Remove ``drop`` from a fingerprint, as copydetect's boilerplate would (see above)."""
    gone = fp.hashes & drop
    if gone:
        for h in gone:
            for i in fp.hash_idx[h]:
                fp.removed[i:i + fp.k] = True
        fp.hash_idx = {h: idx for h, idx in fp.hash_idx.items() if h not in gone}
        fp.hashes = set(fp.hash_idx)
        fp.token_coverage = get_token_coverage(fp.hash_idx, fp.k, len(fp.filtered_code))


def tokens(fp: CodeFingerprint) -> int:
    """The answer's own size, for ``min_tokens``: its filtered characters that are in no
    starter or common k-gram. (Counting the k-grams left instead would count starter code
    pasted in pieces: each seam between two pieces makes k - 1 new k-grams.)"""
    return int(len(fp.removed) - np.count_nonzero(fp.removed))


# --- the report --------------------------------------------------------------------------


def check_assignment(layout: CourseLayout, assignment: str) -> list[Path]:
    """The release notebooks of ``assignment``, with clear errors for a bad or unreleased name."""
    if not isinstance(assignment, str) or not ASSIGNMENT_NAME.fullmatch(assignment) or ".." in assignment:
        raise ValueError(f"not an assignment name: {safe_text(assignment, 80)!r}")
    if not (layout.path("source") / assignment).is_dir():
        raise UnknownAssignmentError(assignment, list_assignments(layout.path("source")))
    notebooks = sorted((layout.path("release") / assignment).glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"{assignment} has no release notebooks in {layout.path('release') / assignment}: "
                         "release it first (python -m grading release)")
    return notebooks


def submitted_students(layout: CourseLayout, assignment: str) -> list[str]:
    """Students with a folder for ``assignment`` (links included: they are skipped, with the reason)."""
    folder = layout.path("submitted")
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir()
                  if not p.name.startswith(".") and os.path.lexists(p / assignment))


#: (notebook, grade_id) -> student -> the fingerprint of that student's answer.
Prints = dict[tuple[str, str], dict[str, CodeFingerprint]]


def similarity_report(layout: CourseLayout, assignment: str, *, min_score: float = MIN_SCORE,
                      min_tokens: int = MIN_TOKENS, noise_t: int = NOISE_T,
                      common_fraction: float = COMMON_FRACTION, common_min: int = COMMON_MIN,
                      progress: bool | None = None) -> SimilarityReport:
    """Compare the answers of every pair of students who submitted ``assignment``.

    ``progress``: a tqdm bar (None: only on a terminal). Raises ValueError or
    UnknownAssignmentError for a bad assignment or setting; never for what a submission holds.
    """
    from tqdm.auto import tqdm

    settings = SimilaritySettings(min_score, min_tokens, noise_t, common_fraction, common_min)
    start = time.perf_counter()
    release_paths = check_assignment(layout, assignment)
    cells, starter, released = release_side(layout, assignment, release_paths, noise_t)
    students = submitted_students(layout, assignment)
    prints: Prints = defaultdict(dict)
    skipped: list[Skipped] = []
    readable = 0
    for student in tqdm(students, desc=f"fingerprint {assignment}", unit="student", disable=_off(progress)):
        readable += fingerprint_submission(layout, assignment, student, release_paths, cells, starter,
                                           noise_t, prints, skipped, released)
    candidates = drop_common(prints, max(common_min, math.ceil(common_fraction * readable)), min_tokens)
    pairs = []
    for a, b in tqdm(sorted(candidates), desc=f"compare {assignment}", unit="pair", disable=_off(progress)):
        pair = compare_students(assignment, a, b, prints)
        if pair is not None and pair.score >= min_score:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.student_a, p.student_b))
    return SimilarityReport(assignment, tuple(students), tuple(pairs), tuple(skipped), settings,
                            len(candidates), round(time.perf_counter() - start, 3))


def release_side(layout: CourseLayout, assignment: str, release_paths: list[Path], k: int
                 ) -> tuple[list[AnswerCell], dict[str, set[int]], dict[str, tuple[set[str], set[str]]]]:
    """The release's answer cells, the starter code's fingerprints by cell kind, and each
    notebook's ``release_cells`` (by notebook name)."""
    cells: list[AnswerCell] = []
    starter: dict[str, set[int]] = {"code": set(), "markdown": set()}
    released: dict[str, tuple[set[str], set[str]]] = {}
    for path in release_paths:
        release_nb = read_notebook_json(path)
        released[path.stem] = release_cells(release_nb)
        source_path = layout.path("source") / assignment / path.name
        source_nb = read_notebook_json(source_path) if source_path.is_file() else None
        cells += release_answer_cells(release_nb, path.stem)
        code, text = starter_text(source_nb, release_nb)
        for kind, chunks in (("code", code), ("markdown", text)):
            for chunk in chunks:
                starter[kind] |= fingerprint(chunk, kind, k).hashes
    return cells, starter, released


def fingerprint_submission(layout: CourseLayout, assignment: str, student: str, release_paths: list[Path],
                           cells: list[AnswerCell], starter: dict[str, set[int]], k: int,
                           prints: Prints, skipped: list[Skipped],
                           released: dict[str, tuple[set[str], set[str]]] | None = None) -> bool:
    """Fingerprint one student's answers into ``prints`` (starter code removed), noting what
    is skipped; True when at least one of the student's notebooks could be read. With
    ``released`` (``release_side``'s), the code the student added is one more answer,
    ``EXTRA_CELLS``."""
    folder = layout.path("submitted") / student
    if folder.is_symlink() or (folder / assignment).is_symlink():
        skipped.append(Skipped(student, "", "the submission folder is a link"))
        return False
    readable = False
    for path in release_paths:
        submitted = folder / assignment / path.name
        if not os.path.lexists(submitted):
            skipped.append(Skipped(student, path.stem, f"no {path.name} in the submission"))
            continue
        try:
            nb = read_notebook_json(submitted)
        except UnreadableNotebook as exc:
            skipped.append(Skipped(student, path.stem, f"{path.name} {exc}"))
            continue
        readable = True
        notebook_cells = [c for c in cells if c.notebook == path.stem]
        answers, problems = submitted_answers(nb, notebook_cells, student)
        skipped += problems
        for cell in notebook_cells:
            if cell.grade_id in answers:
                fp = fingerprint(answers[cell.grade_id], cell.kind, k)
                drop_fingerprints(fp, starter[cell.kind])
                prints[(cell.notebook, cell.grade_id)][student] = fp
        if released is not None and path.stem in released:
            extra = extra_code(nb, *released[path.stem])
            if len(extra) > MAX_EXTRA_CHARS:
                skipped.append(Skipped(student, path.stem, f"added code cells of {len(extra)} characters: "
                                       f"only the first {MAX_EXTRA_CHARS} compared", EXTRA_CELLS))
                extra = extra[:MAX_EXTRA_CHARS]
            if extra:
                fp = fingerprint(extra, "code", k)
                drop_fingerprints(fp, starter["code"])
                prints[(path.stem, EXTRA_CELLS)][student] = fp
    return readable


def drop_common(prints: Prints, cap: int, min_tokens: int) -> set[tuple[str, str]]:
    """Remove what more than ``cap`` students wrote alike in one cell (nobody's copy) and the
    answers then too short to tell copying from coincidence; returns the pairs of students
    who still share a fingerprint, the only ones worth comparing."""
    candidates: set[tuple[str, str]] = set()
    for by_student in prints.values():
        counts: dict[int, int] = defaultdict(int)
        for fp in by_student.values():
            for h in fp.hashes:
                counts[h] += 1
        common = {h for h, n in counts.items() if n > cap}
        holders: dict[int, list[str]] = defaultdict(list)
        for student, fp in list(by_student.items()):
            drop_fingerprints(fp, common)
            if tokens(fp) < min_tokens or not fp.hashes:
                del by_student[student]
                continue
            for h in fp.hashes:
                holders[h].append(student)
        # Runs of shared k-grams have the same holders: each group of students paired once.
        for group in {tuple(sorted(sharing)) for sharing in holders.values() if len(sharing) > 1}:
            candidates.update(combinations(group, 2))
    return candidates


def compare_students(assignment: str, a: str, b: str,
                     prints: Prints) -> SimilarPair | None:
    """The pair's score over the cells both answered (after the thresholds), or None if none."""
    matches, shared, size = [], 0.0, 0.0
    for (notebook, grade_id), by_student in prints.items():
        fa, fb = by_student.get(a), by_student.get(b)
        if fa is None or fb is None:
            continue
        sim_a = sim_b = 0.0
        if not fa.hashes.isdisjoint(fb.hashes):  # most cells of most pairs: nothing shared
            _, (sim_a, sim_b), _ = compare_files(fa, fb)
            sim_a, sim_b = min(1.0, float(sim_a)), min(1.0, float(sim_b))
        cov_a, cov_b = float(fa.token_coverage), float(fb.token_coverage)
        cell_shared = sim_a * cov_a + sim_b * cov_b
        shared, size = shared + cell_shared, size + cov_a + cov_b
        matches.append(CellMatch(notebook, grade_id, round(cell_shared / (cov_a + cov_b), 4),
                                 round(sim_a, 4), round(sim_b, 4), tokens(fa), tokens(fb)))
    if not matches:
        return None
    matches.sort(key=lambda m: (-m.score, m.notebook, m.grade_id))
    return SimilarPair(assignment, a, b, round(shared / size, 4), tuple(matches))


def similar_pairs(layout: CourseLayout, assignment: str, *, min_score: float = MIN_SCORE,
                  min_tokens: int = MIN_TOKENS, noise_t: int = NOISE_T,
                  common_fraction: float = COMMON_FRACTION, common_min: int = COMMON_MIN,
                  progress: bool | None = None) -> list[SimilarPair]:
    """The ranked pairs of ``similarity_report`` (which also says what was skipped)."""
    return list(similarity_report(layout, assignment, min_score=min_score, min_tokens=min_tokens,
                                  noise_t=noise_t, common_fraction=common_fraction,
                                  common_min=common_min, progress=progress).pairs)


def _off(progress: bool | None) -> bool | None:
    return None if progress is None else not progress


# --- files and views ---------------------------------------------------------------------


def report_path(folder: Path, assignment: str) -> Path:
    return Path(folder) / f"{assignment}.similarity.json"


def write_similarity_report(report: SimilarityReport, folder: Path) -> Path:
    """Write ``<folder>/<assignment>.similarity.json`` (folder: ``layout.path("integrity")``),
    replacing the previous report of that assignment (it is recomputed from the submissions)."""
    if not ASSIGNMENT_NAME.fullmatch(report.assignment) or ".." in report.assignment:
        raise ValueError(f"not an assignment name: {safe_text(report.assignment, 80)!r}")
    path = report_path(folder, report.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report.to_json(), indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_similarity(folder: Path, assignment: str) -> SimilarityReport | None:
    """The saved report of ``assignment``; None when there is none. A file that is not a
    report of this version raises ValueError (run ``similarity`` again)."""
    path = report_path(folder, assignment)
    if not path.is_file():
        return None
    try:
        return SimilarityReport.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path} is not a readable similarity report ({type(exc).__name__}: "
                         f"{safe_text(exc, 200)}); run `python -m grading similarity` again") from exc


def pairs_by_student(pairs: Iterable[SimilarPair]) -> dict[str, list[SimilarPair]]:
    """Each student's pairs, most similar first (for the export's column)."""
    out: dict[str, list[SimilarPair]] = defaultdict(list)
    for pair in sorted(pairs, key=lambda p: (-p.score, p.student_a, p.student_b)):
        out[pair.student_a].append(pair)
        out[pair.student_b].append(pair)
    return dict(out)


def similarity_summary(student: str, pairs: list[SimilarPair], top: int = 3) -> str:
    """The export's text for one student: "bob 0.93, carol 0.81" (the ``top`` most similar)."""
    shown = [f"{pair.other(student)} {pair.score:.2f}" for pair in pairs[:top]]
    if len(pairs) > top:
        shown.append(f"+{len(pairs) - top} more")
    return ", ".join(shown)


def student_lines(student: str, pairs: list[SimilarPair], top_cells: int = 3) -> list[str]:
    """One line per pair of ``student`` for the integrity part of the grade table:
    "similar answers to bob: 0.93 (add 1.00, square 0.97)"; ids shown through safe_text."""
    lines = []
    for pair in pairs:
        cells = ", ".join(f"{safe_text(c.grade_id, 60)} {c.score:.2f}" for c in pair.cells[:top_cells])
        lines.append(f"similar answers to {safe_text(pair.other(student), 80)}: {pair.score:.2f} ({cells})")
    return lines


def export_column(layout: CourseLayout) -> dict[tuple[str, str], str] | None:
    """(student, assignment) -> the export's "similar to" text ("none" when the student has
    no pair), for every assignment with a saved report; None when there is none at all."""
    from grading.course import list_assignments

    out: dict[tuple[str, str], str] = {}
    found = False
    for assignment in list_assignments(layout.path("source")):
        try:
            report = read_similarity(layout.path("integrity"), assignment)
        except ValueError:
            report = None
        if report is None:
            continue
        found = True
        by = pairs_by_student(report.pairs)
        for student in report.students:
            out[(student, assignment)] = similarity_summary(student, by[student]) if student in by else "none"
    return out if found else None
