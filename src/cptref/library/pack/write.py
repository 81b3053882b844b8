"""Packing a data directory: every file checked as commands read it, then the packed library written whole."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import NamedTuple

import msgspec

from cptref.errors import DataErrors, Problem
from cptref.library import paths
from cptref.library.index.build import build
from cptref.library.paths import display_path
from cptref.library.read import Progress, read_families, read_sources

from .file import fill_pack


class PackReport(NamedTuple):
    records: int
    sources: int
    families: int
    size: int
    warnings: tuple[Problem, ...] = ()
    """What the pack replaces of the shipped data (families, sources, records), as ``validate`` says it."""


def write_pack(source: Path, output: Path, progress: Progress | None = None) -> PackReport:
    """Check every file of the data directory ``source`` (layered over the shipped data, as commands
    read it) and, when nothing is wrong, write its records, sources and families into the packed
    library ``output`` (replaced whole, never left half written). Raises
    :class:`~cptref.errors.DataErrors` with every problem, or when ``output`` cannot be written."""
    shipped = paths.shipped_data_dir()
    roots = [shipped] if _same(source, shipped) else [shipped, source]
    made: list[str] = []
    try:
        handle, checked = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".index.tmp", dir=output.parent)
        os.close(handle)
        made.append(checked)
        handle, packed = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
        os.close(handle)
        made.append(packed)
        db = sqlite3.connect(checked)
        try:
            problems = build(db, roots, {}, progress=progress)
            if problems:
                shown = [msgspec.structs.replace(p, file=display_path(Path(p.file))) for p in problems]
                raise DataErrors([p for p in shown if p.severity != "mention"])
            mine = b"" if len(roots) == 1 else os.fsencode(source)
            rows = db.execute(
                "SELECT code, body, words FROM records WHERE coalesce(origin, x'') = ? ORDER BY doc", (mine,)
            )
            sources, _ = read_sources(source, base=len(roots) == 1)
            families, _ = read_families(source)
            warnings = _replaced(roots, source)
            out = sqlite3.connect(packed)
            try:
                count = fill_pack(out, rows, sources, families, paths.data_release(source))
            finally:
                out.close()
        finally:
            db.close()
        os.chmod(packed, 0o666 & ~_umask())  # a file to share, as any file this user writes
        os.replace(packed, output)
    except OSError as exc:  # not a problem of the data: the reading or writing failed
        raise DataErrors(
            [Problem(display_path(output), "$", f"cannot write the packed library: {exc.strerror or exc}")],
            lead="the packed library was not written, and nothing of it was left behind",
        ) from None
    finally:
        for path in made:
            with contextlib.suppress(OSError):
                os.unlink(path)
    return PackReport(count, len(sources), len(families), output.stat().st_size, tuple(warnings))


def _replaced(roots: list[Path], source: Path) -> list[Problem]:
    """The shipped families, sources and records the directory replaces (none when it is the shipped data)."""
    from cptref.library.lint import redefined, replacements
    from cptref.library.read import read_shared

    if len(roots) == 1:
        return []
    return redefined(read_shared(roots).overrides, source) + replacements(source, roots[0])


def _same(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except (OSError, RuntimeError):
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
