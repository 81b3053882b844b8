"""The fast path: answer a well-formed invocation without importing Typer.

Importing Typer (and click, and rich's help formatting) costs more than answering the calls scripts
make thousands of times (``cptref show 47555 --json``, ``cptref check 47532 47542``). :func:`plan`
reads the command line with the option table of :mod:`cptref.options`, the one Typer is built from,
and returns the answer to run, or None for anything it does not fully understand: ``--help``, shell
completion, an unknown option, a value out of range, a missing argument. Typer then answers those
and says what is wrong. Both paths call :func:`cptref.app.run`; a test compares their output byte
for byte, and another checks that the invocations meant to be fast never import Typer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from cptref.commands.args import CMS, COMMANDS, VERSION, Command, Option

Plan = Callable[[], int]


def plan(args: Sequence[str]) -> Plan | None:
    """The answer to ``cptref ARGS``, or None when Typer should answer."""
    if not args or "_CPTREF_COMPLETE" in os.environ:
        return None
    if args[0] in VERSION.flags or (args[0].startswith("--cms") and any(a in VERSION.flags for a in args)):
        return _version(args)
    command = COMMANDS.get(args[0])
    if command is None:
        return None
    values = parse(command, args[1:])
    if values is None:
        return None

    def answer() -> int:
        from cptref.commands import common as app

        return app.run(command.name, values)

    return answer


def parse(command: Command, args: Sequence[str]) -> dict[str, Any] | None:
    """The values of ``command``'s arguments and options (each option's default when not given), or
    None when the arguments are anything but plainly well formed."""
    values: dict[str, Any] = {option.dest: option.default for option in command.options}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--" or arg in ("-h", "--help"):
            return None
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        flag, equals, inline = arg.partition("=")
        if not flag.startswith("--"):
            flag, equals, inline = arg, "", ""  # a short option takes its value as the next argument
        option = command.option(flag)
        if option is None:
            return None
        if not option.takes_value:
            if equals:
                return None
            values[option.dest] = flag != option.off
            continue
        if equals:
            text = inline
        elif i < len(args):
            text = args[i]
            i += 1
        else:
            return None
        value = convert(option, text)
        if value is None:
            return None
        values[option.dest] = value
    argument = command.argument
    if argument is None:
        return values if not positional else None
    if argument.required and not positional:
        return None
    if not argument.many:
        if len(positional) > 1 or (argument.choices and positional and positional[0] not in argument.choices):
            return None
        values[argument.dest] = positional[0] if positional else None
    else:
        values[argument.dest] = positional or None
    return values


def convert(option: Option, text: str) -> Any:
    """``text`` as the option's value, or None when Typer should say what is wrong with it."""
    if option.kind == "int":
        if not text.isascii() or not text.isdigit():
            return None
        number = int(text)
        if (option.minimum is not None and number < option.minimum) or (
            option.maximum is not None and number > option.maximum
        ):
            return None
        return number
    if option.kind == "choice":
        return text if text in option.choices else None
    return text


def _version(args: Sequence[str]) -> Plan | None:
    """``cptref --version`` (or ``-V``), with ``--cms PATH`` or nothing else."""
    cms: str | None = None
    rest = [a for a in args if a not in VERSION.flags]
    if len(rest) == len(args) or len(args) - len(rest) > 1:
        return None
    if rest:
        if len(rest) == 1 and rest[0].startswith(f"{CMS.flags[0]}="):
            cms = rest[0].split("=", 1)[1]
        elif len(rest) == 2 and rest[0] == CMS.flags[0]:
            cms = rest[1]
        else:
            return None

    def version() -> int:
        from cptref.commands import common as app

        return app.version(cms)

    return version
