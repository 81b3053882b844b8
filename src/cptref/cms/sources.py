"""Where the tables are: the paths a user gives (directories, zips as downloaded, extracted files)
turned into a list of readable entries, a list of what was skipped and why, and the problems.

A directory is walked; a zip is opened and its members listed (a zip inside a zip too, one level
down, as when a user zips up a quarter's downloads). Every file found is either an entry or named
with the reason it is not read: files that cannot hold a table (.pdf, .docx readmes and the like),
hidden files and folders, links to folders, and what is refused (below). Nothing here decides what
a file is: that is :mod:`cptref.cms.recognize`, by its header.

The input is untrusted, so it is bounded before it is read (the limits are the ``MAX_*`` constants
below, each refusal a located problem with a stable ``code``):

- only regular files are read: a named pipe, a socket, a device, a broken link (``not-regular``)
  or a link to a file outside the folder walked (``link-outside``) is refused, by ``lstat`` before
  anything is opened and again by ``fstat`` on the opened file (a file never blocks on open);
- a file's bytes (``too-large``): a table at most :data:`MAX_TABLE_BYTES`, a workbook
  :data:`MAX_WORKBOOK_BYTES`, a zip :data:`MAX_ZIP_BYTES`; a zip member by its declared size, which
  is all zipfile ever gives of it (a nested zip or a workbook inside a zip is read into memory, so
  at most :data:`MAX_NESTED_ZIP_BYTES` / :data:`MAX_WORKBOOK_BYTES`);
- a zip member's compression ratio (``compression-ratio``): at most :data:`MAX_COMPRESSION_RATIO`
  for a member over :data:`RATIO_FLOOR` (a zip bomb's ratio is in the hundreds);
- a zip's members (``too-many-members``): at most :data:`MAX_ZIP_MEMBERS`, and a central
  directory of at most :data:`MAX_CENTRAL_DIRECTORY_BYTES`, both read from the zip's end records
  before zipfile parses the directory.

A zip's central directory is read once however many of its members are read (:class:`Archive`,
shared by the entries of its members): reading each member used to parse the whole directory
again, which made a zip of 4,000 members take over half a minute.

:func:`walk` stats the files without opening them; its keys (the path, size and modification time
of every candidate file on disk) are what the compiled file is keyed on. File names are shown with
the bytes that are not UTF-8 escaped (``\\udcff``), in every message and key.
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .models import CmsProblem, Skipped, problem

TABLE_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".xlsx"})
"""What a table can come as (the PTP parts are .txt, often .TXT; MUE .csv; AOC and all of them .xlsx)."""
ZIP_SUFFIX = ".zip"
WORKBOOK_SUFFIX = ".xlsx"
DOCUMENT_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".rtf", ".htm", ".html", ".md", ".xml", ".json", ".png", ".jpg", ".jpeg", ".gif"}
    | {".ppt", ".pptx", ".odt", ".zip_", ".url", ".lnk", ".ds_store"}
)
LEGACY_SUFFIXES = frozenset({".xls", ".mdb", ".accdb"})
NESTING = 2
"""How deep zips inside zips are opened."""

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


def shown(path: str | os.PathLike[str]) -> str:
    """A path for messages and keys: the bytes of a name that are not UTF-8 escaped (``\\udcff``), so
    that any output (and msgpack, and JSON) can hold it."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _limit(name: str) -> int:
    suffix = posixpath.splitext(name)[1].lower()
    if suffix == ZIP_SUFFIX:
        return MAX_ZIP_BYTES
    if suffix == WORKBOOK_SUFFIX:
        return MAX_WORKBOOK_BYTES
    return MAX_TABLE_BYTES


