"""A packed library: one file holding a data directory's records, sources and families.

``cptref pack DIR`` writes it, after checking every file of DIR (layered over the shipped data, as
commands read it); it is then named wherever a data directory is (``--data FILE``,
``CPTREF_DATA``) and read as that directory would be. A directory of 20,000 record files costs
every command a status check of each file, to notice an edit; a packed library is one file,
checked once. It is a SQLite file marked as cptref's pack (``PRAGMA application_id``), read-only
to cptref; its records are stored as the compiled index stores them (compressed), with the words
search indexes. Editing means editing the directory and packing it again.

A pack may come from anyone, so it is read as untrusted input (SECURITY.md, "Packed libraries"):

- opened read-only and immutable (``mode=ro&immutable=1``): SQLite writes nothing beside it (no
  journal, no WAL, no shared memory), and a pack in WAL mode is refused before it is opened;
- its file is a regular file of at most :data:`MAX_PACK_BYTES`, whose header's page size and page
  count agree with its length;
- its schema is exactly the one cptref writes (:data:`PACK_SCHEMA`, compared row by row with
  ``sqlite_master``): no view, trigger, virtual table, extra table, column or constraint is ever
  queried, so no query of a pack can run a query of the pack's choosing; the queries cptref runs
  need no temporary space (``tests/library/test_pack_untrusted.py`` reads their plans);
- every value is bounded (SQLite's own length limit, then each column's), every row is checked:
  its code a code, in strictly increasing order, its body a record of that code (decoded with the
  record type), at most :data:`MAX_RECORDS` rows; a problem is one :class:`~cptref.errors.Problem`
  naming the pack, the table and the row;
- every query runs under a progress handler that stops SQLite when Ctrl-C or SIGTERM arrived
  (:data:`cptref.errors.SIGNALLED`), which then ends the command with its status.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import zlib
from collections.abc import Callable, Iterator
from functools import cache, cached_property
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from cptref import __version__
from cptref.errors import SIGNALLED, DataErrors, Problem, Signalled
from cptref.model.codes import CODE
from cptref.model.records import Family, Procedure, Source

PACK_FILE_ID = 0x43505450
"""The mark in a packed library's SQLite header ("CPTP"); the compiled index has its own."""
PACK_FORMAT = "2"
"""The layout of a packed library; a file of another layout is refused with a way out (pack again).
2: a rowid table in 16 KB pages, bodies compressed (zlib); 1: a WITHOUT ROWID table in 4 KB pages."""
KIND = b"cptref packed library"
PAGE_SIZE = 16384
"""A pack's page size: a record (1-3 KB, compressed) fits a page with others, none on an overflow page."""
PACK_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE records (code TEXT NOT NULL UNIQUE, body BLOB NOT NULL, words TEXT NOT NULL);
"""
_LAYOUT_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE records (code TEXT PRIMARY KEY, body BLOB NOT NULL, words TEXT NOT NULL) WITHOUT ROWID;
"""

MAX_PACK_BYTES = 16 * 2**30
"""A pack's largest size: 16 GiB (a million records take about 1.5 GB)."""
MAX_RECORDS = 2_000_000
"""The most records a pack may hold (the largest code set, every five-character code, is 2.6
million; CPT and HCPCS together are under 20,000)."""
MAX_BODY_BYTES = 4_000_000
"""A record's body at most, compressed or not: a record file is at most 1,000,000 bytes of YAML."""
MAX_WORDS_BYTES = 4_000_000
"""A record's words at most."""
MAX_META_BYTES = 64 * 2**20
"""A value of the meta table at most (the sources and families of a directory, encoded)."""
_SQLITE_LENGTH = MAX_META_BYTES
"""SQLite's own limit on a string or blob read from a pack (``SQLITE_LIMIT_LENGTH``): a longer
value is an error before Python sees it."""
_PROGRESS_STEPS = 20_000
"""SQLite's virtual machine steps between two looks at the signal flag."""
_CODE = re.compile(CODE)
_T = TypeVar("_T")


def is_pack(path: Path) -> bool:
    """Whether ``path`` is a packed library (a file with a pack's header); a directory is not."""
    from cptref.library.paths import is_special

    try:  # without blocking: a named pipe given as a data path is not opened for a writer that never comes
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):  # a directory on some systems, a missing path, a NUL in the name
        return False
    try:
        if is_special(os.fstat(handle)):
            return False
        header = os.read(handle, 72)
    except OSError:  # a directory
        return False
    finally:
        os.close(handle)
    return (
        len(header) == 72
        and header.startswith(b"SQLite format 3\0")
        and int.from_bytes(header[68:72], "big") == PACK_FILE_ID
    )


