"""cptref's batch check against the tool a billing analyst would use instead: DuckDB SQL doing the
same NCCI PTP, MUE and AOC checks over the same claims and the same tables (issue 26, item 1).

DuckDB is needed only here, in a bench environment of its own; it is no dependency of cptref
(bench/README.md says how to install it).

Data: bench/gen_cms.py's full-size synthetic tables (1,265,024 PTP rows in four zipped parts, MUE,
AOC, PPRRVU; made-up codes), kept where bench/bench_cms.py keeps them, and bench_cms's skewed claims
(2-6 codes, dates in 2026 Q4) with a share of lines given modifiers and units, so that the PTP
modifier bypass and the MUE adjudication indicators are exercised.

Set-up, untimed, once (a user's first command, an analyst's loading step):

- cptref compiles the tables into its cache (its first ``check --cms`` run);
- DuckDB: the PTP parts are unzipped and read with ``read_csv`` (tab-separated, six preamble lines),
  the MUE CSV with ``read_csv`` after its preamble, the AOC workbook's one sheet read with the
  standard library (DuckDB's Excel reader is an extension that may not be downloadable), all into
  a DuckDB database file (the analyst's analogue of cptref's compiled file). Its time is reported.

Timed, in rounds (the order alternates each round, so that a change of the machine's load touches
every command):

- ``cptref check --file claims.jsonl --jsonl --cms TABLES > out.jsonl`` with ``--jobs 1`` and on the
  default workers, of the cptref under test (``--python``) and, with ``--old PYTHON``, of another
  installation (the before of a change, measured in the same run);
- ``python duckdb_check.py`` with DuckDB's default threads and with one thread: one process that
  opens the database read-only, reads the claims' JSON Lines, checks them in one SQL statement and
  writes one JSON line a claim (``{"id", "findings": [{"rule", "severity", "codes"}]}``, in input
  order).

CPU is ``getrusage(RUSAGE_CHILDREN)`` (user + system) of a small launcher process that runs the
command and waits for it: the command's own CPU and that of every worker it forked and reaped.
Peak memory is the launcher's ``ru_maxrss`` of its children (the largest process). Ratios are
taken against DuckDB's default-threads run of the same round.

Agreement: for every claim, the multiset of its findings of the rules ``ncci-ptp``, ``mue`` and ``aoc``,
each as (rule, severity, codes) with codes in the order the finding gives them (column 1 then column
2 for a PTP edit, the code for MUE and AOC), from cptref's JSON line and from the SQL's line of the
same claim id; a claim differs when the two multisets differ, or when either side lacks the claim.
The count of claims that differ must be 0. cptref's outputs (every command of it) are also compared
byte for byte with the first.

    python -m venv /tmp/bench-duckdb && /tmp/bench-duckdb/bin/pip install -c constraints.txt -e . duckdb
    /tmp/bench-duckdb/bin/python bench/bench_duckdb.py [--claims 200000] [--runs 3] [--python .venv/bin/python]
        [--old /tmp/cptref-old/.venv/bin/python]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MODIFIERS = ["59", "XS", "XU", "25", "RT", "LT", "26", "TC", "76", "91", "E1", "F2", "24", "57", "50", "22"]

LAUNCH = (
    "import resource, subprocess, sys, time\n"
    "out = open(sys.argv[1], 'wb')\n"
    "start = time.perf_counter()\n"
    "code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL).returncode\n"
    "took = time.perf_counter() - start\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(took, u.ru_utime + u.ru_stime, u.ru_maxrss, code)\n"
)

# ---------------------------------------------------------------- the SQL

ANATOMIC = [
    *(f"E{n}" for n in range(1, 5)),
    "FA",
    *(f"F{n}" for n in range(1, 10)),
    "TA",
    *(f"T{n}" for n in range(1, 10)),
    *("LT", "RT", "LC", "LD", "RC", "LM", "RI"),
]
ASSOCIATED = [*ANATOMIC, "24", "25", "57", "58", "78", "79", "27", "91", "59", "XE", "XS", "XP", "XU"]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


CHECK_SQL = """
WITH claims AS (
  SELECT row_number() OVER () AS n, id, codes,
         CAST(strftime(CAST(date AS DATE), '%Y%m%d') AS INTEGER) AS d
  FROM read_json('{claims}', format = 'newline_delimited',
                 columns = {{id: 'VARCHAR', codes: 'VARCHAR[]', date: 'VARCHAR'}})
),
tokens AS (
  SELECT n, d, upper(trim(unnest(codes))) AS t FROM claims
),
parsed AS (
  SELECT n, d, t[1:5] AS code,
         regexp_extract(t, '^[0-9A-Z]{{5}}((?:-[0-9A-Z]{{2}})*)', 1) AS modstr,
         coalesce(TRY_CAST(regexp_extract(t, '^[0-9A-Z]{{5}}(?:-[0-9A-Z]{{2}})*X([0-9]{{1,6}})$', 1) AS INTEGER), 1)
           AS units
  FROM tokens
),
merged AS (  -- a repeated line (same code, same modifiers as written) counts as more units
  SELECT n, d, code, CASE WHEN modstr = '' THEN []::VARCHAR[] ELSE string_split(modstr[2:], '-') END AS mods,
         sum(units) AS units
  FROM parsed GROUP BY n, d, code, modstr
),
codes AS (
  SELECT n, d, code, sum(units) AS total, max(units) AS maxline,
         list_distinct(flatten(list(mods))) AS mods,
         coalesce(sum(units) FILTER (WHERE list_contains(mods, '26')), 0) AS prof,
         coalesce(sum(units) FILTER (WHERE list_contains(mods, 'TC')), 0) AS tech
  FROM merged GROUP BY n, d, code
),
sites AS (
  SELECT *, list_sort(list_distinct(list_intersect(mods, {anatomic})
              || CASE WHEN list_contains(mods, '50') THEN ['RT', 'LT'] ELSE []::VARCHAR[] END)) AS site
  FROM codes
),
ptp_hits AS (  -- ending: the deletion date is the date of service (in force that day under one reading)
  SELECT a.n, p.mi, a.code AS c1, b.code AS c2, a.d = p.del AS ending,
         list_distinct(list_intersect(a.mods || b.mods, {associated})) AS found, a.site AS sa, b.site AS sb
  FROM sites a JOIN sites b ON a.n = b.n AND a.code <> b.code
  JOIN ptp p ON p.c1 = a.code AND p.c2 = b.code AND p.eff <= a.d AND a.d <= p.del AND p.mi <> 9
),
ptp_judged AS (
  SELECT n, ending, [c1, c2] AS codes,
         CASE WHEN mi = 0 OR len(found) = 0 THEN 'error'
              WHEN len(list_filter(found, lambda x: NOT list_contains({anatomic}, x))) > 0 THEN 'info'
              WHEN len(sa) > 0 AND len(sb) > 0 AND sa = sb THEN 'error'
              ELSE 'info' END AS severity
  FROM ptp_hits
),
ptp_findings AS (
  SELECT n, 'ncci-ptp' AS rule, severity, codes FROM ptp_judged WHERE NOT ending
),
ptp_undecided AS (  -- an ending edit that would stop the pair, which no edit in force stops: a warning
  SELECT DISTINCT e.n, 'ncci-ptp' AS rule, 'warning' AS severity, e.codes FROM ptp_judged e
  WHERE e.ending AND e.severity = 'error'
    AND NOT EXISTS (SELECT 1 FROM ptp_findings f WHERE f.n = e.n AND f.codes = e.codes AND f.severity = 'error')
),
mue_findings AS (
  SELECT c.n, 'mue' AS rule,
         CASE WHEN m.mai <> 1 AND list_contains(c.mods, '26') AND list_contains(c.mods, 'TC')
                   AND c.total - least(c.prof, c.tech) <= m.value THEN 'warning'
              ELSE 'error' END AS severity,
         [c.code] AS codes
  FROM codes c JOIN mue m ON m.code = c.code
  WHERE CASE WHEN m.mai = 1 THEN c.maxline ELSE c.total END > m.value
),
claim_codes AS (
  SELECT n, list(code) AS all_codes, list(code) FILTER (WHERE code NOT IN (SELECT addon FROM aoc)) AS primaries
  FROM codes GROUP BY n
),
aoc_in_force AS (  -- _a: the edits in force; _b: with those whose deletion date is the date of service
  SELECT c.n, c.code, min(e.type) FILTER (WHERE c.d < e.del) AS kind_a,
         list_distinct(list(e.primary_code) FILTER (WHERE c.d < e.del)) AS listed_a,
         min(e.type) AS kind_b, list_distinct(list(e.primary_code)) AS listed_b, bool_or(c.d = e.del) AS ending
  FROM codes c JOIN aoc e ON e.addon = c.code AND e.eff <= c.d AND c.d <= e.del
  GROUP BY c.n, c.code
),
aoc_judged AS (
  SELECT f.n, f.code, f.ending,
         CASE WHEN f.kind_a IS NULL OR list_has_any(coalesce(f.listed_a, []), k.all_codes) THEN NULL
              WHEN f.kind_a = 1 THEN 'error' ELSE 'warning' END AS sev_a,
         CASE WHEN list_has_any(f.listed_b, k.all_codes) THEN NULL
              WHEN f.kind_b = 1 THEN 'error' ELSE 'warning' END AS sev_b
  FROM aoc_in_force f JOIN claim_codes k ON k.n = f.n
  WHERE len(list_filter(coalesce(k.primaries, []), lambda x: x <> f.code)) > 0  -- another procedure, not an add-on
),
aoc_findings AS (  -- the two readings of a deletion date disagree: a warning
  SELECT n, 'aoc' AS rule, CASE WHEN ending AND sev_a IS DISTINCT FROM sev_b THEN 'warning' ELSE sev_a END AS severity,
         [code] AS codes
  FROM aoc_judged WHERE sev_a IS NOT NULL OR (ending AND sev_b IS NOT NULL)
),
findings AS (
  SELECT * FROM ptp_findings UNION ALL SELECT * FROM ptp_undecided UNION ALL SELECT * FROM mue_findings
  UNION ALL SELECT * FROM aoc_findings
),
per_claim AS (
  SELECT n, list({{'rule': rule, 'severity': severity, 'codes': codes}}) AS findings FROM findings GROUP BY n
)
SELECT c.id, coalesce(p.findings, []) AS findings
FROM claims c LEFT JOIN per_claim p ON p.n = c.n
ORDER BY c.n
""".replace("{anatomic}", _sql_list(ANATOMIC)).replace("{associated}", _sql_list(ASSOCIATED))

DUCK_RUN = """
import sys, duckdb
database, claims, out, kind, threads = sys.argv[1:6]
con = duckdb.connect(database, read_only=True)
if threads != '0':
    con.execute(f"SET threads = {int(threads)}")
