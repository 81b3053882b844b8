"""The typed answers of the CMS tables: one frozen msgspec Struct per kind of row, each carrying the
table it came from and where in that table (file and line), so a finding can cite "table and row".

Dates are :class:`datetime.date` throughout the public API (the compiled file stores them as
``YYYYMMDD`` integers). An edit is in force on a date ``d`` when ``effective <= d`` and, if it has
a deletion date, ``d < deleted``: the deletion date is read as the first day the edit no longer
applies (:func:`in_force`). PTP and AOC edits (the pair's ``AOC_Edit_DelDT``) are read alike; the
AOC codes' own deletion dates are shown, never compared; MUE rows carry no dates (a MUE table is in
force for its quarter).

An open question (issue 26, item 6), still open: CMS's own sentence defining the deletion date was
searched for again (round 3: the Medicaid NCCI Edit Design Manual 2012/2014/2016 and its successor
the Medicaid NCCI Technical Guidance Manual, the Medicare "How to Use the NCCI Tools" booklet, the
Medicaid NCCI FAQ library, transmittals, public repositories) and not found: the stored copies show
those manuals' tables of contents and first pages only; the sentence is most probably in the
Edit Design Manual's PTP "Claim Adjudication Rules" (page 10) or its field table ("Deletion Date").
Until it is quoted, the reader is unchanged. The real tables lean the other way (bench/RESULTS.md,
"The deletion-date rule"): in a public excerpt of ccipra-v322r0-f1 every row of indicator 0 or 1
with a deletion date ends on a quarter's last day (``20231231``, ``20180930``, ``20241231``), so a
row effective ``20241001`` and deleted ``20241231`` covers its quarter whole only if the deletion
date is the last day in force. Its indicator-9 rows, deleted on their effective date, settle
nothing: the PTP rule never applies an indicator-9 row, on any day. README.md states the reading
and the question.

So the deletion day itself is undecided, and the check says so rather than pick a reading: the
look-ups give the edits in force (:func:`in_force`) and, when asked, those whose deletion date is the
date of service (``ptp_edits(..., ending=[])``); the PTP and AOC rules judge the claim both ways,
and where the two readings disagree on stopping it (PTP) or on the add-on's finding (AOC) the
finding is a warning that names the deletion date: the claim is neither stopped nor verified
(``tests/check/test_cms_rules.py``).
"""

from __future__ import annotations

from datetime import date

from msgspec import Struct

from cptref.errors import Problem

KIND_NAMES: dict[str, str] = {
    "ptp": "NCCI PTP edits",
    "mue": "NCCI MUE",
    "aoc": "NCCI add-on code edits",
    "rvu": "PFS relative value file (PPRRVU)",
}

SETTINGS: dict[str, str] = {
    "practitioner": "practitioner",
    "outpatient_hospital": "outpatient hospital",
    "dme": "DME supplier",
    "all": "all settings",
    "nonqpp": "non-QPP",
    "qpp": "QPP",
}
"""Settings a table can be for: PTP practitioner / outpatient hospital; MUE those two and DME; AOC
one table for all; PPRRVU one table, or (from 2026) a QPP and a non-QPP one."""

UNKNOWN = "unknown"
"""The version of a table whose file name and preamble say none."""


class TableId(Struct, frozen=True):
    """Which table: its kind, its setting and its version.

    ``version`` reads as CMS names it: ``32.3r0`` (PTP version 32.3, revision 0), ``2026Q2`` (MUE,
    AOC), ``RVU26A`` (PPRRVU, January 2026 release), or ``unknown``.
    """

    kind: str
    setting: str
    version: str
    starts: date | None = None
    """The first day of service the table is in force for (its quarter's first day), or None when its
    version, and so its quarter, cannot be told."""
    ends: date | None = None
    """The last day of service the table is in force for, or None (see ``starts``)."""

    def in_force(self, on: date) -> bool:
        """Whether ``on`` falls in the table's quarter (False when its dates are unknown)."""
        return self.starts is not None and self.ends is not None and self.starts <= on <= self.ends

    def dates(self) -> str:
        """``2026-10-01 to 2026-12-31``, or ``dates unknown``."""
        if self.starts is None or self.ends is None:
            return "dates unknown"
        return f"{self.starts.isoformat()} to {self.ends.isoformat()}"

    def label(self) -> str:
        """``NCCI PTP edits, practitioner, v32.3r0``: for messages and citations."""
        if self.version == UNKNOWN:
            version = "version unknown"
        else:
            version = f"v{self.version}" if self.kind == "ptp" else self.version
        return f"{KIND_NAMES.get(self.kind, self.kind)}, {SETTINGS.get(self.setting, self.setting)}, {version}"

    def __str__(self) -> str:
        return self.label()


