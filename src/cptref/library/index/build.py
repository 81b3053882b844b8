"""Building the compiled index file by file, in code order, reusing what has not changed.

:func:`build` writes the index of the data directories (layered, lowest first) into a new SQLite
file. It never holds the whole library in memory: each record file is read, validated and written
in turn (in code order, which is the order of the file names), and only what the index needs of
every record at the end (its code, title and words) is kept. Record files that have not changed
since the previous index was built (same layer, name, size, modification and change time) are not
parsed again: their record and words are copied from the previous index. A large set of files to
parse is shared between worker processes, every core a chunk of files at a time, the results
taken in order.

The index says the same as :func:`cptref.library.read_store` (tests compare the two): the record
of the last layer that has a code, the problems of every file (each named by its absolute path),
and no record of a code whose file in any layer has a problem.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import sys
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from cptref.errors import Problem
from cptref.library import paths as resources
from cptref.library.stores import SCHEMA, Codes, DocInfo, MemoryStore, postings_row
from cptref.model.codes import CODE
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import family_codes, relation_targets
from cptref.model.words import FIELDS, NEGATED, words

if TYPE_CHECKING:
    from cptref.library.fields import Progress
    from cptref.library.pack import Pack
    from cptref.library.read import Shared

OWN_FIELDS = FIELDS[:-1]
"""The text fields a record's own file holds ("official" comes from the user's descriptor file)."""
PARALLEL = 4000
"""Record files to parse from which the work is shared between processes (fewer: one process)."""
CHUNK = 500
"""Record files a worker parses at a time."""
_NAMELESS = "\0"
"""The file name a problem carries until it is known to exist (a file's name is costly to work out)."""


class Parsed(NamedTuple):
    """One record file, read: its record encoded for the index (None when it has a problem), the
    words of its text fields, and its problems."""

    body: bytes | None
    words: str
    problems: list[Problem]


def encode_words(record: Procedure) -> str:
    """The indexed words of a record's own text fields: the fields in order, one a line, their words
    separated by spaces (a word holds neither)."""
    from cptref.model.words import field_words

    found = field_words(record)
    return "\n".join(" ".join(sorted(found[name])) for name in OWN_FIELDS)


def parse(path: Path) -> Parsed:
    """Read one record file (problems name it by its absolute path)."""
    from cptref.library.fields import display_path, load_procedure

    record, problems = load_procedure(path, name=_NAMELESS)
    if problems:
        name = os.path.abspath(display_path(path))
        problems = [Problem(name if p.file == _NAMELESS else p.file, p.field, p.message, p.severity) for p in problems]
    if record is None or problems:
        return Parsed(None, "", problems)
    return Parsed(_ENCODE(record), encode_words(record), [])


_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(Procedure).decode


def _parse_chunk(folders: Sequence[Path], files: Sequence[tuple[int, str]]) -> list[Parsed]:
    return [parse(folders[layer] / name) for layer, name in files]


def parsed_in_order(folders: Sequence[Path], files: Sequence[tuple[int, str]]) -> Iterator[Parsed]:
    """Each record file of ``files`` ((layer, name), the layer's procedures folder in ``folders``)
    read, in their order: by worker processes (every core, a chunk at a time, a bounded window of
    chunks in flight) when there are many, else here."""
    jobs = cores()
    if len(files) < PARALLEL or jobs < 2 or not sys.platform.startswith("linux"):
        for layer, name in files:
            yield parse(folders[layer] / name)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    # fork: a worker starts with the modules already imported, and reads nothing it is not sent
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_signals)
    pending: deque[Future[list[Parsed]]] = deque()
    try:
        for start in range(0, len(files), CHUNK):
            pending.append(pool.submit(_parse_chunk, folders, files[start : start + CHUNK]))
            if len(pending) >= 3 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_signals() -> None:
    """Ctrl-C and SIGTERM are the parent's to handle: it stops the workers and cleans up."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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


class Plan(NamedTuple):
    """A code's record files, lowest layer first: (layer, file name, stamp)."""

    code: str
    files: list[tuple[int, str, bytes]]


