"""The compiled CMS tables: compiled once, kept while the files are unchanged, written whole or
not at all and readable by the owner only; and the look-ups ``check`` and ``show`` need, each
answer citing its table and row."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from cptref.cms import CmsTables, PtpEdit, compile_tables, compiled_path, fingerprint, open_tables
from cptref.cms import reader as reader_module
from cptref.cms.edits import BATCH_AFTER

from .test_read import MUE, PTP1, PTP2, RVU, TABLES

DAY = date(2026, 11, 27)


@pytest.fixture
def cms(tables: Path, tmp_path: Path) -> Iterator[CmsTables]:
    with open_tables([tables], tmp_path / "cache") as opened:
        yield opened


def compiles(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record each compilation open_tables starts."""
    seen: list[Path] = []
    real = compile_tables

    def counting(paths: list[Path], target: Path, progress: object = None) -> object:
        seen.append(target)
        return real(paths, target)

    monkeypatch.setattr(reader_module, "compile_tables", counting)
    return seen


# compiling, and not compiling again


def test_unchanged_files_are_never_parsed_again(tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = compiles(monkeypatch)
    for _ in range(3):
        with open_tables([tables], tmp_path / "cache") as cms:
            assert cms.table("ptp") is not None
    assert len(seen) == 1


@pytest.mark.parametrize("change", ["touch", "add", "remove", "resize"])
def test_a_changed_file_compiles_again(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    seen = compiles(monkeypatch)
    open_tables([tables], tmp_path / "cache").close()
    before = fingerprint([tables])
    target = tables / PTP2
    if change == "touch":
        os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000_000))
    elif change == "add":
        shutil.copy(TABLES / MUE, tables / MUE.replace("Practitioner", "OutpatientHospital").replace("10-01", "07-01"))
    elif change == "remove":
        target.unlink()
    else:
        stamp = target.stat()
        target.write_bytes(target.read_bytes() + b"0099X\t0098X\t\t20260101\t*\t1\tPlaceholder added row\r\n")
        os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same time, other size
    assert fingerprint([tables]) != before
    with open_tables([tables], tmp_path / "cache") as cms:
        assert cms.table("ptp") is not None
    assert len(seen) == 2


