"""Output formats: one formatter per format, and the one registry that names them (:data:`FORMATS`).

A command builds an :class:`Answer`: its JSON document, the items its rows and JSON Lines are made
of, and its text view; the formatter of the format asked for (``--format``, ``--json``,
``--jsonl``) turns it into what is written. ``table`` (the text view: rich with colour on a
terminal, plain text when piped) is the default; ``text`` is the same view under the name the
commands without ``--format`` use.

A format is registered once, in :data:`FORMATS`, with its help: ``--format`` offers it (its choices
and help are read from here), every command's help paragraph on its output names it
(:func:`with_formats`), and README's list of formats is written from it (:func:`formats_markdown`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
from msgspec import Struct

from .safe_text import formula_safe, visible

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim as Claim
    from cptref.output.text.doc import TextDoc as Doc


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
    verdict: tuple[bool, bool] | None = None
    """``check``: the claim's ok and verified, which its csv and plain rows carry (after its id and
    line); a claim without findings is then one row of its own, its finding cells empty."""


def cell_text(value: Any) -> str:
    """One value as text in a row: null is empty, a list is its items joined by spaces, a mapping
    is ``key: items; key: items``, booleans are ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(cell_text(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {cell_text(v)}" for k, v in value.items())
    return str(value)


class Formatter:
    """Writes answers in one format; ``header`` once before the first (a batch), then ``answer``."""

    name: str = ""
    text = False
    """True for the text view (drawn by :func:`cptref.commands.common.emit_text`, not written as bytes)."""
    binary = False
    """True for a binary format (Parquet): never written to a terminal."""

    def header(self, columns: Sequence[str], claim: bool = False, verdict: bool = False) -> bytes:
        return b""

    def answer(self, answer: Answer) -> bytes:
        raise NotImplementedError


class Json(Formatter):
    name = "json"

    def answer(self, answer: Answer) -> bytes:
        return dumps(answer.document)


class JsonLines(Formatter):
    name = "jsonl"

    def answer(self, answer: Answer) -> bytes:
        items = answer.rows if answer.lines is None else answer.lines
        return b"".join(item if isinstance(item, bytes) else line(item) for item in items)


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

    def header(self, columns: Sequence[str], claim: bool = False, verdict: bool = False) -> bytes:
        if self._writer is None:
            return b""
        return self._encode([[*(("id", "line") if claim else ()), *(("ok", "verified") if verdict else ()), *columns]])

    def _encode(self, rows: Iterable[Sequence[str]]) -> bytes:
        if self._writer is None:  # tab-separated: a tab or line break inside a value is a space
            clean = str.maketrans({"\t": " ", "\n": " ", "\r": " "})
            return "".join("\t".join(visible(v.translate(clean)) for v in row) + "\n" for row in rows).encode()
        self._writer.writerows([formula_safe(visible(value)) for value in row] for row in rows)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def answer(self, answer: Answer) -> bytes:
        """One row an item; in a batch, the claim's id and line first."""
        claim, verdict = answer.claim, answer.verdict
        front = [cell_text(claim.id), str(claim.line)] if claim is not None else []
        if verdict is not None:
            front += [cell_text(verdict[0]), cell_text(verdict[1])]
            if not answer.rows:  # a claim without findings: a row of its own says so
                return self._encode([[*front, *("" for _ in answer.columns)]])
        from .fields import select

        items = (select(item, answer.columns) for item in answer.rows)
        return self._encode([*front, *(cell_text(item[c]) for c in answer.columns)] for item in items)


class TextView(Formatter):
    """The text view: the answer's :class:`~cptref.output.text.doc.TextDoc`, drawn by the caller."""

    text = True

    def __init__(self, name: str) -> None:
        self.name = name

    def answer(self, answer: Answer) -> bytes:
        raise TypeError("the text view is drawn, not encoded: use Answer.view")


class OutputFormat(NamedTuple):
    """A format: its name, what it writes (one phrase: the help of ``--format``), whether ``--format``
    offers it (``text`` is the text view's name on the commands without ``--format``), and its
    formatter (made afresh for each answer; a batch keeps one)."""

    name: str
    help: str
    offered: bool
    make: Callable[[], Formatter]


FORMATS: dict[str, OutputFormat] = {
    format.name: format
    for format in (
        OutputFormat("table", "the text view", True, lambda: TextView("table")),
        OutputFormat("plain", "tab-separated rows, no header", True, lambda: Rows(csv=False)),
        OutputFormat("json", "as --json", True, lambda: Json()),
        OutputFormat("jsonl", "one JSON object a line", True, lambda: JsonLines()),
        OutputFormat("csv", "a header line, then rows", True, lambda: Rows(csv=True)),
        OutputFormat(
            "parquet",
            "a Parquet file (with -o FILE, or stdout redirected; pip install 'cptref[arrow]')",
            True,
            lambda: parquet(),
        ),
        OutputFormat("text", "the text view", False, lambda: TextView("text")),
    )
}
"""Every output format by name, in the order ``--format`` lists them. A new format goes here."""


class Parquet(Formatter):
    """``--format parquet``: the answer's rows (or JSON Lines items) as one Parquet table; record
    batches (``check``'s results, :mod:`cptref.output.arrow`) are written as they are."""

    name = "parquet"
    binary = True

    def answer(self, answer: Answer) -> bytes:
        import pyarrow as pa
        import pyarrow.parquet as pq

        items = answer.rows if answer.lines is None else answer.lines
        batches = [item for item in items if isinstance(item, pa.RecordBatch)]
        if batches:
            table = pa.Table.from_batches(batches)
        else:
            rows = [msgspec.to_builtins(item) for item in items]
            table = pa.Table.from_pylist(rows) if rows else pa.table({})
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()


def parquet() -> Formatter:
    """The Parquet formatter; without pyarrow, a usage error naming the extra that installs it."""
    require_arrow("--format parquet")
    return Parquet()


def require_arrow(what: str) -> None:
    """Raise :class:`~cptref.errors.MissingExtra` (exit 2) when pyarrow is not installed."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        from cptref.errors import MissingExtra

        raise MissingExtra("arrow", what)


def formatter(name: str) -> Formatter:
    """A fresh formatter of the format ``name``."""
    return FORMATS[name].make()


def offered() -> tuple[str, ...]:
    """The formats ``--format`` offers, in order (its choices)."""
    return tuple(f.name for f in FORMATS.values() if f.offered)


def option_help() -> str:
    """The help of ``--format``: each format offered and what it writes."""
    return "; ".join(f"{f.name}: {f.help}" for f in FORMATS.values() if f.offered) + "."


def with_formats(help_text: str) -> str:
    """A command's ``--help`` with every format ``--format`` offers named in its paragraph on its output
    (the one that starts ``Output (--format):``): a format the paragraph does not name yet is added to
    it with its own help, so a new format is in every command's help the moment it is registered."""
    start = help_text.find("Output (--format):")
    if start < 0:
        return help_text
    end = help_text.find("\n\n", start)
    end = len(help_text) if end < 0 else end
    paragraph = help_text[start:end]
    unnamed = [f for f in FORMATS.values() if f.offered and not re.search(rf"\b{re.escape(f.name)}\b", paragraph)]
    if not unnamed:
        return help_text
    more = " Also " + "; ".join(f"{f.name}, {f.help}" for f in unnamed) + "."
    return help_text[:end] + more + help_text[end:]


def formats_markdown() -> str:
    """README's list of the formats ``--format`` offers."""
    return "".join(f"- `{f.name}`: {f.help}\n" for f in FORMATS.values() if f.offered)


def dumps(document: Any) -> bytes:
    """Indented, key-order-stable UTF-8 JSON with a final newline."""
    try:
        encoded = msgspec.json.encode(document)
    except UnicodeEncodeError:  # a path that is not UTF-8 (a file name's raw bytes): write them escaped
        encoded = msgspec.json.encode(_escape_undecodable(msgspec.to_builtins(document)))
    return msgspec.json.format(encoded, indent=2) + b"\n"


def _escape_undecodable(value: Any) -> Any:
    """``value`` with every character UTF-8 cannot hold (a lone surrogate, as an undecodable byte of a
    file name becomes) written as a ``\\udcNN`` escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_escape_undecodable(k): _escape_undecodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape_undecodable(v) for v in value]
    return value


def line(item: Any) -> bytes:
    """One compact JSON line (JSON Lines output)."""
    return msgspec.json.encode(item) + b"\n"
