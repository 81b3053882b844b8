"""Each command's answer as a :class:`Reply`, built from what is already open.

The command line (:mod:`cptref.commands`) opens the library and the CMS tables, builds the reply
here and writes it in the format asked for; the MCP server (:mod:`cptref.mcp`) builds the very same
replies from what it opened at start. So a tool's structured answer is ``cptref COMMAND --json``'s
document and its text the command's text view, by construction.

What a command's arguments mean is here too, for the same reason: the codes ``show`` is asked for
(:func:`asked_codes`), a query (:func:`query_text`), ``--range`` (:func:`code_range`), ``--date``
(:func:`service_date`), ``--setting`` (:data:`SETTING_OF`) and the CMS paths ``tables`` needs
(:func:`named_cms`). Nothing here writes to stdout; the lines a command says on stderr are the
reply's :attr:`~Reply.notes` and :attr:`~Reply.problems`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec import Struct

from cptref.errors import UnknownCode, UsageError
from cptref.output.formats import Answer

from .opened import catalog

if TYPE_CHECKING:
    from cptref.check.engine import CheckTables
    from cptref.check.results import CheckResult
    from cptref.cms import CmsTables
    from cptref.cms.models import CmsSummary
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure
    from cptref.output.text.doc import TextDoc


class Reply(Struct, kw_only=True):
    """A command's answer: what any format writes (:attr:`answer`), and what it says on stderr."""

    answer: Answer
    """The ``--json`` document (narrowed by ``--fields`` when given), the rows, the text view (None: the
    command draws none, as ``show`` when no code asked for was found)."""
    notes: list[str] = msgspec.field(default_factory=list)
    """Lines said on stderr that are no failure (``show``'s claim lines: their modifiers are ignored)."""
    problems: list[str] = msgspec.field(default_factory=list)
    """Lines said on stderr that are a failure (exit 1; an MCP error result): ``show``'s unknown codes
    and prefixes, each after the answer, which names the others."""


class CheckReply(Reply, kw_only=True):
    """``check``'s reply for one claim, with the result it was drawn from (its exit status)."""

    result: CheckResult


# --- show ------------------------------------------------------------------------------------------

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


def prefix_message(prefix: str, begun: Sequence[str]) -> str:
    """What ``show`` says of a code prefix: the codes it begins (or that none does), and how to list them."""
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


def _usable(opened: Catalog | None, codes: Sequence[str]) -> Catalog | None:
    """``opened`` (a catalog opened earlier, the MCP server's) when no file an answer about ``codes``
    needs is broken; None otherwise (the command's own way reads what it needs again)."""
    if opened is None or (opened.problems and (opened.broken_shared or opened.broken_for(codes))):
        return None
    return opened


def only_in_tables(
    wanted: Sequence[str], data: str | None, cms: CmsTables | None, opened: Catalog | None = None
) -> set[str]:
    """The codes asked for that only the CMS tables know (no record); none without tables."""
    if cms is None:
        return set()
    from cptref.check.rules.base import knows

    if opened is not None and not opened.problems:
        known = set(opened.codes())
    else:
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
    codes: Sequence[str], data: str | None, descriptors: str | None = None, opened: Catalog | None = None
) -> tuple[Catalog, list[Procedure], list[UnknownCode]]:
    """The catalog, the records of ``codes`` that it has, and an :class:`~cptref.errors.UnknownCode`
    for each of the others (in the order given); malformed codes fail before any file is read. From
    ``opened`` (a catalog opened earlier) when no file these codes need is broken."""
    from cptref.errors import DataErrors
    from cptref.library.catalog import load_for
    from cptref.model.codes import normalize_code

    wanted = list(dict.fromkeys(normalize_code(c) for c in codes))
    missing: dict[str, UnknownCode] = {}
    found = _usable(opened, wanted)
    if found is None:
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


def show_reply(
    wanted: Sequence[str],
    prefixes: Sequence[str],
    data: str | None,
    descriptors: str | None,
    cms: CmsTables | None,
    full: bool = False,
    fields: Sequence[str] | None = None,
    opened: Catalog | None = None,
) -> Reply:
    """``show``: the records of the codes asked for (:func:`asked_codes`), the CMS tables' facts of
    each, and a problem for each code unknown and each prefix. The view is None when no code is shown."""
    from cptref.output import to_documents
    from cptref.output.documents import UnknownView

    only_official = only_in_tables(wanted, data, cms, opened)
    found, records, unknown = records_to_show([c for c in wanted if c not in only_official], data, descriptors, opened)
    by_code = {r.code: r for r in records}
    shown = [c for c in wanted if c in by_code or c in only_official]
    today = datetime.date.today()
    official = [to_documents.official_facts(cms, c, c not in only_official, today) for c in shown] if cms else []
    missing = {u.code: u for u in unknown}
    begun = {p: [c for c in found.codes() if c.startswith(p)] for p in prefixes}
    order = [a for a in (*wanted, *prefixes) if a in missing or a in begun]
    problems = [str(missing[a]) if a in missing else prefix_message(a, begun[a]) for a in order]
    listed = [UnknownView(a, list(missing[a].suggestions) if a in missing else begun[a]) for a in order]

    def view() -> TextDoc:
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
                doc.lines.extend(text_show.show_doc(found, by_code[code], full=full, tables=facts).lines)
            if official:
                text_official.official_doc(official[i], doc)
        return doc

    document = to_documents.show_document(found, records, fields, official, listed)
    return Reply(answer=Answer(document, view=view if shown else None), problems=problems)


