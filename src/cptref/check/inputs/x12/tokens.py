"""The X12 837 reader's tokenizer: an interchange's ISA and the delimiters it gives, the file read in
chunks of bytes, and its segments, each with its position; :class:`_Segments` is the pass that hands
every segment to its handler (the envelopes' and the claims', in the layers built on it)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import IO, cast

from msgspec import Struct

from .data import Limits, Position, ProblemKind, X12Item, X12Problem, X12Tally

CHUNK = 1 << 20
"""Bytes read at a time."""

_ISA_BYTES = 106
"""An ISA segment's length, its terminator included: its elements have fixed widths."""
_SEGMENT_ID = re.compile(rb"[A-Z][A-Z0-9]{1,2}")
_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_CACHE = 4096
"""Entries in each of the reader's caches (segment identifiers, dates, service lines met)."""
_OTHER = object()
"""A segment that is counted and not split."""
_BAD = object()
"""A segment whose identifier is not one."""


def is_x12(head: bytes) -> bool:
    """Whether a file's first bytes are those of an X12 interchange: ``ISA`` and a separator that
    is no letter, digit or white space (a BOM and leading white space are allowed)."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return len(text) >= 4 and text[:3] == b"ISA" and text[3] not in _ALNUM and not chr(text[3]).isspace()


class _NotX12(Exception):
    pass


class _Delimiters(Struct, frozen=True):
    element: int
    component: str
    repetition: str | None
    segment: int


class _Stop(Exception):
    def __init__(self, kind: ProblemKind, message: str) -> None:
        super().__init__(message)
        self.kind: ProblemKind = kind
        self.message = message


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


def _quote(value: str | bytes) -> str:
    """A value from the file, quoted and cut to 40 characters, unprintable characters escaped."""
    text = value.decode("ascii", "backslashreplace") if isinstance(value, bytes) else value
    cut = text[:40] + ("..." if len(text) > 40 else "")
    return repr(cut)


def _chunks_of_bytes(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def _chunks_of_stream(stream: IO[bytes]) -> Iterator[bytes]:
    read = stream.read
    while chunk := read(CHUNK):
        if not isinstance(chunk, bytes):
            raise TypeError("an X12 file is read as bytes: open it in binary mode ('rb')")
        yield chunk


class _Segments(ABC):
    """The segments of one file, each handed to its handler; the layers above read them."""

    _handlers: dict[bytes, Callable[[bytes], None]]
    """The handler of each segment read, by its identifier (set by the parser, :mod:`.services`)."""
    _kinds: dict[bytes, Callable[[bytes], None] | object]
    """Segment identifiers met: each one's handler, or :data:`_OTHER` (well formed, only
    counted), or :data:`_BAD` (no identifier); bounded."""

    def __init__(self, tally: X12Tally, limits: Limits) -> None:
        self.tally = tally
        self.limits = limits
        self.delims = _Delimiters(ord("*"), ":", None, ord("~"))
        """The interchange's delimiters (set from its ISA before the first segment is read)."""
        self.set: object | None = None
        """The transaction set open (:mod:`.envelopes`): a segment not split is counted inside one."""
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
        :attr:`.data.Limits.max_segment_bytes`); a longer segment is reported, and its bytes dropped up
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

    # -- what the layers above do

    @abstractmethod
    def _isa(self, seg: bytes) -> None:
        """An ISA segment: an interchange begins (:mod:`.envelopes`)."""

    @abstractmethod
    def _malformed(self, kind: ProblemKind, message: str) -> None:
        """A segment that cannot be read (:mod:`.claims`)."""

    @abstractmethod
    def _close_all(self, why: str) -> None:
        """The end of the file, or of its reading (:mod:`.envelopes`)."""
