"""The ``cptref`` command: a thin Typer layer over the library.

It parses arguments, calls the library, picks the output (JSON, rich on a terminal, plain text
when piped) and turns library errors into one message on stderr and a documented exit status
(:class:`cptref.errors.ExitCode`). It computes nothing itself.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, cast

import typer

from . import __version__, shell
from .errors import CptrefError, ExitCode
from .findings import FINDING_KEYS

app = typer.Typer(
    name="cptref",
    help=(
        "A CPT coding reference for the command line: what a code means, what it includes, what it "
        "is reported with, and where each fact comes from.\n\n"
        "Examples:\n\n"
        "  cptref show 47555\n\n"
        '  cptref search "balloon dilation biliary"\n\n'
        "  cptref show 47542 --json | jq '.procedures[0].add_on'\n\n"
        "Exit status: 0 ok, 1 not found / no match, 2 usage error, 3 invalid data."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        metavar="DIR",
        help=(
            "Your own data directories (a path list, later ones win per code), layered over the "
            "shipped data (also: CPTREF_DATA)."
        ),
        show_default=False,
    ),
]
DescriptorsOption = Annotated[
    Path | None,
    typer.Option(
        "--descriptors",
        metavar="FILE",
        help=(
            "Your licensed CPT descriptor file (code<TAB>descriptor a line): show prints its text, "
            "search indexes it (also: CPTREF_DESCRIPTORS). cptref ships no AMA text."
        ),
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (stable keys, schema_version) instead of text.")
]


class Color(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


class Format(str, Enum):
    table = "table"
    plain = "plain"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


ColorOption = Annotated[
    Color,
    typer.Option(
        "--color",
        metavar="WHEN",
        help=(
            "Colour of the text view: auto (on a terminal, unless NO_COLOR is set), always (also when "
            "piped, despite NO_COLOR), never (plain text)."
        ),
    ),
]
FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help=(
            "table: the text view; plain: tab-separated rows, no header; json: as --json; jsonl: one "
            "JSON object a line; csv: a header line, then rows."
        ),
        show_default=False,
    ),
]


def _fields_option(items: str, command: str) -> Any:
    from . import serialize

    return typer.Option(
        "--fields",
        metavar="A,B",
        help=f"Keep only these fields of each {items}: {', '.join(serialize.FIELDS[command])}.",
        show_default=False,
    )


def _version(value: bool) -> None:
    """Print the program's version and the data's (its release and record count)."""
    if not value:
        return
    from . import resources

    def release(root: Path) -> str:
        return resources.data_release(root) or "unreleased"

    line = f"cptref {__version__}"
    roots = resources.layers()
    try:
        records = len(shell.catalog(None))
        over = "".join(f" + {root} ({release(root)})" for root in roots[1:])
        line += f" (data {release(roots[0])}, {records} records, {roots[0]}{over})"
    except CptrefError:
        line += f" (data in {' + '.join(map(str, roots))} is unusable: run `cptref validate`)"
    sys.stdout.write(line + "\n")
    raise typer.Exit()


def _complete_codes(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of code arguments: the library's codes that begin with what is typed."""
    try:
        catalog = shell.catalog(None)
        prefix = incomplete.strip().upper()
        return [(d.code, d.title) for d in catalog.store.docs() if d.code.startswith(prefix)][:200]
    except Exception:  # completion must never break the user's shell
        return []


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Print the program's version and the data's release and record count, and exit.",
        ),
    ] = False,
) -> None:
    """A CPT coding reference for the command line."""


def _emit_text(doc: Any, color: Color = Color.auto, page: bool = False) -> None:
    """Text for people: rich with colour on a terminal, plain text when piped (render.text_mode);
    with ``page``, text longer than the terminal goes through the pager."""
    from . import render

    tty = sys.stdout.isatty()
    mode = render.text_mode(color.value, tty, os.environ)
    width = render.text_width(tty, os.environ)
    text = render.plain(doc, width) if mode == "plain" or page else ""
    page = page and tty and text.count("\n") >= render.text_height(os.environ)
    if mode != "plain":
        always = color is Color.always
        render.to_rich(doc, sys.stdout, mode == "color", width=None if tty else width, force=always, page=page)
    elif page:
        render.pager(text)
    else:
        shell.write(text)


