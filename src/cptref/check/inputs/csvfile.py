"""Claims from a CSV file: a claim id column, a codes column (claim lines split by spaces, commas,
semicolons or pipes) and an optional date column, with or without a header.

One claim is one physical line: a quoted field does not run over into the next line, so a stray
quote costs that line, never the rest of the file. The first line that has fields settles the
columns and the delimiter: a comma, a semicolon, a tab or a pipe, as billing exports write them
(the one that splits a header into the names it knows; in a file without a header, the one that
splits the first claim into an id and codes). That line is a header when it names the columns
(``id``, ``codes``, ``date`` and their usual spellings), or when no field after its first holds a
claim line or a digit (a first claim whose codes are all malformed is still a claim); otherwise it
is a claim and the columns are id, codes (and a date, when a third and last field is one, a trailing
delimiter aside). Header names are read in any case and spelling (``CPT_CODE``, `` Claim ID ``);
numbered codes columns (``code1`` ... ``code6``) are a wide layout, read together. A column the
header names but cptref does not read, and fields past the header, are said (:attr:`CsvClaims.notes`,
:attr:`~.base.ClaimReader.tallies`), never dropped silently. Dates are read by
:func:`~.base.parse_claim_date`; ``NA``, ``NaN``, ``NULL`` (R, pandas) are blank cells. Bytes that are
not UTF-8 cost a line only when in its id, codes or date. A byte order mark opening a line is dropped
and the header's line again is a header (files joined end to end); a line of rows run together by
carriage returns is reported, not read (a file whose lines end in a CR alone would be one claim of
every row). One line a claim line (an id and date repeated on the next line) is refused whole
(:class:`~.base.UnreadableBatch`): its lines would be checked apart.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from cptref.check.lines import parse_line, split_codes

from .base import (
    CLAIM_DATE_FORMS,
    MISSING,
    BadLine,
    BatchClaim,
    ClaimReader,
    Item,
    SkippedLine,
    UnreadableBatch,
    UnreadLine,
    date_hint,
    parse_claim_date,
)

_ID_NAMES = frozenset(
    ["id", "claim", "claim id", "claimid", "claim number", "claim no", "claim num", "claim nbr", "claim ref"]
)
_CODES_NAMES = frozenset(
    [
        "codes",
        "code",
        "cpt",
        "cpt codes",
        "cpt code",
        "cpt hcpcs",
        "hcpcs",
        "hcpcs code",
        "hcpcs codes",
        "lines",
        "procedures",
        "procedure",
        "procedure code",
        "procedure codes",
        "proc code",
    ]
)
_DATE_NAMES = frozenset(["date", "dos", "date of service", "service date", "dos from", "from date of service"])
_NUMBERED = re.compile(
    r"(?:code|cpt|cpt code|hcpcs|hcpcs code|procedure|procedure code|proc code|line) ?[1-9][0-9]{0,2}"
)
"""A column of a wide layout, one code a column (``code1`` ... ``code6``, ``CPT_1``, up to 999): read together."""


def _codes_columns(names: list[str]) -> list[int]:
    """The columns of a header's codes: the first named a codes name (``codes``, ``CPT_CODE``) with every
    other of the same name (``code,code``: a spreadsheet's wide layout) or that name numbered (``code.1``,
    as pandas renames a second), else every numbered one (``code1`` ... ``code6``). A column of another
    codes name is not read, and said."""
    named = [n for n in names if n in _CODES_NAMES]
    if not named:
        return [i for i, n in enumerate(names) if _NUMBERED.fullmatch(n)]
    again = re.compile(re.escape(named[0]) + r"(?: ?[1-9][0-9]{0,2})?")
    return [i for i, n in enumerate(names) if again.fullmatch(n)]


CLAIM_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
"""The delimiters a claims CSV may use, by name; the comma is the default."""
CR_ALONE = (
    "a carriage return (CR) inside the line: lines that end in a CR alone (an old Mac export) are not read; "
    "save the file with LF or CRLF line ends"
)
"""Why a CSV line of rows run together by CRs is not read: each CR ends a row to the writer of the file."""
PAST_HEADER = "lines with fields past the header's columns (not read)"
"""The name of the tally of rows longer than their header (:attr:`~.base.ClaimReader.tallies`)."""


class CsvClaims(ClaimReader):
    """A CSV batch: settled once its first row is met (a header or a claim)."""

    __slots__ = ("_columns", "_delimiter", "_head", "_header", "_more", "_notes", "_width")
    fmt = "csv"

    def __init__(self) -> None:
        super().__init__()
        self._columns = (0, 1, -1)
        """The columns of the claim id, the codes and the date (-1: none)."""
        self._more: tuple[int, ...] = ()
        """The columns of a wide layout's codes after the first (``code2`` ... ``code6``)."""
        self._head = ""
        """The header line's text ("": none): the same line again is a header too (files joined end to end,
        the part files of a Spark ``write.csv``)."""
        self._header: int | None = None
        """The number of the first line read as a row (None: not met yet), negative when that line
        is a header (so is skipped)."""
        self._delimiter = ","
        self._notes: tuple[str, ...] = ()
        self._width = 0
        """The header's number of columns (0: no header naming the columns)."""

    @property
    def settled(self) -> bool:
        """Whether the first row is met (the lines still to come are read the same in any process)."""
        return self._header is not None

    @property
    def delimiter(self) -> str:
        """The delimiter read off the first row (a comma until then)."""
        return self._delimiter

    @property
    def notes(self) -> tuple[str, ...]:
        return self._notes

    def settle(self, lines: Iterable[bytes], first: int = 1) -> None:
        if self.settled:
            return
        for number, raw in enumerate(lines, first):
            self._row(raw, number)
            if self._header is not None:
                return

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _settled,
            (self._columns, self._header, self._delimiter, self._notes, self._width, self._more, self._head),
        )

    def _first(self, text: str, number: int) -> None:
        """The first line that has fields: its delimiter, and whether it is a header (its columns)."""
        delimiter, row = _sniff(text)
        self._delimiter = delimiter
        notes = [f"fields delimited by {CLAIM_DELIMITERS[delimiter]}s"] if delimiter != "," else []
        self._header = number
        names = [_name(cell) for cell in row]
        ids = [i for i, n in enumerate(names) if n in _ID_NAMES]
        code_cols = _codes_columns(names)
        dates = [i for i, n in enumerate(names) if n in _DATE_NAMES]
        if ids and code_cols:
            date_col = dates[0] if dates else -1
            self._columns, self._more = (ids[0], code_cols[0], date_col), tuple(code_cols[1:])
            self._header = -number
            self._width = len(row)
            notes.extend(_read_notes(row, {ids[0], *code_cols, date_col}, len(code_cols)))
        elif not any(
            parse_line(t) for i, cell in enumerate(row[1:], 1) if i not in code_cols for t in split_codes(cell)
        ) and not any(ch.isdigit() for i, cell in enumerate(row[1:], 1) if i not in code_cols for ch in cell):
            self._header = -number  # names of its own: no field holds a claim line, or anything like one
            notes.append(f"line {number} taken for a header (it names no id and codes columns cptref knows)")
            date_col = dates[0] if dates else -1
            if code_cols[:1] == [0]:
                raise UnreadableBatch(
                    f"line {number}: the header names codes columns but no claim id column (id, claim_id, claim "
                    "number) before them: cptref must know which codes are one claim to check them together"
                )
            if code_cols and code_cols[0] >= 1 and 0 not in dates:  # its codes columns, named (id: the first)
                self._columns, self._more, self._width = (0, code_cols[0], date_col), tuple(code_cols[1:]), len(row)
                notes[-1] = (
                    f"line {number} taken for a header naming no claim id column cptref knows: its first, "
                    f"{row[0].strip()[:40]!r}, read as the claim id"
                )
            elif date_col >= 2:  # its date column, named
                self._columns, self._width = (0, 1, date_col), len(row)
            if self._width:  # its columns named: those it does not read are said, as under a header of names known
                notes.extend(_read_notes(row, {*self._columns[:2], *self._more, date_col}, 1 + len(self._more)))
        elif len(_trimmed(row)) == 3 and parse_claim_date(row[2])[0] is not None:
            self._columns = (0, 1, 2)  # no header, and a third field that is a date: id, codes, date
        self._notes = tuple(notes)

    def _row(self, raw: bytes, number: int) -> list[str] | BadLine | SkippedLine:
        """One physical CSV line as its fields, or why it holds none. The first line that has fields
        settles the delimiter and the columns: a header when it names them (id, codes, date) or holds
        no claim line at all (then it is :class:`SkippedLine`, here and whenever it is read again)."""
        if isinstance(raw, UnreadLine):
            return BadLine(number, raw.message)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "surrogateescape")  # bad bytes in a column not read cost nothing
        text = text.removeprefix("\ufeff").rstrip("\r\n")  # a byte order mark: a file begins here (two joined)
        if not text.strip():
            return SkippedLine(number, "blank")
        if "\r" in text and _rows_run_together(text):
            return BadLine(number, CR_ALONE)
        if self._header is None and text.startswith(
            "#TYPE "
        ):  # Windows PowerShell's Export-Csv: the type, then the header
            return SkippedLine(number, "header")
        if self._header is None:
            with contextlib.suppress(_NotARow):  # a quote that does not close: the line is reported below
                self._first(text, number)
            if self._header == -number:
                self._head = text
        elif text == self._head:
            return SkippedLine(number, "header")
        try:
            row = _fields(text, self._delimiter)
        except _NotARow as exc:
            return BadLine(number, f"not a CSV row: {exc}")
        if self._header == -number:
            return SkippedLine(number, "header")
        return row

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        """CSV, one claim a physical line."""
        last_id = last_day = None
        columns: tuple[int, int, int] | None = None
        id_col = codes_col = date_col = need = past = width = 0
        more: tuple[int, ...] = ()
        last = False
        for number, raw in enumerate(lines, first):
            row = self._row(raw, number)
            if not isinstance(row, list):
                yield row  # a BadLine or a SkippedLine
                continue
            if self._columns is not columns or self._width != width:  # settled by the first row: once
                columns, more, width = self._columns, self._more, self._width
                id_col, codes_col, date_col = columns
                need = max(id_col, codes_col, date_col, *more)
                # its codes, and any fields after them (unquoted commas), unless a header names a column after them
                last = codes_col == need and not more and (not width or codes_col == width - 1)
                past = width or date_col + 1
            if len(row) <= need:
                yield BadLine(number, f"expected {need + 1} columns (a claim id and its codes), got {len(row)}")
                continue
            claim_id = row[id_col].strip()
            if last:
                cells = row[codes_col:]
            else:
                cells = [row[codes_col], *[row[c] for c in more]] if more else [row[codes_col]]
                if len(row) > past and any(c.strip() for c in row[past:]):
                    self.tallies[PAST_HEADER] = self.tallies.get(PAST_HEADER, 0) + 1
            day = row[date_col].strip() if date_col >= 0 else ""
            if not raw.isascii() and _escaped(claim_id, day, *cells):
                yield BadLine(number, NOT_UTF8)
                continue
            codes = [t for cell in cells if cell not in MISSING for t in split_codes(cell)]
            if not claim_id:
                yield BadLine(number, "the claim id is empty")
                continue
            if not codes:
                yield BadLine(number, "the claim has no codes")
                continue
            if claim_id == last_id and day == last_day:
                raise UnreadableBatch(_one_line_a_line(number, claim_id, first))
            last_id, last_day = claim_id, day
            date = None
            if day and day not in MISSING:
                date = self._date(day)
                if date is None:
                    yield BadLine(
                        number, f"the date must be written {CLAIM_DATE_FORMS}, got {day[:40]!r}{date_hint(day)}"
                    )
                    continue
            yield BatchClaim(claim_id, number, tuple(codes), date)


