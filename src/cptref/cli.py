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

from . import __version__
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
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON object (stable keys, schema_version) instead of text.")
]


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"cptref {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """A CPT coding reference for the command line."""


def _write(data: bytes | str) -> None:
    """Write one whole answer to stdout at once."""
    raw = data.encode() if isinstance(data, str) else data
    sys.stdout.buffer.write(raw)
    sys.stdout.buffer.flush()


def _emit_text(doc: Any) -> None:
    from . import render

    if sys.stdout.isatty():
        render.to_rich(doc, file=sys.stdout, color="NO_COLOR" not in os.environ)
    else:
        _write(render.plain(doc))


@app.command()
def show(
    codes: Annotated[
        list[str], typer.Argument(metavar="CODE...", help="One or more CPT codes, e.g. 47555.", show_default=False)
    ],
    json: JsonOption = False,
    full: Annotated[
        bool, typer.Option("--full", help="Add the plain-language sections (purpose, steps, risks, recovery ...).")
    ] = False,
    data: DataOption = None,
) -> None:
    """Show what codes mean, include, and are reported with, with sources.

    Prints the descriptor (in cptref's own words), units, add-on status and primary codes, add-ons
    reported with the code, what it already includes (imaging guidance, supervision and
    interpretation), what is reported separately, do-not-report-with rules, Medicare values,
    history, related codes, and each fact's sources and confidence. Low-confidence facts are marked.

    Examples: cptref show 47555 | cptref show 47542 50706 --full | cptref show 47555 --json
    """
    from .catalog import load_for, normalize_code

    wanted = list(dict.fromkeys(normalize_code(c) for c in codes))  # malformed codes fail before any file is read
    catalog = load_for(wanted, data)
    records = [catalog.get(c) for c in wanted]
    if json:
        from . import serialize

        _write(serialize.dumps(serialize.show(catalog, records)))
        return
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
) -> None:
    """Find codes from loose words, typos, abbreviations or a partial code.

    Matches code, title, synonyms, descriptor and lay summary; word order, case and punctuation do
    not matter, and misspellings are corrected against the library's words. Each result shows its
    score (0-100) and which words matched which field.

    Examples: cptref search "balloon dilation biliary" | cptref search biliarry stricure |
    cptref search 4755 | cptref search PTBD --json
    """
    from . import search as searching
    from .catalog import load_catalog

    text = " ".join(query)
    searching.parse_query(text)  # an empty query fails before any file is read
    catalog = load_catalog(data)
    results = searching.search(catalog, text, limit=limit)
    if json:
        from . import serialize

        _write(serialize.dumps(serialize.search(text, results)))
        return
    from . import render

    _emit_text(render.search_doc(results))


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

        _write(serialize.dumps(serialize.validation(report)))
    else:
        lines = [
            f"{p.file}: {p.field}: {'warning: ' if p.severity == 'warning' else ''}{p.message}" for p in report.problems
        ]
        _write("".join(line + "\n" for line in lines))
    errors, warnings = len(report.errors), len(report.warnings)
    sys.stderr.write(
        f"cptref: {report.files} record files checked: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)}\n"
    )
    if errors:
        raise typer.Exit(ExitCode.DATA)


def _fail(lines: list[str], code: int) -> NoReturn:
    for line in lines:
        sys.stderr.write(f"cptref: {line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> NoReturn:
    """Console entry point: run the app, map every failure to one message and an exit status."""
    try:
        status = app(args=argv, prog_name="cptref", standalone_mode=False)
        _exit_quietly(int(status or 0))
    except CptrefError as exc:
        _fail(exc.lines(), exc.exit_code)
    except typer.Exit as exc:
        _exit_quietly(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        _fail(["interrupted"], 130)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            _exit_quietly(ExitCode.USAGE)
        command = ctx.command_path if ctx is not None else "cptref"
        _fail([f"{exc.format_message()} (see '{command} --help')"], ExitCode.USAGE)
    except BrokenPipeError:
        _exit_quietly(ExitCode.OK, broken_pipe=True)


def _exit_quietly(code: int, broken_pipe: bool = False) -> NoReturn:
    """Exit, making sure a reader that closed stdout early (``| head``) causes no traceback."""
    try:
        if not broken_pipe:
            sys.stdout.flush()
    except BrokenPipeError:
        broken_pipe = True
    if broken_pipe:
        code = ExitCode.OK
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(code)