def _format(json: bool, fmt: Format | None, jsonl: bool = False) -> Format:
    """The output format from ``--format`` and its shortcuts ``--json`` / ``--jsonl``."""
    from .errors import UsageError

    if json and jsonl:
        raise UsageError("--json and --jsonl: choose one")
    short = Format.json if json else Format.jsonl if jsonl else None
    if short is not None and fmt is not None and fmt is not short:
        raise UsageError(f"--{short.value} is --format {short.value}; it cannot go with --format {fmt.value}")
    return short or fmt or Format.table


def _fields(text: str | None, command: str, fmt: Format) -> tuple[str, ...] | None:
    """``--fields`` as names; only with an output that has fields (not the text view)."""
    from . import serialize
    from .errors import UsageError

    if text is not None and fmt is Format.table:
        raise UsageError("--fields selects fields of JSON, JSON Lines, csv or plain output: add --json or --format")
    return serialize.parse_fields(text, serialize.FIELDS[command])


@app.command()
def show(
    codes: Annotated[
        list[str],
        typer.Argument(
            metavar="CODE...",
            help="One or more CPT codes, e.g. 47555.",
            show_default=False,
            autocompletion=_complete_codes,
        ),
    ],
    json: JsonOption = False,
    full: Annotated[
        bool, typer.Option("--full", help="Add the plain-language sections (purpose, steps, risks, recovery ...).")
    ] = False,
    data: DataOption = None,
    descriptors: DescriptorsOption = None,
    fields: Annotated[str | None, _fields_option("procedure (with --json)", "show")] = None,
    color: ColorOption = Color.auto,
    use_pager: Annotated[
        bool,
        typer.Option(
            "--pager/--no-pager",
            help="On a terminal, page --full text longer than the screen ($PAGER, else less).",
        ),
    ] = True,
) -> None:
    """Show what codes mean, include, and are reported with, with sources.

    Prints the descriptor (in cptref's own words), units, add-on status and
    primary codes, add-ons reported with the code, what it already includes
    (imaging guidance, supervision and interpretation), what is reported
    separately, do-not-report-with rules, Medicare values, history, related
    codes, and each fact's sources and confidence. Low-confidence facts are
    marked.

    On a terminal the text is in colour (--color; NO_COLOR turns it off), and
    --full text longer than the screen goes through a pager (--no-pager).
    Piped, it is plain text wrapped at COLUMNS (else 100 columns).

    --json prints {"schema_version", "procedures", "sources"}; --fields keeps
    only some fields of each procedure (cptref schema show describes them).

    Examples:
      cptref show 47555
      cptref show 47542 50706 --full
      cptref show 47555 --json
      cptref show 47542 50706 --json --fields code,title,units
      cptref show 47555 --color always | less -R
    """
    if json:
        shell.show_json(codes, data, descriptors, fields=fields)
        return
    if fields is not None:
        from .errors import UsageError

        raise UsageError("--fields selects fields of JSON output: add --json")
    catalog, records = shell.records_to_show(codes, data, descriptors)
    from . import render

    doc = render.Doc()
    for i, record in enumerate(records):
        if i:
            doc.line()
            doc.line("-" * 40, "dim")
            doc.line()
        doc.lines.extend(render.show_doc(catalog, record, full=full).lines)
    _emit_text(doc, color, page=full and use_pager)


