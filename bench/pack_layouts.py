"""Pack and index layouts sized to their payload (issue 26, item 3): today's layouts against the ones
before them, measured in the same run.

Before (pack format 1, index format 6): records in 4 KB pages, bodies as plain msgpack (the pack a
WITHOUT ROWID table, so a 2 KB record took an overflow page of its own). Now (pack format 2, index
format 7): rowid tables in 16 KB pages, bodies compressed with zlib (``library/index/parse.py``).

The "before" files are made from the new ones with the same rows (bodies decompressed, the old
schema and page size), so the two hold the same records. Figures: each file's size and the ratio;
the cost of reading a record by its code (fetch, decompress, decode; a pack's record also checked
as untrusted) and of a scan of every row in code order (what a build from a pack does), each the
median of the rounds, the layouts alternating within a round; times are the CPU time of this process
(``time.process_time``), which a busy neighbour disturbs less than the wall clock.

    .venv/bin/python bench/gen_library.py /tmp/lib100k --records 100000
    .venv/bin/python bench/pack_layouts.py /tmp/lib100k /tmp/layouts [--rounds 5] [--sample 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import msgspec

from cptref.library.index.parse import decode_record
from cptref.library.pack.file import _LAYOUT_1, PACK_FILE_ID, Pack
from cptref.library.pack.write import write_pack
from cptref.model.records import Procedure


def old_pack(new: Path, target: Path) -> None:
    """The pack of format 1 with the rows of ``new``: 4 KB pages, WITHOUT ROWID, plain bodies."""
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute("PRAGMA page_size = 4096")
    db.execute(f"PRAGMA application_id = {PACK_FILE_ID}")
    db.execute("PRAGMA journal_mode = OFF")
    db.executescript(_LAYOUT_1)
    source = sqlite3.connect(f"{new.resolve().as_uri()}?mode=ro", uri=True)
    rows = source.execute("SELECT code, body, words FROM records ORDER BY code")
    db.executemany("INSERT INTO records VALUES (?, ?, ?)", ((c, zlib.decompress(b), w) for c, b, w in rows))
    db.executemany("INSERT INTO meta VALUES (?, ?)", source.execute("SELECT key, value FROM meta"))
    db.commit()
    db.close()
    source.close()


def old_index(new: Path, target: Path) -> None:
    """The index of format 6 with the rows of ``new``: 4 KB pages, plain bodies."""
    shutil.copyfile(new, target)
    db = sqlite3.connect(target)
    db.create_function("inflate", 1, zlib.decompress, deterministic=True)
    db.execute("UPDATE records SET body = inflate(body)")
    db.commit()
    db.execute("PRAGMA page_size = 4096")
    db.execute("VACUUM")
    db.close()


def pages(path: Path) -> tuple[int, int]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    size, count = db.execute("PRAGMA page_size").fetchone()[0], db.execute("PRAGMA page_count").fetchone()[0]
    db.close()
    return size, count


def by_code(path: Path, compressed: bool) -> Callable[[str], Procedure]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def read(code: str) -> Procedure:
        body = db.execute("SELECT body FROM records WHERE code = ?", (code,)).fetchone()[0]
        return decode_record(zlib.decompress(body) if compressed else body)

    return read


def scan_old(path: Path) -> int:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    count = sum(
        1 for _, body, _ in db.execute("SELECT code, body, words FROM records ORDER BY code") if decode_record(body)
    )
    db.close()
    return count


def scan_new(path: Path) -> int:
    with Pack(path) as pack:
        return sum(1 for _ in pack.checked_rows())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="a data directory (bench/gen_library.py makes one)")
    parser.add_argument("out", type=Path, help="a folder for the files (replaced)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=20_000, help="records read by code a round")
    parser.add_argument("--reuse", action="store_true", help="keep OUT's pack and index of an earlier run")
    args = parser.parse_args()
    out: Path = args.out
    new_pack = out / "new.cptref"
    os.environ["CPTREF_CACHE_DIR"] = str(out / "cache")
    from cptref.library.catalog import load_catalog

    if not args.reuse:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
    started = time.process_time()
    if not args.reuse:
        write_pack(args.data, new_pack)
    pack_seconds = time.process_time() - started
    started = time.process_time()
    catalog = load_catalog(new_pack)
    build_seconds = time.process_time() - started
    del catalog
    [new_index] = [p for p in (out / "cache").iterdir() if p.name.startswith("index-")]
    old = out / "old.cptref"
    old_pack(new_pack, old)
    old_idx = out / "old-index.sqlite"
    old_index(new_index, old_idx)
    payload = sqlite3.connect(old).execute("SELECT sum(length(body) + length(words)) FROM records").fetchone()[0]

    with Pack(new_pack) as pack:
        codes = pack.codes()
    rng = random.Random(26)  # noqa: S311 - a sample
    sample = rng.sample(codes, min(args.sample, len(codes)))
    with Pack(new_pack) as pack:
        readers: dict[str, Callable[[str], object]] = {
            "pack before": by_code(old, compressed=False),
            "pack now (checked)": pack.record,
            "index before": by_code(old_idx, compressed=False),
            "index now": by_code(new_index, compressed=True),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        scans: dict[str, list[float]] = {"pack before": [], "pack now (checked)": []}
        for turn in range(args.rounds):
            order = list(readers) if turn % 2 == 0 else list(reversed(readers))
            for name in order:
                read = readers[name]
                started = time.process_time()
                for code in sample:
                    read(code)
                times[name].append((time.process_time() - started) / len(sample))
            for name, scan in (("pack before", scan_old), ("pack now (checked)", scan_new))[:: 1 if turn % 2 else -1]:
                path = old if name == "pack before" else new_pack
                started = time.process_time()
                scan(path)
                scans[name].append((time.process_time() - started) / len(codes))
    per = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    per_scan = {name: statistics.median(values) * 1e6 for name, values in scans.items()}
    sizes = {
        "pack": (old.stat().st_size, new_pack.stat().st_size, pages(old), pages(new_pack)),
        "index": (old_idx.stat().st_size, new_index.stat().st_size, pages(old_idx), pages(new_index)),
    }
    lines = [
        f"### {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {len(codes):,} records, "
        f"{args.rounds} rounds of {len(sample):,} reads (CPU time of this process)",
        "",
        f"- Machine: nproc {os.cpu_count()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"msgspec {msgspec.__version__}, load average {os.getloadavg()[0]:.2f} at the end",
        f"- Payload (bodies as msgpack + words): {payload / 1e6:.1f} MB; CPU seconds in this process: "
        f"`cptref pack` {pack_seconds:.1f} s (its workers not counted), the index build from the pack "
        f"{build_seconds:.1f} s" + (" (both of an earlier run: --reuse)" if args.reuse else ""),
        "",
        "| file | before | now | now / before |",
        "|---|---|---|---|",
    ]
    for name, (before, now, (page_b, count_b), (page_n, count_n)) in sizes.items():
        lines.append(
            f"| {name} | {before / 1e6:.1f} MB ({count_b:,} pages of {page_b // 1024} KB) | "
            f"{now / 1e6:.1f} MB ({count_n:,} pages of {page_n // 1024} KB) | {now / before:.2f}x |"
        )
    lines += ["", "| read | before | now | now / before |", "|---|---|---|---|"]
    for what, before_name, now_name, table in (
        ("a pack's record by code", "pack before", "pack now (checked)", per),
        ("an index's record by code", "index before", "index now", per),
        ("a pack's rows in code order, each decoded", "pack before", "pack now (checked)", per_scan),
    ):
        before, now = table[before_name], table[now_name]
        lines.append(f"| {what} | {before:.1f} µs | {now:.1f} µs | {now / before:.2f}x (+{now - before:.1f} µs) |")
    print("\n".join(lines))
    print(json.dumps({"sizes": sizes, "read_us": per, "scan_us": per_scan}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
