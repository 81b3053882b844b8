"""The JSON documents cptref prints, as typed msgspec Structs with a description on every key.

Each command's ``--json`` output is one of these (``--jsonl`` a line of them); ``cptref schema``
generates the JSON Schema from these very types (:mod:`cptref.schemas`), and :mod:`cptref.serialize`
builds them. A record's own fields (and their descriptions) come from :mod:`cptref.models`: a
:class:`ProcedureView` is a :class:`~cptref.models.Procedure` with its family's rules merged in and
what other records say about it.

Every key is present in the output: optional values are ``null`` or ``[]``, never missing.
``schema_version`` changes only when a field is removed or changes meaning.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from cptref.check.results import FINDING_KEYS, Checked, Finding
from cptref.errors import Problem
from cptref.model.codes import Code
from cptref.model.records import Confidence, NotWith, Procedure, ServiceRule, Source, about

SCHEMA_VERSION = 1
SchemaVersion = Annotated[int, about("The version of this shape.")]
FAMILY = about("The id of the code family whose rule this is, or null when the record itself states it.")
SOURCES = about("Ids of the sources that state this fact (keys of show's sources map).")


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


ROW = about("Where the row is in your file: the file and the line.")
TABLE = about("The table: its kind, setting and version (NCCI PTP edits, practitioner, v32.3r0).")


class LicensedDescriptor(Struct, frozen=True):
    """A short descriptor from your own copy of the CMS fee schedule file: AMA licensed text, shown to you
    from your file, never shipped by cptref."""

    text: Annotated[str, about("The text, as your file gives it.")]
    file: Annotated[str, about("The file it was read from.")]
    licence: Annotated[str, about("Whose text it is and under what licence.")]


class FeeScheduleRow(Struct, frozen=True):
    """A row of your Physician Fee Schedule relative value file (PPRRVU) for the code and one modifier."""

    modifier: Annotated[str, about('The modifier of the row ("" for none, 26, TC, 53 ...).')]
    status: Annotated[str, about("The status code (A active, B bundled, I not valid for Medicare ...).")]
    global_days: Annotated[str | None, about("The global surgery days (000, 010, 090, XXX, YYY, ZZZ, MMM), or null.")]
    pctc: Annotated[int | None, about("The professional/technical component indicator, or null.")]
    multiple_procedure: Annotated[int | None, about("The multiple procedure indicator, or null.")]
    bilateral: Annotated[int | None, about("The bilateral surgery indicator (0-3, 9), or null.")]
    assistant: Annotated[int | None, about("The assistant at surgery indicator, or null.")]
    co_surgeon: Annotated[int | None, about("The co-surgeon indicator, or null.")]
    team_surgeon: Annotated[int | None, about("The team surgeon indicator, or null.")]
    work_rvu: Annotated[float | None, about("The work RVU, or null.")]
    nonfacility_pe_rvu: Annotated[float | None, about("The non-facility practice expense RVU, or null.")]
    facility_pe_rvu: Annotated[float | None, about("The facility practice expense RVU, or null.")]
    mp_rvu: Annotated[float | None, about("The malpractice RVU, or null.")]
    nonfacility_total: Annotated[float | None, about("The non-facility total RVU, or null.")]
    facility_total: Annotated[float | None, about("The facility total RVU, or null.")]
    conversion_factor: Annotated[float | None, about("The conversion factor, or null.")]
    short_descriptor: Annotated[
        LicensedDescriptor | None, about("The AMA short descriptor from your own file, labelled, or null.")
    ]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class MueRow(Struct, frozen=True):
    """A medically unlikely edit of the code in one setting's table."""

    setting: Annotated[str, about("practitioner, outpatient_hospital or dme.")]
    value: Annotated[int, about("The most units.")]
    indicator: Annotated[int, about("1: units of one claim line; 2 (policy), 3 (clinical): units of a date.")]
    rationale: Annotated[str, about("The table's rationale.")]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class AocRow(Struct, frozen=True):
    """An add-on code edit naming the code as the add-on."""

    primary: Annotated[str | None, about("The primary code, or null (type 2: the contractor defines them).")]
    type: Annotated[int, about("1: only listed primaries; 2: contractor-defined; 3: listed, the contractor may add.")]
    effective: Annotated[str, about("The date the edit took effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The date the edit was deleted, YYYY-MM-DD, or null: in force.")]
    table: Annotated[str, TABLE]
    row: Annotated[str, ROW]


