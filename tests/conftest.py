from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
DATA = ROOT / "data"


# Every test, and every command a test starts, keeps its compiled index in a folder of its own,
# never in the user's cache.
_CACHE = tempfile.mkdtemp(prefix="cptref-test-cache-")
os.environ["CPTREF_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cptref(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run the real command in a fresh interpreter; stdout and stderr are kept apart."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "NO_COLOR", "COLUMNS")}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "cptref", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=60,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cptref
