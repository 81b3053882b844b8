"""``cptref show``: what codes mean, include, and are reported with, with sources."""

from __future__ import annotations

from typing import Annotated

from msgspec import Struct

from cptref.errors import ExitCode, UsageError
from cptref.output import streams

from .args import Arg, AsJson, CmsPaths, Color, DataDirs, Descriptors, Opt, fields_help
from .common import cms_tables, emit, emit_text

HELP = """Show what codes mean, include, and are reported with, with sources.

Prints the descriptor (in cptref's own words), units, add-on status and
primary codes, add-ons reported with the code, what it already includes
(imaging guidance, supervision and interpretation), what is reported
separately, do-not-report-with rules, Medicare values, history, related
codes, and each fact's sources and confidence. Low-confidence facts are
marked.

On a terminal the text is in colour (--color; NO_COLOR turns it off), and
--full text longer than the screen goes through a pager (--no-pager).
Piped, it is plain text wrapped at COLUMNS (else 100 columns).

Every code cptref knows is shown even when another is not: each unknown
code is one line on stderr, with the codes it may mean, and the exit status
is 1. A claim line (47534-RT, 47542x2) shows its code; its modifiers and
units are ignored (a note on stderr says so; cptref check reads them). A
code prefix (4753) names the codes it begins on stderr, and exits 1.

--json prints {"schema_version", "procedures", "official", "sources",
"unknown"}: unknown lists the codes (and prefixes) not found, each with the
codes it may mean. --fields keeps only some fields of each procedure
(cptref schema show describes them).

Examples:
  cptref show 47555
  cptref show 47534-RT 47542x2
  cptref show 47542 50706 --full
  cptref show 47555 --json
  cptref show 47542 50706 --json --fields code,title,units
  cptref show 47555 --color always | less -R"""

_Codes = Annotated[
    tuple[str, ...],
    Arg(
        "CODE...",
        "One or more codes (47555), claim lines (47534-RT, 47542x2) or code prefixes (4753).",
        complete_codes=True,
    ),
]
_Full = Annotated[bool, Opt(("--full",), "Add the plain-language sections (purpose, steps, risks, recovery ...).")]
_Fields = Annotated[str | None, Opt(("--fields",), fields_help("procedure (with --json)", "show"), metavar="A,B")]
_Pager = Annotated[
    bool,
    Opt(("--pager",), "On a terminal, page --full text longer than the screen ($PAGER, else less).", off="--no-pager"),
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref show``'s arguments."""

    codes: _Codes
    json: AsJson = False
    full: _Full = False
    data: DataDirs = None
    descriptors: Descriptors = None
    cms: CmsPaths = None
    fields: _Fields = None
    color: Color = "auto"
    pager: _Pager = True


def run(args: Args) -> int:
    """The records of the codes asked for. A claim line shows its code (a note on stderr says its
    modifiers and units are not); a code prefix names the codes it begins on stderr; an unknown
    code is named on stderr with the codes it may mean. Every known code is shown either way; exit
    1 when any code asked for is unknown or only a prefix."""
    from cptref.output.documents import PROCEDURE_KEYS
    from cptref.output.fields import parse_fields
    from cptref.output.formats import Answer
    from cptref.replies.build import asked_codes, show_reply

    selected = None
    if args.json:
        selected = parse_fields(args.fields, PROCEDURE_KEYS)  # before any file is read
    elif args.fields is not None:
        raise UsageError("--fields selects fields of JSON output: add --json")
    wanted, prefixes, notes = asked_codes(args.codes)
    for note in notes:
        streams.warn(note)
    cms = cms_tables(args.cms)
    try:
        reply = show_reply(wanted, prefixes, args.data, args.descriptors, cms, full=args.full, fields=selected)
    finally:
        if cms is not None:
            cms.close()
    if args.json:
        emit("json", Answer(reply.answer.document))
    elif reply.answer.view is not None:
        emit_text(reply.answer.view(), args.color, page=args.full and args.pager)
    for problem in reply.problems:
        streams.warn(problem)
    return ExitCode.NOT_FOUND if reply.problems else ExitCode.OK
