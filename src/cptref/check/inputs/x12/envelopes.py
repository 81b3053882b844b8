"""The envelopes of an X12 837 file: its interchanges (ISA ... IEA), functional groups (GS ... GE) and
transaction sets (ST ... SE), opened and closed, their counts and control numbers checked, and the
problems they raise (a missing trailer, a count or a control number that is not the envelope's, a
transaction set that is no 837 or of a guide not read)."""

from __future__ import annotations

from abc import abstractmethod

from .data import GuideSetting, Limits, Position, ProblemKind, X12Tally
from .tokens import _get, _quote, _Segments, _Stop

GUIDES: dict[str, tuple[str, GuideSetting]] = {
    "005010X222": ("837P", "practitioner"),
    "005010X223": ("837I", "outpatient_hospital"),
}
"""The implementation guides read, by their first ten characters (any addendum: X222A1, X223A2,
X223A3), with the kind of 837 each is and the setting its claims are checked in."""


class _Set:
    """An open transaction set."""

    __slots__ = ("at", "control", "guide", "kind", "setting", "skip", "skipped_claims", "skipped_lines")

    def __init__(self, at: Position, control: str) -> None:
        self.at = at
        self.control = control
        self.guide = ""
        self.kind = ""
        self.setting: GuideSetting = "practitioner"
        self.skip: tuple[ProblemKind, str] | None = None
        """Why its claims are not read (not an 837, a guide not read): one problem at its end."""
        self.skipped_claims = 0
        self.skipped_lines = 0


class _Group:
    __slots__ = ("at", "control", "functional", "sets", "version")

    def __init__(self, at: Position, control: str, functional: str, version: str) -> None:
        self.at = at
        self.control = control
        self.functional = functional
        self.version = version
        self.sets = 0


class _Interchange:
    __slots__ = ("at", "control", "groups")

    def __init__(self, at: Position, control: str) -> None:
        self.at = at
        self.control = control
        self.groups = 0


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


