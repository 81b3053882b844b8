"""What a build of the index reads: each code's record files, layer by layer, and the records of
the previous index that can be copied rather than read again.

A record file is stamped with its layer and its file's status (:func:`~cptref.library.paths.file_status`;
a pack's records with the pack's own status); a record whose only file has the stamp it had when
the previous index was built is copied from that index (:class:`Previous`, read in one pass in
code order as the build asks for them).
"""

from __future__ import annotations

import heapq
import os
import sqlite3
import zlib
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


class FolderPlan(NamedTuple):
    """A folder build's record files, by code: how many codes, and the codes' files as they are
    reached (each file stat'ed then, not before)."""

    total: int
    items: Iterator[RecordFiles]


def plan_files(roots: Sequence[Path], known: Sequence[Stats | None] = ()) -> FolderPlan:
    """Every record file of every layer, by code (the file's name), with its stamp; raises
    :class:`~cptref.errors.DataErrors` when a procedures folder cannot be used (here, before any item
    is taken). ``known``: each layer's files as just stat'ed, when given (used up: the entries are
    taken out as they are reached). Only the layers' file names are held, about 70 bytes a file;
    a file's entry is made when the build reaches it. A build with a packed layer streams its plan
    the same way (:func:`.stream.planned`)."""
    layers = [
        FolderFiles(layer, root, known[layer] if layer < len(known) else None) for layer, root in enumerate(roots)
    ]
    count = len(layers[0].names) if len(layers) == 1 else _distinct([layer.names for layer in layers])
    return FolderPlan(count, merged([iter(layer) for layer in layers]))


def merged(streams: Sequence[Iterator[tuple[str, int, str, bytes]]]) -> Iterator[RecordFiles]:
    """Layers' files (code, layer, name, stamp), each in code order, as one code's files at a time."""
    current: str | None = None
    files: list[tuple[int, str, bytes]] = []
    for code, layer, name, key in heapq.merge(*streams):
        if code != current:
            if current is not None:
                yield RecordFiles(current, files)
            current, files = code, []
        files.append((layer, name, key))
    if current is not None:
        yield RecordFiles(current, files)


def _distinct(layers: list[list[str]]) -> int:
    """How many codes the layers' file names (each list in code order) give, counted in one merge."""
    count, last = 0, None
    for name in heapq.merge(*layers, key=_code):
        code = _code(name)
        if code != last:
            count, last = count + 1, code
    return count


def _code(name: str) -> str:
    return name[: -len(".yaml")]


class FolderFiles:
    """The record files of one layer's procedures folder, in code order: (code, layer, file name,
    stamp) as iterated, each file stat'ed when reached (its stamp: the file's status, or empty when
    it cannot be stat'ed: then it is parsed, and the loader says why). Listing the folder raises
    :class:`~cptref.errors.DataErrors` when it cannot be used."""

    def __init__(self, layer: int, root: Path, stats: Stats | None) -> None:
        from cptref.library.read import procedure_names

        self.layer, self.stats = layer, stats
        self.folder = paths.procedures_dir(root)
        self.names = sorted(procedure_names(root), key=_code)
        """In code order (a file name's order may differ: ``4753-.yaml`` sorts before ``4753.yaml``)."""

    def __iter__(self) -> Iterator[tuple[str, int, str, bytes]]:
        layer, stats, folder = self.layer, self.stats, self.folder
        for name in self.names:
            found = stats.pop(name, None) if stats is not None else None
            if found is None:
                try:
                    found = paths.file_status(os.stat(folder / name))
                except OSError:
                    found = None
            key = b"%d\0%s" % (layer, found) if found is not None else b""
            yield _code(name), layer, name, key


def decoded(body: bytes) -> Procedure | None:
    """A record reused from the previous index (None if that index is damaged there)."""
    try:
        return stored_record(body)
    except (msgspec.DecodeError, ValueError, TypeError, zlib.error):
        return None
