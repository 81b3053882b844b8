"""Record files read for the index: one by one, or on every core when there are many.

:func:`parse_file` reads and validates one record file into what the index keeps of it (its record
encoded, and the words of its text fields); :func:`parsed_in_order` reads many in their order, by
worker processes (a chunk of files each) when there are thousands.
"""

from __future__ import annotations

import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import NamedTuple

import msgspec

from cptref.errors import Problem
from cptref.model.records import Procedure

from .postings import INDEXED_FIELDS

OWN_FIELDS = INDEXED_FIELDS[:-1]
"""The text fields a record's own file holds ("official" comes from the user's descriptor file)."""
PARALLEL = 4000
"""Record files to parse from which the work is shared between processes (fewer: one process)."""
PARSE_CHUNK = 500
"""Record files a worker parses at a time."""
_NAMELESS = "\0"
"""The file name a problem carries until it is known to exist (a file's name is costly to work out)."""


class Parsed(NamedTuple):
    """One record file, read: its record as the index stores it (:func:`compress_body`; None when it
    has a problem), the words of its text fields, and its problems."""

    body: bytes | None
    words: str
    problems: list[Problem]


def encode_words(record: Procedure) -> str:
    """The indexed words of a record's own text fields: the fields in order, one a line, their words
    separated by spaces (a word holds neither)."""
    from cptref.model.words import field_words

    found = field_words(record)
    return "\n".join(" ".join(sorted(found[name])) for name in OWN_FIELDS)


def parse_file(path: Path) -> Parsed:
    """Read one record file (problems name it by its absolute path)."""
    from cptref.library.paths import display_path
    from cptref.library.read import load_procedure

    record, problems = load_procedure(path, name=_NAMELESS)
    if problems:
        name = os.path.abspath(display_path(path))
        problems = [Problem(name if p.file == _NAMELESS else p.file, p.field, p.message, p.severity) for p in problems]
    if record is None or problems:
        return Parsed(None, "", problems)
    return Parsed(compress_body(encode_record(record)), encode_words(record), [])


encode_record = msgspec.msgpack.Encoder().encode
"""A record encoded (msgpack); the index and a pack store it compressed (:func:`compress_body`)."""
decode_record = msgspec.msgpack.Decoder(Procedure).decode
"""A record :func:`encode_record` encoded."""
BODY_LEVEL = 6
"""zlib's level for stored bodies (its default; bench/pack_layouts.py measures the read cost)."""


def compress_body(body: bytes) -> bytes:
    """An encoded record as the index and a packed library store it: compressed (zlib), so that a
    record of 1-3 KB takes a third of its room and no overflow page."""
    return zlib.compress(body, BODY_LEVEL)


def stored_record(stored: bytes) -> Procedure:
    """The record of a body the index stored (:func:`compress_body`); raises ``zlib.error``,
    ``msgspec.DecodeError`` or ``ValueError`` when it is damaged."""
    return decode_record(zlib.decompress(stored))


def _parse_chunk(folders: Sequence[Path], files: Sequence[tuple[int, str]]) -> list[Parsed]:
    return [parse_file(folders[layer] / name) for layer, name in files]


def parsed_in_order(folders: Sequence[Path], files: Iterable[tuple[int, str]]) -> Iterator[Parsed]:
    """Each record file of ``files`` ((layer, name), the layer's procedures folder in ``folders``)
    read, in their order: by worker processes (every core, a chunk at a time, a bounded window of
    chunks in flight) when there are many, else here. ``files`` is taken as the window needs it
    (:data:`PARALLEL` of them at first, to tell many from few), never held whole."""
    files = iter(files)
    first = list(islice(files, PARALLEL))
    jobs = cores()
    if len(first) < PARALLEL or jobs < 2 or not sys.platform.startswith("linux"):
        for layer, name in chain(first, files):
            yield parse_file(folders[layer] / name)
        return
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork: a worker starts with the modules already imported, and reads nothing it is not sent
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_signals)
    pending: deque[Future[list[Parsed]]] = deque()
    every = chain(first, files)
    del first
    try:
        while chunk := list(islice(every, PARSE_CHUNK)):
            pending.append(pool.submit(_parse_chunk, folders, chunk))
            if len(pending) >= 3 * jobs:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except BrokenProcessPool:  # a worker killed (out of memory): no index; the caller reads the data instead
        raise OSError("a worker process of the index build ended before its files were read") from None
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
