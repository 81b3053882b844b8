"""check, show, validate and --version with a user's CMS tables: made-up edits in the layouts CMS uses.

The tables are the fixtures of ``tests/fixtures/cms/tables`` (PTP practitioner and outpatient
hospital, MUE, PPRRVU), plus an add-on code table and a fee-schedule row written here; the records
are the made-up ``tests/fixtures/check`` library. Nothing here is CMS data.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cptref.check import RULES, CheckTables, check
from cptref.cms import open_tables
from cptref.library.catalog import load_catalog
from cptref.output import schema as schemas
from tests.conftest import FIXTURES, Run, both_paths
from tests.output.test_schema import check_against

Cli = Callable[..., Run]
TABLES = FIXTURES / "cms" / "tables"
BAD = FIXTURES / "cms" / "bad"
DATA = ("--data", str(FIXTURES / "check"))


@pytest.fixture(scope="module")
def cms(cms_folder: Path) -> Path:
    return cms_folder


DAY = ("--date", "2026-11-27")
"""A date of service in the fixture tables' quarter (2026 Q4): never today, which moves on."""


def findings(cli: Cli, cms: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    run = cli("check", *args, *(() if "--date" in args else DAY), "--json", "--cms", str(cms), *DATA)
    assert run.code in (0, 1, 5), run.err  # 5: a code in neither the library nor the tables
    doc = json.loads(run.out)
    return run.code, doc["findings"]


def of(found: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in found if f["rule"] == rule]


def test_a_ptp_edit_with_indicator_0_stops_the_claim_and_cites_table_and_row(cli: Cli, cms: Path) -> None:
    code, found = findings(cli, cms, "0001X", "0002X-59", "--date", "2026-11-27")
    [edit] = of(found, "ncci-ptp")
    assert (edit["severity"], edit["codes"], edit["fix_codes"]) == ("error", ["0001X", "0002X"], ["0002X"])
    assert edit["table"] == "NCCI PTP edits, practitioner, v32.3r0"
    assert edit["row"] == "ccipra-v323r0-f1.txt, line 7"
    assert code == 1


def test_indicator_1_is_an_error_unless_a_distinct_service_modifier_then_info(cli: Cli, cms: Path) -> None:
    code, found = findings(cli, cms, "0001X", "0003X", "--date", "2026-11-27")
    assert [f["severity"] for f in of(found, "ncci-ptp")] == ["error"] and code == 1
    for modifier in ("59", "XS", "XU"):
        code, found = findings(cli, cms, "0001X", f"0003X-{modifier}", "--date", "2026-11-27")
        [edit] = of(found, "ncci-ptp")
        assert edit["severity"] == "info" and f"-{modifier}" in edit["message"]
        assert of(found, "modifier-not-evaluated") == []


def test_the_date_of_service_selects_the_edits_in_force(cli: Cli, cms: Path) -> None:
    # 0001X/0004X: effective 2025-01-01, deleted 2026-11-01; 0002X/0006X: effective 2026-12-01
    assert of(findings(cli, cms, "0001X", "0004X", "--date", "2026-10-31")[1], "ncci-ptp")
    assert of(findings(cli, cms, "0001X", "0004X", "--date", "2026-11-02")[1], "ncci-ptp") == []
    assert of(findings(cli, cms, "0002X", "0006X", "--date", "2026-11-30")[1], "ncci-ptp") == []
    assert of(findings(cli, cms, "0002X", "0006X", "--date", "2026-12-01")[1], "ncci-ptp")


def _claim(cli: Cli, cms: Path, *args: str) -> dict[str, Any]:
    run = cli("check", *args, "--json", "--cms", str(cms), *DATA)
    assert run.code in (0, 1), run.err
    return dict(json.loads(run.out))


def test_on_an_edits_deletion_date_the_pair_is_neither_stopped_nor_verified(cli: Cli, cms: Path) -> None:
    """0001X/0004X (indicator 1) is deleted 2026-11-01. cptref reads a deletion date as the first day
    without the edit; CMS's tables end edits on a quarter's last day, which reads as the last day in
    force; CMS's own definition was not found (README, "Dates of an edit"). On that one day the claim
    would be stopped under one reading and pass under the other: a warning, so not verified, not an error."""
    doc = _claim(cli, cms, "0001X", "0004X", "--date", "2026-11-01")
    [edit] = of(doc["findings"], "ncci-ptp")
    assert (edit["severity"], edit["codes"], edit["fix_codes"]) == ("warning", ["0001X", "0004X"], ["0004X"])
    assert "2026-11-01, as its deletion date" in edit["message"] and "not verified" in edit["message"]
    assert edit["fact"].endswith("; deletion date 2026-11-01") and edit["row"] == "ccipra-v323r0-f1.txt, line 9"
    assert "first day without the edit" in edit["note"] and (doc["ok"], doc["verified"]) == (True, False)
    # a modifier the edit accepts (indicator 1): info under one reading, nothing under the other: no
    # warning, and the modifier is as unweighed as under cptref's reading
    accepted = _claim(cli, cms, "0001X", "0004X-59", "--date", "2026-11-01")["findings"]
    assert of(accepted, "ncci-ptp") == [] and [f["codes"] for f in of(accepted, "modifier-not-evaluated")] == [
        ["0004X"]
    ]


def test_an_edit_in_force_that_stops_the_pair_leaves_its_deleted_row_unsaid(cms: Path, tmp_path: Path) -> None:
    """A pair deleted on a day and re-added that day with indicator 0: the row in force stops the claim
    under either reading, so the deleted row adds nothing."""
    folder = tmp_path / "cms"
    shutil.copytree(cms, folder)
    part = folder / "ccipra-v323r0-f1.txt"
    lines = part.read_bytes().split(b"\r\n")
    at = lines.index(b"0002X\t0006X\t\t20261201\t*\t0\tPlaceholder rationale gamma")
    lines[at:at] = [b"0001X\t0004X\t\t20261101\t*\t0\tPlaceholder rationale again"]
    part.write_bytes(b"\r\n".join(lines))
    catalog = load_catalog(FIXTURES / "check")
    with open_tables([folder], tmp_path / "cache") as tables:
        result = check(CheckTables.from_catalog(catalog, tables), ["0001X", "0004X"], date(2026, 11, 1))
    found = [f for f in result.findings if f.rule == "ncci-ptp"]
    assert [(f.severity, (f.fact or "").split(", ")[2]) for f in found] == [
        ("error", "modifier indicator 0; Placeholder rationale again")
    ]


def test_on_an_add_on_edits_deletion_date_the_add_on_is_neither_stopped_nor_verified(cli: Cli, cms: Path) -> None:
    """0022X's type 1 edit with primary 0002X is deleted 2026-12-01, the day its type 3 edit (primary
    0007X) takes effect. With 0002X on the claim: accepted while the type 1 edit applies, left to the
    contractor once only the type 3 one does; on 2026-12-01 cptref cannot tell which, and says so."""
    assert of(_claim(cli, cms, "0002X", "0022X", "--date", "2026-11-30")["findings"], "aoc") == []
    doc = _claim(cli, cms, "0002X", "0022X", "--date", "2026-12-01")
    [aoc] = of(doc["findings"], "aoc")
    assert aoc["severity"] == "warning" and "2026-12-01, as its deletion date" in aoc["message"]
    assert "first day without the edit" in aoc["note"] and doc["verified"] is False
    [after] = of(_claim(cli, cms, "0002X", "0022X", "--date", "2026-12-02")["findings"], "aoc")
    assert after["severity"] == "warning" and "deletion date" not in after["message"]  # type 3: the contractor
    # a primary neither edit lists: stopped while the type 1 edit applies, left to the contractor after
    [stopped] = of(_claim(cli, cms, "0001X", "0022X", "--date", "2026-11-30")["findings"], "aoc")
    [undecided] = of(_claim(cli, cms, "0001X", "0022X", "--date", "2026-12-01")["findings"], "aoc")
    assert stopped["severity"] == "error" and undecided["severity"] == "warning"
    assert stopped["fix"] == "Report 0022X with 0002X, or remove it."  # the type 1 edit alone lists 0002X
    assert undecided["fix"].endswith(
        "If the edits ending that day still apply: Report 0022X with one of 0002X, 0007X, or remove it."
    )
    # a primary that both edits' days accept (0007X is listed from 2026-12-01 on): no finding that day
    assert of(_claim(cli, cms, "0007X", "0022X", "--date", "2026-12-01")["findings"], "aoc") == []


def test_indicator_9_is_no_edit(cli: Cli, cms: Path) -> None:
    # 0001X/0005X: a 9 row deleted the day it took effect, and a 0 row from the same day
    [edit] = of(findings(cli, cms, "0001X", "0005X", "--date", "2026-11-01")[1], "ncci-ptp")
    assert edit["fact"].startswith("column 1 0001X, column 2 0005X, modifier indicator 0")


def test_an_indicator_9_row_is_no_edit_even_on_its_deletion_day(cms: Path, tmp_path: Path) -> None:
    """A 9 row deleted on its effective day, both within the table's quarter: on that day (the one day
    a reading of the deletion date as the last day in force would put it in force) the claim gets
    the pair's 0 row and nothing of the 9 row. So such rows cannot settle how a deletion date reads
    (issue 26, item 6: README, "Dates of an edit")."""
    folder = tmp_path / "cms"
    shutil.copytree(cms, folder)
    part = folder / "ccipra-v323r0-f1.txt"
    lines = part.read_bytes().split(b"\r\n")
    at = lines.index(b"0002X\t0006X\t\t20261201\t*\t0\tPlaceholder rationale gamma")
    lines[at:at] = [
        b"0001X\t0006X\t\t20261102\t20261102\t9\tPlaceholder rationale nine",
        b"0001X\t0006X\t\t20261102\t*\t0\tPlaceholder rationale nine",
    ]
    part.write_bytes(b"\r\n".join(lines))
    catalog = load_catalog(FIXTURES / "check")
    with open_tables([folder], tmp_path / "cache") as tables:
        checker = CheckTables.from_catalog(catalog, tables)
        for day in (date(2026, 11, 2), date(2026, 11, 3)):
            found = [f for f in check(checker, ["0001X", "0006X"], day).findings if f.rule == "ncci-ptp"]
            assert [(f.fact or "").split(", ")[2][:20] for f in found] == ["modifier indicator 0"], day
        before = check(checker, ["0001X", "0006X"], date(2026, 11, 1)).findings
        assert [f for f in before if f.rule == "ncci-ptp"] == []


def test_the_setting_selects_the_table(cli: Cli, cms: Path) -> None:
    _, hospital = findings(cli, cms, "0030X", "0031X", "--setting", "hospital", "--date", "2026-11-27")
    assert [f["table"] for f in of(hospital, "ncci-ptp")] == ["NCCI PTP edits, outpatient hospital, v32.3r0"]
    _, practitioner = findings(cli, cms, "0030X", "0031X", "--date", "2026-11-27")
    assert of(practitioner, "ncci-ptp") == []


def test_a_batch_gives_each_claim_its_own_date(cli: Cli, cms: Path, tmp_path: Path) -> None:
    batch = tmp_path / "claims.csv"
    batch.write_text("id,codes,date\nA,0001X 0004X,2026-10-15\nB,0001X 0004X,2026-11-15\nC,0001X 0004X,\n")
    run = cli("check", "--file", str(batch), "--jsonl", "--cms", str(cms), *DATA, "--date", "2026-10-02")
    lines = [json.loads(line) for line in run.out.splitlines()]
    rules = {d["id"]: [f["rule"] for f in d["findings"]] for d in lines}
    assert "ncci-ptp" in rules["A"] and "ncci-ptp" not in rules["B"] and "ncci-ptp" in rules["C"]


def test_mue_counts_by_its_indicator(cli: Cli, cms: Path) -> None:
    # 0003X: MUE 2, line edit; 0001X: MUE 1, date of service (policy); 0002X: MUE 4, clinical
    line = of(findings(cli, cms, "0001X", "0003Xx3")[1], "mue")
    assert [(f["severity"], f["codes"]) for f in line] == [("error", ["0003X"])]
    assert "one claim line" in line[0]["message"]
    assert of(findings(cli, cms, "0001X", "0003X-59", "0003X-XS", "0003X-XU")[1], "mue") == []
    [day] = of(findings(cli, cms, "0001X-RT", "0001X-LT")[1], "mue")
    assert "all lines summed" in day["message"] and day["row"].endswith("line 6")
    [clinical] = of(findings(cli, cms, "0001X", "0002Xx5")[1], "mue")
    assert "appealed" in clinical["message"]


def test_the_aoc_table_decides_which_codes_are_add_ons(cli: Cli, cms: Path) -> None:
    # 0003X: type 1, primary 0001X; 0021X: type 2 (contractor); the record of 0002X says add-on, the table not
    code, found = findings(cli, cms, "0003X", "0005X")
    [aoc] = of(found, "aoc")
    assert (aoc["severity"], aoc["fix_codes"]) == ("error", ["0001X"]) and code == 1
    assert of(findings(cli, cms, "0003X", "0001X")[1], "aoc") == []
    [contractor] = of(findings(cli, cms, "0021X", "0005X")[1], "aoc")
    assert contractor["severity"] == "warning" and "contractor" in contractor["message"]
    alone = findings(cli, cms, "0003X")[1]
    assert [f["rule"] for f in alone if f["severity"] == "error"] == ["addon-alone"]
    assert of(alone, "aoc") == []
    conflict = findings(cli, cms, "0002X", "0005X")[1]
    assert of(conflict, "table-conflict") and of(conflict, "addon-without-primary") == []


def test_fee_schedule_status_and_bilateral_indicator(cli: Cli, cms: Path) -> None:
    [status] = of(findings(cli, cms, "0001X", "0006X")[1], "fee-schedule")
    assert status["severity"] == "warning" and "status B" in status["message"]
    [bilateral] = of(findings(cli, cms, "0002X-50")[1], "bilateral")
    assert bilateral["severity"] == "warning"
    assert of(findings(cli, cms, "0001X-50")[1], "bilateral") == []  # indicator 1: -50 is right


def test_a_code_the_tables_know_is_not_no_data(cli: Cli, cms: Path) -> None:
    assert of(findings(cli, cms, "0001X", "0031X")[1], "no-data") == []
    assert of(findings(cli, cms, "0001X", "0099X")[1], "no-data")


def test_the_check_json_with_tables_matches_the_schema(cli: Cli, cms: Path) -> None:
    run = cli("check", "0001X", "0003X-59", "0002Xx5", "0006X", "--json", "--cms", str(cms), *DATA)
    check_against(schemas.schema("check"), json.loads(run.out))


def test_show_prints_what_the_tables_say_and_a_code_only_they_know(cli: Cli, cms: Path) -> None:
    run = cli("show", "0001X", "--cms", str(cms), *DATA)
    assert run.code == 0, run.err
    assert "Official CMS tables (your files; cptref ships none)" in run.out
    assert "MUE, practitioner: 1 (date of service, policy)" in run.out
    assert "Short descriptor (AMA licensed text, from your file" in run.out
    only = cli("show", "0031X", "--cms", str(cms), *DATA)
    assert only.code == 0 and "cptref has no record of its own for this code" in only.out
    doc = json.loads(cli("show", "0001X", "0031X", "--json", "--cms", str(cms), *DATA).out)
    assert [p["code"] for p in doc["procedures"]] == ["0001X"]
    assert [(o["code"], o["record"]) for o in doc["official"]] == [("0001X", True), ("0031X", False)]
    first = doc["official"][0]
    assert first["fee_schedule"][0]["short_descriptor"]["licence"].startswith("AMA")
    assert {p["setting"] for p in first["ptp"]} == {"practitioner", "outpatient_hospital"}
    check_against(schemas.schema("show"), doc)
    assert cli("show", "0099X", "--cms", str(cms), *DATA).code == 1


def test_validate_lists_every_problem_of_the_tables_with_file_and_line(cli: Cli) -> None:
    run = cli("validate", "--cms", str(BAD))
    assert run.code == 3
    assert "ccipra-v323r0-f1.txt: line 9: modifier indicator '2' is not 0, 1 or 9" in run.out
    assert "unknown.csv" in run.out
    doc = json.loads(cli("validate", "--cms", str(BAD), "--json").out)
    assert doc["ok"] is False and doc["cms"]["tables"] and doc["cms"]["skipped"]
    check_against(schemas.schema("validate"), doc)
    assert json.loads(cli("validate", "--json").out)["cms"] is None


def test_other_commands_say_in_one_line_that_the_tables_have_problems(cli: Cli) -> None:
    run = cli("check", "0001X", "--cms", str(BAD), *DATA, *DAY)
    [line] = [e for e in run.err.splitlines() if "CMS" in e]
    assert line.startswith("cptref: warning:") and "`cptref tables` lists them" in line
    assert "NCCI PTP edits, practitioner, v32.3r0 (8 problems)" in line


def test_version_lists_the_tables_on_both_paths(cms: Path) -> None:
    fast, typer = both_paths(["--version", "--cms", str(cms)])
    assert fast == typer and fast.code == 0
    assert "CMS tables (7; 0 errors in the files):" in fast.out
    assert (
        "NCCI PTP edits, practitioner, v32.3r0, in force 2026-10-01 to 2026-12-31: 12 rows loaded of 12 read"
        in fast.out
    )


def test_kept_answers_are_the_answers_a_checker_that_has_seen_nothing_gives(cms: Path, tmp_path: Path) -> None:
    """The checker keeps findings from claim to claim (a PTP edit's by the edit, an MUE's by the
    units): every claim of a long batch gets what new rules and new tables give it alone."""
    codes = ["0001X", "0002X", "0003X", "0004X", "0005X", "0006X", "0007X", "0010X", "0011X", "0012X", "0020X"]
    codes += ["0021X", "0022X", "0022X", "0031X", "0099X"]
    mods = [""] * 12 + ["-59", "-XS", "-RT", "-LT", "-50", "x2", "x5", "-59x3"]
    days = [date(2026, 10, 15), date(2026, 11, 27), date(2026, 12, 1), date(2025, 6, 1)]  # the last: no table in force
    rng = random.Random(12)
    claims = [[rng.choice(codes) + rng.choice(mods) for _ in range(rng.randint(1, 4))] for _ in range(600)]
    catalog = load_catalog(FIXTURES / "check")
    with open_tables([cms], tmp_path / "cache") as kept, open_tables([cms], tmp_path / "cache") as other:
        kept.preload()
        warm = CheckTables.from_catalog(catalog, kept)
        for claim in claims:
            for day in days:
                check(warm, claim, day)
        findings = 0
        for i, claim in enumerate(claims):
            day = days[i % len(days)]
            fresh = CheckTables(catalog, rules=[type(rule)() for rule in RULES], cms=other)
            got = check(warm, claim, day)
            assert got == check(fresh, claim, day), claim
            findings += sum(f.rule in ("ncci-ptp", "mue") for f in got.findings)
    assert findings > len(claims) / 5


def test_a_lines_plan_gives_what_applying_every_rule_gives(
    cms: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a solo rule finds on a line, and which of its modifiers it reads, is worked out once a
    spelling (CheckTables' plans) and serves every claim whose codes are each on one line; every
    claim, with modifiers or without, a code on two lines or not, library code or table code, any
    day and --explain or not, gets what applying every rule to the whole claim gives, the modifiers
    left unevaluated included. A rule marked solo that read another code, another line, the date or
    explain would differ here."""
    from cptref.check import engine

    solo = [rule.id for rule in RULES if rule.solo]
    assert {"mue", "fee-schedule", "units"} <= set(solo)
    codes = ["0001X", "0002X", "0003X", "0004X", "0005X", "0006X", "0007X", "0010X", "0011X", "0012X", "0020X"]
    codes += ["0021X", "0022X", "0031X", "0099X", "0501X"]
    mods = [""] * 14 + ["-59", "-RT", "-50", "x2", "x3", "x9", "-26", "-TC", "-26-TC", "-RT-LT", "-50-RTx2", "-76"]
    mods += ["-XS", "-LT", "-91", "-QQ"]
    days = [date(2026, 10, 15), date(2026, 11, 27), date(2025, 6, 1), date(2031, 1, 1)]
    rng = random.Random(26)
    claims = [[rng.choice(codes) + rng.choice(mods) for _ in range(rng.randint(1, 5))] for _ in range(1_500)]
    catalog = load_catalog(FIXTURES / "check")
    with open_tables([cms], tmp_path / "cache") as official:
        official.preload()
        planned = CheckTables.from_catalog(catalog, official)
        answers = [check(planned, claim, days[i % 4], explain=i % 3 == 0) for i, claim in enumerate(claims)]
        monkeypatch.setattr(engine._Quarter, "_plan", lambda self, line, applicable: (tuple(applicable), frozenset()))
        every = CheckTables(catalog, rules=[type(rule)() for rule in RULES], cms=official)
        for i, claim in enumerate(claims):
            assert answers[i] == check(every, claim, days[i % 4], explain=i % 3 == 0), claim
    found = {f.rule for answer in answers for f in answer.findings}
    assert set(solo) & found >= {"mue", "fee-schedule", "bilateral"}, found
    assert {"modifier-not-evaluated", "conflicting-modifiers"} <= found, found


def test_a_batch_with_tables_on_several_processes_writes_what_one_process_writes(
    cli: Cli, cms: Path, tmp_path: Path
) -> None:
    """The workers share the tables this process read (forked), each with a connection of its own."""
    rng = random.Random(5)
    codes = ["0001X", "0002X", "0003X-59", "0004X", "0005X", "0006X", "0007Xx3", "0012X", "0020Xx2", "0002X-50"]
    days = ["2025-06-01", "2026-11-27", "2026-12-01", ""]
    rows = [f"C{i},{' '.join(rng.sample(codes, rng.randint(1, 4)))},{rng.choice(days)}" for i in range(4_500)]
    rows.insert(3_000, "bad,0001X,2026-13-01")
    path = tmp_path / "claims.csv"
    path.write_text("claim,codes,dos\n" + "\n".join(rows) + "\n")
    for output in (("--jsonl",), ("--format", "csv")):
        args = ("check", "--file", str(path), *output, "--cms", str(cms), *DATA, "--date", "2026-11-27")
        one, two = cli(*args, "--jobs", "1"), cli(*args, "--jobs", "2")
        assert (one.code, one.out, one.err) == (two.code, two.out, two.err)
        assert "4502 lines read: 4500 claims checked" in one.err and "claims.csv:3002: the date" in one.err
        assert "ncci-ptp" in one.out and "mue" in one.out


def test_one_unit_over_an_mue_of_zero_reads_as_one_unit(cli: Cli, tmp_path: Path) -> None:
    """An MUE of 0 (a code not to be reported at all) meets a single unit: the finding says "1 unit",
    from the CMS table and from a record's own Medicare MUE alike."""
    tables = tmp_path / "cms"
    shutil.copytree(TABLES, tables)
    mue = tables / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
    text = mue.read_bytes().decode("latin-1")
    assert "0001X,1,2 Date" in text
    mue.write_bytes(text.replace("0001X,1,2 Date", "0001X,0,2 Date").encode("latin-1"))
    [official] = of(findings(cli, tables, "0001X")[1], "mue")
    assert official["message"].startswith("1 unit of 0001X on the date of service"), official
    assert official["fix"] == "Remove 0001X: its MUE allows none for the day.", official
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "check", data)
    record = data / "procedures" / "0001X.yaml"
    record.write_text(record.read_text().replace("  mue: 1\n", "  mue: 0\n"))
    run = cli("check", "0001X", "--json", "--data", str(data))
    [own] = [f for f in json.loads(run.out)["findings"] if f["rule"] == "units"]
    assert own["message"].startswith("1 unit of 0001X is reported;"), own
    assert own["fix"] == "Remove 0001X, or check that the recorded MUE of 0 is current.", own


def test_show_gives_the_tables_answer_where_it_replaces_the_records(cli: Cli, cms: Path) -> None:
    """0003X's record lists no primaries and its MUE; with the tables the AOC table's primaries and the MUE
    table's value are the ones check applies, so show names them instead of printing two answers."""
    bare = cli("show", "0003X", *DATA)
    assert "primaries: not recorded" in bare.out
    shown = cli("show", "0003X", "--cms", str(cms), *DATA)
    assert "primaries: your AOC table's apply (Official CMS tables, below)" in shown.out
    assert "primaries: not recorded" not in shown.out
    full = cli("show", "0003X", "--full", "--cms", str(cms), *DATA).out
    assert "Primary codes: your AOC table's apply" in full and "MUE (units per day): your MUE table's applies" in full
