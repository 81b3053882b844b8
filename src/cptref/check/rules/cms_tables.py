"""The rules of ``cptref check`` that come from the user's own CMS tables (:mod:`cptref.cms`): mue, aoc,
fee-schedule, bilateral, table-conflict, and not-checked (what the tables in force did not check; the
NCCI PTP edits are :mod:`.ncci`).

Each finding names the table (its kind, setting and version) and the row (file and line) it rests
on; the official tables decide the severity. A rule has nothing to say when no table of its kind is
loaded. Where a table and a cptref record disagree (the record says add-on, the AOC table does
not; the MUEs differ), :class:`TableConflict` names the disagreement and the table's answer is the
one applied.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cptref.check.claim import ClaimView
from cptref.check.modifiers import COMPONENTS, SIDES
from cptref.check.results import Finding

from .base import DELETION_DAY, CheckRule, Facts, Lookup, has_aoc, official_finding, one_of, row
from .base import units_text as units_of

if TYPE_CHECKING:
    from datetime import date

    from cptref.cms import AocEdit, CmsTables, MueEdit, RvuRow

_CACHE = 100_000
_UNITS_CACHE = 16
_DAYS_CACHE = 1_000
_AocDay = tuple[tuple[str, ...], Finding | None, tuple[tuple[str, ...], Finding | None] | None]
"""An add-on's edits on one day: the primaries listed by the edits in force and the finding when none
is on the claim; and when the day is an edit's deletion date, the same with the edits ending that day."""


class Mue(CheckRule):
    id = "mue"
    severity = "error"
    solo = True
    summary = "error: more units than the MUE of your CMS table (per line or per date, by its indicator)"
    text = (
        "From your MUE table (by --setting), the most units of a code: adjudication indicator 1 counts the "
        "units of one claim line (lines a modifier sets apart, such as 76, 77, 91, RT/LT or 59, each on its "
        "own); 2 (policy) and 3 (clinical) count the units of the date of service, all lines summed, whatever "
        "their modifiers. More units is an error; an indicator 3 edit may be appealed with documentation of the "
        "medical need. Over the MUE only when a 26 line and a TC line of one code count as two units: a "
        "warning, since how they are counted is not stated in what cptref read."
    )

    class _Prepared:
        """A code's MUE, and its finding for each count of units met so far (None: within the MUE)."""

        __slots__ = ("by_units", "edit")

        def __init__(self, edit: MueEdit) -> None:
            self.edit = edit
            self.by_units: dict[int, Finding | None] = {}

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        edit = facts.cms.mue(facts.code, facts.setting) if facts.cms is not None else None
        return None if edit is None else self._Prepared(edit)

    def apply(self, claim: ClaimView, code: str, prepared: _Prepared, lookup: Lookup) -> Iterable[Finding]:
        edit = prepared.edit
        lines, counts = claim.lines, claim.counts
        if edit.indicator == 1 and len(lines) != len(counts):  # a line edit, and a code on several lines
            units = max(line.units for line in lines if line.code == code)
        else:
            units = counts[code]
        if units <= edit.value:
            return ()
        if edit.indicator != 1 and code in claim.mods and claim.modifiers(code) >= COMPONENTS:
            claim.read(code, COMPONENTS)
            professional = sum(line.units for line in lines if line.code == code and "26" in line.modifiers)
            technical = sum(line.units for line in lines if line.code == code and "TC" in line.modifiers)
            if units - min(professional, technical) <= edit.value:
                return (self._components(code, edit, units),)
        by_units = prepared.by_units
        found = by_units.get(units)
        if found is None:
            found = self._finding(code, edit, units)
            if len(by_units) < _UNITS_CACHE:
                by_units[units] = found
        return (found,)

    def _components(self, code: str, edit: MueEdit, units: int) -> Finding:
        """Over the MUE only when a 26 line and a TC line count as two units: a question, not an error."""
        return official_finding(
            self.id,
            "warning",
            (code,),
            f"{units_of(units)} of {code} on the date of service with its 26 and TC lines summed; the MUE is "
            f"{edit.value} (indicator {edit.indicator}). Counted as one service, the professional and technical "
            "components are within it; whether the contractor counts them so is not stated in what cptref read.",
            f"Check how the contractor counts the components of {code}; report the whole service once (no 26 or TC) "
            "if one practitioner did both.",
            (),
            f"MUE {edit.value}, adjudication indicator {edit.indicator}"
            + (f"; {edit.rationale}" if edit.rationale else ""),
            edit.table.label(),
            row(edit.file, edit.line),
        )

    def _finding(self, code: str, edit: MueEdit, units: int) -> Finding:
        if edit.indicator == 1:
            counted = "on one claim line (indicator 1: a line edit)"
        else:
            kind = "policy" if edit.indicator == 2 else "clinical"
            counted = f"on the date of service, all lines summed (indicator {edit.indicator}: {kind})"
        appeal = (
            " An indicator 3 edit may be appealed with documentation of the medical need."
            if edit.indicator == 3
            else ""
        )
        return official_finding(
            self.id,
            "error",
            (code,),
            f"{units_of(units)} of {code} {counted}; the MUE is {edit.value}.{appeal}",
            (f"Remove {code}: its MUE allows none" if edit.value == 0 else f"Report at most {edit.value} of {code}")
            + (" on one line." if edit.indicator == 1 else " for the day.")
            + (" If more were needed, keep the documentation for an appeal." if edit.indicator == 3 else ""),
            (),
            f"MUE {edit.value}, adjudication indicator {edit.indicator}"
            + (f"; {edit.rationale}" if edit.rationale else ""),
            edit.table.label(),
            row(edit.file, edit.line),
        )


