"""The compiled index: built on first use, rebuilt when the data changes, never trusted when stale.

The index is a SQLite file in the user cache directory (``CPTREF_CACHE_DIR`` overrides it), one
per data directory. It records the cptref version, the index format, the data directory and a
fingerprint of the data's files; when any of them differs from what is on disk, or the file is
unreadable or truncated, the index is rebuilt from the YAML and written atomically (a temporary
file renamed into place), so a concurrent reader sees either the old index or the new one. When
the cache directory cannot be written, the command still works from the parsed data, only slower.

Fingerprint: for a data directory a user can edit (a checkout, ``--data``), the name, size and
modification time of every data file. For the data shipped inside an installed package, which
cannot change under an installed version, the cptref version and the data folder's own
modification time (no per-file stat).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__, resources
from .errors import DataErrors
from .store import IndexStore, MemoryStore, write_index

if TYPE_CHECKING:
    from .loader import Progress

FORMAT = "5"
ENV_CACHE = "CPTREF_CACHE_DIR"


def cache_dir() -> Path:
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("cptref", appauthor=False))


def _installed(root: Path) -> bool:
    """Whether ``root`` is the data folder inside an installed package (immutable per version)."""
    inside = Path(__file__).resolve().parent / "data"
    return inside.is_dir() and root.resolve() == inside


def fingerprint(root: Path) -> bytes:
    """A key that changes whenever a data file is added, removed, resized or modified.

    For a user's data directory: a digest of every data file's name, size and modification time.
    For the data inside an installed package: the version and the folder's own status (no
    per-file stat: an installed version's data cannot change).
    """
    head = f"{FORMAT}\0{__version__}\0"
    folder = resources.procedures_dir(root)
    if _installed(root):
        stat = folder.stat()
        return f"{head}installed\0{stat.st_mtime_ns}\0{stat.st_ino}".encode()
    entries: list[tuple[str, int, int]] = []
    for extra in (resources.sources_file(root), root / resources.FAMILIES):
        with contextlib.suppress(OSError):
            stat = extra.stat()
            entries.append((extra.name, stat.st_size, stat.st_mtime_ns))
    # the files the loader reads (procedure_paths): a hidden one, such as an editor's lock file, is not data
    names = [n for n in os.listdir(folder) if n.endswith(".yaml") and not n.startswith(".")]
    if os.stat in os.supports_dir_fd:  # one path resolution for the folder, not one per file
        handle = os.open(folder, os.O_RDONLY)
        try:
            for name in names:
                entries.append(_entry(name, name, handle))
        finally:
            os.close(handle)
    else:
        for name in names:
            entries.append(_entry(name, folder / name))
    entries.sort()
    import hashlib

    import msgspec

    digest = hashlib.blake2b(msgspec.msgpack.encode(entries), digest_size=20).hexdigest()
    return f"{head}{len(entries)}\0{digest}".encode()


def _entry(name: str, path: str | Path, dir_fd: int | None = None) -> tuple[str, int, int]:
    """A file's name, size and modification time; (-1, -1) when it cannot be stat'ed (a dangling
    symlink, a symlink loop), which the loader then reports as a problem of that file."""
    try:
        found = os.stat(path, dir_fd=dir_fd)
    except OSError:
        return (name, -1, -1)
    return (name, found.st_size, found.st_mtime_ns)


def _descriptors_key(descriptors: Path | None) -> bytes:
    """The licensed descriptor file's path, size and modification time ("" when none is used)."""
    if descriptors is None:
        return b""
    try:
        stat = descriptors.stat()
    except OSError:
        return os.fsencode(f"{_resolved(descriptors)}\0missing")
    return os.fsencode(f"{_resolved(descriptors)}\0{stat.st_size}\0{stat.st_mtime_ns}")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13)
        return path.absolute()


def _layers_key(roots: Sequence[Path]) -> bytes:
    return b"\n".join(os.fsencode(_resolved(root)) for root in roots)  # a name need not be UTF-8


