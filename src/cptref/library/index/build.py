"""Building the compiled index file by file, in code order, reusing what has not changed.

:func:`build` writes the index of the data directories (layered, lowest first) into a new SQLite
file. It never holds the whole library in memory: each record file is read, validated and written
in turn (in code order, which is the order of the file names), and only what the index needs of
every record at the end (its code, title and words) is kept. Record files that have not changed
since the previous index was built (same layer, name, size, modification and change time) are not
parsed again: their record and words are copied from the previous index. A large set of files to
parse is shared between worker processes, every core a chunk of files at a time, the results
taken in order.

The index says the same as :func:`cptref.library.read.read_store` (tests compare the two): the record
of the last layer that has a code, the problems of every file (each named by its absolute path),
and no record of a code whose file in any layer has a problem.
"""

from __future__ import annotations

import heapq
import os
import sqlite3
import zlib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

import msgspec

from cptref.errors import Problem, cap_per_file
from cptref.library import paths
from cptref.library.problems import mentions
from cptref.library.stores import MemoryStore
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import family_codes, relation_targets
from cptref.model.words import NEGATED, words

from .parse import Parsed, compress_body, encode_record, encode_words, parse_file, parsed_in_order, stored_record
from .postings import INDEX_PAGE_SIZE, INDEX_SCHEMA, INDEXED_FIELDS, DocInfo, PackedCodes, postings_row

if TYPE_CHECKING:
    from cptref.library.pack.file import Pack
    from cptref.library.read import Progress, Shared


class Previous:
    """The previous index of the same data, whose records may be reused: each record file's stamp,
    then its rows read in one pass, in code order, as the build asks for them."""

    def __init__(self, path: Path | None, same: Callable[[sqlite3.Connection], bool]) -> None:
        self._db: sqlite3.Connection | None = None
        self._rows: Iterator[tuple[str, bytes, str]] | None = None
        self._next: tuple[str, bytes, str] | None = None
        self.stamps: dict[str, bytes] = {}
        if path is None:
            return
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            if not same(db):
                db.close()
                return
            self._db = db
            self.stamps = {code: bytes(s) for code, s in db.execute("SELECT code, stamp FROM records") if s}
            self._rows = iter(db.execute("SELECT code, body, words FROM records ORDER BY doc"))
        except (OSError, sqlite3.Error, ValueError, TypeError):
            self.stamps = {}
            self.close()

    def row(self, code: str) -> tuple[bytes, str] | None:
        """The body and words of ``code``'s record (codes asked for in ascending order), or None."""
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


def plan_files(
    roots: Sequence[Path], known: Sequence[Stats | None] = (), packs: dict[int, Pack] | None = None
) -> list[RecordFiles]:
    """Every record file of every layer, by code (the file's name), with its stamp; raises
    :class:`~cptref.errors.DataErrors` when a procedures folder cannot be used. ``known``: each
    layer's files as just stat'ed, when given (used up: the entries are taken out). A packed
    library (``packs``, by layer) counts as a folder of its records, stamped with its own status."""
    from cptref.library.pack.file import status as pack_status
    from cptref.library.read import procedure_names

    by_code: dict[str, list[tuple[int, str, bytes]]] = defaultdict(list)
    for layer, root in enumerate(roots):
        if packs and layer in packs:
            key = f"{layer}\0pack\0{pack_status(root)}".encode()
            for code in packs[layer].codes():
                by_code[code].append((layer, f"{code}.yaml", key))
            continue
        stats = known[layer] if layer < len(known) else None
        folder = paths.procedures_dir(root)
        for name in procedure_names(root):
            found = stats.pop(name, None) if stats is not None else None
            if found is None:
                try:
                    found = paths.file_status(os.stat(folder / name))
                except OSError:
                    found = None
            key = b"%d\0%s" % (layer, found) if found is not None else b""  # none: parsed, the loader says why
            by_code[name[: -len(".yaml")]].append((layer, name, key))
    return [RecordFiles(code, by_code[code]) for code in sorted(by_code)]


