"""Output formats: one formatter per format, behind one registry (:data:`FORMATS`).

A command builds an :class:`Answer`: its JSON document, the items its rows and JSON Lines are made
of, and its text view; the formatter of the format asked for (``--format``, ``--json``,
``--jsonl``) turns it into what is written. ``table`` (the text view: rich with colour on a
terminal, plain text when piped) is the default; ``text`` is the same view under the name the
commands without ``--format`` use.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from . import to_documents as serialize
from .safe_text import cell as safe_cell
from .safe_text import visible

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim as Claim
    from cptref.output.text.show import Doc


class Answer(Struct):
    """What a command found, ready for any format."""

    document: Any
    """The ``--json`` document (typed, or a mapping when ``--fields`` narrowed it)."""
    rows: Sequence[Any] = ()
    """The items of csv and plain output (a row each) and of ``search``'s JSON Lines."""
    view: Callable[[], Doc] | None = None
    """The text view."""
    lines: Sequence[Any] | None = None
    """The JSON Lines items, when they are not :attr:`rows` (``check``: the claim itself)."""
    columns: Sequence[str] = ()
    """The fields of a row, in order."""
    claim: Claim | None = None
    """The claim this answers (a batch): csv and plain rows start with its id and line."""


def cell(value: Any) -> str:
    """One value as text in a row: null is empty, a list is its items joined by spaces, a mapping
    is ``key: items; key: items``, booleans are ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell(v)}" for k, v in value.items())
    return str(value)


class Formatter:
    """Writes answers in one format; ``header`` once before the first (a batch), then ``answer``."""

    name: str = ""
    text = False
    """True for the text view (drawn by :func:`cptref.app.emit_text`, not written as bytes)."""

    def header(self, columns: Sequence[str], claim: bool = False) -> bytes:
        return b""

    def answer(self, answer: Answer) -> bytes:
        raise NotImplementedError


class Json(Formatter):
    name = "json"

    def answer(self, answer: Answer) -> bytes:
        return serialize.dumps(answer.document)


class JsonLines(Formatter):
    name = "jsonl"

    def answer(self, answer: Answer) -> bytes:
        items = answer.rows if answer.lines is None else answer.lines
        return b"".join(item if isinstance(item, bytes) else serialize.line(item) for item in items)


class Rows(Formatter):
    """CSV (a header line, then rows, by the csv module; a cell a spreadsheet would run as a formula
    gets a leading ``'``) or plain text (tab-separated rows, no header, tabs and line breaks inside
    values turned into spaces). Other control characters are written as visible escapes in both."""

    def __init__(self, csv: bool) -> None:
        self.name = "csv" if csv else "plain"
        self._buffer = io.StringIO()
        self._writer: Any = None
        if csv:
            import csv as csv_module  # deferred: only csv output pays for it

            self._writer = csv_module.writer(self._buffer, lineterminator="\n")

    def header(self, columns: Sequence[str], claim: bool = False) -> bytes:
        if self._writer is None:
            return b""
        return self._encode([[*(("id", "line") if claim else ()), *columns]])

    def _encode(self, rows: Iterable[Sequence[str]]) -> bytes:
        if self._writer is None:  # tab-separated: a tab or line break inside a value is a space
            clean = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
            return "".join("\t".join(visible(v.translate(clean)) for v in row) + "\n" for row in rows).encode()
        self._writer.writerows([safe_cell(visible(value)) for value in row] for row in rows)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def answer(self, answer: Answer) -> bytes:
        """One row an item; in a batch, the claim's id and line first."""
        claim = answer.claim
        front = [cell(claim.id), str(claim.line)] if claim is not None else []
        items = (serialize.select(item, answer.columns) for item in answer.rows)
        return self._encode([*front, *(cell(item[c]) for c in answer.columns)] for item in items)


class Text(Formatter):
    """The text view: the answer's :class:`~cptref.render.Doc`, drawn by the caller."""

    text = True

    def __init__(self, name: str) -> None:
        self.name = name

    def answer(self, answer: Answer) -> bytes:
        raise TypeError("the text view is drawn, not encoded: use Answer.view")


FORMATS: dict[str, Callable[[], Formatter]] = {
    "table": lambda: Text("table"),
    "text": lambda: Text("text"),
    "plain": lambda: Rows(csv=False),
    "csv": lambda: Rows(csv=True),
    "json": Json,
    "jsonl": JsonLines,
}
"""Every output format by name; each call makes a fresh formatter (a batch keeps one)."""


def formatter(name: str) -> Formatter:
    return FORMATS[name]()
