"""Two made-up quarters of the CMS tables, 2026 Q3 and 2026 Q4, in the layouts and names of the downloads.

The 2026 Q4 set is the fixture tables (``tests/fixtures/cms/tables``: PTP parts
f1-f4 of both settings, MUE of three settings, PPRRVU) with the add-on code table and fee-schedule rows
``tests/conftest.py``'s ``cms_folder`` adds, and a few rows more; the 2026 Q3 set is the same edited back, so that
going from Q3 to Q4 shows one of each change the tests need. Nothing here is CMS data; no real codes.

What changes from Q3 to Q4 (the tests name them):

- PTP practitioner: 0001X/0002X indicator 1 -> 0 in place; 0001X/0004X deletion date 2026-11-01 added;
  0002X/0006X new (indicator 0, from 2026-12-01); 0002X/0008X re-added (deleted 2025-01-01, back
  2026-10-01); 0010X/0011X replaced (the 2023 row ends 2026-10-01, a new row of indicator 0 takes over);
  0040X/0042X removed from the table; 0050X/0051X rationale changed. Outpatient hospital: nothing.
- MUE practitioner: 0001X 1 (line, indicator 1) -> 1 (date, indicator 2); 0002X 6 -> 4; 0020X new;
  0030X gone.
- AOC: 0003X loses primary 0008X (row gone); 0022X/0002X deleted 2026-12-01; 0022X/0007X added.
- PPRRVU: 0001X bilateral 3 -> 1; 0002X work RVU 0.90 -> 1.00; 0006X status A -> B; 0021X new.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import CMS_AOC, CMS_RVU_ROWS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TABLES = FIXTURES / "cms" / "tables"
LIBRARY = FIXTURES / "check"
CRLF = "\r\n"


def _head(name: str, lines: int) -> list[str]:
    return (TABLES / name).read_bytes().decode("latin-1").split(CRLF)[:lines]


def ptp(rows: list[str]) -> bytes:
    """A PTP part: the fixture's preamble and four-line header, then ``rows`` (cells split by spaces,
    ``-`` for an empty cell, the rationale last and whole)."""
    lines = []
    for row in rows:
        c1, c2, pre, eff, end, mi, rationale = row.split(" ", 6)
        lines.append("\t".join([c1, c2, "" if pre == "-" else pre, eff, end, mi, rationale]))
    return (CRLF.join(_head("ccipra-v323r0-f1.txt", 6) + lines) + CRLF).encode("latin-1")


PTP_Q4 = {
    1: [
        "0001X 0002X * 19960101 * 0 Placeholder rationale alpha",
        "0001X 0003X - 20260101 * 1 Placeholder rationale cafM-i",
        "0001X 0004X - 20250101 20261101 1 Placeholder rationale beta",
        "0001X 0005X - 20260101 20260101 9 Placeholder rationale beta",
        "0001X 0005X - 20260101 * 0 Placeholder rationale beta",
        "0002X 0006X - 20261201 * 0 Placeholder rationale gamma",
        "0002X 0007X - 20240101 * 1 Placeholder rationale gamma",
        "0002X 0008X - 20200101 20250101 1 Placeholder rationale gamma",
        "0002X 0008X - 20261001 * 1 Placeholder rationale gamma",
    ],
    2: [
        "0010X 0011X - 20230401 20261001 1 Placeholder rationale delta",
        "0010X 0011X - 20261001 * 0 Placeholder rationale delta",
        "0012X 0001X - 20230401 * 0 Placeholder rationale delta",
        "0012X 0002X - 20230401 20261001 1 Placeholder rationale delta",
    ],
    3: ["0040X 0041X - 20230401 * 1 Placeholder rationale epsilon"],
    4: ["0050X 0051X - 20230401 * 1 Placeholder rationale zeta"],
}
PTP_Q3 = {
    1: [
        "0001X 0002X * 19960101 * 1 Placeholder rationale alpha",
        "0001X 0003X - 20260101 * 1 Placeholder rationale cafM-i",
        "0001X 0004X - 20250101 * 1 Placeholder rationale beta",
        "0001X 0005X - 20260101 20260101 9 Placeholder rationale beta",
        "0001X 0005X - 20260101 * 0 Placeholder rationale beta",
        "0002X 0007X - 20240101 * 1 Placeholder rationale gamma",
        "0002X 0008X - 20200101 20250101 1 Placeholder rationale gamma",
    ],
    2: [
        "0010X 0011X - 20230401 * 1 Placeholder rationale delta",
        "0012X 0001X - 20230401 * 0 Placeholder rationale delta",
        "0012X 0002X - 20230401 20261001 1 Placeholder rationale delta",
    ],
    3: [
        "0040X 0041X - 20230401 * 1 Placeholder rationale epsilon",
        "0040X 0042X - 20230401 * 1 Placeholder rationale epsilon",
    ],
    4: ["0050X 0051X - 20230401 * 1 Placeholder rationale zeta, earlier words"],
}

MUE_HEAD = _head("MCR_MUE_PractitionerServices_Eff_10-01-2026.csv", 5)
MUE_Q4 = [
    "0001X,1,2 Date of Service Edit: Policy,Placeholder rationale one",
    "0002X,4,3 Date of Service Edit: Clinical,Placeholder rationale two",
    "0003X,2,1 Line Edit,Placeholder rationale three",
    "0020X,0,2 Date of Service Edit: Policy,Placeholder rationale one",
]
MUE_Q3 = [
    "0001X,1,1 Line Edit,Placeholder rationale one",
    "0002X,6,3 Date of Service Edit: Clinical,Placeholder rationale two",
    "0003X,2,1 Line Edit,Placeholder rationale three",
    "0030X,5,1 Line Edit,Placeholder rationale three",
]

AOC_HEAD, *AOC_Q4 = CMS_AOC
AOC_Q3 = [
    "1\t0003X\t\t0001X\t\t2024001\t\t",
    "1\t0003X\t\t0008X\t\t2024001\t\t",
    "2\t0021X\t\tCCCCC\t\t2024001\t\tPlaceholder contractor note",
    "1\t0022X\t\t0002X\t\t2024001\t\t",
]

_RVU_TAIL = ",0,0,0,0,0,9,9,9,,,33.4009,09,0,99,0,0,0"
RVU_EXTRA_Q4 = CMS_RVU_ROWS
RVU_EXTRA_Q3 = ["0006X,,Placeholder bundled guidance,A,,0.50,0.50,,0.50,,0.05,1.05,1.05,0,XXX" + _RVU_TAIL]


def rvu_q3(q4: str) -> str:
    """The fixture's October file made the July one: 0001X bilateral 3 (not 1), 0002X work 0.90."""
    lines = q4.split(CRLF)
    out = []
    for line in lines:
        line = line.replace("October release", "July release")
        cells = line.split(",")
        if cells[:2] == ["0001X", ""]:
            cells[19] = "3"
        if cells[:2] == ["0002X", ""]:
            cells[5] = "0.90"
        out.append(",".join(cells))
    return CRLF.join(out)


