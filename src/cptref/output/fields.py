"""``--fields``: the fields each command's items have, a selection read and checked, an item narrowed to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from msgspec import Struct

from cptref.check.results import FINDING_KEYS, Finding
from cptref.errors import UsageError

from .documents import LIST_KEYS, PROCEDURE_KEYS, RESULT_KEYS, ListedCode, ProcedureView, SearchResult

ITEMS: dict[str, type[Struct]] = {
    "show": ProcedureView,
    "search": SearchResult,
    "check": Finding,
    "list": ListedCode,
}
"""The part ``--fields`` selects from, by command: each procedure, each result, each finding."""
FIELDS: dict[str, tuple[str, ...]] = {
    "show": PROCEDURE_KEYS,
    "search": RESULT_KEYS,
    "check": FINDING_KEYS,
    "list": LIST_KEYS,
}
"""What ``--fields`` selects from, by command. The documents around the items keep their own keys."""


def parse_fields(text: str | None, available: Sequence[str]) -> tuple[str, ...] | None:
    """``--fields code,title`` as field names, in the order given (repeats dropped); None for None.

    Raises :class:`UsageError` naming the available fields for an unknown or empty selection, as
    ``gh --json`` does.
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    names = [name for name in names if name]
    choices = ", ".join(available)
    if not names:
        raise UsageError(f"--fields needs at least one field; available: {choices}")
    for name in names:
        if name not in available:
            raise UsageError(f"unknown field {name!r}; available: {choices}")
    return tuple(dict.fromkeys(names))


def select(item: Any, fields: Sequence[str] | None) -> Any:
    """``item`` with only ``fields``, in that order (as a mapping); ``item`` itself when ``fields`` is None."""
    if fields is None:
        return item
    data = item if isinstance(item, dict) else msgspec.to_builtins(item)
    return {key: data[key] for key in fields}
