"""The JSON documents cptref prints, as typed msgspec Structs with a description on every key.

Each command's ``--json`` output is one of these (``--jsonl`` a line of them); ``cptref schema``
generates the JSON Schema from these very types (:mod:`cptref.output.schema`), and :mod:`cptref.output.to_documents`
builds them. A record's own fields (and their descriptions) come from :mod:`cptref.model.records`: a
:class:`ProcedureView` is a :class:`~cptref.model.records.Procedure` with its family's rules merged in and
what other records say about it.

Every key is present in the output: optional values are ``null`` or ``[]``, never missing.
``schema_version`` changes only when a field is removed or changes meaning.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from cptref.errors import Problem
from cptref.model.codes import Code
from cptref.model.records import SOURCES, Confidence, NotWith, Procedure, ServiceRule, Source, about

from .cms_documents import CmsReport, CmsSkipped, CmsTableRead, LicensedDescriptor, OfficialFacts

SCHEMA_VERSION = 1
SchemaVersion = Annotated[int, about("The version of this shape.")]
FAMILY = about("The id of the code family whose rule this is, or null when the record itself states it.")


class FamilyRef(Struct, frozen=True):
    """The code family the record belongs to."""

    id: Annotated[str, about("The family id.")]
    title: Annotated[str | None, about("The family's title, or null when the family has no entry in families.yaml.")]
    ranges: Annotated[list[str], about("The code ranges of the family (47531-47544).")]
    data_dir: Annotated[
        str | None,
        about(
            "The data directory that defines the family when it is not the shipped data (your overlay); null otherwise."
        ),
    ]


class RuleView(ServiceRule, frozen=True, kw_only=True):
    """A service the code includes (includes) or is reported with (report_with)."""

    family: Annotated[str | None, FAMILY] = None


class NotWithView(NotWith, frozen=True, kw_only=True):
    """Codes that are not reported together with this one (within scope when given)."""

    family: Annotated[str | None, FAMILY] = None


class OfficialDescriptor(Struct, frozen=True):
    """A licensed descriptor text from the user's own file."""

    text: Annotated[str, about("The descriptor text, as the user's file gives it.")]
    file: Annotated[str, about("The file it was read from.")]


class DerivedView(Struct, frozen=True):
    """A fact stated on another record (code), seen from the code it names."""

    code: Annotated[Code, about("The code whose record (or family) states the fact.")]
    title: Annotated[str | None, about("That code's title, or null when it has no record.")]
    what: Annotated[
        str | None,
        about("The fact's own words (the included or separately reported service, the reason), or null."),
    ]
    scope: Annotated[str | None, about("Where the fact holds (a not-reported-together rule's scope), or null.")]
    sources: Annotated[list[str], SOURCES]
    confidence: Annotated[
        Confidence, about("How sure the sources are of this fact: high, medium or low (low facts are marked in text).")
    ]
    note: Annotated[str | None, about("A remark on this fact in cptref's own words, or null.")]
    family: Annotated[str | None, FAMILY]


DerivedList = list[DerivedView]


class DerivedRelations(Struct, frozen=True):
    """What other records say about this code, computed when the library is loaded."""

    addons: Annotated[DerivedList, about("Add-ons that list this code as a primary: they may be reported with it.")]
    included_in: Annotated[DerivedList, about("Codes that include this one.")]
    reported_separately_with: Annotated[
        DerivedList, about("Codes this one is reported separately with (in addition to).")
    ]
    excluded_by: Annotated[DerivedList, about("Codes whose records say they are not reported together with this one.")]
    replaces: Annotated[DerivedList, about("Deleted codes this one replaces.")]


DERIVED_KEYS: tuple[str, ...] = DerivedRelations.__struct_fields__


class ProcedureView(Procedure, frozen=True, kw_only=True):
    """One code's record as the library holds it: its own fields, its family's rules merged in (marked
    with family), and derived, what other records say about it."""

    family: Annotated[FamilyRef | None, about("The code family whose rules apply to this code, or null.")] = None  # type: ignore[assignment]
    includes: Annotated[
        tuple[RuleView, ...],
        about(
            "Services this code already includes (not reported separately), from its record and from its "
            "family's rules (those carry family)."
        ),
    ] = ()
    report_with: Annotated[
        tuple[RuleView, ...],
        about("Services reported in addition to this code, from its record and its family's rules."),
    ] = ()
    not_with: Annotated[
        tuple[NotWithView, ...],
        about("Codes not reported together with this one, from its record and its family's rules."),
    ] = ()
    data_dir: Annotated[
        str | None,
        about("The data directory the record was read from (the top one that has it, when several are layered)."),
    ] = None
    official_descriptor: Annotated[
        OfficialDescriptor | None,
        about(
            "The official descriptor from the user's licensed descriptor file (--descriptors, "
            "CPTREF_DESCRIPTORS), or null: cptref ships no AMA text."
        ),
    ] = None
    derived: Annotated[
        DerivedRelations, about("What other records say about this code (add-ons that name it as a primary, ...).")
    ]


