"""Can these codes be reported together? The rules of :mod:`.rules`, applied to one claim.

:func:`check` takes the lines of one claim (``["47532", "47542-59x2", "77002"]``) and returns the
findings of every rule and the claim's outcome: stopped, verified, or not verified.
:class:`CheckTables` holds, for each code a claim has held, what each rule prepared about it (read
from the catalog once, then shared by every claim), so checking a claim is a few look-ups a code.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cptref.check.rules.base import Context
from cptref.check.rules.claim_lines import CONFLICTING, MALFORMED, MODIFIERS, UNKNOWN_MODIFIER
from cptref.model.codes import CODE_RE

from .budget import ROOM
from .claim import ClaimView
from .coverage import Coverage
from .lines import Line, parse_line
from .modifiers import KNOWN_MODIFIERS
from .results import NOT_NEEDED, NOTHING, SEVERITY_RANK, Checked, CheckResult, Finding
from .rules import BY_ID, RULES
from .rules.base import CheckRule, Facts

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog

UNREAD = Checked(NOTHING, NOTHING, NOTHING, NOTHING)
"""What checked a claim none of whose lines could be read."""

_CACHE = 100_000
"""At most this many parsed spellings, codes with no record and malformed tokens are remembered."""

_Applicable = tuple[tuple[CheckRule, Any], ...]
"""The rules with something to say about one code, each with what it prepared."""
_Steps = tuple[tuple[CheckRule | None, Any], ...]
_Plan = tuple[_Steps, frozenset[tuple[str, str]]]
"""A line's rules on a claim where its code is on no other line (see :meth:`_Quarter.token`):
``(rule, prepared)`` to apply, or ``(None, findings)`` worked out once; and the modifiers of the line
that the rules worked out once read (``(code, modifier)``)."""
_NONE_READ: frozenset[tuple[str, str]] = frozenset()
_ANY_DAY = datetime.date(2000, 1, 1)
"""The date a plan's solo rules are shown: they read none."""
_Token = tuple[Line, _Applicable, _Plan]
"""A parsed spelling: its claim line, its code's applicable rules, and its plan."""


class _Quarter:
    """What each rule prepared about each code met so far, for one set of CMS tables in force (a
    quarter's, or none): the tables decide what some rules have to say about a code."""

    __slots__ = ("_applicable", "_prepared", "_tokens", "context", "coverage", "facts_cms", "owner")

    def __init__(self, owner: CheckTables, cms: CmsTables | None) -> None:
        self.owner = owner
        self.facts_cms = cms
        """The tables in force (a view of the user's tables), or None."""
        self.context = Context(cms, owner.setting)
        self.coverage = Coverage(owner._catalog, cms, owner.setting, owner.cms)
        self._prepared: dict[str, dict[str, Any]] = {}
        """Code -> rule id -> what the rule prepared (missing: nothing to check)."""
        self._applicable: dict[str, _Applicable] = {}
        """Code -> its applicable rules (shared by its spellings: ``47542``, ``47542-59``, ``47542x2``)."""
        self._tokens: dict[str, _Token] = {}
        """Spellings already parsed (``47542``, ``47542-59x2``): one look-up a line (bounded)."""

    def prepared(self, rule: CheckRule, code: str) -> Any:
        """What ``rule`` prepared for ``code``, prepared now if not yet."""
        return self._code(code).get(rule.id)

    def _code(self, code: str) -> dict[str, Any]:
        found = self._prepared.get(code)
        if found is None:
            found = {}
            catalog = self.owner._catalog
            # `in` first: Catalog.get on an unknown code ranks every known code for its error message
            record = catalog.get(code) if CODE_RE.fullmatch(code) and code in catalog else None
            if record is not None or (len(self._prepared) < _CACHE and ROOM.open):
                self._prepared[code] = found  # before preparing: a pair rule may look back at this code
            facts = Facts(code, record, catalog, self.facts_cms, self.owner.setting)
            lookup = self.prepared
            for rule in self.owner._rules:
                value = rule.prepare(facts, lookup)
                if value is not None:  # the common answer, None, is what a look-up finds missing
                    found[rule.id] = value
        return found

    def applicable(self, code: str) -> _Applicable:
        found = self._applicable.get(code)
        if found is None:
            prepared = self._code(code)
            found = tuple((rule, value) for rule in self.owner._rules if (value := prepared.get(rule.id)) is not None)
            if code in self._prepared:  # bounded as that is
                self._applicable[code] = found
        return found

    def token(self, token: str) -> _Token | None:
        """A spelling's claim line, its code's applicable rules and its plan; None when it is not a
        claim line.

        The plan serves a claim where no code is on two lines (most claims, with modifiers or
        without). Then what a :attr:`~cptref.check.rules.base.CheckRule.solo` rule finds, and which
        of the line's modifiers it reads, depend on the line alone, so they are worked out here once:
        the plan keeps the findings as ``(None, findings)`` in their place among the rules that still
        look at the claim (``(rule, prepared)``), and the modifiers read, so that the findings, their
        order and the modifiers left unevaluated are those of applying every rule."""
        hit = self._tokens.get(token)
        if hit is not None:
            return hit
        line = parse_line(token) if isinstance(token, str) else None  # a caller may pass anything
        if line is None:
            return None
        applicable = self.applicable(line.code)
        hit = (line, applicable, self._plan(line, applicable))
        if len(self._tokens) < _CACHE and ROOM.open:
            self._tokens[token] = hit
        return hit

    def _plan(self, line: Line, applicable: _Applicable) -> _Plan:
        steps: list[tuple[CheckRule | None, Any]] = []
        found: list[Finding] = []
        alone: ClaimView | None = None
        for rule, prepared in applicable:
            if rule.solo:
                if alone is None:
                    alone = ClaimView((line,), {line.code: line.units}, _ANY_DAY, False, bool(line.modifiers))
                found.extend(rule.apply(alone, line.code, prepared, self.prepared))
                continue
            if found:
                steps.append((None, tuple(found)))
                found = []
            steps.append((rule, prepared))
        if found:
            steps.append((None, tuple(found)))
        return tuple(steps), frozenset(alone.read_mods) if alone is not None and alone.read_mods else _NONE_READ


