"""The small .xlsx reader of cptref.cms: a sheet's rows as text, every sheet listed, and no trust in
the XML nor in the sizes it claims.

``make_xlsx`` and ``make_workbook`` (used by the other CMS tests too) write a workbook by hand: a
zip of the XML parts Excel writes, with shared strings, numbers, and cells left out where a row has
gaps. ``patch_sizes`` rewrites the sizes a zip's directory declares for a member, to build a file
that claims to be huge (or a bomb) in a few hundred bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from cptref.cms import archives, xlsx
from cptref.cms.xlsx import Workbook, XlsxError, column_index, iter_rows, number_text

Cell = str | int | float | None

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Notes" sheetId="2" r:id="rId2"/><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>'
    "</workbook>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="worksheet" Target="worksheets/sheet2.xml"/>'
    "</Relationships>"
)


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def make_xlsx(rows: list[list[Cell]], *, inline: bool = False, prolog: str = "", first_row: int = 1) -> bytes:
    """A workbook whose first sheet (listed first in workbook.xml, stored as sheet2.xml) holds
    ``rows``: text as shared strings (inline strings with ``inline``), numbers as numbers, None as
    no cell at all. ``prolog`` goes before the sheet's root element (to test hostile XML)."""
    strings: list[str] = []
    index: dict[str, int] = {}
    xml_rows = []
    for r, row in enumerate(rows, first_row):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_letters(c)}{r}"
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif inline:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
    )
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        + "</sst>"
    )
    other = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>not this sheet</t></is></c></row></sheetData></worksheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", RELS)
        z.writestr("xl/worksheets/sheet2.xml", sheet)
        z.writestr("xl/worksheets/sheet1.xml", other)
        z.writestr("xl/sharedStrings.xml", shared)
    return buffer.getvalue()


def read(data: bytes) -> list[tuple[int, list[str]]]:
    return list(iter_rows(io.BytesIO(data)))


def test_rows_of_the_first_sheet_with_gaps_and_numbers() -> None:
    data = make_xlsx([["Notice"], ["A", None, "C"], [1, 2026001, 2.5, "0001X"]])
    assert read(data) == [(1, ["Notice"]), (2, ["A", "", "C"]), (3, ["1", "2026001", "2.5", "0001X"])]


def test_inline_strings_and_rows_numbered_as_in_the_sheet() -> None:
    data = make_xlsx([["x & y", "<z>"]], inline=True, first_row=5)
    assert read(data) == [(5, ["x & y", "<z>"])]


def test_rich_text_runs_join_and_phonetic_guides_are_left_out() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="x"><si><r><t>Add-</t></r><r><t>On_Code</t></r><rPh><t>ignored</t></rPh></si></sst>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml", '<worksheet><sheetData><row><c t="s"><v>0</v></c></row></sheetData></worksheet>'
        )
    assert read(buffer.getvalue()) == [(1, ["Add-On_Code"])]


def test_integral_floats_read_as_integers() -> None:
    assert number_text("2.026001E6") == "2026001"
    assert number_text("20260101.0") == "20260101"
    assert number_text("33.4009") == "33.4009"
    assert number_text("") == ""
    assert column_index("A1") == 0
    assert column_index("AB12") == 27


def test_a_document_type_declaration_is_refused() -> None:
    bomb = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    with pytest.raises(XlsxError):
        read(make_xlsx([["&b;"]], prolog=bomb))


def test_an_external_entity_is_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me")
    prolog = f'<!DOCTYPE w [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    with pytest.raises(XlsxError):
        read(make_xlsx([["&x;"]], prolog=prolog))


def test_not_a_workbook_and_a_truncated_one_are_errors() -> None:
    with pytest.raises(XlsxError):
        read(b"this is not a zip at all")
    data = make_xlsx([["a"] * 50 for _ in range(50)])
    with pytest.raises(XlsxError):
        read(data[: len(data) // 2])


def test_a_cell_pointing_at_no_shared_string_is_an_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(
            "xl/worksheets/sheet1.xml", '<worksheet><sheetData><row><c t="s"><v>7</v></c></row></sheetData></worksheet>'
        )
    with pytest.raises(XlsxError):
        read(buffer.getvalue())


def _sheet_xml(rows: list[list[Cell]], strings: list[str], index: dict[str, int], first_row: int = 1) -> str:
    xml_rows = []
    for r, row in enumerate(rows, first_row):
        cells = []
        for c, value in enumerate(row):
            if value is None:
                continue
            ref = f"{_letters(c)}{r}"
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                if value not in index:
                    index[value] = len(strings)
                    strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{index[value]}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
    )


def make_workbook(sheets: list[tuple[str, list[list[Cell]]]]) -> bytes:
    """A workbook of several sheets, in this order (``(name, rows)``), sharing their strings."""
    strings: list[str] = []
    index: dict[str, int] = {}
    parts = [_sheet_xml(rows, strings, index) for _, rows in sheets]
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, 1)
        )
        + "</sheets></workbook>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Relationships>"
    )
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}">'
        + "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
        + "</sst>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        for i, part in enumerate(parts, 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", part)
        z.writestr("xl/sharedStrings.xml", shared)
    return buffer.getvalue()


