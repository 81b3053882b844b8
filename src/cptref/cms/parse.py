"""The rows of a recognised table: each checked, the good ones kept, each bad one reported with its
line, and every row counted (read, loaded, rejected).

Rows come out as plain tuples, in the column order of the compiled file (:mod:`cptref.cms.compile`),
because a practitioner PTP table has over a million of them; :mod:`cptref.cms.reader` turns the
rows it answers with into the typed Structs of :mod:`cptref.cms.models`. Dates are ``YYYYMMDD``
integers here (the AOC table's Julian ``YYYYDDD`` dates are converted), a deletion date ``*`` or
blank is None.

What each kind's rows must hold, and what a row is rejected for, is written at its parser below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .recognize import Layout, text_records
from .textfile import DELIMITER_NAMES, TOO_LONG_NOTE, Note, Record, physical_lines
from .values import (
    BILATERAL_INDICATORS,
    DATE_FORMS,
    GLOBAL_DAYS,
    SLASHED,
    BadCell,
    Checks,
    Dates,
    Evidence,
    Tally,
    number,
    yyyyddd,
    yyyymmdd,
)
from .xlsx import Workbook

_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_STATUS = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"[0-9]")
_UNITS = re.compile(r"[0-9]{1,9}")

Row = tuple[Any, ...]


def _source(layout: Layout) -> Iterator[Record | Note]:
    entry = layout.entry
    if layout.fmt == "xlsx":
        with entry.seekable() as stream, Workbook(stream) as book:
            yield from book.rows(layout.sheet_part)
        return
    with entry.open() as stream:
        yield from text_records(layout, stream)


def _lines(layout: Layout, tally: Tally) -> Iterator[Record]:
    """Every row after the header, with its line (or sheet row) number; a line the text could not
    give as a row is counted read and rejected here, a notice about the file listed."""
    header = layout.header_line
    if layout.fmt != "xlsx" and not layout.quoted:  # the PTP parts as CMS writes them: the fast way
        delimiter = layout.delimiter
        with layout.entry.open() as stream:
            for number, text, trouble in physical_lines(stream, layout.encoding, layout.newline):
                if number <= header:
                    continue
                tally.records += 1
                if trouble is None:
                    yield number, text.split(delimiter)
                else:
                    tally.read += 1
                    tally.reject(number, trouble, "line-too-long" if trouble == TOO_LONG_NOTE else "bad-row")
        return
    for item in _source(layout):
        if isinstance(item, Note):
            if item.line <= header:
                continue
            if item.row:
                tally.records += 1
                tally.read += 1
                tally.reject(item.line, item.message, item.code)
            else:
                tally.note(item.line, item.message, item.code)
            continue
        if item[0] > header:
            tally.records += 1
            yield item


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def parse_ptp(layout: Layout, tally: Tally) -> Iterator[Row]:
    """PTP rows: (column1, column2, effective, deletion or None, modifier, pre-1996 0/1, rationale,
    line).

    Seven cells: the two codes (five characters, digits and capitals), ``*`` or blank for an edit
    older than 1996, the effective date ``YYYYMMDD``, the deletion date ``YYYYMMDD`` or ``*``, the
    modifier indicator 0, 1 or 9, and the rationale. The lines right after the header whose first
    two cells are empty continue the header (the legends under "Modifier" and "Deletion Date").
    Dates a spreadsheet rewrote are read as :class:`Dates` says.
    """
    columns = layout.columns
    c1, c2 = columns["column1"], columns["column2"]
    pre, eff, dele, mod, rat = (
        columns["pre_1996"],
        columns["effective"],
        columns["deletion"],
        columns["modifier"],
        columns["rationale"],
    )
    width = max(columns.values()) + 1
    fmt = layout.fmt
    what = f"{DELIMITER_NAMES[layout.delimiter]}-separated columns" if layout.delimiter else "columns"
    check = Checks()
    code_of = check.code
    dates = Dates(yyyymmdd, lambda: survey(layout, (eff, dele)))
    indicators = {"0": 0, "1": 1, "9": 9}
    in_header = True
    for line, cells in _lines(layout, tally):
        if in_header:
            if len(cells) > 1 and not cells[0].strip() and not cells[1].strip():
                tally.continuation += 1
                continue
            in_header = False
        if _blank(cells):
            tally.blank += 1
            continue
        tally.read += 1
        if len(cells) != width:
            if len(cells) > width and not any(c.strip() for c in cells[width:]):
                cells = cells[:width]
            elif fmt == "xlsx" and len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            else:
                tally.reject(line, f"expected {width} {what}, found {len(cells)}")
                continue
        first, second = code_of(cells[c1].strip()), code_of(cells[c2].strip())
        if first is None:
            tally.reject(line, f"column 1 code {cells[c1].strip()!r} is not a code (five digits or capital letters)")
            continue
        if second is None:
            tally.reject(line, f"column 2 code {cells[c2].strip()!r} is not a code (five digits or capital letters)")
            continue
        old = cells[pre].strip()
        if old not in ("", "*"):
            tally.reject(line, f"the 'in existence prior to 1996' cell holds {old!r}, not '*' or nothing")
            continue
        raw_start = cells[eff].strip()
        start = dates.read(raw_start)
        if isinstance(start, str):
            tally.reject(line, f"effective date {raw_start!r} is not a date (YYYYMMDD, {DATE_FORMS}){_why(start)}")
            continue
        raw_end = cells[dele].strip()
        end: int | str | None = None
        if raw_end != "*":
            end = dates.read(raw_end)
            if isinstance(end, str):
                tally.reject(
                    line, f"deletion date {raw_end!r} is neither '*' nor a date (YYYYMMDD, {DATE_FORMS}){_why(end)}"
                )
                continue
        indicator = indicators.get(cells[mod].strip())
        if indicator is None:
            tally.reject(line, f"modifier indicator {cells[mod].strip()!r} is not 0, 1 or 9")
            continue
        tally.loaded += 1
        yield (first, second, start, end, indicator, 1 if old else 0, check.text(cells[rat].strip()), line)


def _why(reason: str) -> str:
    return f": {reason}" if reason else ""


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def parse_mue(layout: Layout, tally: Tally) -> Iterator[Row]:
    """MUE rows: (code, value, indicator, rationale, line).

    A code, a whole number of units (0 or more), the adjudication indicator as the file writes it
    (``2 Date of Service Edit: Policy``: its leading digit, 1, 2 or 3, is kept) and the rationale.
    A code given twice keeps its first row (the second is rejected, with the line of the first: a
    warning when the two agree, an error when their values or indicators differ, since which one CMS
    meant cannot be told and the table then verifies no claim).
    """
    columns = layout.columns
    code_at, value_at, mai_at = columns["code"], columns["value"], columns["indicator"]
    rationale_at = columns.get("rationale")
    check = Checks()
    first_line: dict[str, tuple[int, int, int]] = {}
    for line, cells in _lines(layout, tally):
        if _blank(cells):
            tally.blank += 1
            continue
        tally.read += 1
        code = check.code(_cell(cells, code_at))
        if code is None:
            tally.reject(line, f"code {_cell(cells, code_at)!r} is not a code (five digits or capital letters)")
            continue
        value = _cell(cells, value_at)
        if not _UNITS.fullmatch(value):
            tally.reject(line, f"MUE value {value[:40]!r} is not a whole number of units")
            continue
        mai = _cell(cells, mai_at)
        if not mai or mai[0] not in "123" or (len(mai) > 1 and mai[1].isalnum()):
            tally.reject(line, f"adjudication indicator {mai[:40]!r} does not start with 1, 2 or 3")
            continue
        if code in first_line:
            kept, kept_value, kept_mai = first_line[code]
            if (kept_value, kept_mai) == (int(value), int(mai[0])):
                tally.reject(
                    line, f"code {code} is already on line {kept}; the first row is kept", "duplicate-row", "warning"
                )
            else:  # which of the two is CMS's cannot be told: the table checks no claim with either
                tally.reject(
                    line,
                    f"code {code} is already on line {kept} with another MUE ({kept_value}, indicator {kept_mai}; "
                    f"here {int(value)}, indicator {mai[0]}): which is right cannot be told, so this table verifies "
                    "no claim",
                    "conflicting-row",
                )
            continue
        first_line[code] = (line, int(value), int(mai[0]))
        tally.loaded += 1
        yield (code, int(value), int(mai[0]), check.text(_cell(cells, rationale_at)), line)


CONTRACTOR = "CCCCC"
"""The AOC table's primary code for "contractor defined primary codes" (type 2)."""
AOC_DATES = ("effective", "deleted", "addon_deleted", "primary_deleted")


