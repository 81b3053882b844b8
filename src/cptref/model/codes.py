"""The one code pattern, and what is done with a code as text: its spellings, ranges, likely typos.

A code is a CPT code, four ASCII digits then a digit or an upper-case letter (47542, 1234F, 0213T),
or a HCPCS Level II code, an upper-case letter then four digits (C1729). :data:`CODE` is that
pattern once; every other form (a whole code, a range, a claim line in :mod:`cptref.check.lines`,
the codes a broken file names as bytes in :mod:`cptref.library.problems`) is built from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from msgspec import Meta

from cptref.errors import MalformedCode

CODE = r"[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4}"
"""A code, as a regular expression without anchors or group. Not ``\\d``: that also matches
Unicode digits."""
END = r"(?!\n)$"
"""The end of a whole value in a pattern: ``$`` alone also matches before a final line feed, so
``"47555\n"`` would pass as a code and pose as a second 47555. A look-ahead, not ``\\Z``, so that the
JSON Schema's patterns (ECMA-262) read the same."""
CODE_PATTERN = rf"^(?:{CODE}){END}"
"""A whole code (the pattern the record types check)."""
CODE_RE = re.compile(CODE_PATTERN)
""":data:`CODE_PATTERN`, compiled: the one code regex every module uses."""
RANGE_PATTERN = rf"^(?:{CODE})(?:-(?:{CODE}))?{END}"
"""A code, or a range of codes: ``47531-47544``."""

Code = Annotated[str, Meta(pattern=CODE_PATTERN)]
"""A field that names a code (:mod:`cptref.model.relations` lists them)."""


def normalize_code(text: str) -> str:
    """A user's code as the library spells it (trimmed, upper-case), or :class:`MalformedCode`."""
    code = text.strip().upper()
    if not CODE_RE.match(code):
        raise MalformedCode(text)
    return code


def one_off(code: str, other: str) -> bool:
    """Whether ``other`` is a plausible typo of ``code``: one character different, or two neighbours
    swapped."""
    if len(code) != len(other) or code == other:
        return False
    diff = [i for i, (a, b) in enumerate(zip(code, other, strict=True)) if a != b]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and code[diff[0]] == other[diff[1]]
        and code[diff[1]] == other[diff[0]]
    )


def in_range(code: str, span: str) -> bool:
    """Whether ``code`` falls in ``span`` (``47531-47544``, or one code)."""
    first, _, last = span.partition("-")
    return len(code) == len(first) and first <= code <= (last or first)


def nearest(code: str, known: Iterable[str], spans: Iterable[str] = (), limit: int = 5) -> list[str]:
    """The known codes ``code`` may have meant: a typo of it (one character off), then the codes of a
    range of ``spans`` (the families' ranges) that holds it, nearest first. Never an unrelated code:
    [] when none is plausible."""
    codes = sorted(filter(CODE_RE.match, known))  # a stray file name is no code
    typos = [other for other in codes if one_off(code, other)]
    holding = [span for span in spans if in_range(code, span)]
    kin = [c for c in codes if c not in typos and any(in_range(c, span) for span in holding)]

    def distance(other: str) -> tuple[int, str]:
        both = code[:4].isdigit() and other[:4].isdigit()
        return (abs(int(other[:4]) - int(code[:4])) if both else 0, other)

    return (sorted(typos, key=distance) + sorted(kin, key=distance))[:limit]
