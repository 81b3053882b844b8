"""Checking a Spark DataFrame of claims: ``check_dataframe(df)`` gives a DataFrame of results.

    from cptref.spark import check_dataframe

    results = check_dataframe(spark.read.parquet("s3://bucket/claims/"), cms="/data/ncci")
    results.write.parquet("s3://bucket/results/")

The driver opens the library and the CMS tables as ``check`` does (compiling them when needed), and
ships the two compiled SQLite files to the executors with ``SparkContext.addFile``: the library's
index and the CMS tables, each under a name keyed on its content (:func:`ship`).
``DataFrame.mapInArrow`` then hands each Python worker its partition's Arrow record batches; the
worker opens the shipped files once (a module-level cache keyed on the files and options, kept as
long as Spark reuses the worker) and checks each batch with :class:`cptref.arrow.ArrowChecker`.
Nothing is shipped per row, and the claims never pass through JSON.

The claims are either shape of :mod:`cptref.check.arrow` (one row a claim with a ``lines`` list, or
one row a line with a ``code``): the rows of one claim are brought together by a repartition on
``id`` and kept in their order (``line``, ``position``, else the source's). A claim's ``line`` is the
DataFrame's ``line`` column when it has one, else null. The results' ``id`` keeps the claims' id type.
Results come in Spark's order. A claim that cannot be read is a row with its ``problem``.

Every executor needs the driver's cptref version (the shipped files are of its format: a worker
refuses another) with pyarrow and pandas < 3: ``pip install 'cptref[spark]'``, or a packed
environment (README: "Parquet and Apache Spark").
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from msgspec import Struct

from cptref.arrow import ArrowChecker, LibraryData, open_cms, open_library
from cptref.check.arrow import aligned, id_type, shape_of
from cptref.output.arrow import result_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Shipped", "check_dataframe", "ship", "spark_schema"]

_ORDER = "__cptref_order"


class Shipped(Struct, frozen=True):
    """What the executors open: the names of the shipped files (``SparkFiles.get``) and the cptref
    version that wrote them."""

    index: str
    cms: str | None
    version: str


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=10)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


_STAGE: list[Path] = []


def _staged(path: Path, kind: str) -> Path:
    """A link to (or copy of) ``path`` named by its content (``cptref-index-<digest>.sqlite``):
    ``addFile`` keeps one file a name for the whole application, so a rebuilt index must not reuse one."""
    if not _STAGE:
        import atexit

        _STAGE.append(Path(tempfile.mkdtemp(prefix="cptref-spark-")))
        atexit.register(shutil.rmtree, _STAGE[0], True)  # the driver's copies, once the application ends
    target = _STAGE[0] / f"cptref-{kind}-{_digest(path)}.sqlite"
    if not target.exists():
        temp = target.with_suffix(".tmp")
        try:
            os.link(path, temp)
        except OSError:
            shutil.copyfile(path, temp)
        os.replace(temp, target)
    return target


def ship(spark: SparkSession, data: LibraryData = None, cms: str | os.PathLike[str] | None = None) -> Shipped:
    """Open the library and the CMS tables here (compiled when they are not yet), and ship both
    compiled files to the executors (``SparkContext.addFile``). Raises as ``check`` does: DataErrors
    for a data file with a problem, NoTables when no CMS table loads."""
    import cptref
    from cptref.library.index.reader import IndexStore

    catalog = open_library(data)
    store = catalog.store
    index = store.path if isinstance(store, IndexStore) else None
    if index is None:
        raise RuntimeError(
            "the library's index could not be written to the cache (CPTREF_CACHE_DIR): Spark ships it as a file"
        )
    tables = open_cms(cms)
    try:
        cms_file = tables.path if tables is not None else None
        if tables is not None and cms_file is None:
            raise RuntimeError("the CMS tables could not be compiled to a file (CPTREF_CACHE_DIR): Spark ships it")
        files = [_staged(Path(index), "index")]
        if cms_file is not None:
            files.append(_staged(Path(cms_file), "cms"))
    finally:
        if tables is not None:
            tables.close()
    context = spark.sparkContext
    for path in files:
        context.addFile(str(path))
    return Shipped(files[0].name, files[1].name if len(files) > 1 else None, cptref.__version__)


_CHECKERS: dict[tuple[Any, ...], ArrowChecker] = {}
"""A Python worker's checkers, by what they were made of: opened once, reused for every batch and task."""
OPENED = [0]
"""How many times this process opened shipped files (a test reads it)."""


