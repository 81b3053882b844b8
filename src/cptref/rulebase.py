"""What every rule of ``cptref check`` is made of: the facts a rule prepares from, the claim it
judges, the base class, and the helpers that keep findings honest (:func:`finding`).

The rules themselves are in :mod:`cptref.rules` (from the library's records) and
:mod:`cptref.official` (from the user's CMS tables); :data:`cptref.rules.RULES` lists them all.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from msgspec import Struct

from .findings import SEVERITY_RANK, Finding, Severity
from .models import Confidence

if TYPE_CHECKING:
    from .catalog import Catalog
    from .claims import Line
    from .cms import CmsTables
    from .models import Procedure

LOW_NOTE = " (rests on a low-confidence fact)"
NONE: frozenset[str] = frozenset()

DISTINCT = frozenset(["59", "XE", "XS", "XP", "XU"])
"""The NCCI-associated modifiers that say a service was distinct: 59 and its subsets XE (separate
encounter), XS (separate structure), XP (separate practitioner), XU (unusual non-overlapping
service)."""
SIDES = frozenset(["RT", "LT", "50"])
"""Side modifiers: right, left, bilateral (both sides, one line)."""
COMPONENTS = frozenset(["26", "TC"])
"""The professional (26) and technical (TC) components of an imaging service."""


class Facts(Struct, frozen=True):
    """What is known about one code when a rule prepares for it: its record (None: the library has
    none), the catalog, and the user's CMS tables with the setting they are read for (None: no
    tables loaded)."""

    code: str
    record: Procedure | None
    catalog: Catalog
    cms: CmsTables | None = None
    setting: str = "practitioner"


class Claim:
    """What a rule sees of one claim: its lines (a code with its modifiers and units), each code's
    units over all its lines and its modifiers, the date of service, and whether the user asked for
    the explanations (``--explain``). A rule that reads a modifier says so (:meth:`read`), so that
    ``modifier-not-evaluated`` can name the others."""

    __slots__ = ("counts", "date", "explain", "lines", "mods", "read_mods")

    def __init__(
        self,
        lines: Sequence[Line],
        counts: dict[str, int],
        date: datetime.date | None = None,
        explain: bool = False,
        modified: bool = True,
    ) -> None:
        self.lines = lines
        self.counts = counts
        mods: dict[str, frozenset[str]] = {}
        if modified:  # the common claim has no modifier at all
            for line in lines:
                if line.modifiers:
                    mods[line.code] = mods.get(line.code, NONE).union(line.modifiers)
        self.mods = mods
        self.date: datetime.date = date or datetime.date.today()
        self.explain = explain
        self.read_mods: set[tuple[str, str]] = set()

    def modifiers(self, code: str) -> frozenset[str]:
        return self.mods.get(code, NONE)

    def read(self, code: str, modifiers: Iterable[str]) -> None:
        """Mark ``modifiers`` of ``code`` as evaluated by a rule."""
        self.read_mods.update((code, m) for m in modifiers if m in self.modifiers(code))


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

    def apply(self, claim: Claim, code: str, prepared: Any, lookup: Lookup) -> Iterable[Finding]:
        """The findings for ``code`` in ``claim``, from what :meth:`prepare` returned for it."""
        return ()

    claim_level: ClassVar[bool] = False
    """True for a rule that judges a whole claim at once (:meth:`apply_claim`), not code by code."""

    def apply_claim(self, claim: Claim, context: Any) -> Iterable[Finding]:
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


def units(count: int) -> str:
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
