"""A batch's answer caches are capped in bytes (issue 26): past the cap they take no new entry, and
the answers are the same."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cptref.check import budget
from tests.conftest import FIXTURES

Cli = Callable[..., Any]
DATA = ("--data", str(FIXTURES / "check"))


@pytest.fixture(autouse=True)
def _open_room() -> Iterator[None]:
    yield
    budget.ROOM.open, budget.ROOM.start = True, None  # what a process that runs no batch has


def test_the_cap_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(budget.ENV, "64")
    assert budget.limit_bytes() == 64 << 20
    monkeypatch.setenv(budget.ENV, "0")
    assert budget.limit_bytes() == 0
    for wrong in ("", "-5", "1.5", "lots", "99999999999"):
        monkeypatch.setenv(budget.ENV, wrong)
        assert budget.limit_bytes() == budget.DEFAULT_MB << 20, wrong


def test_the_caches_close_once_the_process_grew_past_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = iter([100 << 20, 150 << 20, 170 << 20, 170 << 20])
    monkeypatch.setattr(budget, "resident", lambda: next(sizes))
    monkeypatch.setenv(budget.ENV, "64")
    budget.begin()
    assert budget.ROOM.open and budget.ROOM.start == 100 << 20
    budget.after_chunk()  # grown by 50 MB: under the cap
    assert budget.ROOM.open
    budget.after_chunk()  # grown by 70 MB: past it
    assert not budget.ROOM.open
    budget.begin()  # a new batch (or a worker just forked) counts from its own start
    assert budget.ROOM.open


def test_without_a_resident_size_only_the_entry_caps_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "resident", lambda: None)
    budget.begin()
    budget.after_chunk()
    assert budget.ROOM.open


def test_the_resident_size_is_read_where_the_system_gives_it() -> None:
    size = budget.resident()
    if Path("/proc/self/statm").exists():
        assert size is not None and size > 1 << 20
    else:
        assert size is None


def test_closed_caches_take_no_entry_and_give_the_same_answers(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cap of 0 closes the caches after the first chunk: the second chunk's new codes are worked
    out without being remembered, and every line of the output is the one an uncapped batch wrote."""
    from cptref.check import batch, engine

    monkeypatch.setattr(batch, "BATCH_CHUNK", 5)
    path = tmp_path / "claims.jsonl"
    claims = [f'{{"id": "C{i}", "codes": ["000{i % 9 + 1}X-59", "9{i:03d}X", "0002Xx2"]}}\n' for i in range(40)]
    path.write_text("".join(claims))
    args = ("check", "--file", str(path), "--jsonl", *DATA, "--date", "2026-11-27", "--jobs", "1")
    monkeypatch.setenv(budget.ENV, "100000")
    uncapped = cli(*args)
    stored: list[int] = []
    real = engine._Quarter.token

    def counting(self: engine._Quarter, token: str) -> Any:
        found = real(self, token)
        stored.append(len(self._tokens))
        return found

    monkeypatch.setattr(engine._Quarter, "token", counting)
    sizes = iter([100 << 20] + [200 << 20] * 100)  # the batch's start, then grown after every chunk
    monkeypatch.setattr(budget, "resident", lambda: next(sizes))
    monkeypatch.setenv(budget.ENV, "0")
    capped = cli(*args)
    assert capped.out == uncapped.out and capped.code == uncapped.code
    assert not budget.ROOM.open
    # the first chunk remembered its 11 spellings (5 with -59, 5 others, 0002Xx2); those met later
    # were parsed each time they came, never remembered
    assert max(stored) == 11 and len(stored) > 11 + 35