def raw_sheet(xml_rows: str, strings: str | None = None) -> bytes:
    """A workbook of one sheet whose rows are ``xml_rows`` as written (to write what Excel never does)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{xml_rows}</sheetData></worksheet>")
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", f"<sst>{strings}</sst>")
    return buffer.getvalue()


def patch_sizes(data: bytes, member: str, *, size: int, compressed: int | None = None) -> bytes:
    """``data`` (a zip) whose directory declares ``member`` ``size`` bytes uncompressed (and
    ``compressed`` compressed): zipfile trusts the directory, and never gives more than it says."""
    raw = bytearray(data)
    name = member.encode()
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46 : at + 46 + length]) == name:
            struct.pack_into("<L", raw, at + 24, size)
            if compressed is not None:
                struct.pack_into("<L", raw, at + 20, compressed)
            return bytes(raw)
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no member {member}")


# every sheet, and which one


def test_the_sheets_are_listed_in_the_workbooks_order_and_each_can_be_read() -> None:
    data = make_workbook([("Read me", [["Placeholder notes"]]), ("Edits", [["A", "B"], [1, 2]])])
    with Workbook(io.BytesIO(data)) as book:
        assert book.sheets == [("Read me", "xl/worksheets/sheet1.xml"), ("Edits", "xl/worksheets/sheet2.xml")]
        assert list(book.rows("xl/worksheets/sheet2.xml")) == [(1, ["A", "B"]), (2, ["1", "2"])]
        assert list(book.rows()) == [(1, ["Placeholder notes"])]  # the first sheet by default


def test_at_most_max_sheets_are_listed() -> None:
    data = make_workbook([(f"S{i}", [[f"sheet {i}"]]) for i in range(xlsx.MAX_SHEETS + 6)])
    with Workbook(io.BytesIO(data)) as book:
        assert len(book.sheets) == xlsx.MAX_SHEETS
        assert book.sheets[-1][0] == f"S{xlsx.MAX_SHEETS - 1}"


# limits: each a located XlsxError with its code, found before memory or time is spent


def test_a_cell_far_to_the_right_is_refused_without_allocating_its_row() -> None:
    """A few hundred bytes naming column ZZZZZZZZZZ would have made a row list of 10^14 cells."""
    data = raw_sheet('<row r="1"><c r="ZZZZZZZZZZ1" t="inlineStr"><is><t>x</t></is></c></row>')
    assert len(data) < 400
    with pytest.raises(XlsxError) as caught:
        read(data)
    assert caught.value.code == "sheet-limit"
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet('<row r="1"><c r="IW1"><v>1</v></c></row>'))  # column 257
    assert caught.value.code == "sheet-limit" and "IW" in str(caught.value)
    assert read(raw_sheet('<row r="1"><c r="IV1"><v>1</v></c></row>')) == [(1, [""] * 255 + ["1"])]  # column 256


def test_cells_without_references_cannot_grow_a_row_past_the_last_column() -> None:
    cells = "<c><v>1</v></c>" * (xlsx.MAX_COLUMNS + 1)
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet(f"<row>{cells}</row>"))
    assert caught.value.code == "sheet-limit"


@pytest.mark.parametrize("number", ["\u00b2", "1048577", "0", "9" * 5000, "-1"])
def test_a_row_number_that_is_not_1_to_excels_last_row_is_refused(number: str) -> None:
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet(f'<row r="{number}"><c r="A1"><v>1</v></c></row>'))
    assert caught.value.code == "sheet-limit"


def test_a_cell_over_excels_32767_characters_is_refused() -> None:
    text = "x" * (xlsx.MAX_CELL_CHARS + 1)
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{text}</t></is></c></row>'))
    assert caught.value.code == "sheet-limit"
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', f"<si><t>{text}</t></si>"))
    assert caught.value.code == "sheet-limit"
    ok = "x" * xlsx.MAX_CELL_CHARS
    assert read(raw_sheet(f'<row r="1"><c r="A1" t="inlineStr"><is><t>{ok}</t></is></c></row>')) == [(1, [ok])]


def test_shared_strings_are_bounded_in_number_and_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 10)
    assert read(raw_sheet(sheet, "<si><t>a</t></si>" * 10)) == [(1, ["a"])]
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet(sheet, "<si><t>a</t></si>" * 11))
    assert caught.value.code == "sheet-limit" and "shared strings" in str(caught.value)
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 1_000)
    monkeypatch.setattr(xlsx, "MAX_SHARED_CHARS", 100)
    with pytest.raises(XlsxError) as caught:
        read(raw_sheet(sheet, "<si><t>abcdefghij</t></si>" * 11))
    assert caught.value.code == "sheet-limit"


def test_a_cell_pointing_at_a_shared_string_by_a_number_that_is_not_one_is_refused() -> None:
    for pointer in ("\u00b2", "9" * 5000):
        with pytest.raises(XlsxError):
            read(raw_sheet(f'<row r="1"><c r="A1" t="s"><v>{pointer}</v></c></row>', "<si><t>a</t></si>"))


def test_a_part_that_claims_more_than_its_limit_is_refused_before_it_is_read() -> None:
    data = make_xlsx([["a"]])
    huge = patch_sizes(data, "xl/worksheets/sheet2.xml", size=xlsx.MAX_SHEET_XML_BYTES + 1)
    with pytest.raises(XlsxError) as caught:
        read(huge)
    assert caught.value.code == "too-large"
    strings = patch_sizes(data, "xl/sharedStrings.xml", size=xlsx.MAX_STRINGS_XML_BYTES + 1)
    with pytest.raises(XlsxError) as caught:
        read(strings)
    assert caught.value.code == "too-large"


def test_a_part_that_expands_like_a_bomb_is_refused() -> None:
    data = make_xlsx([["a"]])
    bomb = patch_sizes(data, "xl/worksheets/sheet2.xml", size=500 * 2**20, compressed=100_000)
    with pytest.raises(XlsxError) as caught:
        read(bomb)
    assert caught.value.code == "compression-ratio"


def test_a_workbook_of_too_many_parts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setattr(archives, "MAX_ZIP_MEMBERS", 5)
    with pytest.raises(XlsxError) as caught:
        read(make_xlsx([["a"]]))  # six parts
    assert caught.value.code == "too-many-members"