class CmsProblem(Problem, frozen=True, kw_only=True):
    """A :class:`cptref.errors.Problem` with its place in a CMS file and a stable ``code``.

    ``file`` is the file on disk (the zip for a member of one); ``field`` says where inside it, in
    words (``"ccipra-v323r0-f1.txt, line 12"``); ``member`` and ``line`` say the same for programs.
    ``code`` names the kind of problem, for tests and tools that must not depend on the wording:
    ``missing``, ``unreadable``, ``bad-zip``, ``skipped``, ``unknown-layout``, ``no-setting``,
    ``bad-row``, ``duplicate-row``, ``conflicting-row`` (a code given twice with two values), ``no-rows``,
    ``superseded``, ``duplicate-table``, ``conflicting-copy`` (two copies of one table that differ),
    ``missing-part``, ``part-unknown`` (a PTP table naming no part), ``version-unknown``, ``not-read``;
    the input limits' ``not-regular``, ``link-outside``, ``too-large``, ``compression-ratio``,
    ``too-many-members``, ``sheet-limit``, ``line-too-long``, ``duplicate-member``; ``count-mismatch``
    (a table's row counts that do not add up); and the warnings ``stray-quote`` and ``more-warnings``.
    """

    code: str
    member: str | None = None
    line: int | None = None


def where(member: str | None, line: int | None) -> str:
    """The ``field`` of a problem: the member of a zip and/or the line, or ``file`` for all of it."""
    parts = [p for p in (member, f"line {line}" if line is not None else None) if p]
    return ", ".join(parts) if parts else "file"


def problem(
    file: str, message: str, code: str, *, member: str | None = None, line: int | None = None, severity: str = "error"
) -> CmsProblem:
    return CmsProblem(file, where(member, line), message, severity, code=code, member=member, line=line)


class PtpEdit(Struct, frozen=True):
    """One NCCI procedure-to-procedure edit: reported together (same patient, date, provider), the
    ``column2`` code is not paid; ``modifier`` 0 never allows both, 1 allows both with an
    NCCI-associated modifier when clinically justified, 9 means the edit does not apply."""

    column1: str
    column2: str
    effective: date
    deleted: date | None
    modifier: int
    pre_1996: bool
    rationale: str
    table: TableId
    file: str
    """The part file the row is in (``downloads/x.zip:ccipra-v323r0-f1.txt`` for a member of a zip)."""
    line: int

    def in_force(self, on: date) -> bool:
        return in_force(self.effective, self.deleted, on)


class MueEdit(Struct, frozen=True):
    """A medically unlikely edit: at most ``value`` units of ``code``. ``indicator`` 1 counts the
    units of one claim line; 2 (policy, absolute) and 3 (clinical) the units of a date of service,
    all lines summed. The row has no dates: it holds for the table's quarter."""

    code: str
    value: int
    indicator: int
    rationale: str
    table: TableId
    file: str
    line: int


class AocEdit(Struct, frozen=True):
    """An add-on code edit. ``type`` 1: only the listed primaries; 2: no list, the contractor decides
    (``primary`` is None for the file's ``CCCCC``); 3: some primaries listed, the contractor may
    accept others. ``effective``/``deleted`` bound the add-on/primary pair; ``addon_deleted`` and
    ``primary_deleted`` are the codes' own deletion dates."""

    addon: str
    primary: str | None
    type: int
    effective: date
    deleted: date | None
    addon_deleted: date | None
    primary_deleted: date | None
    notes: str
    table: TableId
    file: str
    line: int

    def in_force(self, on: date) -> bool:
        return in_force(self.effective, self.deleted, on)


class LicensedText(Struct, frozen=True):
    """Text under the AMA's CPT licence, read from the user's own file: show it to that user only,
    labelled as such; never ship, log or cache it anywhere but the user's own compiled file."""

    text: str
    licence: str = "AMA CPT short descriptor, from your own copy of the CMS file"


