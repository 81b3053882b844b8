"""How the index packs what search reads: codes in one string, sets of documents as bitsets, postings rows.

A set of documents is an int whose bit i stands for document i (documents are in code order). The
codes of the documents are one string of fixed-width codes (:class:`PackedCodes`), decoded one by
one as read; a postings row holds a word's documents in one field as a few ids or a compressed
bitmap (:func:`postings_row`). A row that cannot have been written so is :class:`DamagedIndex`.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Sequence
from typing import overload

import msgspec

INDEXED_FIELDS: tuple[str, ...] = ("title", "synonyms", "descriptor", "summary", "official")
"""The text fields search indexes, in the order of their field id in a postings row ("official": the
licensed descriptor from a user's own file, when one is given); their words are
:func:`cptref.model.words.field_words`."""


class DocInfo(msgspec.Struct, frozen=True, array_like=True):
    """A record as a list of codes shows it (shell completion); search reads only the codes, and
    the titles of the records it returns."""

    code: str
    title: str
    deleted: bool


class PackedCodes(Sequence[str]):
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
    def decode(cls, blob: bytes) -> PackedCodes:
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


class DamagedIndex(Exception):
    """The index holds what it cannot have written (a posting naming no record)."""


INDEX_PAGE_SIZE = 16384
"""The index's page size: a record's compressed body (about 1 KB) shares a page with others, and no
record takes an overflow page of its own (4 KB pages left half of each page empty at 100k records)."""
INDEX_SCHEMA = """
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


ROW_OF_IDS, ROW_OF_BITS = 0, 1
FEW_IDS = 64
"""How a postings row holds its documents: up to :data:`FEW_IDS` sorted 32-bit ids (the row starts with
:data:`ROW_OF_IDS`), or else a bitmap (bit i = document i) compressed with zlib (:data:`ROW_OF_BITS`),
which turns into a bitset in C rather than a Python loop."""


def postings_row(ids: Sequence[int]) -> bytes:
    """A postings row: the documents (ascending ids) as a few ids, or as a compressed bitmap."""
    if len(ids) <= FEW_IDS:
        return bytes([ROW_OF_IDS]) + array("I", ids).tobytes()
    return bytes([ROW_OF_BITS]) + zlib.compress(_bitmap(ids), 1)
