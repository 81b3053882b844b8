"""The compiled CMS file before and after the PTP rows are kept once (issue 26, item 5): its size, the
compile time, ``show`` of one code (cold: a fresh process opening the compiled file) and the batch's
start (reading the PTP index whole), for two installations of cptref in one run, with ratios.

The inputs are bench/gen_cms.py's full-size synthetic tables (bench_cms.ensure_data: 1,265,024 PTP
rows in four parts, MUE, AOC and PPRRVU; made-up codes). Every figure is measured in a fresh child
process of the installation measured, before and after alternating round by round (the machine is
shared: each ratio is taken within a round, the median of the rounds reported). Bytes read are the
process's ``rchar`` (/proc/self/io: every byte read through a system call, page cache or not), so
they do not depend on what the page cache holds.

    .venv/bin/python bench/bench_cmsonce.py --old /tmp/cmsonce-old/bin/python        # appends to RESULTS.md
    .venv/bin/python bench/bench_cmsonce.py --old /tmp/cmsonce-old/bin/python --rows 100000 --no-record
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Compiled CMS file, PTP rows once (issue 26, item 5)"


def _read_chars() -> int:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# ---------------------------------------------------------------- children (run by either installation)


def child_compile(inputs: list[str], target: str) -> dict[str, Any]:
    from cptref.cms import compile_tables

    start = time.perf_counter()
    summary = compile_tables([Path(p) for p in inputs], Path(target))
    return {
        "wall_s": time.perf_counter() - start,
        "size_mb": Path(target).stat().st_size / 1e6,
        "ptp_rows": sum(t.rows_loaded for t in summary.tables if t.table.kind == "ptp"),
    }


def child_show(compiled: str, code: str) -> dict[str, Any]:
    """What ``show`` asks of the PTP table for one code, in a fresh process: its rows both ways (all
    dates and in force today), its counts, whether the table names it."""
    from datetime import date

    from cptref.cms import CmsTables

    before = _read_chars()
    start = time.perf_counter()
    with CmsTables.open(Path(compiled)) as cms:
        opened = time.perf_counter()
        partners = cms.ptp_partners(code)
        current = cms.ptp_partners(code, on=date(2026, 11, 27))
        counts = cms.ptp_counts(code)
        named = cms.in_ptp(code)
        done = time.perf_counter()
    assert partners is not None and current is not None
    return {
        "open_ms": (opened - start) * 1000,
        "show_ms": (done - opened) * 1000,
        "read_mb": (_read_chars() - before) / 1e6,
        "answer": [
            [e.column2 for e in partners.as_column1],
            [[e.column1, e.line] for e in partners.as_column2],
            len(current.as_column1),
            len(current.as_column2),
            list(counts),
            named,
        ],
    }


def child_batch_start(compiled: str) -> dict[str, Any]:
    """The batch's start: the PTP index of every PTP table read whole into memory."""
    from cptref.cms import CmsTables
    from cptref.cms.ptpindex import PtpIndex

    with CmsTables.open(Path(compiled)) as cms:
        numbers = [held.number for held in cms.held() if held.table.kind == "ptp"]
        db = sqlite3.connect(f"{Path(compiled).resolve().as_uri()}?mode=ro", uri=True)
        before = _read_chars()
        start = time.perf_counter()
        rows = 0
        for number in numbers:
            index = PtpIndex.load(db, number)
            assert index is not None
            rows += len(index.column2)
        wall = time.perf_counter() - start
        db.close()
    return {"load_ms": wall * 1000, "read_mb": (_read_chars() - before) / 1e6, "rows": rows}


def child_changes(cache: str, args: list[str]) -> dict[str, Any]:
    """``cptref changes`` of this installation (the compiled files already in ``cache``): its wall time,
    peak memory and a digest of its output."""
    import hashlib
    import resource

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cptref", "changes", *args],
        capture_output=True,
        env={**os.environ, "CPTREF_CACHE_DIR": cache},
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"changes {args} ended {done.returncode}: {done.stderr.decode()[-500:]}")
    text = done.stdout.replace(cache.encode(), b"<CACHE>")
    return {
        "wall_s": wall,
        "peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "digest": hashlib.blake2b(text, digest_size=12).hexdigest(),
        "bytes": len(text),
    }


CHILDREN = {
    "compile": child_compile,
    "show": child_show,
    "batch_start": child_batch_start,
    "changes": child_changes,
}


