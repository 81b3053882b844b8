"""The edits of the compiled CMS tables looked up, code by code: PTP pairs, MUEs, add-on code edits.

:class:`EditReader` is the part of :class:`cptref.cms.reader.CmsTables` that answers what ``check``
asks of a claim and ``show`` of a code. The answers of a code are kept in bounded caches, so a batch
that names the same codes again and again does dictionary look-ups, not queries; after
:data:`BATCH_AFTER` claims the PTP index (:mod:`cptref.cms.ptpindex`) is read whole into memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from .models import AocEdit, MueEdit, PtpEdit, PtpPartners, TableId, as_date, as_end, ymd
from .ptpindex import PtpIndex, StoredPtpRow
from .ptprows import PtpRows

BATCH_AFTER = 16
"""Claims checked one query each before the PTP index (:mod:`cptref.cms.ptpindex`) is read into
memory: a command that checks one claim never pays for reading it, a batch reads it once."""

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Bounded(dict[_K, _V]):
    """A dict of answers that forgets the oldest past ``limit`` entries. A hit is a plain dict
    look-up; the limit is well above the codes a code set has in use, so it only bites on a batch
    full of distinct unknown codes, where forgetting the oldest costs nothing worth keeping."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = max(1, limit)

    def put(self, key: _K, value: _V) -> _V:
        if len(self) >= self.limit:
            del self[next(iter(self))]
        self[key] = value
        return value


