"""What ``cptref mcp`` reads once, at start, and every tool call answered from it.

:class:`Library` opens the library (the compiled index, with the user's data directories and licensed
descriptors) and the user's CMS tables once, with the options and environment variables every command
reads, and keeps each setting's prepared check rules. :meth:`Library.call` answers one tool call with
the builders the commands use (:mod:`cptref.replies.build`): its structured content is the document
``cptref COMMAND ... --json`` prints, its text the command's text view. It never raises: a question
cptref cannot answer is an error answer whose text is the message the command prints.

This module does not import the MCP SDK: :mod:`.server` wraps these answers in the SDK's types.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from msgspec import Struct

from cptref.errors import CptrefError, UsageError
from cptref.output.formats import dumps
from cptref.output.safe_text import visible
from cptref.replies import build

from .tools import BY_NAME, CheckInput, FamiliesInput, ListInput, SearchInput, ShowInput, TablesInput, decode_arguments

if TYPE_CHECKING:
    from pathlib import Path

    from cptref.check.engine import CheckTables
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog

WIDTH = 1000
"""The width the text views are drawn at: what ``COLUMNS=1000 cptref ...`` prints when piped. At the
command's default (100), show's view cuts its long lines with an ellipsis; at this width no fact is
cut short, and no paragraph is wrapped (an assistant reads long lines as well as short ones)."""


class ToolAnswer(Struct, frozen=True):
    """A tool's answer, before the SDK wraps it in a ``CallToolResult``."""

    text: str
    """The command's text view (as printed when piped), after the lines it says on stderr; or, for an
    error, those lines alone."""
    document: dict[str, Any] | None = None
    """The document ``cptref COMMAND --json`` prints, as JSON values; None when it prints none."""
    error: bool = False
    """Whether the command reports a failure: the question could not be answered whole."""


def _failed(lines: Sequence[str]) -> ToolAnswer:
    return ToolAnswer("".join(f"{visible(line, keep=False)}\n" for line in lines), error=True)


def _answer(reply: build.Reply) -> ToolAnswer:
    """A command's reply as a tool's answer: the document as the very JSON the command prints
    (:func:`~cptref.output.formats.dumps`), decoded; the stderr lines, then the text view."""
    from cptref.output.text.doc import plain

    said = [visible(line, keep=False) for line in (*reply.notes, *reply.problems)]
    view = plain(reply.answer.view(), WIDTH) if reply.answer.view is not None else ""
    text = "".join(f"{line}\n" for line in said) + ("\n" if said and view else "") + view
    document: dict[str, Any] = msgspec.json.decode(dumps(reply.answer.document))
    return ToolAnswer(text, document, error=bool(reply.problems))


def _log(lines: Sequence[str]) -> None:
    """A problem found at start, one line each on stderr as every command writes them (the host's log)."""
    from cptref.output import streams

    for line in lines:
        streams.warn(line)


