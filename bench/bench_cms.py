"""How fast are the CMS tables? Compile time of a full-size practitioner PTP table, look-up
throughput for a batch of claims, and the peak memory of each, against baselines measured in the
same run.

Uses bench/gen_cms.py's synthetic tables (over 1.2 million PTP rows in four parts, zipped as CMS
ships them; made-up codes), kept in ``$TMPDIR/cptref-bench-cms/`` and reused while the generator
and its options are unchanged. Every measurement runs in a fresh child process pinned to one CPU,
which reports its own wall time, CPU time and peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, measured inside the child itself, not through
``wait4`` of a child forked from a big parent). The figures:

1. compile: the PTP zips alone -> a compiled file (``compile_tables``), ``--runs`` times, median;
   then everything (PTP + MUE + AOC + PPRRVU) once. Target: at most 90 s for the PTP on one core.
2. open: ``open_tables`` on unchanged files (stat the inputs, compare the key, open): what every
   command pays once the tables are compiled.
3. look-ups: ``--claims`` synthetic claims of 2-6 codes drawn with a skew (a Zipf law over the
   codes, about half the claims built around a real edit pair, a date of service in 2026):
   ``ptp_edits`` per claim with empty caches (cold) and again (warm), and a check-like pass
   (``ptp_edits`` + ``mue`` + ``aoc_edits`` of every code). Baseline: the same claims against a
   plain dict of every (column 1, column 2) pair held in memory, loaded from the compiled file
   (its load time and memory reported too). Memory floor: a child that loads the claims and
   opens the tables but looks nothing up.

    .venv/bin/python bench/bench_cms.py                 # figures appended to bench/CMS-RESULTS.md
    .venv/bin/python bench/bench_cms.py --quick --no-record
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "CMS-RESULTS.md"
TARGET_COMPILE = 90.0


# ---------------------------------------------------------------- children


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _usage() -> dict[str, float]:
    """CPU time and peak resident memory of this process, from getrusage(RUSAGE_SELF); on Linux
    also VmHWM (the peak of this process's own address space). The two agree only because the
    parent stays small: Linux carries the parent's peak into a child's ru_maxrss across exec."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["hwm_mib"] = int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return out


def child_compile(inputs: list[str], target: str) -> dict[str, Any]:
    from cptref.cms import compile_tables

    start = time.perf_counter()
    summary = compile_tables([Path(p) for p in inputs], Path(target))
    wall = time.perf_counter() - start
    return {
        "wall_s": wall,
        **_usage(),
        "rows": sum(t.rows_loaded for t in summary.tables),
        "tables": summary.lines(),
        "problems": len(summary.problems),
        "size_mb": Path(target).stat().st_size / 1e6,
    }


def child_open(inputs: list[str], cache: str) -> dict[str, Any]:
    start = time.perf_counter()
    from cptref.cms import open_tables

    imported = time.perf_counter()
    with open_tables([Path(p) for p in inputs], Path(cache)) as cms:
        opened = time.perf_counter()
        cms.ptp_edits(["0001X", "0002X"], date(2026, 11, 27))
        answered = time.perf_counter()
    return {
        "compiled": str(cms.path),
        "import_ms": (imported - start) * 1000,
        "open_ms": (opened - imported) * 1000,
        "first_ms": (answered - opened) * 1000,
        **_usage(),
    }


def child_claims(compiled: str, out: str, count: int, seed: int) -> dict[str, Any]:
    import msgspec

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    rows = _ptp_rows(compiled)
    column1 = sorted({r[0] for r in rows})
    codes = sorted({*column1, *(r[1] for r in rows)})
    by_column1: dict[str, list[str]] = {}
    for r in rows:
        by_column1.setdefault(r[0], []).append(r[1])
    del rows
    rng.shuffle(codes)
    rng.shuffle(column1)
    weights = list(itertools.accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(codes))))
    weights1 = list(itertools.accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(column1))))
    partners: dict[str, list[str]] = {}

    def pick(table: list[str], cumulative: list[float]) -> str:
        return table[bisect.bisect(cumulative, rng.random() * cumulative[-1])]

    claims = []
    start = date(2026, 10, 1).toordinal()  # dates of service in the tables' quarter (2026 Q4): each is checked
    for _ in range(count):
        size = rng.choices([2, 3, 4, 5, 6], weights=[35, 30, 18, 10, 7])[0]
        claim: list[str] = []
        if rng.random() < 0.5:
            a = pick(column1, weights1)
            if a not in partners:
                partners[a] = by_column1[a]
            claim = [a, rng.choice(partners[a])]
        while len(claim) < size:
            claim.append(pick(codes, weights))
        rng.shuffle(claim)
        day = date.fromordinal(start + rng.randrange(92))
        claims.append((day.year * 10_000 + day.month * 100 + day.day, claim))
    Path(out).write_bytes(msgspec.msgpack.encode(claims))
    distinct = len({c for _, claim in claims for c in claim})
    return {"claims": count, "distinct_codes": distinct, "codes_in_table": len(codes)}


