"""Every command's arguments and options, in one table: the Typer CLI and the fast path read it.

:mod:`cptref.cli` builds the Typer commands (names, types, ranges, help) from :data:`COMMANDS`;
:mod:`cptref.fast` parses plain invocations with the very same table and hands anything it does
not fully understand (``--help``, a bad value, an unknown option) to Typer, which says what is
wrong. So a limit, a flag or a choice is written once, here. Importing this module imports neither
Typer nor rich.
"""

from __future__ import annotations

from typing import Any, Literal

from msgspec import Struct

Kind = Literal["flag", "toggle", "text", "int", "choice"]


class Option(Struct, frozen=True):
    """One option: ``flags`` (long first), its value's kind, default, help and limits."""

    dest: str
    flags: tuple[str, ...]
    help: str
    kind: Kind = "flag"
    default: Any = None
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    off: str | None = None
    """For a toggle: the flag that turns it off (``--no-pager``)."""

    @property
    def takes_value(self) -> bool:
        return self.kind in ("text", "int", "choice")


class Argument(Struct, frozen=True):
    """The positional arguments of a command (one kind a command)."""

    dest: str
    metavar: str
    help: str
    many: bool = True
    required: bool = True
    choices: tuple[str, ...] = ()
    complete_codes: bool = False
    """Shell completion offers the library's codes."""


class Command(Struct, frozen=True):
    name: str
    help: str
    """The command's help: a first line, then paragraphs (``{rules}`` stands for the rule table)."""
    argument: Argument | None
    options: tuple[Option, ...]

    def option(self, flag: str) -> Option | None:
        for option in self.options:
            if flag in option.flags or flag == option.off:
                return option
        return None


# --- options several commands share ------------------------------------------------------------------

DATA = Option(
    "data",
    ("--data",),
    "Your own data directories (a path list, later ones win per code), layered over the shipped data "
    "(also: CPTREF_DATA).",
    kind="text",
    metavar="DIR",
)
DESCRIPTORS = Option(
    "descriptors",
    ("--descriptors",),
    "Your licensed CPT descriptor file (code<TAB>descriptor a line): show prints its text, search indexes it "
    "(also: CPTREF_DESCRIPTORS). cptref ships no AMA text.",
    kind="text",
    metavar="FILE",
)
CMS = Option(
    "cms",
    ("--cms",),
    "Your own CMS downloads: folders, zips or files of the NCCI PTP, MUE and add-on code edits and the fee "
    "schedule's PPRRVU file, a path list (also: CPTREF_CMS). Read once, then kept compiled. cptref ships none.",
    kind="text",
    metavar="PATH",
)
JSON = Option(
    "json", ("--json",), "Print one JSON object (stable keys, schema_version) instead of text.", default=False
)
COLORS = ("auto", "always", "never")
COLOR = Option(
    "color",
    ("--color",),
    "Colour of the text view: auto (on a terminal, unless NO_COLOR is set), always (also when piped, despite "
    "NO_COLOR), never (plain text).",
    kind="choice",
    default="auto",
    metavar="WHEN",
    choices=COLORS,
)
FORMATS = ("table", "plain", "json", "jsonl", "csv")
FORMAT = Option(
    "format",
    ("--format",),
    "table: the text view; plain: tab-separated rows, no header; json: as --json; jsonl: one JSON object a "
    "line; csv: a header line, then rows.",
    kind="choice",
    metavar="FORMAT",
    choices=FORMATS,
)


def fields(items: str, command: str) -> Option:
    from cptref.output.fields import FIELDS  # the keys an item has: named in the help

    return Option(
        "fields",
        ("--fields",),
        f"Keep only these fields of each {items}: {', '.join(FIELDS[command])}.",
        kind="text",
        metavar="A,B",
    )


VERSION = Option(
    "version",
    ("--version", "-V"),
    "Print the program's version and the data's release and record count, and exit.",
    default=False,
)

