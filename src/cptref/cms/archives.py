"""Untrusted files and zips read bounded: regular files only, sizes, zip directories, members, ratios.

The CMS downloads a user names are input cptref does not trust, so each is bounded before it is read
(the limits are the ``MAX_*`` constants here, each refusal a :class:`Refused` with the stable
``code`` of its problem):

- only regular files are read: a named pipe, a socket, a device, a broken link (``not-regular``)
  is refused by ``fstat`` on the opened file (a file never blocks on open: see :func:`open_regular`);
- a file's bytes (``too-large``): a table at most :data:`MAX_TABLE_BYTES`, a workbook
  :data:`MAX_WORKBOOK_BYTES`, a zip :data:`MAX_ZIP_BYTES` (:func:`limit_for`); a zip member by its
  declared size, which is all zipfile ever gives of it (a nested zip or a workbook inside a zip is
  read into memory, so at most :data:`MAX_NESTED_ZIP_BYTES` / :data:`MAX_WORKBOOK_BYTES`);
- a zip member's compression ratio (``compression-ratio``): at most :data:`MAX_COMPRESSION_RATIO`
  for a member over :data:`RATIO_FLOOR` (a zip bomb's ratio is in the hundreds);
- a zip's members (``too-many-members``): at most :data:`MAX_ZIP_MEMBERS`, and a central
  directory of at most :data:`MAX_CENTRAL_DIRECTORY_BYTES`, both read from the zip's end records
  before zipfile parses the directory.

A zip's central directory is read once however many of its members are read (:class:`Archive`,
shared by the entries of its members).
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ZIP_SUFFIX = ".zip"
WORKBOOK_SUFFIX = ".xlsx"
MIB = 1 << 20
MAX_TABLE_BYTES = 512 * MIB
"""A table's text (.txt, .csv, .tsv), on disk or a zip member's uncompressed size. The largest CMS
file, a practitioner PTP part, is 30-60 MB; the whole table in one file (1.2 million rows) ~150 MB."""
MAX_WORKBOOK_BYTES = 256 * MIB
"""An .xlsx as stored (compressed). A PTP part as .xlsx is ~20 MB, the PPRRVU .xlsx a few MB; one
inside a zip is read into memory, so this is also the memory it may take."""
MAX_ZIP_BYTES = 2048 * MIB
"""A zip on disk. A quarter's downloads, every table and its readmes, zip to ~200 MB."""
MAX_NESTED_ZIP_BYTES = 256 * MIB
"""A zip inside a zip, read into memory to be opened (one at a time). A CMS download is < 20 MB."""
MAX_ZIP_MEMBERS = 10_000
"""Members of a zip (or parts of a workbook). A CMS zip holds 1-10; a zipped folder of downloads dozens."""
MAX_CENTRAL_DIRECTORY_BYTES = 4 * MIB
"""A zip's directory of members, read whole by zipfile: 10,000 members with long names take ~1.5 MB."""
MAX_COMPRESSION_RATIO = 200
"""Uncompressed size over compressed size of a member. Text and XML tables compress 10-40 times;
deflate's own maximum, what a zip bomb reaches for, is about 1,030."""
RATIO_FLOOR = 1 * MIB
"""Members up to this size may have any ratio (a small file of blanks compresses very well)."""
READ_ERRORS = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
    zipfile.LargeZipFile,
    NotImplementedError,
    UnicodeDecodeError,
)
"""What reading a damaged or truncated zip member raises (a bad CRC, a cut stream, an unknown
compression method, a member's name flagged UTF-8 that is not); a :class:`Refused` input is an
OSError too."""


class Refused(OSError):
    """An input over a limit, or a file of a kind that is never read; ``code`` is its problem's code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def limit_for(name: str) -> int:
    suffix = posixpath.splitext(name)[1].lower()
    if suffix == ZIP_SUFFIX:
        return MAX_ZIP_BYTES
    if suffix == WORKBOOK_SUFFIX:
        return MAX_WORKBOOK_BYTES
    return MAX_TABLE_BYTES


def size_text(count: int) -> str:
    return f"{count / MIB:,.0f} MiB" if count >= MIB else f"{count:,} bytes"


def open_regular(path: Path, limit: int) -> IO[bytes]:
    """``path`` opened for reading if it is a regular file of at most ``limit`` bytes, else
    :class:`Refused`. The open never blocks (a named pipe put in the file's place is opened without
    waiting for a writer, then refused)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused("not a regular file (a named pipe, a socket or a device): not read", "not-regular")
        if info.st_size > limit:
            raise Refused(
                f"{size_text(info.st_size)}, over the {size_text(limit)} a file may have: not read", "too-large"
            )
        if flags & getattr(os, "O_NONBLOCK", 0):
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return _Capped(os.fdopen(fd, "rb"), limit)  # type: ignore[return-value]
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


