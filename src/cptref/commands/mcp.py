"""``cptref mcp``: cptref's answers as tools for AI assistants (a Model Context Protocol server, stdio)."""

from __future__ import annotations

from msgspec import Struct

from cptref.errors import ExitCode

from .args import CmsPaths, DataDirs, Descriptors

HELP = """Serve cptref's answers to an AI assistant: a Model Context Protocol server on stdin/stdout.

A desktop assistant or an editor starts `cptref mcp` itself and calls its
tools: show, search, check, list, families and tables. Each answers with the
document `cptref COMMAND ... --json` prints (its schema is `cptref schema
COMMAND`) and the command's text view, with every fact's sources and
confidence. A question cptref cannot answer is an error result holding the
message the command prints.

The library and the CMS tables (--data, --descriptors, --cms, or
CPTREF_DATA, CPTREF_DESCRIPTORS, CPTREF_CMS) are opened once, at start; a
change to your files is seen when the assistant starts cptref again.
Read-only: nothing is fetched from a network and nothing is written but
cptref's own cache. Messages go to stderr (the assistant's log); it ends
when the assistant closes stdin.

Needs the MCP SDK: pip install 'cptref[mcp]' (without it, exit 2).

Examples:
  cptref mcp --cms ~/Downloads/ncci-2026q4
  claude mcp add cptref -- /full/path/to/cptref mcp
  CPTREF_CMS=~/Downloads/ncci cptref mcp --data ~/my-codes"""


class Args(Struct, frozen=True, kw_only=True):
    """``cptref mcp``'s arguments."""

    data: DataDirs = None
    descriptors: Descriptors = None
    cms: CmsPaths = None


def run(args: Args) -> int:
    """Serve until the client closes stdin (exit 0); without the SDK, one line naming the extra (exit 2)."""
    from cptref.mcp.server import require_sdk, serve

    require_sdk()
    serve(args.data, args.cms, args.descriptors)
    return ExitCode.OK
