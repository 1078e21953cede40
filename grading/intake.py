"""Submission intake: what is wrong with a submitted folder, before nbgrader sees it.

Submissions live at ``submitted/<student>/<assignment>/<notebook>.ipynb``. Students get
that wrong in a few ways, and each gets a reason a student can act on instead of a crash
(``KeyError: 'grade_id'``) or silence:

- ``submission_problem``: links, a misnamed notebook (a browser's ``knn (1).ipynb``: rename
  it), an unreadable one, another assignment's notebook (``backprop.ipynb`` saved as
  ``linear_regression.ipynb``), a notebook whose nbgrader cell metadata an editor stripped;
- ``find_misplaced``: notebooks and folders in the wrong place (a notebook directly in
  ``submitted/<student>/``, ``submitted/<assignment>/<student>/``, an unknown assignment
  folder), reported with where they belong; nothing is moved;
- ``write_error_feedback``: a feedback page with the reason, for ``nbgrader release_feedback``;
- ``ensure_timestamp``: the ``timestamp.txt`` that ``nbgrader release_feedback`` needs.

File names follow one rule, in ``autograde`` and in ``grade`` (``grading.grade_one``): a
notebook is graded only under the exact name of its source notebook; neither renames a
student's file (``file_name_problem`` says how to).

Which notebook a file is: by its cells' grade ids (nbgrader metadata) or, when those are
gone, by the text of its locked cells (instructions, tests), compared with every source
notebook of the course (``notebook_problem``).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Iterable

import nbformat

from grading.course import CourseLayout, list_assignments, source_notebooks
from grading.textsafe import safe_text

SUFFIX = ".ipynb"
#: Folders of the editor's own (checkpoints) that are never part of a submission.
IGNORED_DIRS = (".ipynb_checkpoints", "__pycache__")
#: One suffix that a browser, a file manager or Jupyter adds to a copy of a file:
#: "knn (1)", "knn(2)", "knn-1", "knn_1", "knn - Copy", "knn copy", "knn-checkpoint".
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d+\)|[-_ ]\d+|\s*-\s*copy|\s+copy|-checkpoint)$", re.IGNORECASE)
_COPY_PREFIX = re.compile(r"^(?:copy of\s+)+", re.IGNORECASE)
#: Locked cells a submission must share with a notebook (by text) to be called that notebook.
MIN_SHARED_CELLS = 2
#: Misplaced notebooks larger than this are placed by their name, without reading them.
MAX_GUESS_BYTES = 64 * 2**20
#: nbgrader's ``Exchange.timestamp_format`` and time zone (what ``nbgrader submit`` writes).
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


def shown(name: object) -> str:
    """A student-controlled name, safe to print and to put in a reason (escaped, capped)."""
    return safe_text(name, 120)


# ------------------------------------------------------------------------------ file names


def intended_name(filename: str, expected: Iterable[str]) -> str | None:
    """The expected notebook name of which ``filename`` is a copy or re-download
    (``knn (1).ipynb``, ``KNN.ipynb``, ``Copy of knn.ipynb``), else ``None``."""
    path = PurePath(filename)
    if path.suffix.lower() != SUFFIX:
        return None
    by_stem = {PurePath(name).stem.lower(): name for name in expected}
    stem = _COPY_PREFIX.sub("", path.stem).strip()
    while True:  # strip one suffix at a time: "resnet_50 (1)" is resnet_50's copy
        if stem.lower() in by_stem:
            return by_stem[stem.lower()]
        shorter = _COPY_SUFFIX.sub("", stem).strip()
        if shorter == stem or not shorter:
            return None
        stem = shorter


def file_name_problem(present: list[str], expected: list[str]) -> str | None:
    """Why the notebooks ``present`` (file names) do not answer ``expected``, or ``None``.

    The one rule of file names: each expected notebook must be there under its exact name.
    A copy's name (``knn (1).ipynb``) gets "rename it to knn.ipynb"."""
    missing = [name for name in expected if name not in present]
    if not missing:
        return None
    found = ", ".join(shown(name) for name in present) or "no notebook"
    hints = [f"rename {shown(name)} to {intended_name(name, missing)}" for name in present
             if name not in expected and intended_name(name, missing)]
    if hints:
        return (f"expected {', '.join(missing)} but found {found}: {'; '.join(hints)} (a browser adds "
                "\" (1)\" to a file it downloads again) and submit it again")
    return f"expected {', '.join(missing)} but found {found}: rename the file and grade again"


