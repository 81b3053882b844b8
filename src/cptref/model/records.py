"""The record types of the library: frozen, keyword-only msgspec Structs, no I/O.

The loader validates plain YAML-loaded mappings into these types with msgspec; the field names
are the contract of docs/DATA.md and of the JSON output. A Struct is msgspec's dataclass: typed,
immutable fields with defaults, equality and hashing; it is used instead of the standard library's
dataclass because creating the classes costs 30 times less at import (about 5 ms of every
command) and the compiled index decodes into it directly.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from msgspec import Meta, Struct

from .codes import END, RANGE_PATTERN, Code

Confidence = Literal["high", "medium", "low"]
SourceIds = Annotated[tuple[Annotated[str, Meta(min_length=1)], ...], Meta(min_length=1)]
Text = Annotated[str, Meta(min_length=1)]
Codes = Annotated[tuple[Code, ...], Meta(min_length=1)]

CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


def about(text: str) -> Meta:
    """A field's description: what ``cptref schema`` says of the key in JSON output."""
    return Meta(description=text)


SOURCES = about("Ids of the sources that state this fact (keys of show's sources map).")
CONFIDENCE = about("How sure the sources are of this fact: high, medium or low (low facts are marked in text).")
NOTE = about("A remark on this fact in cptref's own words, or null.")


class AddOn(Struct, frozen=True, kw_only=True):
    """The code is an add-on: reported only in addition to one of its primary procedures."""

    primaries: Annotated[
        tuple[Code, ...], about("The primary codes this add-on is reported with; [] when no source lists them.")
    ] = ()
    primaries_confidence: Annotated[
        Confidence | None,
        about(
            "How sure the sources are of the primaries list when it is less sure than the add-on status itself "
            "(low: only an AI-generated page lists them); null: as sure as the add-on status (confidence)."
        ),
    ] = None
    note: Annotated[str | None, NOTE] = None
    sources: Annotated[SourceIds, SOURCES]
    confidence: Annotated[
        Confidence,
        about(
            "How sure the sources are that the code is an add-on: high, medium or low (low facts are marked in text)."
        ),
    ]


class ServiceRule(Struct, frozen=True, kw_only=True):
    """A service the code includes (includes) or is reported with (report_with)."""

    what: Annotated[Text, about("The service, in words.")]
    codes: Annotated[
        tuple[Code, ...], about("The codes of the service, when known; [] when no source names them.")
    ] = ()
    scope: Annotated[
        str | None, about('Where the rule holds ("same kidney": not a study of the other kidney), or null: always.')
    ] = None
    sources: Annotated[SourceIds, SOURCES]
    confidence: Annotated[Confidence, CONFIDENCE]
    note: Annotated[str | None, NOTE] = None


class NotWith(Struct, frozen=True, kw_only=True):
    """Codes that are not reported together with this one (within scope when given)."""

    codes: Annotated[Codes, about("The codes not reported together with this one.")]
    scope: Annotated[str | None, about('Where the rule holds ("same duct", "same session"), or null: always.')] = None
    modifier_indicator: Annotated[
        Literal["0", "1", "9"] | None,
        about(
            "The NCCI modifier indicator a source gives for the pair: 0, no modifier allows both; 1, a "
            "distinct-service modifier (59, XE, XS, XP, XU) allows both when documented; 9, the edit does "
            "not apply. null when no source gives one."
        ),
    ] = None
    reason: Annotated[Text, about("Why, in cptref's own words.")]
    sources: Annotated[SourceIds, SOURCES]
    confidence: Annotated[Confidence, CONFIDENCE]
    note: Annotated[str | None, NOTE] = None


GlobalPeriod = Literal["000", "010", "090", "XXX", "YYY", "ZZZ"]


class Medicare(Struct, frozen=True, kw_only=True):
    """Medicare values a source gives; each may be null (not recorded)."""

    global_period: Annotated[
        GlobalPeriod | None,
        about("The global surgery period (000, 010, 090, XXX, YYY, ZZZ), or null when not recorded."),
    ] = None
    mue: Annotated[
        Annotated[int, Meta(ge=0)] | None,
        about("Medically unlikely edit: the most units a day, or null when not recorded."),
    ] = None
    sources: Annotated[SourceIds, SOURCES]
    confidence: Annotated[Confidence, CONFIDENCE]
    note: Annotated[str | None, NOTE] = None


