"""Reading the CMS tables: recognition by header, the layouts' quirks, the zips as downloaded,
and every kind of bad input reported with its file (and member) and line.

The fixtures in tests/fixtures/cms/ are made-up edits (codes ####X, placeholder texts) in the exact
layouts of the CMS files; the zips are built here from them, named as CMS names its downloads.
"""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from cptref.cms import CmsProblem, CmsTables, Scan, compile_tables, open_tables
from cptref.cms.headers import Unrecognised
from cptref.cms.names import ptp_part, ptp_setting, ptp_version, quarter, rvu_setting, rvu_version
from cptref.cms.parse import PARSERS
from cptref.cms.recognize import Layout, recognise
from cptref.cms.scan import scan
from cptref.cms.sources import Entry
from cptref.cms.values import Tally
from tests.conftest import FIXTURES

from .test_xlsx import make_xlsx

TABLES = FIXTURES / "cms" / "tables"
BAD = FIXTURES / "cms" / "bad"
PTP1 = "ccipra-v323r0-f1.txt"
PTP2 = "ccipra-v323r0-f2.txt"
MUE = "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
RVU = "PPRRVU2026_Oct_nonQPP.csv"
AOC_HEADER: list[str | int | float | None] = [
    "AOC_Edit_Type",
    "Add-On_Code",
    "AOC_DelDT",
    "Primary_Code",
    "Primary_Code_DelDT",
    "AOC_Edit_EffDT",
    "AOC_Edit_DelDT",
    "Special_Instruction_Notes",
]
AOC_ROWS: list[list[str | int | float | None]] = [
    ["Placeholder notice: made-up add-on edits for cptref's tests; not CMS data."],
    AOC_HEADER,
    [1, "0020X", None, "0001X", None, 2026001, None, None],
    [1, "0020X", None, "0002X", 2026182, 2025001, 2026182, "Placeholder note"],
    [2, "0021X", None, "CCCCC", None, 2024001, None, "Placeholder contractor note"],
    [3, "0022X", None, 99, None, 2024060, None, None],
]


