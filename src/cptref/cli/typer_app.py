"""The ``cptref`` command as a Typer application, built from each command's ``Args`` (:mod:`.spec`).

Typer answers what the fast path (:mod:`.fastpath`) leaves to it: ``--help``, shell completion, and
every malformed invocation, which it explains. A command here only turns Typer's values into the
command's ``Args`` and calls its ``run``; it computes nothing itself.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable
from enum import Enum
from typing import Annotated, Any, NoReturn, TextIO, cast

import typer

from cptref.commands import COMMANDS
from cptref.errors import CptrefError, ExitCode, Signalled
from cptref.output import streams

from .spec import Argument, Command, Option, command, root

ROOT_HELP = (
    "A CPT coding reference for the command line: what a code means, what it includes, what it "
    "is reported with, and where each fact comes from.\n\n"
    "Examples:\n\n"
    "  cptref show 47555\n\n"
    '  cptref search "balloon dilation biliary"\n\n'
    "  cptref show 47542 --json | jq '.procedures[0].add_on'\n\n"
    "Exit status: 0 ok, 1 not found / no match, 2 usage error, 3 invalid data."
)


def _complete_codes(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of code arguments: the library's codes that begin with what is typed."""
    try:
        from cptref.commands.common import catalog

        found = catalog(None)
        prefix = incomplete.strip().upper()
        return [(d.code, d.title) for d in found.store.docs() if d.code.startswith(prefix)][:200]
    except Exception:  # completion must never break the user's shell
        return []


def _choices(name: str, choices: tuple[str, ...]) -> type[Enum]:
    return Enum(name, {choice: choice for choice in choices}, type=str)  # type: ignore[return-value]


_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")
"""What rich reads as a style tag in markup (``rich.markup.escape``'s own pattern)."""


def _unmarked(text: str | None) -> str | None:
    """``text`` as rich prints it: Typer reads help as rich markup, where ``'cptref[mcp]'`` loses its
    ``[mcp]`` as a style tag (the help then said ``pip install 'cptref'``). ``rich.markup.escape``'s
    rule, not the function: importing rich would cost every command's start (``--json`` imports none)."""
    if not text or "[" not in text:
        return text
    return _TAG.sub(lambda found: f"{found[1]}{found[1]}\\{found[2]}", text)


def _argument(argument: Argument) -> tuple[Any, Any]:
    kind: Any = str if not argument.choices else _choices(argument.dest.title(), argument.choices)
    annotation = list[kind] if argument.many else kind
    if not argument.required:
        annotation = annotation | None
    info = typer.Argument(
        metavar=argument.metavar,
        help=_unmarked(argument.help),
        show_default=False,
        autocompletion=_complete_codes if argument.complete_codes else None,
    )
    return Annotated[annotation, info], (... if argument.required else None)


def _option(option: Option) -> tuple[Any, Any]:
    flags: tuple[str, ...] = option.flags
    if option.kind in ("flag", "toggle"):
        kind: Any = bool
        if option.off is not None:
            flags = (f"{flags[0]}/{option.off}",)
    elif option.kind == "int":
        kind = int
    elif option.kind == "choice":
        kind = _choices(option.dest.title(), option.choices)
    else:
        kind = str
    default = option.default
    if option.kind == "choice" and default is not None:
        default = kind(default)
    if default is None:
        kind = kind | None
    info = typer.Option(
        *flags,
        help=_unmarked(option.help),
        metavar=option.metavar,
        min=option.minimum,
        max=option.maximum,
        show_default=option.kind in ("int", "choice", "toggle") and default is not None,
    )
    return Annotated[kind, info], default


