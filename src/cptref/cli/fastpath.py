"""The fast path: answer a well-formed invocation without importing Typer.

Importing Typer (and click, and rich's help formatting) costs more than answering the calls scripts
make thousands of times (``cptref show 47555 --json``, ``cptref check 47532 47542``). :func:`plan`
reads the command line with the command's ``Args`` as :mod:`.spec` reads them, the very spec the
Typer application is built from, and returns the answer to run, or None for anything it does not
fully understand: ``--help``, shell completion, an unknown option, a value out of range, a missing
argument. Typer then answers those and says what is wrong. Both paths build the command's ``Args``
and call its ``run``; a test compares their output byte for byte, and another checks that the
invocations meant to be fast never import Typer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from cptref.commands import COMMANDS

from .spec import Command, Option, command, root

Plan = Callable[[], int]
"""An answer to run: it writes the answer and returns the exit status."""


def plan(args: Sequence[str]) -> Plan | None:
    """The answer to ``cptref ARGS``, or None when Typer should answer."""
    if not args or "_CPTREF_COMPLETE" in os.environ:
        return None
    if args[0] not in COMMANDS:
        return _root(args) if args[0].startswith("-") else None
    found = command(args[0])
    values = parse(found, args[1:])
    if values is None:
        return None
    return lambda: found.run(values)


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
        if positional or argument.required:
            values[argument.dest] = positional[0]
    else:
        values[argument.dest] = tuple(positional)
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


def _root(args: Sequence[str]) -> Plan | None:
    """``cptref --version`` (or ``-V``), alone or with ``--cms PATH`` on either side."""
    options = root()
    version = options.option("--version")
    cms = options.option("--cms")
    assert version is not None and cms is not None
    flags = version.flags
    rest = [a for a in args if a not in flags]
    if len(rest) == len(args) or len(args) - len(rest) > 1:
        return None
    values: dict[str, Any] = {version.dest: True, cms.dest: None}
    if rest:
        if len(rest) == 1 and rest[0].startswith(f"{cms.flags[0]}="):
            values[cms.dest] = rest[0].split("=", 1)[1]
        elif len(rest) == 2 and rest[0] == cms.flags[0]:
            values[cms.dest] = rest[1]
        else:
            return None
    return lambda: options.run(values)
