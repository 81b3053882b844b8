"""The PTP index's look-up of a claim's pairs: the same answer, in the same order, whichever way a
code's rows are searched (a binary search a pair for a claim of a few codes, a walk of the rows for a
claim of many), and a claim of many codes never costs a search a pair. Made-up codes and rows."""

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


def expected(rows: list[tuple[str, str, int, int, int, int]], claim: list[str], day: int) -> list[tuple[str, str]]:
    """Every row in force between two codes of the claim, in the claim's order then by effective date,
    file and line: the order the checker reports them in."""
    place = {code: n for n, code in enumerate(claim)}
    found = [
        (place[c1], place[c2], eff, f, line, c1, c2)
        for c1, c2, eff, end, f, line in rows
        if c1 in place and c2 in place and c1 != c2 and eff <= day < end
    ]
    return [(c1, c2) for *_, c1, c2 in sorted(found)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_ways_give_every_edit_in_the_claims_order(seed: int) -> None:
    index, rows = made_up_index(seed)
    rng = random.Random(seed)
    for size in (2, 3, 6, 40, 150, 300):
        for _ in range(6):
            claim = [*rng.sample(CODES, size), "9999X"]  # and a code the table does not know
            rng.shuffle(claim)
            for day in DAYS:
                got = [(a, b) for a, b, _ in index.hits(claim, day)]
                assert got == expected(rows, claim, day), (size, day)


def test_a_claim_of_many_codes_costs_no_search_a_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25: a claim of n codes took n squared binary searches with tables loaded (a 4,000-code
    claim: 8.9 s on the full-size made-up table). Each code's rows are now walked instead when they
    are fewer than a few times the claim's codes: here, no search at all."""
    index, rows = made_up_index(4)
    searches = [0]
    real: Callable[..., int] = bisect.bisect_left

    def counted(*args: object) -> int:
        searches[0] += 1
        return real(*args)

    monkeypatch.setattr(ptpindex, "bisect_left", counted)
    claim = CODES[8:]  # the codes of few rows each
    hits = index.hits(claim, DAYS[-1])
    assert searches[0] == 0
    assert [(a, b) for a, b, _ in hits] == expected(rows, claim, DAYS[-1])
    index.hits(CODES[:3], DAYS[-1])  # a claim of a few codes: a search a pair, as before
    assert searches[0] > 0


@pytest.mark.parametrize("seed", [5, 6])
def test_may_pair_says_no_only_when_no_two_codes_have_a_row(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The look-up's first question (issue 26): are there rows between any two of the claim's codes,
    whatever the date? No must be exact (a claim it passes over would lose an edit); yes whenever
    any row exists, in force or not. Also when the sets are no longer remembered."""
    index, rows = made_up_index(seed)
    pairs = {(c1, c2) for c1, c2, *_ in rows}
    rng = random.Random(seed)
    answers = {True: 0, False: 0}
    for size in (1, 2, 3, 4, 8):
        for _ in range(300):
            claim = dict.fromkeys(rng.sample(CODES, size) + (["9999X"] if rng.random() < 0.3 else []))
            has = any((a, b) in pairs for a in claim for b in claim)
            assert index.may_pair(claim) is has, claim
            answers[has] += 1
            if not has:
                assert all(index.hits(claim, day) == [] for day in DAYS)
    assert answers[True] > 100 and answers[False] > 100
    monkeypatch.setattr(ptpindex, "PARTNER_ROWS", 0)
    fresh, _ = made_up_index(seed)
    claim = dict.fromkeys(CODES[:3])
    assert fresh.may_pair(claim) is any((a, b) in pairs for a in claim for b in claim)
    assert fresh._partners == {} and fresh._partner_rows == 0
