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
    """A batch's date of service: ``YYYY-MM-DD``, or the US form of billing exports, ``MM/DD/YYYY``
    (``M/D/YYYY`` too; never day first); the date (None: neither) and whether it was written the US way."""
    text = text.strip()
    if "/" not in text:
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


CLAIM_DATE_FORMS = "YYYY-MM-DD or MM/DD/YYYY"
"""How a batch's dates may be written (said in the message of a date that is neither)."""
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
