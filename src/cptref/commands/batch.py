"""``cptref check --file``: a batch of claims read (JSON Lines, CSV, Parquet, X12 837), checked on
every core and written as it is checked (:mod:`cptref.check.batch`), its bad lines and summary on
stderr. :mod:`.check` parses the arguments and calls :func:`check_batch`."""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cptref.errors import BatchFailed, CptrefError, ExitCode, UsageError
from cptref.output import streams

from .common import emit_text

if TYPE_CHECKING:
    from cptref.check.engine import CheckTables
    from cptref.check.results import CheckResult
    from cptref.library.catalog import Catalog


def check_batch(
    found: Catalog,
    tables: CheckTables,
    stream: Any,
    name: str | None,
    output: str,
    selected: tuple[str, ...] | None,
    date: datetime.date | None,
    *,
    setting: str,
    explain: bool,
    color: str,
    to_file: str | None,
    jobs: int | None,
    envelope: tuple[str, ...] = (),
    parquet: bool = False,
) -> Any:
    """Check every claim of ``stream`` (each on its own date, else ``date``, else it is reported); print
    findings on stdout in input order (machine formats: on every core, :mod:`cptref.check.batch`), bad lines
    and a summary on stderr."""
    import time

    from cptref.check import batch, budget, engine
    from cptref.check.cpus import usable_cores
    from cptref.check.inputs.base import US_DATES, BatchClaim, SkippedLine
    from cptref.check.inputs.registry import batch_lines, reader_for, x12_stream
    from cptref.check.results import BatchSummary
    from cptref.output.formats import formatter
    from cptref.output.text import doc as text_doc
    from cptref.output.text import terminal as text_terminal
    from cptref.output.text import views as text_views
    from cptref.replies import build

    shown = name or "<stdin>"
    total = 0
    if name is not None and sys.stderr.isatty():
        try:
            total = os.fstat(stream.fileno()).st_size
        except OSError:
            total = 0
    progress = total >= 1_000_000  # a long file, and stderr is a terminal
    done = [0]
    last = [time.monotonic()]

    def counted(lines: Any) -> Any:
        for raw in lines:
            done[0] += len(raw)
            yield raw

    def tick() -> None:
        if progress and time.monotonic() - last[0] > 0.2:
            last[0] = time.monotonic()
            sys.stderr.write(text_terminal.progress_line(done[0], total, summary.claims))
            sys.stderr.flush()

    def bad(line: int, message: str) -> None:
        summary.skipped += 1
        if progress:
            sys.stderr.write("\r" + " " * 60 + "\r")  # the progress bar's line, cleared
        if x12 is not None:  # the message says where: the segment, its byte offset and its line
            streams.warn(f"{shown}: {message}")
        else:
            streams.warn(f"{shown}:{line}: {message}; line skipped")

    said: set[str] = set()

    def note() -> None:  # what the reader says once about the file, on stderr as soon as it is known
        for text in reader.notes:
            if text not in summary.notes:
                summary.notes.append(text)
                streams.warn(f"{shown}: {text}")
        if US_DATES not in said and (reader.tallies.get(US_DATES) or summary.noticed.get(US_DATES)):
            said.add(US_DATES)
            streams.warn(f"{shown}: dates written MM/DD/YYYY read month first, as US billing exports write them")

    summary = BatchSummary()
    take: Any = None
    claims: Any = None
    x12 = None
    if parquet:
        from cptref.check.inputs import parquet as parquet_input

        claims = parquet_input.ParquetClaims(name or "-", name, build.SETTING_OF[setting])
        if claims.ignored:
            streams.warn(f"{shown}: {_columns(claims.ignored)} not a claim's, not read")
        reader, lines, take = claims.reader, claims.batches(), parquet_input.take
        progress = False
    elif x12_stream(stream, name):  # an 837 is read whole, bounded by its own limits, never in lines
        from cptref.check.inputs.x12.reader import X12Claims

        x12 = X12Claims()
        reader = x12
        lines = x12.source(stream)
        progress = False
    else:
        found_lines = batch_lines(stream, name)
        reader, lines = found_lines if found_lines is not None else (reader_for("jsonl"), iter(()))
    if progress:
        lines = counted(lines)

    def every_item() -> Any:
        if take is None:
            yield from reader.items(lines)
            return
        first = 1
        for chunk in lines:
            yield from reader.items(chunk, first)
            first += len(chunk)

    def setting_tables(setting: str, catalog: Catalog = found) -> engine.CheckTables:
        return engine.CheckTables.from_catalog(catalog, tables.cms, setting)

    if formatter(output).text:
        text_encoder = batch.Encoder(tables, _NoWriter(), explain, date, setting_tables)
        budget.begin()
        doc = text_doc.TextDoc()
        for item in every_item():
            note()
            if isinstance(item, SkippedLine):
                summary.not_a_claim(item)
                continue
            if not isinstance(item, BatchClaim):
                bad(item.line, item.message)
                continue
            day = item.date or date
            if day is None:
                bad(item.line, batch.NO_DATE)
                continue
            result = engine.check(text_encoder.tables_for(item), item.codes, day, explain)
            summary.add(result)
            if summary.claims > 1:
                doc.line()
            text_views.check_doc(found, result, explain=explain, claim=item, doc=doc, official=tables.cms is not None)
            if len(doc.lines) >= 2000:
                emit_text(doc, color)
                doc = text_doc.TextDoc()
                budget.after_chunk()
            tick()
        if doc.lines:
            emit_text(doc, color)
        summary.noticed.update({name: count for name, count in reader.tallies.items() if count})
    else:
        from cptref.output.check_lines import claim_writer

        def writer_for(title: Any) -> Any:
            if output != "parquet":
                return claim_writer(output, title, selected, explain, envelope)
            from cptref.check.arrow import id_type
            from cptref.output.arrow import ArrowResults, result_schema

            ids = id_type(claims.schema) if claims is not None else None  # Parquet ids keep their type
            return ArrowResults(result_schema(explain, selected, ids), title, explain)

        writer = writer_for(tables.title)
        encoder = batch.Encoder(tables, writer, explain, date, setting_tables)

        def make() -> batch.Encoder:  # in a worker, forked: a catalog connection of its own, all else inherited
            cms = tables.cms
            if cms is not None:
                cms.reconnect()
            catalog = found.reopened()
            tables.rebind(catalog)  # what the parent prepared (its first chunk) is kept

            def worker_setting(setting: str) -> engine.CheckTables:
                return engine.CheckTables.from_catalog(catalog, cms, setting)

            return batch.Encoder(tables, writer_for(tables.title), explain, date, worker_setting)

        with _Sink(to_file, output, writer) as sink:
            jobs = jobs or usable_cores()
            try:
                for chunk in batch.checked_chunks(reader, lines, encoder, make, jobs, take):
                    sink.write(chunk.data)
                    note()
                    for line, message in chunk.bad:
                        bad(line, message)
                    summary.merge(chunk.summary)
                    note()
                    tick()
            except BatchFailed as failed:  # a worker died: what was written is counted, then the one line why
                if progress:
                    sys.stderr.write("\r" + " " * 60 + "\r")
                if claims is not None:
                    summary.rows = claims.read_rows
                streams.warn(f"{shown}: {text_views.check_summary(summary)}")
                raise BatchFailed(f"{shown}: {failed}") from None
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    if x12 is not None and (said_x12 := x12.summary()) is not None:
        summary.notes.append(said_x12)
    if claims is not None:  # a Parquet file: its rows read, beside the claims in them
        summary.rows = claims.read_rows
    streams.warn(f"{shown}: {text_views.check_summary(summary)}")
    return summary