def _load_claims(path: str) -> list[tuple[date, list[str]]]:
    import msgspec

    raw = msgspec.msgpack.decode(Path(path).read_bytes())
    return [(date(d // 10_000, d // 100 % 100, d % 100), claim) for d, claim in raw]


def child_idle(compiled: str, claims_path: str) -> dict[str, Any]:
    from cptref.cms import CmsTables

    claims = _load_claims(claims_path)
    with CmsTables.open(Path(compiled)) as cms:
        cms.tables()
        return {"claims": len(claims), **_usage()}


def _pairs(compiled: str) -> dict[tuple[str, str], list[tuple[int, int, int]]]:
    """The baseline's table: every (column 1, column 2) pair of the PTP table in a plain dict."""
    pairs: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for c1, c2, eff, end, mi, *_ in _ptp_rows(compiled):
        pairs.setdefault((c1, c2), []).append((eff, end, mi))
    return pairs


def _ptp_rows(compiled: str) -> list[tuple[Any, ...]]:
    """Every row of PTP table 1 of the compiled file: from its index, the only copy since format 5,
    else from the ``ptp`` table (a table whose index could not be built)."""
    from cptref.cms.ptpindex import read_arrays

    db = sqlite3.connect(f"{Path(compiled).resolve().as_uri()}?mode=ro", uri=True)
    try:
        arrays = read_arrays(db, 1)
        if arrays is not None:
            return list(arrays.rows_of(0, arrays.count))
        return db.execute("SELECT c1, c2, eff, del, mi, pre, rat, f, line FROM ptp WHERE t = 1").fetchall()
    finally:
        db.close()


def _dict_loop(pairs: dict[tuple[str, str], list[tuple[int, int, int]]], claims: list[tuple[int, list[str]]]) -> int:
    """The baseline loop: every ordered pair of a claim's codes looked up in the dict."""
    edits = 0
    for day, codes in claims:
        unique = list(dict.fromkeys(codes))
        found = []
        for a in unique:
            for b in unique:
                if a != b:
                    rows = pairs.get((a, b))
                    if rows:
                        for eff, end, mi in rows:
                            if eff <= day < end:
                                found.append((a, b, mi))
        edits += len(found)
    return edits


def child_lookup(compiled: str, claims_path: str, rounds: int) -> dict[str, Any]:
    """Our look-ups (cold, warm, check-like), the peak memory they need; then, in the same
    process, rounds of the warm look-ups alternating with the baseline dict loop (their ratio is
    taken round by round, so a noisy neighbour slows both alike)."""
    from cptref.cms import CmsTables

    claims = _load_claims(claims_path)
    out: dict[str, Any] = {"claims": len(claims)}
    with CmsTables.open(Path(compiled)) as cms:

        def ptp_pass() -> int:
            return sum(len(cms.ptp_edits(codes, day)) for day, codes in claims)

        def check_pass() -> int:
            findings = 0
            for day, codes in claims:
                findings += len(cms.ptp_edits(codes, day))
                for code in codes:
                    if cms.mue(code) is not None:
                        findings += 1
                    findings += len(cms.aoc_edits(code, day))
            return findings

        for name, fn in (("ptp_cold", ptp_pass), ("ptp_warm", ptp_pass), ("check_cold", check_pass)):
            start = time.perf_counter()
            out["edits" if name == "ptp_cold" else f"{name}_n"] = fn()
            out[f"{name}_s"] = time.perf_counter() - start
        start = time.perf_counter()
        check_pass()
        out["check_warm_s"] = time.perf_counter() - start
        index = next((i for i in cms._indexes.values() if i is not None), None)
        out["index_rows"] = len(index.column2) if index is not None else 0
        out["cached_codes"] = len(cms._mue) + len(cms._aoc)
        out.update(_usage())
        numeric = [(d.year * 10_000 + d.month * 100 + d.day, c) for d, c in claims]
        start = time.perf_counter()
        pairs = _pairs(compiled)
        out["dict_load_s"] = time.perf_counter() - start
        ratios, ours, theirs = [], [], []
        for _ in range(rounds):
            start = time.perf_counter()
            ptp_pass()
            api = time.perf_counter() - start
            start = time.perf_counter()
            out["dict_edits"] = _dict_loop(pairs, numeric)
            base = time.perf_counter() - start
            ours.append(api)
            theirs.append(base)
            ratios.append(api / base)
        out["round_api_s"], out["round_dict_s"], out["round_ratio"] = ours, theirs, ratios
    return out


def child_baseline(compiled: str) -> dict[str, Any]:
    """The baseline's own cost: loading every pair into a dict (time and peak memory)."""
    start = time.perf_counter()
    pairs = _pairs(compiled)
    return {"load_s": time.perf_counter() - start, "pairs": len(pairs), **_usage()}


def child_generate(out: str, rows: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from gen_cms import generate

    start = time.perf_counter()
    info = generate(Path(out), rows, seed)
    info["seconds"] = time.perf_counter() - start
    return info


CHILDREN = {
    "generate": child_generate,
    "compile": child_compile,
    "open": child_open,
    "claims": child_claims,
    "idle": child_idle,
    "lookup": child_lookup,
    "baseline": child_baseline,
}


def run_child(name: str, *args: object) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- parent


def data_dir(rows: int, seed: int) -> Path:
    source = (HERE / "gen_cms.py").read_bytes()
    stamp = hashlib.blake2b(source, digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / "cptref-bench-cms" / f"rows{rows}-s{seed}-{stamp}"


def ensure_data(rows: int, seed: int) -> tuple[Path, float | None]:
    folder = data_dir(rows, seed)
    if (folder / "done").exists():
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    info = run_child("generate", str(folder), rows, seed)
    (folder / "done").write_text(json.dumps(info))
    return folder, float(info["seconds"])


def median(values: list[float]) -> float:
    return statistics.median(values)


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"nproc {os.cpu_count()} ({cpu or platform.processor()}, {platform.machine()}, "
        f"{platform.system()} {platform.release()}); "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_250_000, help="synthetic PTP rows (default 1,250,000)")
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=3, help="runs of the compile and look-up children; medians")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 20,000 claims, 1 run: a smoke run")
    parser.add_argument("--no-record", action="store_true", help=f"print only; do not append to {RESULTS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _pin()
        print(json.dumps(CHILDREN[args.child](*json.loads(args.args))))
        return
    if args.quick:
        args.rows, args.claims, args.runs = 100_000, 20_000, 1
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    started = time.perf_counter()
    folder, generated = ensure_data(args.rows, args.seed)
    print(f"data: {folder}" + (f" (generated in {generated:.1f} s)" if generated else " (reused)"), flush=True)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-cms-") as work:
        work_dir = Path(work)
        ptp_inputs = [str(folder / "ptp")]
        all_inputs = [str(folder / "ptp"), str(folder / "other")]
        compiles = []
        for run in range(args.runs):
            result = run_child("compile", ptp_inputs, str(work_dir / f"ptp-{run}.sqlite"))
            compiles.append(result)
            print(f"compile PTP run {run + 1}: {result['wall_s']:.1f} s, peak {result['peak_mib']:.0f} MiB", flush=True)
        full = run_child("compile", all_inputs, str(work_dir / "all.sqlite"))
        print(f"compile all: {full['wall_s']:.1f} s", flush=True)
        # the parent imports nothing of cptref and holds no data: a child's ru_maxrss would carry its peak
        cache = work_dir / "cache"
        compiled = run_child("open", all_inputs, str(cache))["compiled"]  # compiles, untimed
        opens = [run_child("open", all_inputs, str(cache)) for _ in range(max(3, args.runs))]
        claims_path = str(work_dir / "claims.msgpack")
        claims = run_child("claims", compiled, claims_path, args.claims, args.seed)
        idle = run_child("idle", compiled, claims_path)
        lookups = []
        for run in range(args.runs):
            lookups.append(run_child("lookup", compiled, claims_path, 3))
            print(f"look-ups run {run + 1}: {args.claims / lookups[-1]['ptp_warm_s']:,.0f} claims/s warm", flush=True)
        baseline = run_child("baseline", compiled)
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    report = render(
        args, folder, generated, compiles, full, opens, claims, idle, lookups, baseline, load_before, load_after
    )
    report += f"\nWhole run: {time.perf_counter() - started:.0f} s.\n"
    print(report)
    if not args.no_record:
        if not RESULTS.exists():
            RESULTS.write_text(HEADER)
        with RESULTS.open("a") as handle:
            handle.write("\n" + report)


HEADER = """# CMS tables: benchmark results

Figures of `bench/bench_cms.py` (see its docstring): synthetic tables from `bench/gen_cms.py`
(made-up codes), every measurement in a fresh child process pinned to one CPU, peak memory as the
child's own `getrusage(RUSAGE_SELF).ru_maxrss`. No test asserts a time; these are the record.
"""


def render(
    args: argparse.Namespace,
    folder: Path,
    generated: float | None,
    compiles: list[dict[str, Any]],
    full: dict[str, Any],
    opens: list[dict[str, Any]],
    claims: dict[str, Any],
    idle: dict[str, Any],
    lookups: list[dict[str, Any]],
    baseline: dict[str, Any],
    load_before: float,
    load_after: float,
) -> str:
    count = args.claims
    compile_s = median([c["wall_s"] for c in compiles])
    runs = ", ".join(f"{c['wall_s']:.1f}" for c in compiles)
    cold = median([count / r["ptp_cold_s"] for r in lookups])
    warm = median([count / r["ptp_warm_s"] for r in lookups])
    check_cold = median([count / r["check_cold_s"] for r in lookups])
    check_warm = median([count / r["check_warm_s"] for r in lookups])
    ratio = median([x for r in lookups for x in r["round_ratio"]])
    floor = median([count / x for r in lookups for x in r["round_dict_s"]])
    api_rounds = median([count / x for r in lookups for x in r["round_api_s"]])
    peak = median([r["peak_mib"] for r in lookups])
    info = json.loads((folder / "done").read_text())
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## {now}: {info['ptp_rows']:,} PTP rows, {count:,} claims, {args.runs} run(s)",
        "",
        f"- Machine: {machine()}; load average {load_before:.2f} at the start, {load_after:.2f} at the end "
        "(a shared, noisy machine: other sessions run beside this one).",
        f"- Data: `bench/gen_cms.py --rows {args.rows} --seed {args.seed}` (four PTP parts, one zip each, as CMS "
        f"ships them){f', generated in {generated:.1f} s' if generated else ', reused'}; the compiled PTP file is "
        f"{compiles[0]['size_mb']:.0f} MB, the whole set {full['size_mb']:.0f} MB.",
        f"- Claims: {claims['claims']:,} of 2-6 codes (Zipf-skewed over {claims['codes_in_table']:,} codes, half "
        f"built around a real pair), {claims['distinct_codes']:,} distinct codes; "
        f"{lookups[0]['edits'] / count:.2f} PTP edits in force per claim.",
        "",
        "| figure | measured | target / baseline | ratio |",
        "|---|---|---|---|",
        f"| compile the PTP table (4 zipped parts, {info['ptp_rows']:,} rows), one core, median | "
        f"{compile_s:.1f} s wall, {median([c['cpu_s'] for c in compiles]):.1f} s CPU "
        f"(runs: {runs}) | <= {TARGET_COMPILE:.0f} s | "
        f"{'**PASS**' if compile_s <= TARGET_COMPILE else '**FAIL**'} ({compile_s / TARGET_COMPILE:.2f}x the target) |",
        f"| peak memory of the compiling process | {median([c['peak_mib'] for c in compiles]):.0f} MiB | | |",
        f"| compile everything (PTP + MUE + AOC + PPRRVU) | {full['wall_s']:.1f} s, {full['rows']:,} rows, "
        f"peak {full['peak_mib']:.0f} MiB | | |",
        f"| `open_tables` on unchanged files (stat, key, open), median | "
        f"{median([o['open_ms'] for o in opens]):.1f} ms (import of cptref.cms "
        f"{median([o['import_ms'] for o in opens]):.0f} ms; "
        f"first look-up {median([o['first_ms'] for o in opens]):.1f} ms)"
        " | | |",
        f"| `ptp_edits` per claim, empty caches (first pass), median | {cold:,.0f} claims/s | | |",
        f"| `ptp_edits` per claim, warm (second pass), median | {warm:,.0f} claims/s | | |",
        f"| `ptp_edits` warm vs the plain dict of all pairs, alternating rounds in one process, median | "
        f"{api_rounds:,.0f} claims/s | dict loop: {floor:,.0f} claims/s | ours takes {ratio:.2f}x the dict's time |",
        f"| check-like: `ptp_edits` + `mue` + `aoc_edits` of every code, MUE/AOC caches empty, median | "
        f"{check_cold:,.0f} claims/s | | |",
        f"| check-like, warm, median | {check_warm:,.0f} claims/s | | |",
        f"| peak memory of the look-up process | {peak:.0f} MiB (the PTP index of "
        f"{lookups[0]['index_rows']:,} rows, {lookups[0]['cached_codes']:,} MUE/AOC answers cached) | "
        f"floor (claims loaded, tables open, nothing looked up): {idle['peak_mib']:.0f} MiB | "
        f"+{peak - idle['peak_mib']:.0f} MiB |",
        f"| baseline: load every pair into a dict (its own process) | {baseline['load_s']:.1f} s, "
        f"{baseline['pairs']:,} pairs, peak {baseline['peak_mib']:.0f} MiB | | |",
        "",
    ]
    measured = [*compiles, full, idle, *lookups, baseline]
    if all("hwm_mib" in m for m in measured):
        worst = max(abs(m["peak_mib"] - m["hwm_mib"]) for m in measured)
        lines.append(
            f"Peak memory is each child's own `ru_maxrss`; Linux's VmHWM of the same children differs by at most "
            f"{worst:.1f} MiB (the parent, which imports nothing of cptref, peaked at "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB: a child's ru_maxrss can "
            "never read below that, as Linux carries it across exec)."
        )
    if lookups[0]["edits"] != lookups[0]["dict_edits"]:
        lines.append(
            f"**Mismatch**: the API found {lookups[0]['edits']:,} edits, the dict {lookups[0]['dict_edits']:,}."
        )
    else:
        lines.append(
            f"The API and the dict found the same {lookups[0]['edits']:,} edits. The ratio is our time over the dict "
            "loop's, taken per round (below 1: ours is faster); ours builds a typed `PtpEdit` (table, file, line) for "
            "each hit, the dict loop a bare tuple."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
