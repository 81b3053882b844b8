"""``cptref changes``: what changed between two sets of the user's CMS tables (two quarters, or two
folders), or two releases of the library, for the codes asked for; and which of the user's past
claims the new tables judge differently, claim by claim."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from msgspec import Meta, Struct

from cptref.errors import DamagedTables, ExitCode, UsageError
from cptref.output import streams
from cptref.output.formats import with_formats
from cptref.replies.rechecked import ClaimsRun, recheck
from cptref.replies.sides import add_families, change_set, narrowing, releases, sides

from .args import Arg, CmsPaths, Color, DataDirs, Format, Opt
from .common import catalog, emit_text, output_format

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.cms.compare.comparison import Comparison
    from cptref.cms.compare.narrow import CodeFilter
    from cptref.output.changes_documents import AnyChange, ChangeSet, Narrowing

HELP = with_formats(
    """Tell what changed between two quarters of your CMS tables, or two library
releases.

Compares two sets of the official tables you hold (NCCI PTP, MUE, add-on
code (AOC) edits and the PPRRVU fee schedule file), kind by kind: edits
added, re-added, deleted (with the deletion date), removed from the file, or
changed (modifier indicator, MUE value or adjudication indicator, AOC type
or primaries, status, global days, bilateral indicator, RVUs), each with its
values before and after and the rows (file, line) they came from.

Naming the two sets: --from and --to each take a quarter (2026Q3; a date,
2026-08-15, names its quarter) of the tables under --cms (or CPTREF_CMS),
which may hold many quarters; or a path: a folder or zip of one quarter's
downloads (its newest table of each kind is read). Without --from/--to: the
newest quarter --cms holds against the quarter before it.

Narrowing: CODE arguments are codes (47542), ranges (47531-47544) or
prefixes (4753); --family IDS adds a family's codes (cptref families). An
edit between two codes is kept when either is asked for (--both: both).
--claims FILE (CSV, JSON Lines or X12 837, as check --file reads it) checks
each claim under both sets and lists those judged differently, with each
finding before and after; a claim is judged on its date of service moved into
each set's quarter (an 837I's claims under the outpatient hospital tables,
as check --file judges them).

Library releases: --from-data OLD (a data directory or packed library, read
alone) against --to-data NEW (default: the library in use, --data): records
added and removed, facts and relations added and removed, fields changed.

The most consequential changes come first: codes by their gravest change (a
new or re-added PTP edit of indicator 0, an indicator 1 turned 0; an MUE
lowered or made stricter; an add-on's primary removed; then PTP indicator 1,
fee-schedule status, what loosens, and the rest). At most --limit changes
are looked for (a note says when the comparison stopped there). Exit 0; 2
usage (an unknown quarter, the same tables twice, a bad code); 3 when no
table loads.

Examples:
  cptref changes --cms ~/ncci
  cptref changes 47531-47544 50432 --from 2026Q3 --to 2026Q4
  cptref changes --from ~/ncci/2026q3 --to ~/ncci/2026q4 --family percutaneous-biliary
  cptref changes --claims claims.csv --from 2026Q3 --to 2026Q4
  cptref changes 4753 --json | jq -c '.changes[] | select(.effect == "stricter") | {kind, codes, change}'
  cptref changes --from-data ~/cptref-data-2026-06 --format csv

