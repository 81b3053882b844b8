"""Safe text: nothing from data or claims drives a terminal (control characters shown as escapes) or
a spreadsheet (a cell that would be a formula is neutralised); a long query is quoted short."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cptref.output.safe_text import formula_safe as cell
from tests.conftest import GOOD, Run, run_cptref, run_on_terminal

Cli = Callable[..., Run]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""What no text output may hold when it came from data (newline and tab aside)."""
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\rOK\x08\x9b31m\u202e"


def hostile_library(folder: Path, text: str = HOSTILE) -> Path:
    """The good fixture with control characters in a title, a descriptor, a source title and RELEASE."""
    shutil.copytree(GOOD, folder)
    record = folder / "procedures" / "0001X.yaml"
    body = record.read_text(encoding="utf-8")
    escaped = json.dumps(text)  # a YAML double-quoted scalar takes JSON's escapes
    body = body.replace("title: Widget repair through the skin", f"title: {escaped}")
    body = re.sub(r"descriptor: >-\n(?:  .*\n)+", lambda _: f"descriptor: {escaped}\n", body, count=1)
    record.write_text(body, encoding="utf-8")
    sources = folder / "sources.yaml"
    sources.write_text(re.sub(r"title: .*", lambda _: f"title: {escaped}", sources.read_text(), count=1))
    (folder / "RELEASE").write_text(f"2026-01-01 {text}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return hostile_library(tmp_path_factory.mktemp("hostile") / "data")


@pytest.mark.parametrize(
    ("args", "shows_it"),
    [
        (("show", "0001X", "--full"), True),
        (("show", "0001X", "0002X"), True),
        (("search", "widget"), True),
        (("search", "widget", "--format", "plain"), True),
        (("search", "widget", "--format", "csv"), True),
        (("check", "0001X", "0002X", "0003X", "--explain"), True),
        (("check", "0001X", "0002X", "--format", "csv"), False),
        (("check", "0001X", "0002X", "--format", "plain"), False),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, tuple) else "",
)
def test_no_control_character_from_data_reaches_text_output(
    hostile: Path, args: tuple[str, ...], shows_it: bool
) -> None:
    run = run_cptref(*args, "--data", str(hostile))
    assert run.code in (0, 1), run.err
    assert CONTROL.search(run.out) is None, repr(run.out[:300])
    assert ("\\x1b" in run.out) == shows_it  # shown as an escape, not dropped
    assert CONTROL.search(run.err) is None


def test_a_carriage_return_cannot_make_a_search_row_impersonate_another(hostile: Path) -> None:
    run = run_cptref("search", "widget", "--data", str(hostile))
    for line in run.out.splitlines():
        assert "\r" not in line and re.match(r"^\d{4}[0-9A-Z]  ", line), line


def test_version_and_validate_and_errors_show_data_as_escapes(hostile: Path) -> None:
    version = run_cptref("--version", env={"CPTREF_DATA": str(hostile)})
    assert CONTROL.search(version.out) is None and "2026-01-01 \\x1b]0;pwned" in version.out
    (hostile / "procedures" / "0009X.yaml").write_text(f'code: "0009X"\nstatus: active\nx{HOSTILE}: 1\n')
    try:
        for args in (("validate", str(hostile)), ("show", "0001X", "--data", str(hostile))):
            run = run_cptref(*args)
            assert CONTROL.search(run.out + run.err) is None, (run.out, run.err)
    finally:
        (hostile / "procedures" / "0009X.yaml").unlink()


def test_a_licensed_descriptor_and_a_claim_id_cannot_drive_the_terminal(tmp_path: Path) -> None:
    descriptors = tmp_path / "cpt.tsv"
    descriptors.write_text(f"0001X\tLicensed {HOSTILE} text\n", encoding="utf-8")
    shown = run_cptref("show", "0001X", "--data", str(GOOD), "--descriptors", str(descriptors))
    assert CONTROL.search(shown.out) is None and "Licensed \\x1b" in shown.out
    batch = tmp_path / "claims.csv"
    batch.write_text(f"{HOSTILE},0001X 0002X\n", encoding="utf-8")
    for fmt in ("table", "csv", "plain"):
        run = run_cptref("check", "--file", str(batch), "--date", "2026-11-27", "--format", fmt, "--data", str(GOOD))
        assert CONTROL.search(run.out) is None, (fmt, run.out)
    jsonl = run_cptref("check", "--file", str(batch), "--date", "2026-11-27", "--jsonl", "--data", str(GOOD))
    assert json.loads(jsonl.out)["id"] == HOSTILE  # JSON keeps the text, escaped by JSON itself


@pytest.mark.slow
def test_on_a_terminal_rich_gets_no_control_character_from_data(hostile: Path) -> None:
    code, out, _ = run_on_terminal(("show", "0001X", "--data", str(hostile)), {"TERM": "xterm"})
    assert code == 0
    assert "\x1b]0;pwned" not in out and "\x1b[2J" not in out and "\x07" not in out
    assert "\\x1b]0;pwned" in out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(max_codepoint=0x2070), min_size=1, max_size=12))
