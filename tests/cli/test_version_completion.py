"""--version names the data it reads; shell completion offers the library's codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GOOD, ROOT, Run


def test_version_prints_program_and_data_release_and_record_count(cli: Callable[..., Run]) -> None:
    run = cli("--version")
    assert run.code == 0
    assert run.err == ""
    count = len(list((ROOT / "data" / "procedures").glob("*.yaml")))
    release = (ROOT / "data" / "RELEASE").read_text().strip()
    assert run.out.startswith(f"cptref 0.1.0 (data {release}, {count} records, ")


def test_version_names_each_layered_directory_and_its_release(cli: Callable[..., Run]) -> None:
    run = cli("-V", env={"CPTREF_DATA": str(GOOD)})
    count = len(list((ROOT / "data" / "procedures").glob("*.yaml"))) + 5
    release = (ROOT / "data" / "RELEASE").read_text().strip()
    assert run.out.startswith(f"cptref 0.1.0 (data {release}, {count} records, ")
    assert run.out.splitlines()[0].endswith(f" + {GOOD} (unreleased))")


def test_version_still_answers_when_the_data_is_unusable(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("--version", env={"CPTREF_DATA": str(tmp_path / "missing")})
    assert run.code == 0
    assert "is unusable: run `cptref validate`" in run.out


def complete(shell: str, words: str, cword: int | None = None) -> str:
    env = {**os.environ, "_CPTREF_COMPLETE": f"complete_{shell}", "CPTREF_DATA": str(GOOD)}
    if shell == "bash":
        env.update(COMP_WORDS=words, COMP_CWORD=str(cword if cword is not None else len(words.split()) - 1))
    else:
        env.update(_TYPER_COMPLETE_ARGS=words, _TYPER_COMPLETE_FISH_ACTION="get-args")
    proc = subprocess.run(
        [sys.executable, "-m", "cptref"], env=env, capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.slow
def test_bash_completes_codes_for_show_and_check() -> None:
    assert complete("bash", "cptref show 000").split() == ["0001X", "0002X", "0003X", "0004X", "0005X"]
    assert complete("bash", "cptref check 0001X 0002").split() == ["0002X"]
    assert complete("bash", "cptref show 9").split() == []


@pytest.mark.slow
def test_zsh_and_fish_get_each_code_with_its_title() -> None:
    assert '"0002X":"Widget balloon stretch, each widget"' in complete("zsh", "cptref show 0002")
    assert "0003X\tFluoro guidance for a test needle" in complete("fish", "cptref check 0003")


def test_completion_scripts_are_offered_for_the_usual_shells(cli: Callable[..., Run]) -> None:
    help_text = cli("--help").out
    assert "--install-completion" in help_text
    assert "--show-completion" in help_text
