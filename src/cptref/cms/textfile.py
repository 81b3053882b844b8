"""A text table read: its encoding and delimiter told from its head, its lines bounded, its records split.

A table downloaded from CMS, or saved again by a spreadsheet, is tab-, comma- or semicolon-delimited
text, in UTF-8, Windows-1252, Latin-1 or UTF-16 (by its byte-order mark), with LF, CRLF or old Mac
CR line ends; a quoted cell may hold the delimiter and, before the header, span lines (the MUE
notice spans 7). :func:`physical_lines` reads the lines, none longer than :data:`MAX_LINE_BYTES`;
:func:`split_records` cuts them into records, a stray quote costing its own line only.
"""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, NamedTuple

from .archives import MIB

READ_CHUNK = 1 << 20
MAX_LINE_BYTES = 1 * MIB
"""A line of a text table (a PTP line is ~100 bytes, a PPRRVU line ~300): a longer one is a bad row,
skipped without being held."""
MAX_RECORD_LINES = 100
"""Lines a quoted cell may span before the header (the MUE notice spans 7); a data row is one line,
so a quote still open at a data line's end is a stray quote (see :func:`split_records`)."""
MAX_FIELD_CHARS = 131_072
"""A quoted cell's characters: the csv module's own default limit, which cptref no longer raises for
the whole process."""
DELIMITERS = ("\t", ",", ";")
"""Tried in this order on the head of a text file; the header row's cells say which it is."""
DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "": ""}
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
UTF8_BOM = b"\xef\xbb\xbf"
BIG = 1 << 62


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


