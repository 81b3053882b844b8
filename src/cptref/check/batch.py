"""``check --file``: every claim of a batch, on every core, the output in input order.

This process reads the file's lines (bounded: :func:`cptref.check.inputs.registry.batch_lines`) and cuts them in
chunks; each chunk is read, checked and written by a worker process (``--jobs``, default: the cores
this process may use, capped by the cgroup's quota and the load: :mod:`cptref.check.cpus`), which
returns the chunk's output bytes and its counts (:class:`Chunk`); this process writes the chunks in
input order, reports the chunk's malformed lines and keeps the counts. A worker that dies (killed,
out of memory: ``BrokenProcessPool``) ends the batch with :class:`cptref.errors.BatchFailed`, which
counts the lines not checked: the output stops after the last chunk that came back whole. The
lines travel as they are, so this process does next to nothing a claim: parsing a claim, checking
it and encoding its answer all happen in the workers. A batch smaller than one chunk, or ``--jobs
1``, is checked here, with no worker at all. The text view (``--format table``) is drawn here, a
claim at a time.

The workers are forked from this process once the CMS tables are read whole
(:meth:`cptref.cms.CmsTables.preload`) and the first chunk is checked here: they share those tables
(the PTP index is some 25 MB of arrays) instead of reading them again, each with a database
connection of its own (:meth:`cptref.cms.CmsTables.reconnect`), and start from this process's
:class:`~cptref.check.engine.CheckTables` (what each rule prepared about the first chunk's codes,
its PTP findings) read through a catalog connection of their own
(:meth:`~cptref.check.engine.CheckTables.rebind`).
"""

from __future__ import annotations

import datetime
import gc
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

from msgspec import Struct

from cptref.errors import BatchFailed

from . import budget
from .engine import check
from .inputs.base import BadLine, BatchClaim, SkippedLine
from .results import BatchSummary

if TYPE_CHECKING:
    from .engine import CheckTables
    from .inputs.base import ClaimReader
    from .results import CheckResult

BATCH_CHUNK = 2_000
"""Lines a worker reads and checks at a time: large enough that sending them and their answer
costs little beside checking them, small enough that the first answers come soon."""
BATCH_CHUNK_BYTES = 4_000_000
"""A chunk ends sooner when its lines hold this many bytes (lines of a claim can be long)."""


class Chunk(Struct):
    """What a chunk of lines gave: the output bytes, the counts for the summary line (its malformed
    lines are counted where they are reported), and each malformed line's number and what is wrong."""

    data: bytes
    summary: BatchSummary
    bad: list[tuple[int, str]]


NO_DATE = (
    "no date of service (the date cell is blank, or the file has no date column): give --date YYYY-MM-DD for "
    "the claims without one"
)
"""Why a claim without a date is reported, not checked: the date selects the edits in force, and today's
date is not the claim's."""


class ClaimWriter(Protocol):
    """How a batch's claims are written in a machine format (:mod:`cptref.output.check_lines`): a header
    once, then each claim's bytes appended to a chunk's buffer."""

    def header(self) -> bytes: ...
    def write(self, out: bytearray, result: CheckResult, claim: BatchClaim) -> None: ...


class Encoder:
    """Checks claims and writes each with ``writer``: a JSON line, or rows (csv, plain)."""

    def __init__(
        self,
        tables: CheckTables,
        writer: ClaimWriter,
        explain: bool,
        date: datetime.date | None = None,
        setting: Callable[[str], CheckTables] | None = None,
    ) -> None:
        self.tables = tables
        self.explain = explain
        self.date = date
        """The date of service of a claim that gives none (``--date``); None: such a claim is a reported line."""
        self._writer = writer
        self._setting = setting
        """The tables of another setting, for a claim whose file names its own (an X12 837I: outpatient_hospital)."""
        self._settings: dict[str, CheckTables] = {tables.setting: tables}

    def tables_for(self, claim: BatchClaim) -> CheckTables:
        """The tables a claim is checked with: those of its own setting when its file gives one."""
        setting = claim.setting
        if setting is None:
            return self.tables
        found = self._settings.get(setting)
        if found is None:
            if self._setting is None:
                return self.tables
            found = self._settings[setting] = self._setting(setting)
        return found

    def header(self) -> bytes:
        return self._writer.header()

    def chunk(self, reader: ClaimReader, lines: list[bytes], first: int) -> Chunk:
        """Read, check and write ``lines`` (the first of them line ``first`` of the batch)."""
        out = bytearray()
        summary = BatchSummary()
        bad: list[tuple[int, str]] = []
        by_rule = summary.by_rule
        tables, explain, default, write = self.tables, self.explain, self.date, self._writer.write
        claims = errors = unverified = 0
        before = dict(reader.tallies)
        for claim in reader.items(lines, first):
            if not isinstance(claim, BatchClaim):
                if isinstance(claim, SkippedLine):
                    summary.not_a_claim(claim)
                else:
                    bad.append((claim.line, claim.message))
                continue
            day = claim.date or default
            if day is None:
                bad.append((claim.line, NO_DATE))
                continue
            result = check(tables if claim.setting is None else self.tables_for(claim), claim.codes, day, explain)
            claims += 1
            if not result.ok:
                errors += 1
            elif not result.verified:
                unverified += 1
            for found in result.findings:
                by_rule[found.rule] += 1
            write(out, result, claim)
        summary.claims, summary.with_errors, summary.unverified = claims, errors, unverified
        for name, count in reader.tallies.items():
            if count != before.get(name, 0):
                summary.noticed[name] = count - before.get(name, 0)
        finish = getattr(self._writer, "finish", None)
        if finish is not None:  # a writer that sends the chunk whole (Arrow: the chunk's record batch)
            finish(out)
        gc.freeze()  # the records and answers cached for this chunk live as long as the batch: never walked again
        budget.after_chunk()  # the caches take no new entry once they have grown past their bytes
        return Chunk(bytes(out), summary, bad)


