"""How fast, and in how much memory, an 837 file is read: cptref's reader (``cptref.check.inputs.x12``) against pyx12.

Each reader runs in a process of its own, on the same made-up file (``bench/gen837.py``), and
reports the claims and service lines it read, its wall time and CPU time, and its peak resident
memory (``ru_maxrss``) beside its memory once its modules were imported (so the reading's own
memory is the difference). CPU time is the figure to compare on a shared machine: wall time
grows with whatever else runs beside it.

    python bench/bench_x12.py --claims 100000              # every reader, 837P and 837I (pyx12: cptref[x12])
    python bench/bench_x12.py --claims 100000 --only own   # cptref's reader alone

The readers:

- ``own``: :func:`cptref.check.inputs.x12.reader.read_x12`, every claim with its lines, dates and problems.
- ``check``: cptref's ``check`` alone, on the claims ``own`` read (read first, not timed): what
  reading is to be compared with.
- ``own+check``: the same, each claim then checked by ``cptref.check.check`` on the shipped
  library (what ``cptref check --file claims.837`` would do in one process).
- ``pyx12-segments``: pyx12's ``X12Reader`` alone: the segments, split, with its envelope counts
  (no implementation guide).
- ``pyx12-claims``: pyx12's ``X12ContextReader``, each 2300 loop (a claim) with its 2400 loops'
  SV1/SV2 composite, units and DTP*472: the same facts ``own`` reads. It walks the guide's map
  and validates each segment as it goes (it cannot be turned off).
- ``pyx12-validate``: ``x12n_document``: pyx12's full validation, writing a 999 acknowledgement.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

READERS = ["own", "check", "own+check", "pyx12-segments", "pyx12-claims", "pyx12-validate"]


def _rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def read_x12_claims(path: str) -> list[Any]:
    from cptref.check.inputs.x12.data import X12Claim
    from cptref.check.inputs.x12.reader import read_x12

    return [item for item in read_x12(path) if isinstance(item, X12Claim)]


def _child(reader: str, path: str) -> dict[str, Any]:
    """Run one reader over one file, in this process; its figures."""
    claims = lines = 0
    if reader == "check":
        import datetime

        import cptref
        from cptref.check import CheckTables, check

        tables_of_check = CheckTables.from_catalog(cptref.load_catalog())
        read = [(c.codes, c.date or datetime.date(2026, 1, 10)) for c in read_x12_claims(path)]
        floor = _rss_mib()
        start, cpu = time.perf_counter(), time.process_time()
        for codes, day in read:
            check(tables_of_check, codes, day)
            claims += 1
            lines += len(codes)
        extra = {}
    elif reader.startswith("own"):
        import datetime

        from cptref.check.inputs.x12.data import X12Claim
        from cptref.check.inputs.x12.reader import read_x12

        checker: Any = None
        tables: Any = None
        if reader == "own+check":
            import cptref
            from cptref.check import CheckTables
            from cptref.check import check as check_claim

            tables, checker = CheckTables.from_catalog(cptref.load_catalog()), check_claim
        floor = _rss_mib()
        start, cpu = time.perf_counter(), time.process_time()
        reading = read_x12(path)
        for item in reading:
            if isinstance(item, X12Claim):
                claims += 1
                lines += len(item.lines)
                if checker is not None:
                    checker(tables, item.codes, item.date or datetime.date(2026, 1, 10))
        tally = reading.tally
        claims = tally.claims_read
        extra = {"balanced": tally.balanced(), "problems": tally.problems, "segments": tally.segments}
    else:
        import io

        import pyx12.error_handler
        import pyx12.params
        import pyx12.x12context
        import pyx12.x12file
        import pyx12.x12n_document

        param = pyx12.params.params()
        floor = _rss_mib()
        start, cpu = time.perf_counter(), time.process_time()
        extra = {}
        if reader == "pyx12-segments":
            with open(path, encoding="ascii") as handle:
                segments = pyx12.x12file.X12Reader(handle)
                for seg in segments:
                    seg_id = seg.get_seg_id()
                    if seg_id == "CLM":
                        claims += 1
                    elif seg_id in ("SV1", "SV2"):
                        lines += 1
                extra = {"errors": len(segments.pop_errors())}
        elif reader == "pyx12-claims":
            errh = pyx12.error_handler.errh_null()
            with open(path, encoding="ascii") as handle:
                context = pyx12.x12context.X12ContextReader(param, errh, handle)
                for tree in context.iter_segments("2300"):
                    if tree.id != "2300":
                        continue
                    claims += 1
                    tree.get_value("CLM01")
                    for loop in tree.select("2400"):
                        lines += 1
                        if loop.exists("SV1"):
                            loop.get_value("SV101")
                            loop.get_value("SV104")
                        else:
                            loop.get_value("SV202")
                            loop.get_value("SV205")
                        loop.get_value("DTP03")
        else:
            ack = io.StringIO()
            ok = pyx12.x12n_document.x12n_document(param, path, ack, None, None)
            extra = {"valid": ok, "ack_bytes": len(ack.getvalue())}
            with open(path, "rb") as handle:  # what it validated: every claim of the file
                data = handle.read()
            claims, lines = data.count(b"CLM*"), data.count(b"SV1*") + data.count(b"SV2*")
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "reader": reader,
        "claims": claims,
        "lines": lines,
        "wall_s": round(wall, 3),
        "cpu_s": round(used, 3),
        "claims_per_cpu_s": round(claims / used) if used and claims else None,
        "peak_mib": round(peak, 1),
        "floor_mib": round(floor, 1),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=2, help="service lines a claim")
    parser.add_argument("--kinds", default="P,I", help="837P, 837I or both: P,I")
    parser.add_argument("--only", default=",".join(READERS), help="the readers to run, by name")
    parser.add_argument("--dir", help="where the made-up files are written (default: a temporary folder)")
    parser.add_argument("--child", nargs=2, metavar=("READER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    from gen837 import generate

    folder = Path(args.dir or tempfile.mkdtemp(prefix="bench837-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in args.kinds.split(","):
        path = folder / f"{kind.lower()}{args.claims}.837"
        if not path.exists():
            with open(path, "w", encoding="ascii") as out:
                out.writelines(generate(kind, args.claims, args.lines))
        size = path.stat().st_size
        for reader in args.only.split(","):
            done = subprocess.run(
                [sys.executable, __file__, "--child", reader, str(path)],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            if done.returncode != 0:
                print(f"{reader} on {path.name} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row.update(kind=f"837{kind}", file_mb=round(size / 1e6, 1))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print("| file | reader | claims | lines | wall s | CPU s | claims / CPU s | peak MiB (after imports) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['kind']} {row['file_mb']} MB | {row['reader']} | {row['claims']:,} | {row['lines']:,} | "
            f"{row['wall_s']} | {row['cpu_s']} | {row['claims_per_cpu_s'] or 0:,} | "
            f"{row['peak_mib']} ({row['floor_mib']}) |"
        )


if __name__ == "__main__":
    main()
