"""``cptref list``: the codes the library holds, with their titles."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal

from msgspec import Struct

from cptref.errors import ExitCode, UsageError
from cptref.output.formats import with_formats

from .args import AsJson, Color, DataDirs, Format, Opt, fields_help
from .common import catalog, emit, output_format, selected_fields

if TYPE_CHECKING:
    from cptref.output.text.doc import TextDoc

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


def _code_range(text: str) -> Callable[[str], bool]:
    """``--range``: ``47531-47544`` (both ends kept) or a code prefix (``4753``)."""
    first, dash, last = text.strip().upper().partition("-")
    if dash:
        from cptref.model.codes import CODE_RE

        if not (CODE_RE.fullmatch(first) and CODE_RE.fullmatch(last)):
            raise UsageError(f"--range takes two codes, 47531-47544, or a code prefix, 4753; got {text[:40]!r}")
        return lambda code: first <= code <= last
    if not first or not first.isalnum():
        raise UsageError(f"--range takes two codes, 47531-47544, or a code prefix, 4753; got {text[:40]!r}")
    return lambda code: code.startswith(first)


def run(args: Args) -> int:
    from cptref.output import to_documents
    from cptref.output.documents import LIST_KEYS
    from cptref.output.fields import select
    from cptref.output.formats import Answer

    output = output_format(args.json, args.format)
    selected = selected_fields(args.fields, "list", output)
    keep = _code_range(args.range) if args.range is not None else None
    found = catalog(args.data)
    if args.family is not None and args.family not in found.families:
        known = ", ".join(sorted(found.families))
        raise UsageError(f"no family {args.family[:40]!r}; the families are: {known}")
    codes = [
        to_documents.listed_code(record)
        for record in found
        if (keep is None or keep(record.code))
        and (args.family is None or record.family == args.family)
        and (args.status is None or record.status == args.status)
    ]

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.list_doc(codes)

    rows = [select(c, selected) for c in codes]
    answer = Answer(to_documents.list_document(codes, selected), rows=rows, view=view, columns=selected or LIST_KEYS)
    emit(output, answer, args.color)
    return ExitCode.OK
