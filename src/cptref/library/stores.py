"""Where a catalog's records come from: the :class:`Store` protocol, and the records held in memory.

Every store answers the same questions: the codes, one record, the records that name a code (from
which the derived relations are computed), and the search structures (the sorted vocabulary,
per-field postings of words as bitsets, the codes in document order, the deleted records, and
the titles of the results). :class:`MemoryStore` computes them from records just parsed;
:class:`~cptref.library.index.reader.IndexStore` reads them from the compiled index, decoding only
the records and postings a command touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cptref.errors import Problem
from cptref.model.records import Family, Procedure, Source
from cptref.model.relations import family_codes, relation_targets

from .index.postings import INDEXED_FIELDS, DocInfo, bitset


class Store(Protocol):
    @property
    def sources(self) -> dict[str, Source]: ...
    @property
    def families(self) -> dict[str, Family]: ...

    def codes(self) -> list[str]: ...
    def get(self, code: str) -> Procedure | None: ...
    def referencing(self, code: str) -> list[str]: ...
    def official(self, code: str) -> str | None: ...
    def origin(self, code: str) -> Path | None: ...
    def shared_origins(self) -> dict[str, str]: ...
    def records(self) -> Iterator[Procedure]: ...
    def docs(self) -> Sequence[DocInfo]: ...
    def doc_codes(self) -> Sequence[str]: ...
    def deleted_docs(self) -> int: ...
    def doc_titles(self, docs: Sequence[int]) -> list[str]: ...
    def vocabulary(self) -> Sequence[str]: ...
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = INDEXED_FIELDS) -> dict[str, dict[str, int]]: ...
    def reopened(self) -> Store: ...


class MemoryStore:
    """Records held in memory (just parsed); search structures built on first use."""

    def __init__(
        self,
        records: Iterable[Procedure],
        sources: dict[str, Source],
        families: dict[str, Family],
        descriptors: dict[str, str] | None = None,
        origins: dict[str, Path] | None = None,
        shared_origins: dict[str, str] | None = None,
        overrides: list[tuple[str, str, Path]] | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.sources = sources
        self.families = families
        self.descriptors = descriptors or {}
        self.origins = origins or {}
        """The data directory each record came from (when several are layered)."""
        self._shared_origins = shared_origins or {}
        self.overrides = overrides or []
        """(``family`` or ``source``, id, directory) for each id a later layer defines again (lint only)."""
        self.problems = problems or []
        """The problems of the data when the store holds only its valid records (see index.build_store)."""
        self._by_code: dict[str, Procedure] = {}
        for record in records:
            self._by_code.setdefault(record.code, record)
        self._codes = sorted(self._by_code)
        refs: dict[str, set[str]] = defaultdict(set)
        by_family = family_codes(families)
        for record in self._by_code.values():
            for code in relation_targets(record, by_family):
                refs[code].add(record.code)
        self._refs = {code: sorted(by) for code, by in refs.items()}

    def reopened(self) -> MemoryStore:
        """This store, for a forked process (it holds no connection)."""
        return self

    def codes(self) -> list[str]:
        return self._codes

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def referencing(self, code: str) -> list[str]:
        return self._refs.get(code, [])

    def official(self, code: str) -> str | None:
        return self.descriptors.get(code)

    def origin(self, code: str) -> Path | None:
        return self.origins.get(code)

    def shared_origins(self) -> dict[str, str]:
        """``family:<id>``/``source:<id>`` -> the directory defining it (several layers only)."""
        return self._shared_origins

    def records(self) -> Iterator[Procedure]:
        return (self._by_code[c] for c in self._codes)

    def docs(self) -> Sequence[DocInfo]:
        return [DocInfo(r.code, r.title, r.status == "deleted") for r in self.records()]

    def doc_codes(self) -> Sequence[str]:
        return self._codes

    @cached_property
    def _deleted(self) -> int:
        return bitset([i for i, r in enumerate(self.records()) if r.status == "deleted"])

    def deleted_docs(self) -> int:
        """The deleted records, as a bitset of document ids."""
        return self._deleted

    def doc_titles(self, docs: Sequence[int]) -> list[str]:
        return [self._by_code[self._codes[doc]].title for doc in docs]

    def vocabulary(self) -> Sequence[str]:
        """The indexed words, sorted (for prefix look-ups by bisection)."""
        return self._search[0]

    def postings(self, wanted: Iterable[str], fields: Sequence[str] = INDEXED_FIELDS) -> dict[str, dict[str, int]]:
        """For each wanted word that is indexed: the documents holding it in each of ``fields`` that
        has it, as bitsets."""
        table, made = self._search[1], self._bitsets
        found: dict[str, dict[str, int]] = {}
        for word in wanted:
            if word not in made and word in table:
                made[word] = {name: bitset(ids) for name, ids in table[word].items()}
            if word in made:
                found[word] = {name: docs for name, docs in made[word].items() if name in fields}
        return {word: by_field for word, by_field in found.items() if by_field}

    def reference_rows(self) -> list[tuple[str, str]]:
        return [(code, by) for code, bys in self._refs.items() for by in bys]

    @cached_property
    def _bitsets(self) -> dict[str, dict[str, int]]:
        return {}

    @cached_property
    def _search(self) -> tuple[list[str], dict[str, dict[str, list[int]]]]:
        """The sorted vocabulary, and each word's documents (sorted ids) field by field."""
        from cptref.model.words import field_words

        postings: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for doc_id, record in enumerate(self.records()):
            for field, present in field_words(record, self.descriptors.get(record.code)).items():
                for word in present:
                    postings[word][field].append(doc_id)
        return sorted(postings), {w: dict(by_field) for w, by_field in postings.items()}
