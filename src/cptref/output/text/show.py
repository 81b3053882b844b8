"""``cptref show`` as text: the brief view (one screen) and the full one (``--full``); what the user's
CMS tables say of a code (``--cms``) is :mod:`.official`.

Both views open with the same header (:func:`header`): the code and title, and where the record and
its family's rules came from when several data directories are layered. A field of the record the
views do not lay out themselves (:data:`LAID_OUT`) is shown in both under its own name
(:func:`other_fields`), so a new field of :class:`~cptref.model.records.Procedure` reaches the text
before anyone writes its layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from cptref.model.records import LAY_SECTIONS

from .doc import CONFIDENCE_STYLE, TextDoc, add_codes, add_note, provenance, source_line

if TYPE_CHECKING:
    from cptref.library.catalog import Catalog
    from cptref.model.records import AddOn, Procedure
    from cptref.output.cms_documents import OfficialFacts


def _weaker_primaries(add_on: AddOn) -> str | None:
    """The confidence of an add-on's primary list when it is below the add-on status's own, else None."""
    found = add_on.primaries_confidence
    if not add_on.primaries or found is None or _RANK[found] <= _RANK[add_on.confidence]:
        return None
    return found


def _confidence_words(confidence: str) -> str:
    return "LOW CONFIDENCE" if confidence == "low" else f"{confidence} confidence"


_RANK = {"high": 0, "medium": 1, "low": 2}


class _Citations:
    """Source ids numbered in the order a view first cites them, for the brief view's marks."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def mark(self, confidence: str, sources: Sequence[str]) -> str:
        numbers = " ".join(str(self.ids.setdefault(sid, len(self.ids) + 1)) for sid in sources)
        return f"[{'LOW' if confidence == 'low' else confidence[0].upper()} {numbers}]"


def _fact(doc: TextDoc, marks: _Citations, text: str, confidence: str, sources: Sequence[str], indent: int = 2) -> None:
    """One fact on one line, cut to the width: its text, then its confidence and numbered sources."""
    line = doc.line(indent=indent)
    line.fit = True
    line.add(marks.mark(confidence, sources), CONFIDENCE_STYLE["low"] if confidence == "low" else "dim")
    line.add(f" {text}")


def _with_codes(codes: Sequence[str], what: str) -> str:
    return f"{', '.join(codes)}: {what}" if codes else what


LAID_OUT: frozenset[str] = frozenset(
    [
        *("code", "status", "title", "descriptor", "section", "family", "units", "synonyms", "add_on", "includes"),
        *("report_with", "not_with", "medicare", "history", "replaced_by", "related", "lay", "note"),
    ]
)
"""The fields of a record the views lay out themselves (``synonyms`` are search's: no view shows them).
Any other field of the record is shown by :func:`other_fields` in both views."""


def header(record: Procedure) -> TextDoc:
    """A view's first line: the code, its title, and whether it is deleted."""
    doc = TextDoc()
    head = doc.line().add(record.code, "bold cyan").add("  ").add(record.title, "bold")
    if record.status == "deleted":
        head.add("  [DELETED]", "bold red")
    return doc


def origin(doc: TextDoc, catalog: Catalog, record: Procedure, indent: int) -> None:
    """Where the record (and its family's rules) came from, when several data directories are layered."""
    if not catalog.layered:
        return
    line = doc.line(f"From: {catalog.origin(record.code)}", "dim", indent=indent, hang=2)
    family_from = catalog.family_origin(record.family) if record.family else None
    if family_from is not None:
        line.add(f"; its family's rules ({record.family}) from {family_from}", "dim")


def _value_text(value: Any) -> str:
    if isinstance(value, Struct):
        shown = ((name, getattr(value, name)) for name in value.__struct_fields__)
        return "; ".join(f"{name}: {_value_text(v)}" for name, v in shown if v not in (None, (), ""))
    if isinstance(value, tuple | list):
        return ", ".join(_value_text(v) for v in value)
    return str(value)


