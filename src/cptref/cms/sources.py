"""Where the tables are: the paths a user gives (directories, zips as downloaded, extracted files)
turned into a list of readable entries, a list of what was skipped and why, and the problems.

A directory is walked (hidden files and folders left out); a zip is opened and its members listed
(a zip inside a zip too, one level down, as when a user zips up a quarter's downloads). Files
that cannot hold a table (.pdf, .docx readmes and the like) are listed as skipped, never read.
Nothing here decides what a file is: that is :mod:`cptref.cms.recognize`, by its header.

:func:`walk` stats the files without opening them; its :func:`fingerprint` (the path, size and
modification time of every candidate file on disk) is what the compiled file is keyed on.
"""

from __future__ import annotations

import contextlib
import io
import os
import posixpath
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
DOCUMENT_SUFFIXES = frozenset(
    {".pdf", ".doc", ".docx", ".rtf", ".htm", ".html", ".md", ".xml", ".json", ".png", ".jpg", ".jpeg", ".gif"}
    | {".ppt", ".pptx", ".odt", ".zip_", ".url", ".lnk", ".ds_store"}
)
LEGACY_SUFFIXES = frozenset({".xls", ".mdb", ".accdb"})
NESTING = 2
"""How deep zips inside zips are opened."""

READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, zipfile.LargeZipFile, NotImplementedError)
"""What reading a damaged or truncated zip member raises (a bad CRC, a cut stream, an unknown
compression method)."""


@dataclass(frozen=True)
class Entry:
    """A file that may hold a table: a file on disk, or a member of a zip (of a zip)."""

    path: Path
    members: tuple[str, ...] = ()

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
        """The file on disk, as given (for messages)."""
        return os.fsdecode(self.path)

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
        out.append(self.path.name)
        out.append(self.path.parent.name)
        return out

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The entry's bytes as a binary stream (the caller catches :data:`READ_ERRORS`)."""
        if not self.members:
            with open(self.path, "rb") as handle:
                yield handle
            return
        with zipfile.ZipFile(self.path) as outer:
            archive = outer
            inner: list[zipfile.ZipFile] = []
            try:
                for member in self.members[:-1]:
                    archive = zipfile.ZipFile(io.BytesIO(archive.read(member)))
                    inner.append(archive)
                with archive.open(self.members[-1]) as stream:
                    yield stream
            finally:
                for z in inner:
                    z.close()

    def read(self) -> bytes:
        with self.open() as stream:
            return stream.read()

    def seekable(self) -> IO[bytes]:
        """The bytes in a seekable stream (an .xlsx inside a zip must be read as a zip itself)."""
        if not self.members:
            return open(self.path, "rb")  # the caller closes it
        return io.BytesIO(self.read())


@dataclass
class Walk:
    """The files on disk the paths lead to, and what was left out."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[CmsProblem] = field(default_factory=list)
    given: list[Path] = field(default_factory=list)
    """The files named directly (not found by walking a directory): an unknown one is an error."""

    def keys(self) -> list[tuple[str, int, int]]:
        """(path, size, modification time in ns) of every file; (-1, -1) when it cannot be stat'ed."""
        keys = []
        for path in self.files:
            try:
                stat = path.stat()
                keys.append((os.fsdecode(path), stat.st_size, stat.st_mtime_ns))
            except OSError:
                keys.append((os.fsdecode(path), -1, -1))
        return keys


def on_disk(display: str) -> str:
    """The file on disk of an :attr:`Entry.display`: the zip of a member of one (``downloads/x.zip``
    for ``downloads/x.zip:PPRRVU.csv``), else the display itself (a colon in a plain file's path,
    a Windows drive among them, stays)."""
    at = display.lower().find(".zip:")
    return display[: at + 4] if at >= 0 else display


def _hidden(name: str) -> bool:
    return name.startswith((".", "~$")) or name == "__MACOSX"


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

    for path in paths:
        if path.is_dir():
            for folder, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                for name in sorted(names):
                    if _hidden(name):
                        continue
                    file = Path(folder) / name
                    reason = _skip_reason(name)
                    if reason is None:
                        add(file, False)
                    else:
                        found.skipped.append(Skipped(os.fsdecode(file), reason))
        elif path.is_file():
            add(path, True)
        else:
            found.problems.append(
                problem(os.fsdecode(path), "no such file or directory", "missing")
                if not path.exists() and not path.is_symlink()
                else problem(os.fsdecode(path), "not a file or directory that can be read", "unreadable")
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
        if path.suffix.lower() != ZIP_SUFFIX:
            out.entries.append(Entry(path))
            continue
        try:
            with zipfile.ZipFile(path) as archive:
                _members(Entry(path), archive, out, 1)
        except READ_ERRORS as error:
            out.problems.append(
                problem(os.fsdecode(path), f"not a readable zip (truncated or damaged?): {_reason(error)}", "bad-zip")
            )
    return out


def _members(parent: Entry, archive: zipfile.ZipFile, out: Expanded, depth: int) -> None:
    for info in archive.infolist():
        name = info.filename
        parts = [p for p in name.split("/") if p]
        if info.is_dir() or not parts or any(_hidden(p) for p in parts):
            continue
        entry = Entry(parent.path, (*parent.members, name))
        reason = _skip_reason(parts[-1])
        if reason is not None:
            out.skipped.append(Skipped(entry.display, reason))
            continue
        if entry.suffix != ZIP_SUFFIX:
            out.entries.append(entry)
            continue
        if depth >= NESTING:
            out.skipped.append(Skipped(entry.display, "a zip nested too deep; extract it first"))
            continue
        try:
            with zipfile.ZipFile(io.BytesIO(archive.read(name))) as inner:
                _members(entry, inner, out, depth + 1)
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
