"""cptref's speed, round 2 (issue 15): every target of the issue in one command, one table.

    .venv/bin/python bench/scale.py             # 20,000 and 100,000 records; 5-10 minutes; recorded
    .venv/bin/python bench/scale.py --quick     # 2,000 records, 3 rounds: a smoke run, not recorded
    .venv/bin/python bench/scale.py --only 1,4  # some figures only (numbered as the issue's items)

The figures, numbered as the items of issue 15 (bench/README.md says what each measures and why):

1. a broken record file costs nothing extra: ``show``, ``search`` and ``check`` over a copy of the
   library with one invalid record file (one no measured command reads) against the clean library,
   and stderr names the broken file;
2. a packed library (``cptref pack DIR --output FILE``, then ``--data FILE``): ``show --json`` over
   it against the bare Typer app, beside the same library as a directory ("not available" while
   cptref has no ``pack`` command);
3. incremental rebuild: the next ``search`` after one record file is edited (a comment appended)
   or touched (its mtime), for several files; cold builds (empty cache) of both libraries, with the
   peak memory of the big one;
4. scripted calls against the Typer floor, on the real shipped library with no ``--data``: piped
   ``show``, ``check`` (text and ``--json``), ``--version``, ``list``; whether ``platformdirs`` and
   Typer get imported (``PYTHONPROFILEIMPORTTIME``);
5. search at 100,000 records: the slowest of run.py's ``QUERIES``, in-process (run.py's
   ``IN_PROCESS`` script, one process a round);
6. a batch ``check --file CLAIMS --jsonl > FILE`` on every core (the default) against ``--jobs 1``;
7. memory: every peak is the command's own (run.py's launcher); ``show --json`` on the real
   library read both ways, the launcher's and issue 5's ``os.wait4`` from this process.

Whole processes are timed with ``time.perf_counter`` around each (run.py's ``run()``: a small
launcher process starts the command, times it and reads its own peak RSS). Each comparison runs
in rounds, every command once a round, forward in one round and backward in the next; a ratio is
the median of the per-round ratios against the baseline measured in the same round. Libraries come
from ``bench/gen_library.py`` (as run.py keeps them under the temporary directory) and are used
through copies made of hard links, so editing or breaking a file (always first given an inode of its
own) never changes the generated library; each copy has a cache directory of its own
(``CPTREF_CACHE_DIR``), and the real library's runs an ``XDG_CACHE_HOME`` of their own, all removed
at the end. The table is printed and, unless ``--quick`` or ``--no-record``, appended to the
"Speed round 2 (issue 15)" section of ``bench/RESULTS.md`` with the date, the machine and the
versions. Only the standard library and what cptref installs are used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from run import (
    BASELINE,
    GENERATOR,
    IN_PROCESS,
    QUERIES,
    QUERY,
    REAL_DATA,
    RESULTS,
    ROOT,
    SEED,
    SHOW,
    Sample,
    commit,
    cptref_command,
    fingerprint,
    fmt_time,
    install_library,
    interpreter,
    library,
    machine,
    record,
    run,
    say,
    snapshot,
    verdict,
    versions,
)

SECTION = "## Speed round 2 (issue 15)"
SECTION_INTRO = (
    "Figures of `bench/scale.py` (see bench/README.md): whole processes, warm file cache, each run through a "
    "small launcher that reads the command's own peak RSS; ratios are medians of per-round ratios against a "
    "baseline measured in the same round (order alternating forward and backward)."
)
CHECK = ["47555", "47542"]
ANY = tuple(range(256))
"""Every exit status: for runs whose status is looked at, not required."""
TYPER = [sys.executable, str(BASELINE), "hello"]
BIG = 100_000
TARGET_BROKEN = 1.1
TARGET_FLOOR = 1.0
TARGET_EDIT_S = 3.0
TARGET_COLD_S = {20_000: 10.0, BIG: 60.0}
TARGET_COLD_MIB = 250.0
TARGET_SEARCH_MS = 50.0
TARGET_SPEEDUP = 1.7


INSTALLED: list[str] = []
"""The ``cptref`` of a wheel built from this checkout and installed in a virtual environment of the
run's own (the default; ``--checkout`` runs this checkout's instead)."""


def cptref(*args: str) -> list[str]:
    return [*(INSTALLED or cptref_command()), *args]


def nproc() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def mib(sample: Sample) -> str:
    return f"{sample.rss_mb:.0f} MiB"


# --- the rows of the table --------------------------------------------------------------------------


@dataclass
class Row:
    item: int
    figure: str
    measured: str
    target: str = "-"
    result: str = ""


@dataclass
class Job:
    """One command of a round: what to run, with which environment, which exit statuses are fine and
    where its stdout goes (a pipe, read back, unless a file is named)."""

    cmd: list[str]
    env: dict[str, str]
    ok: tuple[int, ...] = (0,)
    stdout: Path | None = None

    def __call__(self) -> Sample:
        return run(self.cmd, self.env, self.ok, self.stdout)


def rounds(jobs: dict[str, Job], runs: int, budget: float, label: str) -> dict[str, list[Sample]]:
    """Every job once a round, forward in one round and backward in the next, ``runs`` rounds (fewer
    when the time budget runs out, never fewer than 3)."""
    samples: dict[str, list[Sample]] = {name: [] for name in jobs}
    order = list(jobs)
    start = time.perf_counter()
    done = 0
    while done < runs:
        for name in order if done % 2 == 0 else order[::-1]:
            samples[name].append(jobs[name]())
        done += 1
        spent = time.perf_counter() - start
        if done >= 3 and done < runs and spent + spent / done > budget:
            say(f"  {label}: time budget of {budget:.0f} s reached")
            break
    say(f"  {label}: {done} rounds in {time.perf_counter() - start:.1f} s")
    return samples


def ratio(samples: dict[str, list[Sample]], a: str, b: str) -> float:
    """The median over the rounds of ``a``'s time / ``b``'s time in the same round."""
    return statistics.median(x.seconds / y.seconds for x, y in zip(samples[a], samples[b], strict=True))


def median_s(samples: list[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


# --- the libraries ----------------------------------------------------------------------------------


def link_copy(source: Path, into: Path) -> Path:
    """A copy of ``source`` made of hard links (seconds, no disk space; copies where links fail)."""

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, into, copy_function=link)
    return into


def own(path: Path) -> None:
    """Give ``path`` an inode of its own, with the same bytes and times, so editing it leaves the
    generated library it is linked to alone (its name, size and mtime, what cptref compares, stay)."""
    spare = path.with_name(path.name + ".own")
    shutil.copy2(path, spare)
    os.replace(spare, path)


def preread(folder: Path) -> None:
    """Every data file read once: the first build must not pay for the disk."""
    for path in folder.rglob("*.yaml"):
        path.read_bytes()


def synthetic(lib: Path) -> list[Path]:
    """The library's record files that are not copies of a real record, sorted by name."""
    real = {p.name for p in (REAL_DATA / "procedures").glob("*.yaml")}
    return sorted(p for p in (lib / "procedures").glob("*.yaml") if p.name not in real)


