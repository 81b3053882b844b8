"""``check --file`` on worker processes: a worker that dies is reported, not hidden (issue 25)."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cptref.check import batch
from cptref.errors import ExitCode
from tests.conftest import FIXTURES

Cli = Callable[..., Any]
DATA = ("--data", str(FIXTURES / "check"))


def test_a_worker_killed_mid_batch_is_one_line_the_summary_and_status_6(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker given the second chunk is killed (SIGKILL, as the kernel's out-of-memory killer
    would): the batch says so in one line naming the lines not checked, still prints its summary
    of what was written, and exits 6; what was written is whole claims, and written + lost = read."""
    parent = os.getpid()
    real = batch.Encoder.chunk

    def dying(self: batch.Encoder, reader: Any, lines: list[bytes], first: int) -> batch.Chunk:
        if os.getpid() != parent:  # the first chunk is checked before the fork, the others in workers
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, reader, lines, first)

    monkeypatch.setattr(batch.Encoder, "chunk", dying)
    total = 3 * batch.BATCH_CHUNK + 17
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(f'{{"id": "C{i}", "codes": ["0001X", "0002X"]}}\n' for i in range(total)))
    run = cli("check", "--file", str(path), "--jsonl", *DATA, "--date", "2026-11-27", "--jobs", "2")
    assert run.code == ExitCode.BATCH_FAILED, run.err
    assert int(ExitCode.BATCH_FAILED) == 6
    assert "Traceback" not in run.err
    [why] = [line for line in run.err.splitlines() if "worker process" in line]
    assert why.startswith(f"cptref: {path}: a worker process of the batch died"), why
    found = re.search(r"(\d+) lines? (?:were|was) not checked, from line (\d+) on", why)
    assert found is not None, why
    lost, lost_from = int(found[1]), int(found[2])
    written = run.out.splitlines()
    assert len(written) == lost_from - 1 == batch.BATCH_CHUNK and len(written) + lost == total
    assert f"{path}: {len(written)} line{'s' * (len(written) != 1)} read: {len(written)} claim" in run.err


def test_a_worker_killed_in_an_x12_batch_names_the_segment_the_lost_claims_start_at(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An 837's lines are its claims, read already: the line saying what was lost names the segment of
    the first claim not written (the place the claims written give as their line), not a count of claims
    (it named "line 2001", a place in the file that held none of them)."""
    from tests.check.inputs.test_x12 import P, replace

    parent = os.getpid()
    real = batch.Encoder.chunk

    def dying(self: batch.Encoder, reader: Any, lines: list[Any], first: int) -> batch.Chunk:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, reader, lines, first)

    monkeypatch.setattr(batch.Encoder, "chunk", dying)
    start, end = P.index(b"CLM*PCN-1003"), P.index(b"SE*")
    claims = [P[start:end].replace(b"PCN-1003", f"PCN-{i}".encode()) for i in range(2 * batch.BATCH_CHUNK + 5)]
    path = tmp_path / "claims.837"
    path.write_bytes(replace(P, P[start:end], b"".join(claims)))
    run = cli("check", "--file", str(path), "--jsonl", "--jobs", "2")
    assert run.code == ExitCode.BATCH_FAILED, run.err
    written = [json.loads(line) for line in run.out.splitlines()]
    [why] = [line for line in run.err.splitlines() if "worker process" in line]
    found = re.search(r"(\d+) lines were not checked \(the X12 file's claims and problems from segment (\d+) on\)", why)
    assert found is not None, why
    lost, segment = int(found[1]), int(found[2])
    items = 3 + len(claims)  # PCN-1001, PCN-1002's two dates of service, then the claims made
    assert len(written) == batch.BATCH_CHUNK and len(written) + lost == items
    assert written[-1]["line"] < segment and f"it holds the claims before segment {segment}" in why
    assert segment == written[-1]["line"] + (P[start:end].count(b"~"))  # the next claim's CLM


def test_the_lost_lines_are_counted_in_words() -> None:
    assert "1 line was not checked, from line 5 on, and is not in the output (it holds the claims of lines 1 to 4)" in (
        batch._lost(1, 5)
    )
    none = batch._lost(3, 1)
    assert "3 lines were not checked, from line 1 on, and are not in the output (it holds no claim)" in none


def test_a_worker_starts_from_what_the_parent_prepared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent checks the first chunk before forking; a worker rebinds its tables to a catalog
    connection of its own and prepares none of those codes again, with the same answers."""
    from cptref.check import CheckTables, check
    from cptref.check.rules import RULES
    from cptref.library.catalog import load_catalog

    catalog = load_catalog(FIXTURES / "check")
    tables = CheckTables.from_catalog(catalog)
    claims = [["0001X", "0002X"], ["0003X-59", "0004Xx2"], ["0005X", "0006X", "0007X"]]
    first = [check(tables, claim) for claim in claims]
    prepared: list[str] = []
    for rule in RULES:
        real = rule.prepare

        def counted(facts: Any, lookup: Any, real: Any = real) -> Any:
            prepared.append(facts.code)
            return real(facts, lookup)

        monkeypatch.setattr(rule, "prepare", counted)
    reopened = catalog.reopened()
    tables.rebind(reopened)
    assert [check(tables, claim) for claim in claims] == first
    assert prepared == []
    assert tables._catalog is reopened
    assert all(quarter.coverage._catalog is reopened for quarter in tables._quarters.values())
