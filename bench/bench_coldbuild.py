"""A cold build of the index from a packed library, in bounded memory and on every core (issue 26,
item 4): the peak memory of the building process and of its largest worker, CPU and wall time, at
100,000 and 500,000 records, and the ratio of the peaks (flat: 500k within a few percent of 100k).

The packs, made once and reused (``--work``):

- 100k: ``bench/gen_library.py``'s 100,000 synthetic records (+ the real ones), then ``cptref
  pack`` (its own peak memory is reported: packing is the directory build, which holds a plan
  entry a file);
- 500k: gen_library draws at most about 102,000 codes, so the 100k pack's synthetic records are
  copied four more times, each copy's codes mapped to codes of its own (``A0000``-``K9999``, then
  ``L0000``-``W9999``, ``0000A``- and ``0000L``-style, never F, T or U, none a real code) in every
  string of every record (the codes it names too), its words computed again; the real records once.

Each measurement is a fresh process (the launcher, as ``bench_duckdb.py``'s) running ``cptref
search balloon dilation --data PACK --json`` in-process with an empty ``CPTREF_CACHE_DIR``, which
builds the index (the search after it reads a few rows): ``getrusage`` of the process itself
(RUSAGE_SELF: the build's parent, then the search) and of its children (RUSAGE_CHILDREN: the
largest worker's peak, the workers' CPU). ``--before SRC``: the same, with another checkout's
``src`` first on ``PYTHONPATH`` (the build before this change), in the same run.

    .venv/bin/python bench/bench_coldbuild.py [--work /tmp/cptref-coldbuild] [--before /tmp/base/src]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

LAUNCH = (
    "import json, resource, sys, time\n"
    "start = time.perf_counter()\n"
    "from cptref.cli.main import main\n"
    "try:\n"
    "    code = main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "took = time.perf_counter() - start\n"
    "me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'wall_s': took, 'cpu_self_s': me.ru_utime + me.ru_stime, "
    "'cpu_workers_s': kids.ru_utime + kids.ru_stime, 'peak_self_kib': me.ru_maxrss, "
    "'peak_worker_kib': kids.ru_maxrss, 'status': code}), file=sys.stderr)\n"
)
TOKEN = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{5}(?![0-9A-Za-z])")
LETTERS = ("ABCDEGHIJK", "LMNOPQRSVW")


def make_100k(work: Path) -> tuple[Path, dict[str, Any]]:
    """The 100,000-record pack (gen_library, then ``cptref pack`` in a process of its own)."""
    pack = work / "pack100k.cptref"
    if pack.exists():
        return pack, {}
    import gen_library

    library = work / "lib100k"
    if not (library / "procedures").is_dir():
        gen_library.generate(library, 100_000)
    env = {**os.environ, "CPTREF_CACHE_DIR": str(work / "pack-cache")}
    measured = launched(["pack", str(library), "-o", str(pack), "--json"], env)
    shutil.rmtree(library)  # a few hundred MB of YAML, not needed again
    return pack, measured


def mapping(codes: list[str], copy: int, real: set[str]) -> dict[str, str]:
    """New codes for ``codes`` in copy 1-4 (none of them a real code)."""
    table: dict[str, str] = {}
    made = 0
    for code in codes:
        while True:
            letters = LETTERS[(copy - 1) % 2]
            i = made
            made += 1
            new = f"{letters[i // 10_000]}{i % 10_000:04d}" if copy <= 2 else f"{i % 10_000:04d}{letters[i // 10_000]}"
            if new not in real:
                break
        table[code] = new
    return table


def remap(value: Any, table: dict[str, str]) -> Any:
    if isinstance(value, str):
        return TOKEN.sub(lambda m: table.get(m.group(), m.group()), value)
    if isinstance(value, list):
        return [remap(v, table) for v in value]
    if isinstance(value, dict):
        return {k: remap(v, table) for k, v in value.items()}
    return value


def make_500k(work: Path, small: Path) -> Path:
    """The 500,000-record pack: the 100k pack's synthetic records four more times (module docstring)."""
    from cptref.library import paths
    from cptref.library.index.parse import compress_body, encode_record, encode_words, stored_record
    from cptref.library.pack.file import Pack, fill_pack
    from cptref.model.records import Procedure

    pack = work / "pack500k.cptref"
    if pack.exists():
        return pack
    real = {p.stem for p in paths.procedures_dir(paths.shipped_data_dir()).glob("*.yaml")}
    for path in paths.shipped_data_dir().rglob("*.yaml"):
        real.update(re.findall(r'"(\d{4}[0-9A-Z]|[A-Z]\d{4})"', path.read_text(encoding="utf-8")))
    decode = msgspec.msgpack.Decoder(Procedure).decode
    with Pack(small) as source:
        codes = [c for c in source.codes() if c not in real]
        sources, families = source.sources, source.families
        tables = [mapping(codes, copy, real) for copy in range(1, 5)]

        def rows() -> Any:
            for code, body, words in source.rows():  # the original records, then each copy
                yield code, body, words
            for table in tables:
                for code, body, _ in source.rows():
                    if code in real:
                        continue
                    builtins = msgspec.to_builtins(stored_record(body))
                    record = decode(msgspec.msgpack.encode(remap(builtins, table)))
                    yield table[code], compress_body(encode_record(record)), encode_words(record)

        ordered = sorted_rows(rows(), work)
        handle, temporary = tempfile.mkstemp(prefix=".pack500k.", dir=work)
        os.close(handle)
        db = sqlite3.connect(temporary)
        try:
            fill_pack(db, ordered, sources, families, None)
        finally:
            db.close()
    os.replace(temporary, pack)
    return pack


