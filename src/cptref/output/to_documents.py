"""Answers as the typed documents of :mod:`cptref.output.documents`, and those documents as JSON bytes.

Every document is an object with a ``schema_version``; lists of results sit inside objects, so a
field can be added without breaking a consumer. Optional facts are present with ``null`` (or ``[]``)
rather than absent. ``--fields`` narrows each item (procedure, result, finding) to the fields named.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from .check_documents import CheckDocument, CheckedCode
from .cms_documents import (
    AocRow,
    CmsReport,
    CmsSkipped,
    CmsTableRead,
    FeeScheduleRow,
    LicensedDescriptor,
    MueRow,
    OfficialFacts,
    PtpRow,
    PtpSummary,
)
from .documents import (
    SCHEMA_VERSION,
    DerivedRelations,
    DerivedView,
    FamiliesDocument,
    FamilyEntry,
    FamilyRef,
    ListDocument,
    ListedCode,
    NotWithView,
    OfficialDescriptor,
    PackDocument,
    ProblemView,
    ProcedureView,
    RuleView,
    SearchDocument,
    SearchResult,
    ShowDocument,
    TablesDocument,
    UnknownView,
    ValidateDocument,
)
from .fields import select

if TYPE_CHECKING:
    from cptref.check.results import CheckResult
    from cptref.cms import CmsSummary, CmsTables, TableSummary
    from cptref.errors import Problem
    from cptref.library.catalog import Catalog
    from cptref.library.lint import Report
    from cptref.library.pack.write import PackReport
    from cptref.model.records import Procedure
    from cptref.model.relations import Derived, Relation
    from cptref.search.results import Result


def _derived(item: Derived, catalog: Catalog) -> DerivedView:
    return DerivedView(
        item.code,
        catalog.title(item.code),
        item.what,
        item.scope,
        list(item.sources),
        item.confidence,
        item.note,
        item.family,
    )


def procedure_view(catalog: Catalog, record: Procedure) -> ProcedureView:
    """One record as shown: its own fields, family rules merged in, derived relations."""
    family = catalog.families.get(record.family) if record.family else None
    official = catalog.official(record.code)
    origin = catalog.origin(record.code)
    fields = msgspec.structs.asdict(record)
    fields.update(
        family=(
            FamilyRef(family.id, family.title, list(family.ranges), _dir(catalog.family_origin(family.id)))
            if family
            else (FamilyRef(record.family, None, [], None) if record.family else None)
        ),
        includes=tuple(RuleView(**msgspec.structs.asdict(e.rule), family=e.family) for e in catalog.includes(record)),
        report_with=tuple(
            RuleView(**msgspec.structs.asdict(e.rule), family=e.family) for e in catalog.report_with(record)
        ),
        not_with=tuple(
            NotWithView(**msgspec.structs.asdict(e.rule), family=e.family) for e in catalog.not_with(record)
        ),
        data_dir=str(origin) if origin is not None else None,
        official_descriptor=(
            OfficialDescriptor(official, str(catalog.descriptors_file)) if official is not None else None
        ),
        derived=DerivedRelations(
            *([_derived(d, catalog) for d in catalog.derived(relation, record.code)] for relation in _RELATIONS)
        ),
    )
    return ProcedureView(**fields)


def _dir(path: Path | None) -> str | None:
    return None if path is None else str(path)


_RELATIONS: tuple[Relation, ...] = ("addon", "included_in", "reported_separately_with", "excluded_by", "replaces")
"""The catalog's relation of each key of :class:`~cptref.output.documents.DerivedRelations`, in order."""


def cited(data: Iterable[Any]) -> set[str]:
    """Every source id named anywhere under ``data`` (the values of ``sources`` keys)."""
    found: set[str] = set()
    stack = [msgspec.to_builtins(item) for item in data]
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


