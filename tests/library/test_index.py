"""The compiled index: used when current, rebuilt when the data changes, never trusted when stale."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cptref.check import CheckTables, check
from cptref.library.catalog import Catalog, load_catalog, read_catalog
from cptref.library.index import build
from cptref.library.index import cache as cache_files
from cptref.library.index import compiled as index
from cptref.library.index import parse as parsing
from cptref.library.index import writer as writing
from cptref.library.index.reader import IndexStore
from cptref.library.stores import MemoryStore
from cptref.output.to_documents import show_document
from cptref.search import search
from tests.conftest import DATA, ROOT, run_cptref
from tests.permissions import owner_permissions


def written(cache: Path) -> tuple[int, int]:
    """The one index file's identity: it changes when the index is written again."""
    (path,) = cache.glob("index-*.sqlite")
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def test_first_use_builds_the_index_and_the_next_use_reads_it(cache: Path, data: Path) -> None:
    first = load_catalog(data)
    assert isinstance(first.store, IndexStore)
    before = written(cache)
    second = load_catalog(data)
    assert isinstance(second.store, IndexStore)
    assert written(cache) == before
    assert second.get("0002X") == first.get("0002X")


def test_a_changed_data_file_causes_a_rebuild_and_nothing_changed_never_does(cache: Path, data: Path) -> None:
    load_catalog(data)
    before = written(cache)
    load_catalog(data)
    assert written(cache) == before
    record = data / "procedures" / "0003X.yaml"
    record.write_text(record.read_text().replace("test needle", "test probe"))
    rebuilt = load_catalog(data)
    assert written(cache) != before
    assert "probe" in rebuilt.get("0003X").title
    after = written(cache)
    load_catalog(data)
    assert written(cache) == after
    (data / "procedures" / "0003X.yaml").unlink()
    assert "0003X" not in load_catalog(data)


