"""Render submissions as inert HTML: no student script runs in a grader's or student's browser.

An autograded notebook is student content: its markdown cells, and every output its code
produced (``display(HTML(...))``, ``display(Javascript(...))``, SVG, output metadata), are
under the student's control. Formgrader renders it for the grader and ``generate_feedback``
for the student, both with nbconvert's ``HTMLExporter``. nbconvert's own
``HTMLExporter.sanitize_html`` leaves holes in the templates nbgrader uses (formgrade,
feedback):

- nbgrader's templates render markdown cells (and grader comments) with ``markdown2html``
  and no ``clean_html``, and the markdown renderer passes raw HTML and ``javascript:``
  links through;
- output metadata is copied into attributes: an image's ``width`` lands unquoted in an
  ``<img>`` tag (``width=1 onerror=...``), ``filenames`` becomes an ``src`` anywhere, and
  ``isolated`` HTML is put into an ``<iframe>``;
- ``text/vnd.mermaid`` outputs are written unescaped;
- ``clean_html`` keeps ``id`` and ``class``, so student HTML can reuse the ids formgrader's
  own script looks up (``$("#" + grade_id)``) or its classes (``.tabbable``).

This module closes them with bleach (nbconvert's own sanitizer library):
``SanitizeSubmission``, a subclass of nbconvert's ``SanitizeHTML`` preprocessor, keeps
only inert output types and metadata, and ``clean_html`` / ``SafeMarkdown`` replace the
exporter's ``clean_html`` and ``markdown2html`` filters so every piece of HTML rendered
from the notebook goes through one allowlist. Disallowed markup is escaped (shown as text),
so a grader sees what was attempted.
"""

from __future__ import annotations

import re

import bleach
from jinja2 import pass_context
from nbconvert.filters import markdown2html as plain_markdown2html
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbconvert.utils.base import NbConvertBase
from pygments.token import STANDARD_TYPES
from traitlets import default

#: Tags student HTML may use (formatting, lists, tables, images, code): no script, style,
#: iframe, object, embed, svg, math, form, link, meta or base.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "acronym", "b", "blockquote", "br", "caption", "code", "col", "colgroup",
    "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q",
    "s", "samp", "small", "span", "strike", "strong", "sub", "summary", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul", "var",
})

#: Attributes per tag; no ``id``/``name`` (they would shadow the page's own elements), no
#: ``style``, no event handlers. URLs are checked by ``_allowed_attribute``.
ALLOWED_ATTRIBUTES = {
    "*": {"class", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type"},
    "details": {"open"},
    "abbr": {"title"},
}

#: Only these URL schemes survive (bleach also drops anything it cannot parse).
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_LINK = re.compile(r"^(?:https?://|mailto:|#)", re.I)
#: Images come only from the page itself (``data:``): an external ``src`` would make the
#: grader's browser request a URL of the student's choice.
_IMAGE = re.compile(r"^data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*$", re.I)
_NUMBER = re.compile(r"^\d{1,5}(?:\.\d+)?(?:px|%)?$")

#: Class names rendered HTML needs (syntax highlighting, markdown, pandas tables); any other
#: class is dropped so student HTML cannot borrow the grading page's classes.
_SAFE_CLASS = re.compile(r"^(?:highlight|hl-[\w+-]+|language-[\w+-]+|anchor-link|dataframe|"
                         r"ansi-[\w-]+)$")
_PYGMENTS_CLASSES = frozenset(c for c in STANDARD_TYPES.values() if c)


def _safe_classes(value: str) -> str:
    return " ".join(c for c in value.split() if c in _PYGMENTS_CLASSES or _SAFE_CLASS.match(c))


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"]:
        return False
    if name == "href":
        return bool(_LINK.match(value.strip()))
    if name == "src":
        return bool(_IMAGE.match(value.strip()))
    if name in ("width", "height", "border"):
        return bool(_NUMBER.match(value.strip()))
    return True


class _ClassFilter:
    """A bleach filter (html5lib token stream, after bleach's own) that keeps only the safe
    class names and drops images left without a source."""

    def __init__(self, source):
        self.source = source

    def __iter__(self):
        for token in self.source:
            if token["type"] in ("StartTag", "EmptyTag") and token.get("name") == "img" \
                    and (None, "src") not in (token.get("data") or {}):
                continue
            if token["type"] in ("StartTag", "EmptyTag") and token.get("data"):
                attrs = token["data"]
                key = (None, "class")
                if key in attrs:
                    kept = _safe_classes(attrs[key])
                    if kept:
                        attrs[key] = kept
                    else:
                        del attrs[key]
            yield token


_CLEANER = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=_allowed_attribute, protocols=ALLOWED_PROTOCOLS,
                          strip=False, strip_comments=True, filters=[_ClassFilter])


#: ``<style>`` blocks (pandas puts one before every DataFrame) go with their contents:
#: escaped, they would show as CSS text above every table.
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>.*?</style\s*>", re.I | re.S)


def clean_html(html) -> str:
    """Student HTML reduced to inert markup; disallowed tags are escaped, not executed.

    Also registered as the exporter's ``clean_html`` filter (nbconvert's default keeps
    ``id``, ``class`` and any http(s) image).
    """
    html = html.decode() if isinstance(html, bytes) else str(html)
    return _CLEANER.clean(_STYLE_BLOCK.sub("", html))