class CheckTables:
    """What each rule prepared about each code met so far, for one catalog and the user's CMS tables
    (see module docstring): one :class:`_Quarter` for each set of tables in force a claim's date
    of service selects."""

    __slots__ = (
        "_by_day",
        "_catalog",
        "_conflicts",
        "_malformed",
        "_modifiers",
        "_quarters",
        "_rules",
        "_titles",
        "claim_rules",
        "cms",
        "setting",
    )

    def __init__(
        self,
        catalog: Catalog,
        rules: Iterable[CheckRule] = RULES,
        cms: CmsTables | None = None,
        setting: str = "practitioner",
    ) -> None:
        self._catalog = catalog
        self._rules = tuple(r for r in rules if not r.claim_level)
        self.claim_rules = tuple(r for r in rules if r.claim_level)
        """The rules that judge a whole claim at once (the NCCI PTP edits)."""
        self.cms = cms
        """The user's CMS tables, or None."""
        self.setting = setting
        """The setting the CMS tables are read for: practitioner or outpatient_hospital."""
        self._quarters: dict[int, _Quarter] = {}
        """id() of a view of the tables (one a set of tables in force) -> its quarter; the views are
        kept by the tables, so an id stays theirs."""
        self._by_day: dict[datetime.date, _Quarter] = {}
        self._titles: dict[str, str | None] = {}
        self._malformed: dict[str, Finding] = {}
        self._modifiers: dict[tuple[str, str], Finding] = {}
        self._conflicts: dict[tuple[str, tuple[str, ...]], Finding | None] = {}

    @classmethod
    def from_catalog(cls, catalog: Catalog, cms: CmsTables | None = None, setting: str = "practitioner") -> CheckTables:
        return cls(catalog, cms=cms, setting=setting)

    def rebind(self, catalog: Catalog) -> None:
        """In a batch's worker, forked from the process that built these tables: read the library
        through ``catalog`` (the same one, through a connection of its own) from now on, keeping every
        answer prepared before the fork (each code's rules, each PTP finding), so that the codes the
        parent prepared are not prepared again in every worker."""
        self._catalog = catalog
        for quarter in self._quarters.values():
            quarter.coverage.rebind(catalog)

    def on(self, day: datetime.date) -> _Quarter:
        """The rules' preparations for the tables in force on ``day``."""
        found = self._by_day.get(day)
        if found is None:
            view = self.cms.view(day) if self.cms is not None else None
            found = self._quarters.get(id(view))
            if found is None:
                found = self._quarters[id(view)] = _Quarter(self, view)
            if len(self._by_day) < _CACHE:
                self._by_day[day] = found
        return found

    def prepared(self, rule: CheckRule, code: str, day: datetime.date | None = None) -> Any:
        """What ``rule`` prepared for ``code`` (for the tables in force on ``day``, default today)."""
        return self.on(day or datetime.date.today()).prepared(rule, code)

    def applicable(self, code: str, day: datetime.date | None = None) -> _Applicable:
        return self.on(day or datetime.date.today()).applicable(code)

    def title(self, code: str) -> str | None:
        """The title of a code's record; None when the library has no record of it."""
        try:
            return self._titles[code]
        except KeyError:
            title = self._catalog.title(code) if CODE_RE.fullmatch(code) else None
            if title is not None or (len(self._titles) < _CACHE and ROOM.open):
                self._titles[code] = title
            return title

    def malformed(self, token: object) -> Finding:
        if not isinstance(token, str):
            return MALFORMED.token(token)
        found = self._malformed.get(token)
        if found is None:
            found = MALFORMED.token(token)
            if len(self._malformed) < _CACHE and ROOM.open:
                self._malformed[token] = found
        return found

    def unevaluated(self, code: str, modifier: str) -> Finding:
        """The finding of a modifier no rule read: unknown to cptref (a warning), or not evaluated (info)."""
        found = self._modifiers.get((code, modifier))
        if found is None:
            rule = MODIFIERS if modifier in KNOWN_MODIFIERS else UNKNOWN_MODIFIER
            found = rule.finding(code, modifier)
            if len(self._modifiers) < _CACHE and ROOM.open:
                self._modifiers[(code, modifier)] = found
        return found

    def conflict(self, line: Line) -> Finding | None:
        """The finding of a line whose modifiers name two sides, or None."""
        key = (line.code, line.modifiers)
        if key in self._conflicts:
            return self._conflicts[key]
        found = CONFLICTING.line(line.code, line.modifiers)
        if len(self._conflicts) < _CACHE and ROOM.open:
            self._conflicts[key] = found
        return found