@cache
def _schema_rows(schema: str) -> frozenset[tuple[str, str, str, str | None]]:
    """``sqlite_master`` of a database made with ``schema``: what a pack's must be, exactly."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(schema)
        return frozenset(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    finally:
        db.close()


class Pack:
    """A packed library opened for reading, as untrusted input; raises :class:`DataErrors` (one
    located problem) when it cannot be used, from opening it or from any row later read."""

    def __init__(self, path: Path) -> None:
        from cptref.library.paths import display_path

        self.path = path
        self.name = display_path(path)
        self._db: sqlite3.Connection | None = None
        self._check_file()
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise self._problem("$", f"cannot read the packed library: {exc}") from None
        self._db = db
        try:
            self._settle(db)
            self._meta = self._read_meta()
        except BaseException:
            self.close()
            raise

    # --- opening -----------------------------------------------------------------------------

    def _problem(self, where: str, message: str) -> DataErrors:
        return DataErrors([Problem(self.name, where, message)])

    def _check_file(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                info = os.fstat(handle.fileno())
                header = handle.read(100)
        except OSError as exc:
            raise self._problem("$", f"cannot read the packed library: {exc.strerror or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise self._problem("$", "a packed library must be a regular file")
        if info.st_size > MAX_PACK_BYTES:
            raise self._problem("$", f"{info.st_size:,} bytes: a packed library is at most {MAX_PACK_BYTES:,}")
        if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
            raise self._problem("$", "not a packed library (cptref pack DIR writes one)")
        if header[18] != 1 or header[19] != 1:  # 2: WAL mode, whose reader would write -wal and -shm files
            raise self._problem(
                "$",
                "the packed library is in WAL mode, which cptref does not read (it would write beside it): "
                "pack its directory again",
            )
        size = int.from_bytes(header[16:18], "big")
        page = 65536 if size == 1 else size
        pages = int.from_bytes(header[28:32], "big")
        if page < 512 or page & (page - 1) or info.st_size % page or (pages and pages * page != info.st_size):
            raise self._problem(
                "$", f"damaged: its header says {pages} pages of {page} bytes, the file has {info.st_size:,} bytes"
            )

    def _settle(self, db: sqlite3.Connection) -> None:
        """Limits and guards on the connection, then the schema compared with cptref's."""
        setlimit = getattr(db, "setlimit", None)  # Python 3.11+; the checks of each value hold anyway
        if setlimit is not None:
            setlimit(0, _SQLITE_LENGTH)  # SQLITE_LIMIT_LENGTH (the constants' names: Python 3.11+)
            setlimit(7, 0)  # SQLITE_LIMIT_ATTACHED
        db.set_progress_handler(_stop_when_signalled, _PROGRESS_STEPS)
        self._guarded("$", lambda: _pragmas(db))
        found = frozenset(
            self._guarded(
                "sqlite_master", lambda: list(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
            )
        )
        if found == _schema_rows(PACK_SCHEMA):
            return
        if found == _schema_rows(_LAYOUT_1):
            self._read_meta()  # says who packed it, in the layout before this one: pack it again
        for kind, name, _, sql in sorted(found - _schema_rows(PACK_SCHEMA), key=lambda row: repr(row)):
            virtual = isinstance(sql, str) and sql.upper().startswith("CREATE VIRTUAL")
            what = "virtual table" if virtual else kind if kind in ("table", "index", "view", "trigger") else "entry"
            raise self._problem(
                f"sqlite_master[{_shown(name)}]",
                f"a {what} that is not one of a packed library's tables, or not as cptref writes it: "
                "nothing of the file is read (pack its directory again)",
            )
        raise self._problem("sqlite_master", "a table of a packed library is missing: pack its directory again")

    def _read_meta(self) -> dict[str, bytes]:
        def read() -> dict[str, bytes]:
            assert self._db is not None
            meta: dict[str, bytes] = {}
            for count, (key, value) in enumerate(self._db.execute("SELECT key, value FROM meta"), 1):
                if count > 64:
                    raise self._problem("meta", "more than 64 rows: not a packed library")
                if not isinstance(key, str) or not isinstance(value, bytes):
                    raise self._problem(f"meta[{_shown(key)}]", "a value of the wrong type")
                meta[key] = value
            return meta

        meta = self._guarded("meta", read)
        if meta.get("kind") != KIND:
            raise self._problem("$", "not a packed library (cptref pack DIR writes one)")
        if meta.get("format") != PACK_FORMAT.encode():
            made = meta.get("version", b"?").decode("utf-8", "replace")
            raise self._problem("$", f"packed by cptref {_shown(made)} in another layout: pack its directory again")
        return meta

    def _guarded(self, where: str, work: Callable[[], _T]) -> _T:
        """``work`` (queries of this pack): SQLite's errors as a located problem, a stop by the
        progress handler as the signal that asked for it."""
        try:
            return work()
        except sqlite3.Error as exc:
            if SIGNALLED:
                raise Signalled(SIGNALLED[-1]) from None
            if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
                raise KeyboardInterrupt from None  # a library caller's Ctrl-C, taken in the handler
            raise self._problem(where, f"cannot read the packed library: {exc}") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Pack:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise self._problem("$", "the packed library is closed")
        return self._db

    # --- what it holds -------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The cptref that packed it (its words are this cptref's only when the versions agree)."""
        return self._meta.get("version", b"").decode("utf-8", "replace")

    @property
    def release(self) -> str | None:
        """The RELEASE of the packed directory, if it had one."""
        raw = self._meta.get("release")
        return raw.decode("utf-8", "replace") if raw else None

    @cached_property
    def sources(self) -> dict[str, Source]:
        return {s.id: s for s in self._decoded_meta("sources", list[Source])}

    @cached_property
    def families(self) -> dict[str, Family]:
        return {f.id: f for f in self._decoded_meta("families", list[Family])}

    def _decoded_meta(self, key: str, kind: Any) -> Any:
        raw = self._meta.get(key, b"\x90")
        try:
            return msgspec.msgpack.decode(raw, type=kind)
        except (msgspec.DecodeError, ValueError, TypeError) as exc:
            raise self._problem(f"meta[{key}]", f"not the {key} of a packed library: {exc}") from None

    def codes(self) -> list[str]:
        """Every code, in order (each checked as a code, at most :data:`MAX_RECORDS`)."""
        return list(self.iter_codes())

    def iter_codes(self) -> Iterator[str]:
        """:meth:`codes` one at a time, read from the pack's cursor as they are asked for (a cold
        build streams its plan from it: the codes of a large pack are never held)."""
        last = ""
        for count, row in enumerate(self._fetched("SELECT code FROM records ORDER BY code", ())):
            code = row[0]
            if count >= MAX_RECORDS:
                raise self._problem("records", f"more than {MAX_RECORDS:,} records")
            if not isinstance(code, str) or not _CODE.fullmatch(code) or (count and code <= last):
                raise self._problem(f"records[row {count + 1}]", f"{_shown(code)} is not a code in order")
            last = code
            yield code

    def rows(self) -> Iterator[tuple[str, bytes, str]]:
        """(code, stored body, words) of every record, in code order, each row checked (its record
        decoded): a problem is raised at the row it is found in. The body is compressed, as the
        compiled index stores it (:func:`~cptref.library.index.parse.compress_body`)."""
        for code, stored, words, _ in self.checked_rows():
            yield code, stored, words

    def checked_rows(self) -> Iterator[tuple[str, bytes, str, Procedure]]:
        """(code, stored body, words, record) of every record in code order, each row checked."""
        return self._checked_rows("SELECT rowid, code, body, words FROM records", ())

    def checked_range(self, first: str, last: str) -> Iterator[tuple[str, bytes, str, Procedure]]:
        """:meth:`checked_rows` of the codes from ``first`` to ``last`` (a cold build's worker reads
        its chunk of codes so, with its own connection), each row checked as every row is."""
        query = "SELECT rowid, code, body, words FROM records WHERE code BETWEEN ? AND ? ORDER BY code"
        return self._checked_rows(query, (first, last))

    def _fetched(self, query: str, arguments: tuple[str, ...]) -> Iterator[Any]:
        """The rows of ``query`` one at a time, each fetch guarded as every read of the pack is."""
        cursor = self._guarded("records", lambda: self.db.execute(query, arguments))
        while True:
            row = self._guarded("records", lambda: cursor.fetchone())
            if row is None:
                return
            yield row

    def _checked_rows(self, query: str, arguments: tuple[str, ...]) -> Iterator[tuple[str, bytes, str, Procedure]]:
        last = ""
        for count, row in enumerate(self._fetched(query, arguments), 1):
            rowid, code, stored, words = row
            where = f"records[row {rowid}]"
            if count > MAX_RECORDS:
                raise self._problem("records", f"more than {MAX_RECORDS:,} records")
            if not isinstance(code, str) or not _CODE.fullmatch(code):
                raise self._problem(where, f"{_shown(code)} is not a code")
            if code <= last:
                raise self._problem(where, f"{code} is out of code order (after {last})")
            if not isinstance(words, str) or len(words) > MAX_WORDS_BYTES:
                raise self._problem(where, f"{code}: its words are not text of at most {MAX_WORDS_BYTES:,} bytes")
            body = self._body(where, code, stored)
            yield code, stored, words, self._record(where, code, body)
            last = code

    def _body(self, where: str, code: str, stored: object) -> bytes:
        """A row's body, decompressed within :data:`MAX_BODY_BYTES`."""
        if not isinstance(stored, bytes) or len(stored) > MAX_BODY_BYTES:
            raise self._problem(where, f"{code}: its body is not bytes of at most {MAX_BODY_BYTES:,}")
        inflate = zlib.decompressobj()
        try:
            body = inflate.decompress(stored, MAX_BODY_BYTES)
        except zlib.error as exc:
            raise self._problem(where, f"{code}: its body does not decompress ({exc})") from None
        if inflate.unconsumed_tail:
            raise self._problem(where, f"{code}: its body expands beyond {MAX_BODY_BYTES:,} bytes")
        if not inflate.eof or inflate.unused_data:
            raise self._problem(where, f"{code}: its body is cut short or followed by other bytes")
        return body

    def _record(self, where: str, code: str, body: bytes) -> Procedure:
        try:
            record = _decode(body)
        except (msgspec.DecodeError, ValueError, TypeError) as exc:
            raise self._problem(where, f"{code}: its body is not a record: {exc}") from None
        if record.code != code:
            raise self._problem(where, f"{code}: its body is the record of {_shown(record.code)}")
        return record

    def body(self, code: str) -> bytes | None:
        """The encoded record of ``code`` (checked), or None."""
        found = self._checked(code)
        return found[0] if found is not None else None

    def record(self, code: str) -> Procedure | None:
        found = self._checked(code)
        return found[1] if found is not None else None

    def _checked(self, code: str) -> tuple[bytes, Procedure] | None:
        row = self._guarded(
            "records", lambda: self.db.execute("SELECT rowid, body FROM records WHERE code = ?", (code,)).fetchone()
        )
        if row is None:
            return None
        where = f"records[row {row[0]}]"
        body = self._body(where, code, row[1])
        return body, self._record(where, code, body)

    def records(self) -> Iterator[Procedure]:
        for _, _, _, record in self.checked_rows():
            yield record


_decode = msgspec.msgpack.Decoder(Procedure).decode


def _pragmas(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA query_only = ON")
    db.execute("PRAGMA trusted_schema = OFF")
    db.execute("PRAGMA temp_store = MEMORY")  # no temporary file: none of the pack's queries needs one
    db.execute("PRAGMA cell_size_check = ON")
    db.execute("PRAGMA mmap_size = 0")


def _stop_when_signalled() -> int:
    """SQLite's progress handler: non-zero (stop the statement) once Ctrl-C or SIGTERM arrived."""
    return 1 if SIGNALLED else 0


def _shown(value: object) -> str:
    """A value from a pack, for a one-line message (cut, with what is not printable escaped)."""
    from cptref.errors import quoted

    return quoted(value if isinstance(value, str) else repr(value))


def status(path: Path) -> str:
    """What changes when a packed library is written again: its size, times and inode."""
    info = os.stat(path)
    return f"{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}"


def fill_pack(
    db: sqlite3.Connection,
    rows: Iterator[tuple[str, bytes, str]],
    sources: dict[str, Source],
    families: dict[str, Family],
    release: str | None,
) -> int:
    """Fill a new, empty SQLite database as a packed library: the records (in code order, their
    bodies as the compiled index stores them, compressed), sources, families and release of one data
    directory. The number of records."""
    db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.execute(f"PRAGMA application_id = {PACK_FILE_ID}")
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(PACK_SCHEMA)
    count = 0
    batch: list[tuple[str, bytes, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 1000:
            db.executemany("INSERT INTO records VALUES (?, ?, ?)", batch)
            count += len(batch)
            batch.clear()
    db.executemany("INSERT INTO records VALUES (?, ?, ?)", batch)
    count += len(batch)
    encode = msgspec.msgpack.encode
    meta = {
        "kind": KIND,
        "format": PACK_FORMAT.encode(),
        "version": __version__.encode(),
        "sources": encode(list(sources.values())),
        "families": encode(list(families.values())),
    }
    if release:
        meta["release"] = release.encode()
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    db.commit()
    return count
