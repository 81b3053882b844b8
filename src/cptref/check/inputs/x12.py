"""Claims read from X12 837 files: 837P (professional) and 837I (institutional), version 5010.

An 837 file is an interchange (ISA ... IEA) of functional groups (GS ... GE) of transaction sets
(ST ... SE); a transaction set holds claims (CLM), each with its service lines (LX, then SV1 in an
837P or SV2 in an 837I, each followed by its own date of service, DTP*472). :func:`read_x12` reads
such a file, from a path, a binary stream or bytes, in one pass and in bounded memory, and yields:

- :class:`X12Claim`: the service lines of one claim that share a date of service, with the claim's
  id (CLM01), its setting (837P: practitioner; 837I: outpatient_hospital), its place of service or
  type of bill, and each line as a code, its modifiers and its units (``str(line)`` is cptref's
  claim-line string, ``47542-59x2``). A claim whose lines fall on several dates gives one item a
  date: the edits in force and the per-day limits (MUE) are those of each date.
- :class:`X12Problem`: whatever could not be read, with where it is (the segment's number, its byte
  offset and its line in the file) and how many claims and service lines it cost.

Nothing is lost silently. Every CLM segment is a claim read (one item or more) or counted in a
problem; every service line (SV1, SV2) is a line of a claim read, a line without a procedure code
(an 837I revenue line such as room and board, counted in :attr:`X12Tally.uncoded`), or counted in a
problem. :attr:`X12Reader.tally` holds the counts; :meth:`X12Tally.balanced` says they add up.

Only the segments a claim needs are split into elements (the envelopes, HL, CLM, LX, SV1, SV2, DTP);
every other segment is counted, its identifier checked, and left alone: this is a reader of claims,
not a validator of the implementation guides (a clearinghouse's 999 acknowledgement does that).
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, Literal, cast

from msgspec import Struct

from cptref.check.lines import Line

from .base import TOO_LONG, TOO_LONG_MESSAGE, BadLine, BatchClaim, ClaimReader

GuideSetting = Literal["practitioner", "outpatient_hospital"]
"""The setting of a claim, as cptref's CMS tables name it (``CheckTables(setting=...)``)."""

GUIDES: dict[str, tuple[str, GuideSetting]] = {
    "005010X222": ("837P", "practitioner"),
    "005010X223": ("837I", "outpatient_hospital"),
}
"""The implementation guides read, by their first ten characters (any addendum: X222A1, X223A2,
X223A3), with the kind of 837 each is and the setting its claims are checked in."""


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

CHUNK = 1 << 20
"""Bytes read at a time."""

_ISA_BYTES = 106
"""An ISA segment's length, its terminator included: its elements have fixed widths."""
_SEGMENT_ID = re.compile(rb"[A-Z][A-Z0-9]{1,2}")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_PROCEDURE = re.compile(r"[0-9A-Za-z]{5}")
"""A CPT or HCPCS code as SV101-2 / SV202-2 holds it: five letters or digits. Anything else is a
problem, never passed on as a claim-line string (``47555X2`` would read as two units of 47555); five
characters of no CPT or HCPCS shape (``000A0``) are passed on, and check stops them as malformed."""
_MODIFIER = re.compile(r"[0-9A-Za-z]{2}")
_QUANTITY = re.compile(r"([0-9]{1,15})(?:\.([0-9]{0,15}))?|\.([0-9]{1,15})")
"""An X12 decimal (type R) with no sign and no exponent: ``2``, ``2.0``, ``.5``."""
_MAX_UNITS = 999_999
"""The most units a cptref claim line holds (``xN``: at most six digits)."""
_D8 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_CACHE = 4096
"""Entries in each of the reader's caches (segment identifiers, dates, service lines met)."""
_CACHE_KEY = 80
"""Bytes in a cache's key (a segment) at most: a longer segment is read each time, never kept."""
_OTHER = object()
"""A segment that is counted and not split."""
_BAD = object()
"""A segment whose identifier is not one."""
_PAD = [""] * 8
"""Added to a segment's elements so that the optional ones can be read by their index."""