def show_document(
    catalog: Catalog,
    records: Sequence[Procedure],
    fields: Sequence[str] | None = None,
    official: Sequence[OfficialFacts] = (),
    unknown: Sequence[UnknownView] = (),
) -> Any:
    """``cptref show --json``; ``fields`` keeps only those fields of each procedure (and only the
    sources those fields cite); ``official``, what the user's CMS tables say of each code; ``unknown``,
    the codes (and prefixes) asked for that have no record."""
    procedures = [select(procedure_view(catalog, r), fields) for r in records]
    ids = sorted(cited(procedures))
    sources = {i: catalog.sources[i] for i in ids if i in catalog.sources}
    if fields is None:
        return ShowDocument(SCHEMA_VERSION, procedures, list(official), sources, list(unknown))
    return {
        "schema_version": SCHEMA_VERSION,
        "procedures": procedures,
        "official": list(official),
        "sources": sources,
        "unknown": list(unknown),
    }


def official_facts(cms: CmsTables, code: str, has_record: bool, today: datetime.date) -> OfficialFacts:
    """What the user's CMS tables say about ``code``: fee schedule rows, MUEs, add-on edits, and the PTP
    edits in force ``today`` in every setting."""
    from cptref.check.rules.base import row
    from cptref.cms.sources import on_disk

    fee = []
    for r in cms.rvu(code):
        licensed = (
            LicensedDescriptor(r.descriptor.text, on_disk(r.file), r.descriptor.licence) if r.descriptor else None
        )
        fee.append(
            FeeScheduleRow(
                r.modifier,
                r.status,
                r.global_days,
                r.pctc,
                r.multiple_procedure,
                r.bilateral,
                r.assistant,
                r.co_surgeon,
                r.team_surgeon,
                r.work_rvu,
                r.nonfacility_pe_rvu,
                r.facility_pe_rvu,
                r.mp_rvu,
                r.nonfacility_total,
                r.facility_total,
                r.conversion_factor,
                licensed,
                r.table.label(),
                row(r.file, r.line),
            )
        )
    mues = [
        MueRow(setting, e.value, e.indicator, e.rationale, e.table.label(), row(e.file, e.line))
        for setting, e in cms.mues(code).items()
    ]
    aoc = [
        AocRow(
            e.primary,
            e.type,
            e.effective.isoformat(),
            e.deleted.isoformat() if e.deleted else None,
            e.table.label(),
            row(e.file, e.line),
        )
        for e in cms.aoc_edits(code, today)
    ]
    ptp = []
    for table in cms.tables():
        if table.kind != "ptp":
            continue
        partners = cms.ptp_partners(code, table.setting, today)
        if partners is None:
            continue

        def rows(edits: Sequence[Any]) -> list[PtpRow]:
            return [
                PtpRow(
                    e.column1,
                    e.column2,
                    e.modifier,
                    e.effective.isoformat(),
                    e.deleted.isoformat() if e.deleted else None,
                    e.rationale,
                    row(e.file, e.line),
                )
                for e in edits
            ]

        ptp.append(PtpSummary(table.setting, table.label(), rows(partners.as_column1), rows(partners.as_column2)))
    return OfficialFacts(code, has_record, fee, mues, aoc, ptp)


def listed_code(record: Procedure) -> ListedCode:
    """One code of ``cptref list``."""
    return ListedCode(record.code, record.title, record.status, record.family, record.add_on is not None)


def list_document(codes: Sequence[ListedCode], fields: Sequence[str] | None = None) -> Any:
    """``cptref list --json``."""
    if fields is None:
        return ListDocument(SCHEMA_VERSION, list(codes))
    return {"schema_version": SCHEMA_VERSION, "codes": [select(c, fields) for c in codes]}


def families_document(catalog: Catalog) -> FamiliesDocument:
    """``cptref families``: every family, by its first code, with the library's codes in it."""
    members: dict[str, list[str]] = {}
    for record in catalog:
        if record.family:
            members.setdefault(record.family, []).append(record.code)
    ordered = sorted(catalog.families.values(), key=lambda f: (f.ranges[0], f.id))
    return FamiliesDocument(
        SCHEMA_VERSION,
        [FamilyEntry(f.id, f.title, list(f.ranges), members.get(f.id, []), f.description) for f in ordered],
    )


def search_result(item: Result) -> SearchResult:
    """One search result."""
    short = item.short_descriptor
    return SearchResult(
        item.code,
        item.title,
        item.score,
        item.matched,  # type: ignore[arg-type]
        item.record,
        item.origin,
        LicensedDescriptor(short.text, short.file, short.licence) if short is not None else None,
        item.confident,
    )


