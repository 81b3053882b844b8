"""The command as a user runs it: stdout and stderr apart, exit statuses, no tracebacks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DATA, GOOD, ROOT, Run, run_cptref

Cli = Callable[..., Run]
FIX = ("--data", str(GOOD))


def test_show_prints_plain_text_when_piped(cli: Cli) -> None:
    run = cli("show", "0001X", *FIX)
    assert run.code == 0, run.err
    assert run.err == ""
    assert run.out.startswith("0001X  Widget repair through the skin\n")
    assert "\x1b[" not in run.out
    assert "  Add-ons reported with it: 0002X\n" in run.out
    full = cli("show", "0001X", "--full", *FIX).out
    assert "Add-ons that may be reported with this code:" in full
    assert "0002X Widget balloon stretch, each widget  (high; test-book)" in full


def test_show_full_adds_the_lay_sections(cli: Cli) -> None:
    short = cli("show", "0001X", *FIX).out
    full = cli("show", "0001X", "--full", *FIX).out
    assert "The widget is mended." not in short
    assert "Summary\n  A doctor mends the widget" in full
    assert "Steps\n  - The skin is numbed.\n  - The widget is mended." in full


def test_show_json_has_the_documented_shape(cli: Cli) -> None:
    run = cli("show", "0002X", "0001X", "--json", *FIX)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["schema_version"] == 1
    assert [p["code"] for p in doc["procedures"]] == ["0002X", "0001X"]
    addon, primary = doc["procedures"]
    for key in (
        "code",
        "title",
        "descriptor",
        "units",
        "add_on",
        "includes",
        "report_with",
        "not_with",
        "medicare",
        "history",
        "related",
        "lay",
        "derived",
    ):
        assert key in addon
    assert addon["add_on"]["primaries"] == ["0001X"]
    assert addon["includes"][0] == {
        "what": "imaging guidance of any kind",
        "sources": ["test-book"],
        "confidence": "high",
        "codes": ["0003X"],
        "scope": None,
        "note": None,
        "family": "test-widgets",
    }
    assert [a["code"] for a in primary["derived"]["addons"]] == ["0002X"]
    assert set(doc["sources"]) == {"test-book", "test-blog"}
    assert "\x1b[" not in run.out


def test_search_json_has_the_documented_shape(cli: Cli) -> None:
    run = cli("search", "widgit", "strech", "--json", "--limit", "2", *FIX)
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert doc["query"] == "widgit strech"
    assert list(doc["results"][0]) == [
        "code",
        "title",
        "score",
        "matched",
        "record",
        "origin",
        "short_descriptor",
        "confident",
    ]
    assert doc["results"][0]["code"] == "0002X"
    # without --cms every result is a record found by its own words
    assert {(r["record"], r["origin"], r["short_descriptor"]) for r in doc["results"]} == {(True, "cptref", None)}
    assert len(doc["results"]) == 2


def test_search_text_shows_code_score_title_and_matches(cli: Cli) -> None:
    run = cli("search", "widget stretch", *FIX)
    assert run.code == 0
    first = run.out.splitlines()[0]
    assert first.startswith("0002X") and "Widget balloon stretch" in first and "[title: widget, stretch]" in first


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ("show", "0009X"),
            1,
            (
                "cptref: code 0009X is not in cptref's library (87 codes in 18 families: `cptref families`); "
                "did you mean 0005X"
            ),
        ),
        (("show", "475555"), 2, "cptref: '475555' is not a CPT code: expected five characters"),
        (("show", "0001"), 1, "cptref: 0001 is not a whole code: it begins 1 code, 0001X; `cptref search 0001`"),
        (("show", "abcde"), 2, "cptref: 'abcde' is not a CPT code"),
        (("search", "   "), 2, "cptref: the query is empty"),
        (("search", "zzyzx"), 1, "cptref: no code in cptref's library matches 'zzyzx'; it covers "),
        (("show", "0001X", "--jsn"), 2, "cptref: No such option: --jsn"),
        (("search", "x", "--limit", "0"), 2, "cptref: Invalid value for '--limit'"),
        (("show",), 2, "cptref: Missing argument 'CODE...'"),
    ],
)
def test_bad_input_gets_one_line_and_its_exit_status(
    cli: Cli, args: tuple[str, ...], status: int, message: str
) -> None:
    run = cli(*args, *FIX)
    assert run.code == status
    assert run.out == ""
    assert run.err.startswith(message), run.err
    assert len(run.err.splitlines()) == 1
    assert "Traceback" not in run.err


def test_an_unknown_code_among_known_ones_is_named_and_the_known_ones_are_shown(cli: Cli) -> None:
    alone = cli("show", "0001X", "0002X", *FIX)
    run = cli("show", "0001X", "0009X", "0002X", *FIX)
    assert run.code == 1
    assert run.out == alone.out  # every known code, as without the unknown one
    (message,) = run.err.splitlines()
    assert message.startswith("cptref: code 0009X is not in cptref's library (87 codes in 18 families")
    assert "did you mean 0005X, " in message


def test_show_json_lists_the_unknown_codes_beside_the_known_procedures(cli: Cli) -> None:
    run = cli("show", "0001X", "0009X", "0001", "--json", *FIX)
    assert run.code == 1
    doc = json.loads(run.out)
    assert [p["code"] for p in doc["procedures"]] == ["0001X"]
    assert doc["unknown"] == [
        {"code": "0009X", "nearest": ["0005X", "0004X", "0003X", "0002X", "0001X"]},
        {"code": "0001", "nearest": ["0001X"]},
    ]
    assert len(run.err.splitlines()) == 2
    found = json.loads(cli("show", "0001X", "--json", *FIX).out)
    assert found["unknown"] == []
    nothing = cli("show", "0009X", "--json", *FIX)
    assert nothing.code == 1
    assert json.loads(nothing.out)["procedures"] == []


@pytest.mark.parametrize("line", ["0001X-RT", "0001xx2", "0001X-59-RT", " 0001x-lt "])
def test_a_claim_line_shows_its_code_and_says_its_modifiers_and_units_are_ignored(cli: Cli, line: str) -> None:
    run = cli("show", line, *FIX)
    assert run.code == 0
    assert run.out == cli("show", "0001X", *FIX).out
    (note,) = run.err.splitlines()
    assert note.startswith(f"cptref: {line.strip()}: showing 0001X; show ignores a claim line's modifiers and units")


@pytest.mark.parametrize(
    ("prefix", "named", "listing"),
    [("0001", "it begins 1 code, 0001X;", "cptref search 0001"), ("47", "25 codes, 47490,", "list --range 47")],
)
def test_a_code_prefix_names_the_codes_it_begins(cli: Cli, prefix: str, named: str, listing: str) -> None:
    run = cli("show", prefix, *FIX)
    assert (run.code, run.out) == (1, "")
    (message,) = run.err.splitlines()
    assert named in message and listing in message
    assert "and 15 more" in message or prefix == "0001"


def test_invalid_data_lists_every_problem_and_exits_3(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    # both files are needed to show 0001X: 0002X names it as a primary, and 0001X's family names 0003X
    (root / "procedures" / "0002X.yaml").write_text(
        'code: "0002X"\nstatus: active\ntitel: x\n'
        'add_on: {primaries: ["0001X"], sources: [test-book], confidence: high}\n'
    )
    (root / "procedures" / "0003X.yaml").write_text("code: [broken\n")
    run = cli("show", "0001X", "--data", str(root))
    assert run.code == 3
    assert run.out == ""
    lines = run.err.splitlines()
    assert lines[0].startswith("cptref: the data is invalid (")
    assert any("0002X.yaml: $.titel: unknown field 'titel'; did you mean 'title'?" in line for line in lines)
    assert any("0002X.yaml: $.title: missing required field" in line for line in lines)
    assert any("0003X.yaml: $: invalid YAML: line" in line for line in lines)
    assert "Traceback" not in run.err


def test_show_reads_only_the_files_it_needs(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    (root / "procedures" / "0005X.yaml").write_text("code: [broken\n")  # names neither 0002X nor its family
    shown = cli("show", "0002X", "--data", str(root))
    assert shown.code == 0 and "0005X.yaml" in shown.err  # shown, and the broken file named
    searched = cli("search", "widget", "--data", str(root))
    assert searched.code == 0 and searched.err.startswith("cptref: warning: 1 data file with problems left out")
    assert "0005X" not in searched.out
    assert cli("show", "0005X", "--data", str(root)).code == 3  # the broken record itself: refused
    assert cli("check", "0005X", "0001X", "--data", str(root)).code == 3  # check touches it: refused
    checked = cli("check", "0001X", "0002X", "--data", str(root))
    assert checked.code in (0, 1) and "0005X.yaml" in checked.err


def test_missing_data_directory_is_exit_3(cli: Cli, tmp_path: Path) -> None:
    run = cli("show", "0001X", "--data", str(tmp_path / "nope"))
    assert run.code == 3
    assert "the data directory does not exist" in run.err


def test_cptref_data_environment_variable_selects_the_data(cli: Cli) -> None:
    run = cli("show", "0001X", "--json", env={"CPTREF_DATA": str(GOOD)})
    assert run.code == 0 and json.loads(run.out)["procedures"][0]["code"] == "0001X"


@pytest.mark.slow
def test_output_into_a_closed_pipe_ends_quietly() -> None:
    shell = (
        f"{sys.executable} -m cptref show 47555 47542 47541 --json --full | head -c1 >/dev/null; "
        f"echo ${{PIPESTATUS[0]}}"
    )
    proc = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "0"
    assert proc.stderr == ""


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize(
    "args",
    [["show", "47555", "--json"], ["check", "47532", "47542"], ["check", "--file", "-", "--jsonl"]],
    ids=["show", "check", "a batch"],
)
def test_output_onto_a_full_disk_is_one_line_and_status_2(args: list[str]) -> None:
    """stdout on a full disk (``> /dev/full``): the write fails with ENOSPC; one line saying so, exit 2,
    never a traceback (nor a second one from the interpreter's own flush at exit)."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "cptref", *args],
            input=b"c1,47532 47542\n",
            stdout=full,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == "cptref: standard output: cannot write the answer: No space left on device\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "status"),
    [(["show", "47555", "--json"], 0), (["show", "47555-RT", "49405", "4753", "--json"], 1)],
    ids=["a code", "a claim line, an unknown code and a prefix"],
)
def test_show_json_does_not_import_rich(args: list[str], status: int) -> None:
    code = (
        "import json, sys\n"
        "from cptref.cli.typer_app import typer_main\n"
        "try:\n    typer_main(json.loads(sys.argv[1]))\n"
        "except SystemExit as e:\n    assert e.code == int(sys.argv[2]), e.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'rapidfuzz')), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args), str(status)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]"
    assert json.loads(proc.stdout)["procedures"][0]["code"] == "47555"


def test_help_teaches_with_examples(cli: Cli) -> None:
    run = cli("show", "--help")
    assert run.code == 0
    assert "cptref show 47555" in run.out and "--json" in run.out and "--full" in run.out
    assert cli("--version").out.startswith("cptref ")


@pytest.mark.parametrize(("command", "extra"), [("mcp", "mcp"), ("check", "arrow")])
def test_help_keeps_the_extra_in_its_install_command(cli: Cli, command: str, extra: str) -> None:
    """Typer reads help as rich markup, where ``[mcp]`` is a style tag: the help said
    ``pip install 'cptref'``, which installs no extra. Every ``pip install 'cptref[...]'`` of the help
    names its extra."""
    out = " ".join(cli(command, "--help").out.replace("│", " ").split())
    assert f"pip install 'cptref[{extra}]'" in out
    assert "'cptref'" not in out


def test_seed_codes_show_from_the_shipped_data(cli: Cli) -> None:
    run = cli("show", "47555", "47542", "47541", "50436", "50706", "--json")
    assert run.code == 0, run.err
    doc = json.loads(run.out)
    assert [p["code"] for p in doc["procedures"]] == ["47555", "47542", "47541", "50436", "50706"]
    assert DATA.is_dir()


@pytest.mark.slow
def test_the_fast_path_does_not_import_typer_or_rich() -> None:
    code = (
        "import sys\nfrom cptref.cli.main import main\n"
        "try:\n    main(['show', '47555', '--json'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = {'typer', 'rich', 'rapidfuzz', 'yaml'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy), file=sys.stderr)"
    )
    run_cptref("show", "47555", "--json")  # the index is built (and yaml read) at most once, here
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.stderr.strip() == "[]"


def test_an_unknown_code_suggests_only_plausible_codes(cli: Cli) -> None:
    central_line = cli("show", "36556")  # a central venous catheter: nothing in the library is near it
    assert central_line.code == 1
    assert "not in cptref's library" in central_line.err and "did you mean" not in central_line.err
    assert "`cptref families`" in central_line.err
    typo = cli("show", "47565")  # one character off 47555 and 47505 ...
    assert "did you mean 47555, " in typo.err or "did you mean 47535, " in typo.err
    for suggested in typo.err.split("did you mean ")[1].split("?")[0].split(", "):
        assert sum(a != b for a, b in zip(suggested, "47565", strict=True)) <= 2


def test_list_shows_the_codes_the_library_holds_with_filters(cli: Cli) -> None:
    every = json.loads(cli("list", "--json").out)["codes"]
    assert len(every) == len(list((DATA / "procedures").glob("*.yaml")))
    assert list(every[0]) == ["code", "title", "status", "family", "add_on"]
    biliary = json.loads(cli("list", "--family", "percutaneous-biliary", "--json").out)["codes"]
    assert [c["code"] for c in biliary][:2] == ["47531", "47532"] and len(biliary) == 14
    ranged = [c["code"] for c in json.loads(cli("list", "--range", "47552-47554", "--json").out)["codes"]]
    assert ranged == ["47552", "47553", "47554"]
    prefix = cli("list", "--range", "5043", "--format", "csv", "--fields", "code")
    assert prefix.out.splitlines()[0] == "code" and all(r.startswith("5043") for r in prefix.out.splitlines()[1:])
    deleted = json.loads(cli("list", "--status", "deleted", "--json").out)["codes"]
    assert deleted and all(c["status"] == "deleted" for c in deleted)
    assert cli("list", "--family", "nope").code == 2
    assert cli("list", "--range", "47-").code == 2


def test_families_lists_each_family_with_its_ranges_and_codes(cli: Cli) -> None:
    families = json.loads(cli("families", "--json").out)["families"]
    by_id = {f["id"]: f for f in families}
    assert by_id["percutaneous-biliary"]["ranges"] == ["47531-47544"]
    assert "47542" in by_id["percutaneous-biliary"]["codes"]
    text = cli("families").out
    assert "percutaneous-biliary  47531-47544  14 codes" in text
    version = cli("--version").out
    assert "47531-47544  percutaneous-biliary" in version


def test_search_text_marks_the_weak_matches(cli: Cli) -> None:
    run = cli("search", "widget stretch", *FIX)
    rows = run.out.splitlines()
    assert rows[0].startswith("0002X  100.0        Widget balloon stretch")
    assert rows[1].startswith("0001X   50.0  weak  Widget repair")
    assert all("  weak  " in row for row in rows[1:])
    doc = json.loads(cli("search", "widget stretch", "--json", *FIX).out)
    assert [r["confident"] for r in doc["results"]] == [True] + [False] * (len(doc["results"]) - 1)
    assert "weak" not in cli("search", "widget stretch", "-n", "1", *FIX).out  # no column when all are confident


@pytest.mark.parametrize(
    ("query", "nearest"),
    [("fine needle aspiration", " (the nearest, 50390, scores 83.3 of 85 needed)"), ("chest tube", " (the nearest, ")],
)
def test_a_search_outside_the_library_says_what_it_covers_and_exits_1(cli: Cli, query: str, nearest: str) -> None:
    for args in ((query,), (query, "--json"), (query, "--format", "csv")):
        run = cli("search", *args)
        assert (run.code, run.out) == (1, ""), run.err
        (message,) = run.err.splitlines()
        assert message.startswith(f"cptref: no code in cptref's library matches {query!r}{nearest}")
        assert message.endswith(
            "; it covers 82 codes of biliary tract, kidney, ureter and bladder procedures and radiology "
            "(`cptref families`)"
        )


def test_an_english_or_clinical_word_is_not_corrected_into_a_library_word(cli: Cli) -> None:
    assert cli("search", "port", "placement").code == 1  # not "report placement"
    assert cli("search", "nephrectomy").code == 1  # not "nephrostomy"
    assert cli("search", "cholecystectomy").code == 1  # not "chole", shorthand for a cholecystostomy
    typo = json.loads(cli("search", "nephrostmy", "--json").out)["results"][0]
    assert typo["code"].startswith("50") and typo["confident"]  # a misspelling still is