PROCEDURE_KEYS: tuple[str, ...] = ProcedureView.__struct_fields__


class UnknownView(Struct, frozen=True):
    """A code asked for that cptref's library (and your CMS tables, when loaded) has no record of, or
    a code prefix."""

    code: Annotated[
        str,
        about(
            "The code as asked for, trimmed and upper-cased (a claim line's modifiers and units dropped), or "
            "the prefix asked for (one to four digits)."
        ),
    ]
    nearest: Annotated[
        list[Code],
        about(
            "For a code: the known codes it may stand for (a typo of it, or codes of a family whose range holds "
            "it), nearest first; for a prefix: the codes it begins, in code order; [] when none is plausible."
        ),
    ]


class ShowDocument(Struct, frozen=True):
    """The records of the codes asked for, in the order asked, and every source they cite; the codes
    the library has no record of are listed apart (the exit status is then 1)."""

    schema_version: SchemaVersion
    procedures: Annotated[
        list[ProcedureView],
        about("One record a code, in the order the codes were given (a code only your CMS tables know has none)."),
    ]
    official: Annotated[
        list[OfficialFacts],
        about("What your CMS tables (--cms, CPTREF_CMS) say about each code asked for; [] when none is loaded."),
    ]
    sources: Annotated[dict[str, Source], about("Every source id cited in procedures, with the source it names.")]
    unknown: Annotated[
        list[UnknownView],
        about(
            "The codes asked for that have no record (nor a row of your CMS tables), and the code prefixes asked "
            "for, in the order given, each with the codes it may mean; [] when every code was found. When not "
            "empty, the exit status is 1."
        ),
    ]


class SearchResult(Struct, frozen=True):
    """One ranked code."""

    code: Annotated[Code, about("The code.")]
    title: Annotated[
        str,
        about(
            "Its title, in cptref's own words; for a code cptref has no record of (record false), a note "
            "saying so, since the short descriptor found in your PPRRVU file is AMA text (see short_descriptor)."
        ),
    ]
    score: Annotated[float, Meta(ge=0, le=100), about("How well the words match, 0 to 100; results come best first.")]
    matched: Annotated[
        dict[Literal["code", "title", "synonyms", "descriptor", "summary", "official", "short_descriptor"], list[str]],
        about(
            "For each field that matched (code, title, synonyms, descriptor, summary, official; short_descriptor: "
            "the short descriptor in your PPRRVU file), the indexed words that matched in it."
        ),
    ]
    record: Annotated[
        bool,
        about(
            "Whether cptref has a record of its own for the code (cptref show prints it); false for a code that "
            "only your PPRRVU file (--cms, CPTREF_CMS) knows."
        ),
    ]
    origin: Annotated[
        Literal["cptref", "pprrvu"],
        about(
            "What found the code: cptref, the words of its record (and of your licensed descriptor file); pprrvu, "
            "its code or short descriptor in your own PPRRVU file (--cms, CPTREF_CMS), searched for the codes "
            "cptref has no record of and for records that none of their own words match."
        ),
    ]
    short_descriptor: Annotated[
        LicensedDescriptor | None,
        about(
            "With origin pprrvu: the code's short descriptor from your PPRRVU file (AMA licensed text, with its "
            "file and licence); null otherwise."
        ),
    ]
    confident: Annotated[
        bool,
        about(
            "Whether the score is at least 85: the query's words name this code. False: a weak match, some word "
            "matching nothing in the code, or only loosely (its plain-language summary alone, a correction), or "
            "the code's title naming another action than the query's."
        ),
    ]


RESULT_KEYS: tuple[str, ...] = SearchResult.__struct_fields__
RESULT_COLUMNS: tuple[str, ...] = ("code", "title", "score", "matched")
"""The columns of search's csv and plain output unless --fields names others (the other fields are
in JSON and JSON Lines, and reachable by --fields)."""


