"""The index's rows written in code order, in memory that does not grow with the library.

:class:`Writer` takes each valid record (from :func:`~.build.build`, a worker's chunk of a pack
(:mod:`.stream`), or a store held whole, :func:`~.build.write_store`) and writes its row at once;
its words' postings are held up to :data:`SPILL_IDS` document ids, then spilled to a temporary file
as a sorted run, the runs merged when the index is finished; the meta rows that list every record
(its code, its :class:`~.postings.DocInfo`) and the vocabulary are spooled to temporary files and
written into their rows a piece at a time.
"""

from __future__ import annotations

import heapq
import itertools
import os
import sqlite3
from array import array
from collections.abc import Iterable, Iterator
from typing import IO

import msgspec

from cptref.errors import Problem
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import family_codes, relation_targets
from cptref.model.words import NEGATED, words

from .parse import encode_record
from .postings import INDEX_PAGE_SIZE, INDEX_SCHEMA, INDEXED_FIELDS, DocInfo, postings_row

SPILL_IDS = 4_000_000
"""Document ids the postings hold in memory (16 MB of them) before they are written out to a
temporary file as a sorted run; the runs are merged when the index is finished, so the postings of
a cold build take the same memory at 500,000 records as at 100,000."""
BLOB_PIECE = 1 << 20
"""Bytes of a meta row written at a time (the rows that list every record: its codes, its docs)."""


