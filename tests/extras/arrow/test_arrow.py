"""The Arrow checker, Parquet in and out, and the schemas: each gives what ``cptref check --file
claims.jsonl --jsonl`` gives for the same made-up claims, byte for byte once encoded."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import pytest
from msgspec import Struct

from tests.conftest import ROOT, run_cptref
from tests.extras import require

pa = require("pyarrow")
pq = require("pyarrow.parquet")

from cptref.arrow import ArrowChecker  # noqa: E402 - after the extra's guard
from cptref.check.results import Finding  # noqa: E402
from cptref.output import arrow as out_arrow  # noqa: E402
from cptref.output.arrow import (  # noqa: E402
    CLAIM_SCHEMA,
    EXPLAINED_SCHEMA,
    LINE_SCHEMA,
    RESULT_SCHEMA,
    arrow_type,
    encode_row,
    schema_text,
)
from cptref.output.check_documents import LEAN_FINDING, ClaimLine  # noqa: E402

from . import claimgen  # noqa: E402
from .helpers import DATA, Expected, cli, results  # noqa: E402


@pytest.fixture(scope="module")
def made() -> list[claimgen.Made]:
    return claimgen.claims(400)


@pytest.fixture(scope="module")
def jsonl(made: list[claimgen.Made], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return claimgen.jsonl(made, tmp_path_factory.mktemp("claims") / "claims.jsonl")


@pytest.fixture(scope="module")
def expected(jsonl: Path, cms_folder: Path) -> Expected:
    return cli(jsonl, cms_folder)


@pytest.fixture(scope="module")
def checker(cms_folder: Path) -> Iterable[ArrowChecker]:
    with ArrowChecker(str(DATA), cms_folder) as found:
        yield found


# --- the schemas -------------------------------------------------------------------------------------


def test_the_result_schema_is_a_jsonl_line_and_its_problem() -> None:
    assert RESULT_SCHEMA.names == [*ClaimLine.__struct_fields__, "problem"]
    finding = RESULT_SCHEMA.field("findings").type.value_type
    assert [f.name for f in finding] == list(LEAN_FINDING)
    assert [f.name for f in EXPLAINED_SCHEMA.field("findings").type.value_type] == list(Finding.__struct_fields__)
    for schema in (RESULT_SCHEMA, CLAIM_SCHEMA, LINE_SCHEMA):
        assert schema.metadata and schema.metadata[b"description"]
        for field in schema:
            assert field.metadata and field.metadata[b"description"], field.name


def _json_schema_fields(schema: dict[str, Any], part: dict[str, Any]) -> dict[str, bool]:
    """A JSON Schema object's properties -> whether each may be null or left out (a null in Arrow)."""
    found = {}
    required = set(part.get("required", ()))
    for name, value in part["properties"].items():
        kinds = [value, *value.get("anyOf", [])]
        found[name] = any(k.get("type") == "null" for k in kinds) or name not in required
    return found


def test_the_arrow_result_schema_matches_the_json_schema() -> None:
    """The Arrow columns of a result are the JSON Schema's fields of a check --jsonl line, with the same
    nullability, both generated from ClaimLine (``cptref schema check --jsonl``)."""
    run = run_cptref("schema", "check", "--jsonl")
    assert run.code == 0, run.err
    schema = json.loads(run.out)
    line = schema if "properties" in schema else next(v for v in schema["$defs"].values() if "ok" in v["properties"])
    fields = _json_schema_fields(schema, line)
    arrow = {f.name: f.nullable for f in RESULT_SCHEMA if f.name != "problem"}
    assert arrow == fields
    for name, prop in line["properties"].items():  # the same descriptions (the JSON Schema adds its policy)
        assert prop.get("description", "").startswith(RESULT_SCHEMA.field(name).metadata[b"description"].decode())


def test_the_documented_schemas_are_the_generated_ones() -> None:
    doc = (ROOT / "docs" / "ARROW.md").read_text(encoding="utf-8")
    assert schema_text() in doc, "docs/ARROW.md: paste the output of cptref.output.arrow.schema_text()"


