"""What the Arrow and Spark tests share: ``check --file --jsonl``'s answer for claims, and results
encoded back into its lines."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from msgspec import Struct

from tests.conftest import FIXTURES, run_cptref

DATA = FIXTURES / "check"
BAD = re.compile(r"^cptref: (?P<file>.*):(?P<line>\d+): (?P<message>.*); line skipped$")


class Expected(Struct):
    lines: list[bytes]
    problems: list[tuple[int, str]]


def cli(claims: Path, cms: Path, *extra: str) -> Expected:
    """``cptref check --file CLAIMS --jsonl``: its lines, and the problems it reported."""
    run = run_cptref(
        "check", "--file", str(claims), "--jsonl", "--jobs", "1", "--data", str(DATA), "--cms", str(cms), *extra
    )
    assert run.code in (0, 1, 4, 5), run.err
    problems = [(int(m["line"]), m["message"]) for m in map(BAD.match, run.err.splitlines()) if m]
    return Expected(run.out.encode().splitlines(keepends=True), problems)


def results(tables: Iterable[Any], explain: bool = False) -> Expected:
    """Result rows as ``check --jsonl`` lines (through ClaimLine) and the problem rows."""
    from cptref.output.arrow import encode_row

    lines, problems = [], []
    for table in tables:
        for row in table.to_pylist():
            if row["problem"] is None:
                lines.append(encode_row(row, explain))
            else:
                problems.append((row["line"], row["problem"]))
    return Expected(lines, problems)
