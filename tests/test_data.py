"""The shipped library: it loads cleanly, it says what the sources say, and its words are its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cptref.catalog import Catalog, load_catalog, read_catalog
from cptref.loader import procedure_paths

from .conftest import DATA, ROOT

SEEDS = ("47555", "47542", "47541", "50436", "50706")
COPYCHECK = ROOT.parent / "shared" / "tools" / "copycheck.py"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(DATA)


def test_every_shipped_file_loads_with_no_problem() -> None:
    paths = procedure_paths(DATA)
    assert paths, "no record files found"
    catalog, problems = read_catalog(DATA)
    assert [str(p) for p in problems] == []
    assert len(catalog) == len(paths)


def test_the_seed_codes_are_in_the_library(catalog: Catalog) -> None:
    for code in SEEDS:
        assert catalog.get(code).status == "active"


def test_every_record_has_its_own_descriptor_and_a_short_title(catalog: Catalog) -> None:
    for record in catalog:
        assert len(record.title) <= 100
        assert record.descriptor.strip()
        assert record.descriptor != record.title


def test_add_on_facts_match_the_sources(catalog: Catalog) -> None:
    r47542 = catalog.get("47542")
    assert r47542.add_on is not None and r47542.add_on.confidence == "high"
    assert r47542.units == "each duct"
    assert r47542.add_on.primaries == ()  # no source we read lists them: left out, not guessed
    r50706 = catalog.get("50706")
    assert r50706.add_on is not None and r50706.add_on.confidence == "low"  # the list rests on an AI page
    assert {"50382", "50432", "50693", "50694", "50695"} <= set(r50706.add_on.primaries)
    for code in ("47555", "47541", "50436"):
        assert catalog.get(code).add_on is None


def test_47555_reports_74360_separately_at_low_confidence_only(catalog: Catalog) -> None:
    rules = [e.rule for e in catalog.report_with(catalog.get("47555")) if "74360" in e.rule.codes]
    assert [r.confidence for r in rules] == ["low"]
    assert rules[0].note and "74363" in rules[0].note


def test_years_and_global_periods_follow_the_corrected_facts(catalog: Catalog) -> None:
    assert [(h.year, h.change) for h in catalog.get("50436").history] == [(2019, "added")]
    for code in ("47555", "47541", "50436"):
        medicare = catalog.get(code).medicare
        assert medicare is not None and medicare.global_period == "000"
    r50706 = catalog.get("50706").medicare
    assert r50706 is not None and (r50706.global_period, r50706.mue) == ("ZZZ", 2)


def test_every_cited_source_has_an_address_or_is_a_seed_page(catalog: Catalog) -> None:
    for source in catalog.sources.values():
        assert source.url or source.kind == "seed", source.id


@pytest.mark.skipif(not COPYCHECK.is_file(), reason="the shared copy checker is not beside this checkout")
def test_no_run_of_ten_words_is_copied_from_a_seed_page() -> None:
    proc = subprocess.run([sys.executable, str(COPYCHECK), str(ROOT)], capture_output=True, text=True, timeout=120)
    assert proc.stdout == "", proc.stdout
    assert proc.returncode == 0


FACTS = ROOT.parent / "shared" / "reference" / "facts.yaml"


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, object]]:
    if not FACTS.is_file():
        pytest.skip("the shared reference facts are not beside this checkout")
    import yaml

    loaded = yaml.safe_load(FACTS.read_text())
    codes: dict[str, dict[str, object]] = loaded["codes"]
    return codes


def _high(fact: object) -> dict[str, object] | None:
    return fact if isinstance(fact, dict) and fact.get("confidence") == "high" else None


def test_every_code_of_the_reference_facts_has_a_record(catalog: Catalog, facts: dict[str, dict[str, object]]) -> None:
    assert sorted(set(facts) - set(catalog.codes())) == []


def test_high_confidence_facts_are_represented_and_not_contradicted(
    catalog: Catalog, facts: dict[str, dict[str, object]]
) -> None:
    import re

    checked = 0
    for code, fact in facts.items():
        record = catalog.get(code)
        if add_on := _high(fact.get("add_on")):
            assert (record.add_on is not None) == bool(add_on["value"]), code
            checked += 1
        if history := _high(fact.get("history")):
            text = str(history["value"])
            year = int(re.findall(r"20\d\d", text)[0])
            change = "revised" if "revised" in text.lower() else "added"
            assert (year, change) in [(h.year, h.change) for h in record.history], code
            checked += 1
        if _high(fact.get("units")):
            assert record.units, code
            checked += 1
        if _high(fact.get("imaging_bundled")):
            assert catalog.includes(record), code
            checked += 1
        if (included := _high(fact.get("imaging_included"))) and str(included["value"]).startswith("No"):
            assert not any(e.rule.codes for e in catalog.includes(record)), code
            checked += 1
        if reported := _high(fact.get("reported_with")):
            named = set(re.findall(r"\b\d{5}\b", str(reported["value"]))) - {code}
            stated = {c for e in catalog.report_with(record) for c in e.rule.codes}
            seen_from_other_side = {d.code for d in catalog.derived("reported_separately_with", code)}
            assert named <= stated | seen_from_other_side, code
            checked += 1
    assert checked >= 50


def test_every_relationship_resolves_to_a_record_and_reads_the_same_both_ways(catalog: Catalog) -> None:
    for record in catalog:
        if record.add_on:
            for primary in record.add_on.primaries:
                assert primary in catalog, (record.code, primary)
                assert record.code in [d.code for d in catalog.derived("addon", primary)]
        for eff in catalog.includes(record):
            for code in eff.rule.codes:
                assert code in catalog, (record.code, code)
                assert record.code in [d.code for d in catalog.derived("included_in", code)]
        for eff in catalog.report_with(record):
            for code in eff.rule.codes:
                assert code in catalog, (record.code, code)
                assert record.code in [d.code for d in catalog.derived("reported_separately_with", code)]
        for nw in catalog.not_with(record):
            for code in nw.rule.codes:
                assert code in catalog, (record.code, code)
                assert record.code in [d.code for d in catalog.derived("excluded_by", code)]
        for code in (*record.replaced_by, *record.related):
            assert code in catalog, (record.code, code)
        for code in record.replaced_by:
            assert record.code in [d.code for d in catalog.derived("replaces", code)]
        # and back: every derived view points at a record that states the fact
        for relation in ("addon", "included_in", "reported_separately_with", "excluded_by", "replaces"):
            for derived in catalog.derived(relation, record.code):
                assert derived.code in catalog


def test_deleted_records_name_their_replacement_or_say_why_not(catalog: Catalog) -> None:
    deleted = [r for r in catalog if r.status == "deleted"]
    assert {"74363", "74320", "50394"} <= {r.code for r in deleted}
    for record in deleted:
        assert record.replaced_by or record.note, record.code
    assert catalog.get("74320").replaced_by == ("47532",)
    assert catalog.get("50394").replaced_by == ("50431",)
