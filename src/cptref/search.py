"""Ranking records against loose words: a pure function over a catalog's search index.

A query is split into terms. A term is a word, or an abbreviation with its expansion as an
alternative (``PTBD`` or "percutaneous transhepatic biliary drainage"). Each query word is matched
against the index vocabulary exactly, as a prefix, by shared stem, or, for misspellings, with
rapidfuzz's ``ratio``; the postings of the matching words give the candidate records, so only
records sharing a word with the query are scored. A record's score is the mean of its terms' best
field scores, each scaled by the field's weight (code > title > synonyms > descriptor > lay
summary), so word order, case, punctuation and text length do not matter. A code or code prefix
(``47555``, ``4755``) matches the code field and ranks those codes first. Ties break by the
number of terms matched in the title, then by code.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import NoMatch, UsageError
from .text import STOPWORDS, stem, words

if TYPE_CHECKING:
    from .catalog import Catalog
    from .store import DocInfo

MAX_QUERY_CHARS = 500
FIELD_WEIGHTS: dict[str, float] = {
    "code": 1.0,
    "title": 1.0,
    "synonyms": 0.95,
    "descriptor": 0.9,
    "summary": 0.8,
    "official": 0.9,
}
TEXT_FIELDS = ("title", "synonyms", "descriptor", "summary", "official")
DELETED_WEIGHT = 0.9
"""Deleted codes stay findable but rank below active ones that match as well."""
FUZZY_CUTOFF = 80.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a misspelled word to count as the indexed word."""

ABBREVIATIONS: dict[str, str] = {
    "ptc": "percutaneous transhepatic cholangiography",
    "ptbd": "percutaneous transhepatic biliary drainage",
    "pcn": "percutaneous nephrostomy",
    "pcnl": "percutaneous nephrolithotomy",
    "ercp": "endoscopic retrograde cholangiopancreatography",
    "rsi": "radiological supervision interpretation",
    "si": "supervision interpretation",
    "ir": "interventional radiology",
    "us": "ultrasound",
    "ct": "computed tomography",
    "mr": "magnetic resonance",
    "mri": "magnetic resonance",
    "fluoro": "fluoroscopy",
    "cbd": "common bile duct",
    "nu": "nephroureteral",
    "nut": "nephroureteral",
}
_CODE_TOKEN = re.compile(r"^[0-9]{3,4}[0-9a-z]?$")


@dataclass(frozen=True, slots=True)
class Result:
    """One ranked record: its score (0-100) and the indexed words that matched, by field."""

    code: str
    title: str
    score: float
    matched: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    alternatives: tuple[tuple[str, ...], ...]
    code: bool = False


def parse_query(query: str) -> list[_Term]:
    """Split a query into terms; raise :class:`UsageError` when there is nothing to search for."""
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f"the query is {len(query)} characters long; at most {MAX_QUERY_CHARS} are searched")
    if not query.strip():
        raise UsageError('the query is empty: give words to look for, e.g. cptref search "balloon dilation biliary"')
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:  # bytes of the command line that are not UTF-8 (surrogate escapes)
        raise UsageError(f"the query is not UTF-8 text (character {exc.start + 1}); give it as UTF-8") from None
    terms: list[_Term] = []
    tokens = re.findall(r"[a-z0-9]+", query.lower().replace("&", ""))
    if not tokens:
        raise UsageError(f"the query {query.strip()!r} has no word of the letters a-z or digits 0-9 to search for")
    for raw in tokens:
        if _CODE_TOKEN.match(raw) and raw[0].isdigit():
            terms.append(_Term(raw, ((raw,),), code=True))
            continue
        if raw in STOPWORDS and raw not in ABBREVIATIONS:
            continue
        alternatives: list[tuple[str, ...]] = [(stem(raw),)]
        if raw in ABBREVIATIONS:
            alternatives.append(tuple(words(ABBREVIATIONS[raw])))
        terms.append(_Term(raw, tuple(alternatives)))
    if not terms:
        raise UsageError(f"the query {query.strip()!r} has only common words; add a word that names the procedure")
    return terms


def _shared_prefix(a: str, b: str) -> int:
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


def _starting(vocabulary: Sequence[str], prefix: str) -> list[str]:
    """The words of the sorted ``vocabulary`` that begin with ``prefix``."""
    start = bisect.bisect_left(vocabulary, prefix)
    end = bisect.bisect_left(vocabulary, prefix + "\uffff")
    return list(vocabulary[start:end])


def similar(word: str, vocabulary: Sequence[str], known: set[str] | dict[str, int]) -> dict[str, float]:
    """Indexed words that ``word`` may stand for, each with a similarity in 0..1.

    Exact 1.0; ``word`` a prefix of the indexed word ("nephrost") 0.9; a shared stem of five or more
    letters covering most of the shorter word ("dilate" / "dilation") 0.85; a misspelling within
    rapidfuzz ``ratio`` >= 80 ("biliarry") 0.95 x ratio, looked for only when the word itself is not
    indexed. ``vocabulary`` is sorted.
    """
    found: dict[str, float] = {}
    if word in known:
        found[word] = 1.0
    if len(word) >= 4:
        for other in _starting(vocabulary, word):
            found.setdefault(other, 0.9)
        for other in _starting(vocabulary, word[:5]) if len(word) >= 5 else ():
            shared = _shared_prefix(word, other)
            if shared >= 0.75 * min(len(word), len(other)):
                found.setdefault(other, 0.85)
        if word in known:
            return found  # spelled as indexed: no need to guess at misspellings (nor to load rapidfuzz)
        from rapidfuzz import fuzz, process

        for other, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            found.setdefault(other, 0.95 * score / 100.0)
    return found


