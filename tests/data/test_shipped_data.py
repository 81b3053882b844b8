"""The shipped library: it loads cleanly, it says what the sources say, and its words are its own.

Everything these tests read is inside the repository: the reference facts and the hashes of the
seed pages live in ``tests/data/reference``, so the tests run the same in a fresh clone.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cptref.library.catalog import Catalog, read_catalog
from cptref.library.read import procedure_paths
from cptref.model.records import Family, Procedure
from tests.conftest import DATA, ROOT

SEEDS = ("47555", "47542", "47541", "50436", "50706")
REFERENCE = Path(__file__).resolve().parent / "reference"
FACTS = REFERENCE / "facts.yaml"
SHINGLES = REFERENCE / "seed_shingles.txt"
UNCODED = Path(__file__).resolve().parent / "uncoded_facts.yaml"


def test_every_shipped_file_loads_with_no_problem() -> None:
    paths = procedure_paths(DATA)
    assert paths, "no record files found"
    catalog, problems = read_catalog(DATA)
    assert [str(p) for p in problems] == []
    assert len(catalog) == len(paths)


def test_the_seed_codes_are_in_the_library(shipped: Catalog) -> None:
    for code in SEEDS:
        assert shipped.get(code).status == "active"


def test_every_record_has_its_own_descriptor_and_a_short_title(shipped: Catalog) -> None:
    for record in shipped:
        assert len(record.title) <= 100
        assert record.descriptor.strip()
        assert record.descriptor != record.title


def test_add_on_facts_match_the_sources(shipped: Catalog) -> None:
    r47542 = shipped.get("47542")
    assert r47542.add_on is not None and r47542.add_on.confidence == "high"
    assert r47542.units == "each duct"
    # CMS's AOC file for 2026Q2: the access, drain and rendezvous codes, not the stent codes
    assert r47542.add_on.primaries == ("47531", "47532", "47533", "47534", "47535", "47536", "47537", "47541")
    r50706 = shipped.get("50706")
    assert r50706.add_on is not None and r50706.add_on.confidence == "high"
    assert r50706.add_on.primaries_confidence is None  # the official list replaced the AI page's
    assert {"50382", "50432", "50693", "50694", "50695"} <= set(r50706.add_on.primaries)
    r47543 = shipped.get("47543").add_on
    assert r47543 is not None and r47543.confidence == "high"  # the AOC file says it is an add-on
    r74425 = shipped.get("74425").add_on
    assert r74425 is not None and r74425.primaries == ("50390",)
    for code in ("47555", "47541", "50436"):
        assert shipped.get(code).add_on is None


def test_add_ons_read_from_an_official_aoc_table_list_every_primary(shipped: Catalog) -> None:
    """An add-on whose primaries cite an AOC table names its primaries and is as sure of them as of its
    status; a primary with no record is allowed only there (77002's official list names 72 needle
    procedures, of which only 50390 has a record: a partial list would stop claims with an unlisted
    primary, so the whole list is kept)."""
    official = {s.id for s in shipped.sources.values() if s.table is not None and s.table.kind == "aoc"}
    assert official, "no AOC table source"
    cited = [r for r in shipped if r.add_on and official & set(r.add_on.sources)]
    assert {r.code for r in cited} == {"47542", "47543", "47544", "50606", "50705", "50706", "74425", "77002"}
    for record in cited:
        assert record.add_on is not None
        assert record.add_on.primaries and record.add_on.primaries_confidence is None, record.code
        assert record.add_on.confidence == "high", record.code
        if record.code != "77002":
            assert all(code in shipped for code in record.add_on.primaries), record.code
    r77002 = shipped.get("77002").add_on
    assert r77002 is not None and len(r77002.primaries) == 72 and "50390" in r77002.primaries
    assert [c for c in r77002.primaries if c in shipped] == ["50390"]
    assert "77002" in [d.code for d in shipped.derived("addon", "50390")]


def test_47555_reports_74360_separately_at_low_confidence_only(shipped: Catalog) -> None:
    rules = [e.rule for e in shipped.report_with(shipped.get("47555")) if "74360" in e.rule.codes]
    assert [r.confidence for r in rules] == ["low"]
    assert rules[0].note and "74363" in rules[0].note


def test_years_and_global_periods_follow_the_corrected_facts(shipped: Catalog) -> None:
    assert [(h.year, h.change) for h in shipped.get("50436").history] == [(2019, "added")]
    for code in ("47555", "47541", "50436"):
        medicare = shipped.get(code).medicare
        assert medicare is not None and medicare.global_period == "000"
    r50706 = shipped.get("50706").medicare
    assert r50706 is not None and (r50706.global_period, r50706.mue) == ("ZZZ", 2)


def test_every_cited_source_has_an_address_or_is_a_seed_page(shipped: Catalog) -> None:
    """A source has an address, unless it is one of the saved seed pages (``seed-NNN``): seeds 001-003
    are GenHealth pages whose addresses spell out the AMA descriptor, so none is written."""
    for source in shipped.sources.values():
        assert source.url or source.id.startswith("seed-"), source.id


def test_the_genhealth_seed_pages_count_as_ai_generated(shipped: Catalog) -> None:
    """Seeds 001-003 are word for word GenHealth's AI-generated pages: a fact only they support is low."""
    for sid in ("seed-001", "seed-002", "seed-003"):
        assert shipped.sources[sid].kind == "ai-generated", sid
    for sid in ("seed-000", "seed-004"):
        assert shipped.sources[sid].kind == "seed", sid


