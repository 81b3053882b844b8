"""Claim lines as coders write them: ``CODE[-MOD...][xN]``.

A claim line is a code with its modifiers and units: a CPT code (47555; Category II 1234F; Category
III 0213T; PLA 0001U) or a HCPCS Level II code (C1729), then any number of two-character modifiers
each after a hyphen (``-59``, ``-RT``, ``-26``), then ``x`` and a number of units (``x2``).
:func:`parse_line` reads one; :func:`split_codes` cuts a field of a batch file into them.
"""

from __future__ import annotations

import re

from msgspec import Struct

from cptref.model.codes import CODE, CODE_RE

LINE_RE = re.compile(rf"^({CODE})((?:-[0-9A-Z]{{2}})*)(?:X([0-9]{{1,6}}))?$")
"""A claim line after upper-casing: the code, its modifiers (``-59-RT``), its units (``X2``)."""
_SPLIT_RE = re.compile(r"[\s,;|]+")
"""What separates claim lines inside one CSV field: spaces, commas, semicolons, pipes."""
SYNTAX = "CODE[-MOD...][xN], e.g. 47542, 47542-59, 50432-RT, 77002-26-59, 47542x2, C1729"


class Line(Struct, frozen=True):
    """One claim line: a code, its modifiers (in the order given) and its units."""

    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1

    def __str__(self) -> str:
        mods = "".join(f"-{m}" for m in self.modifiers)
        return f"{self.code}{mods}{f'x{self.units}' if self.units != 1 else ''}"


def parse_line(token: str) -> Line | None:
    """``" 47542-59x2"`` -> ``Line("47542", ("59",), 2)``; None when the token is not a claim line."""
    text = token.strip().upper()
    if CODE_RE.fullmatch(text):
        return Line(text)
    match = LINE_RE.fullmatch(text)
    if match is None:
        return None
    units = int(match.group(3)) if match.group(3) else 1
    if units < 1:
        return None
    mods = tuple(match.group(2)[1:].split("-")) if match.group(2) else ()
    return Line(match.group(1), mods, units)


def parse_token(token: str) -> tuple[str, int] | None:
    """A claim line's code and units (its modifiers dropped); None when it is not one."""
    line = parse_line(token)
    return None if line is None else (line.code, line.units)


def split_codes(field: str) -> list[str]:
    """The claim lines inside one field: separated by spaces, commas, semicolons or pipes."""
    return [t for t in _SPLIT_RE.split(field) if t]
