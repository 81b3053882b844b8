"""cptref's speed at code-set scale (issue 5): one command, one table of every figure with its target.

    .venv/bin/python bench/run.py              # 20,000 synthetic records + the real ones; recorded
    .venv/bin/python bench/run.py --quick      # 2,000 records, fewer runs: a smoke run, not recorded

It generates the synthetic library with ``bench/gen_library.py`` into a folder under the system's
temporary directory (reused while the record count, the seed, the generator and the real data are
unchanged), gives cptref a cache directory of its own (``CPTREF_CACHE_DIR``, removed at the end:
the runs never touch the user's cache), builds the index with one untimed run, then times whole
processes with ``time.perf_counter`` around ``subprocess``:

- the baselines ``python -c pass`` (the interpreter's floor) and ``bench/baseline_typer.py hello``
  (a minimal Typer app: the framework's floor);
- ``cptref show 47555 --json``, ``cptref search "balloon dilation biliary" --json`` and
  ``python -c "import cptref; cptref.load_catalog().get('47555')"``.

Each round runs these five once, in turn, forward in one round and backward in the next, so each
ratio compares runs made seconds apart; a figure is the median over the rounds, and a ratio is the
median of the per-round ratios (that holds on a noisy shared machine). Then, in a fresh process,
``cptref.search.search(catalog, query)`` is timed for 20 realistic queries (the median ms per
query); then one record file is changed (its mtime, or a comment appended to it) and the next
``search`` is timed (the index rebuild), followed by one with nothing changed (no rebuild: the
cache's files stay untouched and the time stays near the warm one). Each command runs through a
small launcher process that times it and reads its own peak RSS (``os.wait4`` of its child: read
from this large process instead, Linux would report this process's peak, carried across exec).

The table is printed and, unless ``--quick`` or ``--no-record``, appended with the date, the
machine and the versions to the "Speed (issue 5)" section of ``bench/RESULTS.md``. Only the
standard library and what cptref installs are used.

    .venv/bin/python bench/run.py --search --against ce98c4a   # search alone: 100,000 records, 5 rounds

``--search`` times only ``cptref.search.search`` in-process, query by query (default 100,000
records, 5 rounds): each side's index is built first (timed), then every round runs ``python -c
pass`` (the machine's baseline) and, in turn, one process per side that loads the catalog and
times each query up to 7 times; ``--against REV`` adds a git revision of this checkout as the
second side (its ``src`` and ``data`` exported with ``git archive``, imported through
``PYTHONPATH``, with a cache of its own). The entry goes to the "Search speed (in-process, ...)"
section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
REAL_DATA = ROOT / "data"
GENERATOR = BENCH / "gen_library.py"
BASELINE = BENCH / "baseline_typer.py"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Speed (issue 5)"
SECTION_INTRO = (
    "Figures of `bench/run.py` (see bench/README.md): whole processes, warm file cache, medians over "
    "rounds; ratios are medians of per-round ratios against baselines measured in the same run."
)
SEED = 20260101
SHOW = "47555"
QUERY = "balloon dilation biliary"
QUERIES = [
    "balloon dilation biliary",
    "biliarry stricure dilaton",
    "PTBD",
    "percutaneous transhepatic cholangiography",
    "biliary drain exchange",
    "internal external biliary drainage catheter",
    "bile duct stent placement",
    "cholangioscopy T-tube tract",
    "biliary stone removal basket",
    "4755",
    "47555",
    "nephrostomy tube change",
    "PCNL",
    "kidney stone removal through the skin",
    "ureteral stent exchange fluoro",
    "nephroureteral catheter",
    "balloon dilation ureter stricture",
    "RS&I biliary",
    "ultrasound guided needle placement",
    "percutaneous nephrolithotomy over 2 cm",
]
"""Coder-like queries on the real records (typos, abbreviations, lay words, code prefixes)."""

# figure -> (comparison, limit): the targets of issue 5
TARGETS = {
    "show_vs_typer": 1.3,
    "show_vs_python": 8.0,
    "search_vs_typer": 1.5,
    "search_ms": 20.0,
    "load_vs_python": 5.0,
    "rebuild_s": 15.0,
    "unchanged_vs_warm": 1.3,
    "rss_mb": 250.0,
}


# --- running a process -----------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    returncode: int
    out: bytes
    err: bytes


LAUNCHER = (
    "import os, signal, sys, time\n"
    "report, argv = sys.argv[1], sys.argv[2:]\n"
    "start = time.perf_counter()\n"
    "pid = os.posix_spawnp(argv[0], argv, os.environ, setsigdef=(signal.SIGPIPE,))\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "took = time.perf_counter() - start\n"
    "with open(report, 'w') as f:\n"
    "    f.write(f'{took!r} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n"
)
"""Runs one command and writes its wall time, its peak RSS (KiB) and its exit status to a file.

