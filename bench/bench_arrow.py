"""Parquet in and out against JSON Lines, and Apache Spark local[2] against ``check --file --jobs 2``,
on the same claims and the full-size synthetic CMS tables, with where the time goes.

Uses bench/gen_cms.py's tables and bench/bench_cms.py's skewed claims (as bench_batch_cms.py does),
written once as JSON Lines and as Parquet (one row a claim: id, date, lines as a list of strings).
Each figure is a fresh process (wall time and the CPU time of the whole process tree, workers
included, read by a small launcher), best of ``--runs``, the variants of a round run one after the
other so a change of the machine's load touches each; ratios are against the JSON Lines baseline of
the same run. On a shared machine the CPU time is the steadier figure. Needs ``cptref[spark]``
(``--no-spark``: ``cptref[arrow]``) in the Python given by ``--python``.

    .venv-spark/bin/python bench/bench_arrow.py [--claims 200000] [--runs 2] [--no-spark]
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

HERE = Path(__file__).resolve().parent
LAUNCH = (
    "import resource, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb')\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)\n"
    "took = time.perf_counter() - start\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.buffer.write(proc.stderr[-2000:])\n"
    "print(took, usage.ru_maxrss, proc.returncode, usage.ru_utime + usage.ru_stime)\n"
)
SPARK = """
import sys, time
start = time.perf_counter()
from pyspark.sql import SparkSession
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "2g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
session = time.perf_counter() - start
from cptref.spark import check_dataframe
claims = spark.read.parquet(sys.argv[1])
started = time.perf_counter()
if sys.argv[4] == "check":
    results = check_dataframe(claims, cms=sys.argv[3])
else:  # the floor: the same claims through Arrow to Python and back, unchecked
    results = claims.mapInArrow(lambda batches: batches, claims.schema)
planned = time.perf_counter() - started
started = time.perf_counter()
results.write.mode("overwrite").parquet(sys.argv[2])
job = time.perf_counter() - started
spark.stop()
print(session, planned, job)
"""


def launch(out: Path, command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Seconds, peak MiB (the largest process) and CPU seconds of the whole tree of ``command``."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(out), *command], capture_output=True, text=True, env=env, check=True
    )
    took, peak, code, cpu = proc.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(command[:8])} ... exited {code}:\n{proc.stderr}")
    return float(took), int(peak) / 1024, float(cpu)


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_cms
    from bench_batch_cms import dated_claims, write_jsonl

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--python", default=sys.executable, help="the Python of the cptref to measure")
    args = parser.parse_args()
    load_start = os.getloadavg()[0]
    python = args.python
    tables, _ = bench_cms.ensure_data(args.rows, args.seed)
    with tempfile.TemporaryDirectory(prefix="cptref-bench-arrow-") as tmp:
        folder = Path(tmp)
        env = {**os.environ, "CPTREF_CACHE_DIR": str(folder / "cache")}
        env.pop("CPTREF_DATA", None)
        rows = dated_claims(tables, folder, args.claims, args.seed)
        jsonl = write_jsonl(rows, folder / "claims.jsonl")
        parquet = folder / "claims.parquet"
        write = (
            "import sys, msgspec, pyarrow as pa, pyarrow.parquet as pq\n"
            "rows = [msgspec.json.decode(line) for line in open(sys.argv[1], 'rb')]\n"
            "table = pa.table({'id': [r['id'] for r in rows], 'date': [r['date'] for r in rows],\n"
            "                  'lines': [r['codes'] for r in rows]})\n"
            "pq.write_table(table, sys.argv[2])\n"
        )
        subprocess.run([python, "-c", write, str(jsonl), str(parquet)], check=True)
        n = len(rows)
        cms = f"{tables / 'ptp'}{os.pathsep}{tables / 'other'}"
        base = [python, "-m", "cptref", "check", "--cms", cms, "--jobs", "2"]
        sink = folder / "out"
        results = folder / "results.parquet"
        variants = {
            "jsonl_in_jsonl_out": [*base, "--file", str(jsonl), "--jsonl"],
            "parquet_in_jsonl_out": [*base, "--file", str(parquet), "--jsonl"],
            "parquet_in_parquet_out": [*base, "--file", str(parquet), "--format", "parquet", "-o", str(results)],
            "jsonl_in_parquet_out": [*base, "--file", str(jsonl), "--format", "parquet", "-o", str(results)],
        }
        launch(sink, variants["jsonl_in_jsonl_out"], env)  # untimed: compiles the tables, as a first command would
        timed: dict[str, list[tuple[float, float, float]]] = {name: [] for name in variants}
        for _ in range(args.runs):
            for name, command in variants.items():
                timed[name].append(launch(sink, command, env))
        sizes = {"claims_jsonl_mb": jsonl.stat().st_size / 1e6, "claims_parquet_mb": parquet.stat().st_size / 1e6}
        launch(sink, variants["jsonl_in_jsonl_out"], env)
        sizes["results_jsonl_mb"] = sink.stat().st_size / 1e6
        sizes["results_parquet_mb"] = results.stat().st_size / 1e6
        spark: dict[str, list[float]] = {}
        if not args.no_spark:
            spark_env = {**env, "PYSPARK_PYTHON": python}
            for kind in ("floor", "check"):
                start = time.perf_counter()
                proc = subprocess.run(
                    [python, "-c", SPARK, str(parquet), str(folder / f"spark-{kind}"), cms, kind],
                    capture_output=True,
                    text=True,
                    env=spark_env,
                    check=True,
                )
                whole = time.perf_counter() - start
                session, planned, job = map(float, proc.stdout.split()[-3:])
                spark[kind] = [round(session, 1), round(planned, 1), round(job, 1), round(whole, 1)]
    baseline = min(t for t, _, _ in timed["jsonl_in_jsonl_out"])
    baseline_cpu = min(c for _, _, c in timed["jsonl_in_jsonl_out"])
    report: dict[str, object] = {"claims": n, "jobs": 2}
    for name, runs in timed.items():
        best, cpu = min(t for t, _, _ in runs), min(c for _, _, c in runs)
        report[name] = {
            "best_s": round(best, 2),
            "runs_s": [round(t, 2) for t, _, _ in runs],
            "claims_per_s": round(n / best),
            "cpu_s": round(cpu, 2),
            "wall_vs_baseline": round(best / baseline, 2),
            "cpu_vs_baseline": round(cpu / baseline_cpu, 2),
            "peak_mib": round(max(m for _, m, _ in runs), 1),
        }
    if spark:
        report["spark_local2_s"] = {"columns": ["session start", "plan and ship", "job", "whole process"], **spark}
        report["spark_job_vs_baseline"] = round(spark["check"][2] / baseline, 2)
        report["spark_whole_vs_baseline"] = round(spark["check"][3] / baseline, 2)
    report["sizes_mb"] = {k: round(v, 1) for k, v in sizes.items()}
    report["nproc"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    report["load_average_start"], report["load_average_end"] = round(load_start, 2), round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
