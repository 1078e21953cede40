"""Math in feedback and formgrader pages as MathML, made when the page is made: no script.

The feedback page runs no script at all (``grading.html_safety``: a CSP with
``script-src 'none'``), and its reader may be offline. nbgrader's templates typeset math
with MathJax from a CDN, so math showed as raw TeX. Here the TeX is turned into MathML in
Python while the page is rendered; browsers draw MathML Core themselves (Chromium 109+,
Firefox, Safari), so the page needs neither a network nor a script.

Why this converter: ``latex2mathml`` (PyPI, MIT, pure Python, no dependencies, maintained)
covers the TeX the course writes (fractions, sums, matrices, ``\\mathbf``, ``\\left(``,
``aligned``). The other candidate, the MathJax pinned for the decks
(``grading/slides_assets/node_modules/mathjax``), is MathJax 2.7, a browser-only build:
running it under node needs ``mathjax-node``, which is not pinned, and a node process per
page. Unknown commands are shown as their name, as MathJax shows them in red.

The TeX is the student's (markdown cells, ``text/latex`` outputs), so the MathML is never
taken as markup from the converter (whose string output does not even escape ``<`` in
``\\text{}``): its element tree is rebuilt here through an allowlist of MathML Core
elements and presentational attributes with plain values (no ``href``, ``style``,
``class``, ``id``, ``annotation-xml``, ``maction``; ``\\href`` and ``\\style`` are dropped),
and every text is escaped on output. Student HTML itself never gets ``<math>`` through
(``grading.preprocessors.sanitize``): only what this module builds from TeX does.

Where MathJax's ``tex2jax`` would look, this looks too: ``$$..$$``, ``\\[..\\]``,
``\\begin{env}..\\end{env}`` (display) and ``$..$``, ``\\(..\\)`` (inline) in text outside
``pre``, ``code``, ``textarea``, ``script`` and ``style``; ``\\$`` is a dollar sign.
TeX the converter rejects stays as it was written.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from bisect import bisect_left
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from jinja2 import pass_context

#: MathML Core presentation elements (plus ``menclose``, which the converter uses for
#: ``\\boxed``/``\\cancel``): nothing that links, embeds or carries foreign markup.
MATHML_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot",
    "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
    "mprescripts", "none", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "merror",
    "menclose",
})
#: Presentational attributes; values must match ``_VALUE`` (no ``:``, ``(`` or quotes,
#: so no URL and no CSS).
MATHML_ATTRIBUTES = frozenset({
    "display", "mathvariant", "displaystyle", "scriptlevel", "stretchy", "fence", "separator",
    "form", "lspace", "rspace", "minsize", "maxsize", "largeop", "movablelimits", "symmetric",
    "accent", "accentunder", "linethickness", "columnalign", "rowalign", "columnlines",
    "rowlines", "columnspacing", "rowspacing", "frame", "framespacing", "width", "height",
    "depth", "voffset", "notation", "linebreak", "mathcolor", "mathbackground", "mathsize",
    "columnspan", "rowspan", "equalrows", "equalcolumns",
})
_VALUE = re.compile(r"^[A-Za-z0-9 .%#+-]{0,64}$")
#: The converter writes characters as numeric references in its element texts.
_CHAR_REF = re.compile(r"&#x([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});")

#: Longest formula converted, deepest MathML kept, and most formulas and TeX per page: a
#: crafted notebook full of TeX costs a few seconds, not minutes; the rest stays as TeX.
#: (The course's notebooks have at most about 200 formulas each.)
MAX_TEX_CHARS = 5000
MAX_DEPTH = 64
MAX_FORMULAS = 1000
MAX_PAGE_TEX_CHARS = 100_000

_ALIGNED = re.compile(r"\\(begin|end)\{aligned\}")
_ARG = re.compile(r"\\arg(?![A-Za-z])")

#: Elements whose text MathJax does not typeset either.
SKIP_TAGS = frozenset({"pre", "code", "textarea", "script", "style", "noscript", "title", "math", "svg"})

#: A candidate opener (or escaped dollar), and what stops a ``$``-formula's scan.
_BACKSLASH_OR_DOLLAR = re.compile(r"[\\$]")
_BEGIN = re.compile(r"\\begin\{([A-Za-z]+\*?)\}")
_END = re.compile(r"\\end\{([A-Za-z]+\*?)\}")


@dataclass(frozen=True)
class Span:
    r"""One delimited piece of a text: ``text[start:end]``; ``tex`` None for an escaped ``\$``."""

    start: int
    end: int
    tex: str | None
    display: bool


class TexScanner:
    r"""The delimited math of ``text``, left to right, in linear time.

    It finds what this regex found with ``finditer`` (the alternatives tried in this order
    at each position, no two spans overlapping), which ``tests/grading/test_feedback.py``
    keeps as the reference::

        (?P<escaped>\\\$)
      | \$\$(?P<dollars>(?:\\.|[^\\$])+?)\$\$
      | \\\[(?P<bracket>.+?)\\\]
      | (?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})
      | \\\((?P<paren>.+?)\\\)
      | \$(?P<dollar>(?:\\.|[^\\$])+?)\$          (re.S | re.X)

    The regex scanned to the end of the text for every ``\[``, ``\(`` or ``\begin{x}``
    that never closes, so its time grew with the square of the length (a student's cell
    of ``\begin{a}`` repeated stalled the feedback and formgrader pages). Here the
    positions of each closer (``\]``, ``\)``, ``\end{name}`` per name) are listed once and
    each opener takes the first one after it by bisection. A ``$`` scans to the next ``$``
    it can see (a backslash escapes one character); a scan that runs to the end of the text
    leaves every later ``$`` escaped or inside another span, so these scans are linear in
    all. ``steps`` counts the work (candidates visited, closers listed, scan stops, look-ups).
    """

    def __init__(self, text: str):
        self.text = text
        self.steps = 0
        self._closers: dict[str, list[int]] | None = None
        self._ends: dict[str, list[int]] = {}

    def _listed(self) -> None:
        text = self.text
        self._closers = {"[": [], "(": []}
        for kind, closer in (("[", "\\]"), ("(", "\\)")):
            at = text.find(closer)
            while at >= 0:
                self._closers[kind].append(at)
                at = text.find(closer, at + 2)  # a closer cannot overlap itself
        ends: dict[str, list[int]] = {}
        for match in _END.finditer(text):
            ends.setdefault(match.group(1), []).append(match.start())
        self._ends = ends
        self.steps += 1 + sum(map(len, self._closers.values())) + sum(map(len, ends.values()))

    def _next(self, positions: list[int], at: int) -> int | None:
        """The first of ``positions`` (sorted) at or after ``at``."""
        self.steps += 1
        i = bisect_left(positions, at)
        return positions[i] if i < len(positions) else None

    def _dollar(self, at: int) -> int | None:
        r"""Where ``(?:\\.|[^\\$])*`` from ``at`` stops at a ``$``; None at the end."""
        text = self.text
        while True:
            self.steps += 1
            match = _BACKSLASH_OR_DOLLAR.search(text, at)
            if match is None:
                return None
            at = match.start()
            if text[at] == "$":
                return at
            if at + 1 >= len(text):  # a lone backslash at the end escapes nothing
                return None
            at += 2

    def _match(self, i: int) -> Span | None:
        """The span starting at ``i`` (a backslash or a dollar), if one does."""
        text = self.text
        if text[i] == "$":
            if text.startswith("$$", i):
                stop = self._dollar(i + 2)
                if stop is not None and stop > i + 2 and text.startswith("$$", stop):
                    return Span(i, stop + 2, text[i + 2:stop], True)
            stop = self._dollar(i + 1)
            if stop is not None and stop > i + 1:
                return Span(i, stop + 1, text[i + 1:stop], False)
            return None
        after = text[i + 1:i + 2]
        if after == "$":
            return Span(i, i + 2, None, False)
        if after not in ("[", "(", "b"):
            return None
        if self._closers is None:
            self._listed()
        if after in "[(":
            close = self._next(self._closers[after], i + 3)  # at least one character inside
            if close is None:
                return None
            return Span(i, close + 2, text[i + 2:close], after == "[")
        begin = _BEGIN.match(text, i)
        if begin is None:
            return None
        name = begin.group(1)
        close = self._next(self._ends.get(name, []), begin.end() + 1)
        if close is None:
            return None
        end = close + len(name) + 6  # \\end{name}
        return Span(i, end, text[i:end], True)

    def __iter__(self):
        text, at = self.text, 0
        while True:
            candidate = _BACKSLASH_OR_DOLLAR.search(text, at)
            if candidate is None:
                return
            self.steps += 1
            span = self._match(candidate.start())
            if span is None:
                at = candidate.start() + 1
            else:
                yield span
                at = span.end


def _char(match: re.Match) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"


def _text(value: str | None) -> str:
    return _CHAR_REF.sub(_char, value or "")


def _rebuild(soup: BeautifulSoup, element: ET.Element) -> list:
    """``element`` as bs4 nodes through the allowlist (an element not allowed keeps only
    its children), with texts as plain strings (escaped when the page is written)."""
    tag = element.tag.rsplit("}", 1)[-1]
    children: list = []
    if element.text:
        children.append(NavigableString(_text(element.text)))
    for child in element:
        children.extend(_rebuild(soup, child))
        if child.tail:
            children.append(NavigableString(_text(child.tail)))
    if tag not in MATHML_ELEMENTS:
        return children
    attrs = {name: value for name, value in element.attrib.items()
             if name in MATHML_ATTRIBUTES and isinstance(value, str) and _VALUE.match(value)}
    node = soup.new_tag(tag, attrs=attrs)
    for child in children:
        node.append(child)
    return [node]


@dataclass
class Budget:
    """What is left to convert on one page."""

    formulas: int = MAX_FORMULAS
    chars: int = MAX_PAGE_TEX_CHARS

    def take(self, tex: str) -> bool:
        if self.formulas <= 0 or self.chars < len(tex):
            return False
        self.formulas -= 1
        self.chars -= len(tex)
        return True


def _depth(element: ET.Element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node)
    return deepest


def tex_to_mathml(soup: BeautifulSoup, tex: str, display: bool) -> Tag | None:
    """A ``<math>`` element for ``tex``, or ``None`` when it cannot be converted."""
    from latex2mathml.converter import convert_to_element

    if not tex.strip() or len(tex) > MAX_TEX_CHARS:
        return None
    # The converter knows ``split`` (the same alignment) but not ``aligned``, nor ``\\arg``.
    tex = _ARG.sub(r"\\operatorname{arg}", _ALIGNED.sub(r"\\\1{split}", tex))
    try:
        element = convert_to_element(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any TeX the converter rejects (or RecursionError) stays TeX
        return None
    if _depth(element) > MAX_DEPTH:  # nothing real nests this deep; building it would recurse
        return None
    nodes = _rebuild(soup, element)
    if len(nodes) != 1 or not isinstance(nodes[0], Tag):
        return None
    math = nodes[0]
    # No xmlns: an HTML parser puts <math> in the MathML namespace by itself.
    math.attrs = {**math.attrs, "display": "block" if display else "inline"}
    return math


def _pieces(soup: BeautifulSoup, text: str, budget: Budget) -> list | None:
    """``text`` split into strings and ``<math>`` elements, or ``None`` when it holds no math."""
    out: list = []
    # The text between two formulas, escaped dollars included, is one string: a node per
    # ``\\$`` would make bs4's inserts quadratic on a cell of escaped dollars.
    between: list[str] = []
    at, found = 0, False
    for span in TexScanner(text):
        if span.tex is None:  # \\$: a dollar sign
            between.append(text[at:span.start] + "$")
            at, found = span.end, True
            continue
        if not budget.take(span.tex):
            break
        math = tex_to_mathml(soup, span.tex, span.display)
        if math is None:
            continue
        between.append(text[at:span.start])
        out += ["".join(between), math]
        between = []
        at, found = span.end, True
    if not found:
        return None
    between.append(text[at:])
    out.append("".join(between))
    return [piece for piece in out if not isinstance(piece, str) or piece]


def _skipped(node) -> bool:
    return any(isinstance(parent, Tag) and parent.name in SKIP_TAGS for parent in node.parents)


def render_math(root: Tag | BeautifulSoup, soup: BeautifulSoup | None = None, budget: Budget | None = None) -> int:
    """Replace TeX in the texts under ``root`` by MathML; return how many texts changed."""
    soup = soup or (root if isinstance(root, BeautifulSoup) else BeautifulSoup("", "html.parser"))
    budget = budget or Budget()
    changed = 0
    texts = [node for node in root.find_all(string=True)
             if type(node) is NavigableString and ("$" in node or "\\" in node) and not _skipped(node)]
    for node in texts:
        pieces = _pieces(soup, str(node), budget)
        if pieces is None:
            continue
        for piece in pieces:
            node.insert_before(NavigableString(piece) if isinstance(piece, str) else piece)
        node.extract()
        changed += 1
    return changed


def typeset(html, budget: Budget | None = None) -> str:
    """An HTML fragment with its TeX typeset as MathML (see the module docstring)."""
    html = str(html)
    if "$" not in html and "\\" not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    if not render_math(soup, soup, budget):
        return html
    return str(soup)


@pass_context
def tex_math(context, html) -> str:
    """Jinja filter: ``typeset`` for the course's feedback and formgrade templates
    (``grading/templates``), on rendered markdown and ``text/latex`` outputs after every
    cleaning step. One page shares one ``Budget``, kept in the page's ``resources``."""
    resources = context.get("resources") if context is not None else None
    budget = resources.setdefault("tex_math_budget", Budget()) if isinstance(resources, dict) else None
    return typeset(html, budget)
