"""Text for people: the ONLY module that imports rich (and only inside the functions that draw).

Each answer is first laid out as lines of styled segments (:class:`Doc`); :func:`plain` writes them
as plain text (piped output, ``NO_COLOR``, golden tests) and :func:`to_rich` draws them with rich on
a terminal. The words are the same either way.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct, field

from cptref.model.records import LAY_SECTIONS
from cptref.output.safe_text import visible

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim as Claim
    from cptref.check.results import BatchSummary, Checked, CheckResult, Finding
    from cptref.library.catalog import Catalog
    from cptref.model.records import AddOn, Procedure
    from cptref.output.documents import FamiliesDocument, ListedCode, OfficialFacts, TablesDocument
    from cptref.search.results import Result

Segment = tuple[str, str]
"""(text, style): style is a rich style name, or "" for none."""

CONFIDENCE_STYLE = {"high": "green", "medium": "yellow", "low": "bold red"}


class Line(Struct):
    segments: list[Segment] = field(default_factory=list)
    indent: int = 0
    hang: int = 0
    """Extra indent of wrapped continuation lines."""
    wrap: bool = True
    """False for tabular lines that must stay whole (one search result a line)."""
    fit: bool = False
    """True for a line cut to the width with an ellipsis rather than wrapped (``show``'s brief view)."""

    def add(self, text: str, style: str = "") -> Line:
        """Add ``text``, its control characters made visible (:func:`cptref.safe.visible`): whatever
        came from data or input cannot drive the terminal."""
        if text:
            self.segments.append((visible(text), style))
        return self

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.segments)


class Doc(Struct):
    lines: list[Line] = field(default_factory=list)

    def line(self, text: str = "", style: str = "", indent: int = 0, hang: int = 0) -> Line:
        new = Line(indent=indent, hang=hang).add(text, style)
        self.lines.append(new)
        return new

    def heading(self, text: str) -> None:
        if self.lines:
            self.line()
        self.line(text, "bold underline")


# --- building --------------------------------------------------------------------------------------


def _facts(line: Line, confidence: str, sources: Sequence[str], family: str | None = None) -> Line:
    """Append the provenance of a fact: its confidence (low marked loudly) and source ids."""
    if confidence == "low":
        line.add("  [LOW CONFIDENCE]", CONFIDENCE_STYLE["low"])
        line.add(f" ({', '.join(sources)})", "dim")
    else:
        line.add(f"  ({confidence}; {', '.join(sources)})", "dim")
    if family:
        line.add(f" [family rule: {family}]", "dim")
    return line


def _weaker_primaries(add_on: AddOn) -> str | None:
    """The confidence of an add-on's primary list when it is below the add-on status's own, else None."""
    found = add_on.primaries_confidence
    if not add_on.primaries or found is None or _RANK[found] <= _RANK[add_on.confidence]:
        return None
    return found


def _confidence_words(confidence: str) -> str:
    return "LOW CONFIDENCE" if confidence == "low" else f"{confidence} confidence"


_RANK = {"high": 0, "medium": 1, "low": 2}


def _codes(line: Line, codes: Iterable[str]) -> Line:
    for i, code in enumerate(codes):
        if i:
            line.add(", ")
        line.add(code, "cyan")
    return line


def _note(doc: Doc, note: str | None, indent: int = 4) -> None:
    if note:
        doc.line(f"note: {note}", "italic", indent=indent, hang=6)


