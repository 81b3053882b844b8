"""Each kind of table's header row: the cells it is known by, and where its columns are.

:func:`match_ptp`, :func:`match_mue`, :func:`match_aoc` and :func:`match_rvu` each read a row (the PPRRVU
file: the rows above its header too, where its titles are split) and give the table's columns by
name, or None when the row is not that table's header; :mod:`.recognize` tries them on a file's
head. A new kind of table is known by a function here. Cells are compared as words (:func:`norm`,
:func:`cell_words`): case, spaces, punctuation and line breaks inside a cell do not matter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def norm(cell: str) -> str:
    """A header cell reduced to letters and digits (``"HCPCS/\\nCPT Code"`` -> ``hcpcscptcode``)."""
    return re.sub(r"[^a-z0-9*=]", "", cell.lower())


def cell_words(cell: str) -> list[str]:
    return re.findall(r"[A-Z0-9]+", cell.upper())


def _find(cells: Sequence[str], test: str, *, exact: bool = False) -> int | None:
    for i, cell in enumerate(cells):
        value = norm(cell)
        if (value == test) if exact else (test in value):
            return i
    return None


def match_ptp(cells: list[str]) -> dict[str, int] | None:
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


def match_mue(cells: list[str]) -> tuple[dict[str, int], str | None] | None:
    code = next((i for i, c in enumerate(cells) if norm(c).startswith("hcpcs") and "cpt" in norm(c)), None)
    value = _find(cells, "muevalue")
    indicator = _find(cells, "adjudicationindicator")
    if code is None or value is None or indicator is None or len({code, value, indicator}) < 3:
        return None  # one cell holding all the titles: another delimiter splits them
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


def match_aoc(cells: list[str]) -> dict[str, int] | None:
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


def match_rvu(rows: list[tuple[int, list[str]]], at: int) -> dict[str, int] | None:
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
            present = set(cell_words(title))
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


class Unrecognised(Exception):
    """The file holds no header of a known table (the message says what was looked for).

    ``suspect`` is True when its first rows look like one of the tables all the same (a cell titled
    like a PTP, MUE, AOC or PPRRVU column): a table cptref failed to read, whose edits are then
    missing, rather than another file of the download (a GPCI or locality file, a notice)."""

    def __init__(self, message: str, suspect: bool = False) -> None:
        super().__init__(message)
        self.suspect = suspect
