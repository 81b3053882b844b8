"""``cptref search``: codes ranked against loose words; ``cptref.search.search(catalog, words)``.

In the order a query flows:

- :mod:`.vocabulary`: the coders' words (aliases, broader terms, actions, words never corrected):
  edit them here without touching the ranking.
- :mod:`.query`: a query into terms, and each word into the indexed words it may stand for (typos,
  prefixes, stems).
- :mod:`.scoring`: the documents of each term in levels of equal value, and the best found in bulk.
- :mod:`.rank`: :func:`~.rank.search`: a catalog's records ranked (and, with ``--cms``, the codes
  of the user's PPRRVU file, merged by score).
- :mod:`.results`: :class:`~.results.Result`, when a result is confident, :class:`~.results.OutOfScope`.

The words themselves (stems, negation) are :mod:`cptref.model.words`, shared with the index.
Importing this package imports none of these; each public name is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .query import parse_query
    from .rank import search
    from .results import CONFIDENT, OutOfScope, Result, confident

_WHERE = {
    "CONFIDENT": "results",
    "OutOfScope": "results",
    "Result": "results",
    "confident": "results",
    "parse_query": "query",
    "search": "rank",
}

__all__ = [
    "CONFIDENT",
    "OutOfScope",
    "Result",
    "confident",
    "parse_query",
    "search",
]


if not TYPE_CHECKING:  # mypy sees the names imported above, and no other

    def __getattr__(name: str) -> object:
        from cptref.lazy import attribute

        return attribute(__name__, _WHERE, name)
