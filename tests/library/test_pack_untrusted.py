"""A packed library is untrusted input (issue 25, SECURITY.md "Packed libraries"): crafted packs, made
here from a sound one, each refused with one located problem (the pack, the table, the row) and exit
status 3, within a process's timeout; nothing is written beside a pack; SQLite stops on a signal."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from cptref.errors import DataErrors
from cptref.library.pack.file import _LAYOUT_1, MAX_BODY_BYTES, Pack
from cptref.library.pack.write import write_pack
from tests.conftest import GOOD, ROOT, run_cptref, run_process

RECURSIVE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"


@pytest.fixture(scope="module")
def sound(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pack of the made-up fixture records, as ``cptref pack`` writes it."""
    folder = tmp_path_factory.mktemp("sound")
    data = folder / "my-codes"
    shutil.copytree(GOOD, data)
    output = folder / "codes.cptref"
    write_pack(data, output)
    return output


def crafted(sound: Path, where: Path, *sql: str) -> Path:
    """A copy of the sound pack changed by ``sql`` (as someone could with the sqlite3 shell)."""
    where.mkdir(parents=True, exist_ok=True)
    path = where / "codes.cptref"
    shutil.copyfile(sound, path)
    db = sqlite3.connect(path)
    for statement in sql:
        db.execute(statement)
    db.commit()
    db.close()
    return path


def _bomb() -> bytes:
    return zlib.compress(b"\0" * (MAX_BODY_BYTES * 4), 9)


CASES: dict[str, tuple[tuple[str, ...], str, str]] = {
    # name: (the change, where the problem is, what it says)
    "endless view": (
        (
            "DROP TABLE records",
            f"CREATE VIEW records(code, body, words) AS {RECURSIVE} "
            "SELECT printf('%05d', x), zeroblob(100000), '' FROM c ORDER BY 1 DESC",
        ),
        "sqlite_master['records']",
        "a view that is not one of a packed library's tables",
    ),
    "trigger": (
        ("CREATE TRIGGER t AFTER INSERT ON meta BEGIN SELECT 1; END",),
        "sqlite_master['t']",
        "a trigger",
    ),
    "virtual table": (
        ("CREATE VIRTUAL TABLE v USING rtree(id, x0, x1)",),
        "sqlite_master['v']",
        "a virtual table",
    ),
    "extra column": (
        ("ALTER TABLE records ADD COLUMN extra TEXT",),
        "sqlite_master['records']",
        "a table that is not one of a packed library's tables, or not as cptref writes it",
    ),
    "code that disagrees with its record": (
        ("UPDATE records SET code = '0009X' WHERE code = '0005X'",),
        "records[row 5]",
        "0009X: its body is the record of '0005X'",
    ),
    "code that is not a code": (
        ("UPDATE records SET code = '0005X' || char(10) WHERE code = '0005X'",),
        "records[row 5]",
        "'0005X\\n' is not a code",
    ),
    "codes out of order": (
        ("UPDATE records SET code = '0000X' WHERE code = '0003X'",),
        "records[row 3]",
        "out of code order",
    ),
    "huge row": (
        (f"UPDATE records SET body = zeroblob({MAX_BODY_BYTES + 1}) WHERE code = '0002X'",),
        "records[row 2]",
        f"its body is not bytes of at most {MAX_BODY_BYTES:,}",
    ),
    "body that is not a record": (
        (f"UPDATE records SET body = x'{zlib.compress(b'not msgpack').hex()}' WHERE code = '0001X'",),
        "records[row 1]",
        "0001X: its body is not a record",
    ),
    "compression bomb": (
        (f"UPDATE records SET body = x'{_bomb().hex()}' WHERE code = '0004X'",),
        "records[row 4]",
        f"its body expands beyond {MAX_BODY_BYTES:,} bytes",
    ),
    "families that are not families": (
        ("UPDATE meta SET value = x'91a3616263' WHERE key = 'families'",),
        "meta[families]",
        "not the families of a packed library",
    ),
}


def read_whole(path: Path) -> None:
    with Pack(path) as pack:
        _ = pack.families, pack.sources
        list(pack.rows())


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_crafted_pack_is_one_located_problem_in_process(sound: Path, tmp_path: Path, case: str) -> None:
    changes, where, says = CASES[case]
    path = crafted(sound, tmp_path, *changes)
    with pytest.raises(DataErrors) as caught:
        read_whole(path)
    [problem] = caught.value.problems
    assert problem.file.endswith("codes.cptref") and problem.field == where, problem
    assert says in problem.message, problem


