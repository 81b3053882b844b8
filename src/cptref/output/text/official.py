"""What the user's CMS tables say of a code, as text (``show --cms``): its fee schedule row, MUEs, add-on
code edits and PTP edits in force, each with the table and row it comes from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .doc import TextDoc

if TYPE_CHECKING:
    from cptref.output.cms_documents import OfficialFacts


def official_doc(facts: OfficialFacts, doc: TextDoc | None = None) -> TextDoc:
    """What the user's CMS tables say about one code (``show --cms``); for a code cptref has no record
    of, says so first."""
    doc = doc if doc is not None else TextDoc()
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