def worker_checker(
    shipped: Shipped, setting: str, date: datetime.date | None, explain: bool, fields: tuple[str, ...] | None
) -> ArrowChecker:
    """This worker's checker of the shipped files (opened on first use, then kept)."""
    key = (shipped, setting, date, explain, fields)
    found = _CHECKERS.get(key)
    if found is not None:
        return found
    import gc

    from pyspark import SparkFiles

    import cptref
    from cptref.cms import CmsTables
    from cptref.library.catalog import Catalog
    from cptref.library.index.reader import IndexStore

    if cptref.__version__ != shipped.version:
        raise RuntimeError(
            f"the executors run cptref {cptref.__version__}, the driver {shipped.version}: install the same version"
        )
    catalog = Catalog(IndexStore.open(Path(SparkFiles.get(shipped.index))))
    cms = CmsTables.open(Path(SparkFiles.get(shipped.cms))) if shipped.cms else None
    OPENED[0] += 1
    found = _CHECKERS[key] = ArrowChecker(
        cms=cms, setting=setting, explain=explain, date=date, fields=fields, catalog=catalog
    )
    gc.freeze()  # the tables read live as long as the worker: the collector need not walk them
    return found


def _check_partition(
    shipped: Shipped,
    setting: str,
    date: datetime.date | None,
    explain: bool,
    fields: tuple[str, ...] | None,
    target: pa.Schema,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    import gc

    checker = worker_checker(shipped, setting, date, explain, fields)
    for batch in aligned(batches):
        result = checker.check(batch, None)
        yield result if result.schema == target else result.cast(target)
        gc.freeze()  # what the batch cached lives as long as the worker


def spark_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` as Spark carries it: under a nullable field every field nullable (Spark writes nulls
    in the children of a null struct, which pyarrow then refuses to view as non-nullable)."""
    return pa.schema([_relaxed(f, False) for f in schema], metadata=schema.metadata)


def _relaxed(field: pa.Field, under_null: bool) -> pa.Field:
    nullable = field.nullable or under_null
    kind = field.type
    if pa.types.is_struct(kind):
        kind = pa.struct([_relaxed(f, nullable) for f in kind])
    elif pa.types.is_list(kind):
        kind = pa.list_(_relaxed(kind.value_field, nullable))
    elif pa.types.is_map(kind):
        kind = pa.map_(kind.key_field, _relaxed(kind.item_field, nullable))
    return pa.field(field.name, kind, nullable, field.metadata)


def check_dataframe(
    df: DataFrame,
    data: LibraryData = None,
    cms: str | os.PathLike[str] | None = None,
    setting: str = "practitioner",
    date: datetime.date | None = None,
    explain: bool = False,
    fields: Sequence[str] | None = None,
) -> DataFrame:
    """The results of a DataFrame of claims: one row a claim, of :func:`cptref.output.arrow.result_schema`
    (``id`` of the claims' id type), as ``cptref check --file --jsonl`` gives them (``explain``,
    ``fields`` as there); a claim that cannot be read is a row with its ``problem``. ``data``, ``cms``,
    ``setting``, ``date`` as ``--data``, ``--cms``, ``--setting``, ``--date``."""
    from pyspark.sql import functions
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    claims = to_arrow_schema(df.schema)
    if shape_of(claims) == "line":
        if "id" not in claims.names:
            raise ValueError("one row a line needs an id column to group the lines of a claim")
        order = df.withColumn(_ORDER, functions.monotonically_increasing_id())  # the source's order
        keys = ["id", *(name for name in ("line", "position") if name in claims.names), _ORDER]
        df = order.repartition("id").sortWithinPartitions(*keys).drop(_ORDER)
    shipped = ship(df.sparkSession, data, cms)
    target = spark_schema(result_schema(explain, fields, id_type(claims)))
    chosen = tuple(fields) if fields else None
    work = functools.partial(_check_partition, shipped, setting, date, explain, chosen, target)
    return df.mapInArrow(work, from_arrow_schema(target))