class Packed:
    """The rows of a packed library, read in one pass in code order as the build asks for them, each
    checked (:meth:`~cptref.library.pack.file.Pack.checked_rows`); its words computed again when
    another cptref version packed it (search may read words differently)."""

    def __init__(self, pack: Pack) -> None:
        from cptref import __version__

        self._pack = pack
        self._rows = pack.checked_rows()
        self._next: tuple[str, bytes, str, Procedure] | None = None  # code, stored body, words, record
        self._words_current = pack.version == __version__
        self.record: Procedure | None = None
        """The record of the row :meth:`parsed` last returned (decoded once, when it was checked)."""

    def parsed(self, code: str) -> Parsed:
        from cptref.errors import DataErrors, Problem

        while self._next is None or self._next[0] < code:
            found = next(self._rows, None)
            if found is None:
                break
            self._next = found
        if self._next is None or self._next[0] != code:
            message = f"{code} is in the index of its codes but not in its records: pack its directory again"
            raise DataErrors([Problem(self._pack.name, "records", message)])
        _, body, text, record = self._next
        if not self._words_current:
            text = encode_words(record)
        self.record = record
        return Parsed(body, text, [])


SPILL_IDS = 4_000_000
"""Document ids the postings hold in memory (16 MB of them) before they are written out to a
temporary file as a sorted run; the runs are merged when the index is finished, so the postings of
a cold build take the same memory at 500,000 records as at 100,000."""


class Writer:
    """Writes an index's records, in code order, then everything else: what :func:`build` and
    :func:`write_store` share. The postings are kept in memory up to :data:`SPILL_IDS` document
    ids, then spilled in sorted runs (word, field, ids) and merged at the end."""

    def __init__(self, db: sqlite3.Connection, official: dict[str, str], families: dict[str, Family]) -> None:
        self._db = db
        self._official = official
        self._family_codes = family_codes(families)
        self._postings: list[dict[str, array[int]]] = [{} for _ in INDEXED_FIELDS]
        self._docs = bytearray()  # each record's DocInfo, encoded as it comes (the list's header at the end)
        self._codes: list[str] = []
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
        doc = len(self._codes)
        self._codes.append(record.code)
        self._docs += encode_record(DocInfo(record.code, record.title, record.status == "deleted"))
        if record.status == "deleted":
            self._deleted.append(doc)
        self._rows.append((doc, record.code, body, origin, text, key))
        self._refs.extend((code, record.code) for code in relation_targets(record, self._family_codes))
        self._held += _add_words(self._postings, doc, text, self._official.get(record.code))
        if len(self._rows) >= 1000:
            self._flush()
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
        self._flush()
        encode = msgspec.msgpack.Encoder().encode
        rows = {**meta}
        rows["sources"] = encode(list(sources.values()))
        rows["families"] = encode(list(families.values()))
        rows["shared_origins"] = encode({k: os.fsencode(v) for k, v in shared_origins.items()})
        rows["problems"] = encode(problems)
        rows["docs"] = b"\xdd" + len(self._codes).to_bytes(4, "big") + self._docs  # a msgpack array of them
        rows["codes"] = PackedCodes.encode(self._codes)
        rows["deleted"] = self._deleted.tobytes()
        db = self._db
        vocabulary: list[str] = []
        try:
            runs = [_read_run(run) for run in self._runs]
            merged = heapq.merge(*runs, _frames(self._postings), key=_frame_key)  # ties: the earlier run first
            db.executemany("INSERT INTO postings VALUES (?, ?, ?)", _postings_rows(merged, vocabulary))
        finally:
            for run in self._runs:
                run.close()
            self._runs.clear()
        rows["vocabulary"] = "\n".join(vocabulary).encode("utf-8")
        db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
        db.executemany("INSERT INTO descriptors VALUES (?, ?)", sorted(self._official.items()))
        db.commit()

    def __len__(self) -> int:
        return len(self._codes)


def build(
    db: sqlite3.Connection,
    roots: Sequence[Path],
    meta: dict[str, bytes],
    *,
    progress: Progress | None = None,
    descriptors: Path | None = None,
    previous: Previous | None = None,
    known: Sequence[Stats | None] = (),
) -> list[Problem]:
    """Write the index of ``roots`` into ``db`` (a new, empty SQLite database): the problems found."""
    from cptref.library.pack.file import Pack, is_pack
    from cptref.library.read import read_descriptors, read_shared

    shared = read_shared(roots)
    official, found_in_descriptors = read_descriptors(descriptors)
    packs = {layer: Pack(root) for layer, root in enumerate(roots) if is_pack(root)}
    try:
        return _build(db, roots, meta, shared, official, found_in_descriptors, packs, progress, previous, known)
    finally:
        for pack in packs.values():
            pack.close()


