"""``cptref schema``: the JSON Schema of a command's ``--json`` output."""

from __future__ import annotations

from typing import Annotated

from msgspec import Struct

from cptref.errors import ExitCode, UsageError
from cptref.output import schema as schemas
from cptref.output import streams
from cptref.output.fields import FIELDS, parse_fields
from cptref.output.formats import dumps

from .args import Arg, Opt

HELP = """Print the JSON Schema (draft 2020-12) of a command's --json output.

Every key is described. With no COMMAND, prints one object keyed by
command (show, search, check, validate ...), each value a whole schema, so
`cptref schema | jq .check` equals `cptref schema check`. --jsonl gives
the schema of one line of `search --format jsonl` (a result), of
`check --jsonl` (a claim) and of `changes --jsonl` (a change or a claim,
told apart by its kind).

schema_version changes only when a field is removed or changes meaning;
fields may be added without a change, so ignore keys you do not know.

Examples:
  cptref schema show
  cptref schema check --jsonl
  cptref schema search --fields code,title
  cptref schema | jq 'keys'"""

_Command = Annotated[
    str | None,
    Arg(
        "[COMMAND]",
        "show, search, check, list, families, validate, pack, tables or changes (default: all).",
        choices=schemas.JSON_COMMANDS,
    ),
]
_Jsonl = Annotated[
    bool, Opt(("--jsonl",), "The schema of one line of JSON Lines output (search, check, list, changes).")
]
_Fields = Annotated[
    str | None,
    Opt(("--fields",), "The schema of output narrowed by the same --fields (show, search, check).", metavar="A,B"),
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref schema``'s arguments."""

    command: _Command = None
    jsonl: _Jsonl = False
    fields: _Fields = None


def run(args: Args) -> int:
    command, fields = args.command, args.fields
    if command is None:
        if fields is not None:
            raise UsageError("--fields narrows one command's schema: name it (cptref schema show --fields code)")
        streams.write(dumps(schemas.every(args.jsonl)))
        return ExitCode.OK
    if fields is not None and command not in FIELDS:
        raise UsageError(f"{command} has no --fields")
    selected = parse_fields(fields, FIELDS.get(command, ()))
    streams.write(dumps(schemas.schema(command, args.jsonl, selected)))
    return ExitCode.OK