def test_touching_a_file_is_a_change(cache: Path, data: Path) -> None:
    load_catalog(data)
    before = written(cache)
    record = data / "procedures" / "0001X.yaml"
    stat = record.stat()
    os.utime(record, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    load_catalog(data)
    assert written(cache) != before


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_a_damaged_index_is_detected_and_rebuilt(cache: Path, data: Path, damage: str) -> None:
    load_catalog(data)
    path = next(cache.glob("index-*.sqlite"))
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a database" * 100, "empty": b""}[damage])
    catalog = load_catalog(data)
    assert catalog.get("0001X").code == "0001X"
    assert path.stat().st_size > len(raw) // 2
    rebuilt = written(cache)
    assert isinstance(load_catalog(data).store, IndexStore)
    assert written(cache) == rebuilt


def counting_parse(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The record files the index build parses from now on (the others it reuses)."""
    parsed: list[Path] = []
    parse = parsing.parse_file

    def counted(path: Path) -> parsing.Parsed:
        parsed.append(path)
        return parse(path)

    monkeypatch.setattr(parsing, "parse_file", counted)  # one at a time, and where the build reuses none
    monkeypatch.setattr(build, "parse_file", counted)
    return parsed


def test_an_index_from_another_version_or_data_directory_is_not_used(
    cache: Path, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(data)
    path = next(cache.glob("index-*.sqlite"))
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = ? WHERE key = 'version'", (b"0.0.0-other",))
    db.execute("UPDATE records SET body = ? WHERE code = '0001X'", (b"not a record",))  # what an old version wrote
    db.commit()
    db.close()
    parsed = counting_parse(monkeypatch)
    assert load_catalog(data).get("0001X").code == "0001X"
    assert len(parsed) == len(list((data / "procedures").glob("*.yaml")))  # nothing reused
    other = tmp_path / "other"
    shutil.copytree(data, other)
    (other / "procedures" / "0001X.yaml").write_text(
        (other / "procedures" / "0001X.yaml").read_text().replace("mends the widget", "polishes the widget")
    )
    shutil.copy(next(cache.glob("index-*.sqlite")), index.index_path([other]))  # a stranger's index
    assert "polishes" in str(show_document(load_catalog(other), [load_catalog(other).get("0001X")]))


def test_an_edit_parses_only_the_changed_file_and_answers_as_a_full_parse(
    cache: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_catalog(data)
    parsed = counting_parse(monkeypatch)
    record = data / "procedures" / "0003X.yaml"
    record.write_text(record.read_text().replace("test needle", "test probe"))
    (data / "procedures" / "0002X.yaml").unlink()
    indexed = load_catalog(data)
    assert [p.name for p in parsed] == ["0003X.yaml"]
    fresh, problems = read_catalog(data)
    assert problems == []
    assert indexed.codes() == fresh.codes()
    for code in fresh.codes():
        assert show_document(indexed, [indexed.get(code)]) == show_document(fresh, [fresh.get(code)])
    for query in ("probe", "needle", "widget", "0002X"):
        assert codes_found(indexed, query) == codes_found(fresh, query)


def codes_found(catalog: Catalog, query: str) -> list[str]:
    from cptref.errors import NoMatch

    try:
        return [r.code for r in search(catalog, query)]
    except NoMatch:
        return []


def test_a_read_only_cache_directory_still_works(cache: Path, data: Path) -> None:
    cache.mkdir()
    cache.chmod(0o500)
    try:
        with owner_permissions():  # root too is held to the mode
            with pytest.raises(PermissionError):
                (cache / "probe").touch()
            catalog = load_catalog(data)
            assert catalog.get("0001X").code == "0001X"
            assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o700)


def test_an_unwritable_cache_location_still_works(tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("CPTREF_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be created
    assert load_catalog(data).get("0002X").units == "each widget"


def test_the_index_answers_exactly_as_the_parsed_data_does(cache: Path) -> None:
    parsed, problems = read_catalog(DATA)
    assert problems == []
    load_catalog(DATA)
    indexed = load_catalog(DATA)
    assert isinstance(indexed.store, IndexStore)
    assert indexed.codes() == parsed.codes()
    for code in parsed.codes():
        assert show_document(indexed, [indexed.get(code)]) == show_document(parsed, [parsed.get(code)])
    for query in ("balloon dilation biliary", "biliarry stricure", "4755", "PTBD", "nephrostomy tube exchange"):
        assert search(indexed, query) == search(parsed, query)


@pytest.mark.slow
def test_two_processes_rebuilding_at_once_leave_a_valid_index(
    cache: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**os.environ, "CPTREF_CACHE_DIR": str(cache), "CPTREF_DATA": str(data)}
    code = "import cptref; print(cptref.load_catalog().get('0001X').code)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert outputs == ["0001X"] * 4
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.setenv("CPTREF_DATA", str(data))  # the same layers as the processes: shipped + data
    assert isinstance(load_catalog().store, IndexStore)


def test_commands_never_write_into_the_data_directory(cache: Path, data: Path) -> None:
    before = sorted(str(p.relative_to(data)) for p in data.rglob("*"))
    load_catalog(data)
    load_catalog(data)
    assert sorted(str(p.relative_to(data)) for p in data.rglob("*")) == before


# --- hostile caches ---------------------------------------------------------------------------------


def test_an_index_path_that_is_a_directory_is_worked_around(cache: Path, data: Path) -> None:
    index.index_path([data]).mkdir(parents=True)
    for _ in range(2):
        catalog = load_catalog(data)
        assert isinstance(catalog.store, MemoryStore)
        assert catalog.get("0001X").code == "0001X"
    assert index.index_path([data]).is_dir()


def test_a_cache_directory_under_a_symlink_loop_still_works(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    monkeypatch.setenv("CPTREF_CACHE_DIR", str(loop / "cache"))
    assert load_catalog(data).get("0002X").units == "each widget"
    assert search(load_catalog(data), "widget")[0].code in ("0001X", "0002X")


def answers(catalog: Catalog) -> list[object]:
    """Everything a command can ask of a catalog: every record shown, searches, a check."""
    found: list[object] = [show_document(catalog, [catalog.get(code)]) for code in catalog.codes()]
    found += [search(catalog, query) for query in ("widget", "widgit strech", "0001", "sprocket scope")]
    found.append(check(CheckTables.from_catalog(catalog), ["0001X", "0002X", "0005X", "0003X"]))
    return found


@pytest.mark.parametrize("damage", ["zeros", "garbage"])
def test_a_page_damaged_in_the_middle_still_gets_right_answers_and_a_rebuild(
    cache: Path, data: Path, damage: str
) -> None:
    """The open check (meta, page count) does not see a damaged page inside the file; reading it
    does, and then the store answers from the parsed data and writes a sound index."""
    expected = answers(read_catalog(data)[0])
    load_catalog(data)
    path = index.index_path([data])
    whole = path.read_bytes()
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    pages = len(whole) // size
    assert pages > 3
    healed = 0
    for page in range(1, pages):  # page 0 holds the header the open check reads
        spoilt = bytearray(whole)
        spoilt[page * size : (page + 1) * size] = (
            bytes(size) if damage == "zeros" else random.Random(page).randbytes(size)
        )
        path.write_bytes(bytes(spoilt))
        catalog = load_catalog(data)
        assert answers(catalog) == expected, f"page {page}"
        if isinstance(catalog.store, IndexStore) and catalog.store._healed is not None:
            healed += 1  # the damage was read: the index is written anew, sound
            assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",), f"page {page}"
            again = load_catalog(data)
            assert isinstance(again.store, IndexStore) and again.store._healed is None, f"page {page}"
    assert healed >= pages // 2, "most pages hold what some answer reads"


def test_a_damaged_page_found_by_a_command_is_answered_from_the_data(cache: Path, data: Path) -> None:
    env = {"CPTREF_CACHE_DIR": str(cache)}
    args = [("show", "0001X", "0002X", "--json"), ("search", "widget", "--json"), ("check", "0001X", "0005X", "--json")]
    before = [run_cptref(*a, "--data", str(data), env=env) for a in args]
    path = next(cache.glob("index-*.sqlite"))
    whole = bytearray(path.read_bytes())
    size = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    page = len(whole) // size // 2
    whole[page * size : (page + 1) * size] = bytes(size)
    path.write_bytes(bytes(whole))
    after = [run_cptref(*a, "--data", str(data), env=env) for a in args]
    assert after == before
    assert [r.code for r in after] == [0, 0, 1]


def _cptrefs(path: Path) -> None:
    """A file as cptref writes one: SQLite, stamped with cptref's application id."""
    db = sqlite3.connect(path)
    cache_files.stamp(db)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()


def test_indexes_unused_for_a_month_are_deleted_when_another_is_written(cache: Path, data: Path) -> None:
    cache.mkdir()
    month_ago = time.time() - 31 * 86_400
    stale = cache / "index-0000000000000000.sqlite"
    crashed = cache / ".index-0000000000000000.sqlite.123.tmp"
    stale_cms = cache / "cms-00000000000000000000.sqlite"
    recent = cache / "index-1111111111111111.sqlite"
    for path in (stale, crashed, stale_cms, recent):
        _cptrefs(path)
    unrelated = cache / "notes.txt"
    users = cache / "index-2222222222222222.sqlite"  # a user's own file that happens to have the name
    other_db = cache / "index-3333333333333333.sqlite"  # another program's SQLite file
    unrelated.write_bytes(b"x")
    users.write_bytes(b"my notes, not an index")
    sqlite3.connect(other_db).execute("CREATE TABLE t (x)").connection.commit()
    for path in (stale, crashed, stale_cms, unrelated, users, other_db):
        os.utime(path, (month_ago, month_ago))
    load_catalog(data)  # writes this data's index, and prunes
    assert not stale.exists()
    assert not crashed.exists()
    assert not stale_cms.exists()
    assert recent.exists()
    assert unrelated.exists() and users.exists() and other_db.exists()  # not cptref's


def test_the_cache_is_private_and_its_indexes_the_owners_alone(cache: Path, data: Path) -> None:
    load_catalog(data)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    [path] = cache.glob("index-*.sqlite")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert cache_files.owned(path)


def test_an_index_in_use_is_kept_fresh_once_a_day(cache: Path, data: Path) -> None:
    load_catalog(data)
    path = next(cache.glob("index-*.sqlite"))
    two_days_ago = time.time() - 2 * 86_400
    os.utime(path, (two_days_ago, two_days_ago))
    assert isinstance(load_catalog(data).store, IndexStore)
    assert time.time() - path.stat().st_mtime < 3600
    before = path.stat().st_mtime_ns
    load_catalog(data)
    assert path.stat().st_mtime_ns == before  # at most once a day: a warm run writes nothing


def test_the_cache_directory_is_where_platformdirs_puts_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import platformdirs

    monkeypatch.delenv("CPTREF_CACHE_DIR", raising=False)
    for xdg in (str(tmp_path / "xdg"), "", "relative/path"):
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert cache_files.cache_dir() == Path(platformdirs.user_cache_dir("cptref", appauthor=False))


def index_tables(path: Path) -> dict[str, object]:
    """What an index says, table by table (the reference rows and the problems in any order)."""
    import msgspec

    db = sqlite3.connect(path)
    try:
        meta = {key: bytes(value) for key, value in db.execute("SELECT key, value FROM meta")}
        problems = msgspec.msgpack.decode(meta.pop("problems"))
        return {
            "meta": meta,
            "problems": sorted(map(str, problems)),
            "records": db.execute("SELECT doc, code, body, origin, words FROM records ORDER BY doc").fetchall(),
            "refs": sorted(db.execute("SELECT code, by_code FROM refs")),
            "descriptors": db.execute("SELECT * FROM descriptors ORDER BY code").fetchall(),
            "postings": db.execute("SELECT * FROM postings ORDER BY word, field").fetchall(),
        }
    finally:
        db.close()


def test_a_folder_plan_holds_the_names_and_stats_a_file_when_the_build_reaches_it(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder build (and ``cptref pack``) holds the layers' file names, not an entry a file: a file is
    stat'ed, and its entry made, when the build reaches it; the codes come in order, layers merged."""
    from cptref.library import paths
    from cptref.library.index import plan as planning
    from cptref.library.read import procedure_names

    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    shutil.copy(data / "procedures" / "0002X.yaml", overlay / "procedures" / "0002X.yaml")
    folders = {paths.procedures_dir(data), paths.procedures_dir(overlay)}
    stated: list[str] = []
    real = os.stat

    def counting(path: str | os.PathLike[str], *args: object, **kwargs: object) -> os.stat_result:
        if Path(path).parent in folders:
            stated.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(os, "stat", counting)
    plan = planning.plan_files([data, overlay])
    names = procedure_names(data)
    assert stated == []
    assert plan.total == len(names)  # 0002X.yaml is in both layers: one code
    first = next(plan.items)
    assert first.files[0][1] in stated
    assert len(stated) <= 3  # the merge looks one file ahead in each layer to end a code's files
    rest = list(plan.items)
    assert [first.code, *(item.code for item in rest)] == sorted(name.removesuffix(".yaml") for name in names)
    assert len(stated) == len(names) + 1
    both = next(item for item in rest if item.code == "0002X")
    assert [layer for layer, _, _ in both.files] == [0, 1]


@pytest.mark.parametrize("spill", [False, True], ids=["postings-in-memory", "postings-spilled-in-runs"])
@pytest.mark.parametrize("workers", [False, True], ids=["here", "in-worker-processes"])
@pytest.mark.parametrize("layout", ["shipped", "layered-with-a-broken-file"])
def test_the_file_by_file_build_writes_what_the_whole_parse_writes(
    tmp_path: Path, data: Path, layout: str, workers: bool, spill: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two ways to the same index: :func:`cptref.library.index.build.build`, file by file (what commands use; a
    large library's files parsed by worker processes), and the data parsed whole into memory, then
    written (what a damaged index is healed from)."""
    if workers:
        if not sys.platform.startswith("linux") or parsing.cores() < 2:
            pytest.skip("files are parsed by worker processes on Linux with two cores or more")
        monkeypatch.setattr(parsing, "PARALLEL", 2)
        monkeypatch.setattr(parsing, "PARSE_CHUNK", 3)
    if layout == "shipped":
        roots = [DATA]
    else:
        overlay = tmp_path / "overlay"
        (overlay / "procedures").mkdir(parents=True)
        shutil.copy(data / "procedures" / "0002X.yaml", overlay / "procedures" / "0002X.yaml")
        (overlay / "procedures" / "0009X.yaml").write_text("code: '0009X'\ntitle: [not, text]\n")
        (data / "procedures" / "0004X.yaml").write_text("code: '0004X'\nstatus: active\n")
        roots = [data, overlay]
    meta = {"format": b"test"}
    by_file, whole = tmp_path / "by-file.sqlite", tmp_path / "whole.sqlite"
    db = sqlite3.connect(by_file)
    runs: list[object] = []
    if spill:  # a run every few records: the merged runs write what the postings held whole would
        monkeypatch.setattr(writing, "SPILL_IDS", 20)
        spill_run = writing.Writer._spill
        monkeypatch.setattr(writing.Writer, "_spill", lambda writer: runs.append(spill_run(writer)))
    build.build(db, roots, meta)
    db.close()
    assert (len(runs) >= 2) == spill
    monkeypatch.setattr(writing, "SPILL_IDS", 10**9)
    db = sqlite3.connect(whole)
    build.write_store(db, index.build_store(roots), meta)
    db.close()
    first, second = index_tables(by_file), index_tables(whole)
    assert first == second
    assert first["records"]
    if layout != "shipped":
        assert len(second["problems"]) >= 2  # type: ignore[arg-type]