_PASS_CONTEXT = pass_context(lambda context: None).jinja_pass_arg


class SafeMarkdown(NbConvertBase):
    """The ``markdown2html`` filter with its output cleaned.

    nbgrader's formgrade and feedback templates render markdown cells (and grader comments)
    with ``markdown2html`` alone, and markdown lets raw HTML and ``javascript:`` links
    through; this filter renders exactly as the exporter would, then cleans the result.
    Registered through ``HTMLExporter.filters``, which instantiates it with the exporter as
    ``parent``.
    """

    jinja_pass_arg = _PASS_CONTEXT  # receives the template context, like the filter it replaces

    def __call__(self, context, source):
        render = getattr(self.parent, "markdown2html", None)
        html = render(context, source) if render is not None else plain_markdown2html(source)
        return clean_html(html)


def _is_size(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or (isinstance(value, str) and bool(_NUMBER.match(value)))


#: Output metadata the templates read, with the values each may take (the templates write
#: ``width``/``height`` unquoted into ``<img>``).
_OUTPUT_METADATA = {
    "width": _is_size,
    "height": _is_size,
    "unconfined": lambda v: isinstance(v, bool),
    "needs_background": lambda v: v in ("light", "dark"),
    "alt": lambda v: isinstance(v, str),
}
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_OUTPUT_KEYS = {"output_type", "data", "metadata", "execution_count", "name", "text",
                "ename", "evalue", "traceback"}
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _clean_metadata(metadata) -> dict:
    out = {}
    for key, value in (metadata or {}).items():
        if key in _OUTPUT_METADATA and _OUTPUT_METADATA[key](value):
            out[key] = value
        elif isinstance(value, dict) and "/" in key:  # per-mimetype metadata
            inner = {k: v for k, v in value.items() if k in _OUTPUT_METADATA and _OUTPUT_METADATA[k](v)}
            if inner:
                out[key] = inner
    return out


class SanitizeSubmission(SanitizeHTML):
    """nbconvert's ``SanitizeHTML`` for submissions, with the holes listed above closed.

    - outputs keep only inert types: text, LaTeX (escaped), PNG/JPEG (checked to be
      base64), SVG (shown as an ``<img>``, where scripts never run), HTML (cleaned here) and
      markdown (cleaned by ``SafeMarkdown`` after rendering); JavaScript, widgets, mermaid,
      PDF, JSON and unknown types are dropped, with a note where nothing is left;
    - output metadata keeps only numeric sizes and the two display flags; ``filenames``
      (an ``src`` of the student's choice) and ``isolated`` (an iframe) go;
    - raw cells are cleaned; markdown cells are left to ``SafeMarkdown``, which cleans what
      the markdown renders to (cleaning the markdown source would mangle quotes and code);
    - nbgrader metadata whose ``grade_id`` is not a plain identifier is dropped (the
      formgrade template writes it unescaped into an attribute);
    - saved widget state in the notebook metadata is dropped.
    """

    @default("safe_output_keys")
    def _safe_output_keys_default(self):
        # text/markdown is rendered by SafeMarkdown and cleaned again by the template.
        return {"text/plain", "text/latex", "text/markdown", "image/png", "image/jpeg", "image/svg+xml"}

    @default("sanitized_output_types")
    def _sanitized_output_types_default(self):
        return {"text/html"}

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        nbgrader = cell.get("metadata", {}).get("nbgrader")
        if isinstance(nbgrader, dict) and "grade_id" in nbgrader and not _GRADE_ID.match(str(nbgrader["grade_id"])):
            del cell.metadata["nbgrader"]
        if cell.cell_type == "markdown":
            return cell, resources
        if "execution_count" in cell and not isinstance(cell.execution_count, int):
            cell.execution_count = None
        return super().preprocess_cell(cell, resources, cell_index)

    def sanitize_code_outputs(self, outputs):
        before = []
        for output in outputs:
            if "execution_count" in output and not isinstance(output["execution_count"], int):
                output["execution_count"] = None  # a forged count would fail nbconvert's validation
            for key in [k for k in output if k not in _OUTPUT_KEYS]:
                del output[key]
            before.append(set(output.get("data", {})))
            if output.get("output_type") in ("display_data", "execute_result"):
                output["metadata"] = _clean_metadata(output.get("metadata"))
                data = output.get("data", {})
                for key in ("image/png", "image/jpeg"):
                    if key in data and not (isinstance(data[key], str) and _BASE64.match(data[key])):
                        del data[key]
        outputs = super().sanitize_code_outputs(outputs)
        for output, types in zip(outputs, before):
            if output.get("output_type") in ("display_data", "execute_result") and not output.get("data"):
                # Say what is missing rather than leave an empty output.
                output["data"] = {"text/plain": f"[{', '.join(sorted(types)) or 'an'} output not shown here]"}
        return outputs

    def sanitize_html_tags(self, html_str):
        if isinstance(html_str, list):  # a multi-line string as stored in the notebook
            html_str = "".join(html_str)
        return clean_html(html_str)
