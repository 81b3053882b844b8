"""Claims as cptref reads them: a code with its units (``47542x2``), and batches of claims.

:func:`parse_token` reads one claim line; :func:`read_claims` turns a CSV or JSON Lines file into
:class:`Claim` items, or :class:`BadLine` items for lines that cannot be read, and never stops on a
bad line. Nothing here knows a rule: :mod:`cptref.check` checks what this module reads.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, Literal

import msgspec

from .models import CODE_RE

_UNITS_RE = re.compile(r"^([0-9]{4}[0-9A-Z])X([0-9]{1,6})$")
"""A code with units, after upper-casing: ``47542X2``. Digits are ASCII only; at most six of them."""
_SPLIT_RE = re.compile(r"[\s,;|]+")
"""What separates codes inside one CSV field: spaces, commas, semicolons, pipes."""


# --- parsing ---------------------------------------------------------------------------------------


def parse_token(token: str) -> tuple[str, int] | None:
    """``" 47542x2"`` -> ``("47542", 2)``; None when the token is not a code (with optional units)."""
    text = token.strip().upper()
    if CODE_RE.fullmatch(text):
        return text, 1
    match = _UNITS_RE.fullmatch(text)
    if match and int(match.group(2)) > 0:
        return match.group(1), int(match.group(2))
    return None


def split_codes(field: str) -> list[str]:
    """The codes inside one field: separated by spaces, commas, semicolons or pipes."""
    return [t for t in _SPLIT_RE.split(field) if t]


# --- batches ---------------------------------------------------------------------------------------

InputFormat = Literal["csv", "jsonl"]
"""How a batch file is written: CSV, or JSON Lines."""


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim of a batch: its id (as given; None when absent), its line and its code tokens."""

    id: str | int | None
    line: int
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a batch that could not be read as a claim; the run goes on without it."""

    line: int
    message: str


class _JsonClaim(msgspec.Struct):
    codes: list[str] | str
    id: str | int | None = None


_claim_decoder = msgspec.json.Decoder(_JsonClaim)
_ID_NAMES = frozenset(["id", "claim", "claim id", "claim_id", "claimid", "claim-id"])
_CODES_NAMES = frozenset(["codes", "code", "cpt", "cpt codes", "cpt_codes", "cpt-codes"])


def detect_format(name: str | None, first_line: bytes) -> InputFormat:
    """JSON Lines for ``.jsonl``/``.ndjson`` files or a first line starting with ``{``, else CSV."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{") else "csv"


MAX_LINE = 1_000_000
"""Bytes a line of a batch may hold (a claim is a few dozen): a longer line is skipped, read in
pieces of this size, so that a file without line breaks (``/dev/zero``) cannot exhaust memory."""
_TOO_LONG = bytes(bytearray(b" \n"))
"""Stands for a line longer than :data:`MAX_LINE`: recognised by identity (an object of its own,
which no line read from a file is), read as a blank line otherwise."""


def _bounded(stream: Any) -> Iterator[bytes]:
    """The lines of a binary file object, each at most :data:`MAX_LINE` bytes or :data:`_TOO_LONG`."""
    readline = stream.readline
    while line := readline(MAX_LINE + 1):
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the long line
            line = readline(MAX_LINE + 1)
        yield _TOO_LONG


def read_claims(
    lines: Iterable[bytes], name: str | None = None, fmt: InputFormat | None = None
) -> Iterator[Claim | BadLine]:
    """The claims of a batch (binary lines of a file), in order, with a :class:`BadLine` for each
    line that cannot be read. The format is detected when not given (:func:`detect_format`).

    A file object is read in lines of at most :data:`MAX_LINE` bytes; a longer line is a BadLine."""
    source = _bounded(lines) if hasattr(lines, "readline") else iter(lines)
    head: list[bytes] = []
    for raw in source:
        head.append(raw)
        if raw.strip():
            break
    if not head:
        return
    stream = chain(head, source)
    if (fmt or detect_format(name, head[-1])) == "jsonl":
        yield from _read_jsonl(stream)
    else:
        yield from _read_csv(stream)


def _read_jsonl(lines: Iterable[bytes]) -> Iterator[Claim | BadLine]:
    decode = _claim_decoder.decode
    for number, raw in enumerate(lines, 1):
        if raw is _TOO_LONG:
            yield BadLine(number, f"the line is longer than {MAX_LINE} bytes")
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            item = decode(raw)
        except msgspec.DecodeError as exc:
            if not raw.strip():
                continue
            yield BadLine(number, f"not a claim: {_decode_message(exc)}")
            continue
        codes = split_codes(item.codes) if isinstance(item.codes, str) else item.codes
        if not codes:
            yield BadLine(number, "the claim has no codes")
            continue
        yield Claim(item.id, number, tuple(codes))


def _decode_message(exc: msgspec.DecodeError) -> str:
    text = str(exc).replace("`", "'")
    if text.startswith("Object missing required field 'codes'"):
        return 'expected {"id": ..., "codes": [...]}: no "codes" field'
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _read_csv(lines: Iterable[bytes]) -> Iterator[Claim | BadLine]:
    undecodable: set[int] = set()
    too_long: set[int] = set()
    counter = [0]

    def text_lines() -> Iterator[str]:
        for raw in lines:
            counter[0] += 1
            if raw is _TOO_LONG:
                too_long.add(counter[0])
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                undecodable.add(counter[0])
                text = raw.decode("utf-8", "replace")
            if counter[0] == 1:
                text = text.removeprefix("\ufeff")
            yield text

    reader = csv.reader(text_lines())
    id_col, codes_col = 0, 1
    first = True
    while True:
        start = counter[0] + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadLine(start, f"not a CSV row: {exc}")
            continue
        end = counter[0]
        if any(n in too_long for n in range(start, end + 1)):
            yield BadLine(start, f"the line is longer than {MAX_LINE} bytes")
            continue
        if any(n in undecodable for n in range(start, end + 1)):
            yield BadLine(start, "not UTF-8 text")
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            names = [cell.strip().lower() for cell in row]
            ids = [i for i, n in enumerate(names) if n in _ID_NAMES]
            code_cols = [i for i, n in enumerate(names) if n in _CODES_NAMES]
            if ids and code_cols:
                id_col, codes_col = ids[0], code_cols[0]
                continue
            if len(row) > 1 and not any(ch.isdigit() for cell in row[1:] for ch in cell):
                continue  # a header with other names: no codes field holds a digit
        if len(row) <= max(id_col, codes_col):
            yield BadLine(start, f"expected a claim id and a codes column, got {len(row)} field{'s' * (len(row) != 1)}")
            continue
        claim_id = row[id_col].strip()
        # the codes column, and any extra fields after it when it is the last column (unquoted commas)
        cells = row[codes_col:] if codes_col == max(id_col, codes_col) else [row[codes_col]]
        codes = [t for cell in cells for t in split_codes(cell)]
        if not claim_id:
            yield BadLine(start, "the claim id is empty")
            continue
        if not codes:
            yield BadLine(start, "the claim has no codes")
            continue
        yield Claim(claim_id, start, tuple(codes))
