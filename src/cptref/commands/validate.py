"""``cptref validate``: lint a data directory (and, with ``--cms``, the user's CMS tables)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Struct

from cptref.errors import ExitCode
from cptref.output import streams
from cptref.output.formats import dumps
from cptref.output.safe_text import visible

from .args import Arg, AsJson, CmsPaths, Opt
from .common import cms_tables

HELP = """Lint a data directory or packed library: schema, names, codes, sources, references, key order.

Prints every problem as `file: $.field: message` (warnings say `warning:`), then a count on
stderr. Exits 3 when there is any error, 0 otherwise.

A packed library (cptref pack) is read as untrusted: its tables, then every
row against its record. A family, source or record that replaces a shipped
one is a warning (an error with --strict).

Examples: cptref validate | cptref validate ./my-codes --strict | cptref validate codes.cptref
  cptref validate --json"""

_Directory = Annotated[
    str | None, Arg("[DIR]", "The data directory or packed library to lint (default: shipped data).")
]
_Strict = Annotated[bool, Opt(("--strict",), "Treat warnings (dangling references ...) as errors.")]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref validate``'s arguments."""

    directory: _Directory = None
    strict: _Strict = False
    json: AsJson = False
    cms: CmsPaths = None


def run(args: Args) -> int:
    from cptref.library import lint as linting
    from cptref.library import paths
    from cptref.library.pack.file import is_pack
    from cptref.output import to_documents

    directory = args.directory
    root = paths.data_dir(directory)
    if is_pack(root):  # read as untrusted, every row checked, then layered as commands read it
        report = linting.validate_pack(root, strict=args.strict, base=paths.shipped_data_dir())
    else:
        report = linting.validate(root, strict=args.strict, base=paths.shipped_data_dir())
    cms = None
    if args.cms is not None:  # only when asked: CPTREF_CMS alone does not make validate read them
        tables = cms_tables(args.cms, quiet=True, required=False)
        if tables is not None:
            with tables:
                cms = tables.summary()
    problems = [*report.problems, *(cms.problems if cms is not None else ())]
    if args.strict:
        problems = [p if p.severity == "error" else msgspec.structs.replace(p, severity="error") for p in problems]
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if args.json:
        streams.write(dumps(to_documents.validate_document(report, cms, problems)))
    else:
        lines = [f"{p.file}: {p.field}: {'warning: ' if p.severity == 'warning' else ''}{p.message}" for p in problems]
        streams.write("".join(visible(line, keep=False) + "\n" for line in lines))
        for line in cms.lines() if cms is not None else ():
            streams.warn(line)
    what = f"{report.files} record files" + (f" and {len(cms.tables)} CMS tables" if cms is not None else "")
    streams.warn(f"{what} checked: {errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return ExitCode.DATA if errors else ExitCode.OK
