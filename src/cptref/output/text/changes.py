"""The text view of ``cptref changes``: what was compared, then the changes grouped by code (the code
with the most consequential change first), each in words with the rows it came from, then the claims
judged differently, finding by finding; and the rows of its csv output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from cptref.cms.compare.changes import AocChange, MueChange, PtpChange
from cptref.library.compare import RecordChange

from .doc import TextDoc

if TYPE_CHECKING:
    from cptref.cms.compare.changes import Compared
    from cptref.output.changes_documents import AnyChange, ChangeSet, ClaimChange

_ARROW = "->"


def _value(state: Struct | None, name: str) -> str:
    if state is None:
        return "-"
    value = getattr(state, name)
    if value is None:
        return "*" if name.endswith("deleted") else "-"
    return str(value)


def describe(change: AnyChange) -> str:
    """One change in words."""
    if isinstance(change, RecordChange):
        return _record(change)
    if isinstance(change, PtpChange):
        pair = f"PTP {change.column1}/{change.column2}"
        old, new = change.before, change.after
        if change.change in ("added", "re-added") and new is not None:
            gone = f" (its last row was deleted {old.deleted})" if change.change == "re-added" and old else ""
            return (
                f"{pair}: {'new' if change.change == 'added' else 're-added'} edit, indicator {new.modifier_indicator}"
                f"{' (no modifier allows both)' if new.modifier_indicator == 0 else ''}, from {new.effective}"
                f"{f' to {new.deleted}' if new.deleted else ''}{gone}"
            )
        if (
            change.change in ("indicator-changed", "re-dated")
            and old is not None
            and new is not None
            and old.effective != new.effective
        ):
            what = (
                f"indicator {old.modifier_indicator} {_ARROW} {new.modifier_indicator}"
                if change.change == "indicator-changed"
                else f"same indicator {new.modifier_indicator}, new row"
            )
            why = (
                "; no modifier allows both now"
                if change.change == "indicator-changed" and new.modifier_indicator == 0
                else ""
            )
            return f"{pair}: {what} from {new.effective} (a new row takes over from the row of {old.effective}){why}"
        assert old is not None
        if change.change == "removed":
            return f"{pair}: the row of {old.effective} (indicator {old.modifier_indicator}) is no longer in the table"
        assert new is not None
        parts = []
        if "modifier_indicator" in change.fields:
            parts.append(
                f"indicator {old.modifier_indicator} {_ARROW} {new.modifier_indicator}"
                + (": no modifier allows both now" if new.modifier_indicator == 0 else "")
            )
        if "deleted" in change.fields:
            parts.append(
                f"deleted {new.deleted}"
                if old.deleted is None
                else f"no longer deleted (was {old.deleted})"
                if new.deleted is None
                else f"deletion date {old.deleted} {_ARROW} {new.deleted}"
            )
        if "rationale" in change.fields:
            parts.append(f"rationale {old.rationale!r} {_ARROW} {new.rationale!r}")
        if "pre_1996" in change.fields:
            parts.append(f"pre-1996 flag {old.pre_1996} {_ARROW} {new.pre_1996}")
        return f"{pair}: {'; '.join(parts)} (on the row effective {new.effective})"
    if isinstance(change, MueChange):
        head = f"MUE {change.code} ({change.setting})"
        if change.before is None and change.after is not None:
            return f"{head}: new, {change.after.value} (indicator {change.after.indicator})"
        if change.after is None and change.before is not None:
            return f"{head}: no MUE now (was {change.before.value}, indicator {change.before.indicator})"
        assert change.before is not None and change.after is not None
        parts = []
        if "value" in change.fields:
            parts.append(f"{change.before.value} {_ARROW} {change.after.value}")
        if "indicator" in change.fields:
            parts.append(f"indicator {change.before.indicator} {_ARROW} {change.after.indicator}")
        if "rationale" in change.fields:
            parts.append("rationale changed")
        return f"{head}: {', '.join(parts)}"
    if isinstance(change, AocChange):
        primary = change.primary or "contractor-defined primaries"
        head = f"AOC add-on {change.addon}, primary {primary}"
        words = {
            "addon-added": "new add-on edit",
            "primary-added": "primary added",
            "primary-re-added": "primary re-added",
            "primary-removed": "primary no longer listed",
            "primary-undeleted": "primary no longer deleted",
            "notes-changed": "notes changed",
        }
        if change.change in words:
            extra = f", type {change.after.type}, from {change.after.effective}" if change.after else ""
            return f"{head}: {words[change.change]}{extra}"
        assert change.before is not None and change.after is not None
        parts = []
        if "deleted" in change.fields:
            parts.append(
                f"deleted {change.after.deleted}"
                if change.before.deleted is None
                else f"deletion date {change.before.deleted} {_ARROW} {change.after.deleted or '*'}"
            )
        if "type" in change.fields:
            parts.append(f"type {change.before.type} {_ARROW} {change.after.type}")
        for name in ("addon_deleted", "primary_deleted"):
            if name in change.fields:
                parts.append(
                    f"{name.replace('_', ' ')} {_value(change.before, name)} {_ARROW} {_value(change.after, name)}"
                )
        if "notes" in change.fields:
            parts.append("notes changed")
        return f"{head}: {', '.join(parts)}"
    head = f"PPRRVU {change.code}{f'-{change.modifier}' if change.modifier else ''}"
    if change.before is None:
        return f"{head}: new row, status {change.after.status if change.after else '?'}"
    if change.after is None:
        return f"{head}: no longer in the file (was status {change.before.status})"
    parts = [
        f"{name.replace('_', ' ')} {_value(change.before, name)} {_ARROW} {_value(change.after, name)}"
        if name != "short_descriptor"
        else "short descriptor changed"
        for name in change.fields
    ]
    return f"{head}: {', '.join(parts)}"


def rows_of(change: AnyChange) -> str:
    if isinstance(change, RecordChange):
        return "; ".join(
            f"{label}: {where}"
            for label, where in (("before", change.before_from), ("after", change.after_from))
            if where
        )
    parts = []
    for label, state in (("before", change.before), ("after", change.after)):
        if state is not None:
            parts.append(f"{label}: {state.table} {state.row}")
    if isinstance(change, PtpChange) and change.ended is not None:
        parts.append(f"ended: {change.ended.table} {change.ended.row}")
    return "; ".join(parts)


def _record(change: RecordChange) -> str:
    field = change.field or "record"
    if change.change == "record-added":
        return f"record {change.code}: new in the library"
    if change.change == "record-removed":
        return f"record {change.code}: no longer in the library"
    if change.change in ("fact-added", "fact-removed"):
        item = change.after if change.change == "fact-added" else change.before
        what = "added" if change.change == "fact-added" else "removed"
        return f"record {change.code}: {field} {what}: {_short(item)}"
    return f"record {change.code}: {field} {_short(change.before)} {_ARROW} {_short(change.after)}"


def _short(value: Any) -> str:
    """A value of a record in a few words: a fact by its codes and words, a list by its items."""
    if isinstance(value, dict):
        codes = value.get("codes") or value.get("primaries")
        words = value.get("what") or value.get("reason") or value.get("change")
        parts = [", ".join(codes) if isinstance(codes, list) and codes else "", str(words) if words else ""]
        if value.get("year"):
            parts.insert(0, str(value["year"]))
        text = " ".join(p for p in parts if p)
        return text or "{...}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if value is None:
        return "none"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _headline(compared: Compared) -> str:
    some = compared.before or compared.after
    name = some.label.rsplit(",", 1)[0] if some else compared.kind  # the label less its version
    old = compared.before.id.rsplit("/", 1)[-1] if compared.before else "none"
    new = compared.after.id.rsplit("/", 1)[-1] if compared.after else "none"
    counts = ", ".join(f"{n} {what}" for what, n in sorted(compared.counts.items(), key=lambda kv: -kv[1]))
    plural = "s" * (compared.changes != 1)
    return f"{name}: {old} {_ARROW} {new}: {compared.changes} change{plural}" + (f" ({counts})" if counts else "")


EFFECT_STYLE = {"stricter": "bold red", "looser": "green", "mixed": "yellow", "other": "dim"}


def changes_docs(
    before: ChangeSet,
    after: ChangeSet,
    compared: Sequence[Compared],
    changes: Iterable[AnyChange],
    claims: Iterable[ClaimChange] | None,
    counts: tuple[str, int, int, int] | None,
    title: Callable[[str], str | None],
    library: bool = False,
    left_out: int = 0,
) -> Iterator[TextDoc]:
    """The text view a piece at a time (what was compared, then a code and its changes at a time, then
    a claim at a time), so that plain text is written as it is made: memory holds one code's changes.
    ``counts``: the claims file, claims checked, judged differently, lines not read."""
    doc = TextDoc()
    what = "the library" if library else "your CMS tables"
    doc.line(f"What changed in {what}: {before.given} {_ARROW} {after.given}", "bold")
    for item in compared:
        doc.line(_headline(item), indent=2, hang=4)
        for note in item.notes:
            doc.line(f"note: {note}", "yellow", indent=4, hang=6)
    current = None
    shown = 0
    for change in changes:
        if change.code != current:
            yield doc
            doc = TextDoc()
            current = change.code
            doc.line()
            known = title(current)
            line = doc.line().add(current, "bold cyan")
            if known:
                line.add(f"  {known}")
        shown += 1
        doc.line(indent=2, hang=10).add(f"{change.effect:<8}", EFFECT_STYLE[change.effect]).add(f"  {describe(change)}")
        doc.line(rows_of(change), "dim", indent=12, hang=2)
    if not shown:
        doc.line()
        doc.line(
            "No change"
            + (" for the codes asked for." if compared or library else ": no table of the same kind in both sets.")
        )
    if left_out:
        doc.line()
        doc.line(f"{left_out:,} more changes were not looked for (--limit): narrow the codes or --kind.", "bold yellow")
    if claims is not None and counts is not None:
        file, checked, differ, bad = counts
        doc.line()
        doc.line(
            f"Claims judged differently: {differ} of {checked} in {file}"
            + (f" ({bad} lines could not be read)" if bad else ""),
            "bold",
        )
        for claim in claims:
            yield doc
            doc = TextDoc()
            _claim(doc, claim)
    yield doc


def _claim(doc: TextDoc, claim: ClaimChange) -> None:
    outcome = [
        "OK" if side.ok and side.verified else "NOT VERIFIED" if side.ok else "NOT OK"
        for side in (claim.before, claim.after)
    ]
    name = f"claim {claim.id}" if claim.id is not None else "claim"
    dated = f", {claim.date}" if claim.date else ""
    doc.line(f"{name} (line {claim.line}{dated}): {' '.join(claim.codes)}", indent=2, hang=4)
    doc.line(f"before ({claim.before.date}): {outcome[0]};  after ({claim.after.date}): {outcome[1]}", indent=4, hang=4)
    for diff in claim.differences:
        doc.line(
            f"{diff.rule} {'/'.join(diff.codes)}: {diff.before or 'none'} {_ARROW} {diff.after or 'none'}  "
            f"{diff.message}",
            indent=4,
            hang=4,
        )


def joined(docs: Iterable[TextDoc]) -> TextDoc:
    """The pieces as one document (drawn on a terminal, with colour, at once)."""
    whole = TextDoc()
    for doc in docs:
        whole.lines.extend(doc.lines)
    return whole


CSV_COLUMNS = (
    "kind",
    "setting",
    "code",
    "codes",
    "change",
    "effect",
    "rank",
    "fields",
    "before",
    "after",
    "before_row",
    "after_row",
)
CLAIM_COLUMNS = (
    "id",
    "line",
    "codes",
    "date",
    "rule",
    "finding_codes",
    "before",
    "after",
    "before_date",
    "after_date",
    "message",
)


def _compact(state: Struct | None, fields: Sequence[str]) -> str:
    if state is None:
        return ""
    names = [f for f in fields if f in state.__struct_fields__]
    return " ".join(f"{name}={_value(state, name)}" for name in names)


def csv_rows(changes: Iterable[AnyChange]) -> Iterator[list[str]]:
    """One row a change (:data:`CSV_COLUMNS`)."""
    for change in changes:
        if isinstance(change, RecordChange):
            yield [
                "record",
                "",
                change.code,
                " ".join(change.codes),
                change.change,
                change.effect,
                str(change.rank),
                change.field or "",
                _short(change.before) if change.before is not None else "",
                _short(change.after) if change.after is not None else "",
                change.before_from or "",
                change.after_from or "",
            ]
            continue
        yield [
            str(change.__struct_config__.tag),
            change.setting,
            change.code,
            " ".join(change.codes),
            change.change,
            change.effect,
            str(change.rank),
            " ".join(change.fields),
            _compact(change.before, change.fields),
            _compact(change.after, change.fields),
            change.before.row if change.before else "",
            change.after.row if change.after else "",
        ]


def claim_csv_rows(claims: Iterable[ClaimChange]) -> Iterator[list[str]]:
    for claim in claims:
        for diff in claim.differences:
            yield [
                "" if claim.id is None else str(claim.id),
                str(claim.line),
                " ".join(claim.codes),
                claim.date or "",
                diff.rule,
                " ".join(diff.codes),
                diff.before or "",
                diff.after or "",
                claim.before.date,
                claim.after.date,
                diff.message,
            ]
