"""The rows that differ, read back a group at a time (a PTP pair, an add-on, a code) and paired by
their key, and what every classifier reads of them: values, texts, where a row is, the code a
change is filed under."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cptref.cms.models import NO_END

from .changes import Effect
from .sql import Spec, Workspace, columns_of, table_key

if TYPE_CHECKING:
    from cptref.cms.reader import HeldTable


def day_text(value: int | None) -> str | None:
    if value is None or value >= NO_END:
        return None
    return f"{value // 10_000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


@dataclass(frozen=True)
class DiffRow:
    """A row that differs: which side (0 before, 1 after, 2 before and unchanged: history), its compared
    columns by name, file and line."""

    side: int
    cells: dict[str, Any]
    f: int
    line: int

    def __getitem__(self, column: str) -> Any:
        return self.cells[column]


def grouped_rows(spec: Spec, found: Iterable[tuple[int, tuple[Any, ...]]]) -> Iterator[list[DiffRow]]:
    """The differing rows, a group at a time."""
    columns = columns_of(spec)
    width = len(spec.group)

    def group(item: tuple[int, tuple[Any, ...]]) -> tuple[Any, ...]:
        return item[1][:width]

    for _, items in itertools.groupby(found, key=group):
        yield [DiffRow(side, dict(zip(columns, cells, strict=False)), cells[-2], cells[-1]) for side, cells in items]


def pair_rows(
    spec: Spec, gone: list[DiffRow], came: list[DiffRow]
) -> tuple[list[tuple[DiffRow, DiffRow]], list[DiffRow], list[DiffRow]]:
    """Rows of the same key matched (where a key repeats, the most alike first); the rest alone."""
    matched: list[tuple[DiffRow, DiffRow]] = []
    left: list[DiffRow] = []
    waiting = list(came)
    for old in gone:
        key = tuple(old[c] for c in spec.key)
        same = [new for new in waiting if tuple(new[c] for c in spec.key) == key]
        if not same:
            left.append(old)
            continue
        best = max(same, key=lambda new: sum(new[c] == old[c] for c in (*spec.values, *spec.texts)))
        waiting.remove(best)
        matched.append((old, best))
    return matched, left, waiting


def effect_of(stricter: bool, looser: bool) -> Effect:
    if stricter and looser:
        return "mixed"
    return "stricter" if stricter else "looser" if looser else "other"


class RowReader:
    """What a classifier reads of the rows of one kind and setting (:class:`.classify.Classifier`)."""

    def __init__(self, compare: Workspace, kind: str, setting: str, before: HeldTable, after: HeldTable) -> None:
        self.compare = compare
        self.kind, self.setting = kind, setting
        self.ids = {0: table_key(before.table), 1: table_key(after.table), 2: table_key(before.table)}
        self.files = {0: compare.files["a"], 1: compare.files["b"], 2: compare.files["a"]}
        self.narrow = compare.narrow

    def text(self, row: DiffRow, column: str) -> str:
        return self.files[row.side].texts.get(row[column], "")

    def where(self, row: DiffRow) -> str:
        return self.files[row.side].row(row.f, row.line)

    def filed(self, *codes: str | None) -> str:
        """The code a change is listed under: the first of ``codes`` asked for, else the first."""
        if not self.narrow.everything:
            for code in codes:
                if code is not None and self.narrow.holds(code):
                    return code
        for code in codes:
            if code is not None:
                return code
        raise ValueError("no code")