ROOT_HELP = (
    "A CPT coding reference for the command line: what a code means, what it includes, what it "
    "is reported with, and where each fact comes from.\n\n"
    "Examples:\n\n"
    "  cptref show 47555\n\n"
    '  cptref search "balloon dilation biliary"\n\n'
    "  cptref show 47542 --json | jq '.procedures[0].add_on'\n\n"
    "Exit status: 0 ok, 1 not found / no match, 2 usage error, 3 invalid data."
)


SHOW_HELP = """Show what codes mean, include, and are reported with, with sources.

Prints the descriptor (in cptref's own words), units, add-on status and
primary codes, add-ons reported with the code, what it already includes
(imaging guidance, supervision and interpretation), what is reported
separately, do-not-report-with rules, Medicare values, history, related
codes, and each fact's sources and confidence. Low-confidence facts are
marked.

On a terminal the text is in colour (--color; NO_COLOR turns it off), and
--full text longer than the screen goes through a pager (--no-pager).
Piped, it is plain text wrapped at COLUMNS (else 100 columns).

Every code cptref knows is shown even when another is not: each unknown
code is one line on stderr, with the codes it may mean, and the exit status
is 1. A claim line (47534-RT, 47542x2) shows its code; its modifiers and
units are ignored (a note on stderr says so; cptref check reads them). A
code prefix (4753) names the codes it begins on stderr, and exits 1.

--json prints {"schema_version", "procedures", "official", "sources",
"unknown"}: unknown lists the codes (and prefixes) not found, each with the
codes it may mean. --fields keeps only some fields of each procedure
(cptref schema show describes them).

Examples:
  cptref show 47555
  cptref show 47534-RT 47542x2
  cptref show 47542 50706 --full
  cptref show 47555 --json
  cptref show 47542 50706 --json --fields code,title,units
  cptref show 47555 --color always | less -R"""

SEARCH_HELP = """Find codes from loose words, typos, abbreviations or a partial code.

Matches code, title, synonyms, descriptor and lay summary; word order,
case and punctuation do not matter, and misspellings are corrected against
the library's words (not a word of English or medicine of its own: "port"
stays "port"). Each result shows its score (0-100) and which words matched
which field; on a tie, the code whose title says least beyond the words
comes first.

A result is confident at a score of 85 or more: its code holds every word
(in its title, synonyms or descriptor). Below 85 it is weak, marked so:
some word matches nothing in the code, or only loosely. When no result is
confident, the words are about something cptref's library does not cover:
search says so on stderr, with what the library covers, and exits 1.

With your CMS tables (--cms, CPTREF_CMS), the codes of your own PPRRVU file
are searched too, by code and short descriptor: those cptref has no record
of, and records none of whose own words match. Each such result says it
came from your file, and its short descriptor is labelled as the AMA's
licensed text; the records keep their scores and their order.

Output (--format): table, the text view (colour on a terminal: --color,
NO_COLOR); plain, a tab-separated line a result (code, title, score,
matched); json (also --json), {"schema_version", "query", "results"};
jsonl, one result object a line; csv, a header line then a row a result.
--fields picks the fields of each result (and the columns of csv and plain);
JSON gives each result's confident (true or false).

Exit status: 0 with a confident result (or one from your PPRRVU file); 1
when no result is confident; 2 usage.

Examples:
  cptref search "balloon dilation biliary"
  cptref search biliarry stricure
  cptref search 4755
  cptref search PTBD --json
  cptref search nephrostomy --format csv --fields code,title > codes.csv
  cptref search drainage --format jsonl | jq -r .code
  cptref search "drain exchange" --cms ~/Downloads/ncci --json"""

