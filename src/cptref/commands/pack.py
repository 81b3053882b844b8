"""``cptref pack``: a data directory packed into one file, every file of it checked first."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

from msgspec import Struct

from cptref.errors import ExitCode, UsageError
from cptref.output import streams
from cptref.output.formats import dumps
from cptref.output.safe_text import visible

from .args import Arg, AsJson, Opt

HELP = """Pack a data directory into one file, for a large library: name the file in --data or CPTREF_DATA.

Every command checks each file of a data directory for edits, which adds up
over thousands of records; a packed library is one file, checked once.
pack first checks every file of DIR as commands read it (layered over the
shipped data) and writes nothing if any has a problem (exit 3, each problem
listed). Edit the directory, then pack it again; the file is replaced whole.
A family, source or record of DIR that replaces a shipped one is a warning on
stderr (cptref validate --strict makes it an error).
Default output: DIR's name with .cptref, beside DIR. --json prints
{"file", "data", "records", "sources", "families", "bytes"}.

Examples:
  cptref pack ./my-codes
  cptref pack ./my-codes -o /srv/cptref/codes.cptref && CPTREF_DATA=/srv/cptref/codes.cptref cptref show 0001X"""

_Directory = Annotated[str, Arg("DIR", "The data directory to pack.")]
_Output = Annotated[
    str | None,
    Opt(("--output", "-o"), "Where to write the packed library (default: DIR.cptref, beside DIR).", metavar="FILE"),
]


class Args(Struct, frozen=True, kw_only=True):
    """``cptref pack``'s arguments."""

    directory: _Directory
    output: _Output = None
    json: AsJson = False


def run(args: Args) -> int:
    """Write a packed library of a data directory (nothing when any file has a problem: exit 3)."""
    from cptref.errors import DataErrors, Problem
    from cptref.library.pack.file import is_pack
    from cptref.library.pack.write import write_pack
    from cptref.library.paths import display_path
    from cptref.output import to_documents

    source = Path(args.directory)
    if is_pack(source):
        raise UsageError(f"{display_path(source)} is packed already: pack the data directory it was made from")
    if not source.is_dir():
        what = "does not exist" if not source.exists() else "is not a directory"
        raise DataErrors([Problem(display_path(source), "$", f"the data directory {what}")])
    output = Path(args.output) if args.output else source.absolute().parent / f"{source.absolute().name}.cptref"
    if output.is_dir():
        raise UsageError(f"--output {display_path(output)} is a directory: name the file to write")
    if sys.stderr.isatty():
        from cptref.output.text.terminal import ProgressBar

        with ProgressBar("Checking the record files") as bar:
            report = write_pack(source, output, bar)
    else:
        report = write_pack(source, output)
    for problem in report.warnings:  # as validate DIR says them (validate --strict makes them errors)
        streams.warn(f"{problem.file}: {problem.field}: warning: {problem.message}")
    if args.json:
        streams.write(dumps(to_documents.pack_document(output, source, report)))
    else:
        shown = display_path(output)
        size = f"{report.size / 1_000_000:.1f} MB" if report.size >= 100_000 else f"{report.size} bytes"
        streams.write(
            visible(
                f"packed {report.records} records, {report.sources} sources and {report.families} families of "
                f"{display_path(source)} into {shown} ({size}); use it with --data {shown} or CPTREF_DATA={shown}",
                keep=False,
            )
            + "\n"
        )
    return ExitCode.OK
