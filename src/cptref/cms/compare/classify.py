"""What each change is: a group of differing rows (paired) turned into changes, each with its
effect on claims and its rank (:class:`Classifier`; PTP's in :mod:`.classify_ptp`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from cptref.cms.models import NO_END

from .changes import (
    AocChange,
    AocState,
    AocWhat,
    Change,
    Effect,
    MueChange,
    MueState,
    MueWhat,
    RvuChange,
    RvuState,
    RvuWhat,
)
from .classify_ptp import PtpClassifier
from .rows import DiffRow, day_text, effect_of, pair_rows
from .sql import SPECS


class Classifier(PtpClassifier):
    """Turns a group of differing rows into changes, for one kind and setting."""

    def changes(self, group: list[DiffRow]) -> Iterator[Change]:
        spec = SPECS[self.kind]
        gone = [r for r in group if r.side == 0]
        came = [r for r in group if r.side == 1]
        history = [r for r in group if r.side == 2]
        matched, removed, added = pair_rows(spec, gone, came)
        yield from getattr(self, f"_{self.kind}")(matched, removed, added, history)

    # MUE

    def _mue_state(self, row: DiffRow) -> MueState:
        return MueState(row["value"], row["mai"], self.text(row, "rat"), self.ids[row.side], self.where(row))

    _MAI_STRICTNESS: ClassVar[dict[int, int]] = {1: 0, 3: 1, 2: 2}
    """A line edit (1) counts less than a date-of-service one; a clinical one (3) may be appealed, a policy one (2)
    not."""

    def _mue(
        self,
        matched: list[tuple[DiffRow, DiffRow]],
        removed: list[DiffRow],
        added: list[DiffRow],
        history: list[DiffRow],
    ) -> Iterator[Change]:
        def change(
            what: MueWhat, effect: Effect, rank: int, fields: list[str], old: DiffRow | None, new: DiffRow | None
        ) -> MueChange:
            some = new or old
            assert some is not None
            code = some["code"]
            return MueChange(
                self.setting,
                code,
                [code],
                what,
                effect,
                rank,
                fields,
                self._mue_state(old) if old else None,
                self._mue_state(new) if new else None,
            )

        every = ["value", "indicator", "rationale"]
        for new in added:
            yield change("added", "stricter", 1, every, None, new)
        for old in removed:
            yield change("removed", "looser", 5, every, old, None)
        for old, new in matched:
            fields = [
                name
                for name, differs in (
                    ("value", old["value"] != new["value"]),
                    ("indicator", old["mai"] != new["mai"]),
                    ("rationale", self.text(old, "rat") != self.text(new, "rat")),
                )
                if differs
            ]
            strict = self._MAI_STRICTNESS
            stricter = new["value"] < old["value"] or strict.get(new["mai"], 0) > strict.get(old["mai"], 0)
            looser = new["value"] > old["value"] or strict.get(new["mai"], 0) < strict.get(old["mai"], 0)
            what: MueWhat = (
                "lowered"
                if new["value"] < old["value"]
                else "raised"
                if new["value"] > old["value"]
                else "indicator-changed"
                if "indicator" in fields
                else "rationale-changed"
            )
            effect = effect_of(stricter, looser)
            yield change(what, effect, 1 if stricter else 5 if looser else 6, fields, old, new)

    # AOC

    def _aoc_state(self, row: DiffRow) -> AocState:
        return AocState(
            row["type"],
            day_text(row["eff"]) or "",
            day_text(row["del"]),
            day_text(row["addon_del"]),
            day_text(row["primary_del"]),
            self.text(row, "notes"),
            self.ids[row.side],
            self.where(row),
        )

    def _aoc(
        self,
        matched: list[tuple[DiffRow, DiffRow]],
        removed: list[DiffRow],
        added: list[DiffRow],
        history: list[DiffRow],
    ) -> Iterator[Change]:
        def change(
            what: AocWhat, effect: Effect, rank: int, fields: list[str], old: DiffRow | None, new: DiffRow | None
        ) -> AocChange:
            some = new or old
            assert some is not None
            addon, primary = some["addon"], some["primary_code"]
            return AocChange(
                self.setting,
                self.filed(addon, primary),
                [c for c in (addon, primary) if c],
                what,
                effect,
                rank,
                fields,
                addon,
                primary,
                self._aoc_state(old) if old else None,
                self._aoc_state(new) if new else None,
            )

        every = ["type", "effective", "deleted", "addon_deleted", "primary_deleted", "notes"]
        for new in added:
            if not history:
                yield change("addon-added", "stricter", 2, every, None, new)
                continue
            same = [h for h in history if h["primary_code"] == new["primary_code"]]
            if same and all(h["del"] <= new["eff"] for h in same):
                last = max(same, key=lambda h: h["del"])
                yield change("primary-re-added", "looser", 5, every, last, new)
            else:
                yield change("primary-added", "looser", 5, every, None, new)
        for old in removed:
            yield change("primary-removed", "stricter", 2, every, old, None)
        for old, new in matched:
            fields = [
                name
                for name, differs in (
                    ("type", old["type"] != new["type"]),
                    ("deleted", old["del"] != new["del"]),
                    ("addon_deleted", old["addon_del"] != new["addon_del"]),
                    ("primary_deleted", old["primary_del"] != new["primary_del"]),
                    ("notes", self.text(old, "notes") != self.text(new, "notes")),
                )
                if differs
            ]
            stricter = looser = False
            if old["del"] == NO_END and new["del"] != NO_END:
                what: AocWhat = "primary-deleted"
                stricter = True
            elif old["del"] != NO_END and new["del"] == NO_END:
                what = "primary-undeleted"
                looser = True
            elif "deleted" in fields:
                what = "deletion-date-changed"
                stricter, looser = new["del"] < old["del"], new["del"] > old["del"]
            elif "type" in fields:
                what = "type-changed"
                stricter, looser = new["type"] == 1, old["type"] == 1
            elif "addon_deleted" in fields or "primary_deleted" in fields:
                what = "code-deletion-changed"
            else:
                what = "notes-changed"
            if "type" in fields and what != "type-changed":
                stricter, looser = stricter or new["type"] == 1, looser or old["type"] == 1
            effect = effect_of(stricter, looser)
            yield change(what, effect, 2 if stricter else 5 if looser else 6, fields, old, new)

    # PPRRVU

    _RVU_FIELDS = (
        ("status", "status"),
        ("glob", "global_days"),
        ("pctc", "pctc"),
        ("mult", "multiple_procedure"),
        ("bilat", "bilateral"),
        ("asst", "assistant"),
        ("co", "co_surgeon"),
        ("team", "team_surgeon"),
        ("work", "work_rvu"),
        ("nfpe", "nonfacility_pe_rvu"),
        ("fpe", "facility_pe_rvu"),
        ("mp", "mp_rvu"),
        ("nft", "nonfacility_total"),
        ("ft", "facility_total"),
        ("descriptor", "short_descriptor"),
    )
    _RVUS = frozenset(
        ["work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu", "nonfacility_total", "facility_total"]
    )

    def _rvu_state(self, row: DiffRow) -> RvuState:
        cells = {name: row[column] for column, name in self._RVU_FIELDS if name != "short_descriptor"}
        return RvuState(**cells, table=self.ids[row.side], row=self.where(row))

    def _rvu(
        self,
        matched: list[tuple[DiffRow, DiffRow]],
        removed: list[DiffRow],
        added: list[DiffRow],
        history: list[DiffRow],
    ) -> Iterator[Change]:
        not_payable = self.compare.not_payable

        def change(
            what: RvuWhat, effect: Effect, rank: int, fields: list[str], old: DiffRow | None, new: DiffRow | None
        ) -> RvuChange:
            some = new or old
            assert some is not None
            return RvuChange(
                self.setting,
                some["code"],
                [some["code"]],
                what,
                effect,
                rank,
                fields,
                some["modifier"],
                self._rvu_state(old) if old else None,
                self._rvu_state(new) if new else None,
            )

        every = [name for _, name in self._RVU_FIELDS]
        for new in added:
            yield change("added", "other", 4, every, None, new)
        for old in removed:
            yield change("removed", "stricter", 4, every, old, None)
        for old, new in matched:
            fields = [name for column, name in self._RVU_FIELDS if old[column] != new[column]]
            if not fields:
                continue
            stricter = looser = False
            if "status" in fields:
                what: RvuWhat = "status-changed"
                stricter = new["status"] in not_payable and old["status"] not in not_payable
                looser = old["status"] in not_payable and new["status"] not in not_payable
            elif "bilateral" in fields:
                what = "bilateral-changed"
            elif "global_days" in fields:
                what = "global-days-changed"
            elif set(fields) - self._RVUS - {"short_descriptor"}:
                what = "indicators-changed"
            elif set(fields) & self._RVUS:
                what = "rvus-changed"
            else:
                what = "descriptor-changed"
            rank = 4 if stricter or what not in ("rvus-changed", "descriptor-changed") else 6
            if looser:
                rank = 5
            yield change(what, effect_of(stricter, looser), rank, fields, old, new)