def _size(count: int) -> str:
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
            raise Refused(f"{_size(info.st_size)}, over the {_size(limit)} a file may have: not read", "too-large")
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
            raise Refused(f"grew past the {_size(self._limit)} a file may have while it was read", "too-large")
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
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


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
            f"{what}'s directory of members is {_size(directory)}, over the {_size(MAX_CENTRAL_DIRECTORY_BYTES)} "
            "cptref reads: not read",
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
            f"{what} is {_size(info.file_size)} uncompressed, over the {_size(limit)} cptref reads: not read",
            "too-large",
        )
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        raise Refused(
            f"{what} expands {ratio:,} times ({_size(info.compress_size)} to {_size(info.file_size)}), "
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
            check_member(info, _limit(members[-1]))
            with archive.open(info) as stream:
                yield stream
        finally:
            self.park()

    def park(self) -> None:
        """Close the file on disk until the next read (the directory read stays)."""
        self._source.park()


@dataclass(frozen=True)
class Entry:
    """A file that may hold a table: a file on disk, or a member of a zip (of a zip)."""

    path: Path
    members: tuple[str, ...] = ()
    archive: Archive | None = field(default=None, compare=False, repr=False)
    """The zip on disk, shared by the entries of its members (one is made when it is None)."""

    @property
    def member(self) -> str | None:
        """The member's name inside the zip(s), ``inner.zip/ccipra-v323r0-f1.txt`` when nested."""
        return "/".join(self.members) if self.members else None

    @property
    def name(self) -> str:
        return posixpath.basename(self.members[-1]) if self.members else self.path.name

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1].lower()

    @property
    def file(self) -> str:
        """The file on disk, as given (for messages), its name's bytes that are not UTF-8 escaped."""
        return shown(self.path)

    @property
    def display(self) -> str:
        """``downloads/ptp.zip:ccipra-v323r0-f1.txt``, or the path of a plain file."""
        return f"{self.file}:{self.member}" if self.member else self.file

    def names(self) -> list[str]:
        """The names that may tell the table's version and setting, innermost first: the member
        and its folders, the zip(s), the file on disk and its folder."""
        out: list[str] = []
        for member in reversed(self.members):
            out.extend(reversed([p for p in member.split("/") if p]))
        out.append(shown(self.path.name))
        out.append(shown(self.path.parent.name))
        return out

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The entry's bytes as a binary stream (the caller catches :data:`READ_ERRORS`)."""
        if not self.members:
            with open_regular(self.path, _limit(self.name)) as handle:
                yield handle
            return
        with (self.archive or Archive(self.path)).open(self.members) as stream:
            yield stream

    def read(self) -> bytes:
        with self.open() as stream:
            return stream.read()

    def seekable(self) -> IO[bytes]:
        """The bytes in a seekable stream (an .xlsx inside a zip must be read as a zip itself, so it
        is read into memory: at most :data:`MAX_WORKBOOK_BYTES`)."""
        if not self.members:
            return open_regular(self.path, _limit(self.name))  # the caller closes it
        return io.BytesIO(self.read())


@dataclass
class Walk:
    """The files on disk the paths lead to, and what was left out."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[CmsProblem] = field(default_factory=list)
    given: list[Path] = field(default_factory=list)
    """The files named directly (not found by walking a directory): an unknown one is an error."""
    refused: list[Path] = field(default_factory=list)
    """Files found but refused (not regular, a link out of the folder): keyed too, so that fixing
    one compiles again."""

    def keys(self) -> list[tuple[str, int, int]]:
        """(path, size, modification time in ns) of every file; (-1, -1) when it cannot be stat'ed."""
        keys = []
        for path in self.files:
            try:
                info = path.stat()
                keys.append((shown(path), info.st_size, info.st_mtime_ns))
            except OSError:
                keys.append((shown(path), -1, -1))
        for path in self.refused:
            try:
                info = path.lstat()
                keys.append((shown(path), info.st_size, info.st_mtime_ns))
            except OSError:
                keys.append((shown(path), -1, -1))
        return keys


