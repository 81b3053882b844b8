"""Claims from a JSON Lines file: one object a line, ``{"id": ..., "codes": [...], "date": ...}``.

``codes`` is a list of claim lines, each a string (``"47542-59"``) or an object (``{"code": "50432",
"modifiers": ["RT"], "units": 1}``), or one string of claim lines split as in a CSV field; ``id``
and ``date`` (``YYYY-MM-DD``) are optional. Nothing carries over from one line to the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from cptref.check.lines import split_codes

from .base import TOO_LONG, TOO_LONG_MESSAGE, BadLine, BatchClaim, ClaimReader, Item, SkippedLine


class _JsonLine(msgspec.Struct):
    code: str
    modifiers: list[str] = []
    units: int = 1


class _JsonClaim(msgspec.Struct):
    codes: list[str | _JsonLine] | str
    id: str | int | None = None
    date: str | None = None


_claim_decoder = msgspec.json.Decoder(_JsonClaim)


class JsonlClaims(ClaimReader):
    """A JSON Lines batch."""

    __slots__ = ()
    fmt = "jsonl"

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        decode = _claim_decoder.decode
        date_of = self._date
        for number, raw in enumerate(lines, first):
            if raw is TOO_LONG:
                yield BadLine(number, TOO_LONG_MESSAGE)
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw[:1] != b"{" and not raw.strip():
                yield SkippedLine(number, "blank")
                continue
            try:
                item = decode(raw)
            except msgspec.DecodeError as exc:
                yield BadLine(number, f"not a claim: {_decode_message(exc)}")
                continue
            if isinstance(item.codes, str):
                codes = split_codes(item.codes)
            else:
                codes = [c if c.__class__ is str else _token(c) for c in item.codes]
            if not codes:
                yield BadLine(number, "the claim has no codes")
                continue
            date = None
            if item.date is not None:
                date = date_of(item.date)
                if date is None:
                    yield BadLine(number, f'"date" must be a date written YYYY-MM-DD, got {item.date[:40]!r}')
                    continue
            yield BatchClaim(item.id, number, tuple(codes), date)


def _token(item: str | _JsonLine) -> str:
    """A JSON claim line (a string, or an object with code, modifiers, units) as the string it stands for."""
    if isinstance(item, str):
        return item
    mods = "".join(f"-{m}" for m in item.modifiers)
    return f"{item.code}{mods}{f'x{item.units}' if item.units != 1 else ''}"


def _decode_message(exc: msgspec.DecodeError) -> str:
    text = str(exc).replace("`", "'")
    if text.startswith("Object missing required field 'codes'"):
        return 'expected {"id": ..., "codes": [...]}: no "codes" field'
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def looks_like(first_line: bytes) -> bool:
    """Whether a batch's first line that is not blank is a JSON object."""
    return first_line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{")
