"""What checked a claim: for each kind of edit, the official table in force on its date of service,
the library's facts, or nothing; and, when that is not enough to call the claim verified, the one
warning that says what was missing.

A claim is **verified** only when, for its date of service and setting, the official edits checked
it (``check`` README, "Verified means checked"):

- **pairs**: every pair of its codes against an NCCI PTP table in force on that date, read whole
  (no part missing, no row rejected), or against library facts read from such a table's quarter
  (a source with ``table: {kind: ptp, ...}``);
- **units**: every code's units against an MUE table in force, read whole (or library MUEs read
  from one);
- **add-ons**: the claim's codes against an add-on code (AOC) table in force, read whole (or, for
  each add-on the library knows, its primaries read from one);
- and no file under ``--cms`` failed to load, since the edits it holds were not read.

The fee schedule's status is reported (``status``) but not required. The library's own rules still
stop claims as before; a claim nothing stops is at most NOT VERIFIED unless the official edits
checked it. :class:`Coverage` works this out once for each set of tables in force (a quarter) and
keeps what a claim of that quarter shares, so a batch pays a look-up a claim.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from msgspec import Struct

from cptref.model.records import quarter_bounds
from cptref.model.relations import decisions

from .budget import ROOM
from .results import NOT_NEEDED, NOTHING, Checked, CheckedBy, Finding

if TYPE_CHECKING:
    from cptref.cms import CmsTables, TableId
    from cptref.library.catalog import Catalog
    from cptref.model.records import Procedure

EDITS: tuple[str, ...] = ("pairs", "units", "add_ons", "status")
"""The kinds of edit a claim's ``checked`` says what answered."""
WORDS = {"pairs": "pairs", "units": "units", "add_ons": "add-ons", "status": "fee-schedule status"}
KIND_OF = {"pairs": "ptp", "units": "mue", "add_ons": "aoc", "status": "rvu"}
TABLE_NAMES = {
    "ptp": "NCCI PTP table",
    "mue": "MUE table",
    "aoc": "add-on code (AOC) table",
    "rvu": "fee schedule (PPRRVU) file",
}
SETTING_WORDS = {"practitioner": "practitioner", "outpatient_hospital": "outpatient hospital"}
RULE = "not-checked"
_CACHE = 10_000


def table_id(table: TableId) -> str:
    """A table's id in ``checked`` and ``cptref tables``: ``ptp/practitioner/32.3r0``."""
    return f"{table.kind}/{table.setting}/{table.version}"


_VERIFYING = frozenset(["table", "official-fact", "not-needed"])


class _Axis(Struct, frozen=True):
    """One kind of edit as the tables in force answer it: the answer, and why it cannot verify a
    claim (None: it can)."""

    answer: CheckedBy
    missing: str | None
    gap: str | None = None
    """Pairs only: the pairs the library decides none of (the words a claim checked without tables
    names after its lead), else None."""


