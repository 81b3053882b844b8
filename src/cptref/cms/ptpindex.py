"""The PTP table in a form a batch of claims can be checked against without a query per code:
compressed sparse rows, built once when the table is compiled, stored in the compiled file and
read into memory when a batch starts. Since format 5 of the compiled file they are the only copy
of the rows (issue 26: the rows had been stored three times, 115 MB for a full set of tables):
``show`` and a one-claim ``check`` read a code's rows from them a chunk at a time
(:mod:`cptref.cms.ptprows`), ``changes`` compares two tables' arrays.

Every code of the table gets an id, in code order. The rows sorted by column 1 then column 2 then
effective date become three arrays: the column-2 code id of each row (4 bytes), its effective and
deletion dates packed in one integer (8 bytes), and its modifier indicator, pre-1996 flag,
rationale, file and line packed in another (8 bytes). A column-1 code owns one contiguous range of
them, so "is (a, b) an edit?" is a dictionary look-up of ``a``'s range and a binary search for
``b``'s id in it. A fourth array, ``by2`` (4 bytes a row), lists the rows in column-2 order, for
"which edits name this code in column 2". About 24 bytes a row: some 30 MB for a full practitioner
table, of which a batch reads the 25 MB it needs in tens of milliseconds, whatever the batch; a
per-code cache of rows either thrashes on a long-tailed batch (measured: 24,000 claims/s) or grows
to hold the whole table several times over in Python objects.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

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
CHUNK_ROWS = 200
"""Rows a stored chunk holds: 200 rows of 20 bytes fill one 4 KiB page of SQLite (a chunk per page,
none spilling to an overflow page), so reading one row's chunk reads one page."""
BY2_ROWS = 1000
"""Entries of ``by2`` (4 bytes each) a stored chunk of it holds: one page too."""
ID_BITS = 32

PTP_INDEX_SCHEMA = """
CREATE TABLE ptp_index (
  t INTEGER PRIMARY KEY, count INTEGER NOT NULL, codes BLOB NOT NULL, c1 BLOB NOT NULL, starts BLOB NOT NULL,
  starts2 BLOB NOT NULL
);
CREATE TABLE ptp_chunks (id INTEGER PRIMARY KEY, c2 BLOB NOT NULL, spans BLOB NOT NULL, rows BLOB NOT NULL);
CREATE TABLE ptp_by2 (id INTEGER PRIMARY KEY, by2 BLOB NOT NULL);
"""
"""``ptp_index``: a table's row count, its codes (5 ASCII bytes each, in code order: a code's id is
its place), the column-1 code ids with rows and where their rows start (one more), and ``starts2``,
where each code id's rows as column 2 start in ``by2`` (one more than the codes). ``ptp_chunks``:
the per-row arrays cut in chunks of :data:`CHUNK_ROWS` rows (chunk ``n`` of table ``t`` has the id
``t << 32 | n``): the column-2 code id, the packed dates, the packed cells. ``ptp_by2``: the row
numbers in column-2 order (column 2, then column 1, effective date, file, line), in chunks of
:data:`BY2_ROWS`, which a batch never reads. The arrays are the only copy of the rows of a table
whose index can be built (its rows are not kept in the ``ptp`` table); a look-up of one code reads
the small arrays and that code's chunks, a batch reads every chunk (:meth:`PtpIndex.load`)."""

PTP_COLUMNS = (
    "t INTEGER NOT NULL, c1 TEXT NOT NULL, c2 TEXT NOT NULL, eff INTEGER NOT NULL, del INTEGER NOT NULL, "
    "mi INTEGER NOT NULL, pre INTEGER NOT NULL, rat INTEGER NOT NULL, f INTEGER NOT NULL, line INTEGER NOT NULL, "
    "PRIMARY KEY (t, c1, c2, eff, f, line)"
)
"""The columns of the ``ptp`` table (a WITHOUT ROWID table), and of the tables its rows pass through."""

StoredPtpRow = tuple[str, str, int, int, int, int, int, int, int]
"""(column 1, column 2, effective, deletion or NO_END, modifier, pre-1996, rationale id, file id,
line): a row as the ``ptp`` table holds it."""


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


