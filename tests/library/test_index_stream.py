"""The index of a packed library, streamed and on every core (issue 26, item 4): the same rows as
the index of its directory, the rows that list every record as search reads them, unchanged
records copied from the previous index, and a crafted pack refused from a worker process too."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import zlib
from pathlib import Path

import msgspec
import pytest

from cptref.errors import DataErrors
from cptref.library.index import build, plan, stream
from cptref.library.index import parse as parsing
from cptref.library.index import writer as writing
from cptref.library.index.parse import stored_record
from cptref.library.index.postings import DocInfo, PackedCodes
from cptref.library.pack.file import Pack
from cptref.library.pack.write import write_pack
from tests.conftest import DATA, GOOD
from tests.library.test_index import index_tables


@pytest.fixture
def packed(tmp_path: Path) -> tuple[Path, Path]:
    """The made-up fixture library as a directory and as ``cptref pack`` packs it."""
    data = tmp_path / "my-codes"
    shutil.copytree(GOOD, data)
    output = tmp_path / "codes.cptref"
    write_pack(data, output)
    return data, output


def in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every chunk of three codes read by a worker process (where there are workers)."""
    if not sys.platform.startswith("linux") or parsing.cores() < 2:
        pytest.skip("a pack's chunks are read by worker processes on Linux with two cores or more")
    monkeypatch.setattr(parsing, "PARALLEL", 2)
    monkeypatch.setattr(stream, "PACK_CHUNK", 3)


def built(roots: list[Path], target: Path, previous: plan.Previous | None = None) -> list[object]:
    db = sqlite3.connect(target)
    try:
        return list(build.build(db, roots, {"format": b"test"}, previous=previous))
    finally:
        db.close()


