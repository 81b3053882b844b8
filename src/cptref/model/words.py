"""Words as search sees them: lower-case, punctuation-free, lightly stemmed, stopwords dropped.

One definition for the index and the query, so that both sides of a match agree:

- shorthand written with a slash is spelt out first: ``w/o`` without, ``w/`` with, ``int/ext``,
  ``int-ext`` and ``I/E`` internal external, ``u/s`` ultrasound;
- a negation covers the words after it: "no stent", "without a separate drain", "not including
  imaging". A negated word is kept as ``~word`` (``~stent``), a word of its own: "stent" does not
  match a drain "without stent", while "no stent" in a query matches it. The negation runs over
  the articles and the words that only lead up to what is negated (separate, new, including...)
  to the first other word, and on through "or" ("no stent or drain"); a punctuation mark, "and",
  "with" or "but" ends it.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .records import Procedure

STOPWORDS = frozenset(
    [
        *("a", "an", "and", "or", "of", "the", "to", "in", "into", "on", "for", "with", "without", "by"),
        *("via", "per", "each", "any", "is", "are", "be", "this", "that"),
    ]
)
WORD = re.compile(r"[a-z0-9]+")
NEGATED = "~"
"""The mark of a negated word (``~stent``): a character no word has, sorted after every word."""
NEGATORS = frozenset(["no", "not", "without", "non", "never", "excluding"])
_LEADING = frozenset(
    [
        *("separate", "new", "additional", "further", "other", "second", "more", "extra"),
        *("including", "include", "includes", "involving", "requiring", "using", "leaving", "placing"),
    ]
)
"""Words a negation runs over to reach what it negates: "no separate drain", "not including imaging"."""
_ENDS = frozenset(["and", "with", "but", "plus", "then", "while", "which", "when", "where", "if", "so"])
_ALTERNATIVES = frozenset(["or", "nor"])
_SHORTHAND = re.compile(
    r"\b(?:(?P<without>w/o(?:ut)?\b)|(?P<with>w/)|(?P<ie>(?:int|internal)\s*[/-]\s*(?:ext|external)\b|i\s*/\s*e\b)"
    r"|(?P<ei>(?:ext|external)\s*[/-]\s*(?:int|internal)\b)|(?P<us>u\s*/\s*s\b))"
)
_SPELT = {"without": " without ", "with": " with ", "ie": " internal external ", "ei": " external internal "}
_SPELT["us"] = " ultrasound "
_NEGATION = re.compile(r"\b(?:" + "|".join(sorted(NEGATORS)) + r")\b")
_TOKEN = re.compile(r"[a-z0-9]+|[^a-z0-9\s/&'-]")
"""A word, or a punctuation mark that ends a negation (a comma, a full stop, a bracket...)."""


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[tuple[str, bool]]:
    """The words of ``text`` in order, lower-case and not stemmed, each with whether a negation
    covers it; stopwords and the negating words themselves are left out."""
    text = text.lower().replace("&", "")
    if "/" in text or "-" in text:
        text = _SHORTHAND.sub(lambda m: _SPELT[m.lastgroup or ""], text)
    if not _NEGATION.search(text):  # most text: no negation to follow
        return [(word, False) for word in WORD.findall(text) if word not in STOPWORDS]
    found: list[tuple[str, bool]] = []
    negating = False  # inside a negation, before the word it negates
    after = False  # just past the negated word: "or" carries the negation on
    for match in _TOKEN.finditer(text):
        word = match.group()
        if not word[0].isalnum():
            negating = after = False
            continue
        if word in NEGATORS:
            negating, after = True, False
            continue
        if after:
            after = False
            if word in _ALTERNATIVES:
                negating = True
                continue
        if word in _ENDS:
            negating = False
        if word in STOPWORDS:
            continue
        found.append((word, negating))
        if negating and word not in _LEADING:
            negating, after = False, True
    return found


def words(text: str) -> list[str]:
    """The indexed words of ``text``, in order (repeats kept): stemmed, negated ones marked ``~``."""
    return [NEGATED + stem(w) if negated else stem(w) for w, negated in tokens(text)]


def field_words(record: Procedure, official: str | None = None) -> dict[str, set[str]]:
    """The indexed words of each text field search reads (the index's field ids:
    :data:`cptref.library.index.postings.INDEXED_FIELDS`). What the title negates ("..., no stent") the record is
    not about: a mention of it elsewhere ("the version with a stent is 47556") is not indexed."""
    summary = record.lay.summary if record.lay and record.lay.summary else ""
    title = set(words(record.title))
    unsaid = {w[len(NEGATED) :] for w in title if w.startswith(NEGATED)}
    found = {
        "title": title,
        "synonyms": {w for s in record.synonyms for w in words(s)},
        "descriptor": set(words(record.descriptor)),
        "summary": set(words(summary)),
        "official": set(words(official or "")),
    }
    return {name: present - unsaid if name != "title" else present for name, present in found.items()}
