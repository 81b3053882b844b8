"""Text that came from data, a user's file or input, made safe to show on a terminal or in a sheet.

A title, a descriptor, a source's name, a claim id or a ``RELEASE`` line may hold control
characters: ESC sequences that recolour, move the cursor, clear the screen or retitle a window
(OSC), a carriage return that redraws a line, a bell; or characters that print as nothing (a
zero-width space), so that two different claim ids print alike. :func:`visible` writes every
character that is not printable (controls, format characters, separators other than the space, the
bidirectional overrides that reorder what a reader sees) and every one that prints as nothing as a
visible escape (``\\x1b``, ``\\u200b``), keeping newline and tab where the layout needs them
(``keep``). JSON output escapes the controls itself, keeps the rest as they are (a program compares
them exactly) and does not use this. :func:`formula_safe` neutralises a spreadsheet formula in a CSV
cell (the OWASP rule).
"""

from __future__ import annotations

import re
from functools import cache

_INVISIBLE = "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef"
"""Characters Python counts as printable that print as nothing: the combining grapheme joiner, the
Hangul and Khmer fillers, the blank Braille pattern, the variation selectors. Escaped as the
characters that are not printable are, so that two claim ids never print alike."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@cache
def _invisible() -> re.Pattern[str]:
    """The printable characters that print as nothing (compiled on first use)."""
    return re.compile(f"[{_INVISIBLE}]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text: str, keep: bool = True) -> str:
    """``text`` with every character that is not printable written as an escape (``\\x1b``,
    ``\\u200b``): C0 and C1 controls, format characters (zero-width spaces and joiners, bidirectional
    marks and overrides, the byte order mark, tag characters), separators other than the space (a
    no-break space, the line and paragraph separators), surrogates, private-use and unassigned code
    points, and the printable characters that print as nothing (:data:`_INVISIBLE`); newline and tab
    kept when ``keep``, escaped too otherwise (a one-line message, a table row)."""
    if text.isprintable() and not _invisible().search(text):
        return text  # nearly every text: one pass in C
    invisible = _invisible()
    return "".join(
        char if (char.isprintable() and not invisible.match(char)) or (keep and char in "\n\t") else _escape(char)
        for char in text
    )


def formula_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run: one that starts with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return gets a leading ``'``, unless it is a plain number (``-1.5``)."""
    if text.startswith(_FORMULA) and not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return "'" + text
    return text
