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

import csv
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import IO, Any

from .models import CmsProblem, problem
from .recognize import Layout
from .xlsx import iter_rows

PROBLEM_CAP = 200
"""Bad rows listed one by one per file; past that they are counted in one closing problem."""

_CODE = re.compile(r"[0-9A-Z]{5}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
GLOBAL_DAYS = frozenset({"000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"})
BILATERAL = frozenset({0, 1, 2, 3, 9})

Row = tuple[Any, ...]


class Tally:
    """The counts of one file's rows and the problems of its bad ones."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.read = 0
        self.loaded = 0
        self.rejected = 0
        self.problems: list[CmsProblem] = []
        self._unlisted = 0

    def reject(self, line: int, message: str, code: str = "bad-row", severity: str = "error") -> None:
        self.rejected += 1
        if len(self.problems) < PROBLEM_CAP:
            entry = self.layout.entry
            self.problems.append(problem(entry.file, message, code, member=entry.member, line=line, severity=severity))
        else:
            self._unlisted += 1

    def close(self) -> None:
        entry = self.layout.entry
        if self._unlisted:
            self.problems.append(
                problem(
                    entry.file,
                    f"{self._unlisted:,} more bad rows, not listed one by one",
                    "bad-row",
                    member=entry.member,
                )
            )
            self._unlisted = 0


class Checks:
    """Memoised checks of the values a table repeats (codes, dates, texts)."""

    def __init__(self) -> None:
        self.codes: dict[str, bool] = {}
        self.dates: dict[str, int] = {}
        self.julian: dict[str, int] = {}
        self.texts: dict[str, str] = {}

    def code(self, value: str) -> bool:
        ok = self.codes.get(value)
        if ok is None:
            ok = self.codes[value] = _CODE.fullmatch(value) is not None
        return ok

    def ymd(self, value: str) -> int:
        """``20260101`` -> 20260101; -1 when it is not a real date."""
        found = self.dates.get(value)
        if found is None:
            found = -1
            if len(value) == 8 and value.isdigit():
                try:
                    date(int(value[:4]), int(value[4:6]), int(value[6:]))
                    found = int(value)
                except ValueError:
                    pass
            self.dates[value] = found
        return found

    def yyyyddd(self, value: str) -> int:
        """Julian ``2026001`` -> 20260101; -1 when it is not a real day."""
        found = self.julian.get(value)
        if found is None:
            found = -1
            if len(value) == 7 and value.isdigit():
                year, day = int(value[:4]), int(value[4:])
                try:
                    first = date(year, 1, 1)
                    real = first + timedelta(days=day - 1)
                    if day >= 1 and real.year == year:
                        found = real.year * 10_000 + real.month * 100 + real.day
                except (ValueError, OverflowError):
                    pass
            self.julian[value] = found
        return found

    def text(self, value: str) -> str:
        """The same text object for equal texts (a table repeats a few rationales a million times)."""
        return self.texts.setdefault(value, value)


def _lines(layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """Every row after the header, with its line (or sheet row) number."""
    entry = layout.entry
    if layout.fmt == "xlsx":
        with entry.seekable() as stream:
            for number, cells in iter_rows(stream):
                if number > layout.header_line:
                    yield number, cells
        return
    with entry.open() as stream:
        if layout.fmt == "csv":
            reader = csv.reader(text_lines(stream))
            start = 1
            for cells in reader:
                if start > layout.header_line:
                    yield start, cells
                start = reader.line_num + 1
            return
        for number, line in enumerate(text_lines(stream), 1):
            if number > layout.header_line:
                yield number, line.rstrip("\r\n").split("\t")


CHUNK = 1 << 20


def decode_line(raw: bytes) -> str:
    """One line's text: UTF-8 when it is valid, else Windows-1252, else Latin-1 (the PTP parts are
    Latin-1; a line of plain ASCII reads the same in all three)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def text_lines(stream: IO[bytes]) -> Iterator[str]:
    """The lines of a binary stream as text, with their line ends, a megabyte read at a time (a
    part of a million rows is never held whole)."""
    rest = b""
    first = True
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        if first and lines:
            lines[0] = lines[0].removeprefix(b"\xef\xbb\xbf")
            first = False
        for raw in lines:
            yield decode_line(raw) + "\n"
    if rest:
        yield decode_line(rest.removeprefix(b"\xef\xbb\xbf") if first else rest)


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _sheet_code(value: str, fmt: str) -> str:
    """A code as a cell holds it; a sheet may have stored ``00100`` as the number 100."""
    value = value.strip()
    if fmt == "xlsx" and value.isdigit() and len(value) < 5:
        return value.zfill(5)
    return value