Linux carries a process's high-water RSS across ``exec``: a command started straight from this
(large) process would report this process's peak as its own. Started from this small launcher
(``python -I -S``, about 8 MiB, no more than ``python -c pass`` itself), it reports its own, and the
launcher's ``perf_counter`` brackets only the command. The command inherits the launcher's stdout and
stderr, so it writes to the pipe or file this process gave it."""


def run(cmd: Sequence[str], env: dict[str, str], ok: tuple[int, ...] = (0,), stdout: Path | None = None) -> Sample:
    """Run ``cmd`` to the end through :data:`LAUNCHER`: its wall time, its own peak RSS and its
    output (stdout to the file ``stdout`` instead, when given: ``out`` is then empty)."""
    handle, report = tempfile.mkstemp(prefix="cptref-bench-", suffix=".run")
    os.close(handle)
    try:
        with tempfile.TemporaryFile() as err, open(stdout or os.devnull, "wb") as sink:
            done = subprocess.run(
                [sys.executable, "-I", "-S", "-c", LAUNCHER, report, *cmd],
                stdout=sink if stdout else subprocess.PIPE,
                stderr=err,
                env=env,
                check=False,
            )
            err.seek(0)
            errors = err.read()
        measured = Path(report).read_text().split()
    finally:
        os.unlink(report)
    shown = " ".join(cmd)
    if done.returncode or len(measured) != 3:
        raise SystemExit(f"bench: could not run {shown}:\n{errors.decode(errors='replace')[-2000:]}")
    took, peak, code = float(measured[0]), int(measured[1]), int(measured[2])
    if code not in ok:
        raise SystemExit(f"bench: {shown} exited {code}:\n{errors.decode(errors='replace')[-2000:]}")
    return Sample(took, peak / 1024, code, done.stdout or b"", errors)


def say(text: str) -> None:
    """Progress on stderr (stdout carries the table)."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# --- the library ------------------------------------------------------------------------------------


