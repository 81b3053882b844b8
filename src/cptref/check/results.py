"""What ``cptref check`` says about a claim: findings and the result of one claim.

A :class:`Finding` is one reason a set of codes may not be reported as it is (or, as info, a
service it could add), with the fact it rests on. Its fields are the keys of every finding in
``check --json`` and ``--jsonl`` output; their descriptions are what ``cptref schema`` prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from msgspec import Struct

from cptref.model.records import Confidence, about

if TYPE_CHECKING:
    from cptref.check.inputs.reader import Line

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


class Answer(Struct, frozen=True):
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

    pairs: Annotated[Answer, about("The pairs of the claim's codes (NCCI PTP edits).")]
    units: Annotated[Answer, about("Each code's units (MUE).")]
    add_ons: Annotated[Answer, about("Which codes are add-ons and their primaries (AOC edits).")]
    status: Annotated[Answer, about("The fee schedule's status of each code (PPRRVU); not needed to verify.")]


NOT_NEEDED = Answer("not-needed")
NOTHING = Answer("nothing")


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
