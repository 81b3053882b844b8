"""The changes ``cptref changes`` finds between two sets of CMS tables, as typed records
(:data:`Change`), described for ``cptref schema changes`` as a check's
:class:`~cptref.check.results.Finding` is, and what was compared (:class:`Compared`); the document
around them is :mod:`cptref.output.changes_documents`."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from cptref.model.records import about

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
