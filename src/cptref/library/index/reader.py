"""The compiled index read: a read-only SQLite file, each record decoded only when asked for.

:class:`IndexStore` answers what a :class:`~cptref.library.stores.Store` answers from the file
:mod:`cptref.library.index.build` wrote. The checks on opening catch a stale, truncated or foreign
file, not a page damaged in the middle, which shows only when it is read: then the store answers
from the data parsed again (and writes a fresh index), so a command still answers, and answers right.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import msgspec

from cptref.errors import Problem
from cptref.library.stores import MemoryStore, Store
from cptref.model.records import Family, Procedure, Source

from .parse import stored_record
from .postings import INDEXED_FIELDS, ROW_OF_BITS, ROW_OF_IDS, DamagedIndex, DocInfo, PackedCodes, bitset

DAMAGE = (sqlite3.DatabaseError, msgspec.DecodeError, ValueError, TypeError, DamagedIndex, zlib.error)
"""What reading a damaged index raises: SQLite's "database disk image is malformed", bytes that do
not decode as what was written (or text that is not UTF-8), a value of the wrong type (a number
where a blob was written), a value out of range."""
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _healing(method: Callable[Concatenate[IndexStore, _P], _R]) -> Callable[Concatenate[IndexStore, _P], _R]:
    """Answer from the index; once it proves damaged, from the data parsed again (see :meth:`IndexStore.heal`)."""
    name = method.__name__

    def answer(self: IndexStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if self._healed is None:
            try:
                return method(self, *args, **kwargs)
            except DAMAGE:
                if self._rebuild is None:
                    raise
        value: Any = getattr(self.heal(), name)
        return value(*args, **kwargs) if callable(value) else value  # type: ignore[no-any-return]

    return answer


class IndexStore:
    """The compiled index: a read-only SQLite file; records are decoded only when asked for.

    The checks on opening (:func:`cptref.library.index.compiled.open_store`) catch a stale, truncated or foreign
    file, not a page damaged in the middle, which shows only when it is read. Then the store
    answers from the data parsed again (``rebuild``, which also writes a fresh index), so a command
    still answers, and answers right.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        rebuild: Callable[[], MemoryStore] | None = None,
        path: Path | None = None,
    ) -> None:
        self._db = connection
        self._path = path
        self._decoded: dict[str, Procedure | None] = {}
        self._rebuild = rebuild
        self._healed: MemoryStore | None = None

    @classmethod
    def open(cls, path: Path, rebuild: Callable[[], MemoryStore] | None = None) -> IndexStore:
        return cls(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True), rebuild, path)

    @property
    def path(self) -> Path | None:
        """The compiled file (what ``cptref.spark`` ships to executors), or None for one not on disk."""
        return self._path

    def reopened(self) -> Store:
        """The same index through a connection of its own, for a forked process (a SQLite connection
        must not cross a fork); the data parsed again when the index proved damaged."""
        if self._healed is not None or self._path is None:
            return self.heal()  # raises DamagedIndex when there is nothing to parse again
        return IndexStore.open(self._path, self._rebuild)

    def heal(self) -> MemoryStore:
        """The store parsed again from the data, which answers from now on (the index is damaged)."""
        if self._healed is None:
            if self._rebuild is None:
                raise DamagedIndex("the index is damaged and this store cannot rebuild it")
            self._healed = self._rebuild()
        return self._healed

    def page_bytes(self) -> int:
        """The size the file must have, from SQLite's own header (a truncated file differs)."""
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return int(pages) * int(size)

    def meta(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    @cached_property
    @_healing
    def sources(self) -> dict[str, Source]:
        raw = self.meta("sources") or b"[]"
        return {s.id: s for s in msgspec.msgpack.decode(raw, type=list[Source])}

    @cached_property
    @_healing
    def families(self) -> dict[str, Family]:
        raw = self.meta("families") or b"[]"
        return {f.id: f for f in msgspec.msgpack.decode(raw, type=list[Family])}

    @cached_property
    def _codes(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT code FROM records ORDER BY doc")]

    @_healing
    def codes(self) -> list[str]:
        return self._codes

    @_healing
    def get(self, code: str) -> Procedure | None:
        if code not in self._decoded:
            row = self._db.execute("SELECT body FROM records WHERE code = ?", (code,)).fetchone()
            self._decoded[code] = stored_record(row[0]) if row else None
        return self._decoded[code]

    @_healing
    def referencing(self, code: str) -> list[str]:
        rows = self._db.execute("SELECT by_code FROM refs WHERE code = ? ORDER BY by_code", (code,))
        return [row[0] for row in rows]

    @_healing
    def official(self, code: str) -> str | None:
        row = self._db.execute("SELECT text FROM descriptors WHERE code = ?", (code,)).fetchone()
        return str(row[0]) if row else None

    @_healing
    def origin(self, code: str) -> Path | None:
        row = self._db.execute("SELECT origin FROM records WHERE code = ?", (code,)).fetchone()
        return Path(os.fsdecode(row[0])) if row and row[0] else None

    @_healing
    def shared_origins(self) -> dict[str, str]:
        return self._shared_origins

    @cached_property
    def problems(self) -> list[Problem]:
        """The problems of the data the index was built from (its valid records only are in it)."""
        return msgspec.msgpack.decode(self.meta("problems") or b"[]", type=list[Problem])

    @cached_property
    def _shared_origins(self) -> dict[str, str]:
        raw = msgspec.msgpack.decode(self.meta("shared_origins") or b"{}", type=dict[str, bytes])
        return {key: os.fsdecode(value) for key, value in raw.items()}  # a folder's name need not be UTF-8

    def records(self) -> Iterator[Procedure]:
        given: set[str] = set()
        if self._healed is None:
            try:
                for code, body in self._db.execute("SELECT code, body FROM records ORDER BY doc"):
                    yield self._decoded.get(code) or stored_record(body)
                    given.add(code)
                return
            except DAMAGE:
                if self._rebuild is None:
                    raise
        # damaged: the rest from the parsed data, in code order as the index gives them
        yield from (r for r in self.heal().records() if r.code not in given)

    @_healing
    def docs(self) -> Sequence[DocInfo]:
        return self._docs

    @cached_property
    def _docs(self) -> list[DocInfo]:
        return msgspec.msgpack.decode(self.meta("docs") or b"[]", type=list[DocInfo])

    @cached_property
    def _doc_codes(self) -> PackedCodes:
        return PackedCodes.decode(self.meta("codes") or b"")

    @_healing
    def doc_codes(self) -> Sequence[str]:
        """The codes in document order, decoded one by one as they are read."""
        return self._doc_codes

    @cached_property
    def _deleted(self) -> int:
        ids = array("I")
        ids.frombytes(self.meta("deleted") or b"")
        if ids and max(ids) >= len(self._doc_codes):
            raise DamagedIndex("a deleted record that is not in the index")
        return bitset(ids)

    @_healing
    def deleted_docs(self) -> int:
        """The deleted records, as a bitset of document ids."""
        return self._deleted

    @_healing
    def doc_titles(self, docs: Sequence[int]) -> list[str]:
        """The titles of the records ``docs`` (only theirs are decoded)."""
        found: dict[int, str] = {}
        wanted = sorted(set(docs))
        decode = msgspec.msgpack.Decoder(_Titled).decode
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT doc, body FROM records WHERE doc IN ({marks})"  # noqa: S608 - placeholders only
            for doc, body in self._db.execute(query, chunk):
                found[doc] = decode(zlib.decompress(body)).title
        if len(found) != len(wanted):
            raise DamagedIndex("a result that is not in the index")
        return [found[doc] for doc in docs]

    @cached_property
    def _vocabulary(self) -> list[str]:
        text = (self.meta("vocabulary") or b"").decode("utf-8")
        return text.split("\n") if text else []

    @_healing
    def vocabulary(self) -> Sequence[str]:
        """The indexed words, sorted (for prefix look-ups by bisection)."""
        return self._vocabulary

    @_healing
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = INDEXED_FIELDS) -> dict[str, dict[str, int]]:
        """For each wanted word that is indexed: the documents holding it in each of ``fields`` that
        has it, as bitsets (only those rows are read and decompressed)."""
        found: dict[str, dict[str, int]] = {}
        count = len(self._doc_codes)
        wanted = list(wanted)
        field_ids = ",".join(str(INDEXED_FIELDS.index(name)) for name in fields)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT word, field, docs FROM postings WHERE word IN ({marks}) AND field IN ({field_ids})"  # noqa: S608
            for word, field, blob in self._db.execute(query, chunk):
                if not 0 <= field < len(INDEXED_FIELDS) or not blob:
                    raise DamagedIndex(f"the postings of {word!r} name no field")
                if blob[0] == ROW_OF_BITS:
                    try:
                        bits = int.from_bytes(zlib.decompress(memoryview(blob)[1:]), "little")
                    except zlib.error:
                        raise DamagedIndex(f"the postings of {word!r} do not decompress") from None
                else:
                    ids = array("I")
                    ids.frombytes(blob[1:])
                    bits = bitset(ids)
                if blob[0] not in (ROW_OF_IDS, ROW_OF_BITS) or bits.bit_length() > count:
                    raise DamagedIndex(f"the postings of {word!r} name no record")
                found.setdefault(word, {})[INDEXED_FIELDS[field]] = bits
        return found


class _Titled(msgspec.Struct):
    """A record's body read for its title alone (msgspec skips the other fields)."""

    title: str