def _build(
    db: sqlite3.Connection,
    roots: Sequence[Path],
    meta: dict[str, bytes],
    shared: Shared,
    official: dict[str, str],
    found_in_descriptors: list[Problem],
    packs: dict[int, Pack],
    progress: Progress | None,
    previous: Previous | None,
    known: Sequence[Stats | None],
) -> list[Problem]:
    from cptref.library.paths import display_path
    from cptref.library.read import family_problems, record_problems

    planned = plan_files(roots, known, packs)
    from_pack = {layer: Packed(pack) for layer, pack in packs.items()}
    previous = previous or Previous(None, lambda _db: False)
    reusable = {
        p.code for p in planned if len(p.files) == 1 and p.files[0][2] and previous.stamps.get(p.code) == p.files[0][2]
    }
    folders = [paths.procedures_dir(root) for root in roots]
    to_parse = [(at, name) for p in planned if p.code not in reusable for at, name, _ in p.files if at not in packs]
    parsed = parsed_in_order(folders, to_parse)
    writer = Writer(db, official, shared.families)
    in_files: list[tuple[int, Problem]] = []  # (layer, problem): listed layer by layer, as the loader does
    across: list[Problem] = []
    layered = len(roots) > 1
    for done, item in enumerate(planned, 1):
        if progress is not None and done % 200 == 0:
            progress(done, len(planned))
        layer, name, key = item.files[-1]
        path = folders[layer] / name
        again = previous.row(item.code) if item.code in reusable else None
        record = _decoded(again[0]) if again is not None else None
        if again is not None and record is not None:
            body, text = again
        else:
            if item.code in reusable:
                results = [from_pack[layer].parsed(item.code) if layer in packs else parse_file(path)]
            else:
                results = [from_pack[at].parsed(item.code) if at in packs else next(parsed) for at, _, _ in item.files]
            for (at, _, _), result in zip(item.files[-len(results) :], results, strict=True):
                in_files.extend((at, p) for p in result.problems)
            if results[-1].body is None or any(r.problems for r in results):
                continue
            body, text = results[-1].body, results[-1].words
            last = from_pack.get(item.files[-1][0])
            record = last.record if last is not None and last.record is not None else stored_record(body)
        wrong = record_problems(record, shared.sources, shared.families)
        if wrong:
            shown = os.path.abspath(display_path(path))
            across.extend(Problem(shown, p.field, p.message) for p in wrong)
            continue
        writer.add(record, body, text, os.fsencode(roots[layer]) if layered else b"", key)
    in_files.sort(key=lambda pair: pair[0])
    problems = [p for _, p in in_files] + shared.problems + found_in_descriptors + across
    base = roots[-1] if roots else Path(".")
    problems += [_absolute(p) for p in family_problems(shared.families, shared.sources, base)]
    problems = cap_per_file(problems)
    problems += mentions(roots, problems)
    writer.finish(meta, shared.sources, shared.families, shared.origins, problems)
    return problems


def _decoded(body: bytes) -> Procedure | None:
    """A record reused from the previous index (None if that index is damaged there)."""
    try:
        return stored_record(body)
    except (msgspec.DecodeError, ValueError, TypeError, zlib.error):
        return None


def _absolute(problem: Problem) -> Problem:
    return msgspec.structs.replace(problem, file=os.path.abspath(problem.file))


def write_store(db: sqlite3.Connection, store: MemoryStore, meta: dict[str, bytes]) -> None:
    """Write a store held in memory into ``db`` (a new, empty SQLite database) as an index."""
    writer = Writer(db, store.descriptors, store.families)
    for record in store.records():
        origin = store.origins.get(record.code)
        stored = compress_body(encode_record(record))
        writer.add(record, stored, encode_words(record), os.fsencode(origin) if origin else b"")
    writer.finish(meta, store.sources, store.families, store.shared_origins(), store.problems)


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


def _postings_rows(merged: Iterator[_Frame], vocabulary: list[str]) -> Iterator[tuple[str, int, bytes]]:
    """The postings rows of the merged runs, each word's ids joined; ``vocabulary`` gets each word."""
    current: tuple[str, int] | None = None
    ids = array("I")
    for word, field, found in merged:
        if (word, field) != current:
            if current is not None:
                yield current[0], current[1], postings_row(ids)
            current, ids = (word, field), array("I")
            if not vocabulary or vocabulary[-1] != word:
                vocabulary.append(word)
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


# --- broken record files -----------------------------------------------------------------------


# --- packing a data directory ------------------------------------------------------------------
