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

_DELIMITED = re.compile(r"""
    (?P<escaped>\\\$)
  | \$\$(?P<dollars>(?:\\.|[^\\$])+?)\$\$
  | \\\[(?P<bracket>.+?)\\\]
  | (?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.+?\\end\{(?P=name)\})
  | \\\((?P<paren>.+?)\\\)
  | \$(?P<dollar>(?:\\.|[^\\$])+?)\$
""", re.S | re.X)


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
    at, found = 0, False
    for match in _DELIMITED.finditer(text):
        if match.group("escaped"):
            out.append(text[at:match.start()] + "$")
            at, found = match.end(), True
            continue
        display = match.group("dollars") is not None or match.group("bracket") is not None or match.group("env")
        tex = next(g for g in (match.group("dollars"), match.group("bracket"), match.group("env"),
                               match.group("paren"), match.group("dollar")) if g is not None)
        if not budget.take(tex):
            break
        math = tex_to_mathml(soup, tex, bool(display))
        if math is None:
            continue
        out += [text[at:match.start()], math]
        at, found = match.end(), True
    if not found:
        return None
    out.append(text[at:])
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
