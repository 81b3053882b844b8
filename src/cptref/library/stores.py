"""Where a catalog's records come from: parsed YAML in memory, or the compiled index on disk.

Both stores answer the same questions: the codes, one record, the records that name a code (from
which the derived relations are computed), and the search structures (the sorted vocabulary,
per-field postings of words as bitsets, the codes in document order, the deleted records, and
the titles of the results). :class:`MemoryStore` computes them from records; :class:`IndexStore`
reads them from the SQLite index that :mod:`cptref.index` writes, decoding only the records and
postings a command touches.
"""

from __future__ import annotations

import os
import sqlite3
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, overload

import msgspec

from cptref.errors import Problem
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import family_codes, relation_targets
from cptref.model.words import FIELDS, field_words


class DocInfo(msgspec.Struct, frozen=True, array_like=True):
    """A record as a list of codes shows it (shell completion); search reads only the codes, and
    the titles of the records it returns."""

    code: str
    title: str
    deleted: bool


class Codes(Sequence[str]):
    """The codes in document order (which is code order), read from one string of fixed-width codes
    (padded with spaces, which sort before any code character): nothing is decoded until asked for."""

    __slots__ = ("_count", "_text", "_width")

    def __init__(self, text: str, width: int) -> None:
        if width < 1 or len(text) % width:
            raise DamagedIndex("the codes are not of one width")
        self._text = text
        self._width = width
        self._count = len(text) // width

    @classmethod
    def encode(cls, codes: Sequence[str]) -> bytes:
        width = max((len(c) for c in codes), default=1)
        return bytes([width]) + "".join(c.ljust(width) for c in codes).encode("ascii")

    @classmethod
    def decode(cls, blob: bytes) -> Codes:
        return cls(blob[1:].decode("ascii"), blob[0] if blob else 0)

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        start = index * self._width
        return self._text[start : start + self._width].rstrip(" ")


def bitset(ids: Sequence[int]) -> int:
    """The document ids (ascending) as one integer whose bit ``i`` is set for document ``i``."""
    return int.from_bytes(_bitmap(ids), "little")


def _bitmap(ids: Sequence[int]) -> bytearray:
    buffer = bytearray((max(ids) >> 3) + 1 if ids else 0)
    for i in ids:
        buffer[i >> 3] |= 1 << (i & 7)
    return buffer


_IDS, _BITMAP = 0, 1
"""How a postings row holds its documents: up to ``_FEW_IDS`` sorted 32-bit ids, or else a bitmap
(bit i = document i) compressed with zlib, which turns into a bitset in C rather than a Python loop."""
_FEW_IDS = 64


class Store(Protocol):
    @property
    def sources(self) -> dict[str, Source]: ...
    @property
    def families(self) -> dict[str, Family]: ...

    def codes(self) -> list[str]: ...
    def get(self, code: str) -> Procedure | None: ...
    def referencing(self, code: str) -> list[str]: ...
    def official(self, code: str) -> str | None: ...
    def origin(self, code: str) -> Path | None: ...
    def shared_origins(self) -> dict[str, str]: ...
    def records(self) -> Iterator[Procedure]: ...
    def docs(self) -> Sequence[DocInfo]: ...
    def doc_codes(self) -> Sequence[str]: ...
    def deleted_docs(self) -> int: ...
    def doc_titles(self, docs: Sequence[int]) -> list[str]: ...
    def vocabulary(self) -> Sequence[str]: ...
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = FIELDS) -> dict[str, dict[str, int]]: ...
    def reopened(self) -> Store: ...