CHECK_HELP = """Tell whether codes can be reported together, and why not.

Each argument is a claim line: CODE[-MOD...][xN], a CPT or HCPCS code, its
modifiers each after a hyphen, its units after an x (47542, 47542-59,
50432-RT, 77002-26-59, 47542x2, C1729). A line given twice counts as more
units.

Checks the claim against the library's recorded facts, each with its sources:
{rules}

A claim is stopped (an error: exit 1), verified (OK: no error, no warning,
every code had the facts each rule needs), or NOT VERIFIED (no error, but a
warning: a fact is missing or a human must decide: exit 0, or 1 with
--strict). A finding resting on a low-confidence fact is at most a warning,
and says so; a suggestion resting on one shows only with --explain.

Batch: --file checks every claim of a CSV file (a claim id column, a codes
column with claim lines split by spaces, commas, semicolons or pipes, and an
optional date column; an id,codes[,date] header is optional) or a JSON Lines
file ({"id": ..., "codes": ["47542-59", {"code": "50432", "modifiers":
["RT"], "units": 1}], "date": "2026-01-15"}, one a line). Every line is a
claim, a header or blank line, or a malformed line reported on stderr with
its line number; a summary on stderr counts them all.

Exit status: 0 when no claim has an error; 1 when one has (and, with --file,
when a line was malformed; with --strict, when a claim is not verified);
2 usage; 3 invalid data.

Examples:
  cptref check 47532 47542 77002
  cptref check 47542-59 47532 50432-RT 50432-LT
  cptref check 50432 50706x2 --explain
  cptref check 47555 74360 --json | jq '.findings[].rule'
  cptref check 47532 47542 --strict && submit-claim
  cptref check --file claims.csv --jsonl > findings.jsonl
  cat claims.jsonl | cptref check --file - --jsonl
  cptref check --file claims.csv --format csv --fields rule,severity,codes

Output (--format): table, the text view (colour on a terminal: --color,
NO_COLOR); json (also --json), one object for the codes; jsonl (also
--jsonl), one lean object a claim (each finding's rule, severity, codes and
fix; --explain or --fields for more); csv, a header line then a row a
finding; plain, a tab-separated line a finding. With --file, csv and plain
rows start with the claim's id and line. --fields picks the fields of each
finding (and the columns of csv and plain)."""

VALIDATE_HELP = """Lint a data directory: schema, file names, unique codes, sources, references, key order.

Prints every problem as `file: $.field: message` (warnings say `warning:`), then a count on
stderr. Exits 3 when there is any error, 0 otherwise.

Examples: cptref validate | cptref validate ./my-codes --strict | cptref validate --json"""

PACK_HELP = """Pack a data directory into one file, for a large library: name the file in --data or CPTREF_DATA.

Every command checks each file of a data directory for edits, which adds up
over thousands of records; a packed library is one file, checked once.
pack first checks every file of DIR as commands read it (layered over the
shipped data) and writes nothing if any has a problem (exit 3, each problem
listed). Edit the directory, then pack it again; the file is replaced whole.
Default output: DIR's name with .cptref, beside DIR. --json prints
{"file", "data", "records", "sources", "families", "bytes"}.

Examples:
  cptref pack ./my-codes
  cptref pack ./my-codes -o /srv/cptref/codes.cptref && CPTREF_DATA=/srv/cptref/codes.cptref cptref show 0001X"""

SCHEMA_HELP = """Print the JSON Schema (draft 2020-12) of a command's --json output.

Every key is described. With no COMMAND, prints one object keyed by
command (show, search, check, validate), each value a whole schema, so
`cptref schema | jq .check` equals `cptref schema check`. --jsonl gives
the schema of one line of `search --format jsonl` (a result) and of
`check --jsonl` (a claim).

schema_version changes only when a field is removed or changes meaning;
fields may be added without a change, so ignore keys you do not know.

Examples:
  cptref schema show
  cptref schema check --jsonl
  cptref schema search --fields code,title
  cptref schema | jq 'keys'"""


