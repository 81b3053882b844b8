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
    found = batch_lines(lines, name, fmt)
    if found is not None:
        reader, stream = found
        yield from reader.items(stream)


def batch_lines(
    lines: Iterable[bytes], name: str | None = None, fmt: InputFormat | None = None
) -> tuple[ClaimReader, Iterator[bytes]] | None:
    """The reader of a batch (its format detected from the first line that is not blank, when not
    given) and its lines, each at most :data:`MAX_LINE` bytes (a longer one stands as a line of its
    own that the reader reports); None for a batch with no line at all."""
    source = _bounded(lines) if hasattr(lines, "readline") else iter(lines)
    head: list[bytes] = []
    for raw in source:
        head.append(raw)
        if raw is _TOO_LONG or raw.strip():
            break
    if not head:
        return None
    return ClaimReader(fmt or detect_format(name, head[-1])), chain(head, source)


_DATE_CACHE = 4096
"""Dates of service remembered by their text (a batch holds few distinct dates)."""


class ClaimReader:
    """Turns the lines of a batch into items (:func:`read_claims`), in one pass or a chunk of lines at
    a time (each chunk from its first line's number). What carries over from one line to the next
    is settled by the first lines: the format, and for CSV which line is the header and which
    columns hold the id, the codes and the date (:meth:`settle`). Once settled, chunks can be read
    in any process, in any order, each giving the items a single pass would."""

    __slots__ = ("_columns", "_dates", "_header", "fmt")

    def __init__(self, fmt: InputFormat) -> None:
        self.fmt: InputFormat = fmt
        self._columns = (0, 1, -1)
        """CSV: the columns of the claim id, the codes and the date (-1: none)."""
        self._header: int | None = None
        """CSV: the number of the first line read as a row (None: not met yet), negative when that
        line is a header (so is skipped); JSON Lines: unused."""
        self._dates: dict[str, datetime.date | None] = {}

    @property
    def settled(self) -> bool:
        """Whether the lines still to come are read the same in any process (CSV: the first row is met)."""
        return self.fmt == "jsonl" or self._header is not None

    def settle(self, lines: Iterable[bytes], first: int = 1) -> None:
        """Read ahead in ``lines`` (the next chunk, from line ``first``) for what the lines after it
        depend on: CSV's first row (a header or a claim). Nothing is yielded; the items of these
        lines come from :meth:`items` later, the same as in one pass."""
        if self.settled:
            return
        for number, raw in enumerate(lines, first):
            self._row(raw, number)
            if self._header is not None:
                return

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy for another process: the settled state, not the remembered dates."""
        return (_settled_reader, (self.fmt, self._columns, self._header))

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        """The items of ``lines``, the first of them line number ``first`` of the batch."""
        if self.fmt == "jsonl":
            return self._jsonl(lines, first)
        return self._csv(lines, first)

    def _date(self, text: str) -> datetime.date | None:
        dates = self._dates
        if text in dates:
            return dates[text]
        found = parse_date(text)
        if len(dates) < _DATE_CACHE:
            dates[text] = found
        return found

    def _jsonl(self, lines: Iterable[bytes], first: int) -> Iterator[Item]:
        decode = _claim_decoder.decode
        date_of = self._date
        for number, raw in enumerate(lines, first):
            if raw is _TOO_LONG:
                yield BadLine(number, f"the line is longer than {MAX_LINE} bytes")
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if raw[:1] != b"{" and not raw.strip():
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
                date = date_of(item.date)
                if date is None:
                    yield BadLine(number, f'"date" must be a date written YYYY-MM-DD, got {item.date[:40]!r}')
                    continue
            yield Claim(item.id, number, tuple(codes), date)

    def _row(self, raw: bytes, number: int) -> list[str] | BadLine | Skipped:
        """One physical CSV line as its fields, or why it holds none. The first line that has fields
        settles the columns: a header when it names them (id, codes, date) or holds no claim line
        at all (then it is :class:`Skipped`, here and whenever it is read again)."""
        if raw is _TOO_LONG:
            return BadLine(number, f"the line is longer than {MAX_LINE} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(number, "not UTF-8 text")
        if number == 1:
            text = text.removeprefix("\ufeff")
        text = text.rstrip("\r\n")
        if not text.strip():
            return Skipped(number, "blank")
        try:
            row = _row(text)
        except _NotARow as exc:
            return BadLine(number, f"not a CSV row: {exc}")
        header = self._header
        if header is None:
            self._header = header = number
            names = [cell.strip().lower() for cell in row]
            ids = [i for i, n in enumerate(names) if n in _ID_NAMES]
            code_cols = [i for i, n in enumerate(names) if n in _CODES_NAMES]
            if ids and code_cols:
                date_col = next((i for i, n in enumerate(names) if n in _DATE_NAMES), -1)
                self._columns = (ids[0], code_cols[0], date_col)
                self._header = header = -number
            elif not any(parse_line(t) for cell in row[1:] for t in split_codes(cell)):
                self._header = header = -number  # names of its own: no field holds a claim line
        if header == -number:
            return Skipped(number, "header")
        return row

    def _csv(self, lines: Iterable[bytes], first: int) -> Iterator[Item]:
        """CSV, one claim a physical line (a quoted field does not run over into the next line, so a
        stray quote costs one line, never the rest of the file)."""
        for number, raw in enumerate(lines, first):
            row = self._row(raw, number)
            if not isinstance(row, list):
                yield row  # a BadLine or a Skipped
                continue
            id_col, codes_col, date_col = self._columns
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
                date = self._date(row[date_col])
                if date is None:
                    yield BadLine(number, f"the date must be written YYYY-MM-DD, got {row[date_col].strip()[:40]!r}")
                    continue
            yield Claim(claim_id, number, tuple(codes), date)


def _settled_reader(fmt: InputFormat, columns: tuple[int, int, int], header: int | None) -> ClaimReader:
    reader = ClaimReader(fmt)
    reader._columns, reader._header = columns, header
    return reader


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


class _NotARow(ValueError):
    """A CSV line that is not a row (csv.Error's message; the csv module is imported only when needed)."""


def _row(text: str) -> list[str]:
    """One physical line as CSV fields; a line with an unclosed quote is an error of that line alone."""
    if '"' not in text:
        return text.split(",")
    import csv  # deferred: a claim on the command line never needs it

    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise _NotARow(str(exc)) from None
