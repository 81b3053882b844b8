"""Hardening, round 2: nothing from data or claims drives a terminal or a spreadsheet; overlays say
when they change shipped rules; closed standard streams and signals end in a documented status."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cptref.output.safe_text import formula_safe as cell
from tests.conftest import DATA, GOOD, ROOT, Run, both_paths, run_cptref, run_on_terminal

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


# --- overlays ----------------------------------------------------------------------------------------


@pytest.fixture
def redefining(tmp_path: Path) -> Path:
    """An overlay whose families.yaml redefines the shipped percutaneous-biliary family without its rules."""
    import yaml

    folder = tmp_path / "overlay"
    (folder / "procedures").mkdir(parents=True)
    families = yaml.safe_load((DATA / "families.yaml").read_text())
    family = next(f for f in families if f["id"] == "percutaneous-biliary")
    family["includes"] = []
    (folder / "families.yaml").write_text(yaml.safe_dump([family], sort_keys=False))
    record = (GOOD / "procedures" / "0005X.yaml").read_text().replace("0005X", "9005X")
    (folder / "procedures" / "9005X.yaml").write_text(record)
    return folder


def test_an_overlay_redefining_a_shipped_family_is_named_by_validate_and_show(redefining: Path) -> None:
    lint = run_cptref("validate", str(redefining))
    assert "redefines the shipped family 'percutaneous-biliary'" in lint.out and "warning:" in lint.out
    assert run_cptref("validate", str(redefining), "--strict").code == 3
    shown = run_cptref("show", "47532", "--data", str(redefining))
    assert f"its family's rules (percutaneous-biliary) from {redefining}" in " ".join(shown.out.split())
    doc = json.loads(run_cptref("show", "47532", "--json", "--data", str(redefining)).out)
    assert doc["procedures"][0]["family"]["data_dir"] == str(redefining)
    assert json.loads(run_cptref("show", "47532", "--json").out)["procedures"][0]["family"]["data_dir"] is None


def test_validate_reads_a_record_linked_from_outside_as_the_commands_do(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "9001X.yaml").write_text('code: "9001X"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\nx: 1\n')
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    (overlay / "procedures" / "9001X.yaml").symlink_to(outside / "9001X.yaml")
    run = run_cptref("validate", "overlay", "--strict", cwd=tmp_path)
    assert run.code == 3 and "overlay/procedures/9001X.yaml: $.x: unknown field 'x'" in run.out
    assert run_cptref("show", "9001X", "--data", str(overlay)).code == 3


# --- standard streams and signals --------------------------------------------------------------------


def shell(command: str) -> subprocess.CompletedProcess[str]:
    cptref = f"{sys.executable} -m cptref"
    return subprocess.run(
        ["bash", "-c", command.replace("cptref", cptref)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_closed_stderr_still_writes_the_answer(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = shell(f"cptref show 47555 2>&- > {out}")
    assert done.returncode == 0 and out.read_text().startswith("47555  ")


@pytest.mark.parametrize("args", ["show 47555", "show 47555 --json", "--help", "check 47532 77002"])
def test_closed_stdout_says_so_in_one_line_and_exits_2_or_1(args: str) -> None:
    done = shell(f"cptref {args} >&-")
    assert "Traceback" not in done.stderr
    if args.startswith("check"):
        assert done.returncode == 1  # the claim is stopped: its status stands
    else:
        assert done.returncode == 2
        assert done.stderr == "cptref: standard output is closed (>&-): the answer could not be written\n"


def test_closed_stdin_is_a_usage_error_only_where_it_is_read() -> None:
    done = shell("cptref check --file - <&-")
    assert done.returncode == 2 and "standard input is closed" in done.stderr
    assert shell("cptref show 47555 <&- > /dev/null").returncode == 0


def _handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (Linux: the caught-signal mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(mask, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(sys.platform != "linux", reason="reads the caught-signal mask from /proc")
@pytest.mark.parametrize(
    ("signum", "code", "word"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
@pytest.mark.parametrize("args", [("check", "--file", "-"), ("check", "-f-")], ids=["fast path", "typer path"])
def test_a_signal_ends_every_path_with_its_message_and_status(
    signum: int, code: int, word: str, args: tuple[str, ...]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cptref", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"A1,47532\n")
    proc.stdin.flush()  # stdin stays open: the reader waits for more claims
    for _ in range(300):
        if _handles_sigterm(proc.pid) or proc.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # let it reach the read (the answer is the same if it has not)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert err.decode().endswith(f"cptref: {word}\n") and b"Traceback" not in err


# --- the smaller ones ---------------------------------------------------------------------------------


def test_a_long_query_with_no_match_is_quoted_short(cli: Cli) -> None:
    run = cli("search", "zq" * 240, "--data", str(GOOD))
    assert run.code == 1 and "... (480 characters)" in run.err and len(run.err) < 300  # with what the library covers


def test_descriptor_lines_end_at_line_feeds_only(tmp_path: Path) -> None:
    path = tmp_path / "cpt.tsv"
    path.write_text("0001X\tone\u2028still one\x0cstill\n0002X\ttwo\u0085two\nbroken line\n", encoding="utf-8")
    run = run_cptref("show", "0001X", "--data", str(GOOD), "--descriptors", str(path))
    assert run.code == 3 and ":line 3" not in run.err and "line 3" in run.err


def test_columns_0_on_a_terminal_of_size_0_still_prints() -> None:
    code, out, _ = run_on_terminal(("show", "47555"), {"COLUMNS": "0"}, columns=0, rows=0)
    assert code == 0 and "47555" in out


def test_an_empty_data_option_reads_the_default_layers_on_both_paths() -> None:
    fast, typer = both_paths(["show", "47555", "--json", "--data", ""])
    assert fast == typer and fast.code == 0
    assert json.loads(fast.out)["procedures"][0]["code"] == "47555"
