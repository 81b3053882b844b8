"""Can these codes be reported together? A pure function over precomputed relation tables.

:func:`check` takes the codes of one claim (``["47532", "47542x2", "77002"]``) and returns the
findings, each with a rule id, a severity, the codes involved, a one-line message, the fix, and the
sources and confidence of the recorded fact it rests on. Every finding comes from a fact a record (or
its family) states; nothing is inferred here. Rules (see :data:`RULES`):

- ``malformed-code`` (error): a token that is not a CPT code.
- ``unknown-code`` (error): a code the library has no record of: no data is not a pass.
- ``deleted-code`` (error): a deleted code, naming its replacement.
- ``addon-without-primary`` (error): an add-on reported with none of its recorded primaries; when an
  add-on's primaries are not recorded, an ``info`` finding says the primary could not be verified.
- ``included-reported-separately`` (error): a code that another reported code already includes.
- ``not-reported-together``: a do-not-report-with pair; an error when the rule has no scope or the
  scope is "same session", a warning when the scope (same duct, same ureter ...) needs a human.
- ``units`` (warning): more units than the recorded MUE, or more than one unit of a code that is
  counted once per session (its record gives no ``units``).
- ``separately-reportable`` (info): a service the record says is reported in addition, absent here.

A finding that rests on a ``low`` confidence fact is at most a warning and says so.

Checking is set look-ups: :meth:`CheckTables.from_catalog` builds the tables once per catalog, and
every finding that depends only on the data is built then and shared between claims.

The batch readers (:func:`read_claims`) turn CSV or JSON Lines into :class:`Claim` items, or
:class:`BadLine` items for lines that cannot be read; they never stop on a bad line.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from .errors import ExitCode, quoted
from .models import CODE_RE, Confidence

if TYPE_CHECKING:
    from .catalog import Catalog
    from .models import Procedure

Severity = Literal["error", "warning", "info"]
_RANK = {"error": 0, "warning": 1, "info": 2}

EXIT_FINDINGS = ExitCode.NOT_FOUND
"""Exit status when any finding is an error (1, as ARCHITECTURE.md's "check findings at error level")."""

RULES: dict[str, str] = {
    "malformed-code": (
        "A code is five characters: four digits then a digit or a capital letter (47555, 0213T); units may "
        "follow as x and a number (47542x2)."
    ),
    "unknown-code": (
        "The library has no record of this code, so nothing about it can be checked. No data is not a pass: "
        "it is an error until the code is confirmed."
    ),
    "deleted-code": "A deleted code is not reported; the record names the code or codes that replace it.",
    "addon-without-primary": (
        "An add-on code is reported only in addition to one of its primary procedures. When the primaries "
        "are not recorded, the pairing cannot be verified and this is said as info."
    ),
    "included-reported-separately": (
        "A service that a reported code already includes (by its own record or by its family's rule) is "
        "not reported again on its own."
    ),
    "not-reported-together": (
        "Codes that a record says are not reported together. Without a scope, or within the same session, "
        "this is an error; a narrower scope (same duct, same ureter, same access ...) needs a human to "
        "confirm, so it is a warning."
    ),
    "units": (
        "More units than the recorded Medicare MUE (units per day), or more than one unit of a code whose "
        "record gives no per-unit counting (it is counted once per session)."
    ),
    "separately-reportable": (
        "A service the record says is reported in addition to the code, not in this set: add it if it was "
        "done and documented."
    ),
}
"""Every rule id and what it checks (``cptref check --explain`` prints these)."""

LOW_NOTE = " (rests on a low-confidence fact)"

_UNITS_RE = re.compile(r"^([0-9]{4}[0-9A-Z])X([0-9]{1,6})$")
"""A code with units, after upper-casing: ``47542X2``. Digits are ASCII only; at most six of them."""
_SPLIT_RE = re.compile(r"[\s,;|]+")
"""What separates codes inside one CSV field: spaces, commas, semicolons, pipes."""
_SAME_SESSION = "same session"
_CACHE = 100_000
"""At most this many parsed spellings, unknown codes and malformed tokens are remembered."""
_UNITS_CACHE = 16


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a set of codes may not be reported as it is (or, as info, could add a service).

    ``sources`` and ``confidence`` are those of the recorded fact the finding rests on (empty and
    None for findings about the input itself: malformed, unknown). ``stated_on`` is the record that
    states the fact and ``family`` the family whose rule it is, when it is a family rule; ``fact`` is
    the fact's own text (what is included, the reason, the add-on note) and ``note`` its note.
    """

    rule: str
    severity: Severity
    codes: tuple[str, ...]
    message: str
    fix: str | None = None
    fix_codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    confidence: Confidence | None = None
    family: str | None = None
    stated_on: str | None = None
    fact: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome for one set of codes: the codes with their units, in input order, and findings."""

    codes: tuple[tuple[str, int], ...]
    findings: tuple[Finding, ...]
    ok: bool
    """True when no finding is an error."""


def _downgrade(severity: Severity, confidence: Confidence | None) -> Severity:
    return "warning" if severity == "error" and confidence == "low" else severity


def _finding(
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
    return Finding(
        rule,
        _downgrade(severity, confidence),
        codes,
        message,
        fix,
        fix_codes,
        sources,
        confidence,
        family,
        stated_on,
        fact,
        note,
    )


def _list(codes: Sequence[str]) -> str:
    return ", ".join(codes)


def _one_of(codes: Sequence[str]) -> str:
    return codes[0] if len(codes) == 1 else f"one of {_list(codes)}"


@dataclass(slots=True)
class _CodeTable:
    """What the tables know about one code with a record; built once, read per claim."""

    always: tuple[Finding, ...] = ()
    """Findings whenever the code is reported (deleted; add-on whose primaries are not recorded)."""
    primaries: frozenset[str] = frozenset()
    addon: Finding | None = None
    """The finding when none of ``primaries`` is in the set."""
    partners: frozenset[str] = frozenset()
    pairs: dict[str, tuple[Finding, ...]] = field(default_factory=dict)
    """Partner code -> the findings when both this code and the partner are in the set."""
    report_with: tuple[tuple[frozenset[str], Finding], ...] = ()
    mue: int | None = None
    medicare_sources: tuple[str, ...] = ()
    medicare_confidence: Confidence | None = None
    once_per_session: bool = True
    resolved: bool = False
    """True once pairs stated on both sides have been reconciled (:meth:`CheckTables.table`)."""
    units: dict[int, Finding | None] = field(default_factory=dict)
    """The ``units`` finding (or None) by count, built when first needed (bounded)."""


_Token = tuple[str, int, "_CodeTable | None"]
"""A parsed spelling: its code, its units, and its code's table (None: no record)."""


class CheckTables:
    """The relation tables of one catalog; :func:`check` only looks things up here.

    A code's table (its findings built once, the codes they pair with as frozensets) is made the
    first time a claim holds the code and then shared by every claim, so checking two codes reads two
    records, and a batch of a million claims reads each record once.
    """

    __slots__ = ("_catalog", "_malformed", "_tables", "_titles", "_tokens", "_unknown")

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._tables: dict[str, _CodeTable | None] = {}
        """Code -> its table, or None for a code with no record (bounded for those)."""
        self._titles: dict[str, str | None] = {}
        self._tokens: dict[str, _Token] = {}
        """Spellings already parsed (``47542``, ``47542x2``) with their code's table: the fast path
        of a claim, one look-up a code (bounded)."""
        self._unknown: dict[str, Finding] = {}
        """``unknown-code`` findings already built, shared between claims (bounded)."""
        self._malformed: dict[str, Finding] = {}
        """``malformed-code`` findings already built, by token (bounded)."""

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CheckTables:
        return cls(catalog)

    def _token(self, token: str) -> _Token | None:
        """Parse a spelling not seen before: its code, units and (resolved) table, or None."""
        parsed = parse_token(token) if isinstance(token, str) else None  # a caller may pass anything
        if parsed is None:
            return None
        entry = (parsed[0], parsed[1], self.table(parsed[0]))
        if len(self._tokens) < _CACHE:
            self._tokens[token] = entry
        return entry

    def _unknown_finding(self, code: str) -> Finding:
        found = self._unknown.get(code)
        if found is None:
            found = _unknown(code)
            if len(self._unknown) < _CACHE:
                self._unknown[code] = found
        return found

    def _malformed_finding(self, token: object) -> Finding:
        if not isinstance(token, str):
            return _malformed(token)
        found = self._malformed.get(token)
        if found is None:
            found = _malformed(token)
            if len(self._malformed) < _CACHE:
                self._malformed[token] = found
        return found

    def title(self, code: str) -> str | None:
        """The title of a code's record; None when the library has no record of it."""
        try:
            return self._titles[code]
        except KeyError:
            title = self._catalog.title(code) if CODE_RE.fullmatch(code) else None
            if title is not None or len(self._titles) < _CACHE:
                self._titles[code] = title
            return title

    def table(self, code: str) -> _CodeTable | None:
        """The table of ``code``, built (and reconciled with its partners) when first asked for."""
        table = self._raw(code)
        if table is not None and not table.resolved:
            self._resolve(code, table)
        return table

    def _raw(self, code: str) -> _CodeTable | None:
        try:
            return self._tables[code]
        except KeyError:
            pass
        # `in` first: Catalog.get on an unknown code ranks every known code for its error message
        known = CODE_RE.fullmatch(code) is not None and code in self._catalog
        table = _table(self._catalog, self._catalog.get(code)) if known else None
        if table is not None or len(self._tables) < _CACHE:
            self._tables[code] = table
        return table

    def _resolve(self, code: str, table: _CodeTable) -> None:
        """A do-not-report-with pair stated on both records is reported once, from the stronger side."""
        table.resolved = True
        for other in sorted(table.partners):
            mine = _not_together(table, other)
            back = self._raw(other) if mine is not None else None
            theirs = _not_together(back, code) if back is not None else None
            if mine is None or back is None or theirs is None:
                continue
            if (*_strength(mine), code) <= (*_strength(theirs), other):
                _drop(back, code, theirs)
            else:
                _drop(table, other, mine)


def _not_together(table: _CodeTable, other: str) -> Finding | None:
    return next((f for f in table.pairs.get(other, ()) if f.rule == "not-reported-together"), None)


def _drop(table: _CodeTable, other: str, gone: Finding) -> None:
    left = tuple(f for f in table.pairs[other] if f is not gone)
    if left:
        table.pairs[other] = left
    else:
        del table.pairs[other]
        table.partners = frozenset(table.pairs)


def _table(catalog: Catalog, record: Procedure) -> _CodeTable:
    code = record.code
    table = _CodeTable()
    always: list[Finding] = []
    if record.status == "deleted":
        event = next((e for e in record.history if e.change == "deleted"), None)
        replaced = record.replaced_by
        always.append(
            _finding(
                "deleted-code",
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
        )
    add_on = record.add_on
    if add_on is not None:
        if add_on.primaries:
            table.primaries = frozenset(add_on.primaries)
            table.addon = _finding(
                "addon-without-primary",
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
            )
        else:
            always.append(
                _finding(
                    "addon-without-primary",
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
                )
            )
    table.always = tuple(always)

    pairs: dict[str, list[Finding]] = {}
    for eff in catalog.includes(record):
        rule = eff.rule
        for other in dict.fromkeys(rule.codes):
            if other == code:
                continue
            pairs.setdefault(other, []).append(
                _finding(
                    "included-reported-separately",
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
    for nw in catalog.not_with(record):
        rule_nw = nw.rule
        scope = (rule_nw.scope or "").strip() or None
        needs_human = scope is not None and scope.lower() != _SAME_SESSION
        for other in dict.fromkeys(rule_nw.codes):
            if other == code:
                continue
            where = f" ({scope})" if scope else ""
            pairs.setdefault(other, []).append(
                _finding(
                    "not-reported-together",
                    "warning" if needs_human else "error",
                    (code, other),
                    f"{code} and {other} are not reported together{where}: {rule_nw.reason}",
                    fix=(
                        f"report both only if it is not the {scope} (a human must check the documentation); "
                        "otherwise report one of them"
                        if needs_human
                        else f"report {code} or {other}, not both"
                    ),
                    sources=rule_nw.sources,
                    confidence=rule_nw.confidence,
                    family=nw.family,
                    stated_on=code,
                    fact=rule_nw.reason + (f" (scope: {scope})" if scope else ""),
                    note=rule_nw.note,
                )
            )
    table.pairs = {other: _strongest(found) for other, found in pairs.items()}
    table.partners = frozenset(pairs)

    report_with: list[tuple[frozenset[str], Finding]] = []
    for eff in catalog.report_with(record):
        rule = eff.rule
        wanted = tuple(c for c in dict.fromkeys(rule.codes) if c != code)
        if not wanted:
            continue  # no code to look for: whether the service is on the claim cannot be told
        report_with.append(
            (
                frozenset(wanted),
                _finding(
                    "separately-reportable",
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
    table.report_with = tuple(report_with)

    if record.medicare is not None and record.medicare.mue is not None:
        table.mue = record.medicare.mue
        table.medicare_sources = record.medicare.sources
        table.medicare_confidence = record.medicare.confidence
    table.once_per_session = record.units is None
    return table


_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2, None: 3}


def _strength(finding: Finding) -> tuple[int, int, bool]:
    """Sort key, strongest first: most severe, then most confident, then a record's own rule."""
    return (_RANK[finding.severity], _CONFIDENCE_RANK[finding.confidence], finding.family is not None)


def _strongest(found: Sequence[Finding]) -> tuple[Finding, ...]:
    """One finding a rule for a pair: when several facts say the same (the record's own rule and
    its family's, say), the strongest stands for them, with its own sources and confidence."""
    best: dict[str, Finding] = {}
    for finding in found:
        kept = best.get(finding.rule)
        if kept is None or _strength(finding) < _strength(kept):
            best[finding.rule] = finding
    return tuple(best.values())


# --- parsing ---------------------------------------------------------------------------------------


def parse_token(token: str) -> tuple[str, int] | None:
    """``" 47542x2"`` -> ``("47542", 2)``; None when the token is not a code (with optional units)."""
    text = token.strip().upper()
    if CODE_RE.fullmatch(text):
        return text, 1
    match = _UNITS_RE.fullmatch(text)
    if match and int(match.group(2)) > 0:
        return match.group(1), int(match.group(2))
    return None


def split_codes(field: str) -> list[str]:
    """The codes inside one field: separated by spaces, commas, semicolons or pipes."""
    return [t for t in _SPLIT_RE.split(field) if t]


# --- checking --------------------------------------------------------------------------------------


def _malformed(token: object) -> Finding:
    shown = token if isinstance(token, str) else repr(token)
    # a byte of the command line that is not UTF-8 arrives as a lone surrogate, which no output can encode
    printable = shown.encode("utf-8", "backslashreplace").decode("utf-8")
    return Finding(
        "malformed-code",
        "error",
        (printable,),
        f"{quoted(shown)} is not a CPT code (four digits then a digit or a capital letter, e.g. 47555)",
        "write the code as five characters; add units as x and a number (47542x2)",
    )


def _unknown(code: str) -> Finding:
    return Finding(
        "unknown-code",
        "error",
        (code,),
        f"no data: {code} is not in the library, so nothing about it could be checked",
        f"check the code; if it is right, the library has no record of it yet (cptref show {code} names the "
        "nearest known codes)",
    )


def _units(code: str, count: int, table: _CodeTable) -> Finding | None:
    if table.mue is not None and count > table.mue:
        return _finding(
            "units",
            "warning",
            (code,),
            f"{count} units of {code} are reported; the recorded Medicare MUE is {table.mue} a day",
            fix=f"report at most {table.mue} of {code}, or check that more were done and documented",
            sources=table.medicare_sources,
            confidence=table.medicare_confidence,
            stated_on=code,
            fact=f"medicare MUE: {table.mue}",
        )
    if table.once_per_session and count > 1:
        mue = f"; the recorded Medicare MUE is {table.mue} a day" if table.mue is not None else ""
        return Finding(
            "units",
            "warning",
            (code,),
            f"{count} units of {code} are reported, but it is counted once per session (its record gives no "
            f"per-unit counting){mue}",
            f"report {code} once, unless each unit was a separate session (documented)",
            stated_on=code,
            fact="units: not given (one per session)",
        )
    return None


def check(tables: CheckTables, tokens: Iterable[str]) -> CheckResult:
    """Check the codes of one claim; never raises on any list of strings.

    A repeated code counts as more units, as does ``47542x2``; codes are trimmed and upper-cased.
    Findings come out by severity (errors first), then in the order the codes were given.
    """
    known = tables._tokens
    counts: dict[str, int] = {}
    present: list[_Token] = []
    findings: list[Finding] = []
    for token in tokens:
        hit = known.get(token)
        if hit is None:
            hit = tables._token(token)
            if hit is None:
                findings.append(tables._malformed_finding(token))
                continue
        code = hit[0]
        if code in counts:
            counts[code] += hit[1]
        else:
            counts[code] = hit[1]
            present.append(hit)

    for code, _, table in present:
        if table is None:
            findings.append(tables._unknown_finding(code))
            continue
        count = counts[code]
        if table.always:
            findings.extend(table.always)
        if table.addon is not None and table.primaries.isdisjoint(counts):
            findings.append(table.addon)
        if not table.partners.isdisjoint(counts):
            pairs = table.pairs
            for other in counts:
                found = pairs.get(other)
                if found:
                    findings.extend(found)
        if count > 1:
            if count in table.units:
                extra = table.units[count]
            else:
                extra = _units(code, count, table)
                if len(table.units) < _UNITS_CACHE:
                    table.units[count] = extra
            if extra is not None:
                findings.append(extra)
        for wanted, finding in table.report_with:
            if wanted.isdisjoint(counts):
                findings.append(finding)

    ok = True
    for finding in findings:
        if finding.severity == "error":
            ok = False
            break
    if len(findings) > 1:
        findings.sort(key=_severity_rank)
    return CheckResult(tuple(counts.items()), tuple(findings), ok)


def _severity_rank(finding: Finding) -> int:
    return _RANK[finding.severity]


# --- batches ---------------------------------------------------------------------------------------

Format = Literal["csv", "jsonl"]


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim of a batch: its id (as given; None when absent), its line and its code tokens."""

    id: str | int | None
    line: int
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a batch that could not be read as a claim; the run goes on without it."""

    line: int
    message: str


class _JsonClaim(msgspec.Struct):
    codes: list[str] | str
    id: str | int | None = None


_claim_decoder = msgspec.json.Decoder(_JsonClaim)
_ID_NAMES = frozenset(["id", "claim", "claim id", "claim_id", "claimid", "claim-id"])
_CODES_NAMES = frozenset(["codes", "code", "cpt", "cpt codes", "cpt_codes", "cpt-codes"])


def detect_format(name: str | None, first_line: bytes) -> Format:
    """JSON Lines for ``.jsonl``/``.ndjson`` files or a first line starting with ``{``, else CSV."""
    lowered = (name or "").lower()
    if lowered.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if first_line.lstrip(b"\xef\xbb\xbf \t").startswith(b"{") else "csv"


MAX_LINE = 1_000_000
"""Bytes a line of a batch may hold (a claim is a few dozen): a longer line is skipped, read in
pieces of this size, so that a file without line breaks (``/dev/zero``) cannot exhaust memory."""
_TOO_LONG = bytes(bytearray(b" \n"))
"""Stands for a line longer than :data:`MAX_LINE`: recognised by identity (an object of its own,
which no line read from a file is), read as a blank line otherwise."""


def _bounded(stream: Any) -> Iterator[bytes]:
    """The lines of a binary file object, each at most :data:`MAX_LINE` bytes or :data:`_TOO_LONG`."""
    readline = stream.readline
    while line := readline(MAX_LINE + 1):
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the long line
            line = readline(MAX_LINE + 1)
        yield _TOO_LONG


def read_claims(
    lines: Iterable[bytes], name: str | None = None, fmt: Format | None = None
) -> Iterator[Claim | BadLine]:
    """The claims of a batch (binary lines of a file), in order, with a :class:`BadLine` for each
    line that cannot be read. The format is detected when not given (:func:`detect_format`).

    A file object is read in lines of at most :data:`MAX_LINE` bytes; a longer line is a BadLine."""
    source = _bounded(lines) if hasattr(lines, "readline") else iter(lines)
    head: list[bytes] = []
    for raw in source:
        head.append(raw)
        if raw.strip():
            break
    if not head:
        return
    stream = chain(head, source)
    if (fmt or detect_format(name, head[-1])) == "jsonl":
        yield from _read_jsonl(stream)
    else:
        yield from _read_csv(stream)


def _read_jsonl(lines: Iterable[bytes]) -> Iterator[Claim | BadLine]:
    decode = _claim_decoder.decode
    for number, raw in enumerate(lines, 1):
        if raw is _TOO_LONG:
            yield BadLine(number, f"the line is longer than {MAX_LINE} bytes")
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            item = decode(raw)
        except msgspec.DecodeError as exc:
            if not raw.strip():
                continue
            yield BadLine(number, f"not a claim: {_decode_message(exc)}")
            continue
        codes = split_codes(item.codes) if isinstance(item.codes, str) else item.codes
        if not codes:
            yield BadLine(number, "the claim has no codes")
            continue
        yield Claim(item.id, number, tuple(codes))


def _decode_message(exc: msgspec.DecodeError) -> str:
    text = str(exc).replace("`", "'")
    if text.startswith("Object missing required field 'codes'"):
        return 'expected {"id": ..., "codes": [...]}: no "codes" field'
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _read_csv(lines: Iterable[bytes]) -> Iterator[Claim | BadLine]:
    undecodable: set[int] = set()
    too_long: set[int] = set()
    counter = [0]

    def text_lines() -> Iterator[str]:
        for raw in lines:
            counter[0] += 1
            if raw is _TOO_LONG:
                too_long.add(counter[0])
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                undecodable.add(counter[0])
                text = raw.decode("utf-8", "replace")
            if counter[0] == 1:
                text = text.removeprefix("\ufeff")
            yield text

    reader = csv.reader(text_lines())
    id_col, codes_col = 0, 1
    first = True
    while True:
        start = counter[0] + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield BadLine(start, f"not a CSV row: {exc}")
            continue
        end = counter[0]
        if any(n in too_long for n in range(start, end + 1)):
            yield BadLine(start, f"the line is longer than {MAX_LINE} bytes")
            continue
        if any(n in undecodable for n in range(start, end + 1)):
            yield BadLine(start, "not UTF-8 text")
            continue
        if not row or not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            names = [cell.strip().lower() for cell in row]
            ids = [i for i, n in enumerate(names) if n in _ID_NAMES]
            code_cols = [i for i, n in enumerate(names) if n in _CODES_NAMES]
            if ids and code_cols:
                id_col, codes_col = ids[0], code_cols[0]
                continue
            if len(row) > 1 and not any(ch.isdigit() for cell in row[1:] for ch in cell):
                continue  # a header with other names: no codes field holds a digit
        if len(row) <= max(id_col, codes_col):
            yield BadLine(start, f"expected a claim id and a codes column, got {len(row)} field{'s' * (len(row) != 1)}")
            continue
        claim_id = row[id_col].strip()
        # the codes column, and any extra fields after it when it is the last column (unquoted commas)
        cells = row[codes_col:] if codes_col == max(id_col, codes_col) else [row[codes_col]]
        codes = [t for cell in cells for t in split_codes(cell)]
        if not claim_id:
            yield BadLine(start, "the claim id is empty")
            continue
        if not codes:
            yield BadLine(start, "the claim has no codes")
            continue
        yield Claim(claim_id, start, tuple(codes))


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
        for finding in result.findings:
            by_rule[finding.rule] += 1

    @property
    def ok(self) -> bool:
        """True when every line was a claim and no claim has an error finding."""
        return not self.with_errors and not self.skipped