def parse_aoc(layout: Layout, tally: Tally) -> Iterator[Row]:
    """AOC rows: (add-on, primary or None, type, effective, deletion or None, add-on deletion or
    None, primary deletion or None, notes, line).

    The edit type 1, 2 or 3; the add-on code; the primary code, or ``CCCCC`` (contractor-defined
    primaries: kept as None); dates in Julian ``YYYYDDD`` (``2026001`` is 1 January 2026), or as a
    spreadsheet rewrote them (:class:`Dates`): the pair's effective date (required) and deletion
    date, and the codes' own deletion dates (blank when none; an all-nines date is read as none).
    """
    columns = layout.columns
    check = Checks()
    indices = [columns[k] for k in AOC_DATES if k in columns]
    dates = Dates(yyyyddd, lambda: survey(layout, indices))

    def julian(cells: list[str], key: str, what: str) -> int | None:
        raw = _cell(cells, columns.get(key))
        if not raw or set(raw) == {"9"}:
            return None
        value = dates.read(raw)
        if isinstance(value, str):
            raise BadCell(f"{what} {raw[:40]!r} is not a date (Julian YYYYDDD, {DATE_FORMS}){_why(value)}")
        return value

    for line, cells in _lines(layout, tally):
        if _blank(cells):
            tally.blank += 1
            continue
        tally.read += 1
        try:
            kind = _cell(cells, columns["type"])
            if kind not in ("1", "2", "3"):
                raise BadCell(f"AOC edit type {kind[:40]!r} is not 1, 2 or 3")
            addon = check.code(_cell(cells, columns["addon"]))
            if addon is None:
                raw_addon = _cell(cells, columns["addon"])[:40]
                raise BadCell(f"add-on code {raw_addon!r} is not a code (five digits or capital letters)")
            raw_primary = _cell(cells, columns["primary"])
            primary = None if raw_primary == CONTRACTOR else check.code(raw_primary)
            if primary is None and raw_primary != CONTRACTOR:
                raise BadCell(f"primary code {raw_primary[:40]!r} is neither a code nor {CONTRACTOR}")
            effective = julian(cells, "effective", "edit effective date")
            if effective is None:
                raise BadCell("the edit has no effective date")
            deleted = julian(cells, "deleted", "edit deletion date")
            addon_deleted = julian(cells, "addon_deleted", "add-on deletion date")
            primary_deleted = julian(cells, "primary_deleted", "primary deletion date")
        except BadCell as bad:
            tally.reject(line, str(bad))
            continue
        tally.loaded += 1
        yield (
            addon,
            primary,
            int(kind),
            effective,
            deleted,
            addon_deleted,
            primary_deleted,
            check.text(_cell(cells, columns.get("notes"))),
            line,
        )


