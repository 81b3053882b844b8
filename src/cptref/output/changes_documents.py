"""The JSON documents of ``cptref changes``: what changed between two sets of the user's CMS tables, or
two releases of the library, and the claims judged differently, each key described as in
:mod:`.documents`. The changes themselves are the comparisons' own records
(:mod:`cptref.cms.compare`, :mod:`cptref.library.compare`), as a check's findings are the engine's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from cptref.check.results import Finding
from cptref.cms.compare.changes import AocChange, Compared, MueChange, PtpChange, RvuChange
from cptref.library.compare import RecordChange
from cptref.model.records import about

from .documents import SchemaVersion

AnyChange = PtpChange | MueChange | AocChange | RvuChange | RecordChange
"""One change: of a PTP, MUE, AOC or PPRRVU table (kind ptp, mue, aoc, rvu), or of the library (record)."""


class ChangeSet(Struct, frozen=True):
    """One side of the comparison, as the user named it."""

    given: Annotated[str, about("As named: a quarter (2026Q3), a date, or a path.")]
    quarter: Annotated[str | None, about("The quarter its tables are in force for (2026Q3), or null when not told.")]
    starts: Annotated[str | None, about("The quarter's first day, YYYY-MM-DD, or null.")]
    ends: Annotated[str | None, about("The quarter's last day, or null.")]
    paths: Annotated[list[str], about("The paths the tables (or the library) were read from.")]


class Narrowing(Struct, frozen=True):
    """What the changes were narrowed to; every list empty and claims null when nothing narrows them."""

    codes: Annotated[list[str], about("Codes asked for (with --claims: also the claims' codes).")]
    ranges: Annotated[list[str], about("Code ranges and prefixes asked for (47531-47544, 4753).")]
    families: Annotated[list[str], about("Families asked for (their ranges and the library's codes in them).")]
    claims: Annotated[str | None, about("The claims file whose codes narrow the changes, or null.")]
    both: Annotated[
        bool,
        about("Whether an edit between two codes is kept only when both are among those asked for (else either)."),
    ]


class ClaimSide(Struct, frozen=True):
    """A claim as one set of tables judges it."""

    date: Annotated[str, about("The date it was checked on: its date of service, moved into the set's quarter.")]
    tables: Annotated[list[str], about("The tables of the set (their ids, kind/setting/version).")]
    ok: Annotated[bool, about("True when no finding is an error.")]
    verified: Annotated[bool, about("True when no finding is an error or a warning.")]
    findings: Annotated[list[Finding], about("Every finding, errors first.")]


class FindingDiff(Struct, frozen=True):
    """A finding that appears, disappears or changes severity between the two sets."""

    rule: Annotated[str, about("The rule id.")]
    codes: Annotated[list[str], about("The codes it is about.")]
    before: Annotated[str | None, about("Its severity before (error, warning, info), or null: none.")]
    after: Annotated[str | None, about("Its severity after, or null: none.")]
    message: Annotated[str, about("What it says (after, else before).")]


class ClaimChange(Struct, frozen=True, tag="claim", tag_field="kind"):
    """A claim of your file that the two sets judge differently: its findings before and after."""

    id: Annotated[str | int | None, about("The claim's id as given in the file, or null.")]
    line: Annotated[int, Meta(ge=1), about("The claim's line in the file.")]
    codes: Annotated[list[str], about("The claim's lines as read.")]
    date: Annotated[str | None, about("Its date of service as given, or null.")]
    before: Annotated[ClaimSide, about("As the before set judges it.")]
    after: Annotated[ClaimSide, about("As the after set judges it.")]
    differences: Annotated[list[FindingDiff], about("The findings that differ, the worst after first.")]


class ClaimsReport(Struct, frozen=True):
    """Your claims checked again under both sets."""

    file: Annotated[str, about("The claims file.")]
    checked: Annotated[int, Meta(ge=0), about("Claims checked.")]
    differ: Annotated[int, Meta(ge=0), about("Claims judged differently.")]
    bad_lines: Annotated[int, Meta(ge=0), about("Lines that could not be read as claims (each named on stderr).")]
    skipped_lines: Annotated[int, Meta(ge=0), about("Header and blank lines.")]
    claims: Annotated[list[ClaimChange], about("Each claim judged differently, in file order.")]


class ChangesDocument(Struct, frozen=True):
    """What changed between two sets of your CMS tables (or two releases of the library), for the codes
    asked for (every code when none), most consequential first; with --claims, the claims of your file
    judged differently."""

    schema_version: SchemaVersion
    compared: Annotated[
        Literal["tables", "library"],
        about(
            "tables: two sets of your CMS tables (--from, --to); library: two releases of the library (--from-data)."
        ),
    ]
    before: Annotated[ChangeSet, about("The older set (--from, --from-data).")]
    after: Annotated[ChangeSet, about("The newer set (--to, --to-data).")]
    tables: Annotated[list[Compared], about("Each kind and setting of table, compared or not ([] for the library).")]
    narrowed: Annotated[Narrowing, about("What the changes were narrowed to.")]
    complete: Annotated[
        bool,
        about(
            "Whether every change was looked for: false when the comparison stopped at --limit (the tables' notes "
            "say where) or a kind of table was held by one side only."
        ),
    ]
    changes: Annotated[
        list[AnyChange],
        about(
            "Every change, grouped by code: the codes by their most consequential change (rank), then each code's "
            "changes by rank."
        ),
    ]
    claims: Annotated[ClaimsReport | None, about("With --claims: the claims judged differently; null otherwise.")]


ChangeLine = AnyChange | ClaimChange
"""One line of ``changes --jsonl``: a change (kind ptp, mue, aoc, rvu, record), then the claims judged
differently (kind claim)."""
