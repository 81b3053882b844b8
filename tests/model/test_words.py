"""Search: negation and shorthand, the same in the records and in the query.

Made-up records, searched in memory and through a compiled index, then the real library.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cptref.errors import NoMatch, UsageError
from cptref.library.catalog import Catalog
from cptref.library.index.build import write_store
from cptref.library.index.reader import IndexStore
from cptref.library.stores import MemoryStore
from cptref.model.records import Procedure
from cptref.model.words import words
from cptref.search import parse_query, search
from tests.conftest import DATA


def record(
    code: str, title: str, descriptor: str = "A made-up procedure.", synonyms: tuple[str, ...] = ()
) -> Procedure:
    return Procedure(
        code=code, status="active", title=title, descriptor=descriptor, section=("Testing",), synonyms=synonyms
    )


RECORDS = [
    record("0001X", "Widget drain placement, no stent"),
    record("0002X", "Widget drain placement with stent"),
    record("0003X", "Widget stent removal", "The stent is taken out without replacement."),
    record("0004X", "Widget stent exchange", "Not an add-on."),
    record("0005X", "Gizmo tube placement, not including imaging"),
    record("0006X", "Gizmo imaging", "Pictures of a gizmo; the version with a stent is 0002X."),
    record("0007X", "Sprocket drain, internal-external", synonyms=("internal/external sprocket drain",)),
    record("0008X", "Sprocket drain, external only"),
]


@pytest.fixture(scope="module", params=["memory", "index"])
def made_up(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Catalog]:
    """The same records parsed in memory and read back from a compiled index."""
    memory = MemoryStore(RECORDS, {}, {})
    if request.param == "memory":
        yield Catalog(memory)
        return
    path: Path = tmp_path_factory.mktemp("index") / "index.sqlite"
    db = sqlite3.connect(path)
    write_store(db, memory, {})
    db.close()
    store = IndexStore.open(path)
    yield Catalog(store)
    store._db.close()


def codes(catalog: Catalog, query: str, limit: int = 10) -> list[str]:
    try:
        return [r.code for r in search(catalog, query, limit=limit)]
    except NoMatch:
        return []


# --- how words are read --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("drain, no stent", ["drain", "~stent"]),
        ("drain without stent", ["drain", "~stent"]),
        ("drain w/o stent", ["drain", "~stent"]),
        ("not including imaging", ["~includ", "~imag"]),
        ("no separate drain", ["~separate", "~drain"]),
        ("without a stent or drain, with a balloon", ["~stent", "~drain", "balloon"]),
        ("no cystoscopy, no replacement", ["~cystoscopy", "~replacement"]),
        ("stent removal no replacement percutaneous", ["stent", "removal", "~replacement", "percutaneous"]),
        ("Not an add-on.", ["~add"]),
    ],
)
def test_a_negation_covers_what_it_negates_and_no_further(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    "text", ["int/ext drain", "int-ext drain", "INT / EXT drain", "I/E drain", "internal/external drain"]
)
def test_internal_external_shorthand_is_spelt_out(text: str) -> None:
    assert words(text) == ["internal", "external", "drain"]


@pytest.mark.parametrize(
    "query",
    ["drain without stent", "drain, no stent", "int/ext drain", "not including imaging", "stent w/o replacement"],
)
def test_the_query_reads_words_as_the_index_does(query: str) -> None:
    assert [t.alternatives[0] for t in parse_query(query)] == [(w,) for w in words(query)]


def test_a_query_of_negations_alone_still_has_words_to_search_for() -> None:
    assert parse_query("no stent")[0].alternatives[0] == ("~stent",)
    with pytest.raises(UsageError):
        parse_query("without")


# --- what a user sees ----------------------------------------------------------------------------


def test_a_record_without_a_stent_is_not_found_for_stent(made_up: Catalog) -> None:
    found = codes(made_up, "stent", limit=20)
    assert "0001X" not in found
    assert {"0002X", "0003X", "0004X"} <= set(found)


def test_what_a_title_negates_is_not_matched_in_the_rest_of_the_record() -> None:
    scan = record("0009X", "Gizmo scan, no stent", "Unlike 0002X, which leaves a stent in, it leaves nothing.")
    catalog = Catalog(MemoryStore([*RECORDS, scan], {}, {}))
    assert "0009X" not in codes(catalog, "stent", limit=20)
    assert codes(catalog, "gizmo stent")[0] == "0006X"  # its descriptor names a stent in passing


def test_no_stent_in_a_query_finds_the_record_that_says_so(made_up: Catalog) -> None:
    assert codes(made_up, "widget drain no stent")[0] == "0001X"
    assert codes(made_up, "widget drain without stent")[0] == "0001X"
    assert codes(made_up, "widget drain with stent")[0] == "0002X"


def test_not_including_imaging_is_not_imaging(made_up: Catalog) -> None:
    assert codes(made_up, "imaging")[0] == "0006X"
    assert "0005X" not in codes(made_up, "imaging", limit=20)


def test_not_an_add_on_is_not_an_add_on(made_up: Catalog) -> None:
    assert "0004X" not in codes(made_up, "add-on", limit=20)


@pytest.mark.parametrize("query", ["int/ext sprocket drain", "int-ext sprocket drain", "I/E sprocket drain"])
def test_slashed_shorthand_finds_the_internal_external_record(made_up: Catalog, query: str) -> None:
    assert codes(made_up, query)[0] == "0007X"


def test_results_show_a_negated_match_as_written(made_up: Catalog) -> None:
    top = search(made_up, "drain no stent")[0]
    assert top.matched["title"] == ["drain", "no stent"]


# --- the real library ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("cholangioscopy stricture dilation no stent", "47555"),
        ("cholangioscopy stricture dilation with stent", "47556"),
        ("bile duct stent new access no separate drain", "47539"),
        ("bile duct stent new access with separate drain", "47540"),
        ("transurethral ureteral stent removal no replacement", "50386"),
        ("transurethral ureteral stent removal and replacement", "50385"),
    ],
)
def test_with_and_without_pick_between_sibling_codes(shipped: Catalog, query: str, first: str) -> None:
    assert codes(shipped, query)[0] == first


def test_a_drain_without_a_stent_does_not_rank_for_stent(shipped: Catalog) -> None:
    assert "47555" not in codes(shipped, "stent", limit=30)  # "..., stricture dilation, no stent"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "loaded"),
    [
        ("balloon dilation biliary", False),
        ("ERCP S&I bile ducts", False),  # an alias's own words need no guessing, indexed or not
        ("int/ext drain without stent", False),
        ("biliarry stricure", True),  # a misspelling: rapidfuzz looks for the word meant
    ],
)
def test_rapidfuzz_is_imported_only_for_a_word_that_is_not_indexed(query: str, loaded: bool) -> None:
    code = (
        "import sys\n"
        "from cptref.library.catalog import load_catalog\n"
        "from cptref.search import search\n"
        f"search(load_catalog({str(DATA)!r}), {query!r})\n"
        "print('rapidfuzz' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(loaded)
