"""A query read into terms, and each query word into the indexed words it may stand for.

A query is read into words as the records are (:mod:`cptref.model.words`: stems, slashed shorthand
spelt out, negated words kept as ``~word``) and split into terms (:func:`parse_query`). A term is a
word or a phrase of the coders' vocabulary (:mod:`.vocabulary`), with its aliases as alternatives; a
word naming an action also has the action's nouns. :func:`similar` matches a word against the index
vocabulary exactly, as a prefix, by shared stem, or, for a misspelling the user typed, with
rapidfuzz's ``ratio``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from msgspec import Struct

from cptref.errors import UsageError
from cptref.model.words import NEGATED, WORD, stem, tokens

from .vocabulary import ACTION_NOUNS, ACTION_OF, ALTERNATIVES, dictionary

MAX_QUERY_CHARS = 500
FUZZY_CUTOFF = 80.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a misspelled word to count as the indexed word."""
FUZZY_FLOOR = 0.85
"""What a misspelling at the cutoff is worth (one at ratio 100 would be worth 0.95, as a word matched
exactly but for its spelling): a word the user typed that the library does not know, and that is no
English or clinical word of its own, is that indexed word mistyped, so a query of typos can still be
answered with confidence ("widgit strech")."""
_CODE_TOKEN = re.compile(r"^[0-9]{3,4}[0-9a-z]?$")
_PHRASE_WORDS = 4


class Term(Struct, frozen=True):
    text: str
    alternatives: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    """What a match of each alternative is worth (1.0 but for a broader word)."""
    code: bool = False
    action: str | None = None
    """The action the term names ("remove": removal), unless negated."""


def parse_query(query: str) -> list[Term]:
    """Split a query into terms; raise :class:`UsageError` when there is nothing to search for."""
    if len(query) > MAX_QUERY_CHARS:
        raise UsageError(f"the query is {len(query)} characters long; at most {MAX_QUERY_CHARS} are searched")
    if not query.strip():
        raise UsageError('the query is empty: give words to look for, e.g. cptref search "balloon dilation biliary"')
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:  # bytes of the command line that are not UTF-8 (surrogate escapes)
        raise UsageError(f"the query is not UTF-8 text (character {exc.start + 1}); give it as UTF-8") from None
    if not WORD.search(query.lower()):
        raise UsageError(f"the query {query.strip()!r} has no word of the letters a-z or digits 0-9 to search for")
    found = tokens(query)
    terms: list[Term] = []
    at = 0
    while at < len(found):
        raw, negated = found[at]
        if _CODE_TOKEN.match(raw) and raw[0].isdigit():
            terms.append(Term(raw, ((raw,),), (1.0,), code=True))
            at += 1
            continue
        size, key = 1, stem(raw)
        for longer in range(min(_PHRASE_WORDS, len(found) - at), 1, -1):  # the longest phrase of ALIASES here
            part = found[at : at + longer]
            phrase = " ".join(stem(w) for w, n in part)
            if phrase in ALTERNATIVES and all(n == negated for _, n in part):
                size, key = longer, phrase
                break
        alternatives: dict[tuple[str, ...], float] = {tuple(key.split()): 1.0}
        action = ACTION_OF.get(key)
        more = [*ALTERNATIVES.get(key, ()), *(((noun,), 1.0) for noun in ACTION_NOUNS.get(action or "", ()))]
        for alt, weight in more:
            alternatives[alt] = max(weight, alternatives.get(alt, 0.0))
        if negated:
            alternatives = {tuple(NEGATED + w for w in alt): weight for alt, weight in alternatives.items()}
        text = " ".join(w for w, _ in found[at : at + size])
        terms.append(Term(text, tuple(alternatives), tuple(alternatives.values()), action=None if negated else action))
        at += size
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


def _starting(vocabulary: Sequence[str], prefix: str) -> Sequence[str]:
    """The words of the sorted ``vocabulary`` that begin with ``prefix``."""
    start = bisect.bisect_left(vocabulary, prefix)
    end = bisect.bisect_left(vocabulary, prefix + "\uffff", start)
    return vocabulary[start:end]


def _indexed(vocabulary: Sequence[str], word: str) -> bool:
    at = bisect.bisect_left(vocabulary, word)
    return at < len(vocabulary) and vocabulary[at] == word


def similar(word: str, vocabulary: Sequence[str], fuzzy: bool = True) -> dict[str, float]:
    """Indexed words that ``word`` may stand for, each with a similarity in 0..1.

    Exact 1.0; ``word`` a prefix of the indexed word ("nephrost") 0.9; a shared stem of five or more
    letters covering most of the shorter word ("dilate" / "dilation") 0.85; a misspelling within
    rapidfuzz ``ratio`` >= 80 ("biliarry") 0.85 to 0.95 as the ratio grows (:data:`FUZZY_FLOOR`),
    looked for only when the word itself is not
    indexed, and only when ``fuzzy`` (a word the user typed, not one of our aliases). A word the user
    typed that is not indexed but is an English or clinical word of its own
    (:func:`cptref.search.vocabulary.dictionary`) is neither completed nor corrected: "port" is no misspelling of
    "report", nor "cholecystectomy" a longer "chole". A negated word
    (``~stent``) is matched the same way against the negated words only. ``vocabulary`` is sorted.
    """
    negatives = bisect.bisect_left(vocabulary, NEGATED)  # negated words sort last: "~stent"
    if word.startswith(NEGATED):  # a negated word matches negated words only, and the same way
        bare = [w[len(NEGATED) :] for w in vocabulary[negatives:]]
        return {NEGATED + w: sim for w, sim in similar(word[len(NEGATED) :], bare, fuzzy).items()}
    found: dict[str, float] = {}
    known = _indexed(vocabulary, word)
    if known:
        found[word] = 1.0
    elif fuzzy and word in dictionary():
        return found  # a whole word of its own that the library does not use: nothing to complete or correct
    if len(word) >= 4:
        for other in _starting(vocabulary, word):
            found.setdefault(other, 0.9)
        for other in _starting(vocabulary, word[:5]) if len(word) >= 5 else ():
            shared = _shared_prefix(word, other)
            if shared >= 0.75 * min(len(word), len(other)):
                found.setdefault(other, 0.85)
        if known or not fuzzy:
            return found  # spelled as indexed: no need to guess at misspellings (nor to load rapidfuzz)
        from rapidfuzz import fuzz, process

        for other, score, _ in process.extract(
            word, vocabulary[:negatives], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=None
        ):
            found.setdefault(
                other, FUZZY_FLOOR + (0.95 - FUZZY_FLOOR) * (score - FUZZY_CUTOFF) / (100.0 - FUZZY_CUTOFF)
            )
    return found