Stats = dict[str, bytes | None]
"""A procedures folder's record files: name -> its :func:`~cptref.resources.file_status` (None:
it could not be stat'ed)."""


def plan(roots: Sequence[Path], known: Sequence[Stats | None] = (), packs: dict[int, Pack] | None = None) -> list[Plan]:
    """Every record file of every layer, by code (the file's name), with its stamp; raises
    :class:`~cptref.errors.DataErrors` when a procedures folder cannot be used. ``known``: each
    layer's files as just stat'ed, when given (used up: the entries are taken out). A packed
    library (``packs``, by layer) counts as a folder of its records, stamped with its own status."""
    from cptref.library.fields import procedure_names
    from cptref.library.pack import status as pack_status

    by_code: dict[str, list[tuple[int, str, bytes]]] = defaultdict(list)
    for layer, root in enumerate(roots):
        if packs and layer in packs:
            key = f"{layer}\0pack\0{pack_status(root)}".encode()
            for code in packs[layer].codes():
                by_code[code].append((layer, f"{code}.yaml", key))
            continue
        stats = known[layer] if layer < len(known) else None
        folder = resources.procedures_dir(root)
        for name in procedure_names(root):
            found = stats.pop(name, None) if stats is not None else None
            if found is None:
                try:
                    found = resources.file_status(os.stat(folder / name))
                except OSError:
                    found = None
            key = b"%d\0%s" % (layer, found) if found is not None else b""  # none: parsed, the loader says why
            by_code[name[: -len(".yaml")]].append((layer, name, key))
    return [Plan(code, by_code[code]) for code in sorted(by_code)]


class Packed:
    """The rows of a packed library, read in one pass in code order as the build asks for them;
    its words computed again when another cptref version packed it (search may read words differently)."""

    def __init__(self, pack: Pack) -> None:
        from cptref import __version__

        self._rows = pack.rows()
        self._next: tuple[str, bytes, str] | None = None
        self._words_current = pack.version == __version__

    def parsed(self, code: str) -> Parsed:
        while self._next is None or self._next[0] < code:
            self._next = next(self._rows)
        _, body, text = self._next
        if not self._words_current:
            text = encode_words(_DECODE(body))
        return Parsed(bytes(body), text, [])


