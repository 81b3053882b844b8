"""The cache folder and the files cptref keeps there: where it is, written atomically, marked, pruned.

The compiled index (:mod:`.compiled`) and the user's CMS tables (:mod:`cptref.cms.compile`) are both
SQLite files in the user cache directory (``CPTREF_CACHE_DIR`` overrides it). Each is written beside
its place and renamed into it once whole, so a concurrent reader sees the old file or the new one,
never half of one; each carries cptref's mark (:func:`stamp`), and a file not used for
:data:`UNUSED_DAYS` days is deleted when another is written (only files :func:`owned` says are cptref's).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path

ENV_CACHE = "CPTREF_CACHE_DIR"


def cache_dir() -> Path:
    """Where the compiled index is kept: ``$CPTREF_CACHE_DIR``, else the user cache directory. On
    Linux that is ``$XDG_CACHE_HOME/cptref`` (an absolute one), else ``~/.cache/cptref``, as
    platformdirs says, worked out here: importing platformdirs costs every command a few ms."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env)
    if sys.platform.startswith("linux"):
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "cptref"
    import platformdirs

    return Path(platformdirs.user_cache_dir("cptref", appauthor=False))


def write_atomically(path: Path, fill: Callable[[sqlite3.Connection], object], page_size: int | None = None) -> None:
    """Write a new index next to ``path`` (``fill`` writes its tables; ``page_size``: the file's,
    set before anything is written) and rename it into place; any failure leaves no file. The cache
    directory is created private (0700) and the index is the owner's alone (0600): it may hold the
    text of a licensed descriptor file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        db = sqlite3.connect(temp)
        try:
            if page_size is not None:
                db.execute(f"PRAGMA page_size = {int(page_size)}")
            stamp(db)
            fill(db)
        finally:
            db.close()
        os.replace(temp, path)
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    prune(path)


DAY = 86_400.0
UNUSED_DAYS = 30
"""An index not used for this many days (its data directory gone, a temporary folder) is deleted
when another index is written; a used one has its modification time refreshed once a day."""


def mark_used(path: Path) -> None:
    with contextlib.suppress(OSError):
        if time.time() - path.stat().st_mtime > DAY:
            os.utime(path)


CACHE_FILE_ID = 0x43505446
"""Stamped into the header of every SQLite file cptref writes in its cache (``PRAGMA application_id``):
the marker by which the prune knows a file is cptref's own, whatever its name."""
_OWNED = re.compile(r"\.?(?:index-[0-9a-f]{16}|cms-[0-9a-f]{20})\.sqlite(?:\.[0-9]+\.tmp)?")
"""The names cptref gives the files of its cache: an index, the CMS tables, a writer's temporary file."""


def stamp(db: sqlite3.Connection) -> None:
    """Mark a SQLite file as cptref's (before its first table is written)."""
    db.execute(f"PRAGMA application_id = {CACHE_FILE_ID}")


def owned(path: Path) -> bool:
    """Whether ``path`` is a file cptref wrote: its name is one cptref gives, and its header carries
    cptref's mark. Anything else in a shared cache directory is left alone."""
    if not _OWNED.fullmatch(path.name):
        return False
    try:
        with path.open("rb") as handle:
            header = handle.read(72)
    except OSError:
        return False
    return (
        len(header) == 72
        and header.startswith(b"SQLite format 3\0")
        and int.from_bytes(header[68:72], "big") == CACHE_FILE_ID
    )


def prune(keep: Path) -> None:
    """Delete cptref's own indexes and compiled tables no command has used for long (and a crashed
    writer's temporary files): only files :func:`owned` says cptref wrote."""
    now = time.time()
    with contextlib.suppress(OSError):
        for other in keep.parent.iterdir():
            if other == keep or not _OWNED.fullmatch(other.name):
                continue
            with contextlib.suppress(OSError):
                info = other.lstat()
                age = now - info.st_mtime
                stale = age > UNUSED_DAYS * DAY or (other.name.endswith(".tmp") and age > DAY)
                if stale and stat.S_ISREG(info.st_mode) and owned(other):
                    other.unlink()
