"""What every rule of ``cptref check`` is made of: the facts a rule prepares from (:class:`Facts`), the
base class (:class:`CheckRule`), the helpers that keep findings honest (:func:`finding`,
:func:`official_finding`), what the rules read of the user's CMS tables (:func:`has_aoc`,
:func:`has_mue`, :func:`knows`, :class:`Context`) and the wording they share. The claim a rule
judges is :class:`cptref.check.claim.ClaimView`; the rules themselves are the other modules of
this package, listed in :data:`cptref.check.rules.RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from msgspec import Struct

from cptref.check.claim import ClaimView
from cptref.check.results import SEVERITY_RANK, Finding, Severity
from cptref.model.records import Confidence

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure

LOW_NOTE = " (rests on a low-confidence fact)"


class Facts(Struct, frozen=True):
    """What is known about one code when a rule prepares for it: its record (None: the library has
    none), the catalog, and the user's CMS tables with the setting they are read for (None: no
    tables loaded)."""

    code: str
    record: Procedure | None
    catalog: Catalog
    cms: CmsTables | None = None
    setting: str = "practitioner"


Lookup = Callable[["CheckRule", str], Any]
"""``lookup(rule, code)``: what ``rule`` prepared for ``code`` (for rules that compare two codes)."""


class CheckRule:
    """One rule of ``cptref check`` (see the module docstring)."""

    id: ClassVar[str]
    severity: ClassVar[Severity]
    """The most severe finding the rule gives."""
    summary: ClassVar[str]
    """One line for ``check --help``: the severity and what is found."""
    text: ClassVar[str]
    """What the rule checks and why, in full (``check --explain``, README)."""

    def prepare(self, facts: Facts, lookup: Lookup) -> Any:
        """What the rule needs about ``facts.code`` (None: nothing to check for it)."""
        return None

    def apply(self, claim: ClaimView, code: str, prepared: Any, lookup: Lookup) -> Iterable[Finding]:
        """The findings for ``code`` in ``claim``, from what :meth:`prepare` returned for it."""
        return ()

    claim_level: ClassVar[bool] = False
    """True for a rule that judges a whole claim at once (:meth:`apply_claim`), not code by code."""

    solo: ClassVar[bool] = False
    """True for a rule whose findings on a line whose code is on no other line of the claim depend
    only on that line (its code, modifiers and units) and what :meth:`prepare` returned, not on the
    other codes, the date of service or ``explain``, and which reads (:meth:`ClaimView.read`) only
    that line's modifiers. The engine then works out its findings and the modifiers it read once a
    spelling (``47542-RTx2``) and a set of tables in force, not once a claim
    (:meth:`cptref.check.engine._Quarter.token`); ``tests/check/test_cms_rules.py`` holds every rule
    marked so to it."""

    def apply_claim(self, claim: ClaimView, context: Any) -> Iterable[Finding]:
        """The findings for the whole claim (a claim-level rule); ``context`` is what the engine
        gives every claim-level rule: the CMS tables and their setting."""
        return ()


def finding(
    rule: str,
    severity: Severity,
    codes: tuple[str, ...],
    message: str,
    *,
    fix: str | None = None,
    fix_codes: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    confidence: Confidence | None = None,
    family: str | None = None,
    stated_on: str | None = None,
    fact: str | None = None,
    note: str | None = None,
) -> Finding:
    """A finding, with the low-confidence rule applied: never an error, and the message says so."""
    if confidence == "low":
        message += LOW_NOTE
        if severity == "error":
            severity = "warning"
    return Finding(rule, severity, codes, message, fix, fix_codes, sources, confidence, family, stated_on, fact, note)


def units_text(count: int) -> str:
    """``1 unit``, ``2 units``."""
    return f"{count} unit" if count == 1 else f"{count} units"


def and_list(codes: Sequence[str]) -> str:
    if len(codes) <= 2:
        return " and ".join(codes)
    return ", ".join(codes[:-1]) + " and " + codes[-1]


def one_of(codes: Sequence[str]) -> str:
    return codes[0] if len(codes) == 1 else f"one of {', '.join(codes)}"


_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


def strength(item: Finding) -> tuple[int, int, bool]:
    """Sort key, strongest first: most severe, then most confident, then a record's own rule."""
    return (SEVERITY_RANK[item.severity], _CONFIDENCE_RANK[item.confidence], item.family is not None)


def is_imaging(code: str) -> bool:
    """Radiology codes (70010-79999): their 26 and TC modifiers are components of one service."""
    return len(code) == 5 and code[0] == "7" and code.isdigit()


def row(file: str, line: int) -> str:
    """Where a table row is: ``ccipra-v323r0-f1.txt, line 12``."""
    return f"{file.rsplit('/', 1)[-1]}, line {line}"


DELETION_DAY = (
    "cptref reads a deletion date as the first day without the edit, while CMS's tables end edits on a "
    "quarter's last day, which reads as the last day in force; CMS's own definition was not found, so on "
    'that one day the edit is neither applied nor set aside (README, "Dates of an edit").'
)
"""The note of a warning for an edit whose deletion date is the claim's date."""


def official_finding(
    rule: str,
    severity: str,
    codes: tuple[str, ...],
    message: str,
    fix: str,
    fix_codes: tuple[str, ...],
    fact: str,
    table: str,
    where: str,
    note: str | None = None,
) -> Finding:
    return Finding(
        rule,
        severity,  # type: ignore[arg-type]
        codes,
        message,
        fix,
        fix_codes,
        (),
        "high",
        None,
        None,
        fact,
        note,
        table,
        where,
    )


class Context(Struct, frozen=True):
    """What a claim-level rule is given: the CMS tables and the setting they are read for."""

    cms: CmsTables | None
    setting: str


def has_aoc(cms: CmsTables | None) -> bool:
    """Whether an add-on code table is loaded: then it, not the records, says which codes are add-ons."""
    return cms is not None and cms.has("aoc")


def has_mue(cms: CmsTables | None, setting: str) -> bool:
    """Whether an MUE table for ``setting`` is loaded: then its values, not the records', are applied."""
    return cms is not None and cms.table("mue", setting) is not None


def knows(cms: CmsTables | None, code: str, setting: str) -> bool:
    """Whether the CMS tables hold a row about ``code`` (a fee schedule row, an MUE, an add-on or a PTP edit)."""
    if cms is None:
        return False
    return cms.in_ptp(code) or bool(cms.rvu(code)) or cms.mue(code, setting) is not None or cms.is_addon(code)


def partners(code: str, codes: Iterable[str]) -> list[str]:
    """The codes a fact of ``code`` names, once each, other than ``code`` itself."""
    return [other for other in dict.fromkeys(codes) if other != code]
