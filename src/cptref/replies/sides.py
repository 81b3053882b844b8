"""The two sets ``cptref changes`` compares, resolved from what the user named (quarters or dates of
the ``--cms`` tables, or paths) and opened (:func:`sides`), or two library releases (:func:`releases`);
the families that narrow the codes; and the two sets and the narrowing as the changes document names
them."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cptref.errors import UsageError
from cptref.library.paths import absence, stat_or_none
from cptref.output import streams

from .opened import cms_tables

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.cms.compare.narrow import CodeFilter
    from cptref.cms.compare.quarters import Side
    from cptref.library.catalog import Catalog
    from cptref.output.changes_documents import ChangeSet, Narrowing


def _open(paths: str, option: str = "--cms") -> CmsTables:
    found = cms_tables(paths, option=option)
    assert found is not None
    return found


def sides(old: str | None, new: str | None, cms: str | None, opened: list[CmsTables]) -> tuple[Side, Side]:
    """The two sets the user named: quarters (or dates) of the ``--cms`` tables, or paths; by default
    the newest quarter the tables hold and the one before it."""
    from cptref.cms.compare.quarters import (
        in_quarter,
        newest,
        previous_quarter,
        quarter_of,
        quarters_held,
        read_quarter,
    )
    from cptref.library.paths import cms_paths

    given = cms_paths(cms)
    shared: list[CmsTables] = []

    def held() -> CmsTables:
        if not shared:
            if not given:
                raise UsageError("name the tables: --cms PATH (or CPTREF_CMS), or --from PATH --to PATH")
            shared.append(_open(os.pathsep.join(map(str, given))))
            opened.append(shared[0])
        return shared[0]

    quarters = {"from": read_quarter(old) if old else None, "to": read_quarter(new) if new else None}
    if new is None:
        found = quarters_held(held())
        if not found:
            raise UsageError("the tables under --cms are of no known quarter: name both sets by path (--from, --to)")
        new = quarters["to"] = found[-1]
    if old is None:
        if quarters["to"] is None:
            raise UsageError("--to names a path: name --from too")
        old = quarters["from"] = previous_quarter(quarters["to"])
    out = []
    for name, value in (("from", old), ("to", new)):
        quarter = quarters[name]
        if quarter is not None:
            tables = held()
            side = in_quarter(tables, quarter, value, [str(p) for p in given])
            if not side.tables:
                have = ", ".join(quarters_held(tables)) or "none"
                raise UsageError(
                    f"--{name} {value}: no table under --cms is in force in {quarter} (quarters held: {have})"
                )
        else:
            path = Path(value).expanduser()
            if stat_or_none(path) is None:  # Path.exists raises under a folder that cannot be searched
                why = absence(path)
                raise UsageError(
                    f"--{name} {value[:200]}: neither a quarter (2026Q3), a date, nor an existing path"
                    if why == "does not exist"
                    else f"--{name} {value[:200]}: the path {why}"
                )
            tables = _open(str(path), f"--{name}")
            opened.append(tables)
            side = newest(tables, value, [str(path)])
        out.append(side)
    before, after = out
    if before.file == after.file and {c.number for c in before.tables.values()} == {
        c.number for c in after.tables.values()
    }:
        raise UsageError(f"--from {old} and --to {new} name the same tables: nothing to compare")
    first, last = before.period, after.period
    if first is not None and last is not None and first[0] > last[0]:  # compared as asked, but said

        def named(given: str, day: datetime.date) -> str:
            quarter = quarter_of(day)
            return quarter if given == quarter else f"{given[:200]} ({quarter})"

        streams.warn(
            f"warning: --from {named(old, first[0])} is later than --to {named(new, last[0])}: the changes read "
            "from the later set to the earlier (an edit added since shows as removed); swap them for what changed "
            "since"
        )
    return before, after


def change_set(side: Side) -> ChangeSet:
    from cptref.cms.compare.quarters import quarter_of
    from cptref.output.changes_documents import ChangeSet

    period = side.period
    return ChangeSet(
        side.given,
        quarter_of(period[0]) if period else None,
        period[0].isoformat() if period else None,
        period[1].isoformat() if period else None,
        list(side.paths),
    )


def narrowing(narrow: CodeFilter, families: Sequence[str], claims: str | None) -> Narrowing:
    from cptref.output.changes_documents import Narrowing

    return Narrowing(sorted(narrow.codes), list(narrow.asked_ranges), list(families), claims, narrow.both)


def add_families(narrow: CodeFilter, library: Catalog, families: Sequence[str]) -> None:
    for family in families:
        found = library.families.get(family)
        if found is None:
            raise UsageError(f"no family {family[:40]!r}; the families are: {', '.join(sorted(library.families))}")
        narrow.narrowed = True
        for span in found.ranges:
            first, _, last = span.partition("-")
            narrow.ranges.append((first, last or first))
        narrow.codes.update(r.code for r in library if r.family == family)


def releases(
    from_data: str, to_data: str | None, data: str | None
) -> tuple[tuple[list[Path], Catalog], tuple[list[Path], Catalog]]:
    """The two library releases (``--from-data``; ``--to-data``, else the library in use), each its
    paths and its catalog, read alone. A path that does not exist is a usage error; a release with
    problems is one warning line (its broken records are left out of the comparison)."""
    from cptref.library.catalog import load_catalog
    from cptref.library.paths import layers, split_path_list

    old_roots = split_path_list(from_data)
    if not old_roots:
        raise UsageError("--from-data: name a data directory or a packed library")
    new_roots = split_path_list(to_data) if to_data else layers(data)
    for root in (*old_roots, *new_roots):
        if stat_or_none(root) is None:  # Path.exists raises under a folder that cannot be searched
            why = absence(root)
            raise UsageError(
                f"--from-data/--to-data: {str(root)[:200]}: "
                + ("no such file or directory" if why == "does not exist" else f"the path {why}")
            )
    old = load_catalog(old_roots, partial=True)
    new = load_catalog(new_roots, partial=True)
    for name, release in (("--from-data", old), ("--to-data", new)):
        if release.problems:
            count = len(release.problems)
            streams.warn(
                f"warning: {name}: {count} problem{'s' * (count != 1)} in the data, whose "
                "records are left out of the comparison (cptref validate lists them)"
            )
    return (old_roots, old), (new_roots, new)
