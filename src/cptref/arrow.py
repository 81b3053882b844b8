"""Claims checked as Apache Arrow record batches: one checker for any engine (pyarrow, Parquet,
Polars, DuckDB, Spark through :mod:`cptref.spark`).

    from cptref.arrow import ArrowChecker

    with ArrowChecker(cms="/data/ncci") as checker:
        results = checker.check(claims)          # a RecordBatch in, a RecordBatch out
        table = checker.check_table(claims_table)

:class:`ArrowChecker` opens the library and the CMS tables once (as ``check`` does: ``data`` is
``--data``, ``cms`` is ``--cms``), then checks record batches of claims, one result row a claim in
input order, each claim on its own date of service (else ``date``; else it is a problem row), in
``setting`` unless the claim names its own. Rows of claims in = rows of results out: a claim that
cannot be read is a row whose ``problem`` says why (``ok`` and ``verified`` false), never dropped.

The claims' shapes are :mod:`cptref.check.arrow`'s (:data:`CLAIM_SCHEMA`, one row a claim;
:data:`LINE_SCHEMA`, one row a line); the results' is :data:`RESULT_SCHEMA` (the fields of a
``check --jsonl`` line and ``problem``), generated from the same msgspec types as ``cptref schema``
(:mod:`cptref.output.arrow`; docs/ARROW.md lists them). pyarrow is an optional extra:
``pip install 'cptref[arrow]'``.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from cptref.check.arrow import CLAIM_SETTINGS, ArrowClaims, Unread, aligned, bad_setting, id_type
from cptref.check.batch import NO_DATE
from cptref.check.engine import CheckTables, check
from cptref.check.results import BatchSummary
from cptref.output.arrow import (
    CLAIM_SCHEMA,
    EXPLAINED_SCHEMA,
    LINE_SCHEMA,
    RESULT_SCHEMA,
    ArrowResults,
    encode_row,
    result_schema,
)

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog

__all__ = [
    "CLAIM_SCHEMA",
    "EXPLAINED_SCHEMA",
    "LINE_SCHEMA",
    "RESULT_SCHEMA",
    "ArrowChecker",
    "encode_row",
    "open_cms",
    "open_library",
]

LibraryData = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
"""The library as ``--data`` names it: None (the shipped data and ``$CPTREF_DATA``), a path list
layered over the shipped data, or a sequence of folders, lowest first, read as given."""


class ArrowChecker:
    """Checks Arrow record batches of claims: the library and the CMS tables opened once, then
    :meth:`check` a batch at a time, each claim on its own date (else ``date``; else a problem row),
    in ``setting`` (``practitioner`` or ``hospital``) unless the claim's ``setting`` column names another.

    ``data`` is the library as ``--data`` names it; ``cms`` the user's CMS downloads as ``--cms``
    names them (a path list; None: ``$CPTREF_CMS``, else no table: no claim is verified), or
    :class:`~cptref.cms.CmsTables` already open; ``explain`` and ``fields`` as ``check --jsonl
    --explain/--fields``. ``summary`` counts every claim checked, as ``check --file``'s summary line."""

    def __init__(
        self,
        data: LibraryData = None,
        cms: str | os.PathLike[str] | CmsTables | None = None,
        setting: str = "practitioner",
        explain: bool = False,
        date: datetime.date | None = None,
        fields: Sequence[str] | None = None,
        *,
        catalog: Catalog | None = None,
    ) -> None:
        if setting not in CLAIM_SETTINGS:
            raise ValueError(bad_setting(setting))
        self.setting = CLAIM_SETTINGS[setting]
        self.explain = explain
        self.date = date
        self.fields = tuple(fields) if fields else None
        self.catalog = catalog if catalog is not None else open_library(data)
        opened = open_cms(cms)
        self.cms = opened
        self._owns_cms = opened is not None and opened is not cms
        if opened is not None:
            opened.preload()  # a batch asks about many codes: each table read once
        self._tables: dict[str, CheckTables] = {}
        self.tables = self.tables_for(self.setting)
        self._reader = ArrowClaims()
        self._results: dict[pa.DataType, ArrowResults] = {}
        self.summary = BatchSummary()
        """Counts over every batch checked: claims, with errors, not verified; problem rows in ``skipped``."""

    def tables_for(self, setting: str) -> CheckTables:
        """What the rules prepared, for a setting as the CMS tables name it (made on first use)."""
        found = self._tables.get(setting)
        if found is None:
            found = self._tables[setting] = CheckTables.from_catalog(self.catalog, self.cms, setting)
        return found

    def close(self) -> None:
        """Close the CMS tables this checker opened."""
        if self._owns_cms and self.cms is not None:
            self.cms.close()
            self.cms = None

    def __enter__(self) -> ArrowChecker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def result_schema(self, claims: pa.Schema | None = None) -> pa.Schema:
        """The schema of the results of claims of schema ``claims`` (their id type kept: integer or text)."""
        return result_schema(self.explain, self.fields, id_type(claims) if claims is not None else None)

    def check(self, batch: pa.RecordBatch, first: int | None = 1) -> pa.RecordBatch:
        """The results of a batch of claims (one row a claim, or one row a line: then the batch holds
        each claim's lines whole), one row a claim in input order. ``first`` is the row number of the
        batch's first row in its stream (a claim's ``line`` when the batch has no ``line`` column;
        None: null). Raises TypeError or ValueError for a batch whose columns are not a claim's."""
        items, settings = self._reader.read(batch, first)
        schema = self.result_schema(batch.schema)
        out = self._results.get(schema.field("id").type)
        if out is None:
            out = self._results[schema.field("id").type] = ArrowResults(schema, self.tables.title, self.explain)
        summary, default_tables, explain, default = self.summary, self.tables, self.explain, self.date
        for item, setting in zip(items, settings, strict=True):
            if isinstance(item, Unread):
                summary.skipped += 1
                out.problem(item.line, item.message, item.id)
                continue
            day = item.date or default
            if day is None:
                summary.skipped += 1
                out.problem(item.line, NO_DATE, item.id)
                continue
            tables = default_tables
            if setting is not None:
                known = CLAIM_SETTINGS.get(setting)
                if known is None:
                    summary.skipped += 1
                    out.problem(item.line, bad_setting(setting), item.id)
                    continue
                tables = self.tables_for(known)
            result = check(tables, item.codes, day, explain)
            summary.add(result)
            out.add(item, result)
        return out.batch()

    def check_batches(self, batches: Iterable[pa.RecordBatch], first: int | None = 1) -> Iterator[pa.RecordBatch]:
        """The results of a stream of batches, one result batch each, in order (one row a line: cut
        where claims end, so a claim may straddle two input batches)."""
        if first is None:
            for batch in aligned(batches):
                yield self.check(batch, None)
            return
        for batch, start in numbered(aligned(batches), first):
            yield self.check(batch, start)

    def check_table(self, table: pa.Table, batch_size: int = 2_000) -> pa.Table:
        """The results of a whole table, checked ``batch_size`` rows at a time."""
        schema = self.result_schema(table.schema)
        return pa.Table.from_batches(list(self.check_batches(table.to_batches(batch_size))), schema=schema)


