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
}
TEXT_FIELDS = ("title", "synonyms", "descriptor", "summary")
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
    terms: list[_Term] = []
    for raw in re.findall(r"[a-z0-9]+", query.lower().replace("&", "")):
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
    rapidfuzz ``ratio`` >= 80 ("biliarry") 0.95 x ratio. ``vocabulary`` is sorted.
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
        from rapidfuzz import fuzz, process

        for other, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            found.setdefault(other, 0.95 * score / 100.0)
    return found


_Best = tuple[float, str, list[str]]
"""(score, field, matched indexed words) of one term in one record."""


def _text_term(
    term: _Term, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, list[int]]]
) -> dict[int, _Best]:
    best: dict[int, _Best] = {}
    for alt in term.alternatives:
        sums: dict[int, dict[str, tuple[float, list[str]]]] = {}
        for word in alt:
            top: dict[tuple[int, str], tuple[float, str]] = {}
            for other, sim in matches[word].items():
                for name, ids in postings.get(other, {}).items():
                    for doc in ids:
                        if sim > top.get((doc, name), (0.0, ""))[0]:
                            top[(doc, name)] = (sim, other)
            for (doc, name), (sim, other) in top.items():
                fields = sums.setdefault(doc, {})
                total, hits = fields.get(name, (0.0, []))
                fields[name] = (total + sim, [*hits, other])
        for doc, fields in sums.items():
            for name in TEXT_FIELDS:
                if name in fields:
                    total, hits = fields[name]
                    value = FIELD_WEIGHTS[name] * total / len(alt)
                    if value > best.get(doc, (0.0, "", []))[0]:
                        best[doc] = (value, name, hits)
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
        best[doc] = (weight, "code", [code])
    return best


def search(catalog: Catalog, query: str, limit: int = 10) -> list[Result]:
    """Records ranked best first for ``query``; raises :class:`NoMatch` when none matches."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    terms = parse_query(query)
    store = catalog.store
    docs: Sequence[DocInfo] = store.docs()
    frequencies = store.frequencies()
    vocabulary = sorted(frequencies)
    matches: dict[str, dict[str, float]] = {}
    for term in terms:
        if not term.code:
            for alt in term.alternatives:
                for word in alt:
                    if word not in matches:
                        matches[word] = similar(word, vocabulary, frequencies)
    postings = store.postings({other for found in matches.values() for other in found})
    codes = [d.code for d in docs]

    totals: dict[int, float] = {}
    in_title: dict[int, int] = {}
    matched: dict[int, dict[str, list[str]]] = {}
    for term in terms:
        per_doc = _code_term(term, codes) if term.code else _text_term(term, matches, postings)
        for doc, (value, name, hits) in per_doc.items():
            totals[doc] = totals.get(doc, 0.0) + value
            in_title[doc] = in_title.get(doc, 0) + (name == "title")
            bucket = matched.setdefault(doc, {}).setdefault(name, [])
            bucket.extend(hit for hit in hits if hit not in bucket)
    if not totals:
        raise NoMatch(query.strip())
    ranked: list[tuple[float, int, str, int]] = []
    for doc, total in totals.items():
        score = 100.0 * total / len(terms)
        if docs[doc].deleted:
            score *= DELETED_WEIGHT
        ranked.append((-score, -in_title[doc], docs[doc].code, doc))
    ranked.sort()
    return [Result(docs[doc].code, docs[doc].title, round(-neg, 1), matched[doc]) for neg, _, _, doc in ranked[:limit]]
