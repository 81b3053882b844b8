"""search --cms: the codes of the user's own PPRRVU file found by their short descriptors, labelled.

The fee schedule file here is the made-up fixture of ``tests/fixtures/cms/tables`` with a few more
made-up rows (invented codes ending in X, invented words); the records are the made-up
``tests/fixtures/check`` library over the shipped one. Nothing here is CMS or AMA text.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cptref.cms import CmsTables, open_tables
from cptref.library.catalog import load_catalog
from cptref.output import schema as schemas
from cptref.search import search
from cptref.search.results import NO_RECORD_TITLE
from tests.conftest import FIXTURES, Run, both_paths
from tests.output.test_schema import check_against

Cli = Callable[..., Run]
CHECK = FIXTURES / "check"
DATA = ("--data", str(CHECK))
_TAIL = ",0,0,0,0,0,9,9,9,,,33.4009,09,0,99,0,0,0"
ROWS = [
    # code, modifier, short descriptor (made up), status, then RVUs, PC/TC and global days
    "0005X,,Quibble gear inspection,A,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,000" + _TAIL,  # a record's code
    "0040X,,Zorblat flange calibration,A,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,000" + _TAIL,
    "0041X,,Zorblat flange calibration retired,D,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,000" + _TAIL,
    "0042X,,Widget repair kit,A,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,000" + _TAIL,
]
PPRRVU = "PPRRVU2026_Oct_nonQPP.csv"


@pytest.fixture(scope="module")
def cms(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only the made-up fee schedule file, with the rows above added."""
    folder = tmp_path_factory.mktemp("pprrvu")
    rvu = folder / PPRRVU
    shutil.copy(FIXTURES / "cms" / "tables" / PPRRVU, rvu)
    rvu.write_bytes(rvu.read_bytes() + ("\r\n".join(ROWS) + "\r\n").encode("latin-1"))
    return folder


def results(cli: Cli, *args: str) -> list[dict[str, Any]]:
    run = cli("search", *args, "--json", *DATA)
    assert run.code == 0, run.err
    found: list[dict[str, Any]] = json.loads(run.out)["results"]
    return found


def test_a_code_only_in_your_file_is_found_by_its_short_descriptor_and_labelled(cli: Cli, cms: Path) -> None:
    run = cli("search", "zorblat", "flange", "--cms", str(cms), *DATA)
    assert run.code == 0, run.err
    assert "\x1b[" not in run.out  # piped: plain text
    first = run.out.splitlines()[0]
    assert first.startswith("0040X") and "Zorblat flange calibration" in first
    assert "from your PPRRVU file; no cptref record" in first
    footer = " ".join(run.out.split("\n\n")[-1].split())  # the last paragraph, unwrapped
    assert footer.startswith("Short descriptors: AMA licensed text, from your file") and PPRRVU in footer


def test_without_the_tables_those_codes_are_not_searched(cli: Cli, cms: Path) -> None:
    run = cli("search", "zorblat", "flange", *DATA)
    assert run.code == 1 and run.out == ""
    assert len(run.err.splitlines()) == 1
    assert cli("search", "004", *DATA).code == 1


def test_cptref_cms_names_the_tables_as_the_option_does(cli: Cli, cms: Path) -> None:
    by_option = cli("search", "zorblat", "--json", "--cms", str(cms), *DATA)
    by_variable = cli("search", "zorblat", "--json", *DATA, env={"CPTREF_CMS": str(cms)})
    assert by_variable.code == 0 and by_variable.out == by_option.out
    assert json.loads(by_variable.out)["results"][0]["code"] == "0040X"


def test_a_record_still_ranks_first_for_its_own_words(cli: Cli, cms: Path) -> None:
    # 0042X's made-up short descriptor holds both words too; the record's title beats it
    found = results(cli, "widget", "repair", "--cms", str(cms))
    assert found[0]["code"] == "0001X" and found[0]["origin"] == "cptref"
    table = next(r for r in found if r["code"] == "0042X")
    assert table["origin"] == "pprrvu" and table["record"] is False
    assert found.index(table) > found.index(next(r for r in found if r["code"] == "0001X"))


