"""The tools of ``cptref mcp``: their arguments, bounds, descriptions and schemas.

Each tool's arguments are a msgspec Struct, as the output documents are (:mod:`cptref.output.documents`):
the input schema is generated from it (:func:`input_schema`) and the arguments are decoded with it
(:func:`decode`), so what a tool declares and what it accepts cannot drift apart. Its output schema is
``cptref schema COMMAND``'s (:func:`output_schema`). Every input is bounded: a call over a bound is
refused with the bound in its message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from cptref.errors import MalformedCode, UsageError
from cptref.model.records import about
from cptref.search.query import MAX_QUERY_CHARS

MAX_CODES = 20
"""The most codes one ``show`` call takes: a show document is 15 to 25 kB of JSON a code."""
MAX_LINES = 100
"""The most lines one ``check`` call takes: twice what a professional claim holds (an 837P has at most 50
service lines); ``cptref check --file`` checks longer claims."""
MAX_ITEM_CHARS = 40
"""The longest code or claim line taken (``77002-26-59-RT-XSx10`` is 21 characters)."""
MAX_NAME_CHARS = 200
"""The longest family, range or date taken (the command quotes at most 40 characters of one back)."""
LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 1000, 10
"""``search``'s limit: ``cptref search --limit``'s range and default (a test holds them equal)."""


class ShowInput(Struct, frozen=True, forbid_unknown_fields=True):
    """What codes mean, what they already include, what they are reported with and not with, with the
    sources and confidence of each fact."""

    codes: Annotated[
        list[Annotated[str, Meta(max_length=MAX_ITEM_CHARS)]],
        Meta(min_length=1, max_length=MAX_CODES),
        about(
            f"One to {MAX_CODES} CPT or HCPCS codes (47555, 0213T, C1729), claim lines (47534-RT, 47542x2: "
            "their modifiers and units are ignored here) or code prefixes (4753: the codes it begins are named)."
        ),
    ]
    full: Annotated[
        bool,
        about(
            "The text view of --full: also the plain-language sections, history, related codes and each "
            "source's title and address (the structured answer holds all of it either way)."
        ),
    ] = False


class SearchInput(Struct, frozen=True, forbid_unknown_fields=True):
    """Codes ranked by how well loose words (typos, abbreviations, part of a code) match them, each with
    the words that matched where, and whether the match is confident."""

    query: Annotated[
        str,
        Meta(max_length=MAX_QUERY_CHARS),
        about(
            "Words, abbreviations (PTC, PTBD, PCN, ERCP) or a code prefix (4755), at most "
            f"{MAX_QUERY_CHARS} characters."
        ),
    ]
    limit: Annotated[
        int,
        Meta(ge=LIMIT_MIN, le=LIMIT_MAX),
        about(f"At most this many results (default {LIMIT_DEFAULT})."),
    ] = LIMIT_DEFAULT


class CheckInput(Struct, frozen=True, forbid_unknown_fields=True):
    """Whether the lines of one claim can be reported together, and every finding against them."""

    lines: Annotated[
        list[Annotated[str, Meta(max_length=MAX_ITEM_CHARS)]],
        Meta(min_length=1, max_length=MAX_LINES),
        about(
            f"The claim's lines, one to {MAX_LINES}: CODE[-MOD...][xN] (47542, 47542-59, 50432-RT, 77002-26, "
            "47542x2, C1729). A line given twice counts as more units."
        ),
    ]
    date: Annotated[
        Annotated[str, Meta(max_length=MAX_NAME_CHARS, extra_json_schema={"format": "date"})] | None,
        about(
            "The date of service, YYYY-MM-DD (default: today): the CMS edits in force on it apply, and a code "
            "deleted or added by then is a finding."
        ),
    ] = None
    setting: Annotated[
        Literal["practitioner", "hospital"],
        about("Whose CMS PTP and MUE tables apply: practitioner services or outpatient hospital services."),
    ] = "practitioner"
    explain: Annotated[
        bool,
        about("Also the suggestions that rest on a low-confidence fact, and each rule's text in the text view."),
    ] = False


class ListInput(Struct, frozen=True, forbid_unknown_fields=True):
    """The codes the library holds (those the filters keep), in code order, with their titles."""

    family: Annotated[
        Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None,
        about("Only the codes of this family (the families tool lists them)."),
    ] = None
    range: Annotated[
        Annotated[str, Meta(max_length=MAX_NAME_CHARS)] | None,
        about("Only the codes in this range (47531-47544) or with this prefix (4753)."),
    ] = None
    status: Annotated[Literal["active", "deleted"] | None, about("Only active or only deleted codes.")] = None


class FamiliesInput(Struct, frozen=True, forbid_unknown_fields=True):
    """The families of codes the library covers: what cptref can answer about."""


class TablesInput(Struct, frozen=True, forbid_unknown_fields=True):
    """The CMS tables read from the user's downloads, with the dates each is in force."""


class Tool(Struct, frozen=True):
    """One tool: its name (the command's), title, the type of its arguments, and what it is for."""

    name: str
    title: str
    input: type[Struct]
    description: str


