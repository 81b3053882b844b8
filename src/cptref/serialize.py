"""The single JSON shape of every answer.

Every document is an object with a ``schema_version``; lists of results sit inside objects, so a
field can be added without breaking a consumer. ``schema_version`` changes only when a field is
removed or changes meaning. Optional facts are present with ``null`` (or ``[]``) rather than absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from .catalog import Catalog, Derived
    from .check import CheckResult, Claim, Finding
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
    official = catalog.official(record.code)
    data["official_descriptor"] = (
        {"text": official, "file": str(catalog.descriptors_file)} if official is not None else None
    )
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


# --- check ------------------------------------------------------------------------------------------

FINDING_KEYS = (
    "rule",
    "severity",
    "codes",
    "message",
    "fix",
    "fix_codes",
    "sources",
    "confidence",
    "family",
    "stated_on",
    "fact",
    "note",
)
"""The keys of a finding, in order (the fields of :class:`cptref.check.Finding`)."""


def finding(item: Finding) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(item)
    return data


def _check_codes(result: CheckResult, title: Callable[[str], str | None]) -> list[dict[str, Any]]:
    return [{"code": code, "units": units, "title": title(code)} for code, units in result.codes]


def check(result: CheckResult, title: Callable[[str], str | None]) -> dict[str, Any]:
    """``cptref check --json``: the codes (with units, and titles from ``title``: null for a code
    with no record), whether the set is ok (no error finding), and every finding."""
    return {
        "schema_version": SCHEMA_VERSION,
        "codes": _check_codes(result, title),
        "ok": result.ok,
        "findings": [finding(f) for f in result.findings],
    }


class CheckLines:
    """``cptref check --jsonl``: one compact JSON line a claim, ``{"schema_version", "id", "line",
    "codes", "ok", "findings"}``, with the same ``codes`` and findings as :func:`check`.

    The checker shares finding objects between claims, so each one's JSON is encoded once and
    reused; the cache holds the finding itself, so an id is never mistaken for another's.
    """

    CACHE = 100_000

    def __init__(self, title: Callable[[str], str | None]) -> None:
        self._title = title
        self._encode = msgspec.json.Encoder().encode
        self._findings: dict[int, tuple[Finding, msgspec.Raw]] = {}
        self._one_unit: dict[str, msgspec.Raw] = {}

    def _finding(self, item: Finding) -> msgspec.Raw:
        hit = self._findings.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1]
        raw = msgspec.Raw(self._encode(item))
        if len(self._findings) < self.CACHE:
            self._findings[id(item)] = (item, raw)
        return raw

    def _code(self, code: str, units: int) -> msgspec.Raw | dict[str, Any]:
        if units != 1:
            return {"code": code, "units": units, "title": self._title(code)}
        raw = self._one_unit.get(code)
        if raw is None:
            raw = msgspec.Raw(self._encode({"code": code, "units": 1, "title": self._title(code)}))
            if len(self._one_unit) < self.CACHE:
                self._one_unit[code] = raw
        return raw

    def line(self, result: CheckResult, claim: Claim | None = None) -> bytes:
        one, found = self._one_unit, self._findings
        codes = [one[code] if code in one and units == 1 else self._code(code, units) for code, units in result.codes]
        findings = []
        for f in result.findings:
            hit = found.get(id(f))
            findings.append(hit[1] if hit is not None and hit[0] is f else self._finding(f))
        return (
            self._encode(
                {
                    "schema_version": SCHEMA_VERSION,
                    "id": claim.id if claim else None,
                    "line": claim.line if claim else None,
                    "codes": codes,
                    "ok": result.ok,
                    "findings": findings,
                }
            )
            + b"\n"
        )