RVU_FLOATS = (
    "work_rvu",
    "nonfacility_pe_rvu",
    "facility_pe_rvu",
    "mp_rvu",
    "nonfacility_total",
    "facility_total",
    "conversion_factor",
)
RVU_DIGITS = ("pctc", "multiple_procedure", "bilateral", "assistant", "co_surgeon", "team_surgeon")


def parse_rvu(layout: Layout, tally: Tally) -> Iterator[Row]:
    """PPRRVU rows: (code, modifier, status, global days or None, PC/TC, multiple procedure,
    bilateral, assistant, co-surgeon, team surgeon indicators (None when blank), work, non-facility
    PE, facility PE and malpractice RVUs, non-facility and facility totals, conversion factor (None
    when blank or absent), licensed short descriptor or None, line).

    A code; a modifier of two characters or none; a status code (one capital letter); global days
    000, 010, 090, MMM, XXX, YYY or ZZZ (or blank; ``10`` is 010, as a spreadsheet writes it);
    indicators a single digit (bilateral 0-3 or 9); RVUs and the conversion factor decimal numbers,
    read as :func:`number` says. A code and modifier given twice keep the first.
    """
    columns = layout.columns
    check = Checks()
    seen: dict[tuple[str, str], int] = {}
    for line, cells in _lines(layout, tally):
        if _blank(cells):
            tally.blank += 1
            continue
        tally.read += 1
        try:
            row = _rvu_row(cells, columns, check, layout.delimiter)
        except BadCell as bad:
            tally.reject(line, str(bad))
            continue
        key = (row[0], row[1])
        if key in seen:
            tally.reject(
                line,
                f"code {key[0]} with modifier {key[1] or '(none)'} is already on line {seen[key]}; the first is kept",
                "duplicate-row",
                "warning",
            )
            continue
        seen[key] = line
        tally.loaded += 1
        yield (*row, line)