def aoc_xlsx(rows: list[list[str | int | float | None]] | None = None) -> bytes:
    return make_xlsx(rows if rows is not None else AOC_ROWS)


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def downloads(folder: Path) -> Path:
    """The tables as downloaded: one zip per PTP part (the member's name in capitals, as CMS ships
    it), the MUE zip, the AOC zip with its .xlsx and a readme, the RVU zip with the .csv, its
    fixed-width twin, another table cptref does not read and a readme."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in (1, 2, 3, 4):
        name = f"ccipra-v323r0-f{part}"
        write_zip(
            folder / f"medicare-ncci-2026q4-practitioner-ptp-edits-{name}.zip",
            {f"{name}.TXT": (TABLES / f"{name}.txt").read_bytes()},
        )
    write_zip(folder / "medicare-ncci-2026q4-mue-practitioner.zip", {MUE: (TABLES / MUE).read_bytes()})
    write_zip(
        folder / "medicare-ncci-2026q4-add-on-code-edits.zip",
        {"AOC_V2026Q4-MCR.xlsx": aoc_xlsx(), "AOC_readme.pdf": b"%PDF placeholder"},
    )
    write_zip(
        folder / "rvu26d_0.zip",
        {
            RVU: (TABLES / RVU).read_bytes(),
            "PPRRVU2026_Oct_nonQPP.txt": b"HDR placeholder fixed-width header\r\n0001X  placeholder\r\n",
            "OTHER2026.csv": b"Placeholder,Other,Table\r\n1,2,3\r\n",
            "RVU26D.pdf": b"%PDF placeholder",
        },
    )
    return folder


def codes(problems: list[CmsProblem]) -> list[str]:
    return [p.code for p in problems]


def layout_of(path: Path, member: str | None = None) -> Layout:
    return recognise(Entry(path, (member,) if member else ()))


# names


def test_names_give_version_setting_part_and_quarter() -> None:
    names = ["ccipra-v323r0-f3.TXT", "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f3.zip"]
    version = ptp_version(names)
    assert version is not None and version.text == "32.3r0" and version.key == (32, 3, 0)
    assert ptp_part(names) == 3
    assert ptp_setting(names) == "practitioner"
    assert ptp_setting(["ccioph-v323r0-f1.txt"]) == "outpatient_hospital"
    assert ptp_setting(["edits.txt"]) is None
    found = quarter(["MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv"])
    assert found is not None and found.text == "2026Q2"
    found = quarter(["AOC_V2026Q3-MCR.xlsx"])
    assert found is not None and found.text == "2026Q3"


@pytest.mark.parametrize(
    ("names", "text", "setting"),
    [
        (["PPRRVU2026_Oct_nonQPP.csv"], "RVU26D", "nonqpp"),
        (["PPRRVU2026_Jan_QPP.csv"], "RVU26A", "qpp"),
        (["PPRRVU25_JAN.csv", "RVU25A"], "RVU25A", "all"),
        (["PPRRVU2025_Oct.csv", "rvu25d_0"], "RVU25D", "all"),
        (["PPRRVU2026_Jan_nonQPP.csv", "rvu26ar_1"], "RVU26A-1", "nonqpp"),
    ],
)
def test_rvu_release_from_names(names: list[str], text: str, setting: str) -> None:
    version = rvu_version(names)
    assert version is not None and version.text == text
    assert rvu_setting(names) == setting


def test_rvu_release_from_the_preamble_when_the_name_says_none() -> None:
    version = rvu_version(["table.csv"], ["2026 placeholder relative value file, July release"])
    assert version is not None and version.text == "RVU26C"


# recognition


def test_each_table_is_recognised_by_its_header() -> None:
    ptp = layout_of(TABLES / PTP1)
    assert (ptp.kind, ptp.fmt, ptp.header_line, ptp.setting, ptp.version_text, ptp.part) == (
        "ptp",
        "tab",
        3,
        "practitioner",
        "32.3r0",
        1,
    )
    mue = layout_of(TABLES / MUE)
    assert (mue.kind, mue.fmt, mue.setting, mue.version_text) == ("mue", "csv", "practitioner", "2026Q4")
    assert mue.header_line == 4  # the quoted "HCPCS/<line break>CPT Code" cell starts there
    rvu = layout_of(TABLES / RVU)
    assert (rvu.kind, rvu.fmt, rvu.header_line, rvu.setting, rvu.version_text) == ("rvu", "csv", 10, "nonqpp", "RVU26D")
    for field in ("status", "global_days", "work_rvu", "bilateral", "conversion_factor", "description"):
        assert field in rvu.columns


def test_recognition_ignores_names(tmp_path: Path) -> None:
    """A MUE table named like a PTP part is a MUE table; an RVU file renamed keeps its release
    (from its preamble); a PTP part renamed is a PTP table whose setting cannot be told."""
    shutil.copy(TABLES / "MCR_MUE_DMESupplierServices_Eff_10-01-2026.csv", tmp_path / "ccipra-v323r0-f1.txt")
    shutil.copy(TABLES / RVU, tmp_path / "table.csv")
    shutil.copy(TABLES / PTP1, tmp_path / "edits.txt")
    misnamed = layout_of(tmp_path / "ccipra-v323r0-f1.txt")
    assert (misnamed.kind, misnamed.setting) == ("mue", "dme")
    renamed = layout_of(tmp_path / "table.csv")
    assert (renamed.kind, renamed.version_text, renamed.setting) == ("rvu", "RVU26D", "all")
    found = scan([tmp_path])
    assert {(p.table.kind, p.table.setting) for p in found.plans} == {("mue", "dme"), ("rvu", "all")}
    [unsure] = [p for p in found.problems if p.code == "no-setting"]
    assert unsure.file.endswith("edits.txt") and unsure.severity == "error"


def test_an_unknown_layout_is_refused_with_its_name() -> None:
    with pytest.raises(Unrecognised):
        layout_of(BAD / "unknown.csv")


# rows


def rows_of(path: Path) -> tuple[list[tuple[object, ...]], Tally]:
    layout = layout_of(path)
    tally = Tally(layout)
    return list(PARSERS[layout.kind](layout, tally)), tally


def test_ptp_rows_latin1_crlf_header_continuation_and_star_dates() -> None:
    rows, tally = rows_of(TABLES / PTP1)
    assert (tally.read, tally.loaded, tally.rejected) == (7, 7, 0)
    first = rows[0]
    assert first == ("0001X", "0002X", 19960101, None, 0, 1, "Placeholder rationale alpha", 7)
    assert rows[1][6] == "Placeholder rationale caf\u00e9"  # the Latin-1 byte 0xE9, read as such
    assert rows[2][3] == 20261101


def test_mue_rows_keep_the_indicator_digit() -> None:
    rows, tally = rows_of(TABLES / MUE)
    assert tally.loaded == 4
    assert rows[0] == ("0001X", 1, 2, "Placeholder rationale one", 6)
    assert [r[2] for r in rows] == [2, 3, 1, 2]
    assert rows[3][1] == 0


def test_aoc_rows_from_xlsx_julian_dates_and_contractor_primaries(tmp_path: Path) -> None:
    path = tmp_path / "AOC_V2026Q4-MCR.xlsx"
    path.write_bytes(aoc_xlsx())
    layout = layout_of(path)
    assert (layout.kind, layout.fmt, layout.header_line, layout.version_text) == ("aoc", "xlsx", 2, "2026Q4")
    tally = Tally(layout)
    rows = list(PARSERS["aoc"](layout, tally))
    assert tally.loaded == 4
    assert rows[0] == ("0020X", "0001X", 1, 20260101, None, None, None, "", 3)
    assert rows[1][3:7] == (20250101, 20260701, None, 20260701)  # day 182 of 2026 is 1 July
    assert rows[2][:3] == ("0021X", None, 2)  # CCCCC: the contractor defines the primaries
    assert rows[3][1] == "00099"  # a code the sheet stored as the number 99


def test_rvu_rows_keep_modifiers_indicators_and_the_licensed_descriptor() -> None:
    rows, tally = rows_of(TABLES / RVU)
    assert tally.loaded == 5
    by_key = {(r[0], r[1]): r for r in rows}
    assert set(by_key) == {("0001X", ""), ("0002X", ""), ("0002X", "26"), ("0002X", "TC"), ("0020X", "")}
    first = by_key[("0001X", "")]
    assert first[2:10] == ("A", "090", 0, 2, 1, 2, 0, 0)
    assert first[10:17] == (5.0, 4.0, 3.0, 1.0, 10.0, 9.0, 33.4009)
    assert first[17] == "Placeholder descriptor one"
    assert by_key[("0002X", "TC")][12] is None  # a blank facility PE RVU
    assert by_key[("0020X", "")][3] == "ZZZ"


def test_rvu_xlsx_with_whole_titles_in_one_row(tmp_path: Path) -> None:
    """In the .xlsx the titles sit whole in one header row, with line breaks inside the cells."""
    titles: list[str | int | float | None] = [
        "HCPCS",
        "MOD",
        "DESCRIPTION",
        "STATUS\nCODE",
        "WORK\nRVU",
        "NON-FAC\nPE RVU",
        "FACILITY\nPE RVU",
    ]
    titles += ["MP\nRVU", "PCTC\nIND", "GLOB\nDAYS", "MULT\nPROC", "BILAT\nSURG", "CONV\nFACTOR"]
    rows: list[list[str | int | float | None]] = [
        ["2026 placeholder relative value file, April release"],
        [],
        titles,
        ["0001X", None, "Placeholder descriptor", "A", 1.5, 2, 1, 0.25, 0, "010", 2, 1, 33.4009],
    ]
    path = tmp_path / "PPRRVU2026_Apr_nonQPP.xlsx"
    path.write_bytes(make_xlsx(rows))
    layout = layout_of(path)
    assert (layout.kind, layout.fmt, layout.header_line, layout.version_text) == ("rvu", "xlsx", 3, "RVU26B")
    tally = Tally(layout)
    [row] = PARSERS["rvu"](layout, tally)
    assert row[:5] == ("0001X", "", "A", "010", 0)
    assert row[10:14] == (1.5, 2.0, 1.0, 0.25)
    assert row[16] == 33.4009


def test_aoc_as_tab_delimited_text(tmp_path: Path) -> None:
    """One reader of the files met the AOC table as tab-delimited text too; the header finds it."""
    lines = ["\t".join(str(c) for c in AOC_HEADER), "1\t0020X\t\t0001X\t\t2026001\t\t"]
    path = tmp_path / "AOC_V2025Q4_01-MCR.txt"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    layout = layout_of(path)
    assert (layout.kind, layout.fmt, layout.version_text) == ("aoc", "tab", "2025Q4")
    tally = Tally(layout)
    assert list(PARSERS["aoc"](layout, tally)) == [("0020X", "0001X", 1, 20260101, None, None, None, "", 2)]


def test_bad_rows_are_reported_each_with_its_line_and_the_good_ones_kept() -> None:
    rows, tally = rows_of(BAD / "ccipra-v323r0-f1.txt")
    assert [r[1] for r in rows] == ["0002X", "0008X"]
    assert (tally.read, tally.loaded, tally.rejected) == (7, 2, 5)
    assert [(p.line, p.code, p.severity) for p in tally.problems] == [
        (8, "bad-row", "error"),  # 20261301 is no date
        (9, "bad-row", "error"),  # indicator 2
        (10, "bad-row", "error"),  # five columns
        (11, "bad-row", "error"),  # a code of three characters (12X)
        (12, "bad-row", "error"),  # 31.12.2026 is no date form cptref reads
    ]
    assert all(p.file.endswith("ccipra-v323r0-f1.txt") and p.member is None for p in tally.problems)


def test_bad_aoc_rows(tmp_path: Path) -> None:
    path = tmp_path / "AOC_V2026Q4-MCR.xlsx"
    rows: list[list[str | int | float | None]] = [
        *AOC_ROWS[:3],
        [4, "0023X", None, "0001X", None, 2026001],
        [1, "0024X", None, "0001X", None, 2026400],
    ]
    path.write_bytes(aoc_xlsx(rows))
    layout = layout_of(path)
    tally = Tally(layout)
    assert len(list(PARSERS["aoc"](layout, tally))) == 1
    assert [p.line for p in tally.problems] == [4, 5]


def test_a_repeated_mue_code_keeps_the_first_row(tmp_path: Path) -> None:
    data = (TABLES / MUE).read_bytes() + b"0001X,1,2 Date of Service Edit: Policy,Placeholder repeat\r\n"
    (tmp_path / MUE).write_bytes(data)
    rows, tally = rows_of(tmp_path / MUE)
    assert [r[1] for r in rows if r[0] == "0001X"] == [1]
    [repeat] = tally.problems
    assert (repeat.code, repeat.severity, repeat.line) == ("duplicate-row", "warning", 10)


@pytest.mark.parametrize("row", [b"0001X,9,2 Date of Service Edit: Policy", b"0001X,1,1 Line Edit"])
def test_a_repeated_mue_code_with_another_value_or_indicator_is_an_error(tmp_path: Path, row: bytes) -> None:
    """Two rows of one code that disagree: which is CMS's cannot be told, so the table is not whole."""
    (tmp_path / MUE).write_bytes((TABLES / MUE).read_bytes() + row + b",Placeholder repeat\r\n")
    rows, tally = rows_of(tmp_path / MUE)
    assert [r[1] for r in rows if r[0] == "0001X"] == [1]
    [repeat] = tally.problems
    assert (repeat.code, repeat.severity, repeat.line) == ("conflicting-row", "error", 10)
    assert "cannot be told" in repeat.message


