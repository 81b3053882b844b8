"""Output that fits: --fields, --format, --color with NO_COLOR, width, and the pager of show --full.

Every command runs as a user runs it, stdout and stderr apart. What needs a terminal runs under a
pseudo-terminal (POSIX only).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cptref.check import results
from cptref.output import documents, formats
from cptref.output.text import terminal as text_terminal
from tests.conftest import DATA, FIXTURES, GOOD, ROOT, Run, both_paths, run_on_terminal

Cli = Callable[..., Run]
FIX = ("--data", str(GOOD))
ESC = "\x1b["


# --- --fields ---------------------------------------------------------------------------------------


def test_show_fields_keeps_those_fields_of_each_procedure_in_the_order_given(cli: Cli) -> None:
    run = cli("show", "47542", "50706", "--json", "--fields", "title,code,add_on")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert list(document) == ["schema_version", "procedures", "official", "sources", "unknown"]
    assert [list(p) for p in document["procedures"]] == [["title", "code", "add_on"]] * 2
    assert document["procedures"][1]["add_on"]["primaries"]  # 50706 names its primaries


def test_show_fields_keeps_only_the_sources_the_fields_cite(cli: Cli) -> None:
    whole = json.loads(cli("show", "47542", "--json").out)
    narrow = json.loads(cli("show", "47542", "--json", "--fields", "code,add_on").out)
    assert set(narrow["sources"]) == set(whole["procedures"][0]["add_on"]["sources"])
    assert set(narrow["sources"]) < set(whole["sources"])
    assert json.loads(cli("show", "47542", "--json", "--fields", "code").out)["sources"] == {}


def test_fields_repeated_or_spaced_are_taken_once(cli: Cli) -> None:
    run = cli("search", "drain", "--json", "--fields", " code , score,code,", "-n", "2")
    assert run.code == 0, run.err
    assert [list(r) for r in json.loads(run.out)["results"]] == [["code", "score"]] * 2


@pytest.mark.parametrize(
    ("args", "available"),
    [
        (("show", "0001X", "--json", "--fields", "code,nope", *FIX), documents.PROCEDURE_KEYS),
        (("search", "widget", "--json", "--fields", "nope", *FIX), documents.RESULT_KEYS),
        (("search", "widget", "--format", "csv", "--fields", "nope", *FIX), documents.RESULT_KEYS),
        (("check", "47532", "--json", "--fields", "nope"), results.FINDING_KEYS),
        (("check", "47532", "--jsonl", "--fields", "nope"), results.FINDING_KEYS),
    ],
)
def test_an_unknown_field_is_a_usage_error_listing_the_available_ones(
    cli: Cli, args: tuple[str, ...], available: tuple[str, ...]
) -> None:
    run = cli(*args)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"cptref: unknown field 'nope'; available: {', '.join(available)}\n"


def test_an_empty_fields_is_a_usage_error(cli: Cli) -> None:
    run = cli("search", "widget", "--json", "--fields", ",", *FIX)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("cptref: --fields needs at least one field; available: code, title, score, matched")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "0001X", "--fields", "code", *FIX), "cptref: --fields selects fields of JSON output: add --json\n"),
        (
            ("search", "widget", "--fields", "code", *FIX),
            "cptref: --fields selects fields of JSON, JSON Lines, csv or plain output: add --json or --format\n",
        ),
        (
            ("check", "47532", "--format", "table", "--fields", "rule"),
            "cptref: --fields selects fields of JSON, JSON Lines, csv or plain output: add --json or --format\n",
        ),
    ],
)
def test_fields_with_the_text_view_is_a_usage_error(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert (run.code, run.out, run.err) == (2, "", message)


def test_check_fields_select_each_finding_in_json_and_jsonl(cli: Cli) -> None:
    document = json.loads(cli("check", "47532", "77002", "--json", "--fields", "severity,rule").out)
    assert list(document) == ["schema_version", "codes", "ok", "verified", "checked", "findings"]
    assert document["findings"][0] == {"severity": "error", "rule": "included-reported-separately"}
    line = json.loads(cli("check", "47532", "77002", "--jsonl", "--fields", "rule").out)
    assert line["findings"] == [
        {"rule": "included-reported-separately"},
        {"rule": "addon-without-primary"},
        {"rule": "not-checked"},
    ]
    lean = json.loads(cli("check", "47532", "77002", "--jsonl").out)
    assert [list(f) for f in lean["findings"]] == [["rule", "severity", "codes", "fix"]] * 2 + [
        ["rule", "severity", "fix"]
    ]
    full = json.loads(cli("check", "47532", "77002", "--jsonl", "--explain").out)
    for finding in full["findings"]:  # every field that has a value, in the order of the type; none null or []
        assert list(finding) == [key for key in results.FINDING_KEYS if key in finding]
        assert {"rule", "severity", "message", "fix"} <= set(finding) and None not in finding.values()
        assert [] not in finding.values()
    assert full["codes"][0]["title"] and "codes" not in lean and "titles" not in full


# --- --format ---------------------------------------------------------------------------------------


def test_search_format_json_is_exactly_json(cli: Cli) -> None:
    assert cli("search", "widget", "--format", "json", *FIX).out == cli("search", "widget", "--json", *FIX).out


def test_search_format_jsonl_prints_each_result_of_json_on_a_line(cli: Cli) -> None:
    whole = json.loads(cli("search", "biliary", "-n", "4", "--json").out)
    run = cli("search", "biliary", "-n", "4", "--format", "jsonl")
    assert run.code == 0 and run.err == ""
    assert [json.loads(line) for line in run.out.splitlines()] == whole["results"]


def test_search_format_csv_has_a_header_then_a_row_a_result(cli: Cli) -> None:
    whole = json.loads(cli("search", "biliary", "drainage", "-n", "5", "--json").out)
    run = cli("search", "biliary", "drainage", "-n", "5", "--format", "csv")
    rows = list(csv.reader(io.StringIO(run.out)))
    assert rows[0] == ["code", "title", "score", "matched"]
    assert [r[0] for r in rows[1:]] == [r["code"] for r in whole["results"]]
    first = whole["results"][0]
    assert rows[1][1:3] == [first["title"], str(first["score"])]
    assert rows[1][3] == "; ".join(f"{k}: {' '.join(v)}" for k, v in first["matched"].items())


def test_search_format_plain_is_tab_separated_without_header_or_decoration(cli: Cli) -> None:
    run = cli("search", "biliary", "drainage", "-n", "3", "--format", "plain", "--fields", "code,score")
    lines = run.out.splitlines()
    assert len(lines) == 3
    for line in lines:
        code, score = line.split("\t")
        assert len(code) == 5 and float(score) > 0
    assert ESC not in run.out


def test_check_format_csv_is_a_row_a_finding_and_with_file_names_the_claim(cli: Cli, tmp_path: Path) -> None:
    run = cli("check", "47532", "77002", "--format", "csv", "--fields", "rule,codes")
    assert run.code == 1
    assert run.out == (
        "ok,verified,rule,codes\nfalse,false,included-reported-separately,47532 77002\n"
        "false,false,addon-without-primary,77002\nfalse,false,not-checked,\n"
    )
    path = tmp_path / "claims.csv"
    path.write_text('id,codes\nA1,"47532 77002"\nA2,"50432 50706"\nA3,47532;77002\n')
    batch = cli("check", "--file", str(path), "--date", "2026-11-27", "--format", "csv", "--fields", "rule,severity")
    assert batch.code == 1
    assert list(csv.reader(io.StringIO(batch.out))) == [
        ["id", "line", "ok", "verified", "rule", "severity"],
        ["A1", "2", "false", "false", "included-reported-separately", "error"],
        ["A1", "2", "false", "false", "addon-without-primary", "error"],
        ["A1", "2", "false", "false", "not-checked", "warning"],
        ["A2", "3", "true", "false", "not-checked", "warning"],
        ["A3", "4", "false", "false", "included-reported-separately", "error"],
        ["A3", "4", "false", "false", "addon-without-primary", "error"],
        ["A3", "4", "false", "false", "not-checked", "warning"],
    ]  # no CMS tables given: no claim is verified
    assert batch.err.startswith(f"cptref: {path}: 4 lines read: 3 claims checked (2 with errors")


def test_check_format_csv_writes_a_row_for_a_claim_without_findings(cli: Cli, cms_folder: Path, tmp_path: Path) -> None:
    args = ("--cms", str(cms_folder), "--data", str(FIXTURES / "check"), "--date", "2026-11-27")
    run = cli("check", "0007X", "--format", "csv", *args)
    empty = "," * (len(results.FINDING_KEYS) - 1)
    assert (run.code, run.out) == (0, "ok,verified," + ",".join(results.FINDING_KEYS) + f"\ntrue,true,{empty}\n")
    assert json.loads(cli("check", "0007X", "--json", *args).out)["verified"] is True
    path = tmp_path / "claims.csv"
    path.write_text("V1,0007X\nS1,0001X 0002X\nV2,0007X\n")
    batch = cli("check", "--file", str(path), "--format", "csv", "--fields", "rule", *args)
    rows = list(csv.reader(io.StringIO(batch.out)))
    assert rows[0] == ["id", "line", "ok", "verified", "rule"]
    assert [row[0] for row in rows[1:]].count("V1") == 1 and ["V2", "3", "true", "true", ""] in rows  # every claim
    assert {row[0] for row in rows[1:]} == {"V1", "S1", "V2"}


def test_check_format_plain_keeps_each_finding_on_one_line(cli: Cli, tmp_path: Path) -> None:
    run = cli("check", "47532", "77002", "--format", "plain")
    lines = run.out.splitlines()
    assert len(lines) == 3
    assert all(len(line.split("\t")) == 2 + len(results.FINDING_KEYS) for line in lines)
    path = tmp_path / "claims.jsonl"
    path.write_text('{"id": 9, "codes": ["47532", "77002"]}\n')
    batch = cli("check", "--file", str(path), "--date", "2026-11-27", "--format", "plain", "--fields", "rule")
    assert batch.out == (
        "9\t1\tfalse\tfalse\tincluded-reported-separately\n9\t1\tfalse\tfalse\taddon-without-primary\n"
        "9\t1\tfalse\tfalse\tnot-checked\n"
    )


def test_check_format_jsonl_is_jsonl(cli: Cli) -> None:
    assert cli("check", "47532", "77002", "--format", "jsonl").out == cli("check", "47532", "77002", "--jsonl").out
    assert cli("check", "47532", "--format", "json").out == cli("check", "47532", "--json").out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("search", "x", "--json", "--format", "csv"),
            "cptref: --json is --format json; it cannot go with --format csv",
        ),
        (("check", "47532", "--jsonl", "--format", "json"), "cptref: --jsonl is --format jsonl; it cannot go with"),
        (("check", "47532", "--json", "--jsonl"), "cptref: --json and --jsonl: choose one"),
        (("check", "--file", "-", "--format", "json"), "cptref: --json prints one object; with --file use --jsonl"),
        (("search", "x", "--format", "xml"), "cptref: Invalid value for '--format'"),
        (("show", "47555", "--format", "csv"), "cptref: No such option: --format"),
    ],
)
def test_invalid_format_combinations_are_usage_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(message), run.err
    assert len(run.err.splitlines()) == 1


def test_csv_and_plain_cells() -> None:
    assert formats.cell_text(None) == ""
    assert formats.cell_text(True) == "true"
    assert formats.cell_text(["47532", "77002"]) == "47532 77002"
    assert formats.cell_text({"title": ["a", "b"], "synonyms": ["c"]}) == "title: a b; synonyms: c"
    plain = formats.formatter("plain")
    assert plain.header(["a", "b"]) == b""
    assert plain.answer(formats.Answer(None, rows=[{"a": "x\ty\nz", "b": 1.5}], columns=["a", "b"])) == b"x y z\t1.5\n"
    rows = formats.formatter("csv")
    answer = formats.Answer(None, rows=[{"a": 'say "hi", twice'}], columns=["a"])
    assert rows.header(["a"]) + rows.answer(answer) == b'a\n"say ""hi"", twice"\n'


# --- --color and NO_COLOR ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("color", "tty", "no_color", "mode"),
    [
        ("auto", True, "", "color"),
        ("auto", True, "1", "mono"),
        ("auto", False, "", "plain"),
        ("auto", False, "1", "plain"),
        ("always", False, "1", "color"),
        ("always", True, "1", "color"),
        ("never", True, "", "plain"),
        ("never", False, "", "plain"),
    ],
)
def test_text_mode(color: str, tty: bool, no_color: str, mode: str) -> None:
    env = {"NO_COLOR": no_color} if no_color else {}
    assert text_terminal.text_mode(color, tty, env) == mode
    assert text_terminal.text_mode(color, tty, {"NO_COLOR": ""}) == text_terminal.text_mode(
        color, tty, {}
    )  # empty is unset


def test_text_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert text_terminal.screen()[0] == 100  # the tests' output is not a terminal
    for columns, width in (("72", 72), ("wide", 100), ("0", 100), ("61", 61)):
        monkeypatch.setenv("COLUMNS", columns)
        assert text_terminal.screen()[0] == width


@pytest.mark.parametrize(
    "args", [("show", "47555"), ("search", "biliary", "drain"), ("check", "47532", "77002")], ids=lambda a: a[0]
)
def test_color_always_draws_colour_into_a_pipe_even_with_no_color(cli: Cli, args: tuple[str, ...]) -> None:
    plain = cli(*args)
    assert ESC not in plain.out
    for env in ({}, {"NO_COLOR": "1"}):
        run = cli(*args, "--color", "always", env=env)
        assert run.code == plain.code
        assert "\x1b[1;36m" in run.out or "\x1b[1;31m" in run.out  # bold cyan codes, bold red verdict
        assert ESC not in run.err


@pytest.mark.parametrize("args", [("--color", "never"), ("--color", "auto"), ()])
def test_never_and_auto_into_a_pipe_are_plain_text(cli: Cli, args: tuple[str, ...]) -> None:
    run = cli("show", "47555", *args, env={"NO_COLOR": "1"})
    assert run.code == 0
    assert ESC not in run.out
    assert run.out.startswith("47555  Percutaneous biliary endoscopy")


def test_color_always_with_json_is_plain_json(cli: Cli) -> None:
    assert cli("show", "47555", "--json", "--color", "always").out == cli("show", "47555", "--json").out


def test_an_unknown_color_is_a_usage_error(cli: Cli) -> None:
    run = cli("show", "47555", "--color", "sometimes")
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith("cptref: Invalid value for '--color': 'sometimes' is not one of")


def test_plain_text_wraps_at_columns_when_set_else_100(cli: Cli) -> None:
    def widest(out: str) -> int:
        return max(len(line) for line in out.splitlines() if "://" not in line)  # a URL is never broken

    default = cli("show", "47542", "--full").out
    narrow = cli("show", "47542", "--full", env={"COLUMNS": "60"}).out
    assert 90 < widest(default) <= 100
    assert 50 < widest(narrow) <= 60
    always = cli("show", "47542", "--color", "always", env={"COLUMNS": "60"}).out
    assert max(len(line) for line in always.splitlines() if "://" not in line and ESC not in line) <= 60


# --- on a terminal (a pseudo-terminal) --------------------------------------------------------------

POSIX = sys.platform != "win32"


def on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run cptref with stdin and stdout on a 100 x 40 pseudo-terminal; stderr apart."""
    return run_on_terminal(args, {"TERM": "xterm", "COLUMNS": "100", "LINES": "40", **(env or {})})


