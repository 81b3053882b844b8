"""What a file is, from its header row: a PTP part, an MUE table, the AOC table, the PPRRVU file,
or none of them. Never from its name (names only add the version, the setting of a PTP table and
the part number: see :mod:`cptref.cms.names`).

Only the head of a file is read here (the first rows of a sheet, the first 256 KiB of a text
file). Each kind's header is found by its cells, wherever it sits below the preamble:

- PTP: a row whose first two cells are "Column 1" and "Column 2", with "Effective", "Deletion" and
  "Modifier" cells (tab-delimited text; the same in the .xlsx);
- MUE: a row with an "HCPCS/CPT Code" cell (in the CSV the quoted cell holds a line break), an
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
import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from . import names
from .models import UNKNOWN
from .sources import READ_ERRORS, Entry
from .xlsx import XlsxError, iter_rows

HEAD_BYTES = 256 * 1024
HEAD_ROWS = 120
csv.field_size_limit(1 << 24)


@dataclass
class Layout:
    """A recognised table file: what it is and where its columns are."""

    entry: Entry
    kind: str
    fmt: str
    """``tab`` (tab-delimited text), ``csv``, ``xlsx``; ``fixed`` (the PPRRVU text, not read)."""
    header_line: int
    """The line (text) or row (sheet) of the header, 1-based; data follow it."""
    columns: dict[str, int] = field(default_factory=dict)
    setting: str | None = None
    version: names.Version | None = None
    quarter: str | None = None
    part: int = 0

    @property
    def version_text(self) -> str:
        return self.version.text if self.version else UNKNOWN

    @property
    def version_key(self) -> tuple[int, int, int]:
        return self.version.key if self.version else (-1, -1, -1)


class Unrecognised(Exception):
    """The file holds no header of a known table (the message says what was looked for).

    ``suspect`` is True when its first rows look like one of the tables all the same (a cell titled
    like a PTP, MUE, AOC or PPRRVU column): a table cptref failed to read, whose edits are then
    missing, rather than another file of the download (a GPCI or locality file, a notice)."""

    def __init__(self, message: str, suspect: bool = False) -> None:
        super().__init__(message)
        self.suspect = suspect


SIGNALS = ("column1", "column2", "muevalue", "adjudicationindicator", "addoncode", "aocedittype", "primarycode")
"""Header cells (letters and digits only) that only the edit tables have."""


def _suspect(rows: Sequence[tuple[int, list[str]]]) -> bool:
    return any(signal in norm(cell) for _, cells in rows for cell in cells for signal in SIGNALS)


def decode(data: bytes) -> str:
    """Text from bytes: UTF-8 (a BOM allowed) when it is valid, else Windows-1252, else Latin-1
    (which maps every byte: the PTP parts are Latin-1)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def norm(cell: str) -> str:
    """A header cell reduced to letters and digits (``"HCPCS/\\nCPT Code"`` -> ``hcpcscptcode``)."""
    return re.sub(r"[^a-z0-9*=]", "", cell.lower())


