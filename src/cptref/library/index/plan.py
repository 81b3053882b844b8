"""What a build of the index reads: each code's record files, layer by layer, and the records of
the previous index that can be copied rather than read again.

A record file is stamped with its layer and its file's status (:func:`~cptref.library.paths.file_status`;
a pack's records with the pack's own status); a record whose only file has the stamp it had when
the previous index was built is copied from that index (:class:`Previous`, read in one pass in
code order as the build asks for them).
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec

from cptref.library import paths
from cptref.model.records import Procedure

from .parse import stored_record


class Previous:
    """The previous index of the same data, whose records may be reused: each record file's stamp,
    then its rows read in one pass, in code order, as the build asks for them."""

    def __init__(self, path: Path | None, same: Callable[[sqlite3.Connection], bool]) -> None:
        self._db: sqlite3.Connection | None = None
        self._rows: Iterator[tuple[str, bytes, str, bytes | None]] | None = None
        self._next: tuple[str, bytes, str, bytes | None] | None = None
        self._stamps: dict[str, bytes] | None = None
        if path is None:
            return
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            if not same(db):
                db.close()
                return
            self._db = db
            self._rows = iter(db.execute("SELECT code, body, words, stamp FROM records ORDER BY doc"))
        except (OSError, sqlite3.Error, ValueError, TypeError):
            self.close()

    @property
    def stamps(self) -> dict[str, bytes]:
        """Each record file's stamp (read when first asked for: a build from a pack does not)."""
        if self._stamps is None:
            self._stamps = {}
            if self._db is not None:
                try:
                    self._stamps = {
                        code: bytes(s) for code, s in self._db.execute("SELECT code, stamp FROM records") if s
                    }
                except (sqlite3.Error, ValueError, TypeError):
                    self._stamps = {}
                    self.close()
        return self._stamps

    def row(self, code: str, stamp: bytes | None = None) -> tuple[bytes, str] | None:
        """The body and words of ``code``'s record (codes asked for in ascending order), or None
        (also when ``stamp`` is given and is not the one its file had)."""
        if self._rows is None:
            return None
        try:
            while self._next is None or self._next[0] < code:
                self._next = next(self._rows)
        except (StopIteration, sqlite3.Error):
            self.close()
            return None
        found = self._next
        if found[0] != code or not isinstance(found[1], bytes) or not isinstance(found[2], str):
            return None
        if stamp is not None and (not stamp or found[3] is None or bytes(found[3]) != stamp):
            return None
        return found[1], found[2]

    def close(self) -> None:
        self._rows = None
        if self._db is not None:
            self._db.close()
            self._db = None


class RecordFiles(NamedTuple):
    """A code's record files, lowest layer first: (layer, file name, stamp)."""

    code: str
    files: list[tuple[int, str, bytes]]


Stats = dict[str, bytes | None]
"""A procedures folder's record files: name -> its :func:`~cptref.library.paths.file_status` (None:
it could not be stat'ed)."""


def plan_files(roots: Sequence[Path], known: Sequence[Stats | None] = ()) -> list[RecordFiles]:
    """Every record file of every layer, by code (the file's name), with its stamp; raises
    :class:`~cptref.errors.DataErrors` when a procedures folder cannot be used. ``known``: each
    layer's files as just stat'ed, when given (used up: the entries are taken out). A build with a
    packed layer streams its plan instead (:func:`.stream.planned`)."""
    by_code: dict[str, list[tuple[int, str, bytes]]] = defaultdict(list)
    for layer, root in enumerate(roots):
        for code, _, name, key in folder_files(layer, root, known[layer] if layer < len(known) else None):
            by_code[code].append((layer, name, key))
    return [RecordFiles(code, by_code[code]) for code in sorted(by_code)]


def folder_files(layer: int, root: Path, stats: Stats | None) -> list[tuple[str, int, str, bytes]]:
    """The record files of one layer's procedures folder: (code, layer, file name, stamp), by code."""
    from cptref.library.read import procedure_names

    folder = paths.procedures_dir(root)
    found_files: list[tuple[str, int, str, bytes]] = []
    for name in procedure_names(root):
        found = stats.pop(name, None) if stats is not None else None
        if found is None:
            try:
                found = paths.file_status(os.stat(folder / name))
            except OSError:
                found = None
        key = b"%d\0%s" % (layer, found) if found is not None else b""  # none: parsed, the loader says why
        found_files.append((name[: -len(".yaml")], layer, name, key))
    found_files.sort()
    return found_files


def decoded(body: bytes) -> Procedure | None:
    """A record reused from the previous index (None if that index is damaged there)."""
    try:
        return stored_record(body)
    except (msgspec.DecodeError, ValueError, TypeError, zlib.error):
        return None
