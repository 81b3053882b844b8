"""Ranking records against loose words: a pure function over a :class:`~cptref.catalog.Catalog`.

A query is split into terms. A term is a word, or an abbreviation with its expansion as an
alternative (``PTBD`` or "percutaneous transhepatic biliary drainage"). Each term is matched
word-by-word against each field of a record: exactly, as a prefix, or, for misspellings, with
rapidfuzz's ``ratio`` against the library's vocabulary. A record's score is the mean of its terms'
best field scores, each scaled by the field's weight (code > title > synonyms > descriptor > lay
summary), so word order, case, punctuation and text length do not matter. A code or code prefix
(``47555``, ``4755``) matches the code field and ranks those codes first. Ties break by code.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import NoMatch, UsageError

if TYPE_CHECKING:
    from .catalog import Catalog
    from .models import Procedure

MAX_QUERY_CHARS = 500
FIELD_WEIGHTS: dict[str, float] = {
    "code": 1.0,
    "title": 1.0,
    "synonyms": 0.95,
    "descriptor": 0.9,
    "summary": 0.8,
}
DELETED_WEIGHT = 0.9
"""Deleted codes stay findable but rank below active ones that match as well."""
FUZZY_CUTOFF = 80.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a misspelled word to count as the indexed word."""

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "of",
        "the",
        "to",
        "in",
        "into",
        "on",
        "for",
        "with",
        "without",
        "by",
        "via",
        "per",
        "each",
        "any",
        "is",
        "are",
        "be",
        "this",
        "that",
    ]
)
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
_WORD = re.compile(r"[a-z0-9]+")
_CODE_TOKEN = re.compile(r"^[0-9]{3,4}[0-9a-z]?$")


@dataclass(frozen=True, slots=True)
class Result:
    """One ranked record: its score (0-100) and the indexed words that matched, by field."""

    code: str
    title: str
    score: float
    matched: dict[str, list[str]] = field(default_factory=dict)


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def words(text: str) -> list[str]:
    """Lower-case, punctuation-free, lightly stemmed words of ``text``, stopwords dropped."""
    text = text.lower().replace("&", "")
    return [_stem(w) for w in _WORD.findall(text) if w not in STOPWORDS]


def _fields(record: Procedure) -> dict[str, set[str]]:
    summary = record.lay.summary if record.lay and record.lay.summary else ""
    return {
        "title": set(words(record.title)),
        "synonyms": {w for s in record.synonyms for w in words(s)},
        "descriptor": set(words(record.descriptor)),
        "summary": set(words(summary)),
    }


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
    for raw in _WORD.findall(query.lower().replace("&", "")):
        if _CODE_TOKEN.match(raw) and raw[0].isdigit():
            terms.append(_Term(raw, ((raw,),), code=True))
            continue
        if raw in STOPWORDS and raw not in ABBREVIATIONS:
            continue
        alternatives: list[tuple[str, ...]] = [(_stem(raw),)]
        if raw in ABBREVIATIONS:
            alternatives.append(tuple(words(ABBREVIATIONS[raw])))
        terms.append(_Term(raw, tuple(alternatives)))
    if not terms:
        raise UsageError(f"the query {query.strip()!r} has only common words; add a word that names the procedure")
    return terms


def _stem_match(a: str, b: str) -> bool:
    """Whether two words share a stem: a common prefix of 5+ letters covering most of the shorter."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared >= 5 and shared >= 0.75 * min(len(a), len(b))


def _similar(word: str, vocabulary: Collection[str]) -> dict[str, float]:
    """Indexed words that ``word`` may stand for, each with a similarity in 0..1."""
    found: dict[str, float] = {}
    if word in vocabulary:
        found[word] = 1.0
    if len(word) >= 4:
        for known in vocabulary:
            if known == word:
                continue
            if known.startswith(word):
                found.setdefault(known, 0.9)  # a prefix: "dilat", "nephrost"
            elif _stem_match(word, known):
                found.setdefault(known, 0.85)  # the same stem: "dilate" / "dilation", "stenting" / "stent"
    if len(word) >= 4:
        from rapidfuzz import fuzz, process

        for known, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            if known not in found:
                found[known] = 0.95 * score / 100.0
    return found


def search(catalog: Catalog, query: str, limit: int = 10) -> list[Result]:
    """Records ranked best first for ``query``; raises :class:`NoMatch` when none matches."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    terms = parse_query(query)
    records = list(catalog)
    indexed = {r.code: _fields(r) for r in records}
    vocabulary = sorted({w for f in indexed.values() for ws in f.values() for w in ws})
    similar: dict[str, dict[str, float]] = {}
    for term in terms:
        if not term.code:
            for alt in term.alternatives:
                for w in alt:
                    if w not in similar:
                        similar[w] = _similar(w, vocabulary)

    scored: list[tuple[float, int, str, Result]] = []
    for record in records:
        fields = indexed[record.code]
        total = 0.0
        in_title = 0
        matched: dict[str, list[str]] = {}
        for term in terms:
            best, where, hits = _score_term(term, record.code, fields, similar)
            if best <= 0.0:
                continue
            total += best
            in_title += where == "title"
            for hit in hits:
                bucket = matched.setdefault(where, [])
                if hit not in bucket:
                    bucket.append(hit)
        if total <= 0.0:
            continue
        score = 100.0 * total / len(terms)
        if record.status == "deleted":
            score *= DELETED_WEIGHT
        result = Result(record.code, record.title, round(score, 1), matched)
        scored.append((-score, -in_title, record.code, result))
    if not scored:
        raise NoMatch(query.strip())
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:limit]]


def _score_term(
    term: _Term, code: str, fields: dict[str, set[str]], similar: dict[str, dict[str, float]]
) -> tuple[float, str, list[str]]:
    """The best (score, field, matched words) of one term in one record."""
    if term.code:
        if code.lower() == term.text:
            return FIELD_WEIGHTS["code"], "code", [code]
        if code.lower().startswith(term.text):
            return 0.9 * FIELD_WEIGHTS["code"], "code", [code]
        return 0.0, "", []
    best: tuple[float, str, list[str]] = (0.0, "", [])
    for name, present in fields.items():
        weight = FIELD_WEIGHTS[name]
        for alt in term.alternatives:
            sims: list[float] = []
            hits: list[str] = []
            for w in alt:
                candidates = similar.get(w, {})
                top = max(((candidates[p], p) for p in present if p in candidates), default=(0.0, ""))
                sims.append(top[0])
                if top[0] > 0.0:
                    hits.append(top[1])
            value = weight * sum(sims) / len(alt)
            if value > best[0]:
                best = (value, name, hits)
    return best