def _plain(value: Any) -> Any:
    """A value as the command's ``Args`` holds it: a choice's text, many values as a tuple."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return tuple(value)
    return value


def _register(app: typer.Typer, command: Command) -> None:
    parameters = []
    if command.argument is not None:
        annotation, default = _argument(command.argument)
        parameters.append(
            inspect.Parameter(
                command.argument.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    for option in command.options:
        annotation, default = _option(option)
        parameters.append(
            inspect.Parameter(option.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )

    def run(**values: Any) -> None:
        given = {key: _plain(value) for key, value in values.items() if value is not None}
        status = command.run(given)
        if status:
            raise typer.Exit(status)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    run.__name__ = command.name
    run.__doc__ = _unmarked(command.help.replace("{rules}", _rules()) if "{rules}" in command.help else command.help)
    app.command(name=command.name)(run)


def _rules() -> str:
    from cptref.check.rules import help_table

    return help_table()


def build_app(commands: Iterable[Command] | None = None) -> typer.Typer:
    """The Typer application of ``commands`` (default: every command of :data:`cptref.commands.COMMANDS`),
    under ``cptref`` itself with its options (``--version``)."""
    app = typer.Typer(
        name="cptref",
        help=ROOT_HELP,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    options = root()
    version_option = options.option("--version")
    cms_option = options.option("--cms")
    assert version_option is not None and cms_option is not None

    def _root(ctx: typer.Context, version: bool = False, cms: str | None = None) -> None:
        """A CPT coding reference for the command line."""
        if version:
            raise typer.Exit(options.run({version_option.dest: True, cms_option.dest: cms}))
        if ctx.invoked_subcommand is None:
            sys.stdout.write(ctx.get_help() + "\n")
            raise typer.Exit(ExitCode.USAGE)

    _root.__annotations__ = {  # objects, not the text of this module's annotations: read by Typer
        "ctx": typer.Context,
        "version": Annotated[bool, typer.Option(*version_option.flags, help=version_option.help)],
        "cms": Annotated[str | None, typer.Option(*cms_option.flags, metavar=cms_option.metavar, help=cms_option.help)],
        "return": None,
    }
    app.callback(invoke_without_command=True)(_root)

    for found in commands if commands is not None else (command(name) for name in COMMANDS):
        _register(app, found)
    return app


app = build_app()
"""The application of every command (what :func:`main` runs)."""


def typer_main(argv: list[str] | None = None) -> NoReturn:
    """Run the Typer application; map every failure to one message and an exit status.

    The console script starts at :func:`cptref.cli.main.main`, which answers well-formed calls
    without Typer and hands everything else here.
    """
    watched = _PipeWatch(sys.stdout)
    sys.stdout = cast(TextIO, watched)
    try:
        _run(argv)
    except BrokenPipeError:
        streams.exit_quietly(ExitCode.OK, broken_pipe=True)
    except Signalled as exc:
        streams.fail([exc.message], exc.exit_code)
    except SystemExit:
        # Typer and rich meet a closed pipe while printing help themselves and exit 1; the reader
        # only stopped reading, which is a success, as for every other answer.
        if watched.closed or type(sys.stdout).__name__ == "PacifyFlushWrapper":
            streams.exit_quietly(ExitCode.OK, broken_pipe=True)
        raise
    finally:
        if cast(object, sys.stdout) is watched:
            sys.stdout = watched.inner


class _PipeWatch:
    """stdout, remembering whether a write met a closed pipe (the reader stopped reading)."""

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self.closed = False

    def write(self, text: str) -> int:
        try:
            return self.inner.write(text)
        except BrokenPipeError:
            self.closed = True
            raise

    def flush(self) -> None:
        try:
            self.inner.flush()
        except BrokenPipeError:
            self.closed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _run(argv: list[str] | None) -> NoReturn:
    try:
        status = app(args=argv, prog_name="cptref", standalone_mode=False)
        streams.finish(int(status or 0))
    except CptrefError as exc:
        streams.fail(exc.lines(), exc.exit_code)
    except typer.Exit as exc:
        streams.finish(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        streams.fail(["interrupted"], ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            sys.stdout.write(ctx.get_help() + "\n")
            streams.exit_quietly(ExitCode.USAGE)
        command = ctx.command_path if ctx is not None else "cptref"
        streams.fail([f"{exc.format_message()} (see '{command} --help')"], ExitCode.USAGE)
