"""SECURITY.md cannot drift from the code: every test its guarantees name exists, and every limit it
states has the value of the constant it names.

The tables are plain Markdown (``| ... |`` rows under ``## Limits`` and ``## Guarantees``) so that a
new guarantee is one more row; this reads them as they are written.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "SECURITY.md"
_TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
_UNITS = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "Mi": 1 << 20}


def _rows(section: str) -> list[list[str]]:
    """The cells of each row of the table under ``## section`` (its header and rule left out)."""
    text = SECURITY.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"SECURITY.md has no '## {section}' section"
    lines = [line for line in match[1].splitlines() if line.startswith("|")]
    assert len(lines) > 2, f"no table under '## {section}'"
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[2:]]


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_every_guarantee_names_tests_that_exist() -> None:
    rows = _rows("Guarantees")
    assert len(rows) >= 30
    missing: list[str] = []
    for row in rows:
        assert len(row) == 4, f"a row of four cells (area, guarantee, on a breach, held by): {row}"
        refs = _TEST_REF.findall(row[3])
        assert refs, f"a guarantee held by no test: {row[1][:80]}"
        for file, name in refs:
            path = ROOT / file
            if not path.is_file() or name not in _tests_in(path):
                missing.append(f"{file}::{name}")
    assert missing == [], "SECURITY.md names tests that do not exist"


def _value(cell: str) -> int:
    """The number a limit's cell states: ``1,000,000`` or ``536,870,912 (512 MiB)`` (the first number)."""
    match = re.match(r"([0-9][0-9,]*)(?:\s*(KiB|MiB|GiB|Mi)\b)?", cell)
    assert match, f"no number in {cell!r}"
    return int(match[1].replace(",", "")) * _UNITS.get(match[2] or "", 1)


def test_every_limit_states_the_value_of_its_constant() -> None:
    rows = _rows("Limits")
    assert len(rows) >= 25
    wrong: list[str] = []
    for what, value, where in rows:
        name = where.strip("`")
        module, _, attribute = name.rpartition(".")
        actual = getattr(importlib.import_module(module), attribute)
        if _value(value) != actual:
            wrong.append(f"{what}: SECURITY.md says {value}, {name} is {actual:,}")
    assert wrong == []


@pytest.mark.parametrize(
    ("cell", "number"), [("1,000", 1000), ("268,435,456 (256 MiB)", 1 << 28), ("200", 200), ("64 Mi", 64 << 20)]
)
def test_a_limits_value_is_read_as_written(cell: str, number: int) -> None:
    assert _value(cell) == number