def on_disk(display: str) -> str:
    """The file on disk of an :attr:`Entry.display`: the zip of a member of one (``downloads/x.zip``
    for ``downloads/x.zip:PPRRVU.csv``), else the display itself (a colon in a plain file's path,
    a Windows drive among them, stays)."""
    at = display.lower().find(".zip:")
    return display[: at + 4] if at >= 0 else display


def _hidden(name: str) -> bool:
    return name.startswith((".", "~$")) or name == "__MACOSX"


HIDDEN = "hidden (a name starting with '.' or '~$', or a __MACOSX folder): not read"


def _skip_reason(name: str) -> str | None:
    """Why a file of this name is not read, or None when it may hold a table."""
    suffix = posixpath.splitext(name)[1].lower()
    if suffix in TABLE_SUFFIXES or suffix == ZIP_SUFFIX:
        return None
    if suffix in LEGACY_SUFFIXES:
        return f"a legacy {suffix} file: cptref reads .txt, .csv and .xlsx tables (and .zip files of them)"
    if suffix in DOCUMENT_SUFFIXES:
        return f"not a table ({suffix} document)"
    return f"not a table format ({suffix or 'no extension'})"


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # another drive
        return False


def refusal(file: Path, root: str | None) -> tuple[str, str] | None:
    """Why a file found under the folder ``root`` (resolved) is not opened, and the problem's code;
    None for a regular file, or a link to one inside the folder. Stats, never opens."""
    try:
        info = os.lstat(file)
        if stat.S_ISLNK(info.st_mode):
            try:
                target = os.stat(file)
            except OSError:
                return "a link to nothing (broken): not read", "not-regular"
            if not stat.S_ISREG(target.st_mode):
                return "a link to something that is not a regular file (a device, a pipe, a folder): not read", (
                    "not-regular"
                )
            if root is not None and not _inside(os.path.realpath(file), root):
                return (
                    "a link to a file outside the folder: not followed (name that file itself, or copy it here)",
                    "link-outside",
                )
            return None
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file (a named pipe, a socket or a device): not read", "not-regular"
    except OSError as error:
        return f"cannot be read: {_reason(error)}", "unreadable"
    return None


def walk(paths: Sequence[Path]) -> Walk:
    """The candidate files on disk under ``paths``, in a stable order, without opening any."""
    found = Walk()
    seen: set[Path] = set()

    def add(path: Path, given: bool) -> None:
        key = path.absolute()
        if key in seen:
            return
        seen.add(key)
        found.files.append(path)
        if given:
            found.given.append(path)

    def unlistable(error: OSError) -> None:
        name = error.filename if error.filename is not None else "?"
        found.problems.append(problem(shown(name), f"a folder that cannot be listed: {_reason(error)}", "unreadable"))

    for path in paths:
        if path.is_dir():
            root = os.path.realpath(path)
            for folder, dirs, names in os.walk(path, onerror=unlistable):
                keep = []
                for name in sorted(dirs):
                    sub = Path(folder) / name
                    if _hidden(name):
                        found.skipped.append(Skipped(shown(sub), HIDDEN))
                    elif sub.is_symlink():
                        found.skipped.append(Skipped(shown(sub), "a link to a folder: not followed"))
                    else:
                        keep.append(name)
                dirs[:] = keep
                for name in sorted(names):
                    file = Path(folder) / name
                    if _hidden(name):
                        found.skipped.append(Skipped(shown(file), HIDDEN))
                        continue
                    reason = _skip_reason(name)
                    if reason is not None:
                        found.skipped.append(Skipped(shown(file), reason))
                        continue
                    refused = refusal(file, root)
                    if refused is not None:
                        found.problems.append(problem(shown(file), refused[0], refused[1]))
                        found.skipped.append(Skipped(shown(file), refused[0]))
                        found.refused.append(file)
                        continue
                    add(file, False)
        elif path.is_file():
            add(path, True)
        else:
            found.problems.append(
                problem(shown(path), "no such file or directory", "missing")
                if not path.exists() and not path.is_symlink()
                else problem(shown(path), "not a file or directory that can be read", "unreadable")
            )
    return found


