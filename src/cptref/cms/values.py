"""The cells of a CMS table read as values: codes, dates, numbers; each bad one a counted, located problem.

Spreadsheets rewrite what they save: a date becomes MM/DD/YYYY or an Excel date number, a code of
digits loses its zeros, a decimal point becomes a comma. :class:`Dates` reads the date forms a
column shows (one order a file), :func:`number` the numbers as the file's delimiter allows, and
:class:`Tally` counts the rows read, loaded and rejected, keeping at most :data:`PROBLEM_CAP`
problems of each kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from .models import CmsProblem, problem
from .recognize import Layout

PROBLEM_CAP = 200
"""Problems listed one by one per file; past that they are counted in one closing problem each for
the errors and the warnings."""
_CODE = re.compile(r"[0-9A-Z]{5}")
_SHORT_CODE = re.compile(r"[0-9]{1,4}")
_YMD = re.compile(r"[0-9]{8}")
_JULIAN = re.compile(r"[0-9]{7}")
GLOBAL_DAYS = frozenset({"000", "010", "090", "MMM", "XXX", "YYY", "ZZZ"})
BILATERAL_INDICATORS = frozenset({0, 1, 2, 3, 9})


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
SLASHED = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?: (?:0?0:00(?::00)?|12:00(?::00)? ?[AaPp][Mm]))?")
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
        match = SLASHED.fullmatch(value)
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
    :class:`BadCell`.

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
        raise BadCell(f"{value[:NUMBER_CHARS]!r}... is longer than a number")
    if _PLAIN.fullmatch(value):
        if delimiter in (";", "\t") and _DOT_THOUSAND.fullmatch(value):
            raise BadCell(f"{value!r} could be a decimal or grouped thousands: not read")
        return float(value)
    if _ONE_COMMA.fullmatch(value):
        thousands = _COMMA_THOUSAND.fullmatch(value) is not None
        if delimiter == ",":
            if thousands:
                return float(value.replace(",", ""))
            raise BadCell(f"{value!r} is not a number (in a comma-delimited file a comma groups thousands)")
        if thousands and delimiter != ";":
            raise BadCell(f"{value!r} could be a decimal or grouped thousands: not read")
        return float(value.replace(",", "."))
    if _GROUPED.fullmatch(value) and ("." in value or delimiter != ";"):
        return float(value.replace(",", ""))
    if _DOTTED.fullmatch(value):
        return float(value.replace(".", "").replace(",", "."))
    raise BadCell(f"{value!r} is not a number")


class BadCell(ValueError):
    pass