class Later(Finding, frozen=True, kw_only=True):
    code_count: int | None = None


class Inner(Struct):
    when: datetime.date
    level: Literal["a", "b"]
    score: float | None = None


class Outer(Struct):
    items: list[Inner]
    tags: dict[str, int | None]
    pair: tuple[str, ...]
    either: str | int | None = None


def test_a_field_added_to_a_finding_appears_in_the_schema() -> None:
    kind = arrow_type(list[Later])
    assert kind.value_type.field("code_count").type == pa.int64()
    assert kind.value_type.field("code_count").nullable


def test_the_converter() -> None:
    kind = arrow_type(Outer)
    assert kind.field("items").type.value_type.field("when").type == pa.date32()
    assert kind.field("items").type.value_type.field("level").type == pa.string()
    assert kind.field("items").type.value_type.field("score").nullable
    assert kind.field("tags").type == pa.map_(pa.string(), pa.int64())
    assert kind.field("pair").type.value_type == pa.string()
    assert kind.field("either").type == pa.string() and kind.field("either").nullable
    assert arrow_type(Outer, {Inner: ["level"]}).field("items").type.value_type.names == ["level"]
    with pytest.raises(TypeError, match="union"):
        arrow_type(int | float)


# --- the checker gives what check --file gives ---------------------------------------------------------


@pytest.mark.parametrize("explain", [False, True])
def test_a_batch_gives_what_check_file_gives(
    made: list[claimgen.Made], jsonl: Path, cms_folder: Path, explain: bool
) -> None:
    expected = cli(jsonl, cms_folder, *(["--explain"] if explain else []))
    with ArrowChecker(str(DATA), cms_folder, explain=explain) as checker:
        got = results([checker.check_table(claimgen.claim_table(made), batch_size=64)], explain)
        assert checker.summary.claims == len(expected.lines) and checker.summary.skipped == len(expected.problems)
    assert got.lines == expected.lines  # byte for byte, in input order
    assert got.problems == expected.problems
    assert len(got.lines) + len(got.problems) == len(made)


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(lambda m: claimgen.claim_table(m, lines="text"), id="lines-as-text"),
        pytest.param(lambda m: claimgen.claim_table(m, lines="cell"), id="lines-in-one-cell"),
        pytest.param(lambda m: claimgen.claim_table(m, numbered=True), id="numbered"),
        pytest.param(lambda m: claimgen.claim_table(m).rename_columns(["id", "date", "codes"]), id="codes-column"),
        pytest.param(lambda m: claimgen.line_table(m), id="one-row-a-line"),
    ],
)
def test_every_shape_gives_the_same_results(
    made: list[claimgen.Made], expected: Expected, checker: ArrowChecker, table: Any
) -> None:
    got = results([checker.check_table(table(made), batch_size=7)])  # claims of one row a line straddle batches
    assert got.lines == expected.lines
    problems = expected.problems
    if "code" in table(made[:1]).schema.names:  # a claim without a line has no row
        problems = [p for p in problems if p[1] != "the claim has no codes"]
    assert got.problems == problems


def test_positions_order_the_lines_of_a_claim(
    made: list[claimgen.Made], expected: Expected, checker: ArrowChecker
) -> None:
    table = claimgen.line_table(made)
    claim, place = table.column("line").to_pylist(), table.column("position").to_pylist()
    shuffled = table.take(pa.array(sorted(range(table.num_rows), key=lambda i: (claim[i], -place[i]))))  # reversed
    assert results([checker.check_table(shuffled, batch_size=5)]).lines == expected.lines


