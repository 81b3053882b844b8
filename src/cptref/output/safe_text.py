"""Text that came from data, a user's file or input, made safe to show on a terminal or in a sheet.

A title, a descriptor, a source's name, a claim id or a ``RELEASE`` line may hold control
characters: ESC sequences that recolour, move the cursor, clear the screen or retitle a window
(OSC), a carriage return that redraws a line, a bell. :func:`visible` writes every C0 and C1
control character (and the Unicode line and paragraph separators and bidirectional overrides,
which reorder or split what a reader sees) as a visible escape (``\\x1b``), keeping newline and tab
where the layout needs them (``keep``). JSON output escapes them itself and does not use this.
:func:`formula_safe` neutralises a spreadsheet formula in a CSV cell (the OWASP rule).
"""

from __future__ import annotations

import re
from functools import cache

_CONTROL = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
"""The characters :func:`visible` escapes, as a character class (newline and tab aside)."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@cache
def _pattern(keep: bool) -> re.Pattern[str]:
    """The control characters, newline and tab left out when ``keep`` (compiled on first use: most
    calls show nothing that needs it)."""
    return re.compile(f"[{_CONTROL}]" if keep else f"[{_CONTROL}\n\t]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def visible(text: str, keep: bool = True) -> str:
    """``text`` with its control characters written as escapes (``\\x1b``); newline and tab kept
    when ``keep``, escaped too otherwise (a one-line message, a table row)."""
    pattern = _pattern(keep)
    return pattern.sub(_escape, text) if pattern.search(text) else text


def formula_safe(text: str) -> str:
    """A CSV cell a spreadsheet will not run: one that starts with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return gets a leading ``'``, unless it is a plain number (``-1.5``)."""
    if text.startswith(_FORMULA) and not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return "'" + text
    return text