class EditReader:
    """PTP, MUE and AOC look-ups over the tables in use (the state is :class:`~cptref.cms.reader.CmsTables`'s)."""

    _db: sqlite3.Connection
    _tables: dict[tuple[str, str], tuple[int, TableId]]
    _texts: dict[int, str]
    _cache_codes: int
    _complete: bool
    _indexes: dict[int, PtpIndex | None]
    _stored: dict[int, PtpRows | None]
    _ptp_calls: dict[int, int]
    _ptp_made: dict[int, _Bounded[int, PtpEdit]]
    _mue: _Bounded[tuple[int, str], MueEdit | None]
    _aoc: _Bounded[tuple[int, str], tuple[tuple[int, int, AocEdit], ...]]

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        raise NotImplementedError

    def _file(self, number: int) -> str:
        raise NotImplementedError

    def _recover(self) -> bool:
        raise NotImplementedError

    # PTP

    def _ptp(self, table: TableId, c1: str, c2: str, cells: Sequence[int]) -> PtpEdit:
        eff, end, mi, pre, rat, f, line = cells
        return PtpEdit(
            c1,
            c2,
            as_date(eff),
            as_end(end),
            mi,
            bool(pre),
            self._texts.get(rat, ""),
            table,
            self._file(f),
            line,
        )

    _ROWS = "SELECT c1, c2, eff, del, mi, pre, rat, f, line FROM ptp"

    def _damaged(self) -> None:
        """A damaged compiled file met outside a query: compiled again (once), else an error."""
        if not self._recover():
            raise sqlite3.DatabaseError("the compiled CMS file is damaged (its PTP index is inconsistent)")

    def _index(self, t: int) -> PtpIndex | None:
        """The PTP index of table ``t`` once a batch has started (None before, or when the table has
        none: its rows are then in the ``ptp`` table)."""
        if t in self._indexes:
            return self._indexes[t]
        calls = self._ptp_calls.get(t, 0) + 1
        self._ptp_calls[t] = calls
        if calls <= BATCH_AFTER:
            return None
        try:
            index = PtpIndex.load(self._db, t)
        except (sqlite3.DatabaseError, ValueError):
            # damaged: the index is the only copy of the rows, so the file is compiled again
            self._damaged()
            index = PtpIndex.load(self._db, t)
        self._indexes[t] = index
        return index

    def _rows_of(self, t: int) -> PtpRows | None:
        """The stored rows of table ``t``, read a code at a time (None when it has no index: its rows
        are then in the ``ptp`` table)."""
        if t in self._stored:
            return self._stored[t]
        found = self._stored[t] = PtpRows.open(self._query, t)
        return found

    def _stored_rows(self, t: int, ask: Callable[[PtpRows], list[StoredPtpRow]]) -> list[StoredPtpRow] | None:
        """``ask`` of the stored rows of table ``t``, or None when they are in the ``ptp`` table."""
        try:
            found = self._rows_of(t)
            return None if found is None else ask(found)
        except ValueError:
            self._damaged()  # the state was read again: ask again, from the new file
            found = self._rows_of(t)
            return None if found is None else ask(found)

    def ptp_edits(
        self, codes: Iterable[str], on: date, setting: str = "practitioner", ending: list[PtpEdit] | None = None
    ) -> list[PtpEdit]:
        """The PTP edits in force on ``on`` between any two of ``codes`` (either order), in the
        table of ``setting``: what ``check`` needs for one claim. Repeated codes count once. In
        the order of the codes given (column 1, then column 2), then by effective date and line.
        ``ending``, when given, receives the edits between them whose deletion date is ``on``, in
        the same order: in force on that day if a deletion date is the last day in force, not if it
        is the first day without the edit (cptref's reading: :func:`cptref.cms.models.in_force`)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return []
        t, table = found
        distinct = codes if isinstance(codes, dict) else dict.fromkeys(codes)  # a claim's counts: already distinct
        if len(distinct) < 2:
            return []
        index = self._indexes.get(t) if t in self._indexes else self._index(t)
        day = ymd(on)
        if index is not None:
            last: list[tuple[str, str, int]] | None = None if ending is None else []
            hits = index.hits(distinct, day, last)
            if not hits and not last:
                return []
            made = self._ptp_made.get(t)
            if made is None:
                made = self._ptp_made[t] = _Bounded(self._cache_codes * 2)
            out: list[PtpEdit] = []
            for rows_of_day, into in ((hits, out), (last, ending)):
                if not rows_of_day or into is None:
                    continue
                for a, b, i in rows_of_day:
                    edit = made.get(i)
                    if edit is None:
                        edit = made.put(i, self._ptp(table, a, b, index.cells(i)))
                    into.append(edit)
            return out
        unique = list(distinct)
        rows = self._stored_rows(t, lambda stored: stored.among(unique))
        if rows is None:
            marks = ", ".join("?" * len(unique))
            rows = self._query(
                f"{self._ROWS} WHERE t = ? AND c1 IN ({marks}) AND c2 IN ({marks})",
                (t, *unique, *unique),
            )
        order = {code: i for i, code in enumerate(unique)}
        rows.sort(key=lambda r: (order[r[0]], order[r[1]], r[2], r[7], r[8]))
        if ending is not None:
            ending.extend(self._ptp(table, r[0], r[1], r[2:]) for r in rows if r[0] != r[1] and r[2] <= day == r[3])
        return [self._ptp(table, r[0], r[1], r[2:]) for r in rows if r[0] != r[1] and r[2] <= day < r[3]]

    def ptp_pair(
        self, column1: str, column2: str, on: date | None = None, setting: str = "practitioner"
    ) -> list[PtpEdit]:
        """The rows of one ordered pair (all of them, or those in force on ``on``)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return []
        t, table = found
        day = ymd(on) if on is not None else None
        rows = self._stored_rows(t, lambda stored: [r for r in stored.as_column1(column1) if r[1] == column2])
        if rows is None:
            rows = self._query(
                f"{self._ROWS} WHERE t = ? AND c1 = ? AND c2 = ? ORDER BY eff, f, line", (t, column1, column2)
            )
        return [self._ptp(table, r[0], r[1], r[2:]) for r in rows if day is None or r[2] <= day < r[3]]

    def in_ptp(self, code: str) -> bool:
        """Whether any PTP table names ``code`` (as column 1 or 2): from the batch index when it is
        loaded, else one query."""
        for (kind, _), (t, _) in self._tables.items():
            if kind != "ptp":
                continue
            index = self._indexes.get(t)
            if index is not None:
                if code in index.codes:
                    return True
                continue
            try:
                stored = self._rows_of(t)
            except ValueError:
                self._damaged()
                return self.in_ptp(code)
            if stored is not None:
                if stored.names(code):
                    return True
                continue
            for column in ("c1", "c2"):  # one column at a time: each has its index (an OR would scan)
                if self._query(f"SELECT 1 FROM ptp WHERE t = ? AND {column} = ? LIMIT 1", (t, code)):  # noqa: S608
                    return True
        return False

    def ptp_counts(self, code: str, setting: str = "practitioner") -> tuple[int, int]:
        """How many PTP rows name ``code`` as column 1 and as column 2 (all dates)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return (0, 0)
        t = found[0]
        try:
            stored = self._rows_of(t)
            if stored is not None:
                return stored.counts(code)
        except ValueError:
            self._damaged()
            return self.ptp_counts(code, setting)
        first = self._query("SELECT count(*) FROM ptp WHERE t = ? AND c1 = ?", (t, code))[0][0]
        second = self._query("SELECT count(*) FROM ptp WHERE t = ? AND c2 = ?", (t, code))[0][0]
        return int(first), int(second)

    def ptp_partners(self, code: str, setting: str = "practitioner", on: date | None = None) -> PtpPartners | None:
        """For ``show``: every PTP row of ``code`` as column 1 and as column 2 (when ``on`` is given,
        those in force on it and those whose deletion date it is, in force that day under one reading
        of a deletion date: each row shows its dates), ordered by partner code; None when there is no
        PTP table for ``setting``."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return None
        t, table = found
        day = ymd(on) if on is not None else None
        rows1 = self._stored_rows(t, lambda stored: stored.as_column1(code))
        rows2 = self._stored_rows(t, lambda stored: stored.as_column2(code))
        if rows1 is None or rows2 is None:
            rows1 = self._query(f"{self._ROWS} WHERE t = ? AND c1 = ? ORDER BY c2, eff, f, line", (t, code))
            rows2 = sorted(
                self._query(f"{self._ROWS} WHERE t = ? AND c2 = ?", (t, code)), key=lambda r: (r[0], r[2], r[7], r[8])
            )
        first = [self._ptp(table, r[0], r[1], r[2:]) for r in rows1 if day is None or r[2] <= day <= r[3]]
        second = [self._ptp(table, r[0], r[1], r[2:]) for r in rows2 if day is None or r[2] <= day <= r[3]]
        return PtpPartners(code, table, first, second)

    # MUE

    def mue(self, code: str, setting: str = "practitioner") -> MueEdit | None:
        """The MUE of ``code`` in the table of ``setting`` (practitioner, outpatient_hospital, dme)."""
        found = self._tables.get(("mue", setting))
        if found is None:
            return None
        t, table = found
        key = (t, code)
        if key in self._mue:
            return self._mue[key]
        if self._complete:
            return None
        rows = self._query("SELECT value, mai, rat, f, line FROM mue WHERE t = ? AND code = ?", (t, code))
        edit = None
        if rows:
            value, mai, rat, f, line = rows[0]
            edit = MueEdit(code, value, mai, self._texts.get(rat, ""), table, self._file(f), line)
        return self._mue.put(key, edit)

    def mues(self, code: str) -> dict[str, MueEdit]:
        """For ``show``: the MUE of ``code`` in every setting that has a table and a row for it."""
        out = {}
        for kind, setting in self._tables:
            if kind == "mue":
                edit = self.mue(code, setting)
                if edit is not None:
                    out[setting] = edit
        return out

    # AOC

    _AOC = "SELECT addon, primary_code, type, eff, del, addon_del, primary_del, notes, f, line FROM aoc"

    def _aoc_rows(self, table: TableId, rows: Iterable[Sequence[Any]]) -> list[AocEdit]:
        return [
            AocEdit(
                addon,
                primary,
                kind,
                as_date(eff),
                as_end(end),
                as_end(addon_del),
                as_end(primary_del),
                self._texts.get(notes, ""),
                table,
                self._file(f),
                line,
            )
            for addon, primary, kind, eff, end, addon_del, primary_del, notes, f, line in rows
        ]

    def aoc_edits(self, addon: str, on: date | None = None) -> list[AocEdit]:
        """The AOC edits of the add-on ``addon`` (when ``on`` is given, those whose pair is in force
        on it or whose deletion date it is, as :meth:`ptp_partners`): its acceptable primaries, or one
        row with ``primary`` None for type 2."""
        found = self._tables.get(("aoc", "all"))
        if found is None:
            return []
        t, table = found
        key = (t, addon)
        edits = self._aoc.get(key)
        if edits is None and self._complete:
            edits = ()
        if edits is None:
            # sorted here: an ORDER BY could make SQLite walk the primary-code index instead of the add-on one
            rows = sorted(
                self._query(f"{self._AOC} WHERE t = ? AND addon = ?", (t, addon)),
                key=lambda r: (r[1] or "", r[3], r[9]),
            )
            spans = [(r[3], r[4]) for r in rows]
            edits = self._aoc.put(
                key, tuple((eff, end, e) for (eff, end), e in zip(spans, self._aoc_rows(table, rows), strict=True))
            )
        if not edits:
            return []
        if on is None:
            return [e for _, _, e in edits]
        day = ymd(on)
        return [e for eff, end, e in edits if eff <= day <= end]

    def is_addon(self, code: str) -> bool:
        """Whether the AOC table lists ``code`` as an add-on (any date)."""
        return bool(self.aoc_edits(code))

    def aoc_addons_of(self, primary: str, on: date | None = None) -> list[AocEdit]:
        """For ``show``: the AOC edits that name ``primary`` as a primary code."""
        found = self._tables.get(("aoc", "all"))
        if found is None:
            return []
        t, table = found
        rows = sorted(
            self._query(f"{self._AOC} WHERE t = ? AND primary_code = ?", (t, primary)), key=lambda r: (r[0], r[3], r[9])
        )
        edits = self._aoc_rows(table, rows)
        return edits if on is None else [e for e in edits if e.in_force(on)]