class _Envelopes(_Segments):
    """The segments of one file, with its envelopes opened and closed (ISA, GS, ST and their trailers)."""

    def __init__(self, tally: X12Tally, limits: Limits) -> None:
        super().__init__(tally, limits)
        self.interchange: _Interchange | None = None
        self.group: _Group | None = None
        self.set: _Set | None = None

    def _open_envelopes(self) -> None:
        """A new envelope begins: the claim, transaction set and group still open end here."""
        self._close_claim()
        if self.set is not None:
            self._close_set("another envelope begins")

    # -- envelope segments

    def _trailer(self, seg: bytes) -> tuple[str, str] | None:
        """A trailer's (IEA, GE, SE) count and control number, its first two elements; None when it
        cannot be split (reported)."""
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            return None
        return _get(parts, 1), _get(parts, 2)

    def _isa(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        if self.interchange is not None:
            self.report(
                "missing-trailer",
                f"interchange {self.interchange.control!r} ({self.interchange.at}) has no IEA before this ISA",
            )
            self.interchange = None
        parts = self._split(seg)
        delims = self.delims
        if not isinstance(parts, list) or len(parts) != 17 or seg[3] != delims.element or parts[16] != delims.component:
            raise _Stop(
                "malformed-segment",
                "an ISA segment that could not be read with the file's first delimiters (it has not 16 elements, "
                "or gives other delimiters): the rest of the file is not read",
            )
        self.tally.interchanges += 1
        self.interchange = _Interchange(self.position(), parts[13].strip())

    def _iea(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        interchange, self.interchange = self.interchange, None
        if interchange is None:
            self.report("outside-envelope", "an IEA without its ISA")
            return
        trailer = self._trailer(seg)
        if trailer is None:
            return
        count, control = trailer
        if _int(count) != interchange.groups:
            self.report(
                "count-mismatch",
                f"IEA01 says {_quote(count)} functional groups; interchange {interchange.control!r} holds "
                f"{interchange.groups}",
            )
        if control.strip() != interchange.control:
            self.report(
                "control-mismatch",
                f"IEA02 {_quote(control)} is not the control number of its ISA ({interchange.control!r})",
            )

    def _gs(self, seg: bytes) -> None:
        self._open_envelopes()
        if self.group is not None:
            self._close_group(missing=True)
        if self.interchange is None:
            self.report("outside-envelope", "a GS outside an interchange (ISA ... IEA)")
        else:
            self.interchange.groups += 1
        self.tally.groups += 1
        parts = self._split(seg)
        if not isinstance(parts, list):
            self.report(*parts)
            parts = []
        self.group = _Group(self.position(), _get(parts, 6), _get(parts, 1), _get(parts, 8))

    def _ge(self, seg: bytes) -> None:
        self._open_envelopes()
        group, self.group = self.group, None
        if group is None:
            self.report("outside-envelope", "a GE without its GS")
            return
        trailer = self._trailer(seg)
        if trailer is None:
            return
        count, control = trailer
        if _int(count) != group.sets:
            self.report(
                "count-mismatch",
                f"GE01 says {_quote(count)} transaction sets; functional group {group.control!r} holds {group.sets}",
            )
        if control != group.control:
            self.report(
                "control-mismatch", f"GE02 {_quote(control)} is not the control number of its GS ({group.control!r})"
            )

    def _st(self, seg: bytes) -> None:
        self._open_envelopes()
        group = self.group
        if group is None:
            self.report("outside-envelope", "an ST outside a functional group (GS ... GE)")
        else:
            group.sets += 1
        self.tally.transactions += 1
        current = self.set = _Set(self.position(), "")
        parts = self._split(seg)
        if not isinstance(parts, list):
            current.skip = parts
            return
        current.control = _get(parts, 2)
        code, guide = _get(parts, 1), _get(parts, 3)
        version = group.version if group is not None else ""
        if code != "837":
            current.skip = ("not-a-claim-set", f"transaction set {_quote(code)} is not an 837 (claims)")
            return
        if guide and version and guide != version:
            self.report(
                "guide-mismatch", f"ST03 names the guide {_quote(guide)}, its GS08 {_quote(version)}: ST03 is read"
            )
        guide = guide or version
        known = GUIDES.get(guide[:10])
        if known is None:
            current.skip = (
                "unsupported-guide",
                f"implementation guide {_quote(guide)} is not one read here (837P 005010X222A1, 837I 005010X223A2)",
            )
            return
        current.guide = guide
        current.kind, current.setting = known

    def _se(self, seg: bytes) -> None:
        self._close_claim()
        current = self.set
        if current is None:
            self.report("outside-envelope", "an SE without its ST")
            return
        segments = self.number - current.at.segment + 1
        self._close_set(None)
        trailer = self._trailer(seg)
        if trailer is None:
            return
        count, control = trailer
        if _int(count) != segments:
            self.report(
                "count-mismatch",
                f"SE01 says {_quote(count)} segments; transaction set {current.control!r} holds {segments} "
                "(its ST and SE included)",
            )
        if control != current.control:
            self.report(
                "control-mismatch", f"SE02 {_quote(control)} is not the control number of its ST ({current.control!r})"
            )

    # -- closing sets, groups, and what is open at the end

    def _close_set(self, missing: str | None, stopped: bool = False) -> None:
        """The transaction set ends (at its SE; else ``missing`` says why it ends without one: a
        missing SE, unless the reading ``stopped`` before the end of the file)."""
        current = self.set
        assert current is not None
        if missing is not None:
            self._claim_incomplete(missing)
        self._close_claim()
        self.set = None
        if missing is not None and not stopped:
            self.report("missing-trailer", f"transaction set {current.control!r} ({current.at}) has no SE: {missing}")
        if current.skip is not None:
            kind, message = current.skip
            self.report(
                kind,
                f"{message}: its {current.skipped_claims} claims and {current.skipped_lines} service lines "
                "are not read",
                current.at,
                claims=current.skipped_claims,
                lines=current.skipped_lines,
            )

    def _close_group(self, missing: bool) -> None:
        group, self.group = self.group, None
        if missing and group is not None:
            self.report("missing-trailer", f"functional group {group.control!r} ({group.at}) has no GE")

    def _close_all(self, why: str) -> None:
        """The end of the file, or of its reading: what is still open is closed, and reported (a
        missing trailer only when the file was read to its end)."""
        if self.unterminated:
            self._claim_incomplete("the file ends inside it, without a segment terminator")
        if self.set is not None:
            self._close_set(why, stopped=self.tally.stopped)
        else:
            self._close_claim()
        if not self.tally.stopped:
            self._close_group(missing=True)
            if self.interchange is not None:
                interchange, self.interchange = self.interchange, None
                self.report("missing-trailer", f"interchange {interchange.control!r} ({interchange.at}) has no IEA")
        if self.unterminated:
            self.report("truncated", "the file's last segment has no terminator: the file may be cut short")

    # -- what the layers above do

    @abstractmethod
    def _close_claim(self) -> None:
        """The claim being read (if any) is whole: its items, or its problem (:mod:`.claims`)."""

    @abstractmethod
    def _claim_incomplete(self, why: str) -> None:
        """The claim being read (if any, and read) is not whole: ``why`` (:mod:`.claims`)."""