def parse_ptp(layout: Layout, tally: Tally) -> Iterator[Row]:
    """PTP rows: (column1, column2, effective, deletion or None, modifier, pre-1996 0/1, rationale,
    line).

    Seven cells: the two codes (five characters, digits and capitals), ``*`` or blank for an edit
    older than 1996, the effective date ``YYYYMMDD``, the deletion date ``YYYYMMDD`` or ``*``, the
    modifier indicator 0, 1 or 9, and the rationale. The lines right after the header whose first
    two cells are empty continue the header (the legends under "Modifier" and "Deletion Date").
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
    check = Checks()
    indicators = {"0": 0, "1": 1, "9": 9}
    in_header = True
    for line, cells in _lines(layout):
        if in_header:
            if len(cells) > 1 and not cells[0].strip() and not cells[1].strip():
                continue
            in_header = False
        if len(cells) != width:
            if len(cells) > width and not any(c.strip() for c in cells[width:]):
                cells = cells[:width]
            elif fmt == "xlsx" and len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            elif _blank(cells):
                continue
            else:
                tally.read += 1
                tally.reject(line, f"expected {width} tab-separated columns, found {len(cells)}")
                continue
        elif _blank(cells):
            continue
        tally.read += 1
        first, second = _sheet_code(cells[c1], fmt), _sheet_code(cells[c2], fmt)
        if not check.code(first):
            tally.reject(line, f"column 1 code {first!r} is not a code (five digits or capital letters)")
            continue
        if not check.code(second):
            tally.reject(line, f"column 2 code {second!r} is not a code (five digits or capital letters)")
            continue
        old = cells[pre].strip()
        if old not in ("", "*"):
            tally.reject(line, f"the 'in existence prior to 1996' cell holds {old!r}, not '*' or nothing")
            continue
        start = check.ymd(cells[eff].strip())
        if start < 0:
            tally.reject(line, f"effective date {cells[eff].strip()!r} is not a date (YYYYMMDD)")
            continue
        raw_end = cells[dele].strip()
        end: int | None = None
        if raw_end != "*":
            end = check.ymd(raw_end)
            if end < 0:
                tally.reject(line, f"deletion date {raw_end!r} is neither a date (YYYYMMDD) nor '*'")
                continue
        indicator = indicators.get(cells[mod].strip())
        if indicator is None:
            tally.reject(line, f"modifier indicator {cells[mod].strip()!r} is not 0, 1 or 9")
            continue
        tally.loaded += 1
        yield (first, second, start, end, indicator, 1 if old else 0, check.text(cells[rat].strip()), line)


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def parse_mue(layout: Layout, tally: Tally) -> Iterator[Row]:
    """MUE rows: (code, value, indicator, rationale, line).

    A code, a whole number of units (0 or more), the adjudication indicator as the file writes it
    (``2 Date of Service Edit: Policy``: its leading digit, 1, 2 or 3, is kept) and the rationale.
    A code given twice keeps its first row (the second is rejected, with the line of the first).
    """
    columns = layout.columns
    code_at, value_at, mai_at = columns["code"], columns["value"], columns["indicator"]
    rationale_at = columns.get("rationale")
    check = Checks()
    first_line: dict[str, int] = {}
    for line, cells in _lines(layout):
        if _blank(cells):
            continue
        tally.read += 1
        code = _sheet_code(_cell(cells, code_at), layout.fmt)
        if not check.code(code):
            tally.reject(line, f"code {code!r} is not a code (five digits or capital letters)")
            continue
        value = _cell(cells, value_at)
        if not value.isdigit():
            tally.reject(line, f"MUE value {value!r} is not a whole number of units")
            continue
        mai = _cell(cells, mai_at)
        if not mai or mai[0] not in "123" or (len(mai) > 1 and mai[1].isalnum()):
            tally.reject(line, f"adjudication indicator {mai!r} does not start with 1, 2 or 3")
            continue
        if code in first_line:
            tally.reject(
                line,
                f"code {code} is already on line {first_line[code]}; the first row is kept",
                "duplicate-row",
                "warning",
            )
            continue
        first_line[code] = line
        tally.loaded += 1
        yield (code, int(value), int(mai[0]), check.text(_cell(cells, rationale_at)), line)


CONTRACTOR = "CCCCC"
"""The AOC table's primary code for "contractor defined primary codes" (type 2)."""


