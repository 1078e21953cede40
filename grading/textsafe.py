"""Text a submission controls, made safe to print and to put in a spreadsheet.

Finding details, error reasons, test messages and student ids can hold anything a student
wrote: ANSI escape sequences that recolour or clear the instructor's terminal, ``\\r`` and
``\\b`` that overwrite a line, bidirectional overrides that reorder it, lone surrogates
that make ``print`` raise, megabytes of text. ``safe_text`` shows such characters as
escapes (``\\x1b``) and caps the length; ``safe_cell`` also keeps a CSV field from being
read as a spreadsheet formula.
"""

from __future__ import annotations

import unicodedata

#: Unicode categories shown as escapes: control (C0, DEL, C1), format (bidi overrides,
#: zero-width characters), lone surrogates, line and paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
ELLIPSIS = "..."


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def safe_text(value: object, max_len: int | None = 300, *, one_line: bool = True) -> str:
    """``value`` as text without characters that act on a terminal, at most ``max_len`` long.

    Control and format characters become visible escapes (``\\x1b``); with ``one_line``
    also newlines and tabs (``\\n``, ``\\t``), else those two are kept. Longer text is cut
    and ends with "...".
    """
    text = value if isinstance(value, str) else str(value)
    if max_len is not None:
        text = text[:max_len + 1]  # every character yields at least one
    out = []
    for ch in text:
        if ch.isprintable() or (not one_line and ch in "\n\t"):
            out.append(ch)
        elif ch in "\n\t\r" or unicodedata.category(ch) in UNSAFE_CATEGORIES:
            out.append(_escape(ch))
        else:
            out.append(ch)  # other spaces, private-use and unassigned code points are inert
    result = "".join(out)
    if max_len is not None and len(result) > max_len:
        result = result[:max(0, max_len - len(ELLIPSIS))] + ELLIPSIS
    return result


def safe_cell(value: object) -> str | int | float:
    """A CSV field: numbers stay numbers; text that a spreadsheet would read as a formula
    (``=``, ``+``, ``-``, ``@``, tab, CR, LF first) gets a leading ``'``, which spreadsheets
    show as text. The csv module quotes commas, quotes and newlines."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
