"""How fast is ``cptref changes`` on full tables, and in how much memory?

Two full-size synthetic quarters (gen_quarters.py: 2026 Q3 from bench/gen_cms.py, about
1.27 million practitioner PTP rows, and 2026 Q4 a mutation of it with a real quarter's kinds of
change), compiled once (as every command compiles a user's tables: not part of the figures), kept in
``$TMPDIR/cptref-bench-changes/``. Every measurement runs in a fresh child process pinned to one CPU,
which reports its wall time, CPU time and peak resident memory (``ru_maxrss`` and Linux's VmHWM,
measured in the child; the parent imports nothing of cptref). The figures:

- floor: import, open both sets, no comparison (what any command pays);
- ptp: the practitioner PTP tables alone, quarter mode (one compiled file of both quarters), every
  change streamed as JSON Lines to /dev/null: the issue's figure;
- all: every kind (PTP, MUE, AOC, PPRRVU), quarter mode; the same as text, and as one JSON document;
- paths: every kind, path mode (two compiled files attached; rationales compared through their text);
- codes: narrowed to 200 codes; family-sized range (one prefix of 3 characters);
- claims: ``--claims`` with 20,000 synthetic claims (each checked under both quarters) over the shipped
  library, the changes narrowed to the claims' codes.

The changes found are checked against what the generator made (per kind of change). The baseline
measured in the same run: compiling one quarter's tables from the downloads (a fresh cache), the
cost every command pays once for a user's new quarter; each figure's ratio to it is printed.

    .venv/bin/python bench/bench_changes.py [--rows 1250000] [--seed 20261127] [--runs 3] [--worst]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {"cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["hwm_mib"] = int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return out


class _Counting(io.RawIOBase):
    """A binary sink that counts bytes, and the change kinds of JSON lines when asked."""

    def __init__(self, kinds: bool) -> None:
        super().__init__()
        self.bytes = 0
        self.kinds: Counter[str] = Counter()
        self.count_kinds = kinds
        self.rest = b""

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.bytes += len(data)
        if self.count_kinds:  # the chunks written need not end at a line's end
            *lines, self.rest = (self.rest + bytes(data)).split(b"\n")
            for line in lines:
                if line.startswith(b"{"):
                    item = json.loads(line)
                    self.kinds[f"{item['kind']}/{item.get('change', 'claim')}"] += 1
        return len(data)


# ---------------------------------------------------------------- children


def child_generate(folder: str, rows: int, seed: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import gen_quarters

    start = time.perf_counter()
    made = gen_quarters.generate(Path(folder), rows, seed)
    return {"seconds": time.perf_counter() - start, "made": made}


def child_compile(paths: list[str], fresh: bool = False) -> dict[str, Any]:
    from cptref.cms import open_tables

    if fresh:  # a cache of its own, removed after: the compile itself, the baseline of the run
        os.environ["CPTREF_CACHE_DIR"] = tempfile.mkdtemp(prefix="cptref-bench-compile-")
    start = time.perf_counter()
    with open_tables([Path(p) for p in paths]) as cms:
        rows = sum(t.rows_loaded for t in cms.summary().tables)
        size = cms.path.stat().st_size if cms.path else 0
    if fresh:
        shutil.rmtree(os.environ["CPTREF_CACHE_DIR"], ignore_errors=True)
    return {"wall_s": time.perf_counter() - start, **_usage(), "rows": rows, "size_mb": size / 1e6}


def child_floor(args: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    from cptref.replies.sides import sides

    opened: list[Any] = []
    values = dict(zip(args[::2], args[1::2], strict=False))
    sides(values.get("--from"), values.get("--to"), values.get("--cms"), opened)
    for cms in opened:
        cms.close()
    return {"wall_s": time.perf_counter() - start, **_usage()}


def child_run(args: list[str], count_kinds: bool) -> dict[str, Any]:
    """``cptref changes ARGS`` through the console script's entry point, stdout a counting sink."""
    start = time.perf_counter()
    from cptref.cli.main import main as cptref

    sink = _Counting(count_kinds)
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", write_through=True)
    err = io.StringIO()
    sys.stderr = err
    try:
        cptref(["changes", *args])
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    sys.stdout.flush()
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"exit {code}: {err.getvalue()}")
    return {"wall_s": wall, **_usage(), "bytes": sink.bytes, "kinds": dict(sink.kinds)}