LIST_HELP = """List the codes cptref's library holds, with their titles.

Filters: --family ID (see cptref families), --range 47531-47544 (or a code
prefix such as 4753), --status active|deleted. Output (--format): table, the
text view; plain, a tab-separated line a code; json (also --json),
{"schema_version", "codes"}; jsonl, one code a line; csv, a header then a row a
code. --fields picks the fields of each code.

Examples:
  cptref list
  cptref list --family percutaneous-biliary
  cptref list --range 5043 --json | jq -r '.codes[].code'
  cptref list --status deleted --format csv"""

FAMILIES_HELP = """List the families of codes cptref's library covers: id, code ranges, how many codes.

A family groups codes whose rules hold for every member (what they include,
what they are not reported with). --json prints {"schema_version",
"families"}.

Examples:
  cptref families
  cptref families --json | jq -r '.families[] | "\\(.id) \\(.ranges)"'"""


TABLES_HELP = """List the CMS tables read from your downloads, with the dates each is in force.

For each table: its id (kind/setting/version, as a checked claim's "checked"
names it), the quarter it is in force for (told from its version or file names:
PTP v32.3 is October to December 2026), its parts (a PTP table comes in four:
f1-f4), its rows, and whether it verifies claims (read whole, dates known). Then
every file that could not be loaded (it keeps claims from being verified) and
every file set aside on purpose (a readme, a second copy, another quarter's
revision), each with why. Exit 0 when every table was read whole and no file
failed; 3 otherwise; 2 when no --cms path (or CPTREF_CMS) is given. --json prints
{"schema_version", "paths", "compiled", "tables", "failed", "skipped", ...}.

Examples:
  cptref tables --cms ~/Downloads/ncci-2026q4
  cptref tables --json | jq -r '.tables[] | "\\(.id) \\(.starts) \\(.ends)"'"""


