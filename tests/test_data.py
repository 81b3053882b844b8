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
    assert r50706.add_on is not None and r50706.add_on.confidence == "medium"
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
