"""Broken record files: which codes a problem takes out of the library, and which answers need them.

A record file with a problem is left out of the index, and the codes it names are kept beside the
problems (read as bytes: it may not parse), so that a command asking about one of those codes can
tell it would miss a fact, and refuse, while any other command answers without it and warns once.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from cptref.errors import DataErrors, Problem
from cptref.model.codes import CODE

from . import paths
from .paths import display_path

if TYPE_CHECKING:
    from .catalog import Catalog


_CODE_BYTES = re.compile(rf"(?<![0-9A-Z])(?:{CODE})(?![0-9A-Z])".encode())
"""A code in a file read as bytes, not part of a longer run of code characters."""


def mentions(roots: Sequence[Path], problems: Sequence[Problem]) -> list[Problem]:
    """For each broken record, the codes its file names (read as bytes: it cannot be parsed), as a
    pseudo-problem kept beside the problems: a command asking about one of those codes can tell it
    would miss a fact (see :func:`mentioned`)."""
    found: list[Problem] = []
    for code in sorted(broken_codes(problems)):
        named = sorted(named_in(roots, code))
        if named:
            found.append(Problem(f"\0mentions:{code}", " ".join(named), "", "mention"))
    return found


def named_in(roots: Sequence[Path], code: str) -> set[str]:
    """The codes a record file names, read as bytes (it may not parse), in the top layer that has it;
    ``{"*"}`` when it cannot be read (a pipe, a device, too large, a loop): it may name any code."""
    for root in reversed(roots):
        path = paths.procedure_file(root, code)
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        except OSError:
            return {"*"}
        if not stat.S_ISREG(info.st_mode) or info.st_size > 1_000_000:
            return {"*"}  # never opened: a pipe would block, a device never end
        try:
            raw = path.read_bytes()
        except OSError:
            return {"*"}
        return {m.decode() for m in _CODE_BYTES.findall(raw)} - {code}
    return {"*"}


def broken_codes(problems: Sequence[Problem]) -> set[str]:
    """The codes whose record files have a problem (left out of the index)."""
    found = set()
    for problem in problems:
        path = Path(problem.file)
        if problem.severity != "mention" and path.suffix == ".yaml" and path.parent.name == paths.PROCEDURES_DIR:
            found.add(path.stem)
    return found


def mentioned(problems: Sequence[Problem]) -> dict[str, set[str]]:
    """Broken record code -> the codes its file names (kept beside the problems in the index)."""
    return {
        p.file.split(":", 1)[1]: set(p.field.split())
        for p in problems
        if p.severity == "mention" and p.file.startswith("\0mentions:")
    }


def refuse_or_warn(found: Catalog, touched: Collection[str] | None) -> str:
    """The one warning line that says which data files were left out of ``found`` (a catalog read in
    part); raises :class:`~cptref.errors.DataErrors` instead when the answer needs a broken file: a
    record file of ``touched`` (the codes a command cannot answer without) or one that names them,
    or a file every record depends on."""
    problems = [msgspec.structs.replace(p, file=display_path(Path(p.file))) for p in found.problems]
    needed = found.broken_for(touched) if touched is not None else set()
    if found.broken_shared or needed:  # a file every record depends on, or one this answer needs
        mine = [p for p in problems if broken_codes([p]) & needed or not broken_codes([p])]
        raise DataErrors(mine or problems)
    files = list(dict.fromkeys(p.file for p in problems))
    named = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    return (
        f"warning: {len(files)} data file{'s' * (len(files) != 1)} with problems left out ({named}): "
        f"{problems[0].field}: {problems[0].message} (`cptref validate` lists every problem)"
    )