class PtpRow(Struct, frozen=True):
    """An NCCI procedure-to-procedure edit naming the code."""

    column1: Annotated[str, about("The column 1 code (paid).")]
    column2: Annotated[str, about("The column 2 code (not paid with column 1).")]
    modifier_indicator: Annotated[
        int, about("0: no modifier allows both; 1: a distinct-service modifier may; 9: no edit.")
    ]
    effective: Annotated[str, about("The date the edit took effect, YYYY-MM-DD.")]
    deleted: Annotated[str | None, about("The date the edit was deleted, YYYY-MM-DD, or null: in force.")]
    rationale: Annotated[str, about("The table's rationale.")]
    row: Annotated[str, ROW]


class PtpSummary(Struct, frozen=True):
    """The code's NCCI PTP edits in force today in one setting's table."""

    setting: Annotated[str, about("practitioner or outpatient_hospital.")]
    table: Annotated[str, TABLE]
    as_column1: Annotated[list[PtpRow], about("The edits where the code is column 1 (its partners are not paid).")]
    as_column2: Annotated[list[PtpRow], about("The edits where the code is column 2 (it is not paid with them).")]


class OfficialFacts(Struct, frozen=True):
    """What your CMS tables say about a code asked for (cptref ships none of them)."""

    code: Annotated[Code, about("The code.")]
    record: Annotated[bool, about("Whether cptref has a record of its own for the code (in procedures).")]
    fee_schedule: Annotated[list[FeeScheduleRow], about("Its rows of your fee schedule file.")]
    mue: Annotated[list[MueRow], about("Its MUE in each setting whose table has one.")]
    aoc: Annotated[list[AocRow], about("The add-on code edits naming it as the add-on; [] when it is none.")]
    ptp: Annotated[list[PtpSummary], about("Its PTP edits in force today, by setting.")]


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


class CheckedCode(Struct, frozen=True):
    """A line of the checked claim: a code with its modifiers and units (a line given twice is one
    entry with more units)."""

    code: Annotated[Code, about("The code, trimmed and upper-cased.")]
    units: Annotated[int, Meta(ge=1), about("Its units: repeats of the line and 47542x2 count as more units.")]
    title: Annotated[str | None, about("Its title, or null when the library has no record of it.")]
    modifiers: Annotated[list[str], about("The line's modifiers, in the order given (59, RT, 26 ...); [] for none.")]


CODES = about("The claim's lines, in the order given, each once with its units.")
OK = about("True when no finding is an error (the exit status is then 0).")
VERIFIED = about(
    "True when no finding is an error or a warning: the official edits in force on the date of service checked "
    "the claim (see checked) and no fact is missing. False with ok true: not verified (a table or a fact is "
    "missing, or a human must decide); --strict then exits 1."
)
CHECKED = about(
    "What checked the claim, for each kind of edit (pairs, units, add_ons, status): a CMS table in force on "
    "the date of service (its id, as cptref tables lists it), the library's facts (their sources), or nothing."
)
FINDINGS = about("Every finding, errors first, then warnings, then info.")


class CheckDocument(Struct, frozen=True):
    """Whether a claim's codes can be reported together, and every finding against them."""

    schema_version: SchemaVersion
    codes: Annotated[list[CheckedCode], CODES]
    ok: Annotated[bool, OK]
    verified: Annotated[bool, VERIFIED]
    checked: Annotated[Checked, CHECKED]
    findings: Annotated[list[Finding], FINDINGS]


LINE_VERSION = 2
"""The version of a check --jsonl line (2: lean lines; 1 carried titles and every finding's text)."""
LEAN_FINDING: tuple[str, ...] = ("rule", "severity", "codes", "fix")
"""The fields of a finding in a check --jsonl line, unless --fields or --explain asks for others."""


