"""Ranking records against loose words: a pure function over a catalog's search index.

A query is read into words as the records are (:mod:`cptref.text`: stems, slashed shorthand spelt
out, negated words kept as ``~word``) and split into terms. A term is a word or a phrase of
:data:`ALIASES`, with its aliases as alternatives (``PTBD`` or "percutaneous transhepatic biliary
drainage"; "CBD" or "bile duct" or "biliary"; "tube" or "catheter"); a word naming an action
(:data:`ACTIONS`) also has the action's nouns. Each query word is matched against the index
vocabulary exactly, as a prefix, by shared stem, or, for a misspelling the user typed, with
rapidfuzz's ``ratio``; the postings of the matching words give the candidate records. A record's
score is the mean of its terms' best field scores, each scaled by the field's weight (code > title
> synonyms > descriptor > lay summary) and by how closely the word matched, so word order, case,
punctuation and text length do not matter; deleted records, and records whose title names another
action than the query's, score less. A code or code prefix (``47555``, ``4755``) matches the code
field and ranks those codes first. Ties break by the number of terms matched in the title, then
by code.

Scoring is done in bulk: sets of records are ints used as bitsets, and the best ``limit`` records
are found without scoring each candidate in Python (see :func:`_top`).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from msgspec import Struct, field

from cptref.errors import CptrefError, NoMatch, UsageError, quoted
from cptref.model.words import NEGATED, WORD, dictionary, stem, tokens, words

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.library.stores import Store

MAX_QUERY_CHARS = 500
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
CONFIDENT = 85.0
"""The score from which a result is confident: the query's words name this code. Below it a
result is a weak match: some word of the query matches nothing in the code (in a query of up to
six words: five of six words is 83.3), or matches only loosely (only in the lay summary, worth half
a word, in a query of up to three words: 83.3), or the code's title names another action than the
query's (x 0.8). A deleted code that matches every word (x 0.9) stays confident."""
FUZZY_CUTOFF = 80.0
"""Minimum rapidfuzz ``ratio`` (0-100) for a misspelled word to count as the indexed word."""
FUZZY_FLOOR = 0.85
"""What a misspelling at the cutoff is worth (one at ratio 100 would be worth 0.95, as a word matched
exactly but for its spelling): a word the user typed that the library does not know, and that is no
English or clinical word of its own, is that indexed word mistyped, so a query of typos can still be
answered with confidence ("widgit strech")."""

