"""The index of a library with a packed layer, streamed and on every core (issue 26).

:func:`build_streamed` writes what :func:`cptref.library.index.build.build` writes of the same
layers, row for row (tests compare them), without holding anything a record:

- **the plan streamed**: the pack's codes are read from its cursor in code order
  (:meth:`~cptref.library.pack.file.Pack.iter_codes`) and merged with the record files of the
  folder layers, :data:`PACK_CHUNK` codes at a time; only the chunks in flight are held;
- **every core decodes**: each chunk goes to a worker process (forked, a connection of its own to
  each pack), which reads the chunk's rows from the pack (:meth:`~cptref.library.pack.file.Pack.checked_range`:
  every row checked as untrusted input, each body decompressed within its bound and decoded as the
  record of its code), parses the folder layers' files of those codes, checks each record against
  the sources and families, and returns what the index stores of each valid record (its row, its
  :class:`~.postings.DocInfo`, the codes it names, its words' postings numbered from 0); the parent
  takes the chunks in order and writes them (:class:`~.writer.Writer`: postings spilled in sorted
  runs, the rows that list every record written through temporary files);
- the records of the previous index whose file did not change are read by the parent, in code
  order as the chunks go, and sent with their chunk.

A small library (fewer than :data:`~.parse.PARALLEL` codes), or one core, is built the same way in
this process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from cptref.errors import DataErrors, Problem
from cptref.library import paths

from . import parse
from .parse import Parsed, encode_record, encode_words, parse_file, stored_record
from .plan import FolderFiles, Previous, RecordFiles, Stats, decoded, merged
from .postings import INDEXED_FIELDS, DocInfo
from .writer import Writer, _add_words

if TYPE_CHECKING:
    from array import array

    from cptref.library.pack.file import Pack
    from cptref.library.read import Progress, Shared
    from cptref.model.records import Procedure

PACK_CHUNK = 500
"""Codes a worker reads, checks and indexes at a time."""

_Row = tuple[str, bytes, bytes, str, bytes, bytes, bool, list[str]]
"""(code, stored body, origin, words, stamp, DocInfo encoded, deleted, codes it names)."""


class PackChunk(msgspec.Struct, array_like=True):
    """What a worker returns of a chunk of codes."""

    rows: list[_Row]
    """The valid records, in code order."""
    postings: list[tuple[str, int, bytes]]
    """(word, field, ``array("I")`` bytes of the documents numbered from 0 in the chunk), sorted."""
    in_files: list[tuple[int, Problem]]
    """(layer, problem) of the files read."""
    across: list[Problem]
    """What the records say against the sources and families."""
    failed: list[Problem]
    """A pack that cannot be read: the problem that stops the build."""


_decode_chunk = msgspec.msgpack.Decoder(PackChunk).decode
_encode = msgspec.msgpack.Encoder().encode
_STATE: dict[str, Any] = {}
"""The chunk's context: roots, folders, packs (a worker's own connections), sources, families,
licensed descriptors (set in the parent before the workers are forked)."""


def planned(roots: Sequence[Path], known: Sequence[Stats | None], packs: dict[int, Pack]) -> Iterator[RecordFiles]:
    """:func:`~.plan.plan_files`, streamed: the packs' codes merged with the folder layers' files."""
    from cptref.library.pack.file import status as pack_status

    streams: list[Iterator[tuple[str, int, str, bytes]]] = []
    for layer, root in enumerate(roots):
        if layer in packs:
            key = f"{layer}\0pack\0{pack_status(root)}".encode()
            streams.append(_pack_files(layer, packs[layer], key))
        else:
            streams.append(iter(FolderFiles(layer, root, known[layer] if layer < len(known) else None)))
    return merged(streams)


def _pack_files(layer: int, pack: Pack, key: bytes) -> Iterator[tuple[str, int, str, bytes]]:
    for code in pack.iter_codes():
        yield code, layer, f"{code}.yaml", key


def _in_chunks(items: Iterator[RecordFiles]) -> Iterator[list[RecordFiles]]:
    batch: list[RecordFiles] = []
    for item in items:
        batch.append(item)
        if len(batch) >= PACK_CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunk(items: list[RecordFiles], reused: dict[str, tuple[bytes, str]]) -> bytes:
    """One chunk of planned codes, read and checked: an encoded :class:`PackChunk`."""
    try:
        return _encode(_read_chunk(items, reused))
    except DataErrors as exc:  # the pack cannot be read: the parent raises it
        return _encode(PackChunk([], [], [], [], list(exc.problems)))


def _pack_rows(items: list[RecordFiles], layer: int) -> Iterator[tuple[str, bytes, str, Any]]:
    """The checked rows of ``layer``'s pack for the codes of ``items`` that it has (in order)."""
    codes = [item.code for item in items if any(at == layer for at, _, _ in item.files)]
    if not codes:
        return iter(())
    pack: Pack = _STATE["packs"][layer]
    return pack.checked_range(codes[0], codes[-1])


