"""The compiled file: the user's CMS tables parsed once into one SQLite file, and opened from then
on without parsing, until one of the files changes.

The file is keyed on the inputs: the paths given, and the path, size, modification and change time
of every candidate file found under them (a table added to a folder counts), plus the format of the
compiled file and the cptref version (a fixed parser must not keep answering from an old
compilation). :func:`open_tables` opens the compiled file when its key matches and it is whole,
else compiles again. Writing goes to a temporary file in the same folder, renamed into place when
complete (a concurrent reader sees the old file or the new one, never half of one); the file is
created readable by its owner only (mode 0600), because it holds the AMA's licensed descriptors
of the user's own PPRRVU file.

Where: :func:`cptref.library.index.cache.cache_dir` (``CPTREF_CACHE_DIR`` overrides it), one file per set of
input paths, named ``cms-<checksum of the resolved paths>.sqlite``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import msgspec

from cptref import __version__

from . import ptpindex, wordindex
from .archives import READ_ERRORS
from .models import NO_END, CmsProblem, CmsSummary, Skipped, TableSummary, problem, ymd
from .parse import PARSERS, Row
from .recognize import Layout
from .scan import Scan, TablePlan, scan
from .sources import walk
from .values import Tally
from .xlsx import XlsxError

TABLES_FORMAT = "5"
"""The layout of the compiled file; change it whenever the schema or a row's meaning changes (5: the
PTP rows of a table whose index can be built are kept once, in the index alone)."""

TABLES_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE tables (
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, setting TEXT NOT NULL, version TEXT NOT NULL,
  starts INTEGER, ends INTEGER, complete INTEGER NOT NULL
);
CREATE TABLE files (id INTEGER PRIMARY KEY, display BLOB NOT NULL);
CREATE TABLE texts (id INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE ptp (
  t INTEGER NOT NULL, c1 TEXT NOT NULL, c2 TEXT NOT NULL, eff INTEGER NOT NULL, del INTEGER NOT NULL,
  mi INTEGER NOT NULL, pre INTEGER NOT NULL, rat INTEGER NOT NULL, f INTEGER NOT NULL, line INTEGER NOT NULL,
  PRIMARY KEY (t, c1, c2, eff, f, line)
) WITHOUT ROWID;
CREATE TABLE mue (
  t INTEGER NOT NULL, code TEXT NOT NULL, value INTEGER NOT NULL, mai INTEGER NOT NULL, rat INTEGER NOT NULL,
  f INTEGER NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (t, code)
) WITHOUT ROWID;
CREATE TABLE aoc (
  t INTEGER NOT NULL, addon TEXT NOT NULL, primary_code TEXT, type INTEGER NOT NULL, eff INTEGER NOT NULL,
  del INTEGER NOT NULL, addon_del INTEGER, primary_del INTEGER, notes INTEGER NOT NULL,
  f INTEGER NOT NULL, line INTEGER NOT NULL
);
CREATE TABLE rvu (
  t INTEGER NOT NULL, code TEXT NOT NULL, modifier TEXT NOT NULL, status TEXT NOT NULL, glob TEXT,
  pctc INTEGER, mult INTEGER, bilat INTEGER, asst INTEGER, co INTEGER, team INTEGER,
  work REAL, nfpe REAL, fpe REAL, mp REAL, nft REAL, ft REAL, conv REAL, descriptor TEXT,
  f INTEGER NOT NULL, line INTEGER NOT NULL, PRIMARY KEY (t, code, modifier)
) WITHOUT ROWID;
"""
PTP_LOAD = f"CREATE TEMP TABLE ptp_load ({ptpindex.PTP_COLUMNS}) WITHOUT ROWID"
"""Where a PTP table's rows are put while it is read: a temporary table, sorted as the index wants
them. The index (:mod:`cptref.cms.ptpindex`) is built from it, and the rows are copied to the
``ptp`` table only when it cannot be (a value does not fit its field): the compiled file holds the
rows once."""
INDEXES = """
CREATE INDEX ptp_c2 ON ptp (t, c2);
CREATE INDEX aoc_addon ON aoc (t, addon);
CREATE INDEX aoc_primary ON aoc (t, primary_code);
"""

TableProgress = Callable[[str], None]
"""Told what is being read (a table's label), for a command to show while it compiles."""


