"""The loader: good records load; every problem in a bad file is reported with its field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from cptref.errors import DataErrors
from cptref.library.read import load_procedure, load_procedures, load_sources, procedure_paths
from cptref.library.safe_yaml import read_yaml
from cptref.model.records import Procedure
from tests.conftest import GOOD

MINIMAL = 'code: "0001X"\nstatus: active\ntitle: T\ndescriptor: D\nsection: [S]\n'


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_good_fixture_records_load_into_frozen_records() -> None:
    records, problems = load_procedures(GOOD)
    assert problems == []
    assert [r.code for r in records] == ["0001X", "0002X", "0003X", "0004X", "0005X"]
    addon = next(r for r in records if r.code == "0002X")
    assert isinstance(addon, Procedure)
    assert addon.add_on is not None and addon.add_on.primaries == ("0001X",)
    with pytest.raises(AttributeError):
        addon.title = "changed"  # type: ignore[misc]


def test_a_minimal_record_needs_only_the_five_required_fields(tmp_path: Path) -> None:
    record, problems = load_procedure(write(tmp_path, "0001X.yaml", MINIMAL))
    assert problems == []
    assert record is not None and record.add_on is None and record.includes == ()


BAD_CASES = [
    pytest.param(MINIMAL.replace('"0001X"', "00100"), "$.code", "got the number 64", id="unquoted-octal"),
    pytest.param(MINIMAL.replace('"0001X"', "47542"), "$.code", "must be a quoted string", id="numeric-code"),
    pytest.param(MINIMAL + "titel: x\n", "$.titel", "did you mean 'title'", id="typo-key"),
    pytest.param(MINIMAL.replace("title: T\n", ""), "$.title", "missing required field", id="missing-title"),
    pytest.param(
        MINIMAL.replace("status: active", "status: retired"), "$.status", "expected one of active, deleted", id="status"
    ),
    pytest.param(MINIMAL + "related: ['4755']\n", "$.related[0]", "5-character CPT code", id="short-code"),
    pytest.param(
        MINIMAL + "add_on:\n  primaries: ['47531', 4753]\n  sources: [a]\n  confidence: high\n",
        "$.add_on.primaries[1]",
        "quoted string",
        id="numeric-primary",
    ),
    pytest.param(
        MINIMAL + "includes:\n  - what: x\n    sources: []\n    confidence: high\n",
        "$.includes[0].sources",
        "at least 1",
        id="no-sources",
    ),
    pytest.param(
        MINIMAL + "includes:\n  - what: x\n    sources: [a]\n    confidence: sure\n",
        "$.includes[0].confidence",
        "expected one of high, medium, low",
        id="bad-confidence",
    ),
    pytest.param(
        MINIMAL + "medicare:\n  global_period: 0\n  sources: [a]\n  confidence: low\n",
        "$.medicare.global_period",
        "expected one of 000",
        id="unquoted-global",
    ),
    pytest.param(MINIMAL + "lay:\n  steps: one step\n", "$.lay.steps", "expected a list", id="lay-not-list"),
    pytest.param(MINIMAL.replace("title: T", "title: " + "x" * 101), "$.title", "length <= 100", id="long-title"),
    pytest.param("- just\n- a list\n", "$", "expected a mapping", id="not-a-mapping"),
    pytest.param("code: [unclosed\n", "$", "invalid YAML: line", id="invalid-yaml"),
    pytest.param(b"\xff\xfe\x00garbage", "$", "not UTF-8", id="binary"),
]


@pytest.mark.parametrize(("text", "field", "message"), BAD_CASES)
def test_each_bad_record_names_its_file_field_and_problem(
    tmp_path: Path, text: str | bytes, field: str, message: str
) -> None:
    path = write(tmp_path, "0001X.yaml", text)
    record, problems = load_procedure(path)
    assert record is None or problems
    assert any(p.field == field and message in p.message for p in problems), problems
    assert all(p.file.endswith("0001X.yaml") for p in problems)


def test_every_problem_in_a_file_is_collected_not_just_the_first(tmp_path: Path) -> None:
    text = (
        "code: 12\nstatus: gone\ntitle: T\nsection: []\ncolour: red\n"
        "add_on:\n  primaries: ['1', '2']\n  sources: [a]\n  confidence: high\n"
    )
    _, problems = load_procedure(write(tmp_path, "0001X.yaml", text))
    fields = {p.field for p in problems}
    assert {
        "$.code",
        "$.status",
        "$.descriptor",
        "$.section",
        "$.colour",
        "$.add_on.primaries[0]",
        "$.add_on.primaries[1]",
    } <= fields


def test_windows_line_endings_and_a_byte_order_mark_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + MINIMAL.replace("\n", "\r\n")
    record, problems = load_procedure(write(tmp_path, "0001X.yaml", text.encode("utf-8")))
    assert problems == [] and record is not None


def test_yaml_tags_that_build_python_objects_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "0001X.yaml", "!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(DataErrors) as caught:
        read_yaml(path)
    assert "invalid YAML" in caught.value.problems[0].message


def test_an_empty_procedures_folder_is_an_error_not_an_empty_library(tmp_path: Path) -> None:
    (tmp_path / "procedures").mkdir()
    with pytest.raises(DataErrors, match="problem"):
        procedure_paths(tmp_path)
    with pytest.raises(DataErrors) as caught:
        procedure_paths(tmp_path / "nowhere")
    assert "does not exist" in caught.value.problems[0].message


def test_sources_file_entries_are_validated_and_ids_unique(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sources.yaml",
        "- {id: a, title: A, kind: official}\n- {id: a, title: B, kind: blog}\n- {id: Bad Id, title: C, kind: seed}\n",
    )
    sources, problems = load_sources(tmp_path)
    messages = [str(p) for p in problems]
    assert "a" in sources
    assert any("$[1].kind" in m and "expected one of official" in m for m in messages)
    assert any("$[2].id" in m for m in messages)


@pytest.mark.parametrize("refusal", ["exceeded maximum nesting depth", "some future wording", ""])
def test_deep_nesting_is_cptrefs_problem_whatever_libyaml_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refusal: str
) -> None:
    """A libyaml that refuses deep nesting itself, in words of its own, still gives cptref's problem."""
    import yaml

    class Refusing(yaml.SafeLoader):  # stands for a C loader with a nesting limit of its own
        def get_event(self) -> yaml.Event:
            event: yaml.Event = super().get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.CollectionStartEvent):
                self.depth = getattr(self, "depth", 0) + 1
                if self.depth > 1000:
                    raise yaml.scanner.ScannerError(problem=refusal or None)
            return event

    monkeypatch.setattr(yaml, "CSafeLoader", Refusing, raising=False)
    deep = "[" * 1200 + "]" * 1200
    record, problems = load_procedure(write(tmp_path, "0001X.yaml", f"code: '0001X'\nx: {deep}\n"))
    assert record is None
    assert [p.message for p in problems] == ["invalid YAML: nested more than 1000 levels deep"]


