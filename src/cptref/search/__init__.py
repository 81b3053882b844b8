"""``cptref search``: codes ranked against loose words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rank import CONFIDENT, OutOfScope, Result, confident, parse_query, search

_WHERE = dict.fromkeys(("CONFIDENT", "OutOfScope", "Result", "confident", "parse_query", "search"), "rank")

__all__ = [
    "CONFIDENT",
    "OutOfScope",
    "Result",
    "confident",
    "parse_query",
    "search",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module 'cptref.search' has no attribute {name!r}")
