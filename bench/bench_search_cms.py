"""How much does ``search --cms`` cost? One search in-process with the full-size synthetic CMS tables
loaded (their PPRRVU file searched by short descriptor), against the same search without them, in
the same run.

Uses bench/gen_cms.py's tables (kept where bench/bench_cms.py keeps them; 18,000 PPRRVU codes,
21,470 rows) and the shipped library. The tables are compiled once into a private cache (untimed,
as a user's first command would), then, in this one process, for each query: ``search(catalog, q)``
(no tables), ``search(catalog, q, cms=tables)`` with the tables open, and ``open_tables`` +
search + close (what a command adds to its search when it names the tables), each the median of
``--runs`` calls. The queries: bench/run.py's coder-like queries on the real records, and some on
the synthetic short descriptors ("Placeholder descriptor NNNNX": every code matches the first
two words, the worst case for ranking) with typos (a fuzzy pass over the file's vocabulary) and
code prefixes.

    .venv/bin/python bench/bench_search_cms.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLE_QUERIES = [
    "placeholder descriptor",
    "placeholdr descriptr",
    "descriptor 0042x",
    "1234",
    "9",
    "placeholder balloon dilation",
]
"""Queries aimed at the synthetic PPRRVU file (its descriptors are "Placeholder descriptor CODE")."""


def timed(call: Callable[[], object], runs: int) -> float:
    """The median milliseconds of ``runs`` calls (after one untimed call)."""
    call()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_cms
    import run as speed

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tables, _ = bench_cms.ensure_data(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-search-cms-") as tmp:
        os.environ["CPTREF_CACHE_DIR"] = tmp
        os.environ.pop("CPTREF_DATA", None)
        from cptref.cms import open_tables
        from cptref.errors import NoMatch
        from cptref.library.catalog import load_catalog
        from cptref.search import search

        paths = [tables / "ptp", tables / "other"]
        start = time.perf_counter()
        open_tables(paths).close()  # compiles the tables into the private cache, once
        compiled = time.perf_counter() - start
        catalog = load_catalog()
        rows: list[dict[str, object]] = []
        with open_tables(paths) as cms:
            index = cms.word_index()
            assert index is not None
            documents, words = len(index.doc_codes()), len(index.vocabulary())
            opened = timed(lambda: open_tables(paths).close(), args.runs)
            for query in [*speed.QUERIES, *TABLE_QUERIES]:

                def alone(query: str = query) -> int:
                    try:
                        return len(search(catalog, query))
                    except NoMatch:
                        return 0

                def with_tables(query: str = query) -> int:
                    try:
                        return len(search(catalog, query, cms=cms))
                    except NoMatch:
                        return 0

                def whole(query: str = query) -> int:
                    with open_tables(paths) as fresh:
                        try:
                            return len(search(catalog, query, cms=fresh))
                        except NoMatch:
                            return 0

                found = search(catalog, query, limit=10, cms=cms) if with_tables() else []
                rows.append(
                    {
                        "query": query,
                        "no_tables_ms": round(timed(alone, args.runs), 3),
                        "tables_open_ms": round(timed(with_tables, args.runs), 3),
                        "open_and_search_ms": round(timed(whole, args.runs), 3),
                        "from_the_file": sum(r.origin == "pprrvu" for r in found),
                    }
                )

    def column(name: str) -> list[float]:
        return [float(str(r[name])) for r in rows]

    slowest = max(rows, key=lambda r: float(str(r["tables_open_ms"])))
    summary = {
        "compile_s": round(compiled, 1),
        "pprrvu_documents": documents,
        "pprrvu_words": words,
        "open_tables_ms": round(opened, 2),
        "queries": len(rows),
        "median_no_tables_ms": round(statistics.median(column("no_tables_ms")), 3),
        "median_tables_open_ms": round(statistics.median(column("tables_open_ms")), 3),
        "median_open_and_search_ms": round(statistics.median(column("open_and_search_ms")), 3),
        "slowest_tables_open": slowest,
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    for row in rows:
        print(json.dumps(row))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
