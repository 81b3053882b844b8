"""Every rule of ``cptref check``, each one object, by topic; :data:`RULES` lists them in order.

A rule (:class:`~.base.CheckRule`) has an id, the most severe finding it gives, a one-line summary
(``check --help``), its full text (``--explain``, README, the schema's enum), and two steps:
``prepare`` (what it needs about one code, worked out once a code) and ``apply`` (its findings for
one claim). Every finding comes from a fact a record (or its family) states, or a row of the
user's CMS tables; nothing is inferred, and a finding resting on a low-confidence fact is at most a
warning (:func:`~.base.finding`).

The rooms: :mod:`.claim_lines` (malformed-code, conflicting-modifiers, unknown-modifier,
modifier-not-evaluated), :mod:`.codes` (no-data, deleted-code, not-yet-in-force), :mod:`.addons`
(addon-alone, addon-without-primary), :mod:`.pairs` (included-reported-separately,
not-reported-together), :mod:`.units` (units), :mod:`.suggestions` (separately-reportable),
:mod:`.ncci` (ncci-ptp) and :mod:`.cms_tables` (mue, aoc, fee-schedule, bilateral, table-conflict,
not-checked), from the user's CMS tables. What they share is :mod:`.base`.

A new rule: a subclass in the module of its topic (or a new one), an instance in :data:`RULES`, a
test; ``check --help``, ``--explain``, README's list and the schema take it from here.
"""

from __future__ import annotations

from .addons import ADDON_ALONE, AddonWithoutPrimary
from .base import CheckRule
from .claim_lines import CONFLICTING, MALFORMED, MODIFIERS, UNKNOWN_MODIFIER
from .cms_tables import Aoc, Bilateral, FeeSchedule, Mue, NotChecked, TableConflict
from .codes import DeletedCode, NoData, NotYetInForce
from .ncci import NcciPtp
from .pairs import INCLUDED, NotReportedTogether
from .suggestions import SeparatelyReportable
from .units import Units

RULES: tuple[CheckRule, ...] = (
    MALFORMED,
    CONFLICTING,
    NoData(),
    DeletedCode(),
    NotYetInForce(),
    ADDON_ALONE,
    AddonWithoutPrimary(),
    INCLUDED,
    NotReportedTogether(),
    Units(),
    NcciPtp(),
    Mue(),
    Aoc(),
    FeeSchedule(),
    Bilateral(),
    TableConflict(),
    SeparatelyReportable(),
    UNKNOWN_MODIFIER,
    MODIFIERS,
    NotChecked(),
)
"""Every rule, in the order findings of the same severity are listed (for each code in turn)."""
BY_ID: dict[str, CheckRule] = {rule.id: rule for rule in RULES}


def help_table() -> str:
    """The rules as ``check --help`` lists them: the id, then the summary wrapped beside it."""
    import textwrap

    width = max(len(rule.id) for rule in RULES) + 2
    lines = []
    for rule in RULES:
        wrapped = textwrap.wrap(rule.summary, 76 - width - 2) or [""]
        lines.append(f"  {rule.id.ljust(width)}{wrapped[0]}")
        lines.extend(" " * (width + 2) + more for more in wrapped[1:])
    return "\n".join(lines)


def rules_markdown() -> str:
    """The rules as README lists them: one bullet a rule, its id, the most severe finding and its text."""
    return "\n".join(f"- `{rule.id}` ({rule.severity}): {rule.text}" for rule in RULES) + "\n"