# scanning folders and zips


def plan_files(found: Scan) -> dict[tuple[str, str], list[str]]:
    return {(p.table.kind, p.table.setting): [layout.entry.name for layout in p.parts] for p in found.plans}


def test_the_zips_as_downloaded(tmp_path: Path) -> None:
    found = scan([downloads(tmp_path / "dl")])
    assert plan_files(found) == {
        ("ptp", "practitioner"): [f"ccipra-v323r0-f{part}.TXT" for part in (1, 2, 3, 4)],
        ("mue", "practitioner"): [MUE],
        ("aoc", "all"): ["AOC_V2026Q4-MCR.xlsx"],
        ("rvu", "nonqpp"): [RVU],
    }
    ptp = next(p for p in found.plans if p.table.kind == "ptp")
    assert ptp.quarter == "2026Q4"
    reasons = {s.file.rpartition(":")[2]: s.reason for s in found.skipped}
    assert "not a table" in reasons["AOC_readme.pdf"]
    assert "fixed-width" in reasons["PPRRVU2026_Oct_nonQPP.txt"]
    assert reasons["OTHER2026.csv"] == "unknown layout"
    [other] = [p for p in found.problems if p.code == "unknown-layout"]
    assert (other.member, other.severity) == ("OTHER2026.csv", "warning")  # a stray file in a zip
    assert other.file.endswith("rvu26d_0.zip")


