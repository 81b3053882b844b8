"""Claims from a JSON Lines file: one object a line, ``{"id": ..., "codes": [...], "date": ...}``.

``codes`` is a list of claim lines, each a string (``"47542-59"``) or an object (``{"code": "50432",
"modifiers": ["RT"], "units": 1}``), or one string of claim lines split as in a CSV field; ``id``
and ``date`` (as :func:`~.base.parse_claim_date` reads it, or milliseconds since 1970 at midnight
UTC, as pandas' ``to_json`` writes a date) are optional. Nothing carries over from one line to the
next. An object's fields are checked one by one (``{"code": "47555X2"}`` is no code: the claim is
stopped with a malformed-code finding showing the object, as a malformed string is); a line that is
not JSON, not UTF-8 or nested too deep is a malformed line of the batch, and the rest goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from cptref.check.lines import Line, parse_line, split_codes

from .base import (
    CLAIM_DATE_FORMS,
    BadLine,
    BatchClaim,
    ClaimReader,
    Item,
    SkippedLine,
    UnreadLine,
    date_from_epoch_ms,
    date_hint,
)


class _JsonLine(msgspec.Struct):
    code: str
    modifiers: list[str] = []
    units: int = 1


class _JsonClaim(msgspec.Struct):
    codes: list[str | _JsonLine] | str
    id: str | int | None = None
    date: str | int | None = None


class _PlainClaim(msgspec.Struct):
    """The common line: its claim lines all strings (or one string of them)."""

    codes: list[str] | str
    id: str | int | None = None
    date: str | int | None = None


_claim_decoder = msgspec.json.Decoder(_JsonClaim)
_plain_decoder = msgspec.json.Decoder(_PlainClaim)
"""Tried first: a line it cannot read (an object among the claim lines, or no claim at all) is read
again by :data:`_claim_decoder`, whose answer or error stands, so the two agree on every line."""


class JsonlClaims(ClaimReader):
    """A JSON Lines batch."""

    __slots__ = ()
    fmt = "jsonl"

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        decode, plain = _claim_decoder.decode, _plain_decoder.decode
        date_of = self._date
        for number, raw in enumerate(lines, first):
            if raw[:1] != b"{":
                if isinstance(raw, UnreadLine):  # b" \n": a line never read (too long)
                    yield BadLine(number, raw.message)
                    continue
                if raw.startswith(b"\xef\xbb\xbf"):  # a byte order mark: a file begins, here or where two were joined
                    raw = raw[3:]
                if not raw.strip():
                    yield SkippedLine(number, "blank")
                    continue
            try:
                try:
                    item: _PlainClaim | _JsonClaim = plain(raw)
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                    item = decode(raw)
            except msgspec.DecodeError as exc:
                said = _decode_message(exc)
                if "malformed" in said and (b"NaN" in raw or b"Infinity" in raw):
                    said += " (NaN and Infinity are not JSON: write null)"
                yield BadLine(number, f"not a claim: {said}")
                continue
            except UnicodeDecodeError:
                yield BadLine(number, "not a claim: not UTF-8 text")
                continue
            except RecursionError:
                yield BadLine(number, "not a claim: nested too deep")
                continue
            if isinstance(item.codes, str):
                codes = split_codes(item.codes)
            elif item.__class__ is _PlainClaim:
                codes = item.codes
            else:
                codes = [c if c.__class__ is str else _token(c) for c in item.codes]
            if not codes:
                yield BadLine(number, "the claim has no codes")
                continue
            date = None
            if item.date is not None:
                date = date_of(item.date) if item.date.__class__ is str else date_from_epoch_ms(item.date)  # type: ignore[arg-type]
                if date is None:
                    yield BadLine(number, _bad_date(item.date))
                    continue
            yield BatchClaim(item.id, number, tuple(codes), date)


def _bad_date(value: str | int) -> str:
    if isinstance(value, int):
        return (
            f'"date" is a number, {value}, not a date at midnight UTC in milliseconds since 1970 (as pandas writes '
            f"one): write dates {CLAIM_DATE_FORMS} (pandas: to_json(..., date_format='iso'))"
        )
    return f'"date" must be a date written {CLAIM_DATE_FORMS}, got {value[:40]!r}{date_hint(value)}'


def _token(item: str | _JsonLine) -> str:
    """A JSON claim line (a string, or an object with code, modifiers, units) as the string it stands
    for; an object whose fields are not a code, modifiers and a number of units each (``{"code":
    "47555X2"}``, a modifier ``"59X3"``, units 0) as its own JSON, which is no claim line: the
    claim is stopped with a malformed-code finding that shows it."""
    if isinstance(item, str):
        return item
    code, mods, units = item.code.strip().upper(), tuple(m.strip().upper() for m in item.modifiers), item.units
    text = f"{code}{''.join(f'-{m}' for m in mods)}{f'x{units}' if units != 1 else ''}"
    if parse_line(text) == Line(code, mods, units):
        return text
    return msgspec.json.encode(item).decode()


def _decode_message(exc: msgspec.DecodeError) -> str:
    text = str(exc).replace("`", "'")
    if "utf-8" in text.lower():  # msgspec 0.22 raises UnicodeDecodeError for it, later releases DecodeError
        return "not UTF-8 text"
    if text.startswith("Object missing required field 'codes'"):
        return 'expected {"id": ..., "codes": [...]}: no "codes" field'
    text = text[:1].lower() + text[1:] if text[1:2].islower() else text
    if "$.codes" in text and ("got 'int'" in text or "got 'float'" in text) and "units" not in text:
        return f'{text}: codes are strings ("01234", "0213T"): a number loses a code\'s leading zeros'
    return text


def looks_like(first_line: bytes) -> bool:
    """Whether a batch's first line that is not blank is a JSON object."""
    return first_line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{")