# --- search ----------------------------------------------------------------------------------------


def query_text(words: Sequence[str]) -> str:
    """The words of a query as one string, refused (empty, too long) before any file is read."""
    from cptref.search.query import parse_query

    text = " ".join(words)
    parse_query(text)
    return text


def search_reply(
    found: Catalog, cms: CmsTables | None, text: str, limit: int, fields: Sequence[str] | None = None
) -> Reply:
    """``search``: the results of ``text`` (:func:`query_text`), best first; a query no result answers
    with confidence (outside the library) fails with what the library covers. With CMS tables, the
    codes of the user's PPRRVU file are searched too."""
    from cptref.output import to_documents
    from cptref.output.documents import RESULT_COLUMNS
    from cptref.output.fields import select
    from cptref.search.rank import search
    from cptref.search.results import confident

    results = list(confident(found, text, search(found, text, limit=limit, cms=cms)))

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.search_doc(results)

    rows = [to_documents.search_result(r) for r in results]
    answer = Answer(
        to_documents.search_document(text, results, fields),
        rows=[select(r, fields) for r in rows],
        view=view,
        columns=fields or RESULT_COLUMNS,
    )
    return Reply(answer=answer)


# --- check -----------------------------------------------------------------------------------------

SETTING_OF = {"practitioner": "practitioner", "hospital": "outpatient_hospital"}
"""``--setting`` as the CMS tables name their settings."""


def service_date(text: str | None) -> datetime.date:
    """``--date``: a date written YYYY-MM-DD, else today."""
    if text is None:
        return datetime.date.today()
    from cptref.check.inputs.base import parse_date

    found = parse_date(text)
    if found is None:
        raise UsageError(f"--date must be a date written YYYY-MM-DD, got {text[:40]!r}")
    return found


def check_reply(
    found: Catalog,
    tables: CheckTables,
    lines: Sequence[str],
    date: datetime.date,
    explain: bool = False,
    fields: Sequence[str] | None = None,
) -> CheckReply:
    """``check`` of one claim: its result, the check document (with what checked it) and the view."""
    from cptref.check import engine
    from cptref.check.results import FINDING_KEYS
    from cptref.output import to_documents

    result = engine.check(tables, lines, date, explain=explain)

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.check_doc(found, result, explain=explain, official=tables.cms is not None)

    answer = Answer(
        to_documents.check_document(result, tables.title, fields),
        rows=result.findings,
        view=view,
        columns=fields or FINDING_KEYS,
    )
    return CheckReply(answer=answer, result=result)


# --- list, families, tables ------------------------------------------------------------------------


def code_range(text: str) -> Callable[[str], bool]:
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


def list_reply(
    found: Catalog,
    family: str | None = None,
    keep: Callable[[str], bool] | None = None,
    status: str | None = None,
    fields: Sequence[str] | None = None,
) -> Reply:
    """``list``: the library's codes that ``family``, ``keep`` (:func:`code_range`) and ``status`` keep."""
    from cptref.output import to_documents
    from cptref.output.documents import LIST_KEYS
    from cptref.output.fields import select

    if family is not None and family not in found.families:
        known = ", ".join(sorted(found.families))
        raise UsageError(f"no family {family[:40]!r}; the families are: {known}")
    codes = [
        to_documents.listed_code(record)
        for record in found
        if (keep is None or keep(record.code))
        and (family is None or record.family == family)
        and (status is None or record.status == status)
    ]

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.list_doc(codes)

    rows = [select(c, fields) for c in codes]
    answer = Answer(to_documents.list_document(codes, fields), rows=rows, view=view, columns=fields or LIST_KEYS)
    return Reply(answer=answer)


def families_reply(found: Catalog) -> Reply:
    """``families``: the families of codes the library covers."""
    from cptref.output import to_documents

    document = to_documents.families_document(found)

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.families_doc(document)

    return Reply(answer=Answer(document, view=view))


NO_CMS = "no CMS tables are named: give --cms PATH (your downloads) or set CPTREF_CMS"
"""What ``tables`` says when no CMS path is named."""


def named_cms(cms: str | None) -> list[Path]:
    """The CMS paths named (``--cms``, else ``$CPTREF_CMS``); a usage error when there are none."""
    from cptref.library.paths import cms_paths

    paths = cms_paths(cms)
    if not paths:
        raise UsageError(NO_CMS)
    return paths


def tables_reply(summary: CmsSummary, paths: Sequence[Path]) -> Reply:
    """``tables``: the CMS tables read from ``paths``, with their dates, and every file not loaded or
    set aside (the document's ``ok`` says whether every table was read whole)."""
    import os

    from cptref.output import to_documents

    document = to_documents.tables_document(summary, [os.fsdecode(p) for p in paths])

    def view() -> TextDoc:
        from cptref.output.text import views as text_views

        return text_views.tables_doc(document)

    return Reply(answer=Answer(document, view=view))
