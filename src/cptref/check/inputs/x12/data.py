"""What the X12 837 reader gives and the limits it reads within: its claims, its problems and the
positions they are at, and the tally of a file. Used by every layer of the reader."""

from __future__ import annotations

import datetime
from typing import Literal

from msgspec import Struct

from cptref.check.inputs.base import BatchClaim
from cptref.check.lines import Line

GuideSetting = Literal["practitioner", "outpatient_hospital"]
"""The setting of a claim, as cptref's CMS tables name it (``CheckTables(setting=...)``)."""


class Limits(Struct, frozen=True):
    """What one file may hold before it is refused or its reading stops (each a reported problem)."""

    max_bytes: int = 1 << 30
    """Bytes in the file (1 GiB; an 837 of 100,000 claims of two lines is some 34 MB). A path over
    it is refused before it is opened; a stream stops at it."""
    max_segments: int = 20_000_000
    """Segments in the file (100,000 claims of two lines are 1.5 million in an 837P, 1.8 in an 837I)."""
    max_segment_bytes: int = 65_536
    """Bytes in one segment: a longer one is reported and skipped without being held (the longest
    837 segments, NTE and K3, hold some 80 characters of text)."""
    max_elements: int = 64
    """Elements in a segment that is split (CLM has 20, SV1 15, ISA 16)."""
    max_components: int = 32
    """Components of a composite element that is read (SV101 has 8)."""
    max_claims: int = 5_000_000
    """CLM segments in the file."""
    max_lines: int = 999
    """Service lines in one claim (the 837I guide's own limit; the 837P guide's is 50): the lines
    over it are counted in a problem and the claim is incomplete."""


DEFAULT_LIMITS = Limits()


class Position(Struct, frozen=True):
    """Where something is in the file: the segment's number (1 for the ISA; 0: the file as a
    whole), the byte offset of its first character, and the line it starts on (1-based)."""

    segment: int
    offset: int
    line: int

    def __str__(self) -> str:
        if self.segment == 0:
            return "the file"
        return f"segment {self.segment} (byte {self.offset}, line {self.line})"


class X12Line(Struct, frozen=True):
    """One service line: its procedure code, modifiers and units (as cptref reads a claim line),
    and what the 837 says beside them."""

    code: str
    modifiers: tuple[str, ...]
    units: int
    date: datetime.date | None
    """Its date of service: its own DTP*472, else its claim's (see :class:`X12Claim`)."""
    number: str | None
    """LX01, the line's number in its claim."""
    at: Position
    """Where its SV1 or SV2 segment is."""
    date_to: datetime.date | None = None
    """The last day, when its DTP*472 is a range of several days (RD8)."""
    place_of_service: str | None = None
    """837P: SV105, when the line gives its own."""
    revenue_code: str | None = None
    """837I: SV201."""

    @property
    def line(self) -> Line:
        return Line(self.code.upper(), tuple(m.upper() for m in self.modifiers), self.units)

    def __str__(self) -> str:
        """cptref's claim-line string: ``47542-59x2``."""
        return str(self.line)


class X12Claim(Struct, frozen=True):
    """The service lines of one claim (CLM) that fall on one date of service.

    The date of a line is its own DTP*472 (837P: required on every line; 837I: required when the
    statement covers more than one day); else the claim's DTP*472; else the claim's statement
    period (DTP*434) when it is one day. A line none of these dates is given None: cptref then
    reports the claim, or checks it on ``--date``, as it does a CSV claim without a date.
    """

    id: str
    date: datetime.date | None
    setting: GuideSetting
    lines: tuple[X12Line, ...]
    at: Position
    """Where its CLM segment is."""
    guide: str
    """The implementation guide its transaction set names (ST03, else GS08): 005010X222A1 ..."""
    part: int = 1
    """Which of its claim's dates this is (1, 2 ...), in the order the lines give them."""
    parts: int = 1
    """How many dates of service its claim's lines give."""
    place_of_service: str | None = None
    """837P: CLM05-1 (a line may give its own, SV105)."""
    bill_type: str | None = None
    """837I: the type of bill, CLM05-1 then CLM05-3 (``131``: hospital outpatient, original claim)."""
    frequency: str | None = None
    """CLM05-3: 1 an original claim, 7 a replacement, 8 a void."""
    uncoded: int = 0
    """Service lines on this date without a procedure code (837I revenue lines): nothing to check."""
    incomplete: tuple[str, ...] = ()
    """Why its claim was not read whole (a line that could not be read, a segment inside it that
    could not be read, the file ending inside it), each also a :class:`X12Problem`: empty when whole.
    A check of the lines read is not a check of the claim."""

    @property
    def codes(self) -> tuple[str, ...]:
        """Its lines as cptref's claim-line strings."""
        return tuple(str(line) for line in self.lines)

    def to_claim(self) -> BatchClaim:
        """The batch's claim: its id, its CLM segment's number as its line, its codes, its date, its setting."""
        return BatchClaim(self.id, self.at.segment, self.codes, self.date, self.setting)


ProblemKind = Literal[
    "not-x12",
    "too-large",
    "too-many-segments",
    "too-many-claims",
    "too-many-lines",
    "segment-too-long",
    "too-many-elements",
    "malformed-segment",
    "outside-envelope",
    "missing-trailer",
    "count-mismatch",
    "control-mismatch",
    "not-a-claim-set",
    "unsupported-guide",
    "guide-mismatch",
    "bad-claim",
    "bad-line",
    "bad-date",
    "bad-units",
    "not-hcpcs",
    "no-procedure-code",
    "no-lines",
    "truncated",
]


class X12Problem(Struct, frozen=True):
    """Something in the file that could not be read, or that contradicts the file itself (an
    envelope count): reported, and the rest of the file read. ``claims`` and ``lines`` are the CLM
    segments and service lines it cost (not read into any :class:`X12Claim`)."""

    kind: ProblemKind
    message: str
    at: Position
    claim: str | None = None
    """The id (CLM01) of the claim it is in, when it is in one whose id was read."""
    claims: int = 0
    lines: int = 0

    def __str__(self) -> str:
        where = f"{self.at}" + (f", claim {self.claim!r}" if self.claim is not None else "")
        return f"{where}: {self.message}"


X12Item = X12Claim | X12Problem


class X12Tally(Struct):
    """The counts of one file: what came in, and where each went."""

    bytes: int = 0
    segments: int = 0
    """Segments read (not counting empty ones)."""
    empty: int = 0
    """Empty segments (a terminator right after another, white space only)."""
    interchanges: int = 0
    groups: int = 0
    transactions: int = 0
    claims_in: int = 0
    """CLM segments."""
    claims_read: int = 0
    """CLM segments read into one :class:`X12Claim` or more."""
    claims_lost: int = 0
    """CLM segments counted in a :class:`X12Problem`."""
    items: int = 0
    """:class:`X12Claim` items yielded (a claim gives one a date of service)."""
    incomplete: int = 0
    """Items whose claim was not read whole."""
    lines_in: int = 0
    """Service lines (SV1, SV2)."""
    lines_read: int = 0
    uncoded: int = 0
    """Service lines without a procedure code (837I revenue lines): nothing to check."""
    lines_lost: int = 0
    problems: int = 0
    stopped: bool = False
    """Whether reading stopped before the end of the file (a limit, or not X12)."""

    def balanced(self) -> bool:
        """Every claim and every service line went somewhere, exactly once."""
        return (
            self.claims_in == self.claims_read + self.claims_lost
            and self.lines_in == self.lines_read + self.uncoded + self.lines_lost
        )