class Coverage:
    """What the tables in force on one date (a :meth:`CmsTables.view`, or None without tables) check,
    and the library's facts for what they do not."""

    def __init__(
        self,
        catalog: Catalog,
        cms: CmsTables | None,
        setting: str,
        every: CmsTables | None = None,
    ) -> None:
        self._catalog = catalog
        self._cms = cms
        self._every = every if every is not None else cms
        """All the tables loaded (the view's parent): what a message names when none is in force."""
        self._setting = setting
        self._made: dict[object, tuple[Checked, Finding | None]] = {}
        self._decides: dict[str, dict[str, list[tuple[str, ...]]]] = {}
        failed = self._every.summary().failed if self._every is not None else []
        self._failed = (
            f"{len(failed)} file{'s' * (len(failed) != 1)} under --cms could not be loaded ({failed[0].file}: "
            f"{failed[0].reason}{'; cptref tables lists the others' if len(failed) > 1 else ''}), so the edits "
            f"{'they' if len(failed) > 1 else 'it'} may hold were not read"
            if failed
            else None
        )
        self._tables = {edit: self._table(edit) for edit in ("pairs", "units", "add_ons", "status")}
        self._all_in_force = all(self._tables[edit] is not None for edit in ("pairs", "units", "add_ons"))
        """Every table of an edit in force: then what checked a claim depends only on whether it has
        two codes, one answer for the whole batch."""

    def rebind(self, catalog: Catalog) -> None:
        """Read the library through ``catalog`` from now on (a forked worker's connection of its own)."""
        self._catalog = catalog

    def _table(self, edit: str) -> _Axis | None:
        """The axis as the table in force answers it, or None when no table of its kind is in force."""
        cms = self._cms
        kind = KIND_OF[edit]
        setting = "all" if kind == "aoc" else self._setting
        if cms is None:
            return None
        if kind == "rvu":
            found = next((t for t in cms.tables() if t.kind == "rvu"), None)
            complete = found is not None and cms.complete("rvu", found.setting)
        else:
            found = cms.table(kind, setting)
            complete = cms.complete(kind, setting)
        if found is None:
            return None
        answer = CheckedBy("table", table_id(found))
        if found.starts is None:
            return _Axis(
                answer,
                f"the dates your {TABLE_NAMES[kind]} ({found.label()}) is in force cannot be told from its file "
                "names: keep the names it was downloaded with",
            )
        if not complete:
            return _Axis(answer, f"your {TABLE_NAMES[kind]} ({found.label()}) was not read whole ({self._why(found)})")
        return _Axis(answer, None)

    def _why(self, table: TableId) -> str:
        every = self._every
        summary = next((t for t in every.summary().tables if t.table == table), None) if every else None
        if summary is None:
            return "cptref tables says why"
        if summary.missing_parts:
            parts = ", ".join(f"f{p}" for p in summary.missing_parts)
            return f"part{'s' * (len(summary.missing_parts) > 1)} {parts} missing"
        return f"{summary.errors:,} problem{'s' * (summary.errors != 1)}; cptref validate --cms lists them"

    def _absent(self, edit: str, on: datetime.date) -> str:
        """Why no table answers ``edit`` on ``on``: none loaded, or none in force (naming those loaded)."""
        kind = KIND_OF[edit]
        setting = "all" if kind == "aoc" else self._setting
        name = TABLE_NAMES[kind]
        whose = f" for {SETTING_WORDS.get(setting, setting)} claims" if kind in ("ptp", "mue") else ""
        every = self._every
        if every is None:
            return f"no {name}"
        loaded = every.every_table(kind, setting)
        if not loaded:
            return f"no {name}{whose} is loaded"
        shown = "; ".join(f"{t.label().split(', ')[-1]}, {t.dates()}" for t in loaded[-3:])
        return f"no {name}{whose} in force on {on.isoformat()}: yours {'is' if len(loaded) == 1 else 'are'} {shown}"

    def check(self, codes: Collection[str], on: datetime.date) -> tuple[Checked, Finding | None]:
        """What checked a claim of ``codes`` (each once) on ``on``, and the warning when that does not
        verify it (None: it does)."""
        if self._all_in_force:
            key: object = len(codes) > 1  # the common batch: every table in force, the same answer a claim
        else:
            key = (tuple(sorted(codes)), on)
        hit = self._made.get(key)
        if hit is None:
            listed = tuple(codes)
            hit = self._compose(listed, on, self._library(listed, on) if isinstance(key, tuple) else {})
            if len(self._made) < _CACHE and ROOM.open:
                self._made[key] = hit
        return hit

    def _compose(
        self, codes: Sequence[str], on: datetime.date, library: dict[str, _Axis]
    ) -> tuple[Checked, Finding | None]:
        answers: dict[str, CheckedBy] = {}
        missing: list[str] = []
        for edit in EDITS:
            axis = self._tables[edit]
            if edit == "pairs" and len(codes) < 2:
                answers[edit] = NOT_NEEDED
                continue
            if axis is None:
                axis = library.get(edit) or _Axis(NOTHING, self._absent(edit, on))
            answers[edit] = axis.answer
            if edit != "status" and axis.missing is not None:
                missing.append(f"{WORDS[edit]}: {axis.missing}")
        if self._failed:
            missing.append(self._failed)
        checked = Checked(**answers)
        if not missing:
            return checked, None
        if self._cms is None and self._every is None:
            lead = (
                "Not verified: no CMS tables were given (--cms or CPTREF_CMS), so the official NCCI edits were not "
                "checked"
            )
            pairs = library.get("pairs")
            undecided = pairs.gap if pairs is not None else None
            message = lead + (f"; {undecided}" if undecided else "") + "."
            fix = (
                "Give cptref your downloads of the NCCI PTP, MUE and add-on code edits for the date of service "
                "(--cms PATH): only they verify a claim."
            )
        else:
            message = f"Not verified: {'; '.join(missing)}."
            fix = (
                "Add the CMS tables in force on the date of service (cptref tables lists what is loaded and what "
                "failed)."
            )
        return checked, Finding(RULE, "warning", (), message, fix)

    def _library(self, codes: Sequence[str], on: datetime.date) -> dict[str, _Axis]:
        """The axes no table answers, as the library's facts answer them for ``codes`` on ``on``."""
        catalog = self._catalog
        records: dict[str, Procedure] = {}
        for code in codes:
            if code in catalog:
                records[code] = catalog.get(code)
        out: dict[str, _Axis] = {}
        if self._tables["pairs"] is None and len(codes) > 1:
            out["pairs"] = self._pairs(codes, records, on)
        if self._tables["units"] is None:
            out["units"] = self._units(codes, records, on)
        if self._tables["add_ons"] is None:
            out["add_ons"] = self._add_ons(codes, records, on)
        return out

    def _official(self, sources: Iterable[str], kind: str, on: datetime.date) -> bool:
        """Whether one of ``sources`` is a CMS edit table of ``kind`` (and the claim's setting) whose
        quarter holds ``on``."""
        for source_id in sources:
            source = self._catalog.sources.get(source_id)
            table = source.table if source is not None else None
            if table is None or table.kind != kind or table.setting not in (self._setting, "all"):
                continue
            year, number = int(table.quarter[:4]), int(table.quarter[-1])
            first, last = quarter_bounds(year, number)
            if first <= on <= last:
                return True
        return False

    def _partners(self, code: str, record: Procedure) -> dict[str, list[tuple[str, ...]]]:
        """The codes a fact of ``record`` (its own or its family's) decides a pair with, each with the
        sources of those facts (worked out once a code)."""
        found = self._decides.get(code)
        if found is None:
            found = {}
            for codes, sources in decisions(record, self._catalog.family_of(record)):
                for other in codes:
                    if other != code:  # a record naming itself is refused when the library is read
                        found.setdefault(other, []).append(sources)
            if len(self._decides) < _CACHE and ROOM.open:
                self._decides[code] = found
        return found

    def _pairs(self, codes: Sequence[str], records: dict[str, Procedure], on: datetime.date) -> _Axis:
        decided: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for code, record in records.items():
            for other, groups in self._partners(code, record).items():
                if other in codes:
                    decided.setdefault(_pair(code, other), []).extend(groups)
        every = sorted({_pair(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]})  # any order: the same words
        undecided = [p for p in every if p not in decided]
        sources = tuple(sorted({s for found in decided.values() for group in found for s in group}))
        if not undecided and all(any(self._official(g, "ptp", on) for g in decided[p]) for p in every):
            return _Axis(CheckedBy("official-fact", sources=sources), None)
        gap = None
        if undecided:
            listed = ", ".join(f"{a}+{b}" for a, b in undecided[:6]) + (" ..." if len(undecided) > 6 else "")
            if decided:
                gap = f"the library decides {len(every) - len(undecided)} of the {len(every)} pairs, not {listed}"
            else:
                gap = f"the library decides no pair of them ({listed})"
        why = self._absent("pairs", on) + (f"; {gap}" if gap else "")
        return _Axis(CheckedBy("library", sources=sources) if decided else NOTHING, why, gap)

    def _units(self, codes: Sequence[str], records: dict[str, Procedure], on: datetime.date) -> _Axis:
        facts = [r.medicare for r in records.values() if r.medicare is not None and r.medicare.mue is not None]
        sources = tuple(sorted({s for m in facts for s in m.sources}))
        if len(facts) == len(codes) and all(self._official(m.sources, "mue", on) for m in facts):
            return _Axis(CheckedBy("official-fact", sources=sources), None)
        return _Axis(CheckedBy("library", sources=sources) if facts else NOTHING, self._absent("units", on))

    def _add_ons(self, codes: Sequence[str], records: dict[str, Procedure], on: datetime.date) -> _Axis:
        facts = [r.add_on for r in records.values() if r.add_on is not None]
        sources = tuple(sorted({s for a in facts for s in a.sources}))
        if (
            facts
            and len(records) == len(codes)
            and all(a.primaries and self._official(a.sources, "aoc", on) for a in facts)
        ):
            return _Axis(CheckedBy("official-fact", sources=sources), None)
        return _Axis(CheckedBy("library", sources=sources) if records else NOTHING, self._absent("add_ons", on))


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def verified(checked: Checked) -> bool:
    """Whether what checked a claim verifies it (the fee-schedule status is not required)."""
    return checked.pairs.by in _VERIFYING and checked.units.by in _VERIFYING and checked.add_ons.by in _VERIFYING