class Aoc(CheckRule):
    id = "aoc"
    severity = "error"
    summary = "error: an add-on without a primary your AOC table lists (type 1); a warning for types 2 and 3"
    text = (
        "From your add-on code (AOC) table, the edits in force on the date of service. Type 1: only the listed "
        "primaries are accepted, so an add-on with none of them on the claim is an error. Type 2: no primaries "
        "are listed, the contractor decides; type 3: some are listed and the contractor may accept others: "
        "a warning naming them when none listed is on the claim. On an edit's deletion date, when the claim is "
        "judged one way with that edit and another without it, a warning says so (not verified, not stopped)."
    )

    class _Prepared:
        """A code's AOC edits, and for each date of service met, the primaries listed by the edits in
        force and the finding when none of them is on the claim (None: no edit in force)."""

        __slots__ = ("by_day", "by_edits", "cms", "every", "undecided")

        def __init__(self, every: tuple[AocEdit, ...], cms: CmsTables) -> None:
            self.every = every
            self.cms = cms
            self.by_day: dict[date, _AocDay] = {}
            self.by_edits: dict[tuple[int, ...], tuple[tuple[str, ...], Finding | None]] = {}
            self.undecided: dict[tuple[date, str], Finding] = {}

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.cms is None:
            return None
        edits = tuple(facts.cms.aoc_edits(facts.code))
        return self._Prepared(edits, facts.cms) if edits else None

    def apply(self, claim: ClaimView, code: str, prepared: _Prepared, lookup: Lookup) -> Iterable[Finding]:
        cms = prepared.cms
        if all(other == code or cms.is_addon(other) for other in claim.counts):
            return ()  # no other procedure on the claim: addon-alone says it
        day = claim.date
        hit = prepared.by_day.get(day)
        if hit is None:
            edits = [e for e in prepared.every if e.in_force(day)]
            # the edits whose deletion date is the day: in force that day under one reading of it
            ending = [e for e in prepared.every if e.deleted == day and e.effective <= day]
            other = self._listed(code, prepared, edits + ending) if ending else None
            hit = (*self._listed(code, prepared, edits), other)
            if len(prepared.by_day) < _DAYS_CACHE:
                prepared.by_day[day] = hit
        listed, found, other = hit
        if found is not None and any(p in claim.counts for p in listed):
            found = None
        if other is None:
            return () if found is None else (found,)
        # the day is an edit's deletion date: judged under both readings of it (README, "Dates of an edit")
        also: Finding | None = other[1]
        if also is not None and any(p in claim.counts for p in other[0]):
            also = None
        if found is also or (found is not None and also is not None and found.severity == also.severity):
            return () if found is None else (found,)
        return (self._undecided(code, prepared, day, found, also),)

    def _listed(self, code: str, prepared: _Prepared, edits: list[AocEdit]) -> tuple[tuple[str, ...], Finding | None]:
        key = tuple(map(id, edits))  # the edits are held by prepared.every: their ids stay theirs
        hit = prepared.by_edits.get(key)
        if hit is None:
            hit = prepared.by_edits[key] = self._in_force(code, edits)
        return hit

    def _undecided(
        self, code: str, prepared: _Prepared, day: date, without: Finding | None, within: Finding | None
    ) -> Finding:
        """A warning for an add-on judged one way if the edits whose deletion date is the claim's
        date no longer apply that day (``without``: cptref's reading) and another if they still do
        (``within``): neither stopped nor verified."""
        stops = without if without is not None and without.severity == "error" else within or without
        assert stops is not None  # the two differ: one of them is a finding
        key = (day, (stops.fix or "") + ("" if stops is within else " without"))
        found = prepared.undecided.get(key)
        if found is None:
            when = "still apply" if stops is within else "no longer apply"
            found = official_finding(
                self.id,
                "warning",
                (code,),
                f"{code} is an add-on code, and an add-on code edit of it has this date of service, {day.isoformat()}, "
                f"as its deletion date; the claim is judged differently as the edit applies that day or not, and "
                "cptref cannot tell which, so the add-on is not verified.",
                f"Ask the Medicare contractor whether the edit applies on {day.isoformat()}. If the edits ending "
                f"that day {when}: {stops.fix}",
                stops.fix_codes,
                f"{stops.fact}; an edit deleted {day.isoformat()}",
                stops.table or "",
                stops.row or "",
                note=DELETION_DAY,
            )
            if len(prepared.undecided) < _DAYS_CACHE:
                prepared.undecided[key] = found
        return found

    def _in_force(self, code: str, edits: list[AocEdit]) -> tuple[tuple[str, ...], Finding | None]:
        """The primaries the edits in force list, and the finding for a claim holding none of them."""
        if not edits:
            return (), None
        kind = min(e.type for e in edits)
        listed = sorted({e.primary for e in edits if e.primary is not None})
        first = edits[0]
        table, where = first.table.label(), row(first.file, first.line)
        shown = ", ".join(listed[:8]) + (f" and {len(listed) - 8} more" if len(listed) > 8 else "")
        if kind == 1:
            return tuple(listed), official_finding(
                self.id,
                "error",
                (code,),
                f"{code} is an add-on code (AOC type 1) and none of the primaries your AOC table lists for it "
                f"is on the claim ({shown}).",
                f"Report {code} with {one_of(listed[:3])}"
                + (" or another listed primary" if len(listed) > 3 else "")
                + ", or remove it.",
                tuple(listed),
                f"AOC type 1; primaries: {shown}",
                table,
                where,
            )
        what = (
            "its primaries are defined by the contractor (AOC type 2)"
            if kind == 2
            else f"the contractor may accept primaries beyond those listed (AOC type 3: {shown})"
        )
        return tuple(listed), official_finding(
            self.id,
            "warning",
            (code,),
            f"{code} is an add-on code and {what}; none listed is on the claim, so the contractor decides.",
            f"Confirm with the Medicare contractor that the claim's procedure is accepted as a primary of {code}.",
            tuple(listed),
            f"AOC type {kind}" + (f"; primaries: {shown}" if listed else ""),
            table,
            where,
        )


