"""Fuzz the YAML loader for a set time and report what was found (issue 7).

    .venv/bin/python bench/fuzz_loader.py --minutes 10
    .venv/bin/python bench/fuzz_loader.py --minutes 1 --batch 500 --memory-mb 2048

The inputs and the target are those of the bounded run in CI (``tests/library/fuzz_yaml.py``): records
written the real way then mutated with YAML syntax, "billion laughs" of random shape, deep
nesting, raw bytes and text, each fed to ``read_yaml``, ``validate``, ``load_procedure`` and
``cptref validate``'s lint. Hypothesis draws them in batches, each with fresh randomness, until the
time is up. A finding is any exception other than the loader's located ``DataErrors``, a problem
without its location or on more than one line, an input that takes longer than ``--slow``
seconds (a hang is cut by an alarm), or memory beyond ``--memory-mb`` (MemoryError). Each finding
is printed once, shrunk to a small input, with its exception; the run ends with a summary line:
inputs run, findings, slowest input. Record the summary in RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from tests.library import fuzz_yaml  # noqa: E402


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("the input took too long (alarm)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--batch", type=int, default=1000, help="inputs a hypothesis batch draws (default 1000)")
    parser.add_argument("--slow", type=float, default=fuzz_yaml.SLOW, help="seconds an input may take")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit (default 2048 MB)")
    options = parser.parse_args()
    fuzz_yaml.SLOW = options.slow
    limit = options.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)

    count = 0
    slowest = (0.0, 0)
    findings: dict[str, str] = {}
    folder = Path(tempfile.mkdtemp(prefix="cptref-fuzz-"))
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]

    @settings(
        max_examples=options.batch,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=quiet,
        report_multiple_bugs=False,
        print_blob=True,
    )
    @given(fuzz_yaml.YAML_BYTES)
    def one(data: bytes) -> None:
        nonlocal count, slowest
        count += 1
        signal.alarm(int(options.slow * 4) + 1)
        start = time.perf_counter()
        try:
            fuzz_yaml.fuzz_one(data, folder, fuzz_yaml.SLOW)
        finally:
            signal.alarm(0)
        took = time.perf_counter() - start
        if took > slowest[0]:
            slowest = (took, len(data))

    started = time.monotonic()
    end = started + options.minutes * 60
    batches = 0
    while time.monotonic() < end:
        batches += 1
        try:
            one()
        except Exception as exc:  # a finding: hypothesis has shrunk it and printed the input
            key = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if key not in findings:
                findings[key] = traceback.format_exc()
                print(f"FINDING {len(findings)}: {key}", flush=True)
                print(findings[key], flush=True)
        print(f"  {time.monotonic() - started:7.0f} s  {count:9d} inputs  {len(findings)} findings", flush=True)
    minutes = (time.monotonic() - started) / 60
    print(
        f"fuzz_loader: {count} inputs in {minutes:.1f} min ({count / minutes / 60:.0f}/s) in {batches} batches; "
        f"{len(findings)} findings; slowest input {slowest[0] * 1000:.0f} ms ({slowest[1]} bytes)"
    )
    for key in findings:
        print(f"  - {key}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
