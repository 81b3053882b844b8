"""What ``cptref check`` says about a claim: findings and the result of one claim.

A :class:`Finding` is one reason a set of codes may not be reported as it is (or, as info, a
service it could add), with the fact it rests on. Its fields are the keys of every finding in
``check --json`` and ``--jsonl`` output; their descriptions are what ``cptref schema`` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal

from msgspec import Struct, field

from cptref.model.records import Confidence, about

if TYPE_CHECKING:
    from .inputs.base import SkippedLine
    from .lines import Line

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
"""Errors first, then warnings, then info: the order findings are listed in."""


class Finding(Struct, frozen=True):
    """One reason the set may not be reported as it is (or, as info, a service it could add), with the
    fact it rests on. A finding resting on a low-confidence fact is at most a warning.

    ``sources`` and ``confidence`` are those of the recorded fact the finding rests on (empty and
    None for findings about the input itself: malformed, unknown). ``stated_on`` is the record that
    states the fact and ``family`` the family whose rule it is, when it is a family rule; ``fact`` is
    the fact's own text (what is included, the reason, the add-on note) and ``note`` its note.
    """

    rule: Annotated[str, about("The rule id (cptref check --help explains each).")]
    severity: Annotated[
        Severity, about("error (the set is not ok), warning (a human should look) or info (could add a service).")
    ]
    codes: Annotated[tuple[str, ...], about("The codes the finding is about, as given (a malformed token as typed).")]
    message: Annotated[str, about("What is wrong, in one sentence.")]
    fix: Annotated[str | None, about("What to do about it, or null.")] = None
    fix_codes: Annotated[tuple[str, ...], about("The codes the fix names (to remove or add); [] when none.")] = ()
    sources: Annotated[
        tuple[str, ...], about("Ids of the sources of the fact the finding rests on; [] for findings about the input.")
    ] = ()
    confidence: Annotated[
        Confidence | None,
        about("The confidence of that fact, or null for findings about the input (malformed, unknown)."),
    ] = None
    family: Annotated[str | None, about("The family whose rule the fact is, or null.")] = None
    stated_on: Annotated[str | None, about("The record that states the fact, or null.")] = None
    fact: Annotated[str | None, about("The fact's own words, or null.")] = None
    note: Annotated[str | None, about("The fact's note, or null.")] = None
    table: Annotated[
        str | None,
        about("The CMS table the finding rests on (its kind, setting and version), or null: a cptref record."),
    ] = None
    row: Annotated[str | None, about("The row of that table: its file and line, or null.")] = None


FINDING_KEYS: tuple[str, ...] = Finding.__struct_fields__
"""The keys of a finding, in order."""


By = Literal["table", "official-fact", "library", "nothing", "not-needed"]


class CheckedBy(Struct, frozen=True):
    """What checked one kind of edit on a claim."""

    by: Annotated[
        By,
        about(
            "table: the CMS table in force on the date of service (its id in table); official-fact: the "
            "library's facts read from such a table's quarter (their sources); library: the library's own facts "
            "(not the official edits); nothing: no table and no fact; not-needed: nothing to check (one code has no "
            "pair)."
        ),
    ]
    table: Annotated[
        str | None,
        about("The id of the CMS table that checked it, kind/setting/version as cptref tables lists it, or null."),
    ] = None
    sources: Annotated[
        tuple[str, ...], about("The sources of the library's facts that answered (official-fact, library); [] else.")
    ] = ()


class Checked(Struct, frozen=True):
    """What checked a claim, for each kind of edit: the claim is verified only when pairs, units and
    add-ons were each checked by a CMS table in force on its date (or by library facts read from one),
    or needed no check."""

    pairs: Annotated[CheckedBy, about("The pairs of the claim's codes (NCCI PTP edits).")]
    units: Annotated[CheckedBy, about("Each code's units (MUE).")]
    add_ons: Annotated[CheckedBy, about("Which codes are add-ons and their primaries (AOC edits).")]
    status: Annotated[CheckedBy, about("The fee schedule's status of each code (PPRRVU); not needed to verify.")]


NOT_NEEDED = CheckedBy("not-needed")
NOTHING = CheckedBy("nothing")


class CheckResult(Struct, frozen=True):
    """The outcome for one claim: its lines (a code with its modifiers, merged when repeated, with
    their units), in input order, and the findings.

    Three outcomes: stopped (``ok`` False: an error), verified (``verified`` True: no error and no
    warning, so every code had the facts each rule needs), or neither: no error, but a warning (a
    fact is missing, or a human must decide)."""

    lines: tuple[Line, ...]
    findings: tuple[Finding, ...]
    ok: bool
    """True when no finding is an error."""
    verified: bool
    """True when no finding is an error or a warning (what checked the claim verified it)."""
    checked: Checked = Checked(NOTHING, NOTHING, NOTHING, NOTHING)
    """What checked the claim, kind of edit by kind of edit."""

    @property
    def codes(self) -> tuple[tuple[str, int], ...]:
        """Each code once with its units over all its lines (modifiers set aside)."""
        counts: dict[str, int] = {}
        for line in self.lines:
            counts[line.code] = counts.get(line.code, 0) + line.units
        return tuple(counts.items())


class BatchSummary(Struct):
    """Counts over a batch, for the summary line: every line read is a claim checked (stopped, not
    verified or verified), a malformed line (reported), or a header or blank line."""

    claims: int = 0
    with_errors: int = 0
    unverified: int = 0
    skipped: int = 0
    """Malformed lines, each reported."""
    headers: int = 0
    blank: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    noticed: Counter[str] = field(default_factory=Counter)
    """What the reader noticed, counted (dates written MM/DD/YYYY, fields past the header)."""
    notes: list[str] = field(default_factory=list)
    """What the reader said once about the file (its delimiter, a column not read, what an X12 file held)."""
    rows: int | None = None
    """A table's rows read (a Parquet file, where a claim may span rows); None for a file of lines."""

    def add(self, result: CheckResult) -> None:
        self.count(result.ok, result.verified, (item.rule for item in result.findings))

    def count(self, ok: bool, verified: bool, rules: Iterable[str]) -> None:
        """Count one claim by its outcome and the rule of each of its findings."""
        self.claims += 1
        if not ok:
            self.with_errors += 1
        elif not verified:
            self.unverified += 1
        self.by_rule.update(rules)

    def merge(self, other: BatchSummary) -> None:
        """Add the counts of another part of the batch (a chunk checked by a worker)."""
        self.claims += other.claims
        self.with_errors += other.with_errors
        self.unverified += other.unverified
        self.skipped += other.skipped
        self.headers += other.headers
        self.blank += other.blank
        self.by_rule.update(other.by_rule)
        self.noticed.update(other.noticed)
        self.notes.extend(note for note in other.notes if note not in self.notes)

    def not_a_claim(self, item: SkippedLine) -> None:
        if item.why == "header":
            self.headers += 1
        else:
            self.blank += 1

    @property
    def lines(self) -> int:
        return self.claims + self.skipped + self.headers + self.blank

    @property
    def ok(self) -> bool:
        """True when every line was a claim (or a header or blank) and no claim has an error finding."""
        return not self.with_errors and not self.skipped

    @property
    def verified(self) -> bool:
        """True when moreover every claim was verified (``--strict``)."""
        return self.ok and not self.unverified