class Library:
    """What the server reads once, at start, and answers every call from: the catalog, the user's CMS
    tables, and each setting's prepared check rules.

    A problem found at start (the data unusable, a ``--cms`` path that does not exist or holds no
    table) does not stop the server: the tools that need what failed answer with the message the
    command prints, and the others answer as usual (``tables`` lists the files that failed).

    Everything is used from the thread that opened it (SQLite connections are bound to it): the
    server answers calls on the event loop's thread, one at a time.
    """

    def __init__(self, data: str | None = None, cms: str | None = None, descriptors: str | None = None) -> None:
        from cptref.library.paths import cms_paths
        from cptref.replies.opened import catalog, cms_tables

        self.data, self.cms, self.descriptors = data, cms, descriptors
        self.cms_paths: list[Path] = cms_paths(cms)
        """The CMS paths named (``--cms``, else ``$CPTREF_CMS``), read once."""
        self._catalog: Catalog | None = None
        self._catalog_error: CptrefError | None = None
        self._cms: CmsTables | None = None
        self._cms_error: CptrefError | None = None
        self._listed: CmsTables | None = None
        """The tables as ``cptref tables`` reads them (also when none loads): for the tables tool."""
        self._checkers: dict[str, CheckTables] = {}
        try:
            self._catalog = catalog(data, descriptors)
        except CptrefError as exc:
            self._catalog_error = exc
            _log(exc.lines())
        try:
            self._cms = cms_tables(cms)
        except CptrefError as exc:
            self._cms_error = exc
            _log(exc.lines())
        if self._cms is not None:
            self._listed = self._cms
        elif self.cms_paths:
            try:
                self._listed = cms_tables(cms, quiet=True, required=False)
            except CptrefError as exc:  # required=False refuses nothing it can list; kept for safety
                _log(exc.lines())

    def close(self) -> None:
        """Close the CMS tables (the catalog closes with the process)."""
        for tables in {id(t): t for t in (self._cms, self._listed) if t is not None}.values():
            tables.close()
        self._cms = self._listed = None
        self._checkers.clear()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- what was opened at start --------------------------------------------------------------------

    def catalog(self) -> Catalog:
        """The catalog opened at start; the error that kept it from opening, raised."""
        if self._catalog is None:
            assert self._catalog_error is not None
            raise self._catalog_error
        return self._catalog

    def tables(self) -> CmsTables | None:
        """The CMS tables opened at start (None when none is named); the error that kept them, raised."""
        if self._cms_error is not None:
            raise self._cms_error
        return self._cms

    def checker(self, setting: str) -> CheckTables:
        """The check rules' preparations for ``setting``, made once and kept."""
        found = self._checkers.get(setting)
        if found is None:
            from cptref.check.engine import CheckTables

            found = self._checkers[setting] = CheckTables.from_catalog(
                self.catalog(), self.tables(), build.SETTING_OF[setting]
            )
        return found

    # --- a call --------------------------------------------------------------------------------------

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolAnswer:
        """Answer one tool call; never raises an Exception. A CptrefError is its message; anything else
        is logged on stderr with its traceback and answered as an internal error."""
        try:
            tool = BY_NAME.get(name)
            if tool is None:
                raise UsageError(f"no tool {name[:40]!r}; the tools are: {', '.join(BY_NAME)}")
            return ANSWERS[name](self, decode_arguments(tool, arguments))
        except CptrefError as exc:
            return _failed(exc.lines())
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return _failed([f"internal error in {name[:40]} ({type(exc).__name__}): {exc}; please report it"])

    # --- the tools -----------------------------------------------------------------------------------

    def show(self, values: ShowInput) -> ToolAnswer:
        """``cptref show CODE... --json`` and its view. When a file an answer needs is broken, the
        builder reads what it needs again, as the command does."""
        wanted, prefixes, notes = build.asked_codes(values.codes)
        cms = self.tables()
        reply = build.show_reply(
            wanted, prefixes, self.data, self.descriptors, cms, full=values.full, opened=self._catalog
        )
        reply.notes[:0] = notes
        return _answer(reply)

    def search(self, values: SearchInput) -> ToolAnswer:
        """``cptref search WORDS --json`` and its view."""
        text = build.query_text([values.query])
        return _answer(build.search_reply(self.catalog(), self.tables(), text, values.limit))

    def check(self, values: CheckInput) -> ToolAnswer:
        """``cptref check LINE... --json`` (one claim) and its view. A broken data file the claim's
        codes need is refused with the command's message."""
        from cptref.check.lines import parse_line

        date = build.service_date(values.date)
        found = self.catalog()
        if found.problems:
            from cptref.library.problems import refuse_or_warn

            touched = [line.code for line in map(parse_line, values.lines) if line is not None]
            if found.broken_shared or found.broken_for(touched):
                refuse_or_warn(found, touched)  # raises: an answer needs a broken file
        tables = self.checker(values.setting)
        return _answer(build.check_reply(found, tables, values.lines, date, values.explain))

    def list_codes(self, values: ListInput) -> ToolAnswer:
        """``cptref list --json`` and its view."""
        keep = build.code_range(values.range) if values.range is not None else None
        return _answer(build.list_reply(self.catalog(), values.family, keep, values.status))

    def families(self, values: FamiliesInput) -> ToolAnswer:
        """``cptref families --json`` and its view."""
        return _answer(build.families_reply(self.catalog()))

    def list_tables(self, values: TablesInput) -> ToolAnswer:
        """``cptref tables --json`` and its view, from the tables read at start. A table not read whole
        is no error here: the document says so (``ok``), as the command's exit status 3 does."""
        if not self.cms_paths or self._listed is None:
            raise UsageError(build.NO_CMS)
        return _answer(build.tables_reply(self._listed.summary(), self.cms_paths))


ANSWERS: dict[str, Callable[[Library, Any], ToolAnswer]] = {
    "show": Library.show,
    "search": Library.search,
    "check": Library.check,
    "list": Library.list_codes,
    "families": Library.families,
    "tables": Library.list_tables,
}
"""Each tool's answer, by name."""
