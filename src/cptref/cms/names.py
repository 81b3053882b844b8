"""What the names of the files (and zips, and folders) as downloaded say about a table: its version
or quarter, its setting, and which part of a split table it is.

The kind of a table is never taken from a name (see :mod:`cptref.cms.recognize`); these are the
facts the headers do not carry. Names are looked at innermost first (the member of a zip, then the
zip, then the folder), and the first that says something wins. The patterns are those of the CMS
downloads:

- PTP: ``ccipra-v323r0-f1.txt`` (practitioner), ``ccioph-v323r0-f1.txt`` (outpatient hospital):
  version 32.3, revision 0, part 1; the zips are named like
  ``medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip``.
- MUE: ``MCR_MUE_PractitionerServices_Eff_10-01-2026.csv``: the first day of the quarter.
- AOC: ``AOC_V2026Q2-MCR.xlsx``.
- PPRRVU: ``RVU26A`` (the zip or folder; ``rvu25d_0``, ``rvu26ar_1`` with a revision),
  ``PPRRVU2026_Oct_nonQPP.csv`` (from 2026 a QPP and a non-QPP file), ``PPRRVU25_JAN.csv``; or the
  preamble's "2026 National Physician Fee Schedule Relative Value File July Release".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import NamedTuple

from cptref.model.records import quarter_bounds


class Version(NamedTuple):
    text: str
    """As CMS writes it: ``32.3r0``, ``2026Q2``, ``RVU26A``."""
    key: tuple[int, int, int]
    """What orders versions of one kind: (major, minor, revision) or (year, quarter, revision)."""


_PTP = re.compile(r"v([0-9]{2})([0-9])r([0-9]{1,3})(?![0-9])", re.IGNORECASE)
"""ASCII digits, the revision bounded: a member's name may be 65,535 bytes, and int() refuses over
4,300 digits."""
_PART = re.compile(r"-f(\d{1,2})(?=$|[._\- ])", re.IGNORECASE)
_QUARTER = re.compile(r"(20\d\d)[ _-]?q([1-4])(?!\d)", re.IGNORECASE)
_EFFECTIVE = re.compile(r"eff[ _-]?(\d\d)[-_](\d\d)[-_](20\d\d)", re.IGNORECASE)
_RVU = re.compile(r"(?<![a-z])rvu(\d\d)([a-d])(r?)(?:_(\d{1,2})(?!\d))?(?![a-z])", re.IGNORECASE)
_PPRRVU = re.compile(r"pprrvu(20\d\d|\d\d)[ _-]?(jan|apr|jul|oct)", re.IGNORECASE)
_RELEASE = re.compile(r"(20\d\d)\b.*?\b(january|april|july|october)\s+release", re.IGNORECASE)
_MONTHS = {"jan": 1, "apr": 2, "jul": 3, "oct": 4, "january": 1, "april": 2, "july": 3, "october": 4}


def _first(names: Iterable[str], pattern: re.Pattern[str]) -> re.Match[str] | None:
    for name in names:
        match = pattern.search(name)
        if match:
            return match
    return None


_EDIT_NAMES = re.compile(
    r"cci(?:pra|oph)-?v[0-9]{3}r[0-9]"
    r"|(?<![a-z])mue(?![a-z]).*eff[ _-]?\d\d[-_]\d\d[-_]20\d\d"
    r"|(?<![a-z])aoc[ _-]?v?20\d\d[ _-]?q[1-4]",
    re.IGNORECASE,
)


def named_as_edits(name: str) -> bool:
    """Whether a file's own name is that of an NCCI edit table as CMS names its downloads, with its
    version or quarter (``ccipra-v323r1-f1.txt``, ``MCR_MUE_PractitionerServices_Eff_10-01-2026.csv``,
    ``AOC_V2026Q4-MCR.xlsx``): such a file that cannot be read may hold edits of that quarter."""
    return _EDIT_NAMES.search(name) is not None


def ptp_version(names: Sequence[str]) -> Version | None:
    match = _first(names, _PTP)
    if not match:
        return None
    major, minor, revision = int(match.group(1)), int(match.group(2)), int(match.group(3))
    return Version(f"{major}.{minor}r{revision}", (major, minor, revision))


def ptp_part(names: Sequence[str]) -> int:
    """The part number of a split PTP table (``-f3``), 0 when the names give none."""
    match = _first(names, _PART)
    return int(match.group(1)) if match else 0


def ptp_setting(names: Sequence[str]) -> str | None:
    for name in names:
        lower = name.lower()
        if "ccipra" in lower or "practitioner" in lower:
            return "practitioner"
        if "ccioph" in lower or "hospital" in lower:
            return "outpatient_hospital"
    return None


def quarter(names: Sequence[str]) -> Version | None:
    """``2026Q2`` from ``..._V2026Q2...``, ``...-2026q2-...`` or ``..._Eff_04-01-2026...``."""
    for name in names:
        match = _QUARTER.search(name)
        if match:
            year, number = int(match.group(1)), int(match.group(2))
            return Version(f"{year}Q{number}", (year, number, 0))
        match = _EFFECTIVE.search(name)
        if match:
            month, year = int(match.group(1)), int(match.group(3))
            if 1 <= month <= 12:
                number = (month - 1) // 3 + 1
                return Version(f"{year}Q{number}", (year, number, 0))
    return None


def rvu_version(names: Sequence[str], preamble: Iterable[str] = ()) -> Version | None:
    """``RVU26A`` (A January, B April, C July, D October) from the names or the preamble."""
    match = _first(names, _RVU)
    if match:
        year, letter = 2000 + int(match.group(1)), match.group(2).upper()
        revision = int(match.group(4) or 0)
        text = f"RVU{year % 100:02d}{letter}" + (f"-{revision}" if revision else "")
        return Version(text, (year, ord(letter) - 64, revision))
    match = _first(names, _PPRRVU)
    if match:
        year = int(match.group(1))
        year = year if year > 1999 else 2000 + year
        number = _MONTHS[match.group(2).lower()]
        return Version(f"RVU{year % 100:02d}{chr(64 + number)}", (year, number, 0))
    for line in preamble:
        found = _RELEASE.search(line)
        if found:
            year, number = int(found.group(1)), _MONTHS[found.group(2).lower()]
            return Version(f"RVU{year % 100:02d}{chr(64 + number)}", (year, number, 0))
    return None


def rvu_setting(names: Sequence[str]) -> str:
    """``nonqpp`` or ``qpp`` for the two files of 2026 on, ``all`` for one file."""
    for name in names:
        lower = name.lower()
        if "nonqpp" in lower or "non_qpp" in lower or "non-qpp" in lower:
            return "nonqpp"
        if re.search(r"(?<![a-z])qpp(?![a-z])", lower):
            return "qpp"
    return "all"


PTP_FIRST_YEAR = 1994
"""NCCI PTP version ``N.q`` is for the calendar year ``1994 + N``, quarter ``q + 1``: version 31.2 took
effect on 1 July 2025 and 31.3 on 1 October 2025 (American Academy of Dermatology, "CMS releases 2025
third and fourth quarter NCCI edits", DermWorld Coding Consult, March 2026); the zips of the same
downloads are named ``medicare-ncci-2026q4-...-ccipra-v323r0-...`` (version 32.3: 2026, quarter 4)."""


def dates_in_force(kind: str, version: Version | None) -> tuple[date, date] | None:
    """The dates a table of ``kind`` and ``version`` is in force for: the quarter its version names
    (PTP 32.3: October to December 2026; MUE and AOC 2026Q2: April to June 2026; PPRRVU RVU26A:
    January to March 2026, B April, C July, D October), or None when the version is unknown. A
    revision (``32.3r1``, ``RVU26AR``) corrects its quarter's file and is in force for the same dates."""
    if version is None:
        return None
    if kind == "ptp":
        major, minor, _ = version.key
        if not 0 <= minor <= 3:
            return None
        return quarter_bounds(PTP_FIRST_YEAR + major, minor + 1)
    year, number, _ = version.key
    if not 1 <= number <= 4 or not 1990 <= year <= 2200:
        return None
    return quarter_bounds(year, number)