_Best = tuple[float, str, tuple[str, ...]]
"""(score, field, matched indexed words) of one term in one record."""
_FIELD_ORDER = {name: i for i, name in enumerate(TEXT_FIELDS)}


def _best_by_field(
    word: str, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, list[int]]], weighted: bool
) -> dict[int, tuple[float, str, str]]:
    """For one query word: each record's best (value, field, indexed word), value = [weight x] similarity.

    Candidate groups are taken best first (value, then field order, then how the word matched),
    and each group claims, with set operations, only the records no better group has claimed.
    """
    groups = []
    for rank, (other, sim) in enumerate(matches[word].items()):
        for name, ids in postings.get(other, {}).items():
            value = FIELD_WEIGHTS[name] * sim if weighted else sim
            groups.append((-value, _FIELD_ORDER[name], rank, name, other, ids))
    groups.sort(key=lambda g: g[:3])
    best: dict[int, tuple[float, str, str]] = {}
    for negative, _, _, name, other, ids in groups:
        fresh = set(ids).difference(best)
        if fresh:
            best.update(dict.fromkeys(fresh, (-negative, name, other)))
    return best


def _text_term(
    term: _Term, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, list[int]]]
) -> dict[int, _Best]:
    best: dict[int, _Best] = {}
    for alt in term.alternatives:
        found: dict[int, _Best] = {}
        if len(alt) == 1:
            for doc, (value, name, other) in _best_by_field(alt[0], matches, postings, True).items():
                found[doc] = (value, name, (other,))
        else:  # an expansion: the mean of its words' similarities, field by field
            sums: dict[tuple[int, str], tuple[float, tuple[str, ...]]] = {}
            for word in alt:
                for name in TEXT_FIELDS:
                    only = {o: {name: p[name]} for o, p in postings.items() if name in p}
                    for doc, (sim, _, other) in _best_by_field(word, matches, only, False).items():
                        total, hits = sums.get((doc, name), (0.0, ()))
                        sums[(doc, name)] = (total + sim, (*hits, other))
            for (doc, name), (total, hits) in sorted(sums.items(), key=lambda item: _FIELD_ORDER[item[0][1]]):
                value = FIELD_WEIGHTS[name] * total / len(alt)
                if value > found.get(doc, (0.0, "", ()))[0]:
                    found[doc] = (value, name, hits)
        if not best:
            best = found
            continue
        for doc, entry in found.items():
            if entry[0] > best.get(doc, (0.0, "", ()))[0]:
                best[doc] = entry
    return best


def _code_term(term: _Term, codes: Sequence[str]) -> dict[int, _Best]:
    prefix = term.text.upper()
    start = bisect.bisect_left(codes, prefix)
    best: dict[int, _Best] = {}
    for doc in range(start, len(codes)):
        code = codes[doc]
        if not code.startswith(prefix):
            break
        weight = FIELD_WEIGHTS["code"] if code == prefix else 0.9 * FIELD_WEIGHTS["code"]
        best[doc] = (weight, "code", (code,))
    return best


def search(catalog: Catalog, query: str, limit: int = 10) -> list[Result]:
    """Records ranked best first for ``query``; raises :class:`NoMatch` when none matches."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    terms = parse_query(query)
    store = catalog.store
    docs: Sequence[DocInfo] = store.docs()
    frequencies = store.frequencies()
    vocabulary = store.vocabulary()
    matches: dict[str, dict[str, float]] = {}
    for term in terms:
        if not term.code:
            for alt in term.alternatives:
                for word in alt:
                    if word not in matches:
                        matches[word] = similar(word, vocabulary, frequencies)
    postings = store.postings({other for found in matches.values() for other in found})
    codes = [d.code for d in docs]

    per_term = [_code_term(term, codes) if term.code else _text_term(term, matches, postings) for term in terms]
    totals: dict[int, float] = {}
    in_title: dict[int, int] = {}
    for per_doc in per_term:
        for doc, (value, name, _) in per_doc.items():
            totals[doc] = totals.get(doc, 0.0) + value
            if name == "title":
                in_title[doc] = in_title.get(doc, 0) + 1
    if not totals:
        raise NoMatch(query.strip())
    scale = 100.0 / len(terms)
    ranked = heapq.nsmallest(
        limit,
        (
            (
                -total * scale * (DELETED_WEIGHT if docs[doc].deleted else 1.0),
                -in_title.get(doc, 0),
                docs[doc].code,
                doc,
            )
            for doc, total in totals.items()
        ),
    )
    return [
        Result(docs[doc].code, docs[doc].title, round(-neg, 1), _matched(doc, per_term)) for neg, _, _, doc in ranked
    ]


def _matched(doc: int, per_term: list[dict[int, _Best]]) -> dict[str, list[str]]:
    """Which indexed words of which field matched, term by term, for one result."""
    matched: dict[str, list[str]] = {}
    for per_doc in per_term:
        if doc in per_doc:
            _, name, hits = per_doc[doc]
            bucket = matched.setdefault(name, [])
            bucket.extend(hit for hit in hits if hit not in bucket)
    return matched
