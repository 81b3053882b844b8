"""Where the tables are: the paths a user gives (directories, zips as downloaded, extracted files)
turned into a list of readable entries, a list of what was skipped and why, and the problems.

A directory is walked; a zip is opened and its members listed (a zip inside a zip too, one level
down, as when a user zips up a quarter's downloads). Every file found is either an entry or named
with the reason it is not read: files that cannot hold a table (.pdf, .docx readmes and the like),
hidden files and folders, links to folders, and what is refused (below). Nothing here decides what
a file is: that is :mod:`cptref.cms.recognize`, by its header.

The input is untrusted: every file and zip is read bounded (:mod:`.archives`: the limits and why).

:func:`walk` stats the files without opening them; its keys (the path, size, modification and change
time of every candidate file on disk) are what the compiled file is keyed on. File names are shown with
the bytes that are not UTF-8 escaped (``\\udcff``), in every message and key.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .archives import READ_ERRORS, ZIP_SUFFIX, Archive, Refused, check_member, limit_for, open_regular, size_text
from .models import CmsProblem, Skipped, problem

TABLE_SUFFIXES = frozenset({".txt", ".csv", ".tsv", ".xlsx"})
"""What a table can come as (the PTP parts are .txt, often .TXT; MUE .csv; AOC and all of them .xlsx)."""
DOCUMENT_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".rtf", ".htm", ".html", ".md", ".xml", ".json", ".png", ".jpg", ".jpeg", ".gif"}
    | {".ppt", ".pptx", ".odt", ".zip_", ".url", ".lnk", ".ds_store"}
)
LEGACY_SUFFIXES = frozenset({".xls", ".mdb", ".accdb"})
NESTING = 2
"""How deep zips inside zips are opened."""


def shown(path: str | os.PathLike[str]) -> str:
    """A path for messages and keys: the bytes of a name that are not UTF-8 escaped (``\\udcff``), so
    that any output (and msgpack, and JSON) can hold it."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


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
            with open_regular(self.path, limit_for(self.name)) as handle:
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
            return open_regular(self.path, limit_for(self.name))  # the caller closes it
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

    def keys(self) -> list[tuple[str, int, int, int]]:
        """(path, size, modification time in ns, change time in ns) of every file; (-1, -1, -1) when it
        cannot be stat'ed. The change time is the operating system's own (no tool sets it back, as
        ``touch -r`` or a copy keeping times sets the modification time back): a file rewritten with
        the same size and its old modification time still compiles again."""
        keys = []
        for path in self.files:
            try:
                info = path.stat()
                keys.append((shown(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns))
            except OSError:
                keys.append((shown(path), -1, -1, -1))
        for path in self.refused:
            try:
                info = path.lstat()
                keys.append((shown(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns))
            except OSError:
                keys.append((shown(path), -1, -1, -1))
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
        try:  # Path.is_dir and is_file raise where a folder on the way cannot be searched (mode 0600)
            info: os.stat_result | OSError = os.stat(path)
        except OSError as error:
            info = error
        except ValueError:  # a NUL in the path
            info = OSError(0, "not a valid path")
        if isinstance(info, os.stat_result) and stat.S_ISDIR(info.st_mode):
            root = os.path.realpath(path)
            for folder, dirs, names in os.walk(path, onerror=unlistable):
                keep = []
                for name in sorted(dirs):
                    sub = Path(folder) / name
                    if _hidden(name):
                        found.skipped.append(Skipped(shown(sub), HIDDEN))
                    elif os.path.islink(sub):
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
        elif isinstance(info, os.stat_result) and stat.S_ISREG(info.st_mode):
            add(path, True)
        elif isinstance(info, FileNotFoundError) and not os.path.islink(path):
            found.problems.append(problem(shown(path), "no such file or directory", "missing"))
        elif isinstance(info, OSError):
            found.problems.append(problem(shown(path), f"cannot be read: {_reason(info)}", "unreadable"))
        else:
            special = "not a regular file or a folder (a named pipe, a socket or a device): not read"
            found.problems.append(problem(shown(path), special, "not-regular"))
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
        limit = limit_for(path.name)
        if size > limit:
            message = f"{size_text(size)}, over the {size_text(limit)} cptref reads in a file of this kind: not read"
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
                check_member(info, limit_for(name))
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
    if isinstance(error, OSError) and error.strerror:  # "Permission denied", not the errno and the path again
        return error.strerror
    text = str(error).strip()
    return text or type(error).__name__