def test_a_file_rewritten_with_its_old_size_and_modification_time_compiles_again(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An MUE value changed in place (one digit for another) and the file's modification time set back
    (``touch -r``, ``cp -p``): only the change time tells, and the old value must not answer."""
    seen = compiles(monkeypatch)
    with open_tables([tables], tmp_path / "cache") as cms:
        found = cms.mue("0002X")
        assert found is not None and found.value == 4
    target = tables / MUE
    stamp = target.stat()
    body = target.read_bytes()
    assert body.count(b"\n0002X,4,") == 1
    target.write_bytes(body.replace(b"\n0002X,4,", b"\n0002X,1,"))
    os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (stamp.st_size, stamp.st_mtime_ns)
    with open_tables([tables], tmp_path / "cache") as cms:
        found = cms.mue("0002X")
        assert found is not None and found.value == 1
    assert len(seen) == 2


def test_a_readme_added_beside_the_tables_does_not_compile_again(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = compiles(monkeypatch)
    open_tables([tables], tmp_path / "cache").close()
    (tables / "notes.pdf").write_bytes(b"%PDF placeholder")
    open_tables([tables], tmp_path / "cache").close()
    assert len(seen) == 1


def test_the_compiled_file_is_the_owners_only_and_no_temporary_file_is_left(cms: CmsTables, tmp_path: Path) -> None:
    assert cms.path is not None
    assert stat.S_IMODE(cms.path.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [cms.path.name]


def test_a_truncated_compiled_file_is_compiled_again(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = compiles(monkeypatch)
    with open_tables([tables], tmp_path / "cache") as cms:
        path = cms.path
    assert path is not None
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with open_tables([tables], tmp_path / "cache") as cms:
        assert cms.ptp_edits(["0001X", "0002X"], DAY)
    assert len(seen) == 2


def test_a_file_damaged_while_open_is_compiled_again_and_still_answers(tables: Path, tmp_path: Path) -> None:
    with open_tables([tables], tmp_path / "cache") as cms:
        assert cms.path is not None
        size = cms.path.stat().st_size
        with open(cms.path, "r+b") as handle:  # the same file, overwritten in place
            handle.write(os.urandom(size))
        assert [e.column2 for e in cms.ptp_edits(["0001X", "0002X"], DAY)] == ["0002X"]


def test_a_view_of_a_file_damaged_while_open_still_answers_from_the_tables_of_its_date(
    tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two quarters of MUE; the view of the earlier one made, then the file damaged: compiled again
    once, and the view still answers from its quarter's table, not the newest one."""
    seen = compiles(monkeypatch)
    earlier = tables / MUE.replace("10-01-2026", "07-01-2026")
    earlier.write_bytes((tables / MUE).read_bytes().replace(b"\n0002X,4,", b"\n0002X,9,"))
    with open_tables([tables], tmp_path / "cache") as cms:
        q3, q4 = cms.view(date(2026, 8, 3)), cms.view(DAY)
        assert (q3.table("mue"), q4.table("mue")) != (None, None)
        assert q3.table("mue") != q4.table("mue")
        assert cms.path is not None
        size = cms.path.stat().st_size
        with open(cms.path, "r+b") as handle:
            handle.seek(4096)  # the header kept: the damage is met by a query, not on opening
            handle.write(os.urandom(size - 4096))
        found, table = q3.mue("0002X"), q3.table("mue")
        assert found is not None and found.value == 9 and found.table == table
        assert table is not None and table.version == "2026Q3"
        other = q4.mue("0002X")
        assert other is not None and other.value == 4 and other.table.version == "2026Q4"
    assert len(seen) == 2  # compiled, then once again: not once for each view


def test_a_failed_write_leaves_no_file(tables: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "cache" / "cms.sqlite"

    def broken(*_: object) -> None:
        raise sqlite3.OperationalError("disk full (simulated)")

    monkeypatch.setattr("cptref.cms.compile._write", broken)
    with pytest.raises(sqlite3.OperationalError):
        compile_tables([tables], target)
    assert list(target.parent.iterdir()) == []


def test_an_unwritable_cache_still_answers_from_a_private_temporary_file(tables: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    with open_tables([tables], blocked) as cms:
        assert cms.path is not None and not cms.path.is_relative_to(blocked)
        assert stat.S_IMODE(cms.path.stat().st_mode) == 0o600
        assert [e.column2 for e in cms.ptp_edits(["0001X", "0002X"], DAY)] == ["0002X"]
        private = cms.path.parent
    assert not private.exists()


def test_one_compiled_file_per_set_of_inputs(tables: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert compiled_path([tables], cache) != compiled_path([tables / PTP1], cache)
    assert compiled_path([tables], cache) == compiled_path([tables / "." / ""], cache)


# what is loaded


def test_the_summary_counts_every_table(cms: CmsTables) -> None:
    summary = cms.summary()
    counts = {(t.table.kind, t.table.setting): (t.rows_read, t.rows_loaded, t.rows_rejected) for t in summary.tables}
    assert counts == {
        ("ptp", "practitioner"): (12, 12, 0),
        ("ptp", "outpatient_hospital"): (5, 5, 0),
        ("mue", "practitioner"): (4, 4, 0),
        ("mue", "outpatient_hospital"): (1, 1, 0),
        ("mue", "dme"): (1, 1, 0),
        ("aoc", "all"): (4, 4, 0),
        ("rvu", "nonqpp"): (5, 5, 0),
    }
    ptp = summary.tables[0]
    assert (ptp.table.version, [Path(f).name for f in ptp.files]) == (
        "32.3r0",
        [PTP1, PTP2, "ccipra-v323r0-f3.txt", "ccipra-v323r0-f4.txt"],
    )
    assert (ptp.parts, ptp.missing_parts, ptp.complete, ptp.table.dates()) == (
        [1, 2, 3, 4],
        [],
        True,
        "2026-10-01 to 2026-12-31",
    )
    assert summary.problems == [] and summary.errors == []
    assert summary.compiled == str(cms.path)
    assert len(summary.lines()) == 7


def test_bad_rows_are_counted_and_kept_as_problems_in_the_compiled_file(tmp_path: Path) -> None:
    from .test_read import BAD

    with open_tables([BAD], tmp_path / "cache") as cms:
        [table] = cms.summary().tables
        assert (table.rows_read, table.rows_loaded, table.rows_rejected) == (7, 2, 5)
        assert [p.line for p in cms.summary().errors if p.code == "bad-row"] == [8, 9, 10, 11, 12]
        assert (table.errors, table.complete, cms.complete("ptp")) == (5 + 3, False, False)  # parts f2-f4 missing too
        assert [e.column2 for e in cms.ptp_edits(["0001X", "0002X", "0008X"], DAY)] == ["0002X", "0008X"]
    with open_tables([BAD], tmp_path / "cache") as again:  # from the compiled file, not parsed again
        assert [p.line for p in again.summary().errors if p.code == "bad-row"] == [8, 9, 10, 11, 12]


def test_a_table_with_no_good_row_is_not_loaded(tmp_path: Path) -> None:
    header = (TABLES / PTP1).read_bytes().split(b"\r\n")[:6]
    (tmp_path / PTP1).write_bytes(b"\r\n".join([*header, b"0001X\t0002X\t\tnot-a-date\t*\t1\tPlaceholder"]) + b"\r\n")
    with open_tables([tmp_path], tmp_path / "cache") as cms:
        assert cms.summary().tables == []
        assert [p.code for p in cms.summary().problems if p.code != "missing-part"] == ["bad-row", "no-rows"]
        assert [Path(f.file).name for f in cms.summary().failed] == [PTP1]
        assert cms.table("ptp") is None
        assert cms.ptp_edits(["0001X", "0002X"], DAY) == []


# PTP


def test_ptp_edits_in_force_on_a_date_in_either_order(cms: CmsTables) -> None:
    edits = cms.ptp_edits(["0002X", "0001X", "0003X", "0004X", "0005X", "0012X"], DAY)
    assert sorted((e.column1, e.column2, e.modifier) for e in edits) == [
        ("0001X", "0002X", 0),
        ("0001X", "0003X", 1),
        ("0001X", "0005X", 0),  # the indicator-9 row deleted on its first day never applies
        ("0012X", "0001X", 0),
    ]  # 0001X/0004X was deleted on 1 November 2026; 0012X/0002X on 1 October 2026
    first = next(e for e in edits if e.column2 == "0003X")
    assert first.table.label() == "NCCI PTP edits, practitioner, v32.3r0"
    assert (Path(first.file).name, first.line) == (PTP1, 8)
    assert first.rationale == "Placeholder rationale caf\u00e9"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 31), {"0004X"}),
        (date(2026, 10, 31), {"0003X", "0004X", "0005X"}),
        (date(2026, 11, 1), {"0003X", "0005X"}),
        (date(1995, 12, 31), set()),
        (date(1996, 1, 1), set()),
    ],
)
def test_effective_on_its_day_deleted_on_its_day(cms: CmsTables, day: date, expected: set[str]) -> None:
    found = {e.column2 for e in cms.ptp_edits(["0001X", "0003X", "0004X", "0005X"], day)}
    assert found == expected
    # the edits whose deletion date is the day, asked for: in force that day under the other reading
    ending: list[PtpEdit] = []
    assert {e.column2 for e in cms.ptp_edits(["0001X", "0003X", "0004X", "0005X"], day, ending=ending)} == expected
    assert {(e.column2, e.modifier) for e in ending} == ({("0004X", 1)} if day == date(2026, 11, 1) else set())


