"""Reading an X12 837 file: :func:`read_x12` and its :class:`X12Reader` (the parser's items, in file
order, and the file's tally), :func:`items` (the batch's claims and bad lines), the :class:`X12Claims`
reader that ``check --file`` names (:mod:`cptref.check.inputs.registry`), and :func:`tally_text`, the tally said."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from cptref.check.inputs.base import TOO_LONG, TOO_LONG_MESSAGE, BadLine, BatchClaim, ClaimReader

from .data import DEFAULT_LIMITS, Limits, Position, X12Item, X12Problem, X12Tally
from .services import _Parser
from .tokens import _chunks_of_bytes, _chunks_of_stream

X12Source = str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview


def read_x12(source: X12Source, limits: Limits = DEFAULT_LIMITS) -> X12Reader:
    """A reader of an 837 file (a path, a binary stream, or the bytes themselves): iterate it for
    its :class:`~.data.X12Claim` and :class:`~.data.X12Problem` items, in file order; then read its :attr:`tally`."""
    return X12Reader(source, limits)


class X12Reader:
    """Reads one 837 file in one pass (see the module's docstring). Iterate it once."""

    def __init__(self, source: X12Source, limits: Limits = DEFAULT_LIMITS) -> None:
        self.source = source
        self.limits = limits
        self.tally = X12Tally()
        self._used = False

    def __iter__(self) -> Iterator[X12Item]:
        if self._used:
            raise RuntimeError("an X12Reader is read once")
        self._used = True
        source = self.source
        if isinstance(source, (bytes, bytearray, memoryview)):
            yield from _Parser(self.tally, self.limits).run(_chunks_of_bytes(bytes(source)))
            return
        if isinstance(source, (str, os.PathLike)):
            size = os.stat(source).st_size
            if size > self.limits.max_bytes:
                self.tally.stopped = True
                self.tally.problems += 1
                yield X12Problem(
                    "too-large",
                    f"the file holds {size} bytes, over the limit of {self.limits.max_bytes}: nothing was read",
                    Position(0, 0, 0),
                )
                return
            with open(source, "rb") as stream:
                yield from _Parser(self.tally, self.limits).run(_chunks_of_stream(stream))
            return
        yield from _Parser(self.tally, self.limits).run(_chunks_of_stream(source))


def items(source: X12Source | X12Reader, limits: Limits = DEFAULT_LIMITS) -> Iterator[BatchClaim | BadLine]:
    """The file as the batch's items: each :class:`~.data.X12Claim` as a
    :class:`~cptref.check.inputs.base.BatchClaim` (its line: the CLM segment's number; its setting:
    the guide's), each :class:`~.data.X12Problem` as a :class:`~cptref.check.inputs.base.BadLine`
    (its line: the segment's number; its message says where). A claim not read whole is a BadLine
    too, never a claim checked on part of its lines."""
    reader = source if isinstance(source, X12Reader) else read_x12(source, limits)
    for item in reader:
        if isinstance(item, X12Problem):
            yield BadLine(item.at.segment, str(item))
        elif item.incomplete:
            yield BadLine(
                item.at.segment,
                f"{item.at}, claim {item.id!r}: not checked, the claim was not read whole: "
                + "; ".join(item.incomplete),
            )
        else:
            yield item.to_claim()


class X12Claims(ClaimReader):
    """An X12 837 batch as a :class:`~cptref.check.inputs.base.ClaimReader`. An 837 is not read in
    lines (it is often one line of megabytes): ``check --file`` reads it with :meth:`source`
    (bounded by :class:`~.data.Limits`) and sends the items it gives to the workers, whose
    :meth:`items` passes them on as they are. Given the lines of a file instead
    (:func:`~cptref.check.inputs.registry.read_claims`), :meth:`items` reads them as the bytes of
    one 837."""

    __slots__ = ("reader",)
    fmt = "x12"

    def __init__(self) -> None:
        super().__init__()
        self.reader: X12Reader | None = None
        """The reader of the file (its :attr:`X12Reader.tally`), once :meth:`source` or :meth:`items` read one."""

    def source(self, stream: IO[bytes], limits: Limits = DEFAULT_LIMITS) -> Iterator[BatchClaim | BadLine]:
        """The batch items of an 837 file read from ``stream``."""
        self.reader = read_x12(stream, limits)
        return items(self.reader)

    def items(self, lines: Iterable[Any], first: int = 1) -> Iterator[BatchClaim | BadLine]:
        """Items read already (a chunk of :meth:`source`'s), passed on; or the bytes of an 837 file, read."""
        ahead = iter(lines)
        head = next(ahead, None)
        if head is None:
            return
        if not isinstance(head, bytes | bytearray):
            yield head
            yield from ahead
            return
        cut: list[int] = []

        def whole(chunks: Iterator[Any]) -> Iterator[bytes]:  # lines cut at MAX_LINE lost their bytes: stop there
            for number, chunk in enumerate(chunks, first):
                if chunk is TOO_LONG:
                    cut.append(number)
                    return
                yield bytes(chunk)

        self.reader = read_x12(cast("IO[bytes]", _StreamOf(whole(itertools.chain([head], ahead)))))
        yield from items(self.reader)
        if cut:
            yield BadLine(cut[0], f"{TOO_LONG_MESSAGE}: an X12 file read in lines stops there; name the file instead")

    def summary(self) -> str | None:
        """What the file held and where each claim and service line went, for the batch summary."""
        if self.reader is None:
            return None
        return tally_text(self.reader.tally)


class _StreamOf:
    """Byte chunks as a binary stream's ``read`` (what :class:`X12Reader` reads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def read(self, size: int = -1) -> bytes:
        return bytes(next(self._chunks, b""))


def tally_text(tally: X12Tally) -> str:
    """One phrase of an 837's counts: its claims and service lines, each accounted for."""
    text = (
        f"X12 837: {tally.claims_in} claims (CLM) in {tally.transactions} transaction set"
        f"{'s' * (tally.transactions != 1)}: {tally.claims_read} read into {tally.items} checked part"
        f"{'s' * (tally.items != 1)} (one a date of service; {tally.incomplete} not read whole, reported), "
        f"{tally.claims_lost} reported as not read; {tally.lines_in} service lines: {tally.lines_read} read, "
        f"{tally.uncoded} without a procedure code (revenue lines: nothing to check), {tally.lines_lost} reported "
        f"as not read; {tally.problems} problem{'s' * (tally.problems != 1)}"
    )
    if tally.stopped:
        text += "; reading stopped before the end of the file"
    if not tally.balanced():
        text += "; THE COUNTS DO NOT ADD UP (a bug of cptref: please report it)"
    return text