WORD = re.compile(r"[a-z0-9]+")
RUN = 10
TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".md", ".txt", ".toml", ".json", ".csv"}


def _run_hash(words: list[str]) -> str:
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).hexdigest()


def _repository_text_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.splitlines()
        files = [ROOT / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: every file under the root
        files = [p for p in ROOT.rglob("*") if ".git" not in p.parts and ".venv" not in p.parts]
    return [p for p in files if p.suffix in TEXT_SUFFIXES and p.is_file()]


@pytest.mark.slow
def test_no_run_of_ten_words_is_copied_from_a_seed_page() -> None:
    """No text file of the repository repeats ten words in a row of a seed page.

    The seed pages (licensed descriptor text and other sites' prose) are not shipped. Instead
    ``tests/data/reference/seed_shingles.txt`` holds one line per distinct run of ten consecutive words
    of the five pages, made once from the pages: each page's text is lower-cased and split into
    words with the regular expression ``[a-z0-9]+`` (anything else separates words), every run of
    ten consecutive words is joined with single spaces, encoded as UTF-8 and hashed with BLAKE2b
    at an 8-byte digest, written as 16 hex digits; lines starting with ``#`` are comments. This
    test hashes every run of ten words of every text file git lists (tracked, or new and not
    ignored) the same way and fails on a match, naming the file.
    """
    seeds = {line.strip() for line in SHINGLES.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert len(seeds) > 1000, "the seed hashes are missing"
    copied = []
    for path in _repository_text_files():
        try:
            words = WORD.findall(path.read_text(encoding="utf-8").lower())
        except (UnicodeDecodeError, OSError):
            continue
        hits = sum(1 for i in range(len(words) - RUN + 1) if _run_hash(words[i : i + RUN]) in seeds)
        if hits:
            copied.append(f"{path.relative_to(ROOT)}: {hits} run(s) of {RUN} words from a seed page")
    assert copied == []


def test_the_copy_check_finds_a_copied_run() -> None:
    """A positive control: a sentence of seed page 004, kept here with its words in reverse order
    (so that this file copies nothing), is found once put back in order."""
    seeds = set(SHINGLES.read_text().splitlines())
    backwards = "bladder the to kidneys the from urine carries that tube a is ureter the"
    words = WORD.findall(backwards)[::-1]
    assert any(_run_hash(words[i : i + RUN]) in seeds for i in range(len(words) - RUN + 1))


@pytest.fixture(scope="module")
def facts() -> dict[str, dict[str, object]]:
    import yaml

    loaded = yaml.safe_load(FACTS.read_text())
    codes: dict[str, dict[str, object]] = loaded["codes"]
    return codes


def _high(fact: object) -> dict[str, object] | None:
    return fact if isinstance(fact, dict) and fact.get("confidence") == "high" else None


def test_every_code_of_the_reference_facts_has_a_record(shipped: Catalog, facts: dict[str, dict[str, object]]) -> None:
    assert sorted(set(facts) - set(shipped.codes())) == []


def test_high_confidence_facts_are_represented_and_not_contradicted(
    shipped: Catalog, facts: dict[str, dict[str, object]]
) -> None:
    import re

    checked = 0
    for code, fact in facts.items():
        record = shipped.get(code)
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
            assert shipped.includes(record), code
            checked += 1
        if (included := _high(fact.get("imaging_included"))) and str(included["value"]).startswith("No"):
            imaging = [c for e in shipped.includes(record) for c in e.rule.codes if re.fullmatch(r"7\d{4}", c)]
            assert not imaging, code  # no radiology code (70010-79999) is folded into it
            checked += 1
        if reported := _high(fact.get("reported_with")):
            named = set(re.findall(r"\b\d{5}\b", str(reported["value"]))) - {code}
            stated = {c for e in shipped.report_with(record) for c in e.rule.codes}
            seen_from_other_side = {d.code for d in shipped.derived("reported_separately_with", code)}
            assert named <= stated | seen_from_other_side, code
            checked += 1
    assert checked >= 50


def test_every_relationship_resolves_to_a_record_and_reads_the_same_both_ways(shipped: Catalog) -> None:
    for record in shipped:
        if record.add_on:
            for primary in record.add_on.primaries:
                if primary not in shipped:  # an official AOC table's list names codes the library lacks
                    assert record.code == "77002", (record.code, primary)
                    continue
                assert record.code in [d.code for d in shipped.derived("addon", primary)]
        for eff in shipped.includes(record):
            for code in eff.rule.codes:
                assert code in shipped, (record.code, code)
                assert record.code in [d.code for d in shipped.derived("included_in", code)]
        for eff in shipped.report_with(record):
            for code in eff.rule.codes:
                assert code in shipped, (record.code, code)
                assert record.code in [d.code for d in shipped.derived("reported_separately_with", code)]
        for nw in shipped.not_with(record):
            for code in nw.rule.codes:
                assert code in shipped, (record.code, code)
                assert record.code in [d.code for d in shipped.derived("excluded_by", code)]
        for code in (*record.replaced_by, *record.related):
            assert code in shipped, (record.code, code)
        for code in record.replaced_by:
            assert record.code in [d.code for d in shipped.derived("replaces", code)]
        # and back: every derived view points at a record that states the fact
        for relation in ("addon", "included_in", "reported_separately_with", "excluded_by", "replaces"):
            for derived in shipped.derived(relation, record.code):
                assert derived.code in shipped


def test_deleted_records_name_their_replacement_or_say_why_not(shipped: Catalog) -> None:
    deleted = [r for r in shipped if r.status == "deleted"]
    assert {"74363", "74320", "50394"} <= {r.code for r in deleted}
    for record in deleted:
        assert record.replaced_by or record.note, record.code
    assert shipped.get("74320").replaced_by == ("47532",)
    assert shipped.get("50394").replaced_by == ("50431",)
    assert shipped.get("47511").replaced_by == ("47534", "47538", "47539", "47540")  # drains and stents
    for code in ("47505", "47510"):  # no source says what replaced them: none is recorded
        assert shipped.get(code).replaced_by == (), code


# --- bundling written as codes ----------------------------------------------------------------------


def _owners(shipped: Catalog) -> Iterator[tuple[str, str, Family | Procedure]]:
    for family_id, family in sorted(shipped.families.items()):
        yield "family", family_id, family
    for record in sorted(shipped, key=lambda r: r.code):
        yield "record", record.code, record


def _uncoded_facts(shipped: Catalog) -> set[tuple[str, str, str, int, str]]:
    found: set[tuple[str, str, str, int, str]] = set()
    for kind, owner, obj in _owners(shipped):
        for field in ("includes", "report_with", "not_with"):
            for index, rule in enumerate(getattr(obj, field)):
                if not rule.codes:  # not_with always names codes (the schema requires them)
                    what = str(getattr(rule, "what", None) or getattr(rule, "reason", ""))
                    found.add((kind, owner, field, index, what))
    return found


def _listed_uncoded() -> list[dict[str, Any]]:
    import yaml

    entries: list[dict[str, Any]] = yaml.safe_load(UNCODED.read_text())
    return entries


def _key(entry: dict[str, Any]) -> tuple[str, str, str, int, str]:
    kind = "family" if "family" in entry else "record"
    return (kind, str(entry[kind]), entry["field"], entry["index"], entry["what"])


def test_every_fact_that_names_no_code_is_listed_with_a_reason(shipped: Catalog) -> None:
    """A bundling fact (includes, report_with, not_with; on a record or a family) names its CPT
    codes, or ``tests/data/uncoded_facts.yaml`` lists it with the reason no code applies."""
    entries = _listed_uncoded()
    for entry in entries:
        assert isinstance(entry.get("reason"), str) and entry["reason"].strip(), entry
        assert "\n" not in entry["reason"].strip(), entry
    listed = [_key(e) for e in entries]
    assert len(listed) == len(set(listed)), "an uncoded fact is listed twice"
    actual = _uncoded_facts(shipped)
    missing = sorted(actual - set(listed))
    stale = sorted(set(listed) - actual)
    assert missing == [], f"facts that name no code and are not listed with a reason: {missing}"
    assert stale == [], f"listed facts that no longer exist (or now name codes): {stale}"


def test_no_rule_names_the_record_it_applies_to(shipped: Catalog) -> None:
    """Family rules apply to every member: none may name a member it applies to."""
    for record in shipped:
        named = [(eff.rule.codes, eff.family) for eff in [*shipped.includes(record), *shipped.report_with(record)]]
        named += [(eff.rule.codes, eff.family) for eff in shipped.not_with(record)]
        for codes, family in named:
            assert record.code not in codes, (record.code, family)


# --- sources ----------------------------------------------------------------------------------------


def _facts_with_sources(shipped: Catalog) -> Iterator[tuple[str, Any]]:
    for kind, owner, obj in _owners(shipped):
        for field in ("includes", "report_with", "not_with", "history"):
            for index, fact in enumerate(getattr(obj, field)):
                yield f"{kind} {owner} {field}[{index}]", fact
        for field in ("add_on", "medicare"):
            fact = getattr(obj, field, None)
            if fact is not None:
                yield f"{kind} {owner} {field}", fact


def test_a_fact_resting_only_on_ai_generated_pages_is_low(shipped: Catalog) -> None:
    for where, fact in _facts_with_sources(shipped):
        kinds = {shipped.sources[s].kind for s in fact.sources}
        if kinds == {"ai-generated"}:
            assert fact.confidence == "low", where


def test_every_source_has_a_real_kind_a_whole_address_and_is_cited(shipped: Catalog) -> None:
    cited = {s for _, fact in _facts_with_sources(shipped) for s in fact.sources}
    cited |= {s for family in shipped.families.values() for s in family.sources}
    text = (DATA / "families.yaml").read_text() + "".join(p.read_text() for p in procedure_paths(DATA))
    for source in shipped.sources.values():
        assert source.kind != "secondary", source.id
        if source.url:
            assert source.url.startswith(("http://", "https://")), source.id
            assert not source.url.endswith(("-", "...", "\u2026")), f"{source.id}: address cut off"
        assert source.id in cited or re.search(rf"\b{re.escape(source.id)}\b", text), f"{source.id} is never cited"


# --- the audit's corrections ------------------------------------------------------------------------


def test_47538_counts_no_stents_and_says_why(shipped: Catalog) -> None:
    record = shipped.get("47538")
    assert record.units is None
    assert "each stent" not in record.title.lower() and "per stent" not in record.descriptor.lower()
    assert record.note and "aapc-partb-biliary-stent" in record.note and "codingahead-47538" in record.note
    for code in ("47539", "47540"):
        assert shipped.get(code).units is None


def test_47537_is_limited_to_removals_needing_fluoroscopic_guidance(shipped: Catalog) -> None:
    record = shipped.get("47537")
    assert "fluoroscopic guidance" in record.title.lower()
    assert record.note and "evaluation and management" in record.note


def test_the_nephrostogram_is_within_the_catheter_and_stent_codes(shipped: Catalog) -> None:
    within = {"50432", "50433", "50434", "50435", "50693", "50694", "50695"}
    for study in ("50430", "50431"):
        excluded = {c for eff in shipped.not_with(shipped.get(study)) for c in eff.rule.codes}
        assert within <= excluded, study
    for code in within:
        named = {c for eff in shipped.includes(shipped.get(code)) for c in eff.rule.codes}
        assert {"50430", "50431"} <= named, code


def test_the_biliary_catheter_and_stent_codes_include_the_cholangiogram(shipped: Catalog) -> None:
    for code in ("47533", "47534", "47535", "47536", "47537", "47538", "47539", "47540", "47541"):
        named = {c for eff in shipped.includes(shipped.get(code)) for c in eff.rule.codes}
        assert {"47531", "47532"} <= named, code


def test_the_global_periods_the_audit_confirmed(shipped: Catalog) -> None:
    for code in ("47531", "47533", "47537", "47556", "50389", "50432"):
        medicare = shipped.get(code).medicare
        assert medicare is not None and medicare.global_period == "000", code


def test_histories_the_audit_corrected(shipped: Catalog) -> None:
    for code in ("50080", "50081"):
        (event,) = [h for h in shipped.get(code).history if h.year == 2023]
        assert event.change == "revised" and event.note and "2 cm" in event.note
    (event,) = shipped.get("50430").history
    assert event.note and "50390" in event.note and "50431" in event.note


# --- round 3's corrections ------------------------------------------------------------------------


def test_pcnl_and_tract_dilation_have_one_answer(shipped: Catalog) -> None:
    """50436 and 50437 are not reported with the PCNL codes (AAPC on the 2023 guidelines, NCCI
    indicator 1), and no rule also says they are reported with them."""
    for pcnl in ("50080", "50081"):
        reported = {c for e in shipped.report_with(shipped.get(pcnl)) for c in e.rule.codes}
        assert not reported & {"50436", "50437"}, pcnl
        excluded = {d.code for d in shipped.derived("excluded_by", pcnl)}
        assert {"50436", "50437"} <= excluded, pcnl
    # 50432 beside a PCNL is contested: both views are kept, each at low confidence
    views = [e.rule.confidence for e in shipped.report_with(shipped.get("50081")) if "50432" in e.rule.codes]
    views += [e.rule.confidence for e in shipped.not_with(shipped.get("50081")) if "50432" in e.rule.codes]
    assert views == ["low", "low"]


def test_ultrasound_needle_guidance_is_the_same_bundle_in_every_family(shipped: Catalog) -> None:
    """Where a family's codes include ultrasound guidance by their descriptor, 76942 is included at the
    same confidence everywhere (no source says otherwise for any of them)."""
    found = {
        family.id: rule.confidence
        for family in shipped.families.values()
        for rule in family.includes
        if "76942" in rule.codes
    }
    assert set(found) >= {"percutaneous-biliary", "percutaneous-renal-access", "percutaneous-ureteral-stent"}
    assert set(found.values()) == {"medium"}


def test_the_nephroureteral_exchange_is_50387_not_in_the_renal_access_range(shipped: Catalog) -> None:
    description = shipped.families["percutaneous-renal-access"].description or ""
    assert "50387" in description
    assert "exchange of a nephrostomy catheter" in description.lower()
    record = shipped.get("50387")
    assert "nephroureteral" in record.title.lower() and record.family == "ureteral-stent-exchange"


def test_code_histories_the_sources_give(shipped: Catalog) -> None:
    assert (2014, "added") in [(h.year, h.change) for h in shipped.get("52356").history]
    for code in ("50693", "50694", "50695", "50606", "50705", "50706"):
        (event,) = shipped.get(code).history
        assert (event.year, event.change, event.confidence) == (2016, "added", "low"), code  # inferred
    assert [(h.year, h.change) for h in shipped.get("74320").history] == [(2016, "deleted")]
