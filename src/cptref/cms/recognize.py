"""What a file is, from its header row: a PTP part, an MUE table, the AOC table, the PPRRVU file,
or none of them. Never from its name (names only add the version, the setting of a PTP table and
the part number: see :mod:`cptref.cms.names`).

Only the head of a file is read here: the first rows of each sheet of a workbook (up to 64, in
order; the layout names the sheet), or the first 256 KiB of a text file, whose encoding and line
end its first bytes give, read as tab-, comma- and semicolon-delimited text in turn: the delimiter
is the one under which a header row's cells are found (the layout says which, and whether the
cells are quoted). The forms a spreadsheet or an export tool writes are read as well as the CMS
ones (see :class:`Layout`, and :func:`~.textfile.split_records` for quoting and stray quotes). Each kind's
header is found by its cells, wherever it sits below the preamble:

- PTP: a row whose first two cells are "Column 1" and "Column 2", with "Effective", "Deletion" and
  "Modifier" cells (tab-delimited text, its cells sometimes all quoted; the same in the .xlsx);
- MUE: a row with an "HCPCS/CPT Code" cell (in the CMS CSV the quoted cell holds a line break; a
  spreadsheet may write it on one line), an
  "... MUE Values" cell (whose words give the setting) and an "MUE Adjudication Indicator" cell;
- AOC: a row with "AOC_Edit_Type", "Add-On_Code" and "Primary_Code" cells;
- PPRRVU: a row with cells "HCPCS" and "MOD"; the other column titles are split over the rows
  above it (CSV) or sit in one cell with line breaks (.xlsx), so each column's title is the join
  of its cells in the block of rows ending at that row.

The fixed-width PPRRVU text (its lines start with ``HDR``) has no titles to find columns by; it is
recognised and set aside, for the .csv or .xlsx beside it.

Layouts checked against public open-source readers of the real files (2026-11-27), not only against
the design notes:

- PTP. ``reuven-ops/Biller``, ``evals/fixtures/cms_ncci_ptp/ccipra-v322r0-f1.excerpt.txt`` (the first
  lines of a real part): a notice line and a title line padded out with tabs, the header row, then
  three lines continuing it whose first two cells are empty (the "prior to 1996", "Date",
  "0=not allowed", "*=no data", "1=allowed", "9=not applicable" legends), then rows of seven
  tab-separated cells; deletion ``*`` for an edit in force; indicator-9 rows whose deletion date
  equals their effective date. The same repository's ``packages/ingest/src/couriers/cms-ncci-ptp.ts``
  decodes the parts as Latin-1 and splits on CRLF, and its ``evals/fixtures/cms_ncci_ptp/README.md``
  says each part downloads as its own zip (``medicare-ncci-2026q3-practitioner-ptp-edits-
  ccipra-v322r0-f1.zip``) holding ``ccipra-v322r0-f1.TXT`` (capital extension). Its
  ``packages/ingest/test/cms-ncci-ptp.test.ts`` shows a pair repeated with two effective-date
  histories in a real part (so rows are kept as they are, never merged by pair).
  ``andrewallenbruce/northstar``, ``data-raw/ncci.R``: the four parts also as .xlsx, the column-3
  star meaning "in existence prior to 1996", modifier 0/1/9.
- MUE. ``reuven-ops/Biller``, ``evals/fixtures/cms_ncci_mue/MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv``:
  one quoted cell holding the whole multi-line notice (then ``,,,``), a header whose first cell is
  quoted with a line break after "HCPCS/", and indicator cells such as "2 Date of Service Edit:
  Policy". ``andrewallenbruce/northstar``, ``data-raw/ncci.R``: three tables whose value columns are
  titled for Practitioner, Outpatient Hospital and DME Supplier Services, and the indicator's digit
  first in its cell; the outpatient and DME sheets carry a notice row above the header.
- AOC. ``andrewallenbruce/northstar``, ``data-raw/aoc.R``: ``AOC_V2024Q2-MCR.xlsx`` with the columns
  ``AOC_Edit_Type``, ``Add-On_Code``, ``AOC_DelDT``, ``Primary_Code``, ``Primary_Code_DelDT``,
  ``AOC_Edit_EffDT``, ``AOC_Edit_DelDT``, ``Special_Instruction_Notes``, types 1-3, ``CCCCC`` for no
  listed primary, dates whose first four digits are the year (Julian ``YYYYDDD``). Another reader
  seen only as an unnamed excerpt put the 2026 header on the sheet's second row under a notice row,
  which is why the header is searched for rather than assumed.
- PPRRVU. ``reuven-ops/Biller``, ``evals/fixtures/cms_mpfs/PPRRVU2026_Jul_nonQPP.excerpt.redacted.csv``:
  five preamble rows (title with the year and "July Release", notices, a blank row, "RELEASED"),
  then five rows of title fragments ending with the row ``HCPCS,MOD,DESCRIPTION,CODE,...`` (the
  tenth), 32 columns, ``GLOB DAYS`` values such as ``XXX``, blank modifiers, a conversion factor per
  row. ``andrewallenbruce/northstar``, ``data-raw/pfs_rvu_file.R``: in the .xlsx each title is whole
  in one row (``work_rvu``, ``non_fac_pe_rvu``, ``glob_days``, ``mult_proc``, ``bilat_surg``,
  ``asst_surg``, ``co_surg``, ``team_surg``, ``conv_factor``) and the file names ``PPRRVU24_JAN``.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO

from . import names
from .archives import READ_ERRORS
from .headers import Unrecognised, match_aoc, match_mue, match_ptp, match_rvu, norm
from .models import UNKNOWN
from .sources import Entry
from .textfile import DELIMITER_NAMES, DELIMITERS, Note, PhysicalLine, Record, physical_lines, sniff, split_records
from .xlsx import MAX_SHEETS, Workbook, XlsxError

HEAD_BYTES = 256 * 1024
HEAD_ROWS = 120


@dataclass
class Layout:
    """A recognised table file: what it is, where its columns are, and how it was read."""

    entry: Entry
    kind: str
    fmt: str
    """``tab`` (tab-delimited text), ``csv`` (comma- or semicolon-delimited), ``xlsx``; ``fixed`` (the
    PPRRVU text, not read)."""
    header_line: int
    """The line (text) or row (sheet) of the header, 1-based; data follow it."""
    columns: dict[str, int] = field(default_factory=dict)
    setting: str | None = None
    version: names.Version | None = None
    quarter: str | None = None
    part: int = 0
    delimiter: str = ""
    """``\\t``, ``,`` or ``;`` as the header row showed it (text); ``""`` for a sheet."""
    quoted: bool = False
    """Cells may be quoted (every CSV; tab-delimited text whose head quotes its cells)."""
    encoding: str = ""
    """``utf-16-le`` / ``utf-16-be`` (by their byte-order mark: Excel's "Unicode text"), else ``8-bit``:
    each line UTF-8 when it is valid, else Windows-1252, else Latin-1 (a UTF-8 byte-order mark is
    dropped)."""
    newline: str = "\n"
    """``\\n`` (LF or CRLF), or ``\\r`` for the old Mac line ends of some spreadsheet exports."""
    sheet: str | None = None
    """The sheet the table was found on (``.xlsx``: every sheet is looked at, in order)."""
    sheet_part: str | None = None

    @property
    def version_text(self) -> str:
        return self.version.text if self.version else UNKNOWN

    @property
    def version_key(self) -> tuple[int, int, int]:
        return self.version.key if self.version else (-1, -1, -1)

    @property
    def form(self) -> str:
        """How the file was read, in words: ``tab-delimited text (UTF-16 LE)``, ``sheet 'Data'``."""
        if self.fmt == "xlsx":
            return f"workbook, sheet {self.sheet!r}"
        if self.fmt == "fixed":
            return "fixed-width text"
        encoding = {"utf-16-le": " (UTF-16 LE)", "utf-16-be": " (UTF-16 BE)"}.get(self.encoding, "")
        quoted = ", quoted cells" if self.quoted and self.delimiter == "\t" else ""
        return f"{DELIMITER_NAMES[self.delimiter]}-delimited text{encoding}{quoted}"


SIGNALS = ("column1", "column2", "muevalue", "adjudicationindicator", "addoncode", "aocedittype", "primarycode")
"""Header cells (letters and digits only) that only the edit tables have."""


def _suspect(rows: Sequence[tuple[int, list[str]]]) -> bool:
    return any(signal in norm(cell) for _, cells in rows for cell in cells for signal in SIGNALS)


def text_records(layout: Layout, stream: IO[bytes]) -> Iterator[Record | Note]:
    """The records of a recognised text table, read as its layout says."""
    lines = physical_lines(stream, layout.encoding, layout.newline)
    return split_records(lines, layout.delimiter, layout.quoted, layout.header_line + 1)


def _text_head(entry: Entry) -> tuple[str, str, list[PhysicalLine]]:
    with entry.open() as stream:
        data = stream.read(HEAD_BYTES + 1)
    cut = len(data) > HEAD_BYTES
    encoding, newline = sniff(data)
    data = data[:HEAD_BYTES]
    if encoding != "8-bit":
        data = data[: len(data) // 2 * 2]
    lines = list(islice(physical_lines(io.BytesIO(data), encoding, newline), HEAD_ROWS * 4))
    if cut and lines:
        lines.pop()  # it may be cut short
    return encoding, newline, lines


def recognise(entry: Entry) -> Layout:
    """The layout of ``entry``; raises :class:`Unrecognised`, or one of
    :data:`cptref.cms.sources.READ_ERRORS` / :class:`cptref.cms.xlsx.XlsxError` when unreadable."""
    chain = entry.names()
    if entry.suffix == ".xlsx":
        return _sheet_layout(entry, chain)
    encoding, newline, lines = _text_head(entry)
    first = next((text for _, text, trouble in lines if trouble is None and text.strip()), "")
    if first.startswith("HDR"):
        return Layout(
            entry,
            "rvu",
            "fixed",
            0,
            version=names.rvu_version(chain),
            setting=names.rvu_setting(chain),
            encoding=encoding,
            newline=newline,
        )
    suspect = False
    for delimiter in DELIMITERS:
        rows = [r for r in split_records(lines, delimiter, True) if not isinstance(r, Note)][:HEAD_ROWS]
        suspect = suspect or _suspect(rows)
        layout = _header(entry, "tab" if delimiter == "\t" else "csv", rows, chain)
        if layout is not None:
            layout.delimiter, layout.encoding, layout.newline = delimiter, encoding, newline
            layout.quoted = delimiter != "\t" or any(
                cell.startswith('"')
                for number, text, _ in lines
                if number <= layout.header_line
                for cell in text.split(delimiter)
            )
            return layout
    read = {"utf-16-le": "UTF-16 LE text", "utf-16-be": "UTF-16 BE text"}.get(encoding, "text")
    raise Unrecognised(
        f"no header of a CMS table found in its first rows (read as {read}, tab-, comma- and semicolon-delimited; "
        + LOOKED_FOR,
        suspect=suspect,
    )


LOOKED_FOR = (
    "looked for the PTP 'Column 1'/'Column 2', the MUE 'HCPCS/CPT Code', the AOC 'AOC_Edit_Type' and the PPRRVU "
    "'HCPCS'/'MOD' header rows)"
)


def _sheet_layout(entry: Entry, chain: list[str]) -> Layout:
    suspect = False
    with entry.seekable() as stream, Workbook(stream) as book:
        for name, part in book.sheets:
            with contextlib.closing(book.rows(part)) as sheet:
                rows = list(islice(sheet, HEAD_ROWS))
            suspect = suspect or _suspect(rows)
            layout = _header(entry, "xlsx", rows, chain)
            if layout is not None:
                layout.sheet, layout.sheet_part = name, part
                return layout
        count = len(book.sheets)
    raise Unrecognised(
        f"no header of a CMS table found in the first rows of its {count} sheet{'s' * (count != 1)}"
        + (f" (the first {count} looked at)" if count == MAX_SHEETS else "")
        + f" ({LOOKED_FOR}",
        suspect=suspect,
    )


def _header(entry: Entry, fmt: str, rows: list[Record], chain: list[str]) -> Layout | None:
    for at, (line, cells) in enumerate(rows):
        if not any(c.strip() for c in cells):
            continue
        layout = _match(entry, fmt, rows, at, line, cells, chain)
        if layout is not None:
            return layout
    return None


def _match(
    entry: Entry,
    fmt: str,
    table: list[tuple[int, list[str]]],
    at: int,
    line: int,
    cells: list[str],
    chain: list[str],
) -> Layout | None:
    ptp = match_ptp(cells)
    if ptp is not None:
        quarter = names.quarter(chain)
        return Layout(
            entry,
            "ptp",
            fmt,
            line,
            ptp,
            setting=names.ptp_setting(chain),
            version=names.ptp_version(chain),
            quarter=quarter.text if quarter else None,
            part=names.ptp_part(chain),
        )
    mue = match_mue(cells)
    if mue is not None:
        quarter = names.quarter(chain)
        return Layout(
            entry, "mue", fmt, line, mue[0], setting=mue[1], version=quarter, quarter=quarter.text if quarter else None
        )
    aoc = match_aoc(cells)
    if aoc is not None:
        quarter = names.quarter(chain)
        return Layout(
            entry, "aoc", fmt, line, aoc, setting="all", version=quarter, quarter=quarter.text if quarter else None
        )
    rvu = match_rvu(table, at)
    if rvu is not None:
        preamble = [" ".join(c for c in r if c) for _, r in table[:at]]
        version = names.rvu_version(chain, preamble)
        return Layout(entry, "rvu", fmt, line, rvu, setting=names.rvu_setting(chain), version=version)
    return None


__all__ = ["READ_ERRORS", "Layout", "XlsxError", "recognise", "text_records"]
