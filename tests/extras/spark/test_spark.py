"""cptref.spark end to end on a local Spark (local[2], Java 17): a DataFrame of claims gives what
``cptref check --file claims.jsonl --jsonl`` gives, row for row after sorting, byte for byte once
each row is encoded as its JSON line. One SparkSession for the module; a few hundred claims."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.extras import require

pa = require("pyarrow")
pyspark = require("pyspark")

from tests.extras.arrow import claimgen  # noqa: E402
from tests.extras.arrow.helpers import DATA, Expected, cli, results  # noqa: E402

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):  # pragma: no cover - CI has Java 17
    if os.environ.get("CPTREF_REQUIRE_EXTRAS"):
        raise RuntimeError("Spark needs Java 17 (java on the PATH or JAVA_HOME)")
    pytest.skip("no Java: Spark needs Java 17", allow_module_level=True)

pytestmark = pytest.mark.slow  # starts a JVM and Python workers


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the workers: this interpreter, with cptref installed
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cptref-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "3")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "17")  # batches cut through claims
        .config("spark.executorEnv.CPTREF_CACHE_DIR", os.environ["CPTREF_CACHE_DIR"])
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def sorted_results(frame: Any) -> Expected:
    got = results([frame.toArrow()])
    return Expected(sorted(got.lines), sorted(got.problems))


def test_a_dataframe_gives_what_check_file_gives(spark: Any, cms_folder: Path, tmp_path: Path) -> None:
    from cptref.spark import check_dataframe

    made = claimgen.claims(300, seed=11)
    expected = cli(claimgen.jsonl(made, tmp_path / "claims.jsonl"), cms_folder)
    claims = spark.createDataFrame(claimgen.claim_table(made, numbered=True)).repartition(4)
    got = sorted_results(check_dataframe(claims, data=str(DATA), cms=str(cms_folder)))
    assert got.lines == sorted(expected.lines)  # byte for byte
    assert got.problems == sorted(expected.problems)
    assert len(got.lines) + len(got.problems) == len(made)


def test_one_row_a_line_from_parquet_gives_the_same(spark: Any, cms_folder: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from cptref.spark import check_dataframe

    made = claimgen.claims(200, seed=12, problems=False, int_ids=True)
    expected = cli(claimgen.jsonl(made, tmp_path / "claims.jsonl"), cms_folder, "--explain")
    pq.write_table(claimgen.line_table(made, dates=True), tmp_path / "lines.parquet", row_group_size=50)
    lines = spark.read.parquet(str(tmp_path / "lines.parquet")).repartition(3)  # a claim's rows scattered
    checked = check_dataframe(lines, data=str(DATA), cms=str(cms_folder), explain=True)
    assert checked.schema["id"].dataType.typeName() == "long"
    checked.write.parquet(str(tmp_path / "results.parquet"))
    got = results([pq.read_table(tmp_path / "results.parquet")], explain=True)
    assert sorted(got.lines) == sorted(expected.lines) and got.problems == []


def test_each_worker_opens_the_tables_once(spark: Any, cms_folder: Path) -> None:
    from cptref.spark import check_dataframe

    claims = spark.createDataFrame(claimgen.claim_table(claimgen.claims(400, seed=13), numbered=True)).repartition(8)
    for _ in range(2):
        assert check_dataframe(claims, data=str(DATA), cms=str(cms_folder)).count() == 400

    def opened(batches: Iterator[Any]) -> Iterator[Any]:
        import cptref.spark

        for _ in batches:
            pass
        found = {"pid": os.getpid(), "opened": cptref.spark.OPENED[0], "checkers": len(cptref.spark._CHECKERS)}
        yield pa.RecordBatch.from_pylist([found])

    rows = spark.range(0, 8, numPartitions=8).mapInArrow(opened, "pid long, opened long, checkers long").collect()
    # every worker opened each set of files and options once, whatever the tasks it ran (8 partitions, twice)
    assert all(row.opened == row.checkers for row in rows)
    assert len({row.pid for row in rows}) <= 2 and max(row.opened for row in rows) >= 1
