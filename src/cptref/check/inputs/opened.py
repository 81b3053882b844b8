"""What the bytes of a batch file are, before any line is read: its first bytes peeked, never guessed.

A file compressed with gzip, bzip2 or xz (``claims.jsonl.gz``; the standard library's readers) is
read decompressed, streamed, its output bounded (:data:`MAX_DECOMPRESSED`: a compression bomb stops
there, one line; every member of streams written end to end is read, and bytes after the last
that are not one are one line too, never dropped; what it decompresses to is refused as a file
is, UTF-16 included); a file of UTF-16 text that opens with its byte order mark (Excel's "Unicode
Text", Windows PowerShell 5's ``Export-Csv`` and ``Out-File``) is read as the text it declares. What
cptref cannot read is refused whole, before a claim is checked, with one line that says what the file
is and how to convert it (:class:`~.base.UnreadableBatch`, exit 4): zstd, a zip archive or an Excel
workbook, UTF-32, UTF-16 without its byte order mark, bytes that are not text. Nothing is guessed:
a file with no such mark is read as UTF-8, line by line, as before.
"""

from __future__ import annotations

import codecs
import io
from typing import Any

from .base import UnreadableBatch, UnreadLine

MAX_DECOMPRESSED = 4 * 1024**3
"""Bytes a compressed batch file may decompress to (4 GiB: some 60 million claims). Past it the batch
stops with one line (a compression bomb is never read to its end); a larger file is decompressed
by the user to a pipe (``zcat claims.jsonl.gz | cptref check --file -``), read as any stdin."""

_COMPRESSED = (
    (b"\x1f\x8b", "gzip", ".gz", "zcat"),
    (b"BZh", "bzip2", ".bz2", "bzcat"),
    (b"\xfd7zXZ\x00", "xz", ".xz", "xzcat"),
)
"""The compressions read: magic bytes, name, suffix, and the command that decompresses to a pipe."""

_REFUSED = (
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", "decompress it to a pipe: zstdcat {name} | cptref check --file -"),
    (
        b"PK\x03\x04",
        "a zip archive (an Excel .xlsx workbook is one)",
        "save the sheet as CSV UTF-8 (Excel: File > Save As > CSV UTF-8), or unzip the archive",
    ),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97-2003 workbook (.xls)",
        "save the sheet as CSV UTF-8 (Excel: File > Save As > CSV UTF-8)",
    ),
    (b"\xff\xfe\x00\x00", "UTF-32 text", "convert it: iconv -f UTF-32 -t UTF-8 {name} | cptref check --file -"),
    (b"\x00\x00\xfe\xff", "UTF-32 text", "convert it: iconv -f UTF-32 -t UTF-8 {name} | cptref check --file -"),
)
"""What is refused whole: magic bytes, what the file is, the way out."""


def opened(stream: Any, name: str | None) -> tuple[Any, str | None]:
    """The stream of a batch's lines (decompressed, or UTF-16 as UTF-8, when its first bytes say so)
    and the name its format is known by (``claims.csv.gz``: ``claims.csv``). A stream that cannot be
    peeked is buffered (a ``BytesIO``); lines that are no stream are read as they are. Raises
    :class:`~.base.UnreadableBatch` for a file cptref does not read, saying what it is and how to
    convert it."""
    if not hasattr(stream, "peek") and hasattr(stream, "readinto"):  # a stream of bytes in memory (BytesIO)
        stream = _Buffered(stream)
    peek = getattr(stream, "peek", None)
    if peek is None:
        return stream, name
    head = bytes(peek(64)[:64])
    shown = name or "-"
    _refuse(head, shown)
    for magic, what, suffix, command in _COMPRESSED:
        if _compressed(head, magic, what):
            inner = (name or "")[: -len(suffix)] if (name or "").lower().endswith(suffix) else None
            decompressed = _Decompressed(stream, what, shown, command)
            decompressed.refuse_inner()
            return decompressed, inner
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Utf16(stream, shown), name
    _refuse_binary(head, shown)
    return stream, name


