"""The comparison, whole (:func:`compare`): each kind and setting of the two sets paired, its rows
that differ classified into changes a group at a time, and what was compared (:class:`Comparison`),
up to a limit of changes."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .changes import Change, Compared, SideTable, TableKind
from .classify import Classifier
from .narrow import CodeFilter
from .quarters import Side
from .rows import grouped_rows
from .sql import SPECS, Workspace, table_key

if TYPE_CHECKING:
    from cptref.cms.reader import HeldTable

KINDS = ("ptp", "mue", "aoc", "rvu")
COMPARED_SETTINGS = {
    "practitioner": {"practitioner", "all", "nonqpp"},
    "hospital": {"outpatient_hospital", "all", "nonqpp"},
    "all": {"practitioner", "outpatient_hospital", "dme", "all", "nonqpp", "qpp"},
}
"""``--setting`` -> the settings of tables compared (AOC: one table, ``all``; PPRRVU: non-QPP, or the one file)."""


def _keyed(side: Side) -> dict[tuple[str, str], HeldTable]:
    """A side's tables by kind and setting, a single PPRRVU file (setting ``all``, before 2026) under
    ``nonqpp``, so that it is compared with the non-QPP file of a later year."""
    tables = dict(side.tables)
    if ("rvu", "all") in tables and ("rvu", "nonqpp") not in tables:
        tables[("rvu", "nonqpp")] = tables.pop(("rvu", "all"))
    return tables


def pairs_of(
    before: Side, after: Side, kinds: Sequence[str], settings: set[str]
) -> list[tuple[str, str, HeldTable | None, HeldTable | None]]:
    """Each kind and setting held by either side (of those asked), with the table of each side."""
    old, new = _keyed(before), _keyed(after)
    keys = {k for k in (*old, *new) if k[0] in kinds and k[1] in settings}
    return [
        (kind, setting, old.get((kind, setting)), new.get((kind, setting)))
        for kind, setting in sorted(keys, key=lambda k: (KINDS.index(k[0]), k[1]))
    ]


def _side_table(chosen: HeldTable) -> SideTable:
    t = chosen.table
    return SideTable(
        table_key(t),
        t.label(),
        t.starts.isoformat() if t.starts else None,
        t.ends.isoformat() if t.ends else None,
        chosen.complete,
    )


@dataclass
class Comparison:
    """A comparison done: what was compared, and the changes (read back from the temporary table, in
    order). ``stopped``: the limit of changes was reached, so some were not looked for."""

    compared: list[Compared]
    compare: Workspace
    limit: int | None = None
    stopped: bool = False

    def changes(self) -> Iterator[Change]:
        return self.compare.stored()

    @property
    def found(self) -> int:
        return sum(item.changes for item in self.compared)

    def close(self) -> None:
        self.compare.close()


def _not_compared(kind: str, setting: str, old: HeldTable | None, new: HeldTable | None, note: str) -> Compared:
    return Compared(
        cast(TableKind, kind),
        setting,
        _side_table(old) if old else None,
        _side_table(new) if new else None,
        0,
        {},
        [note],
        complete=False,
    )


def compare(
    before: Side,
    after: Side,
    narrow: CodeFilter,
    kinds: Sequence[str] = KINDS,
    setting: str = "practitioner",
    not_payable: Collection[str] = (),
    limit: int | None = None,
) -> Comparison:
    """Compare the two sets' tables of ``kinds`` for ``setting`` (see :data:`COMPARED_SETTINGS`),
    narrowed. ``not_payable``: the fee schedule's status codes of a code not paid (a status moving
    into them is stricter). ``limit``: the most changes looked for; once reached, the rest of the
    table is not classified (its note says how many rows differ) and the tables after it are not
    compared, so that a comparison of unrelated tables (every row differs) stops in seconds."""
    work = Workspace(before, after, narrow, not_payable)
    result = Comparison([], work, limit)
    compared = result.compared
    stored = 0
    try:
        for kind, table_setting, old, new in pairs_of(before, after, kinds, COMPARED_SETTINGS[setting]):
            if old is None or new is None:
                missing, where = ("before", before) if old is None else ("after", after)
                why = f"not compared: the {missing} set ({where.given}) has no {kind.upper()} table for {table_setting}"
                compared.append(_not_compared(kind, table_setting, old, new, why))
                continue
            if result.stopped:
                why = f"not compared: the limit of {limit:,} changes was reached before this table"
                compared.append(_not_compared(kind, table_setting, old, new, why))
                continue
            notes: list[str] = []
            if old.number == new.number and work.same_file:
                notes.append("the same table on both sides: nothing to compare")
            for chosen, name in ((old, "before"), (new, "after")):
                if not chosen.complete:
                    notes.append(
                        f"the {name} table ({chosen.table.label()}) was not read whole (a part missing or rows "
                        "rejected: `cptref tables` says which): the rows it lacks show as "
                        + ("removed" if name == "after" else "added")
                    )
            counts: dict[str, int] = {}
            spec = SPECS[kind]
            classifier = Classifier(work, kind, table_setting, old, new)
            complete = True
            if not (old.number == new.number and work.same_file):
                for group in grouped_rows(spec, work.differing(spec, old.number, new.number)):
                    if limit is not None and stored >= limit:
                        complete, result.stopped = False, True
                        notes.append(
                            f"stopped at the limit of {limit:,} changes: {work.differ():,} rows of the two tables "
                            "differ in all; narrow the codes or --kind, or raise --limit"
                        )
                        break
                    for change in classifier.changes(group):
                        if not narrow.everything and not any(narrow.holds(c) for c in change.codes):
                            continue  # a row of a history kept for pairing, not itself asked for
                        if narrow.both and not all(narrow.holds(c) for c in change.codes):
                            continue
                        counts[change.change] = counts.get(change.change, 0) + 1
                        work.store(change)
                        stored += 1
            if kind == "rvu":
                note = work.conversion(old.number, new.number)
                if note:
                    notes.append(note)
            compared.append(
                Compared(
                    cast(TableKind, kind),
                    table_setting,
                    _side_table(old),
                    _side_table(new),
                    sum(counts.values()),
                    counts,
                    notes,
                    complete=complete,
                )
            )
    except BaseException:
        work.close()
        raise
    return result
