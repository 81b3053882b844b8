"""``cptref check``: whether codes can be reported together, and why not; one claim, or a batch file."""

from __future__ import annotations

import datetime
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta, Struct

from cptref.errors import BatchFailed, ExitCode, UsageError
from cptref.output import streams
from cptref.output.formats import with_formats

from .args import Arg, CmsPaths, Color, DataDirs, Format, Opt, fields_help
from .common import catalog, cms_tables, emit, emit_text, output_format, selected_fields

if TYPE_CHECKING:
    from cptref.check.engine import CheckTables
    from cptref.check.results import CheckResult
    from cptref.library.catalog import Catalog

HELP = with_formats(
    """Tell whether codes can be reported together, and why not.

Each argument is a claim line: CODE[-MOD...][xN], a CPT or HCPCS code, its
modifiers each after a hyphen, its units after an x (47542, 47542-59,
50432-RT, 77002-26-59, 47542x2, C1729). A line given twice counts as more
units.

Checks the claim against the library's recorded facts, each with its sources:
{rules}

A claim is stopped (an error: exit 1), verified (OK: no error, no warning,
every code had the facts each rule needs), or NOT VERIFIED (no error, but a
warning: a fact is missing or a human must decide: exit 0, or 1 with
--strict). A finding resting on a low-confidence fact is at most a warning,
and says so; a suggestion resting on one shows only with --explain.

Batch: --file checks every claim of a CSV file (a claim id column, a codes
column with claim lines split by spaces, commas, semicolons or pipes, and an
optional date column; an id,codes[,date] header is optional; fields
delimited by commas, semicolons, tabs or pipes; dates YYYY-MM-DD or
MM/DD/YYYY), a JSON Lines file ({"id": ..., "codes": ["47542-59", {"code":
"50432", "modifiers": ["RT"], "units": 1}], "date": "2026-01-15"}, one a
line), an X12 837P/837I file (.837, .x12, .edi, or beginning ISA: each
claim's SV1/SV2 lines, checked per date of service in its guide's setting),
or a Parquet file (pip install 'cptref[arrow]': one row a claim with a list
of lines, or one row a line grouped by claim id; docs/ARROW.md). Every line
is a claim, a header or blank line, or a malformed line reported on stderr
with its line number (an X12 segment with its position); a summary on stderr
counts them all, and says once which delimiter, date form and columns it
read.

Exit status: 0 when no claim has an error; 1 when one has (with --strict,
also when a claim is not verified); 2 usage; 3 invalid data; 4 when lines of
--file were malformed (each reported, the rest checked); 5 when a code was
not found (a no-data finding: in neither the library nor the CMS tables);
6 when a batch worker process of --file died (the lines not checked are
named; the summary counts what was written). When several apply, the one
that says the least was checked wins: 6, then 4, then 5, then 1. (show and
search keep 1 for a code not found.)

Examples:
  cptref check 47532 47542 77002
  cptref check 47542-59 47532 50432-RT 50432-LT
  cptref check 50432 50706x2 --explain
  cptref check 47555 74360 --json | jq '.findings[].rule'
  cptref check 47532 47542 --strict && submit-claim
  cptref check --file claims.csv --jsonl > findings.jsonl
  cat claims.jsonl | cptref check --file - --jsonl
  cptref check --file claims.csv --format csv --fields rule,severity,codes
  cptref check --file claims.parquet --format parquet -o results.parquet
  cptref check --file claims.837 --jsonl --fields rule,claim.codes

Output (--format): table, the text view (colour on a terminal: --color,
NO_COLOR); json (also --json), one object for the codes; jsonl (also
--jsonl), one lean object a claim (its id, line, ok, verified, and each
finding's rule, severity, codes and fix, empty keys left out; --explain for
every key, --fields for others: claim.codes, claim.schema_version and
claim.checked name the line's own keys); csv, a header line then a row a
finding; plain, a tab-separated line a finding; parquet, a Parquet file of
one row a claim, the fields of --jsonl (-o FILE, or stdout redirected). csv
and plain rows start
with the claim's ok and verified (with --file, after its id and line), and a
claim without findings is a row of its own, its finding cells empty. --fields picks the fields of each
finding (and the columns of csv and plain)."""
)
"""``check --help`` (``{rules}`` stands for the rule table, :func:`cptref.check.rules.help_table`)."""

