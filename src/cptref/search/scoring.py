"""Scoring in bulk: each term's documents in levels of equal value, and the best found without scoring each.

A set of documents is an int whose bit i stands for document i (documents are in code order), so
an intersection or a difference over 100,000 records is one operation on 12.5 KB, not a Python
loop over candidates. Each term becomes a few *levels*: disjoint sets of documents that get the
same value for it (:func:`text_levels`, :func:`code_levels`). The best documents are then found by
a best-first walk over the choices of one level per term (:func:`top`): it follows only the
combinations whose bound can still reach the top ``limit``, and drops any that no document
satisfies. A value is the field's weight (code > title > synonyms > descriptor > lay summary) times
how closely the word matched.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence

from msgspec import Struct

from .query import Term

FIELD_WEIGHTS: dict[str, float] = {
    "code": 1.0,
    "title": 1.0,
    "synonyms": 0.95,
    "descriptor": 0.9,
    "summary": 0.5,
    "official": 0.9,
    "short_descriptor": 0.9,
}
TEXT_FIELDS = ("title", "synonyms", "descriptor", "summary", "official", "short_descriptor")
"""The text fields, in the order ties between fields break; ``short_descriptor`` is the user's PPRRVU
file (``--cms``), searched only for codes that have no record or that no word of their record matches."""
DELETED_WEIGHT = 0.9
"""Deleted codes stay findable but rank below active ones that match as well."""


class Level(Struct, frozen=True):
    """The documents whose best match for a term is in one field, with that match's value."""

    value: float
    name: str
    docs: int
    words: tuple[str, ...] = ()
    """The indexed word matched (a single word); empty for an expansion or a code, whose words are
    worked out for the results alone (:func:`matched_words`)."""
    alternative: int = 0


_Group = tuple[float, int, int, int, str, tuple[str, ...], int]
"""(-value, alternative, field order, rank of the indexed word, field, words, documents)."""
_FIELD_ORDER = {name: i for i, name in enumerate(TEXT_FIELDS)}


def claim_levels(groups: list[_Group]) -> list[Level]:
    """Each document's best group, as levels: the groups are taken best first (value, then the
    earlier alternative, field and indexed word), each keeping the documents no better one holds."""
    groups.sort(key=lambda g: g[:4])
    claimed = 0
    levels: list[Level] = []
    for negative, alternative, _, _, name, found, docs in groups:
        fresh = docs & ~claimed
        if fresh:
            levels.append(Level(-negative, name, fresh, found, alternative))
            claimed |= docs
    return levels


def word_groups(
    word: str, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, int]]
) -> list[tuple[float, int, str, str, int]]:
    """(similarity, rank, field, indexed word, documents) for each field of each indexed word
    that ``word`` matches."""
    return [
        (sim, rank, name, other, docs)
        for rank, (other, sim) in enumerate(matches[word].items())
        for name, docs in postings.get(other, {}).items()
    ]


def _expansion_sums(found: list[list[Level]]) -> dict[tuple[float, int], int]:
    """For one field: the documents by the sum of their words' best similarities (word by word, in
    the expansion's order) and by how many of its words they match, from each word's levels in
    that field."""
    sums: dict[tuple[float, int], int] = {}
    for levels in found:
        covered = 0
        for docs in sums.values():
            covered |= docs
        matched = 0
        for level in levels:
            matched |= level.docs
        after: dict[tuple[float, int], int] = {}
        for (total, count), docs in sums.items():
            for level in levels:
                both = docs & level.docs
                if both:
                    key = (total + level.value, count + 1)
                    after[key] = after.get(key, 0) | both
            rest = docs & ~matched
            if rest:
                after[(total, count)] = after.get((total, count), 0) | rest
        for level in levels:
            new = level.docs & ~covered
            if new:
                key = (0.0 + level.value, 1)
                after[key] = after.get(key, 0) | new
        sums = after
    return sums


def text_levels(term: Term, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, int]]) -> list[Level]:
    groups: list[_Group] = []
    for alternative, (alt, weight) in enumerate(zip(term.alternatives, term.weights, strict=True)):
        if len(alt) == 1:
            for sim, rank, name, other, docs in word_groups(alt[0], matches, postings):
                value = FIELD_WEIGHTS[name] * sim * weight
                groups.append((-value, alternative, _FIELD_ORDER[name], rank, name, (other,), docs))
            continue
        # an expansion: the mean of its words' similarities, field by field; an alias must match
        # more than half of its words in one field, the phrase typed may match any of them
        per_word = [word_groups(word, matches, postings) for word in alt]
        for name in TEXT_FIELDS:
            found = [
                claim_levels(
                    [(-sim, 0, 0, rank, field, (), docs) for sim, rank, field, _, docs in groups_of if field == name]
                )
                for groups_of in per_word
            ]
            for (total, count), docs in _expansion_sums(found).items():
                if alternative and 2 * count <= len(alt):
                    continue  # an alias half matched ("duct" of "bile duct") is not the alias
                value = FIELD_WEIGHTS[name] * total / len(alt) * weight
                groups.append((-value, alternative, _FIELD_ORDER[name], 0, name, (), docs))
    return claim_levels(groups)


