"""The PTP rows kept once (issue 26, item 5): a compiled file holds the rows of a PTP table whose index
can be built in the index alone, and everything that reads PTP rows (``show``, a one-claim and a batch
``check``, ``changes``) gives the answers the rows stored as a table gave. Made-up codes and rows."""

from __future__ import annotations

import random
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cptref.cms import compile as compile_module
from cptref.cms import open_tables, ptpindex
from cptref.cms.compile import TABLES_FORMAT, compile_tables
from cptref.cms.edits import BATCH_AFTER
from cptref.cms.ptpindex import BY2_ROWS, CHUNK_ROWS, PTP_INDEX_SCHEMA, build_ptp_index, read_arrays
from cptref.cms.ptprows import PtpRows, differing_rows
from tests.cms.quarters import Quarters
from tests.conftest import run_cptref

from .test_compiled import compiles
from .test_ptpindex import CODES

DAY = date(2026, 11, 27)
ROWS = "SELECT c1, c2, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = 1"


def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every PTP table's index fails to build (as when a line number does not fit its field)."""
    monkeypatch.setattr(ptpindex, "build_ptp_index", lambda *_: False)


def rows_db(seed: int) -> sqlite3.Connection:
    """A database of made-up PTP rows in the ``ptp`` table and the same rows in the index."""
    rng = random.Random(seed)
    db = sqlite3.connect(":memory:")
    db.executescript(compile_module.TABLES_SCHEMA + PTP_INDEX_SCHEMA)
    rows = {}
    for line in range(1, 6_000):
        c1 = rng.choice(CODES[:8]) if rng.random() < 0.5 else rng.choice(CODES)
        c2 = c1 if rng.random() < 0.01 else rng.choice(CODES)
        eff = rng.choice([19_960_101, 20_230_101, 20_240_101])
        end = rng.choice([99_999_999, 20_240_101, 20_231_231])
        end = 99_999_999 if end <= eff else end
        f = rng.randint(1, 3)
        mi, pre, rat = rng.choice([0, 1, 9]), rng.randint(0, 1), rng.randint(0, 5)
        rows[(c1, c2, eff, f, line)] = (1, c1, c2, eff, end, mi, pre, rat, f, line)
    db.executemany("INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows.values())
    assert build_ptp_index(db, 1)
    return db


def query_of(db: sqlite3.Connection, seen: list[int] | None = None) -> Any:
    def query(sql: str, params: Any) -> list[Any]:
        found = db.execute(sql, params).fetchall()
        if seen is not None and "ptp_chunks" in sql:
            seen.append(len(found))
        return found

    return query


# the stored rows answer as the table of rows did


@pytest.mark.parametrize("seed", [1, 2])
def test_the_stored_rows_answer_every_look_up_as_the_table_of_rows(seed: int) -> None:
    db = rows_db(seed)
    stored = PtpRows(query_of(db), 1)
    for code in [*CODES[:12], *random.Random(seed).sample(CODES, 30), "9999X"]:
        first = db.execute(f"{ROWS} AND c1 = ? ORDER BY c2, eff, f, line", (code,)).fetchall()
        second = db.execute(f"{ROWS} AND c2 = ? ORDER BY c1, eff, f, line", (code,)).fetchall()
        assert stored.as_column1(code) == first
        assert stored.as_column2(code) == second
        assert stored.counts(code) == (len(first), len(second))
        assert stored.names(code) == bool(first or second)
    rng = random.Random(seed)
    for size in (2, 3, 6, 40):
        claim = [*rng.sample(CODES, size), "9999X"]
        marks = ", ".join("?" * len(claim))
        expected = db.execute(f"{ROWS} AND c1 IN ({marks}) AND c2 IN ({marks}) AND c1 <> c2", (*claim, *claim))
        assert sorted(stored.among(claim)) == sorted(expected)


def test_one_code_reads_its_own_chunks_not_the_table() -> None:
    db = rows_db(3)
    chunks = db.execute("SELECT count(*) FROM ptp_chunks").fetchone()[0]
    assert chunks >= 20  # the made-up table spans many chunks
    seen: list[int] = []
    stored = PtpRows(query_of(db, seen), 1)
    code = CODES[200]  # a code of few rows
    first, second = stored.as_column1(code), stored.as_column2(code)
    assert first and second
    assert sum(seen) <= 2 + len(second)  # its range as column 1, and one chunk a row as column 2
    assert sum(seen) < chunks // 2


def test_a_table_whose_index_cannot_be_built_keeps_its_rows_and_answers_the_same(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = ["0001X", "0002X", "0003X", "0004X", "0005X", "0010X", "0011X", "0012X", "0099X"]
    with open_tables([tables], tmp_path / "indexed") as indexed:
        no_index(monkeypatch)
        with open_tables([tables], tmp_path / "rows") as plain:
            assert plain._rows_of(1) is None and indexed._rows_of(1) is not None
            for code in codes:
                assert plain.ptp_partners(code) == indexed.ptp_partners(code)
                assert plain.ptp_partners(code, on=DAY) == indexed.ptp_partners(code, on=DAY)
                assert plain.ptp_counts(code) == indexed.ptp_counts(code)
                assert plain.in_ptp(code) == indexed.in_ptp(code)
                for other in codes:
                    assert plain.ptp_pair(code, other) == indexed.ptp_pair(code, other)
            for day in (date(1996, 1, 1), date(2025, 6, 1), DAY):
                for size in (2, 3, 5, 9):
                    for i in range(len(codes) - size + 1):
                        assert plain.ptp_edits(codes[i : i + size], day) == indexed.ptp_edits(codes[i : i + size], day)


# the compiled file


def test_the_compiled_file_holds_the_ptp_rows_once(tables: Path, tmp_path: Path) -> None:
    target = tmp_path / "cms.sqlite"
    summary = compile_tables([tables], target)
    loaded = sum(t.rows_loaded for t in summary.tables if t.table.kind == "ptp")
    db = sqlite3.connect(target)
    assert db.execute("SELECT count(*) FROM ptp").fetchone() == (0,)
    numbers = [t for (t,) in db.execute("SELECT id FROM tables WHERE kind = 'ptp'")]
    held = [read_arrays(db, t) for t in numbers]
    assert sum(a.count for a in held if a is not None) == loaded > 0
    assert db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (TABLES_FORMAT.encode(),)


def test_a_table_whose_index_cannot_be_built_is_kept_as_rows(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_index(monkeypatch)
    target = tmp_path / "cms.sqlite"
    summary = compile_tables([tables], target)
    loaded = sum(t.rows_loaded for t in summary.tables if t.table.kind == "ptp")
    db = sqlite3.connect(target)
    assert db.execute("SELECT count(*) FROM ptp").fetchone() == (loaded,)
    assert db.execute("SELECT count(*) FROM ptp_index").fetchone() == (0,)


def test_a_compiled_file_of_the_format_before_is_compiled_again(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Format 4 kept every PTP row three times; a file of it in the cache is compiled again by itself."""
    seen = compiles(monkeypatch)
    with monkeypatch.context() as old:
        old.setattr(compile_module, "TABLES_FORMAT", "4")
        open_tables([tables], tmp_path / "cache").close()
    with open_tables([tables], tmp_path / "cache") as cms:
        assert cms.path is not None
        db = sqlite3.connect(cms.path)
        assert db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (TABLES_FORMAT.encode(),)
        assert cms.ptp_edits(["0001X", "0002X"], DAY)
    assert len(seen) == 2 and TABLES_FORMAT == "5"


@pytest.mark.parametrize("damage", ["count", "codes", "chunk"])
def test_an_inconsistent_index_is_compiled_again_and_still_answers(tables: Path, tmp_path: Path, damage: str) -> None:
    """The index is the only copy of the rows: arrays that do not agree with each other (a file damaged
    in a way SQLite cannot see) are never answered from, nor taken for "no edit"."""
    with open_tables([tables], tmp_path / "cache") as cms:
        expected = cms.ptp_partners("0001X")
        counts = cms.ptp_counts("0001X")
    with open_tables([tables], tmp_path / "cache") as cms:
        assert cms.path is not None
        db = sqlite3.connect(cms.path)
        if damage == "count":
            db.execute("UPDATE ptp_index SET count = count + 7")
        elif damage == "codes":
            db.execute("UPDATE ptp_index SET codes = substr(codes, 1, 7)")
        else:
            db.execute("UPDATE ptp_chunks SET c2 = substr(c2, 1, 8)")
        db.commit()
        db.close()
        assert cms.ptp_partners("0001X") == expected
        assert cms.ptp_counts("0001X") == counts
    with open_tables([tables], tmp_path / "cache") as cms:  # the batch's whole read, too
        assert cms.path is not None
        db = sqlite3.connect(cms.path)
        db.execute("UPDATE ptp_chunks SET spans = substr(spans, 1, 8)")
        db.commit()
        db.close()
        cms.preload()
        assert [e.column2 for e in cms.ptp_edits(["0001X", "0002X"], DAY)] == ["0002X"]


def test_a_damaged_index_without_a_way_to_compile_again_is_an_error(tables: Path, tmp_path: Path) -> None:
    from cptref.cms import CmsTables

    target = tmp_path / "cms.sqlite"
    compile_tables([tables], target)
    db = sqlite3.connect(target)
    db.execute("UPDATE ptp_index SET count = count + 7")
    db.commit()
    db.close()
    with CmsTables.open(target) as cms, pytest.raises(sqlite3.DatabaseError, match="damaged"):
        cms.ptp_partners("0001X")
    with CmsTables.open(target) as cms:
        cms._ptp_calls[1] = BATCH_AFTER  # a batch: the index read whole
        with pytest.raises(sqlite3.DatabaseError, match="damaged"):
            cms.ptp_edits(["0001X", "0002X"], DAY)


# changes


def test_the_rows_that_differ_are_found_by_merging_the_arrays() -> None:
    db = rows_db(5)
    a = read_arrays(db, 1)
    assert a is not None
    assert list(differing_rows(a, a, None)) == []
    other = sqlite3.connect(":memory:")
    other.executescript(compile_module.TABLES_SCHEMA + PTP_INDEX_SCHEMA)
    rows = db.execute("SELECT * FROM ptp").fetchall()
    changed = next(r for r in rows if r[1] == CODES[3])
    flipped = (*changed[:5], 1 - changed[5] if changed[5] < 9 else 0, *changed[6:])
    rows = [(*(flipped if r == changed else r)[:9], r[9] + 1) for r in rows]  # every line moved, one indicator
    other.executemany("INSERT INTO ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert build_ptp_index(other, 1)
    b = read_arrays(other, 1)
    assert b is not None
    found = dict(differing_rows(a, b, None))
    assert found[0] == [changed[1:]]
    assert found[1] == [(*flipped[1:9], flipped[9] + 1)]
    pair = f"{ROWS} AND c1 = ? AND c2 = ? ORDER BY eff, f, line"
    assert found[2] == db.execute(pair, changed[1:3]).fetchall()  # the pair's history
    asked = (lambda code: code == CODES[3], False)  # 0003X asked for: its rows, either column
    assert dict(differing_rows(a, b, None, asked)) == found
    assert list(differing_rows(a, b, None, (asked[0], True))) == []  # both columns asked: its partner is not
    assert list(differing_rows(a, b, None, (lambda code: code == CODES[4], False))) == []  # a code unchanged
    assert CHUNK_ROWS * 20 <= 4_000 and BY2_ROWS * 4 <= 4_000  # a chunk fits one page of SQLite


def changes_doc(*args: str, env: dict[str, str]) -> Any:
    done = run_cptref("changes", *args, "--json", env=env)
    assert done.code == 0, done.err
    return msgspec.json.decode(done.out)


def test_changes_give_the_same_document_whether_the_rows_are_indexed_or_not(
    quarters: Quarters, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = ["--cms", str(quarters.both), "--from", "2026Q3", "--to", "2026Q4"]
    paths = ["--from", str(quarters.q3), "--to", str(quarters.q4)]
    indexed = [changes_doc(*a, env={"CPTREF_CACHE_DIR": str(tmp_path / "one")}) for a in (both, paths)]
    no_index(monkeypatch)
    plain = [changes_doc(*a, env={"CPTREF_CACHE_DIR": str(tmp_path / "two")}) for a in (both, paths)]
    for x, y in zip(indexed, plain, strict=True):
        assert x["changes"] and x["changes"] == y["changes"]


def test_changes_of_one_indexed_table_against_one_of_rows(
    quarters: Quarters, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    paths = ["--from", str(quarters.q3), "--to", str(quarters.q4), "--kind", "ptp"]
    expected = changes_doc(*paths, env={"CPTREF_CACHE_DIR": str(tmp_path / "fresh")})
    with monkeypatch.context() as patch:
        no_index(patch)
        open_tables([quarters.q3], cache).close()  # the older quarter kept as rows
    open_tables([quarters.q4], cache).close()
    assert changes_doc(*paths, env={"CPTREF_CACHE_DIR": str(cache)})["changes"] == expected["changes"]