class RvuRow(Struct, frozen=True):
    """One row of the Physician Fee Schedule relative value file: a code with one modifier (``""``
    for none). Indicators are None where the cell is blank; RVUs are None where absent."""

    code: str
    modifier: str
    status: str
    global_days: str | None
    pctc: int | None
    multiple_procedure: int | None
    bilateral: int | None
    assistant: int | None
    co_surgeon: int | None
    team_surgeon: int | None
    work_rvu: float | None
    nonfacility_pe_rvu: float | None
    facility_pe_rvu: float | None
    mp_rvu: float | None
    nonfacility_total: float | None
    facility_total: float | None
    conversion_factor: float | None
    descriptor: LicensedText | None
    table: TableId
    file: str
    line: int


class PtpPartners(Struct, frozen=True):
    """For ``show``: every PTP row of a code as column 1 and as column 2 in one table."""

    code: str
    table: TableId
    as_column1: list[PtpEdit]
    as_column2: list[PtpEdit]


class TableSummary(Struct, frozen=True):
    """One table read: its identity (with the dates it is in force), the quarter the names give (if
    any), the files it was read from (display names, parts in order), its row counts, the parts of a
    split PTP table read and missing, and how many of its problems are errors (rows rejected, a part
    missing): a table with any cannot verify a claim, since an edit may be among what was lost."""

    table: TableId
    quarter: str | None
    files: list[str]
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    parts: list[int] = []
    """The part numbers read (``[1, 2, 3, 4]``); [] for a table in one file with no part number."""
    missing_parts: list[int] = []
    errors: int = 0
    rows_blank: int = 0
    """Blank lines among the data rows: counted, neither read nor rejected."""

    @property
    def complete(self) -> bool:
        """Whether the table was read whole: no part missing, no error among its problems."""
        return not self.missing_parts and not self.errors


class Skipped(Struct, frozen=True):
    """A file found but not read, and why (a readme, an older version, a second copy)."""

    file: str
    reason: str


class CmsSummary(Struct, frozen=True):
    """What ``--version`` and ``validate`` report: the tables in use, what was skipped, the problems."""

    tables: list[TableSummary]
    skipped: list[Skipped]
    problems: list[CmsProblem]
    compiled: str | None = None
    """The compiled SQLite file the answers come from."""
    failed: list[Skipped] = []
    """Files that may hold edits and could not be loaded (unreadable, of a layout cptref does not
    know, a table of which no row loaded ...), each with why: while there is one, no claim is
    verified, since the edits it holds were not read."""

    @property
    def errors(self) -> list[CmsProblem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[CmsProblem]:
        return [p for p in self.problems if p.severity != "error"]

    def lines(self) -> list[str]:
        """A plain-text summary, one line per table then one per skipped file."""
        out = []
        for t in self.tables:
            missing = f"; part{'s' * (len(t.missing_parts) > 1)} {', '.join(f'f{p}' for p in t.missing_parts)} missing"
            out.append(
                f"{t.table.label()}, in force {t.table.dates()}: {_rows(t.rows_loaded)} loaded of {t.rows_read:,} read"
                f"{f', {t.rows_rejected:,} rejected' if t.rows_rejected else ''}"
                f"{f', {t.rows_blank:,} blank lines' if t.rows_blank else ''}"
                f"{missing if t.missing_parts else ''} ({', '.join(t.files)})"
            )
        out.extend(f"not loaded {s.file}: {s.reason}" for s in self.failed)
        out.extend(f"skipped {s.file}: {s.reason}" for s in self.skipped)
        return out


def _rows(count: int) -> str:
    return f"{count:,} row{'' if count == 1 else 's'}"


NO_END = 99_999_999
"""The deletion date of an edit in force (``*``), as an integer that sorts after every date."""


def in_force(effective: date, deleted: date | None, on: date) -> bool:
    return effective <= on and (deleted is None or on < deleted)


def ymd(value: date) -> int:
    return value.year * 10_000 + value.month * 100 + value.day


_DATES: dict[int, date] = {}


def as_date(value: int) -> date:
    """``20260101`` -> ``date(2026, 1, 1)`` (memoised: a table holds few distinct dates)."""
    found = _DATES.get(value)
    if found is None:
        found = _DATES[value] = date(value // 10_000, value // 100 % 100, value % 100)
    return found


def as_end(value: int | None) -> date | None:
    return None if value is None or value >= NO_END else as_date(value)
