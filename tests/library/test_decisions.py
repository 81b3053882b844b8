"""Which pairs of codes the library must decide (a family's ``decide_with``), and which of them no
fact decides (:meth:`cptref.library.catalog.Catalog.undecided`): on a made-up library, so that each rule of
the definition is seen on its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from cptref.library.catalog import Catalog, read_catalog
from cptref.library.lint import validate

SOURCES = """\
- id: test-book
  title: A made-up coding book used by the tests
  url: https://example.org/test-book
  kind: official
"""

FAMILIES = """\
- id: fam-a
  title: Family A, whose pairs and whose pairs with family B must be decided
  ranges: ["0101X-0104X"]
  not_with:
    - codes: ["0201X"]
      reason: made up for the test
      sources: [test-book]
      confidence: high
  decide_with: [fam-a, fam-b]
- id: fam-b
  title: Family B, which asks for nothing itself
  ranges: ["0201X-0203X"]
- id: fam-c
  title: Family C, which no family names
  ranges: ["0301X"]
"""


def _record(code: str, family: str | None, extra: str = "", status: str = "active") -> str:
    lines = [f'code: "{code}"', f"status: {status}", f"title: Made-up procedure {code}"]
    lines += [f"descriptor: A made-up procedure, {code}.", "section: [Testing]"]
    if family:
        lines.append(f"family: {family}")
    return "\n".join(lines) + "\n" + extra


RECORDS = {
    "0101X": _record(
        "0101X",
        "fam-a",
        'includes:\n  - what: the second widget step\n    codes: ["0102X"]\n    sources: [test-book]\n'
        "    confidence: high\n",
    ),
    "0102X": _record("0102X", "fam-a"),
    "0103X": _record(
        "0103X",
        "fam-a",
        'add_on:\n  primaries: ["0101X"]\n  sources: [test-book]\n  confidence: high\n',
    ),
    "0104X": _record("0104X", "fam-a", 'replaced_by: ["0101X"]\n', status="deleted"),
    "0201X": _record("0201X", "fam-b"),
    "0202X": _record(
        "0202X",
        "fam-b",
        'report_with:\n  - what: the second widget step\n    codes: ["0102X"]\n    sources: [test-book]\n'
        "    confidence: low\n",
    ),
    "0203X": _record("0203X", "fam-b"),
    "0301X": _record("0301X", "fam-c"),
    "0401X": _record("0401X", None),
}
ALL = list(RECORDS)


def _write(root: Path, families: str = FAMILIES) -> Path:
    (root / "procedures").mkdir(parents=True)
    (root / "sources.yaml").write_text(SOURCES)
    (root / "families.yaml").write_text(families)
    for code, text in RECORDS.items():
        (root / "procedures" / f"{code}.yaml").write_text(text)
    return root


@pytest.fixture
def library(tmp_path: Path) -> Catalog:
    catalog, problems = read_catalog(_write(tmp_path / "data"))
    assert problems == []
    return catalog


def test_the_undecided_pairs_are_those_expected_that_no_fact_decides(library: Catalog) -> None:
    # fam-a with itself: 0101X includes 0102X, 0103X is an add-on of 0101X; 0102X-0103X is left.
    # fam-a with fam-b: fam-a's own not_with names 0201X for every member; 0202X reports 0102X with it.
    # fam-b's pairs, fam-c, a deleted record (0104X) and a code of no family (0401X): none expected.
    assert library.undecided(ALL) == [
        ("0101X", "0202X"),
        ("0101X", "0203X"),
        ("0102X", "0103X"),
        ("0102X", "0203X"),
        ("0103X", "0202X"),
        ("0103X", "0203X"),
    ]


def test_each_pair_comes_once_in_the_order_the_codes_are_given(library: Catalog) -> None:
    assert library.undecided(["0203X", "0102X", "0203X", "0102X"]) == [("0203X", "0102X")]
    assert library.undecided(["0102X"]) == []
    assert library.undecided([]) == []


def test_a_code_without_a_record_is_never_in_an_undecided_pair(library: Catalog) -> None:
    assert library.undecided(["0102X", "9999X", "0203X"]) == [("0102X", "0203X")]


def test_what_a_pair_needs_is_worked_out_once_a_code(library: Catalog) -> None:
    first = library.pair_facts("0101X")
    assert first is not None and first.family == "fam-a"
    assert first.decide_with == frozenset({"fam-a", "fam-b"})
    assert first.named == frozenset({"0102X", "0201X"})  # its own includes and its family's not_with
    assert library.pair_facts("0101X") is first
    assert library.pair_facts("0103X") is not None and "0101X" in library.pair_facts("0103X").named  # type: ignore[union-attr]
    for code in ("0104X", "0401X", "9999X"):
        assert library.pair_facts(code) is None


def test_a_family_naming_an_unknown_family_or_one_twice_is_a_problem(tmp_path: Path) -> None:
    families = FAMILIES.replace("decide_with: [fam-a, fam-b]", "decide_with: [fam-a, fam-b, fam-b, fam-x]")
    report = validate(_write(tmp_path / "data", families))
    found = {(p.field, p.severity, p.message) for p in report.problems}
    assert ("$[fam-a].decide_with[3]", "error", "unknown family 'fam-x'") in found
    assert ("$[fam-a].decide_with[2]", "warning", "family 'fam-b' is named twice") in found
    assert validate(tmp_path / "data", strict=True).errors


def test_a_family_id_that_is_not_one_is_refused_by_the_loader(tmp_path: Path) -> None:
    families = FAMILIES.replace("decide_with: [fam-a, fam-b]", "decide_with: [Fam A]")
    _, problems = read_catalog(_write(tmp_path / "data", families))
    [problem] = [p for p in problems if p.file.endswith("families.yaml")]
    assert problem.field == "$[0].decide_with[0]" and "matching regex" in problem.message


def test_the_made_up_library_validates(tmp_path: Path) -> None:
    report = validate(_write(tmp_path / "data"), strict=True)
    assert [str(p) for p in report.problems] == []


# --- the shipped library --------------------------------------------------------------------------

UNDECIDED = Path(__file__).resolve().parent.parent / "data" / "undecided_pairs.yaml"
README = Path(__file__).resolve().parent.parent.parent / "README.md"


def _listed_undecided() -> list[dict[str, object]]:
    import yaml

    entries: list[dict[str, object]] = yaml.safe_load(UNDECIDED.read_text(encoding="utf-8"))
    return entries


def _pair(entry: dict[str, object]) -> tuple[str, str]:
    codes = entry["pair"]
    assert isinstance(codes, list) and len(codes) == 2, entry
    return (str(codes[0]), str(codes[1]))


def test_every_undecided_pair_of_the_shipped_library_is_listed_with_a_reason() -> None:
    """The shipped families ask for pairs to be decided (decide_with); each pair no fact decides is in
    tests/data/undecided_pairs.yaml with the reason no source decides it, and every listed pair is
    still undecided: deciding a pair, or leaving a new one undecided, means updating the list."""
    from cptref.library.catalog import load_catalog
    from tests.conftest import DATA

    catalog = load_catalog(DATA)
    entries = _listed_undecided()
    for entry in entries:
        reason = entry.get("reason")
        assert isinstance(reason, str) and reason.strip() and "\n" not in reason.strip(), entry
    listed = [_pair(entry) for entry in entries]
    assert len(listed) == len(set(listed)), "a pair is listed twice"
    actual = catalog.undecided(sorted(catalog.codes()))
    assert sorted(set(actual) - set(listed)) == [], "undecided pairs missing from the list"
    assert sorted(set(listed) - set(actual)) == [], "listed pairs that a fact now decides (or no longer expected)"
    assert listed == actual, "keep the list in the order Catalog.undecided gives"


def test_the_named_pairs_of_the_review_are_decided_or_listed() -> None:
    """The pairs round 3's reviewers found undecided: each is now decided by a fact, or listed."""
    from cptref.library.catalog import load_catalog
    from tests.conftest import DATA

    catalog = load_catalog(DATA)
    listed = {_pair(entry) for entry in _listed_undecided()}
    decided = {("52332", "52353"), ("52351", "52353"), ("47534", "47538"), ("47535", "47536")}
    decided |= {("47555", "47556"), ("50081", "50432")}
    still = {("50432", "50433"), ("50433", "50694"), ("47490", "47531")}
    for pair in decided:
        assert catalog.undecided(pair) == [], pair
    for pair in still:
        assert catalog.undecided(pair) == [pair] and pair in listed, pair


def test_readme_states_how_many_pairs_are_undecided() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The data", 1)[1].split("\n## ", 1)[0]
    assert f"{len(_listed_undecided())} undecided pairs" in section
