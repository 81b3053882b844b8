"""The comparison's parts of the reader: every table a compiled file holds (``held``), and a view pinned
to chosen tables whatever the date (``pinned``); the quarter names ``changes`` reads."""

from __future__ import annotations

import datetime

import pytest

from cptref.cms import open_tables
from cptref.cms.compare.quarters import previous_quarter, quarter_days, read_quarter
from tests.cms.quarters import Quarters


def test_held_lists_every_table_of_both_quarters_with_its_number(quarters: Quarters) -> None:
    with open_tables([quarters.both]) as cms:
        held = cms.held()
        versions = {(h.table.kind, h.table.setting, h.table.version) for h in held}
        assert {("ptp", "practitioner", "32.2r0"), ("ptp", "practitioner", "32.3r0")} <= versions
        assert len({h.number for h in held}) == len(held) and all(h.complete for h in held)
        assert len(cms.tables()) < len(held)  # the reader uses the newest of each; held names them all


def test_a_pinned_view_is_its_own_view_on_every_date(quarters: Quarters) -> None:
    with open_tables([quarters.both]) as cms:
        july = [h.table for h in cms.held() if h.table.starts == datetime.date(2026, 7, 1)]
        view = cms.pinned(july)
        for day in (datetime.date(2020, 1, 1), datetime.date(2026, 11, 27)):
            assert view.view(day) is view
        found = view.mue("0002X")
        assert found is not None and found.value == 6
        assert cms.view(datetime.date(2026, 8, 1)).mue("0002X") == found


@pytest.mark.parametrize(
    ("text", "quarter"),
    [("2026Q3", "2026Q3"), ("2026q4", "2026Q4"), ("2026-Q1", "2026Q1"), ("2026-08-15", "2026Q3"), ("2026-13-01", None)],
)
def test_a_quarter_as_users_write_one(text: str, quarter: str | None) -> None:
    assert read_quarter(text) == quarter


def test_quarter_arithmetic() -> None:
    assert quarter_days("2026Q4") == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert previous_quarter("2026Q1") == "2025Q4"
