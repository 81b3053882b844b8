"""What a command reads: the library through its compiled index, and the user's CMS tables.

Both are opened with a progress line on a terminal, and what could not be read is one warning line
on stderr. The command line opens them once a run (:mod:`cptref.commands`), the MCP server once a
process (:mod:`cptref.mcp`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cptref.errors import NoTables, UsageError
from cptref.output import streams
from cptref.output.safe_text import visible

if TYPE_CHECKING:
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog


def catalog(data: str | None, descriptors: str | None = None, touched: Sequence[str] | None = None) -> Catalog:
    """The library through its compiled index: the shipped data with the user's directories
    (``--data``, else ``$CPTREF_DATA``) layered over it. A rebuild shows a progress bar on a terminal.

    A data file with a problem leaves its record out and is named in one warning line on stderr;
    the index keeps the problems, so later commands pay nothing for them. With ``touched`` (the
    codes a command cannot answer without), a problem in one of their files, or in a file every
    record depends on, raises :class:`~cptref.errors.DataErrors` instead (exit 3)."""
    from cptref.library import paths
    from cptref.library.catalog import load_catalog

    roots = paths.layers(data)
    if not sys.stderr.isatty():
        found = load_catalog(roots, descriptors=descriptors, partial=True)
    else:
        from cptref.output.text.terminal import ProgressBar

        with ProgressBar("Indexing the code library") as bar:
            found = load_catalog(roots, progress=bar, descriptors=descriptors, partial=True)
    if found.problems:
        from cptref.library.problems import refuse_or_warn

        streams.warn(refuse_or_warn(found, touched))
    return found


def cms_tables(cms: str | None, quiet: bool = False, required: bool = True, option: str = "--cms") -> CmsTables | None:
    """The user's CMS tables (``--cms``, else ``$CPTREF_CMS``), compiled once and kept; None when none
    is named. A named path that does not exist is a usage error, and paths of which no table loads are
    :class:`NoTables` (``required``: a command that reports the files, as ``validate --cms`` and
    ``tables`` do, gets them all the same). Files that failed to load are one warning line here
    (``quiet``: none): they keep claims from being verified; ``cptref tables`` names each. ``option``:
    the option the messages name (``changes --from PATH`` opens its paths here too)."""
    from cptref.library import paths

    given = paths.cms_paths(cms)
    if not given:
        return None
    from cptref.cms import open_tables

    def progress(table: str) -> None:
        if sys.stderr.isatty():
            streams.warn(f"reading {table} (once: it is kept compiled)")

    tables = open_tables(given, progress=progress)
    summary = tables.summary()
    if required:
        missing = next((p for p in summary.problems if p.code == "missing"), None)
        if missing is not None:
            tables.close()
            raise UsageError(f"{option}: {visible(missing.file)}: no such file or directory")
        if not summary.tables:
            tables.close()
            unread = [p for p in summary.problems if p.code in ("unreadable", "not-regular", "link-outside")]
            if unread:
                what = (
                    f"{len(unread)} file{'s' * (len(unread) != 1)} or folder{'s' * (len(unread) != 1)} could not "
                    f"be read (first: {visible(unread[0].file)}: {unread[0].message})"
                )
            elif summary.failed:
                what = (
                    f"of the {len(summary.failed) + len(summary.skipped)} files found, {len(summary.failed)} could "
                    f"not be loaded (first: {visible(summary.failed[0].file)}: {summary.failed[0].reason})"
                )
            else:
                skipped = summary.skipped[:1]
                first = "".join(f" (first skipped: {visible(s.file)}: {s.reason})" for s in skipped)
                what = (
                    f"of the {len(summary.skipped)} files found, none is an NCCI PTP, MUE or add-on code table "
                    f"or a PPRRVU file{first}"
                )
            raise NoTables(
                f"no CMS table could be loaded from {option} {visible(os.pathsep.join(map(str, given)))}: {what}; "
                "`cptref tables` lists each"
            )
    if not quiet and (summary.failed or summary.problems):
        failed = summary.failed
        incomplete = [t for t in summary.tables if not t.complete]
        if failed or incomplete:
            named = (
                f"{visible(failed[0].file)} ({failed[0].reason})"
                if failed
                else f"{incomplete[0].table.label()} ({incomplete[0].errors} problems)"
            )
            count = len(failed) + len(incomplete)
            streams.warn(
                f"warning: {count} CMS file{'s' * (count != 1)} or table{'s' * (count != 1)} did not load whole, "
                f"so no claim they concern is verified: {named}; `cptref tables` lists them"
            )
        else:
            warnings = len(summary.warnings)
            streams.warn(
                f"warning: the CMS tables were read, with {warnings} warning{'s' * (warnings != 1)} in the files: "
                "`cptref tables` and `cptref validate --cms PATH` list them"
            )
    return tables
