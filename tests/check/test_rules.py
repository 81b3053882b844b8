"""The rules of ``cptref check``: each on the shipped data as the library records it, the low-confidence
rule on a made-up fixture, units and sides, the sentences of every fix, and property tests."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cptref.check import RULES, CheckResult, CheckTables, Finding
from cptref.library.catalog import Catalog, load_catalog
from cptref.output import to_documents
from cptref.output.check_lines import CheckLines
from cptref.output.formats import dumps
from tests.conftest import FIXTURES
from tests.conftest import library_check as check

CHECK_FIX = FIXTURES / "check"


@pytest.fixture(scope="module")
def fixture_tables() -> CheckTables:
    return CheckTables.from_catalog(load_catalog(CHECK_FIX))


def by_rule(result: CheckResult, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


def rules(result: CheckResult) -> list[str]:
    return [f.rule for f in result.findings]


# --- each rule on the shipped data ------------------------------------------------------------------


@pytest.mark.parametrize("addon", ["47542", "47544", "50705", "50706"])
def test_an_addon_alone_is_an_error_whatever_is_known_of_its_primaries(shipped_tables: CheckTables, addon: str) -> None:
    result = check(shipped_tables, [addon])
    [finding] = result.findings
    assert (finding.rule, finding.severity) == ("addon-alone", "error") or finding.confidence == "low"
    assert not result.ok or finding.confidence == "low"
    assert not result.verified


def test_addons_only_are_each_alone(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47542", "47544"])
    assert rules(result) == ["addon-alone", "addon-alone"]


def test_an_addon_beside_a_code_cptref_does_not_know_is_not_alone_but_not_verified(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47550", "C1729"])  # 47550: an add-on whose primaries are not recorded
    assert result.ok and not result.verified
    assert set(rules(result)) == {"no-data", "addon-without-primary"}


def test_addon_whose_official_primaries_are_recorded_stops_a_claim_without_one(shipped_tables: CheckTables) -> None:
    # 50706's primaries are CMS's AOC list (high); a low list is tested on the fixture below
    result = check(shipped_tables, ["50706", "47532"])
    [finding] = by_rule(result, "addon-without-primary")
    assert finding.severity == "error" and finding.confidence == "high"
    assert "50432" in finding.fix_codes and "50693" in finding.fix_codes
    assert finding.fix is not None and "50432" in finding.fix
    assert "cms-aoc-2026q2" in finding.sources
    assert not result.ok


def test_addon_with_one_of_its_primaries_passes(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50432", "50706"])
    assert by_rule(result, "addon-without-primary") == []
    assert result.ok and result.verified and result.findings == ()


def test_addon_whose_primaries_are_not_recorded_cannot_be_verified_beside_a_procedure(
    shipped_tables: CheckTables,
) -> None:
    for codes in (["50432", "47550"], ["47532", "47550"]):
        result = check(shipped_tables, codes)
        [finding] = by_rule(result, "addon-without-primary")
        assert finding.severity == "warning"
        assert "cannot be verified" in finding.message
        assert finding.fix_codes == ()
        assert result.ok and not result.verified


def test_77002_beside_a_primary_of_the_official_list_is_clear_and_beside_another_is_stopped(
    shipped_tables: CheckTables,
) -> None:
    # 77002's primaries are the CMS AOC list of 2026Q2: 50390 is among them, 47000 too (no record here)
    assert not by_rule(check(shipped_tables, ["50390", "77002"]), "addon-without-primary")
    beside_unrecorded = check(shipped_tables, ["47000", "77002"])  # a primary the library has no record of
    assert not by_rule(beside_unrecorded, "addon-without-primary") and set(rules(beside_unrecorded)) == {"no-data"}
    stopped = check(shipped_tables, ["50432", "77002"])
    [finding] = by_rule(stopped, "addon-without-primary")
    assert finding.severity == "error" and "cms-aoc-2026q2" in finding.sources


def test_a_guidance_code_the_biliary_family_includes_is_an_error(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532", "77002"])
    assert not result.ok
    [finding] = by_rule(result, "included-reported-separately")
    assert finding.severity == "error"
    assert finding.codes == ("47532", "77002")
    assert finding.family == "percutaneous-biliary"
    assert finding.stated_on == "47532"
    assert finding.fix_codes == ("77002",)
    assert "aapc-2016-biliary" in finding.sources


def test_diagnostic_cholangiography_within_a_drain_is_an_error(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532", "47534"])
    [finding] = by_rule(result, "included-reported-separately")
    assert (finding.codes, finding.severity, finding.confidence) == (("47534", "47532"), "error", "high")
    assert not result.ok


def test_the_same_fact_on_the_record_and_its_family_is_one_finding(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532", "47542", "77002"])
    included = by_rule(result, "included-reported-separately")
    assert sorted(f.codes for f in included) == [("47532", "77002"), ("47542", "77002")]


def test_47555_suggests_74360_only_with_explain_and_only_as_a_possibility(shipped_tables: CheckTables) -> None:
    assert check(shipped_tables, ["47555"]).findings == ()
    result = check(shipped_tables, ["47555"], explain=True)
    [finding] = by_rule(result, "separately-reportable")
    assert (finding.severity, finding.confidence, finding.fix_codes) == ("info", "low", ("74360",))
    assert "may be reported" in finding.message and "low-confidence" in finding.message
    assert finding.fix is not None and finding.fix.startswith("Confirm")
    assert result.ok and result.verified


def test_47555_with_74360_has_nothing_to_add(shipped_tables: CheckTables) -> None:
    assert by_rule(check(shipped_tables, ["47555", "74360"], explain=True), "separately-reportable") == []


def test_not_reported_together_in_the_same_duct_needs_a_human(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532", "47542", "47538"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "warning"
    assert finding.codes == ("47542", "47538")
    assert "on the same duct" in finding.message
    assert (
        finding.fix
        == "Report both only if the record shows they were on different ducts; otherwise report one of them."
    )


def test_not_reported_together_without_a_scope_is_an_error(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50706", "52344"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "error"
    assert not result.ok


def test_not_reported_together_without_a_scope_on_a_low_fact_is_a_warning(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50436", "50382"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.confidence == "low"
    assert finding.severity == "warning"
    assert finding.message.endswith("(rests on a low-confidence fact)")


def test_an_ncci_pair_with_indicator_1_is_an_error_and_a_sentence(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50080", "50436"])
    [finding] = by_rule(result, "not-reported-together")
    assert finding.severity == "error" and not result.ok
    assert finding.fix is not None and finding.fix.startswith(
        "Report 50436 and 50080 together only with the NCCI-associated modifier that says why"
    )  # indicator 1: both only with a modifier and the documentation, never "not both" (issue 20)


@pytest.mark.parametrize("modifier", ["59", "XE", "XS", "XP", "XU"])
def test_a_distinct_service_modifier_turns_an_indicator_1_pair_into_info(
    shipped_tables: CheckTables, modifier: str
) -> None:
    for codes in (["50080", f"50436-{modifier}"], [f"50080-{modifier}", "50436"]):
        result = check(shipped_tables, codes)
        [finding] = by_rule(result, "not-reported-together")
        assert finding.severity == "info"
        assert f"-{modifier}" in finding.message and "document" in (finding.fix or "")
        assert result.ok and result.verified
        assert by_rule(result, "modifier-not-evaluated") == []


def test_a_distinct_service_modifier_does_not_unbundle_an_unscoped_inclusion(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532", "77002-59"])
    assert [f.severity for f in by_rule(result, "included-reported-separately")] == ["error"]
    [note] = by_rule(result, "modifier-not-evaluated")
    assert note.codes == ("77002",) and "-59" in note.message
    assert not result.ok


def test_side_modifiers_answer_a_pair_scoped_to_one_kidney(shipped_tables: CheckTables) -> None:
    assert check(shipped_tables, ["50430-RT", "50432-LT"]).findings == ()
    same = check(shipped_tables, ["50430-RT", "50432-RT"])
    [finding] = same.findings  # 50432's inclusion of 50430 says it; 50430's not-with does not say it again
    assert (finding.rule, finding.severity) == ("included-reported-separately", "error")
    assert "right side" in finding.message
    plain = check(shipped_tables, ["50430", "50432"])
    assert not plain.ok  # the inclusion holds unless the sides say otherwise
    distinct = check(shipped_tables, ["50430-XS", "50432"])
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


def test_a_clean_set_has_no_findings_and_is_verified(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50432", "50706"])
    assert result.ok and result.verified
    assert result.findings == ()
    assert result.codes == (("50432", 1), ("50706", 1))


def test_a_code_with_no_record_is_no_data_not_a_pass(shipped_tables: CheckTables) -> None:
    for code in ("99999", "C1729", "0213T"):
        result = check(shipped_tables, ["47532", code])
        [finding] = by_rule(result, "no-data")
        assert finding.severity == "warning"
        assert finding.codes == (code,)
        assert "No data" in finding.message
        assert result.ok and not result.verified
        assert by_rule(result, "malformed-code") == []


def test_deleted_code_names_its_replacement(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["74320"])
    [finding] = by_rule(result, "deleted-code")
    assert finding.severity == "error"
    assert finding.fix_codes == ("47532",)
    assert finding.fix == "Report 47532 instead, if it fits the service done."
    assert not result.ok


def test_deleted_code_without_replacement_says_so(shipped_tables: CheckTables) -> None:
    [finding] = by_rule(check(shipped_tables, ["74363"]), "deleted-code")
    assert finding.fix_codes == ()
    assert "no replacement is recorded" in finding.message


def test_deleted_code_with_a_sourced_deletion_cites_it(shipped_tables: CheckTables) -> None:
    [finding] = by_rule(check(shipped_tables, ["50394"]), "deleted-code")
    assert finding.fix_codes == ("50431",)
    assert finding.confidence in ("medium", "high") and finding.sources


def test_malformed_tokens_are_errors_and_the_rest_is_still_checked(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["4754", "abc", "47542x0", "47542*2", "", "47542-5", "50706", "50432"])
    malformed = by_rule(result, "malformed-code")
    assert [f.codes[0] for f in malformed] == ["4754", "abc", "47542x0", "47542*2", "", "47542-5"]
    assert all(f.severity == "error" for f in malformed)
    assert result.codes == (("50706", 1), ("50432", 1))


# --- units and sides -----------------------------------------------------------------------------------


def test_units_of_a_once_per_session_code_without_sides_ask_for_sides_not_a_contradiction(
    shipped_tables: CheckTables,
) -> None:
    # 50706 records no unit (once per session) and an MUE of 2: two units may be the two sides
    for codes in (["50432", "50706", "50706"], ["50432", "50706x2"]):
        result = check(shipped_tables, codes)
        [finding] = by_rule(result, "units")
        assert finding.severity == "warning" and result.ok and not result.verified
        assert "MUE of 2 a day allows 2" in finding.message
        assert "50706-RT and 50706-LT" in (finding.fix or "")
    for codes in (["50432", "50706", "50706", "50706"], ["50432", "50706x3"], ["50432", "50706X2", "50706"]):
        result = check(shipped_tables, codes)
        [finding] = by_rule(result, "units")
        assert finding.severity == "warning"
        assert "MUE is 2" in finding.message
        assert finding.confidence == "medium" and finding.sources == ("payerready-50706",)
        assert result.codes == (("50432", 1), ("50706", 3))
        assert result.ok


@pytest.mark.parametrize("codes", [["50432-RT", "50432-LT"], ["50432-50"], ["50432-LT", "50432-RT"]])
def test_two_sides_are_not_a_units_finding(shipped_tables: CheckTables, codes: list[str]) -> None:
    result = check(shipped_tables, codes)
    assert by_rule(result, "units") == [] and by_rule(result, "modifier-not-evaluated") == []
    assert result.verified


def test_the_same_side_twice_is_a_units_warning(shipped_tables: CheckTables) -> None:
    for codes in (["50432-RT", "50432-RT"], ["50432-RTx2"], ["50432-50", "50432-LT"]):
        [finding] = by_rule(check(shipped_tables, codes), "units")
        assert finding.severity == "warning" and "more than once on the" in finding.message


def test_an_imaging_codes_26_and_tc_lines_are_one_service(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50390", "74425-26", "74425-TC"])  # 50390: 74425's one primary (CMS AOC)
    assert by_rule(result, "units") == [] and by_rule(result, "modifier-not-evaluated") == []
    twice = check(shipped_tables, ["50390", "74425-26", "74425-26"])
    assert [f.rule for f in twice.findings] == ["units"]


def test_a_modifier_no_rule_reads_is_named_not_evaluated(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["47532-22", "50432-RT"])
    [finding] = by_rule(result, "modifier-not-evaluated")
    assert (finding.codes, finding.severity) == (("47532",), "info")
    assert "-22" in finding.message
    assert result.verified


def test_a_code_counted_per_unit_may_repeat(shipped_tables: CheckTables) -> None:
    assert by_rule(check(shipped_tables, ["47532", "47542x3"]), "units") == []


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


def test_every_fix_of_every_finding_on_the_shipped_data_is_a_sentence(
    shipped: Catalog, shipped_tables: CheckTables
) -> None:
    """Each rule's fix, for every fact of the shipped data (every code alone, and every pair a fact names,
    plain and with the modifiers the rules read), reads as an English sentence."""
    catalog = shipped
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
        for f in check(shipped_tables, claim, explain=True).findings:
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
def test_check_never_raises_on_any_list_of_strings(shipped_tables: CheckTables, tokens: list[str]) -> None:
    tables = shipped_tables
    result = check(tables, tokens)
    assert result.ok == all(f.severity != "error" for f in result.findings)
    assert all(f.rule in {rule.id for rule in RULES} for f in result.findings)
    json.loads(dumps(to_documents.check_document(result, tables.title)))
    json.loads(CheckLines(tables.title).line(result))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_error_ever_rests_on_a_low_confidence_fact(
    shipped_tables: CheckTables, shipped: Catalog, data: st.DataObject
) -> None:
    tables = shipped_tables
    pool = shipped.codes()
    codes = data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=6))
    for finding in check(tables, codes).findings:
        if finding.confidence == "low":
            assert finding.severity != "error"
            assert "low-confidence" in finding.message
        if finding.rule in ("addon-without-primary", "included-reported-separately", "not-reported-together"):
            assert finding.sources and finding.confidence, finding  # a relationship always cites its fact
        if finding.rule == "separately-reportable":
            assert finding.sources and finding.confidence and finding.severity == "info", finding
