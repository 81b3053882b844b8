"""Claims from a Parquet file (``check --file claims.parquet``): a table of claims in either shape of
:mod:`cptref.check.arrow` (one row a claim with a list of lines, or one row a line grouped by claim id).

The file is read a record batch at a time (:data:`~cptref.check.batch.BATCH_CHUNK` rows; one row a
line: cut where claims end), only the columns a claim has; each batch is a chunk of the every-core
batch (:mod:`cptref.check.batch`), sent to a worker as its Arrow buffers. Bounded: a row group may
hold at most :data:`MAX_ROW_GROUP_BYTES` uncompressed (pyarrow decodes a row group's columns whole),
and the schema is checked before any row is read. What cannot be read is one located
:class:`ParquetProblem` (the file, the row group or the rows): a usage error, exit 2. A column that
is not a claim's is named once (:attr:`ParquetClaims.ignored`), never read.

pyarrow is an optional extra (``pip install 'cptref[arrow]'``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cptref.check.arrow import ArrowClaims, ClaimIn, LineIn, aligned, shape_of
from cptref.errors import UsageError

MAX_ROW_GROUP_BYTES = 1 << 30
"""Bytes a row group of a claims file may hold uncompressed (1 GiB: a million claims take some 100 MB)."""
COLUMNS = tuple(dict.fromkeys([*ClaimIn.__struct_fields__, "codes", *LineIn.__struct_fields__]))
"""The columns a claims table may have (the others are named once and not read)."""


class ParquetProblem(UsageError):
    """A Parquet file that cannot be read as claims, located (the file, the row group or rows)."""


class ParquetClaims:
    """A Parquet file of claims, opened and checked (its schema, its row groups' sizes) before a row is read."""

    def __init__(self, path: str, name: str | None = None, setting: str | None = None, batch_rows: int = 0) -> None:
        from cptref.check.batch import BATCH_CHUNK

        self.name = name or path
        self.batch_rows = batch_rows or BATCH_CHUNK
        # pyarrow opens the path more than once, in C++: a FIFO's second open waits for a writer forever, deaf
        # to SIGTERM
        try:
            found = os.stat(path)
        except OSError as exc:
            raise ParquetProblem(f"{self.name}: cannot read: {exc.strerror or exc}") from None
        if not stat.S_ISREG(found.st_mode):
            raise ParquetProblem(
                f"{self.name}: not a regular file (a FIFO, a device or a directory): a Parquet file is read from its "
                "end; copy it to a file first"
            )
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise ParquetProblem(f"{self.name}: not a Parquet file: {_said(exc)}") from None
        self.schema: pa.Schema = self.file.schema_arrow
        try:
            self.shape = shape_of(self.schema)
        except ValueError as exc:
            raise ParquetProblem(f"{self.name}: {exc}") from None
        meta = self.file.metadata
        for group in range(meta.num_row_groups):
            size = meta.row_group(group).total_byte_size
            if size > MAX_ROW_GROUP_BYTES:
                raise ParquetProblem(
                    f"{self.name}: row group {group + 1} holds {size} bytes uncompressed, more than "
                    f"{MAX_ROW_GROUP_BYTES}: write the file with smaller row groups"
                )
        self.columns = [n for n in self.schema.names if n in COLUMNS]
        self.ignored = [n for n in self.schema.names if n not in COLUMNS]
        """The columns that are not a claim's: not read (``check`` names them once)."""
        self.rows: int = meta.num_rows
        self.reader = ArrowClaims(setting)
        empty = pa.RecordBatch.from_pylist([], schema=self.schema.remove_metadata()).select(self.columns)
        try:  # a column of the wrong type is the file's problem, found before any worker reads a row
            self.reader.read(empty, 1)
        except (TypeError, ValueError) as exc:
            raise ParquetProblem(f"{self.name}: {exc}") from None
        self.read_rows = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The file's claims, a record batch at a time (one row a line: no claim cut in two)."""
        return aligned(self._read())

    def _read(self) -> Iterator[pa.RecordBatch]:
        meta = self.file.metadata
        start = 1
        for group in range(meta.num_row_groups):  # a row group at a time: a damaged one is named
            rows = meta.row_group(group).num_rows
            source = self.file.iter_batches(batch_size=self.batch_rows, row_groups=[group], columns=self.columns)
            while True:
                try:
                    batch = next(source)
                except StopIteration:
                    break
                except (pa.ArrowException, OSError, ValueError) as exc:
                    raise ParquetProblem(
                        f"{self.name}: row group {group + 1} (rows {start} to {start + rows - 1}): the file is damaged "
                        f"or not readable: {_said(exc)}"
                    ) from None
                self.read_rows += batch.num_rows
                yield batch
            start += rows


def take(batches: Iterator[Any]) -> Any:
    """The next chunk of a Parquet batch: one record batch (its rows are its lines), or [] at the end."""
    return next(batches, [])


def _said(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")