class ClaimLine(Struct, frozen=True):
    """One line of check --jsonl (--format jsonl): one claim, checked, kept lean for batches: each
    finding's rule, severity, codes and fix (--explain: every field; --fields: those named)."""

    schema_version: Annotated[int, about("The version of this shape.")]
    id: Annotated[
        str | int | None,
        about("The claim's id as given in the file, or null (codes given as arguments, or no id)."),
    ]
    line: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        about("The claim's line in the file, or null for codes given as arguments."),
    ]
    ok: Annotated[bool, OK]
    verified: Annotated[bool, VERIFIED]
    checked: Annotated[
        Checked | None,
        about(
            "What checked the claim, as check --json gives it. In a lean line (without --explain) only for a claim "
            "that is ok but not verified, where it says which kind of edit no table in force checked; null for a "
            "verified claim (the tables in force checked it all) and for a stopped one (its errors say why), so that "
            "a batch stays small."
        ),
    ]
    codes: Annotated[list[str], about("The claim's lines as read, upper-cased (47542-59x2).")]
    titles: Annotated[
        dict[str, str | None],
        about("With --explain, the title of each code (null: no record); {} otherwise."),
    ]
    findings: Annotated[list[Finding], FINDINGS]


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


class CmsTableRead(Struct, frozen=True):
    """A CMS table read from your files."""

    table: Annotated[str, about("The table: its kind, setting and version.")]
    quarter: Annotated[str | None, about("The quarter its file names give (2026Q4), or null.")]
    files: Annotated[list[str], about("The files it was read from, parts in order.")]
    rows_read: Annotated[int, about("Data rows read.")]
    rows_loaded: Annotated[int, about("Rows loaded (read, less rejected and repeated ones).")]
    rows_rejected: Annotated[int, about("Rows rejected: each is a problem with its line.")]
    id: Annotated[str, about("Its id, kind/setting/version, as a checked claim's checked names it.")]
    kind: Annotated[Literal["ptp", "mue", "aoc", "rvu"], about("ptp, mue, aoc or rvu (the PPRRVU file).")]
    setting: Annotated[str, about("practitioner, outpatient_hospital, dme, all (AOC), nonqpp, qpp or all (PPRRVU).")]
    version: Annotated[str, about("As CMS names it: 32.3r0 (PTP), 2026Q4 (MUE, AOC), RVU26D (PPRRVU), or unknown.")]
    starts: Annotated[
        str | None,
        about("The first date of service it is in force for (YYYY-MM-DD), or null when its version is unknown."),
    ]
    ends: Annotated[str | None, about("The last date of service it is in force for, or null.")]
    parts: Annotated[list[int], about("The parts of a split PTP table read (f1-f4); [] for a table in one file.")]
    missing_parts: Annotated[list[int], about("The parts of a split PTP table not found.")]
    errors: Annotated[int, about("Its problems that may have lost edits (rows rejected, parts missing).")]
    verifies: Annotated[
        bool,
        about("Whether it can verify claims of its dates: read whole (no error) and its dates known."),
    ]


class CmsSkipped(Struct, frozen=True):
    """A file found among your CMS paths but not read, and why."""

    file: Annotated[str, about("The file.")]
    reason: Annotated[str, about("Why it was not read (a readme, an older version, a second copy ...).")]


class CmsReport(Struct, frozen=True):
    """What validate --cms read (its problems are among the document's problems)."""

    tables: Annotated[list[CmsTableRead], about("Every table read.")]
    skipped: Annotated[list[CmsSkipped], about("Every file not read, with why.")]
    failed: Annotated[
        list[CmsSkipped],
        about("Every file that may hold edits and could not be loaded, with why: no claim is verified while one is."),
    ]


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


DOCUMENTS: dict[str, type[Struct]] = {
    "show": ShowDocument,
    "search": SearchDocument,
    "check": CheckDocument,
    "list": ListDocument,
    "families": FamiliesDocument,
    "validate": ValidateDocument,
    "pack": PackDocument,
    "tables": TablesDocument,
}
"""The ``--json`` document of each command."""
LINES: dict[str, type[Struct]] = {"search": SearchResult, "check": ClaimLine, "list": ListedCode}
"""What one line of each command's JSON Lines output is."""
ITEMS: dict[str, type[Struct]] = {
    "show": ProcedureView,
    "search": SearchResult,
    "check": Finding,
    "list": ListedCode,
}
"""The part ``--fields`` selects from, by command: each procedure, each result, each finding."""
FIELDS: dict[str, tuple[str, ...]] = {
    "show": PROCEDURE_KEYS,
    "search": RESULT_KEYS,
    "check": FINDING_KEYS,
    "list": LIST_KEYS,
}
"""What ``--fields`` selects from, by command. The documents around the items keep their own keys."""
