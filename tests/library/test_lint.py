"""`cptref validate`: every broken fixture yields exactly its pinned message; the shipped data is clean."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cptref.library.lint import validate
from tests.conftest import FIXTURES, GOOD, Run

BROKEN = sorted(p for p in (FIXTURES / "broken").iterdir() if p.is_dir())
WARNINGS = {"addon-chain", "dangling-reference", "key-order", "trailing-space"}


def test_there_are_broken_fixtures() -> None:
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("case", BROKEN, ids=[p.name for p in BROKEN])
def test_each_broken_fixture_gives_its_pinned_message(case: Path) -> None:
    expected = (case / "expected.txt").read_text().strip()
    report = validate(case, strict=True)
    lines = [
        f"{Path(p.file).relative_to(case.resolve()) if Path(p.file).is_absolute() else p.file}: {p.field}: {p.message}"
        for p in report.problems
    ]
    assert len(lines) == 1, lines
    assert lines[0].endswith(expected) or expected in lines[0], lines
    lenient = validate(case, strict=False)
    severity = "warning" if case.name in WARNINGS else "error"
    assert [p.severity for p in lenient.problems] == [severity]


def test_the_cli_prints_problems_on_stdout_and_exits_3(cli: Callable[..., Run]) -> None:
    case = FIXTURES / "broken" / "unknown-source"
    run = cli("validate", str(case))
    assert run.code == 3
    assert run.out.strip().endswith("$.medicare.sources[0]: unknown source id 'nobody'")
    assert run.err == "cptref: 1 record files checked: 1 error, 0 warnings\n"


def test_warnings_pass_unless_strict(cli: Callable[..., Run]) -> None:
    case = FIXTURES / "broken" / "dangling-reference"
    lenient = cli("validate", str(case))
    assert lenient.code == 0
    assert ": warning: 0009X has no record in the library" in lenient.out
    assert cli("validate", str(case), "--strict").code == 3


def test_validate_json_is_for_tools(cli: Callable[..., Run]) -> None:
    run = cli("validate", str(GOOD), "--json")
    assert run.code == 0
    doc = json.loads(run.out)
    assert (doc["ok"], doc["files"], doc["errors"], doc["problems"]) == (True, 5, 0, [])


def test_the_shipped_data_is_clean_even_when_strict(cli: Callable[..., Run]) -> None:
    run = cli("validate", "--strict")
    assert run.code == 0, run.out
    assert run.out == ""


def test_a_fact_resting_only_on_ai_generated_pages_is_low_at_most(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(GOOD, folder)
    sources = folder / "sources.yaml"
    sources.write_text(
        sources.read_text() + "- id: made-up-ai\n  title: A page a language model wrote\n"
        "  url: https://example.org/ai\n  kind: ai-generated\n"
    )
    record = folder / "procedures" / "0005X.yaml"
    record.write_text(
        'code: "0005X"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\n'
        "medicare:\n  mue: 1\n  sources: [made-up-ai]\n  confidence: medium\n"
    )
    report = validate(folder)
    [problem] = [p for p in report.errors if "AI-generated" in p.message]
    assert problem.field == "$.medicare.confidence"
    record.write_text(record.read_text().replace("confidence: medium", "confidence: low"))
    assert not [p for p in validate(folder).errors if "AI-generated" in p.message]