class SearchDocument(Struct, frozen=True):
    """The codes that match some words, best first."""

    schema_version: SchemaVersion
    query: Annotated[str, about("The words searched for, joined by spaces.")]
    results: Annotated[list[SearchResult], about("The matching codes, best first, at most --limit of them.")]


class ListedCode(Struct, frozen=True):
    """A code of the library."""

    code: Annotated[Code, about("The code.")]
    title: Annotated[str, about("Its title, in cptref's own words.")]
    status: Annotated[Literal["active", "deleted"], about("active or deleted.")]
    family: Annotated[str | None, about("The id of its family, or null.")]
    add_on: Annotated[bool, about("Whether its record says it is an add-on code.")]


LIST_KEYS: tuple[str, ...] = ListedCode.__struct_fields__


class ListDocument(Struct, frozen=True):
    """The codes of the library (those the filters keep), in code order."""

    schema_version: SchemaVersion
    codes: Annotated[list[ListedCode], about("Every code kept, in code order.")]


class FamilyEntry(Struct, frozen=True):
    """A family of codes the library covers."""

    id: Annotated[str, about("The family id (a record's family).")]
    title: Annotated[str, about("Its title.")]
    ranges: Annotated[list[str], about("Its code ranges.")]
    codes: Annotated[list[str], about("The codes of the library in the family.")]
    description: Annotated[str | None, about("What the family is, or null.")]


class FamiliesDocument(Struct, frozen=True):
    """The families of codes the library covers, by their first code."""

    schema_version: SchemaVersion
    families: Annotated[list[FamilyEntry], about("Every family.")]


class ProblemView(Struct, frozen=True):
    """One problem in a data file, located by file and field path."""

    file: Annotated[str, about("The data file, as a path.")]
    field: Annotated[str, about("Where in the file, as a JSON path ($.add_on.primaries[0]); $ for the whole file.")]
    severity: Annotated[Literal["error", "warning"], about("error, or warning (an error with --strict).")]
    message: Annotated[str, about("What is wrong.")]

    @classmethod
    def of(cls, problem: Problem) -> ProblemView:
        return cls(problem.file, problem.field, problem.severity, problem.message)  # type: ignore[arg-type]


class ValidateDocument(Struct, frozen=True):
    """Every problem found in a data directory (and, with --cms, in your CMS tables)."""

    schema_version: SchemaVersion
    data: Annotated[str, about("The data directory checked.")]
    files: Annotated[int, Meta(ge=0), about("How many record files were checked.")]
    ok: Annotated[bool, about("True when no problem is an error (the exit status is then 0).")]
    errors: Annotated[int, Meta(ge=0), about("How many problems are errors.")]
    warnings: Annotated[int, Meta(ge=0), about("How many problems are warnings.")]
    problems: Annotated[list[ProblemView], about("Every problem, file by file.")]
    cms: Annotated[CmsReport | None, about("With --cms: the CMS tables read and the files skipped; null otherwise.")]


class PackDocument(Struct, frozen=True):
    """A packed library written by ``cptref pack``."""

    schema_version: SchemaVersion
    file: Annotated[str, about("The packed library written: name it in --data or CPTREF_DATA.")]
    data: Annotated[str, about("The data directory packed.")]
    records: Annotated[int, Meta(ge=0), about("How many records it holds.")]
    sources: Annotated[int, Meta(ge=0), about("How many sources the directory defines.")]
    families: Annotated[int, Meta(ge=0), about("How many families the directory defines.")]
    bytes: Annotated[int, Meta(ge=0), about("The file's size.")]


class TablesDocument(Struct, frozen=True):
    """The CMS tables cptref reads from your --cms paths: each table with the dates it is in force, and
    every file skipped or not loaded, with why."""

    schema_version: SchemaVersion
    paths: Annotated[list[str], about("The paths given (--cms, else CPTREF_CMS).")]
    compiled: Annotated[str | None, about("The compiled file the answers come from (in the cache).")]
    tables: Annotated[list[CmsTableRead], about("Every table loaded, by kind, setting and quarter.")]
    failed: Annotated[
        list[CmsSkipped],
        about("Every file that may hold edits and could not be loaded, with why: no claim is verified while one is."),
    ]
    skipped: Annotated[list[CmsSkipped], about("Every other file not read, with why (a readme, a second copy ...).")]
    errors: Annotated[int, Meta(ge=0), about("How many problems in the files are errors (validate --cms lists them).")]
    warnings: Annotated[int, Meta(ge=0), about("How many are warnings.")]
    ok: Annotated[
        bool,
        about("True when every file was loaded or set aside on purpose and every table was read whole (exit 0)."),
    ]
