"""The text views of the answers other than ``show``: search results, the codes and families of the
library, the CMS tables read, and a checked claim (its verdict, then each finding with its fix and
provenance) with the summary of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .doc import CONFIDENCE_STYLE, TextDoc, add_codes, source_line

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim as Claim
    from cptref.check.results import BatchSummary, Checked, CheckResult, Finding
    from cptref.library.catalog import Catalog
    from cptref.output.documents import FamiliesDocument, ListedCode, TablesDocument
    from cptref.search.results import Result


def search_doc(results: Sequence[Result]) -> TextDoc:
    """A row a result: code, score, title, the words that matched. A code found in the user's PPRRVU
    file (``--cms``) says so on its row; one cptref has no record of shows the file's short
    descriptor as its title, and a last line says whose text that is and which file it came from.
    When some result is not confident, a column marks the weak ones (``search --help`` says what that
    means: every line stays a result's row)."""
    doc = TextDoc()

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


def list_doc(codes: Sequence[ListedCode]) -> TextDoc:
    """``cptref list``: a row a code: the code, its title, its family (and add-on, deleted marks)."""
    doc = TextDoc()
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


def families_doc(document: FamiliesDocument) -> TextDoc:
    """``cptref families``: a family a paragraph: id, ranges, how many codes, title."""
    doc = TextDoc()
    for f in document.families:
        line = doc.line().add(f.id, "bold").add(f"  {', '.join(f.ranges)}", "cyan")
        line.add(f"  {len(f.codes)} code{'s' * (len(f.codes) != 1)}", "dim")
        doc.line(f.title, indent=2, hang=2)
    total = sum(len(f.codes) for f in document.families)
    doc.line()
    doc.line(f"{len(document.families)} families, {total} codes in them; `cptref list --family ID` lists one.", "dim")
    return doc


def tables_doc(document: TablesDocument) -> TextDoc:
    """``cptref tables``: a table a paragraph (id, dates, parts, rows, files), then the files not loaded
    and those set aside."""
    doc = TextDoc()
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
    doc: TextDoc | None = None,
    official: bool = False,
) -> TextDoc:
    """The verdict on a set of codes, then each finding with its fix and provenance.

    With ``explain``, each finding also shows the rule's text, the recorded fact and its sources.
    ``claim`` (batch checking) names the claim and its line; ``doc`` is appended to when given;
    ``official`` says the user's CMS tables were applied.
    """
    from cptref.check.engine import explanation

    doc = doc if doc is not None else TextDoc()
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
        add_codes(line, f.codes)
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
                    source_line(doc, catalog, sid, indent=6)
    return doc


def check_summary(summary: BatchSummary) -> str:
    """One line for stderr after a batch: every line read, as claims checked (stopped, not verified,
    verified) and lines that were not claims (malformed and reported, header, blank), then the
    findings by rule. A table's (Parquet's) rows are counted as rows, with the claims in them."""

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' * (count != 1)}"

    verified = summary.claims - summary.with_errors - summary.unverified
    checked = (
        f"{n(summary.claims, 'claim')} checked ({summary.with_errors} with errors, "
        f"{summary.unverified} not verified, {verified} verified)"
    )
    if summary.rows is not None:  # a table: its rows, and the claims in them (a claim may span rows)
        text = (
            f"{n(summary.rows, 'row')} read, {n(summary.lines, 'claim')} in them: {checked}, "
            f"{n(summary.skipped, 'malformed claim')} reported and skipped"
        )
    else:
        text = (
            f"{n(summary.lines, 'line')} read: {checked}, {n(summary.skipped, 'malformed line')} "
            f"reported and skipped, {n(summary.headers, 'header line')}, {n(summary.blank, 'blank line')}"
        )
    for name, count in sorted(summary.noticed.items()):
        text += f", {count} {name}"
    for note in summary.notes:
        text += f"; {note}"
    if summary.by_rule:
        rules = ", ".join(f"{rule} {k}" for rule, k in sorted(summary.by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        text += f"; findings by rule: {rules}"
    else:
        text += "; no findings"
    return text
