"""Made-up claims over the made-up library (``tests/fixtures/check``) and CMS tables of 2026 Q4, written
in every shape: JSON Lines as ``check --file`` reads it, and Arrow (one row a claim, one row a line)."""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from tests.extras import require

pa = require("pyarrow")

CODES = ["0001X", "0002X", "0003X", "0004X", "0005X", "0006X", "0007X", "0008X", "0021X", "0022X", "0030X", "0031X"]
ODD = ["0099X", "47542", "zz9", "0001x", "C1729"]
"""Codes with no record, a code of the real library, a malformed token, lower case."""
MODIFIERS = ["59", "RT", "LT", "XS", "26", "50", "ZZ"]
DAYS = [
    datetime.date(2026, 10, 1),
    datetime.date(2026, 10, 31),
    datetime.date(2026, 11, 1),
    datetime.date(2026, 11, 27),
    datetime.date(2026, 11, 30),
    datetime.date(2026, 12, 1),
    datetime.date(2026, 12, 31),
]


class Line(msgspec.Struct):
    code: str
    modifiers: list[str] | None = None
    units: int | None = None

    def text(self) -> str:
        mods = "".join(f"-{m}" for m in self.modifiers or ())
        units = self.units if self.units is not None else 1
        return f"{self.code}{mods}{f'x{units}' if units != 1 else ''}"


class Made(msgspec.Struct):
    id: str | int | None
    date: str | None
    lines: list[Line]
    setting: str | None = None


def claims(count: int, seed: int = 22, problems: bool = True, int_ids: bool = False) -> list[Made]:
    """``count`` claims of 1-6 lines; with ``problems``, some without a date, with a date that is not
    one, or with no line (each a line check --file reports and skips)."""
    rng = random.Random(seed)
    out: list[Made] = []
    for n in range(count):
        lines = []
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4, 6])):
            code = rng.choice(ODD) if rng.random() < 0.08 else rng.choice(CODES)
            mods = rng.sample(MODIFIERS, rng.choice([0, 0, 0, 1, 1, 2])) or None
            units = rng.choice([None, None, None, 1, 2, 3, 5]) if rng.random() < 0.5 else None
            lines.append(Line(code, mods, units))
        day: str | None = rng.choice(DAYS).isoformat()
        roll = rng.random()
        if problems and roll < 0.04:
            day = None
        elif problems and roll < 0.06:
            day = "2026-13-01"
        elif problems and roll < 0.08:
            lines = []
        claim_id: str | int = 1000 + n if int_ids else f"C{n:05d}"
        out.append(Made(claim_id, day, lines))
    return out


def jsonl(made: Sequence[Made], path: Path) -> Path:
    """As check --file reads them: lines as strings or as objects, by turns."""
    rows = []
    for i, claim in enumerate(made):
        codes: list[Any] = []
        for j, line in enumerate(claim.lines):
            if (i + j) % 2 or line.code in ODD:
                # a malformed code as a string: given as an object, JSON Lines shows the object in its
                # finding, Arrow the line it writes from the struct's fields (both stop the claim)
                codes.append(line.text())
            else:
                codes.append({k: v for k, v in msgspec.to_builtins(line).items() if v is not None})
        row: dict[str, Any] = {"id": claim.id, "codes": codes}
        if claim.date is not None:
            row["date"] = claim.date
        rows.append(msgspec.json.encode(row))
    path.write_bytes(b"\n".join(rows) + b"\n")
    return path


def _date(text: str | None, as_date: bool) -> Any:
    if text is None or not as_date:
        return text
    return datetime.date.fromisoformat(text)


def claim_table(made: Sequence[Made], lines: str = "struct", dates: bool = False, numbered: bool = False) -> Any:
    """One row a claim; ``lines``: ``struct`` (code, modifiers, units), ``text`` (a list of strings)
    or ``cell`` (one string); ``dates``: a date column (else YYYY-MM-DD text); ``numbered``: a line
    column (the claim's line in the JSON Lines file)."""
    rows = []
    for i, claim in enumerate(made, 1):
        row: dict[str, Any] = {"id": claim.id, "date": _date(claim.date, dates)}
        if lines == "struct":
            row["lines"] = [msgspec.to_builtins(line) for line in claim.lines]
        elif lines == "text":
            row["lines"] = [line.text() for line in claim.lines]
        else:
            row["lines"] = " ".join(line.text() for line in claim.lines)
        if claim.setting is not None:
            row["setting"] = claim.setting
        if numbered:
            row["line"] = i
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=_schema(made, lines, dates, numbered))


def _schema(made: Sequence[Made], lines: str, dates: bool, numbered: bool) -> Any:
    ids = pa.int64() if any(isinstance(c.id, int) for c in made) else pa.string()
    line_type: Any = {
        "struct": pa.list_(
            pa.struct([("code", pa.string()), ("modifiers", pa.list_(pa.string())), ("units", pa.int64())])
        ),
        "text": pa.list_(pa.string()),
        "cell": pa.string(),
    }[lines]
    fields = [("id", ids), ("date", pa.date32() if dates else pa.string()), ("lines", line_type)]
    if any(c.setting is not None for c in made):
        fields.append(("setting", pa.string()))
    if numbered:
        fields.append(("line", pa.int64()))
    return pa.schema(fields)


def line_table(made: Sequence[Made], dates: bool = False) -> Any:
    """One row a line, a claim's rows consecutive, each with the claim's line in the JSON Lines file
    (claims without a line have no row: that shape cannot hold them)."""
    rows = []
    for i, claim in enumerate(made, 1):
        for position, line in enumerate(claim.lines, 1):
            row = {"id": claim.id, "date": _date(claim.date, dates), "line": i, "position": position}
            row.update(msgspec.to_builtins(line))
            if claim.setting is not None:
                row["setting"] = claim.setting
            rows.append(row)
    ids = pa.int64() if any(isinstance(c.id, int) for c in made) else pa.string()
    fields = [
        ("id", ids),
        ("date", pa.date32() if dates else pa.string()),
        ("line", pa.int64()),
        ("position", pa.int32()),
        ("code", pa.string()),
        ("modifiers", pa.list_(pa.string())),
        ("units", pa.int32()),
    ]
    if any(c.setting is not None for c in made):
        fields.append(("setting", pa.string()))
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))
