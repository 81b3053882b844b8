"""The NCCI procedure-to-procedure edits of the user's PTP table (``ncci-ptp``): the one rule that judges a
whole claim at once, every pair of its codes against the edits in force on its date.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from cptref.check.budget import ROOM
from cptref.check.claim import ClaimView
from cptref.check.modifiers import NCCI_ASSOCIATED, NCCI_MANUAL, documented, ncci_bypass
from cptref.check.results import Finding

from .base import DELETION_DAY, CheckRule, Context, official_finding, row

if TYPE_CHECKING:
    from cptref.cms import PtpEdit


_CACHE = 100_000
"""At most this many edits and their findings are remembered."""


class NcciPtp(CheckRule):
    id = "ncci-ptp"
    severity = "error"
    summary = "error: an NCCI procedure-to-procedure edit in force on the date (your CMS table)"
    text = (
        "From your NCCI PTP table (practitioner or outpatient hospital, by --setting), the edits in force on "
        "the date of service between two codes of the claim: the column 2 code is not paid with the column 1 "
        "code. Modifier indicator 0: no modifier allows both, an error. Indicator 1: an error unless either "
        "code carries an NCCI-associated modifier (the NCCI Policy Manual, chapter I, section E: anatomic "
        "RT/LT, E1-E4, FA-F9, TA-T9, LC/LD/RC/LM/RI; global surgery 24, 25, 57, 58, 78, 79; and 27, 91, 59, XE, "
        "XS, XP, XU), which turns it into info saying what the record must document; anatomic modifiers that "
        "name the same site on both codes do not. Indicator 9: no edit. On an edit's deletion date, an edit that would "
        "stop the pair is a warning instead (not verified, not stopped): whether an edit applies on its deletion "
        "date is not settled (README, Dates of an edit)."
    )
    claim_level = True

    def __init__(self) -> None:
        self._made: dict[tuple[str, str, int, str, str], Finding] = {}
        self._plain: dict[int, tuple[PtpEdit, Finding | None]] = {}
        """id(edit) -> the edit and its finding on a claim without modifiers (None: indicator 9). The
        tables give the same edit object for the same row, so the common claim costs one look-up an
        edit; the edit is kept beside its finding, so an id is never mistaken for another's."""

    def apply_claim(self, claim: ClaimView, context: Context) -> Iterable[Finding]:
        cms = context.cms
        if cms is None or len(claim.counts) < 2:
            return ()
        ending: list[PtpEdit] = []
        edits = cms.ptp_edits(claim.counts, claim.date, context.setting, ending)
        if ending:
            return self._on_deletion_day(claim, edits, ending)
        if not edits:
            return ()
        return self._judged(claim, edits)

    def _on_deletion_day(self, claim: ClaimView, edits: list[PtpEdit], ending: list[PtpEdit]) -> list[Finding]:
        """The findings of the edits in force, and a warning for each edit whose deletion date is the
        claim's date and that would stop the claim if it applied that day, unless an edit in force
        already stops the same pair: whether an edit applies on its deletion date is not settled
        (README, "Dates of an edit"), so such a claim is not verified, and is not stopped either."""
        out = self._judged(claim, edits)
        stopped = {found.codes for found in out if found.severity == "error"}
        for edit in ending:
            read = set(claim.read_mods)
            would = self._judged(claim, [edit])
            if would and would[0].severity == "error" and would[0].codes not in stopped:
                out.append(self._undecided(edit, would[0]))
                stopped.add(would[0].codes)
            else:  # nothing said of the edit: the modifiers it weighed stay as unread as without it
                claim.read_mods = read
        return out

    def _undecided(self, edit: PtpEdit, would: Finding) -> Finding:
        key = (edit.column1, edit.column2, edit.line, edit.file, "ending:" + (would.fix or ""))
        found = self._made.get(key)
        if found is None:
            c1, c2, deleted = edit.column1, edit.column2, edit.deleted
            day = deleted.isoformat() if deleted is not None else ""
            found = official_finding(
                self.id,
                "warning",
                would.codes,
                f"The NCCI edit between {c1} (column 1) and {c2} (column 2) has this date of service, {day}, as its "
                f"deletion date. If an edit still applies on its deletion date, {c2} is not paid with {c1} here; "
                "cptref cannot tell whether it does, so the pair is not verified.",
                f"Ask the Medicare contractor whether the edit applies on {day}. If it does: {would.fix}",
                would.fix_codes,
                f"{would.fact}; deletion date {day}",
                would.table or "",
                would.row or "",
                note=DELETION_DAY,
            )
            if len(self._made) < _CACHE and ROOM.open:
                self._made[key] = found
        return found

    def _judged(self, claim: ClaimView, edits: list[PtpEdit]) -> list[Finding]:
        """The findings of edits in force on the claim's date."""
        if not claim.mods:
            plain = self._plain
            out: list[Finding] = []
            for edit in edits:
                hit = plain.get(id(edit))
                if hit is None or hit[0] is not edit:
                    hit = (edit, None if edit.modifier == 9 else self._found(edit, ""))
                    if len(plain) < _CACHE and ROOM.open:
                        plain[id(edit)] = hit
                if hit[1] is not None:
                    out.append(hit[1])
            return out
        out = []
        for edit in edits:
            if edit.modifier == 9:
                continue
            mods = ""
            if claim.mods:
                mine, theirs = claim.modifiers(edit.column1), claim.modifiers(edit.column2)
                claim.read(edit.column1, NCCI_ASSOCIATED)  # weighed: they allow both (1) or cannot (0)
                claim.read(edit.column2, NCCI_ASSOCIATED)
                if edit.modifier == 1:
                    found, allowed = ncci_bypass(mine, theirs)
                    if found:
                        mods = ("" if allowed else "same:") + ",".join(found)
            out.append(self._found(edit, mods))
        return out

    def _found(self, edit: PtpEdit, mods: str) -> Finding:
        key = (edit.column1, edit.column2, edit.line, edit.file, mods)
        found = self._made.get(key)
        if found is None:
            found = self._finding(edit, mods)
            if len(self._made) < _CACHE and ROOM.open:
                self._made[key] = found
        return found

    def _finding(self, edit: PtpEdit, mods: str) -> Finding:
        """The finding of an edit; ``mods`` names the NCCI-associated modifiers on the pair (comma
        separated; after ``same:`` when they name the same anatomic site on both codes)."""
        c1, c2 = edit.column1, edit.column2
        table, where = edit.table.label(), row(edit.file, edit.line)
        fact = f"column 1 {c1}, column 2 {c2}, modifier indicator {edit.modifier}" + (
            f"; {edit.rationale}" if edit.rationale else ""
        )
        since = f"in force since {edit.effective.isoformat()}"
        same = mods.startswith("same:")
        listed = ", ".join(f"-{m}" for m in mods.removeprefix("same:").split(",")) if mods else ""
        if mods and same:
            return official_finding(
                self.id,
                "error",
                (c1, c2),
                f"{c2} is not paid with {c1}: an NCCI edit ({since}) with modifier indicator 1, and {listed} name "
                "the same site on both codes, which does not make them separate services "
                f"({NCCI_MANUAL}).",
                f"Remove {c2}, or, if it was done on another site, give each code the modifier of its own site.",
                (c2,),
                fact,
                table,
                where,
            )
        if mods:
            return official_finding(
                self.id,
                "info",
                (c1, c2),
                f"{c2} is reported with {c1} with {listed}, which the NCCI edit (modifier indicator 1, {since}) "
                f"allows only when the clinical circumstances justify it ({NCCI_MANUAL}).",
                f"Keep {listed} only if the record documents {documented(mods.split(','))}; otherwise remove {c2}.",
                (c2,),
                fact,
                table,
                where,
            )
        if edit.modifier == 0:
            return official_finding(
                self.id,
                "error",
                (c1, c2),
                f"{c2} is not paid with {c1}: an NCCI edit ({since}) with modifier indicator 0, so no modifier "
                "allows both.",
                f"Remove {c2}.",
                (c2,),
                fact,
                table,
                where,
            )
        return official_finding(
            self.id,
            "error",
            (c1, c2),
            f"{c2} is not paid with {c1}: an NCCI edit ({since}) with modifier indicator 1.",
            f"Remove {c2}, or, if the record documents a separate service (another site, encounter or structure; an "
            "unrelated or staged procedure in a global period ...), report it with the NCCI-associated modifier "
            "that says which (RT/LT and the other anatomic modifiers, 24, 25, 57, 58, 78, 79, 27, 91, or XE, XS, "
            "XP, XU, 59 last).",
            (c2,),
            fact,
            table,
            where,
        )