class _Citations:
    """Source ids numbered in the order a view first cites them, for the brief view's marks."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def mark(self, confidence: str, sources: Sequence[str]) -> str:
        numbers = " ".join(str(self.ids.setdefault(sid, len(self.ids) + 1)) for sid in sources)
        return f"[{'LOW' if confidence == 'low' else confidence[0].upper()} {numbers}]"


def _fact(doc: Doc, marks: _Citations, text: str, confidence: str, sources: Sequence[str], indent: int = 2) -> None:
    """One fact on one line, cut to the width: its text, then its confidence and numbered sources."""
    line = doc.line(indent=indent)
    line.fit = True
    line.add(marks.mark(confidence, sources), CONFIDENCE_STYLE["low"] if confidence == "low" else "dim")
    line.add(f" {text}")


def _with_codes(codes: Sequence[str], what: str) -> str:
    return f"{', '.join(codes)}: {what}" if codes else what


TABLE_APPLIES = "your AOC table's apply (Official CMS tables, below)"
"""What a view says in place of the record's primaries when the user's AOC table lists the code."""


def brief_doc(catalog: Catalog, record: Procedure, tables: OfficialFacts | None = None) -> Doc:
    """What a coder needs about one code on one screen (about 30 lines at 100 columns): title,
    status, descriptor, add-on and primaries, what it includes and is not reported with (with codes),
    what is reported with it, Medicare values, each fact one line with its confidence (H, M, LOW) and
    numbered sources, listed once at the end. ``--full`` shows everything. With ``tables`` (the user's
    CMS tables), the record's add-on primaries and MUE give way to the tables' where they have one,
    as ``check`` applies them, instead of showing two answers."""
    marks = _Citations()
    doc = Doc()
    head = doc.line().add(record.code, "bold cyan").add("  ").add(record.title, "bold")
    if record.status == "deleted":
        head.add("  [DELETED]", "bold red")
    family = catalog.families.get(record.family) if record.family else None
    meta = doc.line(indent=2)
    meta.fit = True
    meta.add(f"{family.title} ({', '.join(family.ranges)})" if family else " > ".join(record.section), "dim")
    meta.add(f" | units: {record.units or 'once per session'}", "dim")
    if catalog.layered:
        origin = doc.line(f"From: {catalog.origin(record.code)}", "dim", indent=2, hang=2)
        family_from = catalog.family_origin(record.family) if record.family else None
        if family_from is not None:
            origin.add(f"; its family's rules ({record.family}) from {family_from}", "dim")
    official = catalog.official(record.code)
    if official:
        doc.line(indent=2, hang=2).add("Licensed descriptor (your file): ", "bold").add(official)
    doc.line(record.descriptor, indent=2, hang=0)

    add_on = record.add_on
    if add_on is not None:
        primaries = ", ".join(add_on.primaries) if add_on.primaries else "not recorded"
        if tables is not None and tables.aoc:
            primaries = TABLE_APPLIES
        weaker = _weaker_primaries(add_on)
        label = "primaries" if weaker is None else f"primaries ({_confidence_words(weaker)})"
        _fact(doc, marks, f"Add-on code; {label}: {primaries}", add_on.confidence, add_on.sources)
    addons = catalog.derived("addon", record.code)
    if addons:
        line = doc.line("Add-ons reported with it: ", indent=2)
        line.fit = True
        _codes(line, [d.code for d in addons])
    sections = (
        (
            "Includes (not reported separately)",
            [(e.rule.codes, e.rule.what, e.rule.scope, e) for e in catalog.includes(record)],
        ),
        ("Reported with it", [(e.rule.codes, e.rule.what, e.rule.scope, e) for e in catalog.report_with(record)]),
    )
    for title, facts in sections:
        if not facts:
            continue
        doc.line(title, "bold", indent=2)
        for codes, what, scope, eff in facts:
            text = _with_codes(codes, what) + (f" ({scope})" if scope else "") + (" (family)" if eff.family else "")
            _fact(doc, marks, text, eff.rule.confidence, eff.rule.sources, indent=4)
    not_with = catalog.not_with(record)
    excluded_by = catalog.derived("excluded_by", record.code)
    if not_with or excluded_by:
        doc.line("Not reported with", "bold", indent=2)
        for nw in not_with:
            rule = nw.rule
            scope = f" ({rule.scope})" if rule.scope else ""
            ncci = f" (NCCI modifier indicator {rule.modifier_indicator})" if rule.modifier_indicator else ""
            _fact(doc, marks, f"{', '.join(rule.codes)}{scope}{ncci}: {rule.reason}", rule.confidence, rule.sources, 4)
        for d in excluded_by:
            _fact(doc, marks, f"{d.code} (its record says so): {d.what or ''}", d.confidence, d.sources, indent=4)
    included_in = catalog.derived("included_in", record.code)
    if included_in:
        line = doc.line("Included in: ", indent=2)
        line.fit = True
        _codes(line, list(dict.fromkeys(d.code for d in included_in)))
    for event in record.history:  # when the code came into the code set and left it: check reads them
        if event.change == "added":
            _fact(doc, marks, f"In CPT since 1 January {event.year}", event.confidence, event.sources)
        elif event.change == "deleted":
            _fact(doc, marks, f"Deleted as of 1 January {event.year}", event.confidence, event.sources)
    med = record.medicare
    if med is not None and (med.global_period is not None or med.mue is not None):
        mue = f"MUE {med.mue if med.mue is not None else 'not recorded'}"
        if tables is not None and tables.mue:
            mue = "MUE: your MUE table's applies (below)"
        values = [f"global {med.global_period or 'not recorded'}", mue]
        _fact(doc, marks, "Medicare: " + ", ".join(values), med.confidence, med.sources)
    else:
        doc.line("Medicare: not recorded", "dim", indent=2)
    if record.replaced_by:
        _codes(doc.line("Replaced by: ", indent=2), record.replaced_by)
    replaces = catalog.derived("replaces", record.code)
    if replaces:
        _codes(doc.line("Replaces: ", indent=2), [d.code for d in replaces])
    if marks.ids:
        line = doc.line("Sources: ", "dim", indent=2, hang=2)
        for sid, number in marks.ids.items():  # one entry one word: a line breaks between entries
            kind = catalog.sources[sid].kind if sid in catalog.sources else "unknown"
            line.add(f"{number}={sid}({kind}) ", "dim")
    doc.line("--full: notes, history, related codes, plain-language sections, source titles and addresses", "dim")
    return doc


def show_doc(catalog: Catalog, record: Procedure, full: bool = False, tables: OfficialFacts | None = None) -> Doc:
    """One code: the brief view (:func:`brief_doc`), or with ``full`` everything, in reading order
    (with ``tables``, the tables' answers where they replace the record's: see :func:`brief_doc`)."""
    if not full:
        return brief_doc(catalog, record, tables)
    doc = Doc()
    head = doc.line().add(record.code, "bold cyan").add("  ").add(record.title, "bold")
    if record.status == "deleted":
        head.add("  [DELETED]", "bold red")
    family = catalog.families.get(record.family) if record.family else None
    if catalog.layered:
        where = doc.line(f"From: {catalog.origin(record.code)}", "dim", hang=2)
        family_from = catalog.family_origin(record.family) if record.family else None
        if family_from is not None:
            where.add(f"; its family's rules ({record.family}) from {family_from}", "dim")
    meta = doc.line(f"Section: {' > '.join(record.section)}", "dim", hang=2)
    if family:
        meta.add(f" | Family: {family.title} ({', '.join(family.ranges)})", "dim")
    elif record.family:
        meta.add(f" | Family: {record.family}", "dim")

    official = catalog.official(record.code)
    if official:
        doc.heading(f"Official descriptor (from your licensed file {catalog.descriptors_file})")
        doc.line(official, indent=2)
    doc.heading("Descriptor (cptref's own words; not the AMA text)")
    doc.line(record.descriptor, indent=2)
    if family and family.description:
        doc.line(f"Family: {family.description}", "dim", indent=2, hang=2)
    doc.line(f"Units: {record.units or 'one per session (no per-unit counting recorded)'}", indent=2)
    if record.note:
        _note(doc, record.note, indent=2)

    if full and record.lay:
        for name in LAY_SECTIONS:
            value = getattr(record.lay, name)
            if not value:
                continue
            doc.heading(name.replace("_", " ").capitalize())
            if isinstance(value, str):
                doc.line(value, indent=2)
            else:
                for item in value:
                    doc.line(f"- {item}", indent=2, hang=2)

    doc.heading("Add-on status")
    if record.add_on:
        line = doc.line("Add-on code: report only in addition to a primary procedure", indent=2)
        _facts(line, record.add_on.confidence, record.add_on.sources)
        if tables is not None and tables.aoc:
            doc.line(f"Primary codes: {TABLE_APPLIES}", indent=4, hang=4)
        elif record.add_on.primaries:
            line = _codes(doc.line("Primary codes: ", indent=4, hang=4), record.add_on.primaries)
            weaker = _weaker_primaries(record.add_on)
            if weaker is not None:
                style = CONFIDENCE_STYLE["low"] if weaker == "low" else "dim"
                status = record.add_on.confidence
                line.add(f"  ({_confidence_words(weaker)}: the add-on status itself is {status})", style)
        else:
            doc.line("Primary codes: not recorded", indent=4)
        _note(doc, record.add_on.note)
    else:
        doc.line("Not recorded as an add-on: reported on its own", indent=2)
    addons = catalog.derived("addon", record.code)
    if addons:
        doc.line("Add-ons that may be reported with this code:", indent=2)
        for d in addons:
            line = doc.line(indent=4, hang=4).add(d.code, "cyan").add(f" {catalog.title(d.code) or ''}")
            _facts(line, d.confidence, d.sources)

    doc.heading("Includes (already in this code: do not report separately)")
    includes = catalog.includes(record)
    if not includes:
        doc.line("nothing recorded", "dim", indent=2)
    for eff in includes:
        line = doc.line(f"- {eff.rule.what}", indent=2, hang=2)
        if eff.rule.codes:
            _codes(line.add(": "), eff.rule.codes)
        _facts(line, eff.rule.confidence, eff.rule.sources, eff.family)
        _note(doc, eff.rule.note)

    doc.heading("Reported separately (in addition to this code)")
    report_with = catalog.report_with(record)
    if not report_with:
        doc.line("nothing recorded", "dim", indent=2)
    for eff in report_with:
        line = doc.line(f"- {eff.rule.what}", indent=2, hang=2)
        if eff.rule.codes:
            _codes(line.add(": "), eff.rule.codes)
        _facts(line, eff.rule.confidence, eff.rule.sources, eff.family)
        _note(doc, eff.rule.note)

    doc.heading("Do not report with")
    not_with = catalog.not_with(record)
    excluded_by = catalog.derived("excluded_by", record.code)
    if not not_with and not excluded_by:
        doc.line("nothing recorded", "dim", indent=2)
    for nw in not_with:
        line = _codes(doc.line("- ", indent=2, hang=2), nw.rule.codes)
        if nw.rule.scope:
            line.add(f" ({nw.rule.scope})")
        line.add(f": {nw.rule.reason}")
        _facts(line, nw.rule.confidence, nw.rule.sources, nw.family)
        _note(doc, nw.rule.note)
    for d in excluded_by:
        line = doc.line("- ", indent=2, hang=2).add(d.code, "cyan")
        line.add(f" (stated on {d.code}'s record{'; ' + d.scope if d.scope else ''}): {d.what or ''}")
        _facts(line, d.confidence, d.sources, d.family)

    included_in = catalog.derived("included_in", record.code)
    separately = catalog.derived("reported_separately_with", record.code)
    if included_in or separately:
        doc.heading("As a component of other codes")
        for d in included_in:
            line = doc.line("- included in ", indent=2, hang=2).add(d.code, "cyan")
            line.add(f" {catalog.title(d.code) or ''}")
            _facts(line, d.confidence, d.sources, d.family)
        for d in separately:
            line = doc.line("- reported separately with ", indent=2, hang=2).add(d.code, "cyan")
            line.add(f" {catalog.title(d.code) or ''}")
            _facts(line, d.confidence, d.sources, d.family)
            _note(doc, d.note)

    doc.heading("Medicare")
    med = record.medicare
    for label, value in (
        ("Global period", med.global_period if med else None),
        ("MUE (units per day)", med.mue if med else None),
    ):
        line = doc.line(f"{label}: ", indent=2)
        if label.startswith("MUE") and tables is not None and tables.mue:
            line.add("your MUE table's applies (Official CMS tables, below)")
        elif med is None or value is None:
            line.add("not recorded", "dim")
        else:
            _facts(line.add(str(value)), med.confidence, med.sources)
    if med:
        _note(doc, med.note)

    doc.heading("History")
    if not record.history:
        doc.line("not recorded", "dim", indent=2)
    for event in record.history:
        _facts(doc.line(f"- {event.year}: {event.change}", indent=2), event.confidence, event.sources)
        _note(doc, event.note)
    if record.replaced_by:
        _codes(doc.line("Replaced by: ", indent=2, hang=2), record.replaced_by)
    replaces = catalog.derived("replaces", record.code)
    if replaces:
        _codes(doc.line("Replaces deleted: ", indent=2, hang=2), [d.code for d in replaces])

    if record.related:
        doc.heading("Related codes")
        for code in record.related:
            doc.line(indent=2, hang=2).add(code, "cyan").add(f" {catalog.title(code) or '(no record yet)'}")

    ids = sorted(_cited_ids(catalog, record))
    if ids:
        doc.heading("Sources")
        for sid in ids:
            _source_line(doc, catalog, sid, indent=2)
    return doc


def official_doc(facts: OfficialFacts, doc: Doc | None = None) -> Doc:
    """What the user's CMS tables say about one code (``show --cms``); for a code cptref has no record
    of, says so first."""
    doc = doc if doc is not None else Doc()
    if not facts.record:
        head = doc.line().add(facts.code, "bold cyan")
        head.add("  cptref has no record of its own for this code; your CMS tables say:", "bold")
    doc.heading("Official CMS tables (your files; cptref ships none)")
    plain = next((r for r in facts.fee_schedule if r.modifier == ""), None)
    for r in facts.fee_schedule:
        if r.short_descriptor is not None and r is plain:
            doc.line(f"Short descriptor (AMA licensed text, from your file {r.short_descriptor.file}):", indent=2)
            doc.line(r.short_descriptor.text, indent=4, hang=2)
    if plain is not None:
        parts = [f"status {plain.status}"]
        if plain.global_days:
            parts.append(f"global {plain.global_days}")
        for name, value in (
            ("multiple procedure", plain.multiple_procedure),
            ("bilateral", plain.bilateral),
            ("assistant", plain.assistant),
            ("co-surgeon", plain.co_surgeon),
            ("team", plain.team_surgeon),
            ("PC/TC", plain.pctc),
        ):
            if value is not None:
                parts.append(f"{name} {value}")
        if plain.work_rvu is not None:
            parts.append(f"work RVU {plain.work_rvu:g}")
        if plain.facility_total is not None:
            parts.append(f"facility total {plain.facility_total:g}")
        if plain.nonfacility_total is not None:
            parts.append(f"non-facility total {plain.nonfacility_total:g}")
        line = doc.line(f"Fee schedule: {', '.join(parts)}", indent=2, hang=4)
        line.add(f"  ({plain.table}; {plain.row})", "dim")
    elif not facts.fee_schedule:
        doc.line("Fee schedule: no row (or no fee schedule file loaded)", "dim", indent=2)
    for m in facts.mue:
        kind = {1: "line edit", 2: "date of service, policy", 3: "date of service, clinical"}.get(m.indicator, "")
        line = doc.line(f"MUE, {m.setting.replace('_', ' ')}: {m.value} ({kind})", indent=2, hang=4)
        line.add(f"  ({m.table}; {m.row})", "dim")
    if facts.aoc:
        kinds = sorted({a.type for a in facts.aoc})
        listed = [a.primary for a in facts.aoc if a.primary]
        shown = ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")
        line = doc.line(f"Add-on (AOC type {', '.join(map(str, kinds))})", indent=2, hang=4)
        line.add(f": primaries {shown}" if listed else ": primaries defined by the contractor")
        line.add(f"  ({facts.aoc[0].table})", "dim")
    for p in facts.ptp:
        first = ", ".join(r.column2 for r in p.as_column1[:5])
        second = ", ".join(r.column1 for r in p.as_column2[:5])
        line = doc.line(f"NCCI PTP, {p.setting.replace('_', ' ')}: ", indent=2, hang=4)
        line.add(f"column 1 of {len(p.as_column1)} edits in force")
        if first:
            line.add(f" ({first}{' ...' if len(p.as_column1) > 5 else ''})")
        line.add(f"; column 2 of {len(p.as_column2)}")
        if second:
            line.add(f" ({second}{' ...' if len(p.as_column2) > 5 else ''})")
        line.add(f"  ({p.table}; --json lists them all)", "dim")
    return doc


def _source_line(doc: Doc, catalog: Catalog, sid: str, indent: int) -> None:
    """One cited source: its id, title and address."""
    source = catalog.sources.get(sid)
    line = doc.line(indent=indent, hang=4).add(sid, "bold")
    if source:
        line.add(f" ({source.kind})", "dim").add(f": {source.title}")
        if source.url:
            line.add(f" <{source.url}>", "blue")


def _cited_ids(catalog: Catalog, record: Procedure) -> set[str]:
    from cptref.output import to_documents as serialize

    return serialize.cited([serialize.procedure(catalog, record)])


def search_doc(results: Sequence[Result]) -> Doc:
    """A row a result: code, score, title, the words that matched. A code found in the user's PPRRVU
    file (``--cms``) says so on its row; one cptref has no record of shows the file's short
    descriptor as its title, and a last line says whose text that is and which file it came from.
    When some result is not confident, a column marks the weak ones (``search --help`` says what that
    means: every line stays a result's row)."""
    doc = Doc()

    def shown(r: Result) -> str:
        if not r.record and r.short_descriptor is not None:
            return r.short_descriptor.text
        return r.title

    width = max(len(shown(r)) for r in results)
    weak = not all(r.confident for r in results)
    files: list[str] = []
    for r in results:
        line = doc.line().add(r.code, "bold cyan").add(f"  {r.score:5.1f}  ", "green" if r.confident else "yellow")
        if weak:
            line.add("weak  " if not r.confident else "      ", "yellow")
        line.wrap = False
        line.add(shown(r).ljust(min(width, 60)))
        where = "; ".join(f"{f}: {', '.join(ws)}" for f, ws in r.matched.items())
        line.add(f"  [{where}]", "dim")
        if r.origin == "pprrvu":
            if r.record:
                line.add("  (found by its AMA short descriptor in your PPRRVU file)", "yellow")
            elif r.short_descriptor is not None:
                line.add("  (AMA short descriptor, from your PPRRVU file; no cptref record)", "yellow")
            else:
                line.add("  (from your PPRRVU file; no cptref record)", "yellow")
            if r.short_descriptor is not None and r.short_descriptor.file not in files:
                files.append(r.short_descriptor.file)
    if files:
        doc.line()
        doc.line(
            f"Short descriptors: AMA licensed text, from your file {', '.join(files)}, shown only to you "
            "(cptref ships none). `cptref show CODE` with the same --cms says what your tables hold for a code.",
            "dim",
            hang=2,
        )
    return doc


def list_doc(codes: Sequence[ListedCode]) -> Doc:
    """``cptref list``: a row a code: the code, its title, its family (and add-on, deleted marks)."""
    doc = Doc()
    if not codes:
        doc.line("no code of the library matches these filters", "dim")
        return doc
    width = min(max(len(c.title) for c in codes), 70)
    for c in codes:
        line = doc.line().add(c.code, "bold cyan").add("  ")
        line.wrap = False
        line.add(c.title.ljust(width))
        marks = [
            m for m in (c.family, "add-on" if c.add_on else None, "DELETED" if c.status == "deleted" else None) if m
        ]
        if marks:
            line.add(f"  [{', '.join(marks)}]", "dim")
    return doc


def families_doc(document: FamiliesDocument) -> Doc:
    """``cptref families``: a family a paragraph: id, ranges, how many codes, title."""
    doc = Doc()
    for f in document.families:
        line = doc.line().add(f.id, "bold").add(f"  {', '.join(f.ranges)}", "cyan")
        line.add(f"  {len(f.codes)} code{'s' * (len(f.codes) != 1)}", "dim")
        doc.line(f.title, indent=2, hang=2)
    total = sum(len(f.codes) for f in document.families)
    doc.line()
    doc.line(f"{len(document.families)} families, {total} codes in them; `cptref list --family ID` lists one.", "dim")
    return doc


def tables_doc(document: TablesDocument) -> Doc:
    """``cptref tables``: a table a paragraph (id, dates, parts, rows, files), then the files not loaded
    and those set aside."""
    doc = Doc()
    for t in document.tables:
        dates = f"{t.starts} to {t.ends}" if t.starts else "dates unknown"
        line = doc.line(hang=4).add(t.id, "bold").add(f"  in force {dates}", "cyan")
        state = "verifies claims of its dates" if t.verifies else "does NOT verify claims"
        line.add(f"  {state}", "green" if t.verifies else "bold red")
        parts = f"parts {', '.join(f'f{p}' for p in t.parts)}; " if t.parts else ""
        missing = f"missing {', '.join(f'f{p}' for p in t.missing_parts)}; " if t.missing_parts else ""
        rejected = f", {t.rows_rejected:,} rejected" if t.rows_rejected else ""
        rows = f"{t.rows_loaded:,} row{'s' * (t.rows_loaded != 1)} loaded of {t.rows_read:,} read{rejected}"
        doc.line(f"{t.table}; {parts}{missing}{rows}", indent=2, hang=2)
        for file in t.files:
            doc.line(file, "dim", indent=4, hang=2)
    if not document.tables:
        doc.line("No CMS table was loaded.", "bold red")
    for title, files, style in (("Not loaded", document.failed, "bold red"), ("Skipped", document.skipped, "dim")):
        if files:
            doc.line()
            doc.line(f"{title} ({len(files)}):", style)
            for item in files:
                doc.line(indent=2, hang=4).add(item.file).add(f": {item.reason}", "dim")
    doc.line()
    doc.line(
        f"{len(document.tables)} table{'s' * (len(document.tables) != 1)}, {len(document.failed)} file"
        f"{'s' * (len(document.failed) != 1)} not loaded, {len(document.skipped)} skipped; {document.errors} "
        f"error{'s' * (document.errors != 1)} and {document.warnings} warning{'s' * (document.warnings != 1)} in the "
        "files (`cptref validate --cms PATH` lists each).",
        "dim",
    )
    return doc


# --- output ----------------------------------------------------------------------------------------


def _one_row(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ")


def plain(doc: Doc, width: int = 100) -> str:
    """The document as plain text, wrapped at ``width`` columns."""
    out: list[str] = []
    for line in doc.lines:
        text = line.text
        pad = " " * line.indent
        if not text or not line.wrap:  # a row stays one row: a line break or tab in it is a space
            out.append(pad + _one_row(text) if text else "")
            continue
        if line.fit:
            row = pad + _one_row(text)
            out.append(row if len(row) <= width else row[: max(width - 1, len(pad) + 8)].rstrip() + "…")
            continue
        out.extend(
            textwrap.wrap(
                text,
                width=max(width, line.indent + line.hang + 20),
                initial_indent=pad,
                subsequent_indent=pad + " " * line.hang,
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
    return "\n".join(out) + "\n"


def to_rich(
    doc: Doc, file: Any = None, color: bool = True, width: int | None = None, force: bool = False, page: bool = False
) -> None:
    """Draw the document with rich: on a terminal, or anywhere with ``force`` (``--color always``:
    ANSI colours even into a pipe, ``width`` columns wide). ``page`` sends it through :func:`page`."""
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=file,
        no_color=not color,
        highlight=False,
        soft_wrap=False,
        width=width,
        force_terminal=True if force else None,
        color_system="standard" if force else "auto",
    )
    with console.capture() if page else contextlib.nullcontext() as captured:
        for line in doc.lines:
            text = Text()
            for segment, style in line.segments:
                text.append(segment, style=style or None)
            if not line.wrap:  # a table row stays whole, as in plain text
                row = Text(" " * line.indent) + Text(_one_row(text.plain), spans=text.spans)
                console.print(row, no_wrap=True, overflow="ignore", crop=False)
                continue
            if line.fit:  # cut to the width, as plain text cuts it
                row = Text(" " * line.indent) + Text(_one_row(text.plain), spans=text.spans)
                row.truncate(max(console.width, line.indent + 9), overflow="ellipsis")
                console.print(row, no_wrap=True, overflow="ellipsis", crop=False)
                continue
            # wrapped as plain text wraps it: continuation lines indented by the line's hang
            room = max(console.width - line.indent - line.hang, 1)
            for i, part in enumerate(text.wrap(console, room, overflow="fold") or [Text()]):
                part.rstrip()
                pad = line.indent + (line.hang if i else 0)
                console.print(Text(" " * pad) + part, no_wrap=True, overflow="ignore", crop=False)
    if captured is not None:
        pager(captured.get())


TextMode = Literal["color", "mono", "plain"]
"""How text is drawn: rich with colour, rich without colour, or :func:`plain` text."""


def text_mode(color: str, tty: bool, environ: Mapping[str, str]) -> TextMode:
    """``--color``: ``always`` draws colour even when piped and despite ``NO_COLOR``; ``never``
    writes plain text; ``auto`` draws colour on a terminal, without colour when ``NO_COLOR`` is set
    (to anything but the empty string), and plain text when piped."""
    if color == "always":
        return "color"
    if color == "never" or not tty:
        return "plain"
    return "mono" if environ.get("NO_COLOR") else "color"


def screen() -> tuple[int, int]:
    """The columns and lines of the terminal: ``COLUMNS`` and ``LINES`` when set (to a positive
    number), else the terminal's own size, else 100 x 24 (piped output, or a terminal of size 0)."""
    import os
    import sys

    def given(name: str) -> int:
        try:
            return int(os.environ[name])
        except (KeyError, ValueError):
            return 0

    # as shutil.get_terminal_size says it (importing shutil costs every command a millisecond or two)
    columns, lines = given("COLUMNS"), given("LINES")
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((0, 0))
        columns = columns if columns > 0 else size.columns or 100
        lines = lines if lines > 0 else size.lines or 24
    return columns, lines


def pager(text: str) -> None:
    """Show ``text`` on the terminal through ``$PAGER`` (run by the shell, as git does), else
    ``less``, with ``LESS=FRX`` unless ``LESS`` is set (colours pass through, one screen quits).
    ``PAGER`` set empty or to ``cat``, or a pager that cannot be found, writes the text straight out.
    The paging itself is pydoc's (Ctrl-C belongs to the pager while it runs)."""
    import os
    import pydoc
    import shlex
    import shutil
    import sys

    command = os.environ.get("PAGER", "less").strip()
    try:
        program = shlex.split(command)[0] if command else ""
    except ValueError:  # unbalanced quotes: the shell could not run it either
        program = ""
    if command in ("", "cat") or shutil.which(program) is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    os.environ.setdefault("LESS", "FRX")
    import signal

    try:  # Ctrl-C belongs to the pager (less uses it to stop a search) while it runs
        previous: Any = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        pydoc.pipepager(text, command)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


# --- check -----------------------------------------------------------------------------------------

SEVERITY_STYLE = {"error": "bold red", "warning": "bold yellow", "info": "blue"}


def _counts(findings: Sequence[Finding]) -> str:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity] += 1
    words = {"error": ("error", "errors"), "warning": ("warning", "warnings"), "info": ("info", "info")}
    return ", ".join(f"{n} {words[k][n != 1]}" for k, n in counts.items() if n)


def _claim_codes(result: CheckResult) -> str:
    return ", ".join(str(line) for line in result.lines) or "no codes"


_BY = {
    "official-fact": "library facts read from CMS tables",
    "library": "cptref's library only",
    "nothing": "nothing",
}


def checked_text(checked: Checked) -> str:
    """One short line: what checked each kind of edit (``checked: pairs ptp/practitioner/32.3r0 ...``)."""
    parts = []
    for name, answer in (
        ("pairs", checked.pairs),
        ("units", checked.units),
        ("add-ons", checked.add_ons),
        ("status", checked.status),
    ):
        if answer.by == "not-needed":
            continue
        parts.append(f"{name} {answer.table if answer.by == 'table' else _BY[answer.by]}")
    return "checked: " + "; ".join(parts)


def check_doc(
    catalog: Catalog,
    result: CheckResult,
    explain: bool = False,
    claim: Claim | None = None,
    doc: Doc | None = None,
    official: bool = False,
) -> Doc:
    """The verdict on a set of codes, then each finding with its fix and provenance.

    With ``explain``, each finding also shows the rule's text, the recorded fact and its sources.
    ``claim`` (batch checking) names the claim and its line; ``doc`` is appended to when given;
    ``official`` says the user's CMS tables were applied.
    """
    from cptref.check.engine import explanation

    doc = doc if doc is not None else Doc()
    head = doc.line(hang=4)
    if claim is not None:
        head.add(f"claim {claim.id if claim.id is not None else '(no id)'} (line {claim.line}): ", "bold")
    if not result.ok:
        head.add("NOT OK", "bold red")
    elif result.verified:
        head.add("OK", "bold green")
    else:
        head.add("NOT VERIFIED", "bold yellow")
    head.add(f"  {_claim_codes(result)}", "cyan")
    if result.lines:
        doc.line(checked_text(result.checked), "dim", indent=2, hang=2)
    if not result.findings:
        head.add(": no findings")
        what = "these codes from being reported together" if len(result.codes) > 1 else "this code from being reported"
        if official:
            said = f"Nothing the library or your CMS tables record keeps {what} (payer policy still applies)."
        else:
            said = f"Nothing the library records keeps {what} (payer policy and NCCI edits still apply: --cms)."
        doc.line(said, indent=2, hang=2)
        return doc
    head.add(f": {_counts(result.findings)}")
    if result.ok and not result.verified:
        head.add("; no error, but not verified: see the warnings")
    for f in result.findings:
        line = doc.line(indent=2, hang=2).add(f.severity.upper(), SEVERITY_STYLE[f.severity])
        line.add(f" {f.rule}", "bold").add("  ")
        _codes(line, f.codes)
        doc.line(f.message, indent=4, hang=2)
        if f.fix:
            doc.line(indent=4, hang=5).add("fix: ", "bold").add(f.fix)
        where = doc.line(indent=4, hang=4)
        if f.table is not None:
            where.add(f"rests on: your CMS table {f.table}; {f.row}", "dim")
        elif f.confidence is not None:
            where.add("rests on: ", "dim")
            if f.confidence == "low":
                where.add("[LOW CONFIDENCE]", CONFIDENCE_STYLE["low"]).add(" fact", "dim")
            else:
                where.add(f"a {f.confidence}-confidence fact", "dim")
            where.add(f" ({', '.join(f.sources)})", "dim")
            if f.family:
                where.add(f" [family rule: {f.family}]", "dim")
        elif f.stated_on and f.fact:
            where.add(f"rests on: {f.stated_on}'s record ({f.fact}); no source is given for it", "dim")
        if not where.segments:
            doc.lines.pop()
        if explain:
            doc.line(indent=4, hang=6).add("rule: ", "bold").add(explanation(f.rule))
            if f.fact:
                line = doc.line(indent=4, hang=10).add("recorded: ", "bold").add(f.fact)
                if f.family:
                    line.add(f" (family rule {f.family}, applied to {f.stated_on})", "dim")
                elif f.stated_on:
                    line.add(f" (on {f.stated_on}'s record)", "dim")
            if f.note:
                doc.line(indent=4, hang=6).add("note: ", "bold").add(f.note, "italic")
            if f.sources:
                doc.line("sources:", "bold", indent=4)
                for sid in f.sources:
                    _source_line(doc, catalog, sid, indent=6)
    return doc


def check_summary(summary: BatchSummary) -> str:
    """One line for stderr after a batch: every line read, as claims checked (stopped, not verified,
    verified) and lines that were not claims (malformed and reported, header, blank), then the
    findings by rule."""

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' * (count != 1)}"

    verified = summary.claims - summary.with_errors - summary.unverified
    text = (
        f"{n(summary.lines, 'line')} read: {n(summary.claims, 'claim')} checked ({summary.with_errors} with errors, "
        f"{summary.unverified} not verified, {verified} verified), {n(summary.skipped, 'malformed line')} "
        f"reported and skipped, {n(summary.headers, 'header line')}, {n(summary.blank, 'blank line')}"
    )
    if summary.by_rule:
        rules = ", ".join(f"{rule} {k}" for rule, k in sorted(summary.by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        text += f"; findings by rule: {rules}"
    else:
        text += "; no findings"
    return text


def progress_line(done: int, total: int, claims: int, width: int = 30) -> str:
    """A one-line progress bar (no rich: it is drawn with ``\\r`` on stderr, also beside --jsonl)."""
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    filled = int(share * width)
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {share:4.0%}  {claims:,} claims"


class ProgressBar:
    """A progress bar on stderr for long work (an index rebuild), drawn only once work is reported.

    Use as ``with ProgressBar("Indexing records") as bar: work(progress=bar)``; ``bar(done, total)``
    starts the bar on its first call, so a command with nothing to rebuild draws nothing.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=total)
        self._progress.update(self._task, completed=done, total=total)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