CHILDREN: dict[str, Callable[..., dict[str, Any]]] = {
    "generate": child_generate,
    "compile": child_compile,
    "floor": child_floor,
    "run": child_run,
}


def run_child(name: str, *args: Any) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, json.dumps(args)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ.copy(),
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- the parent


def data_dir(rows: int, seed: int) -> Path:
    sources = [HERE / "gen_quarters.py", HERE / "gen_cms.py"]
    stamp = hashlib.blake2b(b"".join(p.read_bytes() for p in sources), digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / "cptref-bench-changes" / f"rows{rows}-s{seed}-{stamp}"


def expected(made: dict[str, Any]) -> dict[str, int]:
    """What the comparison must find, from what the generator made (see gen_quarters.mutate_*): each
    change made is one change found (a replaced row too: the old row and its successor are one)."""
    ptp, mue, aoc = made["ptp"], made["mue"], made["aoc"]
    return {
        "ptp/added": ptp["added"],
        "ptp/re-added": ptp["re-added"],
        "ptp/deleted": ptp["deleted"],
        "ptp/indicator-changed": ptp["flipped"] + ptp["replaced"],
        "ptp/removed": ptp["dropped"],
        "ptp/rationale-changed": ptp["rationale"],
        "mue/lowered": mue["lowered"],
        "mue/raised": mue["raised"],
        "mue/indicator-changed": mue["indicator"],
        "aoc/primary-deleted": aoc["primary-deleted"],
        "aoc/primary-removed": aoc["primary-dropped"],
        "aoc/primary-added": aoc["primary-added"],
        "rvu/status-changed": made["rvu"]["status"],
        "rvu/global-days-changed": made["rvu"]["global"],
        "rvu/bilateral-changed": made["rvu"]["bilateral"],
    }


def write_claims(path: Path, folder: Path, count: int, seed: int) -> None:
    """Synthetic claims of 2-5 codes drawn from the synthetic tables' codes, dated in 2026 Q3."""
    import zipfile

    rng = random.Random(seed)  # noqa: S311 - synthetic data
    pairs: list[tuple[str, str]] = []
    for zipped in sorted((folder / "q3" / "ptp").glob("*.zip"))[:1]:
        with zipfile.ZipFile(zipped) as z:
            text = z.read(z.namelist()[0]).decode("latin-1")
        for line in text.split("\r\n")[6:]:
            cells = line.split("\t")
            if len(cells) > 2 and rng.random() < 0.02:
                pairs.append((cells[0], cells[1]))
    codes = sorted({c for pair in pairs for c in pair})
    with path.open("w") as out:
        out.write("id,codes,date\n")
        for n in range(count):
            c1, c2 = rng.choice(pairs)
            extra = rng.sample(codes, rng.randrange(0, 4))
            out.write(f"{n},{' '.join([c1, c2, *extra])},2026-{rng.randrange(7, 10):02d}-{rng.randrange(1, 29):02d}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument(
        "--worst", action="store_true", help="also two unrelated quarters (two seeds): every row differs"
    )
    parser.add_argument("--child")
    parser.add_argument("payload", nargs="?")
    args = parser.parse_args()
    if args.child:
        _pin()
        print(json.dumps(CHILDREN[args.child](*json.loads(args.payload))))
        return

    folder = data_dir(args.rows, args.seed)
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        info = run_child("generate", str(folder), args.rows, args.seed)
        (folder / "done").write_text(json.dumps(info))
        print(f"generated in {info['seconds']:.1f} s")
    made = json.loads((folder / "done").read_text())["made"]
    os.environ["CPTREF_CACHE_DIR"] = str(folder / "cache")
    q3, q4 = str(folder / "q3"), str(folder / "q4")
    both = os.pathsep.join([q3, q4])
    for paths in ([q3, q4], [q3], [q4]):
        info = run_child("compile", paths)
        print(f"open/compile {paths}: {info['wall_s']:.1f} s, {info['rows']:,} rows, {info['size_mb']:.0f} MB")
    claims = folder / f"claims-{args.claims}.csv"
    if not claims.exists():
        write_claims(claims, folder, args.claims, args.seed)
    prefix = "001"
    rng = random.Random(args.seed)  # noqa: S311
    codes = sorted(rng.sample([f"{n:04d}{s}" for s in "XYZW" for n in range(10_000)], 200))
    quarter = ["--cms", both, "--from", "2026Q3", "--to", "2026Q4"]
    cases: list[tuple[str, str, list[str]]] = [
        ("floor (import, open both sets)", "floor", quarter),
        ("PTP only, quarter mode, --jsonl", "run", [*quarter, "--kind", "ptp", "--jsonl"]),
        ("every kind, quarter mode, --jsonl", "run", [*quarter, "--jsonl"]),
        ("every kind, quarter mode, text", "run", [*quarter, "--format", "table"]),
        ("every kind, quarter mode, --json", "run", [*quarter, "--json"]),
        ("every kind, two folders, --jsonl", "run", ["--from", q3, "--to", q4, "--jsonl"]),
        ("200 codes, --jsonl", "run", [*quarter, *codes, "--jsonl"]),
        (f"prefix {prefix}, --jsonl", "run", [*quarter, prefix, "--jsonl"]),
        (f"--claims ({args.claims:,} claims), --jsonl", "run", [*quarter, "--claims", str(claims), "--jsonl"]),
    ]
    verify = run_child("run", [*quarter, "--jsonl"], True)  # not timed: it parses every line
    want = expected(made)
    got = {key: verify["kinds"].get(key, 0) for key in want}
    # besides: rows a 2% raise of the work RVU rounds away, and new PTP rows never in force
    others = {k: n for k, n in verify["kinds"].items() if k not in want}
    print(f"changes found against those made: {'OK' if want == got else 'MISMATCH'}")
    print(f"  made  {want}\n  found {got}\n  other {others}")
    if args.worst:
        other = data_dir(args.rows, args.seed + 1)
        if not (other / "done").exists():
            shutil.rmtree(other, ignore_errors=True)
            info = run_child("generate", str(other), args.rows, args.seed + 1)
            (other / "done").write_text(json.dumps(info))
        run_child("compile", [str(other / "q4")])
        cases.append(
            (
                "unrelated quarters (two seeds), two folders, --jsonl",
                "run",
                ["--from", q3, "--to", str(other / "q4"), "--jsonl"],
            )
        )
    baseline = [run_child("compile", [q4], True) for _ in range(max(1, args.runs // 2))]
    base_cpu = statistics.median(r["cpu_s"] for r in baseline)
    base_wall = statistics.median(r["wall_s"] for r in baseline)
    rows = [
        f"| baseline: compile 2026 Q4 from the downloads (fresh cache) | {base_wall:.2f} s | {base_cpu:.2f} s | "
        f"{max(r.get('hwm_mib', r['peak_mib']) for r in baseline):.0f} MiB | - | 1 |"
    ]
    print(rows[-1], flush=True)
    for label, child, case in cases:
        results = [
            run_child("floor", case) if child == "floor" else run_child("run", case, False)
            for _ in range(1 if "unrelated" in label else args.runs)
        ]
        wall = statistics.median(r["wall_s"] for r in results)
        cpu = statistics.median(r["cpu_s"] for r in results)
        peak = max(r["peak_mib"] for r in results)
        hwm = max(r.get("hwm_mib", 0.0) for r in results)
        out = results[0].get("bytes", 0)
        ratio = cpu / base_cpu
        rows.append(
            f"| {label} | {wall:.2f} s | {cpu:.2f} s | {hwm or peak:.0f} MiB | {out / 1e3:,.0f} kB | {ratio:.2f} |"
        )
        print(rows[-1], flush=True)
    print()
    print(
        f"nproc {os.cpu_count()}, load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"SQLite {__import__('sqlite3').sqlite_version}, {made['ptp_rows_old']:,} -> {made['ptp_rows_new']:,} PTP rows"
    )
    print("| case | wall (median) | CPU (median) | peak memory (VmHWM, max) | output | CPU / compile |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
