"""The CMS tables as a user's tools write them: every cell quoted, a one-line MUE header, byte-order
marks, UTF-16 (Excel's "Unicode text"), semicolon- and tab-delimited CSV, dates and numbers a
spreadsheet rewrote, codes it turned into numbers, a table on a later sheet; and nothing lost
silently: a stray quote, an over-long line, counts that must add up, every file found named.

Made-up rows (codes ####X, placeholder texts) in the layouts of the real files, built in tmp_path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cptref.cms import compile_tables
from cptref.cms.headers import Unrecognised
from cptref.cms.parse import PARSERS
from cptref.cms.recognize import Layout, recognise
from cptref.cms.scan import scan
from cptref.cms.sources import Entry
from cptref.cms.values import Dates, Tally, number, yyyymmdd
from tests.conftest import FIXTURES

from .test_read import AOC_HEADER
from .test_xlsx import make_workbook, make_xlsx

TABLES = FIXTURES / "cms" / "tables"
PTP_HEADER = ["Column 1", "Column 2", "*=in existence", "Effective", "Deletion", "Modifier", "PTP Edit Rationale"]
PTP_HEAD = [
    ["Placeholder notice: made-up edits for cptref's tests; not CMS data.", "", "", "", "", "", ""],
    PTP_HEADER,
    ["", "", "prior to 1996", "Date", "Date", "0=not allowed", ""],
    ["", "", "", "", "*=no data", "1=allowed", ""],
    ["", "", "", "", "", "9=not applicable", ""],
]
PTP_ROWS = [
    ["0001X", "0002X", "*", "19960101", "*", "0", "Placeholder rationale alpha"],
    ["0001X", "0003X", "", "20260101", "20270101", "1", "Placeholder rationale caf\u00e9"],
]
PTP_READ = [
    ("0001X", "0002X", 19960101, None, 0, 1, "Placeholder rationale alpha", 6),
    ("0001X", "0003X", 20260101, 20270101, 1, 0, "Placeholder rationale caf\u00e9", 7),
]
MUE_HEADER = ["HCPCS/CPT Code", "Practitioner Services MUE Values", "MUE Adjudication Indicator", "MUE Rationale"]
MUE_ROWS = [
    ["0001X", "1", "2 Date of Service Edit: Policy", "Placeholder rationale one"],
    ["0002X", "4", "3 Date of Service Edit: Clinical", "Placeholder rationale two"],
    ["0003X", "2", "1 Line Edit", "Placeholder rationale three"],
]
MUE_FILE = "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"


def lines(rows: list[list[str]], sep: str, *, quote: bool = False) -> str:
    def cell(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if quote else text

    return "".join(sep.join(cell(c) for c in row) + "\r\n" for row in rows)


def layout_of(path: Path) -> Layout:
    return recognise(Entry(path))


def read(path: Path) -> tuple[Layout, list[tuple[object, ...]], Tally]:
    layout = layout_of(path)
    tally = Tally(layout)
    rows = list(PARSERS[layout.kind](layout, tally))
    tally.close()
    assert tally.mismatch() is None
    return layout, rows, tally


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def problems(tally: Tally) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.code, p.severity) for p in tally.problems]


# ---------------------------------------------------------------- quoting, headers, encodings


def test_a_ptp_part_with_every_cell_quoted(tmp_path: Path) -> None:
    """Some exports quote every cell, also in the tab-delimited text."""
    path = write(tmp_path / "ccipra-v323r0-f1.txt", lines(PTP_HEAD + PTP_ROWS, "\t", quote=True).encode("latin-1"))
    layout, rows, tally = read(path)
    assert (layout.kind, layout.fmt, layout.delimiter, layout.quoted) == ("ptp", "tab", "\t", True)
    assert layout.form == "tab-delimited text, quoted cells"
    assert rows == PTP_READ
    assert tally.problems == []


def test_the_ptp_part_as_cms_writes_it_is_read_unquoted(tmp_path: Path) -> None:
    """A native part is split at its tabs: a quote in a rationale is a plain character there."""
    rows = [*PTP_ROWS, ["0001X", "0004X", "", "20260101", "*", "1", '"Quoted" placeholder rationale']]
    path = write(tmp_path / "ccipra-v323r0-f1.txt", lines(PTP_HEAD + rows, "\t").encode("latin-1"))
    layout, read_rows, tally = read(path)
    assert (layout.quoted, layout.encoding, layout.form) == (False, "8-bit", "tab-delimited text")
    assert read_rows[2][6] == '"Quoted" placeholder rationale'
    assert tally.problems == []


def test_a_mue_header_on_one_line(tmp_path: Path) -> None:
    path = write(tmp_path / MUE_FILE, lines([MUE_HEADER, *MUE_ROWS], ",").encode())
    layout, rows, _ = read(path)
    assert (layout.kind, layout.header_line, layout.setting, layout.delimiter) == ("mue", 1, "practitioner", ",")
    assert [r[:3] for r in rows] == [("0001X", 1, 2), ("0002X", 4, 3), ("0003X", 2, 1)]


def test_every_cell_quoted_in_a_mue_csv(tmp_path: Path) -> None:
    path = write(tmp_path / MUE_FILE, lines([MUE_HEADER, *MUE_ROWS], ",", quote=True).encode())
    _, rows, tally = read(path)
    assert [r[0] for r in rows] == ["0001X", "0002X", "0003X"] and tally.problems == []


def test_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    mue = write(tmp_path / MUE_FILE, b"\xef\xbb\xbf" + (TABLES / MUE_FILE).read_bytes())
    assert [r[0] for r in read(mue)[1]] == ["0001X", "0002X", "0003X", "0020X"]
    ptp = write(tmp_path / "ccipra-v323r0-f1.txt", b"\xef\xbb\xbf" + lines(PTP_HEAD + PTP_ROWS, "\t").encode())
    layout, rows, _ = read(ptp)
    assert rows == PTP_READ  # the BOM is not part of the notice, and UTF-8 é is read as such
    assert layout.encoding == "8-bit"


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_excels_unicode_text_utf16_tab_delimited(tmp_path: Path, encoding: str, bom: bytes) -> None:
    """Excel's "Unicode text": UTF-16 with a byte-order mark, tab-delimited, cells holding a line
    break quoted (the MUE notice and the header's first cell)."""
    text = (
        '"Placeholder notice: made-up MUE values.\r\n\r\nNot CMS data."\t\t\t\r\n'
        '"HCPCS/\r\nCPT Code"\tPractitioner Services MUE Values\tMUE Adjudication Indicator\tMUE Rationale\r\n'
        + lines(MUE_ROWS, "\t")
    )
    mue = write(tmp_path / MUE_FILE, bom + text.encode(encoding))
    layout, rows, tally = read(mue)
    assert (layout.kind, layout.encoding, layout.delimiter, layout.header_line) == ("mue", encoding, "\t", 4)
    assert layout.form == f"tab-delimited text (UTF-16 {encoding[-2:].upper()}), quoted cells"
    assert [(r[0], r[-1]) for r in rows] == [("0001X", 6), ("0002X", 7), ("0003X", 8)]
    assert tally.problems == []
    ptp = write(tmp_path / "ccipra-v323r0-f1.txt", bom + lines(PTP_HEAD + PTP_ROWS, "\t").encode(encoding))
    assert read(ptp)[1] == PTP_READ


def test_utf16_bytes_that_are_not_text_are_a_bad_row_and_the_rest_is_read(tmp_path: Path) -> None:
    good = lines(PTP_HEAD + PTP_ROWS[:1], "\t").encode("utf-16-le")
    broken = "0001X\t0009X\t\t20260101\t*\t1\tx".encode("utf-16-le") + b"\x00\xd8" + "\r\n".encode("utf-16-le")
    rest = lines(PTP_ROWS[1:], "\t").encode("utf-16-le")
    path = write(tmp_path / "ccipra-v323r0-f1.txt", b"\xff\xfe" + good + broken + rest)
    _, rows, tally = read(path)
    assert [r[1] for r in rows] == ["0002X", "0003X"]
    assert problems(tally) == [(7, "bad-row", "error")]
    assert "UTF-16" in tally.problems[0].message


@pytest.mark.parametrize(("delimiter", "name", "fmt"), [(";", "semicolon", "csv"), ("\t", "tab", "tab")])
def test_semicolon_and_tab_delimited_csv_by_the_header_row(tmp_path: Path, delimiter: str, name: str, fmt: str) -> None:
    """European Excel writes CSV with semicolons; some tools write a .csv with tabs. The header row
    tells which, and the layout says it."""
    notice = '"Placeholder notice;\r\nnot CMS data, made up"' + delimiter * 3 + "\r\n"
    text = notice + lines([MUE_HEADER, *MUE_ROWS], delimiter)
    layout, rows, tally = read(write(tmp_path / MUE_FILE, text.encode()))
    assert (layout.kind, layout.fmt, layout.delimiter, layout.header_line) == ("mue", fmt, delimiter, 3)
    assert layout.form.startswith(f"{name}-delimited text")
    assert [r[:2] for r in rows] == [("0001X", 1), ("0002X", 4), ("0003X", 2)]
    assert tally.problems == []


def test_old_mac_line_ends(tmp_path: Path) -> None:
    """Excel for Mac once wrote CSV lines ending in a carriage return alone."""
    text = lines([MUE_HEADER, *MUE_ROWS], ",").replace("\r\n", "\r")
    layout, rows, _ = read(write(tmp_path / MUE_FILE, text.encode()))
    assert layout.newline == "\r"
    assert [r[0] for r in rows] == ["0001X", "0002X", "0003X"]


def test_what_was_looked_for_is_said_when_nothing_is_found(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", b"\xff\xfe" + "Placeholder\tOther\r\n1\t2\r\n".encode("utf-16-le"))
    with pytest.raises(Unrecognised, match="UTF-16 LE text, tab-, comma- and semicolon-delimited"):
        layout_of(path)


# ---------------------------------------------------------------- dates a spreadsheet rewrote


def ptp_with_dates(tmp_path: Path, dates: list[tuple[str, str]], name: str = "ccipra-v323r0-f1.txt") -> Path:
    rows = [["0001X", f"{i:04d}X", "", eff, end, "1", "Placeholder"] for i, (eff, end) in enumerate(dates, 10)]
    return write(tmp_path / name, lines(PTP_HEAD + rows, "\t").encode())


def test_ptp_dates_as_a_spreadsheet_rewrites_them(tmp_path: Path) -> None:
    path = ptp_with_dates(
        tmp_path,
        [
            ("46113", "*"),  # an Excel date number: 1 April 2026
            ("46113.0", "46204"),
            ("2026-04-01", "2026-07-01 00:00:00"),
            ("2026/04/01", "*"),
            ("04/01/2026", "07/01/2026 0:00"),
            ("4/13/2026", "12/31/2026 12:00:00 AM"),  # month first: 13 is no month
            ("19960101", "*"),
        ],
    )
    _, rows, tally = read(path)
    assert [(r[2], r[3]) for r in rows] == [
        (20260401, None),
        (20260401, 20260701),
        (20260401, 20260701),
        (20260401, None),
        (20260401, 20260701),
        (20260413, 20261231),
        (19960101, None),
    ]
    assert tally.problems == []


def test_a_file_whose_dates_show_day_first_reads_its_ambiguous_dates_day_first(tmp_path: Path) -> None:
    """13/04/2026 can only be day first; then 01/04/2026 is 1 April in that file, even when it
    comes before the date that shows the order (the file is read twice to know)."""
    path = ptp_with_dates(tmp_path, [("01/04/2026", "*"), ("13/04/2026", "*"), ("05/06/2026", "02/03/2027")])
    _, rows, tally = read(path)
    assert [(r[2], r[3]) for r in rows] == [(20260401, None), (20260413, None), (20260605, 20270302)]
    assert tally.problems == []


def test_a_file_whose_dates_show_no_order_is_read_month_first(tmp_path: Path) -> None:
    """The US order, which US exports (and the CMS tables) write: documented in the README."""
    path = ptp_with_dates(tmp_path, [("01/04/2026", "*"), ("05/06/2026", "*")])
    assert [r[2] for r in read(path)[1]] == [20260104, 20260506]


def test_a_file_whose_dates_show_both_orders_cannot_read_an_ambiguous_one(tmp_path: Path) -> None:
    dates = [("13/04/2026", "*"), ("04/14/2026", "*"), ("01/04/2026", "*"), ("20/20/2026", "*")]
    path = ptp_with_dates(tmp_path, dates)
    _, rows, tally = read(path)
    assert [r[2] for r in rows] == [20260413, 20260414]  # each of those tells its own order
    assert problems(tally) == [(8, "bad-row", "error"), (9, "bad-row", "error")]
    ambiguous, impossible = (p.message for p in tally.problems)
    assert "'01/04/2026'" in ambiguous and "both ways" in ambiguous
    assert "'13/04/2026' on line 6 is day first" in ambiguous and "'04/14/2026' on line 7 month first" in ambiguous
    assert "neither of its first two numbers is a month" in impossible


@pytest.mark.parametrize("value", ["31.12.2026", "1/2/26", "2026-02-30", "46113x", "1234", "20260230", "2\u00b2260101"])
def test_what_is_no_date_is_a_bad_row(tmp_path: Path, value: str) -> None:
    _, rows, tally = read(ptp_with_dates(tmp_path, [(value, "*"), ("20260101", "*")]))
    assert len(rows) == 1
    assert problems(tally) == [(6, "bad-row", "error")]


def test_the_survey_reads_a_zip_member_again_while_it_is_being_read(tmp_path: Path) -> None:
    """The survey reads the member a second time, through the zip's one shared directory, in the
    middle of the first read; a zip inside the zip too."""
    import io
    import zipfile

    text = ptp_with_dates(tmp_path, [("01/04/2026", "*")] + [("05/06/2026", "*")] * 3000 + [("13/04/2026", "*")])
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ccipra-v323r0-f2.txt", text.read_bytes())
    folder = tmp_path / "dl"
    folder.mkdir()
    with zipfile.ZipFile(folder / "quarter.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ccipra-v323r0-f1.txt", text.read_bytes())
        z.writestr("inner.zip", inner.getvalue())
    [plan] = scan([folder]).plans
    assert [layout.entry.member for layout in plan.parts] == ["ccipra-v323r0-f1.txt", "inner.zip/ccipra-v323r0-f2.txt"]
    for layout in plan.parts:
        tally = Tally(layout)
        rows = list(PARSERS["ptp"](layout, tally))
        assert [r[2] for r in rows[:2]] == [20260401, 20260605] and rows[-1][2] == 20260413
        assert len(rows) == 3002 and tally.problems == [] and tally.mismatch() is None


def test_the_survey_runs_only_for_an_ambiguous_date() -> None:
    calls: list[int] = []

    def survey() -> tuple[None, None]:
        calls.append(1)
        return None, None

    dates = Dates(yyyymmdd, survey)
    assert dates.read("20260101") == 20260101 and dates.read("13/01/2026") == 20260113 and calls == []
    assert dates.read("01/02/2026") == 20260102 and dates.read("03/04/2026") == 20260304 and calls == [1]


def test_aoc_dates_in_a_sheet_as_date_numbers_and_slashed(tmp_path: Path) -> None:
    rows: list[list[str | int | float | None]] = [
        AOC_HEADER,
        [1, "0020X", None, "0001X", None, 2026001, None, None],  # Julian, as CMS writes it
        [1, "0020X", None, "0002X", 46204, 46023, 46204.0, None],  # date numbers: 1 July 2026, 1 January 2026
        [1, "0020X", None, "0003X", None, "01/15/2026", "9999999", None],
        [1, "0020X", None, "0004X", None, "2026-01-15", "12/31/2026", None],
    ]
    path = write(tmp_path / "AOC_V2026Q4-MCR.xlsx", make_xlsx(rows))
    _, read_rows, tally = read(path)
    assert [r[3:7] for r in read_rows] == [
        (20260101, None, None, None),
        (20260101, 20260701, None, 20260701),
        (20260115, None, None, None),
        (20260115, 20261231, None, None),
    ]
    assert tally.problems == []


# ---------------------------------------------------------------- numbers and codes


@pytest.mark.parametrize(
    ("value", "delimiter", "expected"),
    [
        ("12.5", ",", 12.5),
        ("1,234.50", ",", 1234.5),
        ("1,234", ",", 1234.0),
        ("1.234", ",", 1.234),
        ("1,25", ";", 1.25),
        ("1,234", ";", 1.234),
        ("1.234,50", ";", 1234.5),
        ("33,4009", ";", 33.4009),
        ("0,125", "\t", 0.125),
        ("1,25", "\t", 1.25),
        ("12.50", "\t", 12.5),
        ("1,234.50", "\t", 1234.5),
        ("1.234,50", "", 1234.5),
        ("1.234", "", 1.234),
        ("-0.5", ",", -0.5),
    ],
)
def test_numbers_by_what_their_separators_and_the_delimiter_tell(value: str, delimiter: str, expected: float) -> None:
    assert number(value, delimiter) == expected


@pytest.mark.parametrize(
    ("value", "delimiter"),
    [
        ("1,23", ","),  # a comma-delimited file groups thousands with commas: never 123
        ("1.234", ";"),  # grouped thousands in a European file, or a decimal?
        ("1,234", "\t"),
        ("1.234", "\t"),
        ("1,234,567", ";"),
        ("1" * 5000, ","),
        ("\u00b2", ","),
        ("\u0661\u0662", ","),  # Arabic-Indic digits, which float() would take
        ("1_000", ","),
        ("nan", ","),
        ("inf", ","),
        ("1e5", ","),
    ],
)
def test_numbers_that_could_be_misread_are_not_read(value: str, delimiter: str) -> None:
    with pytest.raises(ValueError, match=r"number|decimal|longer"):
        number(value, delimiter)


RVU_TITLES = ["HCPCS", "MOD", "DESCRIPTION", "STATUS CODE", "WORK RVU", "NON-FAC PE RVU", "FACILITY PE RVU"]
RVU_TITLES += ["MP RVU", "PCTC IND", "GLOB DAYS", "MULT PROC", "BILAT SURG", "CONV FACTOR"]


def test_rvu_decimal_commas_in_a_semicolon_file(tmp_path: Path) -> None:
    rows = [
        ["2026 placeholder relative value file, October release"] + [""] * 12,
        RVU_TITLES,
        ["0001X", "", "Placeholder descriptor", "A", "1,23", "2,5", "0,75", "0,10", "0", "10", "2", "1", "33,4009"],
    ]
    layout, read_rows, tally = read(write(tmp_path / "PPRRVU2026_Oct_nonQPP.csv", lines(rows, ";").encode()))
    assert layout.delimiter == ";"
    [row] = read_rows
    assert row[3] == "010"  # global days a spreadsheet wrote as 10
    assert row[10:14] == (1.23, 2.5, 0.75, 0.1) and row[16] == 33.4009
    assert tally.problems == []


def test_rvu_a_comma_in_a_number_of_a_comma_file_is_not_a_decimal(tmp_path: Path) -> None:
    rows = [RVU_TITLES, ["0001X", "", "Placeholder", "A", '"1,23"', "1", "1", "1", "0", "090", "2", "1", "33.4"]]
    _, read_rows, tally = read(write(tmp_path / "PPRRVU2026_Oct_nonQPP.csv", lines(rows, ",").encode()))
    assert read_rows == []
    [bad] = tally.problems
    assert (bad.line, bad.code) == (2, "bad-row") and "'1,23'" in bad.message and "work rvu" in bad.message


def test_codes_and_global_days_a_spreadsheet_turned_into_numbers(tmp_path: Path) -> None:
    """A sheet (and a CSV a spreadsheet saved) holds 00100 as 100 and 010 as 10: in every column."""
    mue = write(tmp_path / MUE_FILE, lines([MUE_HEADER, ["100", "1", "1 Line Edit", "Placeholder"]], ",").encode())
    assert read(mue)[1][0][0] == "00100"
    sheet: list[list[str | int | float | None]] = [
        AOC_HEADER,
        [1, 101, None, 99, None, 2026001, None, None],
    ]
    aoc = write(tmp_path / "AOC_V2026Q4-MCR.xlsx", make_xlsx(sheet))
    assert read(aoc)[1][0][:2] == ("00101", "00099")
    titles: list[str | int | float | None] = list(RVU_TITLES)
    rvu: list[list[str | int | float | None]] = [titles, [100, None, "Placeholder", "A", 1, 1, 1, 1, 0, 90, 2, 1, 33.4]]
    row = read(write(tmp_path / "PPRRVU2026_Oct_nonQPP.xlsx", make_xlsx(rvu)))[1][0]
    assert (row[0], row[3]) == ("00100", "090")
    text = lines([*PTP_HEAD, ["1", "20", "", "20260101", "*", "1", "x"]], "\t")
    ptp = write(tmp_path / "ccipra-v323r0-f1.txt", text.encode())
    assert read(ptp)[1][0][:2] == ("00001", "00020")


@pytest.mark.parametrize(
    ("cells", "why"),
    [
        (["0001X", "\u00b2", "1 Line Edit", "x"], "MUE value"),
        (["0001X", "9" * 5000, "1 Line Edit", "x"], "MUE value"),
        (["\u0661\u0662\u0663\u0664\u0665", "1", "1 Line Edit", "x"], "not a code"),
        (["0001x", "1", "1 Line Edit", "x"], "not a code"),
    ],
)
def test_values_that_only_look_like_numbers_are_bad_rows_not_tracebacks(
    tmp_path: Path, cells: list[str], why: str
) -> None:
    _, rows, tally = read(write(tmp_path / MUE_FILE, lines([MUE_HEADER, cells], ",").encode()))
    assert rows == []
    [bad] = tally.problems
    assert (bad.line, bad.code) == (2, "bad-row") and why in bad.message
    assert len(bad.message) < 200  # a value is quoted cut short


@pytest.mark.parametrize(("column", "value"), [(3, "\u00c4"), (8, "\u00b2"), (11, "\u0663"), (9, "\u00b9\u00b2")])
def test_rvu_values_are_checked_as_ascii(tmp_path: Path, column: int, value: str) -> None:
    row = ["0001X", "", "Placeholder", "A", "1", "1", "1", "1", "0", "090", "2", "1", "33.4"]
    row[column] = value
    _, rows, tally = read(write(tmp_path / "PPRRVU2026_Oct_nonQPP.csv", lines([RVU_TITLES, row], ",").encode()))
    assert rows == [] and problems(tally) == [(2, "bad-row", "error")]


# ---------------------------------------------------------------- sheets


def test_a_table_on_a_later_sheet_is_found_and_the_sheet_named(tmp_path: Path) -> None:
    sheets: list[tuple[str, list[list[str | int | float | None]]]] = [
        ("Read me", [["Placeholder: how to use this workbook"], ["Nothing here is a table"]]),
        ("AOC edits", [["Placeholder notice"], AOC_HEADER, [1, "0020X", None, "0001X", None, 2026001, None, None]]),
    ]
    path = write(tmp_path / "AOC_V2026Q4-MCR.xlsx", make_workbook(sheets))
    layout, rows, _ = read(path)
    assert (layout.kind, layout.sheet, layout.header_line) == ("aoc", "AOC edits", 2)
    assert layout.form == "workbook, sheet 'AOC edits'"
    assert [r[:2] for r in rows] == [("0020X", "0001X")]


def test_a_workbook_without_a_table_says_how_many_sheets_were_looked_at(tmp_path: Path) -> None:
    path = write(tmp_path / "x.xlsx", make_workbook([("A", [["a"]]), ("B", [["b"]])]))
    with pytest.raises(Unrecognised, match="its 2 sheets"):
        layout_of(path)


# ---------------------------------------------------------------- nothing lost silently


def mue_csv(rows: list[str]) -> bytes:
    head = '"Placeholder notice: made-up MUE values.\r\n\r\nNot CMS data.",,,\r\n"HCPCS/\r\nCPT Code",'
    head += "Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n"
    return (head + "".join(r + "\r\n" for r in rows)).encode()


def test_a_stray_quote_no_longer_swallows_the_rest_of_the_file(tmp_path: Path) -> None:
    """The csv module would read every line after a stray quote into one cell: 300 rows gone, with no
    word. Each line is read on its own now, the quote's line named."""
    good = [f"{i:04d}X,1,1 Line Edit,Placeholder" for i in range(10, 310)]
    rows = [good[0], '0002X,"2,1 Line Edit,Placeholder', *good[1:], '0003X,3,1 Line Edit,"Placeholder stray']
    _, read_rows, tally = read(write(tmp_path / MUE_FILE, mue_csv(rows)))
    assert len(read_rows) == 301  # all the good rows, and the last one with its quote as text
    assert read_rows[-1][3] == '"Placeholder stray'
    assert (tally.read, tally.loaded, tally.rejected) == (302, 301, 1)
    assert problems(tally) == [(7, "stray-quote", "warning"), (7, "bad-row", "error"), (307, "stray-quote", "warning")]
    assert "a quote opened on line 7 is not closed" in tally.problems[0].message
    assert "by the end of the file" in tally.problems[2].message


def test_two_stray_quotes_do_not_swallow_the_lines_between_them(tmp_path: Path) -> None:
    """The second quote would close the first: the lines between would become one cell of one row."""
    rows = [
        '0001X,1,"2 Date of Service Edit: Policy,Placeholder',
        "0002X,4,3 Date of Service Edit: Clinical,Placeholder",
        '0003X,2,1 Line Edit,Placeholder "quoted" text"',
        "0004X,2,1 Line Edit,Placeholder",
    ]
    _, read_rows, tally = read(write(tmp_path / MUE_FILE, mue_csv(rows)))
    assert [r[0] for r in read_rows] == ["0002X", "0003X", "0004X"]
    assert [p.code for p in tally.problems] == ["stray-quote", "bad-row"]


def test_a_quoted_cell_may_span_lines_before_the_header_but_not_forever(tmp_path: Path) -> None:
    """The notice spans lines; a quote in it that never closes is read around within 100 lines, and
    the header below is still found."""
    notice = ['"Placeholder notice that never closes its quote'] + [f"notice line {i}" for i in range(109)]
    text = "\r\n".join(notice) + "\r\n" + lines([MUE_HEADER, *MUE_ROWS], ",") + "0004X,1,1 Line Edit,P\r\n" * 200
    layout, rows, _ = read(write(tmp_path / MUE_FILE, text.encode()))
    assert layout.header_line == 111
    assert [r[0] for r in rows][:4] == ["0001X", "0002X", "0003X", "0004X"]


def test_a_line_longer_than_a_megabyte_is_a_bad_row_and_the_rest_is_read(tmp_path: Path) -> None:
    long = "0009X,1,1 Line Edit," + "x" * (2 << 20)
    path = write(tmp_path / MUE_FILE, mue_csv([MUE_ROWS[0][0] + ",1,1 Line Edit,P", long, "0002X,1,1 Line Edit,P"]))
    _, rows, tally = read(path)
    assert [r[0] for r in rows] == ["0001X", "0002X"]
    assert problems(tally) == [(7, "line-too-long", "error")]
    ptp_rows = [PTP_ROWS[0], ["0001X", "0009X", "", "20260101", "*", "1", "x" * (2 << 20)], PTP_ROWS[1]]
    _, rows, tally = read(write(tmp_path / "ccipra-v323r0-f1.txt", lines(PTP_HEAD + ptp_rows, "\t").encode()))
    assert [r[1] for r in rows] == ["0002X", "0003X"]
    assert problems(tally) == [(7, "line-too-long", "error")]


def test_a_quoted_cell_over_the_csv_field_limit_is_a_bad_row(tmp_path: Path) -> None:
    big = '0009X,1,1 Line Edit,"' + "x" * 200_000 + '"'
    _, rows, tally = read(write(tmp_path / MUE_FILE, mue_csv([big, "0002X,1,1 Line Edit,P"])))
    assert [r[0] for r in rows] == ["0002X"]
    assert problems(tally) == [(6, "bad-row", "error")] and "131,072" in tally.problems[0].message


def test_blank_lines_and_header_legends_are_counted_apart_and_every_count_adds_up(tmp_path: Path) -> None:
    rows = [*PTP_ROWS[:1], ["", "", "", "", "", "", ""], [], PTP_ROWS[1], ["0001X", "0004X", "", "2026", "*", "1", "x"]]
    _, read_rows, tally = read(write(tmp_path / "ccipra-v323r0-f1.txt", lines(PTP_HEAD + rows, "\t").encode()))
    assert len(read_rows) == 2
    counts = (tally.records, tally.continuation, tally.blank, tally.read, tally.loaded, tally.rejected)
    assert counts == (8, 3, 2, 3, 2, 1)


def test_a_row_lost_on_the_way_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts are checked when a table is written: a parser that dropped a row without counting
    it, or rows that never reached the file, are named, as an error (the table may be missing data)."""
    folder = tmp_path / "cms"
    folder.mkdir()
    shutil.copy(TABLES / MUE_FILE, folder)
    honest = PARSERS["mue"]

    def lossy(layout: Layout, tally: Tally) -> object:
        for i, row in enumerate(honest(layout, tally)):
            if i != 1:
                yield row

    monkeypatch.setitem(PARSERS, "mue", lossy)  # the dict compile reads
    summary = compile_tables([folder], tmp_path / "out.sqlite")
    [wrong] = [p for p in summary.problems if p.code == "count-mismatch"]
    assert wrong.severity == "error" and "4 rows loaded, but 3 stored" in wrong.message


def test_a_table_summary_adds_up(tmp_path: Path) -> None:
    summary = compile_tables([FIXTURES / "cms" / "bad"], tmp_path / "out.sqlite")
    [table] = summary.tables
    assert table.rows_read == table.rows_loaded + table.rows_rejected == 7
    assert not [p for p in summary.problems if p.code == "count-mismatch"]


def test_every_file_under_a_path_is_loaded_or_named(tmp_path: Path) -> None:
    folder = tmp_path / "cms"
    (folder / "sub").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("x")
    shutil.copy(TABLES / MUE_FILE, folder / "sub")
    (folder / ".DS_Store").write_bytes(b"\0")
    (folder / "~$lock.xlsx").write_bytes(b"x")
    (folder / "readme.pdf").write_bytes(b"%PDF")
    (tmp_path / "elsewhere").mkdir()
    (folder / "linked").symlink_to(tmp_path / "elsewhere")
    found = scan([folder])
    named = {Path(s.file).name: s.reason for s in found.skipped}
    assert set(named) == {".git", ".DS_Store", "~$lock.xlsx", "readme.pdf", "linked"}
    assert "hidden" in named[".git"] and "not followed" in named["linked"]
    assert [layout.entry.name for plan in found.plans for layout in plan.parts] == [MUE_FILE]


def test_a_zips_hidden_folder_is_named_once(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "dl.zip", "w") as z:
        z.writestr(MUE_FILE, (TABLES / MUE_FILE).read_bytes())
        z.writestr(f"__MACOSX/._{MUE_FILE}", b"\0")
        z.writestr("__MACOSX/._other", b"\0")
    found = scan([tmp_path])
    assert [s.file.rpartition(":")[2] for s in found.skipped] == ["__MACOSX/"]
    assert len(found.plans) == 1