# ------------------------------------------------------------------------ which notebook


@dataclass(frozen=True)
class NotebookSignature:
    """What identifies one source notebook: its grade ids and the text of its locked cells."""

    assignment: str
    name: str  # file name, "knn.ipynb"
    key_ids: frozenset[str]  # grade ids of its answer and test cells
    content: frozenset[str]  # hashes of its locked, non-answer cells' text


def _source_text(cell: object) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(source, list):
        source = "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _text_key(text: str) -> str | None:
    normal = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return hashlib.sha256(normal.encode("utf-8", "replace")).hexdigest() if normal else None


def _nbgrader(cell: object) -> dict:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    meta = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return meta if isinstance(meta, dict) else {}


def _cells(nb: object) -> list:
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return cells if isinstance(cells, list) else []


def grade_ids(nb: object) -> set[str]:
    """The grade ids a (possibly hostile) notebook's cells carry."""
    ids = (_nbgrader(cell).get("grade_id") for cell in _cells(nb))
    return {i for i in ids if isinstance(i, str) and i}


def content_keys(nb: object) -> set[str]:
    """Hashes of the text of every cell (compared with source notebooks' locked cells)."""
    return {key for key in (_text_key(_source_text(cell)) for cell in _cells(nb)) if key}


@functools.lru_cache(maxsize=256)
def _signature(path: str, assignment: str, _stamp: tuple[int, int]) -> NotebookSignature | None:
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (a broken source notebook is `check`'s to report)
        return None
    key_ids, content = set(), set()
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if meta.get("grade") or meta.get("solution"):
            key_ids.add(meta.get("grade_id"))
        if meta.get("locked") and not meta.get("solution"):
            content.add(_text_key(_source_text(cell)))
    return NotebookSignature(assignment, Path(path).name, frozenset(key_ids - {None}), frozenset(content - {None}))


def course_signatures(source_dir: Path, assignments: Iterable[str] | None = None) -> list[NotebookSignature]:
    """A signature of every source notebook of ``assignments`` (all of ``source_dir``'s by default)."""
    out = []
    for assignment in assignments if assignments is not None else list_assignments(source_dir):
        try:
            paths = source_notebooks(assignment, source_dir)
        except LookupError:
            continue
        for path in paths:
            stat = path.stat()
            signature = _signature(str(path), assignment, (stat.st_mtime_ns, stat.st_size))
            if signature is not None:
                out.append(signature)
    return out


def identify(nb: object, signatures: list[NotebookSignature],
             prefer: NotebookSignature | None = None) -> NotebookSignature | None:
    """The source notebook ``nb`` is a copy of: the one sharing most answer/test grade ids,
    else (no shared ids: metadata stripped) most locked cells' text; ties go to ``prefer``."""
    if not signatures:
        return None
    ids = grade_ids(nb)
    rank = lambda scores: max(signatures, key=lambda s: (scores[s], s == prefer))  # noqa: E731
    by_ids = {s: len(ids & s.key_ids) for s in signatures}
    best = rank(by_ids)
    if by_ids[best] > 0:
        return best
    keys = content_keys(nb)
    by_text = {s: len(keys & s.content) for s in signatures}
    best = rank(by_text)
    return best if by_text[best] >= min(MIN_SHARED_CELLS, len(best.content)) and by_text[best] > 0 else None


def notebook_problem(nb: object, assignment: str, expected: str, source_dir: Path) -> str | None:
    """Why ``nb``, submitted as ``expected`` (a file name) of ``assignment``, cannot be graded
    as that notebook: it is another notebook of the course, or its nbgrader metadata is gone
    (no cell carries one of the notebook's answer or test grade ids, so nbgrader cannot tell
    which cell is which; ``grading.preprocessors.restore_metadata`` refuses it the same way).
    ``None`` when it can be graded: some of its ids are the notebook's, and no other notebook
    shares more (cells copied or deleted are put back by nbgrader)."""
    signatures = course_signatures(source_dir)
    own = next((s for s in signatures if s.assignment == assignment and s.name == expected), None)
    if own is None:
        return None  # nothing to compare with (the caller reports an unknown notebook)
    name = expected
    found = identify(nb, signatures, prefer=own)
    if found is not None and found != own:
        if found.assignment == assignment:
            return (f"{name} holds the notebook {found.name} of {assignment}, not {expected}: submit each "
                    "notebook under its own name")
        return f"{name} is the notebook of {found.assignment} ({found.name}); submit {expected} for {assignment}"
    if not own.key_ids or grade_ids(nb) & own.key_ids:
        return None
    if grade_ids(nb):  # ids, but none of this notebook's answer and test cells
        return (f"none of the answer and test cells of {name} carry the hidden ids of {expected} of {assignment} "
                "(nbgrader's cell metadata was edited, or the cells were copied from another notebook): "
                f"re-download the release notebook {expected}, paste your answers into it and submit it again")
    return (f"{name} has lost the hidden information that tells the grader which cell is which (nbgrader's "
            "cell metadata): this happens when a notebook is saved with an editor other than Jupyter or its "
            f"cells are copied into a new notebook. Re-download the release notebook {expected} of {assignment}, "
            "paste your answers into it and submit it again")


# -------------------------------------------------------------------------- one submission


def _notebooks_in(folder: Path) -> list[str]:
    """Names of the notebooks directly in ``folder`` (any case of ``.ipynb``; no links)."""
    return sorted(p.name for p in folder.iterdir()
                  if p.suffix.lower() == SUFFIX and p.is_file() and not p.is_symlink())


def submission_problem(layout: CourseLayout, assignment: str, student: str) -> str | None:
    """Why ``submitted/<student>/<assignment>`` cannot be graded, or ``None``.

    In order: links or special files (nbgrader copies what links point to), file names
    (``file_name_problem``), unreadable notebooks, and notebooks that are another
    assignment's or lost their nbgrader metadata (``notebook_problem``). The folder is only
    read, never changed."""
    from grading.grade_one import read_submission

    student_dir = layout.path("submitted") / student
    folder = student_dir / assignment
    if student_dir.is_symlink() or folder.is_symlink():
        return "the submission folder is a link; submit plain files only"
    if not folder.is_dir():
        return f"no submission folder {assignment} for {shown(student)}"
    for root, dirs, files in os.walk(folder):  # nbgrader copies what links point to
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink() or not (path.is_file() or path.is_dir()):
                return (f"the submission contains {shown(path.relative_to(folder))}, a link or special file; "
                        "submit plain files only")
    expected = [p.name for p in source_notebooks(assignment, layout.path("source"))]
    present = _notebooks_in(folder)
    problem = file_name_problem(present, expected)
    if problem:
        nested = [p.relative_to(folder) for p in sorted(folder.rglob("*")) if p.name in expected
                  and p.parent != folder and not set(p.relative_to(folder).parts) & set(IGNORED_DIRS)]
        if nested and not present:
            return (f"expected {', '.join(n for n in expected if n not in present)} but found it in a subfolder "
                    f"({shown(nested[0])}): put it directly in the {assignment} folder and submit it again")
        return problem
    for name in expected:
        try:
            nb = read_submission(folder / name)
        except ValueError as exc:
            return str(exc)
        problem = notebook_problem(nb, assignment, name, layout.path("source"))
        if problem:
            return problem
    return None


# ------------------------------------------------------------------------- misplaced files


@dataclass(frozen=True)
class Misplaced:
    """A file or folder under ``submitted/`` that no grading run picks up.

    ``should_be`` is where it belongs (``None``: cannot tell); nothing is moved."""

    path: Path
    reason: str
    should_be: Path | None = None

    def line(self, root: Path | None = None) -> str:
        """One line for a person: ``path: reason (should be: ...)``."""
        rel = lambda p: p.relative_to(root) if root and p.is_relative_to(root) else p  # noqa: E731
        where = f" (should be {shown(rel(self.should_be))})" if self.should_be else ""
        return f"{shown(rel(self.path))}: {self.reason}{where}"


def _read(path: Path) -> object | None:
    if path.stat().st_size > MAX_GUESS_BYTES:
        return None  # placed by its name only
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 (not a notebook: it cannot be placed, only reported)
        return None


def _guess(path: Path, signatures: list[NotebookSignature]) -> NotebookSignature | None:
    """The source notebook that the notebook file ``path`` answers: by its cells, else by its name."""
    if path.is_symlink() or not path.is_file():
        return None
    nb = _read(path)
    found = identify(nb, signatures) if nb is not None else None
    if found is None:
        by_name = [s for s in signatures if intended_name(path.name, [s.name])]
        found = by_name[0] if len(by_name) == 1 else None
    return found


def _folder_guess(folder: Path, known: list[str], signatures: list[NotebookSignature]) -> str | None:
    """The assignment an unknown folder (``10-knn``, ``knn``, ``10_KNN``) stands for."""
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() == SUFFIX and (found := _guess(path, signatures)):
            return found.assignment
    norm = lambda text: re.sub(r"[^a-z0-9]", "", text.lower())  # noqa: E731
    name = norm(folder.name)
    for assignment in known:
        slug = assignment.split("_", 1)[-1]
        stems = {PurePath(s.name).stem for s in signatures if s.assignment == assignment}
        if name and name in {norm(assignment), norm(slug), *map(norm, stems)}:
            return assignment
    return None


def find_misplaced(layout: CourseLayout, assignments: Iterable[str] | None = None) -> list[Misplaced]:
    """Everything under ``submitted/`` that grading would skip or misread, with where it belongs.

    ``assignments``: assignment names to accept as folders besides the course's own
    (``solutions/``), which are always accepted. Reported: files directly in ``submitted/``;
    notebooks directly in ``submitted/<student>/`` (placed by their cells or name);
    ``submitted/<assignment>/<student>/`` (swapped levels: formgrader would list the
    assignment as a student); unknown assignment folders; in a submission folder, notebooks
    in subfolders, copies next to the graded notebook (``knn (1).ipynb``: only ``knn.ipynb``
    is graded) and notebooks of other assignments. Links are never followed. Nothing is
    moved or changed."""
    submitted, source = layout.path("submitted"), layout.path("source")
    known = sorted(set(assignments or []) | set(list_assignments(source)))
    signatures = course_signatures(source, known)
    found: list[Misplaced] = []
    if not submitted.is_dir():
        return found
    for top in sorted(submitted.iterdir()):
        if top.name.startswith("."):
            continue
        if top.is_symlink():
            found.append(Misplaced(top, "a link in submitted/: not followed, not graded"))
        elif not top.is_dir():
            found.append(Misplaced(top, "a file directly in submitted/, outside any student folder: it belongs "
                                        "in submitted/<student>/<assignment>/"))
        elif top.name in known:
            found += _swapped(top, submitted, known)
        else:
            found += _student_folder(top, known, signatures)
    return found


def _swapped(top: Path, submitted: Path, known: list[str]) -> list[Misplaced]:
    """``submitted/<assignment>/...``: a student folder named like an assignment."""
    out = []
    for child in sorted(top.iterdir()):
        if child.name.startswith(".") or child.name in IGNORED_DIRS:
            continue
        if child.is_dir() and not child.is_symlink() and child.name not in known:
            out.append(Misplaced(child, f"{top.name} is an assignment, not a student: the folder levels are "
                                        "swapped", submitted / child.name / top.name))
        else:
            out.append(Misplaced(child, f"{top.name} is an assignment, not a student, and there is no student "
                                        f"folder: it belongs in submitted/<student>/{top.name}/"))
    return out


def _student_folder(student_dir: Path, known: list[str], signatures: list[NotebookSignature]) -> list[Misplaced]:
    out = []
    for child in sorted(student_dir.iterdir()):
        if child.name.startswith(".") or child.name in IGNORED_DIRS:
            continue
        if child.is_symlink():
            out.append(Misplaced(child, "a link in a student folder: not followed"))
        elif child.is_file() and child.suffix.lower() == SUFFIX:
            guess = _guess(child, signatures)
            out.append(Misplaced(child, "a notebook directly in the student folder, outside any assignment folder"
                                        + ("" if guess else ": could not tell which assignment it is"),
                                 student_dir / guess.assignment / guess.name if guess else None))
        elif child.is_dir() and child.name in known:
            out += _inside_submission(child, signatures)
        elif child.is_dir():
            guess = _folder_guess(child, known, signatures)
            out.append(Misplaced(child, f"no assignment is called {shown(child.name)}"
                                        + ("" if guess else f" (assignments: {', '.join(known) or 'none'})"),
                                 student_dir / guess if guess else None))
    return out


def _inside_submission(folder: Path, signatures: list[NotebookSignature]) -> list[Misplaced]:
    """Notebooks in a submission folder that are not graded there."""
    assignment = folder.name
    expected = [s.name for s in signatures if s.assignment == assignment]
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        graded_here = path.name in expected and path.parent == folder
        if path.suffix.lower() != SUFFIX or set(rel.parts) & set(IGNORED_DIRS) or graded_here:
            continue
        if path.is_symlink() or not path.is_file():
            continue  # links and special files: submission_problem refuses the folder
        meant = path.name if path.name in expected else intended_name(path.name, expected)
        if meant and (folder / meant).is_file():
            out.append(Misplaced(path, f"a copy of {meant}: only {assignment}/{meant} is graded"))
        elif meant:
            out.append(Misplaced(path, f"not graded under this name or in a subfolder: the notebook must be "
                                       f"{assignment}/{meant}", folder / meant))
        elif (guess := _guess(path, signatures)) is not None and guess.assignment != assignment:
            out.append(Misplaced(path, f"the notebook of {guess.assignment}, in the folder of {assignment}",
                                 folder.parent / guess.assignment / guess.name))
    return out


# -------------------------------------------------------------------- timestamps, feedback


def ensure_timestamp(folder: Path) -> bool:
    """Write ``folder/timestamp.txt`` when it is missing; return whether it wrote one.

    ``nbgrader submit`` and ``collect`` put a ``timestamp.txt`` (when the submission came
    in) in every submission folder; a folder copied in by hand has none, and ``nbgrader
    release_feedback`` then fails on it. This writes the newest notebook's modification
    time (capped at now), in nbgrader's own format and time zone (UTC), so ``parse_utc``
    reads it.

    It does not change the submission: the notebooks, what is graded, are neither read nor
    written; ``timestamp.txt`` is nbgrader's receipt, which ``submit`` would have written,
    and an existing one is never replaced (nor a link followed). Be aware that nbgrader
    computes lateness from it at autograde: a notebook copied after the due date without
    keeping its time (``cp`` rather than ``cp -p``) is then late; without the file it would
    count as on time. No notebook directly in ``folder``: nothing is written."""
    folder = Path(folder)
    target = folder / "timestamp.txt"
    if folder.is_symlink() or not folder.is_dir() or target.exists() or target.is_symlink():
        return False
    times = [p.lstat().st_mtime for p in folder.iterdir()
             if p.suffix.lower() == SUFFIX and p.is_file() and not p.is_symlink()]
    if not times:
        return False
    when = datetime.datetime.fromtimestamp(min(max(times), datetime.datetime.now().timestamp()), datetime.timezone.utc)
    try:
        with open(target, "x", encoding="utf-8") as fh:  # "x": never replaces a file written meanwhile
            fh.write(when.strftime(TIMESTAMP_FORMAT))
    except FileExistsError:
        return False
    return True


def ensure_submission_secret(folder: Path) -> bool:
    """Write ``folder/submission_secret.txt`` when it is missing; return whether it wrote one.

    ``nbgrader release_feedback`` reads it next to every feedback page (it names the released
    file) and fails without it, as it does without ``timestamp.txt``. ``nbgrader submit``
    writes a random one and keeps a copy for the student, which is how ``fetch_feedback``
    finds the page; a hand-copied submission has no such copy, so a new random secret (as
    ``submit`` makes it) only keeps ``release_feedback`` from failing (the student gets the
    feedback some other way). Like ``ensure_timestamp``, the notebooks are untouched and an
    existing file is never replaced."""
    import secrets

    folder = Path(folder)
    target = folder / "submission_secret.txt"
    if folder.is_symlink() or not folder.is_dir() or target.exists() or target.is_symlink():
        return False
    try:
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(64))
    except FileExistsError:
        return False
    return True