def fingerprint(records: int, seed: int) -> str:
    """What the generated library depends on: the generator's code, the real data, N and the seed."""
    digest = hashlib.sha256(f"{records}:{seed}".encode())
    digest.update(GENERATOR.read_bytes())
    for path in sorted(REAL_DATA.rglob("*.yaml")):
        digest.update(path.relative_to(REAL_DATA).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def library(records: int, seed: int) -> tuple[Path, float | None]:
    """The synthetic library's folder, generated unless an identical one is there already."""
    base = Path(tempfile.gettempdir()) / "cptref-bench"
    lib = base / f"lib-{records}-s{seed}"
    stamp = base / f"lib-{records}-s{seed}.json"
    key = fingerprint(records, seed)
    try:
        if json.loads(stamp.read_text())["key"] == key and (lib / "procedures").is_dir():
            return lib, None
    except (OSError, ValueError, KeyError):
        pass
    base.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    work = base / f".work-{records}-s{seed}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    say(f"generating {records:,} synthetic records into {lib} ...")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(GENERATOR), str(work), "--records", str(records), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"bench: generating the library failed:\n{done.stderr[-2000:]}")
    say("  " + done.stdout.strip())
    shutil.rmtree(lib, ignore_errors=True)
    work.rename(lib)
    stamp.write_text(json.dumps({"key": key, "records": records, "seed": seed}))
    return lib, took


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under ``folder`` with its size, mtime and inode: equal snapshots = nothing written."""
    found: dict[str, tuple[int, int, int]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            st = path.stat()
            found[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns, st.st_ino)
    return found


# --- the measurements -------------------------------------------------------------------------------

IN_PROCESS = r"""
import json, statistics, sys, time
lib, queries, budget = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
start = time.perf_counter()
import cptref
from cptref.search import search
from cptref.library import paths
catalog = cptref.load_catalog(paths.layers(lib) if lib else None)  # as the commands read it
loaded = time.perf_counter() - start

def once(query):
    begin = time.perf_counter()
    try:
        results = search(catalog, query)
    except Exception as exc:
        if type(exc).__name__ != "NoMatch":
            raise
        results = []
    return time.perf_counter() - begin, [getattr(r, "code", None) for r in results[:3]]

first = once(queries[0])[0]  # lazy imports and any lazily built structure are paid here
times = {q: [] for q in queries}
top = {}
begin = time.perf_counter()
for rep in range(7):
    for query in queries:
        took, codes = once(query)
        times[query].append(took)
        top[query] = codes
        if rep == 0 and time.perf_counter() - begin > 2 * budget:
            break
    if time.perf_counter() - begin > budget:
        break
print(json.dumps({"load_s": loaded, "first_s": first, "times": {q: t for q, t in times.items() if t}, "top": top}))
"""


@dataclass
class Figures:
    """Everything measured in one run."""

    rounds: int = 0
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    ratios: dict[str, list[float]] = field(default_factory=dict)
    first_search: Sample | None = None
    in_process: dict[str, object] = field(default_factory=dict)
    rebuilds: list[Sample] = field(default_factory=list)
    rebuild_wrote: list[bool] = field(default_factory=list)
    unchanged: list[Sample] = field(default_factory=list)
    unchanged_wrote: list[bool] = field(default_factory=list)
    cache_files: int = 0
    top: list[str] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(s.seconds for s in self.samples[name])

    def ratio(self, name: str) -> float:
        return statistics.median(self.ratios[name])


@functools.cache
def located() -> tuple[Path | None, str]:
    """Where the children import cptref from (they inherit this environment), and its version."""
    found = subprocess.run(
        [sys.executable, "-c", "import cptref; print(cptref.__file__); print(cptref.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return (Path(found[0]).resolve().parent if found else None), (found[1] if len(found) > 1 else "?")


def from_checkout() -> bool:
    package = located()[0]
    return package is not None and package.is_relative_to(ROOT / "src")


def cptref_command() -> list[str]:
    """The installed ``cptref`` script; ``python -m cptref`` when cptref comes from elsewhere
    (``PYTHONPATH``), since the installed script names this checkout's entry point."""
    script = Path(sys.executable).parent / "cptref"
    return [str(script)] if script.exists() and from_checkout() else [sys.executable, "-m", "cptref"]


def commands(lib: Path, installed: Path | None = None) -> dict[str, list[str]]:
    """The timed commands; with ``installed`` (a virtual environment whose cptref wheel carries
    the library as its shipped data) they run that cptref and pass no ``--data``."""
    cptref = [str(installed / "bin" / "cptref")] if installed else cptref_command()
    python = str(installed / "bin" / "python") if installed else sys.executable
    data = [] if installed else ["--data", str(lib)]
    return {
        "search": [*cptref, "search", QUERY, "--json", *data],
        "typer": [sys.executable, str(BASELINE), "hello"],
        "show": [*cptref, "show", SHOW, "--json", *data],
        "python": [sys.executable, "-c", "pass"],
        "load": [python, "-c", f"import cptref; cptref.load_catalog().get('{SHOW}')"],
    }


def install_library(lib: Path, work: Path) -> Path:
    """Build a cptref wheel whose shipped data is ``lib`` and install it in a new virtual environment.

    This is how a code-set-sized library reaches users: inside the package, where it cannot change
    under an installed version (so cptref keys its index on the version, not on every file). The
    environment borrows cptref's dependencies from this interpreter's site-packages through a .pth
    file, after its own packages, so ``cptref`` itself can only be the wheel's.
    """
    import sysconfig
    import venv

    project = work / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(lib, project / "data")
    say("building a wheel that ships the library as its data ...")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(project)],
        check=True,
        capture_output=True,
    )
    wheel = next((work / "dist").glob("cptref-*.whl"))
    env = work / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_cptref_bench_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return env