def code_levels(term: Term, codes: Sequence[str]) -> list[Level]:
    prefix = term.text.upper()
    start = bisect.bisect_left(codes, prefix)
    end = bisect.bisect_left(codes, prefix + "\uffff", start)
    if start == end:
        return []
    levels: list[Level] = []
    if codes[start] == prefix:
        levels.append(Level(FIELD_WEIGHTS["code"], "code", 1 << start))
        start += 1
    if start < end:
        levels.append(Level(0.9 * FIELD_WEIGHTS["code"], "code", ((1 << (end - start)) - 1) << start))
    return levels


_TIES = 2000
"""The most tied documents whose titles are read to break their tie; a larger tie keeps code order."""
_EPSILON = 1e-9
"""Slack for bounds summed in another order than the exact totals (a few units of the last place)."""


def top(
    per_term: list[list[Level]],
    demoted: list[tuple[int, float]],
    scale: float,
    limit: int,
    left_out: int = 0,
    unsaid: Callable[[list[int]], list[tuple[int, int]]] | None = None,
) -> list[tuple[float, int, int]]:
    """The ``limit`` best documents as (score, terms matched in the title, document), best first.

    A document's total is the sum, in term order, of the value of its level for each term it
    matches; its score is the total x ``scale`` (x the factor of each of the ``demoted`` sets of
    documents it is in: deleted records, records of another action); ties break by the number of
    title matches, then by ``unsaid`` (for each document, whether its title names another action
    than the query's, and how many words of its title the query does not say: fewer first), then
    by document (code) order. The documents of ``left_out`` are not ranked.
    """
    # per term: the levels merged by what ranking sees (value, title or not), best first
    merged: list[list[tuple[float, bool, int]]] = []
    unions: list[int] = []
    for levels in per_term:
        by_key: dict[tuple[float, bool], int] = {}
        union = 0
        for level in levels:
            key = (level.value, level.name == "title")
            by_key[key] = by_key.get(key, 0) | level.docs
            union |= level.docs
        merged.append(sorted(((v, t, d) for (v, t), d in by_key.items()), key=lambda m: (-m[0], not m[1])))
        unions.append(union)
    everything = 0
    for union in unions:
        everything |= union
    everything &= ~left_out
    if not everything:
        return []
    # the walk takes the terms that match fewest documents first: empty combinations die early
    order = sorted(range(len(per_term)), key=lambda t: unions[t].bit_count())
    best_rest = [0.0] * (len(order) + 1)
    for depth in range(len(order) - 1, -1, -1):
        top = merged[order[depth]]
        best_rest[depth] = best_rest[depth + 1] + (top[0][0] if top else 0.0)

    # heap entries: (-bound or -score, tie, depth or -1 when final, choices, partial, documents)
    heap: list[tuple[float, int, int, tuple[int, ...], float, int]] = [
        (-best_rest[0] * scale, 0, 0, (), 0.0, everything)
    ]
    counter = 1
    found: list[tuple[float, int, int]] = []  # (score, title matches, documents)
    have = 0
    threshold: float | None = None
    while heap:
        negative, _, depth, choices, partial, docs = heapq.heappop(heap)
        if threshold is not None and -negative < threshold - _EPSILON:
            break
        if depth == -1:  # a final class: these documents score exactly -negative
            found.append((-negative, choices[0], docs))
            have += docs.bit_count()
            if threshold is None and have >= limit:
                threshold = -negative
            continue
        if depth == len(order):  # every term decided: the exact total, summed in term order
            chosen = dict(zip(order, choices, strict=True))
            total = 0.0
            titles = 0
            for t in range(len(per_term)):
                pick = chosen[t]
                if pick >= 0:
                    value, title, _ = merged[t][pick]
                    total += value
                    titles += title
            parts = [(docs, 1.0)]
            for these, factor in demoted:
                parts = [(p & q, w * f) for p, w in parts for q, f in ((~these, 1.0), (these, factor)) if p & q]
            for part, weight in parts:
                if part:
                    score = -(-total * scale * weight)
                    heapq.heappush(heap, (-score, counter, -1, (titles,), 0.0, part))
                    counter += 1
            continue
        term = order[depth]
        rest = docs & ~unions[term]
        children = [(i, docs & level_docs, partial + value) for i, (value, _, level_docs) in enumerate(merged[term])]
        children.append((-1, rest, partial))
        for pick, child, sub in children:
            if child:
                bound = (sub + best_rest[depth + 1]) * scale
                heapq.heappush(heap, (-bound - _EPSILON, counter, depth + 1, (*choices, pick), sub, child))
                counter += 1

    # rank the classes found: score, then title matches; within a class, by ``unsaid``, then code order
    tied: dict[tuple[float, int], int] = {}
    for score, titles, docs in found:
        tied[(score, titles)] = tied.get((score, titles), 0) | docs
    ranked: list[tuple[float, int, int]] = []
    for (score, titles), docs in sorted(tied.items(), key=lambda item: (-item[0][0], -item[0][1])):
        wanted = limit - len(ranked)
        if wanted <= 0:
            break
        if docs.bit_count() == 1 or unsaid is None or docs.bit_count() > _TIES:
            ordered = list(itertools.islice(ids_of(docs), wanted))
        else:
            members = list(ids_of(docs))
            ordered = [doc for _, doc in sorted(zip(unsaid(members), members, strict=True))][:wanted]
        ranked.extend((score, titles, doc) for doc in ordered)
    return ranked


def ids_of(bits: int) -> Iterator[int]:
    """The positions of the set bits of ``bits``, ascending (a byte at a time: no per-bit big-int work)."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for at, byte in enumerate(data):
        while byte:
            low = byte & -byte
            yield at * 8 + low.bit_length() - 1
            byte ^= low