@app.command()
def search(
    query: Annotated[
        list[str], typer.Argument(metavar="WORDS...", help="Words, abbreviations or a code prefix.", show_default=False)
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Show at most N results.")] = 10,
    json: JsonOption = False,
    data: DataOption = None,
    descriptors: DescriptorsOption = None,
    fmt: FormatOption = None,
    fields: Annotated[str | None, _fields_option("result (not with the table view)", "search")] = None,
    color: ColorOption = Color.auto,
) -> None:
    """Find codes from loose words, typos, abbreviations or a partial code.

    Matches code, title, synonyms, descriptor and lay summary; word order,
    case and punctuation do not matter, and misspellings are corrected against
    the library's words. Each result shows its score (0-100) and which words
    matched which field.

    Output (--format): table, the text view (colour on a terminal: --color,
    NO_COLOR); plain, a tab-separated line a result (code, title, score,
    matched); json (also --json), {"schema_version", "query", "results"};
    jsonl, one result object a line; csv, a header line then a row a result.
    --fields picks the fields of each result (and the columns of csv and plain).

    Examples:
      cptref search "balloon dilation biliary"
      cptref search biliarry stricure
      cptref search 4755
      cptref search PTBD --json
      cptref search nephrostomy --format csv --fields code,title > codes.csv
      cptref search drainage --format jsonl | jq -r .code
    """
    output = _format(json, fmt)
    selected = _fields(fields, "search", output)
    if output is Format.json:
        shell.search_json(query, limit, data, descriptors, fields=fields)
        return
    _, results = shell.ranked(query, limit, data, descriptors)
    if output is Format.table:
        from . import render

        _emit_text(render.search_doc(results), color)
        return
    from . import serialize

    items = [serialize.search_result(r) for r in results]
    if output is Format.jsonl:
        shell.write(b"".join(serialize.line(serialize.select(item, selected)) for item in items))
        return
    rows = serialize.Rows(selected or serialize.RESULT_KEYS, csv=output is Format.csv)
    shell.write(rows.header() + rows.rows(items))


@app.command()
def check(
    codes: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[CODE...]",
            help="The codes of one claim; a repeated code or 47542x2 counts as more units.",
            show_default=False,
            autocompletion=_complete_codes,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="FILE",
            help="Check every claim in a CSV (id,codes) or JSON Lines ({id, codes}) file; - reads stdin.",
            show_default=False,
        ),
    ] = None,
    json: Annotated[
        bool, typer.Option("--json", help='Print {"schema_version", "codes", "ok", "findings"} for the codes.')
    ] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one compact JSON object a claim, a line each.")] = False,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Show the rule's text, the recorded fact and its sources under each finding."),
    ] = False,
    data: DataOption = None,
    fmt: FormatOption = None,
    fields: Annotated[str | None, _fields_option("finding (not with the table view)", "check")] = None,
    color: ColorOption = Color.auto,
) -> None:
    """Tell whether codes can be reported together, and why not.

    Checks the set against the library's recorded facts, each with its sources:
      addon-without-primary         error: an add-on without any of its primaries
                                    (info when its primaries are not recorded)
      included-reported-separately  error: a code another code already includes
      not-reported-together         error, or a warning when the rule's scope
                                    (same duct, same ureter ...) needs a human
      units                         warning: more units than the MUE, or a code
                                    counted once per session given twice
      deleted-code                  error, naming the replacement
      unknown-code                  error: no data is not a pass
      malformed-code                error: not a five-character code
      separately-reportable         info: a service the set could add

    A finding resting on a low-confidence fact is at most a warning, and says so.

    Batch: --file checks every claim of a CSV file (a claim id column and a codes
    column, codes split by spaces, commas, semicolons or pipes; an id,codes header
    is optional) or a JSON Lines file ({"id": ..., "codes": [...]}, one a line).
    A summary goes to stderr; a malformed line is reported there with its line
    number and skipped.

    Exit status: 0 when no finding is an error; 1 when any is (and, with --file,
    when a line was skipped); 2 usage; 3 invalid data.

    Examples:
      cptref check 47532 47542 77002
      cptref check 50432 50706x2 --explain
      cptref check 47555 74360 --json | jq '.findings[].rule'
      cptref check 47532 47542 && submit-claim
      cptref check --file claims.csv --jsonl > findings.jsonl
      cat claims.jsonl | cptref check --file - --jsonl
      cptref check --file claims.csv --format csv --fields rule,severity,codes

    Output (--format): table, the text view (colour on a terminal: --color,
    NO_COLOR); json (also --json), one object for the codes; jsonl (also
    --jsonl), one object a claim; csv, a header line then a row a finding;
    plain, a tab-separated line a finding. With --file, csv and plain rows
    start with the claim's id and line. --fields picks the fields of each
    finding (and the columns of csv and plain).
    """
    from . import check as checking
    from .errors import UsageError

    if codes and file is not None:
        raise UsageError("give codes or --file, not both")
    if not codes and file is None:
        raise UsageError("give the codes to check (cptref check 47532 47542) or --file FILE")
    output = _format(json, fmt, jsonl)
    if output is Format.json and file is not None:
        raise UsageError("--json prints one object; with --file use --jsonl (one object a claim)")
    if explain and output is not Format.table:
        raise UsageError(f"--explain adds text under each finding; it has no effect with --format {output.value}")
    selected = _fields(fields, "check", output)
    stream: Any = None
    if file is not None:
        try:
            stream = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        catalog = shell.catalog(data)
        tables = checking.CheckTables.from_catalog(catalog)
        if stream is None:
            result = checking.check(tables, codes or [])
            if output is Format.table:
                from . import render

                _emit_text(render.check_doc(catalog, result, explain=explain), color)
            else:
                from . import serialize

                if output is Format.json:
                    shell.write(serialize.dumps(serialize.check(result, tables.title, selected)))
                elif output is Format.jsonl:
                    shell.write(serialize.CheckLines(tables.title, selected).line(result))
                else:
                    rows = serialize.Rows(selected or FINDING_KEYS, csv=output is Format.csv)
                    shell.write(rows.header() + rows.findings(result))
            ok = result.ok
        else:
            name = None if file == "-" else file
            ok = _check_batch(catalog, tables, stream, name, output, explain, selected, color)
    finally:
        if stream is not None and stream is not sys.stdin.buffer:
            stream.close()
    if not ok:
        raise typer.Exit(checking.EXIT_FINDINGS)


