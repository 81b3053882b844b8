"""What changed between two sets of a user's CMS tables: of each kind and setting, the rows of one
table with no identical row in the other, paired by their key, each pair (or lone row) one change
with both values and the rows it came from (``cptref changes``).

The two sets' compiled files are attached to one private connection (two quarters of one ``--cms``
folder are one file, attached twice). Per kind and setting, a keyed ``NOT EXISTS`` that seeks the
primary key finds the rows of each side with no identical row on the other (into temporary tables,
on disk); for a PTP pair or an add-on that gained a row, its old rows (its history) are read too;
then one ordered pass pairs those few rows a group (a pair, an add-on, a code) at a time, and each
change found is spooled to a temporary table, from which they are read back grouped by code, the
most consequential code first. Memory holds one group, never a table; a comparison stops at a
limit of changes and says so. The figures: ``bench/RESULTS.md``.

The changes are typed records (:data:`Change`), described for ``cptref schema changes``, as a
check's :class:`~cptref.check.results.Finding` is; the document around them is
:mod:`cptref.output.changes_documents`.
"""

from __future__ import annotations

import datetime
import itertools
import re
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, cast

import msgspec
from msgspec import Meta, Struct

from cptref.errors import UsageError
from cptref.model.codes import CODE_RE
from cptref.model.records import about, quarter_bounds

from .models import NO_END, TableId
from .ptpindex import PTP_COLUMNS, read_arrays
from .ptprows import differing_rows

if TYPE_CHECKING:
    from .reader import CmsTables, HeldTable

# the changes

_ROW = about("Where the row is in your file: the file and the line.")
_TABLE = about("The table's id, kind/setting/version, as cptref tables lists it (ptp/practitioner/32.3r0).")
Effect = Literal["stricter", "looser", "mixed", "other"]
_EFFECT = about(
    "What the change does to claims: stricter (a claim that passed may now be stopped or warned: a new edit, an "
    "indicator 0, an MUE lowered, an add-on's primary removed, a status not paid); looser (the reverse); mixed "
    "(both, on one row); other (no direction can be told, or what check decides does not change: a rationale, "
    "RVUs, global days)."
)
_RANK = about(
    "How consequential the change is, 0 first: 0 a PTP edit of indicator 0 now in force (new, re-added or "
    "flipped); 1 an MUE stricter (new, lowered, or a stricter adjudication indicator); 2 an add-on code edit "
    "stricter (a primary removed or deleted, a new add-on, type 1); 3 a PTP edit of indicator 1 now in force; "
    "4 the fee schedule's status, bilateral, global days or other indicators; 5 any looser change; 6 the rest "
    "(rationales, notes, RVUs, rows never in force)."
)
_CHANGED = about("The fields whose values differ between before and after (all of them for a row added or removed).")
_CODE = about(
    "The code the change is listed under: the code of your list it names (else its column 1 code, its add-on, "
    "its code)."
)
_CODES = about("Every code the row names (column 1 and column 2; add-on and primary; the code).")
_BEFORE = about("The row in the table before, or null: the row is new.")
_AFTER = about("The row in the table after, or null: the row is gone.")


class PtpState(Struct, frozen=True):
    """An NCCI PTP row as one table gives it."""

    modifier_indicator: Annotated[
        int, about("0: no modifier allows both; 1: an NCCI-associated modifier may; 9: no edit.")
    ]
    effective: Annotated[str, about("The date the edit takes effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The first date it no longer applies, YYYY-MM-DD, or null: in force.")]
    pre_1996: Annotated[bool, about("Whether the table marks the edit as in existence before 1996.")]
    rationale: Annotated[str, about("The table's rationale.")]
    table: Annotated[str, _TABLE]
    row: Annotated[str, _ROW]


class MueState(Struct, frozen=True):
    """A medically unlikely edit as one table gives it."""

    value: Annotated[int, about("The most units.")]
    indicator: Annotated[
        int, about("The adjudication indicator: 1 a claim line; 2 a date (policy); 3 a date (clinical).")
    ]
    rationale: Annotated[str, about("The table's rationale.")]
    table: Annotated[str, _TABLE]
    row: Annotated[str, _ROW]


class AocState(Struct, frozen=True):
    """An add-on code edit row as one table gives it."""

    type: Annotated[int, about("1: only listed primaries; 2: contractor-defined; 3: listed, the contractor may add.")]
    effective: Annotated[str, about("The date the add-on/primary pair takes effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The first date the pair no longer applies, YYYY-MM-DD, or null.")]
    addon_deleted: Annotated[str | None, about("The add-on code's own deletion date, or null.")]
    primary_deleted: Annotated[str | None, about("The primary code's own deletion date, or null.")]
    notes: Annotated[str, about("The table's special instruction notes.")]
    table: Annotated[str, _TABLE]
    row: Annotated[str, _ROW]


class RvuState(Struct, frozen=True):
    """A row of the fee schedule's relative value file (PPRRVU), as one release gives it (its short
    descriptor, AMA text, is not repeated here: short_descriptor in fields says when it changed)."""

    status: Annotated[str, about("The status code (A active, B bundled, I not valid for Medicare ...).")]
    global_days: Annotated[str | None, about("The global surgery days (000, 010, 090, XXX, YYY, ZZZ, MMM), or null.")]
    pctc: Annotated[int | None, about("The professional/technical component indicator, or null.")]
    multiple_procedure: Annotated[int | None, about("The multiple procedure indicator, or null.")]
    bilateral: Annotated[int | None, about("The bilateral surgery indicator (0-3, 9), or null.")]
    assistant: Annotated[int | None, about("The assistant at surgery indicator, or null.")]
    co_surgeon: Annotated[int | None, about("The co-surgeon indicator, or null.")]
    team_surgeon: Annotated[int | None, about("The team surgeon indicator, or null.")]
    work_rvu: Annotated[float | None, about("The work RVU, or null.")]
    nonfacility_pe_rvu: Annotated[float | None, about("The non-facility practice expense RVU, or null.")]
    facility_pe_rvu: Annotated[float | None, about("The facility practice expense RVU, or null.")]
    mp_rvu: Annotated[float | None, about("The malpractice RVU, or null.")]
    nonfacility_total: Annotated[float | None, about("The non-facility total RVU, or null.")]
    facility_total: Annotated[float | None, about("The facility total RVU, or null.")]
    table: Annotated[str, _TABLE]
    row: Annotated[str, _ROW]


PtpWhat = Literal[
    "added",
    "re-added",
    "deleted",
    "undeleted",
    "deletion-date-changed",
    "indicator-changed",
    "re-dated",
    "removed",
    "rationale-changed",
    "pre-1996-changed",
]
MueWhat = Literal["added", "removed", "lowered", "raised", "indicator-changed", "rationale-changed"]
AocWhat = Literal[
    "addon-added",
    "primary-added",
    "primary-re-added",
    "primary-deleted",
    "primary-undeleted",
    "deletion-date-changed",
    "primary-removed",
    "type-changed",
    "code-deletion-changed",
    "notes-changed",
]
RvuWhat = Literal[
    "added",
    "removed",
    "status-changed",
    "bilateral-changed",
    "global-days-changed",
    "indicators-changed",
    "rvus-changed",
    "descriptor-changed",
]