_Codes = Annotated[
    tuple[str, ...],
    Arg(
        "[CODE...]",
        "The lines of one claim: CODE[-MOD...][xN] (47542, 47542-59, 50432-RT, 47542x2, C1729).",
        complete_codes=True,
    ),
]
_File = Annotated[
    str | None,
    Opt(
        ("--file", "-f"),
        "Check every claim in a CSV (id,codes[,date]), JSON Lines ({id, codes}) or X12 837 file; - reads stdin.",
        metavar="FILE",
    ),
]
_Json = Annotated[bool, Opt(("--json",), 'Print {"schema_version", "codes", "ok", "findings"} for the codes.')]
_Jsonl = Annotated[bool, Opt(("--jsonl",), "Print one compact JSON object a claim, a line each.")]
_Explain = Annotated[
    bool,
    Opt(
        ("--explain",),
        "Show the rule's text, the recorded fact and its sources under each finding; include the suggestions that "
        "rest on a low-confidence fact; every field of each finding in --jsonl.",
    ),
]
_Strict = Annotated[bool, Opt(("--strict",), "Exit 1 also when a claim is not verified (no error, but a warning).")]
_Jobs = Annotated[
    int | None,
    Meta(ge=1, le=512),
    Opt(
        ("--jobs", "-j"),
        "With --file: check on N processes (default: the cores this process may use, capped by its cgroup's CPU "
        "quota, less those other processes keep busy); the output keeps the file's order.",
        metavar="N",
    ),
]
_Date = Annotated[
    str | None,
    Opt(
        ("--date",),
        "The date of service, YYYY-MM-DD (default: today): the CMS edits in force on it apply; a batch's date column "
        "(or date key) gives each claim its own.",
        metavar="DATE",
    ),
]
_Setting = Annotated[
    Literal["practitioner", "hospital"],
    Opt(
        ("--setting",),
        "Whose CMS PTP and MUE tables apply: practitioner services, or outpatient hospital services.",
        metavar="SETTING",
    ),
]
_Output = Annotated[
    str | None,
    Opt(
        ("--output", "-o"),
        "With --file: write the output to FILE instead of stdout (--format parquet needs it, or stdout redirected).",
        metavar="FILE",
    ),
]
_Fields = Annotated[
    str | None, Opt(("--fields",), fields_help("finding (not with the table view)", "check"), metavar="A,B")
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref check``'s arguments."""

    codes: _Codes = ()
    file: _File = None
    json: _Json = False
    jsonl: _Jsonl = False
    explain: _Explain = False
    strict: _Strict = False
    jobs: _Jobs = None
    date: _Date = None
    setting: _Setting = "practitioner"
    data: DataDirs = None
    cms: CmsPaths = None
    format: Format = None
    fields: _Fields = None
    output: _Output = None
    color: Color = "auto"


def run(args: Args) -> int:
    from cptref.check import engine
    from cptref.check.lines import parse_line
    from cptref.replies.build import SETTING_OF, service_date

    codes, file = args.codes, args.file
    if codes and file is not None:
        raise UsageError("give codes or --file, not both")
    if not codes and file is None:
        raise UsageError("give the codes to check (cptref check 47532 47542) or --file FILE")
    output = output_format(args.json, args.format, args.jsonl)
    if output == "json" and file is not None:
        raise UsageError("--json prints one object; with --file use --jsonl (one object a claim)")
    fields, envelope = split_envelope(args.fields, output)
    selected = selected_fields(fields, "check", output)
    if args.output is not None and (file is None or output == "table"):
        raise UsageError(
            "--output writes the machine output of --file: add --file FILE and --format (jsonl, parquet ...)"
        )
    if output == "parquet":
        from cptref.output.formats import require_arrow

        require_arrow("--format parquet")
        if args.output is None and sys.stdout.isatty():
            raise UsageError("--format parquet writes a binary file: give -o results.parquet (or redirect stdout)")
    # one claim: its date of service, or today; a batch: each claim's own, else --date, else none
    date = service_date(args.date) if args.date is not None or file is None else None
    stream: Any = None
    parquet = False
    if file == "-" and "stdin" in streams.CLOSED:
        raise UsageError("standard input is closed (<&-): give the claims with --file FILE")
    if file is not None:
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
        parquet = _is_parquet(stream, file)
        if parquet:
            from cptref.output.formats import require_arrow

            if stream is not sys.stdin.buffer:
                stream.close()  # Parquet is read by its reader, from the file's end
            if file == "-":
                raise UsageError("a Parquet file is read from its end, not from stdin: give it with --file FILE")
            require_arrow(f"reading the Parquet file {file}")
    cms = None
    try:
        touched = [line.code for line in map(parse_line, codes or ()) if line is not None]
        found = catalog(args.data, touched=touched if stream is None else None)
        if stream is not None and found.problems:  # a batch may touch any code: it needs the whole library
            from cptref.library.problems import refuse_or_warn

            streams.warn(refuse_or_warn(found, sorted(found.broken)))
        cms = cms_tables(args.cms)
        if cms is not None and stream is not None:
            cms.preload()  # a batch asks about many codes: each table read once, not a query a code
        if stream is not None:
            import gc

            gc.freeze()  # what is read so far lives as long as the batch: the collector need not walk it
            gen0, gen1, _ = gc.get_threshold()
            gc.set_threshold(gen0, gen1, 100)  # a batch's answer caches are large and hold no cycle
        tables = engine.CheckTables.from_catalog(found, cms, SETTING_OF[args.setting])
        if stream is None:
            assert date is not None
            result = _emit_claim(found, tables, date, output, selected, args, envelope)
            not_found = sum(f.rule == NOT_FOUND_RULE for f in result.findings)
            return exit_status(
                not_found=not_found, errors=not result.ok, unverified=not result.verified, strict=args.strict
            )
        summary = _check_batch(
            found, tables, stream, None if file == "-" else file, output, selected, args, date, envelope, parquet
        )
        return exit_status(
            malformed=summary.skipped,
            not_found=summary.by_rule.get(NOT_FOUND_RULE, 0),
            errors=summary.with_errors,
            unverified=summary.unverified,
            strict=args.strict,
        )
    finally:
        if stream is not None and stream is not sys.stdin.buffer and not stream.closed:
            stream.close()
        if cms is not None:
            cms.close()


def split_envelope(text: str | None, output: str) -> tuple[str | None, tuple[str, ...]]:
    """``--fields`` as the finding fields it names and the keys of a --jsonl line's envelope it names
    (``claim.schema_version``, ``claim.codes``, ``claim.checked``): those only with --jsonl."""
    if text is None or "claim." not in text:
        return text, ()
    from cptref.output.check_documents import ENVELOPE

    names = [name.strip() for name in text.split(",")]
    envelope = tuple(dict.fromkeys(name.removeprefix("claim.") for name in names if name.startswith("claim.")))
    for name in envelope:
        if name not in ENVELOPE:
            choices = ", ".join(f"claim.{key}" for key in ENVELOPE)
            raise UsageError(f"unknown field 'claim.{name}'; a --jsonl line's own keys: {choices}")
    if output != "jsonl":
        raise UsageError("--fields claim.KEY names a key of a --jsonl line: add --jsonl")
    rest = [name for name in names if name and not name.startswith("claim.")]
    return (",".join(rest) if rest else None), envelope


class _NoWriter:
    """The text view draws each claim itself: its encoder writes nothing (it gives the tables of a setting)."""

    def header(self) -> bytes:
        return b""

    def write(self, out: bytearray, result: CheckResult, claim: Any) -> None:
        """Nothing: the text view is drawn a claim at a time."""


NOT_FOUND_RULE = "no-data"
"""The rule whose finding means a code was not found (exit :attr:`ExitCode.CODE_NOT_FOUND`)."""


def exit_status(
    *,
    failed: bool = False,
    malformed: int = 0,
    not_found: int = 0,
    errors: int = 0,
    unverified: int = 0,
    strict: bool = False,
) -> ExitCode:
    """``check``'s exit status when several apply: the one that says the least was checked wins.

    6 a batch worker crashed (the output stops short) > 4 lines of the batch were malformed (not
    checked) > 5 a code was not found (no rule could check it) > 1 a claim has an error > 1 with
    ``--strict``, a claim is not verified > 0.
    """
    if failed:
        return ExitCode.BATCH_FAILED
    if malformed:
        return ExitCode.MALFORMED_INPUT
    if not_found:
        return ExitCode.CODE_NOT_FOUND
    if errors or (strict and unverified):
        return ExitCode.FINDINGS
    return ExitCode.OK


def _is_parquet(stream: Any, file: str) -> bool:
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


def _emit_claim(
    found: Catalog,
    tables: CheckTables,
    date: datetime.date,
    output: str,
    selected: tuple[str, ...] | None,
    args: Args,
    envelope: tuple[str, ...] = (),
) -> CheckResult:
    from cptref.output.check_lines import CheckLines
    from cptref.replies.build import check_reply

    reply = check_reply(found, tables, args.codes, date, args.explain, selected)
    if output == "jsonl":
        reply.answer.lines = [CheckLines(tables.title, selected, args.explain, envelope).line(reply.result)]
    elif output == "parquet":  # the claim's result row, as check --file --format parquet writes it
        from cptref.output.arrow import ArrowResults, result_schema

        row = ArrowResults(result_schema(args.explain, selected), tables.title, args.explain)
        row.add(None, reply.result)
        reply.answer.lines = [row.batch()]
    reply.answer.verdict = (reply.result.ok, reply.result.verified)
    emit(output, reply.answer, args.color)
    return reply.result


def _check_batch(
    found: Catalog,
    tables: CheckTables,
    stream: Any,
    name: str | None,
    output: str,
    selected: tuple[str, ...] | None,
    args: Args,
    date: datetime.date | None,
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
    explain, color = args.explain, args.color
    take: Any = None
    claims: Any = None
    x12 = None
    if parquet:
        from cptref.check.inputs import parquet as parquet_input

        claims = parquet_input.ParquetClaims(args.file or "-", name, build.SETTING_OF[args.setting])
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

        with _Sink(args.output, output, writer) as sink:
            jobs = args.jobs or usable_cores()
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
                streams.warn(f"{shown}: {text_views.check_summary(summary)}")
                raise BatchFailed(f"{shown}: {failed}") from None
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    if x12 is not None and (said_x12 := x12.summary()) is not None:
        summary.notes.append(said_x12)
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
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            self.parquet = pq.ParquetWriter(target, self.writer.schema)
        else:
            self._raw(self.writer.header())
        return self

    def _raw(self, data: bytes) -> None:
        if self.file is None:
            streams.write(data)
        elif data:
            self.file.write(data)

    def write(self, data: bytes) -> None:
        if self.parquet is None:
            self._raw(data)
            return
        from cptref.output.arrow import from_ipc

        for found in from_ipc(data):
            self.parquet.write_batch(found)

    def __exit__(self, *exc: object) -> None:
        try:
            if self.parquet is not None:
                self.parquet.close()
                if self.file is None:
                    sys.stdout.buffer.flush()
        finally:
            if self.file is not None:
                self.file.close()
