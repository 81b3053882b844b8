"""A packed library: one file holding a data directory's records, sources and families.

``cptref pack DIR`` writes it, after checking every file of DIR (layered over the shipped data, as
commands read it); it is then named wherever a data directory is (``--data FILE``,
``CPTREF_DATA``) and read as that directory would be. A directory of 20,000 record files costs
every command a status check of each file, to notice an edit; a packed library is one file,
checked once. It is a SQLite file marked as cptref's pack (``PRAGMA application_id``), read-only
to cptref; its records are stored as the compiled index stores them, with the words search
indexes. Editing means editing the directory and packing it again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

import msgspec

from cptref import __version__
from cptref.errors import DataErrors, Problem
from cptref.model.records import Family, Procedure, Source

PACK_FILE_ID = 0x43505450
"""The mark in a packed library's SQLite header ("CPTP"); the compiled index has its own."""
PACK_FORMAT = "1"
"""The layout of a packed library; a file of another layout is refused with a way out (pack again)."""
KIND = b"cptref packed library"
PACK_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE records (code TEXT PRIMARY KEY, body BLOB NOT NULL, words TEXT NOT NULL) WITHOUT ROWID;
"""


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


class Pack:
    """A packed library opened for reading; raises :class:`DataErrors` when it cannot be used."""

    def __init__(self, path: Path) -> None:
        from cptref.library.paths import display_path

        self.path = path
        name = display_path(path)
        try:
            self._db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            meta = dict(self._db.execute("SELECT key, value FROM meta"))
        except (OSError, sqlite3.Error) as exc:
            raise DataErrors([Problem(name, "$", f"cannot read the packed library: {exc}")]) from None
        self._meta = {key: bytes(value) for key, value in meta.items()}
        if self._meta.get("kind") != KIND:
            raise DataErrors([Problem(name, "$", "not a packed library (cptref pack DIR writes one)")])
        if self._meta.get("format") != PACK_FORMAT.encode():
            made = self._meta.get("version", b"?").decode("utf-8", "replace")
            raise DataErrors(
                [Problem(name, "$", f"packed by cptref {made} in another layout: pack its directory again")]
            )

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Pack:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

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
        return {s.id: s for s in msgspec.msgpack.decode(self._meta.get("sources", b"\x90"), type=list[Source])}

    @cached_property
    def families(self) -> dict[str, Family]:
        return {f.id: f for f in msgspec.msgpack.decode(self._meta.get("families", b"\x90"), type=list[Family])}

    def codes(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT code FROM records ORDER BY code")]

    def rows(self) -> Iterator[tuple[str, bytes, str]]:
        """(code, encoded record, words) of every record, in code order."""
        yield from self._db.execute("SELECT code, body, words FROM records ORDER BY code")

    def body(self, code: str) -> bytes | None:
        row = self._db.execute("SELECT body FROM records WHERE code = ?", (code,)).fetchone()
        return bytes(row[0]) if row else None

    def record(self, code: str) -> Procedure | None:
        body = self.body(code)
        return msgspec.msgpack.decode(body, type=Procedure) if body is not None else None

    def records(self) -> Iterator[Procedure]:
        decode = msgspec.msgpack.Decoder(Procedure).decode
        for _, body, _ in self.rows():
            yield decode(body)


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
    """Fill a new, empty SQLite database as a packed library: the records (in code order), sources,
    families and release of one data directory. The number of records."""
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
