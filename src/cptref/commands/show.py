"""``cptref show``: what codes mean, include, and are reported with, with sources."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from msgspec import Struct

from cptref.errors import ExitCode, UnknownCode, UsageError
from cptref.output import streams

from .args import Arg, AsJson, CmsPaths, Color, DataDirs, Descriptors, Opt, fields_help
from .common import catalog, cms_tables, emit, emit_text

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure

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


PREFIX_SHOWN = 10
"""The most codes a prefix given to show names on stderr (``cptref search PREFIX`` lists them all)."""


def asked_codes(texts: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """What ``show``'s arguments ask for: the codes (trimmed, upper-cased, each once, in order), the
    code prefixes (one to four digits), and a note for each claim line (``47534-RT``, ``47542x2``),
    whose code is shown and whose modifiers and units are not. Anything else is a malformed code
    (:class:`~cptref.errors.MalformedCode`), before any file is read."""
    from cptref.check.lines import parse_line
    from cptref.errors import MalformedCode
    from cptref.model.codes import CODE_RE, normalize_code

    codes: list[str] = []
    prefixes: list[str] = []
    notes: list[str] = []
    for text in texts:
        bare = text.strip().upper()
        line = parse_line(bare) if not CODE_RE.fullmatch(bare) else None
        if line is not None:
            parts = ", ".join([*(f"-{m}" for m in line.modifiers), *([f"x{line.units}"] if line.units > 1 else [])])
            notes.append(
                f"{text.strip()}: showing {line.code}; show ignores a claim line's modifiers and units ({parts})"
            )
            code = line.code
        elif 1 <= len(bare) <= 4 and bare.isascii() and bare.isdigit():
            if bare not in prefixes:
                prefixes.append(bare)
            continue
        else:
            try:
                code = normalize_code(text)
            except MalformedCode:
                raise MalformedCode(text) from None
        if code not in codes:
            codes.append(code)
    return codes, prefixes, notes


def _prefix_message(prefix: str, begun: Sequence[str]) -> str:
    if not begun:
        return (
            f"{prefix} is not a whole code, and no code of cptref's library begins with it; "
            "`cptref search WORDS` finds codes by words"
        )
    named = ", ".join(begun[:PREFIX_SHOWN]) + (
        f" and {len(begun) - PREFIX_SHOWN} more" if len(begun) > PREFIX_SHOWN else ""
    )
    count = f"{len(begun)} code{'s' * (len(begun) != 1)}"
    listing = f"cptref search {prefix}" if len(prefix) >= 3 else f"cptref list --range {prefix}"
    return (
        f"{prefix} is not a whole code: it begins {count}, {named}; "
        f"`{listing}` lists {'them with their titles' if len(begun) > 1 else 'it with its title'}, "
        "`cptref show CODE` shows one"
    )


def run(args: Args) -> int:
    """The records of the codes asked for. A claim line shows its code (a note on stderr says its
    modifiers and units are not); a code prefix names the codes it begins on stderr; an unknown
    code is named on stderr with the codes it may mean. Every known code is shown either way; exit
    1 when any code asked for is unknown or only a prefix."""
    from cptref.output import to_documents
    from cptref.output.documents import PROCEDURE_KEYS, UnknownView
    from cptref.output.fields import parse_fields
    from cptref.output.formats import Answer

    if args.json:
        selected = parse_fields(args.fields, PROCEDURE_KEYS)  # before any file is read
    elif args.fields is not None:
        raise UsageError("--fields selects fields of JSON output: add --json")
    wanted, prefixes, notes = asked_codes(args.codes)
    for note in notes:
        streams.warn(note)
    cms = cms_tables(args.cms)
    try:
        only_official = _only_in_tables(wanted, args.data, cms)
        found, records, unknown = records_to_show(
            [c for c in wanted if c not in only_official], args.data, args.descriptors
        )
        by_code = {r.code: r for r in records}
        shown = [c for c in wanted if c in by_code or c in only_official]
        today = datetime.date.today()
        official = [to_documents.official_facts(cms, c, c not in only_official, today) for c in shown] if cms else []
    finally:
        if cms is not None:
            cms.close()
    missing = {u.code: u for u in unknown}
    begun = {p: [c for c in found.codes() if c.startswith(p)] for p in prefixes}
    order = [a for a in (*wanted, *prefixes) if a in missing or a in begun]
    problems = [str(missing[a]) if a in missing else _prefix_message(a, begun[a]) for a in order]
    if args.json:
        listed = [UnknownView(a, list(missing[a].suggestions) if a in missing else begun[a]) for a in order]
        emit("json", Answer(to_documents.show_document(found, records, selected, official, listed)))
    elif shown:
        from cptref.output.text import doc as text_doc
        from cptref.output.text import official as text_official
        from cptref.output.text import show as text_show

        doc = text_doc.TextDoc()
        for i, code in enumerate(shown):
            if i:
                doc.line()
                doc.line("-" * 40, "dim")
                doc.line()
            if code in by_code:
                facts = official[i] if official else None
                doc.lines.extend(text_show.show_doc(found, by_code[code], full=args.full, tables=facts).lines)
            if official:
                text_official.official_doc(official[i], doc)
        emit_text(doc, args.color, page=args.full and args.pager)
    for problem in problems:
        streams.warn(problem)
    return ExitCode.NOT_FOUND if problems else ExitCode.OK


def _only_in_tables(wanted: Sequence[str], data: str | None, cms: CmsTables | None) -> set[str]:
    """The codes asked for that only the CMS tables know (no record); none without tables."""
    if cms is None:
        return set()
    from cptref.check.rules.base import knows
    from cptref.errors import DataErrors
    from cptref.library import paths
    from cptref.library.catalog import load_catalog
    from cptref.library.read import layer_codes

    try:
        known = set(load_catalog(paths.layers(data)).codes())
    except DataErrors:  # a broken file elsewhere: the file names say which codes have a record
        known = {code for root in paths.layers(data) for code in layer_codes(root)}
    return {c for c in wanted if c not in known and knows(cms, c, "practitioner")}


def records_to_show(
    codes: Sequence[str], data: str | None, descriptors: str | None = None
) -> tuple[Catalog, list[Procedure], list[UnknownCode]]:
    """The catalog, the records of ``codes`` that it has, and an :class:`~cptref.errors.UnknownCode`
    for each of the others (in the order given); malformed codes fail before any file is read."""
    from cptref.errors import DataErrors
    from cptref.library.catalog import load_for
    from cptref.model.codes import normalize_code

    wanted = list(dict.fromkeys(normalize_code(c) for c in codes))
    missing: dict[str, UnknownCode] = {}
    try:
        found = catalog(data, descriptors, touched=wanted)
    except DataErrors as exc:
        if any(p.field == "$" and "folder" in p.message for p in exc.problems):
            raise
        from cptref.library import paths

        while True:  # shared files broken: what show needs, each unknown code left out in turn
            try:
                found = load_for([c for c in wanted if c not in missing], paths.layers(data), descriptors)
                break
            except UnknownCode as unknown:
                missing[unknown.code] = unknown
    records = []
    for code in wanted:
        if code in missing:
            continue
        try:
            records.append(found.get(code))
        except UnknownCode as unknown:
            missing[code] = unknown
    return found, records, [missing[c] for c in wanted if c in missing]