def converted(head: bytes) -> bool:
    """Whether a file's first bytes are compressed or UTF-16 (its lines read converted, not as written)."""
    return head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or any(
        _compressed(head, magic, what) for magic, what, _suffix, _command in _COMPRESSED
    )


def _compressed(head: bytes, magic: bytes, what: str) -> bool:
    return head.startswith(magic) and (what != "bzip2" or head[3:4].isdigit())


def _refuse(head: bytes, shown: str) -> None:
    """Raise :class:`~.base.UnreadableBatch` for a file whose first bytes say cptref does not read it."""
    for magic, what, way in _REFUSED:
        if head.startswith(magic):
            raise UnreadableBatch(f"{shown}: {what}, not claims cptref reads: {way.format(name=shown)}")


def _refuse_binary(head: bytes, shown: str) -> None:
    """Raise :class:`~.base.UnreadableBatch` for first bytes holding NUL (UTF-16 without its mark, binary)."""
    found = _binary(head)
    if found is not None:
        raise UnreadableBatch(f"{shown}: {found[0]}, not claims cptref reads: {found[1].format(name=shown)}")


def _binary(head: bytes) -> tuple[str, str] | None:
    """What first bytes holding NUL are, and the way out (``{name}``: the file), or None (no NUL)."""
    if b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0) * 2 > len(head) // 2, head[1::2].count(0) * 2 > len(head) // 2
    if even != odd:  # NUL every other byte: ASCII written two bytes a character
        return (
            "UTF-16 text without its byte order mark",
            f"save it as CSV UTF-8, or convert it: iconv -f UTF-16{'LE' if odd else 'BE'} -t UTF-8 {{name}} | "
            "cptref check --file -",
        )
    return ("not text (it holds NUL bytes)", "give a CSV, JSON Lines, X12 837 or Parquet file")


def _inner(head: bytes) -> tuple[str, str] | None:
    """What decompressed first bytes are when cptref does not read them (the way out: ``{name}`` the
    decompressed file), or None: refused as a file is, UTF-16 (read only from its own bytes), or
    compressed again."""
    for magic, what, way in _REFUSED:
        if head.startswith(magic):
            return what, way
    for magic, what, _suffix, command in _COMPRESSED:
        if _compressed(head, magic, what):
            return f"a {what} file", f"decompress that too: {command} {{name}} | cptref check --file -"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16 text", "convert it: iconv -f UTF-16 -t UTF-8 {name} | cptref check --file -"
    return _binary(head)


class _Buffered(io.BufferedReader):
    """A buffered reader of a stream it never closes (the caller's: stdin, its file), even when dropped."""

    def __del__(self) -> None:
        """Nothing: the stream read is its owner's to close."""


class _Text(io.TextIOWrapper):
    """Text read from a stream it never closes (the caller's), even when dropped."""

    def __del__(self) -> None:
        """Nothing: the stream read is its owner's to close."""