NOT_PAYABLE = {
    "B": "bundled: paid within another service, never on its own",
    "D": "deleted",
    "E": "excluded from the fee schedule by regulation",
    "F": "deleted, with no grace period",
    "G": "not valid for Medicare: another code is used",
    "H": "a deleted modifier",
    "I": "not valid for Medicare: another code is used",
    "N": "not covered by Medicare",
    "P": "bundled or excluded",
    "X": "excluded by statute",
}
"""The fee schedule's status codes that say a code is not paid as reported, in cptref's words."""


class FeeSchedule(CheckRule):
    id = "fee-schedule"
    severity = "warning"
    solo = True
    summary = "warning: your fee schedule file's status says the code is not paid as reported (B, I, N ...)"
    text = (
        "From your Physician Fee Schedule relative value file (PPRRVU), the status of a code: B (bundled), P "
        "(bundled or excluded), I and G (not valid for Medicare), N (not covered), E and X (excluded), D and F "
        "(deleted) say Medicare does not pay it as reported: a warning."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.cms is None:
            return None
        rows = [r for r in facts.cms.rvu(facts.code) if r.modifier == ""]
        if not rows or rows[0].status not in NOT_PAYABLE:
            return None
        found = rows[0]
        return (
            official_finding(
                self.id,
                "warning",
                (facts.code,),
                f"The fee schedule gives {facts.code} status {found.status} ({NOT_PAYABLE[found.status]}).",
                f"Check whether {facts.code} should be on a Medicare claim, or which code is reported instead.",
                (),
                f"status {found.status}",
                found.table.label(),
                row(found.file, found.line),
            ),
        )

    def apply(self, claim: ClaimView, code: str, prepared: tuple[Finding], lookup: Lookup) -> Iterable[Finding]:
        return prepared


BILATERAL = {
    0: "the bilateral adjustment does not apply: report the code once, without -50",
    2: "the code already describes both sides: report it once, without -50 or RT and LT",
    9: "the bilateral concept does not apply to the code",
}


class Bilateral(CheckRule):
    id = "bilateral"
    severity = "warning"
    solo = True
    summary = "warning: -50 or RT and LT on a code whose fee-schedule bilateral indicator forbids it (0, 2, 9)"
    text = (
        "From your fee schedule file, the bilateral surgery indicator decides how both sides are reported: 1, "
        "with -50 (or RT and LT); 3, each side on its own (RT and LT); 0, 2 and 9 do not allow -50, and 2 (the "
        "code already covers both sides) nor RT and LT: a warning."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.cms is None:
            return None
        rows: list[RvuRow] = [r for r in facts.cms.rvu(facts.code) if r.modifier == ""]
        if not rows or rows[0].bilateral not in BILATERAL:
            return None
        return rows[0]

    def apply(self, claim: ClaimView, code: str, prepared: RvuRow, lookup: Lookup) -> Iterable[Finding]:
        mods = claim.mods.get(code)
        if not mods or not (mods & SIDES):
            return ()
        claim.read(code, SIDES)
        both_sides = "50" in mods or {"RT", "LT"} <= mods
        if not both_sides or (prepared.bilateral == 0 and "50" not in mods):
            return ()
        indicator = prepared.bilateral
        return (
            official_finding(
                self.id,
                "warning",
                (code,),
                f"{code} is reported for both sides, but its bilateral indicator is {indicator}: "
                f"{BILATERAL[indicator or 0]}.",
                f"Report {code} as the fee schedule's bilateral indicator {indicator} says.",
                (),
                f"bilateral surgery indicator {indicator}",
                prepared.table.label(),
                row(prepared.file, prepared.line),
            ),
        )


class TableConflict(CheckRule):
    id = "table-conflict"
    severity = "info"
    solo = True
    summary = "info: your CMS table and cptref's record disagree (the table's answer is applied)"
    text = (
        "Where your CMS table and cptref's record disagree (the record says the code is an add-on and your AOC "
        "table has no edit for it, or the reverse; the MUEs differ), both are named, and the official table's "
        "answer is the one the other rules apply."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        cms, record, code = facts.cms, facts.record, facts.code
        if cms is None or record is None:
            return None
        found: list[Finding] = []
        if has_aoc(cms):
            listed = cms.is_addon(code)
            if (record.add_on is not None) != listed:
                aoc = next(t for t in cms.tables() if t.kind == "aoc")
                says = "an add-on" if record.add_on is not None else "not an add-on"
                table_says = "lists add-on edits for it" if listed else "has no add-on edit for it"
                found.append(
                    official_finding(
                        self.id,
                        "info",
                        (code,),
                        f"cptref's record says {code} is {says}, but your AOC table {table_says}: the table's answer "
                        "is applied.",
                        f"Check {code} in the CPT book; tell cptref's maintainers if its record is wrong.",
                        (),
                        f"record: {says}; AOC table: {'add-on' if listed else 'no edit'}",
                        aoc.label(),
                        "file",
                    )
                )
        medicare = record.medicare
        mue = cms.mue(code, facts.setting)
        if mue is not None and medicare is not None and medicare.mue is not None and medicare.mue != mue.value:
            found.append(
                official_finding(
                    self.id,
                    "info",
                    (code,),
                    f"cptref's record gives {code} an MUE of {medicare.mue}, your MUE table {mue.value}: the table's "
                    "value is applied.",
                    f"Trust the MUE table for {code}; the record's value may be older.",
                    (),
                    f"record MUE {medicare.mue}; table MUE {mue.value}",
                    mue.table.label(),
                    row(mue.file, mue.line),
                )
            )
        return tuple(found) or None

    def apply(self, claim: ClaimView, code: str, prepared: tuple[Finding, ...], lookup: Lookup) -> Iterable[Finding]:
        return prepared


class NotChecked(CheckRule):
    id = "not-checked"
    severity = "warning"
    summary = "warning: the official edits in force on the date did not check the claim (what was missing)"
    text = (
        "A claim is verified only when the official edits in force on its date of service checked it: every pair "
        "of its codes against an NCCI PTP table, every code's units against an MUE table and its add-ons against "
        "an add-on code (AOC) table, each in force on that date (its quarter) and read whole (or library facts "
        "read from such a table's quarter), with no file under --cms that failed to load. Otherwise this one "
        "warning names what was missing (no tables given, none in force on the date, a part or rows missing, a "
        "file not loaded, pairs the library does not decide), and the claim is not verified. The library's own "
        "rules still stop claims with errors."
    )
