"""``cptref tables``: the CMS tables read from the user's downloads, with the dates each is in force."""

from __future__ import annotations

from msgspec import Struct

from cptref.errors import ExitCode
from cptref.output import streams
from cptref.output.formats import dumps

from .args import AsJson, CmsPaths, Color
from .common import cms_tables, emit_text

HELP = """List the CMS tables read from your downloads, with the dates each is in force.

For each table: its id (kind/setting/version, as a checked claim's "checked"
names it), the quarter it is in force for (told from its version or file names:
PTP v32.3 is October to December 2026), its parts (a PTP table comes in four:
f1-f4), its rows, and whether it verifies claims (read whole, dates known). Then
every file that could not be loaded (it keeps claims from being verified) and
every file set aside on purpose (a readme, a second copy, another quarter's
revision), each with why. Exit 0 when every table was read whole and no file
failed; 3 otherwise; 2 when no --cms path (or CPTREF_CMS) is given. --json prints
{"schema_version", "paths", "compiled", "tables", "failed", "skipped", ...}.

Examples:
  cptref tables --cms ~/Downloads/ncci-2026q4
  cptref tables --json | jq -r '.tables[] | "\\(.id) \\(.starts) \\(.ends)"'"""


class Args(Struct, frozen=True, kw_only=True):
    """``cptref tables``' arguments."""

    json: AsJson = False
    cms: CmsPaths = None
    color: Color = "auto"


def run(args: Args) -> int:
    """``cptref tables``: the CMS tables read, with their dates, and every file skipped or not loaded."""
    from cptref.replies.build import named_cms, tables_reply

    paths = named_cms(args.cms)
    found = cms_tables(args.cms, quiet=True, required=False)
    assert found is not None
    with found:
        reply = tables_reply(found.summary(), paths)
    if args.json:
        streams.write(dumps(reply.answer.document))
    else:
        assert reply.answer.view is not None
        emit_text(reply.answer.view(), args.color)
    return ExitCode.OK if reply.answer.document.ok else ExitCode.DATA