@pytest.mark.slow
@pytest.mark.skipif(not POSIX, reason="needs a POSIX pseudo-terminal")
def test_on_a_terminal_text_is_in_colour_unless_no_color_or_never() -> None:
    code, out, err = on_a_terminal("show", "47555", "--no-pager")
    assert (code, err) == (0, "")
    assert "\x1b[1;36m47555" in out
    _, mono, _ = on_a_terminal("show", "47555", env={"NO_COLOR": "1"})
    assert "47555" in mono and "\x1b[36m" not in mono and "\x1b[1;36m" not in mono
    _, never, _ = on_a_terminal("show", "47555", "--color", "never")
    assert never.startswith("47555  Percutaneous") and ESC not in never


@pytest.mark.slow
@pytest.mark.skipif(not POSIX, reason="needs a POSIX pseudo-terminal")
def test_show_full_longer_than_the_terminal_goes_through_the_pager(tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = {"PAGER": f"cat > '{paged}'", "LINES": "20"}
    code, out, err = on_a_terminal("show", "47555", "--full", env=pager)
    assert (code, err) == (0, "")
    assert "47555" not in out  # nothing went to the terminal itself
    text = paged.read_text()
    assert "\x1b[1;36m47555" in text and "Patient experience" in text
    paged.unlink()

    code, out, _ = on_a_terminal("show", "47555", "--full", "--no-pager", env=pager)
    assert code == 0 and "Patient experience" in out and not paged.exists()
    on_a_terminal("show", "47555", env=pager)  # not --full
    on_a_terminal("show", "47555", "--full", env={**pager, "LINES": "2000"})  # fits the screen
    assert not paged.exists()
    on_a_terminal("show", "47555", "--full", "--color", "never", env=pager)
    assert paged.read_text().startswith("47555  Percutaneous")


@pytest.mark.slow
@pytest.mark.skipif(not POSIX, reason="needs a POSIX pseudo-terminal")
def test_a_pager_that_cannot_run_falls_back_to_printing() -> None:
    code, out, _ = on_a_terminal("show", "47555", "--full", env={"PAGER": "no-such-pager-cptref", "LINES": "20"})
    assert code == 0 and "Patient experience" in out


def test_no_pager_when_piped(cli: Cli, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    run = cli("show", "47555", "--full", env={"PAGER": f"cat > '{paged}'", "LINES": "5"})
    assert run.code == 0 and "Patient experience" in run.out
    assert not paged.exists()
    assert cli("show", "47555", "--full", "--no-pager").out == run.out


# --- the fast path stays exact --------------------------------------------------------------------

FIELD_CASES = [
    ["show", "47555", "--json", "--fields", "code,title"],
    ["show", "--fields=add_on,code", "47542", "50706", "--json"],
    ["show", "47555", "--json", "--fields", "code,nope"],
    ["show", "47555", "--json", "--fields", ""],
    ["show", "4755", "--json", "--fields", "nope"],
    ["show", "47555", "--json", "--fields"],
    ["show", "47555", "--fields", "code"],
    ["show", "47555", "--json", "--color", "always"],
    ["search", "balloon", "--json", "--fields", "score,code", "-n", "3"],
    ["search", "balloon", "--fields", "code", "--json", f"--data={DATA}"],
    ["search", "  ", "--json", "--fields", "code"],
    ["search", "balloon", "--json", "--format", "json"],
    ["search", "balloon", "--format", "csv"],
]


@pytest.mark.parametrize("args", FIELD_CASES, ids=[" ".join(a) for a in FIELD_CASES])
def test_the_fast_path_answers_new_options_exactly_as_typer(args: list[str]) -> None:
    fast, typer = both_paths(args)
    assert fast == typer


@pytest.mark.slow
def test_show_json_fields_takes_the_fast_path() -> None:
    code = (
        "import sys\nfrom cptref.cli.main import main\n"
        "try:\n    main(['show', '47555', '--json', '--fields', 'code,title'])\n"
        "except SystemExit as e:\n    assert e.code == 0\n"
        "print('typer' in sys.modules, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stderr.strip() == "False"
    assert list(json.loads(proc.stdout)["procedures"][0]) == ["code", "title"]


# --- help -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "teaches"),
    [
        ("show", ["--fields", "--color", "--no-pager", "cptref show 47542 50706 --json --fields code,title,units"]),
        ("search", ["--format", "--fields", "--color", "--format csv --fields code,title", "--format jsonl"]),
        ("check", ["--format", "--fields", "--color", "--format csv --fields rule,severity,codes"]),
        ("schema", ["cptref schema show", "cptref schema check --jsonl", "schema_version changes only when"]),
    ],
)
def test_help_teaches_the_new_options_with_examples(cli: Cli, command: str, teaches: list[str]) -> None:
    run = cli(command, "--help", env={"COLUMNS": "200"})
    assert run.code == 0
    for text in teaches:
        assert text in run.out, text