ALIASES: dict[str, tuple[str, ...]] = {
    # shorthand coders type: acronyms and clipped words
    "ptc": ("percutaneous transhepatic cholangiography",),
    "pthc": ("percutaneous transhepatic cholangiography",),
    "ptbd": ("percutaneous transhepatic biliary drainage",),
    "ptcd": ("percutaneous transhepatic biliary drainage",),
    "pbd": ("percutaneous biliary drainage",),
    "pcn": ("percutaneous nephrostomy",),
    "pcnl": ("percutaneous nephrolithotomy",),
    "pnl": ("percutaneous nephrolithotomy",),
    "ercp": ("endoscopic retrograde cholangiopancreatography",),
    "rsi": ("radiological supervision interpretation",),
    "si": ("supervision interpretation",),
    "ir": ("interventional radiology",),
    "us": ("ultrasound",),
    "sono": ("ultrasound",),
    "ct": ("computed tomography",),
    "mr": ("magnetic resonance", "mri"),
    "mri": ("magnetic resonance", "mr"),
    "fluoro": ("fluoroscopy", "fluoroscopic"),
    "nu": ("nephroureteral",),
    "nut": ("nephroureteral",),
    "nuc": ("nephroureteral catheter",),
    "neph": ("nephrostomy",),
    "int": ("internal",),
    "ext": ("external",),
    "perc": ("percutaneous",),
    "cath": ("catheter",),
    "exch": ("exchange",),
    "bx": ("biopsy",),
    "dx": ("diagnostic",),
    "cysto": ("cystoscopy", "cystourethroscopy"),
    "urs": ("ureteroscopy",),
    "dj": ("double j",),
    "jj": ("double j",),
    "gb": ("gallbladder",),
    "sphinc": ("sphincteroplasty", "sphincter"),
    "cholangio": ("cholangiogram", "cholangiography"),
    "plcmt": ("placement",),
    "rmvl": ("removal",),
    "dil": ("dilation",),
    "conv": ("conversion",),
    # anatomy, as coders name it
    "renal": ("kidney",),
    "kidney": ("renal",),
    "upj": ("ureteropelvic junction",),
    "ureteropelvic junction": ("upj",),
    "ureteric": ("ureteral",),
    "biliary": ("bile duct",),
    "bile duct": ("biliary",),
    "cbd": ("bile duct", "biliary"),
    "chd": ("bile duct", "biliary"),
    "common bile duct": ("bile duct", "biliary"),
    "common duct": ("bile duct", "biliary"),
    "hepatic duct": ("bile duct", "biliary"),
    "common hepatic duct": ("bile duct", "biliary"),
    "left hepatic duct": ("bile duct", "biliary"),
    "right hepatic duct": ("bile duct", "biliary"),
    "intrahepatic duct": ("bile duct", "biliary"),
    "biliary tree": ("bile duct", "biliary"),
    "papilla": ("ampulla",),
    "sphincter": ("ampulla",),
    "sphincter oddi": ("ampulla", "sphincteroplasty"),
    "calculus": ("stone",),
    "calculi": ("stone",),
    # things coders call by each other's names
    "tube": ("catheter", "drain"),
    "catheter": ("tube", "drain"),
    "drain": ("catheter", "tube"),
    "choledochoscopy": ("cholangioscopy", "biliary endoscopy"),
    "cholangioscopy": ("biliary endoscopy", "choledochoscopy"),
    "nephroscopy": ("renal endoscopy",),
    "ureteroscopy": ("ureteral endoscopy",),
    "cystoscopy": ("cystourethroscopy",),
    "laser": ("lithotripsy",),  # through a ureteroscope, a laser is above all a lithotripter
}
"""Query words and phrases (as typed, any case, singular or plural) and what else they may be
written as in a record; each is an alternative, the best-matching one counts. Applied to the query
only; a phrase is taken as one term."""

BROADER: dict[str, tuple[str, ...]] = {
    "upj": ("ureter", "kidney"),
    "ureteropelvic junction": ("ureter", "kidney"),
    "renal pelvis": ("kidney", "renal"),
    "calyx": ("kidney", "renal"),
    "calyces": ("kidney", "renal"),
    "ampulla": ("bile duct", "biliary"),
}
"""Parts of an organ and the organ a record may name instead, as alternatives worth
``BROADER_WEIGHT``: a record that names the part itself ranks first."""
BROADER_WEIGHT = 0.9

ACTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # action: (the nouns a title says it with, other words a coder types for it)
    "placement": (("placement", "insertion"), ("place", "placed", "placing", "insert", "inserted", "put", "plcmt")),
    "exchange": (("exchange", "replacement", "change"), ("changed", "replace", "replaced", "swap", "exch")),
    "removal": (("removal", "extraction"), ("remove", "removed", "pull", "pulled", "extract", "retrieval", "rmvl")),
    "conversion": (("conversion", "internalization"), ("convert", "converted", "internalize", "internalized")),
    "dilation": (("dilation", "dilatation"), ("dilate", "dilated")),
    "biopsy": (("biopsy", "brushing"), ("biopsies", "bx", "brushings")),
}
"""What a procedure does to its object, and the words that say so. A query word naming an action
also matches the action's nouns; and a record whose title names another action, and not this one,
ranks lower (``OTHER_ACTION``), so "remove nephrostomy tube" finds the removal before the exchange.
An exchange is a removal and a placement in one: a title or query that says "replacement" (or
"removal and replacement") is an exchange."""
DEFAULT_ACTION = "placement"
"""The action a query that names none means: "biliary drain" is the drain's placement. Only breaks
ties: a record whose title names another action (conversion, exchange ...) comes after one that
names this one or none."""
OTHER_ACTION = 0.8
"""The factor on the score of a record whose title names another action than the query's."""
_SUBSUMED = {"exchange": ("removal", "placement")}