def test_zips_and_their_extracted_files_give_the_same_answers(tmp_path: Path) -> None:
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    for name in (PTP1, PTP2, "ccipra-v323r0-f3.txt", "ccipra-v323r0-f4.txt", MUE, RVU):
        shutil.copy(TABLES / name, extracted)
    (extracted / "AOC_V2026Q4-MCR.xlsx").write_bytes(aoc_xlsx())
    day = date(2026, 11, 27)
    claim = ["0001X", "0002X", "0003X", "0005X", "0012X", "0020X"]
    answers = []
    for source in (downloads(tmp_path / "dl"), extracted):
        with open_tables([source], tmp_path / "cache") as cms:
            answers.append(
                (
                    [(e.column1, e.column2, e.modifier, e.line) for e in cms.ptp_edits(claim, day)],
                    cms.mue("0002X") and cms.mue("0002X").value,  # type: ignore[union-attr]
                    [(e.primary, e.type) for e in cms.aoc_edits("0020X", day)],
                    [r.modifier for r in cms.rvu("0002X")],
                    [(t.table, t.rows_loaded) for t in cms.summary().tables],
                )
            )
    assert answers[0] == answers[1]
    assert answers[0][0]  # and there are edits to compare


def test_a_zip_and_its_extracted_copy_are_read_once(tmp_path: Path) -> None:
    dl = downloads(tmp_path / "dl")
    shutil.copy(TABLES / PTP1, dl)
    found = scan([dl])
    ptp = next(p for p in found.plans if p.table.kind == "ptp")
    assert [layout.entry.name for layout in ptp.parts] == [PTP1, *(f"ccipra-v323r0-f{n}.TXT" for n in (2, 3, 4))]
    [copy] = [p for p in found.problems if p.code == "duplicate-table"]
    assert copy.severity == "warning" and copy.member == "ccipra-v323r0-f1.TXT"


