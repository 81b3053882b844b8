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

from cptref.check.results import SEVERITY_RANK, Finding, Severity
from cptref.model.records import Confidence

if TYPE_CHECKING:
    from cptref.check.inputs.reader import Line
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure

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
REPEATS = frozenset(["76", "77"])
"""A repeat of a procedure the same day, by the same practitioner (76) or another (77): a session of its own."""

NCCI_MANUAL = "NCCI Policy Manual for Medicare Services, Chapter I, Section E (Modifiers and Modifier Indicators)"
"""Where CMS lists the NCCI-associated modifiers and what each requires."""
ANATOMIC = frozenset(
    [
        *(f"E{n}" for n in range(1, 5)),
        "FA",
        *(f"F{n}" for n in range(1, 10)),
        "TA",
        *(f"T{n}" for n in range(1, 10)),
        "LT",
        "RT",
        "LC",
        "LD",
        "RC",
        "LM",
        "RI",
    ]
)
"""The anatomic NCCI-associated modifiers (:data:`NCCI_MANUAL`): eyelids E1-E4, fingers FA and F1-F9,
toes TA and T1-T9, sides LT and RT, coronary arteries LC, LD, RC, LM and RI."""
NCCI_ASSOCIATED = ANATOMIC | frozenset(["24", "25", "57", "58", "78", "79", "27", "91"]) | DISTINCT
"""The modifiers that may bypass an NCCI PTP edit of modifier indicator 1 when the clinical
circumstances justify them (:data:`NCCI_MANUAL`): the anatomic ones, the global surgery ones (24,
25, 57, 58, 78, 79), and 27, 91, 59, XE, XS, XP and XU."""
_DOCUMENTED = {
    "24": "an evaluation and management service unrelated to the surgery, in its postoperative period (24)",
    "25": "a significant evaluation and management service separately identifiable from the procedure (25)",
    "57": "the evaluation and management service at which the decision for major surgery was made (57)",
    "58": "a staged, related or more extensive procedure by the same practitioner in the postoperative period (58)",
    "78": "an unplanned return to the operating or procedure room for a related procedure (78)",
    "79": "a procedure unrelated to the first one, in its postoperative period (79)",
    "27": "a separate outpatient hospital evaluation and management encounter the same day (27)",
    "91": "a repeat of the laboratory test the same day for a new result (91)",
}


def documented(modifiers: Iterable[str]) -> str:
    """What the record must show for these NCCI-associated modifiers to allow a pair (one clause a kind)."""
    found = set(modifiers)
    clauses = [text for mod, text in _DOCUMENTED.items() if mod in found]
    if found & ANATOMIC:
        clauses.append("that the two services were on different anatomic sites, as the anatomic modifiers say")
    if found & DISTINCT:
        clauses.append(
            "a distinct service: another encounter (XE), another organ or structure (XS), another practitioner "
            "(XP) or a service that does not overlap (XU); 59 only when none of these fits"
        )
    return "; ".join(clauses)


def anatomic_sites(mods: frozenset[str]) -> frozenset[str]:
    """The sites a line's anatomic modifiers name (RT, LT for 50: both sides)."""
    sites = mods & ANATOMIC
    return sites | {"RT", "LT"} if "50" in mods else sites


def ncci_bypass(mine: frozenset[str], theirs: frozenset[str]) -> tuple[list[str], bool]:
    """The NCCI-associated modifiers of two codes of a pair, and whether they may bypass an edit of
    indicator 1: not when they are anatomic only and name the same sites on both codes (the same
    side twice says the services were on the same site, not on two)."""
    found = sorted((mine | theirs) & NCCI_ASSOCIATED)
    if not found:
        return found, False
    if not set(found) - ANATOMIC:
        a, b = anatomic_sites(mine), anatomic_sites(theirs)
        if a and b and a == b:
            return found, False
    return found, True


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CPT_MODIFIERS = _words(
    "22 23 24 25 26 27 32 33 47 50 51 52 53 54 55 56 57 58 59 62 63 66 73 74 76 77 78 79 80 81 82 90 91 "
    "92 93 95 96 97 99"
)
"""The CPT (Level I) modifiers of the CPT book's Appendix A, as its numbers (no text)."""
HCPCS_MODIFIERS = _words(
    "AE AF AG AI AK AM AO AT AZ BL CA CB CG CR CS CT DA ER ET FB FC FX FY G7 GC GE GG GJ GU J1 J2 J3 JC "
    "JD JG JW JZ KX L1 M2 PD PI PO PN PS PT Q0 Q1 Q3 Q4 Q5 Q6 QQ RD RE SC SF SS SW TB TC TS UJ UN UP UQ "
    "UR US X1 X2 X3 X4 X5 XE XP XS XU ZA ZB ZC GA GX GY GZ MA MB MC MD ME MF MG MH GM QL QM QN AA AD G8 "
    "G9 P1 P2 P3 P4 P5 P6 QK QS QY QX QZ AS AX EA EB EC AY ED EE EJ EM G1 G2 G3 G4 G5 G6 GS JA JB JE V5 "
    "V6 V7 V8 V9 GV GW LR QW Q7 Q8 Q9 1P 2P 3P 8P AQ AR PA PB PC GQ GT G0 GN GO GP CO CQ FS FT"
)
"""The HCPCS Level II modifiers Medicare contractors list (Novitas Solutions, Medicare JH, modifier pages
by topic: payment, informational, ABN, imaging appropriate use, ambulance, anesthesia, assistant at
surgery, ESRD, hospice, laboratory, podiatry, quality reporting, surgical, telehealth, therapy), and
FS, FT and JZ."""
_AMBULANCE = "DEGHIJNPRSX"
KNOWN_MODIFIERS = (
    CPT_MODIFIERS
    | HCPCS_MODIFIERS
    | ANATOMIC
    | frozenset(a + b for a in _AMBULANCE for b in _AMBULANCE)  # ambulance origin and destination letters
)
"""Every modifier cptref knows the name of; another (a typo, a payer's own) is named as unknown."""


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