def _rvu_row(cells: list[str], columns: dict[str, int], check: Checks, delimiter: str) -> Row:
    code = check.code(_cell(cells, columns["code"]))
    if code is None:
        raise BadCell(
            f"HCPCS code {_cell(cells, columns['code'])[:40]!r} is not a code (five digits or capital letters)"
        )
    modifier = _cell(cells, columns["modifier"]).upper()
    if modifier and not _MODIFIER.fullmatch(modifier):
        raise BadCell(f"modifier {modifier[:40]!r} is not two digits or capital letters")
    status = _cell(cells, columns["status"])
    if not _STATUS.fullmatch(status):
        raise BadCell(f"status code {status[:40]!r} is not one capital letter")
    days = _cell(cells, columns["global_days"]).upper()
    if _DIGIT_DAYS.fullmatch(days):
        days = days.zfill(3)  # a spreadsheet writes 010 as 10
    if days and days not in GLOBAL_DAYS:
        raise BadCell(f"global days {days[:40]!r} is not one of {', '.join(sorted(GLOBAL_DAYS))}")
    digits: list[int | None] = []
    for key in RVU_DIGITS:
        raw = _cell(cells, columns.get(key))
        if not raw:
            digits.append(None)
            continue
        if not _DIGIT.fullmatch(raw) or (key == "bilateral" and int(raw) not in BILATERAL_INDICATORS):
            allowed = "0, 1, 2, 3 or 9" if key == "bilateral" else "a single digit"
            raise BadCell(f"{key.replace('_', ' ')} indicator {raw[:40]!r} is not {allowed}")
        digits.append(int(raw))
    numbers: list[float | None] = []
    for key in RVU_FLOATS:
        raw = _cell(cells, columns.get(key))
        if not raw:
            numbers.append(None)
            continue
        try:
            numbers.append(number(raw, delimiter))
        except BadCell as bad:
            raise BadCell(f"{key.replace('_', ' ')}: {bad}") from None
    descriptor = _cell(cells, columns.get("description"))
    return (code, modifier, status, days or None, *digits, *numbers, check.text(descriptor) if descriptor else None)


_DIGIT_DAYS = re.compile(r"[0-9]{1,2}")

PARSERS: dict[str, Callable[[Layout, Tally], Iterator[Row]]] = {
    "ptp": parse_ptp,
    "mue": parse_mue,
    "aoc": parse_aoc,
    "rvu": parse_rvu,
}


def survey(layout: Layout, indices: Sequence[int]) -> tuple[Evidence, Evidence]:
    """The first date of the file's date columns that shows day first, and the first that shows
    month first (a second read of the file, for :class:`Dates`)."""
    day_first: Evidence = None
    month_first: Evidence = None
    for line, cells in _lines(layout, Tally(layout)):
        for index in indices:
            value = cells[index].strip() if index < len(cells) else ""
            match = SLASHED.fullmatch(value)
            if not match:
                continue
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second and day_first is None:
                day_first = (line, value)
            elif second > 12 >= first and month_first is None:
                month_first = (line, value)
        if day_first and month_first:
            break
    return day_first, month_first