_WORKER: dict[str, Any] = {}
"""A worker process's own encoder (its catalog is its own, its CMS tables inherited from the parent
with a connection of their own: a database connection is never shared across processes)."""


def _start(make: Callable[[], Encoder]) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    budget.begin()  # a worker's own growth is counted from what it inherited
    _WORKER["encoder"] = make()


def _work(reader: ClaimReader, lines: list[bytes], first: int) -> Chunk:
    encoder: Encoder = _WORKER["encoder"]
    return encoder.chunk(reader, lines, first)


def checked_chunks(
    reader: ClaimReader,
    lines: Iterator[bytes],
    encoder: Encoder,
    make: Callable[[], Encoder],
    jobs: int,
    take: Callable[[Iterator[Any]], Any] | None = None,
) -> Iterator[Chunk]:
    """The output and counts of ``lines``, chunk by chunk in input order: checked here when ``jobs``
    is 1 or the lines fill less than one chunk, else the first chunk here and the others by ``jobs``
    worker processes forked from this one once it is done (``make`` gives each its encoder, which
    may start from ``encoder``'s tables: the codes, edits and findings of the first chunk are then
    prepared once, not once a worker). ``take`` cuts the next chunk (default: lines of a file;
    Parquet: the next record batch, whose rows count as its lines)."""
    cut = take or _take
    first = 1
    budget.begin()
    chunk, following = cut(lines), cut(lines)
    if jobs <= 1 or not following or sys.platform == "win32":
        while chunk:
            yield encoder.chunk(reader, chunk, first)
            first += len(chunk)
            chunk, following = following, cut(lines)
        return
    yield encoder.chunk(reader, chunk, first)  # here, before the fork: the workers inherit what it prepared
    first += len(chunk)
    chunk, following = following, cut(lines)
    if not chunk:
        return
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(make,))
    pending: deque[tuple[int, int, Future[Chunk]]] = deque()
    """(first line, line count, the chunk's answer) of each chunk sent and not yet written."""
    segment: dict[int, int] = {}
    """An X12 chunk's first line (the batch's count of items) and where in the file its first item is."""
    try:
        try:
            while chunk:
                reader.settle(chunk, first)  # CSV: the header is known before any worker reads a row
                sent = pool.submit(_work, reader, chunk, first)
                pending.append((first, len(chunk), sent))
                at = _segment(chunk)
                if at is not None:
                    segment[first] = at
                first += len(chunk)
                chunk, following = following, cut(lines)
                if len(pending) >= 2 * jobs:  # a bounded window: a huge file is never all in memory
                    yield pending[0][2].result()
                    pending.popleft()
            while pending:
                yield pending[0][2].result()
                pending.popleft()
        except BrokenProcessPool:
            lost_from = pending[0][0] if pending else first
            lost = sum(count for _, count, _ in pending) + len(chunk) + len(following)
            lost += sum(1 for _ in lines)  # the rest of the input: read to be counted, not checked
            at = segment.get(lost_from) if pending else _segment(chunk)
            raise BatchFailed(_lost(lost, lost_from, at)) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _segment(chunk: Any) -> int | None:
    """Where an X12 chunk starts in its file: the segment of its first item (read already), else None."""
    if isinstance(chunk, list) and chunk and isinstance(chunk[0], (BatchClaim, BadLine)):
        return chunk[0].line
    return None


def _lost(lost: int, lost_from: int, segment: int | None = None) -> str:
    """The one line that says a worker died and which lines of the input were not checked. An X12
    file's lines are its items (a claim and date of service, or a problem), read already: where they
    start is the segment of the first one lost (``segment``), which the claims written name as their
    line; the item count is not a place in the file."""
    lines = f"{lost} line{'s were' if lost != 1 else ' was'}"
    are = "are" if lost != 1 else "is"
    if segment is not None:
        kept = f"it holds the claims before segment {segment}" if lost_from > 1 else "it holds no claim"
        where = f"(the X12 file's claims and problems from segment {segment} on)"
        return (
            f"a worker process of the batch died (killed, or out of memory): {lines} not checked {where}, and "
            f"{are} not in the output ({kept}); run the batch again, or with --jobs 1 (no worker process)"
        )
    kept = f"it holds the claims of lines 1 to {lost_from - 1}" if lost_from > 1 else "it holds no claim"
    return (
        f"a worker process of the batch died (killed, or out of memory): {lines} not checked, from line "
        f"{lost_from} on, and {are} not in the output ({kept}); run the batch again, "
        "or with --jobs 1 (no worker process)"
    )


def _take(lines: Iterator[bytes]) -> list[bytes]:
    """The next chunk: :data:`BATCH_CHUNK` lines, or fewer holding :data:`BATCH_CHUNK_BYTES` (or the last ones)."""
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        chunk.append(line)
        size += len(line) if line.__class__ is bytes else 64  # an item read already (an X12 claim): small
        if len(chunk) >= BATCH_CHUNK or size >= BATCH_CHUNK_BYTES:
            break
    return chunk
