"""What each change of a PTP edit is: a row added, re-added, taking over from another of its pair,
changed or removed, and whether it makes claims stricter or looser (:class:`PtpClassifier`)."""

from __future__ import annotations

from collections.abc import Iterator

from cptref.cms.models import NO_END

from .changes import Change, Effect, PtpChange, PtpState, PtpWhat
from .rows import DiffRow, RowReader, day_text, effect_of


class PtpClassifier(RowReader):
    """The PTP part of :class:`.classify.Classifier`: a PTP pair has a history, and a row may take over
    from another."""

    # PTP

    def _ptp_state(self, row: DiffRow) -> PtpState:
        return PtpState(
            row["mi"],
            day_text(row["eff"]) or "",
            day_text(row["del"]),
            bool(row["pre"]),
            self.text(row, "rat"),
            self.ids[row.side],
            self.where(row),
        )

    @staticmethod
    def _live(row: DiffRow) -> bool:
        """Whether a PTP row is ever in force: an indicator 0 or 1, ending after it begins."""
        return bool(row["mi"] != 9 and row["del"] > row["eff"])

    @staticmethod
    def _weight(row: DiffRow) -> int:
        """The rank of a PTP row coming into force: 0 for indicator 0, 3 for 1."""
        return 0 if row["mi"] == 0 else 3

    def _ptp_change(
        self,
        what: PtpWhat,
        effect: Effect,
        rank: int,
        fields: list[str],
        old: DiffRow | None,
        new: DiffRow | None,
        ended: DiffRow | None = None,
    ) -> PtpChange:
        some = new or old
        assert some is not None
        c1, c2 = some["c1"], some["c2"]
        return PtpChange(
            self.setting,
            self.filed(c1, c2),
            [c1, c2],
            what,
            effect,
            rank,
            fields,
            c1,
            c2,
            self._ptp_state(old) if old else None,
            self._ptp_state(new) if new else None,
            self._ptp_state(ended) if ended else None,
        )

    def _ptp(
        self,
        matched: list[tuple[DiffRow, DiffRow]],
        removed: list[DiffRow],
        added: list[DiffRow],
        history: list[DiffRow],
    ) -> Iterator[Change]:
        taken: set[int] = set()
        for new in sorted(added, key=lambda r: r["eff"]):
            # a row that takes over from another of the pair on the day that one ends (now, or already)
            ends_now = next(
                (i for i, (o, n) in enumerate(matched) if i not in taken and n["del"] == new["eff"] != o["del"]), None
            )
            already = next((h for h in history if h["del"] == new["eff"] and h["eff"] < new["eff"]), None)
            if ends_now is not None or already is not None:
                if ends_now is not None:
                    taken.add(ends_now)
                    old, ended = matched[ends_now]
                else:
                    assert already is not None
                    old, ended = already, None
                fields = ["modifier_indicator"] * (old["mi"] != new["mi"]) + ["effective"]
                if self.text(old, "rat") != self.text(new, "rat"):
                    fields.append("rationale")
                if old["mi"] != new["mi"]:
                    stricter = self._live(new) and (old["mi"] == 9 or new["mi"] < old["mi"])
                    rank = self._weight(new) if stricter else 5
                    yield self._ptp_change(
                        "indicator-changed", effect_of(stricter, not stricter), rank, fields, old, new, ended
                    )
                else:
                    yield self._ptp_change("re-dated", "other", 6, fields, old, new, ended)
                continue
            earlier = [h for h in history if h["eff"] <= new["eff"]]
            fields = ["modifier_indicator", "effective", "deleted", "rationale"]
            live = self._live(new)
            if earlier and all(h["del"] <= new["eff"] for h in earlier):
                last = max(earlier, key=lambda h: (h["del"], h["eff"]))
                yield self._ptp_change(
                    "re-added", "stricter" if live else "other", self._weight(new) if live else 6, fields, last, new
                )
            else:
                yield self._ptp_change(
                    "added", "stricter" if live else "other", self._weight(new) if live else 6, fields, None, new
                )
        for i, (old, new) in enumerate(matched):
            if i not in taken:
                yield self._ptp_changed(old, new)
        for old in removed:
            live = self._live(old)
            yield self._ptp_change(
                "removed", "looser" if live else "other", 5 if live else 6, ["modifier_indicator", "deleted"], old, None
            )

    def _ptp_changed(self, old: DiffRow, new: DiffRow) -> PtpChange:
        fields = []
        if old["mi"] != new["mi"]:
            fields.append("modifier_indicator")
        if old["del"] != new["del"]:
            fields.append("deleted")
        if old["pre"] != new["pre"]:
            fields.append("pre_1996")
        if self.text(old, "rat") != self.text(new, "rat"):
            fields.append("rationale")
        was, now = self._live(old), self._live(new)
        if old["del"] == NO_END and new["del"] != NO_END:
            what: PtpWhat = "deleted"
        elif old["del"] != NO_END and new["del"] == NO_END:
            what = "undeleted"
        elif "modifier_indicator" in fields:
            what = "indicator-changed"
        elif "deleted" in fields:
            what = "deletion-date-changed"
        elif "rationale" in fields:
            what = "rationale-changed"
        else:
            what = "pre-1996-changed"
        stricter = looser = False
        if what in ("deleted", "undeleted", "deletion-date-changed", "indicator-changed"):
            if now and not was:
                stricter = True
            elif was and not now:
                looser = True
            elif was and now:
                if new["mi"] < old["mi"]:
                    stricter = True
                elif new["mi"] > old["mi"]:
                    looser = True
                if new["del"] > old["del"]:
                    stricter = True
                elif new["del"] < old["del"]:
                    looser = True
        effect = effect_of(stricter, looser)
        rank = self._weight(new) if stricter else 5 if looser else 6
        return self._ptp_change(what, effect, rank, fields, old, new)
