"""The single JSON shape of every answer.

Every document is an object with a ``schema_version``; lists of results sit inside objects, so a
field can be added without breaking a consumer. ``schema_version`` changes only when a field is
removed or changes meaning. Optional facts are present with ``null`` (or ``[]``) rather than absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from .errors import UsageError
from .models import Procedure

if TYPE_CHECKING:
    from .catalog import Catalog, Derived
    from .check import CheckResult, Claim, Finding
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
    origin = catalog.origin(record.code)
    data["data_dir"] = str(origin) if origin is not None else None
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


def show(catalog: Catalog, records: Sequence[Procedure], fields: Sequence[str] | None = None) -> dict[str, Any]:
    """``cptref show --json``; ``fields`` keeps only those fields of each procedure (and only the
    sources those fields cite)."""
    procedures = [select(procedure(catalog, r), fields) for r in records]
    ids = sorted(cited(procedures))
    return {
        "schema_version": SCHEMA_VERSION,
        "procedures": procedures,
        "sources": {i: msgspec.to_builtins(catalog.sources[i]) for i in ids if i in catalog.sources},
    }


def search_result(item: Result) -> dict[str, Any]:
    """One search result (its keys are :data:`RESULT_KEYS`)."""
    return {"code": item.code, "title": item.title, "score": item.score, "matched": item.matched}


def search(query: str, results: Sequence[Result], fields: Sequence[str] | None = None) -> dict[str, Any]:
    """``cptref search --json``; ``fields`` keeps only those fields of each result."""
    return {
        "schema_version": SCHEMA_VERSION,
        "query": query,
        "results": [select(search_result(r), fields) for r in results],
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
    try:
        encoded = msgspec.json.encode(document)
    except UnicodeEncodeError:  # a path that is not UTF-8 (a file name's raw bytes): write them escaped
        encoded = msgspec.json.encode(_escape_undecodable(msgspec.to_builtins(document)))
    return msgspec.json.format(encoded, indent=2) + b"\n"


def _escape_undecodable(value: Any) -> Any:
    """``value`` with every character UTF-8 cannot hold (a lone surrogate, as an undecodable byte of a
    file name becomes) written as a ``\\udcNN`` escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_escape_undecodable(k): _escape_undecodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_undecodable(v) for v in value]
    return value


def line(item: Any) -> bytes:
    """One compact JSON line (JSON Lines output)."""
    return msgspec.json.encode(item) + b"\n"


# --- check ------------------------------------------------------------------------------------------

from .findings import FINDING_KEYS  # noqa: E402


def finding(item: Finding) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(item)
    return data


def _check_codes(result: CheckResult, title: Callable[[str], str | None]) -> list[dict[str, Any]]:
    return [{"code": code, "units": units, "title": title(code)} for code, units in result.codes]


def check(
    result: CheckResult, title: Callable[[str], str | None], fields: Sequence[str] | None = None
) -> dict[str, Any]:
    """``cptref check --json``: the codes (with units, and titles from ``title``: null for a code
    with no record), whether the set is ok (no error finding), and every finding (only its
    ``fields``, when given)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "codes": _check_codes(result, title),
        "ok": result.ok,
        "findings": [select(finding(f), fields) for f in result.findings],
    }


class CheckLines:
    """``cptref check --jsonl``: one compact JSON line a claim, ``{"schema_version", "id", "line",
    "codes", "ok", "findings"}``, with the same ``codes`` and findings as :func:`check` (only their
    ``fields``, when given).

    The checker shares finding objects between claims, so each one's JSON is encoded once and
    reused; the cache holds the finding itself, so an id is never mistaken for another's.
    """

    CACHE = 100_000

    def __init__(self, title: Callable[[str], str | None], fields: Sequence[str] | None = None) -> None:
        self._title = title
        self._fields = fields
        self._encode = msgspec.json.Encoder().encode
        self._findings: dict[int, tuple[Finding, msgspec.Raw]] = {}
        self._one_unit: dict[str, msgspec.Raw] = {}

    def _finding(self, item: Finding) -> msgspec.Raw:
        hit = self._findings.get(id(item))
        if hit is not None and hit[0] is item:
            return hit[1]
        raw = msgspec.Raw(self._encode(item if self._fields is None else select(finding(item), self._fields)))
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


# --- selecting fields -------------------------------------------------------------------------------

PROCEDURE_KEYS: tuple[str, ...] = (*Procedure.__struct_fields__, "data_dir", "official_descriptor", "derived")
"""The keys of a procedure in ``show --json``: the record's fields, then what :func:`procedure` adds."""
RESULT_KEYS: tuple[str, ...] = ("code", "title", "score", "matched")
"""The keys of a search result."""
FIELDS: Mapping[str, tuple[str, ...]] = {"show": PROCEDURE_KEYS, "search": RESULT_KEYS, "check": FINDING_KEYS}
"""What ``--fields`` selects from, by command: the keys of each procedure (show), each result
(search), each finding (check). The documents around them keep their own keys."""


def parse_fields(text: str | None, available: Sequence[str]) -> tuple[str, ...] | None:
    """``--fields code,title`` as field names, in the order given (repeats dropped); None for None.

    Raises :class:`UsageError` naming the available fields for an unknown or empty selection, as
    ``gh --json`` does.
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    names = [name for name in names if name]
    choices = ", ".join(available)
    if not names:
        raise UsageError(f"--fields needs at least one field; available: {choices}")
    for name in names:
        if name not in available:
            raise UsageError(f"unknown field {name!r}; available: {choices}")
    return tuple(dict.fromkeys(names))


def select(item: dict[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """``item`` with only ``fields``, in that order; ``item`` itself when ``fields`` is None."""
    return item if fields is None else {key: item[key] for key in fields}


# --- rows: csv and plain (tab-separated) -------------------------------------------------------------


def cell(value: Any) -> str:
    """One value as text in a row: null is empty, a list is its items joined by spaces, a mapping
    is ``key: items; key: items``, booleans are ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


class Rows:
    """Items as CSV (a header line, then rows, by the csv module) or plain text (tab-separated rows,
    no header, tabs and line breaks inside values turned into spaces).

    ``columns`` are the item's fields; ``claim`` adds the claim's ``id`` and ``line`` in front
    (``check --file``).
    """

    def __init__(self, columns: Sequence[str], csv: bool, claim: bool = False) -> None:
        import csv as csv_module
        import io

        self.columns = tuple(columns)
        self.claim = claim
        self._buffer = io.StringIO()
        self._writer = csv_module.writer(self._buffer, lineterminator="\n") if csv else None

    def header(self) -> bytes:
        """The header line (CSV), or nothing (plain)."""
        return self._encode([[*(("id", "line") if self.claim else ()), *self.columns]]) if self._writer else b""

    def _encode(self, rows: Iterable[Sequence[str]]) -> bytes:
        if self._writer is None:
            clean = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
            return "".join("\t".join(value.translate(clean) for value in row) + "\n" for row in rows).encode()
        self._writer.writerows(rows)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def rows(self, items: Iterable[Mapping[str, Any]], claim: Claim | None = None) -> bytes:
        """One row an item; with ``claim`` (when the rows were made with ``claim=True``), its id and
        line first."""
        front = [cell(claim.id), str(claim.line)] if self.claim and claim is not None else []
        return self._encode([*front, *(cell(item[c]) for c in self.columns)] for item in items)

    def findings(self, result: CheckResult, claim: Claim | None = None) -> bytes:
        """A row for each finding of a checked claim (none when it has no finding)."""
        return self.rows((finding(f) for f in result.findings), claim)
