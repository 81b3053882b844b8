"""The claims of an X12 837 file: each CLM (after its HL) read into a draft with its service lines
(each opened by its LX), and each draft, once whole, made into its items: one :class:`~.data.X12Claim`
a date of service, or the :class:`~.data.X12Problem` that says why the claim is not read."""

from __future__ import annotations

import datetime

from .data import Limits, Position, ProblemKind, X12Claim, X12Line, X12Tally
from .envelopes import _Envelopes
from .tokens import _get, _Stop

_PAD = [""] * 8
"""Added to a segment's elements so that the optional ones can be read by their index."""

_NOWHERE = Position(0, 0, 0)
"""The position of a service line not yet met (its LX alone)."""


class _LineDraft:
    __slots__ = (
        "at",
        "code",
        "date",
        "date_to",
        "dates",
        "modifiers",
        "number",
        "place",
        "problem",
        "read",
        "revenue",
        "units",
    )

    def __init__(self, at: Position, number: str | None) -> None:
        self.at = at
        self.number = number
        self.read = False
        """Whether its SV1 or SV2 has been met (an LX alone is no service line)."""
        self.code: str | None = None
        self.modifiers: tuple[str, ...] = ()
        self.units = 1
        self.place: str | None = None
        self.revenue: str | None = None
        self.date: datetime.date | None = None
        self.date_to: datetime.date | None = None
        self.dates = 0
        self.problem: tuple[ProblemKind, str] | None = None

    @property
    def uncoded(self) -> bool:
        """A service line read without a procedure code (an 837I revenue line)."""
        return self.code is None and self.problem is None


class _ClaimDraft:
    __slots__ = (
        "at",
        "bill_type",
        "date",
        "dropped",
        "frequency",
        "id",
        "incomplete",
        "line",
        "lines",
        "lost",
        "over",
        "place",
        "statement",
    )

    def __init__(self, at: Position) -> None:
        self.at = at
        self.id: str | None = None
        self.lost: tuple[ProblemKind, str] | None = None
        """Why the claim as a whole could not be read (its CLM segment)."""
        self.place: str | None = None
        self.bill_type: str | None = None
        self.frequency: str | None = None
        self.date: datetime.date | None = None
        self.statement: tuple[datetime.date, datetime.date] | None = None
        self.lines: list[_LineDraft] = []
        self.line: _LineDraft | None = None
        """The service line being read (its LX, or its SV1/SV2, has been met)."""
        self.incomplete: list[str] = []
        self.over = 0
        """Service lines over :attr:`.data.Limits.max_lines`."""
        self.dropped = 0
        """Service lines that could not be read (each a problem of its own)."""