class PtpChange(Struct, frozen=True, tag="ptp", tag_field="kind"):
    """A change of an NCCI PTP edit: a row of the pair added, gone, or with other values. Rows are
    matched on column 1, column 2 and effective date (a pair may have several rows, a history); a row
    that succeeds another of the pair on the day that one ends is one change, before the old row and
    after the new (ended: the old row as the new table ends it)."""

    setting: Annotated[str, about("practitioner or outpatient_hospital.")]
    code: Annotated[str, _CODE]
    codes: Annotated[list[str], _CODES]
    change: Annotated[
        PtpWhat,
        about(
            "added (a pair the old table did not have); re-added (a pair whose old rows had all ended); deleted (a "
            "deletion date set); undeleted; deletion-date-changed; indicator-changed (in place, or by a new row "
            "that takes over the day the old one ends); re-dated (a new row takes over, same indicator); removed (a "
            "row no longer in the table at all); rationale-changed; pre-1996-changed."
        ),
    ]
    effect: Annotated[Effect, _EFFECT]
    rank: Annotated[int, Meta(ge=0, le=6), _RANK]
    fields: Annotated[list[str], _CHANGED]
    column1: Annotated[str, about("The column 1 code (paid).")]
    column2: Annotated[str, about("The column 2 code (not paid with column 1).")]
    before: Annotated[PtpState | None, _BEFORE]
    after: Annotated[PtpState | None, _AFTER]
    ended: Annotated[
        PtpState | None,
        about("For a row that takes over from another: that other row as the new table ends it; null otherwise."),
    ]


class MueChange(Struct, frozen=True, tag="mue", tag_field="kind"):
    """A change of a code's medically unlikely edit."""

    setting: Annotated[str, about("practitioner, outpatient_hospital or dme.")]
    code: Annotated[str, _CODE]
    codes: Annotated[list[str], _CODES]
    change: Annotated[
        MueWhat,
        about(
            "added (the code has an MUE now), removed, lowered, raised (the value; indicator in fields when it "
            "moved too), indicator-changed (the adjudication indicator alone), rationale-changed."
        ),
    ]
    effect: Annotated[Effect, _EFFECT]
    rank: Annotated[int, Meta(ge=0, le=6), _RANK]
    fields: Annotated[list[str], _CHANGED]
    before: Annotated[MueState | None, _BEFORE]
    after: Annotated[MueState | None, _AFTER]


class AocChange(Struct, frozen=True, tag="aoc", tag_field="kind"):
    """A change of an add-on code edit: an add-on's primary added, removed or changed."""

    setting: Annotated[str, about("all (one AOC table for every setting).")]
    code: Annotated[str, _CODE]
    codes: Annotated[list[str], _CODES]
    change: Annotated[
        AocWhat,
        about(
            "addon-added (an add-on the old table did not have), primary-added, primary-re-added, primary-deleted (a "
            "deletion date set on the pair), primary-undeleted, deletion-date-changed, primary-removed (the row is "
            "no longer in the table), type-changed, code-deletion-changed (the add-on's or primary's own deletion "
            "date), notes-changed."
        ),
    ]
    effect: Annotated[Effect, _EFFECT]
    rank: Annotated[int, Meta(ge=0, le=6), _RANK]
    fields: Annotated[list[str], _CHANGED]
    addon: Annotated[str, about("The add-on code.")]
    primary: Annotated[str | None, about("The primary code, or null (type 2: the contractor defines them).")]
    before: Annotated[AocState | None, _BEFORE]
    after: Annotated[AocState | None, _AFTER]


class RvuChange(Struct, frozen=True, tag="rvu", tag_field="kind"):
    """A change of a fee schedule (PPRRVU) row: a code with one modifier."""

    setting: Annotated[str, about("nonqpp, qpp or all (one file before 2026).")]
    code: Annotated[str, _CODE]
    codes: Annotated[list[str], _CODES]
    change: Annotated[
        RvuWhat,
        about(
            "added, removed, status-changed, bilateral-changed, global-days-changed, indicators-changed (PC/TC, "
            "multiple procedure, assistant, co- or team surgeon), rvus-changed, descriptor-changed (the short "
            "descriptor, not repeated here); the first that applies, every changed field in fields."
        ),
    ]
    effect: Annotated[Effect, _EFFECT]
    rank: Annotated[int, Meta(ge=0, le=6), _RANK]
    fields: Annotated[list[str], _CHANGED]
    modifier: Annotated[str, about('The row\'s modifier ("" for none, 26, TC ...).')]
    before: Annotated[RvuState | None, _BEFORE]
    after: Annotated[RvuState | None, _AFTER]


Change = PtpChange | MueChange | AocChange | RvuChange
CHANGE_TYPES: tuple[type[Struct], ...] = (PtpChange, MueChange, AocChange, RvuChange)


class SideTable(Struct, frozen=True):
    """One table compared."""

    id: Annotated[str, _TABLE]
    label: Annotated[str, about("In words: NCCI PTP edits, practitioner, v32.3r0.")]
    starts: Annotated[str | None, about("The first date of service it is in force for, or null (unknown).")]
    ends: Annotated[str | None, about("The last date of service it is in force for, or null.")]
    complete: Annotated[
        bool,
        about(
            "Whether it was read whole (no part missing, no row rejected). When false, the rows it lacks show as "
            "added or removed: a note says so."
        ),
    ]


TableKind = Literal["ptp", "mue", "aoc", "rvu"]


class Compared(Struct, frozen=True):
    """A kind and setting of table: the two tables compared, or why not, and how many changes were found
    (among the codes asked for)."""

    kind: Annotated[TableKind, about("ptp, mue, aoc or rvu.")]
    setting: Annotated[str, about("The setting (practitioner, outpatient_hospital, dme, all, nonqpp, qpp).")]
    before: Annotated[SideTable | None, about("The table of the before set, or null: it has none of this kind.")]
    after: Annotated[SideTable | None, about("The table of the after set, or null.")]
    changes: Annotated[int, Meta(ge=0), about("How many changes were found (0 when not compared).")]
    counts: Annotated[dict[str, int], about("How many of each change (its change value -> count).")]
    notes: Annotated[
        list[str],
        about(
            "What to know: not compared and why, a table not read whole, a conversion factor that changed, a "
            "comparison stopped at the limit."
        ),
    ]
    complete: Annotated[
        bool,
        about(
            "Whether every change between the two tables was looked for: false when they were not compared, or the "
            "comparison stopped at --limit (a note says so)."
        ),
    ] = True


# the two sets