def test_dates_as_dates_and_a_default_date(cms_folder: Path, tmp_path: Path) -> None:
    made = [c for c in claimgen.claims(200, seed=5) if c.date != "2026-13-01"]
    jsonl = claimgen.jsonl(made, tmp_path / "claims.jsonl")
    expected = cli(jsonl, cms_folder, "--date", "2026-11-27")
    with ArrowChecker(str(DATA), cms_folder, date=datetime.date(2026, 11, 27)) as dated:
        got = results([dated.check_table(claimgen.claim_table(made, dates=True))])
    assert got.lines == expected.lines and got.problems == expected.problems
    assert not any(p[1].startswith("no date") for p in got.problems)


def test_integer_ids_stay_integers(cms_folder: Path, checker: ArrowChecker, tmp_path: Path) -> None:
    made = claimgen.claims(150, seed=9, int_ids=True)
    expected = cli(claimgen.jsonl(made, tmp_path / "claims.jsonl"), cms_folder)
    table = checker.check_table(claimgen.claim_table(made))
    assert table.schema.field("id").type == pa.int64()
    got = results([table])
    assert got.lines == expected.lines and got.problems == expected.problems


def test_a_claim_names_its_setting(cms_folder: Path, checker: ArrowChecker, tmp_path: Path) -> None:
    made = claimgen.claims(120, seed=3)
    hospital = cli(claimgen.jsonl(made, tmp_path / "claims.jsonl"), cms_folder, "--setting", "hospital")
    for claim in made:
        claim.setting = "hospital"
    got = results([checker.check_table(claimgen.claim_table(made))])
    assert got.lines == hospital.lines and got.problems == hospital.problems
    made[0].setting = "dentist"
    [row] = checker.check(claimgen.claim_table(made[:1]).to_batches()[0]).to_pylist()
    assert row["problem"] == "the setting must be practitioner or hospital, got 'dentist'"


# --- every claim accounted for -----------------------------------------------------------------------


def test_every_row_is_a_result_row(checker: ArrowChecker) -> None:
    rows = [
        {"id": "A", "date": "2026-11-27", "code": "0001X", "modifiers": None, "units": None},
        {"id": "A", "date": "2026-11-27", "code": "0005X", "modifiers": ["59", None], "units": None},
        {"id": None, "date": "2026-11-27", "code": "0001X", "modifiers": None, "units": None},
        {"id": "B", "date": "2026-11-27", "code": "0001X", "modifiers": None, "units": 0},
        {"id": "B", "date": "2026-11-28", "code": "0002X", "modifiers": None, "units": None},
        {"id": "C", "date": None, "code": None, "modifiers": None, "units": None},
        {"id": "D", "date": "2026-11-27", "code": "0001X", "modifiers": [], "units": 2},
    ]
    found = checker.check(pa.RecordBatch.from_pylist(rows)).to_pylist()
    assert [(r["id"], r["line"], r["problem"]) for r in found] == [
        ("A", 1, "a modifier of line '0005X' is null"),
        (None, 3, "a line without a claim id (one row a line needs the id to group them)"),
        ("B", 4, "the lines of claim 'B' give different dates: 2026-11-27, 2026-11-28"),
        ("C", 6, "a line of the claim has no code"),
        ("D", 7, None),
    ]
    assert [(c["code"], c["units"]) for c in found[-1]["codes"]] == [("0001X", 2)]
    claims = pa.RecordBatch.from_pylist(
        [
            {"id": "E", "date": "2026-11-27", "lines": None},
            {"id": "F", "date": "2026-11-27", "lines": [None]},
            {"id": "G", "date": "2026-11-27", "lines": [{"code": "0001X", "modifiers": None, "units": 0}]},
        ],
        schema=pa.schema([("id", pa.string()), ("date", pa.string()), CLAIM_SCHEMA.field("lines").with_nullable(True)]),
    )
    found = checker.check(claims).to_pylist()
    assert [r["problem"] for r in found] == ["the claim has no codes", "a line of the claim is null", None]
    assert [f["rule"] for f in found[-1]["findings"]] == ["malformed-code"]  # 0001Xx0: as check --file reads it