NOT_UTF8 = (
    "not UTF-8 text in its claim id, codes or date: save the file as CSV UTF-8 (Excel: File > Save As > "
    "CSV UTF-8), or convert it (a Windows export: iconv -f CP1252 -t UTF-8)"
)
"""Why a CSV line whose read fields are not UTF-8 is not read (its other columns may hold anything)."""


def _escaped(*cells: str) -> bool:
    """Whether any of the cells holds a byte that was not UTF-8 (decoded as a lone surrogate)."""
    return any("\udc80" <= ch <= "\udcff" for cell in cells for ch in cell if not ch.isascii())


LONG_LAYOUT_FIX = (
    "duckdb -c \"COPY (SELECT id, date, string_agg(code, ' ') AS codes FROM 'lines.csv' GROUP BY ALL) TO 'claims.csv'\""
)
"""How a file of one line a claim line becomes one of one line a claim (said when one is refused)."""


def _one_line_a_line(number: int, claim_id: str, first: int) -> str:
    return (
        f"line {number}: the claim id {claim_id[:40]!r} and its date again, as on the line before: one line a "
        "claim line (a long layout) is not read, as each line would be checked alone, never against the "
        f'others; write one line a claim, its codes in one field ("A1","47532 47542",2026-01-15): {LONG_LAYOUT_FIX}; '
        f"the batch stopped, no claim checked from line {first} on"
    )