class HistoryEntry(Struct, frozen=True, kw_only=True):
    """One event in the code's life, by CPT year."""

    year: Annotated[int, Meta(ge=1966, le=2100), about("The CPT year of the change.")]
    change: Annotated[Literal["added", "revised", "deleted"], about("added, revised or deleted.")]
    sources: Annotated[SourceIds, SOURCES]
    confidence: Annotated[Confidence, CONFIDENCE]
    note: Annotated[str | None, NOTE] = None


Sentences = tuple[str, ...]


class Lay(Struct, frozen=True, kw_only=True):
    """Plain-language sections in cptref's own words; null or [] when not written."""

    summary: Annotated[str | None, about("What is done, in a few sentences.")] = None
    purpose: Annotated[str | None, about("Why it is done.")] = None
    indications: Annotated[Sentences, about("When it is done.")] = ()
    preparation: Annotated[Sentences, about("What happens before.")] = ()
    steps: Annotated[Sentences, about("What happens, step by step.")] = ()
    duration: Annotated[str | None, about("How long it takes.")] = None
    setting: Annotated[str | None, about("Where it is done.")] = None
    personnel: Annotated[Sentences, about("Who does it.")] = ()
    risks: Annotated[Sentences, about("What can go wrong.")] = ()
    benefits: Annotated[Sentences, about("What it achieves.")] = ()
    recovery: Annotated[Sentences, about("What happens after.")] = ()
    alternatives: Annotated[Sentences, about("What else could be done.")] = ()
    patient_experience: Annotated[str | None, about("What the patient feels and notices.")] = None


LAY_SECTIONS: tuple[str, ...] = Lay.__struct_fields__
"""The plain-language sections, in reading order (what ``show --full`` prints)."""


class Procedure(Struct, frozen=True, kw_only=True):
    """One code's record as the library holds it (``data/procedures/<CODE>.yaml``)."""

    code: Annotated[Code, about("The CPT code: four digits then a digit or a capital letter (47555, 0213T).")]
    status: Annotated[
        Literal["active", "deleted"],
        about("active, or deleted (a deleted code names its replacements in replaced_by)."),
    ]
    title: Annotated[str, Meta(min_length=1, max_length=100), about("A short title in cptref's own words.")]
    descriptor: Annotated[Text, about("What the code covers, in cptref's own words; not the AMA descriptor.")]
    section: Annotated[
        tuple[Text, ...], Meta(min_length=1), about("Where the code sits in the code set, broadest first.")
    ]
    family: Annotated[str | None, about("The code family whose rules apply to this code, or null.")] = None
    units: Annotated[
        str | None, about('What one unit counts ("each duct"), or null: the code is reported once per session.')
    ] = None
    synonyms: Annotated[tuple[Text, ...], about("Other names and abbreviations the code is found by.")] = ()
    add_on: Annotated[
        AddOn | None, about("Set when the code is an add-on (reported only with a primary procedure); null otherwise.")
    ] = None
    includes: Annotated[
        tuple[ServiceRule, ...], about("Services this code already includes (not reported separately).")
    ] = ()
    report_with: Annotated[tuple[ServiceRule, ...], about("Services reported in addition to this code.")] = ()
    not_with: Annotated[tuple[NotWith, ...], about("Codes not reported together with this one.")] = ()
    medicare: Annotated[
        Medicare | None, about("Medicare values (global period, MUE), or null when none is recorded.")
    ] = None
    history: Annotated[
        tuple[HistoryEntry, ...], about("Events in the code's life (added, revised, deleted), by CPT year.")
    ] = ()
    replaced_by: Annotated[tuple[Code, ...], about("For a deleted code, the codes that replace it; [] otherwise.")] = ()
    related: Annotated[tuple[Code, ...], about("Codes worth reading beside this one.")] = ()
    lay: Annotated[
        Lay | None, about("Plain-language sections (what show --full prints), or null when none is written.")
    ] = None
    note: Annotated[str | None, about("A remark on the record, or null.")] = None