def numbered(batches: Iterable[pa.RecordBatch], first: int = 1) -> Iterator[tuple[pa.RecordBatch, int]]:
    """Each batch with the row number of its first row in the stream (from ``first``)."""
    for batch in batches:
        yield batch, first
        first += batch.num_rows


def open_library(data: LibraryData = None) -> Catalog:
    """The library as ``--data`` names it (see :data:`LibraryData`). Raises DataErrors when a data file has a
    problem, as a batch does."""
    from cptref.library.catalog import load_catalog
    from cptref.library.paths import layers

    if data is None or isinstance(data, str | os.PathLike):
        return load_catalog(layers(os.fspath(data) if data is not None else None))
    return load_catalog([os.fspath(d) for d in data])


def open_cms(cms: Any) -> CmsTables | None:
    """The CMS tables as ``--cms`` names them (a path list; None: ``$CPTREF_CMS``; [] for none),
    compiled once and kept, or ``cms`` itself when already open. A named path that does not exist is
    a UsageError; paths of which no table loads are NoTables, as in ``check``."""
    if hasattr(cms, "preload") and hasattr(cms, "view"):
        found: CmsTables = cms
        return found
    from cptref.cms import open_tables
    from cptref.errors import NoTables, UsageError
    from cptref.library.paths import cms_paths

    paths = cms_paths(os.fspath(cms) if cms is not None else None)
    if not paths:
        return None
    tables = open_tables(paths)
    summary = tables.summary()
    named = os.pathsep.join(map(str, paths))
    if any(p.code == "missing" for p in summary.problems):
        tables.close()
        raise UsageError(f"cms: {named}: no such file or directory")
    if not summary.tables:
        tables.close()
        raise NoTables(f"no CMS table could be loaded from {named}; `cptref tables --cms PATH` lists each file")
    return tables