def test_a_slice_gives_what_its_rows_give(made: list[claimgen.Made], checker: ArrowChecker) -> None:
    for table in (claimgen.claim_table(made), claimgen.line_table(made)):
        whole = table.combine_chunks().to_batches()[0]
        sliced = checker.check(whole.slice(37, 60), None).to_pylist()
        alone = checker.check(pa.RecordBatch.from_pylist(whole.slice(37, 60).to_pylist(), schema=whole.schema), None)
        assert sliced == alone.to_pylist()


def test_a_batch_of_the_wrong_shape_is_refused(checker: ArrowChecker) -> None:
    with pytest.raises(ValueError, match="lines column"):
        checker.check(pa.RecordBatch.from_pylist([{"id": "A"}]))
    with pytest.raises(TypeError, match="date column"):
        checker.check(pa.RecordBatch.from_pylist([{"id": "A", "date": 3, "lines": ["0001X"]}]))
    with pytest.raises(TypeError, match="id column"):
        checker.check(pa.RecordBatch.from_pylist([{"id": 1.5, "lines": ["0001X"]}]))


def test_a_row_with_a_problem_has_no_jsonl_line() -> None:
    with pytest.raises(ValueError, match="has a problem"):
        encode_row({"line": 3, "problem": "the claim has no codes"})


# --- Parquet, through the command -------------------------------------------------------------------


def _check(*args: str, cms: Path) -> Any:
    return run_cptref("check", "--data", str(DATA), "--cms", str(cms), *args)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("shape", ["claim", "line"])
