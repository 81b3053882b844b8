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
from datetime import date, timedelta
from typing import Any

from .models import CmsProblem, problem
from .recognize import DELIMITER_NAMES, TOO_LONG, Layout, Note, Record, physical_lines, text_records
from .xlsx import Workbook

PROBLEM_CAP = 200
"""Problems listed one by one per file; past that they are counted in one closing problem each for
the errors and the warnings."""

_CODE = re.compile(r"[0-9A-Z]{5}")
_SHORT_CODE = re.compile(r"[0-9]{1,4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_STATUS = re.compile(r"[A-Z]")
_DIGIT = re.compile(r"[0-9]")
_UNITS = re.compile(r"[0-9]{1,9}")
_YMD = re.compile(r"[0-9]{8}")
_JULIAN = re.compile(r"[0-9]{7}")
GLOBAL_DAYS = frozenset({"000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"})
BILATERAL = frozenset({0, 1, 2, 3, 9})

Row = tuple[Any, ...]


class Tally:
    """The counts of one file's rows and the problems met reading it.

    Every record after the header is counted once, as blank, as a line continuing the header, or as
    read; every row read is loaded or rejected. :meth:`mismatch` says when the counts do not add up
    (a record lost on the way), which :mod:`cptref.cms.compile` reports as an error.
    """

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.records = 0
        """Records (lines, sheet rows) after the header that the file gave."""
        self.blank = 0
        self.continuation = 0
        """Lines right after a PTP header that continue it (its legends)."""
        self.read = 0
        self.loaded = 0
        self.rejected = 0
        self.problems: list[CmsProblem] = []
        self._unlisted = {"error": 0, "warning": 0}

    def reject(self, line: int, message: str, code: str = "bad-row", severity: str = "error") -> None:
        self.rejected += 1
        self._add(line, message, code, severity)

    def note(self, line: int, message: str, code: str, severity: str = "warning") -> None:
        """A problem that is no row: a notice about the file (a stray quote read around)."""
        self._add(line, message, code, severity)

    def _add(self, line: int, message: str, code: str, severity: str) -> None:
        if len(self.problems) < PROBLEM_CAP:
            entry = self.layout.entry
            self.problems.append(problem(entry.file, message, code, member=entry.member, line=line, severity=severity))
        else:
            self._unlisted[severity if severity in self._unlisted else "error"] += 1

    def close(self) -> None:
        entry = self.layout.entry
        for severity, what in (("error", "bad rows"), ("warning", "warnings")):
            count = self._unlisted[severity]
            if count:
                self.problems.append(
                    problem(
                        entry.file,
                        f"{count:,} more {what}, not listed one by one",
                        "bad-row" if severity == "error" else "more-warnings",
                        member=entry.member,
                        severity=severity,
                    )
                )
            self._unlisted[severity] = 0

    def mismatch(self, stored: int | None = None) -> str | None:
        """What does not add up, or None: records = blank + header lines + read, read = loaded +
        rejected, and (when given) the rows stored = loaded."""
        wrong = []
        if self.records != self.blank + self.continuation + self.read:
            wrong.append(
                f"{self.records:,} records after the header, but {self.blank:,} blank + "
                f"{self.continuation:,} header lines + {self.read:,} read"
            )
        if self.read != self.loaded + self.rejected:
            wrong.append(f"{self.read:,} rows read, but {self.loaded:,} loaded + {self.rejected:,} rejected")
        if stored is not None and stored != self.loaded:
            wrong.append(f"{self.loaded:,} rows loaded, but {stored:,} stored")
        return "; ".join(wrong) or None


class Checks:
    """Memoised checks of the values a table repeats (codes, texts)."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.texts: dict[str, str] = {}

    def code(self, value: str) -> str | None:
        """The code a cell holds, or None: five digits or capital letters (ASCII); one to four digits
        are a code a spreadsheet turned into a number (``100`` for ``00100``) and get their zeros back."""
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = (
                value if _CODE.fullmatch(value) else value.zfill(5) if _SHORT_CODE.fullmatch(value) else ""
            )
        return found or None

    def text(self, value: str) -> str:
        """The same text object for equal texts (a table repeats a few rationales a million times)."""
        return self.texts.setdefault(value, value)


def yyyymmdd(value: str) -> int:
    """``20260101`` -> 20260101; -1 when it is not a real date."""
    if _YMD.fullmatch(value):
        return _real(int(value[:4]), int(value[4:6]), int(value[6:]))
    return -1


def yyyyddd(value: str) -> int:
    """Julian ``2026001`` -> 20260101; -1 when it is not a real day."""
    if _JULIAN.fullmatch(value):
        year, day = int(value[:4]), int(value[4:])
        if year >= 1 and 1 <= day <= 366:
            real = date(year, 1, 1) + timedelta(days=day - 1)
            if real.year == year:
                return real.year * 10_000 + real.month * 100 + real.day
    return -1


def _real(year: int, month: int, day: int) -> int:
    try:
        date(year, month, day)
    except ValueError:
        return -1
    return year * 10_000 + month * 100 + day


EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's date numbers (the 1900 system, past its phantom 29 February 1900)."""
_SERIAL = re.compile(r"([0-9]{5})(?:\.[0-9]{1,15})?")
_ISO = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:[T ]00:00(?::00(?:\.0{1,6})?)?)?")
_SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: (?:0?0:00(?::00)?|12:00(?::00)? ?[AaPp][Mm]))?")
DATE_FORMS = "or as a spreadsheet rewrites one: YYYY-MM-DD, MM/DD/YYYY, an Excel date number"

