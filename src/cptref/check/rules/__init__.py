"""The rules of ``cptref check``: each one object, the one place that defines it.

A rule has an id, the most severe finding it can give, a one-line summary (``check --help``), a
full explanation (``check --explain``, README, schema), and two steps:

- :meth:`CheckRule.prepare` reads what is known about one code (its record, or None when the
  library has none) and returns what the rule needs to judge a claim holding that code, or None
  when the rule has nothing to say about the code. It runs once per code per catalog; the result
  is shared by every claim (so a batch of a million claims reads each record once).
- :meth:`CheckRule.apply` judges one claim for one of its codes from that prepared value.

Every finding comes from a fact a record (or its family) states; nothing is inferred. A finding that
rests on a ``low`` confidence fact is at most a warning and says so (:func:`finding`); a suggestion
resting on one is a possibility to confirm, shown only with ``--explain``.

A claim has three outcomes (:class:`~cptref.findings.CheckResult`): stopped (an error), verified (no
error, no warning: every code had the facts each rule needs), or neither (a warning: a fact is
missing or needs a human).

To add a rule: write a subclass here, add an instance to :data:`RULES`, and a test; ``check --help``,
``--explain``, README's rule list and the schema take it from here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from cptref.check.results import SEVERITY_RANK, Finding
from cptref.errors import quoted

from .base import (
    COMPONENTS,
    DISTINCT,
    LOW_NOTE,
    NCCI_ASSOCIATED,
    NONE,
    REPEATS,
    SIDES,
    CheckRule,
    Claim,
    Facts,
    Lookup,
    anatomic_sites,
    and_list,
    documented,
    finding,
    is_imaging,
    ncci_bypass,
    one_of,
    strength,
    units,
)
from .cms_tables import OFFICIAL, has_aoc, has_mue, knows

if TYPE_CHECKING:
    from cptref.model.records import Confidence, NotWith, Procedure

_UNITS_CACHE = 16


# --- rules about the input -------------------------------------------------------------------------


class MalformedCode(CheckRule):
    id = "malformed-code"
    severity = "error"
    summary = "error: not a claim line (CODE[-MOD...][xN])"
    text = (
        "A claim line is a code, then its modifiers and units: CODE[-MOD...][xN]. The code is a CPT code, "
        "four digits then a digit or a capital letter (47555, 0213T), or a HCPCS code, a capital letter then "
        "four digits (C1729); each modifier is two letters or digits after a hyphen (47542-59, 50432-RT, "
        "77002-26-59); units follow as x and a number (47542x2)."
    )

    def token(self, token: object) -> Finding:
        """The finding for a token that is not a claim line."""
        shown = token if isinstance(token, str) else repr(token)
        # a byte of the command line that is not UTF-8 arrives as a lone surrogate, which no output can encode
        printable = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        return Finding(
            self.id,
            "error",
            (printable,),
            f"{quoted(shown)} is not a claim line: a CPT or HCPCS code, then any modifiers and units "
            "(47555, 47542-59, C1729, 47542x2)",
            "Write the code as five characters, each modifier after a hyphen, and units as x and a number.",
        )


class NoData(CheckRule):
    id = "no-data"
    severity = "warning"
    summary = "warning: a code cptref has no record of (no data is not a pass)"
    text = (
        "cptref has no record of this code (and your CMS tables, when loaded, no row), so no rule could "
        "check it: the claim is not verified. No data is not a pass; confirm the code in the CPT or HCPCS book."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        if facts.record is not None or knows(facts.cms, facts.code, facts.setting):
            return None
        code = facts.code
        return Finding(
            self.id,
            "warning",
            (code,),
            f"No data: cptref has no record of {code}, so nothing about it could be checked.",
            f"Confirm {code} in the CPT or HCPCS book; cptref's library does not cover it (cptref list shows "
            "what it covers).",
        )

    def apply(self, claim: Claim, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
        return (prepared,)


class DeletedCode(CheckRule):
    id = "deleted-code"
    severity = "error"
    summary = "error: a code deleted before the date of service, naming its replacement"
    text = (
        "A code deleted by the date of service is not reported; the record names the code or codes that replace "
        "it. A CPT deletion takes effect on 1 January of the year the record gives; before that day the code "
        "was in force and there is no finding. A deleted code whose record gives no year is always a finding."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        record, code = facts.record, facts.code
        if record is None or record.status != "deleted":
            return None
        event = next((e for e in record.history if e.change == "deleted"), None)
        replaced = record.replaced_by
        if len(replaced) == 1:
            fix = f"Report {replaced[0]} instead, if it fits the service done."
        elif replaced:
            fix = f"Report the one of {', '.join(replaced)} that fits the service done."
        else:
            fix = "Find the current code for the service (cptref search WORDS)."
        found = finding(
            self.id,
            "error",
            (code,),
            f"{code} is a deleted code"
            + (f" (deleted as of 1 January {event.year})" if event else "")
            + (f"; it is replaced by {and_list(replaced)}" if replaced else "; no replacement is recorded")
            + ".",
            fix=fix,
            fix_codes=replaced,
            sources=event.sources if event else (),
            confidence=event.confidence if event else None,
            stated_on=code,
            fact=f"status: deleted; replaced by {', '.join(replaced)}" if replaced else "status: deleted",
            note=event.note if event else None,
        )
        return (datetime.date(event.year, 1, 1) if event else None, found)

    def apply(
        self, claim: Claim, code: str, prepared: tuple[datetime.date | None, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        deleted, found = prepared
        return (found,) if deleted is None or claim.date >= deleted else ()


class NotYetInForce(CheckRule):
    id = "not-yet-in-force"
    severity = "error"
    summary = "error: a code not yet in the code set on the date of service"
    text = (
        "A code whose record says it was added to CPT in a year after the date of service did not exist on that "
        "date (a CPT code takes effect on 1 January of the year it is added): the service is reported with the "
        "code in force then."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        record, code = facts.record, facts.code
        if record is None:
            return None
        event = next((e for e in record.history if e.change == "added"), None)
        if event is None:
            return None
        added = datetime.date(event.year, 1, 1)
        replaces = [d.code for d in facts.catalog.derived("replaces", code)]
        return (
            added,
            finding(
                self.id,
                "error",
                (code,),
                f"{code} was added to CPT as of 1 January {event.year}, after the date of service: it was not in "
                "force then.",
                fix=(
                    f"Report the code in force on the date of service ({one_of(replaces)}, which {code} replaced), "
                    "or check the date."
                    if replaces
                    else "Report the code in force on the date of service, or check the date."
                ),
                fix_codes=tuple(replaces),
                sources=event.sources,
                confidence=event.confidence,
                stated_on=code,
                fact=f"added: {event.year}",
                note=event.note,
            ),
        )

    def apply(
        self, claim: Claim, code: str, prepared: tuple[datetime.date, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        added, found = prepared
        return (found,) if claim.date < added else ()


# --- add-ons ---------------------------------------------------------------------------------------


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

    def apply(self, claim: Claim, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
        return () if has_other_procedure(self, claim, code, lookup) else (prepared,)


def has_other_procedure(rule: AddonAlone, claim: Claim, code: str, lookup: Lookup) -> bool:
    """Whether ``claim`` holds a code other than ``code`` that is not known to be an add-on."""
    return any(other != code and lookup(rule, other) is None for other in claim.counts)


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
                fix=f"Report {code} with {one_of(add_on.primaries)}, or remove it.",
                fix_codes=add_on.primaries,
                sources=add_on.sources,
                confidence=add_on.primaries_confidence or add_on.confidence,
                stated_on=code,
                fact=f"add-on code; primaries: {', '.join(add_on.primaries)}",
                note=add_on.note,
            ),
        )

    def apply(
        self, claim: Claim, code: str, prepared: tuple[frozenset[str] | None, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        primaries, found = prepared
        if not has_other_procedure(ADDON_ALONE, claim, code, lookup):
            return ()  # addon-alone says it
        if primaries is None or primaries.isdisjoint(claim.counts):
            return (found,)
        return ()


# --- pairs -----------------------------------------------------------------------------------------


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


def _partners(code: str, codes: Iterable[str]) -> list[str]:
    """The codes a fact of ``code`` names, once each, other than ``code`` itself."""
    return [other for other in dict.fromkeys(codes) if other != code]


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

    def apply(self, claim: Claim, code: str, prepared: dict[str, _Pair], lookup: Lookup) -> Iterable[Finding]:
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

    def _reported(self, claim: Claim, code: str, other: str, pair: _Pair, lookup: Lookup) -> Iterable[Finding]:
        """What the pair gives on this claim (a rule may leave it to another one)."""
        return self._judged(claim, code, other, pair)

    def _judged(self, claim: Claim, code: str, other: str, pair: _Pair) -> Iterable[Finding]:
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
            for other in _partners(code, rule.codes):
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

    def _reported(self, claim: Claim, code: str, other: str, pair: _Pair, lookup: Lookup) -> Iterable[Finding]:
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
            for other in _partners(code, rule.codes):
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


# --- units -----------------------------------------------------------------------------------------


PAIRED = ("kidney", "ureter", "renal", "breast", "eye", "ear", "lung", "limb", "extremit")
"""Words of a record's section that name an organ or limb with two sides: the units of such a code may
be its two sides; those of a bile-duct code may not."""
_COUNTED = SIDES | COMPONENTS | REPEATS
"""The modifiers the units rule counts by: sides, components of an imaging code, repeats."""


class Units(CheckRule):
    id = "units"
    severity = "warning"
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

    def apply(self, claim: Claim, code: str, prepared: _Prepared, lookup: Lookup) -> Iterable[Finding]:
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
            f"{units(count)} of {code} {'is' if count == 1 else 'are'} reported; the recorded Medicare MUE is "
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

    def _with_modifiers(self, claim: Claim, code: str, table: _Prepared) -> Iterable[Finding]:
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


# --- suggestions and modifiers -----------------------------------------------------------------------


class SeparatelyReportable(CheckRule):
    id = "separately-reportable"
    severity = "info"
    summary = "info: a service the set could add (from a low-confidence fact, only with --explain)"
    text = (
        "A service the record says is reported in addition to the code, not in this set: add it if it was "
        "done and documented. When the fact rests on a low-confidence source, it is only a possibility to "
        "confirm, and shown only with --explain."
    )

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        record, code = facts.record, facts.code
        if record is None:
            return None
        found: list[tuple[frozenset[str], Finding]] = []
        for eff in facts.catalog.report_with(record):
            rule = eff.rule
            wanted = tuple(_partners(code, rule.codes))
            if not wanted:
                continue  # no code to look for: whether the service is on the claim cannot be told
            low = rule.confidence == "low"
            if low:
                message = (
                    f"{rule.what} may be reported separately with {code} ({one_of(wanted)}), but only a "
                    "low-confidence source says so."
                )
                fix = f"Confirm in the CPT book that {one_of(wanted)} is reported with {code} before adding it."
            else:
                message = f"{rule.what} is reported separately with {code} ({one_of(wanted)}), and is not on the claim."
                fix = f"Add {one_of(wanted)} if the service was done and documented."
            found.append(
                (
                    frozenset(wanted),
                    Finding(
                        self.id,
                        "info",
                        (code,),
                        message[0].upper() + message[1:],
                        fix,
                        wanted,
                        rule.sources,
                        rule.confidence,
                        eff.family,
                        code,
                        rule.what,
                        rule.note,
                    ),
                )
            )
        return tuple(found) or None

    def apply(
        self, claim: Claim, code: str, prepared: tuple[tuple[frozenset[str], Finding], ...], lookup: Lookup
    ) -> Iterable[Finding]:
        return [
            found
            for wanted, found in prepared
            if wanted.isdisjoint(claim.counts) and (claim.explain or found.confidence != "low")
        ]


class ModifierNotEvaluated(CheckRule):
    id = "modifier-not-evaluated"
    severity = "info"
    summary = "info: a modifier no rule read (no source says how it acts on them)"
    text = (
        "cptref reads a modifier only where a source says how it acts on a rule: the NCCI-associated modifiers "
        "on the pairs of an NCCI edit (and distinct-service modifiers on pairs a record scopes to one site), side "
        "modifiers (RT, LT, 50) when counting units and on pairs scoped to one side, 76 and 77 (a repeat: a "
        "session of its own) when counting units, and 26/TC on imaging codes. Any other modifier cptref knows, or "
        "one of these where no rule needed it, is named here as not evaluated, never guessed at."
    )

    def finding(self, code: str, modifier: str) -> Finding:
        return Finding(
            self.id,
            "info",
            (code,),
            f"Modifier -{modifier} on {code} was not evaluated: no rule that applies to this claim reads it.",
            f"Check what -{modifier} requires in the payer's policy; cptref does not judge it here.",
        )


class ConflictingModifiers(CheckRule):
    id = "conflicting-modifiers"
    severity = "error"
    summary = "error: one claim line names two sides (RT and LT, or 50 with either)"
    text = (
        "A claim line is one service on one site: RT and LT on the same line, or 50 (both sides) beside RT or LT, "
        "contradict each other. Report the two sides on two lines (CODE-RT, CODE-LT) or, where the fee schedule "
        "allows it, once with 50."
    )

    def line(self, code: str, modifiers: tuple[str, ...]) -> Finding | None:
        """The finding for one claim line's modifiers; None when they agree."""
        sides = [m for m in modifiers if m in SIDES]
        if len(set(sides)) < 2:
            return None
        shown = "".join(f"-{m}" for m in modifiers)
        return Finding(
            self.id,
            "error",
            (code,),
            f"{code}{shown} names {' and '.join(f'-{m}' for m in dict.fromkeys(sides))} on one line: a line is one "
            "service on one site.",
            f"Report each side on its own line ({code}-RT, {code}-LT), or {code}-50 once where both sides are one "
            "service.",
        )