def test_the_setting_chooses_the_table(cms: CmsTables) -> None:
    [hospital] = cms.ptp_edits(["0001X", "0002X"], DAY, setting="outpatient_hospital")
    assert (hospital.modifier, hospital.table.setting) == (1, "outpatient_hospital")
    assert cms.ptp_edits(["0001X", "0002X"], DAY, setting="dme") == []


def test_one_code_or_a_repeated_code_has_no_pair(cms: CmsTables) -> None:
    assert cms.ptp_edits(["0001X"], DAY) == []
    assert cms.ptp_edits(["0001X", "0001X"], DAY) == []
    assert len(cms.ptp_edits(["0001X", "0002X", "0002X"], DAY)) == 1


def test_show_gets_a_codes_partners_both_ways(cms: CmsTables) -> None:
    partners = cms.ptp_partners("0001X")
    assert partners is not None
    assert [e.column2 for e in partners.as_column1] == ["0002X", "0003X", "0004X", "0005X", "0005X"]
    assert [(e.column1, Path(e.file).name, e.line) for e in partners.as_column2] == [("0012X", PTP2, 8)]
    assert cms.ptp_counts("0001X") == (5, 1)
    current = cms.ptp_partners("0001X", on=DAY)
    assert current is not None and len(current.as_column1) == 3
    # on an edit's deletion date it is shown, with its dates (the day is undecided: README "Dates of an edit")
    ending, after = cms.ptp_partners("0001X", on=date(2026, 11, 1)), cms.ptp_partners("0001X", on=date(2026, 11, 2))
    assert ending is not None and after is not None
    assert [e.deleted for e in ending.as_column1 if e.column2 == "0004X"] == [date(2026, 11, 1)]
    assert "0004X" not in {e.column2 for e in after.as_column1}
    assert [e.deleted for e in cms.ptp_pair("0001X", "0005X")] == [date(2026, 1, 1), None]


