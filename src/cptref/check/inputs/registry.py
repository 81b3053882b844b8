"""Which reader reads a batch file: chosen by the file's extension, else by its first line.

:data:`INPUT_FORMATS` lists every claim input format in the order they are tried: a file named with one
of a format's suffixes is read in it; otherwise the first format whose :attr:`InputFormat.sniff`
accepts the first line that is not blank (CSV accepts any line, so it comes last). A new format (a
reader module of this package) is registered here. :func:`batch_lines` reads a file's lines bounded
(:data:`~.base.MAX_LINE`) and picks the reader; :func:`read_claims` gives every line's item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from importlib import import_module
from itertools import chain
from typing import IO, Any, NamedTuple, cast

from .base import MAX_LINE, TOO_LONG, ClaimReader, Item, UnreadableBatch, UnreadLine
from .opened import converted, opened


class InputFormat(NamedTuple):
    """A claim input format: its name, the file suffixes that name it, the test of a first line
    (``module:function`` of this package, or "" for any line), and its reader (``module:Class``)."""

    name: str
    suffixes: tuple[str, ...]
    sniff: str
    reader: str


INPUT_FORMATS: tuple[InputFormat, ...] = (
    InputFormat("x12", (".837", ".x12", ".edi"), "x12.tokens:is_x12", "x12.reader:X12Claims"),
    InputFormat("jsonl", (".jsonl", ".ndjson", ".json"), "jsonl:looks_like", "jsonl:JsonlClaims"),
    InputFormat("csv", (".csv",), "", "csvfile:CsvClaims"),
)
"""Every claim input format, in the order they are tried."""


def _load(where: str) -> Any:
    module, _, name = where.partition(":")
    return getattr(import_module(f"{__package__}.{module}"), name)


def detect_format(name: str | None, first_line: bytes) -> str:
    """The format of a batch: by the file's suffix, else by its first line that is not blank."""
    lowered = (name or "").lower()
    for found in INPUT_FORMATS:
        if lowered.endswith(found.suffixes):
            return found.name
    for found in INPUT_FORMATS:
        sniff: Callable[[bytes], bool] | None = _load(found.sniff) if found.sniff else None
        if sniff is None or sniff(first_line):
            return found.name
    return INPUT_FORMATS[-1].name


def reader_for(fmt: str) -> ClaimReader:
    """A new reader of the format named ``fmt``."""
    for found in INPUT_FORMATS:
        if found.name == fmt:
            made: ClaimReader = _load(found.reader)()
            return made
    raise ValueError(f"no claim input format {fmt!r}")


def _bounded(stream: Any) -> Iterator[bytes]:
    """The lines of a binary file object, each at most :data:`MAX_LINE` bytes or :data:`TOO_LONG`."""
    readline = stream.readline
    while line := readline(MAX_LINE + 1):
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the long line
            line = readline(MAX_LINE + 1)
        yield TOO_LONG
        if isinstance(line, UnreadLine):  # the stream stopped inside the long line: said too
            yield line


def batch_lines(
    lines: Iterable[bytes], name: str | None = None, fmt: str | None = None
) -> tuple[ClaimReader, Iterator[bytes]] | None:
    """The reader of a batch (its format detected from the first line that is not blank, when not
    given) and its lines, each at most :data:`MAX_LINE` bytes (a longer one stands as a line of its
    own that the reader reports); None for a batch with no line at all."""
    given = name  # the file's own name (claims.837.gz), said when it is refused
    if hasattr(lines, "readline"):
        lines, name = opened(lines, name)
        source = _bounded(lines)
    else:
        source = iter(lines)
    head: list[bytes] = []
    for raw in source:
        head.append(raw)
        if isinstance(raw, UnreadLine) or raw.strip():
            break
    if not head:
        return None
    found = fmt or detect_format(name, head[-1])
    way: str = getattr(lines, "way", "")  # decompressed or decoded: the command that would do it
    if found == "x12" and way:  # an 837 is read whole from its own bytes (its positions are theirs)
        raise UnreadableBatch(
            f"{given or '-'}: a {getattr(lines, 'what', '')} X12 file: an 837 is read from its own bytes, not "
            f"converted ones: {way} | cptref check --file -"
        )
    if fmt is None and found != "x12":
        _not_a_json_document(head[-1], name)
    return reader_for(found), chain(head, source)


def _not_a_json_document(first: bytes, name: str | None) -> None:
    """Refuse a JSON document that is not JSON Lines (an array of claims, an object written over many
    lines), whole and with the way out, rather than report each of its lines as a malformed claim."""
    if (name or "").lower().endswith(INPUT_FORMATS[-1].suffixes):
        return
    text = first.lstrip(b"\xef\xbb\xbf \t").rstrip()
    if text.startswith(b"[") or text == b"{":
        what = "a JSON array" if text.startswith(b"[") else "a JSON object written over many lines"
        shown = name or "-"
        jq = ".[]" if text.startswith(b"[") else "."
        raise UnreadableBatch(
            f"{shown}: {what}, not JSON Lines (one claim object a line): convert it: jq -c '{jq}' {shown} | "
            "cptref check --file -"
        )


def x12_stream(stream: Any, name: str | None = None, fmt: str | None = None) -> bool:
    """Whether a binary stream (its first bytes peeked, not read) is an X12 837 file, which is read
    whole by :class:`~.x12.reader.X12Claims`, never in lines: named so, or beginning ``ISA``."""
    if fmt is not None:
        return fmt == "x12"
    peek = getattr(stream, "peek", None)
    if (name or "").lower().endswith(INPUT_FORMATS[0].suffixes):  # unless compressed or UTF-16: refused so
        return peek is None or not converted(bytes(peek(8)[:8]))
    if peek is None:
        return False
    from .x12.tokens import is_x12

    return is_x12(peek(256)[:256])


def read_claims(lines: Iterable[bytes], name: str | None = None, fmt: str | None = None) -> Iterator[Item]:
    """Every line of a batch (binary lines of a file), in order, as a claim, a bad line or a skipped
    line: one item a line, so lines in = claims + bad + skipped. The format is detected when not
    given (:func:`detect_format`). A file object is read in lines of at most :data:`MAX_LINE` bytes;
    a longer line is a bad line. An X12 837 file object is read whole (:mod:`.x12`): an item a claim
    and a date of service, or a problem."""
    if hasattr(lines, "read") and x12_stream(lines, name, fmt):
        from .x12.reader import X12Claims

        yield from X12Claims().source(cast("IO[bytes]", lines))
        return
    found = batch_lines(lines, name, fmt)
    if found is not None:
        reader, stream = found
        yield from reader.items(stream)