PAIRS = {
    "show_vs_typer": ("show", "typer"),
    "show_vs_python": ("show", "python"),
    "search_vs_typer": ("search", "typer"),
    "load_vs_python": ("load", "python"),
}


def measure(
    lib: Path,
    cache: Path,
    runs: int,
    budget: float,
    rebuild_runs: int,
    search_budget: float,
    installed: Path | None = None,
) -> Figures:
    env = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "CPTREF_CACHE_DIR")}
    env["CPTREF_CACHE_DIR"] = str(cache / "cptref")
    env["XDG_CACHE_HOME"] = str(cache / "xdg")  # belt and braces: never the user's own cache
    (cache / "cptref").mkdir(parents=True)
    envs = dict.fromkeys(("search", "typer", "show", "python"), env)
    envs["load"] = env if installed else {**env, "CPTREF_DATA": str(lib)}
    cmds = commands(lib, installed)
    fig = Figures(samples={name: [] for name in cmds}, ratios={name: [] for name in PAIRS})

    say("warm-up: one untimed run of each (the first search builds the index) ...")
    fig.first_search = run(cmds["search"], env)
    results = json.loads(fig.first_search.out)["results"]
    fig.top = [r["code"] for r in results[:3]]
    shown = json.loads(run(cmds["show"], env).out)["procedures"][0]["code"]
    if shown != SHOW:
        raise SystemExit(f"bench: show {SHOW} printed the record of {shown}")
    for name in ("typer", "python", "load", "search"):
        run(cmds[name], envs[name])

    order = list(cmds)
    start = time.perf_counter()
    while fig.rounds < runs:
        began = time.perf_counter()
        sequence = order if fig.rounds % 2 == 0 else order[::-1]
        got = {name: run(cmds[name], envs[name]) for name in sequence}
        for name, sample in got.items():
            fig.samples[name].append(sample)
        for pair, (a, b) in PAIRS.items():
            fig.ratios[pair].append(got[a].seconds / got[b].seconds)
        fig.rounds += 1
        spent = time.perf_counter() - start
        say(f"round {fig.rounds}/{runs}: {time.perf_counter() - began:.1f} s")
        if fig.rounds >= 3 and spent + spent / fig.rounds > budget:
            say(f"  time budget of {budget:.0f} s reached: {fig.rounds} rounds")
            break

    say(f"search in-process: {len(QUERIES)} queries ...")
    python = str(installed / "bin" / "python") if installed else sys.executable
    where = "" if installed else str(lib)  # "": the shipped data
    done = run([python, "-c", IN_PROCESS, where, json.dumps(QUERIES), str(search_budget)], env)
    fig.in_process = json.loads(done.out)

    say(f"index rebuild after a data file changes: {rebuild_runs} runs ...")
    target = sorted((lib / "procedures").glob("*.yaml"))[len(list((lib / "procedures").glob("*.yaml"))) // 2]
    original = target.read_bytes()
    try:
        for k in range(rebuild_runs):
            if k % 2 == 0:  # a touch: only the mtime changes
                before = target.stat().st_mtime_ns
                now = time.time_ns()
                os.utime(target, ns=(now, max(now, before + 2_000_000_000)))
            else:  # an edit: the size changes too
                target.write_bytes(original + b"# edited by bench/run.py\n")
            seen = snapshot(cache)
            fig.rebuilds.append(run(cmds["search"], env))
            fig.rebuild_wrote.append(snapshot(cache) != seen)
            seen = snapshot(cache)
            fig.unchanged.append(run(cmds["search"], env))
            fig.unchanged_wrote.append(snapshot(cache) != seen)
    finally:
        target.write_bytes(original)
    fig.cache_files = len(snapshot(cache))
    return fig


# --- the table --------------------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def verdict(ok: bool) -> str:
    return "pass" if ok else "**FAIL**"


def table(fig: Figures) -> list[str]:
    t = TARGETS
    py, typer = fig.median("python"), fig.median("typer")
    rows: list[tuple[str, str, str, str]] = [
        ("`python -c pass` (interpreter floor)", fmt_time(py), "baseline", ""),
        (
            "minimal Typer app, `bench/baseline_typer.py hello`",
            f"{fmt_time(typer)} ({typer / py:.1f}x python)",
            "baseline",
            "",
        ),
    ]

    def ratio_row(label: str, name: str, pair: str, base: str) -> None:
        value = fig.ratio(pair)
        rows.append(
            (label, f"{value:.2f}x {base} ({fmt_time(fig.median(name))})", f"<= {t[pair]}x", verdict(value <= t[pair]))
        )

    ratio_row(f"`cptref show {SHOW} --json` / Typer app", "show", "show_vs_typer", "Typer app")
    ratio_row(f"`cptref show {SHOW} --json` / `python -c pass`", "show", "show_vs_python", "python -c pass")
    ratio_row(f'`cptref search "{QUERY}" --json` / Typer app', "search", "search_vs_typer", "Typer app")

    times: dict[str, list[float]] = fig.in_process["times"]  # type: ignore[assignment]
    per_query = {q: statistics.median(v) * 1000 for q, v in times.items()}
    median_ms = statistics.median(per_query.values())
    slowest = max(per_query, key=per_query.__getitem__)
    repeats = min(len(v) for v in times.values())
    rows.append(
        (
            "`cptref.search.search(catalog, q)` in-process, median ms a query",
            f"{median_ms:.1f} ms ({len(per_query)} queries x {repeats}+ runs; slowest {per_query[slowest]:.1f} ms: "
            f"`{slowest}`)",
            f"< {t['search_ms']:.0f} ms",
            verdict(median_ms < t["search_ms"]),
        )
    )
    ratio_row(
        f"`import cptref; cptref.load_catalog().get('{SHOW}')` / `python -c pass`",
        "load",
        "load_vs_python",
        "python -c pass",
    )

    assert fig.first_search is not None
    first = fig.first_search.seconds
    rows.append(
        (
            "first `search` with an empty cache (builds the index)",
            fmt_time(first),
            f"<= {t['rebuild_s']:.0f} s",
            verdict(first <= t["rebuild_s"]),
        )
    )
    if fig.rebuilds:
        rebuild = statistics.median(s.seconds for s in fig.rebuilds)
        worst = max(s.seconds for s in fig.rebuilds)
        wrote = sum(fig.rebuild_wrote)
        rows.append(
            (
                "first `search` after a data file changes (touch / edit)",
                f"{fmt_time(rebuild)} median, {fmt_time(worst)} max; index rewritten in {wrote} of {len(fig.rebuilds)}",
                f"<= {t['rebuild_s']:.0f} s",
                verdict(worst <= t["rebuild_s"]) + ("" if fig.cache_files else " (no index written)"),
            )
        )
        warm = fig.median("search")
        again = statistics.median(s.seconds for s in fig.unchanged)
        untouched = not any(fig.unchanged_wrote)
        rows.append(
            (
                "next `search`, nothing changed (no rebuild)",
                f"{fmt_time(again)} = {again / warm:.2f}x warm search; cache "
                f"{'untouched' if untouched else 'REWRITTEN'} "
                f"({fig.cache_files} cache file{'s' * (fig.cache_files != 1)})",
                f"<= {t['unchanged_vs_warm']}x warm, cache untouched",
                verdict(again / warm <= t["unchanged_vs_warm"] and untouched)
                + ("" if fig.cache_files else " (no index)"),
            )
        )
    else:
        rows.append(("first `search` after a data file changes", "n/a: shipped data cannot change", "-", ""))
    rss = max(s.rss_mb for s in fig.samples["search"])
    rows.append(
        ("peak RSS of `search` (warm)", f"{rss:.0f} MiB", f"< {t['rss_mb']:.0f} MiB", verdict(rss < t["rss_mb"]))
    )
    rss_build = max(s.rss_mb for s in [*fig.rebuilds, fig.first_search])
    rows.append(
        (
            "peak RSS of `search` (rebuilding the index)",
            f"{rss_build:.0f} MiB",
            f"< {t['rss_mb']:.0f} MiB",
            verdict(rss_build < t["rss_mb"]),
        )
    )
    show_rss = max(s.rss_mb for s in fig.samples["show"])
    load_s = float(fig.in_process["load_s"])  # type: ignore[arg-type]
    rows.append(("peak RSS of `show --json`", f"{show_rss:.0f} MiB", "-", ""))
    rows.append(("`load_catalog()` in-process (the in-process search's set-up)", fmt_time(load_s), "-", ""))

    header = ("figure", "measured", "target", "result")
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


# --- the record -------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"nproc {usable} ({model}, {platform.machine()}, {platform.system()} {platform.release()})"


def interpreter() -> str:
    exe = Path(sys.executable)
    return str(exe.relative_to(ROOT)) if exe.is_relative_to(ROOT) else exe.name


def versions() -> str:
    found = [f"Python {platform.python_version()}"]
    for name in ("typer", "click", "msgspec", "PyYAML", "rapidfuzz", "rich"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def commit() -> str:
    """The checkout's commit, and whether the cptref that runs is this checkout's src/, as it stands."""
    package, version = located()

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    if not from_checkout():
        return f"cptref {version} imported from {package} (not this checkout's src/, which is at {head})"
    changed = git("status", "--porcelain", "--", "src", "pyproject.toml")
    return f"cptref {version} from src/ at commit {head}" + (" with uncommitted changes in src/" if changed else "")


def record(entry: str, section: str = SECTION, intro: str = SECTION_INTRO) -> None:
    """Append ``entry`` at the end of ``section`` of RESULTS.md (the section, with its ``intro``, is
    added at the end of the file when missing)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    lines = text.rstrip("\n").split("\n")
    if section not in lines:
        lines += ["", section, "", intro]
    at = lines.index(section) + 1
    end = next((i for i in range(at, len(lines)) if lines[i].startswith("## ")), len(lines))
    while end > at and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = ["", *entry.rstrip("\n").split("\n"), ""]
    RESULTS.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


# --- search alone (--search) ------------------------------------------------------------------------

SEARCH_SECTION = "## Search speed (in-process, 20,000 and 100,000 records)"
SEARCH_INTRO = (
    "Figures of `bench/run.py --search` (see its docstring): `cptref.search.search(catalog, q)` in-process "
    "for each benchmark query, this checkout against another revision (`--against`) in the same run, processes "
    "alternating round by round; a time is the median over rounds of each process's median, a ratio the median "
    "of the per-round ratios. `python -c pass` is timed in every round as the machine's baseline."
)
SEARCH_TARGET_MS = 50.0
"""The slowest benchmark query, in-process, at 100,000 records."""


@dataclass
class Side:
    """One version of cptref in a search run: where it is imported from and what it measured."""

    name: str
    src: Path | None
    cache: Path
    build_s: float = 0.0
    per_query: dict[str, list[float]] = field(default_factory=dict)
    top: dict[str, list[str]] = field(default_factory=dict)

    def env(self, base: dict[str, str]) -> dict[str, str]:
        env = {**base, "CPTREF_CACHE_DIR": str(self.cache)}
        if self.src is not None:
            env["PYTHONPATH"] = str(self.src)
        return env


def export(revision: str, into: Path) -> Path:
    """The ``src`` and ``data`` of a git revision of this checkout, extracted under ``into``."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src", "data"], capture_output=True, check=False
    )
    if archive.returncode:
        raise SystemExit(f"bench: git archive {revision} failed: {archive.stderr.decode(errors='replace')}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


BUILD = r"""
import sys, time
start = time.perf_counter()
import cptref
from cptref.library import paths
catalog = cptref.load_catalog(paths.layers(sys.argv[1]))
print(time.perf_counter() - start, len(catalog))
"""


def measure_search(lib: Path, sides: list[Side], runs: int, budget: float) -> list[float]:
    """Build each side's index (timed, the library's files read once before, so both find them in
    the page cache), then ``runs`` rounds of every side's in-process search and of ``python -c
    pass``, in turn (forward, then backward); returns the baseline's times."""
    base = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "CPTREF_CACHE_DIR", "PYTHONPATH")}
    base["XDG_CACHE_HOME"] = str(sides[0].cache.parent / "xdg")
    for path in lib.rglob("*.yaml"):  # into the page cache: the first build must not pay for the disk
        path.read_bytes()
    for side in sides:
        side.cache.mkdir(parents=True)
        say(f"{side.name}: building the index of {lib.name} ...")
        took, _ = run([sys.executable, "-c", BUILD, str(lib)], side.env(base)).out.split()
        side.build_s = float(took)
        side.per_query = {q: [] for q in QUERIES}
    python: list[float] = []
    for round_ in range(runs):
        began = time.perf_counter()
        order = sides if round_ % 2 == 0 else sides[::-1]
        python.append(run([sys.executable, "-c", "pass"], base).seconds)
        for side in order:
            done = run([sys.executable, "-c", IN_PROCESS, str(lib), json.dumps(QUERIES), str(budget)], side.env(base))
            found = json.loads(done.out)
            for query, times in found["times"].items():
                side.per_query[query].append(statistics.median(times))
            side.top = found["top"]
        say(f"round {round_ + 1}/{runs}: {time.perf_counter() - began:.1f} s")
    return python


