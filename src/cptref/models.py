"""The record types of the library: frozen, keyword-only msgspec Structs, no I/O.

The loader validates plain YAML-loaded mappings into these types with msgspec; the field names
are the contract of DATA.md and of the JSON output. A Struct is msgspec's dataclass: typed,
immutable fields with defaults, equality and hashing; it is used instead of the standard library's
dataclass because creating the classes costs 30 times less at import (about 5 ms of every
command) and the compiled index decodes into it directly.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from msgspec import Meta, Struct

CODE_PATTERN = r"^[0-9]{4}[0-9A-Z]$"
"""Four ASCII digits then a digit or an upper-case letter (47542, 0213T). Not ``\\d``: that
also matches Unicode digits."""
CODE_RE = re.compile(CODE_PATTERN)
""":data:`CODE_PATTERN`, compiled: the one code regex every module uses."""

Code = Annotated[str, Meta(pattern=CODE_PATTERN)]
Confidence = Literal["high", "medium", "low"]
SourceIds = Annotated[tuple[Annotated[str, Meta(min_length=1)], ...], Meta(min_length=1)]
Text = Annotated[str, Meta(min_length=1)]
Codes = Annotated[tuple[Code, ...], Meta(min_length=1)]

CONFIDENCES: tuple[Confidence, ...] = ("high", "medium", "low")


class AddOn(Struct, frozen=True, kw_only=True):
    """This code is an add-on: reported only in addition to one of ``primaries``."""

    primaries: tuple[Code, ...] = ()
    note: str | None = None
    sources: SourceIds
    confidence: Confidence


class Rule(Struct, frozen=True, kw_only=True):
    """A service bundled into the code (``includes``) or reported in addition (``report_with``)."""

    what: Text
    codes: tuple[Code, ...] = ()
    sources: SourceIds
    confidence: Confidence
    note: str | None = None


class NotWith(Struct, frozen=True, kw_only=True):
    """Codes that are not reported together with this one (within ``scope`` when given)."""

    codes: Codes
    scope: str | None = None
    reason: Text
    sources: SourceIds
    confidence: Confidence
    note: str | None = None


GlobalPeriod = Literal["000", "010", "090", "XXX", "YYY", "ZZZ"]


class Medicare(Struct, frozen=True, kw_only=True):
    """Medicare values a source gives; each optional (absent = not recorded)."""

    global_period: GlobalPeriod | None = None
    mue: Annotated[int, Meta(ge=0)] | None = None
    sources: SourceIds
    confidence: Confidence
    note: str | None = None


class HistoryEntry(Struct, frozen=True, kw_only=True):
    """One event in the code's life, by CPT year."""

    year: Annotated[int, Meta(ge=1966, le=2100)]
    change: Literal["added", "revised", "deleted"]
    sources: SourceIds
    confidence: Confidence
    note: str | None = None


class Lay(Struct, frozen=True, kw_only=True):
    """Plain-language sections, in the project's own words."""

    summary: str | None = None
    purpose: str | None = None
    indications: tuple[str, ...] = ()
    preparation: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    duration: str | None = None
    setting: str | None = None
    personnel: tuple[str, ...] = ()
    risks: tuple[str, ...] = ()
    benefits: tuple[str, ...] = ()
    recovery: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    patient_experience: str | None = None


LAY_SECTIONS: tuple[str, ...] = (
    "summary",
    "purpose",
    "indications",
    "preparation",
    "steps",
    "duration",
    "setting",
    "personnel",
    "risks",
    "benefits",
    "recovery",
    "alternatives",
    "patient_experience",
)


class Procedure(Struct, frozen=True, kw_only=True):
    """One code's record (``data/procedures/<CODE>.yaml``)."""

    code: Code
    status: Literal["active", "deleted"]
    title: Annotated[str, Meta(min_length=1, max_length=100)]
    descriptor: Text
    section: Annotated[tuple[Text, ...], Meta(min_length=1)]
    family: str | None = None
    units: str | None = None
    synonyms: tuple[Text, ...] = ()
    add_on: AddOn | None = None
    includes: tuple[Rule, ...] = ()
    report_with: tuple[Rule, ...] = ()
    not_with: tuple[NotWith, ...] = ()
    medicare: Medicare | None = None
    history: tuple[HistoryEntry, ...] = ()
    replaced_by: tuple[Code, ...] = ()
    related: tuple[Code, ...] = ()
    lay: Lay | None = None
    note: str | None = None


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

    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: Text
    ranges: Annotated[
        tuple[Annotated[str, Meta(pattern=r"^[0-9]{4}[0-9A-Z](-[0-9]{4}[0-9A-Z])?$")], ...], Meta(min_length=1)
    ]
    description: str | None = None
    includes: tuple[Rule, ...] = ()
    report_with: tuple[Rule, ...] = ()
    not_with: tuple[NotWith, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    sources: tuple[str, ...] = ()
    note: str | None = None


class Source(Struct, frozen=True, kw_only=True):
    """A place a fact was read (``data/sources.yaml``)."""

    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: Text
    publisher: str | None = None
    url: str | None = None
    kind: SourceKind
    note: str | None = None
