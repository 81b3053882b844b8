"""The words of the short descriptors in a user's PPRRVU file, indexed for ``cptref search --cms``:
built once when the tables are compiled and stored in the compiled file, so a search reads the
vocabulary and the postings of the words it matches, never the table's rows.

One document a code, in code order: the code's row without a modifier (else its first row), its
short descriptor read into words exactly as search reads the records' text (:func:`cptref.model.words.words`).
Stored per table: the codes and the sorted vocabulary as newline-joined text, the codes whose status
says they are deleted (D, F), and for each word the documents it is in (up to :data:`FEW` ids as
32-bit integers, else a zlib-compressed bitmap, bit ``i`` for document ``i``).

:class:`WordIndex` answers the questions :func:`cptref.search.search` asks of a store (vocabulary,
postings, codes in document order, deleted documents), with one field, ``short_descriptor``. The
descriptors are the AMA's licensed text: they stay in the user's own compiled file (mode 0600).
"""

from __future__ import annotations

import sqlite3
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from cptref.model.words import words

FIELD = "short_descriptor"
"""The field search reports a match of these words in."""
DELETED_STATUS = frozenset("DF")
"""The fee schedule's status codes of a deleted code: it stays findable, ranked lower."""
FEW = 64
_IDS, _BITMAP = 0, 1

WORD_INDEX_SCHEMA = """
CREATE TABLE rvu_docs (t INTEGER PRIMARY KEY, codes BLOB NOT NULL, vocabulary BLOB NOT NULL, deleted BLOB NOT NULL);
CREATE TABLE rvu_words (
  t INTEGER NOT NULL, word TEXT NOT NULL, docs BLOB NOT NULL, PRIMARY KEY (t, word)
) WITHOUT ROWID;
"""

Query = Callable[[str, Sequence[Any]], list[Any]]


def encode(ids: Sequence[int]) -> bytes:
    """Document ids (ascending) as a postings blob."""
    if len(ids) <= FEW:
        values = array("I", ids)
        if sys.byteorder == "big":
            values.byteswap()
        return bytes([_IDS]) + values.tobytes()
    bitmap = bytearray((ids[-1] >> 3) + 1)
    for i in ids:
        bitmap[i >> 3] |= 1 << (i & 7)
    return bytes([_BITMAP]) + zlib.compress(bytes(bitmap))


def decode(blob: bytes) -> int:
    """A postings blob as a bitset (an int whose bit ``i`` is set for document ``i``)."""
    if not blob:
        return 0
    if blob[0] == _BITMAP:
        return int.from_bytes(zlib.decompress(blob[1:]), "little")
    values = array("I")
    values.frombytes(blob[1:])
    if sys.byteorder == "big":
        values.byteswap()
    bits = 0
    for i in values:
        bits |= 1 << i
    return bits


def documents(rows: Iterable[Sequence[Any]]) -> tuple[list[str], dict[str, list[int]], list[int]]:
    """From PPRRVU rows (code, modifier, status, descriptor) ordered by code then modifier: the
    codes (one document each), each word's documents, and the deleted documents."""
    codes: list[str] = []
    postings: dict[str, list[int]] = {}
    deleted: list[int] = []
    for code, _modifier, status, descriptor in rows:
        if codes and codes[-1] == code:
            continue  # the code's first row (no modifier, when it has one) is its document
        doc = len(codes)
        codes.append(code)
        if status in DELETED_STATUS:
            deleted.append(doc)
        for word in dict.fromkeys(words(descriptor or "")):
            postings.setdefault(word, []).append(doc)
    return codes, postings, deleted


_ROWS = "SELECT code, modifier, status, descriptor FROM rvu WHERE t = ? ORDER BY code, modifier"


def build_word_index(db: sqlite3.Connection, t: int) -> None:
    """Index the short descriptors of PPRRVU table ``t`` (already inserted) and store the index."""
    codes, postings, deleted = documents(db.execute(_ROWS, (t,)))
    vocabulary = sorted(postings)
    db.execute(
        "INSERT INTO rvu_docs VALUES (?, ?, ?, ?)",
        (t, "\n".join(codes).encode(), "\n".join(vocabulary).encode(), encode(deleted)),
    )
    db.executemany("INSERT INTO rvu_words VALUES (?, ?, ?)", ((t, w, encode(postings[w])) for w in vocabulary))


class WordIndex:
    """The short-descriptor words of one PPRRVU table, as search reads a store. Made by
    :meth:`cptref.cms.CmsTables.word_index`; it asks the compiled file through ``query``."""

    def __init__(self, query: Query, t: int, codes: list[str], vocabulary: list[str], deleted: int) -> None:
        self._query = query
        self._t = t
        self._codes = codes
        self._vocabulary = vocabulary
        self._deleted = deleted
        self._memory: dict[str, int] | None = None

    @classmethod
    def load(cls, query: Query, t: int) -> WordIndex:
        """The stored index of table ``t``; built in memory from the rows when the compiled file
        has none (it always has, unless it was written by a cptref that did not make one)."""
        try:
            found = query("SELECT codes, vocabulary, deleted FROM rvu_docs WHERE t = ?", (t,))
        except sqlite3.OperationalError:  # no such table
            found = []
        if found:
            codes, vocabulary, deleted = found[0]
            return cls(query, t, _lines(codes), _lines(vocabulary), decode(deleted))
        codes_list, postings, deleted_ids = documents(query(_ROWS, (t,)))
        index = cls(query, t, codes_list, sorted(postings), decode(encode(deleted_ids)))
        index._memory = {word: decode(encode(ids)) for word, ids in postings.items()}
        return index

    def vocabulary(self) -> Sequence[str]:
        return self._vocabulary

    def doc_codes(self) -> Sequence[str]:
        return self._codes

    def deleted_docs(self) -> int:
        return self._deleted

    def postings(self, wanted: Iterable[str], fields: Sequence[str] = (FIELD,)) -> dict[str, dict[str, int]]:
        """The documents of each of the ``wanted`` words that is indexed, under the one field."""
        if FIELD not in fields:
            return {}
        found: dict[str, dict[str, int]] = {}
        asked = sorted(set(wanted))
        if self._memory is not None:
            return {w: {FIELD: self._memory[w]} for w in asked if w in self._memory}
        for start in range(0, len(asked), 500):
            part = asked[start : start + 500]
            marks = ", ".join("?" * len(part))
            for word, blob in self._query(
                f"SELECT word, docs FROM rvu_words WHERE t = ? AND word IN ({marks})",  # noqa: S608 - marks only
                (self._t, *part),
            ):
                found[word] = {FIELD: decode(blob)}
        return found


def _lines(blob: bytes) -> list[str]:
    text = bytes(blob).decode()
    return text.split("\n") if text else []


__all__ = ["FIELD", "WordIndex", "build_word_index", "decode", "documents", "encode"]
