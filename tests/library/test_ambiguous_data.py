"""Data that could say one thing and mean another: a key given twice, a code with a line feed after it.

PyYAML keeps the last of two equal keys without a word; Python's ``$`` matches before a final line
feed, so ``"0001X\\n"`` passed the code pattern and could pose as a second 0001X. The first is a
``validate`` warning (an error with ``--strict``), the second an error wherever a code, a range, a
source or family id or a quarter is read.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import msgspec
import pytest

from cptref.library.lint import validate
from cptref.library.safe_yaml import duplicate_keys
from cptref.model.codes import CODE_PATTERN, CODE_RE, RANGE_PATTERN
from cptref.model.records import Family, Procedure, Source
from tests.conftest import GOOD, run_cptref


def test_keys_given_twice_are_found_with_their_lines() -> None:
    text = "a: 1\nb:\n  c: 2\n  c: 3\nlist:\n  - x: 1\n    x: 1\na: 4\n"
    assert duplicate_keys(text) == [(4, "c"), (7, "x"), (8, "a")]


def test_merged_keys_may_be_overridden_and_aliases_are_looked_at_once() -> None:
    assert duplicate_keys("base: &b {a: 1, b: 2}\nover:\n  <<: *b\n  a: 3\n") == []
    assert duplicate_keys("x: &m {k: 1, k: 2}\ny: [*m, *m, *m]\n") == [(1, "k")]
    assert duplicate_keys("1: a\n'1': b\n") == []  # an integer key and a string key are two keys


@pytest.fixture
def twice(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    record = root / "procedures" / "0001X.yaml"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("status: active\n", "status: active\ntitle: A second made-up title\n", 1))
    return root


def test_a_key_given_twice_is_a_warning_of_validate_and_an_error_with_strict(twice: Path) -> None:
    message = "line 4: key 'title' is given twice in one mapping; YAML keeps only the last"
    (found,) = [p for p in validate(twice).problems if "twice" in p.message]
    assert (found.file.endswith("0001X.yaml"), found.message, found.severity) == (True, message, "warning")
    assert [p.severity for p in validate(twice, strict=True).problems if "twice" in p.message] == ["error"]
    got = run_cptref("validate", str(twice))
    assert got.code == 0 and f"$: warning: {message}" in got.out
    got = run_cptref("validate", str(twice), "--strict")
    assert got.code == 3 and f"$: {message}" in got.out


def test_keys_given_twice_in_the_lists_are_found_too(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    sources = root / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    first = text.index("\n  title:")
    sources.write_text(text[:first] + "\n  title: Made up once more" + text[first:], encoding="utf-8")
    assert any("sources.yaml" in p.file and "given twice" in p.message for p in validate(root).problems)


@pytest.mark.parametrize("value", ["0001X\n", "0001X\n\n", "\n0001X", "0001X\r", " 0001X"])
def test_a_code_with_a_line_feed_is_no_code(value: str) -> None:
    assert not CODE_RE.match(value)
    assert not re.search(CODE_PATTERN, value)
    assert not re.search(RANGE_PATTERN, value)
    assert re.search(RANGE_PATTERN, "0001X-0002X") and not re.search(RANGE_PATTERN, "0001X-0002X\n")


def test_records_sources_and_families_refuse_a_trailing_line_feed() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"code": "0001X\n", "status": "active", "title": "t"}, Procedure)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"id": "made-up\n", "title": "t", "kind": "seed"}, Source)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"id": "made-up\n", "title": "t", "ranges": ["0001X-0002X"]}, Family)


def test_a_record_coded_with_a_line_feed_cannot_pose_as_a_second_record(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    record = root / "procedures" / "0001X.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace('code: "0001X"', 'code: "0001X\\n"', 1))
    got = run_cptref("show", "0001X", "--data", str(root))
    assert got.code == 3 and got.out == ""
    assert "0001X.yaml: $.code: expected a 5-character CPT code" in got.err and "'0001X\\n'" in got.err
    assert not any("0001X\\x0a" in str(p) or "0001X\\n.yaml" in str(p) for p in validate(root).problems)
