"""The code stays lint-clean and type-checked (ruff, mypy --strict), as the project promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
"""Every test here starts processes."""


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "src", "tests"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_finds_nothing() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "src/cptref", "tests"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_leaves_everything_as_it_is() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "src", "tests"], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
