"""Hostile input: nothing a user or a data file can do makes cptref crash, hang or lie.

Every case runs the real command in a subprocess and pins its exact exit status and its message on
stderr (by a stable part of it): one line starting ``cptref:`` for a usage error or an unknown
code, the data error's first line plus one line a problem for invalid data; nothing on stdout when
the command fails; never a traceback. The commands of each matrix run concurrently, once for the
module, so that the matrix stays fast.

Decisions pinned here (README "Exit status"):

- a code is trimmed and upper-cased (`` 0213t `` is 0213T); four ASCII digits then a digit or a
  capital letter, so ``４７５５５`` (full-width digits) is a malformed code, exit 2; a very long code
  is quoted cut to 40 characters with its length;
- a query is at most 500 characters; a query that is not UTF-8 (bytes that do not decode, as a
  shell passes them) is a usage error, exit 2, as is an empty or blank query and one with no word
  of the letters a-z or digits;
- ``--limit`` is 1 to 1000; a line of a batch (``check --file``) at most 1 MB, a longer one is
  skipped and reported like any unreadable line;
- a reader that closes the pipe early ends any command quietly with status 0 (also ``check`` with
  error findings: the status says the output was cut, not that the codes passed);
- data: a file that is not a regular file, larger than 1 MB, not UTF-8, nested deeper than 1000
  levels or expanding through aliases beyond 100,000 values is a located problem (exit 3), found
  before it can hang the command or exhaust memory; Windows line endings and a byte order mark are
  accepted; hidden files (an editor's lock file ``.#0001X.yaml``) are not data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import DATA, GOOD, ROOT, run_cptref, run_on_terminal

pytestmark = pytest.mark.slow
"""The tests here run the command in processes."""

POSIX = sys.platform != "win32"
FIX = ("--data", str(GOOD))
LONG_CODE = "1" * 10_000
NOT_UTF8 = os.fsdecode(b"\xff")  # how Python hands a command-line byte that is not UTF-8 to cptref
DATA_INVALID = "cptref: the data is invalid ("


@dataclass(frozen=True)
class Out:
    code: int
    out: str
    err: str
    seconds: float


@dataclass(frozen=True)
class Job:
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def run(job: Job, timeout: float = 30) -> Out:
    """The real command in a fresh interpreter; stdout must be UTF-8 text."""
    env = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "CPTREF_DESCRIPTORS", "NO_COLOR", "COLUMNS")}
    env.update(job.env)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cptref", *job.args], capture_output=True, env=env, cwd=ROOT, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return Out(-1, "", f"TIMEOUT after {timeout} s", timeout)
    seconds = time.monotonic() - start
    return Out(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8", "replace"), seconds)


def run_all(jobs: dict[str, Job]) -> dict[str, Out]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(jobs, pool.map(run, jobs.values()), strict=True))


def assert_one_line_error(got: Out, status: int, message: str) -> None:
    assert got.code == status, got
    assert got.out == "", got
    assert got.err.startswith("cptref: "), got
    assert message in got.err, got
    assert len(got.err.splitlines()) == 1, got
    assert "Traceback" not in got.err


# --- codes, queries, limits, options ----------------------------------------------------------------

# (id, args, exit status, a stable part of the one-line message on stderr)
INPUT_ERRORS: list[tuple[str, tuple[str, ...], int, str]] = [
    ("unknown", ("show", "0009X"), 1, "cptref: code 0009X is not in cptref's library ("),
    ("malformed", ("show", "47555X"), 2, "cptref: '47555X' is not a CPT code: expected five characters"),
    ("prefix", ("show", "4755"), 1, "cptref: 4755 is not a whole code: it begins"),
    ("unicode-digits", ("show", "４７５５５"), 2, "cptref: '４７５５５' is not a CPT code"),
    ("unicode-digits-json", ("show", "４７５５５", "--json"), 2, "cptref: '４７５５５' is not a CPT code"),
    ("newline-inside", ("show", "00\n01X"), 2, "cptref: '00\\n01X' is not a CPT code"),
    ("not-utf8-code", ("show", NOT_UTF8), 2, "cptref: '\\udcff' is not a CPT code"),
    ("very-long", ("show", LONG_CODE), 2, f"cptref: '{'1' * 40}'... (10000 characters) is not a CPT code"),
    ("query-empty", ("search", ""), 2, "cptref: the query is empty: give words to look for"),
    ("query-blank", ("search", " \t \n "), 2, "cptref: the query is empty"),
    (
        "query-10000",
        ("search", "a" * 10_000),
        2,
        "cptref: the query is 10000 characters long; at most 500 are searched",
    ),
    ("query-not-utf8", ("search", f"widget {NOT_UTF8}"), 2, "cptref: the query is not UTF-8 text (character 8)"),
    ("query-not-utf8-json", ("search", f"widget {NOT_UTF8}", "--json"), 2, "cptref: the query is not UTF-8 text"),
    ("query-punctuation", ("search", "!!! ???"), 2, "has no word of the letters a-z or digits 0-9 to search for"),
    ("query-unicode-digits", ("search", "４７５５５"), 2, "has no word of the letters a-z or digits 0-9"),
    ("query-stopwords", ("search", "the of and"), 2, "cptref: the query 'the of and' has only common words"),
    ("no-match", ("search", "zzyzx"), 1, "cptref: no code in cptref's library matches 'zzyzx'; it covers"),
    ("limit-0-json", ("search", "widget", "--json", "--limit=0"), 2, "cptref: Invalid value for '--limit'"),
    ("limit-negative", ("search", "widget", "-n", "-1"), 2, "cptref: Invalid value for '--limit' / '-n': -1 is not"),
    ("limit-1001", ("search", "widget", "--json", "--limit", "1001"), 2, "1001 is not in the range 1<=x<=1000"),
    ("limit-huge", ("search", "widget", "--limit", "9" * 30), 2, "is not in the range 1<=x<=1000"),
    ("limit-text", ("search", "widget", "--json", "--limit", "ten"), 2, "'ten' is not a valid int"),
    ("limit-swallows-option", ("search", "widget", "--limit", "--json"), 2, "'--json' is not a valid int"),
    ("option-show", ("show", "0001X", "--bogus"), 2, "cptref: No such option: --bogus (see 'cptref show --help')"),
    ("option-search", ("search", "widget", "--jsn"), 2, "cptref: No such option: --jsn"),
    ("option-check", ("check", "0001X", "--bogus"), 2, "cptref: No such option: --bogus"),
    ("option-top", ("--bogus",), 2, "cptref: No such option: --bogus (see 'cptref --help')"),
    ("command", ("bogus",), 2, "cptref: No such command 'bogus'."),
    ("check-nothing", ("check",), 2, "cptref: give the codes to check"),
]
INPUT_WITHOUT_DATA: list[tuple[str, tuple[str, ...], int, str]] = [
    ("option-validate", ("validate", "--bogus"), 2, "cptref: No such option: --bogus (see 'cptref validate --help')"),
    ("validate-extra", ("validate", str(GOOD), "extra"), 2, "cptref: Got unexpected extra argument"),
]
# (id, args, check of stdout): accepted input
INPUT_ACCEPTED: list[tuple[str, tuple[str, ...], Callable[[str], bool]]] = [
    ("lower-case", ("show", "0001x"), lambda out: out.startswith("0001X  Widget repair")),
    ("lower-case-json", ("show", "0001x", "--json"), lambda out: json.loads(out)["procedures"][0]["code"] == "0001X"),
    ("padded", ("show", " 0001X "), lambda out: out.startswith("0001X  Widget repair")),
    (
        "padded-json",
        ("show", " 0001X\t", "0002x", "--json"),
        lambda out: [p["code"] for p in json.loads(out)["procedures"]] == ["0001X", "0002X"],
    ),
    ("limit-1000", ("search", "widget", "--json", "--limit", "1000"), lambda out: len(json.loads(out)["results"]) > 2),
    ("limit-1", ("search", "widget", "-n", "1"), lambda out: len(out.splitlines()) == 1),
    ("check-lower-padded", ("check", " 0001x ", "--json"), lambda out: json.loads(out)["codes"][0]["code"] == "0001X"),
]
# (id, args, status, check of stdout): check reports malformed codes as findings (stdout), not as errors
CHECK_FINDINGS: list[tuple[str, tuple[str, ...], int, Callable[[dict[str, object]], bool]]] = [
    ("check-unicode-digits", ("check", "４７５５５", "--json"), 1, lambda doc: doc["codes"] == []),
    ("check-not-utf8", ("check", NOT_UTF8, "--json"), 1, lambda doc: json.dumps(doc).count("\\\\udcff") >= 1),
    ("check-very-long", ("check", LONG_CODE, "--json"), 1, lambda doc: "(10000 characters)" in json.dumps(doc)),
    ("check-empty", ("check", "", "--json"), 1, lambda doc: doc["ok"] is False),
]


# --- data directories -------------------------------------------------------------------------------

MINIMAL = 'code: "{code}"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\n'
BOMB = "".join(
    [
        'code: "0003X"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\n',
        'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(f"lol{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)),
        "synonyms: *l9\n",
    ]
)


def build_dirs(base: Path) -> dict[str, Path]:
    """Data directories, each holding one hostile thing, from the good fixture (codes 0001X...)."""
    dirs: dict[str, Path] = {}

    def copy(name: str) -> Path:
        dirs[name] = base / name
        shutil.copytree(GOOD, dirs[name])
        return dirs[name] / "procedures"

    dirs["missing"] = base / "missing"
    dirs["a-file"] = base / "a-file"
    dirs["a-file"].write_text("not a directory\n")
    dirs["empty"] = base / "empty"
    dirs["empty"].mkdir()
    dirs["loop-dir"] = base / "loop-dir"
    os.symlink(base / "loop-dir", base / "loop-dir")
    shutil.rmtree(copy("procedures-missing"))
    folder = copy("procedures-a-file")
    shutil.rmtree(folder)
    folder.write_text("x\n")
    folder = copy("procedures-empty")
    shutil.rmtree(folder)
    folder.mkdir()
    (copy("invalid-yaml") / "0003X.yaml").write_text('code: "0003X"\ntitle: [unclosed\n')
    (copy("alias-bomb") / "0003X.yaml").write_text(BOMB)
    (copy("deep-flow") / "0003X.yaml").write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (copy("deep-block") / "0003X.yaml").write_text("- " * 100_000 + "x\n")
    with (copy("50mb") / "0003X.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB to stat, nothing on disk
    (copy("binary") / "0003X.yaml").write_bytes(bytes(range(256)) * 4)
    (copy("wrong-types") / "0003X.yaml").write_text(
        'code: "0003X"\nstatus: 1\ntitle: [a, b]\ndescriptor: {x: 1}\nsection: Imaging\nhistory: 2016\n'
    )
    folder = copy("unquoted-code")
    (folder / "0003X.yaml").write_text(MINIMAL.format(code="0003X").replace('"0003X"', "3000"))
    (copy("duplicate-code") / "0003X.yaml").write_text((GOOD / "procedures" / "0005X.yaml").read_text())
    folder = copy("name-disagrees")
    os.rename(folder / "0005X.yaml", folder / "0006X.yaml")
    folder = copy("symlink-loop")
    os.symlink("0009X.yaml", folder / "0008X.yaml")
    os.symlink("0008X.yaml", folder / "0009X.yaml")
    os.symlink(".", copy("symlink-to-folder") / "0007X.yaml")
    os.symlink("root@host.1234:1", copy("editor-lock") / ".#0001X.yaml")  # how emacs marks a file being edited
    folder = copy("crlf-bom")
    for path in folder.iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    folder = copy("tabs")
    text = (folder / "0001X.yaml").read_text()
    (folder / "0001X.yaml").write_text(text.replace("\n  ", "\n\t"))
    (copy("stray-name") / "notes.yaml").write_text("x: 1\n")
    if POSIX:
        os.mkfifo(copy("fifo") / "0006X.yaml")
        os.symlink("/dev/zero", copy("dev-zero") / "0006X.yaml")
        sources = copy("sources-fifo").parent / "sources.yaml"
        sources.unlink()
        os.mkfifo(sources)
    return dirs


# (id, directory, command, exit status, a stable part of stdout+stderr)
DATA_CASES: list[tuple[str, str, str, int, str]] = [
    ("missing", "missing", "search", 3, "missing: $: the data directory does not exist"),
    ("missing", "missing", "validate", 3, "missing: $: the data directory does not exist"),
    ("a-file", "a-file", "search", 3, "a-file: $: the data directory is not a directory"),
    ("a-file", "a-file", "validate", 3, "a-file: $: the data directory is not a directory"),
    ("loop-dir", "loop-dir", "search", 3, "loop-dir: $: the data directory cannot be reached (Too many levels"),
    ("empty", "empty", "search", 3, "empty/procedures: $: the procedures folder does not exist"),
    ("empty", "empty", "show", 3, "empty/procedures: $: the procedures folder does not exist"),
    ("empty", "empty", "validate", 3, "empty/procedures: $: the procedures folder does not exist"),
    ("no-procedures", "procedures-missing", "show-json", 3, "procedures: $: the procedures folder does not exist"),
    ("procedures-a-file", "procedures-a-file", "search", 3, "procedures: $: the procedures folder is not a directory"),
    ("procedures-empty", "procedures-empty", "search", 3, "procedures: $: no record files (*.yaml) in the folder"),
    ("invalid-yaml", "invalid-yaml", "search", 0, "0003X.yaml: $: invalid YAML: line 3, column 1"),
    ("alias-bomb", "alias-bomb", "search", 0, "0003X.yaml: $: invalid YAML: its aliases (*name) expand it to more"),
    ("alias-bomb", "alias-bomb", "show", 0, "0003X.yaml: $: invalid YAML: its aliases (*name) expand it"),
    ("alias-bomb", "alias-bomb", "check", 0, "0003X.yaml: $: invalid YAML: its aliases (*name) expand it"),
    ("deep-flow", "deep-flow", "search", 0, "0003X.yaml: $: invalid YAML: nested more than 1000 levels deep"),
    ("deep-flow", "deep-flow", "validate", 3, "0003X.yaml: $: invalid YAML: nested more than 1000 levels deep"),
    ("deep-block", "deep-block", "search", 0, "0003X.yaml: $: invalid YAML: nested more than 1000 levels deep"),
    ("50mb", "50mb", "search", 0, "0003X.yaml: $: file is 52428800 bytes; a data file is at most 1000000"),
    ("50mb", "50mb", "show", 3, "0003X.yaml: $: file is 52428800 bytes; a data file is at most 1000000"),
    ("50mb", "50mb", "validate", 3, "0003X.yaml: $: file is 52428800 bytes; a data file is at most 1000000"),
    ("binary", "binary", "search", 0, "0003X.yaml: $: not UTF-8 text (byte 128)"),
    ("wrong-types", "wrong-types", "search", 0, "0003X.yaml: $.status: expected one of active, deleted, got 1"),
    ("wrong-types", "wrong-types", "validate", 3, "0003X.yaml: $.history: expected a list, got a number"),
    ("unquoted-code", "unquoted-code", "search", 0, "0003X.yaml: $.code: a code must be a quoted string, got the"),
    ("duplicate-code", "duplicate-code", "search", 0, "0003X.yaml: $.code: code '0005X' does not match the file name"),
    ("name-disagrees", "name-disagrees", "search", 0, "0006X.yaml: $.code: code '0005X' does not match the file"),
    ("symlink-loop", "symlink-loop", "search", 0, "0008X.yaml: $: cannot read file: Too many levels of symbolic"),
    ("symlink-loop", "symlink-loop", "validate", 3, "0009X.yaml: $: cannot read file: Too many levels of symbolic"),
    ("symlink-to-folder", "symlink-to-folder", "search", 0, "0007X.yaml: $: cannot read file: not a regular file"),
    ("tabs", "tabs", "search", 0, "0001X.yaml: $: invalid YAML: line 5, column 1: found a tab character where an"),
    ("stray-name", "stray-name", "show-unknown", 1, "cptref: code 0009X is not in cptref's library"),
    ("stray-name", "stray-name", "search", 0, "notes.yaml: $.x: unknown field 'x'"),
]
if POSIX:
    DATA_CASES += [
        ("fifo", "fifo", "search", 0, "0006X.yaml: $: cannot read file: not a regular file (a pipe, socket or device)"),
        ("fifo", "fifo", "show", 3, "0006X.yaml: $: cannot read file: not a regular file (a pipe, socket or device)"),
        ("fifo", "fifo", "check", 3, "0006X.yaml: $: cannot read file: not a regular file"),
        ("dev-zero", "dev-zero", "search", 0, "0006X.yaml: $: cannot read file: not a regular file"),
        ("dev-zero", "dev-zero", "show", 3, "0006X.yaml: $: cannot read file: not a regular file"),
        ("sources-fifo", "sources-fifo", "search", 3, "sources.yaml: $: cannot read file: not a regular file"),
        ("sources-fifo", "sources-fifo", "validate", 3, "sources.yaml: $: cannot read file: not a regular file"),
    ]
# (id, directory, command): accepted data
DATA_ACCEPTED: list[tuple[str, str]] = [
    ("crlf-bom", "search"),
    ("crlf-bom", "show"),
    ("crlf-bom", "validate"),
    ("editor-lock", "search"),
    ("editor-lock", "validate"),
]


def data_job(command: str, folder: Path) -> Job:
    where = ("--data", str(folder))
    return {
        "search": Job(("search", "widget", "--json", *where)),
        "show": Job(("show", "0001X", *where)),
        "show-json": Job(("show", "0001X", "--json", *where)),
        "show-unknown": Job(("show", "0009X", *where)),
        "check": Job(("check", "0001X", "0002X", *where)),
        "validate": Job(("validate", str(folder))),
    }[command]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Out]:
    """Every command of the matrices above, run once: hostile arguments in this process (through the
    console script's entry point), hostile data directories in real processes, four at a time, each
    with a time-out (a pipe or a device among the data must not hang the suite)."""
    base = tmp_path_factory.mktemp("hostile")
    dirs = build_dirs(base)
    inputs = {f"in/{i}": (*args, *FIX) for i, args, *_ in INPUT_ERRORS + INPUT_ACCEPTED + CHECK_FINDINGS}
    inputs.update({f"in/{i}": args for i, args, *_ in INPUT_WITHOUT_DATA})
    jobs = {f"data/{name}/{cmd}": data_job(cmd, dirs[folder]) for name, folder, cmd, *_ in DATA_CASES}
    jobs.update({f"data/{name}/{cmd}": data_job(cmd, dirs[name]) for name, cmd in DATA_ACCEPTED})
    done = run_all(jobs)
    for key, args in inputs.items():
        got = run_cptref(*args)
        done[key] = Out(got.code, got.out, got.err, 0.0)
    return done


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [(i, s, m) for i, _, s, m in INPUT_ERRORS + INPUT_WITHOUT_DATA],
    ids=[i for i, *_ in INPUT_ERRORS + INPUT_WITHOUT_DATA],
)
def test_bad_input_gets_its_exit_status_and_one_line(ran: dict[str, Out], case: str, status: int, message: str) -> None:
    got = ran[f"in/{case}"]
    assert_one_line_error(got, status, message)
    assert len(got.err) < 400, "a message quotes at most a little of the input"


@pytest.mark.parametrize(("case", "ok"), [(i, ok) for i, _, ok in INPUT_ACCEPTED], ids=[i for i, *_ in INPUT_ACCEPTED])
def test_loose_but_clear_input_is_accepted(ran: dict[str, Out], case: str, ok: Callable[[str], bool]) -> None:
    got = ran[f"in/{case}"]
    assert (got.code, got.err) == (0, ""), got
    assert ok(got.out), got.out[:500]


@pytest.mark.parametrize(
    ("case", "status", "ok"), [(i, s, ok) for i, _, s, ok in CHECK_FINDINGS], ids=[i for i, *_ in CHECK_FINDINGS]
)
def test_check_reports_a_hostile_code_as_a_malformed_code_finding(
    ran: dict[str, Out], case: str, status: int, ok: Callable[[dict[str, object]], bool]
) -> None:
    got = ran[f"in/{case}"]
    assert (got.code, got.err) == (status, ""), got
    doc = json.loads(got.out)
    assert [f["rule"] for f in doc["findings"]] == ["malformed-code"]
    assert ok(doc), doc


@pytest.mark.parametrize(
    ("case", "command", "status", "message"),
    [(i, c, s, m) for i, _, c, s, m in DATA_CASES],
    ids=[f"{i}-{c}" for i, _, c, *_ in DATA_CASES],
)
def test_hostile_data_is_a_located_problem_found_fast(
    ran: dict[str, Out], case: str, command: str, status: int, message: str
) -> None:
    got = ran[f"data/{case}/{command}"]
    assert got.code == status, got
    assert "Traceback" not in got.err
    if command == "validate":  # the problems on stdout, a count on stderr
        assert message in got.out, got
        assert re.fullmatch(r"cptref: \d+ record files checked: [1-9]\d* errors?, \d+ warnings?\n", got.err), got
    elif status in (0, 1) and "0009X" not in message:
        # a broken record the answer does not need: the answer, and one line naming the file and its problem
        assert got.out, got
        [warning] = got.err.splitlines()
        assert warning.startswith("cptref: warning: ") and message.split(": ")[0] in warning, got
        assert message.split(": $")[-1].split(": ")[-1][:20] in warning, got
    elif status == 1:  # an unknown code beside a broken record: the warning, then the error
        assert got.err.splitlines()[-1].startswith(message), got
        assert len(got.err.splitlines()) <= 2
    else:
        assert got.out == "", got
        assert got.err.startswith(DATA_INVALID), got
        assert any(message in line for line in got.err.splitlines()[1:]), got
        assert all(line.startswith("cptref: ") for line in got.err.splitlines())


@pytest.mark.parametrize(("case", "command"), DATA_ACCEPTED, ids=[f"{i}-{c}" for i, c in DATA_ACCEPTED])
def test_windows_line_endings_a_bom_and_hidden_files_are_accepted(ran: dict[str, Out], case: str, command: str) -> None:
    got = ran[f"data/{case}/{command}"]
    assert got.code == 0, got
    if command == "search":
        assert json.loads(got.out)["results"][0]["code"] == "0002X"  # of two widget titles, the one saying less
    elif command == "show":
        assert got.out.startswith("0001X  Widget repair")
    else:  # validate: the canonical form is \n, so a warning (not an error) for each CRLF file
        assert "errors" not in got.err or " 0 errors" in got.err, got
        assert ("Windows line endings" in got.out) == (case == "crlf-bom")


@pytest.mark.skipif(not POSIX or os.geteuid() == 0, reason="root reads any file: permissions are not enforced")
@pytest.mark.parametrize("what", ["record", "procedures folder"])
def test_unreadable_data_is_a_located_problem(tmp_path: Path, what: str) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    target = root / "procedures" / "0003X.yaml" if what == "record" else root / "procedures"
    target.chmod(0)
    try:
        got = run(Job(("search", "widget", "--json", "--data", str(root))))
    finally:
        target.chmod(0o700)
    assert got.code == 3, got
    assert got.err.startswith(DATA_INVALID)
    assert "Permission denied" in got.err


# --- batches (check --file) ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_batch_line_longer_than_a_megabyte_is_skipped_and_the_run_goes_on(tmp_path: Path, kind: str) -> None:
    claims = tmp_path / f"claims.{kind}"
    huge = "0" * 3_000_000
    if kind == "csv":
        claims.write_text(f"id,codes\nA,0001X\nB,{huge}\nC,0002X 0001X\n")
    else:
        claims.write_text(
            f'{{"id":"A","codes":["0001X"]}}\n{{"id":"B","codes":["{huge}"]}}\n{{"id":"C","codes":["0001X"]}}\n'
        )
    got = run(Job(("check", "--file", str(claims), "--date", "2026-11-27", "--jsonl", *FIX)))
    assert got.code == 4, got  # a line was skipped: malformed input
    assert [json.loads(line)["id"] for line in got.out.splitlines()] == ["A", "C"]
    line = 3 if kind == "csv" else 2
    assert f"claims.{kind}:{line}: the line is longer than 1000000 bytes; line skipped" in got.err
    assert "Traceback" not in got.err


@pytest.mark.skipif(sys.platform != "linux", reason="/dev/zero and RLIMIT_AS")
def test_a_batch_without_line_breaks_is_read_in_bounded_memory() -> None:
    """An endless batch of text without a line break (``/dev/zero``'s bytes made letters) never ends,
    but it must not grow: under a 300 MB address-space limit it is still reading, with no MemoryError,
    when it is stopped (reading lines without a bound fails with MemoryError there within half a
    second). ``/dev/zero`` itself is no text: refused at once, one line."""
    line = " ".join([sys.executable, "-m", "cptref", "check", "--file", "-", "--jsonl", *FIX])
    endless = "< <(tr '\\0' x < /dev/zero)"
    with pytest.raises(subprocess.TimeoutExpired) as stopped:
        subprocess.run(
            ["bash", "-c", f"ulimit -v 300000; exec {line} {endless}"], capture_output=True, cwd=ROOT, timeout=1.0
        )
    assert b"MemoryError" not in (stopped.value.stderr or b"")
    zero = " ".join([sys.executable, "-m", "cptref", "check", "--file", "/dev/zero", "--jsonl", *FIX])
    refused = subprocess.run(
        ["bash", "-c", f"ulimit -v 300000; exec {zero}"], capture_output=True, cwd=ROOT, timeout=60
    )
    assert refused.returncode == 4 and refused.stderr.startswith(b"cptref: /dev/zero: not text (it holds NUL bytes)")


# --- names that are not UTF-8 -------------------------------------------------------------------------


@pytest.fixture
def not_utf8_dir(tmp_path: Path) -> Path:
    folder = Path(os.fsdecode(os.fsencode(tmp_path) + b"/data-\xff"))
    shutil.copytree(GOOD, folder)
    return folder


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
def test_a_data_directory_whose_name_is_not_utf8_works_and_is_shown_escaped(not_utf8_dir: Path) -> None:
    (not_utf8_dir / "procedures" / "notes.yaml").write_text("x: 1\n")
    where = ("--data", str(not_utf8_dir))
    shown = run(Job(("show", "0001X", *where)))
    assert shown.code == 0, shown
    assert "From: " in shown.out and "data-\\udcff" in shown.out
    searched = run(Job(("search", "widget", *where)))  # the broken file is named, the answer given
    assert searched.code == 0 and "data-\\xff/procedures/notes.yaml" in searched.err, searched
    linted = run(Job(("validate", str(not_utf8_dir))))
    assert linted.code == 3 and "data-\\xff/procedures/notes.yaml: $.x: unknown field 'x'" in linted.out, linted


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux")
@pytest.mark.parametrize("command", ["show", "validate"])
def test_json_naming_a_directory_that_is_not_utf8_is_valid_json(not_utf8_dir: Path, command: str) -> None:
    args = ("show", "0001X", "--json", "--data", str(not_utf8_dir))
    got = run(Job(args if command == "show" else ("validate", str(not_utf8_dir), "--json")))
    assert got.code == 0, got
    assert json.loads(got.out)


# --- a reader that closes the pipe ------------------------------------------------------------------

SHIPPED = tuple(sorted(p.stem for p in (DATA / "procedures").glob("*.yaml")))
# outputs larger than a pipe holds (64 KiB) where the command can print that much
PIPED: dict[str, tuple[str, ...]] = {
    "show": ("show", *SHIPPED, "--full"),
    "show-json": ("show", *SHIPPED, "--json"),
    "search": ("search", "widget", *FIX),
    "search-json": ("search", "widget", "--json", *FIX),
    "check": ("check", *SHIPPED, *SHIPPED, "--explain"),
    "check-json": ("check", *SHIPPED, "--json"),
    "check-jsonl": ("check", *SHIPPED, *SHIPPED, "--jsonl"),
    "validate": ("validate", str(ROOT / "tests" / "fixtures" / "broken" / "key-order")),
    "validate-json": ("validate", str(GOOD), "--json"),
}
SUMMARY = re.compile(r"cptref: \d+ record files checked: \d+ errors?, \d+ warnings?\n")


def closed_pipe(args: tuple[str, ...]) -> Out:
    """Run with stdout a pipe whose reading end is already closed: every write fails (EPIPE)."""
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "CPTREF_DESCRIPTORS")}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cptref", *args], stdout=write, stderr=subprocess.PIPE, env=env, cwd=ROOT, timeout=60
        )
    finally:
        os.close(write)
    return Out(proc.returncode, "", proc.stderr.decode(), 0)


def head_c1(args: tuple[str, ...]) -> Out:
    """``cptref ... | head -c1`` in bash: the exit status of cptref from PIPESTATUS."""
    line = " ".join(["'" + a.replace("'", "'\\''") + "'" for a in (sys.executable, "-m", "cptref", *args)])
    proc = subprocess.run(
        ["bash", "-c", f"{line} | head -c1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    return Out(int(proc.stdout.strip()), "", proc.stderr, 0)


@pytest.fixture(scope="module")
def piped() -> dict[str, Out]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        closed = {f"closed/{name}": pool.submit(closed_pipe, args) for name, args in PIPED.items()}
        headed = {f"head/{name}": pool.submit(head_c1, args) for name, args in PIPED.items()}
        return {key: future.result() for key, future in {**closed, **headed}.items()}


@pytest.mark.skipif(not POSIX, reason="pipes and bash")
@pytest.mark.parametrize("how", ["closed", "head"])
@pytest.mark.parametrize("command", list(PIPED))
def test_a_closed_pipe_ends_every_command_quietly_with_status_0(piped: dict[str, Out], how: str, command: str) -> None:
    """``closed``: the reading end is closed before the command writes, so every write fails (EPIPE):
    status 0, nothing on stderr. ``head``: the shell idiom; whether the write fails depends on how
    much ``head`` has read by then (GNU head may take a whole single write), so the status is 0 or the
    command's own (check of every shipped code has errors: 1), and stderr stays clean."""
    got = piped[f"{how}/{command}"]
    if how == "closed":
        assert (got.code, got.err) == (0, ""), got
        return
    assert got.code in (0, 1 if command.startswith("check") else 0), got
    if command.startswith("validate"):
        assert got.err == "" or SUMMARY.fullmatch(got.err), got  # the count, once the output is written
    else:
        assert got.err == "", got


@pytest.mark.skipif(not POSIX, reason="pipes")
@pytest.mark.parametrize(
    "args", [("--help",), ("show", "--help"), ("--version",)], ids=["help", "show-help", "version"]
)
def test_a_closed_pipe_on_help_and_version_is_status_0(args: tuple[str, ...]) -> None:
    got = closed_pipe(args)
    assert (got.code, got.err) == (0, "")


# --- terminals ----------------------------------------------------------------------------------------

ESC = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def on_a_terminal(args: tuple[str, ...], env: dict[str, str], columns: int = 80) -> Out:
    """Run with stdin and stdout on a pseudo-terminal ``columns`` wide; stderr apart."""
    code, out, err = run_on_terminal(args, {"PAGER": "cat", "LINES": "500", **env}, columns, rows=500)
    return Out(code, out, err, 0)


TERMINAL_COMMANDS: dict[str, tuple[tuple[str, ...], int]] = {
    "show": (("show", "0001X", "0002X", "--full", *FIX), 0),
    "search": (("search", "widget", *FIX), 0),
    "check": (("check", "0001X", "0005X", "--explain", *FIX), 1),
}
TERMINALS: dict[str, tuple[dict[str, str], int]] = {
    "dumb": ({"TERM": "dumb"}, 80),
    "no-color": ({"TERM": "xterm-256color", "NO_COLOR": "1"}, 80),
    "20-columns": ({"TERM": "xterm-256color", "COLUMNS": "20"}, 20),
}


@pytest.fixture(scope="module")
def terminals() -> dict[str, Out]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            f"{term}/{name}": pool.submit(on_a_terminal, args, env, columns)
            for term, (env, columns) in TERMINALS.items()
            for name, (args, _) in TERMINAL_COMMANDS.items()
        }
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.skipif(not POSIX, reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("term", list(TERMINALS))
@pytest.mark.parametrize("command", list(TERMINAL_COMMANDS))
def test_dumb_colourless_and_narrow_terminals(terminals: dict[str, Out], term: str, command: str) -> None:
    got = terminals[f"{term}/{command}"]
    assert (got.code, got.err) == (TERMINAL_COMMANDS[command][1], ""), got
    assert "0001X" in got.out
    if term == "dumb":
        assert "\x1b" not in got.out, "a dumb terminal gets no escape sequences"
    if term == "no-color":
        assert not COLOUR.search(got.out), "NO_COLOR: no colour (bold and dim are not colour)"
    if term == "20-columns" and command != "search":  # search prints one result a line, by design
        visible = ESC.sub("", got.out)
        assert max(len(line) for line in visible.splitlines()) <= 20, visible


# --- nothing written into the data directory, no network -----------------------------------------------

# every command and output over a data directory, as a user runs them
EVERY_COMMAND: list[tuple[str, ...]] = [
    ("show", "0001X", "0002X"),
    ("show", "0001X", "--full"),
    ("show", "0001X", "0002X", "--json"),
    ("search", "widget", "stretch"),
    ("search", "widgit", "--json"),
    ("check", "0001X", "0005X"),
    ("check", "0001X", "0002X", "--json"),
    ("check", "0001X", "--jsonl"),
    ("validate",),
    ("validate", "--json"),
]


def snapshot(root: Path) -> list[tuple[str, int, int, int]]:
    """Every entry under ``root``: name, size, modification time and mode."""
    found = []
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        found.append((str(path.relative_to(root)), info.st_size, info.st_mtime_ns, info.st_mode))
    info = root.lstat()
    return [(".", info.st_size, info.st_mtime_ns, info.st_mode), *found]


def with_data(args: tuple[str, ...], root: Path) -> tuple[str, ...]:
    return (*args[:1], str(root), *args[1:]) if args[0] == "validate" else (*args, "--data", str(root))


@pytest.mark.parametrize("broken", [False, True], ids=["good", "one-bad-file"])
def test_no_command_writes_into_the_data_directory(tmp_path: Path, broken: bool) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    claims = tmp_path / "claims.csv"
    claims.write_text("id,codes\nA,0001X 0002X\nB,0001X 0005X\n")
    if broken:  # a bad file elsewhere: show falls back to parsing only the records it needs
        (root / "procedures" / "0004X.yaml").write_text("code: [broken\n")
    before = snapshot(root)
    cache = {"CPTREF_CACHE_DIR": str(tmp_path / "cache")}  # empty: the first command builds the index
    jobs = [Job(with_data(args, root), cache) for args in EVERY_COMMAND]
    jobs.append(Job(("check", "--file", str(claims), "--date", "2026-11-27", "--jsonl", "--data", str(root)), cache))
    results = [run(jobs[0]), *run_all({str(i): j for i, j in enumerate(jobs[1:])}).values()]
    assert all("Traceback" not in r.err for r in results)
    assert [r.code for r in results][:3] == [0, 0, 0]
    assert snapshot(root) == before
    assert list(tmp_path.glob("cache/index-*.sqlite")) or broken


SITECUSTOMIZE = """
import socket

class NoNetwork(OSError):
    pass

def refuse(*args, **kwargs):
    raise NoNetwork("cptref tried to use the network")

class Socket(socket.socket):
    def __init__(self, *args, **kwargs):
        refuse()

socket.socket = Socket
socket.create_connection = refuse
socket.getaddrinfo = refuse
socket.socketpair = refuse
"""


def test_every_command_works_with_sockets_refused(tmp_path: Path) -> None:
    """Each command in a fresh interpreter whose socket module refuses every use (a sitecustomize)."""
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {"PYTHONPATH": str(guard), "CPTREF_CACHE_DIR": str(tmp_path / "cache")}
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert "NoNetwork" in probe.stderr, "the guard is in place"
    jobs = {" ".join(args): Job(with_data(args, GOOD), env) for args in EVERY_COMMAND}
    jobs["show shipped"] = Job(("show", "47555", "--json"), env)
    results = run_all(jobs)
    for name, got in results.items():
        assert "NoNetwork" not in got.err and "Traceback" not in got.err, (name, got)
        assert got.code == (1 if name.startswith("check 0001X 0005X") else 0), (name, got)
        assert got.out or name == "validate", name


def test_the_library_answers_with_sockets_refused_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import socket

    from cptref.cli import main as entry

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("cptref tried to use the network")

    monkeypatch.setenv("CPTREF_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("socket", "create_connection", "getaddrinfo", "create_server", "socketpair"):
        monkeypatch.setattr(socket, name, refuse)
    for args in EVERY_COMMAND:
        with pytest.raises(SystemExit) as exited:
            entry.main(list(with_data(args, GOOD)))
        out, err = capfd.readouterr()
        assert exited.value.code in (0, 1), (args, err)
        assert (out or args == ("validate",)) and "network" not in err, args
    monkeypatch.setenv("CPTREF_DATA", str(DATA))
    with pytest.raises(SystemExit) as exited:
        entry.main(["search", "balloon", "dilation", "--json"])
    assert exited.value.code == 0
    assert json.loads(capfd.readouterr().out)["results"]


# --- CMS tables (--cms) -------------------------------------------------------------------------------
# Hostile files among a user's CMS downloads are located problems (SECURITY.md, the rows of area cms):
# never a hang (a named pipe, a link to /dev/zero), never a traceback (a workbook naming column
# ZZZZZZZZZZ, a zip bomb, a name that is not UTF-8), never a silent loss (a stray quote).


def hostile_cms(base: Path) -> Path:
    import zipfile

    from tests.cms.test_xlsx import patch_sizes, raw_sheet

    tables = ROOT / "tests" / "fixtures" / "cms" / "tables"
    folder = base / "cms"
    folder.mkdir()
    mue = (tables / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv").read_bytes()
    stray = mue.replace(b"0002X,4,3 Date", b'0002X,"4,3 Date')
    (folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv").write_bytes(stray)
    (folder / "AOC_V2026Q4-MCR.xlsx").write_bytes(raw_sheet('<row r="1"><c r="ZZZZZZZZZZ1"><v>1</v></c></row>'))
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_STORED) as z:
        z.writestr("ccioph-v323r0-f1.txt", (tables / "ccioph-v323r0-f1.txt").read_bytes())
    bomb = patch_sizes((folder / "bomb.zip").read_bytes(), "ccioph-v323r0-f1.txt", size=300 << 20)
    (folder / "bomb.zip").write_bytes(bomb)
    if POSIX:
        name = os.fsencode(folder / "ccipra-v323r0-f1") + b"\xff.txt"
        with open(name, "wb") as handle:
            handle.write((tables / "ccipra-v323r0-f1.txt").read_bytes())
        os.mkfifo(folder / "ccipra-v323r0-f2.txt")
        if os.path.exists("/dev/zero"):
            (folder / "ptp.zip").symlink_to("/dev/zero")
    return folder


@pytest.fixture(scope="module")
def cms_ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Out]:
    folder = str(hostile_cms(tmp_path_factory.mktemp("hostile-cms")))
    return run_all(
        {
            "validate": Job(("validate", "--cms", folder)),
            "check": Job(("check", "0001X", "0002X", "--cms", folder, "--json")),
        }
    )


def test_hostile_cms_files_are_each_a_located_problem(cms_ran: dict[str, Out]) -> None:
    got = cms_ran["validate"]
    assert got.code == 3, got
    assert "Traceback" not in got.err
    lines = got.out.splitlines()
    expected = [
        ("MCR_MUE_PractitionerServices_Eff_10-01-2026.csv: line 7: warning: a quote opened on line 7", True),
        ("MCR_MUE_PractitionerServices_Eff_10-01-2026.csv: line 7: MUE value '\"4' is not", True),
        ("AOC_V2026Q4-MCR.xlsx: file: a cell reference 'ZZZZZZZZZZ1'", True),
        ("bomb.zip: ccioph-v323r0-f1.txt: the member expands", True),
        ("ccipra-v323r0-f2.txt: file: not a regular file", POSIX),
        ("ptp.zip: file: a link to something that is not a regular file", POSIX and os.path.exists("/dev/zero")),
    ]
    for needle, present in expected:
        assert any(needle in line for line in lines) == present, (needle, got.out)
    if POSIX:  # the table whose name is not UTF-8 is read, and named with the byte escaped
        assert "ccipra-v323r0-f1\\udcff.txt" in got.err, got.err


def test_commands_answer_beside_hostile_cms_files(cms_ran: dict[str, Out]) -> None:
    got = cms_ran["check"]
    assert got.code in (0, 1), got
    assert json.loads(got.out)["codes"]
    assert "Traceback" not in got.err
    assert "`cptref tables` lists them" in got.err  # one warning line says where the problems are listed
