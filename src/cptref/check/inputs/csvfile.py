"""Claims from a CSV file: a claim id column, a codes column (claim lines split by spaces, commas,
semicolons or pipes) and an optional date column, with or without a header.

One claim is one physical line: a quoted field does not run over into the next line, so a stray
quote costs that line, never the rest of the file. The first line that has fields settles the
columns: a header when it names them (``id``, ``codes``, ``date`` and their usual spellings), or
when no field of it holds a claim line; otherwise the first line is a claim and the columns are id,
codes (and no date).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cptref.check.lines import parse_line, split_codes

from .base import TOO_LONG, TOO_LONG_MESSAGE, BadLine, BatchClaim, ClaimReader, Item, SkippedLine

_ID_NAMES = frozenset(["id", "claim", "claim id", "claim_id", "claimid", "claim-id", "claim number", "claim_number"])
_CODES_NAMES = frozenset(
    ["codes", "code", "cpt", "cpt codes", "cpt_codes", "cpt-codes", "hcpcs", "lines", "procedures", "procedure codes"]
)
_DATE_NAMES = frozenset(["date", "dos", "date of service", "date_of_service", "service date", "service_date"])


class CsvClaims(ClaimReader):
    """A CSV batch: settled once its first row is met (a header or a claim)."""

    __slots__ = ("_columns", "_header")
    fmt = "csv"

    def __init__(self) -> None:
        super().__init__()
        self._columns = (0, 1, -1)
        """The columns of the claim id, the codes and the date (-1: none)."""
        self._header: int | None = None
        """The number of the first line read as a row (None: not met yet), negative when that line
        is a header (so is skipped)."""

    @property
    def settled(self) -> bool:
        """Whether the first row is met (the lines still to come are read the same in any process)."""
        return self._header is not None

    def settle(self, lines: Iterable[bytes], first: int = 1) -> None:
        if self.settled:
            return
        for number, raw in enumerate(lines, first):
            self._row(raw, number)
            if self._header is not None:
                return

    def __reduce__(self) -> tuple[Any, ...]:
        return (_settled, (self._columns, self._header))

    def _row(self, raw: bytes, number: int) -> list[str] | BadLine | SkippedLine:
        """One physical CSV line as its fields, or why it holds none. The first line that has fields
        settles the columns: a header when it names them (id, codes, date) or holds no claim line
        at all (then it is :class:`SkippedLine`, here and whenever it is read again)."""
        if raw is TOO_LONG:
            return BadLine(number, TOO_LONG_MESSAGE)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return BadLine(number, "not UTF-8 text")
        if number == 1:
            text = text.removeprefix("\ufeff")
        text = text.rstrip("\r\n")
        if not text.strip():
            return SkippedLine(number, "blank")
        try:
            row = _fields(text)
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
            return SkippedLine(number, "header")
        return row

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        """CSV, one claim a physical line."""
        for number, raw in enumerate(lines, first):
            row = self._row(raw, number)
            if not isinstance(row, list):
                yield row  # a BadLine or a SkippedLine
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
            yield BatchClaim(claim_id, number, tuple(codes), date)


def _settled(columns: tuple[int, int, int], header: int | None) -> CsvClaims:
    reader = CsvClaims()
    reader._columns, reader._header = columns, header
    return reader


class _NotARow(ValueError):
    """A CSV line that is not a row (csv.Error's message; the csv module is imported only when needed)."""


def _fields(text: str) -> list[str]:
    """One physical line as CSV fields; a line with an unclosed quote is an error of that line alone."""
    if '"' not in text:
        return text.split(",")
    import csv  # deferred: a claim on the command line never needs it

    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise _NotARow(str(exc)) from None
