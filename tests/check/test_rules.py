"""`cptref check`: each rule on the shipped data as the library records it, the low-confidence rule on a
made-up fixture, units, malformed input, the batch readers, the CLI, and a property test."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cptref.check import (
    RULES,
    BadLine,
    BatchClaim,
    CheckResult,
    CheckTables,
    Finding,
    SkippedLine,
    parse_line,
    parse_token,
    read_claims,
    results,
    split_codes,
)
from cptref.check.lines import Line
from cptref.library.catalog import load_catalog
from cptref.output import to_documents
from cptref.output.check_lines import CheckLines
from cptref.output.formats import dumps
from tests.conftest import FIXTURES, ROOT, Run
from tests.conftest import library_check as check

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


@pytest.mark.parametrize("addon", ["47542", "47544", "50705", "50706"])
def test_an_addon_alone_is_an_error_whatever_is_known_of_its_primaries(tables: CheckTables, addon: str) -> None:
    result = check(tables, [addon])
    [finding] = result.findings
    assert (finding.rule, finding.severity) == ("addon-alone", "error") or finding.confidence == "low"
    assert not result.ok or finding.confidence == "low"
    assert not result.verified


def test_addons_only_are_each_alone(tables: CheckTables) -> None:
    result = check(tables, ["47542", "47544"])
    assert rules(result) == ["addon-alone", "addon-alone"]


def test_an_addon_beside_a_code_cptref_does_not_know_is_not_alone_but_not_verified(tables: CheckTables) -> None:
    result = check(tables, ["77002", "C1729"])  # 77002: an add-on whose primaries are not recorded
    assert result.ok and not result.verified
    assert set(rules(result)) == {"no-data", "addon-without-primary"}


def test_addon_whose_official_primaries_are_recorded_stops_a_claim_without_one(tables: CheckTables) -> None:
    # 50706's primaries are CMS's AOC list (high); a low list is tested on the fixture below
    result = check(tables, ["50706", "47532"])
    [finding] = by_rule(result, "addon-without-primary")
    assert finding.severity == "error" and finding.confidence == "high"
    assert "50432" in finding.fix_codes and "50693" in finding.fix_codes
    assert finding.fix is not None and "50432" in finding.fix
    assert "cms-aoc-2026q2" in finding.sources
    assert not result.ok


def test_addon_with_one_of_its_primaries_passes(tables: CheckTables) -> None:
    result = check(tables, ["50432", "50706"])
    assert by_rule(result, "addon-without-primary") == []
    assert result.ok and result.verified and result.findings == ()


def test_addon_whose_primaries_are_not_recorded_cannot_be_verified_beside_a_procedure(tables: CheckTables) -> None:
    for codes in (["50390", "77002"], ["47532", "47550"]):
        result = check(tables, codes)
        [finding] = by_rule(result, "addon-without-primary")
        assert finding.severity == "warning"
        assert "cannot be verified" in finding.message
        assert finding.fix_codes == ()
        assert result.ok and not result.verified


def test_a_guidance_code_the_biliary_family_includes_is_an_error(tables: CheckTables) -> None:
    result = check(tables, ["47532", "77002"])
    assert not result.ok
    [finding] = by_rule(result, "included-reported-separately")
    assert finding.severity == "error"
    assert finding.codes == ("47532", "77002")
    assert finding.family == "percutaneous-biliary"
    assert finding.stated_on == "47532"
    assert finding.fix_codes == ("77002",)
    assert "aapc-2016-biliary" in finding.sources


def test_diagnostic_cholangiography_within_a_drain_is_an_error(tables: CheckTables) -> None:
    result = check(tables, ["47532", "47534"])
    [finding] = by_rule(result, "included-reported-separately")
    assert (finding.codes, finding.severity, finding.confidence) == (("47534", "47532"), "error", "high")
    assert not result.ok


def test_the_same_fact_on_the_record_and_its_family_is_one_finding(tables: CheckTables) -> None:
    result = check(tables, ["47532", "47542", "77002"])
    included = by_rule(result, "included-reported-separately")
    assert sorted(f.codes for f in included) == [("47532", "77002"), ("47542", "77002")]


def test_47555_suggests_74360_only_with_explain_and_only_as_a_possibility(tables: CheckTables) -> None:
    assert check(tables, ["47555"]).findings == ()
    result = check(tables, ["47555"], explain=True)
    [finding] = by_rule(result, "separately-reportable")
    assert (finding.severity, finding.confidence, finding.fix_codes) == ("info", "low", ("74360",))
    assert "may be reported" in finding.message and "low-confidence" in finding.message
    assert finding.fix is not None and finding.fix.startswith("Confirm")
    assert result.ok and result.verified


def test_47555_with_74360_has_nothing_to_add(tables: CheckTables) -> None:
    assert by_rule(check(tables, ["47555", "74360"], explain=True), "separately-reportable") == []


def test_not_reported_together_in_the_same_duct_needs_a_human(tables: CheckTables) -> None:
    result = check(tables, ["47532", "47542", "47538"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "warning"
    assert finding.codes == ("47542", "47538")
    assert "on the same duct" in finding.message
    assert (
        finding.fix
        == "Report both only if the record shows they were on different ducts; otherwise report one of them."
    )


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


def test_an_ncci_pair_with_indicator_1_is_an_error_and_a_sentence(tables: CheckTables) -> None:
    result = check(tables, ["50080", "50436"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "error" and not result.ok
    assert finding.fix is not None and finding.fix.startswith(
        "Report 50436 and 50080 together only with the NCCI-associated modifier that says why"
    )  # indicator 1: both only with a modifier and the documentation, never "not both" (issue 20)


@pytest.mark.parametrize("modifier", ["59", "XE", "XS", "XP", "XU"])
def test_a_distinct_service_modifier_turns_an_indicator_1_pair_into_info(tables: CheckTables, modifier: str) -> None:
    for codes in (["50080", f"50436-{modifier}"], [f"50080-{modifier}", "50436"]):
        result = check(tables, codes)
        [finding] = by_rule(result, "not-reported-together")
        assert finding.severity == "info"
        assert f"-{modifier}" in finding.message and "document" in (finding.fix or "")
        assert result.ok and result.verified
        assert by_rule(result, "modifier-not-evaluated") == []


def test_a_distinct_service_modifier_does_not_unbundle_an_unscoped_inclusion(tables: CheckTables) -> None:
    result = check(tables, ["47532", "77002-59"])
    assert [f.severity for f in by_rule(result, "included-reported-separately")] == ["error"]
    [note] = by_rule(result, "modifier-not-evaluated")
    assert note.codes == ("77002",) and "-59" in note.message
    assert not result.ok


def test_side_modifiers_answer_a_pair_scoped_to_one_kidney(tables: CheckTables) -> None:
    assert check(tables, ["50430-RT", "50432-LT"]).findings == ()
    same = check(tables, ["50430-RT", "50432-RT"])
    [finding] = same.findings  # 50432's inclusion of 50430 says it; 50430's not-with does not say it again
    assert (finding.rule, finding.severity) == ("included-reported-separately", "error")
    assert "right side" in finding.message
    plain = check(tables, ["50430", "50432"])
    assert not plain.ok  # the inclusion holds unless the sides say otherwise
    distinct = check(tables, ["50430-XS", "50432"])
    assert distinct.ok and {f.severity for f in distinct.findings} == {"info"}


_WHOLE = """code: "0100X"
status: active
title: Made-up whole procedure
descriptor: A made-up procedure whose record says it includes 0101X, on weak evidence.
section: [Testing]
includes:
  - what: the made-up part
    codes: ["0101X"]
    sources: [test-blog]
    confidence: {included}