TOOLS: tuple[Tool, ...] = (
    Tool(
        "show",
        "Show codes",
        ShowInput,
        "What CPT/HCPCS codes mean (in cptref's own words, never the AMA's), which codes they must be reported "
        "with (an add-on's primaries), what they already include (not reported separately), what is reported "
        "separately, what is not reported together with them, Medicare values and history; with the user's CMS "
        "tables, what those say of each code. Every fact carries its sources and confidence. The same answer as "
        "`cptref show CODE... --json`.",
    ),
    Tool(
        "search",
        "Search codes by words",
        SearchInput,
        "The codes whose code, title, synonyms, descriptor or lay summary match some words, best first, with a "
        "score (0-100), the words that matched in each field, and whether the match is confident (85 or more). "
        "A query about something the library does not cover is an error that says what it covers. The same "
        "answer as `cptref search WORDS --json`.",
    ),
    Tool(
        "check",
        "Check a claim's codes",
        CheckInput,
        "Whether the lines of one claim can be reported together on a date of service: each finding (an "
        "add-on without its primary, a service already included, codes not reported together, units, the "
        "NCCI PTP/MUE/add-on edits of the user's CMS tables) with its rule, severity, codes, fix, and the "
        "sources and confidence of the fact behind it. The claim is stopped (ok false), verified (the official "
        "tables in force on its date checked it: see checked) or not verified. The same answer as "
        "`cptref check LINE... --json`.",
    ),
    Tool(
        "list",
        "List the library's codes",
        ListInput,
        "The codes cptref's library holds, with their titles, status, family and whether each is an add-on. "
        "The same answer as `cptref list --json`.",
    ),
    Tool(
        "families",
        "List the families of codes covered",
        FamiliesInput,
        "The families of codes cptref's library covers (each with its ranges and codes): what cptref can "
        "answer about. The same answer as `cptref families --json`.",
    ),
    Tool(
        "tables",
        "List the CMS tables loaded",
        TablesInput,
        "The CMS tables (NCCI PTP, MUE, add-on code edits, the fee schedule's PPRRVU file) read from the user's "
        "own downloads, the dates each is in force, whether it verifies claims, and every file not loaded or "
        "set aside, with why. An error when the server was started without CMS tables. The same answer as "
        "`cptref tables --json`.",
    ),
)
BY_NAME = {tool.name: tool for tool in TOOLS}
"""The tools by name."""

INSTRUCTIONS = (
    "cptref is an offline CPT coding reference. Its answers come from its own library of cited facts and, "
    "when the user named them, the user's own CMS tables (NCCI edits, fee schedule). Cite the sources and "
    "confidence an answer gives; say when a fact is of low confidence or not recorded. cptref's descriptors "
    "are its own words, not the AMA's; AMA text appears only from the user's own licensed files, labelled. "
    "`check` verifies a claim only when the official tables in force on its date of service checked it."
)
"""What the server tells an assistant about itself (the ``instructions`` of its handshake)."""


def input_schema(kind: type[Struct]) -> dict[str, Any]:
    """The JSON Schema of a tool's arguments, generated by msgspec from their Struct (draft 2020-12, the
    dialect MCP assumes): an object whose keys are described, unknown keys refused."""
    _, parts = msgspec.json.schema_components([kind], ref_template="#/$defs/{name}")
    part = parts[kind.__name__]
    return {
        "type": "object",
        "title": kind.__name__,
        "description": part.get("description", ""),
        "properties": part.get("properties", {}),
        "required": part.get("required", []),
        "additionalProperties": False,
    }


def output_schema(tool: str) -> dict[str, Any]:
    """The JSON Schema of a tool's structured content: ``cptref schema TOOL``'s, generated from the same
    document types the command prints."""
    from cptref.output import schema as schemas

    return schemas.schema(tool)


def decode_arguments(tool: Tool, arguments: Mapping[str, Any] | None) -> Any:
    """The arguments of a call as the tool's input Struct. The bounds are checked first, each with the
    message the command line gives for it where it has one (a query over 500 characters, a malformed
    code) and one in its voice otherwise; then the types, with msgspec's message naming the key."""
    raw = dict(arguments or {})
    _bounded(tool.name, raw)
    try:
        return msgspec.convert(raw, tool.input, strict=True)
    except msgspec.ValidationError as exc:
        raise UsageError(f"{tool.name}: {exc}") from None


def _bounded(name: str, raw: Mapping[str, Any]) -> None:
    if name == "search" and isinstance(raw.get("query"), str) and len(raw["query"]) > MAX_QUERY_CHARS:
        from cptref.search.query import parse_query

        parse_query(raw["query"])  # the command's own message: at most 500 characters are searched
    items = raw.get("codes" if name == "show" else "lines") if name in ("show", "check") else None
    if not isinstance(items, list):
        return
    if name == "show":
        if len(items) > MAX_CODES:
            raise UsageError(f"show takes at most {MAX_CODES} codes at a time, got {len(items)}: ask in parts")
        for item in items:
            if isinstance(item, str) and len(item) > MAX_ITEM_CHARS:
                raise MalformedCode(item)  # no code or claim line is that long: the command's message
        return
    if len(items) > MAX_LINES:
        raise UsageError(
            f"check takes at most {MAX_LINES} claim lines at a time, got {len(items)}; "
            "`cptref check --file` checks longer claims"
        )
    for i, item in enumerate(items, 1):
        if isinstance(item, str) and len(item) > MAX_ITEM_CHARS:
            raise UsageError(
                f"claim line {i} is {len(item)} characters long; a claim line, CODE[-MOD...][xN], is at most "
                f"{MAX_ITEM_CHARS} here"
            )
