"""How feedback and formgrader pages are made: offline, readable, nothing of the grader's shown.

``configure_feedback`` (called by ``grading.course.apply_course_config``, so by
``python -m grading``, the ``nbgrader`` CLI and formgrader alike) sets up, on top of
``grading.html_safety`` (sanitizing, no script, a CSP, a pruned feedback folder):

- the feedback preprocessors: scores (nbgrader's ``GetGrades``; written answers not graded
  yet say so, ``grading.preprocessors.written``), hidden tests kept hidden
  and visible failures worded as such (``grading.preprocessors.hidden_tests``), the grader's
  absolute paths rewritten (``grading.preprocessors.grader_paths``);
- the course's feedback template (``grading/templates/course_feedback``): nbgrader's, with
  each test named by its grade id and math as MathML made in Python
  (``grading.preprocessors.mathml``), so the page needs no MathJax, no script and no network;
- formgrader's submission view (``grading/templates/formgrade``): nbgrader's page, with the
  same MathML in place of MathJax from a CDN (and a stand-in for the one MathJax call of
  formgrader's own script), so it works offline too.
"""

from __future__ import annotations

import os
from pathlib import Path

from grading.course import REPO_ROOT, CourseLayout

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEEDBACK_TEMPLATE = "course_feedback"
FORMGRADE_TEMPLATE_FILE = TEMPLATES / "formgrade" / "course_formgrade.html.j2"


def nbgrader_templates() -> str:
    """nbgrader's own template folder (its feedback and formgrade templates)."""
    import nbgrader

    return os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")


def configure_feedback(c, layout: CourseLayout) -> None:
    """Feedback's preprocessors and template, formgrader's template, and the HTML safety
    settings of ``grading.html_safety`` for the course in ``layout``."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades

    from grading.html_safety import configure_html_safety
    from grading.preprocessors.grader_paths import ScrubGraderPaths
    from grading.preprocessors.hidden_tests import ClearHiddenTestOutputs
    from grading.preprocessors.mathml import tex_math
    from grading.preprocessors.written import MarkUngradedAnswers

    # ClearHiddenTestOutputs reads the hidden markers, so it runs before ClearHiddenTests
    # removes them (nbgrader issue #917: feedback would show the hidden tests' source).
    # MarkUngradedAnswers: written answers not graded yet say so (nbgrader's GetGrades gives 0).
    c.GenerateFeedback.preprocessors = [
        GetGrades, MarkUngradedAnswers, ClearHiddenTestOutputs, ClearHiddenTests, ScrubGraderPaths,
        CSSHTMLHeaderPreprocessor,
    ]
    c.ScrubGraderPaths.roots = sorted({str(layout.root), str(REPO_ROOT)})
    # Issue 19: formgrader and feedback show submissions as inert HTML; feedback holds only it.
    configure_html_safety(c, *(layout.path(step) for step in ("source", "autograded", "feedback", "submitted")))
    c.HTMLExporter.filters = {**c.HTMLExporter.get("filters", {}), "tex_math": tex_math}

    # Formgrader builds a plain HTMLExporter with nbgrader's "formgrade" template (it sets
    # template_name and extra_template_basedirs itself); a template *file* is still ours to
    # choose. nbconvert finds it through its folder, which it adds to extra_template_paths.
    c.HTMLExporter.template_file = str(FORMGRADE_TEMPLATE_FILE)
    # Feedback's exporter (a subclass) takes its own template, whatever HTMLExporter has.
    c.FeedbackExporter.template_name = FEEDBACK_TEMPLATE
    c.FeedbackExporter.template_file = "index.html.j2"
    c.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES), nbgrader_templates()]
