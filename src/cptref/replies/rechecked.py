"""The claims of a file rechecked under both sets ``cptref changes`` compares (:func:`recheck`): each
judged on its date of service moved into each set's quarter, and those judged differently kept, with
the findings that differ, spooled to a private temporary database (:class:`ClaimsRun`)."""

from __future__ import annotations

import datetime
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from cptref.errors import UsageError
from cptref.output import streams

if TYPE_CHECKING:
    from cptref.check.results import Finding
    from cptref.cms.compare.quarters import Side
    from cptref.library.catalog import Catalog
    from cptref.output.changes_documents import ClaimChange, FindingDiff


_SEVERITY = {"error": 0, "warning": 1, "info": 2, None: 3}


def finding_diffs(before: Sequence[Finding], after: Sequence[Finding]) -> list[FindingDiff]:
    """The findings (by rule and codes) that appear, disappear or change severity, the worst after first.
    A finding's words are not compared: they name the table and row, which differ every quarter."""
    from cptref.output.changes_documents import FindingDiff

    old: dict[tuple[str, tuple[str, ...]], Finding] = {}
    new: dict[tuple[str, tuple[str, ...]], Finding] = {}
    for items, into in ((before, old), (after, new)):
        for item in items:
            key = (item.rule, tuple(item.codes))
            if key not in into or _SEVERITY[item.severity] < _SEVERITY[into[key].severity]:
                into[key] = item
    out = []
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and a.severity == b.severity:
            continue
        shown = b or a
        assert shown is not None
        out.append(
            FindingDiff(key[0], list(key[1]), a.severity if a else None, b.severity if b else None, shown.message)
        )
    out.sort(key=lambda d: (_SEVERITY[d.after], _SEVERITY[d.before]))
    return out


def claim_day(given: datetime.date | None, period: tuple[datetime.date, datetime.date] | None) -> datetime.date:
    """The day a claim is judged on under a set: its date of service moved into the set's quarter (the
    first day for an older claim, the last for a newer one); a claim without a date, the first day."""
    if period is None:
        return given or datetime.date.today()
    first, last = period
    if given is None:
        return first
    return min(max(given, first), last)


@dataclass
class ClaimsRun:
    """Each claim of a file judged under both sets: the counts, the codes met (which narrow the changes),
    and the claims judged differently, spooled to a private temporary database (memory holds one)."""

    file: str
    checked: int = 0
    bad: int = 0
    skipped: int = 0
    differ: int = 0
    codes: set[str] = field(default_factory=set)
    spool: sqlite3.Connection = field(default_factory=lambda: sqlite3.connect(""))  # "": a temporary file

    def __post_init__(self) -> None:
        self.spool.execute("CREATE TABLE claims (n INTEGER PRIMARY KEY, doc BLOB NOT NULL)")

    def add(self, claim: ClaimChange) -> None:
        self.differ += 1
        self.spool.execute("INSERT INTO claims VALUES (?, ?)", (self.differ, msgspec.msgpack.encode(claim)))

    def claims(self) -> Iterator[ClaimChange]:
        """The claims judged differently, in file order."""
        from cptref.output.changes_documents import ClaimChange

        decoder = msgspec.msgpack.Decoder(ClaimChange)
        for (doc,) in self.spool.execute("SELECT doc FROM claims ORDER BY n"):
            yield decoder.decode(doc)

    def close(self) -> None:
        self.spool.close()


def recheck(library: Catalog, before: Side, after: Side, file: str, setting: str = "practitioner") -> ClaimsRun:
    """Check every claim of ``file`` under each set (its tables pinned) and keep those judged differently.
    Every line is accounted for: a claim checked, a line that is not one (named on stderr), a header
    or blank line."""
    from cptref.check.engine import CheckTables, check
    from cptref.check.inputs.base import BadLine, BatchClaim
    from cptref.check.inputs.registry import read_claims
    from cptref.check.lines import parse_line
    from cptref.cms.compare.sql import table_key
    from cptref.output.changes_documents import ClaimChange, ClaimSide

    cms_setting = "outpatient_hospital" if setting == "hospital" else "practitioner"
    judges: list[tuple[dict[str, CheckTables], tuple[datetime.date, datetime.date] | None, list[str]]] = []
    for side in (before, after):
        side.cms.preload()  # a batch: MUE, AOC and PPRRVU rows and the PTP index in memory, as check --file does
        view = side.cms.pinned([c.table for c in side.tables.values()])
        ids = [table_key(c.table) for c in side.tables.values()]
        judges.append(({cms_setting: CheckTables(library, cms=view, setting=cms_setting)}, side.period, ids))
    if file == "-" and "stdin" in streams.CLOSED:
        raise UsageError("--claims -: standard input is closed")
    run = ClaimsRun("<stdin>" if file == "-" else file)
    try:
        stream: Any = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"--claims: {file[:200]}: {error.strerror or error}") from None
    try:
        for item in read_claims(stream, None if file == "-" else file):
            if isinstance(item, BadLine):
                run.bad += 1
                streams.warn(f"{run.file}:{item.line}: {item.message}; line skipped")
                continue
            if not isinstance(item, BatchClaim):
                run.skipped += 1
                continue
            run.checked += 1
            for token in item.codes:
                line = parse_line(token)
                if line is not None:
                    run.codes.add(line.code)
            judged = []
            claim_setting = item.setting or cms_setting  # an X12 837I's claim: its guide's setting, as check --file
            for settings, period, ids in judges:
                tables = settings.get(claim_setting)
                if tables is None:
                    default = settings[cms_setting]
                    tables = settings[claim_setting] = CheckTables(library, cms=default.cms, setting=claim_setting)
                day = claim_day(item.date, period)
                result = check(tables, item.codes, day)
                judged.append(ClaimSide(day.isoformat(), ids, result.ok, result.verified, list(result.findings)))
            diffs = finding_diffs(judged[0].findings, judged[1].findings)
            if diffs or judged[0].ok != judged[1].ok or judged[0].verified != judged[1].verified:
                codes = [str(parse_line(t) or t.strip().upper()) for t in item.codes]
                date = item.date.isoformat() if item.date else None
                run.add(ClaimChange(item.id, item.line, codes, date, judged[0], judged[1], diffs))
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if run.bad:
        streams.warn(f"{run.bad} line{'s' * (run.bad != 1)} of {run.file} could not be read as claims (above)")
    return run