Output (--format): table, the text view grouped by code (colour on a
terminal); json (also --json), one document (cptref schema changes); jsonl
(also --jsonl), one change a line (kind ptp, mue, aoc, rvu or record), then
one claim judged differently a line (kind claim); csv, a header line then a
change a row (with --claims: a finding that differs a row); plain, the same
rows tab-separated."""
)

_Codes = Annotated[
    tuple[str, ...],
    Arg("[CODE...]", "Codes (47542), ranges (47531-47544) or prefixes (4753) to narrow to.", complete_codes=True),
]
_From = Annotated[
    str | None,
    Opt(
        ("--from",),
        "The older set: a quarter (2026Q3) or a date in it, of the tables under --cms; or a path (a folder or zip of "
        "one quarter's downloads). Default: the quarter before --to.",
        metavar="SET",
    ),
]
_To = Annotated[
    str | None,
    Opt(("--to",), "The newer set, as --from. Default: the newest quarter the tables under --cms hold.", metavar="SET"),
]
_Family = Annotated[
    str | None,
    Opt(("--family",), "Narrow to these families' codes (IDS comma-separated; cptref families).", metavar="IDS"),
]
_Claims = Annotated[
    str | None,
    Opt(
        ("--claims",),
        "A claims file (CSV, JSON Lines or X12 837, as check --file reads it; - reads stdin): the claims the two "
        "sets judge differently, and the changes between the claims' codes.",
        metavar="FILE",
    ),
]
_Both = Annotated[bool, Opt(("--both",), "Keep an edit between two codes only when both are asked for.")]
_Setting = Annotated[
    Literal["practitioner", "hospital", "all"],
    Opt(
        ("--setting",),
        "Which PTP and MUE tables: practitioner, outpatient hospital, or all (also DME MUE and the QPP PPRRVU file).",
        metavar="SETTING",
    ),
]
_Kind = Annotated[
    str, Opt(("--kind",), "The kinds of table compared, comma-separated: ptp, mue, aoc, rvu.", metavar="KINDS")
]
_FromData = Annotated[
    str | None,
    Opt(
        ("--from-data",),
        "Compare two library releases instead: the older one, a data directory or packed library (read alone).",
        metavar="PATH",
    ),
]
_ToData = Annotated[
    str | None,
    Opt(
        ("--to-data",),
        "The newer library release (default: the library in use: the shipped data and --data).",
        metavar="PATH",
    ),
]
_Limit = Annotated[
    int,
    Meta(ge=0, le=100_000_000),
    Opt(
        ("--limit",),
        "Look for at most N changes (0: no limit); a comparison that reaches it stops and says so.",
        metavar="N",
    ),
]
_Json = Annotated[bool, Opt(("--json",), "Print one JSON document (cptref schema changes).")]
_Jsonl = Annotated[bool, Opt(("--jsonl",), "Print one change a line, then one claim judged differently a line.")]

LIMIT = 100_000
"""The most changes looked for by default: a quarter's changes are tens of thousands; two unrelated
tables (every row differs) millions, which no reader wants and which would take minutes."""


class Args(Struct, frozen=True, kw_only=True):
    """``cptref changes``' arguments."""

    codes: _Codes = ()
    old: _From = None
    new: _To = None
    cms: CmsPaths = None
    family: _Family = None
    claims: _Claims = None
    both: _Both = False
    setting: _Setting = "practitioner"
    kind: _Kind = "ptp,mue,aoc,rvu"
    from_data: _FromData = None
    to_data: _ToData = None
    data: DataDirs = None
    limit: _Limit = LIMIT
    json: _Json = False
    jsonl: _Jsonl = False
    format: Format = None
    color: Color = "auto"


def run(args: Args) -> int:
    """``cptref changes``: the comparison asked for, written in the format asked for."""
    from cptref.cms.compare.comparison import KINDS
    from cptref.cms.compare.narrow import CodeFilter

    fmt = output_format(args.json, args.format, args.jsonl)
    kinds = [k.strip().lower() for k in args.kind.split(",") if k.strip()]
    if not kinds or any(k not in KINDS for k in kinds):
        raise UsageError(f"--kind takes some of {','.join(KINDS)}, comma-separated; got {args.kind[:40]!r}")
    narrow = CodeFilter(both=args.both)
    for text in args.codes:
        narrow.add_argument(text)
    families = [f.strip() for f in (args.family or "").split(",") if f.strip()]
    limit = args.limit or None
    if args.from_data is not None or args.to_data is not None:
        if args.old or args.new or args.claims:
            raise UsageError(
                "--from-data compares two library releases: it goes with neither --from, --to nor --claims"
            )
        if args.from_data is None:
            raise UsageError("--to-data names the newer library: name the older with --from-data")
        return _libraries(args, narrow, families, fmt, limit)
    return _tables(args, narrow, families, kinds, fmt, limit)


