"""The modifier vocabulary: which modifiers exist, and what each kind means to an edit.

As the NCCI Policy Manual for Medicare Services reads them (:data:`NCCI_MANUAL`): distinct-service
modifiers, sides, the components of an imaging service, repeats, the anatomic and other
NCCI-associated modifiers that may bypass an edit of modifier indicator 1 (:func:`ncci_bypass`), and
every modifier cptref knows the name of (:data:`KNOWN_MODIFIERS`: another is named as unknown). A new
modifier, or a new meaning of one, goes here; the rules read these sets.
"""

from __future__ import annotations

from collections.abc import Iterable

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
