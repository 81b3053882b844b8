"""The field lists of :mod:`cptref.model.relations`, read off the record types: a field added to a
record that names codes, states a sourced fact or is a rule a family holds too is in its list, so
every module that walks a record (index references, derived relations, check's pairs, the loader's
and the linter's checks) sees it."""

from __future__ import annotations

from typing import Any

import msgspec.inspect as mi

from cptref.model.codes import CODE_PATTERN
from cptref.model.records import Family, Procedure
from cptref.model.relations import CODE_FIELDS, FACT_FIELDS, RULE_FIELDS


def bare(kind: mi.Type) -> mi.Type:
    """The type without its metadata and without ``None`` (an optional field)."""
    while isinstance(kind, mi.Metadata):
        kind = kind.type
    if isinstance(kind, mi.UnionType):
        rest = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        assert len(rest) == 1, kind
        return bare(rest[0])
    return kind


def entry(kind: mi.Type) -> mi.Type:
    """What a field holds one or many of: the item of a tuple, else the type itself."""
    kind = bare(kind)
    return bare(kind.item_type) if isinstance(kind, mi.VarTupleType) else kind


def codes(kind: mi.Type) -> bool:
    """Whether ``kind`` is a list of codes."""
    kind = bare(kind)
    return isinstance(kind, mi.VarTupleType) and getattr(bare(kind.item_type), "pattern", None) == CODE_PATTERN


def fields(struct: type[Any]) -> tuple[mi.Field, ...]:
    info = mi.type_info(struct)
    assert isinstance(info, mi.StructType)
    return info.fields


def test_code_fields_are_every_field_of_a_record_that_names_codes() -> None:
    found: list[tuple[str, str | None]] = []
    for field in fields(Procedure):
        held = entry(field.type)
        if codes(field.type):
            found.append((field.name, None))
        elif isinstance(held, mi.StructType):
            found.extend((field.name, inner.name) for inner in held.fields if codes(inner.type))
    assert tuple(found) == CODE_FIELDS


def test_fact_fields_are_every_field_whose_entries_cite_sources_with_a_confidence() -> None:
    found = []
    for field in fields(Procedure):
        held = entry(field.type)
        if isinstance(held, mi.StructType) and {"sources", "confidence"} <= {f.name for f in held.fields}:
            found.append(field.name)
    assert tuple(found) == FACT_FIELDS


def test_rule_fields_are_the_lists_of_facts_naming_codes_a_family_holds_too() -> None:
    of_family = {field.name for field in fields(Family)}
    naming = [name for name, inner in CODE_FIELDS if inner is not None and name in FACT_FIELDS]
    assert tuple(name for name in naming if name in of_family) == RULE_FIELDS
