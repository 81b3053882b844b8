"""``cptref changes`` on two made-up quarters (``tests/cms/quarters.py`` says what changes from one to the
other), through the console script's entry point in this process."""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest

from cptref.cms.compare import quarters as compare
from cptref.replies import rechecked
from tests.cms.quarters import LIBRARY, PTP_Q3, Quarters, ptp
from tests.conftest import run_cptref

DATA = ("--data", str(LIBRARY))


def run(*args: str) -> tuple[int, str, str]:
    done = run_cptref("changes", *args)
    return done.code, done.out, done.err


def doc(*args: str) -> dict[str, Any]:
    code, out, err = run(*args, "--json")
    assert code == 0, err
    found = json.loads(out)
    assert isinstance(found, dict)
    return found


def quarter_mode(q: Quarters, *args: str) -> dict[str, Any]:
    return doc("--cms", str(q.both), "--from", "2026Q3", "--to", "2026Q4", *args)


def one(found: dict[str, Any], kind: str, *codes: str) -> dict[str, Any]:
    [change] = [c for c in found["changes"] if c["kind"] == kind and c["codes"][: len(codes)] == list(codes)]
    assert isinstance(change, dict)
    return change


def codes_of(found: dict[str, Any]) -> set[tuple[str, ...]]:
    return {(c["kind"], *c["codes"]) for c in found["changes"]}


# ---------------------------------------------------------------------------------------------------
# what each change is


def test_an_edit_whose_deletion_date_was_added(quarters: Quarters) -> None:
    change = one(quarter_mode(quarters), "ptp", "0001X", "0004X")
    assert (change["change"], change["effect"], change["fields"]) == ("deleted", "looser", ["deleted"])
    assert change["before"]["deleted"] is None and change["after"]["deleted"] == "2026-11-01"
    assert change["before"]["row"] == "ccipra-v322r0-f1.txt, line 9"
    assert change["after"]["row"] == "ccipra-v323r0-f1.txt, line 9"
    assert change["before"]["table"] == "ptp/practitioner/32.2r0"


def test_a_re_added_edit_names_the_row_that_had_ended(quarters: Quarters) -> None:
    change = one(quarter_mode(quarters), "ptp", "0002X", "0008X")
    assert (change["change"], change["effect"], change["rank"]) == ("re-added", "stricter", 3)
    assert change["before"]["effective"] == "2020-01-01" and change["before"]["deleted"] == "2025-01-01"
    assert change["after"]["effective"] == "2026-10-01" and change["after"]["deleted"] is None


def test_an_indicator_flipped_in_place_is_the_most_consequential(quarters: Quarters) -> None:
    change = one(quarter_mode(quarters), "ptp", "0001X", "0002X")
    assert (change["change"], change["effect"], change["rank"]) == ("indicator-changed", "stricter", 0)
    assert (change["before"]["modifier_indicator"], change["after"]["modifier_indicator"]) == (1, 0)
    assert change["ended"] is None and change["fields"] == ["modifier_indicator"]


