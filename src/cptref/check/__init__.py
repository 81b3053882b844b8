"""``cptref check``: whether the lines of a claim can be reported together, and why not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import EXIT_FINDINGS, RULES, BatchSummary, CheckTables, check
    from .inputs.reader import BadLine, Claim, Skipped, parse_line, parse_token, read_claims, split_codes
    from .results import CheckResult, Finding

_WHERE = {
    "EXIT_FINDINGS": "engine",
    "RULES": "engine",
    "BatchSummary": "engine",
    "CheckTables": "engine",
    "check": "engine",
    "BadLine": "inputs.reader",
    "Claim": "inputs.reader",
    "Skipped": "inputs.reader",
    "parse_line": "inputs.reader",
    "parse_token": "inputs.reader",
    "read_claims": "inputs.reader",
    "split_codes": "inputs.reader",
    "CheckResult": "results",
    "Finding": "results",
}

__all__ = [
    "EXIT_FINDINGS",
    "RULES",
    "BadLine",
    "BatchSummary",
    "CheckResult",
    "CheckTables",
    "Claim",
    "Finding",
    "Skipped",
    "check",
    "parse_line",
    "parse_token",
    "read_claims",
    "split_codes",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'cptref.check' has no attribute {name!r}")