def _read_chunk(items: list[RecordFiles], reused: dict[str, tuple[bytes, str]]) -> PackChunk:
    from cptref.library.paths import display_path
    from cptref.library.read import record_problems

    roots: list[Path] = _STATE["roots"]
    folders: list[Path] = _STATE["folders"]
    packs: dict[int, Pack] = _STATE["packs"]
    shared: Shared = _STATE["shared"]
    official: dict[str, str] = _STATE["official"]
    again_of = {item.code: _reused(reused.get(item.code)) for item in items}
    to_read = [item for item in items if again_of[item.code] is None]  # the records not copied
    rows = {layer: _pack_rows(to_read, layer) for layer in packs}
    ahead: dict[int, tuple[str, bytes, str, Any] | None] = dict.fromkeys(packs)
    layered = len(roots) > 1
    out = PackChunk([], [], [], [], [])
    postings: list[dict[str, array[int]]] = [{} for _ in INDEXED_FIELDS]
    for item in items:
        again = again_of[item.code]
        if again is not None:
            body, text, record = again
        else:
            results, records = _read_files(item, rows, ahead)
            for (at, _, _), result in zip(item.files, results, strict=True):
                out.in_files.extend((at, p) for p in result.problems)
            if results[-1].body is None or any(r.problems for r in results):
                continue
            body, text = results[-1].body, results[-1].words
            found = records.get(item.files[-1][0])
            record = found if found is not None else stored_record(body)
        layer, name, key = item.files[-1]
        wrong = record_problems(record, shared.sources, shared.families)
        if wrong:
            shown = os.path.abspath(display_path(folders[layer] / name))
            out.across.extend(Problem(shown, p.field, p.message) for p in wrong)
            continue
        deleted = record.status == "deleted"
        info = encode_record(DocInfo(record.code, record.title, deleted))
        targets = sorted(_relation_targets(record))
        origin = os.fsencode(roots[layer]) if layered else b""
        _add_words(postings, len(out.rows), text, official.get(record.code))
        out.rows.append((record.code, body, origin, text, key, info, deleted, targets))
    out.postings = sorted(
        (word, field, ids.tobytes()) for field, table in enumerate(postings) for word, ids in table.items()
    )
    return out


def _reused(again: tuple[bytes, str] | None) -> tuple[bytes, str, Procedure] | None:
    """A record of the previous index, decoded (None: none, or that index is damaged there)."""
    record = decoded(again[0]) if again is not None else None
    return None if again is None or record is None else (again[0], again[1], record)


def _read_files(
    item: RecordFiles,
    rows: dict[int, Iterator[tuple[str, bytes, str, Any]]],
    ahead: dict[int, tuple[str, bytes, str, Any] | None],
) -> tuple[list[Parsed], dict[int, Procedure]]:
    """Each file of a code read (a pack's row taken from its chunk's rows, ``ahead``: the row read
    last of each pack): what each says, and the records the packs hold."""
    folders: list[Path] = _STATE["folders"]
    packs: dict[int, Pack] = _STATE["packs"]
    current: dict[int, bool] = _STATE["words_current"]
    records: dict[int, Procedure] = {}
    results: list[Parsed] = []
    for at, name, _ in item.files:
        if at not in packs:
            results.append(parse_file(folders[at] / name))
            continue
        found = ahead[at]
        while found is None or found[0] < item.code:
            found = next(rows[at], None)
            if found is None:
                break
        ahead[at] = found
        if found is None or found[0] != item.code:
            message = f"{item.code} is in the index of its codes but not in its records: pack its directory again"
            raise DataErrors([Problem(packs[at].name, "records", message)])
        _, body, text, record = found
        records[at] = record
        results.append(Parsed(body, text if current[at] else encode_words(record), []))
    return results, records


