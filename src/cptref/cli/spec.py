"""A command's ``Args`` read as a command line: its options and its positional arguments.

Each field of a command's ``Args`` (:mod:`cptref.commands`) becomes an :class:`Option` or the
:class:`Argument`: its kind from its type (``bool``: a flag, or a toggle with an off flag; ``int``: a
number, its range from msgspec's ``Meta(ge, le)``; a ``Literal``: a choice; ``str``: text, a choice
when its ``Opt`` lists the values), its default from the field's, the rest from its
:class:`~cptref.commands.args.Opt` or :class:`~cptref.commands.args.Arg`. The fast path
(:mod:`.fastpath`) and the Typer application (:mod:`.typer_app`) both read these, so the two can
never differ on a flag, a limit or a choice. Reading one command imports that command's module only.
"""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, Literal

from msgspec import Meta, Struct

from cptref.commands import COMMANDS, ROOT
from cptref.commands.args import Arg, Opt

Kind = Literal["flag", "toggle", "text", "int", "choice"]


class Option(Struct, frozen=True):
    """One option: ``flags`` (long first), its value's kind, default, help and limits."""

    dest: str
    flags: tuple[str, ...]
    help: str
    kind: Kind = "flag"
    default: Any = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    off: str | None = None
    """For a toggle: the flag that turns it off (``--no-pager``)."""

    @property
    def takes_value(self) -> bool:
        return self.kind in ("text", "int", "choice")


class Argument(Struct, frozen=True):
    """The positional arguments of a command (one field a command)."""

    dest: str
    metavar: str
    help: str
    many: bool = True
    required: bool = True
    choices: tuple[str, ...] = ()
    complete_codes: bool = False
    """Shell completion offers the library's codes."""


class Command(Struct, frozen=True):
    """A command as a command line reads it, with the module that answers it."""

    name: str
    help: str
    """The command's help: a first line, then paragraphs (``{rules}`` stands for the rule table)."""
    argument: Argument | None
    options: tuple[Option, ...]
    module: types.ModuleType

    def option(self, flag: str) -> Option | None:
        for option in self.options:
            if flag in option.flags or flag == option.off:
                return option
        return None

    def run(self, values: dict[str, Any]) -> int:
        """Answer the command with ``values`` (every field of its ``Args``, by name); the exit status."""
        status: int = self.module.run(self.module.Args(**values))
        return status


def _parts(annotation: Any) -> tuple[Any, list[Any]]:
    """``Annotated[T, *metadata]`` -> (T without ``None``, metadata), with ``None`` noted as optional."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *more = typing.get_args(annotation)
        metadata.extend(more)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else annotation
    return annotation, metadata


def _hints(args: type, module: types.ModuleType) -> dict[str, Any]:
    """The type of each field of ``args``: the module's alias a field's annotation names (the fields
    of an ``Args`` are written so), else what :func:`typing.get_type_hints` finds (which costs a
    scripted call more)."""
    names = vars(module)
    found: dict[str, Any] = {}
    for field, annotation in args.__annotations__.items():
        if not (isinstance(annotation, str) and annotation.isidentifier() and annotation in names):
            return typing.get_type_hints(args, include_extras=True)
        found[field] = names[annotation]
    return found


def read(name: str, module: types.ModuleType) -> Command:
    """The command ``name`` as its ``Args`` and ``HELP`` in ``module`` describe it."""
    args = module.Args
    hints = _hints(args, module)
    fields: tuple[str, ...] = args.__struct_fields__
    defaults = dict(zip(fields[len(fields) - len(args.__struct_defaults__) :], args.__struct_defaults__, strict=True))
    argument: Argument | None = None
    options: list[Option] = []
    for field in fields:
        kind, metadata = _parts(hints[field])
        meta = next((m for m in metadata if isinstance(m, Meta)), None)
        required = field not in defaults
        for found in metadata:
            if isinstance(found, Arg):
                many = typing.get_origin(kind) is tuple
                argument = Argument(
                    field,
                    found.metavar,
                    found.help,
                    many=many,
                    required=required or (many and defaults.get(field) is None),
                    choices=found.choices,
                    complete_codes=found.complete_codes,
                )
            elif isinstance(found, Opt):
                options.append(_option(field, kind, found, defaults.get(field), meta))
    return Command(name, str(getattr(module, "HELP", "")), argument, tuple(options), module)


def _option(field: str, kind: Any, found: Opt, default: Any, meta: Meta | None) -> Option:
    choices = tuple(typing.get_args(kind)) if typing.get_origin(kind) is Literal else found.choices
    if kind is bool:
        value: Kind = "toggle" if found.off else "flag"
    elif kind is int:
        value = "int"
    elif choices:
        value = "choice"
    else:
        value = "text"
    minimum = getattr(meta, "ge", None) if meta is not None else None
    maximum = getattr(meta, "le", None) if meta is not None else None
    return Option(field, found.flags, found.help, value, default, found.metavar, choices, minimum, maximum, found.off)


def _module(name: str) -> types.ModuleType:
    """The module ``cptref.commands.<name>``, imported (``__import__`` rather than importlib, which a
    scripted call would otherwise import for this alone)."""
    found: types.ModuleType = __import__(f"cptref.commands.{name}", fromlist=["Args"])
    return found


@cache
def command(name: str) -> Command:
    """The command typed as ``name`` (one of :data:`cptref.commands.COMMANDS`)."""
    return read(name, _module(COMMANDS[name]))


@cache
def root() -> Command:
    """The options of ``cptref`` itself (``--version``, ``--cms``)."""
    return read("cptref", _module(ROOT))