#: The page's only style (allowed in the CSP by its hash).
_STYLE = ("body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}"
          ".reason{white-space:pre-wrap;border-left:4px solid #c33;padding:.5em 1em;background:#fdf3f3}")


def error_feedback_html(assignment: str, notebook: str, reason: str) -> str:
    """A feedback page saying that ``notebook`` could not be graded, and why: no script, a
    CSP ``<meta>`` first in ``<head>`` (``grading.html_safety.FEEDBACK_CSP``), and every
    text escaped (the reason may hold names the student chose)."""
    from grading.html_safety import FEEDBACK_CSP, _csp_hash

    csp = FEEDBACK_CSP.format(styles=_csp_hash(_STYLE))
    e = lambda text: html.escape(str(text), quote=True)  # noqa: E731
    text = safe_text(reason, 3000, one_line=False)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta http-equiv="Content-Security-Policy" content="{e(csp)}">'
            f'<meta charset="utf-8"><title>{e(assignment)}: {e(notebook)} was not graded</title>'
            f"<style>{_STYLE}</style></head>\n<body><h1>{e(assignment)}: {e(notebook)} was not graded</h1>\n"
            f"<p>Your submission could not be graded, for this reason:</p>\n<p class=\"reason\">{e(text)}</p>\n"
            "<p>No points were given for it. Fix what the reason says and submit again; ask your instructor "
            "if it is unclear.</p></body></html>\n")


