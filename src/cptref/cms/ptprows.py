"""The PTP rows of a compiled file read from its index (:mod:`cptref.cms.ptpindex`), the only copy
of them: a code at a time for ``show`` and a one-claim ``check`` (:class:`PtpRows`, which reads the
chunks of the rows asked for, never the whole table), and the rows that differ
between two tables for ``changes`` (:func:`differing_rows`, a merge of two sorted arrays)."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence

from .ptpindex import (
    _TEXT_BITS,
    _TEXT_SHIFT,
    BY2_ROWS,
    CHUNK_ROWS,
    ID_BITS,
    PtpArrays,
    StoredPtpRow,
    _cells,
    _from_le,
    _Head,
    _inconsistent,
)
from .wordindex import Query

_Chunk = tuple["array[int]", ...]
"""A stored chunk's column-2 ids, packed dates and packed cells; or a chunk of ``by2``."""


class PtpRows:
    """The rows of one stored index read a code at a time, for ``show`` and a one-claim ``check``:
    the small arrays (codes and ranges: some hundreds of kilobytes for a full table) once, then the
    chunks that hold the rows asked for, never the whole table. Answers as the ``ptp`` table's
    queries did: rows of the ``ptp`` table's columns (:data:`StoredPtpRow`)."""

    def __init__(self, query: Query, t: int) -> None:
        found = query("SELECT count, codes, c1, starts, starts2 FROM ptp_index WHERE t = ?", (t,))
        if not found:
            raise _inconsistent()
        self._query = query
        self.t = t
        self.head = _Head.read(found[0])

    @classmethod
    def open(cls, query: Query, t: int) -> PtpRows | None:
        """The rows of table ``t``, or None when it has no index (its rows are in the ``ptp`` table)."""
        if not query("SELECT 1 FROM ptp_index WHERE t = ?", (t,)):
            return None
        return cls(query, t)

    def _chunks(self, numbers: Iterable[int], by2: bool = False) -> dict[int, _Chunk]:
        """The chunks numbered ``numbers`` (of ``ptp_by2`` when ``by2``), each as its arrays."""
        wanted = sorted(set(numbers))
        base = self.t << ID_BITS
        table = "ptp_by2" if by2 else "ptp_chunks"
        columns = "by2" if by2 else "c2, spans, rows"
        size = BY2_ROWS if by2 else CHUNK_ROWS
        out: dict[int, _Chunk] = {}
        for at in range(0, len(wanted), 500):
            part = wanted[at : at + 500]
            marks = ", ".join("?" * len(part))
            for number, *blobs in self._query(
                f"SELECT id, {columns} FROM {table} WHERE id IN ({marks})",  # noqa: S608 - names of ours
                [base | n for n in part],
            ):
                if by2:
                    arrays: _Chunk = (_from_le("I", blobs[0]),)
                else:
                    arrays = (_from_le("I", blobs[0]), _from_le("Q", blobs[1]), _from_le("Q", blobs[2]))
                if not all(len(a) == len(arrays[0]) for a in arrays) or len(arrays[0]) > size:
                    raise _inconsistent()
                out[number - base] = arrays
        if len(out) != len(wanted):
            raise _inconsistent()
        return out

    def _rows(self, numbers: Sequence[int]) -> list[StoredPtpRow]:
        """The rows numbered ``numbers``, in that order."""
        head = self.head
        if any(not 0 <= i < head.count for i in numbers):
            raise _inconsistent()
        chunks = self._chunks(i // CHUNK_ROWS for i in numbers)
        out = []
        codes, column1, starts = head.codes, head.column1, head.starts
        known = len(codes)
        for i in numbers:
            c2, spans, rows = chunks[i // CHUNK_ROWS]
            k = i % CHUNK_ROWS
            if k >= len(c2) or c2[k] >= known:
                raise _inconsistent()
            owner = codes[column1[bisect_right(starts, i) - 1]]
            out.append((owner, codes[c2[k]], *_cells(spans[k], rows[k])))
        return out

    def _spans(self, ranges: Sequence[tuple[int, int]]) -> dict[int, _Chunk]:
        """The chunks holding the rows numbered ``lo`` to ``hi`` of each range."""
        size = CHUNK_ROWS
        return self._chunks(n for lo, hi in ranges if lo < hi for n in range(lo // size, (hi - 1) // size + 1))

    def as_column1(self, code: str) -> list[StoredPtpRow]:
        """The rows of ``code`` as column 1: by column 2, effective date, file and line."""
        _, lo, hi = self.head.first(code)
        if not 0 <= lo <= hi <= self.head.count:
            raise _inconsistent()
        chunks = self._spans([(lo, hi)])
        codes = self.head.codes
        out = []
        for i in range(lo, hi):
            c2, spans, rows = chunks[i // CHUNK_ROWS]
            k = i % CHUNK_ROWS
            if k >= len(c2) or c2[k] >= len(codes):
                raise _inconsistent()
            out.append((code, codes[c2[k]], *_cells(spans[k], rows[k])))
        return out

    def among(self, codes: Sequence[str]) -> list[StoredPtpRow]:
        """The rows between two of ``codes`` (distinct), whatever their dates: what one claim asks. Reads
        the chunks of each code's rows as column 1, and makes a row only of those it keeps."""
        head = self.head
        ids: set[int] = set()
        ranges = []
        for code in codes:
            i, lo, hi = head.first(code)
            if i >= 0:
                ids.add(i)
                if lo < hi:
                    ranges.append((code, i, lo, hi))
        if len(ids) < 2 or not ranges:
            return []
        if any(not 0 <= lo <= hi <= head.count for *_, lo, hi in ranges):
            raise _inconsistent()
        chunks = self._spans([(lo, hi) for *_, lo, hi in ranges])
        names = head.codes
        out: list[StoredPtpRow] = []
        for code, own, lo, hi in ranges:
            for n in range(lo, hi):
                c2, spans, rows = chunks[n // CHUNK_ROWS]
                k = n % CHUNK_ROWS
                if k >= len(c2):
                    raise _inconsistent()
                other = c2[k]
                if other in ids and other != own:
                    out.append((code, names[other], *_cells(spans[k], rows[k])))
        return out

    def as_column2(self, code: str) -> list[StoredPtpRow]:
        """The rows of ``code`` as column 2: by column 1, effective date, file and line."""
        i, _, _ = self.head.first(code)
        if i < 0:
            return []
        lo, hi = self.head.starts2[i], self.head.starts2[i + 1]
        if not 0 <= lo <= hi <= self.head.count:
            raise _inconsistent()
        if lo == hi:
            return []
        chunks = self._chunks(range(lo // BY2_ROWS, (hi - 1) // BY2_ROWS + 1), by2=True)
        numbers = []
        for n in range(lo, hi):
            by2 = chunks[n // BY2_ROWS][0]
            if n % BY2_ROWS >= len(by2):
                raise _inconsistent()
            numbers.append(by2[n % BY2_ROWS])
        return self._rows(numbers)

    def counts(self, code: str) -> tuple[int, int]:
        """How many rows name ``code`` as column 1 and as column 2."""
        i, lo, hi = self.head.first(code)
        if i < 0:
            return 0, 0
        return hi - lo, self.head.starts2[i + 1] - self.head.starts2[i]

    def names(self, code: str) -> bool:
        """Whether the table names ``code`` (in either column)."""
        return self.head.first(code)[0] >= 0


Differences = Iterator[tuple[int, list[StoredPtpRow]]]
"""What :func:`differing_rows` yields: (0: rows only before, 1: rows only after, 2: the history of the
pairs with a row only after) and the rows, some at a time."""


def differing_rows(
    a: PtpArrays, b: PtpArrays, texts: dict[int, int] | None, narrow: tuple[Callable[[str], bool], bool] | None = None
) -> Differences:
    """The rows of ``a`` with no identical row in ``b`` (0), those of ``b`` with none in ``a`` (1), and
    every row of ``a`` of a pair (column 1, column 2) that has a row of 1 (2: its history); each in the
    order of the arrays. Identical: the same column 2, dates, modifier, pre-1996 and rationale
    (``texts`` maps a rationale id of ``a`` to the same text's id in ``b``, None when the two share
    their texts), whatever the file and line. ``narrow``: the codes asked for (whether a code is one)
    and whether both codes of a row must be (else either); None: every row.

    A merge of the two sorted arrays, a column-1 code at a time: a code none of whose rows can be
    asked for is passed over, and so is a code whose rows are the same on both sides in the same order
    (array slices compared in C); the rows of the others are compared as sets. Yields the rows some
    thousands at a time (a comparison of two unrelated tables holds every row; they are never all
    in memory)."""
    ranges_a = {a.codes[c]: (a.starts[n], a.starts[n + 1]) for n, c in enumerate(a.column1)}
    ranges_b = {b.codes[c]: (b.starts[n], b.starts[n + 1]) for n, c in enumerate(b.column1)}
    same_codes = a.codes == b.codes
    names_a, names_b = a.codes, b.codes
    both = False
    held: set[str] = set()
    held_a: set[int] = set()
    held_b: set[int] = set()
    if narrow is not None:
        holds, both = narrow
        held = {code for code in {*names_a, *names_b} if holds(code)}
        held_a = {i for i, code in enumerate(names_a) if code in held}
        held_b = {i for i, code in enumerate(names_b) if code in held}
    out: tuple[list[StoredPtpRow], list[StoredPtpRow], list[StoredPtpRow]] = ([], [], [])
    for code in sorted(ranges_a.keys() | ranges_b.keys()):
        lo_a, hi_a = ranges_a.get(code, (0, 0))
        lo_b, hi_b = ranges_b.get(code, (0, 0))
        column2_a, column2_b = a.column2[lo_a:hi_a], b.column2[lo_b:hi_b]
        spans_a, spans_b = a.spans[lo_a:hi_a], b.spans[lo_b:hi_b]
        rows_a, rows_b = a.rows[lo_a:hi_a], b.rows[lo_b:hi_b]
        first = True
        if narrow is not None:
            first = code in held
            if (both and not first) or (not first and held_a.isdisjoint(column2_a) and held_b.isdisjoint(column2_b)):
                continue  # no row of this code is asked for
        if not first:  # only its rows whose column 2 is asked for can be (an identical row has the same)
            ks_a: Sequence[int] = [k for k, i in enumerate(column2_a) if i in held_a]
            ks_b: Sequence[int] = [k for k, i in enumerate(column2_b) if i in held_b]
        else:
            ks_a, ks_b = range(hi_a - lo_a), range(hi_b - lo_b)
            if (
                spans_a == spans_b
                and (not same_codes or column2_a == column2_b)
                and _cells_of(rows_a, ks_a, texts) == _cells_of(rows_b, ks_b, None)
                and (same_codes or [names_a[i] for i in column2_a] == [names_b[i] for i in column2_b])
            ):
                continue  # the same rows in the same order
        second_a = [names_a[column2_a[k]] for k in ks_a]
        second_b = [names_b[column2_b[k]] for k in ks_b]
        keys_a = list(zip(second_a, [spans_a[k] for k in ks_a], _cells_of(rows_a, ks_a, texts), strict=True))
        keys_b = list(zip(second_b, [spans_b[k] for k in ks_b], _cells_of(rows_b, ks_b, None), strict=True))
        in_a, in_b = set(keys_a), set(keys_b)
        gone = [n for n, key in enumerate(keys_a) if key not in in_b]
        came = [n for n, key in enumerate(keys_b) if key not in in_a]
        if narrow is not None and both:  # column 2 asked for too
            gone = [n for n in gone if second_a[n] in held]
            came = [n for n in came if second_b[n] in held]
        out[0].extend(_row(code, second_a[n], a, lo_a + ks_a[n]) for n in gone)
        out[1].extend(_row(code, second_b[n], b, lo_b + ks_b[n]) for n in came)
        if came:
            pairs = {second_b[n] for n in came}
            out[2].extend(_row(code, c2, a, lo_a + ks_a[n]) for n, c2 in enumerate(second_a) if c2 in pairs)
        if sum(map(len, out)) >= 20_000:
            yield from ((side, rows) for side, rows in enumerate(out) if rows)
            out = ([], [], [])
    yield from ((side, rows) for side, rows in enumerate(out) if rows)


def _cells_of(rows: array[int], picked: Sequence[int], texts: dict[int, int] | None) -> list[int]:
    """The modifier, pre-1996 and rationale of the rows ``picked`` (offsets into ``rows``), the
    rationale through ``texts`` when given (a rationale it lacks matches none)."""
    if isinstance(picked, range) and len(picked) == len(rows):
        cells = [r >> _TEXT_SHIFT for r in rows]
    else:
        cells = [rows[k] >> _TEXT_SHIFT for k in picked]
    if texts is None:
        return cells
    mask = (1 << _TEXT_BITS) - 1
    return [v >> _TEXT_BITS << _TEXT_BITS | texts.get(v & mask, mask + 1) for v in cells]


def _row(code: str, second: str, arrays: PtpArrays, i: int) -> StoredPtpRow:
    return (code, second, *_cells(arrays.spans[i], arrays.rows[i]))