def other_fields(doc: TextDoc, record: Procedure, indent: int, heading: str | None = None) -> None:
    """The fields of ``record`` no view lays out (not in :data:`LAID_OUT`), each under its own name, in
    the record's order; nothing for a field not recorded."""
    found = [(name, getattr(record, name)) for name in record.__struct_fields__ if name not in LAID_OUT]
    found = [(name, value) for name, value in found if value not in (None, (), "")]
    if found and heading is not None:
        doc.heading(heading)
    for name, value in found:
        doc.line(indent=indent, hang=2).add(f"{name.replace('_', ' ').capitalize()}: ", "bold").add(_value_text(value))


TABLE_APPLIES = "your AOC table's apply (Official CMS tables, below)"
"""What a view says in place of the record's primaries when the user's AOC table lists the code."""


def brief_doc(catalog: Catalog, record: Procedure, tables: OfficialFacts | None = None) -> TextDoc:
    """What a coder needs about one code on one screen (about 30 lines at 100 columns): title,
    status, descriptor, add-on and primaries, what it includes and is not reported with (with codes),
    what is reported with it, Medicare values, each fact one line with its confidence (H, M, LOW) and
    numbered sources, listed once at the end. ``--full`` shows everything. With ``tables`` (the user's
    CMS tables), the record's add-on primaries and MUE give way to the tables' where they have one,
    as ``check`` applies them, instead of showing two answers."""
    marks = _Citations()
    doc = header(record)
    family = catalog.family_of(record)
    meta = doc.line(indent=2)
    meta.fit = True
    meta.add(f"{family.title} ({', '.join(family.ranges)})" if family else " > ".join(record.section), "dim")
    meta.add(f" | units: {record.units or 'once per session'}", "dim")
    origin(doc, catalog, record, indent=2)
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
        add_codes(line, [d.code for d in addons])
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
        add_codes(line, list(dict.fromkeys(d.code for d in included_in)))
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
        add_codes(doc.line("Replaced by: ", indent=2), record.replaced_by)
    replaces = catalog.derived("replaces", record.code)
    if replaces:
        add_codes(doc.line("Replaces: ", indent=2), [d.code for d in replaces])
    other_fields(doc, record, indent=2)
    if marks.ids:
        line = doc.line("Sources: ", "dim", indent=2, hang=2)
        for sid, number in marks.ids.items():  # one entry one word: a line breaks between entries
            kind = catalog.sources[sid].kind if sid in catalog.sources else "unknown"
            line.add(f"{number}={sid}({kind}) ", "dim")
    doc.line("--full: notes, history, related codes, plain-language sections, source titles and addresses", "dim")
    return doc