def _commands() -> dict[str, Command]:
    from cptref.output.schema import DOCUMENTS

    schema_commands = tuple(DOCUMENTS)
    return {
        "show": Command(
            "show",
            SHOW_HELP,
            Argument(
                "codes",
                "CODE...",
                "One or more codes (47555), claim lines (47534-RT, 47542x2) or code prefixes (4753).",
                complete_codes=True,
            ),
            (
                JSON,
                Option(
                    "full",
                    ("--full",),
                    "Add the plain-language sections (purpose, steps, risks, recovery ...).",
                    default=False,
                ),
                DATA,
                DESCRIPTORS,
                CMS,
                fields("procedure (with --json)", "show"),
                COLOR,
                Option(
                    "pager",
                    ("--pager",),
                    "On a terminal, page --full text longer than the screen ($PAGER, else less).",
                    kind="toggle",
                    default=True,
                    off="--no-pager",
                ),
            ),
        ),
        "search": Command(
            "search",
            SEARCH_HELP,
            Argument("query", "WORDS...", "Words, abbreviations or a code prefix."),
            (
                Option(
                    "limit",
                    ("--limit", "-n"),
                    "Show at most N results.",
                    kind="int",
                    default=10,
                    minimum=1,
                    maximum=1000,
                ),
                JSON,
                DATA,
                DESCRIPTORS,
                CMS,
                FORMAT,
                fields("result (not with the table view)", "search"),
                COLOR,
            ),
        ),
        "check": Command(
            "check",
            CHECK_HELP,
            Argument(
                "codes",
                "[CODE...]",
                "The lines of one claim: CODE[-MOD...][xN] (47542, 47542-59, 50432-RT, 47542x2, C1729).",
                required=False,
                complete_codes=True,
            ),
            (
                Option(
                    "file",
                    ("--file", "-f"),
                    "Check every claim in a CSV (id,codes) or JSON Lines ({id, codes}) file; - reads stdin.",
                    kind="text",
                    metavar="FILE",
                ),
                Option(
                    "json",
                    ("--json",),
                    'Print {"schema_version", "codes", "ok", "findings"} for the codes.',
                    default=False,
                ),
                Option("jsonl", ("--jsonl",), "Print one compact JSON object a claim, a line each.", default=False),
                Option(
                    "explain",
                    ("--explain",),
                    "Show the rule's text, the recorded fact and its sources under each finding; include the "
                    "suggestions that rest on a low-confidence fact; every field of each finding in --jsonl.",
                    default=False,
                ),
                Option(
                    "strict",
                    ("--strict",),
                    "Exit 1 also when a claim is not verified (no error, but a warning).",
                    default=False,
                ),
                Option(
                    "jobs",
                    ("--jobs", "-j"),
                    "With --file: check on N processes (default: every core); the output keeps the file's order.",
                    kind="int",
                    metavar="N",
                    minimum=1,
                    maximum=512,
                ),
                Option(
                    "date",
                    ("--date",),
                    "The date of service, YYYY-MM-DD (default: today): the CMS edits in force on it apply; a "
                    "batch's date column (or date key) gives each claim its own.",
                    kind="text",
                    metavar="DATE",
                ),
                Option(
                    "setting",
                    ("--setting",),
                    "Whose CMS PTP and MUE tables apply: practitioner services, or outpatient hospital services.",
                    kind="choice",
                    default="practitioner",
                    metavar="SETTING",
                    choices=("practitioner", "hospital"),
                ),
                DATA,
                CMS,
                FORMAT,
                fields("finding (not with the table view)", "check"),
                COLOR,
            ),
        ),
        "list": Command(
            "list",
            LIST_HELP,
            None,
            (
                Option(
                    "family",
                    ("--family",),
                    "Only the codes of this family (cptref families).",
                    kind="text",
                    metavar="ID",
                ),
                Option(
                    "range",
                    ("--range",),
                    "Only the codes in this range (47531-47544) or with this prefix (4753).",
                    kind="text",
                    metavar="RANGE",
                ),
                Option(
                    "status",
                    ("--status",),
                    "Only active or only deleted codes.",
                    kind="choice",
                    metavar="STATUS",
                    choices=("active", "deleted"),
                ),
                JSON,
                DATA,
                FORMAT,
                fields("code (not with the table view)", "list"),
                COLOR,
            ),
        ),
        "families": Command(
            "families",
            FAMILIES_HELP,
            None,
            (JSON, DATA, COLOR),
        ),
        "tables": Command("tables", TABLES_HELP, None, (JSON, CMS, COLOR)),
        "validate": Command(
            "validate",
            VALIDATE_HELP,
            Argument(
                "directory",
                "[DIR]",
                "The data directory to lint (default: shipped data).",
                many=False,
                required=False,
            ),
            (
                Option("strict", ("--strict",), "Treat warnings (dangling references ...) as errors.", default=False),
                JSON,
                CMS,
            ),
        ),
        "pack": Command(
            "pack",
            PACK_HELP,
            Argument("directory", "DIR", "The data directory to pack.", many=False),
            (
                Option(
                    "output",
                    ("--output", "-o"),
                    "Where to write the packed library (default: DIR.cptref, beside DIR).",
                    kind="text",
                    metavar="FILE",
                ),
                JSON,
            ),
        ),
        "schema": Command(
            "schema",
            SCHEMA_HELP,
            Argument(
                "command",
                "[COMMAND]",
                "show, search, check, list, families, validate, pack or tables (default: all).",
                many=False,
                required=False,
                choices=schema_commands,
            ),
            (
                Option(
                    "jsonl", ("--jsonl",), "The schema of one line of JSON Lines output (search, check).", default=False
                ),
                Option(
                    "fields",
                    ("--fields",),
                    "The schema of output narrowed by the same --fields (show, search, check).",
                    kind="text",
                    metavar="A,B",
                ),
            ),
        ),
    }


COMMANDS: dict[str, Command] = _commands()
"""Every command, by name, in the order ``cptref --help`` lists them."""