_CODE_TOKEN = re.compile(r"^[0-9]{3,4}[0-9a-z]?$")
_PHRASE_WORDS = 4


def _key(text: str) -> str:
    return " ".join(words(text))


_ALIASES: dict[str, list[tuple[tuple[str, ...], float]]] = {}
for _table, _weight in ((ALIASES, 1.0), (BROADER, BROADER_WEIGHT)):
    for _typed, _aliases in _table.items():
        _ALIASES.setdefault(_key(_typed), []).extend((tuple(words(alias)), _weight) for alias in _aliases)
_ACTION_OF = {stem(w): action for action, (nouns, others) in ACTIONS.items() for w in (*nouns, *others)}
_ACTION_NOUNS = {action: tuple(stem(w) for w in nouns) for action, (nouns, _) in ACTIONS.items()}


NO_RECORD_TITLE = "(no cptref record; found in your PPRRVU file)"
"""The title of a result only the user's PPRRVU file knows: cptref has no words of its own for the
code, and the short descriptor (AMA text) is not a title; it is given apart, labelled."""


class ShortDescriptor(Struct, frozen=True):
    """A PPRRVU short descriptor, from the user's own file: AMA licensed text, to be shown labelled."""

    text: str
    file: str
    licence: str


class Result(Struct, frozen=True):
    """One ranked code: its score (0-100) and the indexed words that matched, by field.

    ``origin`` says what found it: ``cptref``, its record's own words (and the user's licensed
    descriptor file); ``pprrvu``, the code or the short descriptor in the user's PPRRVU file
    (``search --cms``), whose text is then ``short_descriptor``. ``record``: whether cptref has a
    record of the code (False only for a code the PPRRVU file alone knows). ``confident``: the score
    is at least :data:`CONFIDENT`; a result below it is a weak match."""

    code: str
    title: str
    score: float
    matched: dict[str, list[str]] = field(default_factory=dict)
    record: bool = True
    origin: Literal["cptref", "pprrvu"] = "cptref"
    short_descriptor: ShortDescriptor | None = None

    @property
    def confident(self) -> bool:
        """Whether the score clears :data:`CONFIDENT`: the words name this code, not only some of it."""
        return self.score >= CONFIDENT


class _Term(Struct, frozen=True):
    text: str
    alternatives: tuple[tuple[str, ...], ...]
    weights: tuple[float, ...]
    """What a match of each alternative is worth (1.0 but for a broader word)."""
    code: bool = False
    action: str | None = None
    """The action the term names ("remove": removal), unless negated."""


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
    if not WORD.search(query.lower()):
        raise UsageError(f"the query {query.strip()!r} has no word of the letters a-z or digits 0-9 to search for")
    found = tokens(query)
    terms: list[_Term] = []
    at = 0
    while at < len(found):
        raw, negated = found[at]
        if _CODE_TOKEN.match(raw) and raw[0].isdigit():
            terms.append(_Term(raw, ((raw,),), (1.0,), code=True))
            at += 1
            continue
        size, key = 1, stem(raw)
        for longer in range(min(_PHRASE_WORDS, len(found) - at), 1, -1):  # the longest phrase of ALIASES here
            part = found[at : at + longer]
            phrase = " ".join(stem(w) for w, n in part)
            if phrase in _ALIASES and all(n == negated for _, n in part):
                size, key = longer, phrase
                break
        alternatives: dict[tuple[str, ...], float] = {tuple(key.split()): 1.0}
        action = _ACTION_OF.get(key)
        more = [*_ALIASES.get(key, ()), *(((noun,), 1.0) for noun in _ACTION_NOUNS.get(action or "", ()))]
        for alt, weight in more:
            alternatives[alt] = max(weight, alternatives.get(alt, 0.0))
        if negated:
            alternatives = {tuple(NEGATED + w for w in alt): weight for alt, weight in alternatives.items()}
        text = " ".join(w for w, _ in found[at : at + size])
        terms.append(_Term(text, tuple(alternatives), tuple(alternatives.values()), action=None if negated else action))
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
    (:func:`cptref.text.dictionary`) is neither completed nor corrected: "port" is no misspelling of
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