class _Decompressed:
    """A compressed stream read as its decompressed lines (``readline``), at most
    :data:`MAX_DECOMPRESSED` bytes: a damaged stream, or one past the bound, ends with a line that
    stands for the rest (:class:`~.base.UnreadLine`: one malformed line, said with the reason). Every
    member of a stream written end to end (``cat a.gz b.gz``) is read; bytes after the last that are
    not one (trailing garbage) are a damaged stream, as gzip says, never dropped silently."""

    def __init__(self, stream: Any, what: str, shown: str, command: str) -> None:
        self.what, self.shown, self.command = what, shown, command
        self.way = f"{command} {shown}"
        """The command that gives the file's bytes as cptref reads them (said when they cannot be)."""
        self.given, self.stopped = 0, False
        self.errors: tuple[type[Exception], ...] = (OSError, EOFError, ValueError)
        if what == "gzip":
            import gzip

            self.file: Any = gzip.GzipFile(fileobj=stream, mode="rb")
        elif what == "bzip2":
            import bz2

            self.file = io.BufferedReader(_Members(stream, bz2.BZ2Decompressor))
        else:
            import lzma

            self.file = io.BufferedReader(_Members(stream, lzma.LZMADecompressor))
            self.errors += (lzma.LZMAError,)  # not an OSError: a corrupt xz block

    def refuse_inner(self) -> None:
        """Raise :class:`~.base.UnreadableBatch` when the decompressed bytes are none cptref reads
        (UTF-16, a zip archive, compressed again, binary), saying how to convert them; a stream too
        damaged to show its first bytes is left to :meth:`readline` to say so."""
        try:
            head = bytes(self.file.peek(64)[:64])
        except self.errors:
            return
        found = _inner(head)
        if found is not None:
            what, way = found
            raise UnreadableBatch(
                f"{self.shown}: {what} ({self.what}-compressed), not claims cptref reads: decompress it "
                f"({self.command} {self.shown} > FILE), then {way.format(name='FILE')}"
            )

    def readline(self, size: int = -1) -> bytes:
        if self.stopped:
            return b""
        try:
            line: bytes = self.file.readline(size)
        except self.errors as exc:  # a damaged or cut stream (gzip: BadGzipFile, EOFError; xz: LZMAError)
            self.stopped = True
            return UnreadLine(f"the {self.what} stream is damaged here ({exc}): the rest of the file is not read")
        self.given += len(line)
        if self.given > MAX_DECOMPRESSED:
            self.stopped = True
            return UnreadLine(
                f"decompressed past {MAX_DECOMPRESSED:,} bytes: the rest of the file is not read (a compression "
                f"bomb?); a larger file: {self.command} {self.shown} | cptref check --file -"
            )
        return line


class _Members(io.RawIOBase):
    """The decompressed bytes of a bzip2 or xz stream, every member written end to end, read with the
    standard library's decompressor. Unlike ``bz2.BZ2File`` and ``lzma.LZMAFile``, which end quietly
    at bytes after a member that are not another, those bytes raise (as gzip does); NUL bytes after
    a member (xz's stream padding) end it."""

    _CHUNK = 64 * 1024

    def __init__(self, stream: Any, decompressor: Any) -> None:
        super().__init__()
        self.stream, self.new = stream, decompressor
        self.decompressor: Any = decompressor()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = len(buffer)
        while True:
            if self.decompressor.eof:
                rest = self.decompressor.unused_data.lstrip(b"\0")
                while not rest:
                    rest = self.stream.read(self._CHUNK)
                    if not rest:
                        return 0
                    rest = rest.lstrip(b"\0")
                self.decompressor = self.new()
                data = self.decompressor.decompress(rest, want)  # bytes that are not a member: raises
            elif self.decompressor.needs_input:
                raw = self.stream.read(self._CHUNK)
                if not raw:
                    raise EOFError("Compressed file ended before the end-of-stream marker was reached")
                data = self.decompressor.decompress(raw, want)
            else:
                data = self.decompressor.decompress(b"", want)
            if data:
                buffer[: len(data)] = data
                return len(data)


class _Utf16:
    """A UTF-16 stream that opens with its byte order mark, read as UTF-8 lines (``readline``, split
    at LF as any batch). A line holding a lone surrogate (not UTF-16 text) is that one line not read
    (:class:`~.base.UnreadLine`); a stream cut inside a character ends with such a line."""

    def __init__(self, stream: Any, shown: str) -> None:
        self.what, self.way, self.stopped = "UTF-16", f"iconv -f UTF-16 -t UTF-8 {shown}", False
        self.text = _Text(stream, encoding="utf-16", errors="surrogatepass", newline="\n")

    def readline(self, size: int = -1) -> bytes:
        if self.stopped:
            return b""
        try:
            line = self.text.readline(size)  # characters: the bytes of a line stay within 3 times the bound
        except UnicodeDecodeError as exc:  # an odd byte at the end
            self.stopped = True
            return UnreadLine(f"not UTF-16 text ({exc.reason}): the rest of the file is not read")
        try:
            return line.encode("utf-8")
        except UnicodeEncodeError:
            return UnreadLine("not UTF-16 text (a lone surrogate)")
