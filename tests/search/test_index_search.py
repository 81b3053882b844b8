"""Search through the compiled index: the same ranking as in memory, only the results' titles
read, and a damaged postings row answered from the data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cptref.library.catalog import load_catalog, read_catalog
from cptref.library.index import compiled as index
from cptref.library.index.reader import IndexStore
from cptref.search import search
from tests.conftest import DATA

from .ranking_queries import QUERIES


def test_the_index_ranks_exactly_as_the_parsed_data(cache: Path) -> None:
    load_catalog(DATA)  # builds the index
    compiled = load_catalog(DATA)
    assert isinstance(compiled.store, IndexStore)
    parsed, problems = read_catalog(DATA)
    assert not problems
    for query, _ in QUERIES:
        assert search(compiled, query) == search(parsed, query), query


def test_a_search_reads_the_titles_of_its_results_only(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_catalog(DATA)
    catalog = load_catalog(DATA)
    assert isinstance(catalog.store, IndexStore)
    read: list[str] = []
    meta = IndexStore.meta

    def spy(self: IndexStore, key: str) -> bytes | None:
        read.append(key)
        return meta(self, key)

    monkeypatch.setattr(IndexStore, "meta", spy)
    results = search(catalog, "biliary drain", limit=3)
    assert [r.title for r in results] == [catalog.get(r.code).title for r in results]
    assert "docs" not in read  # every code and title of the library: not needed to rank


@pytest.mark.parametrize(
    "spoilt",
    [bytes([1]) + b"not zlib at all", bytes([0]) + (10_000).to_bytes(4, "little"), b"", bytes([7, 0, 0, 0, 0])],
    ids=["bitmap that does not decompress", "id of no record", "empty", "unknown kind"],
)
def test_a_damaged_postings_row_is_answered_from_the_data(cache: Path, data: Path, spoilt: bytes) -> None:
    expected = [(r.code, r.score) for r in search(load_catalog(data), "widget")]
    path = index.index_path([data])
    with sqlite3.connect(path) as db:
        assert db.execute("UPDATE postings SET docs = ? WHERE word = 'widget'", (spoilt,)).rowcount
    db.close()
    catalog = load_catalog(data)
    assert isinstance(catalog.store, IndexStore)
    assert [(r.code, r.score) for r in search(catalog, "widget")] == expected
    assert catalog.store._healed is not None
