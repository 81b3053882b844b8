"""A comparison in SQL: both compiled files attached to one private connection (:class:`Workspace`),
each kind's key and compared columns (:data:`SPECS`), the rows of each side with no identical row on
the other found by a keyed anti-join (or, for two indexed PTP tables, by a merge of their sorted
arrays), and the changes found spooled to a temporary table and read back in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec

from cptref.cms.models import TableId
from cptref.cms.ptpindex import PTP_COLUMNS, read_arrays
from cptref.cms.ptprows import differing_rows

from .changes import Change
from .narrow import CodeFilter
from .quarters import Side


@dataclass(frozen=True)
class Spec:
    """How one kind of table is compared: its key (rows with the same key are the same edit; a key may
    repeat), the columns that group keys for the pairing pass (a PTP pair, an add-on, a code), the
    compared columns (``texts`` hold ids of the file's ``texts`` table, compared as text), the code
    columns narrowing reads, and whether added rows need the old rows of their group (a history)."""

    table: str
    key: tuple[str, ...]
    group: tuple[str, ...]
    values: tuple[str, ...]
    texts: tuple[str, ...]
    codes: tuple[str, ...]
    nullable: frozenset[str] = frozenset()
    context: bool = False
    hint: str = ""


_RVU_NULLABLE = (
    *("glob", "pctc", "mult", "bilat", "asst", "co", "team"),
    *("work", "nfpe", "fpe", "mp", "nft", "ft", "descriptor"),
)
"""The PPRRVU columns compared row by row besides the status, each of which may be empty."""

SPECS: dict[str, Spec] = {
    "ptp": Spec(
        "ptp",
        key=("c1", "c2", "eff"),
        group=("c1", "c2"),
        values=("del", "mi", "pre"),
        texts=("rat",),
        codes=("c1", "c2"),
        context=True,
        # the primary key, not the column-2 index SQLite picks for (t, c1, c2, eff) and must then look up
        # every row from: 2.4 s against 4.2 s a direction on the full table
        hint="INDEXED BY sqlite_autoindex_ptp_1",
    ),
    "mue": Spec("mue", key=("code",), group=("code",), values=("value", "mai"), texts=("rat",), codes=("code",)),
    "aoc": Spec(
        "aoc",
        key=("addon", "primary_code", "eff"),
        group=("addon",),
        values=("type", "del", "addon_del", "primary_del"),
        texts=("notes",),
        codes=("addon", "primary_code"),
        nullable=frozenset({"primary_code", "addon_del", "primary_del"}),
        context=True,
    ),
    "rvu": Spec(
        "rvu",
        key=("code", "modifier"),
        group=("code",),
        values=("status", *_RVU_NULLABLE),
        texts=(),
        codes=("code",),
        nullable=frozenset(_RVU_NULLABLE),
    ),
}
"""The conversion factor (``rvu.conv``) is compared once a table, not row by row: a new year's changes
every row's."""


def columns_of(spec: Spec) -> list[str]:
    return [*spec.key, *spec.values, *spec.texts]


def _same(spec: Spec, inner: str, outer: str, textmap: str | None) -> str:
    """The SQL condition that ``inner`` is the same row as ``outer`` (every compared column equal, texts
    through ``textmap`` when the two are in different files)."""
    terms = []
    for column in (*spec.key, *spec.values):
        op = "IS" if column in spec.nullable else "="
        terms.append(f"{inner}.{column} {op} {outer}.{column}")
    for column in spec.texts:
        if textmap is None:
            terms.append(f"{inner}.{column} = {outer}.{column}")
        else:
            mapped = f"(SELECT m.there FROM temp.{textmap} m WHERE m.here = {outer}.{column})"  # noqa: S608
            terms.append(f"{inner}.{column} = {mapped}")
    return " AND ".join(terms)


def only_in(
    spec: Spec, here: str, there: str, textmap: str | None, narrow: CodeFilter, hint: str
) -> tuple[str, dict[str, str]]:
    """The rows of table ``:here_t`` in schema ``here`` with no identical row in ``:there_t`` of ``there``
    (narrowed), with their file and line: a keyed anti-join, one primary-key seek a row."""
    columns = ", ".join(f"h.{c}" for c in columns_of(spec))
    where, params = narrow.clause("h", spec.codes)
    sql = (
        f"SELECT {columns}, h.f, h.line FROM {here}.{spec.table} h WHERE h.t = :here_t AND {where} "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM {there}.{spec.table} o {hint} WHERE o.t = :there_t "
        f"AND {_same(spec, 'o', 'h', textmap)})"
    )
    return sql, params


def _row(file: str, line: int) -> str:
    """Where a row is, as check's findings cite it: ``ccipra-v323r0-f1.txt, line 12``."""
    return f"{file.rsplit('/', 1)[-1]}, line {line}"


def table_key(table: TableId) -> str:
    """A table's id, as ``cptref tables`` and a checked claim name it: ``ptp/practitioner/32.3r0``."""
    return f"{table.kind}/{table.setting}/{table.version}"


class _Files:
    """The display names of the files and the texts of one compiled file (small: read whole)."""

    def __init__(self, db: sqlite3.Connection, schema: str) -> None:
        self.files = {
            n: bytes(d).decode("utf-8", "surrogateescape")
            for n, d in db.execute(f"SELECT id, display FROM {schema}.files")  # noqa: S608
        }
        self.texts: dict[int, str] = dict(db.execute(f"SELECT id, text FROM {schema}.texts"))  # noqa: S608

    def row(self, f: int, line: int) -> str:
        return _row(self.files.get(f, "?"), line)


class Workspace:
    """One comparison: both compiled files attached to a private connection, the temporary tables of the
    rows that differ and of the changes found."""

    def __init__(self, before: Side, after: Side, narrow: CodeFilter, not_payable: Collection[str]) -> None:
        self.before, self.after, self.narrow = before, after, narrow
        self.not_payable = not_payable
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.execute("PRAGMA temp_store = FILE")  # the differences and the changes spill to disk, not memory
        db.execute("PRAGMA cache_size = -4096")
        db.execute("ATTACH ? AS a", (f"{before.file.resolve().as_uri()}?mode=ro",))
        db.execute("ATTACH ? AS b", (f"{after.file.resolve().as_uri()}?mode=ro",))
        for schema in ("a", "b"):
            db.execute(f"PRAGMA {schema}.cache_size = -4096")
        self.db = db
        self.same_file = before.file.resolve() == after.file.resolve()
        self.files = {"a": _Files(db, "a"), "b": _Files(db, "b")}
        db.execute("CREATE TEMP TABLE want (code TEXT PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT OR IGNORE INTO temp.want VALUES (?)", ((c,) for c in narrow.codes))
        db.execute(
            "CREATE TEMP TABLE changes (rank INTEGER NOT NULL, code TEXT NOT NULL, seq INTEGER NOT NULL, "
            "doc BLOB NOT NULL)"
        )
        self.seq = 0
        self.scratch = False
        """Whether the private tables of PTP rows (schemas ``pa``, ``pb``) are attached."""
        if not self.same_file:
            self._textmaps()

    def _textmaps(self) -> None:
        """Text id here -> the same text's id there, each way (texts are a few dozen a file)."""
        a, b = self.files["a"].texts, self.files["b"].texts
        in_b = {text: n for n, text in b.items()}
        in_a = {text: n for n, text in a.items()}
        for name, pairs in (
            ("a2b", [(n, in_b[t]) for n, t in a.items() if t in in_b]),
            ("b2a", [(n, in_a[t]) for n, t in b.items() if t in in_a]),
        ):
            self.db.execute(f"CREATE TEMP TABLE {name} (here INTEGER PRIMARY KEY, there INTEGER NOT NULL)")
            self.db.executemany(f"INSERT INTO temp.{name} VALUES (?, ?)", pairs)  # noqa: S608

    def close(self) -> None:
        self.db.close()

    def _ptp_rows(self, ta: int, tb: int) -> tuple[str, str] | None:
        """The rows of PTP tables ``ta`` and ``tb`` that differ, for the SQL below. The compiled file
        keeps the rows of a table whose index could be built in the index alone: of two indexed tables,
        the rows that differ are found by a merge of the two sorted arrays
        (:func:`ptprows.differing_rows`) and written to the temporary tables ``gone``, ``came`` and
        ``ctx`` as the SQL would (None: done). When one has no index (its rows are in its ``ptp``
        table), the other's rows are copied to a private temporary ``ptp`` table (schema ``pa`` or
        ``pb``), and the schemas the SQL is to compare are returned."""
        db = self.db
        a, b = read_arrays(db, ta, "a"), read_arrays(db, tb, "b")
        if a is None and b is None:
            return "a", "b"
        columns = "c1, c2, eff, del, mi, pre, rat, f, line"
        if a is not None and b is not None:
            texts = None
            if not self.same_file:
                in_b = {text: n for n, text in self.files["b"].texts.items()}
                texts = {n: in_b[text] for n, text in self.files["a"].texts.items() if text in in_b}
            for name in ("gone", "came", "ctx"):
                db.execute(f"CREATE TEMP TABLE {name} ({columns})")
            narrow = None if self.narrow.everything else (self.narrow.holds, self.narrow.both)
            for side, rows in differing_rows(a, b, texts, narrow):
                name = ("gone", "came", "ctx")[side]
                db.executemany(f"INSERT INTO temp.{name} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)  # noqa: S608
            return None
        if not self.scratch:
            for schema in ("pa", "pb"):
                db.execute("ATTACH '' AS " + schema)  # a private temporary file, removed on close
                db.execute(f"CREATE TABLE {schema}.ptp ({PTP_COLUMNS}) WITHOUT ROWID")
            self.scratch = True
        for schema, t, arrays in (("pa", ta, a), ("pb", tb, b)):
            db.execute(f"DELETE FROM {schema}.ptp")  # noqa: S608 - names of ours
            if arrays is not None:
                db.executemany(
                    f"INSERT INTO {schema}.ptp VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    ((t, *row) for row in arrays.rows_of(0, arrays.count)),
                )
        return ("pa" if a is not None else "a"), ("pb" if b is not None else "b")

    def differing(self, spec: Spec, ta: int, tb: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows of table ``ta`` (side 0) and ``tb`` (side 1) with no identical row on the other side,
        and (side 2) every row of ``ta`` in a group that has a row only in ``tb`` (its history), ordered
        by group; each row is its compared columns, then file and line."""
        db = self.db
        columns = columns_of(spec)
        for name in ("gone", "came", "ctx"):
            db.execute(f"DROP TABLE IF EXISTS temp.{name}")
        wanted = ", ".join([*columns, "f", "line"])
        schemas = self._ptp_rows(ta, tb) if spec.table == "ptp" else ("a", "b")
        if schemas is None:  # the PTP rows that differ, found in the two tables' indexes
            yield from self._ordered(spec, wanted)
            return
        before, after = schemas
        for name, here, there, textmap, params in (
            ("gone", before, after, None if self.same_file else "a2b", {"here_t": ta, "there_t": tb}),
            ("came", after, before, None if self.same_file else "b2a", {"here_t": tb, "there_t": ta}),
        ):
            for hint in (spec.hint, ""):
                sql, narrowing = only_in(spec, here, there, textmap, self.narrow, hint)
                try:
                    db.execute(f"CREATE TEMP TABLE {name} AS {sql}", {**params, **narrowing})
                    break
                except sqlite3.OperationalError as error:
                    if not hint or "no such index" not in str(error):
                        raise  # the hint names SQLite's own index of the primary key; without it, slower
        if spec.context:
            group = ", ".join(spec.group)
            on = " AND ".join(f"o.{c} = k.{c}" for c in spec.group)
            db.execute(
                f"CREATE TEMP TABLE ctx AS SELECT {', '.join(f'o.{c}' for c in [*columns, 'f', 'line'])} "  # noqa: S608
                f"FROM (SELECT DISTINCT {group} FROM temp.came) k JOIN {before}.{spec.table} o {spec.hint} "
                f"ON o.t = :t AND {on}",
                {"t": ta},
            )
        yield from self._ordered(spec, wanted)

    def _ordered(self, spec: Spec, wanted: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows of ``gone``, ``came`` and ``ctx`` (when the kind has a history), ordered by key, then side."""
        arms = [f"SELECT 0 AS side, {wanted} FROM temp.gone", f"SELECT 1, {wanted} FROM temp.came"]  # noqa: S608
        if spec.context:
            arms.append(f"SELECT 2, {wanted} FROM temp.ctx")  # noqa: S608
        order = ", ".join(f"{i + 2}" for i in range(len(spec.key)))
        for row in self.db.execute(" UNION ALL ".join(arms) + f" ORDER BY {order}, 1"):
            yield row[0], row[1:]

    def differ(self) -> int:
        """How many rows of the last two tables compared have no identical row on the other side."""
        return sum(self.db.execute(f"SELECT count(*) FROM temp.{name}").fetchone()[0] for name in ("gone", "came"))  # noqa: S608

    def store(self, change: Change) -> None:
        self.seq += 1
        self.db.execute(
            "INSERT INTO temp.changes VALUES (?, ?, ?, ?)",
            (change.rank, change.code, self.seq, msgspec.msgpack.encode(change)),
        )

    def stored(self) -> Iterator[Change]:
        """The changes found, grouped by code, codes by their most consequential change, then by rank."""
        decoder = msgspec.msgpack.Decoder(Change)
        for (doc,) in self.db.execute(
            "SELECT doc FROM (SELECT doc, code, rank, seq, min(rank) OVER (PARTITION BY code) AS best "
            "FROM temp.changes) ORDER BY best, code, rank, seq"
        ):
            yield decoder.decode(doc)

    def conversion(self, ta: int, tb: int) -> str | None:
        """A note when the fee schedule's conversion factor changed."""
        old = sorted(x for (x,) in self.db.execute("SELECT DISTINCT conv FROM a.rvu WHERE t = ?", (ta,)) if x)
        new = sorted(x for (x,) in self.db.execute("SELECT DISTINCT conv FROM b.rvu WHERE t = ?", (tb,)) if x)
        if old == new:
            return None
        return f"conversion factor {', '.join(map(str, old)) or 'none'} -> {', '.join(map(str, new)) or 'none'}"
