"""Rules about a claim's lines themselves: a line that is no claim line, modifiers that contradict each
other on one line, a modifier cptref does not know, and one no rule read.
"""

from __future__ import annotations

from cptref.check.modifiers import (
    SIDES,
)
from cptref.check.results import Finding
from cptref.errors import quoted

from .base import CheckRule


class MalformedCodeRule(CheckRule):
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


MALFORMED = MalformedCodeRule()
CONFLICTING = ConflictingModifiers()
UNKNOWN_MODIFIER = UnknownModifier()
MODIFIERS = ModifierNotEvaluated()
