"""``cptref check``'s machine output a claim at a time: a JSON line (``--jsonl``), or rows (csv, plain).

A batch writes each claim into a chunk's buffer (:class:`cptref.check.batch.ClaimWriter`);
:func:`claim_writer` gives the writer of a format. Every answer a batch repeats is encoded once and
reused: each finding's JSON, what checked the claim, each claim line as written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from cptref.check.budget import ROOM
from cptref.check.results import FINDING_KEYS

from .check_documents import ENVELOPE, LEAN_FINDING, LINE_VERSION, CheckedCode, ClaimLine

if TYPE_CHECKING:
    from cptref.check.inputs.base import BatchClaim
    from cptref.check.lines import Line
    from cptref.check.results import Checked, CheckResult, Finding


class CheckLines:
    """``cptref check --jsonl``: one compact JSON line a claim (:class:`~cptref.output.check_documents.ClaimLine`):
    its id and line, whether it is ok and verified, and each finding's
    :data:`~cptref.output.check_documents.LEAN_FINDING` fields (``fields`` names others; ``explain`` gives every
    field), a key left out when its value is empty; the envelope (:data:`~cptref.output.check_documents.ENVELOPE`)
    with ``explain``, or the keys of it ``envelope`` names.

    The checker shares finding objects between claims, so each one's JSON is encoded once and
    reused; the cache holds the finding itself, so an id is never mistaken for another's.
    """

    CACHE = 100_000

    def __init__(
        self,
        title: Callable[[str], str | None],
        fields: Sequence[str] | None = None,
        explain: bool = False,
        envelope: Sequence[str] = (),
    ) -> None:
        self._title = title
        self._explain = explain
        self._fields = FINDING_KEYS if explain and fields is None else (fields or LEAN_FINDING)
        wanted = set(ENVELOPE if explain else envelope)
        self._version, self._codes, self._all_checked = (key in wanted for key in ENVELOPE)
        encoder = msgspec.json.Encoder()
        self._encode, self._encode_into = encoder.encode, encoder.encode_into
        self._findings: dict[int, tuple[Finding, msgspec.Raw]] = {}
        self._checked: dict[int, tuple[Checked | None, msgspec.Raw]] = {}
        """What checked a claim, encoded once: claims of one quarter share the object."""
        self._lines: dict[Line, CheckedCode] = {}
        """Claim lines as written: the checker shares Line objects between claims."""

    def _line(self, line: Line) -> CheckedCode:
        found = self._lines.get(line)
        if found is None:
            mods = list(line.modifiers) if line.modifiers else msgspec.UNSET
            title = self._title(line.code) if self._explain else msgspec.UNSET
            found = CheckedCode(line.code, line.units, title, mods)
            if len(self._lines) < self.CACHE and ROOM.open:
                self._lines[line] = found
        return found

    def _finding(self, item: Finding) -> msgspec.Raw:
        # the fields read off the struct, those with a value: no null, no []
        values = {key: getattr(item, key) for key in self._fields}
        raw = msgspec.Raw(self._encode({k: v for k, v in values.items() if v is not None and v != ()}))
        if len(self._findings) < self.CACHE and ROOM.open:
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
        found = self._findings
        findings = []
        for f in result.findings:
            hit = found.get(id(f))
            findings.append(hit[1] if hit is not None and hit[0] is f else self._finding(f))
        # lean: only where it is the answer a script looks for (no error, yet not verified); asked for: always
        checked: Any = msgspec.UNSET
        if self._all_checked or (result.ok and not result.verified):
            raw = self._checked.get(id(result.checked))
            if raw is None or raw[0] is not result.checked:
                raw = (result.checked, msgspec.Raw(self._encode(_lean(msgspec.to_builtins(result.checked)))))
                if len(self._checked) < self.CACHE and ROOM.open:
                    self._checked[id(result.checked)] = raw
            checked = raw[1]  # pre-encoded: the Checked, its null and empty keys left out
        unset: Any = msgspec.UNSET
        claim_id = claim.id if claim is not None and claim.id is not None else unset
        document = ClaimLine(
            schema_version=LINE_VERSION if self._version else unset,
            id=claim_id,
            line=claim.line if claim is not None else unset,
            ok=result.ok,
            verified=result.verified,
            checked=checked,
            codes=[self._lines.get(line) or self._line(line) for line in result.lines] if self._codes else unset,
            findings=findings or unset,  # type: ignore[arg-type]  # pre-encoded: the same JSON as each Finding, its empty keys left out
        )
        self._encode_into(document, out, -1)
        out += b"\n"


def _lean(value: Any) -> Any:
    """``value`` (JSON builtins) with every null, ``[]`` and ``{}`` of its objects left out."""
    if isinstance(value, dict):
        return {
            k: _lean(v)
            for k, v in value.items()
            if v is not None and not (isinstance(v, list | tuple | dict) and not v)
        }
    return value


class FindingRows:
    """``check`` as csv or plain rows: a row a finding, each starting with the claim's id, line, ok and
    verified; a claim without findings is a row of its own (its finding cells empty)."""

    def __init__(self, fmt: str, columns: Sequence[str]) -> None:
        from .formats import formatter

        self._out = formatter(fmt)
        self._columns = columns

    def header(self) -> bytes:
        return self._out.header(self._columns, claim=True, verdict=True)

    def write(self, out: bytearray, result: CheckResult, claim: BatchClaim | None = None) -> None:
        from .formats import Answer

        answer = Answer(
            None, rows=result.findings, columns=self._columns, claim=claim, verdict=(result.ok, result.verified)
        )
        out += self._out.answer(answer)


def claim_writer(
    fmt: str,
    title: Callable[[str], str | None],
    fields: Sequence[str] | None,
    explain: bool,
    envelope: Sequence[str] = (),
) -> CheckLines | FindingRows:
    """The writer of a batch's claims in the machine format ``fmt`` (jsonl, csv or plain)."""
    if fmt == "jsonl":
        return CheckLines(title, fields, explain, envelope)
    return FindingRows(fmt, fields or FINDING_KEYS)
