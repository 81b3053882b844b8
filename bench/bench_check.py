"""How fast is `cptref check`? In-process claims/second, and the CLI end to end on a JSON Lines file.

Generates synthetic claims of 2-6 codes drawn from the real library's codes (plus a few codes that
have no record, and some units), then measures, each beside a baseline measured in the same run:

1. in-process: ``check(tables, codes)`` over every claim on one core, against a loop that only
   decodes the same claims from JSON Lines with msgspec;
2. the CLI end to end: ``cptref check --file claims.jsonl --jsonl > out.jsonl`` (a file), against a fresh
   Python process that only decodes every line and encodes it back (the I/O floor), and against
   ``python -c pass`` (the interpreter's start-up).

Plain Python timing (time.perf_counter); run it on an otherwise idle machine:

    .venv/bin/python bench/bench_check.py            # 1,000,000 claims
    .venv/bin/python bench/bench_check.py --claims 200000 --data tests/fixtures/good
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

from cptref.check import CheckTables, check
from cptref.library.catalog import load_catalog

TARGET_IN_PROCESS = 200_000
TARGET_CLI = 100_000
UNKNOWN = ["99990", "99991", "0999T", "12345", "47599", "50799"]
"""Codes with no record in the library (the checker must report them, not pass them)."""


MODIFIERS = ["-59", "-RT", "-LT", "-26", "-XS", "-50"]


def claims(codes: list[str], count: int, seed: int) -> list[list[str]]:
    """``count`` claims of 2-6 lines: real codes, about 3% unknown, about 5% with x2 units, about 8%
    with a modifier (59, RT, LT, 26, XS, 50)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    out: list[list[str]] = []
    for _ in range(count):
        claim = []
        for _ in range(rng.randint(2, 6)):
            roll = rng.random()
            if roll < 0.03:
                claim.append(rng.choice(UNKNOWN))
            elif roll < 0.08:
                claim.append(rng.choice(codes) + "x2")
            elif roll < 0.16:
                claim.append(rng.choice(codes) + rng.choice(MODIFIERS))
            else:
                claim.append(rng.choice(codes))
        out.append(claim)
    return out


def best_of(runs: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--data", default=None, help="data directory (default: the shipped data)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each measurement; the best counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cptref-bench-check-cache-") as cache:
        # a cache of our own, for this process and the CLI runs: the user's cache is never touched
        os.environ["CPTREF_CACHE_DIR"] = cache
        os.environ["XDG_CACHE_HOME"] = cache
        measure(args)


def measure(args: argparse.Namespace) -> None:
    start = time.perf_counter()
    catalog = load_catalog(args.data)
    loaded = time.perf_counter() - start
    tables = CheckTables.from_catalog(catalog)
    start = time.perf_counter()
    for code in catalog.codes():
        tables.applicable(code)  # built on first use; built here up front so the timed loops only look up
    built = time.perf_counter() - start
    generated = claims(catalog.codes(), args.claims, args.seed)
    lines = [msgspec.json.encode({"id": f"C{i}", "codes": c}) for i, c in enumerate(generated, 1)]
    n = len(generated)
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"{n:,} claims of 2-6 codes from {len(catalog)} records; Python {platform.python_version()}, "
        f"nproc {nproc}, {platform.machine()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"catalog loaded in {loaded:.2f} s; every code's check table built in {built:.3f} s")

    # --- in-process ---
    decode = msgspec.json.Decoder().decode

    def parse_only() -> None:
        for line in lines:
            decode(line)

    def check_all() -> None:
        for codes in generated:
            check(tables, codes)

    gc.disable()
    try:
        base = best_of(args.runs, parse_only)
        took = best_of(args.runs, check_all)
    finally:
        gc.enable()
    rate = n / took
    verdict = "met" if rate >= TARGET_IN_PROCESS else "MISSED"
    print(
        f"in-process check:  {rate:12,.0f} claims/s  ({took:.2f} s; {took / base:.1f}x the msgspec parse-only loop "
        f"at {n / base:,.0f} claims/s)  target {TARGET_IN_PROCESS:,}: {verdict}"
    )
    findings = sum(len(check(tables, c).findings) for c in generated[:100_000])
    print(f"  ({findings / min(n, 100_000):.2f} findings a claim on average)")

    # --- CLI end to end ---
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "claims.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        env = {k: v for k, v in os.environ.items() if k != "CPTREF_DATA"}
        data = ["--data", args.data] if args.data else []
        cli = [sys.executable, "-m", "cptref", "check", "--file", str(path), "--jsonl", *data]
        from bench_batch_cms import FLOOR as floor  # the same I/O floor: decode and encode each line

        out_path = Path(tmp) / "out.jsonl"

        def run(cmd: list[str], ok: tuple[int, ...] = (0,)) -> None:
            with out_path.open("wb") as out:  # written to a file, as a batch's findings are
                proc = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, env=env, check=False)
            if proc.returncode not in ok:
                raise SystemExit(f"{' '.join(cmd[:6])} ... failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")

        run(cli, ok=(0, 1))  # warm-up (untimed): the file cache, and the compiled index if any
        start_up = best_of(args.runs, lambda: run([sys.executable, "-c", "pass"]))
        io_floor = best_of(args.runs, lambda: run([sys.executable, "-c", floor, str(path)]))
        took = best_of(args.runs, lambda: run(cli, ok=(0, 1)))
        per_claim = out_path.stat().st_size / n
        one_core = best_of(args.runs, lambda: run([*cli, "--jobs", "1"], ok=(0, 1)))
    rate = n / took
    print(
        f"CLI end to end:    {rate:12,.0f} claims/s  ({took:.2f} s; {took / io_floor:.1f}x a msgspec "
        f"decode+encode-only process at {n / io_floor:,.0f} claims/s; python -c pass {start_up * 1000:.0f} ms)  "
        f"target {TARGET_CLI:,}: {'met' if rate >= TARGET_CLI else 'MISSED'}"
    )
    print(f"  (--jsonl output, written to a file: {per_claim:.0f} bytes a claim on average)")
    print(
        f"CLI on one core:   {n / one_core:12,.0f} claims/s  (--jobs 1; every core ({nproc}) is "
        f"{one_core / took:.2f}x as fast)"
    )


if __name__ == "__main__":
    main()