class _Capped(io.BufferedIOBase):
    """A file that may not yield more than ``limit`` bytes (one that grows while it is read)."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._left = limit
        self._limit = limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._raw.seek(offset, whence)
        self._left = self._limit - position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def read(self, size: int | None = -1) -> bytes:
        if size == 0:
            return b""
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._raw.read(max(want, 1))  # past the limit (a seek beyond it), one byte tells
        self._left -= len(data)
        if self._left < 0:
            raise Refused(f"grew past the {size_text(self._limit)} a file may have while it was read", "too-large")
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Reopening(io.RawIOBase):
    """A zip file on disk that is opened only while it is read: zipfile parses its directory once
    (:class:`Archive` keeps the ZipFile), and no file stays open between reads. Reopened, it must be
    the same file (device, inode, size, modification time), else the read fails."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path
        self._file: IO[bytes] | None = None
        self._position = 0
        self._identity: tuple[int, int, int, int] | None = None

    def _handle(self) -> IO[bytes]:
        if self._file is None:
            handle = open_regular(self._path, MAX_ZIP_BYTES)
            info = os.fstat(handle.fileno())
            identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
            if self._identity is None:
                self._identity = identity
            elif identity != self._identity:
                handle.close()
                raise OSError("the zip changed while it was being read")
            handle.seek(self._position)
            self._file = handle
        return self._file

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._position = self._handle().seek(offset, whence)
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._handle().read(len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def park(self) -> None:
        """Close the file until the next read."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        self.park()
        super().close()


_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")


def check_directory(stream: IO[bytes], what: str = "the zip") -> None:
    """Refuse a zip whose end records declare more than :data:`MAX_ZIP_MEMBERS` members or a
    central directory over :data:`MAX_CENTRAL_DIRECTORY_BYTES`, before zipfile reads that directory
    (whole, into memory). A zip without end records is left to zipfile, which says it is none."""
    size = stream.seek(0, 2)
    window = min(size, _EOCD.size + 0xFFFF)
    stream.seek(size - window)
    tail = stream.read(window)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        return
    fields = _EOCD.unpack_from(tail, at)
    members, directory = fields[4], fields[5]
    end = size - window + at
    if (members == 0xFFFF or directory == 0xFFFFFFFF) and end >= _LOCATOR.size:
        stream.seek(end - _LOCATOR.size)
        locator = stream.read(_LOCATOR.size)
        if locator[:4] == b"PK\x06\x07":
            stream.seek(_LOCATOR.unpack(locator)[2])
            record = stream.read(_EOCD64.size)
            if len(record) == _EOCD64.size and record[:4] == b"PK\x06\x06":
                values = _EOCD64.unpack(record)
                members, directory = values[7], values[8]
    stream.seek(0)
    _check_members(members, what)
    if directory > MAX_CENTRAL_DIRECTORY_BYTES:
        raise Refused(
            f"{what}'s directory of members is {size_text(directory)}, over the "
            f"{size_text(MAX_CENTRAL_DIRECTORY_BYTES)} cptref reads: not read",
            "too-many-members",
        )


def _check_members(count: int, what: str) -> None:
    if count > MAX_ZIP_MEMBERS:
        raise Refused(
            f"{what} holds {count:,} members, over the {MAX_ZIP_MEMBERS:,} cptref reads: not read", "too-many-members"
        )


def open_zip(stream: IO[bytes], what: str = "the zip") -> zipfile.ZipFile:
    """A ZipFile of ``stream``, its directory bounded first (:func:`check_directory`)."""
    check_directory(stream, what)
    archive = zipfile.ZipFile(stream)
    _check_members(len(archive.infolist()), what)
    return archive


def check_member(info: zipfile.ZipInfo, limit: int, what: str = "the member") -> None:
    """Refuse a zip member whose declared size is over ``limit`` or whose compression ratio is over
    :data:`MAX_COMPRESSION_RATIO` (zipfile never gives more bytes than the declared size)."""
    if info.file_size > limit:
        raise Refused(
            f"{what} is {size_text(info.file_size)} uncompressed, over the {size_text(limit)} cptref reads: not read",
            "too-large",
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise Refused(
            f"{what} expands {ratio:,} times ({size_text(info.compress_size)} to {size_text(info.file_size)}), "
            f"over the {MAX_COMPRESSION_RATIO} times a table compresses (a zip bomb?): not read",
            "compression-ratio",
        )


class Archive:
    """A zip on disk, its directory read once and shared by the entries of its members, and the one
    zip inside it read last (kept while its members are read, which come one after another)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._source = _Reopening(path)
        self._zip: zipfile.ZipFile | None = None
        self._inner: tuple[str, zipfile.ZipFile] | None = None

    def zip(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = open_zip(self._source)  # type: ignore[arg-type]
        return self._zip

    def inner(self, name: str) -> zipfile.ZipFile:
        """The zip that is the member ``name``, read into memory (at most :data:`MAX_NESTED_ZIP_BYTES`)."""
        if self._inner is not None and self._inner[0] == name:
            return self._inner[1]
        self._inner = None
        info = self.zip().getinfo(name)
        check_member(info, MAX_NESTED_ZIP_BYTES, "the zip inside")
        with self.zip().open(info) as stream:
            data = stream.read(MAX_NESTED_ZIP_BYTES + 1)
        inner = open_zip(io.BytesIO(data), "the zip inside")
        self._inner = (name, inner)
        return inner

    @contextlib.contextmanager
    def open(self, members: tuple[str, ...]) -> Iterator[IO[bytes]]:
        """A member's bytes (``members``: the zip inside, then the member, for a nested one)."""
        try:
            archive = self.zip()
            for name in members[:-1]:
                archive = self.inner(name)
            info = archive.getinfo(members[-1])
            check_member(info, limit_for(members[-1]))
            with archive.open(info) as stream:
                yield stream
        finally:
            self.park()

    def park(self) -> None:
        """Close the file on disk until the next read (the directory read stays)."""
        self._source.park()


_EOCD64 = struct.Struct("<4sQ2H2L4Q")
