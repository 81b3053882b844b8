"""Properties that hold for any input: the loader, search, check and the JSON serializer.

- The loader: any mapping (keys that exist and keys that do not, values of every type YAML gives)
  either validates into a record or yields located problems (``file: $.path: message``, one line
  each), never an exception; through a YAML file too.
- Search: any string either ranks records (scores descending, at most ``limit``, the same twice
  and the same from the index as from the parsed data) or raises the library's UsageError or
  NoMatch.
- Check: any list of strings, lone surrogates (bytes of a command line that are not UTF-8) and very
  long tokens included, gives findings that encode to JSON (tests/check/test_rules.py has the plain-text
  property; this one adds what that one's strategy never draws).
- The serializer: ``show`` of every real record encodes to JSON that decodes back equal and matches
  the schema of ``cptref schema show``; ``search`` of any query matches ``cptref schema search``.
"""

from __future__ import annotations

import datetime
import functools
import json
import string
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cptref.check import CheckTables, check
from cptref.errors import NoMatch, Problem, UsageError
from cptref.library.catalog import Catalog, load_catalog, read_catalog
from cptref.library.fields import _walk_struct
from cptref.library.fields import validated as validate
from cptref.library.read import load_procedure
from cptref.model.records import Procedure
from cptref.output import schema as schemas
from cptref.output import to_documents as serialize
from cptref.output.check_lines import CheckLines
from cptref.output.formats import dumps
from cptref.output.to_documents import show_document
from cptref.search import search

from .conftest import DATA, GOOD
from .library.fuzz_yaml import MAPPINGS, MINIMAL
from .output.test_schema import check_against

# --- the loader ------------------------------------------------------------------------------------


def assert_located(problems: list[Problem], file: str) -> None:
    for problem in problems:
        assert problem.file == file
        assert problem.field.startswith("$"), problem
        assert problem.message, problem
        line = str(problem)
        assert line == f"{problem.file}: {problem.field}: {problem.message}"
        assert "\n" not in line and "\r" not in line, line


@settings(max_examples=300, deadline=None)
@given(MAPPINGS)
def test_any_mapping_validates_or_yields_located_problems(raw: dict[Any, Any]) -> None:
    record, problems = validate(raw, Procedure, "0001X.yaml")
    assert (record is None) == bool(problems)
    assert_located(problems, "0001X.yaml")
    if record is not None:
        assert msgspec.convert(msgspec.to_builtins(record), Procedure) == record


@settings(max_examples=500, deadline=None)
@given(MAPPINGS)
def test_the_one_call_validation_accepts_exactly_what_the_field_walk_accepts(raw: dict[Any, Any]) -> None:
    """A valid record is converted in one call (fast); the field-by-field walk names problems. An
    unknown key anywhere, which msgspec alone would ignore, must still be refused."""
    record, problems = validate(raw, Procedure, "0001X.yaml")
    walked: list[tuple[str, str]] = []
    _walk_struct(raw, Procedure, "$", walked)
    if walked:
        assert record is None
        assert [(p.field, p.message) for p in problems] == walked
    else:
        assert record is not None or problems  # a constraint only msgspec sees: still a problem


def test_an_unknown_key_in_a_nested_entry_of_a_valid_record_is_refused() -> None:
    raw = dict(MINIMAL)
    raw["includes"] = [{"what": "W", "codes": ["77002"], "sources": ["x"], "confidence": "high", "typo": 1}]
    record, problems = validate(raw, Procedure, "0001X.yaml")
    assert record is None
    assert [p.field for p in problems] == ["$.includes[0].typo"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MAPPINGS)
def test_any_mapping_written_as_yaml_loads_or_yields_located_problems(tmp_path: Path, raw: dict[Any, Any]) -> None:
    path = tmp_path / "0001X.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    record, problems = load_procedure(path)
    assert (record is None) == bool(problems)
    assert_located(problems, problems[0].file if problems else "")
    assert all(p.file.endswith("0001X.yaml") for p in problems)


# --- search ------------------------------------------------------------------------------------------

NOT_UTF8 = ["\udcff", "\udc80", "\ud800"]
CHARACTERS = st.characters() | st.sampled_from(NOT_UTF8) | st.sampled_from("４７５５５\t\n &-/")


@functools.cache
def catalogs() -> tuple[Catalog, Catalog]:
    """The shipped data through its index, and parsed."""
    load_catalog(DATA)
    return load_catalog(DATA), read_catalog(DATA)[0]