def _columns(names: list[str]) -> str:
    shown = ", ".join(repr(n[:40]) for n in names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    return f"column{'s' * (len(names) != 1)} {shown} {'are' if len(names) != 1 else 'is'}"


class _Sink:
    """Where a batch's output goes: stdout or ``--output FILE``; Parquet through a Parquet writer
    (each chunk's record batch, as the worker sent its Arrow buffers)."""

    def __init__(self, path: str | None, fmt: str, writer: Any) -> None:
        self.path, self.fmt, self.writer = path, fmt, writer
        self.file: Any = None
        self.parquet: Any = None

    def __enter__(self) -> _Sink:
        if self.path is not None:
            try:
                self.file = open(self.path, "wb")
            except OSError as exc:
                raise UsageError(f"--output {self.path}: cannot write: {exc.strerror or exc}") from None
        target = self.file if self.file is not None else sys.stdout.buffer
        with self._writing():
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self.parquet = pq.ParquetWriter(target, self.writer.schema)
            else:
                self._raw(self.writer.header())
        return self

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A write that fails (a full disk, ``-o /dev/full``, a device gone) is one line naming where,
        exit 2, never a traceback; a reader gone from stdout (``| head``) ends the command quietly."""
        try:
            yield
        except BrokenPipeError:
            if self.file is not None:
                raise UsageError(f"--output {self.path}: cannot write: the pipe was closed") from None
            streams.exit_quietly(ExitCode.OK, broken_pipe=True)
        except OSError as exc:
            if self.file is None:
                streams.unwritable(exc)
            raise UsageError(f"--output {self.path}: cannot write: {exc.strerror or exc}") from None

    def _raw(self, data: bytes) -> None:
        if self.file is None:
            streams.write(data)
        elif data:
            self.file.write(data)

    def write(self, data: bytes) -> None:
        with self._writing():
            if self.parquet is None:
                self._raw(data)
                return
            from cptref.output.arrow import from_ipc

            for found in from_ipc(data):
                self.parquet.write_batch(found)

    def __exit__(self, kind: object, *exc: object) -> None:
        # When the batch already failed, its error is the one said (a close failing after it is not)
        quiet = contextlib.suppress(CptrefError, SystemExit) if kind is not None else contextlib.nullcontext()
        with quiet, self._writing():
            try:
                if self.parquet is not None:
                    self.parquet.close()
                    if self.file is None:
                        sys.stdout.buffer.flush()
            finally:
                if self.file is not None:
                    self.file.close()


class _NoWriter:
    """The text view draws each claim itself: its encoder writes nothing (it gives the tables of a setting)."""

    def header(self) -> bytes:
        return b""

    def write(self, out: bytearray, result: CheckResult, claim: Any) -> None:
        """Nothing: the text view is drawn a claim at a time."""


def is_parquet(stream: Any, file: str) -> bool:
    """Whether the batch file is Parquet: by its name (.parquet), or its first bytes (PAR1)."""
    if file.lower().endswith((".parquet", ".parq")):
        return True
    try:
        if hasattr(stream, "peek"):
            head: bytes = stream.peek(4)[:4]
        elif stream.seekable():
            head = stream.read(4)
            stream.seek(0)
        else:
            head = b""
    except (OSError, ValueError):
        return False
    return head == b"PAR1"
