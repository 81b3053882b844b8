"""Building the compiled index file by file, in code order, reusing what has not changed.

:func:`build` writes the index of the data directories (layered, lowest first) into a new SQLite
file. It never holds the whole library in memory: each record file is read, validated and written
in turn (in code order, which is the order of the file names) by :class:`~.writer.Writer`, which
spools what the index lists of every record to temporary files; a folder build holds only each
file's plan entry (:mod:`.plan`), and a build with a packed layer not even that (:mod:`.stream`).
Record files that have not changed since the previous index was built (same layer, name, size,
modification and change time) are not parsed again: their record and words are copied from the
previous index. A large set of files to parse is shared between worker processes, every core a
chunk of files at a time, the results taken in order.

The index says the same as :func:`cptref.library.read.read_store` (tests compare the two): the record
of the last layer that has a code, the problems of every file (each named by its absolute path),
and no record of a code whose file in any layer has a problem.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from itertools import tee
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from cptref.errors import Problem, cap_per_file
from cptref.library import paths
from cptref.library.problems import mentions
from cptref.library.stores import MemoryStore

from .parse import compress_body, encode_record, encode_words, parse_file, parsed_in_order, stored_record
from .plan import Previous, RecordFiles, Stats, decoded, plan_files
from .writer import Writer

if TYPE_CHECKING:
    from cptref.library.pack.file import Pack
    from cptref.library.read import Progress, Shared


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
    from cptref.library.read import family_problems

    writer = Writer(db, official, shared.families)
    previous = previous or Previous(None, lambda _db: False)
    try:
        if packs:  # a packed layer: its records streamed from it, checked and indexed on every core
            from .stream import build_streamed

            in_files, across = build_streamed(writer, roots, shared, official, packs, progress, previous, known)
        else:
            in_files, across = _write_files(writer, roots, shared, progress, previous, known)
    except BaseException:
        writer.close()
        raise
    in_files.sort(key=lambda pair: pair[0])  # listed layer by layer, as the loader does
    problems = [p for _, p in in_files] + shared.problems + found_in_descriptors + across
    base = roots[-1] if roots else Path(".")
    problems += [_absolute(p) for p in family_problems(shared.families, shared.sources, base)]
    problems = cap_per_file(problems)
    problems += mentions(roots, problems)
    writer.finish(meta, shared.sources, shared.families, shared.origins, problems)
    return problems


def _write_files(
    writer: Writer,
    roots: Sequence[Path],
    shared: Shared,
    progress: Progress | None,
    previous: Previous,
    known: Sequence[Stats | None],
) -> tuple[list[tuple[int, Problem]], list[Problem]]:
    """The records of folder layers, file by file (many parsed on every core): the problems found
    in files (with their layer) and across them."""
    from cptref.library.paths import display_path
    from cptref.library.read import record_problems

    plan = plan_files(roots, known)
    stamps = previous.stamps

    def reusable(p: RecordFiles) -> bool:  # its only file as it was when the previous index was built
        return len(p.files) == 1 and bool(p.files[0][2]) and stamps.get(p.code) == p.files[0][2]

    ahead, planned = tee(plan.items)  # the parsing workers read ahead of the writing, by their window
    folders = [paths.procedures_dir(root) for root in roots]
    parsed = parsed_in_order(folders, ((at, name) for p in ahead if not reusable(p) for at, name, _ in p.files))
    in_files: list[tuple[int, Problem]] = []
    across: list[Problem] = []
    layered = len(roots) > 1
    for done, item in enumerate(planned, 1):
        if progress is not None and done % 200 == 0:
            progress(done, plan.total)
        layer, name, key = item.files[-1]
        path = folders[layer] / name
        reused = reusable(item)
        again = previous.row(item.code) if reused else None
        record = decoded(again[0]) if again is not None else None
        if again is not None and record is not None:
            body, text = again
        else:
            results = [parse_file(path)] if reused else [next(parsed) for _ in item.files]
            for (at, _, _), result in zip(item.files[-len(results) :], results, strict=True):
                in_files.extend((at, p) for p in result.problems)
            if results[-1].body is None or any(r.problems for r in results):
                continue
            body, text = results[-1].body, results[-1].words
            record = stored_record(body)
        wrong = record_problems(record, shared.sources, shared.families)
        if wrong:
            shown = os.path.abspath(display_path(path))
            across.extend(Problem(shown, p.field, p.message) for p in wrong)
            continue
        writer.add(record, body, text, os.fsencode(roots[layer]) if layered else b"", key)
    return in_files, across


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


# --- broken record files -----------------------------------------------------------------------


# --- packing a data directory ------------------------------------------------------------------
