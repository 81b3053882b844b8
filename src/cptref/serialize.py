"""The single JSON shape of every answer.

Every document is an object with a ``schema_version``; lists of results sit inside objects, so a
field can be added without breaking a consumer. ``schema_version`` changes only when a field is
removed or changes meaning. Optional facts are present with ``null`` (or ``[]``) rather than absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from .catalog import Catalog, Derived
    from .models import Procedure
    from .search import Result
    from .validate import Report

SCHEMA_VERSION = 1

DERIVED_KEYS = ("addons", "included_in", "reported_separately_with", "excluded_by", "replaces")
"""Relations computed from other records: add-ons reported with this code (it is their primary);
codes that include it; codes it is reported separately with; codes that list it as not to be
reported with them; deleted codes it replaces."""


def _derived(item: Derived, catalog: Catalog) -> dict[str, Any]:
    return {
        "code": item.code,
        "title": catalog.title(item.code),
        "what": item.what,
        "scope": item.scope,
        "sources": list(item.sources),
        "confidence": item.confidence,
        "note": item.note,
        "family": item.family,
    }


def procedure(catalog: Catalog, record: Procedure) -> dict[str, Any]:
    """One record as JSON-ready builtins: its own fields, family rules merged in, derived relations."""
    data: dict[str, Any] = msgspec.to_builtins(record)
    family = catalog.families.get(record.family) if record.family else None
    data["family"] = (
        {"id": family.id, "title": family.title, "ranges": list(family.ranges)}
        if family
        else ({"id": record.family, "title": None, "ranges": []} if record.family else None)
    )
    data["includes"] = [{**msgspec.to_builtins(e.rule), "family": e.family} for e in catalog.includes(record)]
    data["report_with"] = [{**msgspec.to_builtins(e.rule), "family": e.family} for e in catalog.report_with(record)]
    data["not_with"] = [{**msgspec.to_builtins(e.rule), "family": e.family} for e in catalog.not_with(record)]
    data["derived"] = {
        "addons": [_derived(d, catalog) for d in catalog.derived("addon", record.code)],
        "included_in": [_derived(d, catalog) for d in catalog.derived("included_in", record.code)],
        "reported_separately_with": [
            _derived(d, catalog) for d in catalog.derived("reported_separately_with", record.code)
        ],
        "excluded_by": [_derived(d, catalog) for d in catalog.derived("excluded_by", record.code)],
        "replaces": [_derived(d, catalog) for d in catalog.derived("replaces", record.code)],
    }
    return data


def cited(data: Iterable[Any]) -> set[str]:
    """Every source id named anywhere under ``data`` (the values of ``sources`` keys)."""
    found: set[str] = set()
    stack = list(data)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "sources" and isinstance(value, list | tuple):
                    found.update(v for v in value if isinstance(v, str))
                else:
                    stack.append(value)
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


def show(catalog: Catalog, records: Sequence[Procedure]) -> dict[str, Any]:
    procedures = [procedure(catalog, r) for r in records]
    ids = sorted(cited(procedures))
    return {
        "schema_version": SCHEMA_VERSION,
        "procedures": procedures,
        "sources": {i: msgspec.to_builtins(catalog.sources[i]) for i in ids if i in catalog.sources},
    }


def search(query: str, results: Sequence[Result]) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "query": query,
        "results": [{"code": r.code, "title": r.title, "score": r.score, "matched": r.matched} for r in results],
    }


def validation(report: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "data": str(report.root),
        "files": report.files,
        "ok": not report.errors,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "problems": [
            {"file": p.file, "field": p.field, "severity": p.severity, "message": p.message} for p in report.problems
        ],
    }


def dumps(document: Any) -> bytes:
    """Indented, key-order-stable UTF-8 JSON with a final newline."""
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
