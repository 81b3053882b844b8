"""``cptref list``: the codes the library holds, with their titles."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Struct

from cptref.errors import ExitCode
from cptref.output.formats import with_formats

from .args import AsJson, Color, DataDirs, Format, Opt, fields_help
from .common import catalog, emit, output_format, selected_fields

HELP = with_formats(
    """List the codes cptref's library holds, with their titles.

Filters: --family ID (see cptref families), --range 47531-47544 (or a code
prefix such as 4753), --status active|deleted. Output (--format): table, the
text view; plain, a tab-separated line a code; json (also --json),
{"schema_version", "codes"}; jsonl, one code a line; csv, a header then a row a
code. --fields picks the fields of each code.

Examples:
  cptref list
  cptref list --family percutaneous-biliary
  cptref list --range 5043 --json | jq -r '.codes[].code'
  cptref list --status deleted --format csv"""
)

_Family = Annotated[str | None, Opt(("--family",), "Only the codes of this family (cptref families).", metavar="ID")]
_Range = Annotated[
    str | None,
    Opt(("--range",), "Only the codes in this range (47531-47544) or with this prefix (4753).", metavar="RANGE"),
]
_Status = Annotated[
    Literal["active", "deleted"] | None, Opt(("--status",), "Only active or only deleted codes.", metavar="STATUS")
]
_Fields = Annotated[
    str | None, Opt(("--fields",), fields_help("code (not with the table view)", "list"), metavar="A,B")
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref list``'s arguments."""

    family: _Family = None
    range: _Range = None
    status: _Status = None
    json: AsJson = False
    data: DataDirs = None
    format: Format = None
    fields: _Fields = None
    color: Color = "auto"


def run(args: Args) -> int:
    from cptref.replies.build import code_range, list_reply

    output = output_format(args.json, args.format)
    selected = selected_fields(args.fields, "list", output)
    keep = code_range(args.range) if args.range is not None else None
    reply = list_reply(catalog(args.data), args.family, keep, args.status, selected)
    emit(output, reply.answer, args.color)
    return ExitCode.OK