def build_ptp_index(db: sqlite3.Connection, t: int, source: str = "ptp") -> bool:
    """Build and store the index of PTP table ``t`` (already inserted in the table ``source``, of
    the ``ptp`` table's columns). False, and nothing stored, when a value does not fit its field
    (the rows are then kept in the ``ptp`` table and the reader answers by queries)."""
    codes = sorted(
        {row[0] for row in db.execute(f"SELECT DISTINCT c1 FROM {source} WHERE t = ?", (t,))}  # noqa: S608
        | {row[0] for row in db.execute(f"SELECT DISTINCT c2 FROM {source} WHERE t = ?", (t,))}  # noqa: S608
    )
    if any(len(code) != 5 or not code.isascii() for code in codes):
        return False
    ids = {code: i for i, code in enumerate(codes)}
    column1, starts = array("I"), array("I")
    column2, spans, rows = array("I"), array("Q"), array("Q")
    previous = None
    append2, append_span, append_row = column2.append, spans.append, rows.append
    for c1, c2, eff, end, mi, pre, rat, f, line in db.execute(
        f"SELECT c1, c2, eff, del, mi, pre, rat, f, line FROM {source} WHERE t = ? "  # noqa: S608
        "ORDER BY c1, c2, eff, f, line",
        (t,),
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
    by2 = array("I", sorted(range(len(column2)), key=column2.__getitem__))  # stable: column 1 order kept
    counts = [0] * (len(codes) + 1)
    for i in column2:
        counts[i + 1] += 1
    starts2 = array("I", accumulate(counts))
    db.execute(
        "INSERT INTO ptp_index VALUES (?, ?, ?, ?, ?, ?)",
        (t, len(column2), "".join(codes).encode("ascii"), _le(column1), _le(starts), _le(starts2)),
    )
    db.executemany(
        "INSERT INTO ptp_chunks VALUES (?, ?, ?, ?)",
        (
            (
                t << ID_BITS | n,
                _le(column2[lo : lo + CHUNK_ROWS]),
                _le(spans[lo : lo + CHUNK_ROWS]),
                _le(rows[lo : lo + CHUNK_ROWS]),
            )
            for n, lo in enumerate(range(0, len(column2), CHUNK_ROWS))
        ),
    )
    db.executemany(
        "INSERT INTO ptp_by2 VALUES (?, ?)",
        ((t << ID_BITS | n, _le(by2[lo : lo + BY2_ROWS])) for n, lo in enumerate(range(0, len(by2), BY2_ROWS))),
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
        found = read_arrays(db, t, ids=False)
        if found is None:
            return None
        ranges = {c: (found.starts[i], found.starts[i + 1]) for i, c in enumerate(found.column1)}
        none = (0, 0)
        return cls(
            {code: (code, i, *ranges.get(i, none)) for i, code in enumerate(found.codes)},
            found.column2,
            found.spans,
            found.rows,
        )

    def pairs(self, unique: list[str], day: int) -> list[tuple[str, str, Cells]]:
        """(column 1, column 2, row) of every edit in force on ``day`` between two of ``unique``."""
        return [(a, b, self.cells(i)) for a, b, i in self.hits(unique, day)]

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

    def hits(
        self, unique: Iterable[str], day: int, ending: list[tuple[str, str, int]] | None = None
    ) -> list[tuple[str, str, int]]:
        """(column 1, column 2, row number) of every edit in force on ``day`` between two of
        ``unique`` (distinct codes), in the order of ``unique`` (column 1, then column 2), then by
        effective date, file and line. One pass: a code none of whose partners
        (:meth:`_partners_of`, the codes it has rows with, whatever the date) is on the claim costs
        one set operation and no search (the common claim: no two of its codes have an edit at
        all); a code that has some is searched for those codes only, never for a code it has no row
        with. For each column-1 code the smaller of its partners and the claim's codes is walked, so
        a claim of many codes never costs a search a pair. ``ending``, when given, receives the rows
        whose deletion date is ``day`` (in force that day under one reading of a deletion date, not
        under cptref's: :func:`cptref.cms.models.in_force`), in the same order."""
        if not isinstance(unique, dict):
            unique = dict.fromkeys(unique)
        partners = self._partners
        out: list[tuple[str, str, int]] = []
        place: dict[str, int] | None = None
        for first in unique:
            found = partners.get(first)
            if found is None:
                found = self._partners_of(first)
            if not found or found.isdisjoint(unique):
                continue
            seconds: Iterable[str] = unique  # a claim of a few codes: each met against the partners
            if len(found) < len(unique):  # a claim of many codes: the partners met against them
                seconds = [code for code in found if code in unique]
                if len(seconds) > 1:  # back in the claim's order
                    if place is None:
                        place = {code: n for n, code in enumerate(unique)}
                    seconds.sort(key=place.__getitem__)
            codes, column2, spans = self.codes, self.column2, self.spans
            _, _, lo, hi = codes[first]
            for second in seconds:
                if second == first or second not in found:
                    continue
                wanted = codes[second][1]
                i = bisect_left(column2, wanted, lo, hi)
                while i < hi and column2[i] == wanted:
                    span = spans[i]
                    if span >> _DATE_BITS <= day:
                        end = span & _DATE
                        if day < end:
                            out.append((first, second, i))
                        elif day == end and ending is not None:
                            ending.append((first, second, i))
                    i += 1
        return out

    def cells(self, i: int) -> Cells:
        return _cells(self.spans[i], self.rows[i])


def _cells(span: int, row: int) -> Cells:
    return (
        span >> _DATE_BITS,
        span & _DATE,
        row >> _MI_SHIFT,
        row >> _PRE_SHIFT & 1,
        row >> _TEXT_SHIFT & ((1 << _TEXT_BITS) - 1),
        row >> _FILE_SHIFT & ((1 << _FILE_BITS) - 1),
        row & ((1 << _LINE_BITS) - 1),
    )


class DamagedPtpIndex(ValueError):
    """A PTP index whose arrays do not agree with each other: the compiled file is damaged (compile
    it again)."""


def _inconsistent() -> DamagedPtpIndex:
    return DamagedPtpIndex("the PTP index of the compiled file is inconsistent")


@dataclass
class _Head:
    """The small arrays of a stored index: its codes and where each one's rows are."""

    count: int
    codes: list[str]
    column1: array[int]
    starts: array[int]
    starts2: array[int]

    @classmethod
    def read(cls, found: Sequence[Any]) -> _Head:
        count, text, c1, st, st2 = found
        text = bytes(text)
        if not isinstance(count, int) or count < 0 or len(text) % 5 or not text.isascii():
            raise _inconsistent()
        words = text.decode("ascii")
        codes = [words[i : i + 5] for i in range(0, len(words), 5)]
        column1, starts, starts2 = _from_le("I", bytes(c1)), _from_le("I", bytes(st)), _from_le("I", bytes(st2))
        # each check in C over the arrays (a batch pays for them when it starts): in order, in range
        if (
            len(starts) != len(column1) + 1
            or len(starts2) != len(codes) + 1
            or starts[0] != 0
            or starts[-1] != count
            or starts2[0] != 0
            or starts2[-1] != count
            or starts.tolist() != sorted(starts)
            or starts2.tolist() != sorted(starts2)
            or column1.tolist() != sorted(set(column1))
            or (column1 and column1[-1] >= len(codes))
            or codes != sorted(codes)
        ):
            raise _inconsistent()
        return cls(count, codes, column1, starts, starts2)

    def first(self, code: str) -> tuple[int, int, int]:
        """The id of ``code`` (-1 when the table does not name it) and the range of its rows as column 1."""
        i = bisect_left(self.codes, code)
        if i == len(self.codes) or self.codes[i] != code:
            return -1, 0, 0
        n = bisect_left(self.column1, i)
        if n == len(self.column1) or self.column1[n] != i:
            return i, 0, 0
        return i, self.starts[n], self.starts[n + 1]

    def owner(self, row: int) -> str:
        """The column-1 code of row number ``row``."""
        return self.codes[self.column1[bisect_right(self.starts, row) - 1]]


@dataclass
class PtpArrays(_Head):
    """Every array of a stored index, read whole and checked: what :meth:`PtpIndex.load` keeps of
    it, and what ``changes`` compares two tables by."""

    column2: array[int]
    spans: array[int]
    rows: array[int]

    def rows_of(self, lo: int, hi: int) -> Iterator[StoredPtpRow]:
        """The rows numbered ``lo`` to ``hi`` (column-1 order)."""
        codes, column2, spans, rows = self.codes, self.column2, self.spans, self.rows
        for i in range(lo, hi):
            yield (self.owner(i), codes[column2[i]], *_cells(spans[i], rows[i]))


def _chunk_range(t: int) -> tuple[int, int]:
    return t << ID_BITS, (t << ID_BITS) | ((1 << ID_BITS) - 1)


def read_arrays(db: sqlite3.Connection, t: int, schema: str = "main", *, ids: bool = True) -> PtpArrays | None:
    """The index of PTP table ``t`` read whole (but ``by2``), or None when it has none (its rows are in
    the ``ptp`` table). Raises ValueError when its arrays do not agree with each other (a damaged
    file); ``ids``: and when a column-2 id is past the codes (what :meth:`PtpArrays.rows_of` needs;
    the batch's look-ups never index the codes by it)."""
    found = db.execute(
        f"SELECT count, codes, c1, starts, starts2 FROM {schema}.ptp_index WHERE t = ?",  # noqa: S608
        (t,),
    ).fetchone()
    if found is None:
        return None
    head = _Head.read(found)
    lo, hi = _chunk_range(t)
    sql = f"SELECT id, c2, spans, rows FROM {schema}.ptp_chunks WHERE id BETWEEN ? AND ? ORDER BY id"  # noqa: S608
    column2, spans, rows = array("I"), array("Q"), array("Q")
    for n, (number, c2, packed_spans, packed_rows) in enumerate(db.execute(sql, (lo, hi))):
        if number != lo + n:
            raise _inconsistent()
        column2.frombytes(c2)  # chunk by chunk: never the blobs and their join at once
        spans.frombytes(packed_spans)
        rows.frombytes(packed_rows)
    if sys.byteorder == "big":
        for values in (column2, spans, rows):
            values.byteswap()
    count = head.count
    if not len(column2) == len(spans) == len(rows) == count:
        raise _inconsistent()
    if ids and count and max(column2) >= len(head.codes):
        raise _inconsistent()
    return PtpArrays(head.count, head.codes, head.column1, head.starts, head.starts2, column2, spans, rows)