@pytest.mark.parametrize("query", ["widget repair", "widget", "sprocket check", "placeholder", "0001"])
def test_the_records_keep_their_scores_and_their_order(cli: Cli, cms: Path, query: str) -> None:
    alone = [(r["code"], r["score"]) for r in results(cli, query, "-n", "50")]
    mixed = results(cli, query, "-n", "50", "--cms", str(cms))
    by_own_words = [(r["code"], r["score"]) for r in mixed if r["origin"] == "cptref"]
    assert by_own_words == alone[: len(by_own_words)]
    assert len({r["code"] for r in mixed}) == len(mixed)  # a record its words find is not listed again


def test_a_record_none_of_whose_words_match_is_found_by_its_short_descriptor(cli: Cli, cms: Path) -> None:
    assert cli("search", "quibble", *DATA).code == 1
    [hit] = results(cli, "quibble", "gear", "--cms", str(cms))
    assert (hit["code"], hit["record"], hit["origin"]) == ("0005X", True, "pprrvu")
    assert hit["title"] == "Sprocket check by scope"  # cptref's own title
    assert hit["short_descriptor"]["text"] == "Quibble gear inspection"
    text = cli("search", "quibble", "gear", "--cms", str(cms), *DATA).out
    assert "found by its AMA short descriptor in your PPRRVU file" in text.splitlines()[0]


def test_json_says_where_each_result_came_from(cli: Cli, cms: Path) -> None:
    run = cli("search", "zorblat", "widget", "--json", "--cms", str(cms), *DATA)
    document = json.loads(run.out)
    check_against(schemas.schema("search"), document)
    by_code = {r["code"]: r for r in document["results"]}
    table = by_code["0040X"]
    assert (table["origin"], table["record"], table["title"]) == ("pprrvu", False, NO_RECORD_TITLE)
    assert table["matched"] == {"short_descriptor": ["zorblat"]}
    licensed = table["short_descriptor"]
    assert licensed["text"] == "Zorblat flange calibration" and Path(licensed["file"]).name == PPRRVU
    assert licensed["licence"]
    record = by_code["0001X"]
    assert (record["origin"], record["record"], record["short_descriptor"]) == ("cptref", True, None)
    lines = cli("search", "zorblat", "--format", "jsonl", "--cms", str(cms), *DATA).out.splitlines()
    line_schema = schemas.schema("search", jsonl=True)
    for line in lines:
        check_against(line_schema, json.loads(line))
    assert [json.loads(line)["code"] for line in lines] == ["0040X", "0041X"]


def test_csv_keeps_its_columns_and_gives_no_title_of_licensed_text(cli: Cli, cms: Path) -> None:
    run = cli("search", "zorblat", "--format", "csv", "--cms", str(cms), *DATA)
    rows = run.out.splitlines()
    assert rows[0] == "code,title,score,matched"
    assert rows[1].startswith(f"0040X,{NO_RECORD_TITLE},")
    assert "Zorblat flange calibration" not in run.out
    chosen = cli("search", "zorblat", "--format", "csv", "--fields", "code,origin,record", "--cms", str(cms), *DATA)
    assert chosen.out.splitlines()[1] == "0040X,pprrvu,false"


def test_a_deleted_code_of_the_file_ranks_below_a_live_one(cli: Cli, cms: Path) -> None:
    found = results(cli, "zorblat", "flange", "calibration", "--cms", str(cms))
    assert [r["code"] for r in found[:2]] == ["0040X", "0041X"]
    assert found[0]["score"] > found[1]["score"]


def test_a_code_prefix_lists_the_codes_of_the_file_too(cli: Cli, cms: Path) -> None:
    found = results(cli, "004", "--cms", str(cms))
    assert [(r["code"], r["matched"]) for r in found] == [
        ("0040X", {"code": ["0040X"]}),
        ("0042X", {"code": ["0042X"]}),
        ("0041X", {"code": ["0041X"]}),  # deleted (status D): after the live ones
    ]


