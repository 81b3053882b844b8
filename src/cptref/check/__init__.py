"""``cptref check``: whether the lines of a claim can be reported together, and why not.

In the order a claim flows:

- :mod:`.lines`: a claim line, ``CODE[-MOD...][xN]``; :mod:`.modifiers`: what each modifier means.
- :mod:`.inputs`: batch files read into claims (one module a format: CSV, JSON Lines ...).
- :mod:`.claim`: :class:`~.claim.ClaimView`, what a rule sees of one claim.
- :mod:`.rules`: every rule, one object each, by topic (codes, add-ons, pairs, units, the user's CMS
  tables ...); a new rule goes there, in :data:`~.rules.RULES`.
- :mod:`.engine`: :func:`~.engine.check` applies the rules to one claim, :class:`~.engine.CheckTables`
  keeps what each rule prepared about each code.
- :mod:`.coverage`: what checked a claim (the CMS tables in force, the library's facts), so whether
  it is verified.
- :mod:`.results`: :class:`~.results.Finding`, :class:`~.results.CheckResult`,
  :class:`~.results.BatchSummary`.
- :mod:`.batch`: ``check --file`` on every core, the output in input order; :mod:`.cpus`: how many
  workers it starts (the cores allowed, the cgroup's CPU quota, the load).

Importing this package imports none of these; each public name is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import CheckTables, check
    from .inputs.base import BadLine, BatchClaim, SkippedLine
    from .inputs.registry import read_claims
    from .lines import Line, parse_line, parse_token, split_codes
    from .results import BatchSummary, CheckResult, Finding
    from .rules import RULES

_WHERE = {
    "CheckTables": "engine",
    "check": "engine",
    "BadLine": "inputs.base",
    "BatchClaim": "inputs.base",
    "SkippedLine": "inputs.base",
    "read_claims": "inputs.registry",
    "Line": "lines",
    "parse_line": "lines",
    "parse_token": "lines",
    "split_codes": "lines",
    "BatchSummary": "results",
    "CheckResult": "results",
    "Finding": "results",
    "RULES": "rules",
    # former names, still loading (not in __all__): batch claims and skipped lines, findings' exit status
    "Claim": "inputs.base:BatchClaim",
    "Skipped": "inputs.base:SkippedLine",
    "EXIT_FINDINGS": ".errors:ExitCode.FINDINGS",
}

__all__ = [
    "RULES",
    "BadLine",
    "BatchClaim",
    "BatchSummary",
    "CheckResult",
    "CheckTables",
    "Finding",
    "Line",
    "SkippedLine",
    "check",
    "parse_line",
    "parse_token",
    "read_claims",
    "split_codes",
]


if not TYPE_CHECKING:  # mypy sees the names imported above, and no other

    def __getattr__(name: str) -> object:
        from cptref.lazy import attribute

        return attribute(__name__, _WHERE, name)
