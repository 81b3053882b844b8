"""The service lines of an X12 837 file: SV1 (837P) and SV2 (837I), each as its code, modifiers and
units or the problem that keeps it from being read, and the dates of service (DTP) of a line or of
its claim. :class:`_Parser` is the whole parser: every segment read, by its handler."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

from .claims import _PAD, _Claims, _LineDraft
from .data import Limits, ProblemKind, X12Tally
from .tokens import _CACHE, _get, _quote

_PROCEDURE = re.compile(r"[0-9A-Za-z]{5}")
"""A CPT or HCPCS code as SV101-2 / SV202-2 holds it: five letters or digits. Anything else is a
problem, never passed on as a claim-line string (``47555X2`` would read as two units of 47555); five
characters of no CPT or HCPCS shape (``000A0``) are passed on, and check stops them as malformed."""
_MODIFIER = re.compile(r"[0-9A-Za-z]{2}")
_QUANTITY = re.compile(r"([0-9]{1,15})(?:\.([0-9]{0,15}))?|\.([0-9]{1,15})")
"""An X12 decimal (type R) with no sign and no exponent: ``2``, ``2.0``, ``.5``."""
_MAX_UNITS = 999_999
"""The most units a cptref claim line holds (``xN``: at most six digits)."""
_D8 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_CACHE_KEY = 80
"""Bytes in a cache's key (a segment) at most: a longer segment is read each time, never kept."""

_DATE_NAMES = {"472": "date of service", "434": "statement period"}


def _units(text: str) -> int | str:
    """SV104 / SV205 as whole units, or why it is not."""
    if not text:
        return "no units are given"
    match = _QUANTITY.fullmatch(text)
    if match is None:
        return "not a number written as X12 writes one (digits, a decimal point)"
    whole, fraction, only_fraction = match.groups()
    if only_fraction is not None:
        whole, fraction = "0", only_fraction
    if fraction and fraction.strip("0"):
        return "not a whole number of units: cptref counts whole units"
    units = int(whole)
    if units < 1:
        return "no units: a service line is at least one unit"
    if units > _MAX_UNITS:
        return f"more than {_MAX_UNITS} units"
    return units


def _date(text: str) -> datetime.date | None:
    match = _D8.fullmatch(text)
    if match is None:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _dates(form: str, text: str) -> tuple[datetime.date, datetime.date | None] | str:
    """A DTP's date (D8) or range of dates (RD8), or why it is not one."""
    if form == "D8":
        day = _date(text)
        return (day, None) if day is not None else f"{_quote(text)} is not a date written CCYYMMDD"
    if form == "RD8":
        first, _, last = text.partition("-")
        start, end = _date(first), _date(last)
        if start is None or end is None:
            return f"{_quote(text)} is not a range of dates written CCYYMMDD-CCYYMMDD"
        if end < start:
            return f"{_quote(text)} ends before it begins"
        return (start, end)
    return f"the date format {_quote(form)} is neither D8 nor RD8"