@dataclass(frozen=True)
class Quarters:
    """The folders: ``q3`` and ``q4`` (one quarter each), ``both`` (every file of both)."""

    q3: Path
    q4: Path
    both: Path
    claims: Path


CLAIMS = """id,codes,date
c1,0001X 0002X-59,2026-08-15
c2,0010X 0011X-59,2026-08-15
c3,0002Xx5,2026-08-15
c4,0001X 0003X-59,2026-08-15
c5,0008X 0003X,2026-08-15
c6,0006X,2026-08-15
c7,0001X 0004X-59,2026-08-15
"""
"""c1 indicator flip, c2 replaced row, c3 MUE lowered, c5 primary removed, c6 status: judged differently;
c4 and c7 (0001X/0004X is deleted from 2026-11-01, after the day Q4 judges it on) are not."""


def write_quarter(folder: Path, quarter: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    version, eff, month = ("v322r0", "07-01-2026", "Jul") if quarter == "q3" else ("v323r0", "10-01-2026", "Oct")
    rows = PTP_Q3 if quarter == "q3" else PTP_Q4
    for part, part_rows in rows.items():
        (folder / f"ccipra-{version}-f{part}.txt").write_bytes(ptp(part_rows))
        (folder / f"ccioph-{version}-f{part}.txt").write_bytes((TABLES / f"ccioph-v323r0-f{part}.txt").read_bytes())
    mue = MUE_Q3 if quarter == "q3" else MUE_Q4
    (folder / f"MCR_MUE_PractitionerServices_Eff_{eff}.csv").write_bytes((CRLF.join(MUE_HEAD + mue) + CRLF).encode())
    for setting in ("OutpatientHospital", "DMESupplier"):
        source = TABLES / f"MCR_MUE_{setting}Services_Eff_10-01-2026.csv"
        shutil.copy(source, folder / f"MCR_MUE_{setting}Services_Eff_{eff}.csv")
    aoc = AOC_Q3 if quarter == "q3" else AOC_Q4
    name = f"AOC_V2026{'Q3' if quarter == 'q3' else 'Q4'}-MCR.txt"
    (folder / name).write_bytes((CRLF.join([AOC_HEAD, *aoc]) + CRLF).encode("latin-1"))
    october = (TABLES / "PPRRVU2026_Oct_nonQPP.csv").read_bytes().decode("latin-1").rstrip(CRLF)
    text = rvu_q3(october) if quarter == "q3" else october
    extra = RVU_EXTRA_Q3 if quarter == "q3" else RVU_EXTRA_Q4
    (folder / f"PPRRVU2026_{month}_nonQPP.csv").write_bytes((CRLF.join([text, *extra]) + CRLF).encode("latin-1"))


def make_quarters(root: Path) -> Quarters:
    """Both quarters under ``root``: a folder each, a folder of both, and a claims file."""
    write_quarter(root / "q3", "q3")
    write_quarter(root / "q4", "q4")
    both = root / "both"
    both.mkdir()
    for folder in (root / "q3", root / "q4"):
        for path in folder.iterdir():
            shutil.copy(path, both / path.name)
    claims = root / "claims.csv"
    claims.write_text(CLAIMS)
    return Quarters(root / "q3", root / "q4", both, claims)