def _settled(
    columns: tuple[int, int, int],
    header: int | None,
    delimiter: str,
    notes: tuple[str, ...],
    width: int,
    more: tuple[int, ...] = (),
    head: str = "",
) -> CsvClaims:
    reader = CsvClaims()
    reader._columns, reader._header, reader._delimiter, reader._notes, reader._width = (
        columns,
        header,
        delimiter,
        notes,
        width,
    )
    reader._more, reader._head = more, head
    return reader


def _name(cell: str) -> str:
    """A header cell as the name it is known by: any case, spaces, underscores, hyphens, dots and ``#``
    alike (`` CPT_Code ``, ``cpt-code``: ``cpt code``)."""
    return re.sub(r"[\s_.#-]+", " ", cell.lower()).strip()


def _read_notes(row: list[str], read: set[int], codes: int) -> list[str]:
    """What a header's columns say once: codes read from many columns, and the columns not read."""
    notes = [f"codes read from {codes} columns, one code a column (a wide layout)"] if codes > 1 else []
    unread = [f"{cell.strip()[:40]!r} ({i + 1})" for i, cell in enumerate(row) if i not in read]
    if unread:
        notes.append(f"column{'s' * (len(unread) > 1)} {', '.join(unread)} not read (cptref reads id, codes, date)")
    return notes


