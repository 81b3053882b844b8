"""A suggestion: a service the record says is reported in addition to a code, and is not on the claim."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cptref.check.claim import ClaimView
from cptref.check.results import Finding

from .base import CheckRule, Facts, Lookup, one_of, partners


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
            wanted = tuple(partners(code, rule.codes))
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
        self, claim: ClaimView, code: str, prepared: tuple[tuple[frozenset[str], Finding], ...], lookup: Lookup
    ) -> Iterable[Finding]:
        return [
            found
            for wanted, found in prepared
            if wanted.isdisjoint(claim.counts) and (claim.explain or found.confidence != "low")
        ]