def test_no_printable_output_carries_a_control_character_from_a_title(tmp_path: Path, text: str) -> None:
    folder = tmp_path / f"lib{abs(hash(text))}"
    if folder.exists():
        shutil.rmtree(folder)
    hostile_library(folder, "T" + text)
    for args in (("show", "0001X"), ("search", "widget", "--format", "csv"), ("check", "0001X", "0002X")):
        run = run_cptref(*args, "--data", str(folder))
        if run.code == 3:  # the text made the record invalid (too long, say): a located problem
            assert CONTROL.search(run.err) is None
            continue
        assert CONTROL.search(run.out) is None, (text, run.out[:200])
    shutil.rmtree(folder)


# --- spreadsheets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1+1", "'+1+1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-1.5", "-1.5"),
        ("-.1", "-.1"),
        ("-1\n", "'-1\n"),
        ("+3", "+3"),
        ("47532", "47532"),
    ],
)
def test_a_csv_cell_that_would_be_a_formula_is_neutralised(value: str, written: str) -> None:
    assert cell(value) == written


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="=+-@\t\rAb1.", min_size=1, max_size=8))
def test_csv_output_never_starts_a_cell_with_a_formula_character(tmp_path: Path, claim_id: str) -> None:
    batch = tmp_path / "claims.csv"
    batch.write_text(f'"{claim_id}",0001X 0002X 0009X\n', encoding="utf-8")
    run = run_cptref("check", "--file", str(batch), "--date", "2026-11-27", "--format", "csv", "--data", str(GOOD))
    for row in csv.reader(io.StringIO(run.out)):
        for value in row:
            number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", value)  # -1.5, -.1, 1e5
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")) or number, value


# --- the smaller ones ---------------------------------------------------------------------------------


def test_a_long_query_with_no_match_is_quoted_short(cli: Cli) -> None:
    run = cli("search", "zq" * 240, "--data", str(GOOD))
    assert run.code == 1 and "... (480 characters)" in run.err and len(run.err) < 300  # with what the library covers


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u00a0", "\u2007", "\u200e", "\u061c"]
INVISIBLE += ["\u3164", "\u115f", "\uffa0", "\u2800", "\u034f", "\ufe0f", "\U000e0041", "\U000e0100", "\ue000"]


@pytest.mark.parametrize("char", INVISIBLE)
def test_a_character_that_prints_as_nothing_is_shown_as_an_escape(char: str) -> None:
    from cptref.output.safe_text import visible

    shown = visible(f"A{char}1")
    assert shown != "A1" and shown.isascii() and "\\" in shown
    assert visible(f"A{char}1", keep=False) == shown


def test_two_claim_ids_that_differ_by_an_invisible_character_never_print_alike(tmp_path: Path) -> None:
    claims = tmp_path / "claims.csv"
    ids = ["A1", "A\u200b1", "A\u00a01", "A1\u3164", "A1\ufeff", "\u2066A1"]
    claims.write_text("id,codes\n" + "".join(f'"{i}",0001X\n' for i in ids), encoding="utf-8")
    for fmt in ("plain", "csv", "table"):
        got = run_cptref("check", "--file", str(claims), "--date", "2026-11-02", "--data", str(GOOD), "--format", fmt)
        assert got.out.isascii(), fmt
        if fmt == "table":
            shown = re.findall(r"^claim (\S+) \(line", got.out, re.M)
        else:
            rows = list(csv.reader(io.StringIO(got.out), delimiter="\t" if fmt == "plain" else ","))
            shown = list(dict.fromkeys(row[0] for row in rows if row and row[0] != "id"))
        assert len(shown) == len(set(shown)) == len(ids), (fmt, shown)
    got = run_cptref("check", "--file", str(claims), "--date", "2026-11-02", "--data", str(GOOD), "--jsonl")
    assert [json.loads(line)["id"] for line in got.out.splitlines()] == ids  # JSON keeps them exactly


def test_ordinary_text_is_left_as_it_is() -> None:
    from cptref.output.safe_text import visible

    for text in ("Biliary dilation, 47555", "Müller–Lyer café 日本語", "tab\tand\nnewline", ""):
        assert visible(text) == text
