"""From the paths a user gives to the tables to read: find every file, recognise each by its header,
and choose, for each kind and setting, the newest version (and, of each part, one copy).

Nothing is parsed beyond the headers here; :mod:`cptref.cms.compile` reads the rows of the plan.
Every decision is written down: a file not read is in ``skipped`` with the reason, and the
reasons a user should act on (an older version set aside, a second copy, a part missing, a
version that cannot be told, an unknown layout) are also problems, with the file's name.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO

from . import names
from .archives import READ_ERRORS
from .headers import Unrecognised
from .models import KIND_NAMES, SETTINGS, CmsProblem, Skipped, TableId, problem
from .recognize import Layout, recognise
from .sources import Entry, expand, walk
from .xlsx import XlsxError

PTP_PARTS = 4
"""How many parts a quarter's PTP table comes in (``-f1`` to ``-f4``, practitioner and outpatient
hospital alike, in the downloads of 2025 and 2026); a set that names a higher part is expected to
have every part up to it."""
FORMAT_PREFERENCE = {"tab": 0, "csv": 0, "xlsx": 1}
"""Of two copies of one table, the text one is read (faster, and what the download's parts are)."""


@dataclass
class TablePlan:
    """One table to read: its identity (with the dates it is in force), the quarter its names give,
    its part files in order, and the parts a split PTP table lacks."""

    table: TableId
    quarter: str | None
    parts: list[Layout]
    missing: list[int] = field(default_factory=list)
    doubts: int = 0
    """What leaves the table not read whole though every file of it was: copies of a part whose bytes
    differ from the copy read (or could not be compared), a PTP table whose files name no part."""


@dataclass
class Scan:
    plans: list[TablePlan] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[CmsProblem] = field(default_factory=list)
    failed: list[Skipped] = field(default_factory=list)
    """Files that may hold edits and could not be read (see :attr:`CmsSummary.failed`)."""
    files: list[tuple[str, int, int, int]] = field(default_factory=list)
    """(path, size, mtime, ctime) of every candidate file on disk: what a compiled file is keyed on."""


def scan(paths: Sequence[Path]) -> Scan:
    found = walk(paths)
    out = Scan(files=found.keys())
    expanded = expand(found)
    out.skipped.extend(expanded.skipped)
    out.problems.extend(expanded.problems)
    # a file or zip that could not be opened or listed (damaged, too large, unreadable, a member
    # refused) may hold edits: failed, as an edit table cptref cannot read is, so that it stops claims
    # from being verified instead of leaving the tables read beside it to answer alone
    out.failed.extend(
        Skipped(f"{p.file}:{p.member}" if p.member else p.file, p.message)
        for p in expanded.problems
        if p.severity == "error"
    )
    given = {p.absolute() for p in found.given}
    layouts: list[Layout] = []
    fixed: list[Layout] = []
    for entry in expanded.entries:
        layout = _recognise(entry, entry.path.absolute() in given and not entry.members, out)
        if layout is None:
            continue
        if layout.kind != "rvu" and medicaid(entry.names()):
            out.problems.append(
                problem(
                    entry.file,
                    f"a Medicaid NCCI {layout.kind.upper()} table: cptref reads the Medicare tables only",
                    "not-read",
                    member=entry.member,
                    severity="warning",
                )
            )
            out.skipped.append(Skipped(entry.display, "a Medicaid NCCI table (not read)"))
        elif layout.fmt == "fixed":
            fixed.append(layout)
        elif layout.setting is None:
            what = "PTP" if layout.kind == "ptp" else "MUE"
            hint = (
                "keep the name it was downloaded with (ccipra-... practitioner, ccioph-... outpatient hospital)"
                if layout.kind == "ptp"
                else "its values column names no setting (Practitioner, Outpatient Hospital, DME Supplier)"
            )
            out.problems.append(
                problem(
                    entry.file,
                    f"a {what} table, but for which setting cannot be told: {hint}",
                    "no-setting",
                    member=entry.member,
                )
            )
            out.failed.append(Skipped(entry.display, f"a {what} table of unknown setting"))
        else:
            layouts.append(layout)
    groups: dict[tuple[str, str, tuple[date, date] | None], list[Layout]] = defaultdict(list)
    for layout in layouts:
        groups[(layout.kind, layout.setting or "", names.dates_in_force(layout.kind, layout.version))].append(layout)
    dated = {(kind, setting) for kind, setting, dates in groups if dates is not None}
    for (kind, setting, dates), group in sorted(groups.items(), key=lambda item: _order(item[0])):
        if dates is None and (kind, setting) in dated:
            _undated_aside(group, out)
            continue
        out.plans.append(_choose(kind, setting, dates, group, out))
    _fixed_width(fixed, out)
    return out


_MEDICAID = re.compile(r"medicaid|(?<![a-z])mcd(?![a-z])", re.IGNORECASE)


def medicaid(names: list[str]) -> bool:
    """Whether the names say Medicaid (``medicaid-ncci-...zip``, ``AOC_V2026Q2-MCD.xlsx``): the
    Medicaid NCCI tables share the layouts but not the edits, and must not answer for Medicare."""
    return any(_MEDICAID.search(name) for name in names[:-1])


def _order(key: tuple[str, str, tuple[date, date] | None]) -> tuple[int, int, date]:
    """Kind, then setting, then the quarter (a table of unknown dates first)."""
    kinds = list(KIND_NAMES)
    settings = list(SETTINGS)
    setting = settings.index(key[1]) if key[1] in settings else len(settings)
    return kinds.index(key[0]), setting, key[2][0] if key[2] else date.min


def _recognise(entry: Entry, named: bool, out: Scan) -> Layout | None:
    try:
        return recognise(entry)
    except Unrecognised as why:
        # a file the user named, or one that looks or is named like an edit table (an empty or cut
        # short download keeps its name), is an error: its edits may be missing; another file of a
        # download (a GPCI or locality file, a notice) is worth a warning
        called = names.named_as_edits(entry.name)
        failed = named or why.suspect or called
        out.problems.append(
            problem(
                entry.file,
                (
                    "looks like a CMS edit table but cannot be read as one"
                    if why.suspect
                    else "named like a CMS edit table but cannot be read as one"
                    if called
                    else "not a CMS table cptref knows"
                )
                + f": {why}",
                "unknown-layout",
                member=entry.member,
                severity="error" if failed else "warning",
            )
        )
        if failed:
            out.failed.append(Skipped(entry.display, f"not a CMS table cptref can read: {why}"))
        else:
            out.skipped.append(Skipped(entry.display, "unknown layout"))
    except (*READ_ERRORS, XlsxError) as error:
        code = getattr(error, "code", "unreadable")  # a limit met while reading the head has its own code
        message = f"cannot be read (truncated or damaged?): {error}" if code == "unreadable" else str(error)
        out.problems.append(problem(entry.file, message, code, member=entry.member))
        out.failed.append(Skipped(entry.display, message))
    return None


def _undated_aside(group: list[Layout], out: Scan) -> None:
    """Tables whose dates cannot be told, beside dated ones of their kind and setting: the dated are
    read (each for its quarter), these are set aside and named (a renamed copy, most often)."""
    for layout in group:
        entry = layout.entry
        out.problems.append(
            problem(
                entry.file,
                f"a {layout.kind.upper()} table whose quarter cannot be told from its name, beside tables of the "
                "same kind whose quarters can: those are read, this one is set aside (keep the names as downloaded)",
                "version-unknown",
                member=entry.member,
                severity="warning",
            )
        )
        out.skipped.append(Skipped(entry.display, "a table of unknown quarter beside dated ones (set aside)"))


def _choose(kind: str, setting: str, dates: tuple[date, date] | None, group: list[Layout], out: Scan) -> TablePlan:
    """The table of one kind, setting and quarter: its newest version (a revision of the quarter's
    file), the others set aside; each of its parts read once."""
    newest = max(group, key=lambda layout: layout.version_key)
    current = [g for g in group if g.version_key == newest.version_key]
    starts, ends = dates if dates else (None, None)
    table = TableId(kind, setting, newest.version_text, starts, ends)
    older: dict[str, list[Layout]] = defaultdict(list)
    for layout in group:
        if layout.version_key != newest.version_key:
            older[layout.version_text].append(layout)
    for version, layouts in older.items():
        old = TableId(kind, setting, version)
        first = layouts[0].entry
        files = f"{first.display}" + (f" and {len(layouts) - 1} more file(s)" if len(layouts) > 1 else "")
        out.problems.append(
            problem(
                first.file,
                f"{old.label()} ({files}) is superseded by {table.label()} ({newest.entry.display}): "
                "the newer table is read",
                "superseded",
                member=first.member,
                severity="warning",
            )
        )
        out.skipped.extend(Skipped(g.entry.display, f"superseded by {table.label()}") for g in layouts)
    if newest.version is None:
        out.problems.append(
            problem(
                newest.entry.file,
                f"the version of this {kind.upper()} table cannot be told from its name"
                + (" or preamble" if kind == "rvu" else "")
                + ": keep the name it was downloaded with, so that a newer copy can be told apart",
                "version-unknown",
                member=newest.entry.member,
                severity="warning",
            )
        )
    by_part: dict[int, list[Layout]] = defaultdict(list)
    for layout in current:
        by_part[layout.part].append(layout)
    parts: list[Layout] = []
    doubts = 0
    for part in sorted(by_part):
        copies = sorted(
            by_part[part], key=lambda g: (FORMAT_PREFERENCE.get(g.fmt, 2), len(g.entry.members), g.entry.display)
        )
        chosen = copies[0]
        parts.append(chosen)
        for other in copies[1:]:
            if _twins(chosen, other):  # the .xlsx shipped beside the .txt or .csv: expected, not worth a warning
                out.skipped.append(Skipped(other.entry.display, f"the {other.fmt} copy of {chosen.entry.display}"))
                continue
            what = f"a second copy of {table.label()}" + (f" part f{part}" if part else "")
            # two copies in one format are compared; a workbook beside a text copy cannot be, cheaply,
            # and is what CMS ships the same edits as: read once, as before
            same = _same_bytes(chosen.entry, other.entry) if chosen.fmt == other.fmt else True
            if same:
                out.problems.append(
                    problem(
                        other.entry.file,
                        f"{what}: read once, from {chosen.entry.display}",
                        "duplicate-table",
                        member=other.entry.member,
                        severity="warning",
                    )
                )
                out.skipped.append(Skipped(other.entry.display, f"a second copy of {chosen.entry.display}"))
                continue
            doubts += 1
            why = "cannot be read to compare" if same is None else "differs from"
            out.problems.append(
                problem(
                    other.entry.file,
                    f"{what}, which {why} {chosen.entry.display}: which copy is CMS's cannot be told, so "
                    f"{table.label()} verifies no claim (keep one copy of each file)",
                    "conflicting-copy",
                    member=other.entry.member,
                )
            )
            out.skipped.append(Skipped(other.entry.display, f"a second copy of {chosen.entry.display}, not the same"))
    numbered = [p for p in by_part if p]
    missing: list[int] = []
    if kind == "ptp" and not numbered:
        doubts += 1
        out.problems.append(
            problem(
                parts[0].entry.file,
                f"{table.label()} names no part (-f1 to -f{PTP_PARTS}): whether it holds every part of the quarter "
                "cannot be told, so this table verifies no claim (keep the names the parts were downloaded with)",
                "part-unknown",
                member=parts[0].entry.member,
            )
        )
    if numbered:
        expected = max(PTP_PARTS, *numbered)
        missing = sorted(set(range(1, expected + 1)) - set(numbered))
        for gap in missing:
            out.problems.append(
                problem(
                    parts[-1].entry.file,
                    f"part f{gap} of {table.label()} was not found: the edits it holds are missing, so this table "
                    "verifies no claim (download every part of the quarter: f1 to "
                    f"f{expected})",
                    "missing-part",
                )
            )
    quarter = next((g.quarter for g in parts if g.quarter), None)
    return TablePlan(table, quarter, parts, missing, doubts)


_CHUNK = 1 << 20


def _same_bytes(a: Entry, b: Entry) -> bool | None:
    """Whether two copies of a file hold the same bytes (None: one cannot be read to the end). Read
    only when there are two copies, a chunk at a time, each bounded as every read is."""
    try:
        with a.open() as first, b.open() as second:
            while True:
                one, two = _fill(first), _fill(second)
                if one != two:
                    return False
                if not one:
                    return True
    except (*READ_ERRORS, UnicodeError):
        return None


def _fill(stream: IO[bytes]) -> bytes:
    """The next :data:`_CHUNK` bytes (fewer only at the end: a zip member's stream may return less)."""
    pieces: list[bytes] = []
    wanted = _CHUNK
    while wanted:
        piece = stream.read(wanted)
        if not piece:
            break
        pieces.append(piece)
        wanted -= len(piece)
    return b"".join(pieces)


def _twins(a: Layout, b: Layout) -> bool:
    """Whether two copies of a table are one file in two formats, side by side (same folder or same
    zip, same name but for the extension), as CMS ships them."""

    def place(layout: Layout) -> tuple[object, ...]:
        entry = layout.entry
        where = (entry.path, *entry.members[:-1]) if entry.members else (entry.path.parent,)
        return (*where, posixpath.splitext(entry.name)[0].lower())

    return place(a) == place(b)


def _fixed_width(fixed: list[Layout], out: Scan) -> None:
    read = {p.table.version for p in out.plans if p.table.kind == "rvu"}
    for layout in fixed:
        if layout.version_text in read:
            out.skipped.append(
                Skipped(layout.entry.display, "the fixed-width copy of a PPRRVU file read as .csv/.xlsx")
            )
            continue
        out.problems.append(
            problem(
                layout.entry.file,
                "the fixed-width PPRRVU text is not read (it has no column titles): "
                "give the .csv or .xlsx of the same release",
                "not-read",
                member=layout.entry.member,
                severity="warning",
            )
        )
        out.skipped.append(Skipped(layout.entry.display, "fixed-width PPRRVU text (not read)"))
