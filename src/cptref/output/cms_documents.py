"""The JSON documents of what the user's CMS tables hold: their rows for a code (``show --cms``), and the
tables read (``cptref tables``, ``validate --cms``), each key described as in :mod:`.documents`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Struct

from cptref.model.codes import Code
from cptref.model.records import about

ROW = about("Where the row is in your file: the file and the line.")
TABLE = about("The table: its kind, setting and version (NCCI PTP edits, practitioner, v32.3r0).")


class LicensedDescriptor(Struct, frozen=True):
    """A short descriptor from your own copy of the CMS fee schedule file: AMA licensed text, shown to you
    from your file, never shipped by cptref."""

    text: Annotated[str, about("The text, as your file gives it.")]
    file: Annotated[str, about("The file it was read from.")]
    licence: Annotated[str, about("Whose text it is and under what licence.")]


class FeeScheduleRow(Struct, frozen=True):
    """A row of your Physician Fee Schedule relative value file (PPRRVU) for the code and one modifier."""

    modifier: Annotated[str, about('The modifier of the row ("" for none, 26, TC, 53 ...).')]
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
    conversion_factor: Annotated[float | None, about("The conversion factor, or null.")]
    short_descriptor: Annotated[
        LicensedDescriptor | None, about("The AMA short descriptor from your own file, labelled, or null.")
    ]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class MueRow(Struct, frozen=True):
    """A medically unlikely edit of the code in one setting's table."""

    setting: Annotated[str, about("practitioner, outpatient_hospital or dme.")]
    value: Annotated[int, about("The most units.")]
    indicator: Annotated[int, about("1: units of one claim line; 2 (policy), 3 (clinical): units of a date.")]
    rationale: Annotated[str, about("The table's rationale.")]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class AocRow(Struct, frozen=True):
    """An add-on code edit naming the code as the add-on."""

    primary: Annotated[str | None, about("The primary code, or null (type 2: the contractor defines them).")]
    type: Annotated[int, about("1: only listed primaries; 2: contractor-defined; 3: listed, the contractor may add.")]
    effective: Annotated[str, about("The date the edit took effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The date the edit was deleted, YYYY-MM-DD, or null: in force.")]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class PtpRow(Struct, frozen=True):
    """An NCCI procedure-to-procedure edit naming the code."""

    column1: Annotated[str, about("The column 1 code (paid).")]
    column2: Annotated[str, about("The column 2 code (not paid with column 1).")]
    modifier_indicator: Annotated[
        int, about("0: no modifier allows both; 1: a distinct-service modifier may; 9: no edit.")
    ]
    effective: Annotated[str, about("The date the edit took effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The date the edit was deleted, YYYY-MM-DD, or null: in force.")]
    rationale: Annotated[str, about("The table's rationale.")]
    row: Annotated[str, ROW]


class PtpSummary(Struct, frozen=True):
    """The code's NCCI PTP edits in force today in one setting's table, and those whose deletion date
    is today (in force today under one reading of a deletion date; each row gives its dates)."""

    setting: Annotated[str, about("practitioner or outpatient_hospital.")]
    table: Annotated[str, TABLE]
    as_column1: Annotated[list[PtpRow], about("The edits where the code is column 1 (its partners are not paid).")]
    as_column2: Annotated[list[PtpRow], about("The edits where the code is column 2 (it is not paid with them).")]


class OfficialFacts(Struct, frozen=True):
    """What your CMS tables say about a code asked for (cptref ships none of them)."""

    code: Annotated[Code, about("The code.")]
    record: Annotated[bool, about("Whether cptref has a record of its own for the code (in procedures).")]
    fee_schedule: Annotated[list[FeeScheduleRow], about("Its rows of your fee schedule file.")]
    mue: Annotated[list[MueRow], about("Its MUE in each setting whose table has one.")]
    aoc: Annotated[list[AocRow], about("The add-on code edits naming it as the add-on; [] when it is none.")]
    ptp: Annotated[list[PtpSummary], about("Its PTP edits in force today or ending today, by setting.")]


class CmsTableRead(Struct, frozen=True):
    """A CMS table read from your files."""

    table: Annotated[str, about("The table: its kind, setting and version.")]
    quarter: Annotated[str | None, about("The quarter its file names give (2026Q4), or null.")]
    files: Annotated[list[str], about("The files it was read from, parts in order.")]
    rows_read: Annotated[int, about("Data rows read.")]
    rows_loaded: Annotated[int, about("Rows loaded (read, less rejected and repeated ones).")]
    rows_rejected: Annotated[int, about("Rows rejected: each is a problem with its line.")]
    id: Annotated[str, about("Its id, kind/setting/version, as a checked claim's checked names it.")]
    kind: Annotated[Literal["ptp", "mue", "aoc", "rvu"], about("ptp, mue, aoc or rvu (the PPRRVU file).")]
    setting: Annotated[str, about("practitioner, outpatient_hospital, dme, all (AOC), nonqpp, qpp or all (PPRRVU).")]
    version: Annotated[str, about("As CMS names it: 32.3r0 (PTP), 2026Q4 (MUE, AOC), RVU26D (PPRRVU), or unknown.")]
    starts: Annotated[
        str | None,
        about("The first date of service it is in force for (YYYY-MM-DD), or null when its version is unknown."),
    ]
    ends: Annotated[str | None, about("The last date of service it is in force for, or null.")]
    parts: Annotated[list[int], about("The parts of a split PTP table read (f1-f4); [] for a table in one file.")]
    missing_parts: Annotated[list[int], about("The parts of a split PTP table not found.")]
    errors: Annotated[int, about("Its problems that may have lost edits (rows rejected, parts missing).")]
    verifies: Annotated[
        bool,
        about("Whether it can verify claims of its dates: read whole (no error) and its dates known."),
    ]


class CmsSkipped(Struct, frozen=True):
    """A file found among your CMS paths but not read, and why."""

    file: Annotated[str, about("The file.")]
    reason: Annotated[str, about("Why it was not read (a readme, an older version, a second copy ...).")]


class CmsReport(Struct, frozen=True):
    """What validate --cms read (its problems are among the document's problems)."""

    tables: Annotated[list[CmsTableRead], about("Every table read.")]
    skipped: Annotated[list[CmsSkipped], about("Every file not read, with why.")]
    failed: Annotated[
        list[CmsSkipped],
        about("Every file that may hold edits and could not be loaded, with why: no claim is verified while one is."),
    ]