def search_table(sides: list[Side], python: list[float]) -> list[str]:
    """One row per query: each side's time and the ratio of the first side to the second."""
    now = sides[0]
    py = statistics.median(python)
    header = ["query", f"{now.name} ms", f"{now.name} / python -c pass"]
    if len(sides) > 1:
        header += [f"{sides[1].name} ms", f"{now.name} / {sides[1].name}"]
    header.append(f"{now.name}: first three")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for query in QUERIES:
        ms = statistics.median(now.per_query[query]) * 1000
        row = [f"`{query}`", f"{ms:.1f}", f"{ms / 1000 / py:.2f}x"]
        if len(sides) > 1:
            then = statistics.median(sides[1].per_query[query]) * 1000
            ratios = [a / b for a, b in zip(now.per_query[query], sides[1].per_query[query], strict=True)]
            row += [f"{then:.1f}", f"{statistics.median(ratios):.3f}x"]
        row.append(", ".join(now.top.get(query, [])) or "-")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def search_summary(sides: list[Side], python: list[float], records: int) -> list[str]:
    py = statistics.median(python)
    lines = [f"- `python -c pass` (the baseline): {py * 1000:.1f} ms median over {len(python)} rounds."]
    for side in sides:
        medians = {q: statistics.median(t) for q, t in side.per_query.items()}
        slowest = max(medians, key=medians.__getitem__)
        worst = medians[slowest] * 1000
        verdict = "pass" if worst < SEARCH_TARGET_MS or records < 100_000 else "**FAIL**"
        lines.append(
            f"- {side.name}: slowest query `{slowest}` {worst:.1f} ms ({worst / 1000 / py:.2f}x python -c pass; "
            f"target < {SEARCH_TARGET_MS:.0f} ms at 100,000 records: {verdict}); median query "
            f"{statistics.median(medians.values()) * 1000:.1f} ms; index built in {side.build_s:.1f} s."
        )
    if len(sides) > 1:
        worst_now = [max(side_round) for side_round in zip(*sides[0].per_query.values(), strict=True)]
        worst_then = [max(side_round) for side_round in zip(*sides[1].per_query.values(), strict=True)]
        ratio = statistics.median(a / b for a, b in zip(worst_now, worst_then, strict=True))
        lines.append(
            f"- Slowest query, {sides[0].name} / {sides[1].name}: {ratio:.3f}x (median of the per-round ratios)."
        )
    return lines