@functools.cache
def vocabulary() -> list[str]:
    return sorted({w for r in catalogs()[1] for w in r.title.lower().split()} | {"ptbd", "ercp", "4755", "us", "ct"})


def queries() -> st.SearchStrategy[str]:
    word = st.sampled_from(vocabulary())
    typo = st.builds(lambda w, i: w[:i] + w[i + 1 :], word, st.integers(0, 8))
    return st.text(CHARACTERS, max_size=40) | st.lists(word | typo | st.text(CHARACTERS, max_size=6), max_size=6).map(
        " ".join
    )


@settings(max_examples=200, deadline=None)
@given(queries(), st.integers(min_value=1, max_value=25))
def test_any_string_searches_or_raises_only_the_library_errors(query: str, limit: int) -> None:
    indexed, parsed = catalogs()
    try:
        results = search(indexed, query, limit=limit)
    except (UsageError, NoMatch):
        with pytest.raises((UsageError, NoMatch)):
            search(parsed, query, limit=limit)
        return
    assert 1 <= len(results) <= limit
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 100 for s in scores)
    assert len({r.code for r in results}) == len(results)
    assert search(indexed, query, limit=limit) == results, "the same twice"
    assert search(parsed, query, limit=limit) == results, "the same from the index as from the parsed data"
    check_against(schemas.schema("search"), json.loads(dumps(serialize.search_document(query, results))))


# --- check -------------------------------------------------------------------------------------------


@functools.cache
def tables() -> CheckTables:
    return CheckTables.from_catalog(catalogs()[0])


def tokens() -> st.SearchStrategy[str]:
    code = st.sampled_from(catalogs()[1].codes())
    return (
        code
        | code.map(str.lower)
        | st.builds(lambda c, n: f"{c}x{n}", code, st.integers(-1, 1000))
        | st.text(CHARACTERS, max_size=12)
        | st.text(string.digits, min_size=200, max_size=3000)
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(tokens(), max_size=8))
def test_check_of_any_list_of_strings_encodes_to_json(codes: list[str]) -> None:
    result = check(tables(), codes)
    assert result.ok == all(f.severity != "error" for f in result.findings)
    document = json.loads(dumps(serialize.check_document(result, tables().title)))
    assert document["ok"] == result.ok
    line = CheckLines(tables().title).line(result)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    # a line leaves out every key whose value is null or [] (and findings when there is none)
    lean = [
        {key: f[key] for key in ("rule", "severity", "codes", "fix") if f[key] not in (None, [])}
        for f in document["findings"]
    ]
    assert json.loads(line).get("findings", []) == lean
    full = CheckLines(tables().title, explain=True).line(result)
    every = [{key: value for key, value in f.items() if value not in (None, [])} for f in document["findings"]]
    assert json.loads(full).get("findings", []) == every


# --- the serializer ----------------------------------------------------------------------------------


def as_json(value: Any) -> Any:
    """``value`` with tuples as lists; fails on anything JSON has no type for."""
    if isinstance(value, dict):
        assert all(isinstance(k, str) for k in value), value
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    assert value is None or isinstance(value, str | int | float | bool), repr(value)
    return value


@pytest.mark.parametrize("root", [DATA, GOOD], ids=["shipped", "fixture"])
def test_show_of_every_real_record_round_trips_through_json_and_matches_the_schema(root: Path) -> None:
    catalog, problems = read_catalog(root)
    assert problems == []
    schema = schemas.schema("show")
    for code in catalog.codes():
        document = show_document(catalog, [catalog.get(code)])
        decoded = json.loads(dumps(document))
        assert decoded == as_json(msgspec.to_builtins(document)), code
        check_against(schema, decoded)
    everything = show_document(catalog, [catalog.get(c) for c in catalog.codes()])
    check_against(schema, json.loads(dumps(everything)))


def test_the_loader_strategy_reaches_valid_records_and_every_kind_of_problem() -> None:
    """A guard on the strategies above: they must not only ever produce garbage."""
    valid = {**MINIMAL, "history": [{"year": 2016, "change": "added", "sources": ["a"], "confidence": "high"}]}
    assert validate(valid, Procedure, "f")[0] is not None
    _, problems = validate(
        {**MINIMAL, "a\nb": 1, 5: 2, "history": 2016, "synonyms": [datetime.date(2020, 1, 1)]}, Procedure, "f"
    )
    assert {p.field for p in problems} == {"$['a\\nb']", "$.5", "$.history", "$.synonyms[0]"}
    assert_located(problems, "f")