class Writer:
    """Writes an index's records, in code order, then everything else: what :func:`build` and
    :func:`write_store` share. The postings are kept in memory up to :data:`SPILL_IDS` document
    ids, then spilled in sorted runs (word, field, ids) and merged at the end; what the meta rows
    list of every record (its code, its :class:`DocInfo`) and the vocabulary go to temporary files
    as they come, and are written into their rows in pieces: the writer's memory does not grow with
    the library."""

    def __init__(self, db: sqlite3.Connection, official: dict[str, str], families: dict[str, Family]) -> None:
        import tempfile

        self._db = db
        self._official = official
        self._family_codes = family_codes(families)
        self._postings: list[dict[str, array[int]]] = [{} for _ in INDEXED_FIELDS]
        # each record's DocInfo and code as they come (the rows' headers and padding at the end)
        self._docs = tempfile.TemporaryFile(prefix="cptref-docs-")  # noqa: SIM115 - closed by finish
        self._codes = tempfile.TemporaryFile(prefix="cptref-codes-")  # noqa: SIM115 - closed by finish
        self._count = 0
        self._width = 0
        self._deleted = array("I")
        self._rows: list[tuple[int, str, bytes, bytes, str, bytes]] = []
        self._refs: list[tuple[str, str]] = []
        self._held = 0  # document ids in self._postings
        self._runs: list[IO[bytes]] = []
        # a new file, renamed into place once whole: no journal, and no waiting for the disk meanwhile
        db.execute(f"PRAGMA page_size = {INDEX_PAGE_SIZE}")
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(INDEX_SCHEMA)

    def add(self, record: Procedure, body: bytes, text: str, origin: bytes = b"", key: bytes = b"") -> None:
        """One valid record (``body``: as the index stores it, :func:`~.parse.compress_body`;
        ``text``: :func:`encode_words`; ``origin``: its layer's folder when there are several;
        ``key``: its layer and its file's status)."""
        doc = self._count
        info = encode_record(DocInfo(record.code, record.title, record.status == "deleted"))
        targets = relation_targets(record, self._family_codes)
        self.add_row(record.code, body, origin, text, key, info, record.status == "deleted", targets)
        self._held += _add_words(self._postings, doc, text, self._official.get(record.code))
        if self._held >= SPILL_IDS:
            self._spill()

    def add_row(
        self,
        code: str,
        body: bytes,
        origin: bytes,
        text: str,
        key: bytes,
        info: bytes,
        deleted: bool,
        targets: Iterable[str],
    ) -> None:
        """One valid record as a worker made it ready (``info``: its :class:`DocInfo`, encoded;
        ``targets``: the codes it states a relation about); its words are :meth:`add_postings`'."""
        doc = self._count
        self._count += 1
        self._codes.write(code.encode("ascii") + b"\n")
        self._width = max(self._width, len(code))
        self._docs.write(info)
        if deleted:
            self._deleted.append(doc)
        self._rows.append((doc, code, body, origin, text, key))
        self._refs.extend((target, code) for target in targets)
        if len(self._rows) >= 1000:
            self._flush()

    def add_postings(self, base: int, postings: Iterable[tuple[str, int, bytes]]) -> None:
        """Postings of records numbered from 0 (``array("I")`` bytes by word and field), the first
        of them document ``base``."""
        for word, field, raw in postings:
            ids = array("I")
            ids.frombytes(raw)
            if base:
                ids = array("I", [i + base for i in ids])
            table = self._postings[field]
            held = table.get(word)
            if held is None:
                table[word] = ids
            else:
                held.extend(ids)
            self._held += len(ids)
        if self._held >= SPILL_IDS:
            self._spill()

    def _spill(self) -> None:
        """The postings held so far, written to a temporary file in (word, field) order; the ids of
        a later run are all greater than an earlier one's (documents are added in order)."""
        import tempfile

        run = tempfile.TemporaryFile(prefix="cptref-postings-")  # noqa: SIM115 - closed by finish
        self._runs.append(run)
        for frame in _frames(self._postings):
            encoded = _FRAME.encode(frame)
            run.write(len(encoded).to_bytes(4, "big"))
            run.write(encoded)
        run.seek(0)
        self._postings = [{} for _ in INDEXED_FIELDS]
        self._held = 0

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)", self._rows)
        self._db.executemany("INSERT INTO refs VALUES (?, ?)", self._refs)
        self._rows.clear()
        self._refs.clear()

    def finish(
        self,
        meta: dict[str, bytes],
        sources: dict[str, Source],
        families: dict[str, Family],
        shared_origins: dict[str, str],
        problems: list[Problem],
    ) -> None:
        import tempfile

        self._flush()
        encode = msgspec.msgpack.Encoder().encode
        rows = {**meta}
        rows["sources"] = encode(list(sources.values()))
        rows["families"] = encode(list(families.values()))
        rows["shared_origins"] = encode({k: os.fsencode(v) for k, v in shared_origins.items()})
        rows["problems"] = encode(problems)
        rows["deleted"] = self._deleted.tobytes()
        db = self._db
        vocabulary = tempfile.TemporaryFile(prefix="cptref-vocabulary-")  # noqa: SIM115 - closed below
        try:
            runs = [_read_run(run) for run in self._runs]
            merged = heapq.merge(*runs, _frames(self._postings), key=_frame_key)  # ties: the earlier run first
            db.executemany("INSERT INTO postings VALUES (?, ?, ?)", _postings_rows(merged, vocabulary))
            db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
            # a msgpack array of the DocInfo (array 32 header), then the codes at one width
            docs_size = self._docs.seek(0, os.SEEK_END)
            head = b"\xdd" + self._count.to_bytes(4, "big")
            _blob_row(db, "docs", len(head) + docs_size, itertools.chain((head,), _pieces(self._docs)))
            width = self._width or 1
            _blob_row(
                db, "codes", 1 + width * self._count, itertools.chain((bytes([width]),), _padded(self._codes, width))
            )
            _blob_row(db, "vocabulary", vocabulary.seek(0, os.SEEK_END), _pieces(vocabulary))
        finally:
            vocabulary.close()
            self.close()
        db.executemany("INSERT INTO descriptors VALUES (?, ?)", sorted(self._official.items()))
        db.commit()

    def close(self) -> None:
        """The temporary files removed (:meth:`finish` does it; a build that failed calls it)."""
        for run in self._runs:
            run.close()
        self._runs.clear()
        self._docs.close()
        self._codes.close()

    def __len__(self) -> int:
        return self._count


