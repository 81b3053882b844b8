"""Rules about two codes of one claim: a code another includes, codes not reported together.

Each fact is prepared as partner code -> the fact (:class:`_PairRule`); a pair stated on both records
is reported once, from the stronger side, and modifiers act as the fact allows: side modifiers
answer a rule scoped to one side, a distinct-service modifier one scoped to a site, and an NCCI
modifier indicator of 1 is read as the NCCI edits read it (:func:`cptref.check.modifiers.ncci_bypass`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from cptref.check.claim import ClaimView
from cptref.check.modifiers import (
    DISTINCT,
    NCCI_ASSOCIATED,
    SIDES,
    anatomic_sites,
    documented,
    ncci_bypass,
)
from cptref.check.results import SEVERITY_RANK, Finding

from .base import LOW_NOTE, CheckRule, Facts, Lookup, finding, partners, strength

if TYPE_CHECKING:
    from cptref.model.records import NotWith


_SAME = "same "
_ALWAYS_SCOPES = frozenset(["same session", "same day", "same date"])
_SIDE_WORDS = frozenset(["side", "kidney", "ureter", "breast", "eye", "ear", "limb", "lung"])


def _clause(text: str) -> str:
    """A reason as the clause after a colon: no final full stop; a capital only where the word needs it."""
    text = text.strip().rstrip(".")
    return text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text


def _sides(mods: frozenset[str]) -> set[str]:
    """The sides a line's modifiers name: RT, LT, or both for 50."""
    return {"RT", "LT"} if "50" in mods else {m for m in mods if m in ("RT", "LT")}


def _narrow(scope: str | None) -> str | None:
    """A fact's scope when it is narrower than the session (``same duct``), lower-cased; else None."""
    found = (scope or "").strip().lower()
    return found if found and found not in _ALWAYS_SCOPES else None


def _place(scope: str) -> str:
    """``same duct`` -> ``duct``: the place a scope names."""
    return scope[len(_SAME) :] if scope.startswith(_SAME) else scope


def _plural(word: str) -> str:
    return word + "es" if word.endswith(("s", "x", "ch", "sh")) else word + "s"


class _Pair(Struct, frozen=True):
    """One fact about two codes on a claim, as prepared: the finding it gives, and what modifiers do."""

    found: Finding
    indicator: str | None = None
    """The NCCI modifier indicator the fact gives (None: no source gives one)."""
    scope: str | None = None
    """The scope when it is anatomical ("same duct"): a human, or the modifiers, decide."""


def _strongest(found: dict[str, list[_Pair]]) -> dict[str, _Pair]:
    """One fact a partner code: when several say the same (the record's own rule and its family's,
    say), the strongest stands for them, with its own sources and confidence."""
    return {other: min(items, key=lambda p: strength(p.found)) for other, items in found.items()}


