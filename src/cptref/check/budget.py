"""How much memory a batch's answer caches may take: a cap in bytes, not only in entries.

A batch remembers what it worked out (each code's prepared rules, each parsed spelling, each
finding and its JSON) so that the next claim naming the same code costs a look-up. Each cache
already stops at a number of entries, but entries differ in size by a hundredfold, and a long batch
of distinct codes filled a process (and each worker) to some 450 MB. So a batch also watches the
process's resident memory after each chunk (:func:`after_chunk`): once it has grown by more than
:data:`ENV`'s megabytes (default :data:`DEFAULT_MB`) since the batch began in that process, the
caches stop taking new entries (:data:`ROOM`). What they hold stays, so the common codes, met
first, stay cheap; a code met later is worked out again each time it is met. Answers never depend
on a cache: the output is byte for byte the same at any cap (a test runs a batch at a cap of 0).

Resident memory is read from ``/proc/self/statm`` (Linux); where that does not exist the caches
are capped by their entries only (README says so).
"""

from __future__ import annotations

import os

ENV = "CPTREF_CACHE_MB"
"""The megabytes a batch process's caches may add to its resident memory (0: take no new entry after
the first chunk); a value that is not a whole number of megabytes is read as the default."""
DEFAULT_MB = 256
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Room:
    """Whether the caches may still take new entries (``open``), and from what resident size the
    growth is counted."""

    __slots__ = ("limit", "open", "start")

    def __init__(self) -> None:
        self.open = True
        self.start: int | None = None
        self.limit = DEFAULT_MB << 20


ROOM = _Room()
"""Read by every cache of a batch before it stores an entry (``ROOM.open``)."""


def resident() -> int | None:
    """This process's resident memory in bytes; None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


def limit_bytes() -> int:
    """The cap in bytes, from :data:`ENV` (default :data:`DEFAULT_MB`)."""
    text = os.environ.get(ENV, "").strip()
    megabytes = int(text) if text.isdigit() and len(text) <= 7 else DEFAULT_MB
    return megabytes << 20


def begin() -> None:
    """A batch begins in this process (the parent, or a worker just forked): the caches may take
    entries again, and the growth is counted from now."""
    ROOM.open = True
    ROOM.limit = limit_bytes()
    ROOM.start = resident()


def after_chunk() -> None:
    """A chunk is done: close the caches to new entries when the process has grown past the cap."""
    if not ROOM.open or ROOM.start is None:
        return
    now = resident()
    if now is not None and now - ROOM.start > ROOM.limit:
        ROOM.open = False