def _pieces(spool: IO[bytes]) -> Iterator[bytes]:
    spool.seek(0)
    while piece := spool.read(BLOB_PIECE):
        yield piece


def _padded(codes: IO[bytes], width: int) -> Iterator[bytes]:
    """The codes (one a line) padded to one width with spaces, as :class:`PackedCodes` reads them."""
    codes.seek(0)
    while lines := codes.readlines(BLOB_PIECE // 16):  # a line an object: a sixteenth of a piece at a time
        yield b"".join(line[:-1].ljust(width) for line in lines)


def _blob_row(db: sqlite3.Connection, key: str, size: int, pieces: Iterator[bytes]) -> None:
    """The meta row ``key``, ``size`` bytes given in ``pieces``: written into the row a piece at a
    time where SQLite's blob handle is there to do it (Python 3.11+), else joined."""
    blobopen = getattr(db, "blobopen", None)
    if blobopen is None:
        db.execute("INSERT INTO meta VALUES (?, ?)", (key, b"".join(pieces)))
        return
    rowid = db.execute("INSERT INTO meta VALUES (?, zeroblob(?))", (key, size)).lastrowid
    written = 0
    with blobopen("meta", "value", rowid) as blob:
        for piece in pieces:
            blob.write(piece)
            written += len(piece)
    if written != size:
        raise ValueError(f"the {key} row: {written} bytes written of {size}")


_FRAME = msgspec.msgpack.Encoder()
_Frame = tuple[str, int, bytes]
"""A word, a field and the ids of its documents (``array("I")`` bytes), as a run holds them."""


def _frames(postings: list[dict[str, array[int]]]) -> Iterator[_Frame]:
    """The postings held in memory, in (word, field) order."""
    for word in sorted({word for table in postings for word in table}):
        for field, table in enumerate(postings):
            if word in table:
                yield word, field, table[word].tobytes()


def _read_run(run: IO[bytes]) -> Iterator[_Frame]:
    decode = msgspec.msgpack.Decoder(_Frame).decode
    while head := run.read(4):
        yield decode(run.read(int.from_bytes(head, "big")))


def _frame_key(frame: _Frame) -> tuple[str, int]:
    return frame[0], frame[1]


def _postings_rows(merged: Iterator[_Frame], vocabulary: IO[bytes]) -> Iterator[tuple[str, int, bytes]]:
    """The postings rows of the merged runs, each word's ids joined; ``vocabulary`` gets each word
    (UTF-8, one a line)."""
    current: tuple[str, int] | None = None
    last: str | None = None
    ids = array("I")
    for word, field, found in merged:
        if (word, field) != current:
            if current is not None:
                yield current[0], current[1], postings_row(ids)
            current, ids = (word, field), array("I")
            if word != last:
                vocabulary.write((word if last is None else "\n" + word).encode("utf-8"))
                last = word
        ids.frombytes(found)
    if current is not None:
        yield current[0], current[1], postings_row(ids)


def _add_words(postings: list[dict[str, array[int]]], doc: int, text: str, official: str | None) -> int:
    """Add a record's words to the postings, one table a field (the official text's too; what its
    title negates is not indexed from any other field); the number of ids added."""
    lines = text.split("\n")
    unsaid = {w[len(NEGATED) :] for w in lines[0].split(" ") if w.startswith(NEGATED)} if NEGATED in lines[0] else set()
    if official:
        lines.append(" ".join(set(words(official))))
    added = 0
    for field, line in enumerate(lines):
        if not line:
            continue
        table = postings[field]
        for word in line.split(" "):
            docs = table.get(word)
            if docs is None:
                if field and word in unsaid:
                    continue
                table[word] = array("I", (doc,))
                added += 1
            elif not (unsaid and field and word in unsaid):
                docs.append(doc)
                added += 1
    return added