def words(cell: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", cell.upper())


def csv_rows(text: str, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line of the record, cells) for each CSV record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def tab_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    for number, line in enumerate(text.split("\n"), 1):
        yield number, line.rstrip("\r").split("\t")


def head_rows(entry: Entry) -> tuple[str, list[tuple[int, list[str]]], list[tuple[int, list[str]]]]:
    """The format and the first rows of a file: (``"text"``, tab-split rows, CSV rows) or
    (``"xlsx"``, sheet rows, [])."""
    if entry.suffix == ".xlsx":
        with entry.seekable() as stream, contextlib.closing(iter_rows(stream)) as sheet:
            rows = []
            for row in sheet:
                rows.append(row)
                if len(rows) >= HEAD_ROWS:
                    break
        return "xlsx", rows, []
    with entry.open() as stream:
        data = stream.read(HEAD_BYTES + 1)
    cut = len(data) > HEAD_BYTES
    text = decode(data[:HEAD_BYTES])
    if cut:
        text = text[: text.rfind("\n") + 1] or text
    tabs = list(tab_rows(text))[:HEAD_ROWS]
    if cut and tabs and tabs[-1][1] == [""]:
        tabs.pop()
    commas = []
    try:
        for row in csv_rows(text):
            commas.append(row)
            if len(commas) >= HEAD_ROWS:
                break
    except csv.Error:
        pass
    return "text", tabs, commas


def _find(cells: Sequence[str], test: str, *, exact: bool = False) -> int | None:
    for i, cell in enumerate(cells):
        value = norm(cell)
        if (value == test) if exact else (test in value):
            return i
    return None


def _ptp(cells: list[str]) -> dict[str, int] | None:
    if len(cells) < 6 or not norm(cells[0]).startswith("column1") or not norm(cells[1]).startswith("column2"):
        return None
    found = {
        "effective": _find(cells, "effective"),
        "deletion": _find(cells, "deletion"),
        "modifier": _find(cells, "modifier"),
    }
    if any(v is None for v in found.values()):
        return None
    columns = {k: v for k, v in found.items() if v is not None}
    columns["column1"], columns["column2"] = 0, 1
    columns["pre_1996"] = _find(cells, "existence") or _find(cells, "1996") or 2
    columns["rationale"] = _find(cells, "rationale") or 6
    return columns


def _mue(cells: list[str]) -> tuple[dict[str, int], str | None] | None:
    code = next((i for i, c in enumerate(cells) if norm(c).startswith("hcpcs") and "cpt" in norm(c)), None)
    value = _find(cells, "muevalue")
    indicator = _find(cells, "adjudicationindicator")
    if code is None or value is None or indicator is None:
        return None
    columns = {"code": code, "value": value, "indicator": indicator}
    rationale = _find(cells, "rationale")
    if rationale is not None:
        columns["rationale"] = rationale
    title = norm(cells[value])
    setting = (
        "practitioner"
        if "practitioner" in title
        else "outpatient_hospital"
        if "hospital" in title or "outpatient" in title
        else "dme"
        if "dme" in title or "supplier" in title
        else None
    )
    return columns, setting


AOC_COLUMNS = {
    "type": "AOC_Edit_Type",
    "addon": "Add-On_Code",
    "addon_deleted": "AOC_DelDT",
    "primary": "Primary_Code",
    "primary_deleted": "Primary_Code_DelDT",
    "effective": "AOC_Edit_EffDT",
    "deleted": "AOC_Edit_DelDT",
    "notes": "Special_Instruction_Notes",
}
AOC_REQUIRED = ("type", "addon", "primary", "effective")


def _aoc(cells: list[str]) -> dict[str, int] | None:
    columns = {}
    for key, title in AOC_COLUMNS.items():
        index = _find(cells, norm(title), exact=True)
        if index is not None:
            columns[key] = index
    return columns if all(k in columns for k in AOC_REQUIRED) else None


RVU_COLUMNS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # field: (words the title must have, words it must not have)
    "description": (frozenset({"DESCRIPTION"}), frozenset()),
    "status": (frozenset({"STATUS"}), frozenset()),
    "work_rvu": (frozenset({"WORK", "RVU"}), frozenset({"OPPS"})),
    "nonfacility_pe_rvu": (frozenset({"NON", "FAC", "PE", "RVU"}), frozenset({"OPPS"})),
    "facility_pe_rvu": (frozenset({"FACILITY", "PE", "RVU"}), frozenset({"NON", "OPPS"})),
    "mp_rvu": (frozenset({"MP", "RVU"}), frozenset({"OPPS"})),
    "nonfacility_total": (frozenset({"NON", "FACILITY", "TOTAL"}), frozenset()),
    "facility_total": (frozenset({"FACILITY", "TOTAL"}), frozenset({"NON"})),
    "pctc": (frozenset({"PCTC"}), frozenset()),
    "global_days": (frozenset({"GLOB"}), frozenset()),
    "multiple_procedure": (frozenset({"MULT", "PROC"}), frozenset()),
    "bilateral": (frozenset({"BILAT"}), frozenset()),
    "assistant": (frozenset({"ASST"}), frozenset()),
    "co_surgeon": (frozenset({"CO", "SURG"}), frozenset()),
    "team_surgeon": (frozenset({"TEAM"}), frozenset()),
    "conversion_factor": (frozenset({"CONV"}), frozenset()),
}
RVU_REQUIRED = ("status", "global_days")


