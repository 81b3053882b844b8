"""The PTP index's look-up of a claim's pairs: every edit in force, in the claim's order, for claims
of two codes to hundreds; a search only for the pairs that have rows, so a claim of many codes never
costs a search a pair, and a claim with no two codes of a row costs none. Made-up codes and rows."""

from __future__ import annotations

import bisect
import random
import sqlite3
from collections.abc import Callable

import pytest

from cptref.cms import ptpindex
from cptref.cms.compile import TABLES_SCHEMA
from cptref.cms.ptpindex import PTP_INDEX_SCHEMA, PtpIndex, build_ptp_index

NO_END = 99_999_999
CODES = [f"{n:04d}X" for n in range(300)]
DAYS = [20_230_101, 20_231_231, 20_240_101, 20_261_127]


def made_up_index(seed: int) -> tuple[PtpIndex, list[tuple[str, str, int, int, int, int]]]:
    """An index of random rows between made-up codes: some codes with many rows, most with few or
    none, pairs with several rows (an edit deleted then added again), a code paired with itself."""
    rng = random.Random(seed)
    db = sqlite3.connect(":memory:")
    db.executescript(TABLES_SCHEMA + PTP_INDEX_SCHEMA)
    rows: dict[tuple[str, str, int, int, int], tuple[str, str, int, int, int, int]] = {}
    for line in range(1, 6_000):
        c1 = rng.choice(CODES[:8]) if rng.random() < 0.5 else rng.choice(CODES)
        c2 = c1 if rng.random() < 0.01 else rng.choice(CODES)
        eff = rng.choice([19_960_101, 20_230_101, 20_240_101])
        end = rng.choice([NO_END, NO_END, 20_240_101, 20_231_231])
        if end <= eff:
            end = NO_END
        f = rng.randint(1, 3)
        rows[(c1, c2, eff, f, line)] = (c1, c2, eff, end, f, line)
    db.executemany(
        "INSERT INTO ptp VALUES (1, ?, ?, ?, ?, ?, 0, 0, ?, ?)",
        [(c1, c2, eff, end, rng.choice([0, 1, 9]), f, line) for c1, c2, eff, end, f, line in rows.values()],
    )
    assert build_ptp_index(db, 1)
    index = PtpIndex.load(db, 1)
    assert index is not None
    return index, sorted(rows.values())


def expected(
    rows: list[tuple[str, str, int, int, int, int]], claim: list[str], day: int, ending: bool = False
) -> list[tuple[str, str]]:
    """Every row in force between two codes of the claim (``ending``: every row whose deletion date is
    ``day``), in the claim's order then by effective date, file and line: the order the checker
    reports them in."""
    place = {code: n for n, code in enumerate(claim)}
    found = [
        (place[c1], place[c2], eff, f, line, c1, c2)
        for c1, c2, eff, end, f, line in rows
        if c1 in place and c2 in place and c1 != c2 and eff <= day and (day == end if ending else day < end)
    ]
    return [(c1, c2) for *_, c1, c2 in sorted(found)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_edit_in_force_comes_in_the_claims_order(seed: int) -> None:
    index, rows = made_up_index(seed)
    rng = random.Random(seed)
    for size in (2, 3, 6, 40, 150, 300):
        for _ in range(6):
            claim = [*rng.sample(CODES, size), "9999X"]  # and a code the table does not know
            rng.shuffle(claim)
            for day in DAYS:
                ending: list[tuple[str, str, int]] = []
                got = [(a, b) for a, b, _ in index.hits(claim, day, ending)]
                assert got == expected(rows, claim, day), (size, day)
                assert [(a, b) for a, b, _ in ending] == expected(rows, claim, day, ending=True), (size, day)
                assert [(a, b) for a, b, _ in index.hits(claim, day)] == got  # without the list: the same


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The binary searches the PTP look-up makes, counted (one cell, from 0)."""
    counted = [0]
    real: Callable[..., int] = bisect.bisect_left

    def counting(*args: object) -> int:
        counted[0] += 1
        return real(*args)

    monkeypatch.setattr(ptpindex, "bisect_left", counting)
    return counted


def test_a_claim_searches_only_the_pairs_that_have_rows(searches: list[int]) -> None:
    """Issue 25: a claim of n codes took n squared binary searches with tables loaded (a 4,000-code
    claim: 8.9 s on the full-size made-up table). Issue 26: the look-up now searches a column-1
    code's rows only for the claim's codes it has rows with (its partners, whatever the date), one
    search a pair, so a claim of many codes costs its pairs with edits, not every pair."""
    index, rows = made_up_index(4)
    claim = CODES[8:]  # the codes of few rows each
    with_rows = {(c1, c2) for c1, c2, *_ in rows if c1 != c2 and c1 in claim and c2 in claim}
    hits = index.hits(claim, DAYS[-1])
    assert [(a, b) for a, b, _ in hits] == expected(rows, claim, DAYS[-1])
    assert 0 < searches[0] == len(with_rows) < len(claim) * (len(claim) - 1) // 20


@pytest.mark.parametrize("seed", [5, 6])
def test_a_claim_without_two_codes_of_a_row_costs_no_search(
    seed: int, searches: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up's first question (issue 26), asked code by code: are there rows between this code
    and another of the claim, whatever the date? No must be exact (a claim it passes over would lose
    an edit), and then nothing is searched. Also when the sets are no longer remembered."""
    index, rows = made_up_index(seed)
    pairs = {(c1, c2) for c1, c2, *_ in rows}
    rng = random.Random(seed)
    answers = {True: 0, False: 0}
    for size in (1, 2, 3, 4, 8):
        for _ in range(300):
            claim = dict.fromkeys(rng.sample(CODES, size) + (["9999X"] if rng.random() < 0.3 else []))
            has = any((a, b) in pairs for a in claim for b in claim if a != b)
            before = searches[0]
            for day in DAYS:
                assert [(a, b) for a, b, _ in index.hits(claim, day)] == expected(rows, list(claim), day)
            assert (searches[0] > before) is has, claim
            answers[has] += 1
    assert answers[True] > 100 and answers[False] > 100
    monkeypatch.setattr(ptpindex, "PARTNER_ROWS", 0)
    fresh, _ = made_up_index(seed)
    claim = dict.fromkeys(CODES[:3])
    assert [(a, b) for a, b, _ in fresh.hits(claim, DAYS[-1])] == expected(rows, list(claim), DAYS[-1])
    assert fresh._partners == {} and fresh._partner_rows == 0