def sorted_rows(rows: Any, work: Path) -> Any:
    """The rows in code order (a pack's order), sorted by SQLite in a scratch file, not in memory."""
    scratch = work / "scratch.sqlite"
    scratch.unlink(missing_ok=True)
    db = sqlite3.connect(scratch)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("CREATE TABLE r (code TEXT PRIMARY KEY, body BLOB, words TEXT) WITHOUT ROWID")
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 5000:
            db.executemany("INSERT INTO r VALUES (?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO r VALUES (?, ?, ?)", batch)
    db.commit()
    try:
        yield from db.execute("SELECT code, body, words FROM r ORDER BY code")
    finally:
        db.close()
        scratch.unlink(missing_ok=True)


def launched(arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``cptref ARGUMENTS`` run in a fresh process: its resource use (LAUNCH)."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, *arguments], capture_output=True, text=True, env=env, check=False
    )
    lines = [line for line in proc.stderr.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"cptref {' '.join(arguments)}: {proc.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(lines[-1])
    if found["status"] not in (0, 1, None):
        raise SystemExit(f"cptref {' '.join(arguments)} exited {found['status']}: {proc.stderr[-2000:]}")
    return found


def cold_build(pack: Path, work: Path, src: Path | None) -> dict[str, Any]:
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    env = {**os.environ, "CPTREF_CACHE_DIR": str(cache)}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    found = launched(["search", "balloon", "dilation", "--data", str(pack), "--json"], env)
    index = sum(p.stat().st_size for p in cache.glob("index-*.sqlite"))
    shutil.rmtree(cache, ignore_errors=True)
    return {**found, "index_bytes": index}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "cptref-coldbuild")
    parser.add_argument("--before", type=Path, help="another checkout's src: its build measured too")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    small, packing = make_100k(args.work)
    large = make_500k(args.work, small)
    report: dict[str, Any] = {
        "machine": f"nproc {os.cpu_count()}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "load_average_start": round(os.getloadavg()[0], 2),
        "packing_100k": packing,
        "runs": {},
    }
    variants = [("now", None)] + ([("before", args.before)] if args.before else [])
    for size, pack in (("100k", small), ("500k", large)):
        with sqlite3.connect(f"{pack.resolve().as_uri()}?mode=ro", uri=True) as db:
            records = db.execute("SELECT count(*) FROM records").fetchone()[0]
        for name, src in variants:
            start = time.strftime("%H:%M:%S", time.gmtime())
            found = cold_build(pack, args.work, src)
            found.update(records=records, started=start, load=round(os.getloadavg()[0], 2))
            report["runs"][f"{name} {size}"] = found
            print(f"{name} {size}: {json.dumps(found)}", file=sys.stderr, flush=True)
    for name, _ in variants:
        small_run, large_run = report["runs"][f"{name} 100k"], report["runs"][f"{name} 500k"]
        report[f"{name} peak 500k/100k"] = round(large_run["peak_self_kib"] / small_run["peak_self_kib"], 3)
    report["load_average_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
