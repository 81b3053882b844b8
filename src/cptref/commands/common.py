"""What the commands share: the library and the user's CMS tables opened (with a progress bar on a
terminal, and one warning line for what could not be read), the output format asked for, and an
answer written in it.

Nothing here parses a command line (:mod:`cptref.cli` does, into each command's ``Args``) or knows a
command; each command is a module of this package.
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
    from cptref.output.formats import Answer
    from cptref.output.text.doc import TextDoc


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


def cms_tables(cms: str | None, quiet: bool = False, required: bool = True) -> CmsTables | None:
    """The user's CMS tables (``--cms``, else ``$CPTREF_CMS``), compiled once and kept; None when none
    is named. A named path that does not exist is a usage error, and paths of which no table loads are
    :class:`NoTables` (``required``: a command that reports the files, as ``validate --cms`` and
    ``tables`` do, gets them all the same). Files that failed to load are one warning line here
    (``quiet``: none): they keep claims from being verified; ``cptref tables`` names each."""
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
            raise UsageError(f"--cms: {visible(missing.file)}: no such file or directory")
        if not summary.tables:
            tables.close()
            what = (
                f"{len(summary.failed)} could not be loaded (first: {visible(summary.failed[0].file)}: "
                f"{summary.failed[0].reason})"
                if summary.failed
                else "none is an NCCI PTP, MUE or add-on code table or a PPRRVU file"
            )
            raise NoTables(
                f"no CMS table could be loaded from --cms {visible(os.pathsep.join(map(str, given)))}: of the "
                f"{len(summary.failed) + len(summary.skipped)} files found, {what}; `cptref tables` lists each"
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


def output_format(json: bool, fmt: str | None, jsonl: bool = False) -> str:
    """The output format from ``--format`` and its shortcuts ``--json`` / ``--jsonl``."""
    if json and jsonl:
        raise UsageError("--json and --jsonl: choose one")
    short = "json" if json else "jsonl" if jsonl else None
    if short is not None and fmt is not None and fmt != short:
        raise UsageError(f"--{short} is --format {short}; it cannot go with --format {fmt}")
    return short or fmt or "table"


def selected_fields(text: str | None, command: str, fmt: str) -> tuple[str, ...] | None:
    """``--fields`` as names; only with an output that has fields (not the text view)."""

    if text is not None and fmt == "table":
        raise UsageError("--fields selects fields of JSON, JSON Lines, csv or plain output: add --json or --format")
    from cptref.output.fields import FIELDS, parse_fields

    return parse_fields(text, FIELDS[command])


def emit_text(doc: TextDoc, color: str = "auto", page: bool = False) -> None:
    """Text for people: rich with colour on a terminal, plain text when piped (text_terminal.text_mode);
    with ``page``, text longer than the terminal goes through the pager."""
    from cptref.output.text import doc as text_doc
    from cptref.output.text import terminal as text_terminal

    tty = sys.stdout.isatty()
    mode = text_terminal.text_mode(color, tty, os.environ)
    width, height = text_terminal.screen()
    text = text_doc.plain(doc, width) if mode == "plain" or page else ""
    page = page and tty and text.count("\n") >= height
    if mode != "plain":
        always = color == "always"
        text_terminal.to_rich(doc, sys.stdout, mode == "color", width=width, force=always, page=page)
    elif page:
        text_terminal.pager(text)
    else:
        streams.write(text)


def emit(fmt: str, answer: Answer, color: str = "auto") -> None:
    """Write ``answer`` in the format ``fmt``: a machine format's header (csv) then its bytes, or the
    text view drawn (:func:`emit_text`)."""
    from cptref.output.formats import formatter

    out = formatter(fmt)
    if out.text:
        assert answer.view is not None
        emit_text(answer.view(), color)
        return
    header = out.header(answer.columns, verdict=answer.verdict is not None)
    if header:
        streams.write(header)
    streams.write(out.answer(answer))
