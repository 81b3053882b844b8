"""Search: the words coders type for what records say otherwise (shorthand, anatomy, actions)."""

from __future__ import annotations

import pytest

from cptref.catalog import Catalog, load_catalog
from cptref.models import Procedure
from cptref.search import ALIASES, parse_query, search
from cptref.store import MemoryStore
from cptref.text import STOPWORDS, words

from .conftest import DATA


@pytest.fixture(scope="module")
def real() -> Catalog:
    return load_catalog(DATA)


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
def test_shorthand_coders_type(real: Catalog, query: str, first: str) -> None:
    assert codes(real, query)[0] == first


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
def test_anatomy_as_coders_name_it(real: Catalog, query: str, first: str) -> None:
    assert codes(real, query)[0] == first


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