class _Parser(_Claims):
    """One pass over a file's chunks: segments, then envelopes, then claims."""

    def __init__(self, tally: X12Tally, limits: Limits) -> None:
        super().__init__(tally, limits)
        self._dates: dict[bytes, tuple[str | None, tuple[datetime.date, datetime.date | None] | str]] = {}
        """DTP segments met, as they were read (bounded: a file holds few dates)."""
        self._services: dict[
            bytes,
            tuple[str | None, str | None, tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str] | None],
        ] = {}
        """SV1 and SV2 segments met, as they were read (bounded)."""
        self._handlers: dict[bytes, Callable[[bytes], None]] = {
            b"ISA": self._isa,
            b"IEA": self._iea,
            b"GS": self._gs,
            b"GE": self._ge,
            b"ST": self._st,
            b"SE": self._se,
            b"HL": self._hl,
            b"CLM": self._clm,
            b"LX": self._lx,
            b"SV1": self._sv1,
            b"SV2": self._sv2,
            b"DTP": self._dtp,
        }
        self._kinds = dict(self._handlers)

    def _sv1(self, seg: bytes) -> None:
        return self._service(seg, professional=True)

    def _sv2(self, seg: bytes) -> None:
        return self._service(seg, professional=False)

    def _service(self, seg: bytes, professional: bool) -> None:
        """A service line (SV1 in an 837P, SV2 in an 837I): read into the line its LX opened."""
        self.tally.lines_in += 1
        current, claim = self.set, self.claim
        if current is not None and current.skip is not None:
            current.skipped_lines += 1
            return
        if claim is None:
            self.report("outside-envelope", "a service line outside a claim (no CLM before it)", lines=1)
            return
        line = claim.line
        if line is None or line.read:
            self._close_line()  # no LX of its own: read all the same
            line = claim.line = _LineDraft(self.position(), None)
        else:
            line.at = self.position()
        line.read = True
        found = self._services.get(seg)
        if found is None:
            found = self._service_line(seg, professional)
            if len(self._services) < _CACHE and len(seg) <= _CACHE_KEY:
                self._services[seg] = found
        line.place, line.revenue, read = found
        if read is None:
            return  # a revenue line without a procedure code: counted as uncoded
        if len(read) == 2:
            line.problem = read
        else:
            line.code, line.modifiers, line.units = read

    def _service_line(
        self, seg: bytes, professional: bool
    ) -> tuple[str | None, str | None, tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str] | None]:
        """An SV1 or SV2 segment as its place of service (SV105), its revenue code (SV201), and
        its code, modifiers and units, or the problem that keeps it from being read (None: a
        revenue line without a procedure code)."""
        parts = self._split(seg)
        if not isinstance(parts, list):
            return None, None, parts
        parts += _PAD
        if professional:
            return parts[5] or None, None, self._procedure(professional, parts[1], parts[3], parts[4])
        if not parts[2]:
            return None, parts[1] or None, None
        return None, parts[1] or None, self._procedure(professional, parts[2], parts[4], parts[5])

    def _procedure(
        self, professional: bool, composite: str, basis: str, quantity: str
    ) -> tuple[str, tuple[str, ...], int] | tuple[ProblemKind, str]:
        """A service line's code, modifiers and units (SV101 or SV202, then its unit basis and its
        units), or the problem that keeps it from being read."""
        if professional:
            where, units_at, basis_at = "SV101", "SV104", "SV103"
        else:
            where, units_at, basis_at = "SV202", "SV205", "SV204"
        components = self._components(composite)
        if components is None:
            return ("bad-line", f"{where} has more than {self.limits.max_components} components")
        qualifier, code = _get(components, 0), _get(components, 1)
        if qualifier != "HC":
            return (
                "not-hcpcs",
                f"{where}-1 is {_quote(qualifier)}, not HC: the line's code {_quote(code)} is not a CPT or HCPCS "
                "code, and is not checked",
            )
        if not _PROCEDURE.fullmatch(code):
            return ("bad-line", f"{where}-2 {_quote(code)} is not a CPT or HCPCS code (five letters or digits)")
        modifiers = tuple(m for m in components[2:6] if m)
        for modifier in modifiers:
            if not _MODIFIER.fullmatch(modifier):
                return ("bad-line", f"{where}-3 to -6: the modifier {_quote(modifier)} is not two letters or digits")
        if basis != "UN":
            return (
                "bad-units",
                f"{basis_at} measures the line in {_quote(basis)}, not UN (units): {units_at} {_quote(quantity)} is "
                "not a count of services, and the line is not checked",
            )
        units = _units(quantity)
        if isinstance(units, str):
            return ("bad-units", f"{units_at} {_quote(quantity)}: {units}")
        return (code, modifiers, units)

    def _dtp(self, seg: bytes) -> None:
        self._date(seg)

    def _date(self, seg: bytes) -> None:
        """A DTP: the date of service of the line being read (472), or its claim's (472, 434)."""
        claim = self.claim
        if claim is None or claim.lost is not None:
            return
        found = self._dates.get(seg)
        if found is None:
            found = self._date_of(seg)
            if len(self._dates) < _CACHE and len(seg) <= _CACHE_KEY:
                self._dates[seg] = found
        qualifier, dates = found
        if qualifier is None:
            return  # another date (DTP*431, onset ...)
        line = claim.line
        if qualifier == "":
            assert isinstance(dates, str)
            if line is not None:  # it may be the line's date: the line cannot be read
                line.problem = line.problem or ("malformed-segment", f"a DTP segment after it cannot be read: {dates}")
            else:
                claim.lost = ("malformed-segment", f"a DTP segment of the claim cannot be read: {dates}")
            return
        if qualifier == "472" and line is not None:
            line.dates += 1
            if isinstance(dates, str):
                line.problem = line.problem or ("bad-date", f"DTP*472, the line's date of service: {dates}")
            elif line.dates > 1:
                line.problem = line.problem or ("bad-date", "the line gives two dates of service (DTP*472)")
            else:
                line.date, line.date_to = dates
            return
        if isinstance(dates, str):
            claim.lost = claim.lost or ("bad-date", f"DTP*{qualifier}, the claim's {_DATE_NAMES[qualifier]}: {dates}")
        elif qualifier == "472":
            claim.date = dates[0]
        else:
            claim.statement = (dates[0], dates[1] or dates[0])

    def _date_of(self, seg: bytes) -> tuple[str | None, tuple[datetime.date, datetime.date | None] | str]:
        """A DTP segment as its qualifier (None: not a date read here; empty: the segment cannot be
        split), and its date or range of dates, or why it is not one."""
        parts = self._split(seg)
        if not isinstance(parts, list):
            return "", parts[1]
        parts += _PAD
        if parts[1] not in _DATE_NAMES:
            return None, ""
        return parts[1], _dates(parts[2], parts[3])