def parse_aoc(layout: Layout, tally: Tally) -> Iterator[Row]:
    """AOC rows: (add-on, primary or None, type, effective, deletion or None, add-on deletion or
    None, primary deletion or None, notes, line).

    The edit type 1, 2 or 3; the add-on code; the primary code, or ``CCCCC`` (contractor-defined
    primaries: kept as None); dates in Julian ``YYYYDDD`` (``2026001`` is 1 January 2026): the
    pair's effective date (required) and deletion date, and the codes' own deletion dates (blank
    when none; an all-nines date is read as none).
    """
    columns = layout.columns
    check = Checks()
    fmt = layout.fmt

    def julian(cells: list[str], key: str, line: int, what: str) -> int | None:
        raw = _cell(cells, columns.get(key))
        if not raw or set(raw) == {"9"}:
            return None
        value = check.yyyyddd(raw)
        if value < 0:
            raise _Bad(f"{what} {raw!r} is not a Julian date (YYYYDDD)")
        return value

    for line, cells in _lines(layout):
        if _blank(cells):
            continue
        tally.read += 1
        try:
            kind = _cell(cells, columns["type"])
            if kind not in ("1", "2", "3"):
                raise _Bad(f"AOC edit type {kind!r} is not 1, 2 or 3")
            addon = _sheet_code(_cell(cells, columns["addon"]), fmt)
            if not check.code(addon):
                raise _Bad(f"add-on code {addon!r} is not a code (five digits or capital letters)")
            raw_primary = _sheet_code(_cell(cells, columns["primary"]), fmt)
            if raw_primary != CONTRACTOR and not check.code(raw_primary):
                raise _Bad(f"primary code {raw_primary!r} is neither a code nor {CONTRACTOR}")
            effective = julian(cells, "effective", line, "edit effective date")
            if effective is None:
                raise _Bad("the edit has no effective date")
            deleted = julian(cells, "deleted", line, "edit deletion date")
            addon_deleted = julian(cells, "addon_deleted", line, "add-on deletion date")
            primary_deleted = julian(cells, "primary_deleted", line, "primary deletion date")
        except _Bad as bad:
            tally.reject(line, str(bad))
            continue
        tally.loaded += 1
        yield (
            addon,
            None if raw_primary == CONTRACTOR else raw_primary,
            int(kind),
            effective,
            deleted,
            addon_deleted,
            primary_deleted,
            check.text(_cell(cells, columns.get("notes"))),
            line,
        )


class _Bad(ValueError):
    pass


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
    000, 010, 090, MMM, XXX, YYY or ZZZ (or blank); indicators a single digit (bilateral 0-3 or 9);
    RVUs and the conversion factor decimal numbers. A code and modifier given twice keep the first.
    """
    columns = layout.columns
    check = Checks()
    fmt = layout.fmt
    seen: dict[tuple[str, str], int] = {}
    for line, cells in _lines(layout):
        if _blank(cells):
            continue
        tally.read += 1
        try:
            row = _rvu_row(cells, columns, check, fmt)
        except _Bad as bad:
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


def _rvu_row(cells: list[str], columns: dict[str, int], check: Checks, fmt: str) -> Row:
    code = _sheet_code(_cell(cells, columns["code"]), fmt)
    if not check.code(code):
        raise _Bad(f"HCPCS code {code!r} is not a code (five digits or capital letters)")
    modifier = _cell(cells, columns["modifier"]).upper()
    if modifier and not _MODIFIER.fullmatch(modifier):
        raise _Bad(f"modifier {modifier!r} is not two digits or capital letters")
    status = _cell(cells, columns["status"])
    if len(status) != 1 or not status.isalpha() or not status.isupper():
        raise _Bad(f"status code {status!r} is not one capital letter")
    days = _cell(cells, columns["global_days"]).upper()
    if days and days not in GLOBAL_DAYS:
        raise _Bad(f"global days {days!r} is not one of {', '.join(sorted(GLOBAL_DAYS))}")
    digits: list[int | None] = []
    for key in RVU_DIGITS:
        raw = _cell(cells, columns.get(key))
        if not raw:
            digits.append(None)
            continue
        if len(raw) != 1 or not raw.isdigit() or (key == "bilateral" and int(raw) not in BILATERAL):
            allowed = "0, 1, 2, 3 or 9" if key == "bilateral" else "a single digit"
            raise _Bad(f"{key.replace('_', ' ')} indicator {raw!r} is not {allowed}")
        digits.append(int(raw))
    numbers: list[float | None] = []
    for key in RVU_FLOATS:
        raw = _cell(cells, columns.get(key)).replace(",", "")
        if not raw:
            numbers.append(None)
            continue
        try:
            numbers.append(float(raw))
        except ValueError:
            raise _Bad(f"{key.replace('_', ' ')} {raw!r} is not a number") from None
    descriptor = _cell(cells, columns.get("description"))
    return (code, modifier, status, days or None, *digits, *numbers, check.text(descriptor) if descriptor else None)


PARSERS: dict[str, Callable[[Layout, Tally], Iterator[Row]]] = {
    "ptp": parse_ptp,
    "mue": parse_mue,
    "aoc": parse_aoc,
    "rvu": parse_rvu,
}