def _encode_path(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def resolved(paths: Sequence[Path]) -> list[str]:
    out = []
    for path in paths:
        try:
            out.append(os.fsdecode(path.resolve()))
        except (OSError, RuntimeError):
            out.append(os.fsdecode(path.absolute()))
    return out


def fingerprint(paths: Sequence[Path]) -> bytes:
    """The key of a compilation of ``paths``: it changes when any candidate file is added, removed,
    resized, touched or rewritten (its change time), and with the compiled format and the cptref
    version. Stats files; reads none."""
    return _key(paths, walk(paths).keys())


def _key(paths: Sequence[Path], files: list[tuple[str, int, int, int]]) -> bytes:
    named = [path.encode("utf-8", "surrogateescape") for path in resolved(paths)]  # a name need not be UTF-8
    body = msgspec.msgpack.encode([TABLES_FORMAT, __version__, named, sorted(files)])
    return f"{TABLES_FORMAT}:".encode() + hashlib.blake2b(body, digest_size=20).digest()


def compiled_path(paths: Sequence[Path], cache: Path | None = None) -> Path:
    """Where the compilation of ``paths`` is kept (one file per set of input paths)."""
    if cache is None:
        from cptref.library.index.cache import cache_dir

        cache = cache_dir()
    name = hashlib.blake2b(_encode_path("\0".join(resolved(paths))), digest_size=10).hexdigest()
    return cache / f"cms-{name}.sqlite"


def compile_tables(paths: Sequence[Path], target: Path, progress: TableProgress | None = None) -> CmsSummary:
    """Read every table under ``paths`` and write them to ``target`` (atomically, mode 0600).

    Returns what was read, skipped and found wrong; never raises for a problem of the files (a
    table with bad rows keeps its good ones; the bad are problems). Raises OSError or
    sqlite3.Error when ``target`` cannot be written.
    """
    found = scan(paths)
    key = _key(paths, found.files)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        summary = _write(temp, found, key, progress)
        os.chmod(temp, 0o600)
        os.replace(temp, target)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    return msgspec.structs.replace(summary, compiled=os.fsdecode(target))


class _Writer:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.texts: dict[str, int] = {"": 0}
        self.files = 0

    def text(self, value: str) -> int:
        found = self.texts.get(value)
        if found is None:
            found = self.texts[value] = len(self.texts)
        return found

    def file(self, display: str) -> int:
        self.files += 1
        self.db.execute("INSERT INTO files VALUES (?, ?)", (self.files, _encode_path(display)))
        return self.files


def _write(path: Path, found: Scan, key: bytes, progress: TableProgress | None) -> CmsSummary:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        from cptref.library.index.cache import stamp

        stamp(db)
        db.execute("PRAGMA journal_mode = MEMORY")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -16384")
        db.execute("PRAGMA temp.cache_size = -16384")
        db.execute(PTP_LOAD)
        for schema in (TABLES_SCHEMA, ptpindex.PTP_INDEX_SCHEMA, wordindex.WORD_INDEX_SCHEMA):
            db.executescript(schema)
        db.execute("BEGIN")
        writer = _Writer(db)
        problems: list[CmsProblem] = list(found.problems)
        skipped: list[Skipped] = list(found.skipped)
        failed: list[Skipped] = list(found.failed)
        tables: list[TableSummary] = []
        for number, plan in enumerate(found.plans, 1):
            if progress is not None:
                progress(plan.table.label())
            table = _table(writer, number, plan, problems, failed)
            if table is not None:
                tables.append(table)
        for statement in INDEXES.strip().splitlines():
            db.execute(statement)
        db.executemany("INSERT INTO texts VALUES (?, ?)", ((i, t) for t, i in writer.texts.items()))
        summary = CmsSummary(tables, skipped, problems, failed=failed)
        meta = {"format": TABLES_FORMAT.encode(), "key": key, "summary": msgspec.msgpack.encode(summary)}
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
        db.execute("COMMIT")
    finally:
        db.close()
    return summary


def _table(
    writer: _Writer, number: int, plan: TablePlan, problems: list[CmsProblem], failed: list[Skipped]
) -> TableSummary | None:
    db = writer.db
    table = plan.table
    read = loaded = rejected = errors = blank = 0
    files: list[str] = []
    savepoint = f"t{number}"
    db.execute(f"SAVEPOINT {savepoint}")
    for layout in plan.parts:
        tally = Tally(layout)
        file_id = writer.file(layout.entry.display)
        before = db.total_changes
        try:
            _insert(writer, number, file_id, layout, PARSERS[table.kind](layout, tally))
        except (*READ_ERRORS, XlsxError, UnicodeError) as error:
            # the head was readable, the rest is not (a zip member cut short): none of its rows count
            db.execute(f"ROLLBACK TO {savepoint}")
            db.execute(f"RELEASE {savepoint}")
            problems.extend(tally.problems)
            code = getattr(error, "code", "unreadable")  # a limit met on the way (Refused, XlsxError) has its own
            problems.append(
                problem(
                    layout.entry.file,
                    f"cannot be read to the end (truncated or damaged?): {error}; {table.label()} is not loaded"
                    if code == "unreadable"
                    else f"{error}; {table.label()} is not loaded",
                    code,
                    member=layout.entry.member,
                )
            )
            failed.extend(
                Skipped(p.entry.display, f"part of {table.label()}, which could not be read whole") for p in plan.parts
            )
            return None
        tally.close()
        problems.extend(tally.problems)
        wrong = tally.mismatch(db.total_changes - before)
        if wrong is not None:  # a row lost on the way, which no other problem names
            problems.append(
                problem(
                    layout.entry.file,
                    f"the row counts do not add up: {wrong}",
                    "count-mismatch",
                    member=layout.entry.member,
                )
            )
            errors += 1
        errors += sum(p.severity == "error" for p in tally.problems)
        files.append(layout.entry.display)
        read += tally.read
        loaded += tally.loaded
        rejected += tally.rejected
        blank += tally.blank
    if not loaded:
        db.execute(f"ROLLBACK TO {savepoint}")
        db.execute(f"RELEASE {savepoint}")
        first = plan.parts[0].entry
        problems.append(
            problem(
                first.file, f"{table.label()}: no row could be loaded ({read:,} read)", "no-rows", member=first.member
            )
        )
        failed.extend(Skipped(p.entry.display, f"no row of {table.label()} could be loaded") for p in plan.parts)
        return None
    errors += len(plan.missing) + plan.doubts
    complete = not errors
    db.execute(
        "INSERT INTO tables VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            number,
            table.kind,
            table.setting,
            table.version,
            ymd(table.starts) if table.starts else None,
            ymd(table.ends) if table.ends else None,
            int(complete),
        ),
    )
    if table.kind == "ptp":
        if not ptpindex.build_ptp_index(db, number, "temp.ptp_load"):
            db.execute("INSERT INTO ptp SELECT * FROM temp.ptp_load")  # look-ups then query the rows
        db.execute("DELETE FROM temp.ptp_load")
    elif table.kind == "rvu":
        wordindex.build_word_index(db, number)  # the short descriptors' words, for search --cms
    db.execute(f"RELEASE {savepoint}")
    parts = sorted(p.part for p in plan.parts if p.part)
    return TableSummary(table, plan.quarter, files, read, loaded, rejected, parts, list(plan.missing), errors, blank)


