"""The PTP table in a form a batch of claims can be checked against without a query per code:
compressed sparse rows, built once when the table is compiled, stored in the compiled file and
read into memory when a batch starts.

Every code of the table gets an id, in code order. The rows sorted by column 1 then column 2 then
effective date become three arrays: the column-2 code id of each row (4 bytes), its effective and
deletion dates packed in one integer (8 bytes), and its modifier indicator, pre-1996 flag,
rationale, file and line packed in another (8 bytes). A column-1 code owns one contiguous range of
them, so "is (a, b) an edit?" is a dictionary look-up of ``a``'s range and a binary search for
``b``'s id in it. About 20 bytes a row: some 25 MB for a full practitioner table, read from the
compiled file in tens of milliseconds, whatever the batch; a per-code cache of rows either
thrashes on a long-tailed batch (measured: 24,000 claims/s) or grows to hold the whole table
several times over in Python objects.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

_DATE_BITS = 27
_DATE = (1 << _DATE_BITS) - 1
_LINE_BITS, _FILE_BITS, _TEXT_BITS = 24, 16, 19
_FILE_SHIFT = _LINE_BITS
_TEXT_SHIFT = _FILE_SHIFT + _FILE_BITS
_PRE_SHIFT = _TEXT_SHIFT + _TEXT_BITS
_MI_SHIFT = _PRE_SHIFT + 1
_NO_PARTNERS: frozenset[str] = frozenset()
PARTNER_ROWS = 2_000_000
"""At most this many codes are kept in the sets of :meth:`PtpIndex._partners_of` (some 60 MB at
worst; a full practitioner table has about 1.3 million rows)."""
_BISECT_COST = 4
"""A row walked costs about a quarter of a binary search (a dictionary look-up against some twenty
steps of search): a code's rows are walked when they number fewer than four times the claim's codes."""

PTP_INDEX_SCHEMA = """
CREATE TABLE ptp_index (
  t INTEGER PRIMARY KEY, codes BLOB NOT NULL, c1 BLOB NOT NULL, starts BLOB NOT NULL,
  c2 BLOB NOT NULL, spans BLOB NOT NULL, rows BLOB NOT NULL
)
"""


def _le(values: array[int]) -> bytes:
    """An array's bytes, little-endian whatever the machine (a cache folder can be shared)."""
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_le(typecode: str, data: bytes) -> array[int]:
    values = array(typecode)
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def build_ptp_index(db: sqlite3.Connection, t: int) -> bool:
    """Build and store the index of PTP table ``t`` (already inserted). False, and nothing stored,
    when a value does not fit its field (the reader then answers by queries)."""
    codes = sorted(
        {row[0] for row in db.execute("SELECT DISTINCT c1 FROM ptp WHERE t = ?", (t,))}
        | {row[0] for row in db.execute("SELECT DISTINCT c2 FROM ptp WHERE t = ?", (t,))}
    )
    if any(len(code) != 5 or not code.isascii() for code in codes):
        return False
    ids = {code: i for i, code in enumerate(codes)}
    column1, starts = array("I"), array("I")
    column2, spans, rows = array("I"), array("Q"), array("Q")
    previous = None
    append2, append_span, append_row = column2.append, spans.append, rows.append
    for c1, c2, eff, end, mi, pre, rat, f, line in db.execute(
        "SELECT c1, c2, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = ? ORDER BY c1, c2, eff, f, line", (t,)
    ):
        if c1 != previous:
            column1.append(ids[c1])
            starts.append(len(column2))
            previous = c1
        if line >> _LINE_BITS or f >> _FILE_BITS or rat >> _TEXT_BITS or end > _DATE:
            return False
        append2(ids[c2])
        append_span(eff << _DATE_BITS | end)
        append_row(mi << _MI_SHIFT | pre << _PRE_SHIFT | rat << _TEXT_SHIFT | f << _FILE_SHIFT | line)
    starts.append(len(column2))
    db.execute(
        "INSERT INTO ptp_index VALUES (?, ?, ?, ?, ?, ?, ?)",
        (t, "".join(codes).encode("ascii"), _le(column1), _le(starts), _le(column2), _le(spans), _le(rows)),
    )
    return True


Cells = tuple[int, int, int, int, int, int, int]
"""(effective, deletion or NO_END, modifier, pre-1996, rationale id, file id, line) of a row."""


