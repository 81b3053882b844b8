"""What a rule sees of one claim (:class:`ClaimView`): its lines, each code's units and modifiers, its date."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .lines import Line


NONE: frozenset[str] = frozenset()


class ClaimView:
    """What a rule sees of one claim: its lines (a code with its modifiers and units), each code's
    units over all its lines and its modifiers, the date of service, and whether the user asked for
    the explanations (``--explain``). A rule that reads a modifier says so (:meth:`read`), so that
    ``modifier-not-evaluated`` can name the others."""

    __slots__ = ("counts", "date", "explain", "lines", "mods", "read_mods")

    def __init__(
        self,
        lines: Sequence[Line],
        counts: dict[str, int],
        date: datetime.date | None = None,
        explain: bool = False,
        modified: bool = True,
    ) -> None:
        self.lines = lines
        self.counts = counts
        mods: dict[str, frozenset[str]] = {}
        if modified:  # the common claim has no modifier at all
            for line in lines:
                if line.modifiers:
                    mods[line.code] = mods.get(line.code, NONE).union(line.modifiers)
        self.mods = mods
        self.date: datetime.date = date or datetime.date.today()
        self.explain = explain
        self.read_mods: set[tuple[str, str]] = set()

    def modifiers(self, code: str) -> frozenset[str]:
        return self.mods.get(code, NONE)

    def read(self, code: str, modifiers: Iterable[str]) -> None:
        """Mark ``modifiers`` of ``code`` as evaluated by a rule."""
        mine = self.mods.get(code)
        if mine:  # the code's own few modifiers met against the list, not each of a list's dozens looked up
            self.read_mods.update((code, m) for m in mine.intersection(modifiers))
