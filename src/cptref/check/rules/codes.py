"""Rules about each code on its own: one cptref has no record of, one deleted by the date of service,
one not yet in the code set then.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from cptref.check.claim import ClaimView
from cptref.check.results import Finding

from .base import CheckRule, Facts, Lookup, and_list, finding, knows, one_of


class NoData(CheckRule):
    id = "no-data"
    severity = "warning"
    solo = True
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

    def apply(self, claim: ClaimView, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
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
        self, claim: ClaimView, code: str, prepared: tuple[datetime.date | None, Finding], lookup: Lookup
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
        self, claim: ClaimView, code: str, prepared: tuple[datetime.date, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        added, found = prepared
        return (found,) if claim.date < added else ()