class _PairRule(CheckRule):
    """A rule about two codes on one claim: prepared as partner code -> the fact."""

    def pairs(self, facts: Facts) -> dict[str, list[_Pair]]:
        raise NotImplementedError

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.record is None:
            return None
        found = self.pairs(facts)
        return _strongest(found) if found else None

    def apply(self, claim: ClaimView, code: str, prepared: dict[str, _Pair], lookup: Lookup) -> Iterable[Finding]:
        """A pair stated on both records is reported once, from the stronger side; modifiers act as
        the fact allows (see the rules' texts)."""
        if prepared.keys().isdisjoint(claim.counts):
            return ()
        out: list[Finding] = []
        for other in claim.counts:
            pair = prepared.get(other)
            if pair is None:
                continue
            theirs = (lookup(self, other) or {}).get(code)
            if theirs is not None and (*strength(theirs.found), other) < (*strength(pair.found), code):
                continue  # the partner's record states it more strongly: reported from there
            out.extend(self._reported(claim, code, other, pair, lookup))
        return out

    def _reported(self, claim: ClaimView, code: str, other: str, pair: _Pair, lookup: Lookup) -> Iterable[Finding]:
        """What the pair gives on this claim (a rule may leave it to another one)."""
        return self._judged(claim, code, other, pair)

    def _judged(self, claim: ClaimView, code: str, other: str, pair: _Pair) -> Iterable[Finding]:
        found = pair.found
        if not claim.mods:  # the common claim: no modifier to weigh
            return (found,)
        mine, theirs = claim.modifiers(code), claim.modifiers(other)
        distinct = sorted((mine | theirs) & DISTINCT)
        if pair.scope is not None and pair.scope.startswith(_SAME) and _place(pair.scope) in _SIDE_WORDS:
            sides = _sides(mine), _sides(theirs)
            if sides[0] and sides[1]:
                claim.read(code, SIDES)
                claim.read(other, SIDES)
                if sides[0].isdisjoint(sides[1]):
                    return ()  # different sides: the scope does not hold
                claim.read(code, DISTINCT)  # the sides answer it: a distinct-service modifier cannot
                claim.read(other, DISTINCT)
                return (self._same_side(found, sorted(sides[0] & sides[1]), distinct),)
        if pair.indicator == "0":
            claim.read(code, NCCI_ASSOCIATED)  # weighed: no modifier allows the pair
            claim.read(other, NCCI_ASSOCIATED)
            return (found,)
        if pair.indicator == "1":  # as the NCCI edits read modifiers (NCCI_MANUAL)
            associated, allowed = ncci_bypass(mine, theirs)
            if not associated:
                return (found,)
            claim.read(code, NCCI_ASSOCIATED)
            claim.read(other, NCCI_ASSOCIATED)
            if not allowed:
                sites = sorted(anatomic_sites(mine) & {"RT", "LT"})
                return (self._same_side(found, sites, []),) if sites else (found,)
            return (self._allowed(found, associated, pair),)
        if distinct and pair.scope is not None:
            claim.read(code, DISTINCT)
            claim.read(other, DISTINCT)
            return (self._allowed(found, distinct, pair),)
        return (found,)

    def _same_side(self, found: Finding, sides: list[str], distinct: list[str]) -> Finding:
        side = {"RT": "right", "LT": "left"}
        which = " and ".join(side[s] for s in sides)
        overridden = (
            f" ({', '.join(f'-{m}' for m in distinct)} cannot change that: the side modifiers say the same side)"
            if distinct
            else ""
        )
        return Finding(
            found.rule,
            "error" if found.confidence != "low" else "warning",
            found.codes,
            f"{found.codes[0]} and {found.codes[1]} are both on the {which} side, where they are not reported "
            f"together{overridden}." + (LOW_NOTE if found.confidence == "low" else ""),
            (
                f"Remove {found.codes[1]}: it is part of {found.codes[0]} on the {which} side."
                if found.fix_codes
                else f"Report {found.codes[0]} or {found.codes[1]} for the {which} side, not both."
            ),
            found.fix_codes,
            found.sources,
            found.confidence,
            found.family,
            found.stated_on,
            found.fact,
            found.note,
        )

    def _allowed(self, found: Finding, distinct: list[str], pair: _Pair) -> Finding:
        mods = ", ".join(f"-{m}" for m in distinct)
        if pair.indicator == "1":
            what = documented(distinct)
        elif pair.scope is not None:
            what = f"a different {_place(pair.scope)}"
        else:
            what = "a distinct service (another session, site or organ)"
        return Finding(
            found.rule,
            "info",
            found.codes,
            f"{found.codes[0]} and {found.codes[1]} are reported together with {mods}, which the "
            + ("NCCI modifier indicator 1 " if pair.indicator == "1" else "rule's scope ")
            + f"allows only for {what}.",
            f"Keep {mods} only if the record documents {what}; otherwise report one of the codes.",
            found.fix_codes,
            found.sources,
            found.confidence,
            found.family,
            found.stated_on,
            found.fact,
            found.note,
        )


