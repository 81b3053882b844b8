"""The JSON documents of ``cptref check``: a claim's verdict (``--json``) and a claim a line (``--jsonl``)."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from cptref.check.results import Checked, Finding
from cptref.model.codes import Code
from cptref.model.records import about

from .documents import SchemaVersion


class CheckedCode(Struct, frozen=True):
    """A line of the checked claim: a code with its modifiers and units (a line given twice is one
    entry with more units). The same shape in check --json and in check --jsonl, where what is empty
    or not asked for is left out."""

    code: Annotated[Code, about("The code, trimmed and upper-cased.")]
    units: Annotated[int, Meta(ge=1), about("Its units: repeats of the line and 47542x2 count as more units.")]
    title: Annotated[
        str | UnsetType | None,
        about("Its title, or null when the library has no record of it. In check --jsonl only with --explain."),
    ] = UNSET
    modifiers: Annotated[
        list[str] | UnsetType,
        about(
            "The line's modifiers, in the order given (59, RT, 26 ...). check --json writes [] for none; check --jsonl "
            "leaves the key out."
        ),
    ] = UNSET


CODES = about("The claim's lines, in the order given, each once with its units.")
OK = about("True when no finding is an error (check --help: the exit statuses).")
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


LINE_VERSION = 3
"""The version of a check --jsonl line (3: the claim's codes as check --json gives them, empty fields left out,
the envelope only when asked; 2: lean lines; 1 carried titles and every finding's text)."""
LEAN_FINDING: tuple[str, ...] = ("rule", "severity", "codes", "fix")
"""The fields of a finding in a check --jsonl line, unless --fields or --explain asks for others."""
ENVELOPE: tuple[str, ...] = ("schema_version", "codes", "checked")
"""The keys of a check --jsonl line written only when asked: every one with --explain, or each one
``--fields`` names as ``claim.KEY`` (``checked`` is also written, lean, for a claim ok but not verified)."""


class ClaimLine(Struct, frozen=True, kw_only=True):
    """One line of check --jsonl (--format jsonl): one claim, checked, kept lean for batches: its id and
    line, ok and verified, and each finding's rule, severity, codes and fix, a key left out when its
    value is empty (null, [] or {}); the envelope (schema_version, the claim's codes, what checked it)
    only with --explain or as --fields asks (claim.schema_version, claim.codes, claim.checked)."""

    schema_version: Annotated[
        int | UnsetType, about("The version of this shape; with --explain or --fields claim.schema_version.")
    ] = UNSET
    id: Annotated[
        str | int | UnsetType,
        about("The claim's id as given in the file; left out when it has none (codes given as arguments, or no id)."),
    ] = UNSET
    line: Annotated[
        Annotated[int, Meta(ge=1)] | UnsetType,
        about(
            "The claim's line in the file (an X12 file: its CLM segment's number); left out for codes given as "
            "arguments."
        ),
    ] = UNSET
    ok: Annotated[bool, OK]
    verified: Annotated[bool, VERIFIED]
    checked: Annotated[
        Checked | UnsetType,
        about(
            "What checked the claim, as check --json gives it. In a lean line (without --explain or --fields "
            "claim.checked) only for a claim that is ok but not verified, where it says which kind of edit no table "
            "in force checked; left out for a verified claim (the tables in force checked it all) and for a stopped "
            "one (its errors say why), so that a batch stays small."
        ),
    ] = UNSET
    codes: Annotated[
        list[CheckedCode] | UnsetType,
        about(
            "The claim's lines, as check --json gives them (with their titles under --explain; modifiers left out "
            "when none); with --explain or --fields claim.codes."
        ),
    ] = UNSET
    findings: Annotated[
        list[Finding] | UnsetType,
        about(
            "Every finding, errors first, then warnings, then info; each key of a finding left out when its value "
            "is null or []. Left out when there is none."
        ),
    ] = UNSET
