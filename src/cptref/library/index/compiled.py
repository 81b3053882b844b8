"""The compiled index: built on first use, rebuilt when the data changes, never trusted when stale.

The index is a SQLite file in the user cache directory (``CPTREF_CACHE_DIR`` overrides it), one
per data directory. It records the cptref version, the index format, the data directory and a
fingerprint of the data's files; when any of them differs from what is on disk, or the file is
unreadable or truncated, the index is rebuilt from the YAML and written atomically (a temporary
file renamed into place), so a concurrent reader sees either the old index or the new one. When
the cache directory cannot be written, the command still works from the parsed data, only slower.

Fingerprint: for a data directory a user can edit (a checkout, ``--data``), the name, size,
modification and change time of every data file; for a packed library (``cptref pack``), the
file's own status. For the data shipped inside an installed package, which
cannot change under an installed version, the cptref version and the data folder's own
modification time (no per-file stat).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from cptref import __version__
from cptref.library import paths
from cptref.library.stores import MemoryStore

from .cache import cache_dir, mark_used, write_atomically
from .postings import INDEX_PAGE_SIZE
from .reader import IndexStore

if TYPE_CHECKING:
    from cptref.library.read import Progress

    from .plan import Stats

INDEX_FORMAT = "7"


def _installed(root: Path) -> bool:
    """Whether ``root`` is the data folder inside an installed package (immutable per version)."""
    inside = Path(__file__).resolve().parent.parent.parent / "data"
    return inside.is_dir() and root.resolve() == inside


def data_fingerprint(root: Path, seen: list[Stats | None] | None = None) -> bytes:
    """A key that changes whenever a data file is added, removed, resized or modified.

    For a user's data directory: a digest of every data file's name, size, modification and change time
    (each record file's status is added to ``seen``, when given, for the build to reuse). For the
    data inside an installed package: the version and the folder's own status (no per-file stat:
    an installed version's data cannot change).
    """
    head = f"{INDEX_FORMAT}\0{__version__}\0"
    folder = paths.procedures_dir(root)
    if not paths.is_directory(folder) and _is_pack(root):  # one file: its own status says whether it changed
        from cptref.library.pack.file import status as pack_status

        if seen is not None:
            seen.append(None)
        return f"{head}pack\0{pack_status(root)}".encode()
    if _installed(root):
        if seen is not None:
            seen.append(None)
        info = folder.stat()
        return f"{head}installed\0{info.st_mtime_ns}\0{info.st_ino}".encode()
    import hashlib

    digest = hashlib.blake2b(digest_size=20)
    for extra in (paths.sources_file(root), root / paths.FAMILIES_FILE):
        with contextlib.suppress(OSError):
            digest.update(b"%s\0%s\n" % (os.fsencode(extra.name), paths.file_status(extra.stat())))
    # the files the loader reads (procedure_paths): a hidden one, such as an editor's lock file, is not data
    names = sorted(n for n in os.listdir(folder) if n.endswith(".yaml") and not n.startswith("."))
    stats: Stats = {}
    if os.stat in os.supports_dir_fd:  # one path resolution for the folder, not one per file
        handle = os.open(folder, os.O_RDONLY)
        try:
            for name in names:
                stats[name] = _stat(name, handle)
        finally:
            os.close(handle)
    else:
        for name in names:
            stats[name] = _stat(folder / name)
    for name, found in stats.items():  # a file that cannot be stat'ed (a dangling symlink): the loader says why
        digest.update(b"%s\0%s\n" % (os.fsencode(name), found or b"-"))
    if seen is not None:
        seen.append(stats)
    return f"{head}{len(stats)}\0{digest.hexdigest()}".encode()


def _is_pack(root: Path) -> bool:
    from cptref.library.pack.file import is_pack

    return is_pack(root)


def _stat(path: str | Path, dir_fd: int | None = None) -> bytes | None:
    try:
        return paths.file_status(os.stat(path, dir_fd=dir_fd))
    except OSError:
        return None


def _descriptors_key(descriptors: Path | None) -> bytes:
    """The licensed descriptor file's path, size and modification time ("" when none is used)."""
    if descriptors is None:
        return b""
    try:
        stat = descriptors.stat()
    except OSError:
        return os.fsencode(f"{_resolved(descriptors)}\0missing")
    return os.fsencode(f"{_resolved(descriptors)}\0{stat.st_size}\0{stat.st_mtime_ns}")


def _exists(path: Path) -> bool:
    """Whether ``path`` exists; False, not an error, when it cannot be looked at (a cache directory
    that cannot be searched, mode 0600: ``Path.exists`` raises PermissionError there)."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return True


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


def _expected_meta(
    roots: Sequence[Path], descriptors: Path | None = None, seen: list[Stats | None] | None = None
) -> dict[str, bytes]:
    return {
        "format": INDEX_FORMAT.encode(),
        "version": __version__.encode(),
        "data_dir": _layers_key(roots),
        "fingerprint": b"\n".join(data_fingerprint(root, seen) for root in roots),
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
        mark_used(path)
        return store
    except (OSError, sqlite3.Error, ValueError, TypeError):  # TypeError: a value of the wrong type
        return None


def build_store(
    roots: Sequence[Path], progress: Progress | None = None, descriptors: Path | None = None
) -> MemoryStore:
    """Parse and validate the data directories: the valid records, and every problem found (each
    file named by its absolute path, so that the index can be read from any folder). A record whose
    file has a problem is left out; the problems say which (:attr:`MemoryStore.problems`)."""
    from cptref.library.read import read_store

    store, problems = read_store(roots, progress, descriptors=descriptors)
    if not problems:
        return store
    from cptref.library.problems import broken_codes, mentions

    located = [msgspec.structs.replace(p, file=os.path.abspath(p.file)) for p in problems]
    broken = broken_codes(located)
    located.extend(mentions(roots, located))
    return MemoryStore(
        (r for r in store.records() if r.code not in broken),
        store.sources,
        store.families,
        store.descriptors,
        store.origins or None,
        store.shared_origins(),
        store.overrides,
        problems=located,
    )


def _same_build(db: sqlite3.Connection, expected: dict[str, bytes]) -> bool:
    """Whether an index was written by this cptref, in this format, for these data directories (its
    records can then be reused for the files that did not change)."""
    for key in ("format", "version", "data_dir"):
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None or bytes(row[0]) != expected[key]:
            return False
    return True


def open_store(
    roots: Path | Sequence[Path], progress: Progress | None = None, descriptors: Path | None = None
) -> IndexStore | MemoryStore:
    """The index of the data directories ``roots``, lowest first (with a licensed descriptor file's
    text, when given): the cached one when it is current, else a fresh one (cached if possible)."""
    layered = [roots] if isinstance(roots, Path) else list(roots)
    try:
        seen: list[Stats | None] = []
        expected = _expected_meta(layered, descriptors, seen)
    except OSError:  # a procedures folder that cannot be listed: the loader says what is wrong with it
        return build_store(layered, progress, descriptors)
    path = index_path(layered, descriptors)

    def heal() -> MemoryStore:  # the index proved damaged while read: parse the data, write it again
        from .build import write_store

        store = build_store(layered, progress, descriptors)
        with contextlib.suppress(OSError, sqlite3.Error):
            write_atomically(path, lambda db: write_store(db, store, expected), INDEX_PAGE_SIZE)
        return store

    cached = _open_valid(path, expected, heal)
    if cached is not None:
        return cached
    from .build import build
    from .plan import Previous

    previous = Previous(path if _exists(path) else None, lambda db: _same_build(db, expected))
    try:
        write_atomically(
            path,
            lambda db: build(db, layered, expected, progress=progress, descriptors=descriptors, previous=previous),
            INDEX_PAGE_SIZE,
        )
    except (OSError, sqlite3.Error):  # the cache cannot be written: the data parsed, in memory
        return build_store(layered, progress, descriptors)
    finally:
        previous.close()
    return _open_valid(path, expected, heal) or build_store(layered, progress, descriptors)