def _tables(
    args: Args,
    narrow: CodeFilter,
    families: list[str],
    kinds: list[str],
    fmt: str,
    limit: int | None,
    heal: bool = True,
) -> int:
    import sqlite3

    from cptref.check.rules.cms_tables import NOT_PAYABLE
    from cptref.cms.compare.comparison import compare
    from cptref.cms.ptpindex import DamagedPtpIndex

    opened: list[CmsTables] = []
    result: Comparison | None = None
    run: ClaimsRun | None = None
    try:
        before, after = sides(args.old, args.new, args.cms, opened)
        library = catalog(args.data) if (families or args.claims or fmt == "table") else None
        if families:
            assert library is not None
            add_families(narrow, library, families)
        if args.claims:
            assert library is not None
            run = recheck(library, before, after, args.claims, args.setting)
            narrow.narrowed = True
            narrow.codes |= run.codes
            narrow.both = narrow.both or not (
                args.codes or families
            )  # a claims file alone: the edits between its codes
        try:
            result = compare(before, after, narrow, kinds, args.setting, NOT_PAYABLE, limit)
        except sqlite3.OperationalError:
            raise  # locked, a disk full: not the file's damage
        except (sqlite3.DatabaseError, DamagedPtpIndex) as exc:  # nothing is written yet: compiled again, once
            if not (heal and all(tables.recompile() for tables in opened)):
                files = " and ".join(sorted({str(before.file), str(after.file)}))
                raise DamagedTables(
                    f"the compiled tables ({files}) are damaged ({exc}) and compiling them again did not mend "
                    "them: the next command compiles them again from your files"
                ) from None
        if result is not None:
            if result.stopped:
                streams.warn(
                    f"warning: the comparison stopped at the limit of {limit:,} changes; narrow the codes or --kind, "
                    "or raise --limit (the tables' notes say where it stopped)"
                )
            complete = all(c.complete for c in result.compared)
            _write(
                fmt,
                args.color,
                change_set(before),
                change_set(after),
                result.compared,
                result.changes(),
                run,
                narrowing(narrow, families, args.claims),
                complete,
                "tables",
                library.title if library is not None else (lambda code: None),
            )
            return ExitCode.OK
    finally:
        if run is not None:
            run.close()
        if result is not None:
            result.close()
        for tables in opened:
            tables.close()
    return _tables(args, narrow, families, kinds, fmt, limit, heal=False)  # compiled again: the sets read anew


# two library releases


def _libraries(args: Args, narrow: CodeFilter, families: list[str], fmt: str, limit: int | None) -> int:
    from cptref.library.compare import record_changes
    from cptref.output.changes_documents import ChangeSet

    assert args.from_data is not None
    (old_roots, old), (new_roots, new) = releases(args.from_data, args.to_data, args.data)
    if families:
        add_families(narrow, new, families)
    found: list[AnyChange] = []
    left_out = 0
    for change in record_changes(old, new):
        if not narrow.everything and not any(narrow.holds(c) for c in change.codes):
            continue
        if narrow.both and not all(narrow.holds(c) for c in change.codes):
            continue
        if limit is not None and len(found) >= limit:
            left_out += 1
            continue
        found.append(change)
    best: dict[str, int] = {}
    for kept in found:
        best[kept.code] = min(best.get(kept.code, 6), kept.rank)
    found.sort(key=lambda c: (best[c.code], c.code, c.rank))
    if left_out:
        streams.warn(f"warning: {left_out:,} changes past the limit of {limit:,} were left out; narrow the codes")
    _write(
        fmt,
        args.color,
        ChangeSet(args.from_data, None, None, None, [str(p) for p in old_roots]),
        ChangeSet(args.to_data or "the library in use", None, None, None, [str(p) for p in new_roots]),
        [],
        iter(found),
        None,
        narrowing(narrow, families, None),
        not left_out,
        "library",
        new.title,
        left_out,
    )
    return ExitCode.OK


# writing