def _rvu(rows: list[tuple[int, list[str]]], at: int) -> dict[str, int] | None:
    cells = rows[at][1]
    hcpcs = _find(cells, "hcpcs", exact=True)
    mod = _find(cells, "mod", exact=True)
    if hcpcs is None or mod is None:
        return None
    block = [cells]
    for _, above in reversed(rows[max(0, at - 6) : at]):
        if not any(c.strip() for c in above):
            break
        block.insert(0, above)
    width = max(len(r) for r in block)
    titles = [" ".join(r[i] for r in block if i < len(r) and r[i].strip()) for i in range(width)]
    columns = {"code": hcpcs, "modifier": mod}
    for key, (need, avoid) in RVU_COLUMNS.items():
        for i, title in enumerate(titles):
            present = set(words(title))
            if need <= present and not avoid & present and i not in (hcpcs, mod):
                columns[key] = i
                break
    missing = [k for k in RVU_REQUIRED if k not in columns]
    if missing:
        raise Unrecognised(
            f"a PPRRVU-like header (HCPCS, MOD) at row {rows[at][0]} lacks the column(s) {', '.join(missing)}",
            suspect=len(columns) > 2,  # some fee-schedule column found: a PPRRVU file read wrong, not the OPPS cap file
        )
    return columns


def recognise(entry: Entry) -> Layout:
    """The layout of ``entry``; raises :class:`Unrecognised`, or one of
    :data:`cptref.cms.sources.READ_ERRORS` / :class:`cptref.cms.xlsx.XlsxError` when unreadable."""
    fmt, rows, commas = head_rows(entry)
    chain = entry.names()
    first = next((cells for _, cells in rows if any(c.strip() for c in cells)), [])
    if fmt == "text" and first and first[0].startswith("HDR"):
        return Layout(entry, "rvu", "fixed", 0, version=names.rvu_version(chain), setting=names.rvu_setting(chain))
    candidates = [("xlsx" if fmt == "xlsx" else "tab", rows)]
    if fmt == "text":
        candidates.append(("csv", commas))
    for row_fmt, table in candidates:
        for at, (line, cells) in enumerate(table):
            if not any(c.strip() for c in cells):
                continue
            layout = _match(entry, row_fmt, table, at, line, cells, chain)
            if layout is not None:
                return layout
    raise Unrecognised(
        "no header of a CMS table found in its first rows (looked for the PTP 'Column 1'/'Column 2', "
        "the MUE 'HCPCS/CPT Code', the AOC 'AOC_Edit_Type' and the PPRRVU 'HCPCS'/'MOD' header rows)",
        suspect=_suspect(rows) or _suspect(commas),
    )


def _match(
    entry: Entry,
    fmt: str,
    table: list[tuple[int, list[str]]],
    at: int,
    line: int,
    cells: list[str],
    chain: list[str],
) -> Layout | None:
    ptp = _ptp(cells)
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
    mue = _mue(cells)
    if mue is not None:
        quarter = names.quarter(chain)
        return Layout(
            entry, "mue", fmt, line, mue[0], setting=mue[1], version=quarter, quarter=quarter.text if quarter else None
        )
    aoc = _aoc(cells)
    if aoc is not None:
        quarter = names.quarter(chain)
        return Layout(
            entry, "aoc", fmt, line, aoc, setting="all", version=quarter, quarter=quarter.text if quarter else None
        )
    rvu = _rvu(table, at)
    if rvu is not None:
        preamble = [" ".join(c for c in r if c) for _, r in table[:at]]
        version = names.rvu_version(chain, preamble)
        return Layout(entry, "rvu", fmt, line, rvu, setting=names.rvu_setting(chain), version=version)
    return None


__all__ = ["READ_ERRORS", "Layout", "Unrecognised", "XlsxError", "decode", "recognise"]
