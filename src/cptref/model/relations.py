"""Which fields of a record name codes or state facts, and the relations read from them.

A relation is typed once, on one side (an add-on names its primaries; a procedure names what it
includes); the other side's view (:class:`Derived`) is computed from the records that name a code,
never stored twice. A family's rules (``includes``, ``report_with``, ``not_with``) hold for every
member: :func:`effective` merges them into a record's own, marked with the family.

The field lists here are written once and read by every module that walks a record (the index's
references, the catalog's derived relations, check's pairs, the loader's and the linter's
checks); ``tests/model/test_relations.py`` reads them off the record types, so a field that names
codes or cites sources cannot be left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from msgspec import Struct

from .records import Confidence, Family, NotWith, Procedure, ServiceRule

RULE_FIELDS: tuple[Literal["includes", "report_with", "not_with"], ...] = ("includes", "report_with", "not_with")
"""A record's rules: lists a family holds too, whose entries name codes and cite sources."""
CODE_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("add_on", "primaries"),
    ("includes", "codes"),
    ("report_with", "codes"),
    ("not_with", "codes"),
    ("replaced_by", None),
    ("related", None),
)
"""Every field of a record that names codes: (the field, the field of its entries that does, or None
when the field is a list of codes itself)."""
FACT_FIELDS: tuple[str, ...] = ("add_on", "includes", "report_with", "not_with", "medicare", "history")
"""Every field of a record whose facts cite sources with a confidence, in the record's order."""

Rule = ServiceRule | NotWith
"""A rule of a record or a family."""


def _entries(record: Procedure, field: str) -> tuple[Any, ...]:
    """The entries of a field that holds one fact (``add_on``, ``medicare``: none or one) or a list."""
    value = getattr(record, field)
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)


def named_codes(record: Procedure) -> Iterator[tuple[str, str]]:
    """(field path, code) for every code a record names (:data:`CODE_FIELDS`), in field order."""
    for field, inner in CODE_FIELDS:
        value = getattr(record, field)
        if inner is None:
            for i, code in enumerate(value):
                yield f"$.{field}[{i}]", code
        elif isinstance(value, tuple):
            for i, entry in enumerate(value):
                for j, code in enumerate(getattr(entry, inner)):
                    yield f"$.{field}[{i}].{inner}[{j}]", code
        elif value is not None:
            for i, code in enumerate(getattr(value, inner)):
                yield f"$.{field}.{inner}[{i}]", code


def facts(record: Procedure, fields: Iterable[str] = FACT_FIELDS) -> Iterator[tuple[str, Any]]:
    """(field path, fact) for every fact of a record that cites sources with a confidence."""
    for field in fields:
        value = getattr(record, field)
        if isinstance(value, tuple):
            for i, fact in enumerate(value):
                yield f"$.{field}[{i}]", fact
        elif value is not None:
            yield f"$.{field}", value


def family_rules(family: Family) -> list[Rule]:
    """A family's rules, every list of :data:`RULE_FIELDS`."""
    return [rule for field in RULE_FIELDS for rule in getattr(family, field)]


def family_codes(families: Mapping[str, Family]) -> dict[str, set[str]]:
    """Each family's id -> the codes its rules name (worked out once for many records)."""
    return {f.id: {c for rule in family_rules(f) for c in rule.codes} for f in families.values()}


def relation_targets(record: Procedure, families: Mapping[str, set[str]]) -> set[str]:
    """The codes a record states a relation about, its family's rules included (``families``:
    :func:`family_codes`); not ``related``, which states none."""
    named = {c for field in RULE_FIELDS for rule in getattr(record, field) for c in rule.codes}
    if record.family and record.family in families:
        named |= families[record.family]
    named.update(record.replaced_by, record.add_on.primaries if record.add_on else ())
    return named


class Effective(Struct, frozen=True):
    """A service rule that applies to a record, with where it was stated (the record or its family)."""

    rule: ServiceRule
    family: str | None = None


class EffectiveNotWith(Struct, frozen=True):
    """A not-reported-together rule that applies to a record, with where it was stated."""

    rule: NotWith
    family: str | None = None


def includes(record: Procedure, family: Family | None) -> list[Effective]:
    """What the record includes: its own rules, then its family's."""
    inherited = [Effective(r, family.id) for r in family.includes] if family else []
    return [Effective(r) for r in record.includes] + inherited


def report_with(record: Procedure, family: Family | None) -> list[Effective]:
    """What is reported with the record: its own rules, then its family's."""
    inherited = [Effective(r, family.id) for r in family.report_with] if family else []
    return [Effective(r) for r in record.report_with] + inherited


def not_with(record: Procedure, family: Family | None) -> list[EffectiveNotWith]:
    """What the record is not reported with: its own rules, then its family's."""
    inherited = [EffectiveNotWith(r, family.id) for r in family.not_with] if family else []
    return [EffectiveNotWith(r) for r in record.not_with] + inherited


def decisions(record: Procedure, family: Family | None) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(codes, sources) of every fact of the record or its family that decides a pair with other codes:
    what it includes, is reported with and is not reported with, and an add-on's primaries (an add-on
    is reported with each of them)."""
    for eff in (*includes(record, family), *report_with(record, family)):
        yield eff.rule.codes, eff.rule.sources
    for nw in not_with(record, family):
        yield nw.rule.codes, nw.rule.sources
    if record.add_on is not None:
        yield record.add_on.primaries, record.add_on.sources


Relation = Literal["addon", "included_in", "reported_separately_with", "excluded_by", "replaces"]
"""A relation seen from the code another record names: an add-on naming it as a primary, a record
including it, reported with it, not reported with it, or replaced by it."""


class Derived(Struct, frozen=True):
    """A fact stated on another record, seen from the code it names.

    ``code`` is the record that states it; ``family`` is set when the fact comes from that record's
    family rather than from the record itself.
    """

    code: str
    sources: tuple[str, ...]
    confidence: Confidence
    what: str | None = None
    scope: str | None = None
    note: str | None = None
    family: str | None = None


def facts_about(record: Procedure, family: Family | None, relation: Relation, code: str) -> Iterator[Derived]:
    """The facts ``record`` (with its ``family``'s rules) states about ``code``, as ``relation``."""
    if relation == "addon":
        if record.add_on and code in record.add_on.primaries:
            yield Derived(record.code, record.add_on.sources, record.add_on.confidence, note=record.add_on.note)
    elif relation in ("included_in", "reported_separately_with"):
        rules = includes(record, family) if relation == "included_in" else report_with(record, family)
        for eff in rules:
            if code in eff.rule.codes:
                rule = eff.rule
                yield Derived(
                    record.code, rule.sources, rule.confidence, what=rule.what, note=rule.note, family=eff.family
                )
    elif relation == "excluded_by":
        for nw in not_with(record, family):
            if code in nw.rule.codes:
                yield Derived(
                    record.code,
                    nw.rule.sources,
                    nw.rule.confidence,
                    what=nw.rule.reason,
                    scope=nw.rule.scope,
                    note=nw.rule.note,
                    family=nw.family,
                )
    elif code in record.replaced_by:
        yield Derived(record.code, (), "high")
