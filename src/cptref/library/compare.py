"""What changed between two releases of the library (two data directories or packed libraries):
records added and removed, and of each record kept, each fact or relation added or removed and each
other field changed (``cptref changes --from-data OLD --to-data NEW``).

A record is compared field by field, as its JSON gives it. A field that holds a list of facts or
codes (``includes``, ``not_with``, ``report_with``, ``history``, ``synonyms``, ``related``,
``replaced_by``, an add-on's ``primaries``) is compared item by item, so a fact added or removed is
one change with the item itself; any other field is one change with both values. A library holds
hundreds or thousands of records: this is done in Python, a record at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from cptref.model.records import about

if TYPE_CHECKING:
    from .catalog import Catalog

_Effect = Literal["stricter", "looser", "mixed", "other"]
RecordWhat = Literal["record-added", "record-removed", "fact-added", "fact-removed", "field-changed"]


class RecordChange(Struct, frozen=True, tag="record", tag_field="kind"):
    """A change of the library between two releases: a record added or removed, a fact or relation of
    a record added or removed, or another field of a record changed."""

    code: Annotated[str, about("The record's code.")]
    codes: Annotated[list[str], about("The record's code, then the codes the fact names (if any).")]
    change: Annotated[
        RecordWhat,
        about(
            "record-added, record-removed; fact-added or fact-removed (an item of a list of facts or codes: "
            "includes, not_with, report_with, history, synonyms, related, replaced_by, add_on.primaries); "
            "field-changed (any other field: before and after hold both values)."
        ),
    ]
    effect: Annotated[
        _Effect,
        about(
            "What the change does to claims check judges by the library: stricter (a new rule that may stop or warn "
            "a claim: a not_with or includes fact added, a primary removed, a record now deleted), looser (the "
            "reverse), other (words, sources, anything check does not act on)."
        ),
    ]
    rank: Annotated[
        int,
        Meta(ge=0, le=6),
        about("How consequential, 0 first, as for the CMS tables' changes: 2 add-on primaries, 3 rules, 6 the rest."),
    ]
    field: Annotated[str | None, about("The field (add_on.primaries, not_with, title ...), or null for a record.")]
    before: Annotated[Any, about("The value before (the record, the fact, the field's value), or null.")]
    after: Annotated[Any, about("The value after, or null.")]
    before_from: Annotated[str | None, about("The data directory or pack the before value came from, or null.")]
    after_from: Annotated[str | None, about("The data directory or pack the after value came from, or null.")]


_LISTS = ("synonyms", "includes", "report_with", "not_with", "history", "replaced_by", "related")
"""The fields compared item by item (facts, relations, names)."""
_RULE_FIELDS = frozenset(["includes", "not_with"])
"""The facts check stops or warns a claim by: one added is stricter."""


def _codes_of(item: Any) -> list[str]:
    if isinstance(item, str):
        return [item]
    if isinstance(item, dict):
        return [c for c in item.get("codes", ()) if isinstance(c, str)]
    return []


def _effect(field: str, added: bool, before: Any = None, after: Any = None) -> tuple[_Effect, int]:
    if field in _RULE_FIELDS:
        return ("stricter", 3) if added else ("looser", 5)
    if field == "add_on.primaries":
        return ("looser", 5) if added else ("stricter", 2)
    if field == "status":
        if after == "deleted":
            return "stricter", 4
        if before == "deleted":
            return "looser", 5
    return "other", 6


def record_changes(
    old: Catalog, new: Catalog, keep: Callable[[str], bool] = lambda code: True
) -> Iterator[RecordChange]:
    """Every change from ``old`` to ``new`` of the records whose code ``keep`` holds, in code order."""
    old_codes, new_codes = set(old.codes()), set(new.codes())
    for code in sorted(old_codes | new_codes):
        if not keep(code):
            continue
        was = msgspec.to_builtins(old.get(code)) if code in old_codes else None
        now = msgspec.to_builtins(new.get(code)) if code in new_codes else None
        here = str(old.origin(code)) if was is not None else None
        there = str(new.origin(code)) if now is not None else None
        if was is None or now is None:
            what: RecordWhat = "record-added" if was is None else "record-removed"
            effect: _Effect = "other" if was is None else "looser"
            rank = 6 if was is None else 5
            yield RecordChange(code, [code], what, effect, rank, None, was, now, here, there)
            continue
        yield from _fields(code, was, now, here, there)


def _fields(
    code: str, was: dict[str, Any], now: dict[str, Any], here: str | None, there: str | None
) -> Iterator[RecordChange]:
    for name in dict.fromkeys([*was, *now]):
        before, after = was.get(name), now.get(name)
        if before == after:
            continue
        if name == "add_on" and isinstance(before, dict) and isinstance(after, dict):
            old_rest = {k: v for k, v in before.items() if k != "primaries"}
            new_rest = {k: v for k, v in after.items() if k != "primaries"}
            yield from _items(
                code, "add_on.primaries", before.get("primaries") or [], after.get("primaries") or [], here, there
            )
            if old_rest != new_rest:
                yield RecordChange(code, [code], "field-changed", "other", 6, name, before, after, here, there)
            continue
        if name in _LISTS:
            yield from _items(code, name, before or [], after or [], here, there)
            continue
        effect, rank = _effect(name, False, before, after)
        yield RecordChange(code, [code], "field-changed", effect, rank, name, before, after, here, there)


def _items(
    code: str, name: str, before: list[Any], after: list[Any], here: str | None, there: str | None
) -> Iterator[RecordChange]:
    for item in after:
        if item not in before:
            effect, rank = _effect(name, True)
            codes = [code, *(c for c in _codes_of(item) if c != code)]
            yield RecordChange(code, codes, "fact-added", effect, rank, name, None, item, here, there)
    for item in before:
        if item not in after:
            effect, rank = _effect(name, False)
            codes = [code, *(c for c in _codes_of(item) if c != code)]
            yield RecordChange(code, codes, "fact-removed", effect, rank, name, item, None, here, there)