def _insert(writer: _Writer, t: int, f: int, layout: Layout, rows: Iterator[Row]) -> None:
    db, text = writer.db, writer.text
    kind = layout.kind
    if kind == "ptp":
        db.executemany(
            "INSERT INTO temp.ptp_load VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (t, c1, c2, eff, NO_END if end is None else end, mi, pre, text(rat), f, line)
                for c1, c2, eff, end, mi, pre, rat, line in rows
            ),
        )
    elif kind == "mue":
        db.executemany(
            "INSERT INTO mue VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((t, code, value, mai, text(rat), f, line) for code, value, mai, rat, line in rows),
        )
    elif kind == "aoc":
        db.executemany(
            "INSERT INTO aoc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (t, a, p, ty, eff, NO_END if end is None else end, ad, pd, text(notes), f, line)
                for a, p, ty, eff, end, ad, pd, notes, line in rows
            ),
        )
    else:
        db.executemany(
            "INSERT INTO rvu VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((t, *row[:-1], f, row[-1]) for row in rows),
        )


def read_key(path: Path) -> bytes | None:
    """The key a compiled file was written with, or None when it is missing, foreign or damaged."""
    try:
        size = path.stat().st_size
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            pages = db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]
            if pages != size:
                return None  # truncated or padded since it was written
            row = db.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
            return bytes(row[0]) if row else None
        finally:
            db.close()
    except (OSError, sqlite3.Error, TypeError, ValueError):
        return None