def _check_batch(
    catalog: Any,
    tables: Any,
    stream: Any,
    name: str | None,
    output: Format,
    explain: bool,
    fields: tuple[str, ...] | None = None,
    color: Color = Color.auto,
) -> bool:
    """Check every claim of ``stream``; print findings on stdout, bad lines and a summary on stderr."""
    import time

    from . import check as checking
    from . import render, serialize

    shown = name or "<stdin>"
    total = 0
    if name is not None and sys.stderr.isatty():
        try:
            total = os.fstat(stream.fileno()).st_size
        except OSError:
            total = 0
    progress = total >= 1_000_000  # a long file, and stderr is a terminal
    done = [0]

    def counted(lines: Any) -> Any:
        for raw in lines:
            done[0] += len(raw)
            yield raw

    summary = checking.BatchSummary()
    lines_out = serialize.CheckLines(tables.title, fields) if output is Format.jsonl else None
    rows_out = None
    chunk: list[bytes] = []
    if output in (Format.csv, Format.plain):
        rows_out = serialize.Rows(fields or FINDING_KEYS, csv=output is Format.csv, claim=True)
        chunk.append(rows_out.header())
    doc = render.Doc()
    last = time.monotonic()

    def flush() -> None:
        nonlocal doc
        if chunk:
            shell.write(b"".join(chunk))
            chunk.clear()
        if doc.lines:
            _emit_text(doc, color)
            doc = render.Doc()

    check, add = checking.check, summary.add
    for item in checking.read_claims(counted(stream) if progress else stream, name):
        if isinstance(item, checking.BadLine):
            summary.skipped += 1
            flush()
            clear = "\r" + " " * 60 + "\r" if progress else ""
            sys.stderr.write(f"{clear}cptref: {shown}:{item.line}: {item.message}; line skipped\n")
            continue
        result = check(tables, item.codes)
        add(result)
        if lines_out is not None or rows_out is not None:
            if lines_out is not None:
                chunk.append(lines_out.line(result, item))
            elif rows_out is not None:
                chunk.append(rows_out.findings(result, item))
            if len(chunk) >= 4096:
                flush()
        else:
            if summary.claims > 1:
                doc.line()
            render.check_doc(catalog, result, explain=explain, claim=item, doc=doc)
            if len(doc.lines) >= 2000:
                flush()
        if progress and not summary.claims % 4096 and time.monotonic() - last > 0.2:
            last = time.monotonic()
            sys.stderr.write(render.progress_line(done[0], total, summary.claims))
            sys.stderr.flush()
    flush()
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    sys.stderr.write(f"cptref: {shown}: {render.check_summary(summary)}\n")
    return summary.ok