class MemoryStore:
    """Records held in memory (just parsed); search structures built on first use."""

    def __init__(
        self,
        records: Iterable[Procedure],
        sources: dict[str, Source],
        families: dict[str, Family],
        descriptors: dict[str, str] | None = None,
        origins: dict[str, Path] | None = None,
        shared_origins: dict[str, str] | None = None,
        overrides: list[tuple[str, str, Path]] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.sources = sources
        self.families = families
        self.descriptors = descriptors or {}
        self.origins = origins or {}
        """The data directory each record came from (when several are layered)."""
        self._shared_origins = shared_origins or {}
        self.overrides = overrides or []
        """(``family`` or ``source``, id, directory) for each id a later layer defines again (lint only)."""
        self.problems = problems or []
        """The problems of the data when the store holds only its valid records (see index.build_store)."""
        self._by_code: dict[str, Procedure] = {}
        for record in records:
            self._by_code.setdefault(record.code, record)
        self._codes = sorted(self._by_code)
        refs: dict[str, set[str]] = defaultdict(set)
        by_family = family_codes(families)
        for record in self._by_code.values():
            for code in relation_targets(record, by_family):
                refs[code].add(record.code)
        self._refs = {code: sorted(by) for code, by in refs.items()}

    def reopened(self) -> MemoryStore:
        """This store, for a forked process (it holds no connection)."""
        return self

    def codes(self) -> list[str]:
        return self._codes

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def referencing(self, code: str) -> list[str]:
        return self._refs.get(code, [])

    def official(self, code: str) -> str | None:
        return self.descriptors.get(code)

    def origin(self, code: str) -> Path | None:
        return self.origins.get(code)

    def shared_origins(self) -> dict[str, str]:
        """``family:<id>``/``source:<id>`` -> the directory defining it (several layers only)."""
        return self._shared_origins

    def records(self) -> Iterator[Procedure]:
        return (self._by_code[c] for c in self._codes)

    def docs(self) -> Sequence[DocInfo]:
        return [DocInfo(r.code, r.title, r.status == "deleted") for r in self.records()]

    def doc_codes(self) -> Sequence[str]:
        return self._codes

    @cached_property
    def _deleted(self) -> int:
        return bitset([i for i, r in enumerate(self.records()) if r.status == "deleted"])

    def deleted_docs(self) -> int:
        """The deleted records, as a bitset of document ids."""
        return self._deleted

    def doc_titles(self, docs: Sequence[int]) -> list[str]:
        return [self._by_code[self._codes[doc]].title for doc in docs]

    def vocabulary(self) -> Sequence[str]:
        """The indexed words, sorted (for prefix look-ups by bisection)."""
        return self._search[0]

    def postings(self, wanted: Iterable[str], fields: Sequence[str] = FIELDS) -> dict[str, dict[str, int]]:
        """For each wanted word that is indexed: the documents holding it in each of ``fields`` that
        has it, as bitsets."""
        table, made = self._search[1], self._bitsets
        found: dict[str, dict[str, int]] = {}
        for word in wanted:
            if word not in made and word in table:
                made[word] = {name: bitset(ids) for name, ids in table[word].items()}
            if word in made:
                found[word] = {name: docs for name, docs in made[word].items() if name in fields}
        return {word: by_field for word, by_field in found.items() if by_field}

    def reference_rows(self) -> list[tuple[str, str]]:
        return [(code, by) for code, bys in self._refs.items() for by in bys]

    @cached_property
    def _bitsets(self) -> dict[str, dict[str, int]]:
        return {}

    @cached_property
    def _search(self) -> tuple[list[str], dict[str, dict[str, list[int]]]]:
        """The sorted vocabulary, and each word's documents (sorted ids) field by field."""
        postings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for doc_id, record in enumerate(self.records()):
            for field, present in field_words(record, self.descriptors.get(record.code)).items():
                for word in present:
                    postings[word][field].append(doc_id)
        return sorted(postings), {w: dict(by_field) for w, by_field in postings.items()}


class DamagedIndex(Exception):
    """The index holds what it cannot have written (a posting naming no record)."""


DAMAGE = (sqlite3.DatabaseError, msgspec.DecodeError, ValueError, TypeError, DamagedIndex)
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

    The checks on opening (:func:`cptref.index.open_store`) catch a stale, truncated or foreign
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
            self._decoded[code] = msgspec.msgpack.decode(row[0], type=Procedure) if row else None
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
            decode = msgspec.msgpack.Decoder(Procedure).decode
            try:
                for code, body in self._db.execute("SELECT code, body FROM records ORDER BY doc"):
                    yield self._decoded.get(code) or decode(body)
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
    def _doc_codes(self) -> Codes:
        return Codes.decode(self.meta("codes") or b"")

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
                found[doc] = decode(body).title
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
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = FIELDS) -> dict[str, dict[str, int]]:
        """For each wanted word that is indexed: the documents holding it in each of ``fields`` that
        has it, as bitsets (only those rows are read and decompressed)."""
        found: dict[str, dict[str, int]] = {}
        count = len(self._doc_codes)
        wanted = list(wanted)
        field_ids = ",".join(str(FIELDS.index(name)) for name in fields)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT word, field, docs FROM postings WHERE word IN ({marks}) AND field IN ({field_ids})"  # noqa: S608
            for word, field, blob in self._db.execute(query, chunk):
                if not 0 <= field < len(FIELDS) or not blob:
                    raise DamagedIndex(f"the postings of {word!r} name no field")
                if blob[0] == _BITMAP:
                    try:
                        bits = int.from_bytes(zlib.decompress(memoryview(blob)[1:]), "little")
                    except zlib.error:
                        raise DamagedIndex(f"the postings of {word!r} do not decompress") from None
                else:
                    ids = array("I")
                    ids.frombytes(blob[1:])
                    bits = bitset(ids)
                if blob[0] not in (_IDS, _BITMAP) or bits.bit_length() > count:
                    raise DamagedIndex(f"the postings of {word!r} name no record")
                found.setdefault(word, {})[FIELDS[field]] = bits
        return found


class _Titled(msgspec.Struct):
    """A record's body read for its title alone (msgspec skips the other fields)."""

    title: str


SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE records (
  doc INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, body BLOB NOT NULL, origin TEXT, words TEXT NOT NULL, stamp BLOB
);
CREATE TABLE refs (code TEXT NOT NULL, by_code TEXT NOT NULL);
CREATE INDEX refs_code ON refs (code);
CREATE TABLE descriptors (code TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE postings (word TEXT NOT NULL, field INTEGER NOT NULL, docs BLOB NOT NULL, PRIMARY KEY (word, field))
  WITHOUT ROWID;
"""


def postings_row(ids: Sequence[int]) -> bytes:
    """A postings row: the documents (ascending ids) as a few ids, or as a compressed bitmap."""
    if len(ids) <= _FEW_IDS:
        return bytes([_IDS]) + array("I", ids).tobytes()
    return bytes([_BITMAP]) + zlib.compress(_bitmap(ids), 1)