def test_a_batch_is_answered_from_memory(cms: CmsTables) -> None:
    """After a few claims the PTP index is read once; then no claim costs a query."""
    claim = ["0001X", "0002X", "0003X"]
    first = cms.ptp_edits(claim, DAY)
    for _ in range(BATCH_AFTER):
        assert cms.ptp_edits(claim, DAY) == first
        cms.mue("0001X")
    queries: list[str] = []
    cms._db.set_trace_callback(queries.append)
    for _ in range(100):
        assert cms.ptp_edits(claim, DAY) == first
        cms.mue("0001X")
    assert queries == []


def test_the_index_and_the_queries_give_the_same_answers(tables: Path, tmp_path: Path) -> None:
    codes = ["0001X", "0002X", "0003X", "0004X", "0005X", "0006X", "0007X", "0010X", "0011X", "0012X", "0099X"]
    days = [date(1995, 12, 31), date(1996, 1, 1), date(2025, 6, 1), date(2026, 1, 1), DAY, date(2026, 12, 1)]
    claims = [
        (codes[i : i + size], day) for size in (2, 3, 5, 11) for i in range(len(codes) - size + 1) for day in days
    ]
    claims += [(list(reversed(c)), d) for c, d in claims]
    with open_tables([tables], tmp_path / "cache") as by_query, open_tables([tables], tmp_path / "cache") as by_index:
        for _ in range(BATCH_AFTER + 1):
            by_index.ptp_edits(["0001X", "0002X"], DAY)
        assert by_index._indexes and by_query._ptp_calls.get(1, 0) == 0
        for claim, day in claims:
            assert by_index.ptp_edits(claim, day) == by_query.ptp_edits(claim, day)
            by_query._ptp_calls.clear()  # stays on queries


def test_a_batch_gets_the_same_edit_object_for_the_same_row(tables: Path, tmp_path: Path) -> None:
    """What the checker keeps its PTP findings by (and the answers stay right on other dates)."""
    with open_tables([tables], tmp_path / "cache") as cms:
        cms.preload()
        first = cms.ptp_edits(["0001X", "0002X", "0003X"], DAY)
        again = cms.ptp_edits({"0003X": 1, "0002X": 1, "0001X": 2}, DAY)
        assert first and sorted(map(id, first)) == sorted(map(id, again))
        assert [e.column2 for e in cms.ptp_edits(["0001X", "0004X"], date(2025, 6, 1))] == ["0004X"]
        assert cms.ptp_edits(["0001X", "0004X"], DAY) == []


