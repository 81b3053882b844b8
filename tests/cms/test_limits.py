"""The limits on what a ``--cms`` path may hold, each a located error problem with a stable code,
found before the input can hang a command, exhaust its memory or raise: regular files only, bytes
per file and per zip member, compression ratio, members per zip (read in linear time), nested zips
and workbooks inside zips, names that are not UTF-8, damaged zips.

The hostile files are built here, small: a size a file only claims (a sparse file, a zip directory
that declares a huge member) tests a limit without writing it. See SECURITY.md, the rows of area cms.
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import msgspec
import pytest

from cptref.cms import archives, compile_tables, open_tables
from cptref.cms.archives import Refused, check_directory, open_regular
from cptref.cms.models import CmsProblem
from cptref.cms.scan import scan
from tests.conftest import FIXTURES, run_cptref

from .test_xlsx import make_xlsx, patch_sizes, raw_sheet

TABLES = FIXTURES / "cms" / "tables"
PTP1 = "ccipra-v323r0-f1.txt"
MUE = "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
POSIX = sys.platform != "win32"
AOC_SHEET: list[list[str | int | float | None]] = [
    ["AOC_Edit_Type", "Add-On_Code", "Primary_Code", "AOC_Edit_EffDT"],
    [1, "0020X", "0001X", 2026001],
]


def coded(problems: list[CmsProblem], code: str) -> CmsProblem:
    [found] = [p for p in problems if p.code == code]
    assert found.severity == "error"
    return found


def zip_of(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


T = TypeVar("T")


def finishes(work: Callable[[], T]) -> T:
    """``work()`` run in a thread: a guard against a hang (an open that blocks), not a measure of speed."""
    done: list[T] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    thread.join(120)
    assert done, "the scan blocked"
    return done[0]


# ---------------------------------------------------------------- regular files only


@pytest.mark.skipif(not POSIX, reason="named pipes are POSIX")
def test_a_named_pipe_in_the_folder_is_refused_without_being_opened(tmp_path: Path) -> None:
    """Opening a named pipe waits for a writer forever."""
    os.mkfifo(tmp_path / PTP1)
    (tmp_path / MUE).write_bytes((TABLES / MUE).read_bytes())
    found = finishes(lambda: scan([tmp_path]))
    assert coded(found.problems, "not-regular").file.endswith(PTP1)
    assert [p.table.kind for p in found.plans] == ["mue"]
    with pytest.raises(Refused) as caught:  # and an open that meets one does not wait
        open_regular(tmp_path / PTP1, 100)
    assert caught.value.code == "not-regular"


@pytest.mark.skipif(not POSIX or not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_link_to_dev_zero_named_zip_is_refused_not_read(tmp_path: Path) -> None:
    (tmp_path / "ptp.zip").symlink_to("/dev/zero")
    (tmp_path / "mue.csv").symlink_to("/dev/zero")
    summary = finishes(lambda: compile_tables([tmp_path], tmp_path / "out.sqlite"))
    refused = [p for p in summary.problems if p.code == "not-regular"]
    assert sorted(Path(p.file).name for p in refused) == ["mue.csv", "ptp.zip"]
    assert all(p.severity == "error" for p in refused)


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_links_out_of_the_folder_are_refused_links_within_it_read(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / PTP1).write_bytes((TABLES / PTP1).read_bytes())
    folder = tmp_path / "cms"
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / MUE).write_bytes((TABLES / MUE).read_bytes())
    (folder / PTP1).symlink_to(outside / PTP1)
    (folder / "mue-link.csv").symlink_to(folder / "tables" / MUE)
    (folder / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    found = scan([folder])
    out = coded(found.problems, "link-outside")
    assert out.file.endswith(PTP1) and "outside the folder" in out.message
    assert coded(found.problems, "not-regular").file.endswith("broken.txt")
    [mue] = found.plans
    assert {layout.entry.name for layout in mue.parts} == {MUE}  # the link and its target: one table
    given = scan([folder / PTP1])  # a link the user names is the user's choice
    assert [p.table.kind for p in given.plans] == ["ptp"]
    assert [p.code for p in given.problems] == ["missing-part"] * 3  # f1 alone: nothing about the link


# ---------------------------------------------------------------- bytes


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        (PTP1, "MAX_TABLE_BYTES"),
        ("AOC_V2026Q4-MCR.xlsx", "MAX_WORKBOOK_BYTES"),
        ("medicare-ncci-2026q4-ptp.zip", "MAX_ZIP_BYTES"),
    ],
)
def test_a_file_over_its_size_is_refused_by_its_size(tmp_path: Path, name: str, limit: str) -> None:
    """A sparse file: its size is only claimed, never written, and never read."""
    with open(tmp_path / name, "wb") as handle:
        handle.truncate(getattr(archives, limit) + 1)
    found = scan([tmp_path])
    bad = coded(found.problems, "too-large")
    assert bad.file.endswith(name) and "MiB" in bad.message
    assert [s.file for s in found.skipped] == [str(tmp_path / name)]


def test_a_file_that_grows_while_it_is_read_stops_at_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "grows.txt"
    path.write_bytes(b"x" * 10)
    with open_regular(path, 10) as handle:
        with open(path, "ab") as more:
            more.write(b"y" * 10)
        with pytest.raises(Refused) as caught:
            handle.read()
    assert caught.value.code == "too-large"


def test_a_zip_member_is_refused_by_the_size_it_declares(tmp_path: Path) -> None:
    data = zip_of(tmp_path / "x", {PTP1: (TABLES / PTP1).read_bytes()}, zipfile.ZIP_STORED).read_bytes()
    (tmp_path / "x").unlink()
    (tmp_path / "ptp.zip").write_bytes(patch_sizes(data, PTP1, size=archives.MAX_TABLE_BYTES + 1))
    found = scan([tmp_path])
    bad = coded(found.problems, "too-large")
    assert (bad.member, bad.file) == (PTP1, str(tmp_path / "ptp.zip"))
    assert found.plans == []


def test_a_real_zip_bomb_member_is_refused_by_its_ratio(tmp_path: Path) -> None:
    """64 MiB of nothing in about 64 KB: refused from the directory, never inflated."""
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z, z.open(PTP1, "w") as member:
        for _ in range(64):
            member.write(bytes(1 << 20))
    assert (tmp_path / "bomb.zip").stat().st_size < 200_000
    bad = coded(scan([tmp_path]).problems, "compression-ratio")
    assert bad.member == PTP1 and "zip bomb" in bad.message


def test_a_small_member_may_compress_as_well_as_it_likes(tmp_path: Path) -> None:
    text = (TABLES / MUE).read_bytes() + b"\r\n" * 100_000  # 200 KB of blank lines
    zip_of(tmp_path / "mue.zip", {MUE: text})
    found = scan([tmp_path])
    assert [p.table.kind for p in found.plans] == ["mue"] and not found.problems


def test_a_nested_zip_is_read_into_memory_only_within_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner = io.BytesIO()
    zip_of(inner, {MUE: (TABLES / MUE).read_bytes()})  # type: ignore[arg-type]
    zip_of(tmp_path / "quarter.zip", {"mue.zip": inner.getvalue()})
    assert [p.table.kind for p in scan([tmp_path]).plans] == ["mue"]
    monkeypatch.setattr(archives, "MAX_NESTED_ZIP_BYTES", len(inner.getvalue()) - 1)
    found = scan([tmp_path])
    bad = coded(found.problems, "too-large")
    assert bad.member == "mue.zip" and found.plans == []


def test_a_workbook_inside_a_zip_is_read_into_memory_only_within_its_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = make_xlsx(AOC_SHEET)
    zip_of(tmp_path / "aoc.zip", {"AOC_V2026Q4-MCR.xlsx": book})
    assert [p.table.kind for p in scan([tmp_path]).plans] == ["aoc"]
    monkeypatch.setattr(archives, "MAX_WORKBOOK_BYTES", len(book) - 1)
    bad = coded(scan([tmp_path]).problems, "too-large")
    assert bad.member == "AOC_V2026Q4-MCR.xlsx"


# ---------------------------------------------------------------- members


def test_four_thousand_members_read_the_zips_directory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading each member used to open the zip again, parsing its whole directory each time: 4,000
    members took over half a minute. The directory is now parsed once per zip, however many
    members are read (counted, not timed)."""
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as z:
        for i in range(4_000):
            z.writestr(f"f{i:04d}.txt", "Placeholder\r\n")
    parses = 0
    real = zipfile.ZipFile._RealGetContents  # type: ignore[attr-defined]

    def counted(self: zipfile.ZipFile) -> None:
        nonlocal parses
        parses += 1
        real(self)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", counted)
    found = scan([tmp_path])
    assert parses == 1
    assert len([p for p in found.problems if p.code == "unknown-layout"]) == 4_000  # each one read and named


