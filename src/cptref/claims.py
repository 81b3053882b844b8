"""Claims as cptref reads them: claim lines (``47542-59x2``) and batches of claims.

A claim line is a code with its modifiers and units, ``CODE[-MOD...][xN]``: a CPT code (47555;
Category II 1234F; Category III 0213T; PLA 0001U) or a HCPCS Level II code (C1729), then any
number of two-character modifiers each after a hyphen (``-59``, ``-RT``, ``-26``), then ``x`` and a
number of units (``x2``). :func:`parse_line` reads one; :func:`read_claims` turns a CSV or JSON
Lines file into :class:`Claim` items, :class:`BadLine` items for lines that cannot be read, and
:class:`Skipped` items for lines that are not claims (a header, a blank line), so that every line
read is accounted for. Nothing here knows a rule: :mod:`cptref.check` checks what this module reads.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any, Literal

import msgspec
from msgspec import Struct

from .models import CODE_RE

LINE_RE = re.compile(r"^([0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})((?:-[0-9A-Z]{2})*)(?:X([0-9]{1,6}))?$")
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


# --- batches ---------------------------------------------------------------------------------------

InputFormat = Literal["csv", "jsonl"]
"""How a batch file is written: CSV, or JSON Lines."""


class Claim(Struct, frozen=True):
    """One claim of a batch: its id (as given; None when absent), its line, its claim lines (as
    written) and its date of service (None: not given)."""

    id: str | int | None
    line: int
    codes: tuple[str, ...]
    date: datetime.date | None = None


class BadLine(Struct, frozen=True):
    """A line of a batch that could not be read as a claim; it is reported, and the run goes on."""

    line: int
    message: str


class Skipped(Struct, frozen=True):
    """A line of a batch that holds no claim and is no error: a header, a blank line (counted)."""

    line: int
    why: Literal["header", "blank"]


Item = Claim | BadLine | Skipped


class _JsonLine(msgspec.Struct):
    code: str
    modifiers: list[str] = []
    units: int = 1


class _JsonClaim(msgspec.Struct):
    codes: list[str | _JsonLine] | str
    id: str | int | None = None
    date: str | None = None


_claim_decoder = msgspec.json.Decoder(_JsonClaim)
_ID_NAMES = frozenset(["id", "claim", "claim id", "claim_id", "claimid", "claim-id", "claim number", "claim_number"])
_CODES_NAMES = frozenset(
    ["codes", "code", "cpt", "cpt codes", "cpt_codes", "cpt-codes", "hcpcs", "lines", "procedures", "procedure codes"]
)
_DATE_NAMES = frozenset(["date", "dos", "date of service", "date_of_service", "service date", "service_date"])


def detect_format(name: str | None, first_line: bytes) -> InputFormat:
    """JSON Lines for ``.jsonl``/``.ndjson`` files or a first line starting with ``{``, else CSV."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{") else "csv"


MAX_LINE = 1_000_000
"""Bytes a line of a batch may hold (a claim is a few dozen): a longer line is one bad line, read
in pieces of this size, so that a file without line breaks (``/dev/zero``) cannot exhaust memory."""
_TOO_LONG = bytes(bytearray(b" \n"))
"""Stands for a line longer than :data:`MAX_LINE`: recognised by identity (an object of its own,
which no line read from a file is)."""


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


def parse_date(text: str) -> datetime.date | None:
    """``YYYY-MM-DD`` as a date; None when it is not one."""
    try:
        return datetime.date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


def read_claims(lines: Iterable[bytes], name: str | None = None, fmt: InputFormat | None = None) -> Iterator[Item]:
    """Every line of a batch (binary lines of a file), in order, as a :class:`Claim`, a
    :class:`BadLine` or a :class:`Skipped`: one item a line, so lines in = claims + bad + skipped.
    The format is detected when not given (:func:`detect_format`). A file object is read in lines
    of at most :data:`MAX_LINE` bytes; a longer line is a BadLine."""
    source = _bounded(lines) if hasattr(lines, "readline") else iter(lines)
    head: list[bytes] = []
    for raw in source:
        head.append(raw)
        if raw is _TOO_LONG or raw.strip():
            break
    if not head:
        return
    stream = chain(head, source)
    if (fmt or detect_format(name, head[-1])) == "jsonl":
        yield from _read_jsonl(stream)
    else:
        yield from _read_csv(stream)


def _read_jsonl(lines: Iterable[bytes]) -> Iterator[Item]:
    decode = _claim_decoder.decode
    for number, raw in enumerate(lines, 1):
        if raw is _TOO_LONG:
            yield BadLine(number, f"the line is longer than {MAX_LINE} bytes")
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            yield Skipped(number, "blank")
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
            date = parse_date(item.date)
            if date is None:
                yield BadLine(number, f'"date" must be a date written YYYY-MM-DD, got {item.date[:40]!r}')
                continue
        yield Claim(item.id, number, tuple(codes), date)


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


def _row(text: str) -> list[str]:
    """One physical line as CSV fields; a line with an unclosed quote is an error of that line alone."""
    if '"' not in text:
        return text.split(",")
    import csv  # deferred: a claim on the command line never needs it

    return next(csv.reader([text], strict=True))


def _read_csv(lines: Iterable[bytes]) -> Iterator[Item]:
    """CSV, one claim a physical line (a quoted field does not run over into the next line, so a
    stray quote costs one line, never the rest of the file). The first line that is not blank is a
    header when it names the columns (id, codes, date) or holds no claim line at all; otherwise it
    is a claim."""
    import csv

    id_col, codes_col, date_col = 0, 1, -1
    first = True
    for number, raw in enumerate(lines, 1):
        if raw is _TOO_LONG:
            yield BadLine(number, f"the line is longer than {MAX_LINE} bytes")
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield BadLine(number, "not UTF-8 text")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        text = text.rstrip("\r\n")
        if not text.strip():
            yield Skipped(number, "blank")
            continue
        try:
            row = _row(text)
        except csv.Error as exc:
            yield BadLine(number, f"not a CSV row: {exc}")
            continue
        if first:
            first = False
            names = [cell.strip().lower() for cell in row]
            ids = [i for i, n in enumerate(names) if n in _ID_NAMES]
            code_cols = [i for i, n in enumerate(names) if n in _CODES_NAMES]
            if ids and code_cols:
                id_col, codes_col = ids[0], code_cols[0]
                date_col = next((i for i, n in enumerate(names) if n in _DATE_NAMES), -1)
                yield Skipped(number, "header")
                continue
            if not any(parse_line(t) for cell in row[1:] for t in split_codes(cell)):
                yield Skipped(number, "header")  # names of its own: no field holds a claim line
                continue
        if len(row) <= max(id_col, codes_col, date_col):
            columns = max(id_col, codes_col, date_col) + 1
            yield BadLine(number, f"expected {columns} columns (a claim id and its codes), got {len(row)}")
            continue
        claim_id = row[id_col].strip()
        # the codes column, and any extra fields after it when it is the last column (unquoted commas)
        last = codes_col == max(id_col, codes_col, date_col)
        cells = row[codes_col:] if last else [row[codes_col]]
        codes = [t for cell in cells for t in split_codes(cell)]
        if not claim_id:
            yield BadLine(number, "the claim id is empty")
            continue
        if not codes:
            yield BadLine(number, "the claim has no codes")
            continue
        date = None
        if date_col >= 0 and row[date_col].strip():
            date = parse_date(row[date_col])
            if date is None:
                yield BadLine(number, f"the date must be written YYYY-MM-DD, got {row[date_col].strip()[:40]!r}")
                continue
        yield Claim(claim_id, number, tuple(codes), date)
