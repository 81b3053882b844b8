"""The text of an answer laid out before it is drawn: lines of styled segments (:class:`TextDoc`).

Each answer is first laid out as lines of (text, style) segments; :func:`plain` writes them as plain
text (piped output, ``NO_COLOR``, golden tests) and :func:`cptref.output.text.terminal.to_rich`
draws them with rich on a terminal. The words are the same either way. What every view writes of a
fact (its confidence and sources, its codes, its note, a cited source) is here too.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from msgspec import Struct, field

from cptref.output.safe_text import visible

if TYPE_CHECKING:
    from cptref.library.catalog import Catalog


Segment = tuple[str, str]
"""(text, style): style is a rich style name, or "" for none."""
CONFIDENCE_STYLE = {"high": "green", "medium": "yellow", "low": "bold red"}


class TextLine(Struct):
    segments: list[Segment] = field(default_factory=list)
    indent: int = 0
    hang: int = 0
    """Extra indent of wrapped continuation lines."""
    wrap: bool = True
    """False for tabular lines that must stay whole (one search result a line)."""
    fit: bool = False
    """True for a line cut to the width with an ellipsis rather than wrapped (``show``'s brief view)."""

    def add(self, text: str, style: str = "") -> TextLine:
        """Add ``text``, its control characters made visible (:func:`cptref.output.safe_text.visible`): whatever
        came from data or input cannot drive the terminal."""
        if text:
            self.segments.append((visible(text), style))
        return self

    @property
    def text(self) -> str:
        return "".join(t for t, _ in self.segments)


class TextDoc(Struct):
    lines: list[TextLine] = field(default_factory=list)

    def line(self, text: str = "", style: str = "", indent: int = 0, hang: int = 0) -> TextLine:
        new = TextLine(indent=indent, hang=hang).add(text, style)
        self.lines.append(new)
        return new

    def heading(self, text: str) -> None:
        if self.lines:
            self.line()
        self.line(text, "bold underline")


def provenance(line: TextLine, confidence: str, sources: Sequence[str], family: str | None = None) -> TextLine:
    """Append the provenance of a fact: its confidence (low marked loudly) and source ids."""
    if confidence == "low":
        line.add("  [LOW CONFIDENCE]", CONFIDENCE_STYLE["low"])
        line.add(f" ({', '.join(sources)})", "dim")
    else:
        line.add(f"  ({confidence}; {', '.join(sources)})", "dim")
    if family:
        line.add(f" [family rule: {family}]", "dim")
    return line


def add_codes(line: TextLine, codes: Iterable[str]) -> TextLine:
    for i, code in enumerate(codes):
        if i:
            line.add(", ")
        line.add(code, "cyan")
    return line


def add_note(doc: TextDoc, note: str | None, indent: int = 4) -> None:
    if note:
        doc.line(f"note: {note}", "italic", indent=indent, hang=6)


def source_line(doc: TextDoc, catalog: Catalog, sid: str, indent: int) -> None:
    """One cited source: its id, title and address."""
    source = catalog.sources.get(sid)
    line = doc.line(indent=indent, hang=4).add(sid, "bold")
    if source:
        line.add(f" ({source.kind})", "dim").add(f": {source.title}")
        if source.url:
            line.add(f" <{source.url}>", "blue")


def one_row(text: str) -> str:
    return text.replace("\n", " ").replace("\t", " ")


def plain(doc: TextDoc, width: int = 100) -> str:
    """The document as plain text, wrapped at ``width`` columns."""
    out: list[str] = []
    for line in doc.lines:
        text = line.text
        pad = " " * line.indent
        if not text or not line.wrap:  # a row stays one row: a line break or tab in it is a space
            out.append(pad + one_row(text) if text else "")
            continue
        if line.fit:
            row = pad + one_row(text)
            out.append(row if len(row) <= width else row[: max(width - 1, len(pad) + 8)].rstrip() + "…")
            continue
        out.extend(
            textwrap.wrap(
                text,
                width=max(width, line.indent + line.hang + 20),
                initial_indent=pad,
                subsequent_indent=pad + " " * line.hang,
                break_on_hyphens=False,
                break_long_words=False,
            )
        )
    return "\n".join(out) + "\n"