def index_path(roots: Sequence[Path], descriptors: Path | None = None) -> Path:
    """One index file per set of data directories (and licensed descriptor file), named by a
    checksum of their paths."""
    resolved = _layers_key(roots)
    if descriptors is not None:
        resolved += b"\0" + os.fsencode(_resolved(descriptors))
    name = f"{zlib.crc32(resolved):08x}{zlib.adler32(resolved):08x}"
    return cache_dir() / f"index-{name}.sqlite"


def _expected_meta(roots: Sequence[Path], descriptors: Path | None = None) -> dict[str, bytes]:
    return {
        "format": FORMAT.encode(),
        "version": __version__.encode(),
        "data_dir": _layers_key(roots),
        "fingerprint": b"\n".join(fingerprint(root) for root in roots),
        "descriptors": _descriptors_key(descriptors),
    }


def _open_valid(
    path: Path, expected: dict[str, bytes], rebuild: Callable[[], MemoryStore] | None = None
) -> IndexStore | None:
    """The index at ``path`` if it exists, is whole, and was built from exactly this data.

    ``rebuild`` is what the store falls back on if a page proves damaged when read later.
    """
    try:
        size = path.stat().st_size
        store = IndexStore.open(path, rebuild)
        for key, value in expected.items():
            if store.meta(key) != value:
                return None
        if store.page_bytes() != size:
            return None  # truncated or padded since it was written
        _mark_used(path)
        return store
    except (OSError, sqlite3.Error, ValueError, TypeError):  # TypeError: a value of the wrong type
        return None


def build_store(
    roots: Sequence[Path], progress: Progress | None = None, descriptors: Path | None = None
) -> MemoryStore:
    """Parse and validate the data directories; raises :class:`DataErrors` on any problem."""
    from .catalog import read_store

    store, problems = read_store(roots, progress, descriptors=descriptors)
    if problems:
        raise DataErrors(problems)
    return store


def _write(path: Path, store: MemoryStore, meta: dict[str, bytes]) -> None:
    """Write the index next to ``path`` and rename it into place; any failure leaves no file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_index(temp, store, meta)
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    _prune(path)


DAY = 86_400.0
UNUSED_DAYS = 30
"""An index not used for this many days (its data directory gone, a temporary folder) is deleted
when another index is written; a used one has its modification time refreshed once a day."""


def _mark_used(path: Path) -> None:
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > DAY:
            os.utime(path)


def _prune(keep: Path) -> None:
    """Delete the indexes (and a crashed writer's temporary files) no command has used for long."""
    now = time.time()
    with contextlib.suppress(OSError):
        for other in keep.parent.iterdir():
            if other == keep or not other.name.startswith(("index-", ".index-")):
                continue
            with contextlib.suppress(OSError):
                age = now - other.lstat().st_mtime
                if age > UNUSED_DAYS * DAY or (other.name.endswith(".tmp") and age > DAY):
                    other.unlink()


def open_store(
    roots: Path | Sequence[Path], progress: Progress | None = None, descriptors: Path | None = None
) -> IndexStore | MemoryStore:
    """The index of the data directories ``roots``, lowest first (with a licensed descriptor file's
    text, when given): the cached one when it is current, else a fresh one (cached if possible)."""
    layered = [roots] if isinstance(roots, Path) else list(roots)
    try:
        expected = _expected_meta(layered, descriptors)
    except OSError:  # a procedures folder that cannot be listed: the loader says what is wrong with it
        return build_store(layered, progress, descriptors)
    path = index_path(layered, descriptors)

    def rebuild() -> MemoryStore:
        store = build_store(layered, progress, descriptors)
        with contextlib.suppress(OSError, sqlite3.Error):
            _write(path, store, expected)
        return store

    cached = _open_valid(path, expected, rebuild)
    return cached if cached is not None else rebuild()
