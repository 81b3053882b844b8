"""The small .xlsx reader of cptref.cms: the first sheet's rows as text, and no trust in the XML.

``make_xlsx`` (used by the other CMS tests too) writes a workbook by hand: a zip of the XML parts
Excel writes, with shared strings, numbers, and cells left out where a row has gaps.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from cptref.cms.xlsx import XlsxError, column_index, iter_rows, number_text

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