def test_a_zip_of_too_many_members_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_of(tmp_path / "many.zip", {f"f{i}.pdf": b"x" for i in range(51)})
    monkeypatch.setattr(archives, "MAX_ZIP_MEMBERS", 50)
    bad = coded(scan([tmp_path]).problems, "too-many-members")
    assert "51 members" in bad.message


def test_a_zip_that_claims_a_million_members_is_refused_before_its_directory_is_read(tmp_path: Path) -> None:
    data = bytearray(zip_of(tmp_path / "x.zip", {"a.pdf": b"x"}).read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HHL", data, end + 8, 0xFFFE, 0xFFFE, 3_000_000_000)  # members, directory bytes
    (tmp_path / "x.zip").write_bytes(bytes(data))
    bad = coded(scan([tmp_path]).problems, "too-many-members")
    assert "65,534 members" in bad.message


def test_the_zip64_end_record_is_read_for_the_counts() -> None:
    record = b"PK\x06\x06" + struct.pack("<Q2H2L4Q", 44, 45, 45, 0, 0, 10**6, 10**6, 10**7, 0)
    locator = b"PK\x06\x07" + struct.pack("<LQL", 0, 0, 1)
    end = b"PK\x05\x06" + struct.pack("<4H2LH", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with pytest.raises(Refused) as caught:
        check_directory(io.BytesIO(record + locator + end))
    assert caught.value.code == "too-many-members" and "1,000,000 members" in str(caught.value)


def test_a_directory_over_its_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_of(tmp_path / "x.zip", {f"{'long-name-' * 20}{i}.pdf": b"x" for i in range(20)})
    monkeypatch.setattr(archives, "MAX_CENTRAL_DIRECTORY_BYTES", 1_000)
    assert "directory of members" in coded(scan([tmp_path]).problems, "too-many-members").message


def test_two_members_of_one_name_are_named(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as z:
        z.writestr(MUE, (TABLES / MUE).read_bytes())
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr(MUE, (TABLES / MUE).read_bytes())
    found = scan([tmp_path])
    assert coded(found.problems, "duplicate-member").member == MUE
    assert len(found.plans) == 1


# ---------------------------------------------------------------- workbooks


def test_a_282_byte_workbook_naming_column_zzzzzzzzzz_is_a_located_error(tmp_path: Path) -> None:
    data = raw_sheet('<row r="1"><c r="ZZZZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row>')
    assert len(data) < 400
    (tmp_path / "AOC_V2026Q4-MCR.xlsx").write_bytes(data)
    found = scan([tmp_path])
    [bad] = found.problems
    assert (bad.code, bad.severity) == ("sheet-limit", "error")  # the limit's own code, met on the header
    assert "column" in bad.message


def test_a_limit_met_past_the_header_keeps_its_code_and_loads_nothing_of_the_table(tmp_path: Path) -> None:
    def text(ref: str, value: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'

    titles = "".join(text(f"{c}1", str(t)) for c, t in zip("ABCD", AOC_SHEET[0], strict=True))
    rows = [f'<row r="1">{titles}</row>']
    for r in range(2, 4002):  # the far cell well past the head that recognition reads
        far = '<c r="IW3000"><v>1</v></c>' if r == 3000 else ""
        rows.append(
            f'<row r="{r}"><c r="A{r}"><v>1</v></c>{text(f"B{r}", "0020X")}{text(f"C{r}", "0001X")}'
            f'<c r="D{r}"><v>2026001</v></c>{far}</row>'
        )
    (tmp_path / "AOC_V2026Q4-MCR.xlsx").write_bytes(raw_sheet("".join(rows)))
    summary = compile_tables([tmp_path], tmp_path / "out.sqlite")
    assert summary.tables == []
    bad = coded(summary.problems, "sheet-limit")
    assert "IW" in bad.message and "is not loaded" in bad.message


def test_a_workbook_part_that_claims_a_gigabyte_is_refused(tmp_path: Path) -> None:
    book = patch_sizes(make_xlsx([["a"]]), "xl/worksheets/sheet2.xml", size=2**31)
    (tmp_path / "AOC_V2026Q4-MCR.xlsx").write_bytes(book)
    [bad] = scan([tmp_path]).problems
    assert bad.severity == "error" and "uncompressed" in bad.message


# ---------------------------------------------------------------- names, damage


def test_file_names_that_are_not_utf8_are_shown_escaped(tmp_path: Path) -> None:
    if sys.platform == "darwin":
        pytest.skip("macOS file systems refuse names that are not UTF-8")
    folder = tmp_path / "cms"
    folder.mkdir()
    table = os.fsencode(folder) + b"/ccipra-v323r0-f1\xff.txt"
    other = os.fsencode(folder) + b"/other\xfe.csv"
    with open(table, "wb") as handle:
        handle.write((TABLES / PTP1).read_bytes())
    with open(other, "wb") as handle:
        handle.write(b"Placeholder,Other\r\n1,2\r\n")
    summary = compile_tables([folder], tmp_path / "out.sqlite")
    [table_read] = summary.tables
    assert table_read.files[0].endswith("ccipra-v323r0-f1\\udcff.txt")
    unknown = [p for p in summary.problems if p.code == "unknown-layout"]
    assert unknown and unknown[0].file.endswith("other\\udcfe.csv")
    msgspec.json.encode(summary)  # every name can be written out
    run = run_cptref("validate", "--cms", str(folder), "--json", env={"CPTREF_CACHE_DIR": str(tmp_path / "cache")})
    assert any(text.endswith("other\\udcfe.csv") for text in strings(json.loads(run.out)))


def strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_a_name_of_thousands_of_digits_is_no_version_not_a_traceback(tmp_path: Path) -> None:
    name = "ccipra-v323r" + "1" * 5000 + "-f1.txt"
    zip_of(tmp_path / "ptp.zip", {name: (TABLES / PTP1).read_bytes()})
    found = scan([tmp_path])
    assert [p.table.version for p in found.plans] == ["unknown"]
    assert [p.code for p in found.problems if p.code != "missing-part"] == ["version-unknown"]  # and f2-f4


def test_a_member_name_flagged_utf8_that_is_not_is_a_bad_zip(tmp_path: Path) -> None:
    data = bytearray(zip_of(tmp_path / "x.zip", {"name.txt": b"x"}).read_bytes())
    for signature, flags, name in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        at = data.find(signature)
        struct.pack_into("<H", data, at + flags, struct.unpack_from("<H", data, at + flags)[0] | 0x800)
        data[at + name : at + name + 4] = b"n\xffme"
    (tmp_path / "x.zip").write_bytes(bytes(data))
    assert coded(scan([tmp_path]).problems, "bad-zip").file.endswith("x.zip")


def test_damaged_zips_and_workbooks_are_problems_never_tracebacks(tmp_path: Path) -> None:
    """Bytes flipped at random in a zip of tables and in a workbook (a fixed seed: the same cases on
    every run): each is read, refused or reported, never raised."""
    good = io.BytesIO()
    zip_of(good, {PTP1: (TABLES / PTP1).read_bytes(), MUE: (TABLES / MUE).read_bytes()})  # type: ignore[arg-type]
    book = make_xlsx(AOC_SHEET)
    rng = random.Random(20261127)
    for case in range(120):
        original = good.getvalue() if case % 2 else book
        data = bytearray(original)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        (folder / ("tables.zip" if case % 2 else "AOC_V2026Q4-MCR.xlsx")).write_bytes(bytes(data))
        compile_tables([folder], folder / "out.sqlite")


@pytest.mark.skipif(sys.platform != "linux", reason="a file name's raw bytes")
def test_a_cms_folder_whose_own_name_is_not_utf8_is_read_not_a_traceback(tmp_path: Path) -> None:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/given\xff"))
    folder.mkdir()
    (folder / MUE).write_bytes((TABLES / MUE).read_bytes())
    with open_tables([folder], tmp_path / "cache") as cms:
        assert [t.table.kind for t in cms.summary().tables] == ["mue"]
