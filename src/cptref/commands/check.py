"""``cptref check``: whether codes can be reported together, and why not; one claim, or a batch file."""

from __future__ import annotations

import datetime
import sys
from typing import TYPE_CHECKING, Annotated, Any, Literal

from msgspec import Meta, Struct

from cptref.errors import ExitCode, UsageError
from cptref.output import streams
from cptref.output.formats import with_formats

from .args import Arg, CmsPaths, Color, DataDirs, Format, Opt, fields_help
from .batch import check_batch, is_parquet
from .common import catalog, cms_tables, emit, output_format, selected_fields

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
delimited by commas, semicolons, tabs or pipes; dates YYYY-MM-DD,
YYYYMMDD or MM/DD/YYYY; UTF-8, or UTF-16 with its byte order mark; gzip,
bzip2 or xz compressed too), a JSON Lines file ({"id": ..., "codes": ["47542-59", {"code":
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
        except IsADirectoryError:  # a Spark or Hadoop output: a folder of part files
            raise UsageError(
                f"cannot read {file}: a directory (Spark's write.json and write.csv write one): give its part files "
                f"on stdin: cat {file}/part-* | cptref check --file -"
            ) from None
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
        parquet = is_parquet(stream, file)
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
        summary = check_batch(
            found,
            tables,
            stream,
            None if file == "-" else file,
            output,
            selected,
            date,
            setting=args.setting,
            explain=args.explain,
            color=args.color,
            to_file=args.output,
            jobs=args.jobs,
            envelope=envelope,
            parquet=parquet,
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
