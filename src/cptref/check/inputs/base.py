"""What a batch file's lines become, whatever its format, and what every reader shares.

Every line read is accounted for: a :class:`BatchClaim` (a claim to check), a :class:`BadLine` (a
line that cannot be read as a claim: reported, and the run goes on) or a :class:`SkippedLine` (a
header or a blank line, counted). A :class:`ClaimReader` turns lines into those items, in one pass
or a chunk of lines at a time in any process (:mod:`cptref.check.batch`); each format's reader is a
module of this package (:mod:`.csvfile`, :mod:`.jsonl`), chosen by :mod:`.registry`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from msgspec import Struct

from cptref.errors import CptrefError, ExitCode


class BatchClaim(Struct, frozen=True):
    """One claim of a batch: its id (as given; None when absent), its line, its claim lines (as
    written), its date of service (None: not given) and the setting whose CMS tables apply to it
    when the file says (an X12 837P: practitioner; an 837I: outpatient_hospital; None: ``--setting``)."""

    id: str | int | None
    line: int
    codes: tuple[str, ...]
    date: datetime.date | None = None
    setting: str | None = None


class BadLine(Struct, frozen=True):
    """A line of a batch that could not be read as a claim; it is reported, and the run goes on."""

    line: int
    message: str


class SkippedLine(Struct, frozen=True):
    """A line of a batch that holds no claim and is no error: a header, a blank line (counted)."""

    line: int
    why: Literal["header", "blank"]


Item = BatchClaim | BadLine | SkippedLine
"""What one line of a batch is."""

MAX_LINE = 1_000_000
"""Bytes a line of a batch may hold (a claim is a few dozen): a longer line is one bad line, read
in pieces of this size, so that a file without line breaks (``/dev/zero``) cannot exhaust memory."""
TOO_LONG_MESSAGE = f"the line is longer than {MAX_LINE} bytes"


class UnreadLine(bytes):
    """A line that stands for bytes cptref did not read (a line longer than :data:`MAX_LINE`, the rest
    of a compressed stream that is damaged): each reader reports it as a :class:`BadLine` with its
    :attr:`message`. Recognised by its class (no line read from a file is one), in any process: a chunk
    of lines sent to a worker keeps it (:meth:`__reduce__`)."""

    message: str

    def __new__(cls, message: str) -> UnreadLine:
        made = super().__new__(cls, b" \n")
        made.message = message
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnreadLine, (self.message,))


TOO_LONG = UnreadLine(TOO_LONG_MESSAGE)
"""Stands for a line longer than :data:`MAX_LINE`."""


class UnreadableBatch(CptrefError):
    """A batch file cptref does not read at all (a zip archive, zstd, UTF-16 without its byte order
    mark, a JSON document that is not JSON Lines): refused whole, before a claim is checked, with one
    line saying what the file is and how to convert it."""

    exit_code = ExitCode.MALFORMED_INPUT


def parse_date(text: str) -> datetime.date | None:
    """``YYYY-MM-DD`` as a date; None when it is not one."""
    try:
        return datetime.date.fromisoformat(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


def parse_claim_date(text: str) -> tuple[datetime.date | None, bool]:
    """A batch's date of service: ``YYYY-MM-DD``, the same with a time after it (a date a database or
    pandas exports as a timestamp: ``2026-12-31T00:00:00``, ``2026-12-31 14:30``; with a zone only at
    midnight UTC, which cannot move the day), ``YYYYMMDD`` (a year 1900-2099: never a month or a day
    first), or the US form of billing exports, ``MM/DD/YYYY`` (``M/D/YYYY`` too; never day first); the
    date (None: none of these) and whether it was written the US way."""
    text = text.strip()
    if "/" not in text:
        if len(text) > 10 and text[10:11] in ("T", " "):
            return _timestamp(text), False
        if len(text) == 8 and text.isascii() and text.isdigit() and text[:2] in ("19", "20"):
            try:
                return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:])), False
            except ValueError:
                return None, False
        return parse_date(text), False
    month, _, rest = text.partition("/")
    day, _, year = rest.partition("/")
    if not (1 <= len(month) <= 2 and 1 <= len(day) <= 2 and len(year) == 4):
        return None, True
    if not (month.isascii() and month.isdigit() and day.isascii() and day.isdigit() and year.isascii()):
        return None, True
    if not year.isdigit():
        return None, True
    try:
        return datetime.date(int(year), int(month), int(day)), True
    except ValueError:
        return None, True


_MIDNIGHT = frozenset(["00:00", "00:00:00"])


def _timestamp(text: str) -> datetime.date | None:
    """The date of ``YYYY-MM-DD`` followed by a time (``T`` or a space between): the day as written
    when no zone is given; with a zone, only midnight UTC (``Z``, ``+00:00``), else None."""
    day = parse_date(text[:10])
    clock = text[11:]
    if day is None or len(clock) > 40 or not clock[:2].isdigit():
        return None
    zone = ""
    for mark in ("Z", "+", "-"):
        at = clock.find(mark)
        if at >= 0:
            clock, zone = clock[:at], clock[at:]
            break
    try:
        datetime.time.fromisoformat(clock)
    except ValueError:
        return None
    if not zone:
        return day
    whole, _, fraction = clock.partition(".")
    midnight = whole in _MIDNIGHT and not fraction.strip("0")
    return day if midnight and zone in ("Z", "+00:00", "+0000", "-00:00") else None


def date_from_epoch_ms(value: int) -> datetime.date | None:
    """A date written as milliseconds since 1970 (pandas' ``to_json``), only at midnight UTC (what a
    date becomes) and in 1900-2199: in seconds such a number would be a year past 20000, so never
    misread; None otherwise."""
    days, rest = divmod(value, 86_400_000)
    if rest or not -25_567 <= days <= 83_600:
        return None
    return datetime.date(1970, 1, 1) + datetime.timedelta(days=days)


def date_hint(text: str) -> str:
    """What a date cptref does not read looks like, said after the message (or "")."""
    text = text.strip()
    number = text.removesuffix(".0")
    if number.isascii() and number.isdigit() and len(number) <= 6:
        return " (a number: an Excel date serial? format the column as a date, yyyy-mm-dd, before saving)"
    if text.count(".") == 2 or (
        text.count("/") == 2 and text.partition("/")[0].isdigit() and int(text.partition("/")[0] or 0) > 12
    ):
        return " (the day first? cptref reads MM/DD/YYYY only the US way: write YYYY-MM-DD)"
    return ""


CLAIM_DATE_FORMS = "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"
"""How a batch's dates may be written (said in the message of a date that is none of them)."""
MISSING = frozenset(["NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "NaT", "<NA>", "#N/A"])
"""What R, pandas and spreadsheets write for a missing value: a date cell holding one is blank."""
US_DATES = "dates written MM/DD/YYYY"
"""The name of the tally of a batch's dates read the US way (:attr:`ClaimReader.tallies`)."""

_DATE_CACHE = 4096
"""Dates of service remembered by their text (a batch holds few distinct dates)."""


class ClaimReader:
    """Turns the lines of a batch into items, in one pass or a chunk of lines at a time (each chunk
    from its first line's number). What carries over from one line to the next is settled by the
    first lines (:meth:`settle`: a CSV's header and columns); once settled, chunks can be read in any
    process, in any order, each giving the items a single pass would. A subclass reads one format
    (:attr:`fmt`) and gives :meth:`items`; one with state to settle gives :meth:`settle` and a
    :meth:`__reduce__` that carries it to another process."""

    __slots__ = ("_dates", "tallies")
    fmt = ""
    """The format's name in the registry (:mod:`.registry`)."""

    def __init__(self) -> None:
        self._dates: dict[str, tuple[datetime.date | None, bool]] = {}
        self.tallies: dict[str, int] = {}
        """What the reader noticed about the lines it read, counted (dates written the US way, fields
        past a header): said in the batch summary. A batch takes the counts of a chunk as the change
        over its reading."""

    @property
    def notes(self) -> tuple[str, ...]:
        """What the settled reader says once about the whole file (a delimiter other than a comma,
        a column it does not read); the batch prints each on stderr and in its summary."""
        return ()

    @property
    def settled(self) -> bool:
        """Whether the lines still to come are read the same in any process."""
        return True

    def settle(self, lines: Iterable[bytes], first: int = 1) -> None:
        """Read ahead in ``lines`` (the next chunk, from line ``first``) for what the lines after it
        depend on. Nothing is yielded; the items of these lines come from :meth:`items` later, the
        same as in one pass."""

    def __reduce__(self) -> tuple[Any, ...]:
        """A copy for another process: the settled state, not the remembered dates."""
        return (type(self), ())

    def items(self, lines: Iterable[bytes], first: int = 1) -> Iterator[Item]:
        """The items of ``lines``, the first of them line number ``first`` of the batch."""
        raise NotImplementedError

    def _date(self, text: str) -> datetime.date | None:
        dates = self._dates
        found = dates.get(text)
        if found is None:
            found = parse_claim_date(text)
            if len(dates) < _DATE_CACHE:
                dates[text] = found
        if found[1] and found[0] is not None:
            self.tallies[US_DATES] = self.tallies.get(US_DATES, 0) + 1
        return found[0]