class IncludedReportedSeparately(_PairRule):
    id = "included-reported-separately"
    severity = "error"
    summary = "error: a code another code on the claim already includes"
    text = (
        "A service that a reported code already includes (by its own record or by its family's rule) is "
        "not reported again on its own. Where the inclusion holds on one site only (a nephrostogram within "
        "a nephrostomy of the same kidney), side modifiers answer it (RT on one code and LT on the other: "
        "different sides, no finding) and a distinct-service modifier (59, XS ...) turns the error into "
        "info that says what must be documented; otherwise no source lets a modifier unbundle the pair."
    )

    def pairs(self, facts: Facts) -> dict[str, list[_Pair]]:
        code, record = facts.code, facts.record
        assert record is not None
        found: dict[str, list[_Pair]] = {}
        for eff in facts.catalog.includes(record):
            rule = eff.rule
            narrow = _narrow(rule.scope)
            where = f" on the same {_place(narrow)}" if narrow else ""
            unless = f", unless the record shows it was on another {_place(narrow)}" if narrow else ""
            for other in partners(code, rule.codes):
                found.setdefault(other, []).append(
                    _Pair(
                        finding(
                            self.id,
                            "error",
                            (code, other),
                            f"{other} is already included in {code}{where} ({rule.what}) and is not reported "
                            "separately.",
                            fix=f"Remove {other}: it is part of {code}{unless}.",
                            fix_codes=(other,),
                            sources=rule.sources,
                            confidence=rule.confidence,
                            family=eff.family,
                            stated_on=code,
                            fact=rule.what + (f" (scope: {rule.scope})" if rule.scope else ""),
                            note=rule.note,
                        ),
                        scope=narrow,
                    )
                )
        return found


INCLUDED = IncludedReportedSeparately()


class NotReportedTogether(_PairRule):
    id = "not-reported-together"
    severity = "error"
    summary = "error, or a warning when a scope (same duct, same kidney ...) needs a human"
    text = (
        "Codes that a record says are not reported together. Without a scope, or within the same session, "
        "this stops the claim. A narrower scope (same duct, same kidney, same access ...) needs a human, so "
        "it is a warning; side modifiers answer it (RT on one code and LT on the other: different sides, "
        "no finding; the same side on both: an error). Where a source gives the pair an NCCI modifier "
        "indicator of 1, or scopes it to one site, a distinct-service modifier (59, XE, XS, XP, XU) on "
        "either code turns the finding into info that says what must be documented; indicator 0 means no "
        "modifier allows both. A pair one of whose codes includes the other is told once: by "
        "included-reported-separately, unless what that rule finds on the claim is less severe."
    )

    def _reported(self, claim: ClaimView, code: str, other: str, pair: _Pair, lookup: Lookup) -> Iterable[Finding]:
        found = list(self._judged(claim, code, other, pair))
        if not found:
            return found
        worst = min(SEVERITY_RANK[f.severity] for f in found)
        for whole, part in ((code, other), (other, code)):
            included = (lookup(INCLUDED, whole) or {}).get(part)
            if included is None:
                continue
            told = list(INCLUDED._judged(claim, whole, part, included))
            if told and min(SEVERITY_RANK[f.severity] for f in told) <= worst:
                return ()  # included-reported-separately says it, at least as severely
        return found

    def pairs(self, facts: Facts) -> dict[str, list[_Pair]]:
        code, record = facts.code, facts.record
        assert record is not None
        found: dict[str, list[_Pair]] = {}
        for nw in facts.catalog.not_with(record):
            rule = nw.rule
            if rule.modifier_indicator == "9":
                continue  # the edit does not apply
            narrow = _narrow(rule.scope)
            for other in partners(code, rule.codes):
                found.setdefault(other, []).append(
                    _Pair(self._finding(code, other, rule, nw.family, narrow), rule.modifier_indicator, narrow)
                )
        return found

    def _finding(self, code: str, other: str, rule: NotWith, family: str | None, narrow: str | None) -> Finding:
        where = f" on the same {_place(narrow)}" if narrow else ""
        if rule.modifier_indicator == "1":
            fix = (
                f"Report {code} and {other} together only with the NCCI-associated modifier that says why (RT "
                "and LT for two sides, XS for two structures, XE for two encounters) and a record that documents "
                "it; otherwise report one of them."
            )
        elif narrow:
            place = _plural(_place(narrow))
            fix = f"Report both only if the record shows they were on different {place}; otherwise report one of them."
        else:
            fix = f"Report {code} or {other}, not both."
        return finding(
            self.id,
            "warning" if narrow else "error",
            (code, other),
            f"{code} and {other} are not reported together{where}: {_clause(rule.reason)}.",
            fix=fix,
            sources=rule.sources,
            confidence=rule.confidence,
            family=family,
            stated_on=code,
            fact=rule.reason
            + (f" (scope: {rule.scope})" if rule.scope else "")
            + (f" (NCCI modifier indicator {rule.modifier_indicator})" if rule.modifier_indicator else ""),
            note=rule.note,
        )
