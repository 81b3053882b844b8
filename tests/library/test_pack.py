"""A packed library (``cptref pack DIR``): one file that answers as the directory it was made from."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cptref.output import schema as schemas
from tests.conftest import GOOD, run_cptref
from tests.output.test_schema import check_against


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "my-codes"
    shutil.copytree(GOOD, root)
    return root


def pack(data: Path, *more: str) -> Path:
    output = data.parent / "codes.cptref"
    got = run_cptref("pack", str(data), "-o", str(output), *more)
    assert got.code == 0, got
    return output


@pytest.mark.parametrize(
    "command",
    [
        ("show", "0001X", "0002X"),
        ("show", "0002X", "--json"),
        ("search", "widget balloon"),
        ("search", "widget", "--json"),
        ("check", "0001X", "0002X", "--json"),
        ("check", "0002X"),
        ("list",),
        ("families", "--json"),
    ],
)
def test_a_packed_library_answers_as_its_directory(data: Path, command: tuple[str, ...]) -> None:
    packed = pack(data)
    from_dir = run_cptref(*command, "--data", str(data))
    from_pack = run_cptref(*command, "--data", str(packed))
    assert from_dir.code == from_pack.code
    assert from_pack.err == from_dir.err

    def same(out: str, where: Path) -> str:  # the text view wraps its lines where the folder's name ends
        return " ".join(out.replace(str(where), "DATA").split())

    assert same(from_pack.out, packed) == same(from_dir.out, data)
    assert "0001X" in from_pack.out or "0002X" in from_pack.out


def test_the_pack_line_says_what_was_written_and_how_to_use_it(data: Path) -> None:
    output = data.parent / "codes.cptref"
    got = run_cptref("pack", str(data), "-o", str(output))
    assert got.code == 0
    assert got.out.startswith("packed 5 records, ")
    assert f"--data {output}" in got.out and f"CPTREF_DATA={output}" in got.out
    assert got.out.count("\n") == 1


def test_the_default_output_is_beside_the_directory(data: Path) -> None:
    assert run_cptref("pack", str(data)).code == 0
    assert (data.parent / "my-codes.cptref").is_file()


def test_pack_json_follows_its_schema(data: Path) -> None:
    output = data.parent / "codes.cptref"
    got = run_cptref("pack", str(data), "-o", str(output), "--json")
    document = json.loads(got.out)
    check_against(schemas.schema("pack"), document)
    assert document["records"] == 5 and document["file"] == str(output)
    assert document["bytes"] == output.stat().st_size


def test_cptref_data_takes_a_packed_library_and_a_directory_over_it_wins(data: Path, tmp_path: Path) -> None:
    packed = pack(data)
    overlay = tmp_path / "overlay"
    (overlay / "procedures").mkdir(parents=True)
    text = (data / "procedures" / "0002X.yaml").read_text().replace("Widget balloon stretch", "Widget balloon pull")
    (overlay / "procedures" / "0002X.yaml").write_text(text)
    got = run_cptref("show", "0002X", env={"CPTREF_DATA": f"{packed}:{overlay}"})
    assert got.code == 0, got
    assert "Widget balloon pull" in got.out
    assert "Widget balloon stretch" in run_cptref("show", "0002X", env={"CPTREF_DATA": str(packed)}).out


def test_packing_again_replaces_the_file_and_commands_see_the_new_records(data: Path) -> None:
    packed = pack(data)
    assert "stretch" in run_cptref("show", "0002X", "--data", str(packed)).out
    record = data / "procedures" / "0002X.yaml"
    record.write_text(record.read_text().replace("Widget balloon stretch", "Widget balloon pull"))
    pack(data)
    assert "Widget balloon pull" in run_cptref("show", "0002X", "--data", str(packed)).out


def test_a_directory_with_a_problem_is_not_packed_and_the_old_file_is_kept(data: Path) -> None:
    packed = pack(data)
    before = packed.read_bytes()
    (data / "procedures" / "0003X.yaml").write_text("code: '0003X'\ntitle: [not, text]\n")
    got = run_cptref("pack", str(data), "-o", str(packed))
    assert got.code == 3
    assert "0003X.yaml" in got.err and "Traceback" not in got.err
    assert got.out == ""
    assert packed.read_bytes() == before
    assert [p.name for p in packed.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_a_pack_that_cannot_be_written_says_so_not_that_the_data_is_invalid(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills, or a build worker killed, is no problem of the files: the error's first line
    said "the data is invalid ... fix the files named below" before "cannot write the packed library"."""
    import errno
    import os

    from cptref.errors import DataErrors
    from cptref.library.pack import write

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)  # the write module renames the finished file into place with it
    with pytest.raises(DataErrors) as raised:
        write.write_pack(data, data.parent / "codes.cptref")
    lines = raised.value.lines()
    assert "invalid" not in lines[0] and "not written" in lines[0], lines
    assert lines[1].endswith("cannot write the packed library: No space left on device"), lines
    assert [p.name for p in data.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("missing", 3, "does not exist"),
        ("a-file", 3, "is not a directory"),
        ("packed", 2, "packed already"),
    ],
)
def test_pack_refuses_what_is_not_a_data_directory(data: Path, target: str, code: int, message: str) -> None:
    paths = {"missing": data.parent / "nowhere", "a-file": data / "sources.yaml", "packed": pack(data)}
    got = run_cptref("pack", str(paths[target]), "-o", str(data.parent / "out.cptref"))
    assert got.code == code, got
    assert message in got.err and len(got.err.splitlines()) <= 2
    assert not (data.parent / "out.cptref").exists()


def test_a_file_that_is_not_a_packed_library_is_refused_as_data(data: Path) -> None:
    got = run_cptref("show", "0001X", "--data", str(data / "sources.yaml"))
    assert got.code == 3
    assert "is not a directory or a packed library" in got.err


def test_a_library_packed_in_another_layout_is_refused_with_the_way_out(data: Path) -> None:
    packed = pack(data)
    db = sqlite3.connect(packed)
    db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (b"0",))
    db.commit()
    db.close()
    got = run_cptref("show", "0001X", "--data", str(packed))
    assert got.code == 3
    assert "pack its directory again" in got.err
    assert "Traceback" not in got.err
