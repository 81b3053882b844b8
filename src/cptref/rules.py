"""The rules of ``cptref check``: each one object, the one place that defines it.

A rule has an id, the most severe finding it can give, a one-line summary (``check --help``), a
full explanation (``check --explain``, README, schema), and two steps:

- :meth:`CheckRule.prepare` reads what the library states about one code (its record, or None when
  it has none) and returns what the rule needs to judge a claim holding that code, or None when
  the rule has nothing to say about the code. It runs once per code per catalog; the result is
  shared by every claim (so a batch of a million claims reads each record once).
- :meth:`CheckRule.apply` judges one claim for one of its codes from that prepared value.

Every finding comes from a fact a record (or its family) states; nothing is inferred. A finding that
rests on a ``low`` confidence fact is at most a warning and says so (:func:`finding`).

To add a rule: write a subclass here, add an instance to :data:`RULES`, and a test; ``check --help``,
``--explain``, README's rule list and the schema take it from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import quoted
from .findings import SEVERITY_RANK, Finding, Severity
from .models import Confidence

if TYPE_CHECKING:
    from .catalog import Catalog
    from .models import Procedure

LOW_NOTE = " (rests on a low-confidence fact)"
_SAME_SESSION = "same session"
_UNITS_CACHE = 16


class Claim:
    """What a rule sees of one claim: each code once, with its units, in the order given."""

    __slots__ = ("counts",)

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts


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

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        """What the rule needs about ``code`` (None: nothing to check for it)."""
        return None

    def apply(self, claim: Claim, code: str, prepared: Any, lookup: Lookup) -> Iterable[Finding]:
        """The findings for ``code`` in ``claim``, from what :meth:`prepare` returned for it."""
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


def _list(codes: Sequence[str]) -> str:
    return ", ".join(codes)


def _one_of(codes: Sequence[str]) -> str:
    return codes[0] if len(codes) == 1 else f"one of {_list(codes)}"


_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


def strength(item: Finding) -> tuple[int, int, bool]:
    """Sort key, strongest first: most severe, then most confident, then a record's own rule."""
    return (SEVERITY_RANK[item.severity], _CONFIDENCE_RANK[item.confidence], item.family is not None)


def _strongest(found: dict[str, list[Finding]]) -> dict[str, Finding]:
    """One finding a partner code: when several facts say the same (the record's own rule and its
    family's, say), the strongest stands for them, with its own sources and confidence."""
    return {other: min(items, key=strength) for other, items in found.items()}


class MalformedCode(CheckRule):
    id = "malformed-code"
    severity = "error"
    summary = "error: not a five-character code"
    text = (
        "A code is five characters: four digits then a digit or a capital letter (47555, 0213T); units may "
        "follow as x and a number (47542x2)."
    )

    def token(self, token: object) -> Finding:
        """The finding for a token that is not a code."""
        shown = token if isinstance(token, str) else repr(token)
        # a byte of the command line that is not UTF-8 arrives as a lone surrogate, which no output can encode
        printable = shown.encode("utf-8", "backslashreplace").decode("utf-8")
        return Finding(
            self.id,
            "error",
            (printable,),
            f"{quoted(shown)} is not a CPT code (four digits then a digit or a capital letter, e.g. 47555)",
            "write the code as five characters; add units as x and a number (47542x2)",
        )


