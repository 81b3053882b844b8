"""A batch ``cptref check`` with the full-size synthetic CMS tables loaded: claims/s written to a file,
and the peak memory of the command, against an I/O floor measured in the same run.

Uses bench/gen_cms.py's tables (over 1.2 million PTP rows, MUE, AOC, PPRRVU; made-up codes), kept
where bench/bench_cms.py keeps them, and its skewed claims (a date of service each). The tables are
compiled once (untimed, as a user's first command would), then:

1. ``cptref check --file claims.jsonl --jsonl --cms TABLES > out.jsonl`` on every core (the default),
   and with ``--jobs 1``, best of ``--runs``;
2. the floor: a fresh Python process that decodes every claim line and encodes it back to a file.

Each round runs the floor, every core and one core in turn, so a change in the machine's load
touches all three (the load average is printed at the start and the end). ``--python`` measures
another installation of cptref (its Python executable) with the same claims, to compare two
versions in one sitting.

Peak memory is read from a small launcher process (``getrusage(RUSAGE_CHILDREN)`` after it waits for
the command): the command's own peak, or the largest of its workers', never this script's. Targets
(issue 12): at least 100,000 claims/s, at most 600 MB.

    .venv/bin/python bench/bench_batch_cms.py [--claims 300000] [--runs 3] [--python OTHER/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAUNCH = (
    "import resource, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb')\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode\n"
    "took = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(took, peak, code)\n"
)
FLOOR = (
    "import sys, msgspec\n"
    "dec, enc = msgspec.json.Decoder().decode, msgspec.json.Encoder().encode\n"
    "out = sys.stdout.buffer\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for line in f:\n"
    "        out.write(enc(dec(line)) + b'\\n')\n"
)


VERSIONS = (
    "import platform, sqlite3, msgspec, cptref\n"
    "print(f'cptref {cptref.__version__}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, '\n"
    "      f'msgspec {msgspec.__version__}')\n"
)


STATUSES = (0, 1, 4, 5)
"""The exit statuses of a batch that ran to its end: 1 a claim with an error, 4 malformed lines, 5 a
code not found (the synthetic tables' made-up codes have no record in the library)."""


def dated_claims(tables: Path, folder: Path, count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` claims made from the synthetic PTP table's own codes (``bench_cms``'s claims child,
    which compiles the table into ``folder`` first), each with its id and date of service."""
    sys.path.insert(0, str(HERE))
    import bench_cms
    import msgspec

    compiled = folder / "compiled.sqlite"
    bench_cms.run_child("compile", [str(tables / "ptp")], str(compiled))
    bench_cms.run_child("claims", str(compiled), str(folder / "claims.bin"), count, seed)
    claims = msgspec.msgpack.decode((folder / "claims.bin").read_bytes())
    return [
        {"id": f"C{i}", "codes": codes, "date": f"{d // 10_000}-{d // 100 % 100:02d}-{d % 100:02d}"}
        for i, (d, codes) in enumerate(claims, 1)
    ]


def write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    """``rows`` as a JSON Lines claims file."""
    import msgspec

    path.write_bytes(b"\n".join(msgspec.json.encode(r) for r in rows) + b"\n")
    return path


def launch(out: Path, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak MiB of ``command`` (stdout to ``out``), measured by a small launcher."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(out), *command], capture_output=True, text=True, env=env, check=True
    )
    took, peak, code = proc.stdout.split()
    if int(code) not in STATUSES:
        raise SystemExit(f"{' '.join(command[:6])} ... exited {code}")
    return float(took), int(peak) / 1024


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_cms

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--claims", type=int, default=300_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="the Python of the cptref to measure")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    python = args.python
    versions = subprocess.run(
        [python, "-c", VERSIONS], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONSAFEPATH": "1"}
    ).stdout.strip()
    tables, _ = bench_cms.ensure_data(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-batch-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "CPTREF_CACHE_DIR": str(folder / "cache")}
        env.pop("CPTREF_DATA", None)
        path = write_jsonl(dated_claims(tables, folder, args.claims, args.seed), folder / "claims.jsonl")
        lines = path.read_bytes().splitlines()
        n = len(lines)
        cms = f"{tables / 'ptp'}{os.pathsep}{tables / 'other'}"
        cli = [python, "-m", "cptref", "check", "--file", str(path), "--jsonl", "--cms", cms]
        out = folder / "out.jsonl"
        start = time.perf_counter()
        launch(out, cli, env)  # untimed: compiles the tables into the cache, as a first command would
        first = time.perf_counter() - start
        floors, every, one = [], [], []
        for _ in range(args.runs):  # each round all three, so a change of the machine's load touches each
            floors.append(launch(out, [python, "-c", FLOOR, str(path)], env)[0])
            every.append(launch(out, cli, env))
            size = out.stat().st_size
            one.append(launch(out, [*cli, "--jobs", "1"], env))
    floor = min(floors)
    best, peak = min(t for t, _ in every), max(m for _, m in every)
    best_one, peak_one = min(t for t, _ in one), max(m for _, m in one)
    result = {
        "claims": n,
        "first_run_with_compile_s": round(first, 2),
        "every_core_claims_per_s": round(n / best),
        "every_core_peak_mib": round(peak, 1),
        "one_core_claims_per_s": round(n / best_one),
        "one_core_peak_mib": round(peak_one, 1),
        "io_floor_claims_per_s": round(n / floor),
        "every_core_vs_floor": round(best / floor, 2),
        "bytes_per_claim": round(size / n),
        "every_core_runs_s": [round(t, 2) for t, _ in every],
        "one_core_runs_s": [round(t, 2) for t, _ in one],
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "load_average_start": round(load_start, 2),
        "load_average_end": round(os.getloadavg()[0], 2),
        "versions": versions,
    }
    print(json.dumps(result, indent=2))
    print(
        f"every core: {result['every_core_claims_per_s']:,} claims/s (target 100,000: "
        f"{'met' if result['every_core_claims_per_s'] >= 100_000 else 'MISSED'}), peak {peak:.0f} MiB "
        f"(target 600: {'met' if peak <= 600 else 'MISSED'}); one core {result['one_core_claims_per_s']:,}/s"
    )


if __name__ == "__main__":
    main()