SourceKind = Literal["official", "society", "publisher", "vendor", "ai-generated", "seed", "secondary"]
"""Who stands behind a source: ``official`` (CMS, AMA, NCCI), ``society`` (SIR, ACR), ``publisher``
(coding publishers: AAPC, Medlearn, Coding Ahead), ``vendor`` (a billing or software company's
pages), ``ai-generated`` (a page written by a language model: a fact it alone supports is low
confidence at most), ``seed`` (the pages the project began from). ``secondary`` is the one kind
of earlier data (a publisher or vendor not yet told apart); the shipped data no longer uses it."""


class Family(Struct, frozen=True, kw_only=True):
    """A group of codes (``data/families.yaml``) and the rules that hold for every member.

    A member names its family with ``family: <id>``; the family's ``includes``, ``report_with`` and
    ``not_with`` apply to each member without being copied into each record.
    """

    id: Annotated[str, Meta(pattern=rf"^[a-z0-9][a-z0-9-]*{END}")]
    title: Text
    ranges: Annotated[tuple[Annotated[str, Meta(pattern=RANGE_PATTERN)], ...], Meta(min_length=1)]
    description: str | None = None
    includes: tuple[ServiceRule, ...] = ()
    report_with: tuple[ServiceRule, ...] = ()
    not_with: tuple[NotWith, ...] = ()
    decide_with: Annotated[
        tuple[Annotated[str, Meta(pattern=rf"^[a-z0-9][a-z0-9-]*{END}")], ...],
        about(
            "The families (this one too, when it names itself) whose codes the library must decide against this "
            "family's codes: for each such pair of active codes a sourced fact says they are included, not reported "
            "together or reported together; a pair no fact decides is undecided (Catalog.undecided). [] when no pair "
            "of this family needs a decision."
        ),
    ] = ()
    history: tuple[HistoryEntry, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None


Quarter = Annotated[str, Meta(pattern=rf"^20[0-9]{{2}}Q[1-4]{END}")]
"""A calendar quarter as CMS names its quarterly tables: ``2026Q2`` (1 April to 30 June 2026)."""


def quarter_bounds(year: int, number: int) -> tuple[date, date]:
    """The first and last day of a calendar quarter (2026, 2: 1 April and 30 June 2026)."""
    first = date(year, 3 * number - 2, 1)
    last = date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1) - timedelta(days=1)
    return first, last


class EditTable(Struct, frozen=True, kw_only=True):
    """The official CMS edit table a source is (one quarter's file): a library fact citing it was read
    from the edits themselves, so ``check`` counts it as the official edits' answer, for dates of
    service in that quarter only (what the file says of later quarters is not known)."""

    kind: Annotated[
        Literal["ptp", "mue", "aoc"],
        about("ptp (NCCI procedure-to-procedure edits), mue (medically unlikely edits) or aoc (add-on code edits)."),
    ]
    setting: Annotated[
        Literal["practitioner", "outpatient_hospital", "all"],
        about("The setting of the table: practitioner, outpatient_hospital, or all (the AOC table)."),
    ]
    quarter: Annotated[Quarter, about("The quarter the file is for (2026Q2): the dates it answers for.")]


class Source(Struct, frozen=True, kw_only=True):
    """A place a fact was read (``data/sources.yaml``)."""

    id: Annotated[str, Meta(pattern=rf"^[a-z0-9][a-z0-9-]*{END}"), about("The source id facts cite.")]
    title: Annotated[Text, about("The source's title.")]
    publisher: Annotated[str | None, about("Who published it, or null.")] = None
    url: Annotated[str | None, about("Where to read it, or null.")] = None
    kind: Annotated[
        SourceKind,
        about("Who stands behind it: official, society, publisher, vendor, ai-generated, seed or secondary."),
    ]
    table: Annotated[
        EditTable | None,
        about("For a CMS edit table (kind official): which table and quarter it is; null for any other source."),
    ] = None
    note: Annotated[str | None, about("A remark on the source, or null.")] = None