def show_doc(catalog: Catalog, record: Procedure, full: bool = False, tables: OfficialFacts | None = None) -> TextDoc:
    """One code: the brief view (:func:`brief_doc`), or with ``full`` everything, in reading order
    (with ``tables``, the tables' answers where they replace the record's: see :func:`brief_doc`)."""
    if not full:
        return brief_doc(catalog, record, tables)
    doc = header(record)
    family = catalog.family_of(record)
    origin(doc, catalog, record, indent=0)
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
        add_note(doc, record.note, indent=2)

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
        provenance(line, record.add_on.confidence, record.add_on.sources)
        if tables is not None and tables.aoc:
            doc.line(f"Primary codes: {TABLE_APPLIES}", indent=4, hang=4)
        elif record.add_on.primaries:
            line = add_codes(doc.line("Primary codes: ", indent=4, hang=4), record.add_on.primaries)
            weaker = _weaker_primaries(record.add_on)
            if weaker is not None:
                style = CONFIDENCE_STYLE["low"] if weaker == "low" else "dim"
                status = record.add_on.confidence
                line.add(f"  ({_confidence_words(weaker)}: the add-on status itself is {status})", style)
        else:
            doc.line("Primary codes: not recorded", indent=4)
        add_note(doc, record.add_on.note)
    else:
        doc.line("Not recorded as an add-on: reported on its own", indent=2)
    addons = catalog.derived("addon", record.code)
    if addons:
        doc.line("Add-ons that may be reported with this code:", indent=2)
        for d in addons:
            line = doc.line(indent=4, hang=4).add(d.code, "cyan").add(f" {catalog.title(d.code) or ''}")
            provenance(line, d.confidence, d.sources)

    for title, rules in (
        ("Includes (already in this code: do not report separately)", catalog.includes(record)),
        ("Reported separately (in addition to this code)", catalog.report_with(record)),
    ):
        doc.heading(title)
        if not rules:
            doc.line("nothing recorded", "dim", indent=2)
        for eff in rules:
            line = doc.line(f"- {eff.rule.what}", indent=2, hang=2)
            if eff.rule.codes:
                add_codes(line.add(": "), eff.rule.codes)
            provenance(line, eff.rule.confidence, eff.rule.sources, eff.family)
            add_note(doc, eff.rule.note)

    doc.heading("Do not report with")
    not_with = catalog.not_with(record)
    excluded_by = catalog.derived("excluded_by", record.code)
    if not not_with and not excluded_by:
        doc.line("nothing recorded", "dim", indent=2)
    for nw in not_with:
        line = add_codes(doc.line("- ", indent=2, hang=2), nw.rule.codes)
        if nw.rule.scope:
            line.add(f" ({nw.rule.scope})")
        line.add(f": {nw.rule.reason}")
        provenance(line, nw.rule.confidence, nw.rule.sources, nw.family)
        add_note(doc, nw.rule.note)
    for d in excluded_by:
        line = doc.line("- ", indent=2, hang=2).add(d.code, "cyan")
        line.add(f" (stated on {d.code}'s record{'; ' + d.scope if d.scope else ''}): {d.what or ''}")
        provenance(line, d.confidence, d.sources, d.family)

    included_in = catalog.derived("included_in", record.code)
    separately = catalog.derived("reported_separately_with", record.code)
    if included_in or separately:
        doc.heading("As a component of other codes")
        for d in included_in:
            line = doc.line("- included in ", indent=2, hang=2).add(d.code, "cyan")
            line.add(f" {catalog.title(d.code) or ''}")
            provenance(line, d.confidence, d.sources, d.family)
        for d in separately:
            line = doc.line("- reported separately with ", indent=2, hang=2).add(d.code, "cyan")
            line.add(f" {catalog.title(d.code) or ''}")
            provenance(line, d.confidence, d.sources, d.family)
            add_note(doc, d.note)

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
            provenance(line.add(str(value)), med.confidence, med.sources)
    if med:
        add_note(doc, med.note)

    doc.heading("History")
    if not record.history:
        doc.line("not recorded", "dim", indent=2)
    for event in record.history:
        provenance(doc.line(f"- {event.year}: {event.change}", indent=2), event.confidence, event.sources)
        add_note(doc, event.note)
    if record.replaced_by:
        add_codes(doc.line("Replaced by: ", indent=2, hang=2), record.replaced_by)
    replaces = catalog.derived("replaces", record.code)
    if replaces:
        add_codes(doc.line("Replaces deleted: ", indent=2, hang=2), [d.code for d in replaces])

    if record.related:
        doc.heading("Related codes")
        for code in record.related:
            doc.line(indent=2, hang=2).add(code, "cyan").add(f" {catalog.title(code) or '(no record yet)'}")

    other_fields(doc, record, indent=2, heading="Other fields")
    ids = sorted(_cited_ids(catalog, record))
    if ids:
        doc.heading("Sources")
        for sid in ids:
            source_line(doc, catalog, sid, indent=2)
    return doc


def _cited_ids(catalog: Catalog, record: Procedure) -> set[str]:
    from cptref.output import to_documents

    return to_documents.cited([to_documents.procedure_view(catalog, record)])


# --- output ----------------------------------------------------------------------------------------


# --- check -----------------------------------------------------------------------------------------
