"""The JSON documents of ``cptref check``: a claim's verdict (``--json``) and a claim a line (``--jsonl``)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from cptref.check.results import Checked, Finding
from cptref.model.codes import Code
from cptref.model.records import about

from .documents import SchemaVersion


class CheckedCode(Struct, frozen=True):
    """A line of the checked claim: a code with its modifiers and units (a line given twice is one
    entry with more units)."""

    code: Annotated[Code, about("The code, trimmed and upper-cased.")]
    units: Annotated[int, Meta(ge=1), about("Its units: repeats of the line and 47542x2 count as more units.")]
    title: Annotated[str | None, about("Its title, or null when the library has no record of it.")]
    modifiers: Annotated[list[str], about("The line's modifiers, in the order given (59, RT, 26 ...); [] for none.")]


CODES = about("The claim's lines, in the order given, each once with its units.")
OK = about("True when no finding is an error (the exit status is then 0).")
VERIFIED = about(
    "True when no finding is an error or a warning: the official edits in force on the date of service checked "
    "the claim (see checked) and no fact is missing. False with ok true: not verified (a table or a fact is "
    "missing, or a human must decide); --strict then exits 1."
)
CHECKED = about(
    "What checked the claim, for each kind of edit (pairs, units, add_ons, status): a CMS table in force on "
    "the date of service (its id, as cptref tables lists it), the library's facts (their sources), or nothing."
)
FINDINGS = about("Every finding, errors first, then warnings, then info.")


class CheckDocument(Struct, frozen=True):
    """Whether a claim's codes can be reported together, and every finding against them."""

    schema_version: SchemaVersion
    codes: Annotated[list[CheckedCode], CODES]
    ok: Annotated[bool, OK]
    verified: Annotated[bool, VERIFIED]
    checked: Annotated[Checked, CHECKED]
    findings: Annotated[list[Finding], FINDINGS]


LINE_VERSION = 2
"""The version of a check --jsonl line (2: lean lines; 1 carried titles and every finding's text)."""
LEAN_FINDING: tuple[str, ...] = ("rule", "severity", "codes", "fix")
"""The fields of a finding in a check --jsonl line, unless --fields or --explain asks for others."""


class ClaimLine(Struct, frozen=True):
    """One line of check --jsonl (--format jsonl): one claim, checked, kept lean for batches: each
    finding's rule, severity, codes and fix (--explain: every field; --fields: those named)."""

    schema_version: Annotated[int, about("The version of this shape.")]
    id: Annotated[
        str | int | None,
        about("The claim's id as given in the file, or null (codes given as arguments, or no id)."),
    ]
    line: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        about("The claim's line in the file, or null for codes given as arguments."),
    ]
    ok: Annotated[bool, OK]
    verified: Annotated[bool, VERIFIED]
    checked: Annotated[
        Checked | None,
        about(
            "What checked the claim, as check --json gives it. In a lean line (without --explain) only for a claim "
            "that is ok but not verified, where it says which kind of edit no table in force checked; null for a "
            "verified claim (the tables in force checked it all) and for a stopped one (its errors say why), so that "
            "a batch stays small."
        ),
    ]
    codes: Annotated[list[str], about("The claim's lines as read, upper-cased (47542-59x2).")]
    titles: Annotated[
        dict[str, str | None],
        about("With --explain, the title of each code (null: no record); {} otherwise."),
    ]
    findings: Annotated[list[Finding], FINDINGS]
