"""What a grader's or a student's browser runs when it shows a submission: nothing of the student's.

``configure_html_safety`` (called by ``grading.feedback.configure_feedback``, from
``grading.course.apply_course_config``, so by ``python -m grading``, the ``nbgrader`` CLI and
formgrader alike) sets up:

- sanitizing for every ``HTMLExporter`` nbgrader builds from the configuration: formgrader's
  submission views and the feedback (``grading.preprocessors.sanitize``);
- ``FeedbackExporter`` for feedback: the sanitized page without any script (the course's
  template loads none: math is MathML made in Python, ``grading.preprocessors.mathml``) and
  with a Content-Security-Policy ``<meta>`` as the first element of ``<head>``, a second
  wall should anything slip through;
- a feedback folder that holds only the notebooks' ``.html``: nbgrader would also copy
  every other file of the autograded folder, which is the student kernel's working folder.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import shutil
from pathlib import Path

from bs4 import BeautifulSoup
from nbconvert.exporters import HTMLExporter

#: The feedback page's policy; ``{styles}`` are the hashes of the template's own inline
#: ``<style>`` blocks. No script at all, nothing fetched but images and fonts from the page
#: itself or ``data:``, no frames, plugins, forms or ``<base>``.
FEEDBACK_CSP = ("default-src 'none'; script-src 'none'; style-src {styles}; img-src data: 'self'; "
                "font-src data: 'self'; connect-src 'none'; frame-src 'none'; child-src 'none'; "
                "object-src 'none'; media-src 'none'; worker-src 'none'; manifest-src 'none'; "
                "base-uri 'none'; form-action 'none'")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def harden_feedback_html(html: str) -> str:
    """The feedback page with its scripts removed and a CSP ``<meta>`` first in ``<head>``.

    Runs on the exporter's output, which should hold no script at all (the cells were
    sanitized before and the course's template loads none; a template that still loaded
    MathJax would lose it here). The template's inline styles (in ``<head>``) are allowed
    by hash; nothing else is.
    """
    soup = BeautifulSoup(html, features="html.parser")
    for tag in soup.find_all(["script", "noscript", "link", "base"]):
        tag.decompose()
    head = soup.head
    if head is None:
        head = soup.new_tag("head")
        (soup.html or soup).insert(0, head)
    # Only the template's own styles, which are all in <head>; cells are rendered in <body>.
    styles = sorted({_csp_hash(style.string or "") for style in head.find_all("style")})
    for old in head.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"}):
        old.decompose()
    meta = soup.new_tag("meta", attrs={"http-equiv": "Content-Security-Policy",
                                       "content": FEEDBACK_CSP.format(styles=" ".join(styles) or "'none'")})
    head.insert(0, meta)
    return str(soup)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback ``HTMLExporter`` whose pages run no script and carry a CSP.

    Its template is the course's (``grading/templates/course_feedback``, set by
    ``grading.feedback``): math is MathML made while the page is rendered, so it shows
    offline and without a script.
    """

    def from_notebook_node(self, nb, resources=None, **kw):
        html, resources = super().from_notebook_node(nb, resources, **kw)
        return harden_feedback_html(html), resources


#: nbgrader's receipts, which ``release_feedback`` reads next to each page (the submission
#: time; the secret hashed into the released file's name). Plain text, never served as a
#: page. They are always taken from the submitted folder, never from what grading left:
#: student code runs in the autograded folder and could rewrite them there.
NBGRADER_RECEIPTS = frozenset({"timestamp.txt", "submission_secret.txt"})
RECEIPT_MAX_BYTES = 1024


def prune_feedback_folder(folder: Path, notebooks: list[str], receipts_from: Path | None = None) -> list[str]:
    """Delete everything in one feedback folder but ``<notebook>.html`` of ``notebooks``
    (names without ``.ipynb``), then copy nbgrader's receipts (``NBGRADER_RECEIPTS``) from
    ``receipts_from`` (the submitted folder) where they are small plain files there; return
    what was removed (relative paths)."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return []
    keep = {f"{name}.html" for name in notebooks}
    removed = []
    for path in sorted(folder.iterdir()):
        if path.name in keep and path.is_file() and not path.is_symlink():
            continue
        removed.append(path.name)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if receipts_from is not None and not Path(receipts_from).is_symlink():
        for name in sorted(NBGRADER_RECEIPTS):
            source = Path(receipts_from) / name
            if source.is_file() and not source.is_symlink() and source.stat().st_size <= RECEIPT_MAX_BYTES:
                shutil.copyfile(source, folder / name, follow_symlinks=False)
                if name in removed:
                    removed.remove(name)
    return removed


def prune_feedback_hook(source: str, autograded: str, feedback: str, submitted: str | None = None,
                        assignment=None, student=None, notebooks=()):
    """nbgrader's ``GenerateFeedback.post_convert_hook``: prune the feedback folders just
    written (nbgrader passes the autograded notebooks of one submission) to the HTML of the
    assignment's own notebooks (those in ``source``; a notebook the student's code wrote into
    its folder gets none)."""
    by_folder: dict[Path, list[str]] = {}
    for notebook in notebooks:
        path = Path(notebook).resolve()
        by_folder.setdefault(path.parent, []).append(path.stem)
    for folder, names in by_folder.items():
        relative = folder.relative_to(Path(autograded).resolve())  # <student>/<assignment>
        graded = Path(source) / relative.name
        if graded.is_dir():
            names = [name for name in names if (graded / f"{name}.ipynb").is_file()]
        prune_feedback_folder(Path(feedback) / relative, names,
                              receipts_from=Path(submitted) / relative if submitted else None)


def configure_html_safety(c, source: Path, autograded: Path, feedback: Path, submitted: Path | None = None) -> None:
    """Sanitize every HTML rendering of a submission, harden feedback pages, and keep only
    the graded notebooks' HTML in feedback folders (the arguments: the course's folders)."""
    from grading.preprocessors.sanitize import SafeMarkdown, SanitizeSubmission, clean_html

    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.skip_svg_encoding = False  # SVG only ever as an <img>, where scripts never run
    c.HTMLExporter.preprocessors = [SanitizeSubmission]
    c.HTMLExporter.filters = {"markdown2html": SafeMarkdown, "clean_html": clean_html}
    c.GenerateFeedback.exporter_class = FeedbackExporter
    c.GenerateFeedback.post_convert_hook = functools.partial(
        prune_feedback_hook, str(source), str(autograded), str(feedback), str(submitted) if submitted else None)
