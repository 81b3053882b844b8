"""The units rule: more units than the recorded MUE, the same side twice, units a human must explain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cptref.check.claim import NONE, ClaimView
from cptref.check.modifiers import (
    COMPONENTS,
    REPEATS,
    SIDES,
)
from cptref.check.results import Finding

from .base import CheckRule, Facts, Lookup, finding, has_mue, is_imaging, units_text

if TYPE_CHECKING:
    from cptref.model.records import Confidence, Procedure


_UNITS_CACHE = 16
PAIRED = ("kidney", "ureter", "renal", "breast", "eye", "ear", "lung", "limb", "extremit")
"""Words of a record's section that name an organ or limb with two sides: the units of such a code may
be its two sides; those of a bile-duct code may not."""
_COUNTED = SIDES | COMPONENTS | REPEATS
"""The modifiers the units rule counts by: sides, components of an imaging code, repeats."""


class Units(CheckRule):
    id = "units"
    severity = "warning"
    solo = True
    summary = "warning: more units than the MUE, the same side twice, or units a human must explain"
    text = (
        "More units than the recorded Medicare MUE (units a day); a code counted once per session (its "
        "record gives no per-unit counting) reported more than once on the same side; or more than one "
        "unit without side modifiers, which may be two sides (mark them RT and LT, or 50) or a mistake. "
        "Side modifiers count sides: RT and LT lines are two sides, 50 is both on one line. A line with 76 or 77 "
        "(a repeat the same day) is a session of its own, counted against the MUE only. For an imaging code, a 26 "
        "line and a TC line are the two components of one service."
    )

    class _Prepared:
        __slots__ = (
            "by_count",
            "code",
            "confidence",
            "imaging",
            "least",
            "mue",
            "once_per_session",
            "sided",
            "sources",
        )

        def __init__(self, record: Procedure) -> None:
            medicare = record.medicare
            has_mue = medicare is not None and medicare.mue is not None
            self.code = record.code
            self.mue = medicare.mue if medicare is not None and has_mue else None
            self.sources = medicare.sources if medicare is not None and has_mue else ()
            self.confidence: Confidence | None = medicare.confidence if medicare is not None and has_mue else None
            self.once_per_session = record.units is None
            self.imaging = is_imaging(record.code)
            self.by_count: dict[int, Finding | None] = {}
            self.least = 2
            """The fewest units that can give a finding: 2, or 1 when the recorded MUE is 0."""
            self.sided = any(word in part.lower() for part in record.section for word in PAIRED)
            """Whether the code is done on one of two sides (RT, LT or 50 may tell its units apart)."""

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.record is None:
            return None
        prepared = self._Prepared(facts.record)
        rows = [r for r in facts.cms.rvu(facts.code) if r.modifier == ""] if facts.cms is not None else []
        if rows and rows[0].bilateral in (1, 2, 3, 9):  # the fee schedule knows: 1 and 3 sided, 2 and 9 not
            prepared.sided = rows[0].bilateral in (1, 3)
        if has_mue(facts.cms, facts.setting):  # the MUE table's value is applied (rule mue), not the record's
            prepared.mue, prepared.sources, prepared.confidence = None, (), None
        if prepared.mue == 0:
            prepared.least = 1
        return prepared

    def apply(self, claim: ClaimView, code: str, prepared: _Prepared, lookup: Lookup) -> Iterable[Finding]:
        count = claim.counts[code]
        mods = claim.mods.get(code, NONE)
        if count < prepared.least and not mods:
            return ()
        if mods:
            claim.read(code, SIDES)
            claim.read(code, REPEATS)
            if prepared.imaging:
                claim.read(code, COMPONENTS)
        if count < prepared.least:
            return ()
        if not mods & _COUNTED:  # the common case: plain units, a finding shared by count
            if count in prepared.by_count:
                found = prepared.by_count[count]
            else:
                found = self._plain(count, prepared)
                if len(prepared.by_count) < _UNITS_CACHE:
                    prepared.by_count[count] = found
            return () if found is None else (found,)
        return self._with_modifiers(claim, code, prepared)

    def _mue(self, count: int, table: _Prepared) -> Finding | None:
        if table.mue is None or count <= table.mue:
            return None
        code = table.code
        return finding(
            self.id,
            "warning",
            (code,),
            f"{units_text(count)} of {code} {'is' if count == 1 else 'are'} reported; the recorded Medicare MUE is "
            f"{table.mue} a day.",
            fix=f"Remove {code}, or check that the recorded MUE of 0 is current."
            if table.mue == 0
            else f"Report at most {table.mue} of {code}, or check that more were done and documented.",
            sources=table.sources,
            confidence=table.confidence,
            stated_on=code,
            fact=f"medicare MUE: {table.mue}",
        )

    def _plain(self, count: int, table: _Prepared) -> Finding | None:
        over = self._mue(count, table)
        if over is not None or not table.once_per_session:
            return over
        code = table.code
        mue = f", though its recorded MUE of {table.mue} a day allows {count}" if table.mue is not None else ""
        sides = f"If the units are the two sides, report {code}-RT and {code}-LT (or {code}-50); otherwise r"
        return Finding(
            self.id,
            "warning",
            (code,),
            f"{count} units of {code} are reported without "
            + ("side modifiers" if table.sided else "a repeat modifier (76, 77)")
            + f", but its record gives no per-unit counting, so it is counted once per session{mue}.",
            (sides if table.sided else "R")
            + f"eport {code} once, unless each unit was a separate session (documented, with 76 or 77).",
            stated_on=code,
            fact="units: not given (one per session)",
        )

    def _with_modifiers(self, claim: ClaimView, code: str, table: _Prepared) -> Iterable[Finding]:
        right = left = unsided = professional = technical = 0
        for line in claim.lines:
            if line.code != code:
                continue
            mods = set(line.modifiers)
            if mods & REPEATS:
                continue  # a repeat (76, 77) is a session of its own: it counts for the MUE only
            if table.imaging and "26" in mods:
                professional += line.units
            elif table.imaging and "TC" in mods:
                technical += line.units
            elif "50" in mods:
                right += line.units
                left += line.units
            elif "RT" in mods:
                right += line.units
            elif "LT" in mods:
                left += line.units
            else:
                unsided += line.units
        unsided += max(professional, technical)  # a 26 line and a TC line: the two halves of one service
        units = claim.counts[code] - min(professional, technical)
        found: list[Finding] = []
        over = self._mue(units, table)
        if over is not None:
            found.append(over)
        if not table.once_per_session:
            return found
        twice = [name for name, n in (("right", right), ("left", left)) if n > 1]
        if twice:
            found.append(
                Finding(
                    self.id,
                    "warning",
                    (code,),
                    f"{code} is reported more than once on the {' and '.join(twice)} side, but it is counted "
                    "once per session on each side.",
                    f"Report {code} once for each side, unless each was a separate session (documented).",
                    stated_on=code,
                    fact="units: not given (one per session); side modifiers read",
                )
            )
        if table.imaging and max(professional, technical) > 1:
            found.append(
                Finding(
                    self.id,
                    "warning",
                    (code,),
                    f"A component of {code} (26 or TC) is reported more than once, but the code is counted once "
                    "per session.",
                    f"Report the professional (26) and the technical (TC) component of {code} once each.",
                    stated_on=code,
                    fact="units: not given (one per session); 26/TC read",
                )
            )
        elif unsided > 1 or (unsided and (right or left)):
            found.append(
                Finding(
                    self.id,
                    "warning",
                    (code,),
                    f"{code} is reported {units} times and {unsided} of them carry no side modifier, but it is "
                    "counted once per session.",
                    f"Mark each line of {code} with its side (RT, LT, or 50 for both), or report it once."
                    if table.sided
                    else f"Report {code} once, unless each was a separate session (documented, with 76 or 77).",
                    stated_on=code,
                    fact="units: not given (one per session); side modifiers read",
                )
            )
        return found
