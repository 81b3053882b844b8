"""What a command's arguments are made of: the metadata an ``Args`` field carries, and the options
several commands share.

A command's arguments are one typed object, its ``Args`` Struct: each field is an argument or an
option, its type the value's type (``bool`` a flag, ``int`` a number, a ``Literal`` a choice, ``str``
text, ``tuple[str, ...]`` many positional values), its default the option's default, and its
``Annotated`` metadata what the command line shows: an :class:`Opt` (flags, help, metavar) or an
:class:`Arg` (the positional arguments), and msgspec's ``Meta(ge=..., le=...)`` for a number's range.
:mod:`cptref.cli.spec` reads them; the fast path and the Typer application are both built from
what it reads, so a flag, a limit or a choice is written once, on the field. Importing this module
imports neither Typer nor rich.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Struct

from cptref.output.formats import offered, option_help


class Opt(Struct, frozen=True):
    """An option's command line: its flags (long first), help, metavar, and for a toggle the flag that
    turns it off (``--no-pager``); ``choices`` for a text option whose values are listed elsewhere
    (``--format``: the format registry)."""

    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    off: str | None = None
    choices: tuple[str, ...] = ()


class Arg(Struct, frozen=True):
    """A command's positional arguments (one field a command): their metavar and help, the values
    allowed (when listed elsewhere), and whether shell completion offers the library's codes."""

    metavar: str
    help: str
    choices: tuple[str, ...] = ()
    complete_codes: bool = False


DataDirs = Annotated[
    str | None,
    Opt(
        ("--data",),
        "Your own data directories (a path list, later ones win per code), layered over the shipped data "
        "(also: CPTREF_DATA).",
        metavar="DIR",
    ),
]
Descriptors = Annotated[
    str | None,
    Opt(
        ("--descriptors",),
        "Your licensed CPT descriptor file (code<TAB>descriptor a line): show prints its text, search indexes it "
        "(also: CPTREF_DESCRIPTORS). cptref ships no AMA text.",
        metavar="FILE",
    ),
]
CMS_HELP = (
    "Your own CMS downloads: folders, zips or files of the NCCI PTP, MUE and add-on code edits and the fee "
    "schedule's PPRRVU file, a path list (also: CPTREF_CMS). Read once, then kept compiled. cptref ships none."
)
CmsPaths = Annotated[str | None, Opt(("--cms",), CMS_HELP, metavar="PATH")]
AsJson = Annotated[bool, Opt(("--json",), "Print one JSON object (stable keys, schema_version) instead of text.")]
Color = Annotated[
    Literal["auto", "always", "never"],
    Opt(
        ("--color",),
        "Colour of the text view: auto (on a terminal, unless NO_COLOR is set), always (also when piped, despite "
        "NO_COLOR), never (plain text).",
        metavar="WHEN",
    ),
]
Format = Annotated[str | None, Opt(("--format",), option_help(), metavar="FORMAT", choices=offered())]
"""``--format``: its choices and help are the format registry's (:mod:`cptref.output.formats`)."""


def fields_help(items: str, command: str) -> str:
    """The help of ``--fields``: the fields of each of ``items`` that ``command``'s output has."""
    from cptref.output.fields import FIELDS

    return f"Keep only these fields of each {items}: {', '.join(FIELDS[command])}."
