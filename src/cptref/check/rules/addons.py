"""Rules about add-on codes: an add-on alone on a claim, an add-on without any of its recorded primaries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cptref.check.claim import ClaimView
from cptref.check.results import Finding

from .base import CheckRule, Facts, Lookup, finding, has_aoc, one_of

_LISTED = 24
"""The most primaries a fix names in its sentence; a longer list (77002: 72) is left to fix_codes and show."""


class AddonAlone(CheckRule):
    id = "addon-alone"
    severity = "error"
    summary = "error: an add-on with no other procedure on the claim to be added to"
    text = (
        "An add-on code describes work done in addition to a primary procedure, so it is never reported "
        "alone: a claim whose only codes are add-ons is stopped, whatever is known about their primaries. "
        "A code cptref has no record of counts as a possible primary."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        record, code, cms = facts.record, facts.code, facts.cms
        if has_aoc(cms):  # the official table says which codes are add-ons
            assert cms is not None
            edits = cms.aoc_edits(code)
            if not edits:
                return None
            first = edits[0]
            return Finding(
                self.id,
                "error",
                (code,),
                f"{code} is an add-on code, and the claim has no other procedure it could be added to.",
                f"Report {code} only beside its primary procedure: add the primary, or remove {code}.",
                tuple(sorted({e.primary for e in edits if e.primary is not None})),
                (),
                "high",
                fact=f"add-on code (AOC type {first.type})",
                table=first.table.label(),
                row=f"{first.file.rsplit('/', 1)[-1]}, line {first.line}",
            )
        if record is None or record.add_on is None:
            return None
        add_on = record.add_on
        return finding(
            self.id,
            "error",
            (code,),
            f"{code} is an add-on code, and the claim has no other procedure it could be added to.",
            fix=f"Report {code} only beside its primary procedure: add the primary, or remove {code}.",
            fix_codes=add_on.primaries,
            sources=add_on.sources,
            confidence=add_on.confidence,
            stated_on=code,
            fact="add-on code",
            note=add_on.note,
        )

    def apply(self, claim: ClaimView, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
        return () if has_other_procedure(self, claim, code, lookup) else (prepared,)


def has_other_procedure(rule: AddonAlone, claim: ClaimView, code: str, lookup: Lookup) -> bool:
    """Whether ``claim`` holds a code other than ``code`` that is not known to be an add-on."""
    return any(other != code and lookup(rule, other) is None for other in claim.counts)


ADDON_ALONE = AddonAlone()


class AddonWithoutPrimary(CheckRule):
    id = "addon-without-primary"
    severity = "error"
    summary = "error: an add-on without any of its recorded primaries (a warning when they are not recorded)"
    text = (
        "An add-on code is reported only with one of its primary procedures. When the record lists them "
        "and none is on the claim, the claim is stopped. When no source lists them, whether the claim's "
        "procedure is one cannot be verified: a warning. With your AOC table loaded, its rule (aoc) decides "
        "instead."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        record, code = facts.record, facts.code
        add_on = record.add_on if record is not None else None
        if add_on is None or has_aoc(facts.cms):  # with an AOC table loaded, its rule decides
            return None
        if not add_on.primaries:
            return (
                None,
                finding(
                    self.id,
                    "warning",
                    (code,),
                    f"{code} is an add-on code and its primary codes are not recorded, so whether this claim "
                    "holds one of them cannot be verified.",
                    fix=f"Confirm in the CPT book that the claim's procedure is a primary of {code}.",
                    sources=add_on.sources,
                    confidence=add_on.confidence,
                    stated_on=code,
                    fact="add-on code; primaries: not recorded",
                    note=add_on.note,
                ),
            )
        return (
            frozenset(add_on.primaries),
            finding(
                self.id,
                "error",
                (code,),
                f"{code} is an add-on code and none of its primary procedures is on the claim.",
                fix=(
                    f"Report {code} with {one_of(add_on.primaries)}, or remove it."
                    if len(add_on.primaries) <= _LISTED
                    else f"Report {code} with one of its {len(add_on.primaries)} primaries ("
                    f"{', '.join(add_on.primaries[:6])} and {len(add_on.primaries) - 6} more: cptref show {code} lists "
                    "them), or remove it."
                ),
                fix_codes=add_on.primaries,
                sources=add_on.sources,
                confidence=add_on.primaries_confidence or add_on.confidence,
                stated_on=code,
                fact=f"add-on code; primaries: {', '.join(add_on.primaries)}",
                note=add_on.note,
            ),
        )

    def apply(
        self, claim: ClaimView, code: str, prepared: tuple[frozenset[str] | None, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        primaries, found = prepared
        if not has_other_procedure(ADDON_ALONE, claim, code, lookup):
            return ()  # addon-alone says it
        if primaries is None or primaries.isdisjoint(claim.counts):
            return (found,)
        return ()
