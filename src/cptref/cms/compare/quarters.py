"""The two sets of tables compared: quarters as a user names them, and of each kind and setting the
table a set holds (:class:`Side`), in force in a quarter or the newest."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cptref.model.records import quarter_bounds

if TYPE_CHECKING:
    from cptref.cms.reader import CmsTables, HeldTable

_QUARTER = re.compile(r"^(\d{4})-?[qQ]([1-4])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def quarter_of(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_days(text: str) -> tuple[datetime.date, datetime.date]:
    """``2026Q3`` -> its first and last day."""
    match = _QUARTER.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return quarter_bounds(int(match.group(1)), int(match.group(2)))


def previous_quarter(text: str) -> str:
    first, _ = quarter_days(text)
    return quarter_of(first - datetime.timedelta(days=1))


def read_quarter(text: str) -> str | None:
    """A quarter as a user writes one (``2026Q3``, ``2026q3``, ``2026-Q3``) or a date in it
    (``2026-08-15``); None when ``text`` is neither (it is then a path)."""
    match = _QUARTER.fullmatch(text)
    if match is not None:
        return f"{match.group(1)}Q{match.group(2)}"
    if _DATE.fullmatch(text):
        try:
            return quarter_of(datetime.date.fromisoformat(text))
        except ValueError:
            return None
    return None


@dataclass
class Side:
    """One set of tables: the compiled file they are in, and of each kind and setting the table chosen."""

    given: str
    quarter: str | None
    cms: CmsTables
    tables: dict[tuple[str, str], HeldTable]
    paths: list[str]

    @property
    def file(self) -> Path:
        assert self.cms.path is not None
        return self.cms.path

    @property
    def period(self) -> tuple[datetime.date, datetime.date] | None:
        """The quarter the set is in force for: named, else the one its tables share (the newest)."""
        if self.quarter is not None:
            return quarter_days(self.quarter)
        dated = [c.table for c in self.tables.values() if c.table.starts is not None and c.table.ends is not None]
        if not dated:
            return None
        newest = max(dated, key=lambda t: t.starts or datetime.date.min)
        assert newest.starts is not None and newest.ends is not None
        return newest.starts, newest.ends


def in_quarter(cms: CmsTables, quarter: str, given: str, paths: list[str]) -> Side:
    """The tables of ``cms`` in force on the first day of ``quarter``, of each kind and setting."""
    first, _ = quarter_days(quarter)
    chosen: dict[tuple[str, str], HeldTable] = {}
    for item in cms.held():
        if item.table.in_force(first):
            chosen[(item.table.kind, item.table.setting)] = item
    return Side(given, quarter, cms, chosen, paths)


def newest(cms: CmsTables, given: str, paths: list[str]) -> Side:
    """Of each kind and setting of ``cms``, its newest table (a table of unknown dates only when alone)."""
    chosen: dict[tuple[str, str], HeldTable] = {}
    for item in sorted(cms.held(), key=lambda c: c.table.starts or datetime.date.min):
        chosen[(item.table.kind, item.table.setting)] = item
    return Side(given, None, cms, chosen, paths)


def quarters_held(cms: CmsTables) -> list[str]:
    """Every quarter some table of ``cms`` is in force for, oldest first."""
    found = {quarter_of(c.table.starts) for c in cms.held() if c.table.starts is not None}
    return sorted(found)
