"""The ``cptref`` command: a thin Typer layer over the library.

It parses arguments, calls the library, picks the output (JSON, rich on a terminal, plain text
when piped) and turns library errors into one message on stderr and a documented exit status
(:class:`cptref.errors.ExitCode`). It computes nothing itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import __version__, shell
from .errors import CptrefError, ExitCode

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
        help="Read this data directory instead of the shipped one (also: CPTREF_DATA).",
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


def _version(value: bool) -> None:
    """Print the program's version and the data's (its release and record count)."""
    if not value:
        return
    from . import resources

    line = f"cptref {__version__}"
    root = resources.data_dir()
    try:
        records = len(shell.catalog(None))
        line += f" (data {resources.data_release(root) or 'unreleased'}, {records} records, {root})"
    except CptrefError:
        line += f" (data in {root} is unusable: run `cptref validate`)"
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


def _emit_text(doc: Any) -> None:
    from . import render

    if sys.stdout.isatty():
        render.to_rich(doc, file=sys.stdout, color="NO_COLOR" not in os.environ)
    else:
        shell.write(render.plain(doc))


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
) -> None:
    """Show what codes mean, include, and are reported with, with sources.

    Prints the descriptor (in cptref's own words), units, add-on status and primary codes, add-ons
    reported with the code, what it already includes (imaging guidance, supervision and
    interpretation), what is reported separately, do-not-report-with rules, Medicare values,
    history, related codes, and each fact's sources and confidence. Low-confidence facts are marked.

    Examples: cptref show 47555 | cptref show 47542 50706 --full | cptref show 47555 --json
    """
    if json:
        shell.show_json(codes, data, descriptors)
        return
    catalog, records = shell.records_to_show(codes, data, descriptors)
    from . import render

    doc = render.Doc()
    for i, record in enumerate(records):
        if i:
            doc.line()
            doc.line("-" * 40, "dim")
            doc.line()
        doc.lines.extend(render.show_doc(catalog, record, full=full).lines)
    _emit_text(doc)


@app.command()
def search(
    query: Annotated[
        list[str], typer.Argument(metavar="WORDS...", help="Words, abbreviations or a code prefix.", show_default=False)
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=1000, help="Show at most N results.")] = 10,
    json: JsonOption = False,
    data: DataOption = None,
    descriptors: DescriptorsOption = None,
) -> None:
    """Find codes from loose words, typos, abbreviations or a partial code.

    Matches code, title, synonyms, descriptor and lay summary; word order, case and punctuation do
    not matter, and misspellings are corrected against the library's words. Each result shows its
    score (0-100) and which words matched which field.

    Examples: cptref search "balloon dilation biliary" | cptref search biliarry stricure |
    cptref search 4755 | cptref search PTBD --json
    """
    if json:
        shell.search_json(query, limit, data, descriptors)
        return
    _, results = shell.ranked(query, limit, data, descriptors)
    from . import render

    _emit_text(render.search_doc(results))


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
    """
    from . import check as checking
    from .errors import UsageError

    if codes and file is not None:
        raise UsageError("give codes or --file, not both")
    if not codes and file is None:
        raise UsageError("give the codes to check (cptref check 47532 47542) or --file FILE")
    if json and jsonl:
        raise UsageError("--json and --jsonl: choose one")
    if json and file is not None:
        raise UsageError("--json prints one object; with --file use --jsonl (one object a claim)")
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
            if json or jsonl:
                from . import serialize

                if json:
                    shell.write(serialize.dumps(serialize.check(result, tables.title)))
                else:
                    shell.write(serialize.CheckLines(tables.title).line(result))
            else:
                from . import render

                _emit_text(render.check_doc(catalog, result, explain=explain))
            ok = result.ok
        else:
            ok = _check_batch(catalog, tables, stream, None if file == "-" else file, jsonl, explain)
    finally:
        if stream is not None and stream is not sys.stdin.buffer:
            stream.close()
    if not ok:
        raise typer.Exit(checking.EXIT_FINDINGS)


def _check_batch(catalog: Any, tables: Any, stream: Any, name: str | None, jsonl: bool, explain: bool) -> bool:
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
    lines_out = serialize.CheckLines(tables.title) if jsonl else None
    text = sys.stdout.isatty() and not jsonl
    chunk: list[bytes] = []
    doc = render.Doc()
    last = time.monotonic()

    def flush() -> None:
        nonlocal doc
        if chunk:
            shell.write(b"".join(chunk))
            chunk.clear()
        if doc.lines:
            if text:
                _emit_text(doc)
            else:
                shell.write(render.plain(doc))
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
        if lines_out is not None:
            chunk.append(lines_out.line(result, item))
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
    report = linting.validate(root, strict=strict)
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


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the Typer application; map every failure to one message and an exit status.

    The console script starts at :func:`cptref.shell.main`, which answers plain ``--json`` calls
    without Typer and hands everything else here.
    """
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
    except BrokenPipeError:
        shell.exit_quietly(ExitCode.OK, broken_pipe=True)