Evidence = tuple[int, str] | None
"""(line, cell) of the first date of a file that shows its order, or None."""


class Dates:
    """The dates of one file's date columns, read as the table writes them (``native``: PTP
    ``YYYYMMDD``, AOC Julian ``YYYYDDD``) or as a spreadsheet may have rewritten them: an Excel date
    number (five digits, ``46113`` is 1 April 2026), ``YYYY-MM-DD`` or ``YYYY/MM/DD`` (a midnight time
    after it allowed), ``MM/DD/YYYY``.

    The order of a slashed date is never guessed. A date whose first number is over 12 is day first
    (``13/04/2026``), one whose second is, month first; both are read so. A date that could be either
    (``03/04/2026``) is read in the order the file's other dates show: ``survey`` reads the file's
    date columns for a date that shows one (once, and only when such a date is met). A file that
    shows day first reads it day first; one that shows no order is read month first, the US order
    that US exports (and the CMS tables) write; one that shows both cannot be read: each such date is
    a bad row.
    """

    def __init__(self, native: Callable[[str], int], survey: Callable[[], tuple[Evidence, Evidence]]) -> None:
        self._native = native
        self._survey = survey
        self._seen: dict[str, int | str] = {}
        self.order: str | None = None
        self.evidence: tuple[Evidence, Evidence] = (None, None)

    def read(self, value: str) -> int | str:
        """``YYYYMMDD`` as an integer, or why the value is not a date (``""``: not a date form)."""
        found = self._seen.get(value)
        if found is None:
            found = self._seen[value] = self._read(value)
        return found

    def _read(self, value: str) -> int | str:
        native = self._native(value)
        if native >= 0:
            return native
        match = _SERIAL.fullmatch(value)
        if match:
            serial = EXCEL_EPOCH + timedelta(days=int(match.group(1)))
            return serial.year * 10_000 + serial.month * 100 + serial.day
        match = _ISO.fullmatch(value)
        if match:
            found = _real(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            return found if found >= 0 else "not a real day"
        match = _SLASHED.fullmatch(value)
        if not match:
            return ""
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if first > 12 and second > 12:
            return "neither of its first two numbers is a month"
        if first > 12:
            month, day = second, first
        elif second > 12 or first == second:
            month, day = first, second
        else:
            order = self._order()
            if order == "mixed":
                day_first, month_first = self.evidence
                assert day_first is not None and month_first is not None
                return (
                    "could be day or month first, and this file writes dates both ways "
                    f"({day_first[1]!r} on line {day_first[0]} is day first, {month_first[1]!r} on line "
                    f"{month_first[0]} month first)"
                )
            month, day = (second, first) if order == "dmy" else (first, second)
        found = _real(year, month, day)
        return found if found >= 0 else "not a real day"

    def _order(self) -> str:
        if self.order is None:
            self.evidence = self._survey()
            day_first, month_first = self.evidence
            self.order = "mixed" if day_first and month_first else "dmy" if day_first else "mdy"
        return self.order


def survey(layout: Layout, indices: Sequence[int]) -> tuple[Evidence, Evidence]:
    """The first date of the file's date columns that shows day first, and the first that shows
    month first (a second read of the file, for :class:`Dates`)."""
    day_first: Evidence = None
    month_first: Evidence = None
    for line, cells in _lines(layout, Tally(layout)):
        for index in indices:
            value = cells[index].strip() if index < len(cells) else ""
            match = _SLASHED.fullmatch(value)
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
                    tally.reject(number, trouble, "line-too-long" if trouble == TOO_LONG else "bad-row")
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


NUMBER_CHARS = 32
"""A number's characters, at most (an RVU is ``12.34``; a conversion factor ``33.4009``)."""
_PLAIN = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_ONE_COMMA = re.compile(r"-?[0-9]+,[0-9]+")
_DOT_THOUSAND = re.compile(r"-?[1-9][0-9]{0,2}\.[0-9]{3}")
_COMMA_THOUSAND = re.compile(r"-?[1-9][0-9]{0,2},[0-9]{3}")
_GROUPED = re.compile(r"-?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_DOTTED = re.compile(r"-?[1-9][0-9]{0,2}(?:\.[0-9]{3})+,[0-9]+")


def number(value: str, delimiter: str) -> float:
    """A decimal number as the file writes it (``delimiter``: the file's, ``""`` for a sheet), or
    :class:`_Bad`.

    A sheet's numbers and a comma-delimited file's use a decimal point; a semicolon-delimited file is
    what a European spreadsheet writes, with a decimal comma (``1,25`` is 1.25, never 125). What the
    separators themselves tell is read anywhere: ``1,234.50`` and ``1.234,50`` (thousands grouped,
    then decimals), ``1,25`` (a comma before two digits groups nothing). What could be either is
    read only where the delimiter tells, else it is not a number: ``1,234`` is 1234 in a
    comma-delimited file and 1.234 in a semicolon-delimited one; ``1.234`` is 1.234 but in a
    semicolon-delimited file (where a dot groups thousands) or tab-delimited text (which Excel
    writes in either convention).
    """
    if len(value) > NUMBER_CHARS:
        raise _Bad(f"{value[:NUMBER_CHARS]!r}... is longer than a number")
    if _PLAIN.fullmatch(value):
        if delimiter in (";", "\t") and _DOT_THOUSAND.fullmatch(value):
            raise _Bad(f"{value!r} could be a decimal or grouped thousands: not read")
        return float(value)
    if _ONE_COMMA.fullmatch(value):
        thousands = _COMMA_THOUSAND.fullmatch(value) is not None
        if delimiter == ",":
            if thousands:
                return float(value.replace(",", ""))
            raise _Bad(f"{value!r} is not a number (in a comma-delimited file a comma groups thousands)")
        if thousands and delimiter != ";":
            raise _Bad(f"{value!r} could be a decimal or grouped thousands: not read")
        return float(value.replace(",", "."))
    if _GROUPED.fullmatch(value) and ("." in value or delimiter != ";"):
        return float(value.replace(",", ""))
    if _DOTTED.fullmatch(value):
        return float(value.replace(".", "").replace(",", "."))
    raise _Bad(f"{value!r} is not a number")


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
    A code given twice keeps its first row (the second is rejected, with the line of the first).
    """
    columns = layout.columns
    code_at, value_at, mai_at = columns["code"], columns["value"], columns["indicator"]
    rationale_at = columns.get("rationale")
    check = Checks()
    first_line: dict[str, int] = {}
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
            raise _Bad(f"{what} {raw[:40]!r} is not a date (Julian YYYYDDD, {DATE_FORMS}){_why(value)}")
        return value

    for line, cells in _lines(layout, tally):
        if _blank(cells):
            tally.blank += 1
            continue
        tally.read += 1
        try:
            kind = _cell(cells, columns["type"])
            if kind not in ("1", "2", "3"):
                raise _Bad(f"AOC edit type {kind[:40]!r} is not 1, 2 or 3")
            addon = check.code(_cell(cells, columns["addon"]))
            if addon is None:
                raw_addon = _cell(cells, columns["addon"])[:40]
                raise _Bad(f"add-on code {raw_addon!r} is not a code (five digits or capital letters)")
            raw_primary = _cell(cells, columns["primary"])
            primary = None if raw_primary == CONTRACTOR else check.code(raw_primary)
            if primary is None and raw_primary != CONTRACTOR:
                raise _Bad(f"primary code {raw_primary[:40]!r} is neither a code nor {CONTRACTOR}")
            effective = julian(cells, "effective", "edit effective date")
            if effective is None:
                raise _Bad("the edit has no effective date")
            deleted = julian(cells, "deleted", "edit deletion date")
            addon_deleted = julian(cells, "addon_deleted", "add-on deletion date")
            primary_deleted = julian(cells, "primary_deleted", "primary deletion date")
        except _Bad as bad:
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


def _rvu_row(cells: list[str], columns: dict[str, int], check: Checks, delimiter: str) -> Row:
    code = check.code(_cell(cells, columns["code"]))
    if code is None:
        raise _Bad(f"HCPCS code {_cell(cells, columns['code'])[:40]!r} is not a code (five digits or capital letters)")
    modifier = _cell(cells, columns["modifier"]).upper()
    if modifier and not _MODIFIER.fullmatch(modifier):
        raise _Bad(f"modifier {modifier[:40]!r} is not two digits or capital letters")
    status = _cell(cells, columns["status"])
    if not _STATUS.fullmatch(status):
        raise _Bad(f"status code {status[:40]!r} is not one capital letter")
    days = _cell(cells, columns["global_days"]).upper()
    if _DIGIT_DAYS.fullmatch(days):
        days = days.zfill(3)  # a spreadsheet writes 010 as 10
    if days and days not in GLOBAL_DAYS:
        raise _Bad(f"global days {days[:40]!r} is not one of {', '.join(sorted(GLOBAL_DAYS))}")
    digits: list[int | None] = []
    for key in RVU_DIGITS:
        raw = _cell(cells, columns.get(key))
        if not raw:
            digits.append(None)
            continue
        if not _DIGIT.fullmatch(raw) or (key == "bilateral" and int(raw) not in BILATERAL):
            allowed = "0, 1, 2, 3 or 9" if key == "bilateral" else "a single digit"
            raise _Bad(f"{key.replace('_', ' ')} indicator {raw[:40]!r} is not {allowed}")
        digits.append(int(raw))
    numbers: list[float | None] = []
    for key in RVU_FLOATS:
        raw = _cell(cells, columns.get(key))
        if not raw:
            numbers.append(None)
            continue
        try:
            numbers.append(number(raw, delimiter))
        except _Bad as bad:
            raise _Bad(f"{key.replace('_', ' ')}: {bad}") from None
    descriptor = _cell(cells, columns.get("description"))
    return (code, modifier, status, days or None, *digits, *numbers, check.text(descriptor) if descriptor else None)


_DIGIT_DAYS = re.compile(r"[0-9]{1,2}")

PARSERS: dict[str, Callable[[Layout, Tally], Iterator[Row]]] = {
    "ptp": parse_ptp,
    "mue": parse_mue,
    "aoc": parse_aoc,
    "rvu": parse_rvu,
}