def check(
    tables: CheckTables, tokens: Iterable[str], date: datetime.date | None = None, explain: bool = False
) -> CheckResult:
    """Check the lines of one claim; never raises on any list of strings.

    A repeated line (the same code and modifiers) counts as more units, as does ``47542x2``; codes
    are trimmed and upper-cased. Findings come out by severity (errors first), then in the order
    the codes were given, each code's in the order of :data:`cptref.check.rules.RULES`. ``explain``
    includes the suggestions that rest on a low-confidence fact.
    """
    day = date or datetime.date.today()
    quarter = tables._by_day.get(day) or tables.on(day)
    known = quarter._tokens
    counts: dict[str, int] = {}
    present: list[_Token] = []
    lines: list[Line] = []
    findings: list[Finding] = []
    modified = unread = False
    for token in tokens:
        hit = known.get(token) if isinstance(token, str) else None
        if hit is None:
            hit = quarter.token(token)
            if hit is None:
                findings.append(tables.malformed(token))
                unread = True
                continue
        line = hit[0]
        code = line.code
        if code in counts:
            counts[code] += line.units
        else:
            counts[code] = line.units
            present.append(hit)
        lines.append(line)
        if line.modifiers:
            modified = True
    planned = len(lines) == len(counts)
    if not planned:  # a code on several lines: the same code and modifiers merge
        merged: dict[tuple[str, tuple[str, ...]], int] = {}
        for line in lines:
            key = (line.code, line.modifiers)
            merged[key] = merged.get(key, 0) + line.units
        lines = [Line(code, mods, units) for (code, mods), units in merged.items()]
    claim = ClaimView(lines, counts, day, explain, modified)
    lookup = quarter.prepared
    if planned:  # each line's plan: what the solo rules find (and read) was worked out with the line
        for hit in present:
            code = hit[0].code
            steps, reads = hit[2]
            for step, prepared in steps:
                if step is None:
                    findings.extend(prepared)
                else:
                    findings.extend(step.apply(claim, code, prepared, lookup))
            if reads:
                claim.read_mods.update(reads)
    else:
        for line, applicable, _ in present:
            code = line.code
            for rule, prepared in applicable:
                findings.extend(rule.apply(claim, code, prepared, lookup))
    for rule in tables.claim_rules:
        findings.extend(rule.apply_claim(claim, quarter.context))
    if modified:
        read = claim.read_mods
        for line in lines:
            if not line.modifiers:
                continue
            conflict = tables.conflict(line)
            if conflict is not None:
                findings.append(conflict)
            for modifier in line.modifiers:
                if (line.code, modifier) not in read:
                    read.add((line.code, modifier))
                    findings.append(tables.unevaluated(line.code, modifier))
    checked, unchecked = quarter.coverage.check(counts, day) if counts else (UNREAD, None)
    if unread and checked.pairs is NOT_NEEDED:  # one code read, but another line was not: its pairs unchecked
        checked = Checked(NOTHING, checked.units, checked.add_ons, checked.status)
    if unchecked is not None:
        findings.append(unchecked)
    ok = verified = True
    for item in findings:
        severity = item.severity
        if severity == "error":
            ok = verified = False
            break
        if severity == "warning":
            verified = False
    if not counts:
        verified = False  # no claim line could be read: nothing was checked
    if len(findings) > 1:
        findings.sort(key=_severity_rank)
    return CheckResult(tuple(lines), tuple(findings), ok, verified, checked)


def _severity_rank(item: Finding) -> int:
    return SEVERITY_RANK[item.severity]


def explanation(rule_id: str) -> str:
    """What a rule checks, in full (``check --explain``); empty for an unknown id."""
    rule = BY_ID.get(rule_id)
    return rule.text if rule is not None else ""