def test_a_source_may_name_the_cms_edit_table_and_quarter_it_is(tmp_path: Path) -> None:
    write(
        tmp_path,
        "sources.yaml",
        "- {id: aoc, title: A, kind: official, table: {kind: aoc, setting: all, quarter: 2026Q2}}\n"
        "- {id: blog, title: B, kind: vendor, table: {kind: ptp, setting: practitioner, quarter: 2026Q4}}\n"
        "- {id: bad, title: C, kind: official, table: {kind: aoc, setting: all, quarter: 2026-04}}\n",
    )
    sources, problems = load_sources(tmp_path)
    table = sources["aoc"].table
    assert table is not None and (table.kind, table.setting, table.quarter) == ("aoc", "all", "2026Q2")
    messages = [str(p) for p in problems]
    assert any("$[1].table" in m and "only an official source" in m for m in messages)
    assert any("$[2].table.quarter" in m for m in messages)


def test_a_file_name_that_is_not_utf8_is_shown_as_its_path_is(tmp_path: Path) -> None:
    """The mismatch message showed the name as Python writes it ('ab\\udcff.yaml') beside its path
    written 'ab\\xff.yaml': one name, two spellings."""
    import os

    good = (GOOD / "procedures" / "0001X.yaml").read_bytes()
    name = os.fsdecode(b"ab\xff.yaml")
    (tmp_path / name).write_bytes(good)
    _, problems = load_procedure(tmp_path / name)
    mismatch = [p for p in problems if p.field == "$.code"]
    assert mismatch and mismatch[0].message.endswith("the file name 'ab\\xff.yaml'"), problems
    assert mismatch[0].file.endswith("ab\\xff.yaml")