query = open(sys.argv[6]).read().format(claims=claims)
options = "FORMAT json" if kind == "json" else "FORMAT parquet, COMPRESSION zstd"
con.execute(f"COPY ({query}) TO '{out}' ({options})")
"""


# ---------------------------------------------------------------- set-up


def load_duckdb(tables: Path, database: Path, work: Path) -> float:
    """The CMS files into a DuckDB database file: what an analyst does once a quarter. Seconds."""
    import duckdb

    start = time.perf_counter()
    parts = work / "ptp-txt"
    parts.mkdir(exist_ok=True)
    for path in sorted((tables / "ptp").glob("*.zip")):
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                (parts / name).write_bytes(z.read(name))
    mue_clean = work / "mue.csv"
    with open(next((tables / "other").glob("MCR_MUE_*.csv")), newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and re.fullmatch(r"[0-9A-Z]{5}", r[0])]
    with open(mue_clean, "w", newline="") as f:
        csv.writer(f).writerows((r[0], r[1], r[2][0]) for r in rows)
    aoc_clean = work / "aoc.csv"
    with open(aoc_clean, "w", newline="") as f:
        csv.writer(f).writerows(aoc_rows(next((tables / "other").glob("AOC_*.xlsx"))))
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    con.execute(  # the paths are this script's own
        f"""CREATE TABLE ptp AS SELECT column0 AS c1, column1 AS c2, CAST(column3 AS INTEGER) AS eff,
            CASE WHEN column4 = '*' THEN 99999999 ELSE CAST(column4 AS INTEGER) END AS del,
            CAST(column5 AS INTEGER) AS mi
            FROM read_csv('{parts}/*.TXT', delim = '\t', header = false, skip = 6, all_varchar = true,
                          encoding = 'latin-1', quote = '', columns = {{'column0': 'VARCHAR', 'column1': 'VARCHAR',
                          'column2': 'VARCHAR', 'column3': 'VARCHAR', 'column4': 'VARCHAR', 'column5': 'VARCHAR',
                          'column6': 'VARCHAR'}})"""  # noqa: S608
    )
    con.execute(
        f"""CREATE TABLE mue AS SELECT column0 AS code, CAST(column1 AS INTEGER) AS value,
            CAST(column2 AS INTEGER) AS mai FROM read_csv('{mue_clean}', header = false, all_varchar = true)"""  # noqa: S608
    )
    con.execute(
        f"""CREATE TABLE aoc AS SELECT column0 AS addon, NULLIF(column1, 'CCCCC') AS primary_code,
            CAST(column2 AS INTEGER) AS type, CAST(column3 AS INTEGER) AS eff,
            CASE WHEN column4 = '' OR column4 IS NULL THEN 99999999 ELSE CAST(column4 AS INTEGER) END AS del
            FROM read_csv('{aoc_clean}', header = false, all_varchar = true)"""  # noqa: S608
    )
    con.close()
    return time.perf_counter() - start


def _julian(value: str) -> int:
    import datetime

    year, day = int(value[:4]), int(value[4:])
    d = datetime.date(year, 1, 1) + datetime.timedelta(days=day - 1)
    return d.year * 10_000 + d.month * 100 + d.day


def aoc_rows(path: Path) -> list[tuple[str, str, str, int, str]]:
    """(add-on, primary, type, effective, deletion) of the one-sheet AOC workbook (inline strings)."""
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z:
        root = ElementTree.parse(io.BytesIO(z.read("xl/worksheets/sheet1.xml"))).getroot()  # noqa: S314
    out = []
    for row in root.iter(f"{ns}row"):
        cells: dict[str, str] = {}
        for c in row.iter(f"{ns}c"):
            col = re.sub(r"\d", "", c.get("r", ""))
            t = c.find(f"{ns}is/{ns}t")
            v = c.find(f"{ns}v")
            cells[col] = (t.text if t is not None else v.text if v is not None else "") or ""
        if cells.get("A") not in ("1", "2", "3"):
            continue
        deleted = cells.get("G", "")
        out.append(
            (
                cells["B"],
                cells["D"],
                cells["A"],
                _julian(cells["F"]),
                str(_julian(deleted)) if deleted else "",
            )
        )
    return out


# ---------------------------------------------------------------- the claims


def decorate(raw: list[tuple[int, list[str]]], seed: int, share: float = 0.12) -> list[bytes]:
    """JSON lines of bench_cms's claims, a share of their lines given one or two modifiers, some units,
    some repeats (the same code on a second line)."""
    import msgspec

    rng = random.Random(seed)  # noqa: S311 - made-up data
    lines = []
    for i, (day, codes) in enumerate(raw, 1):
        tokens = []
        for code in codes:
            token = code
            if rng.random() < share:
                mods = rng.sample(MODIFIERS, rng.choice([1, 1, 1, 2]))
                token += "".join(f"-{m}" for m in mods)
            if rng.random() < 0.08:
                token += f"x{rng.choice([2, 2, 3, 4, 7, 12])}"
            tokens.append(token)
        if rng.random() < 0.03:
            tokens.append(codes[0] + rng.choice(["", "-76", "-RT", "-LT", "-91"]))
        date = f"{day // 10_000}-{day // 100 % 100:02d}-{day % 100:02d}"
        lines.append(msgspec.json.encode({"id": f"C{i}", "codes": tokens, "date": date}))
    return lines


def write_claims(compiled: Path, folder: Path, count: int, seed: int = 20261127) -> Path:
    """``count`` claims as JSON Lines (made once, kept in ``folder``)."""
    import bench_cms
    import msgspec

    path = folder / f"claims-{count}-s{seed}.jsonl"
    if path.exists():
        return path
    raw_path = folder / f"claims-{count}-s{seed}.msgpack"
    if not raw_path.exists():
        bench_cms.run_child("claims", str(compiled), str(raw_path), count, seed)
    raw = msgspec.msgpack.decode(raw_path.read_bytes())
    path.write_bytes(b"\n".join(decorate(raw, seed)) + b"\n")
    return path


# ---------------------------------------------------------------- measuring


def launch(out: Path, command: list[str], env: dict[str, str]) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCH, str(out), *command], capture_output=True, text=True, env=env, check=True
    )
    took, cpu, peak, code = proc.stdout.split()
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(command[:8])} ... exited {code}")
    return {"wall_s": float(took), "cpu_s": float(cpu), "peak_mib": int(peak) / 1024}


Key = tuple[str, str, tuple[str, ...]]
RULES = frozenset(["ncci-ptp", "mue", "aoc"])


def cptref_findings(path: Path) -> dict[str, Counter[Key]]:
    """cptref's findings of the rules the SQL also checks (:data:`RULES`), by claim id."""
    return sql_findings(path, RULES)