def is_x12(head: bytes) -> bool:
    """Whether a file's first bytes are those of an X12 interchange: ``ISA`` and a separator that
    is no letter, digit or white space (a BOM and leading white space are allowed)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return len(text) >= 4 and text[:3] == b"ISA" and text[3] not in _ALNUM and not chr(text[3]).isspace()


# --- what the reader yields ---------------------------------------------------------------------


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


_NOWHERE = Position(0, 0, 0)
"""The position of a service line not yet met (its LX alone)."""


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


# --- reading ------------------------------------------------------------------------------------


class _NotX12(Exception):
    pass


class _Delimiters(Struct, frozen=True):
    element: int
    component: str
    repetition: str | None
    segment: int


class _LineDraft:
    __slots__ = (
        "at",
        "code",
        "date",
        "date_to",
        "dates",
        "modifiers",
        "number",
        "place",
        "problem",
        "read",
        "revenue",
        "units",
    )

    def __init__(self, at: Position, number: str | None) -> None:
        self.at = at
        self.number = number
        self.read = False
        """Whether its SV1 or SV2 has been met (an LX alone is no service line)."""
        self.code: str | None = None
        self.modifiers: tuple[str, ...] = ()
        self.units = 1
        self.place: str | None = None
        self.revenue: str | None = None
        self.date: datetime.date | None = None
        self.date_to: datetime.date | None = None
        self.dates = 0
        self.problem: tuple[ProblemKind, str] | None = None

    @property
    def uncoded(self) -> bool:
        """A service line read without a procedure code (an 837I revenue line)."""
        return self.code is None and self.problem is None


class _ClaimDraft:
    __slots__ = (
        "at",
        "bill_type",
        "date",
        "dropped",
        "frequency",
        "id",
        "incomplete",
        "line",
        "lines",
        "lost",
        "over",
        "place",
        "statement",
    )

    def __init__(self, at: Position) -> None:
        self.at = at
        self.id: str | None = None
        self.lost: tuple[ProblemKind, str] | None = None
        """Why the claim as a whole could not be read (its CLM segment)."""
        self.place: str | None = None
        self.bill_type: str | None = None
        self.frequency: str | None = None
        self.date: datetime.date | None = None
        self.statement: tuple[datetime.date, datetime.date] | None = None
        self.lines: list[_LineDraft] = []
        self.line: _LineDraft | None = None
        """The service line being read (its LX, or its SV1/SV2, has been met)."""
        self.incomplete: list[str] = []
        self.over = 0
        """Service lines over :attr:`Limits.max_lines`."""
        self.dropped = 0
        """Service lines that could not be read (each a problem of its own)."""


class _Set:
    """An open transaction set."""

    __slots__ = ("at", "control", "guide", "kind", "setting", "skip", "skipped_claims", "skipped_lines")

    def __init__(self, at: Position, control: str) -> None:
        self.at = at
        self.control = control
        self.guide = ""
        self.kind = ""
        self.setting: GuideSetting = "practitioner"
        self.skip: tuple[ProblemKind, str] | None = None
        """Why its claims are not read (not an 837, a guide not read): one problem at its end."""
        self.skipped_claims = 0
        self.skipped_lines = 0


class _Group:
    __slots__ = ("at", "control", "functional", "sets", "version")

    def __init__(self, at: Position, control: str, functional: str, version: str) -> None:
        self.at = at
        self.control = control
        self.functional = functional
        self.version = version
        self.sets = 0


class _Interchange:
    __slots__ = ("at", "control", "groups")

    def __init__(self, at: Position, control: str) -> None:
        self.at = at
        self.control = control
        self.groups = 0


X12Source = str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview


def read_x12(source: X12Source, limits: Limits = DEFAULT_LIMITS) -> X12Reader:
    """A reader of an 837 file (a path, a binary stream, or the bytes themselves): iterate it for
    its :class:`X12Claim` and :class:`X12Problem` items, in file order; then read its :attr:`tally`."""
    return X12Reader(source, limits)


class X12Reader:
    """Reads one 837 file in one pass (see the module's docstring). Iterate it once."""

    def __init__(self, source: X12Source, limits: Limits = DEFAULT_LIMITS) -> None:
        self.source = source
        self.limits = limits
        self.tally = X12Tally()
        self._used = False

    def __iter__(self) -> Iterator[X12Item]:
        if self._used:
            raise RuntimeError("an X12Reader is read once")
        self._used = True
        source = self.source
        if isinstance(source, (bytes, bytearray, memoryview)):
            yield from _Parser(self.tally, self.limits).run(_chunks_of_bytes(bytes(source)))
            return
        if isinstance(source, (str, os.PathLike)):
            size = os.stat(source).st_size
            if size > self.limits.max_bytes:
                self.tally.stopped = True
                self.tally.problems += 1
                yield X12Problem(
                    "too-large",
                    f"the file holds {size} bytes, over the limit of {self.limits.max_bytes}: nothing was read",
                    Position(0, 0, 0),
                )
                return
            with open(source, "rb") as stream:
                yield from _Parser(self.tally, self.limits).run(_chunks_of_stream(stream))
            return
        yield from _Parser(self.tally, self.limits).run(_chunks_of_stream(source))


def _chunks_of_bytes(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def _chunks_of_stream(stream: IO[bytes]) -> Iterator[bytes]:
    read = stream.read
    while chunk := read(CHUNK):
        if not isinstance(chunk, bytes):
            raise TypeError("an X12 file is read as bytes: open it in binary mode ('rb')")
        yield chunk


def items(source: X12Source | X12Reader, limits: Limits = DEFAULT_LIMITS) -> Iterator[BatchClaim | BadLine]:
    """The file as the batch's items: each :class:`X12Claim` as a :class:`~.base.BatchClaim` (its
    line: the CLM segment's number; its setting: the guide's), each :class:`X12Problem` as a
    :class:`~.base.BadLine` (its line: the segment's number; its message says where). A claim not
    read whole is a BadLine too, never a claim checked on part of its lines."""
    reader = source if isinstance(source, X12Reader) else read_x12(source, limits)
    for item in reader:
        if isinstance(item, X12Problem):
            yield BadLine(item.at.segment, str(item))
        elif item.incomplete:
            yield BadLine(
                item.at.segment,
                f"{item.at}, claim {item.id!r}: not checked, the claim was not read whole: "
                + "; ".join(item.incomplete),
            )
        else:
            yield item.to_claim()


class _Parser:
    """One pass over a file's chunks: segments, then envelopes, then claims."""

    def __init__(self, tally: X12Tally, limits: Limits) -> None:
        self.tally = tally
        self.limits = limits
        self.delims = _Delimiters(ord("*"), ":", None, ord("~"))
        """The interchange's delimiters (set from its ISA before the first segment is read)."""
        self.interchange: _Interchange | None = None
        self.group: _Group | None = None
        self.set: _Set | None = None
        self.claim: _ClaimDraft | None = None
        self.number = 0
        """The number of the segment being read (1: the ISA)."""
        self._raw = b""
        self._raw_offset = 0
        """The segment being read as it is in the file (white space before it included), and the
        byte offset where it begins."""
        self._strip = b"\r\n"
        """The line breaks around segments (unless a delimiter is one)."""
        self.unterminated = False
        """Whether the file's last segment has no terminator."""
        self._element = "*"
        self._dates: dict[bytes, tuple[str | None, tuple[datetime.date, datetime.date | None] | str]] = {}
        """DTP segments met, as they were read (bounded: a file holds few dates)."""
        self._services: dict[
            bytes,
            tuple[str | None, str | None, tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str] | None],
        ] = {}
        """SV1 and SV2 segments met, as they were read (bounded)."""
        self._buffer = b""
        self._base = 0
        """The byte offset of the buffer's first byte in the file."""
        self._newlines = 0
        """Line breaks in the file before the buffer."""
        self._counted = 0
        self._line = 1
        """The line (1-based) of the byte at offset :attr:`_counted`: positions are asked for in
        file order, so line breaks are counted once each."""
        self.out: list[X12Item] = []
        """What the segment being read gave: yielded, then cleared, after each segment."""
        self._handlers: dict[bytes, Callable[[bytes], None]] = {
            b"ISA": self._isa,
            b"IEA": self._iea,
            b"GS": self._gs,
            b"GE": self._ge,
            b"ST": self._st,
            b"SE": self._se,
            b"HL": self._hl,
            b"CLM": self._clm,
            b"LX": self._lx,
            b"SV1": self._sv1,
            b"SV2": self._sv2,
            b"DTP": self._dtp,
        }
        self._kinds: dict[bytes, Callable[[bytes], None] | object] = dict(self._handlers)
        """Segment identifiers met: each one's handler, or :data:`_OTHER` (well formed, only
        counted), or :data:`_BAD` (no identifier); bounded."""

    # -- positions and problems

    def position(self) -> Position:
        """The position of the segment being read."""
        raw = self._raw
        at, base = self._raw_offset + len(raw) - len(raw.lstrip(self._strip)), self._base
        if self._counted < base:
            self._counted, self._line = base, self._newlines + 1
        if at > self._counted:
            self._line += self._buffer.count(b"\n", self._counted - base, at - base)
            self._counted = at
        return Position(self.number, at, self._line)

    def report(
        self,
        kind: ProblemKind,
        message: str,
        at: Position | None = None,
        claim: str | None = None,
        claims: int = 0,
        lines: int = 0,
    ) -> None:
        """Reports a problem, counted (with the claims and service lines it costs)."""
        tally = self.tally
        tally.problems += 1
        tally.claims_lost += claims
        tally.lines_lost += lines
        self.out.append(X12Problem(kind, message, at or self.position(), claim, claims, lines))

    # -- the pass

    def run(self, chunks: Iterable[bytes]) -> Iterator[X12Item]:
        out = self.out
        try:
            yield from self._segments(chunks)
        except _NotX12 as exc:
            self.tally.stopped = True
            self.report("not-x12", str(exc), Position(0, 0, 0))
        except _Stop as stop:
            self.tally.stopped = True
            self.report(stop.kind, stop.message)
            self._close_all("reading stopped inside it")
        else:
            self._close_all("the file ends inside its transaction set (no SE)")
        yield from out
        out.clear()

    def _segments(self, chunks: Iterable[bytes]) -> Iterator[X12Item]:
        """Hands every segment of the file to its handler, and yields what each gave. The buffer
        holds at most a chunk and the start of one segment (at most
        :attr:`Limits.max_segment_bytes`); a longer segment is reported, and its bytes dropped up
        to its terminator without being held."""
        limits, tally, out = self.limits, self.tally, self.out
        source = iter(chunks)
        head = b""
        for chunk in source:  # the ISA first: the delimiters come from it
            head += chunk
            if len(head) >= 4 * _ISA_BYTES:
                break
        tally.bytes = len(head)
        self.delims, start = _read_isa(head)
        self._element = chr(self.delims.element)
        if tally.bytes > limits.max_bytes:
            raise _Stop("too-large", f"the file is larger than the limit of {limits.max_bytes} bytes")
        delims = self.delims
        terminator = bytes([delims.segment])
        self._strip = strip = bytes(
            c for c in b"\r\n" if c not in (delims.element, ord(delims.component), delims.segment)
        )
        buffer, base, newlines = head[start:], start, head.count(b"\n", 0, start)
        skipping = False
        """Inside a segment longer than the limit: its bytes are dropped up to its terminator."""
        kinds, element = self._kinds, delims.element
        max_segment, max_segments = limits.max_segment_bytes, limits.max_segments
        number = 0
        in_set = False
        more = True
        """Whether chunks may remain to be read."""
        while True:
            self._buffer, self._base, self._newlines = buffer, base, newlines
            if skipping:
                end = buffer.find(terminator)
                cut = len(buffer) if end < 0 else end + 1
                skipping = end < 0
                newlines += buffer.count(b"\n", 0, cut)
                base += cut
                buffer = buffer[cut:]
                if buffer:
                    continue
            else:
                parts = buffer.split(terminator)
                tail = parts.pop()
                long = bool(parts) and max(map(len, parts)) > max_segment
                offset = base
                for raw in parts:
                    seg = raw.strip(strip)
                    if not seg:
                        tally.empty += 1
                        offset += len(raw) + 1
                        continue
                    number += 1
                    if number > max_segments:
                        self.number, self._raw, self._raw_offset = number, raw, offset
                        raise _Stop("too-many-segments", f"the file holds more than {max_segments} segments")
                    cut = seg.find(element)
                    kind = kinds.get(seg[:cut] if cut >= 0 else seg)
                    if kind is None:
                        kind = self._kind(seg[:cut] if cut >= 0 else seg)
                    if (kind is _OTHER and in_set) and not long:
                        offset += len(raw) + 1
                        continue  # a segment this reader does not split, in a transaction set: counted
                    self.number, self._raw, self._raw_offset = number, raw, offset
                    offset += len(raw) + 1
                    if long and len(seg) > max_segment:
                        self._malformed("segment-too-long", f"the segment is longer than {max_segment} bytes: skipped")
                    elif kind is _OTHER:
                        if not in_set:
                            self.report("outside-envelope", "a segment outside a transaction set (ST ... SE)")
                    elif kind is _BAD and seg[:3] == b"ISA" and len(seg) > 3 and seg[3] not in _ALNUM:
                        self._isa(seg)  # an interchange with other delimiters: said, and the reading stops
                    elif kind is _BAD:
                        seg_id = seg[:cut] if cut >= 0 else seg
                        self._malformed(
                            "malformed-segment",
                            f"{_quote(seg_id)} is not a segment identifier (a capital letter, then one or two "
                            "capitals or digits)",
                        )
                    else:
                        cast("Callable[[bytes], None]", kind)(seg)
                        in_set = self.set is not None
                    if out:
                        yield from out
                        out.clear()
                used = len(buffer) - len(tail)
                newlines += buffer.count(b"\n", 0, used)
                base += used
                buffer = tail
                if len(buffer) > max_segment:
                    self._buffer, self._base, self._newlines = buffer, base, newlines
                    number += 1
                    self.number, self._raw, self._raw_offset = number, buffer, base
                    if number > max_segments:
                        raise _Stop("too-many-segments", f"the file holds more than {max_segments} segments")
                    self._malformed("segment-too-long", f"the segment is longer than {max_segment} bytes: skipped")
                    yield from out
                    out.clear()
                    skipping = True
                    continue
            if not more:
                break
            data = next(source, None)
            if data is None:
                more = False
                if skipping or not buffer.strip(b" \t\r\n"):
                    break
                self.unterminated = True
                buffer += terminator  # the last segment has no terminator: read it, and say so
                continue
            tally.bytes += len(data)
            if tally.bytes > limits.max_bytes:
                self.number, self._raw, self._raw_offset = number, b"", base + len(buffer)
                raise _Stop("too-large", f"the file is larger than the limit of {limits.max_bytes} bytes")
            buffer += data
        self.number, self._raw, self._raw_offset = number, b"", min(base, tally.bytes)
        tally.segments = number

    def _kind(self, seg_id: bytes) -> Callable[[bytes], None] | object:
        """What a segment identifier met for the first time is: a segment read, one only counted, or
        no identifier at all (remembered, within bounds)."""
        kind = self._handlers.get(seg_id) or (_OTHER if _SEGMENT_ID.fullmatch(seg_id) else _BAD)
        if len(seg_id) <= 3 and len(self._kinds) < _CACHE:  # a long one is no identifier: never kept
            self._kinds[seg_id] = kind
        return kind

    # -- helpers for the handlers

    def _split(self, seg: bytes) -> list[str] | tuple[ProblemKind, str]:
        """A segment's elements (its identifier first), decoded; or why they cannot be."""
        limit = self.limits.max_elements
        try:
            parts = seg.decode("ascii").split(self._element, limit + 1)
        except UnicodeDecodeError:
            return ("malformed-segment", "the segment holds bytes that are not ASCII text")
        if len(parts) > limit + 1:
            return ("too-many-elements", f"the segment has more than {limit} elements")
        return parts

    def _components(self, text: str) -> list[str] | None:
        """A composite element's components; None when there are more than the limit."""
        limit = self.limits.max_components
        parts = text.split(self.delims.component, limit)
        return None if len(parts) > limit else parts

    def _other(self) -> None:
        """A segment this reader does not split: outside a transaction set, a problem."""
        if self.set is None:
            self.report("outside-envelope", "a segment outside a transaction set (ST ... SE)")

    def _malformed(self, kind: ProblemKind, message: str) -> None:
        """A segment that cannot be read: reported; the claim it falls in is incomplete (the
        segment may have been one of its lines)."""
        at = self.position()
        claim = self.claim
        if claim is not None and claim.lost is None:
            claim.incomplete.append(f"{at} could not be read")
        self.report(kind, message, at, claim.id if claim is not None else None)

    def _open_envelopes(self) -> None:
        """A new envelope begins: the claim, transaction set and group still open end here."""
        self._close_claim()
        if self.set is not None:
            self._close_set("another envelope begins")

    # -- envelope segments

    def _isa(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        if self.interchange is not None:
            self.report(
                "missing-trailer",
                f"interchange {self.interchange.control!r} ({self.interchange.at}) has no IEA before this ISA",
            )
            self.interchange = None
        parts = self._split(seg)
        delims = self.delims
        if not isinstance(parts, list) or len(parts) != 17 or seg[3] != delims.element or parts[16] != delims.component:
            raise _Stop(
                "malformed-segment",
                "an ISA segment that could not be read with the file's first delimiters (it has not 16 elements, "
                "or gives other delimiters): the rest of the file is not read",
            )
        self.tally.interchanges += 1
        self.interchange = _Interchange(self.position(), parts[13].strip())

    def _iea(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        interchange, self.interchange = self.interchange, None
        if interchange is None:
            self.report("outside-envelope", "an IEA without its ISA")
            return
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            return
        count, control = _get(parts, 1), _get(parts, 2)
        if _int(count) != interchange.groups:
            self.report(
                "count-mismatch",
                f"IEA01 says {_quote(count)} functional groups; interchange {interchange.control!r} holds "
                f"{interchange.groups}",
            )
        if control.strip() != interchange.control:
            self.report(
                "control-mismatch",
                f"IEA02 {_quote(control)} is not the control number of its ISA ({interchange.control!r})",
            )

    def _gs(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        if self.interchange is None:
            self.report("outside-envelope", "a GS outside an interchange (ISA ... IEA)")
        else:
            self.interchange.groups += 1
        self.tally.groups += 1
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            parts = []
        self.group = _Group(self.position(), _get(parts, 6), _get(parts, 1), _get(parts, 8))

    def _ge(self, seg: bytes) -> None:
        self._open_envelopes()
        group, self.group = self.group, None
        if group is None:
            self.report("outside-envelope", "a GE without its GS")
            return
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            return
        count, control = _get(parts, 1), _get(parts, 2)
        if _int(count) != group.sets:
            self.report(
                "count-mismatch",
                f"GE01 says {_quote(count)} transaction sets; functional group {group.control!r} holds {group.sets}",
            )
        if control != group.control:
            self.report(
                "control-mismatch", f"GE02 {_quote(control)} is not the control number of its GS ({group.control!r})"
            )

    def _st(self, seg: bytes) -> None:
        self._open_envelopes()
        group = self.group
        if group is None:
            self.report("outside-envelope", "an ST outside a functional group (GS ... GE)")
        else:
            group.sets += 1
        self.tally.transactions += 1
        current = self.set = _Set(self.position(), "")
        parts = self._split(seg)
        if not isinstance(parts, list):
            current.skip = parts
            return
        current.control = _get(parts, 2)
        code, guide = _get(parts, 1), _get(parts, 3)
        version = group.version if group is not None else ""
        if code != "837":
            current.skip = ("not-a-claim-set", f"transaction set {_quote(code)} is not an 837 (claims)")
            return
        if guide and version and guide != version:
            self.report(
                "guide-mismatch", f"ST03 names the guide {_quote(guide)}, its GS08 {_quote(version)}: ST03 is read"
            )
        guide = guide or version
        known = GUIDES.get(guide[:10])
        if known is None:
            current.skip = (
                "unsupported-guide",
                f"implementation guide {_quote(guide)} is not one read here (837P 005010X222A1, 837I 005010X223A2)",
            )
            return
        current.guide = guide
        current.kind, current.setting = known

    def _se(self, seg: bytes) -> None:
        self._close_claim()
        current = self.set
        if current is None:
            self.report("outside-envelope", "an SE without its ST")
            return
        segments = self.number - current.at.segment + 1
        self._close_set(None)
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            return
        count, control = _get(parts, 1), _get(parts, 2)
        if _int(count) != segments:
            self.report(
                "count-mismatch",
                f"SE01 says {_quote(count)} segments; transaction set {current.control!r} holds {segments} "
                "(its ST and SE included)",
            )
        if control != current.control:
            self.report(
                "control-mismatch", f"SE02 {_quote(control)} is not the control number of its ST ({current.control!r})"
            )

    # -- claim segments

    def _hl(self, seg: bytes) -> None:
        self._close_claim()  # a new hierarchical level: the claim before it is whole
        self._other()

    def _clm(self, seg: bytes) -> None:
        self._close_claim()
        tally = self.tally
        if tally.claims_in >= self.limits.max_claims:
            raise _Stop("too-many-claims", f"the file holds more than {self.limits.max_claims} claims: reading stopped")
        tally.claims_in += 1
        current = self.set
        if current is None:
            self.report("outside-envelope", "a claim (CLM) outside a transaction set (ST ... SE)", claims=1)
            return
        if current.skip is not None:
            current.skipped_claims += 1
            return
        claim = self.claim = _ClaimDraft(self.position())
        parts = self._split(seg)
        if not isinstance(parts, list):
            claim.lost = ("bad-claim", f"its CLM segment cannot be read: {parts[1]}")
            return
        parts += _PAD
        claim_id = parts[1]
        if not claim_id.strip():
            claim.lost = ("bad-claim", "CLM01, the claim's id, is empty")
            return
        claim.id = claim_id
        components = self._components(parts[5])
        if components is None:
            claim.lost = ("bad-claim", f"CLM05 has more than {self.limits.max_components} components")
            return
        facility, frequency = _get(components, 0), _get(components, 2)
        claim.frequency = frequency or None
        if current.setting == "practitioner":
            claim.place = facility or None
        elif facility:
            claim.bill_type = facility + frequency

    def _lx(self, seg: bytes) -> None:
        self._close_line()
        claim = self.claim
        if claim is not None:  # an LX outside a claim holds nothing: its SV1 or SV2 is reported
            number = seg[3:].split(bytes([self.delims.element]), 1)[0]
            claim.line = _LineDraft(_NOWHERE, number.decode("ascii", "backslashreplace") if number else None)

    def _sv1(self, seg: bytes) -> None:
        return self._service(seg, professional=True)

    def _sv2(self, seg: bytes) -> None:
        return self._service(seg, professional=False)

    def _service(self, seg: bytes, professional: bool) -> None:
        """A service line (SV1 in an 837P, SV2 in an 837I): read into the line its LX opened."""
        self.tally.lines_in += 1
        current, claim = self.set, self.claim
        if current is not None and current.skip is not None:
            current.skipped_lines += 1
            return
        if claim is None:
            self.report("outside-envelope", "a service line outside a claim (no CLM before it)", lines=1)
            return
        line = claim.line
        if line is None or line.read:
            self._close_line()  # no LX of its own: read all the same
            line = claim.line = _LineDraft(self.position(), None)
        else:
            line.at = self.position()
        line.read = True
        found = self._services.get(seg)
        if found is None:
            found = self._service_line(seg, professional)
            if len(self._services) < _CACHE and len(seg) <= _CACHE_KEY:
                self._services[seg] = found
        line.place, line.revenue, read = found
        if read is None:
            return  # a revenue line without a procedure code: counted as uncoded
        if len(read) == 2:
            line.problem = read
        else:
            line.code, line.modifiers, line.units = read

    def _service_line(
        self, seg: bytes, professional: bool
    ) -> tuple[str | None, str | None, tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str] | None]:
        """An SV1 or SV2 segment as its place of service (SV105), its revenue code (SV201), and
        its code, modifiers and units, or the problem that keeps it from being read (None: a
        revenue line without a procedure code)."""
        parts = self._split(seg)
        if not isinstance(parts, list):
            return None, None, parts
        parts += _PAD
        if professional:
            return parts[5] or None, None, self._procedure(professional, parts[1], parts[3], parts[4])
        if not parts[2]:
            return None, parts[1] or None, None
        return None, parts[1] or None, self._procedure(professional, parts[2], parts[4], parts[5])

    def _procedure(
        self, professional: bool, composite: str, basis: str, quantity: str
    ) -> tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str]:
        """A service line's code, modifiers and units (SV101 or SV202, then its unit basis and its
        units), or the problem that keeps it from being read."""
        if professional:
            where, units_at, basis_at = "SV101", "SV104", "SV103"
        else:
            where, units_at, basis_at = "SV202", "SV205", "SV204"
        components = self._components(composite)
        if components is None:
            return ("bad-line", f"{where} has more than {self.limits.max_components} components")
        qualifier, code = _get(components, 0), _get(components, 1)
        if qualifier != "HC":
            return (
                "not-hcpcs",
                f"{where}-1 is {_quote(qualifier)}, not HC: the line's code {_quote(code)} is not a CPT or HCPCS "
                "code, and is not checked",
            )
        if not _PROCEDURE.fullmatch(code):
            return ("bad-line", f"{where}-2 {_quote(code)} is not a CPT or HCPCS code (five letters or digits)")
        modifiers = tuple(m for m in components[2:6] if m)
        for modifier in modifiers:
            if not _MODIFIER.fullmatch(modifier):
                return ("bad-line", f"{where}-3 to -6: the modifier {_quote(modifier)} is not two letters or digits")
        if basis != "UN":
            return (
                "bad-units",
                f"{basis_at} measures the line in {_quote(basis)}, not UN (units): {units_at} {_quote(quantity)} is "
                "not a count of services, and the line is not checked",
            )
        units = _units(quantity)
        if isinstance(units, str):
            return ("bad-units", f"{units_at} {_quote(quantity)}: {units}")
        return (code, modifiers, units)

    def _dtp(self, seg: bytes) -> None:
        self._date(seg)

    def _date(self, seg: bytes) -> None:
        """A DTP: the date of service of the line being read (472), or its claim's (472, 434)."""
        claim = self.claim
        if claim is None or claim.lost is not None:
            return
        found = self._dates.get(seg)
        if found is None:
            found = self._date_of(seg)
            if len(self._dates) < _CACHE and len(seg) <= _CACHE_KEY:
                self._dates[seg] = found
        qualifier, dates = found
        if qualifier is None:
            return  # another date (DTP*431, onset ...)
        line = claim.line
        if qualifier == "":
            assert isinstance(dates, str)
            if line is not None:  # it may be the line's date: the line cannot be read
                line.problem = line.problem or ("malformed-segment", f"a DTP segment after it cannot be read: {dates}")
            else:
                claim.lost = ("malformed-segment", f"a DTP segment of the claim cannot be read: {dates}")
            return
        if qualifier == "472" and line is not None:
            line.dates += 1
            if isinstance(dates, str):
                line.problem = line.problem or ("bad-date", f"DTP*472, the line's date of service: {dates}")
            elif line.dates > 1:
                line.problem = line.problem or ("bad-date", "the line gives two dates of service (DTP*472)")
            else:
                line.date, line.date_to = dates
            return
        if isinstance(dates, str):
            claim.lost = claim.lost or ("bad-date", f"DTP*{qualifier}, the claim's {_DATE_NAMES[qualifier]}: {dates}")
        elif qualifier == "472":
            claim.date = dates[0]
        else:
            claim.statement = (dates[0], dates[1] or dates[0])

    def _date_of(self, seg: bytes) -> tuple[str | None, tuple[datetime.date, datetime.date | None] | str]:
        """A DTP segment as its qualifier (None: not a date read here; empty: the segment cannot be
        split), and its date or range of dates, or why it is not one."""
        parts = self._split(seg)
        if not isinstance(parts, list):
            return "", parts[1]
        parts += _PAD
        if parts[1] not in _DATE_NAMES:
            return None, ""
        return parts[1], _dates(parts[2], parts[3])

    # -- closing lines, claims, sets

    def _close_line(self) -> None:
        """The service line being read is whole. One that could not be read is a problem, and a
        reason its claim is incomplete."""
        claim = self.claim
        if claim is None or claim.line is None:
            return
        line, claim.line = claim.line, None
        if not line.read:
            return  # an LX with no SV1 or SV2 after it: no service line
        if claim.lost is not None:
            claim.lines.append(line)
            return
        if line.problem is not None:
            kind, message = line.problem
            claim.incomplete.append(f"the service line at {line.at}: {message}")
            claim.dropped += 1
            self.report(kind, message, line.at, claim.id, lines=1)
            return
        if len(claim.lines) >= self.limits.max_lines:
            claim.over += 1
            return
        claim.lines.append(line)

    def _close_claim(self) -> None:
        """The claim being read is whole: its items, one a date of service, or its problem."""
        self._close_line()
        claim, self.claim = self.claim, None
        if claim is None:
            return
        current = self.set
        assert current is not None  # a claim is only opened inside a transaction set
        tally = self.tally
        kind: ProblemKind
        if claim.lost is not None:
            kind, message = claim.lost
            uncoded = sum(1 for line in claim.lines if line.uncoded)
            tally.uncoded += uncoded
            self.report(
                kind,
                f"{message}: the claim is not read",
                claim.at,
                claim.id,
                claims=1,
                lines=len(claim.lines) - uncoded + claim.over,
            )
            return
        if claim.over:
            message = f"the claim has more than {self.limits.max_lines} service lines: {claim.over} are not read"
            claim.incomplete.append(message)
            self.report("too-many-lines", message, claim.at, claim.id, lines=claim.over)
        uncoded = sum(1 for line in claim.lines if line.uncoded)
        tally.uncoded += uncoded
        if uncoded == len(claim.lines):
            if uncoded:
                kind = "no-procedure-code"
                message = "the claim's service lines have no CPT or HCPCS code (revenue codes only): nothing to check"
            elif claim.dropped or claim.over:
                kind, message = "no-lines", "none of the claim's service lines could be read: nothing to check"
            else:
                kind, message = "no-lines", "the claim has no service line (SV1 or SV2): nothing to check"
            self.report(kind, message, claim.at, claim.id, claims=1)
            return
        assert claim.id is not None
        fallback = claim.date
        if fallback is None and claim.statement is not None and claim.statement[0] == claim.statement[1]:
            fallback = claim.statement[0]
        by_date: dict[datetime.date | None, list[X12Line]] = {}
        uncoded_on: dict[datetime.date | None, int] = {}
        for line in claim.lines:
            day = line.date or fallback
            if line.code is None:
                uncoded_on[day] = uncoded_on.get(day, 0) + 1
                continue
            last = line.date_to if line.date_to is not None and line.date_to != line.date else None
            by_date.setdefault(day, []).append(
                X12Line(
                    line.code, line.modifiers, line.units, day, line.number, line.at, last, line.place, line.revenue
                )
            )
        tally.claims_read += 1
        incomplete = tuple(claim.incomplete)
        parts = len(by_date)
        for part, (day, lines) in enumerate(by_date.items(), 1):
            tally.items += 1
            tally.lines_read += len(lines)
            tally.incomplete += bool(incomplete)
            self.out.append(
                X12Claim(
                    claim.id,
                    day,
                    current.setting,
                    tuple(lines),
                    claim.at,
                    current.guide,
                    part,
                    parts,
                    claim.place,
                    claim.bill_type,
                    claim.frequency,
                    uncoded_on.get(day, 0),
                    incomplete,
                )
            )

    def _close_set(self, missing: str | None, stopped: bool = False) -> None:
        """The transaction set ends (at its SE; else ``missing`` says why it ends without one: a
        missing SE, unless the reading ``stopped`` before the end of the file)."""
        current = self.set
        assert current is not None
        if missing is not None and self.claim is not None and self.claim.lost is None:
            self.claim.incomplete.append(missing)
        self._close_claim()
        self.set = None
        if missing is not None and not stopped:
            self.report("missing-trailer", f"transaction set {current.control!r} ({current.at}) has no SE: {missing}")
        if current.skip is not None:
            kind, message = current.skip
            self.report(
                kind,
                f"{message}: its {current.skipped_claims} claims and {current.skipped_lines} service lines "
                "are not read",
                current.at,
                claims=current.skipped_claims,
                lines=current.skipped_lines,
            )

    def _close_group(self, missing: bool) -> None:
        group, self.group = self.group, None
        if missing and group is not None:
            self.report("missing-trailer", f"functional group {group.control!r} ({group.at}) has no GE")

    def _close_all(self, why: str) -> None:
        """The end of the file, or of its reading: what is still open is closed, and reported (a
        missing trailer only when the file was read to its end)."""
        if self.unterminated and self.claim is not None and self.claim.lost is None:
            self.claim.incomplete.append("the file ends inside it, without a segment terminator")
        if self.set is not None:
            self._close_set(why, stopped=self.tally.stopped)
        else:
            self._close_claim()
        if not self.tally.stopped:
            self._close_group(missing=True)
            if self.interchange is not None:
                interchange, self.interchange = self.interchange, None
                self.report("missing-trailer", f"interchange {interchange.control!r} ({interchange.at}) has no IEA")
        if self.unterminated:
            self.report("truncated", "the file's last segment has no terminator: the file may be cut short")


class _Stop(Exception):
    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind
        self.message = message


_DATE_NAMES = {"472": "date of service", "434": "statement period"}


def _read_isa(head: bytes) -> tuple[_Delimiters, int]:
    """The delimiters of an interchange, from its ISA, and where its first segment begins.

    The element separator is the byte after ``ISA``; ISA16, the last element, is the component
    separator; the byte after it ends the segment. ISA11 is the repetition separator (5010). The
    ISA's elements have fixed widths (106 bytes in all); a wider or narrower ISA is read by its
    separators all the same.
    """
    start = len(head) - len(head.lstrip(b"\xef\xbb\xbf").lstrip())
    text = head[start:]
    if not is_x12(text):
        shown = text[:16].decode("ascii", "backslashreplace")
        raise _NotX12(
            "not an X12 file: an X12 interchange begins with an ISA segment (ISA*00*...), this file with "
            f"{shown!r}" + ("" if text else " (it is empty)")
        )
    element = text[3]
    fields: list[int] = []  # the offset of each element separator
    at = 3
    while len(fields) < 16:
        at = text.find(bytes([element]), at)
        if at < 0 or at > 4 * _ISA_BYTES:
            raise _NotX12("not an X12 file: its ISA segment does not have 16 elements")
        fields.append(at)
        at += 1
    component_at = fields[15] + 1
    if component_at + 1 >= len(text):
        raise _NotX12("not an X12 file: its ISA segment ends before its segment terminator")
    component, segment = text[component_at], text[component_at + 1]
    repetition_text = text[fields[10] + 1 : fields[11]]
    version = text[fields[11] + 1 : fields[12]]
    repetition = None  # 4010 has no repetition separator: its ISA11 is a code (U)
    if version >= b"00402" and len(repetition_text) == 1 and repetition_text[0] not in _ALNUM:
        repetition = chr(repetition_text[0])
    chosen = [element, component, segment]
    if repetition is not None:
        chosen.append(ord(repetition))
    if len(set(chosen)) != len(chosen) or any(c in _ALNUM or c == 0x20 or c > 0x7F for c in chosen):
        raise _NotX12(
            "not an X12 file: the separators its ISA gives (element "
            f"{chr(element)!r}, component {chr(component)!r}, segment {chr(segment)!r}"
            + (f", repetition {repetition!r}" if repetition is not None else "")
            + ") are not distinct ASCII symbols"
        )
    delims = _Delimiters(element, chr(component), repetition, segment)
    return delims, start


def _get(parts: list[str], index: int) -> str:
    return parts[index] if index < len(parts) else ""


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _quote(value: str | bytes) -> str:
    """A value from the file, quoted and cut to 40 characters, unprintable characters escaped."""
    text = value.decode("ascii", "backslashreplace") if isinstance(value, bytes) else value
    cut = text[:40] + ("..." if len(text) > 40 else "")
    return repr(cut)


def _units(text: str) -> int | str:
    """SV104 / SV205 as whole units, or why it is not."""
    if not text:
        return "no units are given"
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return "not a number written as X12 writes one (digits, a decimal point)"
    whole, fraction, only_fraction = match.groups()
    if only_fraction is not None:
        whole, fraction = "0", only_fraction
    if fraction and fraction.strip("0"):
        return "not a whole number of units: cptref counts whole units"
    units = int(whole)
    if units < 1:
        return "no units: a service line is at least one unit"
    if units > _MAX_UNITS:
        return f"more than {_MAX_UNITS} units"
    return units


def _date(text: str) -> datetime.date | None:
    match = _D8.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _dates(form: str, text: str) -> tuple[datetime.date, datetime.date | None] | str:
    """A DTP's date (D8) or range of dates (RD8), or why it is not one."""
    if form == "D8":
        day = _date(text)
        return (day, None) if day is not None else f"{_quote(text)} is not a date written CCYYMMDD"
    if form == "RD8":
        first, _, last = text.partition("-")
        start, end = _date(first), _date(last)
        if start is None or end is None:
            return f"{_quote(text)} is not a range of dates written CCYYMMDD-CCYYMMDD"
        if end < start:
            return f"{_quote(text)} ends before it begins"
        return (start, end)
    return f"the date format {_quote(form)} is neither D8 nor RD8"


class X12Claims(ClaimReader):
    """An X12 837 batch as a :class:`~.base.ClaimReader`. An 837 is not read in lines (it is often one
    line of megabytes): ``check --file`` reads it with :meth:`source` (bounded by :class:`Limits`)
    and sends the items it gives to the workers, whose :meth:`items` passes them on as they are.
    Given the lines of a file instead (:func:`~.registry.read_claims`), :meth:`items` reads them as
    the bytes of one 837."""

    __slots__ = ("reader",)
    fmt = "x12"

    def __init__(self) -> None:
        super().__init__()
        self.reader: X12Reader | None = None
        """The reader of the file (its :attr:`X12Reader.tally`), once :meth:`source` or :meth:`items` read one."""

    def source(self, stream: IO[bytes], limits: Limits = DEFAULT_LIMITS) -> Iterator[BatchClaim | BadLine]:
        """The batch items of an 837 file read from ``stream``."""
        self.reader = read_x12(stream, limits)
        return items(self.reader)

    def items(self, lines: Iterable[Any], first: int = 1) -> Iterator[BatchClaim | BadLine]:
        """Items read already (a chunk of :meth:`source`'s), passed on; or the bytes of an 837 file, read."""
        ahead = iter(lines)
        head = next(ahead, None)
        if head is None:
            return
        if not isinstance(head, bytes | bytearray):
            yield head
            yield from ahead
            return
        cut: list[int] = []

        def whole(chunks: Iterator[Any]) -> Iterator[bytes]:  # lines cut at MAX_LINE lost their bytes: stop there
            for number, chunk in enumerate(chunks, first):
                if chunk is TOO_LONG:
                    cut.append(number)
                    return
                yield bytes(chunk)

        self.reader = read_x12(cast("IO[bytes]", _StreamOf(whole(itertools.chain([head], ahead)))))
        yield from items(self.reader)
        if cut:
            yield BadLine(cut[0], f"{TOO_LONG_MESSAGE}: an X12 file read in lines stops there; name the file instead")

    def summary(self) -> str | None:
        """What the file held and where each claim and service line went, for the batch summary."""
        if self.reader is None:
            return None
        return tally_text(self.reader.tally)


class _StreamOf:
    """Byte chunks as a binary stream's ``read`` (what :class:`X12Reader` reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return bytes(next(self._chunks, b""))


def tally_text(tally: X12Tally) -> str:
    """One phrase of an 837's counts: its claims and service lines, each accounted for."""
    text = (
        f"X12 837: {tally.claims_in} claims (CLM) in {tally.transactions} transaction set"
        f"{'s' * (tally.transactions != 1)}: {tally.claims_read} read into {tally.items} checked part"
        f"{'s' * (tally.items != 1)} (one a date of service; {tally.incomplete} not read whole, reported), "
        f"{tally.claims_lost} reported as not read; {tally.lines_in} service lines: {tally.lines_read} read, "
        f"{tally.uncoded} without a procedure code (revenue lines: nothing to check), {tally.lines_lost} reported "
        f"as not read; {tally.problems} problem{'s' * (tally.problems != 1)}"
    )
    if tally.stopped:
        text += "; reading stopped before the end of the file"
    if not tally.balanced():
        text += "; THE COUNTS DO NOT ADD UP (a bug of cptref: please report it)"
    return text
