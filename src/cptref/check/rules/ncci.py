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

from .base import CheckRule, Context, official_finding, row

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
        "name the same site on both codes do not. Indicator 9: no edit."
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
        edits = cms.ptp_edits(claim.counts, claim.date, context.setting)
        if not edits:
            return ()
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