class Writer:
    """Writes an index's records, in code order, then everything else: what :func:`build` and
    :func:`write_store` share."""

    def __init__(self, db: sqlite3.Connection, official: dict[str, str], families: dict[str, Family]) -> None:
        self._db = db
        self._official = official
        self._family_codes = family_codes(families)
        self._postings: list[dict[str, array[int]]] = [{} for _ in FIELDS]
        self._docs = bytearray()  # each record's DocInfo, encoded as it comes (the list's header at the end)
        self._codes: list[str] = []
        self._deleted = array("I")
        self._rows: list[tuple[int, str, bytes, bytes, str, bytes]] = []
        self._refs: list[tuple[str, str]] = []
        # a new file, renamed into place once whole: no journal, and no waiting for the disk meanwhile
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(SCHEMA)

    def add(self, record: Procedure, body: bytes, text: str, origin: bytes = b"", key: bytes = b"") -> None:
        """One valid record (``body``: its encoding; ``text``: :func:`encode_words`; ``origin``: its
        layer's folder when there are several; ``key``: its layer and its file's status)."""
        doc = len(self._codes)
        self._codes.append(record.code)
        self._docs += _ENCODE(DocInfo(record.code, record.title, record.status == "deleted"))
        if record.status == "deleted":
            self._deleted.append(doc)
        self._rows.append((doc, record.code, body, origin, text, key))
        self._refs.extend((code, record.code) for code in relation_targets(record, self._family_codes))
        _add_words(self._postings, doc, text, self._official.get(record.code))
        if len(self._rows) >= 1000:
            self._flush()

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
        rows["codes"] = Codes.encode(self._codes)
        rows["deleted"] = self._deleted.tobytes()
        postings = self._postings
        vocabulary = sorted({word for table in postings for word in table})
        rows["vocabulary"] = "\n".join(vocabulary).encode("utf-8")
        db = self._db
        db.executemany("INSERT INTO meta VALUES (?, ?)", rows.items())
        db.executemany("INSERT INTO descriptors VALUES (?, ?)", sorted(self._official.items()))
        rows_of = (
            (word, field, postings_row(table[word]))
            for word in vocabulary
            for field, table in enumerate(postings)
            if word in table
        )
        db.executemany("INSERT INTO postings VALUES (?, ?, ?)", rows_of)
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
    from cptref.library.pack import Pack, is_pack
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
    from cptref.library.fields import display_path
    from cptref.library.read import family_problems, record_problems

    planned = plan(roots, known, packs)
    from_pack = {layer: Packed(pack) for layer, pack in packs.items()}
    previous = previous or Previous(None, lambda _db: False)
    reusable = {
        p.code for p in planned if len(p.files) == 1 and p.files[0][2] and previous.stamps.get(p.code) == p.files[0][2]
    }
    folders = [resources.procedures_dir(root) for root in roots]
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
                results = [from_pack[layer].parsed(item.code) if layer in packs else parse(path)]
            else:
                results = [from_pack[at].parsed(item.code) if at in packs else next(parsed) for at, _, _ in item.files]
            for (at, _, _), result in zip(item.files[-len(results) :], results, strict=True):
                in_files.extend((at, p) for p in result.problems)
            if results[-1].body is None or any(r.problems for r in results):
                continue
            body, text = results[-1].body, results[-1].words
            record = _DECODE(body)
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
    problems += mentions(roots, problems)
    writer.finish(meta, shared.sources, shared.families, shared.origins, problems)
    return problems


def _decoded(body: bytes) -> Procedure | None:
    """A record reused from the previous index (None if that index is damaged there)."""
    try:
        return _DECODE(body)
    except (msgspec.DecodeError, ValueError, TypeError):
        return None


def _absolute(problem: Problem) -> Problem:
    return msgspec.structs.replace(problem, file=os.path.abspath(problem.file))


def write_store(db: sqlite3.Connection, store: MemoryStore, meta: dict[str, bytes]) -> None:
    """Write a store held in memory into ``db`` (a new, empty SQLite database) as an index."""
    writer = Writer(db, store.descriptors, store.families)
    for record in store.records():
        origin = store.origins.get(record.code)
        writer.add(record, _ENCODE(record), encode_words(record), os.fsencode(origin) if origin else b"")
    writer.finish(meta, store.sources, store.families, store.shared_origins(), store.problems)


def _add_words(postings: list[dict[str, array[int]]], doc: int, text: str, official: str | None) -> None:
    """Add a record's words to the postings, one table a field (the official text's too; what its
    title negates is not indexed from any other field)."""
    lines = text.split("\n")
    unsaid = {w[len(NEGATED) :] for w in lines[0].split(" ") if w.startswith(NEGATED)} if NEGATED in lines[0] else set()
    if official:
        lines.append(" ".join(set(words(official))))
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
            elif not (unsaid and field and word in unsaid):
                docs.append(doc)


# --- broken record files -----------------------------------------------------------------------

_CODE_BYTES = re.compile(rf"(?<![0-9A-Z])(?:{CODE})(?![0-9A-Z])".encode())
"""A code in a file read as bytes, not part of a longer run of code characters."""


def mentions(roots: Sequence[Path], problems: Sequence[Problem]) -> list[Problem]:
    """For each broken record, the codes its file names (read as bytes: it cannot be parsed), as a
    pseudo-problem kept beside the problems: a command asking about one of those codes can tell it
    would miss a fact (see :func:`mentioned`)."""
    found: list[Problem] = []
    for code in sorted(broken_codes(problems)):
        named = sorted(named_in(roots, code))
        if named:
            found.append(Problem(f"\0mentions:{code}", " ".join(named), "", "mention"))
    return found


