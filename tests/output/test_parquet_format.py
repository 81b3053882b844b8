"""``--format parquet`` and Parquet claims without the extra: one line naming the pip command, exit 2.
(With the extra, tests/extras/arrow tests them.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from cptref.output.formats import FORMATS, offered
from tests.conftest import FIXTURES, run_cptref

_find_spec = importlib.util.find_spec


@pytest.fixture
def no_pyarrow(monkeypatch: pytest.MonkeyPatch) -> None:
    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name.split(".")[0] == "pyarrow" else _find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


MESSAGE = "needs the optional extra arrow: pip install 'cptref[arrow]'"


def test_parquet_is_a_registered_binary_format() -> None:
    assert "parquet" in offered() and FORMATS["parquet"].offered


def test_format_parquet_without_pyarrow(no_pyarrow: None, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": "A", "codes": ["0001X"], "date": "2026-11-27"}\n')
    args = ("check", "--data", str(FIXTURES / "check"), "--file", str(claims), "--format", "parquet", "-o")
    run = run_cptref(*args, str(tmp_path / "out.parquet"))
    assert (run.code, run.out) == (2, "")
    assert run.err == f"cptref: --format parquet {MESSAGE}\n"
    assert not (tmp_path / "out.parquet").exists()


def test_parquet_claims_without_pyarrow(no_pyarrow: None, tmp_path: Path) -> None:
    claims = tmp_path / "claims.bin"
    claims.write_bytes(b"PAR1" + b"\0" * 20)  # found by its first bytes, whatever its name
    run = run_cptref("check", "--data", str(FIXTURES / "check"), "--file", str(claims), "--jsonl")
    assert (run.code, run.out) == (2, "")
    assert run.err == f"cptref: reading the Parquet file {claims} {MESSAGE}\n"


def test_output_goes_with_a_batch() -> None:
    run = run_cptref("check", "0001X", "--data", str(FIXTURES / "check"), "--jsonl", "-o", "x.jsonl")
    assert run.code == 2 and "--output writes the machine output of --file" in run.err


def test_output_writes_the_batch_to_a_file(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": "A", "codes": ["0001X", "0002X"], "date": "2026-11-27"}\n')
    args = ("check", "--data", str(FIXTURES / "check"), "--file", str(claims), "--jsonl", "--jobs", "1")
    piped = run_cptref(*args)
    written = run_cptref(*args, "-o", str(tmp_path / "out.jsonl"))
    assert written.code == piped.code and written.out == "" and written.err == piped.err
    assert (tmp_path / "out.jsonl").read_text() == piped.out and piped.out.startswith('{"id"')


def test_output_to_a_folder_is_one_line(tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text('{"id": "A", "codes": ["0001X"], "date": "2026-11-27"}\n')
    run = run_cptref("check", "--data", str(FIXTURES / "check"), "--file", str(claims), "--jsonl", "-o", str(tmp_path))
    assert run.code == 2 and run.err.startswith(f"cptref: --output {tmp_path}: cannot write") and run.out == ""
