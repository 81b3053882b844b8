"""Look-ups in the compiled CMS tables, shaped for ``check`` (a batch of claims) and ``show`` (one
code, everything about it).

Every answer is a typed row of :mod:`cptref.cms.models` carrying its table (kind, setting,
version) and its origin (part file and line). The per-code answers are kept in memory, in bounded
caches (the oldest code is forgotten first), so a batch that names the same codes again and again
does dictionary look-ups, not queries: the PTP rows of a code as column 1 are held as a dictionary
from column 2 code to its rows, and a claim's pairs are looked up in those dictionaries.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import msgspec

from .compile import Progress, compile_tables, compiled_path, fingerprint, read_key
from .models import (
    AocEdit,
    CmsSummary,
    LicensedText,
    MueEdit,
    PtpEdit,
    PtpPartners,
    RvuRow,
    TableId,
    as_date,
    as_end,
    ymd,
)

CACHE_ROWS = 600_000
"""PTP rows a reader keeps in memory (about 80 bytes each): the column-1 rows of the codes used
most recently. A practitioner table has about 1.3 million; a batch drawn from a code set touches
the popular ones again and again."""
CACHE_CODES = 50_000
"""Codes whose MUE, AOC and PPRRVU answers a reader keeps, per kind."""

# A PTP row held in memory is one int, its fields packed by bits (an int of ~115 bits costs 44
# bytes, a tuple of seven ints some 250): the line, the file id, the rationale id, the pre-1996
# flag, the modifier indicator, the deletion date (NO_END when none) and the effective date.
_LINE, _FILE, _RAT, _PRE, _MI, _END, _EFF = 0, 24, 40, 56, 57, 61, 88
_DATE = (1 << 27) - 1


def _pack(eff: int, end: int, mi: int, pre: int, rat: int, f: int, line: int) -> int:
    if line >> 24 or f >> 16 or rat >> 16 or mi >> 4:
        raise ValueError(f"a PTP row out of range for the in-memory form (file {f}, line {line})")
    return eff << _EFF | end << _END | mi << _MI | pre << _PRE | rat << _RAT | f << _FILE | line


Partners = dict[str, "int | tuple[int, ...]"]
"""The PTP rows of one column-1 code: column-2 code -> its packed row, or rows when several."""

_MISSING = object()
_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A least-recently-used cache bounded by a budget of weights (rows, or entries)."""

    def __init__(self, budget: int) -> None:
        self.data: OrderedDict[_K, _V] = OrderedDict()
        self.weights: dict[_K, int] = {}
        self.budget = max(1, budget)
        self.held = 0

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key: _K, default: Any = None) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        self.data.move_to_end(key)
        return value

    def put(self, key: _K, value: _V, weight: int = 1) -> _V:
        if key in self.data:
            self.held -= self.weights[key]
        self.data[key] = value
        self.weights[key] = weight = max(1, weight)
        self.held += weight
        while self.held > self.budget and len(self.data) > 1:
            old, _ = self.data.popitem(last=False)
            self.held -= self.weights.pop(old)
        return value