def main_search(args: argparse.Namespace) -> int:
    records = args.records or (2_000 if args.quick else 100_000)
    runs = max(3, args.runs or (3 if args.quick else 5))
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    lib, generated = library(records, args.seed)
    work = Path(tempfile.mkdtemp(prefix="cptref-bench-search-"))
    try:
        sides = [Side("this checkout", None, work / "cache-now")]
        if args.against:
            sides.append(Side(args.against, export(args.against, work / "against"), work / "cache-then"))
        python = measure_search(lib, sides, runs, 120.0)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()[0]
    took = time.perf_counter() - began
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    real = len(list((REAL_DATA / "procedures").glob("*.yaml")))
    against = f" against `{args.against}`" if args.against else ""
    head = f"### {when}: {records:,} synthetic + {real} real records, read with --data DIR, {runs} rounds{against}"
    notes = [
        f"- Machine: {machine()}; load average {load_before:.2f} at the start, {load_after:.2f} at the end.",
        f"- Versions: {versions()}; {commit()}.",
        f"- Command: `{interpreter()} bench/run.py --search --records {records}"
        f"{f' --runs {args.runs}' if args.runs else ''}{f' --against {args.against}' if args.against else ''}`; "
        f"library {'generated in ' + format(generated, '.1f') + ' s' if generated else 'reused'}; "
        f"whole run {took / 60:.1f} min.",
        *search_summary(sides, python, records),
    ]
    entry = "\n".join([head, "", *notes, "", *search_table(sides, python)])
    print(entry)
    if not (args.quick or args.no_record):
        record(entry, SEARCH_SECTION, SEARCH_INTRO)
        say(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, help="synthetic records (default 20,000; 2,000 with --quick)")
    parser.add_argument("--runs", type=int, help="timed rounds (default 7; 3 with --quick); at least 3")
    parser.add_argument("--seed", type=int, default=SEED, help=f"generator seed (default {SEED})")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2,000 records, fewer runs, not recorded")
    parser.add_argument("--no-record", action="store_true", help="print the table only; leave RESULTS.md alone")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="ship the library inside a built cptref wheel (as a code set would be) instead of --data DIR",
    )
    parser.add_argument(
        "--search",
        action="store_true",
        help="search alone, in-process, query by query (default 100,000 records, 5 rounds), with --against",
    )
    parser.add_argument("--against", metavar="REV", help="with --search: also time this git revision, in turn")
    args = parser.parse_args(argv)
    if args.search:
        return main_search(args)
    if args.against:
        parser.error("--against goes with --search")
    records = args.records or (2_000 if args.quick else 20_000)
    runs = max(3, args.runs or (3 if args.quick else 7))
    budget, search_budget, rebuild_runs = (45.0, 10.0, 2) if args.quick else (300.0, 60.0, 3)

    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    lib, generated = library(records, args.seed)
    real = len(list((REAL_DATA / "procedures").glob("*.yaml")))
    cache = Path(tempfile.mkdtemp(prefix="cptref-bench-cache-"))
    work = Path(tempfile.mkdtemp(prefix="cptref-bench-install-"))
    try:
        installed = install_library(lib, work) if args.installed else None
        fig = measure(lib, cache, runs, budget, 0 if installed else rebuild_runs, search_budget, installed)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()[0]
    took = time.perf_counter() - began

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = table(fig)
    mode = "shipped inside an installed wheel" if args.installed else "read with --data DIR"
    head = f"### {when}: {records:,} synthetic + {real} real records, {mode}, {fig.rounds} rounds"
    prefix = f"PYTHONPATH={os.environ['PYTHONPATH']} " if os.environ.get("PYTHONPATH") else ""
    notes = [
        f"- Machine: {machine()}; load average {load_before:.2f} at the start, {load_after:.2f} at the end.",
        f"- Versions: {versions()}; {commit()}.",
        f"- Command: `{prefix}{interpreter()} bench/run.py{' --quick' if args.quick else ''}"
        f"{f' --records {records}' if args.records else ''}{f' --runs {args.runs}' if args.runs else ''}"
        f"{' --installed' if args.installed else ''}`; "
        f"library {'generated in ' + format(generated, '.1f') + ' s' if generated else 'reused'}; "
        f"whole run {took / 60:.1f} min; cptref run as `{' '.join(Path(c).name for c in cptref_command())}`.",
        f'- `search "{QUERY}"` ranked first: {", ".join(fig.top) or "nothing"}.',
    ]
    entry = "\n".join([head, "", *notes, "", *lines])
    print(entry)
    if not (args.quick or args.no_record):
        record(entry)
        say(f"recorded in {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