def named_in(roots: Sequence[Path], code: str) -> set[str]:
    """The codes a record file names, read as bytes (it may not parse), in the top layer that has it;
    ``{"*"}`` when it cannot be read (a pipe, a device, too large, a loop): it may name any code."""
    for root in reversed(roots):
        path = resources.procedure_file(root, code)
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            return {"*"}
        if not stat.S_ISREG(info.st_mode) or info.st_size > 1_000_000:
            return {"*"}  # never opened: a pipe would block, a device never end
        try:
            raw = path.read_bytes()
        except OSError:
            return {"*"}
        return {m.decode() for m in _CODE_BYTES.findall(raw)} - {code}
    return {"*"}


def broken_codes(problems: Sequence[Problem]) -> set[str]:
    """The codes whose record files have a problem (left out of the index)."""
    found = set()
    for problem in problems:
        path = Path(problem.file)
        if problem.severity != "mention" and path.suffix == ".yaml" and path.parent.name == resources.PROCEDURES:
            found.add(path.stem)
    return found


def mentioned(problems: Sequence[Problem]) -> dict[str, set[str]]:
    """Broken record code -> the codes its file names (kept beside the problems in the index)."""
    return {
        p.file.split(":", 1)[1]: set(p.field.split())
        for p in problems
        if p.severity == "mention" and p.file.startswith("\0mentions:")
    }


# --- packing a data directory ------------------------------------------------------------------


class PackReport(NamedTuple):
    records: int
    sources: int
    families: int
    size: int


def write_pack(source: Path, output: Path, progress: Progress | None = None) -> PackReport:
    """Check every file of the data directory ``source`` (layered over the shipped data, as commands
    read it) and, when nothing is wrong, write its records, sources and families into the packed
    library ``output`` (replaced whole, never left half written). Raises
    :class:`~cptref.errors.DataErrors` with every problem, or when ``output`` cannot be written."""
    import tempfile

    from cptref.errors import DataErrors
    from cptref.library import pack
    from cptref.library.fields import display_path
    from cptref.library.read import read_families, read_sources

    shipped = resources.shipped_data_dir()
    roots = [shipped] if _same(source, shipped) else [shipped, source]
    made: list[str] = []
    try:
        handle, checked = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".index.tmp", dir=output.parent)
        os.close(handle)
        made.append(checked)
        handle, packed = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        os.close(handle)
        made.append(packed)
        db = sqlite3.connect(checked)
        try:
            problems = build(db, roots, {}, progress=progress)
            if problems:
                shown = [msgspec.structs.replace(p, file=display_path(Path(p.file))) for p in problems]
                raise DataErrors([p for p in shown if p.severity != "mention"])
            mine = b"" if len(roots) == 1 else os.fsencode(source)
            rows = db.execute(
                "SELECT code, body, words FROM records WHERE coalesce(origin, x'') = ? ORDER BY doc", (mine,)
            )
            sources, _ = read_sources(source, base=len(roots) == 1)
            families, _ = read_families(source)
            out = sqlite3.connect(packed)
            try:
                count = pack.write(out, rows, sources, families, resources.data_release(source))
            finally:
                out.close()
        finally:
            db.close()
        os.chmod(packed, 0o666 & ~_umask())  # a file to share, as any file this user writes
        os.replace(packed, output)
    except OSError as exc:
        raise DataErrors(
            [Problem(display_path(output), "$", f"cannot write the packed library: {exc.strerror or exc}")]
        ) from None
    finally:
        for path in made:
            with contextlib.suppress(OSError):
                os.unlink(path)
    return PackReport(count, len(sources), len(families), output.stat().st_size)


def _same(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except (OSError, RuntimeError):
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