def test_parquet_in_gives_the_jsonl_output(
    made: list[claimgen.Made], expected: Expected, cms_folder: Path, tmp_path: Path, jobs: str, shape: str
) -> None:
    table = claimgen.claim_table(made) if shape == "claim" else claimgen.line_table(made)
    source = tmp_path / "claims.parquet"
    pq.write_table(table, source, row_group_size=90)  # row groups cut through claims
    run = _check("--file", str(source), "--jsonl", "--jobs", jobs, cms=cms_folder)
    assert run.code == 4  # malformed claims (no date, a date that is not one) win over stopped ones
    assert run.out.encode() == b"".join(expected.lines)  # the --jsonl output itself, byte for byte
    problems = expected.problems
    if shape == "line":
        problems = [p for p in problems if p[1] != "the claim has no codes"]
    said = [line for line in run.err.splitlines() if line.endswith("line skipped")]
    assert said == [f"cptref: {source}:{n}: {m}; line skipped" for n, m in problems]
    # the summary counts the table's rows, and the claims in them (a claim spans rows in the line shape)
    claims, checked = len(expected.lines) + len(problems), len(expected.lines)
    summary = f"cptref: {source}: {table.num_rows} rows read, {claims} claims in them: {checked} claims checked"
    assert summary in run.err.splitlines()[-1]
    assert f"{len(problems)} malformed claim{'s' * (len(problems) != 1)} reported and skipped" in run.err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parquet_out_holds_the_jsonl_lines(
    jsonl: Path, expected: Expected, cms_folder: Path, tmp_path: Path, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cptref.check import batch

    monkeypatch.setattr(batch, "BATCH_CHUNK", 50)  # several chunks, on two workers
    target = tmp_path / "results.parquet"
    run = _check("--file", str(jsonl), "--format", "parquet", "-o", str(target), "--jobs", jobs, cms=cms_folder)
    assert run.code == 4 and run.out == ""
    found = pq.read_table(target)
    got = results([found])
    assert got.lines == expected.lines and got.problems == []  # problems: on stderr, as with --jsonl
    assert found.schema.equals(RESULT_SCHEMA)  # nested items are named element in Parquet; equals ignores that
    assert found.schema.metadata == RESULT_SCHEMA.metadata


def test_parquet_in_and_out_keep_integer_ids(cms_folder: Path, tmp_path: Path) -> None:
    made = claimgen.claims(120, seed=9, int_ids=True, problems=False)
    expected = cli(claimgen.jsonl(made, tmp_path / "claims.jsonl"), cms_folder)
    pq.write_table(claimgen.claim_table(made, dates=True), tmp_path / "claims.parquet")
    target = tmp_path / "results.parquet"
    run = _check("--file", str(tmp_path / "claims.parquet"), "--format", "parquet", "-o", str(target), cms=cms_folder)
    assert run.code in (1, 5), run.err  # 5: a made-up code no table or record knows
    table = pq.read_table(target)
    assert table.schema.field("id").type == pa.int64()
    assert results([table]).lines == expected.lines


@pytest.mark.slow
def test_one_claim_as_parquet(tmp_path: Path) -> None:
    """Codes given as arguments: one result row, redirected to a file."""
    import subprocess
    import sys

    target = tmp_path / "one.parquet"
    args = ["check", "0001X", "0002X", "--data", str(DATA), "--format", "parquet", "--date", "2026-11-27"]
    with target.open("wb") as out:
        proc = subprocess.run([sys.executable, "-m", "cptref", *args], stdout=out, stderr=subprocess.PIPE, timeout=120)
    assert proc.returncode in (0, 1, 4, 5), proc.stderr
    [row] = pq.read_table(target).to_pylist()
    assert [c["code"] for c in row["codes"]] == ["0001X", "0002X"] and row["id"] is None and row["problem"] is None
    jsonl = run_cptref(*args[:-4], "--jsonl", "--date", "2026-11-27")
    assert encode_row(row) == jsonl.out.encode()


def test_rows_of_other_commands_as_parquet() -> None:
    from cptref.output.formats import Answer, formatter

    class Row(Struct):
        code: str
        score: float

    data = formatter("parquet").answer(Answer(None, rows=[Row("0001X", 1.5), Row("0002X", 0.5)]))
    import io

    assert pq.read_table(io.BytesIO(data)).to_pylist() == [
        {"code": "0001X", "score": 1.5},
        {"code": "0002X", "score": 0.5},
    ]


@pytest.mark.slow
def test_parquet_is_never_written_to_a_terminal(cms_folder: Path, jsonl: Path) -> None:
    from tests.conftest import run_on_terminal

    args = ("check", "--data", str(DATA), "--cms", str(cms_folder), "--file", str(jsonl), "--format", "parquet")
    code, out, err = run_on_terminal(args, {})
    assert code == 2 and out == ""
    assert "give -o results.parquet" in err


def test_an_extra_column_is_named_once(cms_folder: Path, made: list[claimgen.Made], tmp_path: Path) -> None:
    table = claimgen.claim_table(made[:30]).append_column("payer", pa.array(["X"] * 30))
    pq.write_table(table, tmp_path / "claims.parquet")
    run = _check("--file", str(tmp_path / "claims.parquet"), "--jsonl", cms=cms_folder)
    assert run.err.count("'payer'") == 1
    assert f"cptref: {tmp_path / 'claims.parquet'}: column 'payer' is not a claim's, not read" in run.err


# --- bad Parquet files: one located line, exit 2 ---------------------------------------------------------


def _refused(path: Path, cms: Path) -> str:
    run = _check("--file", str(path), "--jsonl", cms=cms)
    assert run.code == 2, run.err
    lines = run.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cptref: {path}: "), run.err
    assert "Traceback" not in run.err
    return str(lines[0])


def test_a_file_that_is_not_parquet(cms_folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    path.write_bytes(b"id,codes\nA,0001X\n")
    assert "not a Parquet file" in _refused(path, cms_folder)


def test_a_truncated_file(cms_folder: Path, made: list[claimgen.Made], tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    pq.write_table(claimgen.claim_table(made), path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert "not a Parquet file" in _refused(path, cms_folder)


def test_a_file_damaged_inside(cms_folder: Path, made: list[claimgen.Made], tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    pq.write_table(claimgen.claim_table(made), path, row_group_size=100, compression="snappy")
    data = bytearray(path.read_bytes())
    meta = pq.ParquetFile(path).metadata
    start = meta.row_group(2).column(2).data_page_offset  # the third row group's lines
    data[start + 20 : start + 220] = b"\xff" * 200
    path.write_bytes(bytes(data))
    run = _check("--file", str(path), "--jsonl", "--jobs", "1", cms=cms_folder)
    assert run.code == 2 and "Traceback" not in run.err
    assert run.err.splitlines()[-1].startswith(f"cptref: {path}: row group 3 (rows 201 to 300): the file is damaged")


def test_columns_of_the_wrong_type(cms_folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    pq.write_table(pa.table({"id": ["A"], "date": [3], "lines": [["0001X"]]}), path)
    assert _refused(path, cms_folder).endswith("the date column must hold dates or YYYY-MM-DD text, not int64")
    pq.write_table(pa.table({"id": ["A"], "payer": ["X"]}), path)
    assert "needs a lines column" in _refused(path, cms_folder)


def test_a_row_group_too_large_is_refused(
    cms_folder: Path, made: list[claimgen.Made], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cptref.check.inputs import parquet

    monkeypatch.setattr(parquet, "MAX_ROW_GROUP_BYTES", 1000)
    path = tmp_path / "claims.parquet"
    pq.write_table(claimgen.claim_table(made), path)
    assert "row group 1 holds" in _refused(path, cms_folder)


def test_parquet_from_stdin_is_refused(cms_folder: Path, made: list[claimgen.Made], tmp_path: Path) -> None:
    path = tmp_path / "claims.parquet"
    pq.write_table(claimgen.claim_table(made[:5]), path)
    run = run_cptref("check", "--file", "-", "--jsonl", "--data", str(DATA), stdin=path.read_bytes())
    assert run.code == 2 and "not from stdin" in run.err


def test_a_claim_with_too_many_lines(checker: ArrowChecker) -> None:
    from cptref.check.arrow import MAX_CLAIM_LINES

    lines = ["0001X"] * (MAX_CLAIM_LINES + 1)
    [row] = checker.check(pa.RecordBatch.from_pylist([{"id": "A", "date": "2026-11-27", "lines": lines}])).to_pylist()
    assert row["problem"] == f"the claim has {MAX_CLAIM_LINES + 1} lines, more than {MAX_CLAIM_LINES}"


def test_results_to_ipc_and_back(checker: ArrowChecker, made: list[claimgen.Made]) -> None:
    batch = checker.check(claimgen.claim_table(made[:40]).to_batches()[0])
    [back] = out_arrow.from_ipc(out_arrow.to_ipc(batch))
    assert back.equals(batch)


def _dictionary(array: Any) -> Any:
    """``array`` dictionary-encoded, as a pandas categorical column is written (lists: their values)."""
    if pa.types.is_list(array.type):
        values = array.values.dictionary_encode()
        return pa.ListArray.from_arrays(array.offsets, values)
    return array.dictionary_encode()


@pytest.mark.parametrize(
    ("shape", "encoded"),
    [
        ("claim", ("id", "date", "setting", "lines")),
        ("claim", ("lines_values",)),
        ("line", ("id", "code", "date")),
        ("line", ("modifiers",)),
        ("struct", ("code", "modifiers")),
    ],
)
def test_dictionary_encoded_columns_are_read_as_their_values(
    shape: str, encoded: tuple[str, ...], cms_folder: Path, tmp_path: Path
) -> None:
    """A categorical column (pandas), a dictionary column (Spark, DuckDB) holds text all the same: it was
    refused as 'not text'; the claims read are those of the same table written plainly. In a list of
    line structs (``struct``), the struct's own fields are the ones encoded."""
    if shape == "struct":
        line = pa.struct([("code", pa.string()), ("modifiers", pa.list_(pa.string())), ("units", pa.int64())])
        plain = pa.table(
            {
                "id": ["c1", "c2"],
                "date": ["2026-11-27", "2026-11-27"],
                "lines": pa.array(
                    [
                        [{"code": "0001X", "modifiers": ["59"], "units": 1}, {"code": "0002X", "units": 2}],
                        [{"code": "0002X", "modifiers": ["RT", "59"]}],
                    ],
                    pa.list_(line),
                ),
            }
        )
    elif shape == "claim":
        plain = pa.table(
            {
                "id": ["c1", "c2", "c3"],
                "date": ["2026-11-27", "2026-11-27", "2026-11-27"],
                "setting": ["practitioner", "practitioner", "practitioner"],
                "lines": pa.array([["0001X", "0002X-59"], ["0002X"], ["0001X x2"]]),
            }
        )
    else:
        plain = pa.table(
            {
                "id": ["c1", "c1", "c2"],
                "code": ["0001X", "0002X", "0002X"],
                "date": ["2026-11-27", "2026-11-27", "2026-11-27"],
                "modifiers": pa.array([["59"], None, ["RT", "59"]]),
            }
        )
    columns = {name: plain.column(name).combine_chunks() for name in plain.column_names}
    if shape == "struct":
        lines = columns["lines"]
        fields = {f.name: lines.values.field(f.name) for f in lines.type.value_type}
        fields.update((name, _dictionary(fields[name])) for name in encoded)
        structs = pa.StructArray.from_arrays(list(fields.values()), names=list(fields))
        columns["lines"] = pa.ListArray.from_arrays(lines.offsets, structs)
        encoded = ()
    for name in encoded:
        if name == "lines_values":
            columns["lines"] = _dictionary(columns["lines"])
        else:
            columns[name] = _dictionary(columns[name])
    pq.write_table(plain, tmp_path / "plain.parquet")
    pq.write_table(pa.table(columns), tmp_path / "encoded.parquet")
    wanted = _check(
        "--file", str(tmp_path / "plain.parquet"), "--jsonl", "--fields", "rule,claim.codes", cms=cms_folder
    )
    run = _check("--file", str(tmp_path / "encoded.parquet"), "--jsonl", "--fields", "rule,claim.codes", cms=cms_folder)
    assert run.err.replace("encoded.parquet", "plain.parquet") == wanted.err
    assert (run.code, run.out) == (wanted.code, wanted.out) and run.out.count("\n") == (3 if shape == "claim" else 2)
    if shape == "struct":  # the struct's modifiers and units were read, not only its code
        assert '"modifiers":["RT","59"]' in run.out and '"units":2' in run.out


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_parquet_output_onto_a_full_disk_is_one_line(cms_folder: Path, tmp_path: Path) -> None:
    """``-o /dev/full``: pyarrow's writer fails with ENOSPC (at its first write or at its close); one line
    naming the output, exit 2, never a traceback."""
    source = tmp_path / "claims.parquet"
    pq.write_table(pa.table({"id": ["c1"], "date": ["2026-11-27"], "lines": pa.array([["0001X", "0002X"]])}), source)
    run = _check("--file", str(source), "--format", "parquet", "-o", "/dev/full", cms=cms_folder)
    assert run.code == 2
    assert run.err == "cptref: --output /dev/full: cannot write: No space left on device\n"


@pytest.mark.slow
def test_a_fifo_named_as_a_parquet_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    """pyarrow reads a Parquet file from its end and opens it more than once, in C++: a FIFO kept it
    waiting forever, deaf to SIGTERM. A path that is not a regular file is refused, with the way out."""
    import os

    from tests.conftest import run_process

    fifo = tmp_path / "claims.parquet"
    os.mkfifo(fifo)
    held = os.open(fifo, os.O_RDWR)  # a writer that never writes: any read of it would wait
    try:
        run = run_process("check", "--file", str(fifo), "--data", str(DATA), "--jsonl")  # 60 s bound
    finally:
        os.close(held)
    assert run.code == 2 and run.out == ""
    assert run.err == (
        f"cptref: {fifo}: not a regular file (a FIFO, a device or a directory): a Parquet file is read from its "
        "end; copy it to a file first\n"
    )