class UnknownModifier(CheckRule):
    id = "unknown-modifier"
    severity = "warning"
    summary = "warning: a modifier cptref does not know (a typo, or a payer's own)"
    text = (
        "A modifier that is none of the CPT modifiers and none of the HCPCS Level II modifiers Medicare "
        "contractors list: a typo, or a code of the payer's own. What it does to the claim cannot be told, so the "
        "claim is not verified."
    )

    def finding(self, code: str, modifier: str) -> Finding:
        return Finding(
            self.id,
            "warning",
            (code,),
            f"-{modifier} on {code} is not a modifier cptref knows (CPT, or HCPCS Level II as Medicare contractors "
            "list them), so what it does to this claim cannot be told.",
            f"Check -{modifier}: correct it, or confirm with the payer that it accepts it on {code}.",
        )


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


MALFORMED = MalformedCode()
ADDON_ALONE = AddonAlone()
INCLUDED = IncludedReportedSeparately()
MODIFIERS = ModifierNotEvaluated()
CONFLICTING = ConflictingModifiers()
UNKNOWN_MODIFIER = UnknownModifier()
RULES: tuple[CheckRule, ...] = (
    MALFORMED,
    CONFLICTING,
    NoData(),
    DeletedCode(),
    NotYetInForce(),
    ADDON_ALONE,
    AddonWithoutPrimary(),
    INCLUDED,
    NotReportedTogether(),
    Units(),
    *OFFICIAL,
    SeparatelyReportable(),
    UNKNOWN_MODIFIER,
    MODIFIERS,
    NotChecked(),
)
"""Every rule, in the order findings of the same severity are listed (for each code in turn)."""
BY_ID: dict[str, CheckRule] = {rule.id: rule for rule in RULES}


def help_table() -> str:
    """The rules as ``check --help`` lists them: the id, then the summary wrapped beside it."""
    import textwrap

    width = max(len(rule.id) for rule in RULES) + 2
    lines = []
    for rule in RULES:
        wrapped = textwrap.wrap(rule.summary, 76 - width - 2) or [""]
        lines.append(f"  {rule.id.ljust(width)}{wrapped[0]}")
        lines.extend(" " * (width + 2) + more for more in wrapped[1:])
    return "\n".join(lines)


def markdown() -> str:
    """The rules as README lists them: one bullet a rule, its id, the most severe finding and its text."""
    return "\n".join(f"- `{rule.id}` ({rule.severity}): {rule.text}" for rule in RULES) + "\n"
