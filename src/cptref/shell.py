"""Process plumbing shared by every command, and the fast path of scripted calls.

Writing a whole answer at once, one-line failures with their exit status, a quiet exit when the
reader closes the pipe, and the commands' common steps (load the library, pick the records,
rank a query). None of it imports Typer.

The fast path: ``cptref show CODE... --json`` and ``cptref search WORDS... --json`` are what
scripts call thousands of times, and importing Typer costs more than answering them. :func:`main`
recognises exactly those invocations (with ``--data DIR``, ``--fields A,B`` and ``--limit N``,
nothing else) and answers them through the same functions the Typer commands call; every other
invocation, ``--help`` and every malformed one included, goes to the Typer application in
:mod:`cptref.cli`.
A test runs both paths on the same arguments and compares their output byte for byte.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .errors import CptrefError, ExitCode

if TYPE_CHECKING:
    from .catalog import Catalog
    from .models import Procedure
    from .search import Result


def write(data: bytes | str) -> None:
    """Write one whole answer to stdout at once; if the reader has closed the pipe (``| head``),
    end the command quietly with status 0 (Typer would turn the closed pipe into status 1)."""
    # backslashreplace: a file name that is not UTF-8 (a lone surrogate) is shown as \udcff, and
    # stdout stays UTF-8
    raw = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
    try:
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        exit_quietly(ExitCode.OK, broken_pipe=True)


def fail(lines: Sequence[str], code: int) -> NoReturn:
    """Report on stderr, one line a problem, each prefixed ``cptref:``, and exit with ``code``."""
    for line in lines:
        sys.stderr.write(f"cptref: {line}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def exit_quietly(code: int, broken_pipe: bool = False) -> NoReturn:
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


def guarded(work: Callable[[], object]) -> NoReturn:
    """Run ``work``; map library errors and a closed pipe to their message and exit status."""
    try:
        work()
    except CptrefError as exc:
        fail(exc.lines(), exc.exit_code)
    except BrokenPipeError:
        exit_quietly(ExitCode.OK, broken_pipe=True)
    except KeyboardInterrupt:
        fail(["interrupted"], 130)
    exit_quietly(ExitCode.OK)


def catalog(data: Path | None, descriptors: Path | None = None) -> Catalog:
    """The library through its compiled index: the shipped data with the user's directories
    (``--data``, else ``$CPTREF_DATA``) layered over it. A rebuild shows a progress bar on a terminal."""
    from . import resources
    from .catalog import load_catalog

    roots = resources.layers(data)
    if not sys.stderr.isatty():
        return load_catalog(roots, descriptors=descriptors)
    from .render import ProgressBar

    with ProgressBar("Indexing the code library") as bar:
        return load_catalog(roots, progress=bar, descriptors=descriptors)


def records_to_show(
    codes: Sequence[str], data: Path | None, descriptors: Path | None = None
) -> tuple[Catalog, list[Procedure]]:
    """The catalog and the records of ``codes``; malformed codes fail before any file is read."""
    from .catalog import load_for, normalize_code
    from .errors import DataErrors

    wanted = list(dict.fromkeys(normalize_code(c) for c in codes))
    try:
        found = catalog(data, descriptors)
    except DataErrors:
        from . import resources

        found = load_for(wanted, resources.layers(data), descriptors)  # a bad file elsewhere: still shown
    return found, [found.get(c) for c in wanted]


def ranked(
    words: Sequence[str], limit: int, data: Path | None, descriptors: Path | None = None
) -> tuple[str, list[Result]]:
    """The query as one string and its results; an empty query fails before any file is read."""
    from . import search as searching

    text = " ".join(words)
    searching.parse_query(text)
    return text, searching.search(catalog(data, descriptors), text, limit=limit)


def show_json(
    codes: Sequence[str], data: Path | None, descriptors: Path | None = None, fields: str | None = None
) -> None:
    """``show --json``; ``fields`` (``--fields a,b``) is checked before any file is read."""
    from . import serialize

    selected = serialize.parse_fields(fields, serialize.PROCEDURE_KEYS)
    found, records = records_to_show(codes, data, descriptors)
    write(serialize.dumps(serialize.show(found, records, selected)))


def search_json(
    words: Sequence[str], limit: int, data: Path | None, descriptors: Path | None = None, fields: str | None = None
) -> None:
    """``search --json``; ``fields`` (``--fields a,b``) is checked before any file is read."""
    from . import serialize

    selected = serialize.parse_fields(fields, serialize.RESULT_KEYS)
    text, results = ranked(words, limit, data, descriptors)
    write(serialize.dumps(serialize.search(text, results, selected)))


# --- the fast path ---------------------------------------------------------------------------------

MAX_LIMIT = 1000


def _plan(args: Sequence[str]) -> Callable[[], object] | None:
    """The answer to a plain ``show ... --json`` or ``search ... --json`` call (with ``--data``,
    ``--fields``, and ``--limit`` for search), or None for Typer."""
    if len(args) < 3 or args[0] not in ("show", "search"):
        return None
    positional: list[str] = []
    json = False
    data: Path | None = None
    fields: str | None = None
    limit = 10
    i = 1
    while i < len(args):
        arg = args[i]
        value: str | None = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        if arg == "--json" and value is None:
            json = True
        elif arg in ("--data", "--fields") or (arg in ("--limit", "-n") and args[0] == "search"):
            if value is None:
                i += 1
                if i >= len(args):
                    return None
                value = args[i]
            if arg == "--fields":
                fields = value  # checked by show_json / search_json, as on the Typer path
            elif arg == "--data":
                if not value:
                    return None
                data = Path(value)
            elif value.isdigit() and 1 <= int(value) <= MAX_LIMIT:
                limit = int(value)
            else:
                return None  # Typer says what is wrong with it
        elif arg.startswith("-"):
            return None
        else:
            positional.append(arg)
        i += 1
    if not json or not positional:
        return None
    if args[0] == "show":
        return lambda: show_json(positional, data, fields=fields)
    return lambda: search_json(positional, limit, data, fields=fields)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console entry point: the fast path when it applies, else the Typer application."""
    args = list(sys.argv[1:] if argv is None else argv)
    plan = _plan(args)
    if plan is not None:
        guarded(plan)
    from .cli import main as full

    full(args)