class _Claims(_Envelopes):
    """The segments of one file, with its claims read (CLM, its HL and LX) and closed into items."""

    def __init__(self, tally: X12Tally, limits: Limits) -> None:
        super().__init__(tally, limits)
        self.claim: _ClaimDraft | None = None

    def _claim_incomplete(self, why: str) -> None:
        """The claim being read, if one is and it is read, is not whole: ``why``."""
        claim = self.claim
        if claim is not None and claim.lost is None:
            claim.incomplete.append(why)

    def _other(self) -> None:
        """A segment this reader does not split: outside a transaction set, a problem."""
        if self.set is None:
            self.report("outside-envelope", "a segment outside a transaction set (ST ... SE)")

    def _malformed(self, kind: ProblemKind, message: str) -> None:
        """A segment that cannot be read: reported; the claim it falls in is incomplete (the
        segment may have been one of its lines)."""
        at = self.position()
        self._claim_incomplete(f"{at} could not be read")
        claim = self.claim
        self.report(kind, message, at, claim.id if claim is not None else None)

    # -- claim segments

    def _hl(self, seg: bytes) -> None:
        self._close_claim()  # a new hierarchical level: the claim before it is whole
        self._other()

    def _clm(self, seg: bytes) -> None:
        self._close_claim()
        tally = self.tally
        if tally.claims_in >= self.limits.max_claims:
            raise _Stop("too-many-claims", f"the file holds more than {self.limits.max_claims} claims: reading stopped")
        tally.claims_in += 1
        current = self.set
        if current is None:
            self.report("outside-envelope", "a claim (CLM) outside a transaction set (ST ... SE)", claims=1)
            return
        if current.skip is not None:
            current.skipped_claims += 1
            return
        claim = self.claim = _ClaimDraft(self.position())
        parts = self._split(seg)
        if not isinstance(parts, list):
            claim.lost = ("bad-claim", f"its CLM segment cannot be read: {parts[1]}")
            return
        parts += _PAD
        claim_id = parts[1]
        if not claim_id.strip():
            claim.lost = ("bad-claim", "CLM01, the claim's id, is empty")
            return
        claim.id = claim_id
        components = self._components(parts[5])
        if components is None:
            claim.lost = ("bad-claim", f"CLM05 has more than {self.limits.max_components} components")
            return
        facility, frequency = _get(components, 0), _get(components, 2)
        claim.frequency = frequency or None
        if current.setting == "practitioner":
            claim.place = facility or None
        elif facility:
            claim.bill_type = facility + frequency

    def _lx(self, seg: bytes) -> None:
        self._close_line()
        claim = self.claim
        if claim is not None:  # an LX outside a claim holds nothing: its SV1 or SV2 is reported
            number = seg[3:].split(bytes([self.delims.element]), 1)[0]
            claim.line = _LineDraft(_NOWHERE, number.decode("ascii", "backslashreplace") if number else None)

    # -- closing lines and claims

    def _close_line(self) -> None:
        """The service line being read is whole. One that could not be read is a problem, and a
        reason its claim is incomplete."""
        claim = self.claim
        if claim is None or claim.line is None:
            return
        line, claim.line = claim.line, None
        if not line.read:
            return  # an LX with no SV1 or SV2 after it: no service line
        if claim.lost is not None:
            claim.lines.append(line)
            return
        if line.problem is not None:
            kind, message = line.problem
            claim.incomplete.append(f"the service line at {line.at}: {message}")
            claim.dropped += 1
            self.report(kind, message, line.at, claim.id, lines=1)
            return
        if len(claim.lines) >= self.limits.max_lines:
            claim.over += 1
            return
        claim.lines.append(line)

    def _close_claim(self) -> None:
        """The claim being read is whole: its items, one a date of service, or its problem."""
        self._close_line()
        claim, self.claim = self.claim, None
        if claim is None:
            return
        current = self.set
        assert current is not None  # a claim is only opened inside a transaction set
        tally = self.tally
        kind: ProblemKind
        if claim.lost is not None:
            kind, message = claim.lost
            uncoded = sum(1 for line in claim.lines if line.uncoded)
            tally.uncoded += uncoded
            self.report(
                kind,
                f"{message}: the claim is not read",
                claim.at,
                claim.id,
                claims=1,
                lines=len(claim.lines) - uncoded + claim.over,
            )
            return
        if claim.over:
            message = f"the claim has more than {self.limits.max_lines} service lines: {claim.over} are not read"
            claim.incomplete.append(message)
            self.report("too-many-lines", message, claim.at, claim.id, lines=claim.over)
        uncoded = sum(1 for line in claim.lines if line.uncoded)
        tally.uncoded += uncoded
        if uncoded == len(claim.lines):
            if uncoded:
                kind = "no-procedure-code"
                message = "the claim's service lines have no CPT or HCPCS code (revenue codes only): nothing to check"
            elif claim.dropped or claim.over:
                kind, message = "no-lines", "none of the claim's service lines could be read: nothing to check"
            else:
                kind, message = "no-lines", "the claim has no service line (SV1 or SV2): nothing to check"
            self.report(kind, message, claim.at, claim.id, claims=1)
            return
        assert claim.id is not None
        fallback = claim.date
        if fallback is None and claim.statement is not None and claim.statement[0] == claim.statement[1]:
            fallback = claim.statement[0]
        by_date: dict[datetime.date | None, list[X12Line]] = {}
        uncoded_on: dict[datetime.date | None, int] = {}
        for line in claim.lines:
            day = line.date or fallback
            if line.code is None:
                uncoded_on[day] = uncoded_on.get(day, 0) + 1
                continue
            last = line.date_to if line.date_to is not None and line.date_to != line.date else None
            by_date.setdefault(day, []).append(
                X12Line(
                    line.code, line.modifiers, line.units, day, line.number, line.at, last, line.place, line.revenue
                )
            )
        tally.claims_read += 1
        incomplete = tuple(claim.incomplete)
        parts = len(by_date)
        for part, (day, lines) in enumerate(by_date.items(), 1):
            tally.items += 1
            tally.lines_read += len(lines)
            tally.incomplete += bool(incomplete)
            self.out.append(
                X12Claim(
                    claim.id,
                    day,
                    current.setting,
                    tuple(lines),
                    claim.at,
                    current.guide,
                    part,
                    parts,
                    claim.place,
                    claim.bill_type,
                    claim.frequency,
                    uncoded_on.get(day, 0),
                    incomplete,
                )
            )