@dataclass
class Expanded:
    """The readable entries, with the zips opened."""

    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[CmsProblem] = field(default_factory=list)


def expand(found: Walk) -> Expanded:
    """Every file on disk as an entry; every zip as its members' entries (its readmes skipped)."""
    out = Expanded(skipped=list(found.skipped), problems=list(found.problems))
    for path in found.files:
        file = shown(path)
        try:
            size = path.stat().st_size
        except OSError as error:
            out.problems.append(problem(file, f"cannot be read: {_reason(error)}", "unreadable"))
            out.skipped.append(Skipped(file, "unreadable"))
            continue
        limit = _limit(path.name)
        if size > limit:
            message = f"{_size(size)}, over the {_size(limit)} cptref reads in a file of this kind: not read"
            out.problems.append(problem(file, message, "too-large"))
            out.skipped.append(Skipped(file, message))
            continue
        if path.suffix.lower() != ZIP_SUFFIX:
            out.entries.append(Entry(path))
            continue
        archive = Archive(path)
        try:
            _members(Entry(path, archive=archive), archive, archive.zip(), out, 1)
        except Refused as refused:
            out.problems.append(problem(file, str(refused), refused.code))
            out.skipped.append(Skipped(file, str(refused)))
        except READ_ERRORS as error:
            out.problems.append(
                problem(file, f"not a readable zip (truncated or damaged?): {_reason(error)}", "bad-zip")
            )
        finally:
            archive.park()
    return out


def _members(parent: Entry, archive: Archive, listing: zipfile.ZipFile, out: Expanded, depth: int) -> None:
    hidden: set[str] = set()
    names: set[str] = set()
    for info in listing.infolist():
        name = info.filename
        parts = [p for p in name.split("/") if p]
        if info.is_dir() or not parts:
            continue
        entry = Entry(parent.path, (*parent.members, name), archive)
        secret = next((i for i, p in enumerate(parts) if _hidden(p)), None)
        if secret is not None:
            top = "/".join(parts[: secret + 1]) + ("/" if secret < len(parts) - 1 else "")
            if top not in hidden:  # a hidden folder (__MACOSX/) is named once, not each file in it
                hidden.add(top)
                out.skipped.append(
                    Skipped(f"{parent.display}:{top}" if not parent.members else f"{parent.display}/{top}", HIDDEN)
                )
            continue
        if name in names:
            out.problems.append(
                problem(
                    parent.file,
                    "the zip holds two members of this name: one is read",
                    "duplicate-member",
                    member=entry.member,
                )
            )
            out.skipped.append(Skipped(entry.display, "a second member of the same name"))
            continue
        names.add(name)
        reason = _skip_reason(parts[-1])
        if reason is not None:
            out.skipped.append(Skipped(entry.display, reason))
            continue
        if entry.suffix != ZIP_SUFFIX:
            try:
                check_member(info, _limit(name))
            except Refused as refused:
                out.problems.append(problem(parent.file, str(refused), refused.code, member=entry.member))
                out.skipped.append(Skipped(entry.display, str(refused)))
                continue
            out.entries.append(entry)
            continue
        if depth >= NESTING:
            out.skipped.append(Skipped(entry.display, "a zip nested too deep; extract it first"))
            continue
        try:
            inner = archive.inner(name)
            _members(entry, archive, inner, out, depth + 1)
        except Refused as refused:
            out.problems.append(problem(parent.file, str(refused), refused.code, member=entry.member))
            out.skipped.append(Skipped(entry.display, str(refused)))
        except READ_ERRORS as error:
            out.problems.append(
                problem(
                    parent.file,
                    f"the zip inside is not readable (truncated or damaged?): {_reason(error)}",
                    "bad-zip",
                    member=entry.member,
                )
            )


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__