def _relation_targets(record: Any) -> set[str]:
    from cptref.model.relations import relation_targets

    return relation_targets(record, _STATE["family_codes"])


def _worker_start(pack_paths: dict[int, Path]) -> None:
    """A worker's own connection to each pack (a connection is never shared across a fork)."""
    from cptref.library.pack.file import Pack

    parse._worker_signals()
    _STATE["packs"] = {layer: Pack(path) for layer, path in pack_paths.items()}


def _results(
    chunks: Iterator[tuple[list[RecordFiles], dict[str, tuple[bytes, str]]]], packs: dict[int, Pack], parallel: bool
) -> Iterator[tuple[int, PackChunk]]:
    """Each chunk's result, in order, with its number of codes: by worker processes when
    ``parallel``, a bounded window of chunks in flight."""
    if not parallel:
        _STATE["packs"] = packs
        for items, reused in chunks:
            yield len(items), _decode_chunk(_chunk(items, reused))
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    jobs = parse.cores()
    pool = ProcessPoolExecutor(
        jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_start,
        initargs=({layer: pack.path for layer, pack in packs.items()},),
    )
    pending: deque[tuple[int, Future[bytes]]] = deque()
    try:
        for items, reused in chunks:
            pending.append((len(items), pool.submit(_chunk, items, reused)))
            if len(pending) >= 2 * jobs:
                count, future = pending.popleft()
                yield count, _decode_chunk(future.result())
        while pending:
            count, future = pending.popleft()
            yield count, _decode_chunk(future.result())
    except BrokenProcessPool:  # a worker killed (out of memory): no index; the caller reads the data instead
        raise OSError("a worker process of the index build ended before its chunk was read") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def build_streamed(
    writer: Writer,
    roots: Sequence[Path],
    shared: Shared,
    official: dict[str, str],
    packs: dict[int, Pack],
    progress: Progress | None,
    previous: Previous,
    known: Sequence[Stats | None],
) -> tuple[list[tuple[int, Problem]], list[Problem]]:
    """Write the records of ``roots`` (some layers packs) into ``writer``: the problems found in
    files, by layer, and those found across them (:func:`~.build.build` adds the rest)."""
    from cptref import __version__
    from cptref.model.relations import family_codes

    counted = [dict(stats) if stats is not None else None for stats in known]  # the plan takes its entries out
    total = sum(1 for _ in planned(roots, counted, packs))
    _STATE.clear()
    _STATE.update(
        roots=list(roots),
        folders=[paths.procedures_dir(root) for root in roots],
        packs=packs,
        shared=shared,
        official=official,
        family_codes=family_codes(shared.families),
        words_current={layer: pack.version == __version__ for layer, pack in packs.items()},
    )

    def chunks() -> Iterator[tuple[list[RecordFiles], dict[str, tuple[bytes, str]]]]:
        for items in _in_chunks(planned(roots, known, packs)):
            reused: dict[str, tuple[bytes, str]] = {}
            for item in items:
                if len(item.files) == 1 and item.files[0][2]:
                    again = previous.row(item.code, item.files[0][2])
                    if again is not None:
                        reused[item.code] = again
            yield items, reused

    parallel = total >= parse.PARALLEL and parse.cores() >= 2 and sys.platform.startswith("linux")
    in_files: list[tuple[int, Problem]] = []
    across: list[Problem] = []
    done = 0
    try:
        for count, chunk in _results(chunks(), packs, parallel):
            if chunk.failed:
                raise DataErrors(chunk.failed)
            base = len(writer)
            for row in chunk.rows:
                writer.add_row(*row)
            writer.add_postings(base, chunk.postings)
            in_files.extend(chunk.in_files)
            across.extend(chunk.across)
            done += count
            if progress is not None:
                progress(done, total)
    finally:
        _STATE.clear()
    return in_files, across