@pytest.mark.parametrize("zipped", [False, True])
def test_two_copies_of_a_part_that_differ_leave_the_table_not_whole(tmp_path: Path, zipped: bool) -> None:
    """The same part twice, one copy with an edit's modifier indicator changed: which copy is CMS's
    cannot be told, so the table verifies no claim (whichever copy is read)."""
    dl = downloads(tmp_path / "dl")
    changed = (TABLES / PTP1).read_bytes().replace(b"0002X\t0007X\t\t20240101\t*\t1", b"0002X\t0007X\t\t20240101\t*\t0")
    assert changed != (TABLES / PTP1).read_bytes()
    if zipped:
        write_zip(dl / "other-ccipra-v323r0-f1.zip", {"ccipra-v323r0-f1.TXT": changed})
    else:
        (dl / PTP1).write_bytes(changed)
    found = scan([dl])
    ptp = next(p for p in found.plans if p.table.kind == "ptp")
    assert ptp.doubts == 1
    [copy] = [p for p in found.problems if p.code == "conflicting-copy"]
    assert copy.severity == "error" and "cannot be told" in copy.message
    compile_tables([dl], tmp_path / "cms.sqlite")
    with CmsTables.open(tmp_path / "cms.sqlite") as cms:
        assert not cms.complete("ptp")


