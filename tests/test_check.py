"""`cptref check`: each rule on the shipped data as the library records it, the low-confidence rule on a
made-up fixture, units, malformed input, the batch readers, the CLI, and a property test."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cptref import serialize
from cptref.catalog import load_catalog
from cptref.check import (
    RULES,
    BadLine,
    CheckResult,
    CheckTables,
    Claim,
    Finding,
    check,
    parse_token,
    read_claims,
    split_codes,
)

from .conftest import FIXTURES, ROOT, Run

Cli = Callable[..., Run]
CHECK_FIX = FIXTURES / "check"
FIX = ("--data", str(CHECK_FIX))


@pytest.fixture(scope="module")
def tables() -> CheckTables:
    return CheckTables.from_catalog(load_catalog())


@pytest.fixture(scope="module")
def fixture_tables() -> CheckTables:
    return CheckTables.from_catalog(load_catalog(CHECK_FIX))


def by_rule(result: CheckResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def rules(result: CheckResult) -> list[str]:
    return [f.rule for f in result.findings]


# --- each rule on the shipped data ------------------------------------------------------------------


def test_addon_without_any_of_its_primaries_on_a_low_fact_is_a_warning(tables: CheckTables) -> None:
    result = check(tables, ["50706"])
    [finding] = by_rule(result, "addon-without-primary")
    assert finding.severity == "warning"
    assert finding.codes == ("50706",)
    assert "50432" in finding.fix_codes and "50693" in finding.fix_codes
    assert finding.fix is not None and "50432" in finding.fix
    assert finding.confidence == "low"
    assert "iframe-50706" in finding.sources


def test_addon_with_one_of_its_primaries_passes(tables: CheckTables) -> None:
    result = check(tables, ["50432", "50706"])
    assert by_rule(result, "addon-without-primary") == []
    assert result.ok and result.findings == ()


def test_addon_whose_primaries_are_not_recorded_is_info_not_invented(tables: CheckTables) -> None:
    result = check(tables, ["47542"])
    [finding] = by_rule(result, "addon-without-primary")
    assert finding.severity == "info"
    assert "could not be verified" in finding.message
    assert finding.fix_codes == ()
    assert result.ok


def test_a_guidance_code_the_biliary_family_includes_is_an_error(tables: CheckTables) -> None:
    result = check(tables, ["47532", "77002"])
    assert not result.ok
    [finding] = by_rule(result, "included-reported-separately")
    assert finding.severity == "error"
    assert finding.codes == ("47532", "77002")
    assert finding.family == "percutaneous-biliary"
    assert finding.confidence == "medium"
    assert finding.stated_on == "47532"
    assert finding.fix_codes == ("77002",)
    assert "aapc-2016-biliary" in finding.sources


def test_the_same_fact_on_the_record_and_its_family_is_one_finding(tables: CheckTables) -> None:
    result = check(tables, ["47532", "47542", "77002"])
    included = by_rule(result, "included-reported-separately")
    assert sorted(f.codes for f in included) == [("47532", "77002"), ("47542", "77002")]


def test_47555_without_74360_gets_a_low_confidence_info(tables: CheckTables) -> None:
    result = check(tables, ["47555"])
    [finding] = by_rule(result, "separately-reportable")
    assert finding.severity == "info"
    assert finding.confidence == "low"
    assert finding.fix_codes == ("74360",)
    assert "low-confidence" in finding.message
    assert result.ok


def test_47555_with_74360_has_nothing_to_add(tables: CheckTables) -> None:
    result = check(tables, ["47555", "74360"])
    assert by_rule(result, "separately-reportable") == []


def test_not_reported_together_in_the_same_duct_needs_a_human(tables: CheckTables) -> None:
    result = check(tables, ["47532", "47542", "47538"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "warning"
    assert finding.codes == ("47542", "47538")
    assert "same duct" in finding.message


def test_not_reported_together_without_a_scope_is_an_error(tables: CheckTables) -> None:
    result = check(tables, ["50706", "52344"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "error"
    assert not result.ok


def test_not_reported_together_without_a_scope_on_a_low_fact_is_a_warning(tables: CheckTables) -> None:
    result = check(tables, ["50436", "50382"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.confidence == "low"
    assert finding.severity == "warning"
    assert finding.message.endswith("(rests on a low-confidence fact)")


def test_a_clean_set_has_no_findings(tables: CheckTables) -> None:
    result = check(tables, ["50432", "50706"])
    assert result.ok
    assert result.findings == ()
    assert result.codes == (("50432", 1), ("50706", 1))


def test_unknown_code_is_no_data_and_not_a_pass(tables: CheckTables) -> None:
    result = check(tables, ["47532", "99999"])
    [finding] = by_rule(result, "unknown-code")
    assert finding.severity == "error"
    assert finding.codes == ("99999",)
    assert "no data" in finding.message
    assert not result.ok


def test_deleted_code_names_its_replacement(tables: CheckTables) -> None:
    result = check(tables, ["74320"])
    [finding] = by_rule(result, "deleted-code")
    assert finding.severity == "error"
    assert finding.fix_codes == ("47532",)
    assert finding.fix == "report 47532 instead"
    assert not result.ok


def test_deleted_code_without_replacement_says_so(tables: CheckTables) -> None:
    [finding] = by_rule(check(tables, ["74363"]), "deleted-code")
    assert finding.fix_codes == ()
    assert "no replacement is recorded" in finding.message


def test_deleted_code_with_a_sourced_deletion_cites_it(tables: CheckTables) -> None:
    [finding] = by_rule(check(tables, ["50394"]), "deleted-code")
    assert finding.fix_codes == ("50431",)
    assert finding.confidence == "medium" and finding.sources


def test_malformed_tokens_are_errors_and_the_rest_is_still_checked(tables: CheckTables) -> None:
    result = check(tables, ["4754", "abc", "47542x0", "47542*2", "", "50706"])
    malformed = by_rule(result, "malformed-code")
    assert [f.codes[0] for f in malformed] == ["4754", "abc", "47542x0", "47542*2", ""]
    assert all(f.severity == "error" for f in malformed)
    assert "addon-without-primary" in rules(result)
    assert result.codes == (("50706", 1),)


def test_codes_are_trimmed_and_upper_cased() -> None:
    assert parse_token(" 0213t ") == ("0213T", 1)
    assert parse_token("47542x2") == ("47542", 2)
    assert parse_token("47542X12") == ("47542", 12)
    assert parse_token("0001Xx2") == ("0001X", 2)
    for bad in ("47542x", "47542x0", "47542*2", "4754x2", "４７５４２", "47542x1234567", "475422"):
        assert parse_token(bad) is None, bad


# --- units ---------------------------------------------------------------------------------------------


def test_repeated_code_counts_as_units_and_is_checked_against_the_mue(tables: CheckTables) -> None:
    # 50706 records no unit (once per session) and an MUE of 2: two units ask for a look, three exceed the MUE
    for codes in (["50432", "50706", "50706"], ["50432", "50706x2"]):
        [finding] = by_rule(check(tables, codes), "units")
        assert "once per session" in finding.message and "MUE is 2 a day" in finding.message
    for codes in (["50432", "50706", "50706", "50706"], ["50432", "50706x3"], ["50432", "50706X2", "50706"]):
        result = check(tables, codes)
        [finding] = by_rule(result, "units")
        assert finding.severity == "warning"
        assert "MUE is 2" in finding.message
        assert finding.confidence == "medium" and finding.sources == ("payerready-50706",)
        assert result.codes == (("50432", 1), ("50706", 3))
        assert result.ok


def test_more_than_one_unit_of_a_once_per_session_code_warns(tables: CheckTables) -> None:
    for codes in (["47532", "47532"], ["47532x2"]):
        [finding] = by_rule(check(tables, codes), "units")
        assert finding.severity == "warning"
        assert "once per session" in finding.message


def test_a_code_counted_per_unit_may_repeat(tables: CheckTables) -> None:
    assert by_rule(check(tables, ["47532", "47542x3"]), "units") == []


# --- the low-confidence rule, on a made-up fixture ------------------------------------------------------


def test_addon_whose_primaries_are_recorded_only_at_low_confidence_warns(fixture_tables: CheckTables) -> None:
    result = check(fixture_tables, ["0002X"])
    [finding] = result.findings
    assert (finding.rule, finding.severity, finding.confidence) == ("addon-without-primary", "warning", "low")
    assert finding.message.endswith("(rests on a low-confidence fact)")
    assert finding.fix_codes == ("0001X",)
    assert result.ok
    assert check(fixture_tables, ["0001X", "0002X"]).findings == ()


def test_low_confidence_facts_never_give_errors(fixture_tables: CheckTables) -> None:
    deleted = check(fixture_tables, ["0004X"]).findings[0]
    assert (deleted.rule, deleted.severity) == ("deleted-code", "warning")
    included = by_rule(check(fixture_tables, ["0005X", "0006X"]), "included-reported-separately")
    assert [(f.severity, f.confidence) for f in included] == [("warning", "low")]
    units = by_rule(check(fixture_tables, ["0001X", "0002Xx4"]), "units")
    assert [(f.severity, f.confidence) for f in units] == [("warning", "low")]


def test_strongest_of_duplicate_facts_stands_for_them(fixture_tables: CheckTables) -> None:
    # 0001X's own rule (medium) and its family's rule (high) both include 0006X
    [finding] = check(fixture_tables, ["0001X", "0006X"]).findings
    assert (finding.confidence, finding.family, finding.severity) == ("high", "test-widgets", "error")
    # 0007X and 0008X each name the other: one finding, from the stronger side
    [pair] = check(fixture_tables, ["0007X", "0008X"]).findings
    assert (pair.stated_on, pair.confidence, pair.severity) == ("0008X", "high", "error")


def test_family_not_with_scope_needing_a_human_warns(fixture_tables: CheckTables) -> None:
    found = by_rule(check(fixture_tables, ["0001X", "0007X"]), "not-reported-together")
    assert [(f.codes, f.severity, f.family) for f in found] == [(("0001X", "0007X"), "warning", "test-widgets")]


def test_findings_are_ordered_errors_first(fixture_tables: CheckTables) -> None:
    result = check(fixture_tables, ["0003X", "0005X", "0001X", "0001X", "0009X"])
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert set(rules(result)) == {
        "addon-without-primary",
        "not-reported-together",
        "units",
        "separately-reportable",
        "unknown-code",
    }


# --- properties ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_check_never_raises_on_any_list_of_strings(tokens: list[str]) -> None:
    tables = _shipped_tables()
    result = check(tables, tokens)
    assert result.ok == all(f.severity != "error" for f in result.findings)
    assert all(f.rule in {rule.id for rule in RULES} for f in result.findings)
    json.loads(serialize.dumps(serialize.check(result, tables.title)))
    json.loads(serialize.CheckLines(tables.title).line(result))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_error_ever_rests_on_a_low_confidence_fact(data: st.DataObject) -> None:
    tables = _shipped_tables()
    pool = _shipped_codes()
    codes = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    for finding in check(tables, codes).findings:
        if finding.confidence == "low":
            assert finding.severity != "error"
            assert "low-confidence" in finding.message
        if finding.rule in ("addon-without-primary", "included-reported-separately", "not-reported-together"):
            assert finding.sources and finding.confidence, finding  # a relationship always cites its fact
        if finding.rule == "separately-reportable":
            assert finding.sources and finding.confidence and finding.severity == "info", finding


@functools.cache
def _shipped_tables() -> CheckTables:
    return CheckTables.from_catalog(load_catalog())


@functools.cache
def _shipped_codes() -> list[str]:
    return load_catalog().codes()


# --- batches -----------------------------------------------------------------------------------------


def lines(text: str) -> list[bytes]:
    return text.encode().splitlines(keepends=True)


def test_split_codes_accepts_spaces_commas_semicolons_and_pipes() -> None:
    assert split_codes(" 47532, 47542;77002 |50432\t50706 ") == ["47532", "47542", "77002", "50432", "50706"]


def test_csv_with_header_and_malformed_lines() -> None:
    text = (
        "codes,id\n"  # header in any order
        '"47532 47542",A1\n'
        "50706;50432,A2\n"
        "\n"
        "lonely\n"
        "47555|74360,A4\n"
        ",A5\n"
        '"47532 77002", \n'
    )
    items = list(read_claims(lines(text), "claims.csv"))
    claims = [i for i in items if isinstance(i, Claim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        ("A1", 2, ("47532", "47542")),
        ("A2", 3, ("50706", "50432")),
        ("A4", 6, ("47555", "74360")),
    ]
    assert [(b.line, b.message) for b in bad] == [
        (5, "expected a claim id and a codes column, got 1 field"),
        (7, "the claim has no codes"),
        (8, "the claim id is empty"),
    ]


def test_csv_without_header_takes_unquoted_commas_as_more_codes() -> None:
    items = list(read_claims(lines("A1,47532,77002\nA2,50706\n")))
    assert [(i.id, i.codes) for i in items if isinstance(i, Claim)] == [("A1", ("47532", "77002")), ("A2", ("50706",))]


def test_csv_line_that_is_not_utf8_is_skipped_with_its_number() -> None:
    items = list(read_claims([b"A1,47532\n", b"A2,\xff47532\n", b"A3,50706 50432\n"], "x.csv"))
    assert [type(i).__name__ for i in items] == ["Claim", "BadLine", "Claim"]
    assert items[1] == BadLine(2, "not UTF-8 text")


def test_jsonl_detected_by_content_with_malformed_lines() -> None:
    text = (
        '{"id": 1, "codes": ["47532", "47542"]}\n'
        '{"id": "x", "codes": "50706 50432"}\n'
        "not json\n"
        '{"codes": [47532]}\n'
        "\n"
        '{"id": 3}\n'
        '{"id": 4, "codes": []}\n'
        "[1, 2]\n"
        '{"id": 5, "codes": ["abc", "47532x2"], "extra": true}\n'
    )
    items = list(read_claims(lines(text), None))
    claims = [i for i in items if isinstance(i, Claim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        (1, 1, ("47532", "47542")),
        ("x", 2, ("50706", "50432")),
        (5, 9, ("abc", "47532x2")),
    ]
    assert [b.line for b in bad] == [3, 4, 6, 7, 8]
    assert 'no "codes" field' in bad[2].message


def test_jsonl_detected_by_extension_even_when_the_first_line_is_broken() -> None:
    items = list(read_claims(lines('oops\n{"id": 2, "codes": ["50706"]}\n'), "batch.jsonl"))
    assert [type(i).__name__ for i in items] == ["BadLine", "Claim"]


# --- the command ---------------------------------------------------------------------------------------


def test_cli_error_set_exits_1_with_findings_on_stdout(cli: Cli) -> None:
    run = cli("check", "47532", "47542", "77002")
    assert run.code == 1
    assert run.err == ""
    assert run.out.startswith("NOT OK  47532, 47542, 77002: 2 errors, 2 info\n")
    assert "ERROR included-reported-separately  47532, 77002" in run.out
    assert "fix: remove 77002: it is part of 47532" in run.out
    assert "[family rule: percutaneous-biliary]" in run.out
    assert "\x1b[" not in run.out


def test_cli_clean_set_says_so_and_exits_0(cli: Cli) -> None:
    run = cli("check", "50432", "50706")
    assert (run.code, run.err) == (0, "")
    assert run.out.startswith("OK  50432, 50706: no findings\n")
    assert "Nothing the library records keeps these codes from being reported together" in run.out


def test_cli_warnings_and_info_only_exit_0(cli: Cli) -> None:
    run = cli("check", "47555")
    assert run.code == 0
    assert "INFO separately-reportable  47555" in run.out
    assert "[LOW CONFIDENCE]" in run.out


def test_cli_explain_shows_rule_text_and_sources(cli: Cli) -> None:
    run = cli("check", "50706", "--explain")
    assert run.code == 0
    assert "rule: An add-on code is reported only in addition to one of its primary procedures." in run.out
    assert "recorded: add-on code; primaries: 50382" in run.out
    assert "sources:" in run.out and "iframe-50706: " in run.out


def test_cli_json_has_the_documented_shape(cli: Cli) -> None:
    run = cli("check", "47532", "77002", "47542x2", "--json")
    assert run.code == 1
    doc = json.loads(run.out)
    assert list(doc) == ["schema_version", "codes", "ok", "findings"]
    assert doc["schema_version"] == 1 and doc["ok"] is False
    assert doc["codes"][2] == {
        "code": "47542",
        "units": 2,
        "title": "Percutaneous balloon dilation of a bile duct or the ampulla, each duct (add-on)",
    }
    for finding in doc["findings"]:
        assert tuple(finding) == serialize.FINDING_KEYS
    first = doc["findings"][0]
    assert first["rule"] == "included-reported-separately" and first["codes"] == ["47532", "77002"]
    assert "\x1b[" not in run.out


def test_cli_json_on_fixture_data_carries_null_rather_than_missing(cli: Cli) -> None:
    doc = json.loads(cli("check", "9999X", "--json", *FIX).out)
    assert doc["codes"] == [{"code": "9999X", "units": 1, "title": None}]
    [finding] = doc["findings"]
    assert finding["confidence"] is None and finding["sources"] == [] and finding["family"] is None


def test_cli_jsonl_with_codes_prints_one_line(cli: Cli) -> None:
    run = cli("check", "50432", "50706", "--jsonl")
    assert run.code == 0
    [line] = run.out.splitlines()
    doc = json.loads(line)
    assert (doc["id"], doc["line"], doc["ok"], doc["findings"]) == (None, None, True, [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("check",), "cptref: give the codes to check"),
        (("check", "47532", "--file", "x.csv"), "cptref: give codes or --file, not both"),
        (("check", "47532", "--json", "--jsonl"), "cptref: --json and --jsonl: choose one"),
        (("check", "--file", "-", "--json"), "cptref: --json prints one object; with --file use --jsonl"),
        (("check", "--file", "/nonexistent/claims.csv"), "cptref: cannot read /nonexistent/claims.csv"),
    ],
)
def test_cli_usage_errors_exit_2(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(message), run.err
    assert len(run.err.splitlines()) == 1


def test_cli_batch_csv_reports_malformed_lines_and_checks_the_rest(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_bytes(b'id,codes\nA1,"50432 50706"\nA2\nA3,47532;77002\n\xff,47532\nA5,47555|74360\n')
    run = cli("check", "--file", str(path), "--jsonl")
    assert run.code == 1
    out = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["id"], d["line"], d["ok"]) for d in out] == [("A1", 2, True), ("A3", 4, False), ("A5", 6, True)]
    err = run.err.splitlines()
    assert err[0] == f"cptref: {path}:3: expected a claim id and a codes column, got 1 field; line skipped"
    assert err[1] == f"cptref: {path}:5: not UTF-8 text; line skipped"
    assert err[2].startswith(f"cptref: {path}: 3 claims checked: 1 with errors, 2 malformed lines skipped;")
    assert "included-reported-separately 1" in err[2]


def test_cli_batch_jsonl_from_stdin(tmp_path: Path) -> None:
    text = '{"id": "a", "codes": ["50432", "50706"]}\n{"id": "b", "codes": ["50432"]}\n'
    proc = subprocess.run(
        [sys.executable, "-m", "cptref", "check", "--file", "-", "--jsonl"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["id"] for line in proc.stdout.splitlines()] == ["a", "b"]
    assert proc.stderr == "cptref: <stdin>: 2 claims checked: 0 with errors, 0 malformed lines skipped; no findings\n"


def test_cli_batch_text_names_each_claim(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text('{"id": "a", "codes": ["47532", "77002"]}\nbroken\n{"id": "b", "codes": ["50432", "50706"]}\n')
    run = cli("check", "--file", str(path))
    assert run.code == 1
    assert run.out.startswith("claim a (line 1): NOT OK  47532, 77002: 1 error, 1 info\n")
    assert "\nclaim b (line 3): OK  50432, 50706: no findings\n" in run.out
    assert f"cptref: {path}:2: not a claim: JSON is malformed" in run.err


def test_cli_json_does_not_import_rich() -> None:
    code = (
        "import sys\n"
        "from cptref.cli import main\n"
        "try:\n    main(['check', '47532', '77002', '--json'])\n"
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
    assert "Exit status: 0 when no finding is an error; 1 when any is" in run.out
    assert "cptref check 47532 47542 77002" in run.out
    assert "--file" in run.out and "--jsonl" in run.out and "--explain" in run.out
