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
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from .compile import Progress, compile_tables, compiled_path, fingerprint, read_key
from .models import (
    NO_END,
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

CACHE_CODES = 20_000
"""Codes whose answers a reader keeps per kind (a code set has some 10,000 codes in use)."""

PtpCells = tuple[int, int, int, int, int, int, int]
"""(effective, deletion or NO_END, modifier, pre-1996, rationale id, file id, line) of a PTP row."""

_K = TypeVar("_K")
_V = TypeVar("_V")


class _Bounded(dict[_K, _V]):
    """A dict that forgets its oldest entry past ``limit`` (a hit costs a plain dict look-up)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: _K, value: _V) -> _V:
        if len(self) >= self.limit:
            del self[next(iter(self))]
        self[key] = value
        return value


class CmsTables:
    """The compiled tables, read-only. Use :func:`open_tables` to get one; close it when done (or
    use it as a context manager)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path | None = None,
        cache_codes: int = CACHE_CODES,
        rebuild: Callable[[], sqlite3.Connection] | None = None,
    ) -> None:
        self._db = db
        self.path = path
        self._rebuild = rebuild
        self._cache_codes = cache_codes
        self._load()

    @classmethod
    def open(cls, path: Path, cache_codes: int = CACHE_CODES) -> CmsTables:
        return cls(_connect(path), path, cache_codes)

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
        self._col1: _Bounded[tuple[int, str], dict[str, tuple[PtpCells, ...]]] = _Bounded(limit)
        self._mue: _Bounded[tuple[int, str], MueEdit | None] = _Bounded(limit)
        self._aoc: _Bounded[tuple[int, str], list[AocEdit]] = _Bounded(limit)
        self._rvu: _Bounded[tuple[int, str], list[RvuRow]] = _Bounded(limit)

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

    def _partners(self, t: int, code: str) -> dict[str, tuple[PtpCells, ...]]:
        key = (t, code)
        found = self._col1.get(key)
        if found is not None:
            return found
        by_column2: dict[str, list[PtpCells]] = {}
        for c2, *cells in self._query(
            "SELECT c2, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = ? AND c1 = ?", (t, code)
        ):
            by_column2.setdefault(c2, []).append(tuple(cells))
        return self._col1.put(key, {c2: tuple(rows) for c2, rows in by_column2.items()})

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
        for a in unique:
            partners = self._col1.get((t, a))
            if partners is None:
                partners = self._partners(t, a)
            if not partners:
                continue
            for b in unique:
                rows = partners.get(b)
                if rows is None or b == a:
                    continue
                for cells in rows:
                    if cells[0] <= day < cells[1]:
                        out.append(self._ptp(table, a, b, cells))
        return out

    def ptp_pair(
        self, column1: str, column2: str, on: date | None = None, setting: str = "practitioner"
    ) -> list[PtpEdit]:
        """The rows of one ordered pair (all of them, or those in force on ``on``)."""
        found = self._tables.get(("ptp", setting))
        if found is None:
            return []
        t, table = found
        rows = self._partners(t, column1).get(column2, ())
        day = ymd(on) if on is not None else None
        return [self._ptp(table, column1, column2, c) for c in rows if day is None or c[0] <= day < c[1]]

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
        first = [
            self._ptp(table, code, c2, cells)
            for c2, rows in sorted(self._partners(t, code).items())
            for cells in rows
            if day is None or cells[0] <= day < cells[1]
        ]
        second = [
            self._ptp(table, c1, code, cells)
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
        if key in self._mue:
            return self._mue[key]
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
            rows = self._query(f"{self._AOC} WHERE t = ? AND addon = ? ORDER BY primary_code, eff, line", (t, addon))
            edits = self._aoc.put(key, self._aoc_rows(table, rows))
        if on is None:
            return list(edits)
        return [e for e in edits if e.in_force(on)]

    def is_addon(self, code: str) -> bool:
        """Whether the AOC table lists ``code`` as an add-on (any date)."""
        return bool(self.aoc_edits(code))

    def aoc_addons_of(self, primary: str, on: date | None = None) -> list[AocEdit]:
        """For ``show``: the AOC edits that name ``primary`` as a primary code."""
        found = self._tables.get(("aoc", "all"))
        if found is None:
            return []
        t, table = found
        rows = self._query(f"{self._AOC} WHERE t = ? AND primary_code = ? ORDER BY addon, eff, line", (t, primary))
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
    cache_codes: int = CACHE_CODES,
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
            return CmsTables(_connect(target), target, cache_codes, rebuild)
        except (sqlite3.Error, msgspec.DecodeError, ValueError, TypeError):
            pass  # damaged past its header: compiled again below
    return CmsTables(rebuild(), target, cache_codes, rebuild)


__all__ = ["NO_END", "CmsTables", "open_tables"]
