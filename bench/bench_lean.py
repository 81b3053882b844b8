"""Bytes a claim and claims/s of ``cptref check --file --jsonl`` with the full-size synthetic CMS tables,
this installation against another (``--against OTHER/bin/python``, e.g. an installation of ``main``),
on the same claims in the same run (issue 26 item 2: lean output; issue 22: the batch's throughput
kept).

The tables and the skewed claims are bench/bench_cms.py's (as bench/bench_batch_cms.py uses them).
Each round runs, for each installation in turn, every core (the default) and ``--jobs 1``; the
ratios are of the best runs. The bytes a claim are those of the default lean lines, of ``--fields
rule,severity,codes`` and of ``--explain``; the outputs are also compared claim by claim on what
both versions say (id, ok, verified, each finding's rule, severity and codes), so a change of shape
is not taken for a change of answer.

    .venv/bin/python bench/bench_lean.py --against /path/to/main/.venv/bin/python [--claims 100000] [--runs 3]
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
    "import subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb')\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode\n"
    "print(time.perf_counter() - start, code)\n"
)
STATUSES = (0, 1, 4, 5)
"""The exit statuses of a batch that ran to its end (1: a claim with an error; 4, 5: this version's
malformed lines and codes not found, which the older one said with 1 or 0)."""


def launch(out: Path, command: list[str], env: dict[str, str]) -> float:
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(out), *command], capture_output=True, text=True, env=env, check=True
    )
    took, code = proc.stdout.split()
    if int(code) not in STATUSES:
        raise SystemExit(f"{' '.join(command[:6])} ... exited {code}")
    return float(took)


def answers(path: Path) -> list[tuple[Any, ...]]:
    """What each line says, whatever its shape: id, ok, verified, and each finding's rule, severity, codes."""
    said = []
    with path.open("rb") as lines:
        for raw in lines:
            line = json.loads(raw)
            found = tuple((f["rule"], f["severity"], tuple(f.get("codes", ()))) for f in line.get("findings", ()))
            said.append((line.get("id"), line["ok"], line["verified"], found))
    return said


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_cms
    from bench_batch_cms import dated_claims, write_jsonl

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--against", required=True, help="the Python of the other cptref installation")
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    pythons = {"this": sys.executable, "other": args.against}
    tables, _ = bench_cms.ensure_data(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-lean-") as tmp:
        folder = Path(tmp)
        # a cache of its own for each installation: sharing one, each would compile the tables again
        # over the other's at every run
        envs = {
            who: {**os.environ, "CPTREF_CACHE_DIR": str(folder / f"cache-{who}"), "PYTHONSAFEPATH": "1"}
            for who in pythons
        }
        for env in envs.values():
            env.pop("CPTREF_DATA", None)
        path = write_jsonl(dated_claims(tables, folder, args.claims, args.seed), folder / "claims.jsonl")
        lines = path.read_bytes().splitlines()
        n = len(lines)
        cms = f"{tables / 'ptp'}{os.pathsep}{tables / 'other'}"

        def cli(who: str, *more: str) -> list[str]:
            return [pythons[who], "-m", "cptref", "check", "--file", str(path), "--jsonl", "--cms", cms, *more]

        sizes: dict[str, dict[str, int]] = {who: {} for who in pythons}
        outs = {who: folder / f"{who}.jsonl" for who in pythons}
        for who in pythons:  # untimed: compiles the tables into each one's cache; the sizes of each output
            env = envs[who]
            launch(outs[who], cli(who), env)
            sizes[who]["lean"] = outs[who].stat().st_size
            scratch = folder / "scratch.jsonl"
            launch(scratch, cli(who, "--fields", "rule,severity,codes"), env)
            sizes[who]["fields rule,severity,codes"] = scratch.stat().st_size
            launch(scratch, cli(who, "--explain"), env)
            sizes[who]["explain"] = scratch.stat().st_size
        same = answers(outs["this"]) == answers(outs["other"])
        every: dict[str, list[float]] = {who: [] for who in pythons}
        one: dict[str, list[float]] = {who: [] for who in pythons}
        for _ in range(args.runs):
            for who in pythons:
                every[who].append(launch(outs[who], cli(who), envs[who]))
                one[who].append(launch(outs[who], cli(who, "--jobs", "1"), envs[who]))
    result = {
        "claims": n,
        "bytes_per_claim": {who: {k: round(v / n, 1) for k, v in sized.items()} for who, sized in sizes.items()},
        "same_answers": same,
        "every_core_claims_per_s": {who: round(n / min(t)) for who, t in every.items()},
        "one_core_claims_per_s": {who: round(n / min(t)) for who, t in one.items()},
        "every_core_ratio_this_over_other": round(min(every["other"]) / min(every["this"]), 3),
        "one_core_ratio_this_over_other": round(min(one["other"]) / min(one["this"]), 3),
        "every_core_runs_s": {who: [round(x, 2) for x in t] for who, t in every.items()},
        "one_core_runs_s": {who: [round(x, 2) for x in t] for who, t in one.items()},
        "load_average_start": round(load_start, 2),
        "load_average_end": round(os.getloadavg()[0], 2),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