def test_the_answer_caches_are_bounded(tables: Path, tmp_path: Path) -> None:
    with open_tables([tables], tmp_path / "cache", cache_codes=2) as cms:
        for code in ("0001X", "0002X", "0003X", "0020X", "0099X", "0001X"):
            cms.mue(code)
            cms.aoc_edits(code)
            cms.rvu(code)
            assert len(cms._mue) <= 2 and len(cms._aoc) <= 2 and len(cms._rvu) <= 2
        cms.preload()
        for claim in (["0001X", "0002X"], ["0001X", "0003X"], ["0002X", "0006X", "0007X"], ["0001X", "0005X"]):
            cms.ptp_edits(claim, DAY)
            assert all(len(made) <= 4 for made in cms._ptp_made.values())
        mue = cms.mue("0001X")
        assert mue is not None and mue.value == 1


# MUE, AOC, PPRRVU


def test_mue_by_setting(cms: CmsTables) -> None:
    practitioner = cms.mue("0002X")
    assert practitioner is not None
    assert (practitioner.value, practitioner.indicator, practitioner.line) == (4, 3, 7)
    assert practitioner.table.label() == "NCCI MUE, practitioner, 2026Q4"
    hospital = cms.mue("0001X", "outpatient_hospital")
    assert hospital is not None and (hospital.value, hospital.indicator) == (3, 3)
    assert cms.mue("0040X", "dme") is not None
    assert cms.mue("0099X") is None
    assert set(cms.mues("0001X")) == {"practitioner", "outpatient_hospital"}


def test_aoc_edits_of_an_add_on_on_a_date(cms: CmsTables) -> None:
    assert [e.primary for e in cms.aoc_edits("0020X")] == ["0001X", "0002X"]
    assert [e.primary for e in cms.aoc_edits("0020X", DAY)] == ["0001X"]  # 0002X ended 1 July 2026
    assert [e.primary for e in cms.aoc_edits("0020X", date(2026, 6, 30))] == ["0001X", "0002X"]
    # on the pair's deletion date the edit is shown too (issue 26, item 6, still open: README "Dates of an
    # edit"): in force that day if a deletion date is the last day with the edit; the day after, not
    assert [e.primary for e in cms.aoc_edits("0020X", date(2026, 7, 1))] == ["0001X", "0002X"]
    assert [e.primary for e in cms.aoc_edits("0020X", date(2026, 7, 2))] == ["0001X"]
    [contractor] = cms.aoc_edits("0021X", DAY)
    assert (contractor.type, contractor.primary, contractor.notes) == (2, None, "Placeholder contractor note")
    ended = cms.aoc_edits("0020X")[1]
    assert (ended.deleted, ended.primary_deleted, ended.addon_deleted) == (date(2026, 7, 1), date(2026, 7, 1), None)
    assert (Path(ended.file).name, ended.line) == ("AOC_V2026Q4-MCR.xlsx", 4)
    assert cms.is_addon("0020X") and not cms.is_addon("0001X")
    assert [e.addon for e in cms.aoc_addons_of("0001X")] == ["0020X"]


def test_rvu_rows_of_a_code(cms: CmsTables) -> None:
    rows = cms.rvu("0002X")
    assert [r.modifier for r in rows] == ["", "26", "TC"]
    first = rows[0]
    assert (first.status, first.global_days, first.pctc, first.work_rvu, first.conversion_factor) == (
        "A",
        "XXX",
        1,
        1.0,
        33.4009,
    )
    assert first.descriptor is not None and first.descriptor.text == "Placeholder descriptor two"
    assert "licence" in type(first.descriptor).__struct_fields__
    assert (Path(first.file).name, first.line) == (RVU, 12)
    assert cms.rvu("0099X") == []
    assert cms.rvu("0002X", "qpp") == []


def test_no_tables_at_all_answers_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with open_tables(tmp_path / "empty", tmp_path / "cache") as cms:
        assert cms.tables() == []
        assert cms.ptp_edits(["0001X", "0002X"], DAY) == []
        assert cms.mue("0001X") is None and cms.aoc_edits("0020X") == [] and cms.rvu("0001X") == []
        assert cms.ptp_partners("0001X") is None