def test_a_row_taken_over_by_a_new_row_of_the_other_indicator_is_one_change(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    change = one(found, "ptp", "0010X", "0011X")
    assert (change["change"], change["rank"]) == ("indicator-changed", 0)
    assert change["before"]["effective"] == "2023-04-01" and change["before"]["deleted"] is None
    assert change["after"]["effective"] == "2026-10-01" and change["after"]["modifier_indicator"] == 0
    assert change["ended"]["deleted"] == "2026-10-01" and change["ended"]["row"] == "ccipra-v323r0-f2.txt, line 7"


def test_new_removed_and_reworded_edits(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    new = one(found, "ptp", "0002X", "0006X")
    assert (new["change"], new["rank"], new["before"]) == ("added", 0, None)
    assert new["after"]["effective"] == "2026-12-01"
    gone = one(found, "ptp", "0040X", "0042X")
    assert (gone["change"], gone["effect"], gone["after"]) == ("removed", "looser", None)
    reworded = one(found, "ptp", "0050X", "0051X")
    assert (reworded["change"], reworded["effect"], reworded["rank"]) == ("rationale-changed", "other", 6)
    assert reworded["after"]["rationale"] == "Placeholder rationale zeta"
    assert ("ptp", "0001X", "0003X") not in codes_of(found)  # the same in both
    assert ("ptp", "0001X", "0005X") not in codes_of(found)  # a pair with two rows of one effective date


def test_mue_changes_including_a_move_between_adjudication_indicators(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    moved = one(found, "mue", "0001X")
    assert (moved["change"], moved["effect"], moved["rank"], moved["fields"]) == (
        "indicator-changed",
        "stricter",
        1,
        ["indicator"],
    )
    assert (moved["before"]["indicator"], moved["after"]["indicator"]) == (1, 2)
    lowered = one(found, "mue", "0002X")
    assert (lowered["change"], lowered["before"]["value"], lowered["after"]["value"]) == ("lowered", 6, 4)
    assert one(found, "mue", "0020X")["change"] == "added"
    assert one(found, "mue", "0030X")["change"] == "removed"
    assert ("mue", "0003X") not in codes_of(found)


def test_aoc_primaries_removed_deleted_and_added(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    removed = one(found, "aoc", "0003X", "0008X")
    assert (removed["change"], removed["effect"], removed["rank"]) == ("primary-removed", "stricter", 2)
    assert removed["before"]["row"] == "AOC_V2026Q3-MCR.txt, line 3"
    deleted = one(found, "aoc", "0022X", "0002X")
    assert (deleted["change"], deleted["after"]["deleted"]) == ("primary-deleted", "2026-12-01")
    assert one(found, "aoc", "0022X", "0007X")["change"] == "primary-added"
    assert ("aoc", "0021X") not in codes_of(found)  # type 2, the same


def test_fee_schedule_status_bilateral_and_rvus(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    status = one(found, "rvu", "0006X")
    assert (status["change"], status["effect"], status["rank"]) == ("status-changed", "stricter", 4)
    assert (status["before"]["status"], status["after"]["status"]) == ("A", "B")
    bilateral = one(found, "rvu", "0001X")
    assert (bilateral["change"], bilateral["before"]["bilateral"], bilateral["after"]["bilateral"]) == (
        "bilateral-changed",
        3,
        1,
    )
    rvus = one(found, "rvu", "0002X")
    assert (rvus["change"], rvus["fields"], rvus["after"]["work_rvu"]) == ("rvus-changed", ["work_rvu"], 1.0)
    assert one(found, "rvu", "0021X")["change"] == "added"
    assert [c for c in found["changes"] if c["kind"] == "rvu" and c["modifier"]] == []  # 26 and TC unchanged


def test_the_tables_compared_and_their_counts(quarters: Quarters) -> None:
    found = quarter_mode(quarters)
    tables = {(t["kind"], t["setting"]): t for t in found["tables"]}
    assert set(tables) == {("ptp", "practitioner"), ("mue", "practitioner"), ("aoc", "all"), ("rvu", "nonqpp")}
    ptp_table = tables[("ptp", "practitioner")]
    assert (ptp_table["before"]["id"], ptp_table["after"]["id"]) == (
        "ptp/practitioner/32.2r0",
        "ptp/practitioner/32.3r0",
    )
    assert ptp_table["changes"] == 7 and ptp_table["counts"]["indicator-changed"] == 2
    assert sum(t["changes"] for t in found["tables"]) == len(found["changes"])
    assert (found["before"]["quarter"], found["after"]["quarter"]) == ("2026Q3", "2026Q4")


def test_the_outpatient_hospital_tables_did_not_change(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "--setting", "hospital", "--kind", "ptp,mue")
    assert [(t["kind"], t["setting"], t["changes"]) for t in found["tables"]] == [
        ("ptp", "outpatient_hospital", 0),
        ("mue", "outpatient_hospital", 0),
    ]
    assert found["changes"] == []


def test_every_setting(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "--setting", "all")
    assert {(t["kind"], t["setting"]) for t in found["tables"]} >= {("mue", "dme"), ("ptp", "outpatient_hospital")}


# ---------------------------------------------------------------------------------------------------
# order, sets, defaults


def test_grouped_by_code_the_most_consequential_code_first(quarters: Quarters) -> None:
    found = quarter_mode(quarters)["changes"]
    codes = [c["code"] for c in found]
    groups = [code for i, code in enumerate(codes) if i == 0 or codes[i - 1] != code]
    assert len(groups) == len(set(groups))  # each code's changes together
    best = [min(c["rank"] for c in found if c["code"] == code) for code in groups]
    assert best == sorted(best) and best[0] == 0
    for code in groups:
        ranks = [c["rank"] for c in found if c["code"] == code]
        assert ranks == sorted(ranks)


def test_two_folders_give_what_one_folder_of_both_quarters_gives(quarters: Quarters) -> None:
    by_quarter = quarter_mode(quarters)
    by_path = doc("--from", str(quarters.q3), "--to", str(quarters.q4))
    assert by_path["changes"] == by_quarter["changes"]
    assert by_path["before"]["given"] == str(quarters.q3) and by_path["before"]["quarter"] == "2026Q3"


def test_two_compiled_files_compare_rationales_by_their_text(quarters: Quarters, tmp_path: Path) -> None:
    import sqlite3

    from cptref.cms import open_tables

    old = tmp_path / "old"
    shutil.copytree(quarters.q3, old)
    first = ["0000X 0001X - 20200101 * 1 Placeholder rationale only before", *PTP_Q3[1]]  # later text ids move
    (old / "ccipra-v322r0-f1.txt").write_bytes(ptp(first))
    with open_tables([old]) as a, open_tables([quarters.q4]) as b:
        texts = []
        for cms in (a, b):
            assert cms.path is not None
            db = sqlite3.connect(cms.path)
            texts.append(dict(db.execute("SELECT text, id FROM texts")))
            db.close()
    found = doc("--from", str(old), "--to", str(quarters.q4), "--kind", "ptp")
    assert texts[0]["Placeholder rationale alpha"] != texts[1]["Placeholder rationale alpha"]
    reworded = {tuple(c["codes"]) for c in found["changes"] if c["change"] == "rationale-changed"}
    assert reworded == {("0050X", "0051X")}
    assert one(found, "ptp", "0000X", "0001X")["change"] == "removed"
    assert len(found["changes"]) == 8


def test_by_default_the_newest_quarter_against_the_one_before(quarters: Quarters) -> None:
    found = doc("--cms", str(quarters.both))
    assert (found["before"]["given"], found["after"]["given"]) == ("2026Q3", "2026Q4")
    assert len(found["changes"]) == len(quarter_mode(quarters)["changes"])
    assert doc("--cms", str(quarters.both), "--to", "2026-11-27")["before"]["quarter"] == "2026Q3"


def test_a_table_not_read_whole_is_said(quarters: Quarters, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(quarters.q3, partial)
    (partial / "ccipra-v322r0-f4.txt").unlink()
    found = doc("--from", str(partial), "--to", str(quarters.q4), "--kind", "ptp")
    [table] = found["tables"]
    assert table["before"]["complete"] is False and table["after"]["complete"] is True
    assert any("not read whole" in note and "added" in note for note in table["notes"])
    assert one(found, "ptp", "0050X", "0051X")["change"] == "added"  # what part f4 held


def test_a_kind_only_one_set_has_is_not_compared(quarters: Quarters, tmp_path: Path) -> None:
    fewer = tmp_path / "fewer"
    shutil.copytree(quarters.q3, fewer)
    (fewer / "AOC_V2026Q3-MCR.txt").unlink()
    found = doc("--from", str(fewer), "--to", str(quarters.q4))
    [aoc] = [t for t in found["tables"] if t["kind"] == "aoc"]
    assert aoc["before"] is None and aoc["changes"] == 0 and "not compared" in aoc["notes"][0]
    assert [c for c in found["changes"] if c["kind"] == "aoc"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026Q4", "--to", "2026Q4"), "same tables"),
        (("--from", "2025Q1", "--to", "2026Q4"), "no table under --cms is in force in 2025Q1"),
        (("--from", "2026Q3", "--to", "2026Q4", "47-xyz"), "not a code"),
        (("--kind", "ptp,zzz"), "--kind"),
    ],
)
def test_usage_errors(quarters: Quarters, args: tuple[str, ...], message: str) -> None:
    code, out, err = run("--cms", str(quarters.both), *args)
    assert code == 2 and out == "" and message in err


# ---------------------------------------------------------------------------------------------------
# narrowing


def test_sets_given_in_the_wrong_order_are_compared_as_asked_and_said(quarters: Quarters) -> None:
    """--from 2026Q4 --to 2026Q3 answered without a word: every change backwards (an edit added in Q4
    listed as removed) under a header a reader takes for what changed since."""
    for args in (
        ("--cms", str(quarters.both), "--from", "2026Q4", "--to", "2026Q3"),
        ("--from", str(quarters.q4), "--to", str(quarters.q3)),
    ):
        code, out, err = run(*args, "--jsonl")
        assert code == 0 and "later than --to" in err and "2026Q3" in err, err
        assert len(err.splitlines()) == 1
        backwards = [json.loads(line) for line in out.splitlines()]
        assert {"kind": "ptp", "codes": ["0002X", "0006X"], "change": "removed"}.items() <= next(
            c for c in backwards if c["codes"] == ["0002X", "0006X"]
        ).items()
    code, _, err = run("--cms", str(quarters.both), "--from", "2026Q3", "--to", "2026Q4", "--jsonl")
    assert (code, err) == (0, "")


def test_narrowed_to_codes_ranges_and_prefixes(quarters: Quarters) -> None:
    assert codes_of(quarter_mode(quarters, "0010X")) == {("ptp", "0010X", "0011X")}
    found = quarter_mode(quarters, "0001X-0002X")
    assert {c["code"] for c in found["changes"]} == {"0001X", "0002X"}
    assert one(found, "aoc", "0022X", "0002X")["code"] == "0002X"  # the add-on's primary is asked for
    assert codes_of(quarter_mode(quarters, "004")) == {("ptp", "0040X", "0042X")}
    assert quarter_mode(quarters, "0003X", "--kind", "mue")["changes"] == []


def test_a_change_is_listed_under_the_code_asked_for(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "0008X")
    assert {(c["kind"], c["code"], tuple(c["codes"])) for c in found["changes"]} == {
        ("ptp", "0008X", ("0002X", "0008X")),
        ("aoc", "0008X", ("0003X", "0008X")),
    }


def test_both_keeps_only_edits_between_codes_asked_for(quarters: Quarters) -> None:
    either = codes_of(quarter_mode(quarters, "0002X", "0008X"))
    both = codes_of(quarter_mode(quarters, "0002X", "0008X", "--both"))
    assert ("ptp", "0002X", "0006X") in either and ("ptp", "0002X", "0006X") not in both
    assert ("ptp", "0002X", "0008X") in both and ("mue", "0002X") in both


def test_narrowed_to_a_family(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "--family", "test-widgets", *DATA)
    assert found["narrowed"]["families"] == ["test-widgets"]
    assert found["changes"] == quarter_mode(quarters, "0001X-0002X")["changes"]
    code, _, err = run("--cms", str(quarters.both), "--family", "nope", *DATA)
    assert code == 2 and "test-widgets" in err


# ---------------------------------------------------------------------------------------------------
# claims


def test_claims_judged_differently_before_and_after(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "--claims", str(quarters.claims), *DATA)
    report = found["claims"]
    assert (report["checked"], report["differ"], report["bad_lines"]) == (7, 5, 0)
    by_id = {c["id"]: c for c in report["claims"]}
    assert set(by_id) == {"c1", "c2", "c3", "c5", "c6"}
    c1 = by_id["c1"]
    assert (c1["before"]["date"], c1["after"]["date"]) == ("2026-08-15", "2026-10-01")
    assert (c1["before"]["ok"], c1["after"]["ok"]) == (True, False)
    assert c1["differences"][0] | {"message": ""} == {
        "rule": "ncci-ptp",
        "codes": ["0001X", "0002X"],
        "before": "info",
        "after": "error",
        "message": "",
    }
    assert c1["before"]["tables"][0] == "ptp/practitioner/32.2r0"
    assert [(d["rule"], d["before"], d["after"]) for d in by_id["c2"]["differences"]] == [("ncci-ptp", "info", "error")]
    assert [(d["rule"], d["after"]) for d in by_id["c3"]["differences"]] == [("mue", "error")]
    assert [(d["rule"], d["after"]) for d in by_id["c5"]["differences"]] == [("aoc", "error")]
    assert [(d["rule"], d["after"]) for d in by_id["c6"]["differences"]] == [("fee-schedule", "warning")]
    assert by_id["c3"]["codes"] == ["0002Xx5"]


def test_claims_narrow_the_changes_to_edits_between_their_codes(quarters: Quarters) -> None:
    found = quarter_mode(quarters, "--claims", str(quarters.claims), *DATA)
    assert found["narrowed"]["claims"] == str(quarters.claims) and found["narrowed"]["both"] is True
    pairs = {tuple(c["codes"]) for c in found["changes"] if c["kind"] == "ptp"}
    assert ("0001X", "0002X") in pairs and ("0040X", "0042X") not in pairs


def test_claims_by_path_sets_are_judged_by_the_tables_named_not_by_their_date(
    quarters: Quarters, tmp_path: Path
) -> None:
    claims = tmp_path / "claims.csv"
    claims.write_text("id,codes,date\nx,0001X 0002X-59,2026-11-27\n")  # a Q4 date, judged under Q3 too
    found = doc("--from", str(quarters.q3), "--to", str(quarters.q4), "--claims", str(claims), *DATA)
    [claim] = found["claims"]["claims"]
    assert (claim["before"]["date"], claim["after"]["date"]) == ("2026-09-30", "2026-11-27")
    assert [(d["before"], d["after"]) for d in claim["differences"]] == [("info", "error")]


def test_claims_of_an_837i_are_judged_under_the_outpatient_hospital_tables_as_check_file_judges_them(
    quarters: Quarters, tmp_path: Path
) -> None:
    """The same claim (0001X with 0002X-59, whose practitioner edit turned indicator 0 in Q4 and whose
    outpatient hospital edit did not change) from an 837P and an 837I: only the 837P's is judged
    differently. The 837I's was judged under the practitioner tables, a difference its tables never made."""
    from tests.check.inputs.test_x12 import I, P
    from tests.check.inputs.test_x12_command import made_up

    differ = {}
    for name, data in (("p.837", P), ("i.837", I)):
        path = tmp_path / name
        path.write_bytes(made_up(data).replace(b"20261127", b"20260815"))
        report = quarter_mode(quarters, "--claims", str(path), *DATA)["claims"]
        assert report["bad_lines"] == 0
        differ[name] = {
            (c["id"], d["rule"], d["before"], d["after"]) for c in report["claims"] for d in c["differences"]
        }
    assert ("PCN-1001", "ncci-ptp", "info", "error") in differ["p.837"]
    assert not any(rule == "ncci-ptp" for _, rule, _, _ in differ["i.837"]), differ["i.837"]


def test_a_bad_claim_line_is_counted_and_named(quarters: Quarters, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": 1, "codes": ["0001X", "0002X-59"], "date": "2026-08-15"}\n{"id": 2, "codes": 5}\n')
    code, out, err = run("--cms", str(quarters.both), "--claims", str(claims), *DATA, "--json")
    assert code == 0 and json.loads(out)["claims"]["bad_lines"] == 1 and ":2:" in err


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (datetime.date(2026, 8, 15), datetime.date(2026, 10, 1)),
        (datetime.date(2026, 11, 27), datetime.date(2026, 11, 27)),
        (datetime.date(2027, 2, 1), datetime.date(2026, 12, 31)),
        (None, datetime.date(2026, 10, 1)),
    ],
)
def test_a_claim_is_judged_on_its_date_moved_into_the_quarter(
    given: datetime.date | None, expected: datetime.date
) -> None:
    assert rechecked.claim_day(given, compare.quarter_days("2026Q4")) == expected


def test_a_pinned_view_answers_from_its_tables_whatever_the_date(quarters: Quarters) -> None:
    from cptref.cms import open_tables

    with open_tables([quarters.both]) as cms:
        side = compare.in_quarter(cms, "2026Q3", "2026Q3", [])
        view = cms.pinned([c.table for c in side.tables.values()])
        november = datetime.date(2026, 11, 27)
        assert view.view(november) is view
        found = view.mue("0002X")
        assert found is not None and found.value == 6  # the Q3 table's, on a Q4 date
        assert cms.view(november).mue("0002X").value == 4  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------
# outputs


def test_json_validates_against_its_schema_and_every_key_is_described(quarters: Quarters) -> None:
    import jsonschema

    found = quarter_mode(quarters, "--claims", str(quarters.claims), *DATA)
    from cptref.output.schema import schema as schema_of

    schema = schema_of("changes")
    jsonschema.Draft202012Validator(schema).validate(found)
    line_schema = schema_of("changes", jsonl=True)
    code, out, _ = run("--cms", str(quarters.both), "--claims", str(quarters.claims), *DATA, "--jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {line["kind"] for line in lines} == {"ptp", "mue", "aoc", "rvu", "claim"}
    for line in lines:
        jsonschema.Draft202012Validator(line_schema).validate(line)
    for name, part in schema["$defs"].items():
        for key, prop in part.get("properties", {}).items():
            assert "description" in prop or key == "kind", (name, key)


def test_json_is_written_as_the_whole_document_would_be(quarters: Quarters) -> None:
    code, out, _ = run("--cms", str(quarters.both), "--claims", str(quarters.claims), *DATA, "--json")
    from cptref.output.changes_documents import ChangesDocument

    document = msgspec.json.decode(out, type=ChangesDocument)
    assert out.encode() == msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"
    code, out, _ = run("--cms", str(quarters.both), "0003X", "--kind", "mue", "--json")
    assert code == 0 and json.loads(out)["changes"] == [] and '"changes": []' in out


def test_csv_has_a_row_a_change_and_claims_a_row_a_finding(quarters: Quarters) -> None:
    _, out, _ = run("--cms", str(quarters.both), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    from cptref.output.text.changes import CSV_COLUMNS

    assert list(rows[0]) == list(CSV_COLUMNS)
    assert len(rows) == len(quarter_mode(quarters)["changes"])
    [flip] = [r for r in rows if r["codes"] == "0001X 0002X"]
    assert (flip["before"], flip["after"], flip["after_row"]) == (
        "modifier_indicator=1",
        "modifier_indicator=0",
        "ccipra-v323r0-f1.txt, line 7",
    )
    _, out, _ = run("--cms", str(quarters.both), "--format", "csv", "--claims", str(quarters.claims), *DATA)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["id"], r["rule"], r["before"], r["after"]) for r in rows][:2] == [
        ("c1", "ncci-ptp", "info", "error"),
        ("c2", "ncci-ptp", "info", "error"),
    ]


def test_text_groups_by_code_with_its_title(quarters: Quarters) -> None:
    code, out, _ = run("--cms", str(quarters.both), *DATA, "--claims", str(quarters.claims))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "What changed in your CMS tables: 2026Q3 -> 2026Q4"
    first = lines.index("0001X  Widget repair through the skin")
    assert lines[first + 1].split()[:2] == ["stricter", "PTP"] and "indicator 1 -> 0" in lines[first + 1]
    assert "Claims judged differently: 5 of 7" in out
    assert "ncci-ptp 0010X/0011X: info -> error" in out
    _, out, _ = run("--cms", str(quarters.both), "0003X", "--kind", "mue", *DATA)
    assert out.splitlines()[-1] == "No change for the codes asked for."


def test_cptref_schema_names_it() -> None:
    done = run_cptref("schema", "changes")
    assert done.code == 0 and json.loads(done.out)["title"] == "cptref changes --json"
    done = run_cptref("schema", "changes", "--jsonl")
    assert done.code == 0 and {ref["$ref"].rsplit("/", 1)[-1] for ref in json.loads(done.out)["anyOf"]} == {
        "PtpChange",
        "MueChange",
        "AocChange",
        "RvuChange",
        "RecordChange",
        "ClaimChange",
    }


# ---------------------------------------------------------------------------------------------------
# no row lost: random quarters, every row that differs is named by a change


def _random_ptp(rng: random.Random) -> list[str]:
    codes = [f"{n:04d}X" for n in range(30)]
    rows: set[str] = set()
    while len(rows) < 120:
        c1, c2 = rng.sample(codes, 2)
        eff = rng.choice(["20200101", "20230401", "20260101"])
        end = rng.choice(["*", "*", "20250101", eff])
        mi = "9" if end == eff else rng.choice("01")
        rows.add(f"{c1} {c2} - {eff} {end} {mi} Placeholder rationale {rng.randrange(3)}")
    return sorted(rows)


def _mutate(rng: random.Random, rows: list[str]) -> list[str]:
    out = []
    for row in rows:
        c1, c2, pre, eff, end, mi, rationale = row.split(" ", 6)
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.1 and end == "*":
            out.append(" ".join([c1, c2, pre, eff, "20261001", mi, rationale]))
            out.append(" ".join([c1, c2, pre, "20261001", "*", "1" if mi == "0" else "0", rationale]))
            continue
        if roll < 0.15:
            mi = "1" if mi == "0" else "0"
        elif roll < 0.2:
            rationale = "Placeholder rationale changed"
        elif roll < 0.25:
            end = "20261001" if end == "*" else "*"
        out.append(" ".join([c1, c2, pre, eff, end, mi, rationale]))
    out += [f"0{n:03d}X 0099X - 20261001 * 0 Placeholder new" for n in range(rng.randrange(5))]
    return sorted(out)


@pytest.mark.parametrize("seed", range(6))
def test_every_row_that_differs_is_named_by_a_change(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    old = _random_ptp(rng)
    new = _mutate(rng, old)
    for folder, version, rows in (("q3", "v322r0", old), ("q4", "v323r0", new)):
        (tmp_path / folder).mkdir()
        for part in (1, 2, 3, 4):
            (tmp_path / folder / f"ccipra-{version}-f{part}.txt").write_bytes(ptp(rows if part == 1 else []))
    found = doc("--from", str(tmp_path / "q3"), "--to", str(tmp_path / "q4"))
    named: set[tuple[str, int]] = set()
    for change in found["changes"]:
        for state in (change["before"], change["after"], change["ended"]):
            if state is not None:
                named.add((state["table"].rsplit("/", 1)[-1], int(state["row"].rsplit(" ", 1)[-1])))
    lines = {"32.2r0": {r: i for i, r in enumerate(old, 7)}, "32.3r0": {r: i for i, r in enumerate(new, 7)}}
    differing = {("32.2r0", lines["32.2r0"][r]) for r in set(old) - set(new)}
    differing |= {("32.3r0", lines["32.3r0"][r]) for r in set(new) - set(old)}
    assert differing <= named
    unchanged_old = {("32.2r0", lines["32.2r0"][r]) for r in set(old) & set(new)}
    for table, line in named - differing:  # only an old row a re-added or taken-over edit names as before
        assert (table, line) in unchanged_old


# ---------------------------------------------------------------------------------------------------
# bounds, the command line, usage


def test_a_comparison_past_the_limit_stops_and_says_so(quarters: Quarters) -> None:
    code, out, err = run("--cms", str(quarters.both), "--limit", "3", "--json")
    found = json.loads(out)
    assert code == 0 and found["complete"] is False and len(found["changes"]) == 3
    assert "stopped at the limit of 3 changes" in err
    stopped = [t for t in found["tables"] if not t["complete"]]
    assert stopped[0]["kind"] == "ptp" and any("rows of the two tables differ" in n for n in stopped[0]["notes"])
    assert all("not compared" in t["notes"][0] for t in stopped[1:])
    assert quarter_mode(quarters)["complete"] is True


def test_the_fast_path_and_typer_answer_alike(quarters: Quarters) -> None:
    from tests.conftest import both_paths

    for args in (
        ["changes", "--cms", str(quarters.both), "--json"],
        ["changes", "0001X", "--cms", str(quarters.both), "--format", "plain"],
        ["changes", "--from", "2026Q3", "--to", "nowhere", "--cms", str(quarters.both)],
    ):
        fast_run, typer_run = both_paths(args)
        assert fast_run == typer_run


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("--from", "2026Q3", "--to", "/nonexistent/q4"), 2, "neither a quarter"),
        (("--claims", "/nonexistent/claims.csv"), 2, "--claims: /nonexistent/claims.csv"),
        (("--from-data", "/nonexistent"), 2, "no such file or directory"),
        (("--from-data", "x", "--from", "2026Q3"), 2, "goes with neither"),
        (("--family", "nope"), 2, "no family 'nope'"),
    ],
)
def test_each_failure_is_one_line_with_its_status(
    quarters: Quarters, args: tuple[str, ...], status: int, message: str
) -> None:
    code, out, err = run("--cms", str(quarters.both), *DATA, *args)
    assert (code, out) == (status, "") and message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def _damage_ptp_indexes(cache: Path) -> int:
    """Cut the first chunk of every compiled PTP index short (its arrays no longer agree): how many files."""
    files = sorted(cache.glob("cms-*.sqlite"))
    for path in files:
        db = sqlite3.connect(path)
        with db:
            db.execute("UPDATE ptp_chunks SET c2 = substr(c2, 1, 8) WHERE id = (SELECT min(id) FROM ptp_chunks)")
        db.close()
    return len(files)


def test_a_damaged_compiled_file_is_compiled_again_and_the_answer_is_the_same(quarters: Quarters, cache: Path) -> None:
    args = ("--cms", str(quarters.both), "--from", "2026Q3", "--to", "2026Q4", "--jsonl")
    code, good, _ = run(*args)
    assert code == 0 and good
    assert _damage_ptp_indexes(cache) == 1
    code, out, err = run(*args)
    assert (code, out, err) == (0, good, "")
    assert run(*args) == (0, good, "")  # the file was mended, not only worked around


def test_a_damaged_compiled_file_that_cannot_be_mended_is_one_line_and_exit_3(
    quarters: Quarters, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cptref.cms.reader import CmsTables

    args = ("--cms", str(quarters.both), "--from", "2026Q3", "--to", "2026Q4", "--jsonl")
    assert run(*args)[0] == 0
    _damage_ptp_indexes(cache)
    monkeypatch.setattr(CmsTables, "recompile", lambda self: False)
    code, out, err = run(*args)
    assert (code, out) == (3, "") and "are damaged" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_no_table_loads_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("nothing here\n")
    code, out, err = run("--from", str(tmp_path), "--to", str(tmp_path))
    assert code == 3 and out == "" and "no CMS table could be loaded" in err
    assert f"loaded from --from {tmp_path}" in err  # the option the user gave, not --cms


def test_claims_from_stdin_and_every_line_counted(quarters: Quarters) -> None:
    done = run_cptref(
        "changes", "--cms", str(quarters.both), "--claims", "-", *DATA, "--json", stdin=quarters.claims.read_bytes()
    )
    report = json.loads(done.out)["claims"]
    assert done.code == 0 and (report["file"], report["checked"], report["differ"]) == ("<stdin>", 7, 5)
    assert report["skipped_lines"] == 1  # the header


# ---------------------------------------------------------------------------------------------------
# two library releases


def _release(tmp_path: Path) -> tuple[Path, Path]:
    old = tmp_path / "old"
    shutil.copytree(LIBRARY, old)
    new = tmp_path / "new"
    shutil.copytree(LIBRARY, new)
    procedures = sorted((new / "procedures").glob("*.yaml"))
    gone = procedures[-1]
    gone.unlink()
    first = procedures[0]
    text = first.read_text()
    assert "title: " in text
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("title: "):
            lines[i] = "title: Widget repair, a new title of our own"
    first.write_text("\n".join(lines) + "\n")
    return old, new


def test_two_library_releases(tmp_path: Path) -> None:
    old, new = _release(tmp_path)
    code, out, err = run("--from-data", str(old), "--to-data", str(new), "--json")
    assert code == 0, err
    found = json.loads(out)
    assert found["compared"] == "library" and found["tables"] == [] and found["complete"] is True
    kinds = {(c["kind"], c["change"], c["field"]) for c in found["changes"]}
    assert ("record", "record-removed", None) in kinds and ("record", "field-changed", "title") in kinds
    [title] = [c for c in found["changes"] if c["field"] == "title"]
    assert title["after"] == "Widget repair, a new title of our own" and title["before"] != title["after"]
    assert title["before_from"] == str(old) and title["after_from"] == str(new)
    code, out, _ = run("--from-data", str(old), "--to-data", str(new))
    assert code == 0 and out.startswith("What changed in the library:") and "a new title of our own" in out
    code, out, _ = run("--from-data", str(old), "--to-data", str(old), "--json")
    assert code == 0 and json.loads(out)["changes"] == []


def test_facts_added_and_removed_are_one_change_each(tmp_path: Path) -> None:
    from cptref.library.catalog import load_catalog
    from cptref.library.compare import record_changes

    old = load_catalog(LIBRARY)
    with_rules = next(r for r in old if r.not_with)
    new_root = tmp_path / "new"
    shutil.copytree(LIBRARY, new_root)
    path = new_root / "procedures" / f"{with_rules.code}.yaml"
    import yaml

    record = yaml.safe_load(path.read_text())
    removed = record.pop("not_with")
    path.write_text(yaml.safe_dump(record, sort_keys=False))
    found = list(record_changes(old, load_catalog(new_root)))
    assert [(c.change, c.field, c.effect) for c in found] == [("fact-removed", "not_with", "looser")] * len(removed)
    assert found[0].codes == [with_rules.code, *removed[0]["codes"]]
    assert found[0].before["reason"] == removed[0]["reason"] and found[0].after is None