# --- scoring in bulk ---------------------------------------------------------------------------
#
# A set of documents is an int whose bit i stands for document i (documents are in code order), so
# an intersection or a difference over 100,000 records is one operation on 12.5 KB, not a Python
# loop over candidates. Each term becomes a few *levels*: disjoint sets of documents that get the
# same value for it. The best documents are then found by a best-first walk over the choices of one
# level per term: it follows only the combinations whose bound can still reach the top ``limit``,
# and drops any that no document satisfies.


class _Level(Struct, frozen=True):
    """The documents whose best match for a term is in one field, with that match's value."""

    value: float
    name: str
    docs: int
    words: tuple[str, ...] = ()
    """The indexed word matched (a single word); empty for an expansion or a code, whose words are
    worked out for the results alone (:func:`_matched`)."""
    alternative: int = 0


_Group = tuple[float, int, int, int, str, tuple[str, ...], int]
"""(-value, alternative, field order, rank of the indexed word, field, words, documents)."""
_FIELD_ORDER = {name: i for i, name in enumerate(TEXT_FIELDS)}


def _claim(groups: list[_Group]) -> list[_Level]:
    """Each document's best group, as levels: the groups are taken best first (value, then the
    earlier alternative, field and indexed word), each keeping the documents no better one holds."""
    groups.sort(key=lambda g: g[:4])
    claimed = 0
    levels: list[_Level] = []
    for negative, alternative, _, _, name, found, docs in groups:
        fresh = docs & ~claimed
        if fresh:
            levels.append(_Level(-negative, name, fresh, found, alternative))
            claimed |= docs
    return levels


def _word_groups(
    word: str, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, int]]
) -> list[tuple[float, int, str, str, int]]:
    """(similarity, rank, field, indexed word, documents) for each field of each indexed word
    that ``word`` matches."""
    return [
        (sim, rank, name, other, docs)
        for rank, (other, sim) in enumerate(matches[word].items())
        for name, docs in postings.get(other, {}).items()
    ]


def _expansion_sums(found: list[list[_Level]]) -> dict[tuple[float, int], int]:
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


def _text_levels(
    term: _Term, matches: dict[str, dict[str, float]], postings: dict[str, dict[str, int]]
) -> list[_Level]:
    groups: list[_Group] = []
    for alternative, (alt, weight) in enumerate(zip(term.alternatives, term.weights, strict=True)):
        if len(alt) == 1:
            for sim, rank, name, other, docs in _word_groups(alt[0], matches, postings):
                value = FIELD_WEIGHTS[name] * sim * weight
                groups.append((-value, alternative, _FIELD_ORDER[name], rank, name, (other,), docs))
            continue
        # an expansion: the mean of its words' similarities, field by field; an alias must match
        # more than half of its words in one field, the phrase typed may match any of them
        per_word = [_word_groups(word, matches, postings) for word in alt]
        for name in TEXT_FIELDS:
            found = [
                _claim(
                    [(-sim, 0, 0, rank, field, (), docs) for sim, rank, field, _, docs in groups_of if field == name]
                )
                for groups_of in per_word
            ]
            for (total, count), docs in _expansion_sums(found).items():
                if alternative and 2 * count <= len(alt):
                    continue  # an alias half matched ("duct" of "bile duct") is not the alias
                value = FIELD_WEIGHTS[name] * total / len(alt) * weight
                groups.append((-value, alternative, _FIELD_ORDER[name], 0, name, (), docs))
    return _claim(groups)


def _code_levels(term: _Term, codes: Sequence[str]) -> list[_Level]:
    prefix = term.text.upper()
    start = bisect.bisect_left(codes, prefix)
    end = bisect.bisect_left(codes, prefix + "\uffff", start)
    if start == end:
        return []
    levels: list[_Level] = []
    if codes[start] == prefix:
        levels.append(_Level(FIELD_WEIGHTS["code"], "code", 1 << start))
        start += 1
    if start < end:
        levels.append(_Level(0.9 * FIELD_WEIGHTS["code"], "code", ((1 << (end - start)) - 1) << start))
    return levels


_TIES = 2000
"""The most tied documents whose titles are read to break their tie; a larger tie keeps code order."""
_EPSILON = 1e-9
"""Slack for bounds summed in another order than the exact totals (a few units of the last place)."""


