"""Just enough of an .xlsx reader for the CMS tables: a sheet's rows, as text cells.

An .xlsx is a zip of XML parts: ``xl/workbook.xml`` lists the sheets, ``xl/_rels/workbook.xml.rels``
maps each to its part, ``xl/sharedStrings.xml`` holds the strings cells point at, and each sheet
part holds ``<row r="N"><c r="B2" t="s"><v>3</v></c>...``. The standard library's zipfile and
expat read that; no dependency is added for it. :class:`Workbook` lists the sheets (the first
:data:`MAX_SHEETS`, in the workbook's order) and reads any of them; :func:`iter_rows` reads the first.

The workbook is untrusted (a user's download), so it is bounded before and while it is read, each
breach an :class:`XlsxError` whose ``code`` names it:

- the zip: at most :data:`cptref.cms.archives.MAX_ZIP_MEMBERS` parts, each part read by its declared
  size (``too-large``: a sheet at most :data:`MAX_SHEET_XML_BYTES` of XML, the shared strings
  :data:`MAX_STRINGS_XML_BYTES`, the workbook's other parts :data:`MAX_PART_XML_BYTES`) and its
  compression ratio (``compression-ratio``);
- a document type declaration is refused outright, so no entity can be declared, let alone
  expanded (the "billion laughs"), and no external entity is ever fetched;
- the sheet (``sheet-limit``): a cell at most in column :data:`MAX_COLUMNS` (no CMS table is wider
  than 32 columns; a row is held as a list as wide as its last cell), a row number at most
  :data:`MAX_ROWS` (Excel's own limit), a cell's text at most :data:`MAX_CELL_CHARS` (Excel's own
  limit), at most :data:`MAX_SHARED_STRINGS` shared strings of at most :data:`MAX_SHARED_CHARS`
  characters in all (they are all held in memory).

Rows are streamed (expat is fed in chunks), so a sheet of a million rows never sits in memory as a
tree; only the shared strings do.

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

from .archives import MIB, Refused, check_member, open_zip

MAIN = "xl/workbook.xml"
RELS = "xl/_rels/workbook.xml.rels"
STRINGS = "xl/sharedStrings.xml"
XML_CHUNK = 1 << 16

MAX_SHEETS = 64
"""Sheets looked at for a table's header, in the workbook's order (a CMS workbook has one)."""
MAX_SHEET_XML_BYTES = 1024 * MIB
"""A sheet's XML, uncompressed: 1,048,576 rows of a CMS table written verbosely take ~0.5 GB."""
MAX_STRINGS_XML_BYTES = 256 * MIB
"""The shared strings' XML, uncompressed."""
MAX_PART_XML_BYTES = 16 * MIB
"""The workbook's list of sheets and its relationships."""
MAX_COLUMNS = 256
"""The last column a cell may be in (IV, Excel 2003's last): the widest CMS table has 32 columns."""
MAX_ROWS = 1_048_576
"""Excel's last row."""
MAX_CELL_CHARS = 32_767
"""Excel's own limit on a cell's text."""
MAX_SHARED_STRINGS = 1_000_000
"""Distinct strings of a workbook: a PTP part holds ~50,000 (codes, dates, rationales)."""
MAX_SHARED_CHARS = 64 * MIB
"""Characters of all the shared strings together."""


class XlsxError(ValueError):
    """The file is not a readable workbook (not a zip, no sheet, malformed or hostile XML, over a
    limit); ``code`` names the problem (``unreadable``, ``too-large``, ``compression-ratio``,
    ``too-many-members``, ``sheet-limit``)."""

    def __init__(self, message: str, code: str = "unreadable") -> None:
        super().__init__(message)
        self.code = code


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
            chunk = stream.read(XML_CHUNK)
            parser.Parse(chunk, not chunk)
            if not chunk:
                return
    except expat.ExpatError as error:
        raise XlsxError(f"malformed XML in the workbook: {error}") from None


_COLUMN = re.compile(r"([A-Z]{1,3})(?:[0-9]|$)")
_INTEGER = re.compile(r"-?[0-9]+")
_DIGITS = re.compile(r"[0-9]{1,7}")