def test_each_quarter_is_a_table_of_its_own_and_a_revision_supersedes_its_quarters_file(tmp_path: Path) -> None:
    for part in (1, 2, 3, 4):
        name = f"ccipra-v323r0-f{part}.txt"
        shutil.copy(TABLES / name, tmp_path / name)
        shutil.copy(TABLES / name, tmp_path / name.replace("v323r0", "v322r0"))  # the quarter before
        shutil.copy(TABLES / name, tmp_path / name.replace("v323r0", "v323r1"))  # a revision of 2026 Q4
    shutil.copy(TABLES / MUE, tmp_path / MUE)
    shutil.copy(TABLES / MUE, tmp_path / MUE.replace("10-01-2026", "07-01-2026"))
    found = scan([tmp_path])
    assert [(p.table.kind, p.table.version, p.table.dates()) for p in found.plans] == [
        ("ptp", "32.2r0", "2026-07-01 to 2026-09-30"),
        ("ptp", "32.3r1", "2026-10-01 to 2026-12-31"),
        ("mue", "2026Q3", "2026-07-01 to 2026-09-30"),
        ("mue", "2026Q4", "2026-10-01 to 2026-12-31"),
    ]
    superseded = [p for p in found.problems if p.code == "superseded"]
    assert len(superseded) == 1 and superseded[0].severity == "warning" and "v323r0" in superseded[0].file
    skipped = {Path(s.file).name for s in found.skipped}
    assert {f"ccipra-v323r0-f{part}.txt" for part in (1, 2, 3, 4)} <= skipped


PTP_SHEET: list[list[str | int | float | None]] = [
    ["Placeholder notice: made-up edits for cptref's tests; not CMS data."],
    ["Placeholder title"],
    ["Column 1", "Column 2", "*=in existence", "Effective", "Deletion", "Modifier", "PTP Edit Rationale"],
    [None, None, "prior to 1996", "Date", "Date", "0=not allowed"],
    [None, None, None, None, "*=no data", "1=allowed"],
    [None, None, None, None, None, "9=not applicable"],
    ["0001X", "0002X", "*", 19960101, "*", 0, "Placeholder rationale alpha"],
    ["0001X", "0003X", None, 20260101, "*", 1, "Placeholder rationale caf\u00e9"],
    [1, "0004X", None, 20250101, 20260101, 1],
]


def test_a_ptp_part_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "ccipra-v323r0-f1.xlsx"
    path.write_bytes(make_xlsx(PTP_SHEET))
    layout = layout_of(path)
    assert (layout.kind, layout.fmt, layout.header_line, layout.setting, layout.part) == (
        "ptp",
        "xlsx",
        3,
        "practitioner",
        1,
    )
    tally = Tally(layout)
    rows = list(PARSERS["ptp"](layout, tally))
    assert (tally.read, tally.loaded, tally.rejected) == (3, 3, 0)
    assert rows[0] == ("0001X", "0002X", 19960101, None, 0, 1, "Placeholder rationale alpha", 7)
    assert rows[2][:2] == ("00001", "0004X")  # a code the sheet holds as a number; no rationale cell
    assert rows[2][6] == ""