@pytest.mark.parametrize("spill", [False, True], ids=["held", "spilled"])
@pytest.mark.parametrize("workers", [False, True], ids=["here", "in-worker-processes"])
@pytest.mark.parametrize("layout", ["pack", "shipped-pack-overlay"])
def test_a_pack_is_indexed_row_for_row_as_its_directory(
    packed: tuple[Path, Path], tmp_path: Path, layout: str, workers: bool, spill: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, pack = packed
    if workers:
        in_workers(monkeypatch)
    if spill:
        monkeypatch.setattr(writing, "SPILL_IDS", 20)
    if layout == "pack":
        from_pack, from_folder = [pack], [data]
    else:  # the shipped data under the pack, a folder over it with a record of its own and a broken one
        overlay = tmp_path / "overlay"
        (overlay / "procedures").mkdir(parents=True)
        shutil.copy(data / "procedures" / "0002X.yaml", overlay / "procedures" / "0002X.yaml")
        (overlay / "procedures" / "0009X.yaml").write_text("code: '0009X'\ntitle: [not, text]\n")
        from_pack, from_folder = [DATA, pack, overlay], [DATA, data, overlay]
    problems = built(from_pack, tmp_path / "from-pack.sqlite")
    assert problems == built(from_folder, tmp_path / "from-folder.sqlite")
    first, second = index_tables(tmp_path / "from-pack.sqlite"), index_tables(tmp_path / "from-folder.sqlite")
    names = (os.fsencode(pack), os.fsencode(data))
    records: list[tuple[object, ...]] = first["records"]  # type: ignore[assignment]
    first["records"] = [(*row[:3], second_origin(row[3], names), row[4]) for row in records]
    shared = [shared_origins(tables) for tables in (first, second)]
    assert {key: second_origin(value, names) for key, value in shared[0].items()} == shared[1]
    assert first == second
    assert len(records) >= 5
    if layout != "pack":
        assert problems


def shared_origins(tables: dict[str, object]) -> dict[str, bytes]:
    """Where each source and family came from (taken out of the tables: the pack's path, or its directory's)."""
    meta: dict[str, bytes] = tables["meta"]  # type: ignore[assignment]
    return msgspec.msgpack.decode(meta.pop("shared_origins"), type=dict[str, bytes])


def second_origin(origin: object, names: tuple[bytes, bytes]) -> object:
    """A record's layer, the pack's path given as its directory's."""
    return names[1] if origin == names[0] else origin


def test_the_rows_that_list_every_record_are_what_search_reads(
    packed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The codes, docs and vocabulary rows, written through temporary files a few bytes at a time,
    hold what the records and postings say, encoded as the reader decodes them."""
    _, pack = packed
    monkeypatch.setattr(writing, "BLOB_PIECE", 7)
    target = tmp_path / "index.sqlite"
    built([DATA, pack], target)
    db = sqlite3.connect(target)
    meta = {key: bytes(value) for key, value in db.execute("SELECT key, value FROM meta")}
    records = [stored_record(body) for (body,) in db.execute("SELECT body FROM records ORDER BY doc")]
    words = [word for (word,) in db.execute("SELECT DISTINCT word FROM postings ORDER BY word")]
    db.close()
    codes = [r.code for r in records]
    assert len(codes) > 80 and codes == sorted(codes)
    assert meta["codes"] == PackedCodes.encode(codes)
    assert list(PackedCodes.decode(meta["codes"])) == codes
    docs = [DocInfo(r.code, r.title, r.status == "deleted") for r in records]
    encoded = b"".join(msgspec.msgpack.encode(d) for d in docs)
    assert meta["docs"] == b"\xdd" + len(docs).to_bytes(4, "big") + encoded  # one msgpack array of them
    assert msgspec.msgpack.decode(meta["docs"], type=list[DocInfo]) == docs
    assert meta["vocabulary"] == "\n".join(words).encode("utf-8")
    deleted = [doc for doc, r in enumerate(records) if r.status == "deleted"]
    assert meta["deleted"] == b"".join(doc.to_bytes(4, sys.byteorder) for doc in deleted)


def test_unchanged_records_of_a_pack_are_copied_from_the_previous_index(
    packed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder over the pack changed: the pack's records are copied from the index before, not
    read from the pack again, and the index says what a fresh build says."""
    data, pack = packed
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    shutil.copy(data / "procedures" / "0002X.yaml", overlay / "procedures" / "0002X.yaml")
    roots = [pack, overlay]
    built(roots, tmp_path / "before.sqlite")
    (overlay / "procedures" / "0003X.yaml").write_bytes((data / "procedures" / "0003X.yaml").read_bytes())
    read: list[str] = []
    checked_range = Pack.checked_range

    def counted(self: Pack, first: str, last: str):  # type: ignore[no-untyped-def]
        for row in checked_range(self, first, last):
            read.append(row[0])
            yield row

    monkeypatch.setattr(Pack, "checked_range", counted)
    previous = plan.Previous(tmp_path / "before.sqlite", lambda _db: True)
    try:
        built(roots, tmp_path / "again.sqlite", previous)
    finally:
        previous.close()
    # read again: the codes with a folder's file over the pack's row (as a folder build reads them)
    assert read == ["0002X", "0003X"]
    built(roots, tmp_path / "fresh.sqlite")
    assert index_tables(tmp_path / "again.sqlite") == index_tables(tmp_path / "fresh.sqlite")


@pytest.mark.parametrize("workers", [False, True], ids=["here", "in-worker-processes"])
def test_a_crafted_row_stops_the_build_with_one_located_problem(
    packed: tuple[Path, Path], tmp_path: Path, workers: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, pack = packed
    if workers:
        in_workers(monkeypatch)
    bomb = zlib.compress(b"\0" * 50_000_000, 9)
    db = sqlite3.connect(pack)
    db.execute("UPDATE records SET body = ? WHERE code = '0004X'", (bomb,))
    db.commit()
    db.close()
    with pytest.raises(DataErrors) as caught:
        built([DATA, pack], tmp_path / "index.sqlite")
    [problem] = caught.value.problems
    assert problem.file.endswith("codes.cptref") and problem.field.startswith("records[row "), problem
    assert "0004X: its body expands beyond" in problem.message


def test_the_progress_reaches_every_code(packed: tuple[Path, Path], tmp_path: Path) -> None:
    _, pack = packed
    seen: list[tuple[int, int]] = []
    db = sqlite3.connect(tmp_path / "index.sqlite")
    build.build(db, [DATA, pack], {}, progress=lambda done, total: seen.append((done, total)))
    db.close()
    with Pack(pack) as opened:
        packed_codes = set(opened.codes())
    shipped = {p.stem for p in (DATA / "procedures").glob("*.yaml")}
    total = len(packed_codes | shipped)
    assert seen and seen[-1] == (total, total)
    assert all(done <= total for done, _ in seen)


def test_a_worker_that_dies_is_an_error_the_index_falls_back_from(
    packed: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed mid-build (out of memory) ends the build with an OSError, which
    :func:`~cptref.library.index.compiled.open_store` answers by reading the data instead."""
    _, pack = packed
    in_workers(monkeypatch)
    monkeypatch.setattr(stream, "_read_chunk", lambda *_: os._exit(9))
    with pytest.raises(OSError, match="a worker process of the index build ended"):
        built([DATA, pack], tmp_path / "index.sqlite")


def test_a_parsing_worker_that_dies_is_the_same_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A directory's files parsed by workers: a worker killed ends the build with the same OSError
    (no traceback of a broken process pool), which the index falls back from."""
    in_workers(monkeypatch)
    monkeypatch.setattr(parsing, "PARSE_CHUNK", 3)
    monkeypatch.setattr(parsing, "_parse_chunk", _killed)
    with pytest.raises(OSError, match="a worker process of the index build ended"):
        built([DATA], tmp_path / "index.sqlite")


def _killed(*_: object) -> None:
    """A worker's chunk, as when the kernel kills the worker (a function of its own: a pool sends it by name)."""
    os._exit(9)


class _WithoutBlobHandles:
    """A connection as Python 3.10 has it: no ``blobopen`` (the rows are then written joined)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __getattr__(self, name: str) -> object:
        if name == "blobopen":
            raise AttributeError(name)
        return getattr(self._db, name)


def test_without_blob_handles_the_rows_are_the_same(packed: tuple[Path, Path], tmp_path: Path) -> None:
    _, pack = packed
    built([DATA, pack], tmp_path / "pieces.sqlite")
    db = sqlite3.connect(tmp_path / "joined.sqlite")
    build.build(_WithoutBlobHandles(db), [DATA, pack], {"format": b"test"})  # type: ignore[arg-type]
    db.close()
    assert index_tables(tmp_path / "joined.sqlite") == index_tables(tmp_path / "pieces.sqlite")
