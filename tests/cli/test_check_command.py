"""The ``cptref check`` command: what it prints, its exit statuses, ``--json``/``--jsonl``, batches
from a file or stdin on one or several processes, and its help."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cptref.check import RULES, results
from tests.conftest import FIXTURES, ROOT, Run

Cli = Callable[..., Run]
CHECK_FIX = FIXTURES / "check"
FIX = ("--data", str(CHECK_FIX))


def test_cli_error_set_exits_1_with_findings_on_stdout(cli: Cli) -> None:
    run = cli("check", "47532", "47542", "77002")
    assert run.code == 1
    assert run.err == ""
    assert run.out.startswith("NOT OK  47532, 47542, 77002: 3 errors, 1 warning\n")
    assert "ERROR included-reported-separately  47532, 77002" in run.out
    assert "fix: Remove 77002: it is part of 47532." in run.out
    assert "[family rule: percutaneous-biliary]" in run.out
    assert "\x1b[" not in run.out


def test_cli_a_set_the_library_clears_is_still_not_verified_without_the_official_edits(cli: Cli) -> None:
    run = cli("check", "50432", "50706")
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("NOT VERIFIED  50432, 50706: 1 warning; no error, but not verified")
    assert "checked: pairs cptref's library only; units cptref's library only;" in run.out
    assert "WARNING not-checked" in run.out and "no CMS tables were given" in run.out
    assert cli("check", "50432", "50706", "--strict").code == 1


@pytest.mark.parametrize("codes", [("50390", "77002"), ("C1729", "47532"), ("50432", "50706x2")])
def test_cli_a_claim_not_verified_says_so_exits_0_and_1_when_strict(cli: Cli, codes: tuple[str, ...]) -> None:
    run = cli("check", *codes)
    not_found = "C1729" in codes  # a code of no record: 5, whatever --strict says
    assert run.code == (5 if not_found else 0)
    assert run.out.startswith(f"NOT VERIFIED  {', '.join(codes)}: ")
    assert "no error, but not verified" in run.out.splitlines()[0]
    assert cli("check", *codes, "--strict").code == (5 if not_found else 1)
    doc = json.loads(cli("check", *codes, "--json").out)
    assert (doc["ok"], doc["verified"]) == (True, False)


def test_cli_an_addon_alone_exits_1(cli: Cli) -> None:
    for addon in ("47542", "47544", "50705"):
        run = cli("check", addon)
        assert run.code == 1 and run.out.startswith(f"NOT OK  {addon}: 1 error"), run.out


def test_cli_low_confidence_suggestion_only_with_explain(cli: Cli) -> None:
    run = cli("check", "47555")
    assert run.code == 0 and run.out.startswith("NOT VERIFIED  47555: 1 warning")
    assert "separately-reportable" not in run.out
    explained = cli("check", "47555", "--explain")
    assert "INFO separately-reportable  47555" in explained.out
    assert "[LOW CONFIDENCE]" in explained.out and "add 74360" not in explained.out.lower()


def test_cli_explain_shows_rule_text_and_sources(cli: Cli) -> None:
    run = cli("check", "50706", "47532", "--explain")
    assert run.code == 1
    assert "rule: An add-on code is reported only with one of its primary procedures." in run.out
    assert "recorded: add-on code; primaries: 50382" in run.out
    assert "sources:" in run.out and "cms-aoc-2026q2 (official): " in run.out


def test_cli_json_has_the_documented_shape(cli: Cli) -> None:
    run = cli("check", "47532", "77002", "47542x2", "50432-RT", "--json")
    assert run.code == 1
    doc = json.loads(run.out)
    assert list(doc) == ["schema_version", "codes", "ok", "verified", "checked", "findings"]
    assert doc["checked"]["pairs"] == {"by": "library", "table": None, "sources": doc["checked"]["pairs"]["sources"]}
    assert doc["checked"]["units"]["by"] in ("library", "nothing")
    assert doc["schema_version"] == 1 and doc["ok"] is False and doc["verified"] is False
    assert doc["codes"][2] == {
        "code": "47542",
        "units": 2,
        "title": "Percutaneous balloon dilation of a bile duct or the ampulla, each duct (add-on)",
        "modifiers": [],
    }
    assert doc["codes"][3]["modifiers"] == ["RT"]
    for finding in doc["findings"]:
        assert tuple(finding) == results.FINDING_KEYS
    first = doc["findings"][0]
    assert first["rule"] == "included-reported-separately" and first["codes"] == ["47532", "77002"]
    assert "\x1b[" not in run.out


def test_cli_json_on_fixture_data_carries_null_rather_than_missing(cli: Cli) -> None:
    doc = json.loads(cli("check", "9999X", "--json", *FIX).out)
    assert doc["codes"] == [{"code": "9999X", "units": 1, "title": None, "modifiers": []}]
    [finding, unchecked] = doc["findings"]
    assert unchecked["rule"] == "not-checked"
    assert finding["confidence"] is None and finding["sources"] == [] and finding["family"] is None


def test_cli_jsonl_with_codes_prints_one_lean_line(cli: Cli) -> None:
    run = cli("check", "50432", "50706-59", "--jsonl")
    assert run.code == 0
    [line] = run.out.splitlines()
    doc = json.loads(line)
    assert list(doc) == ["ok", "verified", "checked", "findings"]  # lean: no envelope, no empty key
    assert doc["ok"] is True
    keys = {f["rule"]: list(f) for f in doc["findings"]}
    assert keys == {
        "modifier-not-evaluated": ["rule", "severity", "codes", "fix"],
        "not-checked": ["rule", "severity", "fix"],
    }
    explained = json.loads(cli("check", "50432", "50706-59", "--jsonl", "--explain").out)
    assert list(explained) == ["schema_version", "ok", "verified", "checked", "codes", "findings"]
    assert explained["schema_version"] == 3
    as_json = json.loads(cli("check", "50432", "50706-59", "--json").out)
    # one shape of a claim's codes: --json writes [] for no modifier, a line leaves the empty key out
    assert explained["codes"] == [{k: v for k, v in c.items() if v != []} for c in as_json["codes"]]
    assert [c["code"] for c in explained["codes"]] == ["50432", "50706"]
    asked = json.loads(cli("check", "50432", "50706-59", "--jsonl", "--fields", "rule,claim.codes").out)
    assert asked["codes"] == [{"code": "50432", "units": 1}, {"code": "50706", "units": 1, "modifiers": ["59"]}]
    assert "schema_version" not in asked and all(list(f) == ["rule"] for f in asked["findings"])
    assert [f["rule"] for f in doc["findings"]] == ["modifier-not-evaluated", "not-checked"] or [
        f["rule"] for f in doc["findings"]
    ] == ["not-checked", "modifier-not-evaluated"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check",), "cptref: give the codes to check"),
        (("check", "47532", "--file", "x.csv"), "cptref: give codes or --file, not both"),
        (("check", "47532", "--json", "--jsonl"), "cptref: --json and --jsonl: choose one"),
        (("check", "--file", "-", "--json"), "cptref: --json prints one object; with --file use --jsonl"),
        (("check", "--file", "/nonexistent/claims.csv"), "cptref: cannot read /nonexistent/claims.csv"),
        (("check", "--file", "src"), "cptref: cannot read src: a directory (Spark's write.json and write.csv"),
    ],
)
def test_cli_usage_errors_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(message), run.err
    assert len(run.err.splitlines()) == 1


def test_cli_batch_csv_reports_malformed_lines_and_counts_every_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(b'id,codes\nA1,"50432 50706"\nA2\nA3,47532;77002\n\xff,47532\nA5,47555|74360\n\n')
    run = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl")
    assert run.code == 4  # malformed lines (a claim with an error too: the malformed lines win)
    out = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["id"], d["line"], d["ok"]) for d in out] == [("A1", 2, True), ("A3", 4, False), ("A5", 6, True)]
    err = run.err.splitlines()
    assert err[0] == f"cptref: {path}:3: expected 2 columns (a claim id and its codes), got 1; line skipped"
    assert err[1].startswith(f"cptref: {path}:5: not UTF-8 text") and err[1].endswith("; line skipped")
    assert err[2].startswith(
        f"cptref: {path}: 7 lines read: 3 claims checked (1 with errors, 2 not verified, 0 verified), "
        "2 malformed lines reported and skipped, 1 header line, 1 blank line;"
    )
    assert "included-reported-separately 1" in err[2]


def test_cli_batch_jsonl_from_stdin(cli: Cli) -> None:
    text = '{"id": "a", "codes": ["50432", "50706"]}\n{"id": "b", "codes": ["50432"]}\n'
    run = cli("check", "--file", "-", "--date", "2026-11-27", "--jsonl", stdin=text.encode())
    assert run.code == 0, run.err
    assert [json.loads(line)["id"] for line in run.out.splitlines()] == ["a", "b"]
    assert run.err == (
        "cptref: <stdin>: 2 lines read: 2 claims checked (0 with errors, 2 not verified, 0 verified), "
        "0 malformed lines reported and skipped, 0 header lines, 0 blank lines; findings by rule: not-checked 2\n"
    )


def test_cli_batch_strict_exits_1_for_a_claim_not_verified(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text("A1,50432 50706\nA2,50390 77002\n")
    assert cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl").code == 0
    assert cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--strict").code == 1


def test_cli_batch_text_names_each_claim(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text('{"id": "a", "codes": ["47532", "77002"]}\nbroken\n{"id": "b", "codes": ["50432", "50706"]}\n')
    run = cli("check", "--file", str(path), "--date", "2026-11-27")
    assert run.code == 4  # a malformed line, and a claim with an error: the malformed line wins
    assert run.out.startswith("claim a (line 1): NOT OK  47532, 77002: 2 errors, 1 warning\n")
    assert "\nclaim b (line 3): NOT VERIFIED  50432, 50706: 1 warning;" in run.out
    assert f"cptref: {path}:2: not a claim: JSON is malformed" in run.err


@pytest.mark.slow
def test_cli_json_does_not_import_rich() -> None:
    code = (
        "import sys\n"
        "from cptref.cli.typer_app import typer_main\n"
        "try:\n    typer_main(['check', '47532', '77002', '--json'])\n"
        "except SystemExit as e:\n    assert e.code == 1, e.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'rapidfuzz', 'yaml')), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "'rich" not in proc.stderr.splitlines()[-1]
    assert json.loads(proc.stdout)["ok"] is False


def test_help_teaches_rules_exit_statuses_and_examples(cli: Cli) -> None:
    run = cli("check", "--help")
    assert run.code == 0
    for rule in RULES:
        assert rule.id in run.out, rule.id
    assert "Exit status: 0 when no claim has an error; 1 when one has" in run.out
    assert "cptref check 47532 47542 77002" in run.out
    assert "--file" in run.out and "--jsonl" in run.out and "--explain" in run.out


def test_cli_batch_on_several_processes_writes_what_one_process_writes_in_the_same_order(
    cli: Cli, tmp_path: Path
) -> None:
    import random

    rng = random.Random(7)
    codes = ["47532", "47542", "77002", "50432", "50706", "47555", "C1729", "50432-RT", "47542x2", "4754"]
    path = tmp_path / "claims.csv"
    rows = [f"C{i},{' '.join(rng.sample(codes, rng.randint(1, 4)))}" for i in range(5_500)]
    rows.insert(2_500, 'bad,"unclosed')
    path.write_text("id,codes\n" + "\n".join(rows) + "\n")
    one = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--jobs", "1")
    two = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--jobs", "2")
    assert (one.code, one.out, one.err) == (two.code, two.out, two.err)
    assert len(one.out.splitlines()) == 5_500 and "5502 lines read: 5500 claims checked" in one.err
    csv_one = cli("check", "--file", str(path), "--date", "2026-11-27", "--format", "csv", "--jobs", "1")
    assert csv_one.out == cli("check", "--file", str(path), "--date", "2026-11-27", "--format", "csv", "-j", "3").out


# --- one vocabulary for scripts: an exit status a meaning ------------------------------------------
def test_exit_status_precedence_the_least_checked_wins() -> None:
    from cptref.commands.check import exit_status
    from cptref.errors import ExitCode

    assert [int(c) for c in (ExitCode.FINDINGS, ExitCode.MALFORMED_INPUT, ExitCode.CODE_NOT_FOUND)] == [1, 4, 5]
    assert int(ExitCode.BATCH_FAILED) == 6
    assert exit_status() == ExitCode.OK
    assert exit_status(unverified=3) == ExitCode.OK
    assert exit_status(unverified=3, strict=True) == ExitCode.FINDINGS
    assert exit_status(errors=1, unverified=1, strict=True) == ExitCode.FINDINGS
    assert exit_status(not_found=1, errors=1, strict=True) == ExitCode.CODE_NOT_FOUND
    assert exit_status(malformed=1, not_found=1, errors=1) == ExitCode.MALFORMED_INPUT
    assert exit_status(failed=True, malformed=1, not_found=1, errors=1) == ExitCode.BATCH_FAILED


def test_cli_exit_status_of_each_case(cli: Cli, tmp_path: Path) -> None:
    day = ("--date", "2026-11-27", "--jsonl")
    assert cli("check", "47532", "47542", "77002").code == 1  # a claim with an error
    assert cli("check", "0009Z", "47532").code == 5  # a code in neither the library nor any table
    assert cli("check", "0009Z", "47532", "77002").code == 5  # not found wins over an error
    path = tmp_path / "claims.csv"
    path.write_text("A1,50432 50706\nA2,47532 77002\n")
    assert cli("check", "--file", str(path), *day).code == 1
    path.write_text("A1,50432 50706\nA2,0009Z\n")
    assert cli("check", "--file", str(path), *day).code == 5
    path.write_text("A1,50432 50706\nA2\nA3,0009Z\n")
    run = cli("check", "--file", str(path), *day)
    assert run.code == 4 and f"{path}:2: expected 2 columns" in run.err  # malformed wins over not found
    assert [json.loads(line)["id"] for line in run.out.splitlines()] == ["A1", "A3"]  # the rest is checked


def test_cli_help_documents_every_check_exit_status(cli: Cli) -> None:
    text = " ".join(cli("check", "--help").out.split())
    for words in ("4 when lines of --file were malformed", "5 when a code was not found", "6 when a batch worker"):
        assert words in text
    assert "the one that says the least was checked wins: 6, then 4, then 5, then 1" in text


def test_cli_batch_says_once_which_delimiter_dates_and_columns_it_read(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    rows = "".join(f"A{i};50432 50706;11/{i + 1}/2026;payer\n" for i in range(5))
    path.write_text("Claim ID;CPT Codes;DOS;Payer\n" + rows)
    run = cli("check", "--file", str(path), "--jsonl")
    assert run.code == 0, run.err
    assert [json.loads(line)["id"] for line in run.out.splitlines()] == [f"A{i}" for i in range(5)]
    err = run.err.splitlines()
    assert err[:3] == [
        f"cptref: {path}: fields delimited by semicolons",
        f"cptref: {path}: column 'Payer' (4) not read (cptref reads id, codes, date)",
        f"cptref: {path}: dates written MM/DD/YYYY read month first, as US billing exports write them",
    ]
    assert len(err) == 4 and "5 dates written MM/DD/YYYY" in err[3] and "fields delimited by semicolons" in err[3]


def test_cli_jsonl_structured_line_that_is_no_code_stops_its_claim(cli: Cli) -> None:
    text = b'{"id": "s", "codes": [{"code": "47555X2"}]}\n{"id": "t", "codes": [{"code": "50432"}]}\n'
    run = cli("check", "--file", "-", "--date", "2026-11-27", "--jsonl", stdin=text)
    first, second = map(json.loads, run.out.splitlines())
    assert first["ok"] is False and first["findings"][0]["rule"] == "malformed-code"
    assert second["id"] == "t" and run.code == 1
