"""``cptref search``: codes found from loose words, typos, abbreviations or a partial code."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from cptref.errors import ExitCode
from cptref.output.formats import with_formats

from .args import Arg, AsJson, CmsPaths, Color, DataDirs, Descriptors, Format, Opt, fields_help
from .common import catalog, cms_tables, emit, output_format, selected_fields

HELP = with_formats(
    """Find codes from loose words, typos, abbreviations or a partial code.

Matches code, title, synonyms, descriptor and lay summary; word order,
case and punctuation do not matter, and misspellings are corrected against
the library's words (not a word of English or medicine of its own: "port"
stays "port"). Each result shows its score (0-100) and which words matched
which field; on a tie, the code whose title says least beyond the words
comes first.

A result is confident at a score of 85 or more: its code holds every word
(in its title, synonyms or descriptor). Below 85 it is weak, marked so:
some word matches nothing in the code, or only loosely. When no result is
confident, the words are about something cptref's library does not cover:
search says so on stderr, with what the library covers, and exits 1.

With your CMS tables (--cms, CPTREF_CMS), the codes of your own PPRRVU file
are searched too, by code and short descriptor: those cptref has no record
of, and records none of whose own words match. Each such result says it
came from your file, and its short descriptor is labelled as the AMA's
licensed text; the records keep their scores and their order.

Output (--format): table, the text view (colour on a terminal: --color,
NO_COLOR); plain, a tab-separated line a result (code, title, score,
matched); json (also --json), {"schema_version", "query", "results"};
jsonl, one result object a line; csv, a header line then a row a result.
--fields picks the fields of each result (and the columns of csv and plain);
JSON gives each result's confident (true or false).

Exit status: 0 with a confident result (or one from your PPRRVU file); 1
when no result is confident; 2 usage.

Examples:
  cptref search "balloon dilation biliary"
  cptref search biliarry stricure
  cptref search 4755
  cptref search PTBD --json
  cptref search nephrostomy --format csv --fields code,title > codes.csv
  cptref search drainage --format jsonl | jq -r .code
  cptref search "drain exchange" --cms ~/Downloads/ncci --json"""
)

_Query = Annotated[tuple[str, ...], Arg("WORDS...", "Words, abbreviations or a code prefix.")]
_Limit = Annotated[int, Meta(ge=1, le=1000), Opt(("--limit", "-n"), "Show at most N results.")]
_Fields = Annotated[
    str | None, Opt(("--fields",), fields_help("result (not with the table view)", "search"), metavar="A,B")
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref search``'s arguments."""

    query: _Query
    limit: _Limit = 10
    json: AsJson = False
    data: DataDirs = None
    descriptors: Descriptors = None
    cms: CmsPaths = None
    format: Format = None
    fields: _Fields = None
    color: Color = "auto"


def run(args: Args) -> int:
    from cptref.replies.build import query_text, search_reply

    output = output_format(args.json, args.format)
    selected = selected_fields(args.fields, "search", output)
    text = query_text(args.query)
    found = catalog(args.data, args.descriptors)
    tables = cms_tables(args.cms)
    try:
        reply = search_reply(found, tables, text, args.limit, selected)
    finally:
        if tables is not None:
            tables.close()
    emit(output, reply.answer, args.color)
    return ExitCode.OK