def test_the_xlsx_beside_the_text_part_is_skipped_without_a_warning(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip",
        {"ccipra-v323r0-f1.TXT": (TABLES / PTP1).read_bytes(), "ccipra-v323r0-f1.xlsx": make_xlsx(PTP_SHEET)},
    )
    found = scan([tmp_path])
    [plan] = found.plans
    assert [layout.fmt for layout in plan.parts] == ["tab"]
    assert codes(found.problems) == ["missing-part"] * 3  # parts 2 to 4: nothing about the xlsx
    assert [s.file.rpartition(":")[2] for s in found.skipped] == ["ccipra-v323r0-f1.xlsx"]


def test_medicaid_tables_are_not_read_as_medicare(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "medicaid-ncci-2026-q4-ptp-edits-practitioner-services.zip",
        {"ccipra-v323r0-f1.txt": (TABLES / PTP1).read_bytes()},
    )
    (tmp_path / "AOC_V2026Q4-MCD.xlsx").write_bytes(aoc_xlsx())
    found = scan([tmp_path])
    assert found.plans == []
    assert [(p.code, p.severity) for p in found.problems] == [("not-read", "warning")] * 2


def test_a_missing_part_is_reported(tmp_path: Path) -> None:
    shutil.copy(TABLES / PTP1, tmp_path / PTP1)
    shutil.copy(TABLES / PTP2, tmp_path / "ccipra-v323r0-f3.txt")
    found = scan([tmp_path])
    missing = [p for p in found.problems if p.code == "missing-part"]
    assert [(p.message.split(" of ")[0], p.severity) for p in missing] == [("part f2", "error"), ("part f4", "error")]
    assert found.plans[0].missing == [2, 4]


def test_a_version_the_names_do_not_give_is_a_warning(tmp_path: Path) -> None:
    shutil.copy(TABLES / MUE.replace("Practitioner", "DMESupplier"), tmp_path / "mue.csv")
    found = scan([tmp_path])
    assert [p.table.version for p in found.plans] == ["unknown"]
    assert codes(found.problems) == ["version-unknown"]


def test_a_truncated_zip_is_a_problem_with_its_name(tmp_path: Path) -> None:
    whole = downloads(tmp_path / "dl") / "medicare-ncci-2026q4-mue-practitioner.zip"
    cut = tmp_path / "cut" / whole.name
    cut.parent.mkdir()
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    found = scan([cut.parent])
    [bad] = found.problems
    assert (bad.code, bad.severity) == ("bad-zip", "error")
    assert bad.file == str(cut)
    assert found.plans == []


def test_a_damaged_member_is_a_problem_with_the_member_name(tmp_path: Path) -> None:
    path = tmp_path / "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip"
    data = (TABLES / PTP1).read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("ccipra-v323r0-f1.TXT", data)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"0001X\t0003X")
    raw[at : at + 5] = b"9999X"  # the stored bytes no longer match the CRC
    path.write_bytes(bytes(raw))
    found = scan([tmp_path])
    [bad] = found.problems
    assert (bad.code, bad.member, bad.severity) == ("unreadable", "ccipra-v323r0-f1.TXT", "error")


def test_what_is_given_but_missing_or_unknown_is_an_error(tmp_path: Path) -> None:
    found = scan([tmp_path / "nowhere", BAD / "unknown.csv"])
    assert [(p.code, p.severity) for p in found.problems] == [("missing", "error"), ("unknown-layout", "error")]


def test_readmes_in_a_folder_are_skipped_and_listed(tmp_path: Path) -> None:
    found = scan([BAD])
    reasons = {Path(s.file).name: s.reason for s in found.skipped}
    assert "not a table" in reasons["readme.pdf"]
    assert reasons["unknown.csv"] == "unknown layout"
    assert [(p.code, p.severity) for p in found.problems if p.code == "unknown-layout"] == [
        ("unknown-layout", "warning")
    ]
