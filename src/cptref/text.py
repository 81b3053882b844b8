"""Words as search sees them: lower-case, punctuation-free, lightly stemmed, stopwords dropped.

One definition for the index and the query, so that both sides of a match agree.
"""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    [
        *("a", "an", "and", "or", "of", "the", "to", "in", "into", "on", "for", "with", "without", "by"),
        *("via", "per", "each", "any", "is", "are", "be", "this", "that"),
    ]
)
WORD = re.compile(r"[a-z0-9]+")


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


def words(text: str) -> list[str]:
    """The indexed words of ``text``, in order (repeats kept)."""
    text = text.lower().replace("&", "")
    return [stem(w) for w in WORD.findall(text) if w not in STOPWORDS]
