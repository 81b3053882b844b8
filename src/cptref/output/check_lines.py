"""``cptref check``'s machine output a claim at a time: a JSON line (``--jsonl``), or rows (csv, plain).

A batch writes each claim into a chunk's buffer (:class:`cptref.check.batch.ClaimWriter`);
:func:`claim_writer` gives the writer of a format. Every answer a batch repeats is encoded once and
reused: each finding's JSON, what checked the claim, each claim line as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import msgspec

from cptref.check.results import FINDING_KEYS

from .check_documents import LEAN_FINDING, LINE_VERSION, ClaimLine

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim
    from cptref.check.lines import Line
    from cptref.check.results import Checked, CheckResult, Finding


class CheckLines:
    """``cptref check --jsonl``: one compact JSON line a claim (:class:`~cptref.output.check_documents.ClaimLine`):
    its id and line, whether it is ok and verified, its lines as read, and each finding's
    :data:`~cptref.output.check_documents.LEAN_FINDING` fields (``fields`` names others; ``explain`` gives every
    field, and the codes' titles).

    The checker shares finding objects between claims, so each one's JSON is encoded once and
    reused; the cache holds the finding itself, so an id is never mistaken for another's.
    """

    CACHE = 100_000

    def __init__(
        self, title: Callable[[str], str | None], fields: Sequence[str] | None = None, explain: bool = False
    ) -> None:
        self._title = title
        self._explain = explain
        self._fields = None if explain and fields is None else (fields or LEAN_FINDING)
        encoder = msgspec.json.Encoder()
        self._encode, self._encode_into = encoder.encode, encoder.encode_into
        self._findings: dict[int, tuple[Finding, msgspec.Raw]] = {}
        self._checked: dict[int, tuple[Checked | None, msgspec.Raw]] = {}
        """What checked a claim, encoded once: claims of one quarter share the object."""
        self._texts: dict[Line, str] = {}
        """Claim lines as written (``47542-59x2``): the checker shares Line objects between claims."""

    def _text(self, line: Line) -> str:
        text = self._texts.get(line)
        if text is None:
            text = str(line)
            if len(self._texts) < self.CACHE:
                self._texts[line] = text
        return text

    def _finding(self, item: Finding) -> msgspec.Raw:
        fields = self._fields
        # the fields read off the struct: the same JSON as select() gives, without converting every field first
        raw = msgspec.Raw(self._encode(item if fields is None else {key: getattr(item, key) for key in fields}))
        if len(self._findings) < self.CACHE:
            self._findings[id(item)] = (item, raw)
        return raw

    def header(self) -> bytes:
        """JSON Lines has no header."""
        return b""

    def line(self, result: CheckResult, claim: BatchClaim | None = None) -> bytes:
        out = bytearray()
        self.write(out, result, claim)
        return bytes(out)

    def write(self, out: bytearray, result: CheckResult, claim: BatchClaim | None = None) -> None:
        """Append the line of ``result`` (and its newline) to ``out``: a batch writes a chunk's
        lines into one buffer."""
        found, texts = self._findings, self._texts
        findings = []
        for f in result.findings:
            hit = found.get(id(f))
            findings.append(hit[1] if hit is not None and hit[0] is f else self._finding(f))
        codes = [texts.get(line) or self._text(line) for line in result.lines]
        titles = {line.code: self._title(line.code) for line in result.lines} if self._explain else {}
        # lean: only where it is the answer a script looks for (no error, yet not verified); --explain: always
        checked = result.checked if self._explain or (result.ok and not result.verified) else None
        raw = self._checked.get(id(checked))
        if raw is None or raw[0] is not checked:
            raw = (checked, msgspec.Raw(self._encode(checked)))
            if len(self._checked) < self.CACHE:
                self._checked[id(checked)] = raw
        document = ClaimLine(
            LINE_VERSION,
            claim.id if claim else None,
            claim.line if claim else None,
            result.ok,
            result.verified,
            raw[1],  # type: ignore[arg-type]  # pre-encoded: the same JSON as the Checked
            codes,
            titles,
            findings,  # type: ignore[arg-type]  # pre-encoded: the same JSON as each Finding
        )
        self._encode_into(document, out, -1)
        out += b"\n"


class FindingRows:
    """``check`` as csv or plain rows: a row a finding, each starting with the claim's id and line."""

    def __init__(self, fmt: str, columns: Sequence[str]) -> None:
        from .formats import formatter

        self._out = formatter(fmt)
        self._columns = columns

    def header(self) -> bytes:
        return self._out.header(self._columns, claim=True)

    def write(self, out: bytearray, result: CheckResult, claim: BatchClaim | None = None) -> None:
        from .formats import Answer

        out += self._out.answer(Answer(None, rows=result.findings, columns=self._columns, claim=claim))


def claim_writer(
    fmt: str, title: Callable[[str], str | None], fields: Sequence[str] | None, explain: bool
) -> CheckLines | FindingRows:
    """The writer of a batch's claims in the machine format ``fmt`` (jsonl, csv or plain)."""
    if fmt == "jsonl":
        return CheckLines(title, fields, explain)
    return FindingRows(fmt, fields or FINDING_KEYS)