def sniff(head: bytes) -> tuple[str, str]:
    """(encoding, line end) of a text file from its first bytes (see :attr:`Layout.encoding`)."""
    encoding = next((name for bom, name in UTF16_BOMS.items() if head.startswith(bom)), "8-bit")
    sample = head[: len(head) // 2 * 2].decode(encoding, "replace") if encoding != "8-bit" else head.decode("latin-1")
    newline = "\r" if "\n" not in sample and "\r" in sample else "\n"
    return encoding, newline


PhysicalLine = tuple[int, str, "str | None"]
"""(line number, text without its line end, why it is not read or None)."""
TOO_LONG_NOTE = f"the line is longer than {MAX_LINE_BYTES // MIB} MiB: not read"


def physical_lines(stream: IO[bytes], encoding: str, newline: str = "\n") -> Iterator[PhysicalLine]:
    """The lines of a binary stream, a megabyte read at a time (a part of a million rows is never
    held whole, nor a line longer than :data:`MAX_LINE_BYTES`)."""
    if encoding in ("utf-16-le", "utf-16-be"):
        yield from _wide_lines(stream, encoding, newline)
        return
    end = newline.encode()
    number = 0
    buffer = b""
    over = False
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        pieces = chunk.split(end)
        rest = pieces.pop()
        for piece in pieces:
            number += 1
            if over:
                over = False
                yield number, "", TOO_LONG_NOTE
                continue
            raw = buffer + piece if buffer else piece
            buffer = b""
            if len(raw) > MAX_LINE_BYTES:
                yield number, "", TOO_LONG_NOTE
                continue
            if number == 1:
                raw = raw.removeprefix(UTF8_BOM)
            if raw.endswith(b"\r"):
                raw = raw[:-1]
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError:
                yield number, decode_line(raw), None
        if not over:
            buffer += rest
            if len(buffer) > MAX_LINE_BYTES:
                over, buffer = True, b""
    if over:
        yield number + 1, "", TOO_LONG_NOTE
    elif buffer:
        raw = buffer.removeprefix(UTF8_BOM) if number == 0 else buffer
        yield number + 1, decode_line(raw[:-1] if raw.endswith(b"\r") else raw), None


def _wide_lines(stream: IO[bytes], encoding: str, newline: str) -> Iterator[PhysicalLine]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    limit = MAX_LINE_BYTES // 2
    number = 0
    buffer = ""
    over = False

    def line(text: str) -> PhysicalLine:
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.endswith("\r"):
            text = text[:-1]
        if "\ufffd" in text:
            return number, "", f"the line holds bytes that are not {encoding.upper()} text: not read"
        return number, text, None

    while True:
        chunk = stream.read(READ_CHUNK)
        pieces = decoder.decode(chunk, not chunk).split(newline)
        rest = pieces.pop()
        for piece in pieces:
            number += 1
            text = buffer + piece
            buffer = ""
            if over or len(text) > limit:
                over = False
                yield number, "", TOO_LONG_NOTE
                continue
            yield line(text)
        if not over:
            buffer += rest
            if len(buffer) > limit:
                over, buffer = True, ""
        if not chunk:
            break
    if over or buffer:
        number += 1
        yield (number, "", TOO_LONG_NOTE) if over else line(buffer)


class Note(NamedTuple):
    """What the reading of a text file met besides rows: a line that is not read (``row``: it is
    counted as a row read and rejected) or a notice about the file (nothing lost)."""

    line: int
    message: str
    code: str
    row: bool


Record = tuple[int, list[str]]


def split_records(
    lines: Iterable[PhysicalLine], delimiter: str, quoted: bool, data_from: int = BIG
) -> Iterator[Record | Note]:
    """(first line, cells) of each record of a delimited text, and a :class:`Note` for each line
    not read.

    Unquoted, a record is a line split at the delimiter. Quoted (csv's rules), a quoted cell may span
    lines, but only before ``data_from`` (the notice and the header) and over at most
    :data:`MAX_RECORD_LINES` lines; a data row is one line. A quote that does not close where it
    must is a stray quote: it would make the csv module swallow every later line into one cell.
    Then the lines from the record's first to the one the quote opened on are each read on their
    own with their quotes as plain characters, a ``stray-quote`` notice names the line the quote
    opened on, and the lines after it are read as usual: nothing is lost.
    """
    if not quoted:
        for number, text, trouble in lines:
            if trouble is not None:
                yield Note(number, trouble, "line-too-long" if trouble == TOO_LONG_NOTE else "bad-row", True)
            else:
                yield number, text.split(delimiter)
        return
    feed = _Feed(iter(lines), data_from)
    while True:
        reader = csv.reader(feed, delimiter=delimiter)
        while True:
            feed.start()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except _Stop:
                yield from feed.recover(delimiter)
                break
            except csv.Error as error:
                first = feed.pending[0][0] if feed.pending else feed.last
                text = str(error).replace(f"({MAX_FIELD_CHARS})", f"({MAX_FIELD_CHARS:,} characters)")
                yield Note(first, f"not a row of delimited text: {text}", "bad-row", True)
                feed.replay.extendleft(reversed([(n, t, None) for n, t in feed.pending[1:]]))
                break
            if feed.unclosed:
                yield from feed.recover(delimiter)
                break
            yield feed.pending[0][0], cells


class _Stop(Exception):
    pass


class _Feed:
    """The lines given to the csv module, watched: each record's lines are kept (``pending``) so that
    a record that runs away can be read again line by line."""

    def __init__(self, lines: Iterator[PhysicalLine], data_from: int) -> None:
        self.lines = lines
        self.data_from = data_from
        self.replay: deque[PhysicalLine] = deque()
        self.pending: list[tuple[int, str]] = []
        self.size = 0
        self.bad: PhysicalLine | None = None
        self.unclosed = False
        self.last = 0

    def start(self) -> None:
        self.pending = []
        self.size = 0
        self.bad = None
        self.unclosed = False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.replay:
            item = self.replay.popleft()
        else:
            try:
                item = next(self.lines)
            except StopIteration:
                self.unclosed = bool(self.pending)
                raise
        number, text, trouble = item
        self.last = number
        if trouble is not None:
            self.bad = item
            raise _Stop
        if self.pending:
            span = 1 if self.pending[0][0] >= self.data_from else MAX_RECORD_LINES
            if len(self.pending) >= span or self.size + len(text) > MAX_LINE_BYTES:
                self.replay.appendleft(item)
                raise _Stop
        self.pending.append((number, text))
        self.size += len(text)
        return text + "\n"

    def recover(self, delimiter: str) -> Iterator[Record | Note]:
        """After a record that ran away (or met a line not read): its lines up to the one its open
        quote began on, each read on its own; the rest given back to be read as usual."""
        pending = self.pending
        if self.bad is not None:
            number, _, trouble = self.bad
            if not pending:  # a line not read, between records: a row lost, counted as one
                yield Note(number, trouble or "", "line-too-long" if trouble == TOO_LONG_NOTE else "bad-row", True)
                return
            self.replay.appendleft(self.bad)  # after the lines of the record it broke into
        if not pending:
            return
        opened = _opened_on(pending, delimiter)
        if self.unclosed:
            where = "by the end of the file"
        elif pending[0][0] >= self.data_from:
            where = "on its line (a row is one line)"
        else:
            where = f"within {MAX_RECORD_LINES} lines"
        yield Note(
            opened,
            f"a quote opened on line {opened} is not closed {where}: the line is read with its quotes as "
            "plain characters, and the lines after it as usual",
            "stray-quote",
            False,
        )
        cut = next(i for i, (number, _) in enumerate(pending) if number == opened) + 1
        for number, text in pending[:cut]:
            yield number, text.split(delimiter)
        self.replay.extendleft(reversed([(n, t, None) for n, t in pending[cut:]]))


def _opened_on(pending: Sequence[tuple[int, str]], delimiter: str) -> int:
    """The line on which the quote still open at the end of ``pending`` was opened (by csv's rules: a
    quote opens a cell only at its start; inside, a doubled quote is a quote). Jumps from quote to
    quote, so it costs the quotes, not the characters."""
    inside = False
    opened = pending[0][0]
    for number, text in pending:
        at = 0
        while True:
            found = text.find('"', at)
            if found < 0:
                break
            if inside:
                if text.startswith('"', found + 1):
                    at = found + 2
                    continue
                inside = False
            elif found == 0 or text[found - 1] == delimiter:
                inside, opened = True, number
            at = found + 1
    return opened