@app.command()
def validate(
    directory: Annotated[
        Path | None,
        typer.Argument(metavar="[DIR]", help="The data directory to lint (default: shipped data).", show_default=False),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Treat warnings (dangling references ...) as errors.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Lint a data directory: schema, file names, unique codes, sources, references, key order.

    Prints every problem as `file: $.field: message` (warnings say `warning:`), then a count on
    stderr. Exits 3 when there is any error, 0 otherwise.

    Examples: cptref validate | cptref validate ./my-codes --strict | cptref validate --json
    """
    from . import resources
    from . import validate as linting

    root = resources.data_dir(directory)
    report = linting.validate(root, strict=strict, base=resources.shipped_data_dir())
    if json:
        from . import serialize

        shell.write(serialize.dumps(serialize.validation(report)))
    else:
        lines = [
            f"{p.file}: {p.field}: {'warning: ' if p.severity == 'warning' else ''}{p.message}" for p in report.problems
        ]
        shell.write("".join(line + "\n" for line in lines))
    errors, warnings = len(report.errors), len(report.warnings)
    sys.stderr.write(
        f"cptref: {report.files} record files checked: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}\n"
    )
    if errors:
        raise typer.Exit(ExitCode.DATA)


class SchemaOf(str, Enum):
    show = "show"
    search = "search"
    check = "check"
    validate = "validate"


@app.command()
def schema(
    command: Annotated[
        SchemaOf | None,
        typer.Argument(metavar="[COMMAND]", help="show, search, check or validate (default: all).", show_default=False),
    ] = None,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="The schema of one line of JSON Lines output (search, check).")
    ] = False,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            metavar="A,B",
            help="The schema of output narrowed by the same --fields (show, search, check).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a command's --json output.

    Every key is described. With no COMMAND, prints one object keyed by
    command (show, search, check, validate), each value a whole schema, so
    `cptref schema | jq .check` equals `cptref schema check`. --jsonl gives
    the schema of one line of `search --format jsonl` (a result) and of
    `check --jsonl` (a claim).

    schema_version changes only when a field is removed or changes meaning;
    fields may be added without a change, so ignore keys you do not know.

    Examples:
      cptref schema show
      cptref schema check --jsonl
      cptref schema search --fields code,title
      cptref schema | jq 'keys'
    """
    from . import schemas, serialize
    from .errors import UsageError

    if command is None:
        if fields is not None:
            raise UsageError("--fields narrows one command's schema: name it (cptref schema show --fields code)")
        shell.write(serialize.dumps(schemas.every(jsonl)))
        return
    if fields is not None and command.value not in serialize.FIELDS:
        raise UsageError(f"{command.value} has no --fields")
    selected = serialize.parse_fields(fields, serialize.FIELDS.get(command.value, ()))
    shell.write(serialize.dumps(schemas.schema(command.value, jsonl, selected)))


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the Typer application; map every failure to one message and an exit status.

    The console script starts at :func:`cptref.shell.main`, which answers plain ``--json`` calls
    without Typer and hands everything else here.
    """
    watched = _PipeWatch(sys.stdout)
    sys.stdout = cast(TextIO, watched)
    try:
        _run(argv)
    except BrokenPipeError:
        shell.exit_quietly(ExitCode.OK, broken_pipe=True)
    except SystemExit:
        # Typer and rich meet a closed pipe while printing help themselves and exit 1; the reader
        # only stopped reading, which is a success, as for every other answer.
        if watched.closed or type(sys.stdout).__name__ == "PacifyFlushWrapper":
            shell.exit_quietly(ExitCode.OK, broken_pipe=True)
        raise


class _PipeWatch:
    """stdout, remembering whether a write met a closed pipe (the reader stopped reading)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self.closed = False

    def write(self, text: str) -> int:
        try:
            return self._inner.write(text)
        except BrokenPipeError:
            self.closed = True
            raise

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BrokenPipeError:
            self.closed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _run(argv: list[str] | None) -> NoReturn:
    try:
        status = app(args=argv, prog_name="cptref", standalone_mode=False)
        shell.exit_quietly(int(status or 0))
    except CptrefError as exc:
        shell.fail(exc.lines(), exc.exit_code)
    except typer.Exit as exc:
        shell.exit_quietly(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        shell.fail(["interrupted"], 130)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            shell.exit_quietly(ExitCode.USAGE)
        command = ctx.command_path if ctx is not None else "cptref"
        shell.fail([f"{exc.format_message()} (see '{command} --help')"], ExitCode.USAGE)
