"""``check --file``: every claim of a batch, on every core, the output in input order.

The reader (:func:`cptref.claims.read_claims`) runs in this process and accounts for every line;
claims go to worker processes in chunks (``--jobs``, default: every core the process may use), each
worker checking them with its own catalog and CMS tables and returning the chunk's output bytes and
each claim's outcome; this process writes the chunks in input order and keeps the counts. A batch
smaller than one chunk, or ``--jobs 1``, is checked here, with no worker at all. The text view
(``--format table``) is drawn here, a claim at a time.
"""

from __future__ import annotations

import datetime
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import CheckTables
    from .claims import Claim

CHUNK = 2_000
"""Claims a worker checks at a time: large enough that sending them costs little beside checking."""

Outcome = tuple[bool, bool, tuple[str, ...]]
"""A claim's outcome for the summary: ok, verified, and the rule of each finding."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Encoder:
    """A checked claim as the bytes of a machine format: a JSON line, or rows (csv, plain)."""

    def __init__(self, tables: CheckTables, output: str, selected: tuple[str, ...] | None, explain: bool) -> None:
        from . import serialize
        from .findings import FINDING_KEYS
        from .formats import formatter

        self.tables = tables
        self.explain = explain
        self._lines = serialize.CheckLines(tables.title, selected, explain) if output == "jsonl" else None
        self._out = formatter(output)
        self.columns = selected or FINDING_KEYS

    def header(self) -> bytes:
        return self._out.header(self.columns, claim=True)

    def claims(self, claims: Sequence[Claim], date: datetime.date) -> tuple[bytes, list[Outcome]]:
        from .check import check
        from .formats import Answer

        chunk: list[bytes] = []
        outcomes: list[Outcome] = []
        tables, explain, lines = self.tables, self.explain, self._lines
        for claim in claims:
            result = check(tables, claim.codes, claim.date or date, explain)
            outcomes.append((result.ok, result.verified, tuple(f.rule for f in result.findings)))
            if lines is not None:
                chunk.append(lines.line(result, claim))
            else:
                chunk.append(self._out.answer(Answer(None, rows=result.findings, columns=self.columns, claim=claim)))
        return b"".join(chunk), outcomes


_WORKER: dict[str, Any] = {}
"""A worker process's own encoder (its catalog and CMS tables are its own: a database connection is
never shared across processes)."""


def _start(make: Callable[[], Encoder], date: datetime.date) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _WORKER["encoder"] = make()
    _WORKER["date"] = date


def _work(claims: Sequence[Claim]) -> tuple[bytes, list[Outcome]]:
    encoder: Encoder = _WORKER["encoder"]
    return encoder.claims(claims, _WORKER["date"])


def checked_chunks(
    claims: Iterator[Claim],
    encoder: Encoder,
    make: Callable[[], Encoder],
    date: datetime.date,
    jobs: int,
) -> Iterator[tuple[bytes, list[Outcome]]]:
    """The output and outcomes of ``claims``, chunk by chunk in input order: checked here when
    ``jobs`` is 1 or the claims fill less than one chunk, else by ``jobs`` worker processes."""
    first = _take(claims, CHUNK)
    if jobs <= 1 or len(first) < CHUNK or sys.platform == "win32":
        while first:
            yield encoder.claims(first, date)
            first = _take(claims, CHUNK)
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start, initargs=(make, date))
    pending: deque[Future[tuple[bytes, list[Outcome]]]] = deque()
    try:
        chunk = first
        while chunk:
            pending.append(pool.submit(_work, chunk))
            if len(pending) >= 2 * jobs:  # a bounded window: a huge file is never all in memory
                yield pending.popleft().result()
            chunk = _take(claims, CHUNK)
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _take(claims: Iterator[Claim], count: int) -> list[Claim]:
    chunk: list[Claim] = []
    for claim in claims:
        chunk.append(claim)
        if len(chunk) >= count:
            break
    return chunk