def _trimmed(row: list[str]) -> list[str]:
    """A row without the empty field a trailing delimiter leaves (a database export's ``A1|47532|``)."""
    return row[:-1] if len(row) > 1 and not row[-1].strip() else row


def _rows_run_together(text: str) -> bool:
    """Whether a line holding carriage returns is rows whose lines end in a CR alone (a reader of lines
    sees them as one): two pieces or more between the CRs, each holding the same delimiter. A CR inside
    a claim id of one row (a piece without that delimiter) is left to be read, and shown escaped."""
    pieces = [piece for piece in text.split("\r") if piece.strip()]
    return len(pieces) > 1 and any(all(d in piece for piece in pieces) for d in CLAIM_DELIMITERS)


class _NotARow(ValueError):
    """A CSV line that is not a row (csv.Error's message; the csv module is imported only when needed)."""


def _fields(text: str, delimiter: str = ",") -> list[str]:
    """One physical line as CSV fields; a line with an unclosed quote is an error of that line alone."""
    if '"' not in text:
        return text.split(delimiter)
    import csv  # deferred: a claim on the command line never needs it

    try:
        return next(csv.reader([text], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise _NotARow(str(exc)) from None


def _sniff(text: str) -> tuple[str, list[str]]:
    """The delimiter of a claims CSV, read off its first row, and that row's fields: the one that
    splits a header into the id and codes names; else (a claim, or a header of other names) the one
    whose fields after the first hold the most claim lines (dates aside) for their words, then the
    one that leaves the first field (a claim id) free of the other delimiters, then the first of
    comma, tab, semicolon, pipe."""
    rows: dict[str, list[str]] = {}
    for delimiter in CLAIM_DELIMITERS:
        if delimiter not in text:
            continue
        row = rows[delimiter] = _fields(text, delimiter)
        names = {cell.strip().lower() for cell in row}
        if names & _ID_NAMES and names & _CODES_NAMES:
            return delimiter, row
    best: tuple[float, bool, int] = (-1.0, False, 0)
    chosen = ","
    for order, (delimiter, row) in enumerate(rows.items()):
        if len(row) < 2:
            continue
        words = [t for cell in row[1:] for t in split_codes(cell) if parse_claim_date(t)[0] is None]
        share = sum(parse_line(t) is not None for t in words) / len(words) if words else 0.0
        score = (share, not any(other in row[0] for other in CLAIM_DELIMITERS if other != delimiter), -order)
        if score > best:
            best, chosen = score, delimiter
    return chosen, rows.get(chosen) or _fields(text, chosen)
