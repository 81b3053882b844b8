"""Can these codes be reported together? The rules of :mod:`cptref.rules`, applied to one claim.

:func:`check` takes the codes of one claim (``["47532", "47542x2", "77002"]``) and returns the
findings of every rule. :class:`CheckTables` holds, for each code a claim has held, what each rule
prepared about it (read from the catalog once, then shared by every claim), so checking a claim is
a few look-ups a code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .claims import BadLine, Claim, parse_token, read_claims, split_codes
from .errors import ExitCode
from .findings import SEVERITY_RANK, CheckResult, Finding
from .models import CODE_RE
from .rules import BY_ID, MALFORMED, RULES, CheckRule
from .rules import Claim as RuleClaim

if TYPE_CHECKING:
    from .catalog import Catalog

__all__ = [
    "EXIT_FINDINGS",
    "RULES",
    "BadLine",
    "BatchSummary",
    "CheckResult",
    "CheckTables",
    "Claim",
    "Finding",
    "check",
    "parse_token",
    "read_claims",
    "split_codes",
]

EXIT_FINDINGS = ExitCode.NOT_FOUND
"""Exit status when any finding is an error (1)."""

_CACHE = 100_000
"""At most this many parsed spellings, codes with no record and malformed tokens are remembered."""

_Applicable = tuple[tuple[CheckRule, Any], ...]
"""The rules with something to say about one code, each with what it prepared."""
_Token = tuple[str, int, _Applicable]
"""A parsed spelling: its code, its units, and its code's applicable rules."""


class CheckTables:
    """What each rule prepared about each code met so far, for one catalog (see module docstring)."""

    __slots__ = ("_catalog", "_malformed", "_prepared", "_rules", "_titles", "_tokens")

    def __init__(self, catalog: Catalog, rules: Iterable[CheckRule] = RULES) -> None:
        self._catalog = catalog
        self._rules = tuple(rules)
        self._prepared: dict[str, dict[str, Any]] = {}
        """Code -> rule id -> what the rule prepared (None: nothing to check)."""
        self._tokens: dict[str, _Token] = {}
        """Spellings already parsed (``47542``, ``47542x2``): one look-up a code (bounded)."""
        self._titles: dict[str, str | None] = {}
        self._malformed: dict[str, Finding] = {}

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CheckTables:
        return cls(catalog)

    def title(self, code: str) -> str | None:
        """The title of a code's record; None when the library has no record of it."""
        try:
            return self._titles[code]
        except KeyError:
            title = self._catalog.title(code) if CODE_RE.fullmatch(code) else None
            if title is not None or len(self._titles) < _CACHE:
                self._titles[code] = title
            return title

    def prepared(self, rule: CheckRule, code: str) -> Any:
        """What ``rule`` prepared for ``code``, prepared now if not yet."""
        return self._code(code).get(rule.id)

    def _code(self, code: str) -> dict[str, Any]:
        found = self._prepared.get(code)
        if found is None:
            found = {}
            # `in` first: Catalog.get on an unknown code ranks every known code for its error message
            record = self._catalog.get(code) if CODE_RE.fullmatch(code) and code in self._catalog else None
            if record is not None or len(self._prepared) < _CACHE:
                self._prepared[code] = found  # before preparing: a pair rule may look back at this code
            for rule in self._rules:
                found[rule.id] = rule.prepare(code, record, self._catalog, self.prepared)
        return found

    def applicable(self, code: str) -> _Applicable:
        prepared = self._code(code)
        return tuple((rule, prepared[rule.id]) for rule in self._rules if prepared.get(rule.id) is not None)

    def token(self, token: str) -> _Token | None:
        """A spelling's code, units and applicable rules; None when it is not a code."""
        hit = self._tokens.get(token)
        if hit is not None:
            return hit
        parsed = parse_token(token) if isinstance(token, str) else None  # a caller may pass anything
        if parsed is None:
            return None
        hit = (parsed[0], parsed[1], self.applicable(parsed[0]))
        if len(self._tokens) < _CACHE:
            self._tokens[token] = hit
        return hit

    def malformed(self, token: object) -> Finding:
        if not isinstance(token, str):
            return MALFORMED.token(token)
        found = self._malformed.get(token)
        if found is None:
            found = MALFORMED.token(token)
            if len(self._malformed) < _CACHE:
                self._malformed[token] = found
        return found


def check(tables: CheckTables, tokens: Iterable[str]) -> CheckResult:
    """Check the codes of one claim; never raises on any list of strings.

    A repeated code counts as more units, as does ``47542x2``; codes are trimmed and upper-cased.
    Findings come out by severity (errors first), then in the order the codes were given, each
    code's in the order of :data:`cptref.rules.RULES`.
    """
    counts: dict[str, int] = {}
    present: list[_Token] = []
    findings: list[Finding] = []
    for token in tokens:
        hit = tables.token(token)
        if hit is None:
            findings.append(tables.malformed(token))
            continue
        code = hit[0]
        if code in counts:
            counts[code] += hit[1]
        else:
            counts[code] = hit[1]
            present.append(hit)
    claim = RuleClaim(counts)
    lookup = tables.prepared
    for code, _, applicable in present:
        for rule, prepared in applicable:
            findings.extend(rule.apply(claim, code, prepared, lookup))
    ok = not any(f.severity == "error" for f in findings)
    if len(findings) > 1:
        findings.sort(key=_severity_rank)
    return CheckResult(tuple(counts.items()), tuple(findings), ok)


def _severity_rank(item: Finding) -> int:
    return SEVERITY_RANK[item.severity]


def explanation(rule_id: str) -> str:
    """What a rule checks, in full (``check --explain``); empty for an unknown id."""
    rule = BY_ID.get(rule_id)
    return rule.text if rule is not None else ""


@dataclass(slots=True)
class BatchSummary:
    """Counts over a batch, for the summary line: claims checked, with errors, findings by rule."""

    claims: int = 0
    with_errors: int = 0
    skipped: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)

    def add(self, result: CheckResult) -> None:
        self.claims += 1
        if not result.ok:
            self.with_errors += 1
        by_rule = self.by_rule
        for item in result.findings:
            by_rule[item.rule] += 1

    @property
    def ok(self) -> bool:
        """True when every line was a claim and no claim has an error finding."""
        return not self.with_errors and not self.skipped
