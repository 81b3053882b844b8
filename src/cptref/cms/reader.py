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
import copy
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from .compile import TableProgress, compile_tables, compiled_path, fingerprint, read_key
from .edits import BATCH_AFTER, EditReader, _Bounded
from .models import (
    AocEdit,
    CmsSummary,
    LicensedText,
    MueEdit,
    PtpEdit,
    RvuRow,
    TableId,
    as_end,
)
from .ptpindex import PtpIndex
from .ptprows import PtpRows
from .wordindex import WordIndex


class HeldTable(msgspec.Struct, frozen=True):
    """A table of a compiled file: its number there, its identity, and whether it was read whole (no
    part missing, no row rejected)."""

    number: int
    table: TableId
    complete: bool


CACHE_CODES = 50_000
"""Codes whose MUE, AOC and PPRRVU answers a reader keeps, per kind (least recently used first out)."""
_DAYS = 20_000
"""Dates of service whose view is remembered (about 55 years of days)."""


class CmsTables(EditReader):
    """The compiled tables, read-only. Use :func:`open_tables` to get one; close it when done (or
    use it as a context manager)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        path: Path | None = None,
        cache_codes: int = CACHE_CODES,
        rebuild: Callable[[], sqlite3.Connection] | None = None,
        temporary: Path | None = None,
    ) -> None:
        self._db = db
        self.path = path
        self._temporary = temporary
        """A private folder holding the compiled file, removed on close (when the cache is not writable)."""
        self._rebuild = rebuild
        self._cache_codes = cache_codes
        self._inherited: list[sqlite3.Connection] = []
        self._root = self
        """The tables a :meth:`view` was made of (itself for those): a damaged file is compiled again
        there, once, and every view then answers from the new file, each from its own tables."""
        self._generation = 0
        """How many times the root compiled its file again; a view holds the root's when made."""
        self._load()

    @classmethod
    def open(cls, path: Path, cache_codes: int = CACHE_CODES) -> CmsTables:
        """The compiled file at ``path`` as it is (no freshness check: see :func:`open_tables`)."""
        return cls(_connect(path), path, cache_codes)

    def _load(self) -> None:
        db = self._db
        spans: dict[tuple[str, str], list[tuple[int, TableId]]] = {}
        self._complete_tables: set[int] = set()
        for number, kind, setting, version, starts, ends, complete in db.execute(
            "SELECT id, kind, setting, version, starts, ends, complete FROM tables ORDER BY id"
        ):
            table = TableId(kind, setting, version, as_end(starts), as_end(ends))
            spans.setdefault((kind, setting), []).append((number, table))
            if complete:
                self._complete_tables.add(number)
        for found in spans.values():  # by the first day in force, a table of unknown dates first
            found.sort(key=lambda item: item[1].starts or date.min)
        self._spans = spans
        self._tables: dict[tuple[str, str], tuple[int, TableId]] = {key: found[-1] for key, found in spans.items()}
        """Kind and setting -> the newest table (the one read when no date is named)."""
        self._by_id = {number: table for found in spans.values() for number, table in found}
        self._kinds = frozenset(kind for kind, _ in self._tables)
        self._rvu_default = self._rvu_table(None)
        """The PPRRVU table :meth:`rvu` reads when no setting is named (asked of every code a batch meets)."""
        self._files = {
            number: bytes(display).decode("utf-8", "surrogateescape")
            for number, display in db.execute("SELECT id, display FROM files")
        }
        self._texts: dict[int, str] = dict(db.execute("SELECT id, text FROM texts"))
        raw = db.execute("SELECT value FROM meta WHERE key = 'summary'").fetchone()
        self._summary = msgspec.msgpack.decode(raw[0], type=CmsSummary) if raw else CmsSummary([], [], [])
        limit = self._cache_codes
        self._indexes: dict[int, PtpIndex | None] = {}
        self._stored: dict[int, PtpRows | None] = {}
        """Table -> its PTP rows as stored, read a code at a time (``show``, a one-claim ``check``)."""
        self._ptp_calls: dict[int, int] = {}
        self._ptp_made: dict[int, _Bounded[int, PtpEdit]] = {}
        """Table -> row number of its index -> the edit, once made: a batch asks for the same rows
        again and again, and each answer is then the same object (its finding can be kept by identity)."""
        self._mue: _Bounded[tuple[int, str], MueEdit | None] = _Bounded(limit)
        self._aoc: _Bounded[tuple[int, str], tuple[tuple[int, int, AocEdit], ...]] = _Bounded(limit)
        self._rvu: _Bounded[tuple[int, str], list[RvuRow]] = _Bounded(limit)
        self._words: tuple[int, WordIndex] | None = None
        self._days: dict[date, CmsTables] = {}
        """Date of service -> its :meth:`view` (bounded)."""
        self._views: dict[tuple[int, ...], CmsTables] = {}
        """The tables in force (their ids) -> their view: one for each quarter a batch meets."""
        self._pinned = False
        """True for a :meth:`pinned` view: every date is answered from its tables."""
        self._preloaded = False
        self._complete = False
        """True once :meth:`preload` holds every MUE, AOC and PPRRVU row: a miss then means none."""

    def reconnect(self) -> None:
        """A connection of its own, for a process forked from the one that opened the tables (which
        keeps what it read, the batch index and the preloaded tables, without reading them again).
        The inherited connection is kept, never used nor closed here: it is the parent's."""
        if self.path is None:
            return
        self._inherited.append(self._db)
        self._db = _connect(self.path)

    def close(self) -> None:
        self._db.close()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    def __enter__(self) -> CmsTables:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """The rows of a query; when the file proves damaged, compiled again (once) and asked again."""
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError:
            if not self._recover():
                raise
            return self._db.execute(sql, params).fetchall()

    def recompile(self) -> bool:
        """Compile the tables again from their files, the compiled file having proved damaged (once:
        False when it cannot be, or was already)."""
        return self._recover()

    def _recover(self) -> bool:
        """The file proved damaged: compiled again and read again (once); False when it cannot be. A
        view has its root compile again (unless it already has) and then answers from the new file,
        from the same tables as before: not, as the root does, from the newest of each kind."""
        root = self._root
        if root is not self:
            if root._generation == self._generation and not root._recover():
                return False
            self._rejoin()
            return True
        if self._rebuild is None:
            return False
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._db = self._rebuild()
        self._rebuild = None
        self._load()
        self._generation += 1
        return True

    def _rejoin(self) -> None:
        """A view after its root compiled its file again: the root's new connection and caches, and of
        each kind and setting the table it answered from (found again by its identity; a table no
        longer in the files is no longer answered from)."""
        root = self._root
        wanted = {table for _, table in self._tables.values()}
        pinned = self._pinned
        self.__dict__.update(root.__dict__)
        self._root = root
        chosen = {key: item for key, found in self._spans.items() for item in found if item[1] in wanted}
        self._tables = chosen
        self._kinds = frozenset(kind for kind, _ in chosen)
        self._rvu_default = self._rvu_table(None)
        self._days = {}
        self._views = {}
        self._pinned = pinned

    # what is loaded

    def summary(self) -> CmsSummary:
        """The tables read (version, row counts, files), what was skipped, and the problems."""
        return msgspec.structs.replace(self._summary, compiled=str(self.path) if self.path else None)

    def tables(self) -> list[TableId]:
        """The tables in use: every kind and setting's newest, or, in a :meth:`view`, those in force."""
        return [table for _, table in self._tables.values()]

    def every_table(self, kind: str, setting: str) -> list[TableId]:
        """Every table loaded of ``kind`` and ``setting``, whatever its dates (a table of unknown dates
        first, then by the first day in force): what a message names when none is in force."""
        return [table for _, table in self._spans.get((kind, setting), ())]

    def complete(self, kind: str, setting: str = "practitioner") -> bool:
        """Whether the table in use of ``kind`` and ``setting`` was read whole (no part missing, no
        row rejected); False when there is none."""
        found = self._tables.get((kind, setting))
        return found is not None and found[0] in self._complete_tables

    def view(self, on: date) -> CmsTables:
        """The tables as they stand for a date of service ``on``: of each kind and setting, the table
        whose quarter holds ``on`` (a table of unknown dates when none does, since its quarter may
        be that one), or none. The view answers every look-up of this class from those tables, and
        shares this object's caches and connection; one view is made for each set of tables."""
        if self._pinned:
            return self
        found = self._days.get(on)
        if found is not None:
            return found
        chosen: dict[tuple[str, str], tuple[int, TableId]] = {}
        for key, spans in self._spans.items():
            dated = [item for item in spans if item[1].in_force(on)]
            undated = [item for item in spans if item[1].starts is None]
            pick = dated[-1] if dated else undated[-1] if undated else None
            if pick is not None:
                chosen[key] = pick
        ids = tuple(sorted(number for number, _ in chosen.values()))
        found = self._views.get(ids)
        if found is None:
            found = self._views[ids] = self._view_of(chosen)
        if len(self._days) < _DAYS:
            self._days[on] = found
        return found

    def held(self) -> list[HeldTable]:
        """Every table of the compiled file, whatever its dates: its number in the file (what a query
        of the compiled tables names it by), its identity, and whether it was read whole."""
        return sorted(
            (HeldTable(number, table, number in self._complete_tables) for number, table in self._by_id.items()),
            key=lambda held: held.number,
        )

    def pinned(self, tables: Sequence[TableId]) -> CmsTables:
        """A view that answers from exactly ``tables`` (of each kind and setting, the one named here),
        whatever the date asked: its :meth:`view` is itself. For judging a claim under a set of tables
        the user chose (``changes --claims``: two folders of one quarter, a revision against its
        original, tables of unknown dates), which a date cannot pick. Shares this object's caches and
        connection, as a :meth:`view` does; :meth:`preload` first when a batch will use it."""
        wanted = set(tables)
        chosen = {key: item for key, found in self._spans.items() for item in found if item[1] in wanted}
        found = self._view_of(chosen)
        found._pinned = True
        return found

    def _view_of(self, chosen: dict[tuple[str, str], tuple[int, TableId]]) -> CmsTables:
        """A copy answering from the tables ``chosen`` (kind and setting -> number and identity),
        sharing this object's caches and connection, with views and days of its own."""
        found = copy.copy(self)
        found._tables = chosen
        found._kinds = frozenset(kind for kind, _ in chosen)
        found._rvu_default = found._rvu_table(None)
        found._days = {}
        found._views = {}
        return found

    def has(self, kind: str) -> bool:
        """Whether a table of ``kind`` (ptp, mue, aoc, rvu) is loaded, in any setting."""
        return kind in self._kinds

    def table(self, kind: str, setting: str = "practitioner") -> TableId | None:
        """The table of a kind and setting in use (AOC: setting ``all``; PPRRVU: see :meth:`rvu`)."""
        found = self._tables.get((kind, setting))
        return found[1] if found else None

    def _file(self, number: int) -> str:
        return self._files.get(number, "?")

    def preload(self) -> None:
        """Read the MUE, AOC and PPRRVU tables whole into memory (a few tens of thousands of rows), and
        the PTP batch index: what a batch of claims then asks costs no query. ``show`` and a one-claim
        ``check`` need none of it."""
        if self._preloaded:
            return
        self._preloaded = True
        unbounded = 10**9
        self._mue.limit = self._aoc.limit = self._rvu.limit = unbounded
        every = [(kind, item) for (kind, _), found in self._spans.items() for item in found]
        for kind, (t, table) in every:
            if kind == "mue":
                for code, value, mai, rat, f, line in self._query(
                    "SELECT code, value, mai, rat, f, line FROM mue WHERE t = ?", (t,)
                ):
                    key = (t, code)
                    if key not in self._mue:
                        self._mue[key] = MueEdit(code, value, mai, self._texts.get(rat, ""), table, self._file(f), line)
            elif kind == "aoc":
                rows: dict[str, list[Any]] = {}
                for row in self._query(f"{self._AOC} WHERE t = ?", (t,)):
                    rows.setdefault(row[0], []).append(row)
                for addon, found in rows.items():
                    found.sort(key=lambda r: (r[1] or "", r[3], r[9]))
                    edits = self._aoc_rows(table, found)
                    self._aoc[(t, addon)] = tuple((r[3], r[4], e) for r, e in zip(found, edits, strict=True))
            elif kind == "rvu":
                grouped: dict[str, list[RvuRow]] = {}
                for r in self._query(
                    "SELECT code, modifier, status, glob, pctc, mult, bilat, asst, co, team, work, nfpe, fpe, mp, nft,"
                    " ft, conv, descriptor, f, line FROM rvu WHERE t = ? ORDER BY code, modifier",
                    (t,),
                ):
                    grouped.setdefault(r[0], []).append(self._rvu_row(table, r))
                for code, found_rows in grouped.items():
                    self._rvu[(t, code)] = found_rows
            elif kind == "ptp" and t not in self._indexes:
                self._ptp_calls[t] = BATCH_AFTER  # a batch: the index now, not after the first claims
                self._index(t)
        self._complete = True

    # PPRRVU

    def _rvu_table(self, setting: str | None) -> tuple[int, TableId] | None:
        wanted = [setting] if setting else ["nonqpp", "all", "qpp"]
        return next((self._tables[("rvu", s)] for s in wanted if ("rvu", s) in self._tables), None)

    def rvu(self, code: str, setting: str | None = None) -> list[RvuRow]:
        """The PPRRVU rows of ``code`` (one per modifier, the unmodified first). ``setting``:
        ``nonqpp`` or ``qpp`` when both files were given (default: non-QPP, else the one table)."""
        found = self._rvu_table(setting) if setting else self._rvu_default
        if found is None:
            return []
        t, table = found
        key = (t, code)
        rows = self._rvu.get(key)
        if rows is None and self._complete:
            rows = []
        if rows is None:
            raw = self._query(
                "SELECT code, modifier, status, glob, pctc, mult, bilat, asst, co, team, work, nfpe, fpe, mp, nft, ft,"
                " conv, descriptor, f, line FROM rvu WHERE t = ? AND code = ? ORDER BY modifier",
                (t, code),
            )
            rows = self._rvu.put(key, [self._rvu_row(table, r) for r in raw])
        return list(rows)

    def word_index(self) -> WordIndex | None:
        """For ``search``: the words of the short descriptors of the PPRRVU table :meth:`rvu` reads
        by default (one document a code, in code order); None when no PPRRVU table is loaded."""
        found = self._rvu_table(None)
        if found is None:
            return None
        if self._words is None or self._words[0] != found[0]:
            self._words = (found[0], WordIndex.load(self._query, found[0]))
        return self._words[1]

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
    progress: TableProgress | None = None,
    cache_codes: int = CACHE_CODES,
) -> CmsTables:
    """The compiled tables of ``paths`` (directories, zips, files): the compiled file when it is
    current, else compiled now (and kept for next time). ``cache`` is the folder of compiled files
    (default: cptref's cache directory); when it cannot be written, the tables are compiled
    into a private temporary folder removed on close (slower next time, never wrong). Problems of
    the files do not raise: see :meth:`CmsTables.summary`."""
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
    try:
        return CmsTables(rebuild(), target, cache_codes, rebuild)
    except (OSError, sqlite3.Error):
        pass
    # the cache cannot be written: compile into a private temporary folder, removed on close
    folder = Path(tempfile.mkdtemp(prefix="cptref-cms-"))
    try:
        private = folder / "cms.sqlite"
        compile_tables(inputs, private, progress)
        return CmsTables(_connect(private), private, cache_codes, temporary=folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


__all__ = ["CACHE_CODES", "CmsTables", "HeldTable", "open_tables"]
