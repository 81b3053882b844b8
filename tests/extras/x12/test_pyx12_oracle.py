"""pyx12, the maintained X12 library, as the oracle of cptref's 837 reader (``cptref[x12]``): made-up
837P and 837I files read by both give the same claims, service lines, codes, modifiers, units and
dates of service. pyx12 is not cptref's reader (bench/RESULTS.md: about 90 times slower, and it loses
claims silently on damaged files); it is the independent reading these tests compare with."""

from __future__ import annotations

import datetime
import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest

from cptref.check.inputs.x12.data import X12Claim
from cptref.check.inputs.x12.reader import read_x12
from tests.conftest import FIXTURES, ROOT
from tests.extras import require

Line = tuple[str, str, tuple[str, ...], int, datetime.date | None]
"""A service line as both readers give it: its claim's id, code, modifiers, units and date of service."""

x12context = require("pyx12.x12context")
error_handler = require("pyx12.error_handler")
pyx12_params = require("pyx12.params")


def _day(text: str | None) -> datetime.date | None:
    if not text:
        return None
    first, _, last = text.partition("-")
    if last and last != first:
        return None  # a statement of several days dates no line
    return datetime.date(int(first[:4]), int(first[4:6]), int(first[6:8]))


def pyx12_lines(path: Path) -> tuple[list[str], list[Line]]:
    """The claims (CLM01) and coded service lines of an 837, as pyx12 reads them (its 2300 and 2400 loops)."""
    claims: list[str] = []
    lines: list[Line] = []
    errors = error_handler.errh_null()
    with path.open(encoding="ascii") as handle:
        context = x12context.X12ContextReader(pyx12_params.params(), errors, handle)
        for tree in context.iter_segments("2300"):
            if tree.id != "2300":
                continue
            claim = tree.get_value("CLM01")
            claims.append(claim)
            dates = {d.get_value("DTP01"): d.get_value("DTP03") for d in tree.select("DTP")}
            claim_day = _day(dates.get("472")) or _day(dates.get("434"))
            for loop in tree.select("2400"):
                professional = loop.exists("SV1")
                composite: str = loop.get_value("SV101" if professional else "SV202") or ""
                if not composite:
                    continue  # an 837I revenue line without a procedure code: nothing to check
                _, code, *mods = composite.split(":")
                units = loop.get_value("SV104" if professional else "SV205")
                own = {d.get_value("DTP01"): d.get_value("DTP03") for d in loop.select("DTP")}
                day = _day(own.get("472")) or claim_day
                lines.append((claim, code, tuple(m for m in mods if m), int(float(units)), day))
    return claims, lines


def cptref_lines(path: Path) -> tuple[list[str], list[Line]]:
    reader = read_x12(str(path))
    items = list(reader)
    assert all(isinstance(item, X12Claim) for item in items), items
    assert reader.tally.balanced() and reader.tally.problems == 0
    claims = list(dict.fromkeys(item.id for item in items if isinstance(item, X12Claim)))
    lines = [
        (item.id, line.code, line.modifiers, line.units, line.date)
        for item in items
        if isinstance(item, X12Claim)
        for line in item.lines
    ]
    return claims, lines


def generated(kind: str, claims: int, tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("gen837", ROOT / "bench" / "gen837.py")
    assert spec is not None and spec.loader is not None
    gen837: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen837)
    path = tmp_path / f"generated-{kind}.837"
    path.write_text("".join(gen837.generate(kind, claims, lines=3, per_st=100)), encoding="ascii")
    return path


@pytest.mark.parametrize("name", ["837p.x12", "837i.x12"])
def test_the_hand_written_files_read_the_same_by_pyx12_and_cptref(name: str) -> None:
    path = FIXTURES / "x12" / name
    expected = pyx12_lines(path)
    assert expected[1], "pyx12 read no line: the oracle must see what it compares"
    assert cptref_lines(path) == expected


@pytest.mark.parametrize("kind", ["P", "I"])
def test_generated_files_of_several_transaction_sets_read_the_same(kind: str, tmp_path: Path) -> None:
    path = generated(kind, 250, tmp_path)
    claims, lines = pyx12_lines(path)
    assert len(claims) == 250 and len(lines) == 750
    assert cptref_lines(path) == (claims, lines)


@pytest.mark.parametrize("name", ["837p.x12", "837i.x12"])
def test_the_hand_written_files_are_valid_5010_for_pyx12(name: str) -> None:
    """pyx12 validates each file against its implementation guide (a test of the test data)."""
    x12n_document = require("pyx12.x12n_document")
    ack = io.StringIO()
    assert x12n_document.x12n_document(pyx12_params.params(), str(FIXTURES / "x12" / name), ack, None, None)
    assert "IK5*A" in ack.getvalue()