@dataclass
class PtpIndex:
    codes: dict[str, tuple[str, int, int, int]]
    """Code -> (the code, its id, and the start and end of its rows as column 1, equal when it has
    none): the one look-up a code of a claim costs."""
    column2: array[int]
    spans: array[int]
    rows: array[int]
    _partners: dict[str, frozenset[str]] = field(default_factory=dict)
    """Code -> the codes it has rows with as column 1 (see :meth:`_partners_of`)."""
    _partner_rows: int = 0
    _names: list[str] = field(default_factory=list)
    """The codes by id, made when first needed."""

    @classmethod
    def load(cls, db: sqlite3.Connection, t: int) -> PtpIndex | None:
        found = db.execute("SELECT codes, c1, starts, c2, spans, rows FROM ptp_index WHERE t = ?", (t,)).fetchone()
        if found is None:
            return None
        text = bytes(found[0]).decode("ascii")
        codes = [text[i : i + 5] for i in range(0, len(text), 5)]
        column1 = _from_le("I", bytes(found[1]))
        starts = _from_le("I", bytes(found[2]))
        column2 = _from_le("I", bytes(found[3]))
        spans, rows = _from_le("Q", bytes(found[4])), _from_le("Q", bytes(found[5]))
        if len(starts) != len(column1) + 1 or not len(column2) == len(spans) == len(rows) == starts[-1]:
            raise ValueError("the PTP index of the compiled file is inconsistent")
        ranges = {c: (starts[i], starts[i + 1]) for i, c in enumerate(column1)}
        none = (0, 0)
        return cls(
            {code: (code, i, *ranges.get(i, none)) for i, code in enumerate(codes)},
            column2,
            spans,
            rows,
        )

    def pairs(self, unique: list[str], day: int) -> list[tuple[str, str, Cells]]:
        """(column 1, column 2, row) of every edit in force on ``day`` between two of ``unique``."""
        return [(a, b, self.cells(i)) for a, b, i in self.hits(unique, day)]

    def may_pair(self, unique: Collection[str]) -> bool:
        """False when no two of ``unique`` (distinct codes) have a row in either order, whatever the
        date: the common claim, answered by one set operation a code instead of a search a pair.
        True says only that :meth:`hits` must look."""
        partners = self._partners
        for code in unique:
            found = partners.get(code)
            if found is None:
                found = self._partners_of(code)
            if found and not found.isdisjoint(unique):
                return True
        return False

    def _partners_of(self, code: str) -> frozenset[str]:
        """The codes ``code`` has rows with as column 1 (empty: none, or not in the table);
        remembered while the sets hold fewer than :data:`PARTNER_ROWS` codes in all (the codes are
        the index's own strings: a set costs its slots only)."""
        entry = self.codes.get(code)
        if entry is None:
            return _NO_PARTNERS  # not in the table: one look-up each time (any text can be a claim's code)
        if entry[2] == entry[3]:
            self._partners[code] = _NO_PARTNERS  # a code of the table: bounded by the table
            return _NO_PARTNERS
        names = self._names
        if not names:
            names.extend(self.codes)  # in id order: the codes were numbered in that order
        lo, hi = entry[2], entry[3]
        found = frozenset([names[i] for i in self.column2[lo:hi]])
        if self._partner_rows + (hi - lo) <= PARTNER_ROWS:
            self._partners[code] = found
            self._partner_rows += hi - lo
        return found

    def hits(self, unique: Iterable[str], day: int) -> list[tuple[str, str, int]]:
        """(column 1, column 2, row number) of every edit in force on ``day`` between two of
        ``unique`` (distinct codes), in the order of ``unique`` (column 1, then column 2), then by
        effective date, file and line. Each code is looked up once. For each column-1 code with rows,
        the cheaper of two ways: a binary search for each other code of the claim (a claim of a few
        codes), or a walk of the code's rows against the claim's codes (a claim of many codes: never
        a search per pair, so a claim of n codes costs at most n times the longest row range, not n
        squared searches)."""
        codes = self.codes
        known = [found for code in unique if (found := codes.get(code)) is not None]
        if len(known) < 2:
            return []
        out: list[tuple[str, str, int]] = []
        column2, spans = self.column2, self.spans
        place: dict[int, int] | None = None
        for first in known:
            _, own, lo, hi = first
            if lo == hi:
                continue
            if (hi - lo) < len(known) * _BISECT_COST:  # walk the rows, then put them in the claim's order
                if place is None:
                    place = {found[1]: n for n, found in enumerate(known)}
                found_rows = []
                for i in range(lo, hi):
                    n = place.get(column2[i])
                    if n is not None and column2[i] != own:
                        span = spans[i]
                        if span >> _DATE_BITS <= day < (span & _DATE):
                            found_rows.append((n, i))
                found_rows.sort()
                name = first[0]
                out.extend((name, known[n][0], i) for n, i in found_rows)
                continue
            for second in known:
                if second is first:
                    continue
                wanted = second[1]
                i = bisect_left(column2, wanted, lo, hi)
                while i < hi and column2[i] == wanted:
                    span = spans[i]
                    if span >> _DATE_BITS <= day < (span & _DATE):
                        out.append((first[0], second[0], i))
                    i += 1
        return out

    def cells(self, i: int) -> Cells:
        span, row = self.spans[i], self.rows[i]
        return (
            span >> _DATE_BITS,
            span & _DATE,
            row >> _MI_SHIFT,
            row >> _PRE_SHIFT & 1,
            row >> _TEXT_SHIFT & ((1 << _TEXT_BITS) - 1),
            row >> _FILE_SHIFT & ((1 << _FILE_BITS) - 1),
            row & ((1 << _LINE_BITS) - 1),
        )