class _Out:
    """Bytes written in chunks of about 64 KiB (``streams.write``: a closed pipe ends the command quietly)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            streams.write(b"".join(self.parts))
            self.parts, self.size = [], 0


def _write(
    fmt: str,
    color: str,
    before: ChangeSet,
    after: ChangeSet,
    compared: Sequence[Any],
    changes: Iterator[AnyChange],
    run: ClaimsRun | None,
    narrowed: Narrowing,
    complete: bool,
    what: Literal["tables", "library"],
    title: Callable[[str], str | None],
    left_out: int = 0,
) -> None:
    out = _Out()
    if fmt == "table":
        from cptref.output.text import terminal
        from cptref.output.text.changes import changes_docs, joined
        from cptref.output.text.doc import plain

        counts = (run.file, run.checked, run.differ, run.bad) if run is not None else None
        claims = run.claims() if run is not None else None
        docs = changes_docs(before, after, compared, changes, claims, counts, title, what == "library", left_out)
        if terminal.text_mode(color, sys.stdout.isatty(), os.environ) == "plain":  # piped: written as made
            width = terminal.screen()[0]
            for doc in docs:
                if doc.lines:
                    out.write(plain(doc, width).encode("utf-8", "backslashreplace"))
            out.flush()
        else:
            emit_text(joined(docs), color)
        return
    if fmt == "json":
        from cptref.output.documents import SCHEMA_VERSION

        head = {
            "schema_version": SCHEMA_VERSION,
            "compared": what,
            "before": before,
            "after": after,
            "tables": compared,
            "narrowed": narrowed,
            "complete": complete,
        }
        write_json(out, head, changes, run)
    elif fmt == "jsonl":
        for change in changes:
            out.write(msgspec.json.encode(change) + b"\n")
        for claim in run.claims() if run is not None else ():
            out.write(msgspec.json.encode(claim) + b"\n")
    else:
        from cptref.output.formats import Answer, Rows
        from cptref.output.text.changes import CLAIM_COLUMNS, CSV_COLUMNS, claim_csv_rows, csv_rows

        rows_out = Rows(csv=fmt == "csv")
        columns = CLAIM_COLUMNS if run is not None else CSV_COLUMNS
        out.write(rows_out.header(columns))
        rows: Iterable[list[str]] = claim_csv_rows(run.claims()) if run is not None else csv_rows(changes)
        batch: list[dict[str, str]] = []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) >= 1000:
                out.write(rows_out.answer(Answer(None, batch, columns=columns)))
                batch = []
        out.write(rows_out.answer(Answer(None, batch, columns=columns)))
    out.flush()


def write_json(out: _Out, head: dict[str, Any], changes: Iterable[Any], run: ClaimsRun | None) -> None:
    """The --json document (``ChangesDocument``), written as it is made: the changes and the claims one
    at a time, each formatted as ``formats.dumps`` formats the whole document (a test holds the two
    equal), so memory holds one change, not all."""

    def indented(value: Any, depth: int) -> bytes:
        text = msgspec.json.format(msgspec.json.encode(value), indent=2)
        return text.replace(b"\n", b"\n" + b"  " * depth)

    def items(values: Iterable[Any], depth: int) -> None:
        first = True
        pad = b"  " * depth
        for value in values:
            out.write((b"[\n" if first else b",\n") + pad + indented(value, depth))
            first = False
        out.write(b"[]" if first else b"\n" + pad[:-2] + b"]")

    out.write(b"{\n")
    for key, value in head.items():
        out.write(b'  "' + key.encode() + b'": ' + indented(value, 1) + b",\n")
    out.write(b'  "changes": ')
    items(changes, 2)
    out.write(b',\n  "claims": ')
    if run is None:
        out.write(b"null\n}\n")
        return
    out.write(b"{\n")
    for key, value in (
        ("file", run.file),
        ("checked", run.checked),
        ("differ", run.differ),
        ("bad_lines", run.bad),
        ("skipped_lines", run.skipped),
    ):
        out.write(b'    "' + key.encode() + b'": ' + msgspec.json.encode(value) + b",\n")
    out.write(b'    "claims": ')
    items(run.claims(), 3)
    out.write(b"\n  }\n}\n")
