"""``cptref families``: the families of codes the library covers."""

from __future__ import annotations

from msgspec import Struct

from cptref.errors import ExitCode
from cptref.output import streams
from cptref.output.formats import dumps

from .args import AsJson, Color, DataDirs
from .common import catalog, emit_text

HELP = """List the families of codes cptref's library covers: id, code ranges, how many codes.

A family groups codes whose rules hold for every member (what they include,
what they are not reported with). --json prints {"schema_version",
"families"}.

Examples:
  cptref families
  cptref families --json | jq -r '.families[] | "\\(.id) \\(.ranges)"'"""


class Args(Struct, frozen=True, kw_only=True):
    """``cptref families``' arguments."""

    json: AsJson = False
    data: DataDirs = None
    color: Color = "auto"


def run(args: Args) -> int:
    from cptref.replies.build import families_reply

    reply = families_reply(catalog(args.data))
    if args.json:
        streams.write(dumps(reply.answer.document))
        return ExitCode.OK
    assert reply.answer.view is not None
    emit_text(reply.answer.view(), args.color)
    return ExitCode.OK