def sql_findings(path: Path, rules: frozenset[str] | None = None) -> dict[str, Counter[Key]]:
    """Each line's findings (of ``rules`` only, when given) as a multiset, by claim id."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    out: dict[str, Counter[Key]] = {}
    with open(path, "rb") as f:
        for line in f:
            doc = decode(line)
            out[doc["id"]] = Counter(
                (x["rule"], x["severity"], tuple(x["codes"]))
                for x in doc.get("findings", ())  # a lean cptref line has no "findings" when there is none
                if rules is None or x["rule"] in rules
            )
    return out


def agreement(ours: dict[str, Counter[Key]], theirs: dict[str, Counter[Key]]) -> dict[str, object]:
    differ = [cid for cid in ours.keys() | theirs.keys() if ours.get(cid) != theirs.get(cid)]
    totals: Counter[tuple[str, str]] = Counter()
    for found in ours.values():
        for (rule, severity, _), count in found.items():
            totals[(rule, severity)] += count
    return {
        "claims_compared": len(ours.keys() | theirs.keys()),
        "claims_that_differ": len(differ),
        "examples": sorted(differ)[:5],
        "findings_by_rule_and_severity": {f"{r} {s}": c for (r, s), c in sorted(totals.items())},
        "claims_with_a_finding": sum(1 for v in ours.values() if v),
    }


def main() -> None:
    import bench_cms

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--python", default=sys.executable, help="the Python of the cptref to measure")
    parser.add_argument("--old", help="the Python of another cptref installation, measured in the same run")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "cptref-bench-duckdb")
    parser.add_argument("--only", default="", help="semicolon-separated subset of the commands (names below)")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args()
    load_start = os.getloadavg()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    tables, _ = bench_cms.ensure_data(1_250_000, 20261127)
    compiled = work / "compiled.sqlite"
    if not compiled.exists():
        bench_cms.run_child("compile", [str(tables / "ptp"), str(tables / "other")], str(compiled))
    claims = write_claims(compiled, work, args.claims)
    with open(claims, "rb") as counted:
        n = sum(1 for _ in counted)
    warm_claims = work / "claims-warm.jsonl"
    with open(claims, "rb") as source:
        warm_claims.write_bytes(b"".join(line for _, line in zip(range(2_000), source, strict=False)))
    database = work / "tables.duckdb"
    load_s = None
    if not database.exists():
        load_s = load_duckdb(tables, database, work)
    query = work / "check.sql"
    query.write_text(CHECK_SQL)
    runner = work / "duckdb_check.py"
    runner.write_text(DUCK_RUN)
    with tempfile.TemporaryDirectory(prefix="cptref-duckdb-") as tmp:
        folder = Path(tmp)
        cms = f"{tables / 'ptp'}{os.pathsep}{tables / 'other'}"
        pythons = {"cptref": args.python, **({"cptref before": args.old} if args.old else {})}
        commands: dict[str, list[str]] = {}
        envs: dict[str, dict[str, str]] = {}
        outs: dict[str, Path] = {}
        for label, python in pythons.items():
            env = {**os.environ, "CPTREF_CACHE_DIR": str(work / f"cache-{label.replace(' ', '-')}")}
            env.pop("CPTREF_DATA", None)
            env.pop("CPTREF_CMS", None)
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installation has its bytecode: the warm run writes it
            cli = [python, "-m", "cptref", "check", "--file", str(claims), "--jsonl", "--cms", cms]
            launch(folder / "warm.jsonl", [*cli[:5], str(warm_claims), *cli[6:]], env)  # compiles if needed
            for suffix, extra in ((" --jobs 1", ["--jobs", "1"]), (" default workers", [])):
                name = label + suffix
                commands[name] = [*cli, *extra]
                envs[name] = env
                outs[name] = folder / f"{name.replace(' ', '-')}.jsonl"
        duck = [sys.executable, str(runner), str(database), str(claims)]
        for name, threads in (("duckdb default threads", "0"), ("duckdb 1 thread", "1")):
            outs[name] = folder / f"{name.replace(' ', '-')}.jsonl"
            commands[name] = [*duck, str(outs[name]), "json", threads, str(query)]
            envs[name] = dict(os.environ)
        if args.only:
            wanted = [w.strip() for w in args.only.split(";")]
            commands = {k: v for k, v in commands.items() if k in wanted}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
        names = list(commands)
        for r in range(args.runs):
            order = names if r % 2 == 0 else names[::-1]
            for name in order:
                ours = name.startswith("cptref")
                measured = launch(outs[name] if ours else folder / "stdout.txt", commands[name], envs[name])
                runs[name].append(measured)
                print(f"round {r + 1} {name}: {measured}", flush=True)
        sizes = {name: outs[name].stat().st_size for name in commands}
        mine = [name for name in commands if name.startswith("cptref")]
        same = None
        if len(mine) > 1:
            reference = outs[mine[0]].read_bytes()
            same = {name: outs[name].read_bytes() == reference for name in mine[1:]}
            same["reference"] = mine[0]  # type: ignore[assignment]
        agree = None
        if mine and "duckdb default threads" in commands:
            agree = agreement(cptref_findings(outs[mine[0]]), sql_findings(outs["duckdb default threads"]))
    base = "duckdb default threads"
    summary: dict[str, object] = {}
    for name, found in runs.items():
        cpu = [x["cpu_s"] for x in found]
        summary[name] = {
            "cpu_us_per_claim_median": round(statistics.median(cpu) / n * 1e6, 2),
            "cpu_s_runs": [round(c, 2) for c in cpu],
            "wall_s_runs": [round(x["wall_s"], 2) for x in found],
            "peak_mib": round(max(x["peak_mib"] for x in found), 1),
            "bytes_per_claim": round(sizes[name] / n, 1),
        }
        if base in runs and name != base:
            ratios = [a["cpu_s"] / b["cpu_s"] for a, b in zip(found, runs[base], strict=True)]
            summary[name]["cpu_ratio_to_duckdb_per_round"] = [round(x, 2) for x in ratios]  # type: ignore[index]
            summary[name]["cpu_ratio_to_duckdb_median"] = round(statistics.median(ratios), 2)  # type: ignore[index]
    import duckdb

    result: dict[str, object] = {
        "claims": n,
        "base": base,
        "duckdb_load_s": None if load_s is None else round(load_s, 1),
        "summary": summary,
        "outputs_identical_to_reference": same,
        "agreement": agree,
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "nproc": os.cpu_count(),
        "versions": {"python": platform.python_version(), "duckdb": duckdb.__version__, **pythons},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
