"""Ranking records against loose words: a pure function over a catalog's search index.

:func:`search` reads the query into terms (:mod:`.query`), matches each word against the index
vocabulary, takes the candidate records from the postings of the words matched, and ranks them in
bulk (:mod:`.scoring`). A record's score is the mean of its terms' best field scores, each scaled
by the field's weight (code > title > synonyms > descriptor > lay summary) and by how closely the
word matched, so word order, case, punctuation and text length do not matter; deleted records, and
records whose title names another action than the query's (:data:`~.vocabulary.ACTIONS`), score
less. A code or code prefix (``47555``, ``4755``) matches the code field and ranks those codes
first. Ties break by the number of terms matched in the title, then by what the title says beyond
the query, then by code. With the user's CMS tables, the codes of their PPRRVU file are ranked by
the same terms and merged by score (:func:`with_pprrvu`).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from msgspec import Struct

from cptref.errors import UsageError
from cptref.model.words import NEGATED, words

from .query import Term, parse_query, similar
from .results import NO_RECORD_TITLE, OutOfScope, Result, ShortDescriptor, scope
from .scoring import DELETED_WEIGHT, Level, code_levels, ids_of, text_levels, top, word_groups
from .vocabulary import ACTION_OF, ACTIONS, DEFAULT_ACTION, OTHER_ACTION, SUBSUMED

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.library.stores import Store


def other_action(actions: set[str], postings: dict[str, dict[str, int]]) -> int:
    """The documents whose title names an action, but none of ``actions``."""
    titled = dict.fromkeys(ACTIONS, 0)
    for word, action in ACTION_OF.items():
        titled[action] |= postings.get(word, {}).get("title", 0)
    wanted = set(actions)
    for whole, parts in SUBSUMED.items():
        for part in parts:
            titled[part] &= ~titled[whole]
        if whole in wanted:
            wanted.difference_update(parts)
    named = 0
    meant = 0
    for action, docs in titled.items():
        named |= docs
        if action in wanted:
            meant |= docs
    return named & ~meant


class Index(Protocol):
    """What ranking reads of a set of documents: a catalog's store (:mod:`cptref.library.stores`), or the
    words of the user's PPRRVU file (:class:`cptref.cms.wordindex.WordIndex`)."""

    def vocabulary(self) -> Sequence[str]: ...
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = ...) -> dict[str, dict[str, int]]: ...
    def doc_codes(self) -> Sequence[str]: ...
    def deleted_docs(self) -> int: ...


class Ranking(Struct, frozen=True):
    """The best documents of one index for the terms, and what is needed to say why each matched."""

    top: list[tuple[float, int, int]]
    codes: Sequence[str]
    terms: list[Term]
    per_term: list[list[Level]]
    matches: dict[str, dict[str, float]]
    postings: dict[str, dict[str, int]]

    def matched(self, doc: int) -> dict[str, list[str]]:
        return matched_words(doc, self.terms, self.per_term, self.codes, self.matches, self.postings)

    def union(self) -> int:
        """Every document some term matches (whether or not it made the top)."""
        found = 0
        for levels in self.per_term:
            for level in levels:
                found |= level.docs
        return found


def rank_documents(
    index: Index,
    terms: list[Term],
    limit: int,
    left_out: int = 0,
    titles: Callable[[Sequence[int]], list[str]] | None = None,
) -> Ranking:
    """The best ``limit`` documents of ``index`` for ``terms``; with ``titles`` (the titles of some
    documents), a tie breaks for the documents whose titles say least beyond what the query says."""
    vocabulary = index.vocabulary()
    typed = {word for term in terms if not term.code for word in term.alternatives[0]}
    matches: dict[str, dict[str, float]] = {}
    for term in terms:
        if not term.code:
            for alt in term.alternatives:
                for word in alt:
                    if word not in matches:
                        matches[word] = similar(word, vocabulary, fuzzy=word in typed)
    postings = index.postings({other for found in matches.values() for other in found})
    actions = {term.action for term in terms if term.action}
    codes = index.doc_codes()
    per_term = [code_levels(term, codes) if term.code else text_levels(term, matches, postings) for term in terms]
    demoted = [(index.deleted_docs(), DELETED_WEIGHT)]
    titled = index.postings(ACTION_OF, ("title",)) if actions or titles is not None else {}
    if actions:
        demoted.append((other_action(actions, titled), OTHER_ACTION))
    unsaid = None
    if titles is not None and not all(term.code for term in terms):  # codes alone keep code order
        said = {other for found in matches.values() for other in found}
        other = other_action(actions or {DEFAULT_ACTION}, titled)
        read = titles

        def unsaid(docs: list[int]) -> list[tuple[int, int]]:
            return [(other >> doc & 1, len(set(words(t)) - said)) for doc, t in zip(docs, read(docs), strict=True)]

    best = top(per_term, demoted, 100.0 / len(terms), limit, left_out, unsaid)
    return Ranking(best, codes, terms, per_term, matches, postings)