def column_index(ref: str) -> int:
    """``"C12"`` -> 2; :class:`XlsxError` beyond column :data:`MAX_COLUMNS`."""
    match = _COLUMN.match(ref)
    if not match:
        raise XlsxError(
            f"a cell reference {ref[:20]!r} is not a column of at most three letters and a row", "sheet-limit"
        )
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - 64
    if index > MAX_COLUMNS:
        raise XlsxError(
            f"a cell in column {match.group(1)}, past column IV ({MAX_COLUMNS}): no CMS table is that wide",
            "sheet-limit",
        )
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


class _Strings:
    """expat handlers that collect the shared strings (the text runs of each ``si``, phonetic
    guides left out), bounded in number and size."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.length = 0
        self.total = 0
        self.in_t = False
        self.phonetic = 0

    def start(self, name: str, _: dict[str, str]) -> None:
        local = _local(name)
        if local == "si":
            self.parts.clear()
            self.length = 0
        elif local == "rPh":
            self.phonetic += 1
        elif local == "t" and not self.phonetic:
            self.in_t = True

    def end(self, name: str) -> None:
        local = _local(name)
        if local == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise XlsxError(f"the workbook has over {MAX_SHARED_STRINGS:,} shared strings", "sheet-limit")
            self.strings.append("".join(self.parts))
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "t":
            self.in_t = False

    def text(self, data: str) -> None:
        if self.in_t:
            self.length += len(data)
            self.total += len(data)
            if self.length > MAX_CELL_CHARS:
                raise XlsxError(
                    f"shared string {len(self.strings) + 1:,} is over the {MAX_CELL_CHARS:,} characters a cell holds",
                    "sheet-limit",
                )
            if self.total > MAX_SHARED_CHARS:
                raise XlsxError(f"the shared strings hold over {MAX_SHARED_CHARS:,} characters", "sheet-limit")
            self.parts.append(data)


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
        self.length = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "c":
            ref = attrs.get("r")
            self.col = column_index(ref) if ref else self.next_col
            if self.col >= MAX_COLUMNS:
                raise XlsxError(f"row {self.number}: a cell past column IV ({MAX_COLUMNS})", "sheet-limit")
            self.next_col = self.col + 1
            self.type = attrs.get("t", "n")
            self.text.clear()
            self.length = 0
        elif local == "v" or (local == "t" and self.in_is):
            self.capture = True
        elif local == "is":
            self.in_is = True
        elif local == "row":
            self.cells.clear()
            number = attrs.get("r")
            if number is None:
                self.number += 1
            elif _DIGITS.fullmatch(number) and 0 < int(number) <= MAX_ROWS:
                self.number = int(number)
            else:
                raise XlsxError(f"a row numbered {number[:20]!r}, not 1 to {MAX_ROWS:,}", "sheet-limit")
            if self.number > MAX_ROWS:
                raise XlsxError(f"a row past row {MAX_ROWS:,}", "sheet-limit")
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
            if not _DIGITS.fullmatch(raw.strip()):
                raise XlsxError(f"row {self.number}: a cell points at no shared string ({raw[:20]!r})")
            try:
                return self.strings[int(raw)]
            except IndexError:
                raise XlsxError(f"row {self.number}: a cell points at no shared string ({raw[:20]!r})") from None
        if self.type in ("inlineStr", "str", "e"):
            return raw
        if self.type == "b":
            return "1" if raw.strip() == "1" else "0"
        return number_text(raw.strip())

    def data(self, chunk: str) -> None:
        if self.capture:
            self.length += len(chunk)
            if self.length > MAX_CELL_CHARS:
                raise XlsxError(
                    f"row {self.number}: a cell over the {MAX_CELL_CHARS:,} characters a cell holds", "sheet-limit"
                )
            self.text.append(chunk)


_READ_ERRORS = (zipfile.BadZipFile, EOFError, KeyError, OSError, UnicodeDecodeError, NotImplementedError)


class Workbook:
    """An open workbook: its sheets, and the rows of any of them. Use it as a context manager."""

    def __init__(self, source: IO[bytes]) -> None:
        try:
            self._zip = open_zip(source, "the workbook")
        except Refused as refused:
            raise XlsxError(str(refused), refused.code) from None
        except (zipfile.BadZipFile, OSError, EOFError, UnicodeDecodeError, NotImplementedError) as error:
            raise XlsxError(f"not a readable .xlsx (a zip of XML parts): {error}") from None
        self._names = set(self._zip.namelist())
        self._strings: list[str] | None = None
        try:
            self.sheets = self._sheets()
        except _READ_ERRORS as error:
            self.close()
            raise _error(error) from None
        except XlsxError:
            self.close()
            raise

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _open(self, part: str, limit: int) -> IO[bytes]:
        info = self._zip.getinfo(part)
        try:
            check_member(info, limit, f"the workbook's part {part}")
        except Refused as refused:
            raise XlsxError(str(refused), refused.code) from None
        return self._zip.open(info)

    def _attrs(self, part: str, element: str) -> list[dict[str, str]]:
        """The attributes of every ``element`` in a small XML part (workbook, relationships)."""
        found: list[dict[str, str]] = []
        parser = _parser()

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == element:
                found.append({_local(k): v for k, v in attrs.items()})

        parser.StartElementHandler = start
        with self._open(part, MAX_PART_XML_BYTES) as stream:
            _feed(stream, parser)
        return found

    def _sheets(self) -> list[tuple[str, str]]:
        """(name, part) of the first :data:`MAX_SHEETS` sheets, in the workbook's order."""
        names = self._names
        out: list[tuple[str, str]] = []
        if MAIN in names and RELS in names:
            targets = {r.get("Id"): r.get("Target", "") for r in self._attrs(RELS, "Relationship")}
            for sheet in self._attrs(MAIN, "sheet"):
                target = targets.get(sheet.get("id"))
                if target is None:
                    continue
                part = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                )
                if part in names and all(part != p for _, p in out):
                    out.append((sheet.get("name", part), part))
        if not out:
            fallback = sorted(
                (n for n in names if re.fullmatch(r"xl/worksheets/sheet[0-9]{1,6}\.xml", n)),
                key=lambda n: int(re.sub(r"[^0-9]", "", n.rpartition("/")[2])),
            )
            out = [(posixpath.splitext(posixpath.basename(p))[0], p) for p in fallback]
        if not out:
            raise XlsxError("the workbook has no worksheet")
        return out[:MAX_SHEETS]

    def strings(self) -> list[str]:
        if self._strings is None:
            if STRINGS not in self._names:
                self._strings = []
            else:
                handler = _Strings()
                parser = _parser()
                parser.StartElementHandler = handler.start
                parser.EndElementHandler = handler.end
                parser.CharacterDataHandler = handler.text
                with self._open(STRINGS, MAX_STRINGS_XML_BYTES) as stream:
                    _feed(stream, parser)
                self._strings = handler.strings
        return self._strings

    def rows(self, part: str | None = None) -> Generator[tuple[int, list[str]], None, None]:
        """``(row number, cells)`` for each row of a sheet (the first by default) that has a cell."""
        try:
            yield from self._rows(self.sheets[0][1] if part is None else part)
        except _READ_ERRORS as error:
            raise _error(error) from None

    def _rows(self, part: str) -> Iterator[tuple[int, list[str]]]:
        sheet = _Sheet(self.strings())
        parser = _parser()
        parser.StartElementHandler = sheet.start
        parser.EndElementHandler = sheet.end
        parser.CharacterDataHandler = sheet.data
        parser.buffer_text = True
        with self._open(part, MAX_SHEET_XML_BYTES) as stream:
            try:
                while True:
                    chunk = stream.read(XML_CHUNK)
                    parser.Parse(chunk, not chunk)
                    if sheet.done:
                        yield from sheet.done
                        sheet.done.clear()
                    if not chunk:
                        return
            except expat.ExpatError as error:
                raise XlsxError(f"malformed XML in the worksheet: {error}") from None


def _error(error: BaseException) -> XlsxError:
    if isinstance(error, Refused):
        return XlsxError(str(error), error.code)
    return XlsxError(f"the workbook is damaged or truncated: {error}")


def iter_rows(source: IO[bytes] | str) -> Generator[tuple[int, list[str]], None, None]:
    """``(row number, cells)`` for each row of the first sheet that has a cell, in order."""
    if isinstance(source, str):
        with open(source, "rb") as handle:
            yield from iter_rows(handle)
        return
    with Workbook(source) as book:
        yield from book.rows()