class CmsTables:
    """The compiled tables, read-only. Use :func:`open_tables` to get one; close it when done (or
    use it as a context manager)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path | None = None,
        cache_rows: int = CACHE_ROWS,
        rebuild: Callable[[], sqlite3.Connection] | None = None,
        cache_codes: int = CACHE_CODES,
    ) -> None:
        self._db = db
        self.path = path
        self._rebuild = rebuild
        self._cache_rows = cache_rows
        self._cache_codes = cache_codes
        self._load()

    @classmethod
    def open(cls, path: Path, cache_rows: int = CACHE_ROWS) -> CmsTables:
        """The compiled file at ``path`` as it is (no freshness check: see :func:`open_tables`)."""
        return cls(_connect(path), path, cache_rows)

    def _load(self) -> None:
        db = self._db
        self._tables: dict[tuple[str, str], tuple[int, TableId]] = {}
        for number, kind, setting, version in db.execute("SELECT id, kind, setting, version FROM tables"):
            self._tables[(kind, setting)] = (number, TableId(kind, setting, version))
        self._files = {
            number: bytes(display).decode("utf-8", "surrogateescape")
            for number, display in db.execute("SELECT id, display FROM files")
        }
        self._texts: dict[int, str] = dict(db.execute("SELECT id, text FROM texts"))
        raw = db.execute("SELECT value FROM meta WHERE key = 'summary'").fetchone()
        self._summary = msgspec.msgpack.decode(raw[0], type=CmsSummary) if raw else CmsSummary([], [], [])
        limit = self._cache_codes
        self._col1: _Lru[tuple[int, str], Partners] = _Lru(self._cache_rows)
        self._codes: dict[str, str] = {}
        """One str object per code (the keys of every code's partners share them)."""
        self._mue: _Lru[tuple[int, str], MueEdit | None] = _Lru(limit)
        self._aoc: _Lru[tuple[int, str], tuple[tuple[int, int, AocEdit], ...]] = _Lru(limit)
        self._rvu: _Lru[tuple[int, str], list[RvuRow]] = _Lru(limit)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CmsTables:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows of a query; when the file proves damaged, compiled again (once) and asked again."""
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError:
            if self._rebuild is None:
                raise
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = self._rebuild()
            self._rebuild = None
            self._load()
            return self._db.execute(sql, params).fetchall()

    # what is loaded

    def summary(self) -> CmsSummary:
        """The tables read (version, row counts, files), what was skipped, and the problems."""
        return msgspec.structs.replace(self._summary, compiled=str(self.path) if self.path else None)

    def tables(self) -> list[TableId]:
        return [table for _, table in self._tables.values()]

    def table(self, kind: str, setting: str = "practitioner") -> TableId | None:
        """The table of a kind and setting in use (AOC: setting ``all``; PPRRVU: see :meth:`rvu`)."""
        found = self._tables.get((kind, setting))
        return found[1] if found else None

    def _file(self, number: int) -> str:
        return self._files.get(number, "?")

    # PTP

    def _partners(self, t: int, code: str) -> Partners:
        key = (t, code)
        found: Partners | None = self._col1.get(key)
        if found is not None:
            return found
        partners: Partners = {}
        intern = self._codes.setdefault
        rows = self._query("SELECT c2, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = ? AND c1 = ?", (t, code))
        for c2, eff, end, mi, pre, rat, f, line in rows:
            packed = _pack(eff, end, mi, pre, rat, f, line)
            c2 = intern(c2, c2)
            held = partners.get(c2)
            if held is None:
                partners[c2] = packed
            elif isinstance(held, int):
                partners[c2] = (held, packed)
            else:
                partners[c2] = (*held, packed)
        return self._col1.put(key, partners, len(rows))

    def _ptp(self, table: TableId, c1: str, c2: str, packed: int) -> PtpEdit:
        return PtpEdit(
            c1,
            c2,
            as_date(packed >> _EFF),
            as_end(packed >> _END & _DATE),
            packed >> _MI & 15,
            bool(packed >> _PRE & 1),
            self._texts.get(packed >> _RAT & 0xFFFF, ""),
            table,
            self._file(packed >> _FILE & 0xFFFF),
            packed & 0xFFFFFF,
        )

    def ptp_edits(self, codes: Iterable[str], on: date, setting: str = "practitioner") -> list[PtpEdit]:
        """The PTP edits in force on ``on`` between any two of ``codes`` (either order), in the
        table of ``setting``: what ``check`` needs for one claim. Repeated codes count once."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return []
        t, table = found
        unique = list(dict.fromkeys(codes))
        if len(unique) < 2:
            return []
        day = ymd(on)
        out: list[PtpEdit] = []
        cached = self._col1.data
        for a in unique:
            partners = cached.get((t, a))
            if partners is None:
                partners = self._partners(t, a)
            else:
                cached.move_to_end((t, a))
            if not partners:
                continue
            for b in unique:
                held = partners.get(b)
                if held is None or b == a:
                    continue
                for packed in (held,) if isinstance(held, int) else held:
                    if packed >> _EFF <= day < (packed >> _END & _DATE):
                        out.append(self._ptp(table, a, b, packed))
        return out

    def _rows(self, partners: Partners, c2: str) -> tuple[int, ...]:
        held = partners.get(c2)
        if held is None:
            return ()
        return (held,) if isinstance(held, int) else held

    def ptp_pair(
        self, column1: str, column2: str, on: date | None = None, setting: str = "practitioner"
    ) -> list[PtpEdit]:
        """The rows of one ordered pair (all of them, or those in force on ``on``)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return []
        t, table = found
        day = ymd(on) if on is not None else None
        return [
            self._ptp(table, column1, column2, packed)
            for packed in self._rows(self._partners(t, column1), column2)
            if day is None or packed >> _EFF <= day < (packed >> _END & _DATE)
        ]

    def ptp_counts(self, code: str, setting: str = "practitioner") -> tuple[int, int]:
        """How many PTP rows name ``code`` as column 1 and as column 2 (all dates)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return (0, 0)
        t = found[0]
        first = self._query("SELECT count(*) FROM ptp WHERE t = ? AND c1 = ?", (t, code))[0][0]
        second = self._query("SELECT count(*) FROM ptp WHERE t = ? AND c2 = ?", (t, code))[0][0]
        return int(first), int(second)

    def ptp_partners(self, code: str, setting: str = "practitioner", on: date | None = None) -> PtpPartners | None:
        """For ``show``: every PTP row of ``code`` as column 1 and as column 2 (those in force on
        ``on`` when given), ordered by partner code; None when there is no PTP table for ``setting``."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return None
        t, table = found
        day = ymd(on) if on is not None else None
        partners = self._partners(t, code)
        first = [
            self._ptp(table, code, c2, packed)
            for c2 in sorted(partners)
            for packed in self._rows(partners, c2)
            if day is None or packed >> _EFF <= day < (packed >> _END & _DATE)
        ]
        second = [
            self._ptp(table, c1, code, _pack(*cells))
            for c1, *cells in self._query(
                "SELECT c1, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = ? AND c2 = ? ORDER BY c1, eff, line",
                (t, code),
            )
            if day is None or cells[0] <= day < cells[1]
        ]
        return PtpPartners(code, table, first, second)

    # MUE

    def mue(self, code: str, setting: str = "practitioner") -> MueEdit | None:
        """The MUE of ``code`` in the table of ``setting`` (practitioner, outpatient_hospital, dme)."""
        found = self._tables.get(("mue", setting))
        if found is None:
            return None
        t, table = found
        key = (t, code)
        edit = self._mue.get(key, _MISSING)
        if edit is not _MISSING:
            return edit  # type: ignore[no-any-return]
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
        """The AOC edits of the add-on ``addon`` (those whose pair is in force on ``on``, when
        given): its acceptable primaries, or one row with ``primary`` None for type 2."""
        found = self._tables.get(("aoc", "all"))
        if found is None:
            return []
        t, table = found
        key = (t, addon)
        edits = self._aoc.get(key)
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
        return [e for eff, end, e in edits if eff <= day < end]

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

    # PPRRVU

    def rvu(self, code: str, setting: str | None = None) -> list[RvuRow]:
        """The PPRRVU rows of ``code`` (one per modifier, the unmodified first). ``setting``:
        ``nonqpp`` or ``qpp`` when both files were given (default: non-QPP, else the one table)."""
        wanted = [setting] if setting else ["nonqpp", "all", "qpp"]
        found = next((self._tables[("rvu", s)] for s in wanted if ("rvu", s) in self._tables), None)
        if found is None:
            return []
        t, table = found
        key = (t, code)
        rows = self._rvu.get(key)
        if rows is None:
            raw = self._query(
                "SELECT code, modifier, status, glob, pctc, mult, bilat, asst, co, team, work, nfpe, fpe, mp, nft, ft,"
                " conv, descriptor, f, line FROM rvu WHERE t = ? AND code = ? ORDER BY modifier",
                (t, code),
            )
            rows = self._rvu.put(key, [self._rvu_row(table, r) for r in raw])
        return list(rows)

    def _rvu_row(self, table: TableId, r: Sequence[Any]) -> RvuRow:
        code, modifier, status, days, pctc, mult, bilat, asst, co, team, *rvus, descriptor, f, line = r
        work, nfpe, fpe, mp, nft, ft, conv = rvus
        return RvuRow(
            code,
            modifier,
            status,
            days,
            pctc,
            mult,
            bilat,
            asst,
            co,
            team,
            work,
            nfpe,
            fpe,
            mp,
            nft,
            ft,
            conv,
            LicensedText(descriptor) if descriptor else None,
            table,
            self._file(f),
            line,
        )


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def open_tables(
    paths: Sequence[Path] | Path,
    cache: Path | None = None,
    *,
    progress: Progress | None = None,
    cache_rows: int = CACHE_ROWS,
) -> CmsTables:
    """The compiled tables of ``paths`` (directories, zips, files): the compiled file when it is
    current, else compiled now (and kept for next time). ``cache`` is the folder of compiled files
    (default: cptref's cache directory). Problems of the files do not raise: see
    :meth:`CmsTables.summary`. Raises OSError / sqlite3.Error when the cache cannot be written."""
    inputs = [paths] if isinstance(paths, Path) else list(paths)
    target = compiled_path(inputs, cache)

    def rebuild() -> sqlite3.Connection:
        compile_tables(inputs, target, progress)
        return _connect(target)

    key = fingerprint(inputs)
    if read_key(target) == key:
        try:
            return CmsTables(_connect(target), target, cache_rows, rebuild)
        except (sqlite3.Error, msgspec.DecodeError, ValueError, TypeError):
            pass  # damaged past its header: compiled again below
    return CmsTables(rebuild(), target, cache_rows, rebuild)


__all__ = ["CACHE_CODES", "CACHE_ROWS", "CmsTables", "open_tables"]