def test_the_fast_path_and_typer_answer_alike(cms: Path) -> None:
    fast, typer = both_paths(["search", "zorblat", "widget", "--cms", str(cms), *DATA])
    assert fast == typer and fast.code == 0


def test_tables_that_cannot_be_read_are_one_warning_and_the_records_still_answer(
    cli: Cli, cms: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "cms"
    shutil.copytree(cms, folder)
    (folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv").write_bytes(b"HCPCS/CPT Code;MUE Values\n")
    run = cli("search", "widget", "repair", "--cms", str(folder), *DATA)
    assert run.code == 0 and run.out.startswith("0001X")
    [line] = run.err.splitlines()
    assert line.startswith("cptref: warning: 1 CMS file") and "`cptref tables` lists them" in line


def test_a_cms_path_that_does_not_exist_is_a_usage_error_and_one_with_no_table_invalid_data(
    cli: Cli, tmp_path: Path
) -> None:
    missing = cli("search", "widget", "--cms", str(tmp_path / "nowhere"), *DATA)
    assert (missing.code, missing.out) == (2, "")
    assert missing.err == f"cptref: --cms: {tmp_path / 'nowhere'}: no such file or directory\n"
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a table\n")
    empty = cli("search", "widget", "--cms", str(tmp_path / "notes"), *DATA)
    assert (empty.code, empty.out) == (3, "")
    assert empty.err.startswith("cptref: no CMS table could be loaded from --cms ")


def test_a_compiled_file_without_the_word_index_is_indexed_from_its_rows(cms: Path, tmp_path: Path) -> None:
    """A file compiled before the index existed still answers, from the rows it holds."""
    with open_tables([cms], cache=tmp_path) as tables:
        path = tables.path
    assert path is not None
    old = tmp_path / "old.sqlite"
    shutil.copy(path, old)
    db = sqlite3.connect(old)
    db.executescript("DROP TABLE rvu_words; DROP TABLE rvu_docs;")
    db.close()
    catalog = load_catalog(CHECK)
    with CmsTables.open(path) as compiled, CmsTables.open(old) as rows_only:
        for query in ("zorblat flange", "quibble", "004", "widget repair"):
            assert search(catalog, query, cms=rows_only) == search(catalog, query, cms=compiled), query


def test_the_file_named_is_the_zip_as_downloaded_or_the_file_whatever_its_path(
    cli: Cli, cms: Path, tmp_path: Path
) -> None:
    """A zip as downloaded is named by its own path (as show names it); a plain file by its whole path,
    a colon in a folder's name included."""
    import zipfile

    zipped = tmp_path / "zipped"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "rvu26d.zip", "w") as archive:
        archive.write(cms / PPRRVU, PPRRVU)
    colon = tmp_path / "walked" / "q4:2026"  # found by walking a folder (--cms is a path list, split at colons)
    shutil.copytree(cms, colon)
    for folder, expected in ((zipped, zipped / "rvu26d.zip"), (colon.parent, colon / PPRRVU)):
        [hit] = results(cli, "zorblat", "flange", "calibration", "-n", "1", "--cms", str(folder))
        assert hit["short_descriptor"]["file"] == str(expected)
        shown = json.loads(cli("show", "0040X", "--json", "--cms", str(folder), *DATA).out)["official"][0]
        assert shown["fee_schedule"][0]["short_descriptor"]["file"] == str(expected)


def test_a_query_outside_the_library_is_still_answered_from_your_file(cli: Cli, cms: Path) -> None:
    """No record is a confident match for "widget repair kit" (kit is no word of theirs): without the
    tables that is no answer, exit 1; with them, the code the file's short descriptor names answers."""
    alone = cli("search", "widget", "repair", "kit", *DATA)
    assert (alone.code, alone.out) == (1, "")
    assert alone.err.startswith("cptref: no code in cptref's library matches 'widget repair kit' (the nearest, 0001X")
    found = results(cli, "widget", "repair", "kit", "--cms", str(cms))
    assert (found[0]["code"], found[0]["origin"], found[0]["confident"]) == ("0042X", "pprrvu", True)
    assert next(r["confident"] for r in found if r["origin"] == "cptref") is False
