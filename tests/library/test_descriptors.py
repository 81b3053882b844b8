"""A user's licensed descriptor file: shown above cptref's own words, labelled, and searched.

The file and its codes are made up; cptref ships no AMA text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cptref.library.catalog import load_catalog
from cptref.search import search
from tests.conftest import GOOD, Run, both_paths, run_cptref

FIX = ("--data", str(GOOD))


@pytest.fixture
def licensed(tmp_path: Path) -> Path:
    path = tmp_path / "licensed.tsv"
    path.write_text(
        "code\tdescriptor\n"
        "0001X\tMade-up official wording for the widget repair, licensed to this user\n"
        "0002x\tMade-up official wording about gadgetry stretching\n"
        "\n"
        "9999Z\tA code the library does not hold\n"
    )
    return path


def test_show_prints_the_licensed_text_above_its_own_descriptor_labelled(
    cli: Callable[..., Run], licensed: Path
) -> None:
    run = cli("show", "0001X", *FIX, "--descriptors", str(licensed), "--full")
    assert run.code == 0, run.err
    text = " ".join(run.out.split())  # a long path may wrap the heading
    official = text.index(f"Official descriptor (from your licensed file {licensed})")
    own = text.index("Descriptor (cptref's own words; not the AMA text)")
    assert official < own
    assert "Made-up official wording for the widget repair" in text
    brief = " ".join(cli("show", "0001X", *FIX, "--descriptors", str(licensed)).out.split())
    assert "Licensed descriptor (your file): Made-up official wording for the widget repair" in brief


def test_without_a_file_nothing_official_is_shown(cli: Callable[..., Run]) -> None:
    run = cli("show", "0001X", "--json", *FIX)
    assert json.loads(run.out)["procedures"][0]["official_descriptor"] is None
    assert "Official descriptor" not in cli("show", "0001X", *FIX).out


def test_json_carries_the_text_and_the_file_and_the_environment_variable_works(
    cli: Callable[..., Run], licensed: Path
) -> None:
    run = cli("show", "0002X", "--json", *FIX, env={"CPTREF_DESCRIPTORS": str(licensed)})
    assert run.code == 0, run.err
    assert json.loads(run.out)["procedures"][0]["official_descriptor"] == {
        "text": "Made-up official wording about gadgetry stretching",
        "file": str(licensed),
    }


def test_search_indexes_the_licensed_text_and_follows_its_changes(
    licensed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPTREF_CACHE_DIR", str(tmp_path / "cache"))
    found = search(load_catalog(GOOD, descriptors=licensed), "gadgetry")
    assert [(r.code, r.matched) for r in found] == [("0002X", {"official": ["gadgetry"]})]
    licensed.write_text("0003X\tMade-up official wording about thingamajigs\n")
    catalog = load_catalog(GOOD, descriptors=licensed)
    assert [r.code for r in search(catalog, "thingamajigs")] == ["0003X"]
    assert catalog.official("0002X") is None
    assert load_catalog(GOOD).official("0003X") is None  # the index without the file is another one


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("0001X\tgood\nnot a code at all\n", "line 2: expected a 5-character code, a tab, then the descriptor"),
        ("0001X\n", "line 1: no descriptor after the tab for 0001X"),
        ("0001X\tone\n0001X\ttwo\n", "line 2: 0001X is given more than once"),
    ],
)
def test_a_malformed_descriptor_file_is_invalid_data_with_line_numbers(
    cli: Callable[..., Run], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    run = cli("show", "0001X", *FIX, "--descriptors", str(path))
    assert run.code == 3
    assert run.out == ""
    assert f"cptref: {path}: {message}" in run.err.splitlines()


def test_a_missing_descriptor_file_is_reported(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("search", "widget", *FIX, "--descriptors", str(tmp_path / "nope.tsv"))
    assert run.code == 3
    assert "cannot read the descriptor file" in run.err


def test_fast_path_and_typer_agree_with_a_descriptor_file(licensed: Path) -> None:
    fast, typer = both_paths(["show", "0001X", "--json", *FIX], env={"CPTREF_DESCRIPTORS": str(licensed)})
    assert fast == typer
    assert fast.code == 0


def test_descriptor_lines_end_at_line_feeds_only(tmp_path: Path) -> None:
    path = tmp_path / "cpt.tsv"
    path.write_text("0001X\tone\u2028still one\x0cstill\n0002X\ttwo\u0085two\nbroken line\n", encoding="utf-8")
    run = run_cptref("show", "0001X", "--data", str(GOOD), "--descriptors", str(path))
    assert run.code == 3 and ":line 3" not in run.err and "line 3" in run.err