def run_child(python: str, name: str, *args: object) -> dict[str, Any]:
    proc = subprocess.run(
        [python, __file__, "--child", name, json.dumps(args)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {name} ({python}) failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------- parent


def _codes(compiled: Path) -> dict[str, str]:
    """Codes to show, read from the old file's ``ptp`` table: the code named by most rows as column 2
    (show's heaviest read: its rows are spread over the whole table), and a code of median rows."""
    db = sqlite3.connect(f"{compiled.resolve().as_uri()}?mode=ro", uri=True)
    counts = db.execute("SELECT c2, count(*) FROM ptp GROUP BY c2 ORDER BY 2 DESC, 1").fetchall()
    db.close()
    return {"most rows as column 2": counts[0][0], "median": counts[len(counts) // 2][0]}


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--old", help="the Python of the installation before (format 4)")
    parser.add_argument("--new", default=sys.executable, help="the Python of the installation after (default: this)")
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the show and batch-start children")
    parser.add_argument(
        "--changes",
        type=Path,
        help="a folder of two made-up quarters (q3, q4: bench_changes.py's data) to time `changes` on too",
    )
    parser.add_argument("--no-record", action="store_true", help=f"print only; do not append to {RESULTS.name}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](*json.loads(args.args))))
        return
    if not args.old:
        parser.error("--old is required: the Python of an installation of the version before")
    sys.path.insert(0, str(HERE))
    import bench_cms

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    folder, _ = bench_cms.ensure_data(args.rows, args.seed)
    inputs = [str(folder / "ptp"), str(folder / "other")]
    sides = {"before": args.old, "after": args.new}
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    with tempfile.TemporaryDirectory(prefix="cptref-bench-cmsonce-") as work:
        files = {side: Path(work) / f"{side}.sqlite" for side in sides}
        compiled = {side: run_child(python, "compile", inputs, str(files[side])) for side, python in sides.items()}
        codes = _codes(files["before"])
        shows: dict[str, dict[str, list[dict[str, Any]]]] = {name: {s: [] for s in sides} for name in codes}
        starts: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
        for _ in range(args.rounds):
            for side, python in sides.items():
                for name, code in codes.items():
                    shows[name][side].append(run_child(python, "show", str(files[side]), code))
                starts[side].append(run_child(python, "batch_start", str(files[side])))
        for name in codes:
            answers = {json.dumps(shows[name][s][0]["answer"]) for s in sides}
            if len(answers) != 1:
                raise SystemExit(f"show {codes[name]}: the two installations answer differently")
        changes: dict[str, dict[str, list[dict[str, Any]]]] = {}
        if args.changes:
            both = os.pathsep.join([str(args.changes / "q3"), str(args.changes / "q4")])
            quarter = ["--cms", both, "--from", "2026Q3", "--to", "2026Q4"]
            cases = {
                "every PTP change, --jsonl": [*quarter, "--kind", "ptp", "--jsonl"],
                "every change, --json": [*quarter, "--json"],
                "3 codes, --jsonl": [*quarter, "0001X", "0002Y", codes["most rows as column 2"], "--jsonl"],
            }
            for side, python in sides.items():  # compiled once for each installation, untimed
                run_child(python, "changes", str(Path(work) / f"cache-{side}"), cases["every PTP change, --jsonl"])
            for label, case in cases.items():
                changes[label] = {s: [] for s in sides}
                for _ in range(max(1, args.rounds // 2)):
                    for side, python in sides.items():
                        cache = str(Path(work) / f"cache-{side}")
                        changes[label][side].append(run_child(python, "changes", cache, case))
                if len({changes[label][s][0]["digest"] for s in sides}) != 1:
                    raise SystemExit(f"changes {label}: the two installations answer differently")

    b, a = compiled["before"], compiled["after"]
    say(
        f"### {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC: {b['ptp_rows']:,} PTP rows + MUE, AOC, PPRRVU; "
        f"{args.rounds} rounds; load average {load:.1f}"
    )
    say("")
    say("| | before (format 4) | after (format 5) | after / before |")
    say("|---|---:|---:|---:|")
    say(f"| compiled file, MB | {b['size_mb']:.1f} | {a['size_mb']:.1f} | {a['size_mb'] / b['size_mb']:.2f} |")
    say(f"| compile (all four tables), s | {b['wall_s']:.1f} | {a['wall_s']:.1f} | {a['wall_s'] / b['wall_s']:.2f} |")
    for name, code in codes.items():
        before, after = shows[name]["before"], shows[name]["after"]
        ratio = _median([y["show_ms"] / x["show_ms"] for x, y in zip(before, after, strict=True)])
        bm, am = _median([r["show_ms"] for r in before]), _median([r["show_ms"] for r in after])
        rb, ra = _median([r["read_mb"] for r in before]), _median([r["read_mb"] for r in after])
        rows = sum(shows[name]["after"][0]["answer"][4])
        say(f"| show {code} ({name}, {rows:,} rows), ms | {bm:.1f} | {am:.1f} | {ratio:.2f} |")
        say(f"| show {code}: bytes read (open + look-ups), MB | {rb:.2f} | {ra:.2f} | {ra / rb:.2f} |")
    bs, as_ = starts["before"], starts["after"]
    ratio = _median([y["load_ms"] / x["load_ms"] for x, y in zip(bs, as_, strict=True)])
    bm, am = _median([r["load_ms"] for r in bs]), _median([r["load_ms"] for r in as_])
    rb, ra = _median([r["read_mb"] for r in bs]), _median([r["read_mb"] for r in as_])
    say(f"| batch start: PTP index read whole ({bs[0]['rows']:,} rows), ms | {bm:.0f} | {am:.0f} | {ratio:.2f} |")
    say(f"| batch start: bytes read, MB | {rb:.1f} | {ra:.1f} | {ra / rb:.2f} |")
    for label, runs in changes.items():
        bc, ac = runs["before"], runs["after"]
        ratio = _median([y["wall_s"] / x["wall_s"] for x, y in zip(bc, ac, strict=True)])
        bw, aw = _median([r["wall_s"] for r in bc]), _median([r["wall_s"] for r in ac])
        bp, ap = max(r["peak_mib"] for r in bc), max(r["peak_mib"] for r in ac)
        say(
            f"| changes, two made-up quarters, {label} ({ac[0]['bytes'] / 1e6:.1f} MB, same output), s "
            f"| {bw:.2f} | {aw:.2f} | {ratio:.2f} |"
        )
        say(f"| changes, {label}: peak memory, MiB | {bp:.0f} | {ap:.0f} | {ap / bp:.2f} |")
    say("")
    if not args.no_record:
        text = RESULTS.read_text()
        block = "\n".join(lines) + "\n"
        if SECTION in text:
            head, _, rest = text.partition(SECTION + "\n")
            text = head + SECTION + "\n\n" + block + rest.lstrip("\n")
        else:
            text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + block
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