def search(catalog: Catalog, query: str, limit: int = 10, cms: CmsTables | None = None) -> list[Result]:
    """Records ranked best first for ``query``; raises :class:`NoMatch` when none matches.

    With ``cms`` (the user's CMS tables) holding a PPRRVU file, the codes of that file are searched
    too, by code and by short descriptor (:func:`with_pprrvu`): the records keep their scores and
    their order, and a code found there takes its place among them by its score."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    terms = parse_query(query)
    store = catalog.store
    records = rank_documents(store, terms, limit, titles=store.doc_titles)
    docs = [doc for _, _, doc in records.top]
    titles = store.doc_titles(docs)
    results = [
        Result(records.codes[doc], title, round(score, 1), records.matched(doc))
        for (score, _, doc), title in zip(records.top, titles, strict=True)
    ]
    index = cms.word_index() if cms is not None else None
    if cms is not None and index is not None:
        results = with_pprrvu(results, records, catalog, cms, index, limit)
    if not results:
        raise OutOfScope(query.strip(), scope(catalog), pprrvu=index is not None)
    return results


def matched_words(
    doc: int,
    terms: list[Term],
    per_term: list[list[Level]],
    codes: Sequence[str],
    matches: dict[str, dict[str, float]],
    postings: dict[str, dict[str, int]],
) -> dict[str, list[str]]:
    """Which indexed words of which field matched, term by term, for one result."""
    matched: dict[str, list[str]] = {}
    for term, levels in zip(terms, per_term, strict=True):
        level = next((lv for lv in levels if lv.docs >> doc & 1), None)
        if level is None:
            continue
        if level.name == "code":
            hits: tuple[str, ...] = (codes[doc],)
        elif level.words:
            hits = level.words
        else:  # an expansion: each of its words' best indexed word in this field, in order
            hits = ()
            for word in term.alternatives[level.alternative]:
                groups = sorted(
                    (-sim, rank, other)
                    for sim, rank, name, other, docs in word_groups(word, matches, postings)
                    if name == level.name and docs >> doc & 1
                )
                if groups:
                    hits += (groups[0][2],)
        bucket = matched.setdefault(level.name, [])
        shown = (f"no {hit[len(NEGATED) :]}" if hit.startswith(NEGATED) else hit for hit in hits)
        bucket.extend(hit for hit in shown if hit not in bucket)
    return matched


def with_pprrvu(
    results: list[Result], records: Ranking, catalog: Catalog, cms: CmsTables, index: Index, limit: int
) -> list[Result]:
    """``results`` (the records' own) merged with the codes the PPRRVU file finds: those cptref has no
    record of, and records that no word of their own matches. A record its own words match is left
    to them, so its score and its place among the records stay what they are without the file. The
    merge is by score; on a tie, the record found by its own words comes first."""
    from cptref.cms.sources import on_disk

    table_codes = index.doc_codes()
    known = bytearray((len(table_codes) >> 3) + 1)
    for doc in ids_of(records.union()):
        code = records.codes[doc]
        at = bisect.bisect_left(table_codes, code)
        if at < len(table_codes) and table_codes[at] == code:
            known[at >> 3] |= 1 << (at & 7)
    table = rank_documents(index, records.terms, limit, int.from_bytes(known, "little"))
    if not table.top:
        return results
    found = []
    store = catalog.store
    for score, _, doc in table.top:
        code = table.codes[doc]
        short = None
        for row in cms.rvu(code):
            if row.descriptor is not None:  # the file shown is the zip for a member of one, as show says
                short = ShortDescriptor(row.descriptor.text, on_disk(row.file), row.descriptor.licence)
                break
        title = _title_of(store, code)
        found.append(
            Result(
                code,
                NO_RECORD_TITLE if title is None else title,
                round(score, 1),
                table.matched(doc),
                record=title is not None,
                origin="pprrvu",
                short_descriptor=short,
            )
        )
    merged = list(heapq.merge(results, found, key=lambda r: -r.score))
    return merged[:limit]


def _title_of(store: Store, code: str) -> str | None:
    codes = store.doc_codes()
    at = bisect.bisect_left(codes, code)
    if at < len(codes) and codes[at] == code:
        return store.doc_titles([at])[0]
    return None