@pytest.mark.slow
@pytest.mark.parametrize("command", [("show", "0001X"), ("validate",), ("check", "0001X", "0002X", "--json")])
@pytest.mark.parametrize("case", ["endless view", "trigger", "virtual table", "code that disagrees with its record"])
def test_every_command_refuses_a_crafted_pack_with_one_located_line(
    sound: Path, tmp_path: Path, case: str, command: tuple[str, ...]
) -> None:
    changes, where, says = CASES[case]
    path = crafted(sound, tmp_path / "pack", *changes)
    before = sorted(p.name for p in path.parent.iterdir())
    args = (*command, str(path)) if command == ("validate",) else (*command, "--data", str(path))
    got = run_process(*args, env={"CPTREF_CACHE_DIR": str(tmp_path / "cache")})  # a timeout guards it
    assert got.code == 3, got
    said = got.out if command == ("validate",) else got.err  # validate lists problems on stdout
    located = [line for line in said.splitlines() if f"codes.cptref: {where}" in line]
    assert len(located) == 1 and says in located[0], got
    assert "Traceback" not in got.err
    assert sorted(p.name for p in path.parent.iterdir()) == before  # nothing written beside it


@pytest.mark.slow
def test_a_wal_mode_pack_is_refused_and_nothing_is_written_beside_it(sound: Path, tmp_path: Path) -> None:
    path = crafted(sound, tmp_path / "pack", "PRAGMA journal_mode = WAL")
    assert path.read_bytes()[18:20] == b"\2\2"
    before = sorted(p.name for p in path.parent.iterdir())
    got = run_process("show", "0001X", "--data", str(path), env={"CPTREF_CACHE_DIR": str(tmp_path / "cache")})
    assert got.code == 3, got
    assert "codes.cptref: $: the packed library is in WAL mode" in got.err and "pack its directory again" in got.err
    assert sorted(p.name for p in path.parent.iterdir()) == before == ["codes.cptref"]


def test_a_sound_pack_is_read_without_writing_beside_it(sound: Path, tmp_path: Path) -> None:
    path = crafted(sound, tmp_path)
    path.parent.chmod(0o500)  # a folder that cannot be written: a journal or -wal file could not be made
    try:
        with Pack(path) as pack:
            assert [r.code for r in pack.records()] == pack.codes() == ["0001X", "0002X", "0003X", "0004X", "0005X"]
    finally:
        path.parent.chmod(0o700)
    assert [p.name for p in path.parent.iterdir()] == ["codes.cptref"]


def test_a_pack_of_the_layout_before_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "old.cptref"
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 1129337936")
    db.executescript(_LAYOUT_1)
    db.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [("kind", b"cptref packed library"), ("format", b"1"), ("version", b"0.9")],
    )
    db.commit()
    db.close()
    with pytest.raises(DataErrors) as caught:
        Pack(path)
    [problem] = caught.value.problems
    assert problem.message == "packed by cptref '0.9' in another layout: pack its directory again"


def test_the_queries_of_a_pack_need_no_temporary_space(sound: Path) -> None:
    """Every statement cptref runs on a pack is planned without a temporary b-tree (a sort or a
    DISTINCT that would spill to a temporary file): with the schema checked, nothing else runs."""
    statements: list[str] = []
    with Pack(sound) as pack:
        pack.db.set_trace_callback(statements.append)
        pack.codes()
        list(pack.rows())
        pack.record("0002X")
        list(pack.checked_range("0002X", "0004X"))  # a cold build's worker reads its chunk so
        pack.db.set_trace_callback(None)
        selects = {s for s in statements if s.startswith("SELECT")}
        assert len(selects) >= 4
        for statement in selects:
            plan = " ".join(
                str(row)
                for row in pack.db.execute(f"EXPLAIN QUERY PLAN {statement}", ("0002X",) * statement.count("?"))
            )
            assert "TEMP B-TREE" not in plan, (statement, plan)