def write_error_feedback(layout: CourseLayout, assignment: str, student: str, reason: str) -> Path:
    """Write ``feedback/<student>/<assignment>/<notebook>.html`` for every notebook of
    ``assignment``, saying it could not be graded and why; return that folder.

    So that ``nbgrader release_feedback`` hands the reason to the student, the submission's
    ``timestamp.txt`` and ``submission_secret.txt`` are copied next to the pages (it reads
    both there) when the submitted folder has them as plain files."""
    if student in ("", ".", "..") or "/" in student or "\0" in student:
        raise ValueError(f"not a student id: {shown(student)}")
    root = layout.path("feedback")
    folder = root / student / assignment
    if (root / student).is_symlink() or folder.is_symlink():
        raise ValueError(f"the feedback folder of {shown(student)} is a link; not written")
    folder.mkdir(parents=True, exist_ok=True)
    for source in source_notebooks(assignment, layout.path("source")):
        _replace(folder / f"{source.stem}.html", error_feedback_html(assignment, source.stem, reason))
    from grading.html_safety import NBGRADER_RECEIPTS, RECEIPT_MAX_BYTES  # what feedback folders keep

    submitted = layout.path("submitted") / student / assignment
    for name in sorted(NBGRADER_RECEIPTS):
        src = submitted / name
        if src.is_file() and not src.is_symlink() and src.stat().st_size <= RECEIPT_MAX_BYTES:
            _replace(folder / name, src.read_text(encoding="utf-8", errors="replace"))
    return folder


def _replace(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file and a rename (a link there is replaced, not followed)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    with open(tmp, "x", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)