class UnknownCode(CheckRule):
    id = "unknown-code"
    severity = "error"
    summary = "error: no data is not a pass"
    text = (
        "The library has no record of this code, so nothing about it can be checked. No data is not a pass: "
        "it is an error until the code is confirmed."
    )

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        if record is not None:
            return None
        return Finding(
            self.id,
            "error",
            (code,),
            f"no data: {code} is not in the library, so nothing about it could be checked",
            f"check the code; if it is right, the library has no record of it yet (cptref show {code} names the "
            "nearest known codes)",
        )

    def apply(self, claim: Claim, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
        return (prepared,)


class DeletedCode(CheckRule):
    id = "deleted-code"
    severity = "error"
    summary = "error, naming the replacement"
    text = "A deleted code is not reported; the record names the code or codes that replace it."

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        if record is None or record.status != "deleted":
            return None
        event = next((e for e in record.history if e.change == "deleted"), None)
        replaced = record.replaced_by
        return finding(
            self.id,
            "error",
            (code,),
            f"{code} is a deleted code"
            + (f" ({event.year})" if event else "")
            + (f"; it is replaced by {_list(replaced)}" if replaced else "; no replacement is recorded"),
            fix=(
                f"report {replaced[0]} instead"
                if len(replaced) == 1
                else f"report the one of {_list(replaced)} that fits the service done"
                if replaced
                else "find the current code for the service (cptref search WORDS)"
            ),
            fix_codes=replaced,
            sources=event.sources if event else (),
            confidence=event.confidence if event else None,
            stated_on=code,
            fact=f"status: deleted; replaced by {_list(replaced)}" if replaced else "status: deleted",
            note=event.note if event else None,
        )

    def apply(self, claim: Claim, code: str, prepared: Finding, lookup: Lookup) -> Iterable[Finding]:
        return (prepared,)


class AddonWithoutPrimary(CheckRule):
    id = "addon-without-primary"
    severity = "error"
    summary = "error: an add-on without any of its primaries (info when its primaries are not recorded)"
    text = (
        "An add-on code is reported only in addition to one of its primary procedures. When the primaries "
        "are not recorded, the pairing cannot be verified and this is said as info."
    )

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        add_on = record.add_on if record is not None else None
        if add_on is None:
            return None
        if not add_on.primaries:
            return (
                None,
                finding(
                    self.id,
                    "info",
                    (code,),
                    f"{code} is an add-on code, but its primary codes are not recorded, so the primary "
                    "could not be verified",
                    fix=f"confirm that the primary procedure for {code} is on the claim",
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
                f"{code} is an add-on code and none of its primary procedures is reported with it",
                fix=f"report {code} with {_one_of(add_on.primaries)}, or remove it",
                fix_codes=add_on.primaries,
                sources=add_on.sources,
                confidence=add_on.confidence,
                stated_on=code,
                fact=f"add-on code; primaries: {_list(add_on.primaries)}",
                note=add_on.note,
            ),
        )

    def apply(
        self, claim: Claim, code: str, prepared: tuple[frozenset[str] | None, Finding], lookup: Lookup
    ) -> Iterable[Finding]:
        primaries, found = prepared
        if primaries is None or primaries.isdisjoint(claim.counts):
            return (found,)
        return ()


class _PairRule(CheckRule):
    """A rule about two codes on one claim: prepared as partner code -> the finding."""

    def pairs(self, code: str, record: Procedure, catalog: Catalog) -> dict[str, list[Finding]]:
        raise NotImplementedError

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        if record is None:
            return None
        found = self.pairs(code, record, catalog)
        return _strongest(found) if found else None

    def apply(self, claim: Claim, code: str, prepared: dict[str, Finding], lookup: Lookup) -> Iterable[Finding]:
        if prepared.keys().isdisjoint(claim.counts):
            return ()
        return [prepared[other] for other in claim.counts if other in prepared]


class IncludedReportedSeparately(_PairRule):
    id = "included-reported-separately"
    severity = "error"
    summary = "error: a code another code already includes"
    text = (
        "A service that a reported code already includes (by its own record or by its family's rule) is "
        "not reported again on its own."
    )

    def pairs(self, code: str, record: Procedure, catalog: Catalog) -> dict[str, list[Finding]]:
        found: dict[str, list[Finding]] = {}
        for eff in catalog.includes(record):
            rule = eff.rule
            for other in dict.fromkeys(rule.codes):
                if other == code:
                    continue
                found.setdefault(other, []).append(
                    finding(
                        self.id,
                        "error",
                        (code, other),
                        f"{other} is already included in {code} ({rule.what}) and is not reported separately",
                        fix=f"remove {other}: it is part of {code}",
                        fix_codes=(other,),
                        sources=rule.sources,
                        confidence=rule.confidence,
                        family=eff.family,
                        stated_on=code,
                        fact=rule.what,
                        note=rule.note,
                    )
                )
        return found


class NotReportedTogether(_PairRule):
    id = "not-reported-together"
    severity = "error"
    summary = "error, or a warning when the rule's scope (same duct, same ureter ...) needs a human"
    text = (
        "Codes that a record says are not reported together. Without a scope, or within the same session, "
        "this is an error; a narrower scope (same duct, same ureter, same access ...) needs a human to "
        "confirm, so it is a warning."
    )

    def pairs(self, code: str, record: Procedure, catalog: Catalog) -> dict[str, list[Finding]]:
        found: dict[str, list[Finding]] = {}
        for nw in catalog.not_with(record):
            rule = nw.rule
            scope = (rule.scope or "").strip() or None
            needs_human = scope is not None and scope.lower() != _SAME_SESSION
            for other in dict.fromkeys(rule.codes):
                if other == code:
                    continue
                where = f" ({scope})" if scope else ""
                found.setdefault(other, []).append(
                    finding(
                        self.id,
                        "warning" if needs_human else "error",
                        (code, other),
                        f"{code} and {other} are not reported together{where}: {rule.reason}",
                        fix=(
                            f"report both only if it is not the {scope} (a human must check the documentation); "
                            "otherwise report one of them"
                            if needs_human
                            else f"report {code} or {other}, not both"
                        ),
                        sources=rule.sources,
                        confidence=rule.confidence,
                        family=nw.family,
                        stated_on=code,
                        fact=rule.reason + (f" (scope: {scope})" if scope else ""),
                        note=rule.note,
                    )
                )
        return found

    def apply(self, claim: Claim, code: str, prepared: dict[str, Finding], lookup: Lookup) -> Iterable[Finding]:
        """A pair stated on both records is reported once, from the stronger side."""
        out = []
        for mine in super().apply(claim, code, prepared, lookup):
            other = mine.codes[1]
            theirs = (lookup(self, other) or {}).get(code)
            if theirs is None or (*strength(mine), code) <= (*strength(theirs), other):
                out.append(mine)
        return out


class Units(CheckRule):
    id = "units"
    severity = "warning"
    summary = "warning: more units than the MUE, or a code counted once per session given twice"
    text = (
        "More units than the recorded Medicare MUE (units per day), or more than one unit of a code whose "
        "record gives no per-unit counting (it is counted once per session)."
    )

    class _Prepared:
        __slots__ = ("by_count", "code", "confidence", "mue", "once_per_session", "sources")

        def __init__(self, record: Procedure) -> None:
            medicare = record.medicare
            has_mue = medicare is not None and medicare.mue is not None
            self.code = record.code
            self.mue = medicare.mue if medicare is not None and has_mue else None
            self.sources = medicare.sources if medicare is not None and has_mue else ()
            self.confidence: Confidence | None = medicare.confidence if medicare is not None and has_mue else None
            self.once_per_session = record.units is None
            self.by_count: dict[int, Finding | None] = {}

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        return None if record is None else self._Prepared(record)

    def apply(self, claim: Claim, code: str, prepared: _Prepared, lookup: Lookup) -> Iterable[Finding]:
        count = claim.counts[code]
        if count < 2:
            return ()
        if count in prepared.by_count:
            found = prepared.by_count[count]
        else:
            found = self._finding(count, prepared)
            if len(prepared.by_count) < _UNITS_CACHE:
                prepared.by_count[count] = found
        return () if found is None else (found,)

    def _finding(self, count: int, table: _Prepared) -> Finding | None:
        code = table.code
        if table.mue is not None and count > table.mue:
            return finding(
                self.id,
                "warning",
                (code,),
                f"{count} units of {code} are reported; the recorded Medicare MUE is {table.mue} a day",
                fix=f"report at most {table.mue} of {code}, or check that more were done and documented",
                sources=table.sources,
                confidence=table.confidence,
                stated_on=code,
                fact=f"medicare MUE: {table.mue}",
            )
        if table.once_per_session:
            mue = f"; the recorded Medicare MUE is {table.mue} a day" if table.mue is not None else ""
            return Finding(
                self.id,
                "warning",
                (code,),
                f"{count} units of {code} are reported, but it is counted once per session (its record gives no "
                f"per-unit counting){mue}",
                f"report {code} once, unless each unit was a separate session (documented)",
                stated_on=code,
                fact="units: not given (one per session)",
            )
        return None


class SeparatelyReportable(CheckRule):
    id = "separately-reportable"
    severity = "info"
    summary = "info: a service the set could add"
    text = (
        "A service the record says is reported in addition to the code, not in this set: add it if it was "
        "done and documented."
    )

    def prepare(self, code: str, record: Procedure | None, catalog: Catalog, lookup: Lookup) -> Any:
        if record is None:
            return None
        found: list[tuple[frozenset[str], Finding]] = []
        for eff in catalog.report_with(record):
            rule = eff.rule
            wanted = tuple(c for c in dict.fromkeys(rule.codes) if c != code)
            if not wanted:
                continue  # no code to look for: whether the service is on the claim cannot be told
            found.append(
                (
                    frozenset(wanted),
                    finding(
                        self.id,
                        "info",
                        (code,),
                        f"{rule.what} is reported separately with {code} ({_one_of(wanted)}), and is not in this set",
                        fix=f"add {_one_of(wanted)} if the service was done and documented",
                        fix_codes=wanted,
                        sources=rule.sources,
                        confidence=rule.confidence,
                        family=eff.family,
                        stated_on=code,
                        fact=rule.what,
                        note=rule.note,
                    ),
                )
            )
        return tuple(found) or None

    def apply(
        self, claim: Claim, code: str, prepared: tuple[tuple[frozenset[str], Finding], ...], lookup: Lookup
    ) -> Iterable[Finding]:
        return [found for wanted, found in prepared if wanted.isdisjoint(claim.counts)]


MALFORMED = MalformedCode()
RULES: tuple[CheckRule, ...] = (
    MALFORMED,
    UnknownCode(),
    DeletedCode(),
    AddonWithoutPrimary(),
    IncludedReportedSeparately(),
    NotReportedTogether(),
    Units(),
    SeparatelyReportable(),
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
