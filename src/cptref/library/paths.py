"""The one place that knows where the data lives.

Order: an explicit directory (``--data``), then the ``CPTREF_DATA`` environment variable, then the
data shipped inside the installed package (``cptref/data`` in the wheel), then, when running from a
source checkout, the checkout's ``data/`` folder.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ENV_DATA = "CPTREF_DATA"
ENV_CMS = "CPTREF_CMS"
"""The user's own CMS downloads (a path list of folders, zips or files): PTP, MUE, AOC, PPRRVU."""
ENV_DESCRIPTORS = "CPTREF_DESCRIPTORS"
"""A user's licensed descriptor file (tab-separated: code, then the official descriptor)."""
PROCEDURES_DIR = "procedures"
SOURCES_FILE = "sources.yaml"
FAMILIES_FILE = "families.yaml"
RELEASE_FILE = "RELEASE"
"""A one-line file naming the data's release (a date such as 2026-11-22), shown by --version."""


def shipped_data_dir() -> Path:
    """The data that came with this installation of cptref."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "data"
    if inside.is_dir():
        return inside
    return package.parent.parent / "data"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The one data directory a user names (``override``, else the last of ``$CPTREF_DATA``), else
    the shipped data: the folder ``cptref validate`` lints by default."""
    extra = split_path_list(override) if override else split_path_list(os.environ.get(ENV_DATA, ""))
    return extra[-1] if extra else shipped_data_dir()


def split_path_list(value: str | os.PathLike[str]) -> list[Path]:
    """``a:b`` (``a;b`` on Windows) as paths; empty entries dropped."""
    return [Path(part) for part in os.fspath(value).split(os.pathsep) if part]


def layers(override: str | os.PathLike[str] | None = None) -> list[Path]:
    """The data directories to read, lowest first: the shipped data, then the user's own
    directories (``override``, a path list, else ``$CPTREF_DATA``); for each code the record of the
    last directory that has it wins. A directory named twice counts once, at its last place."""
    extra = split_path_list(override) if override else split_path_list(os.environ.get(ENV_DATA, ""))
    ordered: list[Path] = []
    for root in [shipped_data_dir(), *extra]:
        resolved = _same(root)
        ordered = [r for r in ordered if _same(r) != resolved]
        ordered.append(root)
    return ordered


def _same(root: Path) -> Path:
    """The path a directory is known by, to tell two names of one directory: resolved when it exists."""
    if stat_or_none(root) is None:
        return root
    try:
        return root.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return root


def stat_or_none(path: str | os.PathLike[str]) -> os.stat_result | None:
    """What is at ``path`` (links followed), or None when nothing can be found there: it does not
    exist, or cannot be reached (a folder on the way that cannot be searched, mode 0600, a link
    loop). Never raises: ``Path.exists`` and ``Path.is_dir`` raise PermissionError there."""
    try:
        return os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None


def is_directory(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a directory (False when it cannot be reached; never raises)."""
    info = stat_or_none(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def present(path: str | os.PathLike[str]) -> bool:
    """False only when nothing is at ``path`` (it, or a folder on the way, does not exist): a path
    that exists but cannot be reached counts as present, so that reading it says why it cannot be read."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def absence(path: str | os.PathLike[str]) -> str:
    """Why nothing usable is at ``path``, in the words of a message: ``does not exist``, or ``cannot be
    reached (Permission denied)`` for a folder on the way that cannot be searched."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be reached ({exc.strerror or type(exc).__name__})"
    except ValueError:
        return "is not a valid path"
    return "exists"


def is_special(info: os.stat_result) -> bool:
    """Whether a status is a named pipe, a socket or a device: something that is neither a regular file
    nor a directory, which cptref never opens as data (a pipe would block the command)."""
    return not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode))


def procedures_dir(root: Path) -> Path:
    return root / PROCEDURES_DIR


def sources_file(root: Path) -> Path:
    return root / SOURCES_FILE


def procedure_file(root: Path, code: str) -> Path:
    return root / PROCEDURES_DIR / f"{code}.yaml"


def data_release(root: Path) -> str | None:
    """The release named in the data directory's RELEASE file, or None when there is none."""
    try:
        text = (root / RELEASE_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text.splitlines()[0].strip() if text else None


def descriptors_file(override: str | os.PathLike[str] | None = None) -> Path | None:
    """The licensed descriptor file to read: ``override``, else ``$CPTREF_DESCRIPTORS``, else none."""
    if override:
        return Path(override)
    env = os.environ.get(ENV_DESCRIPTORS)
    return Path(env) if env else None


def cms_paths(override: str | os.PathLike[str] | None = None) -> list[Path]:
    """The CMS tables to read: ``override`` (``--cms``, a path list), else ``$CPTREF_CMS``; [] for none."""
    return split_path_list(override) if override else split_path_list(os.environ.get(ENV_CMS, ""))


def file_status(info: os.stat_result) -> bytes:
    """What identifies a data file's content without reading it: its size, and modification and
    change times (the compiled index's fingerprint, and a record's reuse in a rebuild)."""
    return b"%d\0%d\0%d" % (info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def display_path(path: Path) -> str:
    """A path as a user should read it in a message: relative to the working directory if inside.

    Always printable text on one line: bytes of a file name that are not UTF-8 are shown as
    ``\\xff``, control characters as ``\\n``, ``\\t``.
    """
    try:  # as named, links not followed: a record linked from elsewhere is shown where it is read
        shown = str(Path(os.path.abspath(path)).relative_to(os.path.abspath(os.getcwd())))
    except (ValueError, OSError):
        shown = str(path)
    return display_name(shown)


def display_name(name: str) -> str:
    """A file name (or path) as :func:`display_path` shows it: bytes that are not UTF-8 as ``\\xff``,
    control characters as ``\\n``, on one printable line."""
    try:
        shown = os.fsencode(name).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that no file name decodes to
        shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
    if not shown.isprintable():  # a newline or a tab in a name must not split a one-line message
        shown = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)
    return shown
