"""Fixtures shared by the tests of the CMS tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .test_read import TABLES, aoc_xlsx


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    """A copy of the made-up tables of 2026 Q4 (tests/fixtures/cms/tables) with a made-up AOC workbook."""
    folder = tmp_path / "tables"
    shutil.copytree(TABLES, folder)
    (folder / "AOC_V2026Q4-MCR.xlsx").write_bytes(aoc_xlsx())
    return folder
