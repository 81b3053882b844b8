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
    from cptref.output import to_documents

    found = catalog(args.data)
    document = to_documents.families_document(found)
    if args.json:
        streams.write(dumps(document))
        return ExitCode.OK
    from cptref.output.text import views as text_views

    emit_text(text_views.families_doc(document), args.color)
    return ExitCode.OK
