"""`cptref schema`: each command's JSON Schema, and the real output of every command validated against it.

The output is validated against a *closed* copy of each schema (no key beyond those described), so a
key the serializer adds without documenting it fails here; the schemas themselves stay open, since
a key may be added without changing schema_version.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cptref.check import results
from cptref.output import documents
from cptref.output import fields as fields_of
from cptref.output import schema as schemas
from tests.conftest import DATA, FIXTURES, GOOD, Run

Cli = Callable[..., Run]
POLICY = "schema_version changes only when a field is removed or changes meaning"
BROKEN = sorted(p for p in (FIXTURES / "broken").iterdir() if p.is_dir())
ALL_CODES = sorted(p.stem for p in (DATA / "procedures").glob("*.yaml"))


def closed(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with ``additionalProperties: false`` on every object that lists its properties."""
    result = copy.deepcopy(schema)
    stack: list[Any] = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return result


def check_against(schema: dict[str, Any], document: Any) -> None:
    validator = jsonschema.Draft202012Validator(closed(schema), format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def schema_of(cli: Cli, *args: str) -> dict[str, Any]:
    run = cli("schema", *args)
    assert run.code == 0, run.err
    assert run.err == ""
    document: dict[str, Any] = json.loads(run.out)
    return document


def properties(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, key, property schema) for every property of every object in ``schema``."""
    stack: list[tuple[str, Any]] = [("$", schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, prop in node.get("properties", {}).items():
                yield where, key, prop
            stack.extend((f"{where}.{key}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", value) for i, value in enumerate(node))


# --- the schemas themselves -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "jsonl"),
    [(c, False) for c in schemas.JSON_COMMANDS] + [("search", True), ("check", True), ("changes", True)],
)
def test_each_schema_is_valid_draft_2020_12_and_documents_every_key(command: str, jsonl: bool) -> None:
    schema = schemas.schema(command, jsonl)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert POLICY in schema["description"]
    undocumented = [f"{where}.{key}" for where, key, prop in properties(schema) if not prop.get("description")]
    assert undocumented == []
    for part in schema.get("$defs", {}).values():
        assert part["description"], part["title"]
        if command == "check" and jsonl:  # a lean line leaves empty keys out: the schema says which may be
            assert set(part["required"]) <= set(part["properties"])
        else:
            assert part["required"] == list(part["properties"])  # optional values are null or [], never missing
    if command == "check" and jsonl:
        assert schema["required"] == ["ok", "verified"]
        assert schema["$defs"]["Finding"]["required"] == ["rule", "severity"]
        assert schema["$defs"]["CheckedCode"]["required"] == ["code", "units"]


@pytest.mark.parametrize("command", schemas.JSON_COMMANDS)
def test_schema_version_is_pinned_with_the_policy(command: str) -> None:
    version = schemas.schema(command)["properties"]["schema_version"]
    assert version["const"] == documents.SCHEMA_VERSION
    assert POLICY in version["description"]


def test_every_ref_resolves_inside_its_schema() -> None:
    for command in schemas.JSON_COMMANDS:
        schema = schemas.schema(command)
        text = json.dumps(schema)
        parts = schema.get("$defs", {})  # a document with no parts of its own has none
        for name in parts:
            assert f'"#/$defs/{name}"' in text  # no part is carried that nothing refers to
        refs = {n.split('"')[0] for n in text.split('"$ref": "#/$defs/')[1:]}
        assert refs <= set(parts), command


@pytest.mark.parametrize(("command", "part"), list(schemas.ITEM_PARTS.items()))
def test_the_fields_that_fields_selects_are_the_documented_keys_in_order(command: str, part: str) -> None:
    documented = list(schemas.schema(command)["$defs"][part]["properties"])
    assert documented == list(fields_of.FIELDS[command])


def test_the_closed_check_rejects_an_undocumented_key_and_a_missing_one() -> None:
    schema = schemas.schema("search")
    good: dict[str, Any] = {
        "schema_version": 1,
        "query": "x",
        "results": [
            {
                "code": "47555",
                "title": "t",
                "score": 1.0,
                "matched": {},
                "record": True,
                "origin": "cptref",
                "short_descriptor": None,
                "confident": False,
            }
        ],
    }
    check_against(schema, good)
    extra = copy.deepcopy(good)
    extra["results"][0]["surprise"] = 1
    with pytest.raises(AssertionError, match="surprise"):
        check_against(schema, extra)
    missing = copy.deepcopy(good)
    del missing["results"][0]["matched"]
    with pytest.raises(AssertionError, match="matched"):
        check_against(schema, missing)
    with pytest.raises(AssertionError, match="schema_version"):
        check_against(schema, {**good, "schema_version": 2})


def test_cli_without_a_command_prints_every_schema_keyed_by_command(cli: Cli) -> None:
    every = schema_of(cli)
    assert list(every) == ["show", "search", "check", "list", "families", "validate", "pack", "tables", "changes"]
    for command in every:
        assert every[command] == schema_of(cli, command)
    assert list(schema_of(cli, "--jsonl")) == ["search", "check", "list", "changes"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("nope",),
            "cptref: Invalid value for '[COMMAND]': 'nope' is not one of "
            "'show', 'search', 'check', 'list', 'families', 'validate'",
        ),
        (("validate", "--jsonl"), "cptref: validate has no JSON Lines output; those that do: search, check"),
        (("show", "--jsonl"), "cptref: show has no JSON Lines output"),
        (("validate", "--fields", "ok"), "cptref: validate has no --fields"),
        (("--fields", "code"), "cptref: --fields narrows one command's schema: name it"),
        (("show", "--fields", "cod"), "cptref: unknown field 'cod'; available: code, status, title,"),
    ],
)
def test_cli_schema_usage_errors(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli("schema", *args)
    assert (run.code, run.out) == (2, "")
    assert run.err.startswith(message), run.err
    assert len(run.err.splitlines()) == 1


# --- real output against the schemas ----------------------------------------------------------------


def test_every_shipped_record_through_show_json_matches_the_schema(cli: Cli) -> None:
    assert len(ALL_CODES) > 50
    run = cli("show", *ALL_CODES, "--json")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert [p["code"] for p in document["procedures"]] == ALL_CODES
    check_against(schema_of(cli, "show"), document)


def test_fixture_records_with_a_licensed_descriptor_match_the_schema(cli: Cli, tmp_path: Path) -> None:
    licensed = tmp_path / "licensed.tsv"
    licensed.write_text("0001X\tMade-up official wording for the widget repair\n")
    codes = sorted(p.stem for p in (GOOD / "procedures").glob("*.yaml"))
    run = cli("show", *codes, "--json", "--data", str(GOOD), "--descriptors", str(licensed))
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["procedures"][0]["official_descriptor"]["text"].startswith("Made-up")
    check_against(schemas.schema("show"), document)


@pytest.mark.parametrize(
    "words",
    [("balloon", "dilation", "biliary"), ("biliarry", "stricure"), ("4755",), ("PTBD",), ("nephrostomy", "exchange")],
)
def test_search_json_matches_the_schema(cli: Cli, words: tuple[str, ...]) -> None:
    run = cli("search", *words, "--json", "--limit", "20")
    assert run.code == 0, run.err
    document = json.loads(run.out)
    assert document["results"]
    check_against(schemas.schema("search"), document)


def test_search_jsonl_lines_match_the_line_schema(cli: Cli) -> None:
    run = cli("search", "biliary", "drainage", "--format", "jsonl", "-n", "5")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert len(lines) == 5
    schema = schema_of(cli, "search", "--jsonl")
    for line in lines:
        check_against(schema, json.loads(line))


CHECK_SETS = [
    ("47532", "47542x2", "77002"),  # included, add-on info, units
    ("50432", "50706"),  # clean add-on with its primary
    ("47555",),  # info resting on a low-confidence fact
    ("4755", "abc", "99999"),  # malformed and unknown
    ("47542", "47542", "47542", "47542", "47542", "47542", "47542"),  # units
    ("47538", "47542"),  # not reported together in the same duct
]


@pytest.mark.parametrize("codes", CHECK_SETS, ids=[" ".join(c) for c in CHECK_SETS])
def test_check_json_matches_the_schema(cli: Cli, codes: tuple[str, ...]) -> None:
    run = cli("check", *codes, "--json")
    assert run.code in (0, 1, 5), run.err
    check_against(schemas.schema("check"), json.loads(run.out))


def test_every_shipped_code_deleted_or_not_checks_to_output_that_matches_the_schema(cli: Cli) -> None:
    run = cli("check", *ALL_CODES, "--json")
    document = json.loads(run.out)
    assert len(document["findings"]) > 10
    check_against(schemas.schema("check"), document)


def test_check_jsonl_lines_from_a_batch_match_the_line_schema(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    path.write_text(
        '{"id": "A1", "codes": ["47532", "77002"]}\n'
        '{"id": 7, "codes": "50432 50706x2"}\n'
        '{"codes": ["4755", "0009X"]}\n'
        "not json\n"
    )
    run = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl")
    lines = [json.loads(line) for line in run.out.splitlines()]
    assert [d.get("id") for d in lines] == ["A1", 7, None]
    explained = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--explain")
    asked = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl", "--fields", "rule,claim.codes")
    for document in map(json.loads, explained.out.splitlines()):  # every key that has a value
        check_against(schemas.schema("check", True, results.FINDING_KEYS), document)
    for document in map(json.loads, asked.out.splitlines()):
        check_against(schemas.schema("check", True, ("rule",)), document)
    one = cli("check", "47532", "77002", "--jsonl")
    lines.append(json.loads(one.out))
    schema = schema_of(cli, "check", "--jsonl")
    for document in lines:
        check_against(schema, document)


@pytest.mark.parametrize("case", [GOOD, *BROKEN], ids=["good", *(p.name for p in BROKEN)])
def test_validate_json_matches_the_schema(cli: Cli, case: Path) -> None:
    run = cli("validate", str(case), "--json")
    assert run.code in (0, 3), run.err
    document = json.loads(run.out)
    assert document["ok"] == (run.code == 0)
    check_against(schemas.schema("validate"), document)


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (("show", "47542", "50706", "--json", "--fields", "code,add_on,derived"), "show"),
        (("search", "drain", "--json", "--fields", "score,code"), "search"),
        (("check", "47532", "77002", "--json", "--fields", "rule,severity"), "check"),
    ],
)
def test_output_narrowed_by_fields_matches_the_schema_narrowed_alike(
    cli: Cli, args: tuple[str, ...], command: str
) -> None:
    fields = args[-1]
    run = cli(*args)
    assert run.code in (0, 1), run.err
    document = json.loads(run.out)
    narrowed = schema_of(cli, command, "--fields", fields)
    check_against(narrowed, document)
    with pytest.raises(AssertionError):  # the full schema wants every field
        check_against(schema_of(cli, command), document)
