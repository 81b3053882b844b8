"""What search answers, and when it has no answer.

A :class:`Result` is one ranked code with its score (0-100) and the words that matched; it is
confident at :data:`CONFIDENT` or more. A query no result answers with confidence is about something
the library does not cover: :class:`OutOfScope` says so, with what the library covers (:func:`scope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from msgspec import Struct, field

from cptref.errors import CptrefError, NoMatch, quoted

if TYPE_CHECKING:
    from cptref.library.catalog import Catalog


CONFIDENT = 85.0
"""The score from which a result is confident: the query's words name this code. Below it a
result is a weak match: some word of the query matches nothing in the code (in a query of up to
six words: five of six words is 83.3), or matches only loosely (only in the lay summary, worth half
a word, in a query of up to three words: 83.3), or the code's title names another action than the
query's (x 0.8). A deleted code that matches every word (x 0.9) stays confident."""


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


NO_RECORD_TITLE = "(no cptref record; found in your PPRRVU file)"
"""The title of a result only the user's PPRRVU file knows: cptref has no words of its own for the
code, and the short descriptor (AMA text) is not a title; it is given apart, labelled."""