def search_document(query: str, results: Sequence[Result], fields: Sequence[str] | None = None) -> Any:
    """``cptref search --json``; ``fields`` keeps only those fields of each result."""
    items = [select(search_result(r), fields) for r in results]
    if fields is None:
        return SearchDocument(SCHEMA_VERSION, query, items)
    return {"schema_version": SCHEMA_VERSION, "query": query, "results": items}


def pack_document(file: Path, data: Path, report: PackReport) -> PackDocument:
    """``cptref pack --json``: the packed library written."""
    return PackDocument(
        SCHEMA_VERSION, str(file), str(data), report.records, report.sources, report.families, report.size
    )


def validate_document(
    report: Report, cms: CmsSummary | None = None, problems: Sequence[Problem] | None = None
) -> ValidateDocument:
    """``cptref validate --json``: the data directory's problems, and with ``--cms`` the CMS tables read
    and their problems (``problems``: every problem, as ``--strict`` leaves them)."""
    every = list(report.problems if problems is None else problems)
    errors = sum(p.severity == "error" for p in every)
    tables = None
    if cms is not None:
        tables = CmsReport(
            [table_read(t) for t in cms.tables],
            [CmsSkipped(s.file, s.reason) for s in cms.skipped],
            [CmsSkipped(s.file, s.reason) for s in cms.failed],
        )
    return ValidateDocument(
        SCHEMA_VERSION,
        str(report.root),
        report.files,
        not errors,
        errors,
        len(every) - errors,
        [ProblemView.of(p) for p in every],
        tables,
    )


def table_read(summary: TableSummary) -> CmsTableRead:
    """One table as ``validate --cms`` and ``tables`` describe it."""
    from cptref.check.coverage import table_id

    table = summary.table
    return CmsTableRead(
        table.label(),
        summary.quarter,
        list(summary.files),
        summary.rows_read,
        summary.rows_loaded,
        summary.rows_rejected,
        table_id(table),
        table.kind,  # type: ignore[arg-type]
        table.setting,
        table.version,
        table.starts.isoformat() if table.starts else None,
        table.ends.isoformat() if table.ends else None,
        list(summary.parts),
        list(summary.missing_parts),
        summary.errors,
        summary.complete and table.starts is not None,
    )


def tables_document(cms: CmsSummary, paths: Sequence[str]) -> TablesDocument:
    """``cptref tables --json``: every table loaded, with its dates, and every file skipped or failed."""
    errors = len(cms.errors)
    return TablesDocument(
        SCHEMA_VERSION,
        list(paths),
        cms.compiled,
        [table_read(t) for t in cms.tables],
        [CmsSkipped(s.file, s.reason) for s in cms.failed],
        [CmsSkipped(s.file, s.reason) for s in cms.skipped],
        errors,
        len(cms.problems) - errors,
        not cms.failed and all(t.complete for t in cms.tables) and bool(cms.tables),
    )


def checked_codes(result: CheckResult, title: Callable[[str], str | None]) -> list[CheckedCode]:
    """The claim's lines as check --json writes them: every key (``[]`` for no modifier, null for no title)."""
    return [CheckedCode(line.code, line.units, title(line.code), list(line.modifiers)) for line in result.lines]


def check_document(result: CheckResult, title: Callable[[str], str | None], fields: Sequence[str] | None = None) -> Any:
    """``cptref check --json``: the claim's lines (with units, modifiers, and titles from ``title``:
    null for a code with no record), whether the claim is ok (no error finding) and verified (no
    warning either), and every finding (only its ``fields``, when given)."""
    codes = checked_codes(result, title)
    if fields is None:
        return CheckDocument(SCHEMA_VERSION, codes, result.ok, result.verified, result.checked, list(result.findings))
    findings = [select(f, fields) for f in result.findings]
    return {
        "schema_version": SCHEMA_VERSION,
        "codes": codes,
        "ok": result.ok,
        "verified": result.verified,
        "checked": result.checked,
        "findings": findings,
    }


# --- selecting fields -------------------------------------------------------------------------------
