"""The catalog: look-ups, derived relations, family rules, and integrity across files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cptref.errors import DataErrors, MalformedCode, UnknownCode
from cptref.library.catalog import load_catalog, load_for, read_catalog
from cptref.model.codes import normalize_code
from cptref.output.to_documents import show_document
from tests.conftest import DATA, GOOD


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog(GOOD)


def test_get_accepts_loose_spelling_and_rejects_malformed(catalog) -> None:  # type: ignore[no-untyped-def]
    assert catalog.get(" 0001x ").code == "0001X"
    for bad in ("0001", "abcde", "４７５５５", "000011", ""):
        with pytest.raises(MalformedCode):
            normalize_code(bad)


def test_unknown_code_suggests_the_nearest_known_codes(catalog) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownCode) as caught:
        catalog.get("0009X")
    assert caught.value.suggestions[0] == "0005X"
    assert "0009X is not in cptref's library" in str(caught.value)


def test_addons_are_derived_from_the_addon_records(catalog) -> None:  # type: ignore[no-untyped-def]
    assert [d.code for d in catalog.derived("addon", "0001X")] == ["0002X"]
    assert catalog.derived("addon", "0002X") == []


def test_family_rules_apply_to_every_member_and_say_so(catalog) -> None:  # type: ignore[no-untyped-def]
    rules = catalog.includes(catalog.get("0002X"))
    assert [(r.rule.codes, r.family) for r in rules] == [(("0003X",), "test-widgets")]
    assert catalog.includes(catalog.get("0005X")) == []


def test_imaging_code_knows_who_includes_it_and_who_reports_it_separately(catalog) -> None:  # type: ignore[no-untyped-def]
    assert [d.code for d in catalog.derived("included_in", "0003X")] == ["0001X", "0002X"]
    separately = catalog.derived("reported_separately_with", "0003X")
    assert [(d.code, d.confidence) for d in separately] == [("0005X", "low")]


def test_not_with_and_replacement_are_seen_from_both_sides(catalog) -> None:  # type: ignore[no-untyped-def]
    assert [(d.code, d.scope) for d in catalog.derived("excluded_by", "0005X")] == [("0001X", "same session")]
    assert [d.code for d in catalog.derived("replaces", "0001X")] == ["0004X"]
    assert catalog.get("0004X").replaced_by == ("0001X",)


def copy_good(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(GOOD, target)
    return target


def test_integrity_problems_across_files_are_all_reported(tmp_path: Path) -> None:
    root = copy_good(tmp_path)
    procs = root / "procedures"
    text = (procs / "0003X.yaml").read_text()
    (procs / "0003X.yaml").write_text(
        text + "family: no-such-family\nrelated: ['0003X']\nreplaced_by: ['0001X']\n"
        "includes:\n  - what: x\n    sources: [nobody]\n    confidence: high\n"
    )
    (procs / "0006X.yaml").write_text((procs / "0005X.yaml").read_text())  # same code, other file
    _, problems = read_catalog(root)
    text_of = [str(p) for p in problems]
    assert any("0003X.yaml: $.family: unknown family 'no-such-family'" in t for t in text_of)
    assert any("0003X.yaml: $.related: a record names itself" in t for t in text_of)
    assert any("0003X.yaml: $.replaced_by: only a deleted record" in t for t in text_of)
    assert any("$.includes[0].sources[0]: unknown source id 'nobody'" in t for t in text_of)
    assert any("0006X.yaml: $.code" in t and "does not match the file name" in t for t in text_of)
    with pytest.raises(DataErrors) as caught:
        load_catalog(root)
    assert len(caught.value.problems) == len(problems) >= 5


def test_a_missing_data_directory_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataErrors) as caught:
        load_catalog(tmp_path / "missing")
    assert "does not exist" in str(caught.value.problems[0])


@pytest.mark.parametrize("root", [GOOD, DATA], ids=["fixtures", "shipped"])
def test_loading_only_what_show_needs_gives_the_same_answer_as_loading_everything(root: Path) -> None:
    whole = load_catalog(root)
    for code in whole.codes():
        part = load_for([code], root)
        assert show_document(part, [part.get(code)]) == show_document(whole, [whole.get(code)]), code
        assert len(part) <= len(whole)


def test_load_for_an_unknown_code_suggests_neighbours_from_the_file_names() -> None:
    with pytest.raises(UnknownCode) as caught:
        load_for(["0009X"], GOOD)
    assert caught.value.suggestions[0] == "0005X"