@dataclass
class Bench:
    """One run: its options, its folder, the libraries' copies and their first builds, the rows."""

    work: Path
    runs: int
    budget: float
    records: int
    big: int
    seed: int
    reuse: bool
    claims: int
    edits: int
    rows: list[Row] = field(default_factory=list)
    sources: dict[int, tuple[Path, str]] = field(default_factory=dict)
    copies: dict[str, Path] = field(default_factory=dict)
    builds: dict[Path, Sample] = field(default_factory=dict)

    def base_env(self) -> dict[str, str]:
        """This environment without any CPTREF_ setting, with an XDG cache of the run's own, and
        Python free to cache compiled modules, as on a user's machine."""
        drop = ("CPTREF_", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env["XDG_CACHE_HOME"] = str(self.work / "xdg")
        return env

    def env(self, lib: Path) -> dict[str, str]:
        """The environment for commands over ``lib``: a cache directory of its own (empty at first)."""
        return {**self.base_env(), "CPTREF_CACHE_DIR": str(self.work / "cache" / lib.name)}

    def source(self, records: int) -> tuple[Path, str]:
        """The generated library of ``records`` records, and how it was had (for the record)."""
        if records not in self.sources:
            lib = Path(tempfile.gettempdir()) / "cptref-bench" / f"lib-{records}-s{self.seed}"
            stamp = lib.with_name(lib.name + ".json")
            if self.reuse and (lib / "procedures").is_dir():
                try:
                    fresh = json.loads(stamp.read_text())["key"] == fingerprint(records, self.seed)
                except (OSError, ValueError, KeyError):
                    fresh = False
                how = "reused" if fresh else "reused as found (--reuse: older than the real data or the generator)"
            else:
                say(f"library of {records:,} records ...")
                lib, took = library(records, self.seed)
                how = "reused" if took is None else f"generated in {took:.0f} s"
            self.sources[records] = (lib, how)
        return self.sources[records]

    def copy(self, name: str, records: int) -> Path:
        """A linked copy of the library of ``records`` records, named ``name`` (made once)."""
        if name not in self.copies:
            source, _ = self.source(records)
            say(f"linking a copy of {source.name} as {name} ...")
            self.copies[name] = link_copy(source, self.work / "libs" / name)
        return self.copies[name]

    def built(self, lib: Path) -> Sample:
        """The first ``search`` over ``lib``, with an empty cache: the cold build of its index."""
        if lib not in self.builds:
            preread(lib)
            say(f"cold build of {lib.name} ({count(lib):,} record files) ...")
            self.builds[lib] = run(cptref("search", QUERY, "--json", "--data", str(lib)), self.env(lib))
            say(f"  {fmt_time(self.builds[lib].seconds)}, {mib(self.builds[lib])}")
        return self.builds[lib]

    def add(self, item: int, figure: str, measured: str, target: str = "-", result: str = "") -> None:
        self.rows.append(Row(item, figure, measured, target, result))


def count(lib: Path) -> int:
    return sum(1 for _ in (lib / "procedures").glob("*.yaml"))


def neutral(output: bytes, lib: Path) -> bytes:
    """``output`` with the data folder's path (``data_dir`` in JSON) written as ``DATA``: outputs over
    two copies of a library compare equal when they say the same."""
    return output.replace(json.dumps(str(lib))[1:-1].encode(), b"DATA")


def codes_of(output: bytes) -> list[str]:
    return [r["code"] for r in json.loads(output)["results"]]


# --- 1. a broken file costs nothing extra -----------------------------------------------------------


def broken_file(b: Bench) -> None:
    say("1. a broken record file against the clean library ...")
    clean, broken = b.copy("clean", b.records), b.copy("broken", b.records)
    commands = {
        "show": ["show", SHOW, "--json"],
        "search": ["search", QUERY, "--json"],
        "check": ["check", *CHECK, "--json"],
    }
    jobs: dict[str, Job] = {}
    for name, args in commands.items():
        for lib in (clean, broken):
            jobs[f"{name} {lib.name}"] = Job(cptref(*args, "--data", str(lib)), b.env(lib), (0, 1, 3))
    b.built(clean)
    first = {name: job() for name, job in jobs.items() if name.endswith(" clean")}
    found = set(codes_of(first["search clean"].out))
    candidates = synthetic(broken)
    victim = next(p for p in candidates[len(candidates) // 2 :] if p.stem not in found)
    own(victim)
    victim.write_bytes(victim.read_bytes() + b"broken: [a flow sequence never closed\n")
    say(f"  {victim.name} made invalid in the copy; building its index ...")
    preread(broken)
    build = run(jobs["search broken"].cmd, jobs["search broken"].env, ANY)
    first.update({name: job() for name, job in jobs.items() if name.endswith(" broken")})
    samples = rounds(jobs, b.runs, b.budget, "broken / clean")
    b.add(
        1,
        f"first `search` over the broken copy (builds its index; {b.records:,} records)",
        f"{fmt_time(build.seconds)}, exit {build.returncode}; the clean copy's: {fmt_time(b.built(clean).seconds)}",
    )
    for name, args in commands.items():
        c, k = f"{name} {clean.name}", f"{name} {broken.name}"
        value = ratio(samples, k, c)
        runs = [first[k], *samples[k]]
        named = sum(victim.name in s.err.decode(errors="replace") for s in runs)
        exits = f"exit {first[c].returncode} clean, {first[k].returncode} broken"
        same = neutral(first[c].out, clean) == neutral(first[k].out, broken)
        ok = value <= TARGET_BROKEN and named == len(runs) and first[c].returncode == first[k].returncode
        b.add(
            1,
            f"`{shlex.join(args)}`, broken / clean",
            f"{value:.2f}x ({fmt_time(median_s(samples[k]))} / {fmt_time(median_s(samples[c]))}); stderr names "
            f"{victim.name} in {named} of {len(runs)} runs; {exits}; output {'the same' if same else 'DIFFERS'}",
            f"<= {TARGET_BROKEN}x, broken file named",
            verdict(ok),
        )


# --- 2. a packed library ----------------------------------------------------------------------------


def packed(b: Bench) -> None:
    say("2. a packed library against the Typer app ...")
    sizes = dict.fromkeys((b.records, b.big))
    dirs = {n: b.copy("clean" if n == b.records else "big", n) for n in sizes}
    for lib in dirs.values():
        b.built(lib)
    probe = run(cptref("pack", "--help"), b.base_env(), ANY)
    available = probe.returncode == 0
    jobs = {"typer": Job(TYPER, b.base_env())}
    for n, lib in dirs.items():
        jobs[f"dir {n}"] = Job(cptref("show", SHOW, "--json", "--data", str(lib)), b.env(lib))
        packed_job = pack(b, n, lib, jobs[f"dir {n}"]) if available else None
        if packed_job is not None:
            jobs[f"packed {n}"] = packed_job
    for job in jobs.values():
        job()  # warm-up
    samples = rounds(jobs, b.runs, b.budget, "show --json / Typer app")
    for n in sizes:
        if not available:
            b.add(
                2,
                f"`show {SHOW} --json --data PACKED` ({n:,} records) / Typer app",
                f"not available (`cptref pack --help` exits {probe.returncode})",
                f"<= {TARGET_FLOOR}x",
                "n/a",
            )
        elif f"packed {n}" in jobs:
            value = ratio(samples, f"packed {n}", "typer")
            b.add(
                2,
                f"`show {SHOW} --json --data PACKED` ({n:,} records) / Typer app",
                f"{value:.2f}x ({fmt_time(median_s(samples[f'packed {n}']))}; {max_mib(samples[f'packed {n}'])})",
                f"<= {TARGET_FLOOR}x",
                verdict(value <= TARGET_FLOOR),
            )
        else:
            b.add(
                2,
                f"`show {SHOW} --json --data PACKED` ({n:,} records) / Typer app",
                "not measured: packing failed, or its output differs (above)",
                f"<= {TARGET_FLOOR}x",
                verdict(False),
            )
    for n in sizes:
        value = ratio(samples, f"dir {n}", "typer")
        b.add(
            2,
            f"for comparison: `show {SHOW} --json --data DIR` ({n:,} records) / Typer app",
            f"{value:.2f}x ({fmt_time(median_s(samples[f'dir {n}']))}; {max_mib(samples[f'dir {n}'])}); "
            f"Typer app {fmt_time(median_s(samples['typer']))}",
        )


def pack(b: Bench, n: int, lib: Path, directory: Job) -> Job | None:
    """``cptref pack`` of ``lib`` (timed once), and the ``show`` over the packed file, once its output
    (through ``--data FILE`` and ``CPTREF_DATA=FILE``) is the same as over the directory; None (and a
    failed row) when it is not."""
    file = b.work / f"packed-{n}"
    made = run(cptref("pack", str(lib), "--output", str(file)), b.env(lib), ANY)
    if made.returncode or not file.exists():
        b.add(
            2, f"`cptref pack` of {n:,} records", f"failed (exit {made.returncode}): {tail(made)}", "-", verdict(False)
        )
        return None
    env = {**b.env(lib), "CPTREF_CACHE_DIR": str(b.work / "cache" / file.name)}
    show = Job(cptref("show", SHOW, "--json", "--data", str(file)), env, ANY)
    first, via_env = show(), run(cptref("show", SHOW, "--json"), {**env, "CPTREF_DATA": str(file)}, ANY)
    wanted = neutral(directory().out, lib)
    same, same_env = neutral(first.out, file) == wanted, neutral(via_env.out, file) == wanted
    ok = not first.returncode and same and same_env
    b.add(
        2,
        f"`cptref pack` of {n:,} records (once), then `show {SHOW} --json` over the file",
        f"{fmt_time(made.seconds)}, {size(file)}, {mib(made)}; `show` exits {first.returncode} (`--data FILE`), "
        f"{via_env.returncode} (`CPTREF_DATA=FILE`); output {'the same as' if same else 'DIFFERS from'} the "
        f"directory's{'' if same_env else ' (through CPTREF_DATA: DIFFERS)'}" + ("" if ok else f": {tail(first)}"),
        "the directory's output",
        verdict(ok),
    )
    show.ok = (0,)
    return show if ok else None


def tail(sample: Sample) -> str:
    lines = sample.err.decode(errors="replace").strip().splitlines()
    return f"`{lines[-1][:160]}`" if lines else "no message"


def size(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"


def max_mib(samples: list[Sample]) -> str:
    return f"peak {max(s.rss_mb for s in samples):.0f} MiB"


# --- 3. incremental rebuild and cold builds ---------------------------------------------------------


def rebuild(b: Bench) -> None:
    say("3. rebuilds after one file changes, and cold builds ...")
    lib = b.copy("clean", b.records)
    cold = b.built(lib)
    target = TARGET_COLD_S[20_000]
    b.add(
        3,
        f"cold build, {b.records:,} records (first `search`, empty cache)",
        f"{fmt_time(cold.seconds)}; peak {mib(cold)}",
        f"<= {target:.0f} s" + ("" if b.records == 20_000 else " at 20,000"),
        verdict(cold.seconds <= target),
    )
    env = b.env(lib)
    search = Job(cptref("search", QUERY, "--json", "--data", str(lib)), env)
    wanted = search().out
    files = synthetic(lib)
    picked = [files[len(files) * (k + 1) // (b.edits + 1)] for k in range(b.edits)]
    for path in picked:
        own(path)
    cache = Path(env["CPTREF_CACHE_DIR"])
    edits: list[tuple[Sample, bool, bool]] = []
    touches: list[tuple[Sample, bool, bool]] = []
    for path in picked:
        for kind, into in (("edit", edits), ("touch", touches)):
            if kind == "edit":  # the size and the mtime change
                path.write_bytes(path.read_bytes() + b"# edited by bench/scale.py\n")
            else:  # only the mtime changes
                before = path.stat().st_mtime_ns
                now = time.time_ns()
                os.utime(path, ns=(now, max(now, before + 2_000_000_000)))
            seen = snapshot(cache)
            sample = search()
            into.append((sample, snapshot(cache) != seen, sample.out == wanted))
            say(f"  {kind} {path.name}: {fmt_time(sample.seconds)}")
    for kind, done in (("edited (a comment appended)", edits), ("touched (mtime only)", touches)):
        times = [s.seconds for s, _, _ in done]
        b.add(
            3,
            f"next `search` after one record file is {kind}, {len(done)} different files ({b.records:,} records)",
            f"{fmt_time(statistics.median(times))} median, {fmt_time(max(times))} max; index rewritten in "
            f"{sum(w for _, w, _ in done)} of {len(done)}; output unchanged in {sum(u for _, _, u in done)}; "
            f"peak {max(s.rss_mb for s, _, _ in done):.0f} MiB",
            f"<= {TARGET_EDIT_S:.0f} s",
            verdict(max(times) <= TARGET_EDIT_S and all(u for _, _, u in done)),
        )
    big = b.copy("big", b.big)
    cold = b.built(big)
    target = TARGET_COLD_S[BIG]
    at = "" if b.big == BIG else f" at {BIG:,}"
    b.add(
        3,
        f"cold build, {b.big:,} records (first `search`, empty cache)",
        f"{fmt_time(cold.seconds)}; peak {cold.rss_mb:.0f} MiB",
        f"<= {target:.0f} s and <= {TARGET_COLD_MIB:.0f} MiB{at}",
        verdict(cold.seconds <= target and cold.rss_mb <= TARGET_COLD_MIB),
    )


# --- 4. scripted calls against the Typer floor ------------------------------------------------------


def scripted(b: Bench) -> None:
    say("4. scripted calls on the real library against the Typer app ...")
    env = b.base_env()  # no CPTREF_CACHE_DIR: the cache directory is found as a user's would be
    commands = {
        f"show {SHOW}": ["show", SHOW],
        f"check {' '.join(CHECK)}": ["check", *CHECK],
        f"check {' '.join(CHECK)} --json": ["check", *CHECK, "--json"],
        "--version": ["--version"],
        "list": ["list"],
    }
    jobs = {"typer": Job(TYPER, env)}
    jobs.update({name: Job(cptref(*args), env, (0, 1)) for name, args in commands.items()})
    for job in jobs.values():
        job()  # warm-up: the first one builds the real data's index
    imported = {name: modules(cptref(*args), env) for name, args in commands.items()}
    samples = rounds(jobs, b.runs, b.budget, "scripted calls / Typer app")
    for name in commands:
        value = ratio(samples, name, "typer")
        path = "Typer" if "typer" in imported[name] else "fast path"
        b.add(
            4,
            f"`cptref {name}` (piped) / Typer app",
            f"{value:.2f}x ({fmt_time(median_s(samples[name]))}; {path}; {max_mib(samples[name])})",
            f"<= {TARGET_FLOOR}x",
            verdict(value <= TARGET_FLOOR),
        )
    users = [name for name, found in imported.items() if "platformdirs" in found]
    linux = sys.platform.startswith("linux")
    b.add(
        4,
        "`platformdirs` imported (`PYTHONPROFILEIMPORTTIME`, no `CPTREF_CACHE_DIR`)",
        f"by {', '.join(f'`{u}`' for u in users)}" if users else f"by none of the {len(commands)}",
        "not imported on Linux",
        verdict(not users) if linux else "n/a",
    )
    b.add(
        4,
        "bare Typer app, `bench/baseline_typer.py hello` (the floor)",
        f"{fmt_time(median_s(samples['typer']))}; {max_mib(samples['typer'])}",
        "baseline",
    )


def modules(cmd: list[str], env: dict[str, str]) -> set[str]:
    """The top-level modules ``cmd`` imports (from ``PYTHONPROFILEIMPORTTIME``'s report)."""
    done = run(cmd, {**env, "PYTHONPROFILEIMPORTTIME": "1"}, ANY)
    found = set()
    for line in done.err.decode(errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            found.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return found


# --- 5. search at 100,000 records -------------------------------------------------------------------


def search_big(b: Bench) -> None:
    say(f"5. search in-process over {b.big:,} records ...")
    lib = b.copy("big", b.big)
    b.built(lib)
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    processes = []
    for _ in range(max(3, min(b.runs, 5))):
        done = run([sys.executable, "-c", IN_PROCESS, str(lib), json.dumps(QUERIES), "60"], b.env(lib))
        found = json.loads(done.out)
        for query, times in found["times"].items():
            per_query[query].append(statistics.median(times))
        processes.append((done, found["load_s"]))
    medians = {q: statistics.median(t) * 1000 for q, t in per_query.items() if t}
    slowest = max(medians, key=medians.__getitem__)
    at = "" if b.big == BIG else f" at {BIG:,}"
    b.add(
        5,
        f"`cptref.search.search(catalog, q)` in-process, slowest of {len(medians)} queries ({b.big:,} records)",
        f"{medians[slowest]:.1f} ms `{slowest}`; median query {statistics.median(medians.values()):.1f} ms; "
        f"{len(processes)} processes; `load_catalog()` {fmt_time(statistics.median(s for _, s in processes))}, "
        f"peak {max(d.rss_mb for d, _ in processes):.0f} MiB",
        f"<= {TARGET_SEARCH_MS:.0f} ms{at}",
        verdict(medians[slowest] <= TARGET_SEARCH_MS),
    )


# --- 6. batch on every core -------------------------------------------------------------------------


def batch(b: Bench) -> None:
    say(f"6. a batch of {b.claims:,} claims, every core against --jobs 1 ...")
    from bench_check import claims  # it imports cptref: only here

    lib = b.copy("clean", b.records)
    b.built(lib)
    codes = sorted(p.stem for p in (lib / "procedures").glob("*.yaml"))
    path = b.work / "claims.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i, line in enumerate(claims(codes, b.claims, b.seed), 1):
            out.write(json.dumps({"id": f"C{i}", "codes": line}, separators=(",", ":")) + "\n")
    command = cptref("check", "--file", str(path), "--jsonl", "--data", str(lib))
    env = b.env(lib)
    jobs = {
        "one": Job([*command, "--jobs", "1"], env, (0, 1), b.work / "out-one.jsonl"),
        "every": Job(command, env, (0, 1), b.work / "out-every.jsonl"),
    }
    for job in jobs.values():
        job()  # warm-up
    assert jobs["one"].stdout and jobs["every"].stdout
    same = digest(jobs["one"].stdout) == digest(jobs["every"].stdout)
    lines = sum(1 for _ in jobs["every"].stdout.open("rb"))
    samples = rounds(jobs, b.runs, b.budget, "batch, every core / one")
    speedup = ratio(samples, "one", "every")
    cores = nproc()
    rate = {name: b.claims / median_s(s) for name, s in samples.items()}
    b.add(
        6,
        f"`check --file CLAIMS --jsonl > FILE`, {b.claims:,} claims ({b.records:,} records): every core "
        f"(the default) / `--jobs 1`",
        f"{speedup:.2f}x on nproc {cores}: {rate['every']:,.0f} against {rate['one']:,.0f} claims/s; peak "
        f"{max(s.rss_mb for s in samples['every']):.0f} against {max(s.rss_mb for s in samples['one']):.0f} MiB "
        f"(the largest process); {lines:,} lines, the same bytes both ways: {'yes' if same else 'NO'}",
        f">= {TARGET_SPEEDUP}x on 2 cores",
        verdict(speedup >= TARGET_SPEEDUP and same) if cores >= 2 else "n/a: nproc 1 (one core: no speed-up to have)",
    )


def digest(path: Path) -> str:
    hashed = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            hashed.update(chunk)
    return hashed.hexdigest()


# --- 7. honest memory -------------------------------------------------------------------------------


def from_here(cmd: Sequence[str], env: dict[str, str]) -> float:
    """Issue 5's reading of a child's peak RSS: ``os.wait4`` of a child of this process (MiB).
    Linux carries this process's own high-water mark across the child's exec: kept to show it."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_maxrss / 1024


def memory(b: Bench) -> None:
    say("7. peak memory, read two ways ...")
    env = b.base_env()
    show = cptref("show", SHOW, "--json")
    run(show, env)  # warm-up (the real data's index)
    launcher = [run(show, env).rss_mb for _ in range(3)]
    direct = [from_here(show, env) for _ in range(3)]
    floor = [run([sys.executable, "-c", "pass"], env).rss_mb for _ in range(3)]
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    b.add(
        7,
        f"peak RSS of `show {SHOW} --json`, real library: through the launcher (the command's own)",
        f"{statistics.median(launcher):.1f} MiB (median of 3; `python -c pass` {statistics.median(floor):.1f} MiB)",
    )
    b.add(
        7,
        "the same, read as issue 5's run.py did (`os.wait4` of a child of this process)",
        f"{statistics.median(direct):.1f} MiB: this process's own peak is {own_peak:.1f} MiB, which Linux "
        f"carries across the child's exec",
    )


# --- the run ----------------------------------------------------------------------------------------

PARTS = {1: broken_file, 4: scripted, 3: rebuild, 2: packed, 5: search_big, 6: batch, 7: memory}
"""Each figure's measurement, in the order they run: the 20,000 copy's index is built by the first
that needs it (its time is the cold-build figure), the 100,000 copy's likewise."""


def table(rows: list[Row]) -> list[str]:
    lines = ["| # | figure | measured | target | result |", "|---|---|---|---|---|"]
    for row in sorted(rows, key=lambda r: r.item):
        lines.append(f"| {row.item} | {row.figure} | {row.measured} | {row.target} | {row.result} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, help="records of the main library (default 20,000; 2,000 with --quick)")
    parser.add_argument("--big", type=int, help=f"records of the big library (default {BIG:,}; --records with --quick)")
    parser.add_argument("--runs", type=int, help="timed rounds (default 7; 3 with --quick); at least 3")
    parser.add_argument("--claims", type=int, help="claims of the batch (default 300,000; 20,000 with --quick)")
    parser.add_argument("--edits", type=int, default=3, help="record files edited, then touched (default 3)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED})")
    parser.add_argument("--only", help="the figures to measure, by the issue's item numbers: 1,4 (default all)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 records, 3 rounds, not recorded")
    parser.add_argument(
        "--checkout",
        action="store_true",
        help="run this checkout's cptref (default: a wheel built from it, installed in a venv of the run's own)",
    )
    parser.add_argument("--no-record", action="store_true", help="print the table only; leave RESULTS.md alone")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use a generated library already there even when the real data or the generator changed since",
    )
    args = parser.parse_args(argv)
    try:
        only = sorted({int(x) for x in args.only.split(",")}) if args.only else sorted(PARTS)
    except ValueError:
        parser.error("--only takes item numbers, such as 1,4")
    if not set(only) <= set(PARTS):
        parser.error(f"--only: the items are {min(PARTS)}-{max(PARTS)}")
    records = args.records or (2_000 if args.quick else 20_000)
    runs = max(3, args.runs or (3 if args.quick else 7))
    if args.edits < 3:
        parser.error("--edits: at least 3")

    began = time.perf_counter()
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="cptref-bench-scale-"))
    b = Bench(
        work=work,
        runs=runs,
        budget=30.0 if args.quick else 300.0,
        records=records,
        big=args.big or (records if args.quick else BIG),
        seed=args.seed,
        reuse=args.reuse,
        claims=args.claims or (20_000 if args.quick else 300_000),
        edits=args.edits,
    )
    try:
        if not args.checkout:
            environment = install_library(REAL_DATA, work)
            INSTALLED[:] = [str(environment / "bin" / "cptref")]
        for item, part in PARTS.items():
            if item in only:
                part(b)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    took = time.perf_counter() - began

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    real = len(list((REAL_DATA / "procedures").glob("*.yaml")))
    sizes = f"{b.records:,}" + (f" and {b.big:,}" if b.big != b.records else "")
    which = "" if only == sorted(PARTS) else f"; figures {', '.join(map(str, only))} only"
    head = f"### {when}: {sizes} synthetic + {real} real records, {runs} rounds{which}"
    prefix = f"PYTHONPATH={os.environ['PYTHONPATH']} " if os.environ.get("PYTHONPATH") else ""
    given = list(argv if argv is not None else sys.argv[1:])
    libs = "; ".join(f"{lib.name} {how}" for lib, how in b.sources.values()) or "none"
    notes = [
        f"- Machine: {machine()}; load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} at "
        f"the start, {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} at the end (1, 5, 15 min).",
        f"- Versions: {versions()}; {commit()}.",
        f"- Command: `{prefix}{interpreter()} bench/scale.py{' ' if given else ''}{' '.join(given)}`; whole run "
        f"{took / 60:.1f} min; cptref run as "
        + (
            "a wheel of this checkout installed in a new venv"
            if INSTALLED
            else f"`{' '.join(Path(c).name for c in cptref_command())}`"
        )
        + ".",
        f"- Libraries ({GENERATOR.name}, seed {b.seed}): {libs}.",
    ]
    entry = "\n".join([head, "", *notes, "", *table(b.rows)])
    print(entry)
    if not (args.quick or args.no_record):
        record(entry, SECTION, SECTION_INTRO)
        say(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
