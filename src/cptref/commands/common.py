"""What the commands share: the library and the user's CMS tables opened (:mod:`cptref.replies.opened`:
with a progress bar on a terminal, and one warning line for what could not be read), the output format
asked for, and an answer written in it.

Nothing here parses a command line (:mod:`cptref.cli` does, into each command's ``Args``) or knows a
command; each command is a module of this package.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from cptref.errors import UsageError
from cptref.output import streams
from cptref.replies.opened import catalog, cms_tables

if TYPE_CHECKING:
    from cptref.output.formats import Answer
    from cptref.output.text.doc import TextDoc


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
    if out.binary and sys.stdout.isatty():
        raise UsageError(f"--format {fmt} is binary: redirect stdout to a file (> results.{fmt})")
    if out.text:
        assert answer.view is not None
        emit_text(answer.view(), color)
        return
    header = out.header(answer.columns, verdict=answer.verdict is not None)
    if header:
        streams.write(header)
    streams.write(out.answer(answer))


__all__ = ["catalog", "cms_tables", "emit", "emit_text", "output_format", "selected_fields"]