"""
_PART = """code: "0101X"
status: active
title: Made-up part procedure
descriptor: A made-up procedure whose record says it is never reported with 0100X.
section: [Testing]
not_with:
  - codes: ["0100X"]
    reason: the made-up pair is never reported together
    sources: [test-book]
    confidence: high
"""


@pytest.mark.parametrize(("included", "told"), [("high", ["included-reported-separately"]), ("low", None)])
def test_a_pair_one_code_includes_is_told_once_unless_the_inclusion_is_weaker(
    tmp_path: Path, included: str, told: list[str] | None
) -> None:
    """An inclusion and a not-with fact about the same two codes give one finding: the inclusion's,
    as long as it is at least as severe on the claim; a low-confidence inclusion (a warning) leaves the
    not-with error standing beside it."""
    data = tmp_path / "data"
    shutil.copytree(CHECK_FIX, data)
    (data / "procedures" / "0100X.yaml").write_text(_WHOLE.format(included=included))
    (data / "procedures" / "0101X.yaml").write_text(_PART)
    result = check(CheckTables.from_catalog(load_catalog(data)), ["0100X", "0101X"])
    rules = [(f.rule, f.severity) for f in result.findings]
    if told is not None:
        assert rules == [("included-reported-separately", "error")]
    else:
        assert rules == [("not-reported-together", "error"), ("included-reported-separately", "warning")]


def test_a_clean_set_has_no_findings_and_is_verified(tables: CheckTables) -> None:
    result = check(tables, ["50432", "50706"])
    assert result.ok and result.verified
    assert result.findings == ()
    assert result.codes == (("50432", 1), ("50706", 1))


def test_a_code_with_no_record_is_no_data_not_a_pass(tables: CheckTables) -> None:
    for code in ("99999", "C1729", "0213T"):
        result = check(tables, ["47532", code])
        [finding] = by_rule(result, "no-data")
        assert finding.severity == "warning"
        assert finding.codes == (code,)
        assert "No data" in finding.message
        assert result.ok and not result.verified
        assert by_rule(result, "malformed-code") == []


def test_deleted_code_names_its_replacement(tables: CheckTables) -> None:
    result = check(tables, ["74320"])
    [finding] = by_rule(result, "deleted-code")
    assert finding.severity == "error"
    assert finding.fix_codes == ("47532",)
    assert finding.fix == "Report 47532 instead, if it fits the service done."
    assert not result.ok


def test_deleted_code_without_replacement_says_so(tables: CheckTables) -> None:
    [finding] = by_rule(check(tables, ["74363"]), "deleted-code")
    assert finding.fix_codes == ()
    assert "no replacement is recorded" in finding.message


def test_deleted_code_with_a_sourced_deletion_cites_it(tables: CheckTables) -> None:
    [finding] = by_rule(check(tables, ["50394"]), "deleted-code")
    assert finding.fix_codes == ("50431",)
    assert finding.confidence in ("medium", "high") and finding.sources


def test_malformed_tokens_are_errors_and_the_rest_is_still_checked(tables: CheckTables) -> None:
    result = check(tables, ["4754", "abc", "47542x0", "47542*2", "", "47542-5", "50706", "50432"])
    malformed = by_rule(result, "malformed-code")
    assert [f.codes[0] for f in malformed] == ["4754", "abc", "47542x0", "47542*2", "", "47542-5"]
    assert all(f.severity == "error" for f in malformed)
    assert result.codes == (("50706", 1), ("50432", 1))


def test_claim_lines_carry_modifiers_and_units() -> None:
    assert parse_line(" 0213t ") == Line("0213T")
    assert parse_line("47542x2") == Line("47542", (), 2)
    assert parse_line("47542-59") == Line("47542", ("59",))
    assert parse_line("77002-26-59") == Line("77002", ("26", "59"))
    assert parse_line("50432-rt") == Line("50432", ("RT",))
    assert parse_line("47542-59x3") == Line("47542", ("59",), 3)
    assert parse_line("c1729") == Line("C1729")
    assert parse_line("1234F") == Line("1234F")
    assert parse_token("0001Xx2") == ("0001X", 2)
    for bad in (
        "47542x",
        "47542x0",
        "47542*2",
        "4754x2",
        "４７５４２",
        "47542x1234567",
        "475422",
        "47542-5",
        "47542-",
        "47542--59",
        "CC172",
        "47542-RTX",
        "-59",
    ):
        assert parse_line(bad) is None, bad


def test_lines_with_the_same_code_and_modifiers_merge_into_units(tables: CheckTables) -> None:
    result = check(tables, ["50432-RT", "50432-LT", "50432-RT", "47542", "47542x2"])
    assert result.lines == (Line("50432", ("RT",), 2), Line("50432", ("LT",)), Line("47542", (), 3))
    assert result.codes == (("50432", 3), ("47542", 3))


# --- units and sides -----------------------------------------------------------------------------------


def test_units_of_a_once_per_session_code_without_sides_ask_for_sides_not_a_contradiction(tables: CheckTables) -> None:
    # 50706 records no unit (once per session) and an MUE of 2: two units may be the two sides
    for codes in (["50432", "50706", "50706"], ["50432", "50706x2"]):
        result = check(tables, codes)
        [finding] = by_rule(result, "units")
        assert finding.severity == "warning" and result.ok and not result.verified
        assert "MUE of 2 a day allows 2" in finding.message
        assert "50706-RT and 50706-LT" in (finding.fix or "")
    for codes in (["50432", "50706", "50706", "50706"], ["50432", "50706x3"], ["50432", "50706X2", "50706"]):
        result = check(tables, codes)
        [finding] = by_rule(result, "units")
        assert finding.severity == "warning"
        assert "MUE is 2" in finding.message
        assert finding.confidence == "medium" and finding.sources == ("payerready-50706",)
        assert result.codes == (("50432", 1), ("50706", 3))
        assert result.ok


@pytest.mark.parametrize("codes", [["50432-RT", "50432-LT"], ["50432-50"], ["50432-LT", "50432-RT"]])
def test_two_sides_are_not_a_units_finding(tables: CheckTables, codes: list[str]) -> None:
    result = check(tables, codes)
    assert by_rule(result, "units") == [] and by_rule(result, "modifier-not-evaluated") == []
    assert result.verified


def test_the_same_side_twice_is_a_units_warning(tables: CheckTables) -> None:
    for codes in (["50432-RT", "50432-RT"], ["50432-RTx2"], ["50432-50", "50432-LT"]):
        [finding] = by_rule(check(tables, codes), "units")
        assert finding.severity == "warning" and "more than once on the" in finding.message


def test_an_imaging_codes_26_and_tc_lines_are_one_service(tables: CheckTables) -> None:
    result = check(tables, ["50390", "74425-26", "74425-TC"])  # 50390: 74425's one primary (CMS AOC)
    assert by_rule(result, "units") == [] and by_rule(result, "modifier-not-evaluated") == []
    twice = check(tables, ["50390", "74425-26", "74425-26"])
    assert [f.rule for f in twice.findings] == ["units"]


def test_a_modifier_no_rule_reads_is_named_not_evaluated(tables: CheckTables) -> None:
    result = check(tables, ["47532-22", "50432-RT"])
    [finding] = by_rule(result, "modifier-not-evaluated")
    assert (finding.codes, finding.severity) == (("47532",), "info")
    assert "-22" in finding.message
    assert result.verified


def test_a_code_counted_per_unit_may_repeat(tables: CheckTables) -> None:
    assert by_rule(check(tables, ["47532", "47542x3"]), "units") == []


# --- the low-confidence rule, on a made-up fixture ------------------------------------------------------


def test_addon_whose_primaries_are_recorded_only_at_low_confidence_warns(fixture_tables: CheckTables) -> None:
    result = check(fixture_tables, ["0002X", "0005X"])
    [finding] = by_rule(result, "addon-without-primary")
    assert (finding.severity, finding.confidence) == ("warning", "low")
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
    alone = by_rule(check(fixture_tables, ["0002X"]), "addon-alone")
    assert [(f.severity, f.confidence) for f in alone] == [("warning", "low")]


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
    result = check(fixture_tables, ["0003X", "0005X", "0001X", "0001X", "0009X"], explain=True)
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert set(rules(result)) == {
        "addon-without-primary",
        "not-reported-together",
        "units",
        "separately-reportable",
        "no-data",
    }


def test_every_fix_of_every_finding_on_the_shipped_data_is_a_sentence(tables: CheckTables) -> None:
    """Each rule's fix, for every fact of the shipped data (every code alone, and every pair a fact names,
    plain and with the modifiers the rules read), reads as an English sentence."""
    catalog = load_catalog()
    claims: list[list[str]] = [[c] for c in catalog.codes()]
    for record in catalog:
        for eff in (*catalog.includes(record), *catalog.report_with(record)):
            claims += [[record.code, c] for c in eff.rule.codes]
            claims += [[f"{record.code}-RT", f"{c}-RT"] for c in eff.rule.codes]
        for nw in catalog.not_with(record):
            named = nw.rule.codes
            claims += [[record.code, c] for c in named] + [[record.code, f"{c}-59"] for c in named]
            claims += [[f"{record.code}-RT", f"{c}-RT"] for c in named]
    claims += [["47532", "47542-22", "9999X", "4754", "50706x3", "50432-RT", "50432-RT"]]
    seen: set[str] = set()
    for claim in claims:
        for f in check(tables, claim, explain=True).findings:
            for text in (f.fix or "", f.message):
                if text in seen:
                    continue
                seen.add(text)
                assert re.fullmatch(r"[A-Z0-9'].*[.)]", text, flags=re.DOTALL) or f.rule == "malformed-code", text
                assert "  " not in text and ".." not in text and " ," not in text, text
                assert not re.search(r"\b(\w+) \1\b", text), text
    assert len(seen) > 50


# --- properties ---------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=12), max_size=8))
def test_check_never_raises_on_any_list_of_strings(tokens: list[str]) -> None:
    tables = _shipped_tables()
    result = check(tables, tokens)
    assert result.ok == all(f.severity != "error" for f in result.findings)
    assert all(f.rule in {rule.id for rule in RULES} for f in result.findings)
    json.loads(dumps(to_documents.check_document(result, tables.title)))
    json.loads(CheckLines(tables.title).line(result))


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


def kinds(items: Sequence[object]) -> list[str]:
    return [type(i).__name__ for i in items]


def test_csv_with_header_and_malformed_lines_accounts_for_every_line() -> None:
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
    assert len(items) == 8  # one item a line
    claims = [i for i in items if isinstance(i, BatchClaim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        ("A1", 2, ("47532", "47542")),
        ("A2", 3, ("50706", "50432")),
        ("A4", 6, ("47555", "74360")),
    ]
    assert [(b.line, b.message) for b in bad] == [
        (5, "expected 2 columns (a claim id and its codes), got 1"),
        (7, "the claim has no codes"),
        (8, "the claim id is empty"),
    ]
    assert [(i.line, i.why) for i in items if isinstance(i, SkippedLine)] == [(1, "header"), (4, "blank")]


def test_csv_without_header_takes_unquoted_commas_as_more_codes_and_the_first_line_as_a_claim() -> None:
    items = list(read_claims(lines("A1,47532,77002\nA2,50706\n")))
    assert [(i.id, i.codes) for i in items if isinstance(i, BatchClaim)] == [
        ("A1", ("47532", "77002")),
        ("A2", ("50706",)),
    ]
    first = list(read_claims(lines("X,C1729\n")))
    assert kinds(first) == ["BatchClaim"]


def test_a_first_line_that_names_columns_of_its_own_is_a_counted_header() -> None:
    items = list(read_claims(lines("Claim Ref,Procedures billed\nA1,47532\n"), "x.csv"))
    assert kinds(items) == ["SkippedLine", "BatchClaim"]


def test_an_unclosed_quote_costs_one_line_never_the_claims_after_it() -> None:
    rows = ["A0,47532"] + ['A1,"47532 47542'] + [f"A{i},47532 77002" for i in range(2, 100_000)]
    items = list(read_claims(lines("\n".join(rows) + "\n"), "x.csv"))
    assert len(items) == 100_000
    assert [i.line for i in items if isinstance(i, BadLine)] == [2]
    assert sum(isinstance(i, BatchClaim) for i in items) == 99_999


def test_csv_with_a_date_column_gives_each_claim_its_date_of_service() -> None:
    import datetime

    items = list(read_claims(lines("id,codes,dos\nA1,47532,2026-01-15\nA2,47532,15/01/2026\nA3,47532,\n")))
    assert [getattr(i, "date", None) for i in items] == [None, datetime.date(2026, 1, 15), None, None]
    assert isinstance(items[2], BadLine) and "YYYY-MM-DD" in items[2].message


def test_csv_line_that_is_not_utf8_is_reported_with_its_number() -> None:
    items = list(read_claims([b"A1,47532\n", b"A2,\xff47532\n", b"A3,50706 50432\n"], "x.csv"))
    assert kinds(items) == ["BatchClaim", "BadLine", "BatchClaim"]
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
        '{"id": 6, "codes": [{"code": "50432", "modifiers": ["RT"]}, {"code": "47542", "units": 2}, "47542-59"]}\n'
        '{"id": 7, "codes": ["47532"], "date": "2026-02-30"}\n'
    )
    items = list(read_claims(lines(text), None))
    assert len(items) == 11
    claims = [i for i in items if isinstance(i, BatchClaim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        (1, 1, ("47532", "47542")),
        ("x", 2, ("50706", "50432")),
        (5, 9, ("abc", "47532x2")),
        (6, 10, ("50432-RT", "47542x2", "47542-59")),
    ]
    assert [b.line for b in bad] == [3, 4, 6, 7, 8, 11]
    assert 'no "codes" field' in bad[2].message


def test_jsonl_detected_by_extension_even_when_the_first_line_is_broken() -> None:
    items = list(read_claims(lines('oops\n{"id": 2, "codes": ["50706"]}\n'), "batch.jsonl"))
    assert kinds(items) == ["BadLine", "BatchClaim"]


BATCHES = {
    "header after blank and bad lines": (
        "x.csv",
        b"\n\xff,bad\n\n" + b'"unclosed,47532\n' + b"id,codes,dos\nA1,47532,2026-01-15\nA2,47532 77002,\n,47532\n",
    ),
    "first row a claim": ("x.csv", b"\xef\xbb\xbfA0,47532\nA1,47532,77002\n\nA2,50706\nA3,\n"),
    "a header of its own words": ("x.csv", b"Claim Ref,Procedures billed\nA1,47532\nA2,bad token\n"),
    "json lines": (
        None,
        b'\xef\xbb\xbf{"id": 1, "codes": ["47532"]}\n\nnot json\n'
        b'{"id": 2, "codes": "50706 50432", "date": "2026-01-15"}\n'
        b'{"id": 3, "codes": [], "date": "2026-01-15"}\n{"id": 4, "codes": ["47532"], "date": "2026-02-30"}\n',
    ),
}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("name", BATCHES)
def test_a_batch_read_in_chunks_elsewhere_gives_the_items_of_one_pass(name: str, size: int) -> None:
    """What ``check --file`` does with workers: this process settles the reader on each chunk before
    sending it; a copy of the reader (as pickled to a worker) reads the chunk."""
    import pickle

    from cptref.check.inputs.registry import batch_lines

    file, data = BATCHES[name]
    raw = data.splitlines(keepends=True)
    whole = list(read_claims(raw, file))
    found = batch_lines(raw, file)
    assert found is not None
    reader, stream = found
    rest = list(stream)
    chunked: list[object] = []
    for first in range(1, len(rest) + 1, size):
        chunk = rest[first - 1 : first - 1 + size]
        reader.settle(chunk, first)
        chunked.extend(pickle.loads(pickle.dumps(reader)).items(chunk, first))
    assert chunked == whole
    assert len(whole) == len(raw) and any(isinstance(i, BatchClaim) for i in whole)


# --- the command ---------------------------------------------------------------------------------------


def test_cli_error_set_exits_1_with_findings_on_stdout(cli: Cli) -> None:
    run = cli("check", "47532", "47542", "77002")
    assert run.code == 1
    assert run.err == ""
    assert run.out.startswith("NOT OK  47532, 47542, 77002: 2 errors, 2 warnings\n")
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
    assert run.code == 0
    assert run.out.startswith(f"NOT VERIFIED  {', '.join(codes)}: ")
    assert "no error, but not verified" in run.out.splitlines()[0]
    assert cli("check", *codes, "--strict").code == 1
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
    assert list(doc) == ["schema_version", "id", "line", "ok", "verified", "checked", "codes", "titles", "findings"]
    assert (doc["schema_version"], doc["id"], doc["line"], doc["ok"], doc["codes"]) == (
        2,
        None,
        None,
        True,
        ["50432", "50706-59"],
    )
    assert [list(f) for f in doc["findings"]] == [["rule", "severity", "codes", "fix"]] * 2
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
    assert run.code == 1
    out = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["id"], d["line"], d["ok"]) for d in out] == [("A1", 2, True), ("A3", 4, False), ("A5", 6, True)]
    err = run.err.splitlines()
    assert err[0] == f"cptref: {path}:3: expected 2 columns (a claim id and its codes), got 1; line skipped"
    assert err[1] == f"cptref: {path}:5: not UTF-8 text; line skipped"
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
    path.write_text("A1,50432 50706\nA2,47532 C1729\n")
    assert cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl").code == 0
    assert cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--strict").code == 1


def test_cli_batch_text_names_each_claim(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text('{"id": "a", "codes": ["47532", "77002"]}\nbroken\n{"id": "b", "codes": ["50432", "50706"]}\n')
    run = cli("check", "--file", str(path), "--date", "2026-11-27")
    assert run.code == 1
    assert run.out.startswith("claim a (line 1): NOT OK  47532, 77002: 1 error, 2 warnings\n")
    assert "\nclaim b (line 3): NOT VERIFIED  50432, 50706: 1 warning;" in run.out
    assert f"cptref: {path}:2: not a claim: JSON is malformed" in run.err


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