def _top(
    per_term: list[list[_Level]],
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
            ordered = list(itertools.islice(_ids(docs), wanted))
        else:
            members = list(_ids(docs))
            ordered = [doc for _, doc in sorted(zip(unsaid(members), members, strict=True))][:wanted]
        ranked.extend((score, titles, doc) for doc in ordered)
    return ranked


def _other_action(actions: set[str], postings: dict[str, dict[str, int]]) -> int:
    """The documents whose title names an action, but none of ``actions``."""
    titled = dict.fromkeys(ACTIONS, 0)
    for word, action in _ACTION_OF.items():
        titled[action] |= postings.get(word, {}).get("title", 0)
    wanted = set(actions)
    for whole, parts in _SUBSUMED.items():
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
    """What ranking reads of a set of documents: a catalog's store (:mod:`cptref.store`), or the
    words of the user's PPRRVU file (:class:`cptref.cms.wordindex.WordIndex`)."""

    def vocabulary(self) -> Sequence[str]: ...
    def postings(self, wanted: Iterable[str], fields: Sequence[str] = ...) -> dict[str, dict[str, int]]: ...
    def doc_codes(self) -> Sequence[str]: ...
    def deleted_docs(self) -> int: ...


class _Ranking(Struct, frozen=True):
    """The best documents of one index for the terms, and what is needed to say why each matched."""

    top: list[tuple[float, int, int]]
    codes: Sequence[str]
    terms: list[_Term]
    per_term: list[list[_Level]]
    matches: dict[str, dict[str, float]]
    postings: dict[str, dict[str, int]]

    def matched(self, doc: int) -> dict[str, list[str]]:
        return _matched(doc, self.terms, self.per_term, self.codes, self.matches, self.postings)

    def union(self) -> int:
        """Every document some term matches (whether or not it made the top)."""
        found = 0
        for levels in self.per_term:
            for level in levels:
                found |= level.docs
        return found


def _rank(
    index: Index,
    terms: list[_Term],
    limit: int,
    left_out: int = 0,
    titles: Callable[[Sequence[int]], list[str]] | None = None,
) -> _Ranking:
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
    per_term = [_code_levels(term, codes) if term.code else _text_levels(term, matches, postings) for term in terms]
    demoted = [(index.deleted_docs(), DELETED_WEIGHT)]
    titled = index.postings(_ACTION_OF, ("title",)) if actions or titles is not None else {}
    if actions:
        demoted.append((_other_action(actions, titled), OTHER_ACTION))
    unsaid = None
    if titles is not None and not all(term.code for term in terms):  # codes alone keep code order
        said = {other for found in matches.values() for other in found}
        other = _other_action(actions or {DEFAULT_ACTION}, titled)
        read = titles

        def unsaid(docs: list[int]) -> list[tuple[int, int]]:
            return [(other >> doc & 1, len(set(words(t)) - said)) for doc, t in zip(docs, read(docs), strict=True)]

    top = _top(per_term, demoted, 100.0 / len(terms), limit, left_out, unsaid)
    return _Ranking(top, codes, terms, per_term, matches, postings)


def search(catalog: Catalog, query: str, limit: int = 10, cms: CmsTables | None = None) -> list[Result]:
    """Records ranked best first for ``query``; raises :class:`NoMatch` when none matches.

    With ``cms`` (the user's CMS tables) holding a PPRRVU file, the codes of that file are searched
    too, by code and by short descriptor (:func:`_with_pprrvu`): the records keep their scores and
    their order, and a code found there takes its place among them by its score."""
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, got {limit}")
    terms = parse_query(query)
    store = catalog.store
    records = _rank(store, terms, limit, titles=store.doc_titles)
    docs = [doc for _, _, doc in records.top]
    titles = store.doc_titles(docs)
    results = [
        Result(records.codes[doc], title, round(score, 1), records.matched(doc))
        for (score, _, doc), title in zip(records.top, titles, strict=True)
    ]
    index = cms.word_index() if cms is not None else None
    if cms is not None and index is not None:
        results = _with_pprrvu(results, records, catalog, cms, index, limit)
    if not results:
        raise OutOfScope(query.strip(), scope(catalog), pprrvu=index is not None)
    return results


class OutOfScope(NoMatch):
    """No code matches the query, or none well enough to be meant by it (no confident result): the
    message says so, names the nearest weak match if there is one, and says what the library covers."""

    def __init__(self, query: str, covers: str, best: Result | None = None, pprrvu: bool = False) -> None:
        self.query = query
        self.best = best
        where = "cptref's library or your PPRRVU file" if pprrvu else "cptref's library"
        weak = f" (the nearest, {best.code}, scores {best.score:g} of {CONFIDENT:g} needed)" if best else ""
        CptrefError.__init__(self, f"no code in {where} matches {quoted(query)}{weak}; it covers {covers}")


def confident(catalog: Catalog, query: str, results: Sequence[Result]) -> Sequence[Result]:
    """``results`` when the query is within what the search can answer: some result is confident, or
    comes from the user's PPRRVU file (``--cms``: those are answered as found). Otherwise raises
    :class:`OutOfScope`: weak matches alone do not answer a query about something the library lacks."""
    if not results or any(r.confident or r.origin == "pprrvu" for r in results):
        return results
    raise OutOfScope(query.strip(), scope(catalog), results[0])


def scope(catalog: Catalog, most: int = 6) -> str:
    """What the library covers, in a phrase: its codes, the organs of its surgical families and the
    other sections it reaches ("82 codes of biliary tract, kidney, ureter and bladder procedures and
    radiology (`cptref families`)"), read off the first record of each family."""
    organs: list[str] = []
    sections: list[str] = []
    for family in sorted(catalog.families.values(), key=lambda f: (f.ranges[0], f.id)):
        record = catalog.store.get(family.ranges[0].partition("-")[0])
        if record is None or not record.section:
            continue
        section = record.section
        if section[0].lower() == "surgery" and len(section) >= 3:
            organ = section[2].lower()
            if organ not in organs:
                organs.append(organ)
        elif section[0].lower() not in sections:
            sections.append(section[0].lower())
    listed = "(`cptref families`)"
    if not organs and not sections:
        return f"{catalog.coverage()} {listed}"
    if len(organs) > most:
        organs = [*organs[: most - 1], "other"]
    what = f"{_joined(organs)} procedures" if organs else ""
    what = _joined([what, *sections] if what else sections)
    return f"{len(catalog)} codes of {what} {listed}"


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _with_pprrvu(
    results: list[Result], records: _Ranking, catalog: Catalog, cms: CmsTables, index: Index, limit: int
) -> list[Result]:
    """``results`` (the records' own) merged with the codes the PPRRVU file finds: those cptref has no
    record of, and records that no word of their own matches. A record its own words match is left
    to them, so its score and its place among the records stay what they are without the file. The
    merge is by score; on a tie, the record found by its own words comes first."""
    from cptref.cms.sources import on_disk

    table_codes = index.doc_codes()
    known = bytearray((len(table_codes) >> 3) + 1)
    for doc in _ids(records.union()):
        code = records.codes[doc]
        at = bisect.bisect_left(table_codes, code)
        if at < len(table_codes) and table_codes[at] == code:
            known[at >> 3] |= 1 << (at & 7)
    table = _rank(index, records.terms, limit, int.from_bytes(known, "little"))
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


def _ids(bits: int) -> Iterator[int]:
    """The positions of the set bits of ``bits``, ascending (a byte at a time: no per-bit big-int work)."""
    data = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    for at, byte in enumerate(data):
        while byte:
            low = byte & -byte
            yield at * 8 + low.bit_length() - 1
            byte ^= low


def _matched(
    doc: int,
    terms: list[_Term],
    per_term: list[list[_Level]],
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
                    for sim, rank, name, other, docs in _word_groups(word, matches, postings)
                    if name == level.name and docs >> doc & 1
                )
                if groups:
                    hits += (groups[0][2],)
        bucket = matched.setdefault(level.name, [])
        shown = (f"no {hit[len(NEGATED) :]}" if hit.startswith(NEGATED) else hit for hit in hits)
        bucket.extend(hit for hit in shown if hit not in bucket)
    return matched
