"""Search: the words coders type for what records say otherwise (shorthand, anatomy, actions)."""

from __future__ import annotations

import pytest

from cptref.library.catalog import Catalog
from cptref.library.stores import MemoryStore
from cptref.model.records import Procedure
from cptref.model.words import STOPWORDS, words
from cptref.search import parse_query, search
from cptref.search.vocabulary import ALIASES


def codes(catalog: Catalog, query: str, limit: int = 10) -> list[str]:
    return [r.code for r in search(catalog, query, limit=limit)]


def test_aliases_are_short_words_of_our_own() -> None:
    for typed, aliases in ALIASES.items():
        assert typed == typed.lower() and typed.split()[0] not in STOPWORDS, typed
        for alias in aliases:
            assert 1 <= len(words(alias)) <= 4, alias


def test_a_phrase_of_the_table_is_one_term() -> None:
    assert [t.text for t in parse_query("common bile duct stone")] == ["common bile duct", "stone"]
    assert [t.text for t in parse_query("Left Hepatic Ducts drain")] == ["left hepatic ducts", "drain"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("neph tube exchange", "50435"),
        ("PCN removal", "50389"),
        ("NU catheter placement", "50433"),
        ("convert PCN to NU", "50434"),
        ("ext biliary drain placement", "47533"),
        ("int/ext biliary drain placement", "47534"),
        ("bx bile duct percutaneous", "47543"),
        ("URS UPJ stricture", "52345"),
        ("sphinc balloon", "47542"),
    ],
)
def test_shorthand_coders_type(shipped: Catalog, query: str, first: str) -> None:
    assert codes(shipped, query)[0] == first


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("CBD stone removal percutaneous", "47544"),
        ("common bile duct biopsy", "47543"),
        ("left hepatic duct drain internal external", "47534"),
        ("right hepatic duct stent existing access", "47538"),
        ("renal pelvis stone percutaneous complex", "50081"),
        ("UPJ obstruction ureteroscopy", "52345"),
        ("ureteropelvic junction stricture", "52345"),
        ("sphincter of oddi balloon dilation", "47542"),
    ],
)
def test_anatomy_as_coders_name_it(shipped: Catalog, query: str, first: str) -> None:
    assert codes(shipped, query)[0] == first


def test_a_part_finds_records_of_the_whole_organ_after_those_of_the_part(shipped: Catalog) -> None:
    found = codes(shipped, "UPJ balloon dilation", limit=5)
    assert found[0] == "52345"  # says ureteropelvic junction
    assert "50706" in found[:3]  # a ureteral stricture dilation: the UPJ is where ureter meets kidney
    assert codes(shipped, "UPJ")[0] == "52345"


def test_an_alias_ranks_the_record_that_says_it_the_other_way() -> None:
    store = MemoryStore(
        [
            Procedure(code="0001X", status="active", title="Gizmo catheter exchange", descriptor="x.", section=("T",)),
            Procedure(code="0002X", status="active", title="Gizmo scan", descriptor="x.", section=("T",)),
        ],
        {},
        {},
    )
    assert codes(Catalog(store), "gizmo tube")[0] == "0001X"


# --- the action a query names --------------------------------------------------------------------


def made_up_actions() -> Catalog:
    titles = {
        "0001X": "Widget drain placement",
        "0002X": "Widget drain exchange",
        "0003X": "Widget drain removal",
        "0004X": "Widget drain conversion to a gizmo drain",
        "0005X": "Widget drain study",
    }
    # every descriptor names every action, as descriptors do ("removal of the old drain and ...")
    descriptor = "Covers placement, removal, exchange and conversion steps."
    records = [
        Procedure(code=code, status="active", title=title, descriptor=descriptor, section=("T",))
        for code, title in titles.items()
    ]
    return Catalog(MemoryStore(records, {}, {}))


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("widget drain placement", "0001X"),
        ("put in widget drain", "0001X"),
        ("insert widget drain", "0001X"),
        ("change widget drain", "0002X"),
        ("replace widget drain", "0002X"),
        ("widget drain removal and replacement", "0002X"),
        ("pull widget drain", "0003X"),
        ("remove widget drain", "0003X"),
        ("convert widget drain", "0004X"),
    ],
)
def test_the_action_named_comes_first(query: str, first: str) -> None:
    found = codes(made_up_actions(), query)
    assert found[0] == first
    assert found.index("0005X") < found.index(next(c for c in ("0001X", "0002X", "0003X", "0004X") if c != first))


def test_a_negated_action_is_not_the_action_asked_for() -> None:
    terms = parse_query("stent removal no replacement")
    assert [t.action for t in terms] == [None, "removal", None]


@pytest.mark.parametrize(
    ("query", "first", "below"),
    [
        ("biliary drain exchange", "47536", ["47533", "47534", "47535"]),
        ("remove nephrostomy tube", "50389", ["50435", "50432"]),
        ("nephrostomy tube removal", "50389", ["50435", "50432"]),
        ("replace biliary drain", "47536", ["47533", "47534", "47537"]),
        ("pull biliary drain", "47537", ["47533", "47534", "47536"]),
        ("insert nephrostomy tube", "50432", ["50389", "50435"]),
        ("internalize biliary drain", "47535", ["47533", "47534", "47536"]),
        ("remove ureteral stent through nephrostomy tract", "50384", ["50382", "50693"]),
        ("exchange ureteral stent through nephrostomy tract", "50382", ["50384", "50693"]),
    ],
)
def test_the_action_named_ranks_above_other_actions_on_the_same_object(
    shipped: Catalog, query: str, first: str, below: list[str]
) -> None:
    found = codes(shipped, query, limit=30)
    assert found[0] == first
    assert all(found.index(code) > found.index(first) for code in below if code in found)


def test_an_alias_half_matched_is_not_the_alias() -> None:
    titles = {"0001X": "Gizmo clamp", "0002X": "Gizmo duct clamp", "0003X": "Bile duct gizmo clamp"}
    store = MemoryStore(
        [Procedure(code=c, status="active", title=t, descriptor="x.", section=("T",)) for c, t in titles.items()],
        {},
        {},
    )
    # "biliary" may be written "bile duct"; a record that says "duct" alone is no closer to it
    assert codes(Catalog(store), "biliary gizmo clamp") == ["0003X", "0001X", "0002X"]