SIGNALLED = """
import os, signal, sys, threading
from pathlib import Path
from cptref.output import streams
from cptref.library.pack.file import Pack

def main():
    streams.standard_streams()  # cptref's own SIGINT and SIGTERM handlers
    with Pack(Path(sys.argv[1])) as pack:
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()
        endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
        pack._guarded("records", lambda: pack.db.execute(endless).fetchone())

streams.guarded(main)
"""


@pytest.mark.slow
def test_sigterm_stops_sqlite_in_a_statement_of_a_pack(sound: Path) -> None:
    """SQLite runs a statement without returning to Python: the progress handler looks at the flag
    the signal handler set, stops the statement, and the command ends as a terminated one does."""
    got = subprocess.run(
        [sys.executable, "-c", SIGNALLED, str(sound)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert got.returncode == 143, got
    assert got.stderr == "cptref: terminated\n"


FAMILY = """\
- id: percutaneous-biliary
  title: A redefinition that drops the family's rules
  ranges: [47531-47544]
  description: Made-up text; the shipped family's includes are gone.
"""


def test_a_pack_that_redefines_a_shipped_family_is_reported_by_pack_and_validate(tmp_path: Path) -> None:
    """The redefined family flips check's verdict on a claim the shipped rules stop: pack says so,
    validate says so (a warning; --strict: an error), as for a directory."""
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    (overlay / "families.yaml").write_text(FAMILY + (GOOD / "families.yaml").read_text())
    shutil.copyfile(GOOD / "procedures" / "0001X.yaml", overlay / "procedures" / "0001X.yaml")
    shutil.copyfile(GOOD / "sources.yaml", overlay / "sources.yaml")
    packed = tmp_path / "overlay.cptref"
    env = {"CPTREF_CACHE_DIR": str(tmp_path / "cache")}
    got = run_cptref("pack", str(overlay), "-o", str(packed), env=env)
    assert got.code == 0, got
    redefines = "warning: redefines the shipped family 'percutaneous-biliary'"
    assert [line for line in got.err.splitlines() if redefines in line] == [  # named in the directory's file
        f"cptref: {overlay / 'families.yaml'}: $[percutaneous-biliary]: {redefines}: its rules then apply to the "
        "shipped codes of that family (show names this directory beside them)"
    ]
    assert run_cptref("check", "47532", "76942", env=env).code == 1  # the shipped rule stops it
    assert run_cptref("check", "47532", "76942", env={**env, "CPTREF_DATA": str(packed)}).code == 0  # flipped
    got = run_cptref("validate", str(packed), env=env)
    assert got.code == 0, got
    assert (  # named in the pack, as every problem of a pack is (its records' dangling references too)
        f"{packed}: meta[family percutaneous-biliary]: {redefines}: its rules then apply to the shipped codes "
        "of that family (show names this directory beside them)"
    ) in got.out.splitlines()
    assert f"{packed}: records[0001X].not_with[0].codes[0]: warning: 0005X has no record" in got.out
    assert got.err.endswith(" 0 errors, 3 warnings\n")
    assert run_cptref("validate", str(packed), "--strict", env=env).code == 3


def test_a_pack_that_replaces_a_shipped_record_is_reported(tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    shipped = Path(__file__).parents[2] / "data" / "procedures" / "47555.yaml"
    (overlay / "procedures" / "47555.yaml").write_text(shipped.read_text().replace("stricture", "narrowing", 1))
    packed = tmp_path / "overlay.cptref"
    env = {"CPTREF_CACHE_DIR": str(tmp_path / "cache")}
    got = run_cptref("pack", str(overlay), "-o", str(packed), env=env)
    assert got.code == 0, got
    assert f"{overlay / 'procedures' / '47555.yaml'}: $: warning: replaces the shipped record of 47555" in got.err
    replaces = f"{packed}: records[47555]: warning: replaces the shipped record of 47555"
    got = run_cptref("validate", str(packed), env=env)
    assert (got.code, got.out.count("\n")) == (0, 1) and got.out.startswith(replaces), got
    assert run_cptref("validate", str(packed), "--strict", env=env).code == 3


def test_validate_of_a_sound_pack_checks_every_row_and_finds_nothing(sound: Path, tmp_path: Path) -> None:
    got = run_cptref("validate", str(sound), "--json", env={"CPTREF_CACHE_DIR": str(tmp_path / "cache")})
    assert got.code == 0, got
    assert json.loads(got.out)["files"] == 5
    assert got.err == "cptref: 5 record files checked: 0 errors, 0 warnings\n"