_QUARTER = re.compile(r"^(\d{4})-?[qQ]([1-4])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_days(text: str) -> tuple[datetime.date, datetime.date]:
    """``2026Q3`` -> its first and last day."""
    match = _QUARTER.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return quarter_bounds(int(match.group(1)), int(match.group(2)))


def previous_quarter(text: str) -> str:
    first, _ = quarter_days(text)
    return quarter_of(first - datetime.timedelta(days=1))


def read_quarter(text: str) -> str | None:
    """A quarter as a user writes one (``2026Q3``, ``2026q3``, ``2026-Q3``) or a date in it
    (``2026-08-15``); None when ``text`` is neither (it is then a path)."""
    match = _QUARTER.fullmatch(text)
    if match is not None:
        return f"{match.group(1)}Q{match.group(2)}"
    if _DATE.fullmatch(text):
        try:
            return quarter_of(datetime.date.fromisoformat(text))
        except ValueError:
            return None
    return None


@dataclass
class Side:
    """One set of tables: the compiled file they are in, and of each kind and setting the table chosen."""

    given: str
    quarter: str | None
    cms: CmsTables
    tables: dict[tuple[str, str], HeldTable]
    paths: list[str]

    @property
    def file(self) -> Path:
        assert self.cms.path is not None
        return self.cms.path

    @property
    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The quarter the set is in force for: named, else the one its tables share (the newest)."""
        if self.quarter is not None:
            return quarter_days(self.quarter)
        dated = [c.table for c in self.tables.values() if c.table.starts is not None and c.table.ends is not None]
        if not dated:
            return None
        newest = max(dated, key=lambda t: t.starts or datetime.date.min)
        assert newest.starts is not None and newest.ends is not None
        return newest.starts, newest.ends


def in_quarter(cms: CmsTables, quarter: str, given: str, paths: list[str]) -> Side:
    """The tables of ``cms`` in force on the first day of ``quarter``, of each kind and setting."""
    first, _ = quarter_days(quarter)
    chosen: dict[tuple[str, str], HeldTable] = {}
    for item in cms.held():
        if item.table.in_force(first):
            chosen[(item.table.kind, item.table.setting)] = item
    return Side(given, quarter, cms, chosen, paths)


def newest(cms: CmsTables, given: str, paths: list[str]) -> Side:
    """Of each kind and setting of ``cms``, its newest table (a table of unknown dates only when alone)."""
    chosen: dict[tuple[str, str], HeldTable] = {}
    for item in sorted(cms.held(), key=lambda c: c.table.starts or datetime.date.min):
        chosen[(item.table.kind, item.table.setting)] = item
    return Side(given, None, cms, chosen, paths)


def quarters_held(cms: CmsTables) -> list[str]:
    """Every quarter some table of ``cms`` is in force for, oldest first."""
    found = {quarter_of(c.table.starts) for c in cms.held() if c.table.starts is not None}
    return sorted(found)


# narrowing


@dataclass
class CodeFilter:
    """The codes the changes are narrowed to: codes, ranges (first, last) and prefixes; empty: all."""

    codes: set[str] = field(default_factory=set)
    ranges: list[tuple[str, str]] = field(default_factory=list)
    asked_ranges: list[str] = field(default_factory=list)
    both: bool = False
    narrowed: bool = False
    """True when anything narrows (a family or a claims file may name no code: then nothing is kept)."""

    @property
    def everything(self) -> bool:
        return not self.codes and not self.ranges and not self.narrowed

    def holds(self, code: str | None) -> bool:
        if code is None:
            return False
        if self.everything:
            return True
        return code in self.codes or any(lo <= code <= hi for lo, hi in self.ranges)

    def add_argument(self, text: str) -> None:
        """A code (47542), a range (47531-47544) or a prefix (4753), as ``cptref list --range`` reads them."""
        value = text.strip().upper()
        first, dash, last = value.partition("-")
        if dash:
            if not (CODE_RE.fullmatch(first) and CODE_RE.fullmatch(last)) or first > last:
                raise UsageError(f"not a code range (47531-47544): {text[:40]!r}")
            self.ranges.append((first, last))
            self.asked_ranges.append(value)
        elif CODE_RE.fullmatch(value):
            self.codes.add(value)
        elif value.isalnum() and 1 <= len(value) <= 4:
            self.ranges.append((value, value + "~"))  # "~" sorts after every code character
            self.asked_ranges.append(value)
        else:
            raise UsageError(f"not a code, a code range (47531-47544) or a prefix (4753): {text[:40]!r}")

    def clause(self, alias: str, columns: Sequence[str]) -> tuple[str, dict[str, str]]:
        """A SQL condition on ``alias``'s code ``columns`` (either, or both with ``both``), and its named
        parameters; the codes are in ``temp.want``, the ranges bound as ``:lo0``/``:hi0`` ..."""
        if self.everything:
            return "1", {}
        params = {}
        for i, (lo, hi) in enumerate(self.ranges):
            params[f"lo{i}"], params[f"hi{i}"] = lo, hi
        terms = []
        for n, column in enumerate(columns):
            # with both, the first column's codes drive the search, the others filter (a unary + keeps
            # SQLite from seeking every pair of codes: 3,648 codes made 13 million seeks)
            name = f"{'+' if self.both and n else ''}{alias}.{column}"
            parts = [f"{name} IN (SELECT code FROM temp.want)"]  # noqa: S608 - names of ours
            parts += [f"{name} BETWEEN :lo{i} AND :hi{i}" for i in range(len(self.ranges))]
            terms.append("(" + " OR ".join(parts) + ")")
        return "(" + (" AND " if self.both else " OR ").join(terms) + ")", params


# comparing: the SQL


@dataclass(frozen=True)
class Spec:
    """How one kind of table is compared: its key (rows with the same key are the same edit; a key may
    repeat), the columns that group keys for the pairing pass (a PTP pair, an add-on, a code), the
    compared columns (``texts`` hold ids of the file's ``texts`` table, compared as text), the code
    columns narrowing reads, and whether added rows need the old rows of their group (a history)."""

    table: str
    key: tuple[str, ...]
    group: tuple[str, ...]
    values: tuple[str, ...]
    texts: tuple[str, ...]
    codes: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    context: bool = False
    hint: str = ""


SPECS: dict[str, Spec] = {
    "ptp": Spec(
        "ptp",
        key=("c1", "c2", "eff"),
        group=("c1", "c2"),
        values=("del", "mi", "pre"),
        texts=("rat",),
        codes=("c1", "c2"),
        context=True,
        # the primary key, not the column-2 index SQLite picks for (t, c1, c2, eff) and must then look up
        # every row from: 2.4 s against 4.2 s a direction on the full table
        hint="INDEXED BY sqlite_autoindex_ptp_1",
    ),
    "mue": Spec("mue", key=("code",), group=("code",), values=("value", "mai"), texts=("rat",), codes=("code",)),
    "aoc": Spec(
        "aoc",
        key=("addon", "primary_code", "eff"),
        group=("addon",),
        values=("type", "del", "addon_del", "primary_del"),
        texts=("notes",),
        codes=("addon", "primary_code"),
        nullable=frozenset({"primary_code", "addon_del", "primary_del"}),
        context=True,
    ),
    "rvu": Spec(
        "rvu",
        key=("code", "modifier"),
        group=("code",),
        values=(
            "status",
            "glob",
            "pctc",
            "mult",
            "bilat",
            "asst",
            "co",
            "team",
            "work",
            "nfpe",
            "fpe",
            "mp",
            "nft",
            "ft",
            "descriptor",
        ),
        texts=(),
        codes=("code",),
        nullable=frozenset(
            {
                "glob",
                "pctc",
                "mult",
                "bilat",
                "asst",
                "co",
                "team",
                "work",
                "nfpe",
                "fpe",
                "mp",
                "nft",
                "ft",
                "descriptor",
            }
        ),
    ),
}
"""The conversion factor (``rvu.conv``) is compared once a table, not row by row: a new year's changes
every row's."""


def _columns(spec: Spec) -> list[str]:
    return [*spec.key, *spec.values, *spec.texts]


def _same(spec: Spec, inner: str, outer: str, textmap: str | None) -> str:
    """The SQL condition that ``inner`` is the same row as ``outer`` (every compared column equal, texts
    through ``textmap`` when the two are in different files)."""
    terms = []
    for column in (*spec.key, *spec.values):
        op = "IS" if column in spec.nullable else "="
        terms.append(f"{inner}.{column} {op} {outer}.{column}")
    for column in spec.texts:
        if textmap is None:
            terms.append(f"{inner}.{column} = {outer}.{column}")
        else:
            mapped = f"(SELECT m.there FROM temp.{textmap} m WHERE m.here = {outer}.{column})"  # noqa: S608
            terms.append(f"{inner}.{column} = {mapped}")
    return " AND ".join(terms)


def only_in(
    spec: Spec, here: str, there: str, textmap: str | None, narrow: CodeFilter, hint: str
) -> tuple[str, dict[str, str]]:
    """The rows of table ``:here_t`` in schema ``here`` with no identical row in ``:there_t`` of ``there``
    (narrowed), with their file and line: a keyed anti-join, one primary-key seek a row."""
    columns = ", ".join(f"h.{c}" for c in _columns(spec))
    where, params = narrow.clause("h", spec.codes)
    sql = (
        f"SELECT {columns}, h.f, h.line FROM {here}.{spec.table} h WHERE h.t = :here_t AND {where} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {there}.{spec.table} o {hint} WHERE o.t = :there_t "
        f"AND {_same(spec, 'o', 'h', textmap)})"
    )
    return sql, params


def _row(file: str, line: int) -> str:
    """Where a row is, as check's findings cite it: ``ccipra-v323r0-f1.txt, line 12``."""
    return f"{file.rsplit('/', 1)[-1]}, line {line}"


def table_key(table: TableId) -> str:
    """A table's id, as ``cptref tables`` and a checked claim name it: ``ptp/practitioner/32.3r0``."""
    return f"{table.kind}/{table.setting}/{table.version}"


class _Files:
    """The display names of the files and the texts of one compiled file (small: read whole)."""

    def __init__(self, db: sqlite3.Connection, schema: str) -> None:
        self.files = {
            n: bytes(d).decode("utf-8", "surrogateescape")
            for n, d in db.execute(f"SELECT id, display FROM {schema}.files")  # noqa: S608
        }
        self.texts: dict[int, str] = dict(db.execute(f"SELECT id, text FROM {schema}.texts"))  # noqa: S608

    def row(self, f: int, line: int) -> str:
        return _row(self.files.get(f, "?"), line)


class _Compare:
    """One comparison: both compiled files attached to a private connection, the temporary tables of the
    rows that differ and of the changes found."""

    def __init__(self, before: Side, after: Side, narrow: CodeFilter, not_payable: Collection[str]) -> None:
        self.before, self.after, self.narrow = before, after, narrow
        self.not_payable = not_payable
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.execute("PRAGMA temp_store = FILE")  # the differences and the changes spill to disk, not memory
        db.execute("PRAGMA cache_size = -4096")
        db.execute("ATTACH ? AS a", (f"{before.file.resolve().as_uri()}?mode=ro",))
        db.execute("ATTACH ? AS b", (f"{after.file.resolve().as_uri()}?mode=ro",))
        for schema in ("a", "b"):
            db.execute(f"PRAGMA {schema}.cache_size = -4096")
        self.db = db
        self.same_file = before.file.resolve() == after.file.resolve()
        self.files = {"a": _Files(db, "a"), "b": _Files(db, "b")}
        db.execute("CREATE TEMP TABLE want (code TEXT PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT OR IGNORE INTO temp.want VALUES (?)", ((c,) for c in narrow.codes))
        db.execute(
            "CREATE TEMP TABLE changes (rank INTEGER NOT NULL, code TEXT NOT NULL, seq INTEGER NOT NULL, "
            "doc BLOB NOT NULL)"
        )
        self.seq = 0
        self.scratch = False
        """Whether the private tables of PTP rows (schemas ``pa``, ``pb``) are attached."""
        if not self.same_file:
            self._textmaps()

    def _textmaps(self) -> None:
        """Text id here -> the same text's id there, each way (texts are a few dozen a file)."""
        a, b = self.files["a"].texts, self.files["b"].texts
        in_b = {text: n for n, text in b.items()}
        in_a = {text: n for n, text in a.items()}
        for name, pairs in (
            ("a2b", [(n, in_b[t]) for n, t in a.items() if t in in_b]),
            ("b2a", [(n, in_a[t]) for n, t in b.items() if t in in_a]),
        ):
            self.db.execute(f"CREATE TEMP TABLE {name} (here INTEGER PRIMARY KEY, there INTEGER NOT NULL)")
            self.db.executemany(f"INSERT INTO temp.{name} VALUES (?, ?)", pairs)  # noqa: S608

    def close(self) -> None:
        self.db.close()

    def _ptp_rows(self, ta: int, tb: int) -> tuple[str, str] | None:
        """The rows of PTP tables ``ta`` and ``tb`` that differ, for the SQL below. The compiled file
        keeps the rows of a table whose index could be built in the index alone: of two indexed tables,
        the rows that differ are found by a merge of the two sorted arrays
        (:func:`ptprows.differing_rows`) and written to the temporary tables ``gone``, ``came`` and
        ``ctx`` as the SQL would (None: done). When one has no index (its rows are in its ``ptp``
        table), the other's rows are copied to a private temporary ``ptp`` table (schema ``pa`` or
        ``pb``), and the schemas the SQL is to compare are returned."""
        db = self.db
        a, b = read_arrays(db, ta, "a"), read_arrays(db, tb, "b")
        if a is None and b is None:
            return "a", "b"
        columns = "c1, c2, eff, del, mi, pre, rat, f, line"
        if a is not None and b is not None:
            texts = None
            if not self.same_file:
                in_b = {text: n for n, text in self.files["b"].texts.items()}
                texts = {n: in_b[text] for n, text in self.files["a"].texts.items() if text in in_b}
            for name in ("gone", "came", "ctx"):
                db.execute(f"CREATE TEMP TABLE {name} ({columns})")
            narrow = None if self.narrow.everything else (self.narrow.holds, self.narrow.both)
            for side, rows in differing_rows(a, b, texts, narrow):
                name = ("gone", "came", "ctx")[side]
                db.executemany(f"INSERT INTO temp.{name} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
            return None
        if not self.scratch:
            for schema in ("pa", "pb"):
                db.execute("ATTACH '' AS " + schema)  # a private temporary file, removed on close
                db.execute(f"CREATE TABLE {schema}.ptp ({PTP_COLUMNS}) WITHOUT ROWID")
            self.scratch = True
        for schema, t, arrays in (("pa", ta, a), ("pb", tb, b)):
            db.execute(f"DELETE FROM {schema}.ptp")  # noqa: S608 - names of ours
            if arrays is not None:
                db.executemany(
                    f"INSERT INTO {schema}.ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    ((t, *row) for row in arrays.rows_of(0, arrays.count)),
                )
        return ("pa" if a is not None else "a"), ("pb" if b is not None else "b")

    def differing(self, spec: Spec, ta: int, tb: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows of table ``ta`` (side 0) and ``tb`` (side 1) with no identical row on the other side,
        and (side 2) every row of ``ta`` in a group that has a row only in ``tb`` (its history), ordered
        by group; each row is its compared columns, then file and line."""
        db = self.db
        columns = _columns(spec)
        for name in ("gone", "came", "ctx"):
            db.execute(f"DROP TABLE IF EXISTS temp.{name}")
        wanted = ", ".join([*columns, "f", "line"])
        schemas = self._ptp_rows(ta, tb) if spec.table == "ptp" else ("a", "b")
        if schemas is None:  # the PTP rows that differ, found in the two tables' indexes
            yield from self._ordered(spec, wanted)
            return
        before, after = schemas
        for name, here, there, textmap, params in (
            ("gone", before, after, None if self.same_file else "a2b", {"here_t": ta, "there_t": tb}),
            ("came", after, before, None if self.same_file else "b2a", {"here_t": tb, "there_t": ta}),
        ):
            for hint in (spec.hint, ""):
                sql, narrowing = only_in(spec, here, there, textmap, self.narrow, hint)
                try:
                    db.execute(f"CREATE TEMP TABLE {name} AS {sql}", {**params, **narrowing})
                    break
                except sqlite3.OperationalError as error:
                    if not hint or "no such index" not in str(error):
                        raise  # the hint names SQLite's own index of the primary key; without it, slower
        if spec.context:
            group = ", ".join(spec.group)
            on = " AND ".join(f"o.{c} = k.{c}" for c in spec.group)
            db.execute(
                f"CREATE TEMP TABLE ctx AS SELECT {', '.join(f'o.{c}' for c in [*columns, 'f', 'line'])} "  # noqa: S608
                f"FROM (SELECT DISTINCT {group} FROM temp.came) k JOIN {before}.{spec.table} o {spec.hint} "
                f"ON o.t = :t AND {on}",
                {"t": ta},
            )
        yield from self._ordered(spec, wanted)

    def _ordered(self, spec: Spec, wanted: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows of ``gone``, ``came`` and ``ctx`` (when the kind has a history), ordered by key, then side."""
        arms = [f"SELECT 0 AS side, {wanted} FROM temp.gone", f"SELECT 1, {wanted} FROM temp.came"]  # noqa: S608
        if spec.context:
            arms.append(f"SELECT 2, {wanted} FROM temp.ctx")  # noqa: S608
        order = ", ".join(f"{i + 2}" for i in range(len(spec.key)))
        for row in self.db.execute(" UNION ALL ".join(arms) + f" ORDER BY {order}, 1"):
            yield row[0], row[1:]

    def differ(self) -> int:
        """How many rows of the last two tables compared have no identical row on the other side."""
        return sum(self.db.execute(f"SELECT count(*) FROM temp.{name}").fetchone()[0] for name in ("gone", "came"))  # noqa: S608

    def store(self, change: Change) -> None:
        self.seq += 1
        self.db.execute(
            "INSERT INTO temp.changes VALUES (?, ?, ?, ?)",
            (change.rank, change.code, self.seq, msgspec.msgpack.encode(change)),
        )

    def stored(self) -> Iterator[Change]:
        """The changes found, grouped by code, codes by their most consequential change, then by rank."""
        decoder = msgspec.msgpack.Decoder(Change)
        for (doc,) in self.db.execute(
            "SELECT doc FROM (SELECT doc, code, rank, seq, min(rank) OVER (PARTITION BY code) AS best "
            "FROM temp.changes) ORDER BY best, code, rank, seq"
        ):
            yield decoder.decode(doc)

    def conversion(self, ta: int, tb: int) -> str | None:
        """A note when the fee schedule's conversion factor changed."""
        old = sorted(x for (x,) in self.db.execute("SELECT DISTINCT conv FROM a.rvu WHERE t = ?", (ta,)) if x)
        new = sorted(x for (x,) in self.db.execute("SELECT DISTINCT conv FROM b.rvu WHERE t = ?", (tb,)) if x)
        if old == new:
            return None
        return f"conversion factor {', '.join(map(str, old)) or 'none'} -> {', '.join(map(str, new)) or 'none'}"


# ---------------------------------------------------------------------------------------------------
# comparing: pairing the rows that differ, and what each change is


def _ymd(value: int | None) -> str | None:
    if value is None or value >= NO_END:
        return None
    return f"{value // 10_000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


@dataclass(frozen=True)
class _Row:
    """A row that differs: which side (0 before, 1 after, 2 before and unchanged: history), its compared
    columns by name, file and line."""

    side: int
    cells: dict[str, Any]
    f: int
    line: int

    def __getitem__(self, column: str) -> Any:
        return self.cells[column]


def _rows(spec: Spec, found: Iterable[tuple[int, tuple[Any, ...]]]) -> Iterator[list[_Row]]:
    """The differing rows, a group at a time."""
    columns = _columns(spec)
    width = len(spec.group)

    def group(item: tuple[int, tuple[Any, ...]]) -> tuple[Any, ...]:
        return item[1][:width]

    for _, items in itertools.groupby(found, key=group):
        yield [_Row(side, dict(zip(columns, cells, strict=False)), cells[-2], cells[-1]) for side, cells in items]


def _pair(spec: Spec, gone: list[_Row], came: list[_Row]) -> tuple[list[tuple[_Row, _Row]], list[_Row], list[_Row]]:
    """Rows of the same key matched (where a key repeats, the most alike first); the rest alone."""
    matched: list[tuple[_Row, _Row]] = []
    left: list[_Row] = []
    waiting = list(came)
    for old in gone:
        key = tuple(old[c] for c in spec.key)
        same = [new for new in waiting if tuple(new[c] for c in spec.key) == key]
        if not same:
            left.append(old)
            continue
        best = max(same, key=lambda new: sum(new[c] == old[c] for c in (*spec.values, *spec.texts)))
        waiting.remove(best)
        matched.append((old, best))
    return matched, left, waiting


def _effect(stricter: bool, looser: bool) -> Effect:
    if stricter and looser:
        return "mixed"
    return "stricter" if stricter else "looser" if looser else "other"


class Classifier:
    """Turns a group of differing rows into changes, for one kind and setting."""

    def __init__(self, compare: _Compare, kind: str, setting: str, before: HeldTable, after: HeldTable) -> None:
        self.compare = compare
        self.kind, self.setting = kind, setting
        self.ids = {0: table_key(before.table), 1: table_key(after.table), 2: table_key(before.table)}
        self.files = {0: compare.files["a"], 1: compare.files["b"], 2: compare.files["a"]}
        self.narrow = compare.narrow

    def text(self, row: _Row, column: str) -> str:
        return self.files[row.side].texts.get(row[column], "")

    def where(self, row: _Row) -> str:
        return self.files[row.side].row(row.f, row.line)

    def filed(self, *codes: str | None) -> str:
        """The code a change is listed under: the first of ``codes`` asked for, else the first."""
        if not self.narrow.everything:
            for code in codes:
                if code is not None and self.narrow.holds(code):
                    return code
        for code in codes:
            if code is not None:
                return code
        raise ValueError("no code")

    def changes(self, group: list[_Row]) -> Iterator[Change]:
        spec = SPECS[self.kind]
        gone = [r for r in group if r.side == 0]
        came = [r for r in group if r.side == 1]
        history = [r for r in group if r.side == 2]
        matched, removed, added = _pair(spec, gone, came)
        yield from getattr(self, f"_{self.kind}")(matched, removed, added, history)

    # PTP

    def _ptp_state(self, row: _Row) -> PtpState:
        return PtpState(
            row["mi"],
            _ymd(row["eff"]) or "",
            _ymd(row["del"]),
            bool(row["pre"]),
            self.text(row, "rat"),
            self.ids[row.side],
            self.where(row),
        )

    @staticmethod
    def _live(row: _Row) -> bool:
        """Whether a PTP row is ever in force: an indicator 0 or 1, ending after it begins."""
        return bool(row["mi"] != 9 and row["del"] > row["eff"])

    @staticmethod
    def _weight(row: _Row) -> int:
        """The rank of a PTP row coming into force: 0 for indicator 0, 3 for 1."""
        return 0 if row["mi"] == 0 else 3

    def _ptp_change(
        self,
        what: PtpWhat,
        effect: Effect,
        rank: int,
        fields: list[str],
        old: _Row | None,
        new: _Row | None,
        ended: _Row | None = None,
    ) -> PtpChange:
        some = new or old
        assert some is not None
        c1, c2 = some["c1"], some["c2"]
        return PtpChange(
            self.setting,
            self.filed(c1, c2),
            [c1, c2],
            what,
            effect,
            rank,
            fields,
            c1,
            c2,
            self._ptp_state(old) if old else None,
            self._ptp_state(new) if new else None,
            self._ptp_state(ended) if ended else None,
        )

    def _ptp(
        self, matched: list[tuple[_Row, _Row]], removed: list[_Row], added: list[_Row], history: list[_Row]
    ) -> Iterator[Change]:
        taken: set[int] = set()
        for new in sorted(added, key=lambda r: r["eff"]):
            # a row that takes over from another of the pair on the day that one ends (now, or already)
            ends_now = next(
                (i for i, (o, n) in enumerate(matched) if i not in taken and n["del"] == new["eff"] != o["del"]), None
            )
            already = next((h for h in history if h["del"] == new["eff"] and h["eff"] < new["eff"]), None)
            if ends_now is not None or already is not None:
                if ends_now is not None:
                    taken.add(ends_now)
                    old, ended = matched[ends_now]
                else:
                    assert already is not None
                    old, ended = already, None
                fields = ["modifier_indicator"] * (old["mi"] != new["mi"]) + ["effective"]
                if self.text(old, "rat") != self.text(new, "rat"):
                    fields.append("rationale")
                if old["mi"] != new["mi"]:
                    stricter = self._live(new) and (old["mi"] == 9 or new["mi"] < old["mi"])
                    rank = self._weight(new) if stricter else 5
                    yield self._ptp_change(
                        "indicator-changed", _effect(stricter, not stricter), rank, fields, old, new, ended
                    )
                else:
                    yield self._ptp_change("re-dated", "other", 6, fields, old, new, ended)
                continue
            earlier = [h for h in history if h["eff"] <= new["eff"]]
            fields = ["modifier_indicator", "effective", "deleted", "rationale"]
            live = self._live(new)
            if earlier and all(h["del"] <= new["eff"] for h in earlier):
                last = max(earlier, key=lambda h: (h["del"], h["eff"]))
                yield self._ptp_change(
                    "re-added", "stricter" if live else "other", self._weight(new) if live else 6, fields, last, new
                )
            else:
                yield self._ptp_change(
                    "added", "stricter" if live else "other", self._weight(new) if live else 6, fields, None, new
                )
        for i, (old, new) in enumerate(matched):
            if i not in taken:
                yield self._ptp_changed(old, new)
        for old in removed:
            live = self._live(old)
            yield self._ptp_change(
                "removed", "looser" if live else "other", 5 if live else 6, ["modifier_indicator", "deleted"], old, None
            )

    def _ptp_changed(self, old: _Row, new: _Row) -> PtpChange:
        fields = []
        if old["mi"] != new["mi"]:
            fields.append("modifier_indicator")
        if old["del"] != new["del"]:
            fields.append("deleted")
        if old["pre"] != new["pre"]:
            fields.append("pre_1996")
        if self.text(old, "rat") != self.text(new, "rat"):
            fields.append("rationale")
        was, now = self._live(old), self._live(new)
        if old["del"] == NO_END and new["del"] != NO_END:
            what: PtpWhat = "deleted"
        elif old["del"] != NO_END and new["del"] == NO_END:
            what = "undeleted"
        elif "modifier_indicator" in fields:
            what = "indicator-changed"
        elif "deleted" in fields:
            what = "deletion-date-changed"
        elif "rationale" in fields:
            what = "rationale-changed"
        else:
            what = "pre-1996-changed"
        stricter = looser = False
        if what in ("deleted", "undeleted", "deletion-date-changed", "indicator-changed"):
            if now and not was:
                stricter = True
            elif was and not now:
                looser = True
            elif was and now:
                if new["mi"] < old["mi"]:
                    stricter = True
                elif new["mi"] > old["mi"]:
                    looser = True
                if new["del"] > old["del"]:
                    stricter = True
                elif new["del"] < old["del"]:
                    looser = True
        effect = _effect(stricter, looser)
        rank = self._weight(new) if stricter else 5 if looser else 6
        return self._ptp_change(what, effect, rank, fields, old, new)

    # MUE

    def _mue_state(self, row: _Row) -> MueState:
        return MueState(row["value"], row["mai"], self.text(row, "rat"), self.ids[row.side], self.where(row))

    _MAI_STRICTNESS: ClassVar[dict[int, int]] = {1: 0, 3: 1, 2: 2}
    """A line edit (1) counts less than a date-of-service one; a clinical one (3) may be appealed, a policy one (2)
    not."""

    def _mue(
        self, matched: list[tuple[_Row, _Row]], removed: list[_Row], added: list[_Row], history: list[_Row]
    ) -> Iterator[Change]:
        def change(
            what: MueWhat, effect: Effect, rank: int, fields: list[str], old: _Row | None, new: _Row | None
        ) -> MueChange:
            some = new or old
            assert some is not None
            code = some["code"]
            return MueChange(
                self.setting,
                code,
                [code],
                what,
                effect,
                rank,
                fields,
                self._mue_state(old) if old else None,
                self._mue_state(new) if new else None,
            )

        every = ["value", "indicator", "rationale"]
        for new in added:
            yield change("added", "stricter", 1, every, None, new)
        for old in removed:
            yield change("removed", "looser", 5, every, old, None)
        for old, new in matched:
            fields = [
                name
                for name, differs in (
                    ("value", old["value"] != new["value"]),
                    ("indicator", old["mai"] != new["mai"]),
                    ("rationale", self.text(old, "rat") != self.text(new, "rat")),
                )
                if differs
            ]
            strict = self._MAI_STRICTNESS
            stricter = new["value"] < old["value"] or strict.get(new["mai"], 0) > strict.get(old["mai"], 0)
            looser = new["value"] > old["value"] or strict.get(new["mai"], 0) < strict.get(old["mai"], 0)
            what: MueWhat = (
                "lowered"
                if new["value"] < old["value"]
                else "raised"
                if new["value"] > old["value"]
                else "indicator-changed"
                if "indicator" in fields
                else "rationale-changed"
            )
            effect = _effect(stricter, looser)
            yield change(what, effect, 1 if stricter else 5 if looser else 6, fields, old, new)

    # AOC

    def _aoc_state(self, row: _Row) -> AocState:
        return AocState(
            row["type"],
            _ymd(row["eff"]) or "",
            _ymd(row["del"]),
            _ymd(row["addon_del"]),
            _ymd(row["primary_del"]),
            self.text(row, "notes"),
            self.ids[row.side],
            self.where(row),
        )

    def _aoc(
        self, matched: list[tuple[_Row, _Row]], removed: list[_Row], added: list[_Row], history: list[_Row]
    ) -> Iterator[Change]:
        def change(
            what: AocWhat, effect: Effect, rank: int, fields: list[str], old: _Row | None, new: _Row | None
        ) -> AocChange:
            some = new or old
            assert some is not None
            addon, primary = some["addon"], some["primary_code"]
            return AocChange(
                self.setting,
                self.filed(addon, primary),
                [c for c in (addon, primary) if c],
                what,
                effect,
                rank,
                fields,
                addon,
                primary,
                self._aoc_state(old) if old else None,
                self._aoc_state(new) if new else None,
            )

        every = ["type", "effective", "deleted", "addon_deleted", "primary_deleted", "notes"]
        for new in added:
            if not history:
                yield change("addon-added", "stricter", 2, every, None, new)
                continue
            same = [h for h in history if h["primary_code"] == new["primary_code"]]
            if same and all(h["del"] <= new["eff"] for h in same):
                last = max(same, key=lambda h: h["del"])
                yield change("primary-re-added", "looser", 5, every, last, new)
            else:
                yield change("primary-added", "looser", 5, every, None, new)
        for old in removed:
            yield change("primary-removed", "stricter", 2, every, old, None)
        for old, new in matched:
            fields = [
                name
                for name, differs in (
                    ("type", old["type"] != new["type"]),
                    ("deleted", old["del"] != new["del"]),
                    ("addon_deleted", old["addon_del"] != new["addon_del"]),
                    ("primary_deleted", old["primary_del"] != new["primary_del"]),
                    ("notes", self.text(old, "notes") != self.text(new, "notes")),
                )
                if differs
            ]
            stricter = looser = False
            if old["del"] == NO_END and new["del"] != NO_END:
                what: AocWhat = "primary-deleted"
                stricter = True
            elif old["del"] != NO_END and new["del"] == NO_END:
                what = "primary-undeleted"
                looser = True
            elif "deleted" in fields:
                what = "deletion-date-changed"
                stricter, looser = new["del"] < old["del"], new["del"] > old["del"]
            elif "type" in fields:
                what = "type-changed"
                stricter, looser = new["type"] == 1, old["type"] == 1
            elif "addon_deleted" in fields or "primary_deleted" in fields:
                what = "code-deletion-changed"
            else:
                what = "notes-changed"
            if "type" in fields and what != "type-changed":
                stricter, looser = stricter or new["type"] == 1, looser or old["type"] == 1
            effect = _effect(stricter, looser)
            yield change(what, effect, 2 if stricter else 5 if looser else 6, fields, old, new)

    # PPRRVU

    _RVU_FIELDS = (
        ("status", "status"),
        ("glob", "global_days"),
        ("pctc", "pctc"),
        ("mult", "multiple_procedure"),
        ("bilat", "bilateral"),
        ("asst", "assistant"),
        ("co", "co_surgeon"),
        ("team", "team_surgeon"),
        ("work", "work_rvu"),
        ("nfpe", "nonfacility_pe_rvu"),
        ("fpe", "facility_pe_rvu"),
        ("mp", "mp_rvu"),
        ("nft", "nonfacility_total"),
        ("ft", "facility_total"),
        ("descriptor", "short_descriptor"),
    )
    _RVUS = frozenset(
        ["work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu", "nonfacility_total", "facility_total"]
    )

    def _rvu_state(self, row: _Row) -> RvuState:
        cells = {name: row[column] for column, name in self._RVU_FIELDS if name != "short_descriptor"}
        return RvuState(**cells, table=self.ids[row.side], row=self.where(row))

    def _rvu(
        self, matched: list[tuple[_Row, _Row]], removed: list[_Row], added: list[_Row], history: list[_Row]
    ) -> Iterator[Change]:
        not_payable = self.compare.not_payable

        def change(
            what: RvuWhat, effect: Effect, rank: int, fields: list[str], old: _Row | None, new: _Row | None
        ) -> RvuChange:
            some = new or old
            assert some is not None
            return RvuChange(
                self.setting,
                some["code"],
                [some["code"]],
                what,
                effect,
                rank,
                fields,
                some["modifier"],
                self._rvu_state(old) if old else None,
                self._rvu_state(new) if new else None,
            )

        every = [name for _, name in self._RVU_FIELDS]
        for new in added:
            yield change("added", "other", 4, every, None, new)
        for old in removed:
            yield change("removed", "stricter", 4, every, old, None)
        for old, new in matched:
            fields = [name for column, name in self._RVU_FIELDS if old[column] != new[column]]
            if not fields:
                continue
            stricter = looser = False
            if "status" in fields:
                what: RvuWhat = "status-changed"
                stricter = new["status"] in not_payable and old["status"] not in not_payable
                looser = old["status"] in not_payable and new["status"] not in not_payable
            elif "bilateral" in fields:
                what = "bilateral-changed"
            elif "global_days" in fields:
                what = "global-days-changed"
            elif set(fields) - self._RVUS - {"short_descriptor"}:
                what = "indicators-changed"
            elif set(fields) & self._RVUS:
                what = "rvus-changed"
            else:
                what = "descriptor-changed"
            rank = 4 if stricter or what not in ("rvus-changed", "descriptor-changed") else 6
            if looser:
                rank = 5
            yield change(what, _effect(stricter, looser), rank, fields, old, new)


# ---------------------------------------------------------------------------------------------------
# the comparison, whole


KINDS = ("ptp", "mue", "aoc", "rvu")
COMPARED_SETTINGS = {
    "practitioner": {"practitioner", "all", "nonqpp"},
    "hospital": {"outpatient_hospital", "all", "nonqpp"},
    "all": {"practitioner", "outpatient_hospital", "dme", "all", "nonqpp", "qpp"},
}
"""``--setting`` -> the settings of tables compared (AOC: one table, ``all``; PPRRVU: non-QPP, or the one file)."""


def _keyed(side: Side) -> dict[tuple[str, str], HeldTable]:
    """A side's tables by kind and setting, a single PPRRVU file (setting ``all``, before 2026) under
    ``nonqpp``, so that it is compared with the non-QPP file of a later year."""
    tables = dict(side.tables)
    if ("rvu", "all") in tables and ("rvu", "nonqpp") not in tables:
        tables[("rvu", "nonqpp")] = tables.pop(("rvu", "all"))
    return tables


def pairs_of(
    before: Side, after: Side, kinds: Sequence[str], settings: set[str]
) -> list[tuple[str, str, HeldTable | None, HeldTable | None]]:
    """Each kind and setting held by either side (of those asked), with the table of each side."""
    old, new = _keyed(before), _keyed(after)
    keys = {k for k in (*old, *new) if k[0] in kinds and k[1] in settings}
    return [
        (kind, setting, old.get((kind, setting)), new.get((kind, setting)))
        for kind, setting in sorted(keys, key=lambda k: (KINDS.index(k[0]), k[1]))
    ]


def _side_table(chosen: HeldTable) -> SideTable:
    t = chosen.table
    return SideTable(
        table_key(t),
        t.label(),
        t.starts.isoformat() if t.starts else None,
        t.ends.isoformat() if t.ends else None,
        chosen.complete,
    )


@dataclass
class Comparison:
    """A comparison done: what was compared, and the changes (read back from the temporary table, in
    order). ``stopped``: the limit of changes was reached, so some were not looked for."""

    compared: list[Compared]
    compare: _Compare
    limit: int | None = None
    stopped: bool = False

    def changes(self) -> Iterator[Change]:
        return self.compare.stored()

    @property
    def found(self) -> int:
        return sum(item.changes for item in self.compared)

    def close(self) -> None:
        self.compare.close()


def _not_compared(kind: str, setting: str, old: HeldTable | None, new: HeldTable | None, note: str) -> Compared:
    return Compared(
        cast(TableKind, kind),
        setting,
        _side_table(old) if old else None,
        _side_table(new) if new else None,
        0,
        {},
        [note],
        complete=False,
    )


def compare(
    before: Side,
    after: Side,
    narrow: CodeFilter,
    kinds: Sequence[str] = KINDS,
    setting: str = "practitioner",
    not_payable: Collection[str] = (),
    limit: int | None = None,
) -> Comparison:
    """Compare the two sets' tables of ``kinds`` for ``setting`` (see :data:`COMPARED_SETTINGS`),
    narrowed. ``not_payable``: the fee schedule's status codes of a code not paid (a status moving
    into them is stricter). ``limit``: the most changes looked for; once reached, the rest of the
    table is not classified (its note says how many rows differ) and the tables after it are not
    compared, so that a comparison of unrelated tables (every row differs) stops in seconds."""
    work = _Compare(before, after, narrow, not_payable)
    result = Comparison([], work, limit)
    compared = result.compared
    stored = 0
    try:
        for kind, table_setting, old, new in pairs_of(before, after, kinds, COMPARED_SETTINGS[setting]):
            if old is None or new is None:
                missing, where = ("before", before) if old is None else ("after", after)
                why = f"not compared: the {missing} set ({where.given}) has no {kind.upper()} table for {table_setting}"
                compared.append(_not_compared(kind, table_setting, old, new, why))
                continue
            if result.stopped:
                why = f"not compared: the limit of {limit:,} changes was reached before this table"
                compared.append(_not_compared(kind, table_setting, old, new, why))
                continue
            notes: list[str] = []
            if old.number == new.number and work.same_file:
                notes.append("the same table on both sides: nothing to compare")
            for chosen, name in ((old, "before"), (new, "after")):
                if not chosen.complete:
                    notes.append(
                        f"the {name} table ({chosen.table.label()}) was not read whole (a part missing or rows "
                        "rejected: `cptref tables` says which): the rows it lacks show as "
                        + ("removed" if name == "after" else "added")
                    )
            counts: dict[str, int] = {}
            spec = SPECS[kind]
            classifier = Classifier(work, kind, table_setting, old, new)
            complete = True
            if not (old.number == new.number and work.same_file):
                for group in _rows(spec, work.differing(spec, old.number, new.number)):
                    if limit is not None and stored >= limit:
                        complete, result.stopped = False, True
                        notes.append(
                            f"stopped at the limit of {limit:,} changes: {work.differ():,} rows of the two tables "
                            "differ in all; narrow the codes or --kind, or raise --limit"
                        )
                        break
                    for change in classifier.changes(group):
                        if not narrow.everything and not any(narrow.holds(c) for c in change.codes):
                            continue  # a row of a history kept for pairing, not itself asked for
                        if narrow.both and not all(narrow.holds(c) for c in change.codes):
                            continue
                        counts[change.change] = counts.get(change.change, 0) + 1
                        work.store(change)
                        stored += 1
            if kind == "rvu":
                note = work.conversion(old.number, new.number)
                if note:
                    notes.append(note)
            compared.append(
                Compared(
                    cast(TableKind, kind),
                    table_setting,
                    _side_table(old),
                    _side_table(new),
                    sum(counts.values()),
                    counts,
                    notes,
                    complete=complete,
                )
            )
    except BaseException:
        work.close()
        raise
    return result
