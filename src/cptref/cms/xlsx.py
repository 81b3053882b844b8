"""Just enough of an .xlsx reader for the CMS tables: the first sheet's rows, as text cells.

An .xlsx is a zip of XML parts: ``xl/workbook.xml`` lists the sheets, ``xl/_rels/workbook.xml.rels``
maps each to its part, ``xl/sharedStrings.xml`` holds the strings cells point at, and each sheet
part holds ``<row r="N"><c r="B2" t="s"><v>3</v></c>...``. The standard library's zipfile and
expat read that; no dependency is added for it.

The XML is untrusted (a user's download): a document type declaration is refused outright, so no
entity can be declared, let alone expanded (the "billion laughs"), and no external entity is ever
fetched. Rows are streamed (expat is fed in chunks), so a sheet of a million rows never sits in
memory as a tree; only the shared strings do.

Cell values come back as text: a shared or inline string as is, a number as Excel wrote it except
that an integral float (``2.026001E6``, ``20260101.0``) is written as an integer, a boolean as
``"1"``/``"0"``. Empty cells are ``""``; a row's list reaches its last non-empty cell.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Generator, Iterator
from typing import IO
from xml.parsers import expat

MAIN = "xl/workbook.xml"
RELS = "xl/_rels/workbook.xml.rels"
STRINGS = "xl/sharedStrings.xml"
CHUNK = 1 << 16


class XlsxError(ValueError):
    """The file is not a readable workbook (not a zip, no sheet, malformed or hostile XML)."""


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _parser() -> expat.XMLParserType:
    parser = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise XlsxError("the workbook's XML declares a document type, which a spreadsheet never needs")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _feed(stream: IO[bytes], parser: expat.XMLParserType) -> None:
    try:
        while True:
            chunk = stream.read(CHUNK)
            parser.Parse(chunk, not chunk)
            if not chunk:
                return
    except expat.ExpatError as error:
        raise XlsxError(f"malformed XML in the workbook: {error}") from None


def _attrs(zf: zipfile.ZipFile, part: str, element: str) -> list[dict[str, str]]:
    """The attributes of every ``element`` in a small XML part (workbook, relationships)."""
    found: list[dict[str, str]] = []
    parser = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        if _local(name) == element:
            found.append({_local(k): v for k, v in attrs.items()})

    parser.StartElementHandler = start
    with zf.open(part) as stream:
        _feed(stream, parser)
    return found


def first_sheet(zf: zipfile.ZipFile) -> str:
    """The part name of the workbook's first sheet."""
    names = set(zf.namelist())
    if MAIN in names and RELS in names:
        sheets = _attrs(zf, MAIN, "sheet")
        targets = {r.get("Id"): r.get("Target", "") for r in _attrs(zf, RELS, "Relationship")}
        if sheets and sheets[0].get("id") in targets:
            target = targets[sheets[0]["id"]]
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part in names:
                return part
    fallback = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not fallback:
        raise XlsxError("the workbook has no worksheet")
    return min(fallback, key=lambda n: int(re.sub(r"\D", "", n.rpartition("/")[2])))


class _Strings:
    """expat handlers that collect the shared strings (the text runs of each ``si``, phonetic
    guides left out)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.in_t = False
        self.phonetic = 0

    def start(self, name: str, _: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            self.parts.clear()
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and not self.phonetic:
            self.in_t = True

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "si":
            self.strings.append("".join(self.parts))
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "t":
            self.in_t = False

    def text(self, data: str) -> None:
        if self.in_t:
            self.parts.append(data)


def shared_strings(zf: zipfile.ZipFile) -> list[str]:
    if STRINGS not in zf.namelist():
        return []
    handler = _Strings()
    parser = _parser()
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    with zf.open(STRINGS) as stream:
        _feed(stream, parser)
    return handler.strings


_COLUMN = re.compile(r"([A-Z]+)")
_INTEGER = re.compile(r"-?\d+")


def column_index(ref: str) -> int:
    """``"C12"`` -> 2."""
    match = _COLUMN.match(ref)
    if not match:
        raise XlsxError(f"a cell reference {ref!r} has no column")
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    return index - 1


def number_text(value: str) -> str:
    if _INTEGER.fullmatch(value):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return value


def iter_rows(source: IO[bytes] | str) -> Generator[tuple[int, list[str]], None, None]:
    """``(row number, cells)`` for each row of the first sheet that has a cell, in order."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise XlsxError(f"not a readable .xlsx (a zip of XML parts): {error}") from None
    with zf:
        try:
            strings = shared_strings(zf)
            part = first_sheet(zf)
            yield from _sheet_rows(zf, part, strings)
        except (zipfile.BadZipFile, EOFError, KeyError) as error:
            raise XlsxError(f"the workbook is damaged or truncated: {error}") from None


class _Sheet:
    """expat handlers that turn a worksheet's XML into finished rows (``done``)."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        self.done: list[tuple[int, list[str]]] = []
        self.cells: dict[int, str] = {}
        self.number = 0
        self.col = 0
        self.next_col = 0
        self.type = "n"
        self.capture = False
        self.in_is = False
        self.text: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "c":
            ref = attrs.get("r")
            self.col = column_index(ref) if ref else self.next_col
            self.next_col = self.col + 1
            self.type = attrs.get("t", "n")
            self.text.clear()
        elif local == "v" or (local == "t" and self.in_is):
            self.capture = True
        elif local == "is":
            self.in_is = True
        elif local == "row":
            self.cells.clear()
            number = attrs.get("r")
            self.number = int(number) if number and number.isdigit() else self.number + 1
            self.next_col = 0

    def end(self, name: str) -> None:
        local = _local(name)
        if local in ("v", "t"):
            self.capture = False
        elif local == "is":
            self.in_is = False
        elif local == "c":
            value = self.value("".join(self.text))
            if value:
                self.cells[self.col] = value
        elif local == "row" and self.cells:
            width = max(self.cells) + 1
            self.done.append((self.number, [self.cells.get(i, "") for i in range(width)]))

    def value(self, raw: str) -> str:
        if self.type == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                raise XlsxError(f"row {self.number}: a cell points at no shared string ({raw!r})") from None
        if self.type in ("inlineStr", "str", "e"):
            return raw
        if self.type == "b":
            return "1" if raw.strip() == "1" else "0"
        return number_text(raw.strip())

    def data(self, chunk: str) -> None:
        if self.capture:
            self.text.append(chunk)


def _sheet_rows(zf: zipfile.ZipFile, part: str, strings: list[str]) -> Iterator[tuple[int, list[str]]]:
    sheet = _Sheet(strings)
    parser = _parser()
    parser.StartElementHandler = sheet.start
    parser.EndElementHandler = sheet.end
    parser.CharacterDataHandler = sheet.data
    parser.buffer_text = True
    with zf.open(part) as stream:
        try:
            while True:
                chunk = stream.read(CHUNK)
                parser.Parse(chunk, not chunk)
                if sheet.done:
                    yield from sheet.done
                    sheet.done.clear()
                if not chunk:
                    return
        except expat.ExpatError as error:
            raise XlsxError(f"malformed XML in the worksheet: {error}") from None
