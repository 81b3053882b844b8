"""Does a change to ``cptref check --file`` leave every output byte as it was? Runs the same batches
through two installations of cptref (two Python executables, each with cptref installed) and
compares stdout, stderr and the exit status of every run.

The batches are generated (``--claims``, default 4,000, seeded): made-up codes of the full-size
synthetic CMS tables (bench/gen_cms.py), the made-up codes of the test fixtures, and the library's
own codes, with modifiers, units, repeated lines, malformed tokens, bad lines, blank lines, dates
of service and claims without one; as JSON Lines and as CSV. The runs: every machine format
(jsonl, csv, plain), the text view, ``--explain``, ``--fields``, the hospital setting, one and two
jobs, standard input, and a few one-claim commands (and show, search, list, families and tables,
whose answers ``cptref mcp`` shares); against the synthetic tables, the fixture
tables (with a made-up AOC table and two more fee-schedule rows, as tests/conftest.py's
cms_folder writes them) and no tables. Each installation gets its own cache folder; its path, and
that of the installation's shipped data, are written as placeholders before the outputs are compared.

    git worktree add /tmp/cptref-old main && python3 -m venv /tmp/cptref-old/.venv \\
        && /tmp/cptref-old/.venv/bin/pip install -c constraints.txt -e /tmp/cptref-old
    .venv/bin/python bench/same_output.py --old /tmp/cptref-old/.venv/bin/python

Exit status 0 when every run matches, 1 when one differs (the differing runs are listed, and kept
with ``--keep DIR``).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODIFIERS = ["59", "XE", "XS", "XP", "XU", "RT", "LT", "50", "26", "TC", "25", "76", "AA", "GA"]
MALFORMED = ["abc", "4753", "47532-5", "47532x0", "4753Z-", "x2", "47532-59-", "  ", "0001x-xs", " 0002X ", "0003x2"]
DATES = ["2026-11-27", "2026-01-15", "2025-06-30", "2024-02-29", "2010-03-01", "1995-12-31", "2026-12-01", "2027-01-01"]
AOC = [
    "AOC_Edit_Type\tAdd-On_Code\tAOC_DelDT\tPrimary_Code\tPrimary_Code_DelDT\tAOC_Edit_EffDT\tAOC_Edit_DelDT\t"
    "Special_Instruction_Notes",
    "1\t0003X\t\t0001X\t\t2024001\t\t",
    "2\t0021X\t\tCCCCC\t\t2024001\t\tPlaceholder contractor note",
    "3\t0004X\t\t0002X\t\t2024001\t\t",
    "1\t0008X\t\t0006X\t\t2024001\t2026001\t",
]
_RVU_TAIL = ",0,0,0,0,0,9,9,9,,,33.4009,09,0,99,0,0,0"
RVU_ROWS = [
    "0006X,,Placeholder bundled guidance,B,,0.50,0.50,,0.50,,0.05,1.05,1.05,0,XXX" + _RVU_TAIL,
    "0021X,,Placeholder add-on two,A,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,ZZZ" + _RVU_TAIL,
]
FORMATS = {
    "jsonl": ["--jsonl"],
    "csv": ["--format", "csv"],
    "plain": ["--format", "plain"],
    "table": ["--format", "table"],
    "explain": ["--jsonl", "--explain"],
    "fields": ["--jsonl", "--fields", "rule,message,table,row,sources"],
    "csvfields": ["--format", "csv", "--fields", "rule,codes,fix"],
}


def ptp_pairs(tables: Path, count: int) -> list[tuple[str, str]]:
    """The first ``count`` (column 1, column 2) pairs of the synthetic PTP table's first part."""
    import zipfile

    part = sorted((tables / "ptp").glob("*.zip"))[0]
    with zipfile.ZipFile(part) as z:
        text = z.read(z.namelist()[0]).decode("latin-1")
    pairs = []
    for line in text.splitlines()[6:]:
        cells = line.split("\t")
        if len(cells) > 1 and len(cells[0]) == 5:
            pairs.append((cells[0], cells[1]))
        if len(pairs) >= count:
            break
    return pairs


def generate(folder: Path, count: int, seed: int, pairs: list[tuple[str, str]]) -> None:
    """``claims.jsonl`` and ``claims.csv`` in ``folder``."""
    sys.path.insert(0, str(HERE))
    import gen_cms

    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    library = sorted(p.stem for p in (ROOT / "data" / "procedures").glob("*.yaml"))
    fixture = sorted(p.stem for p in (ROOT / "tests" / "fixtures" / "check" / "procedures").glob("*.yaml"))
    fixture += [f"00{n:02d}X" for n in range(1, 40)]
    synthetic = gen_cms.all_codes()
    paired = [code for pair in pairs for code in pair]  # codes with edits between them
    pools = [library, fixture, synthetic, paired]

    def token(pool: list[str]) -> str:
        if rng.random() < 0.04:
            return rng.choice(MALFORMED)
        mods = ""
        if rng.random() < 0.3:
            mods = "".join("-" + rng.choice(MODIFIERS) for _ in range(rng.choice([1, 1, 2, 3])))
        units = f"x{rng.choice([2, 3, 4, 10, 100])}" if rng.random() < 0.12 else ""
        text = rng.choice(pool) + mods + units
        return text.lower() if rng.random() < 0.03 else text

    jsonl, csv = [], ["id,codes,date"]
    for i in range(count):
        pool = rng.choice(pools)
        codes = [token(pool if rng.random() < 0.85 else rng.choice(pools)) for _ in range(rng.choice([1, 2, 3, 4, 6]))]
        if pool is paired and rng.random() < 0.7:  # an edit's two codes, and maybe its modifiers
            codes[:1] = [token([code]) for code in rng.choice(pairs)]
        if rng.random() < 0.15:
            codes.append(rng.choice(codes))
        claim: dict[str, object] = {"id": f"C{i}" if rng.random() < 0.9 else i, "codes": codes}
        if rng.random() < 0.8:
            claim["date"] = rng.choice(DATES)
        r = rng.random()
        if r < 0.01:
            jsonl.append("")
        elif r < 0.015:
            jsonl.append('{"id": "broken", "codes": [')
        elif r < 0.02:
            jsonl.append(json.dumps({"id": "x", "codes": []}))
        elif r < 0.025:
            jsonl.append(json.dumps({"id": "d", "codes": codes, "date": "2026-13-01"}))
        elif r < 0.03:
            jsonl.append(json.dumps({**claim, "codes": " ".join(codes)}))
        elif r < 0.035:
            objects = [{"code": c[:5], "modifiers": [rng.choice(MODIFIERS)], "units": rng.randint(1, 2)} for c in codes]
            jsonl.append(json.dumps({**claim, "codes": objects}))
        elif r < 0.038:
            jsonl.append(json.dumps({**claim, "codes": [*codes, 123, None]}))
        else:
            jsonl.append(json.dumps(claim))
        csv.append(f"{claim['id']},{' '.join(c for c in codes if c.strip())},{claim.get('date', '')}")
    (folder / "claims.jsonl").write_text("\n".join(jsonl) + "\n")
    (folder / "claims.csv").write_text("\n".join(csv) + "\n")


def fixture_tables(folder: Path) -> Path:
    """The test fixture tables, with a made-up AOC table and two more fee-schedule rows."""
    folder.mkdir()
    for path in (ROOT / "tests" / "fixtures" / "cms" / "tables").iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "AOC_V2026Q4-MCR.txt").write_bytes(("\r\n".join(AOC) + "\r\n").encode("latin-1"))
    rvu = folder / "PPRRVU2026_Oct_nonQPP.csv"
    rvu.write_bytes(rvu.read_bytes() + ("\r\n".join(RVU_ROWS) + "\r\n").encode("latin-1"))
    return folder


def runs(claims: Path, tables: Path, fixture: Path) -> dict[str, tuple[list[str], bytes | None]]:
    """Every run: a name -> the arguments after ``cptref``, and its standard input."""
    data = ["--data", str(ROOT / "tests" / "fixtures" / "check")]
    sets = {
        "synthetic": ["--cms", f"{tables / 'ptp'}{os.pathsep}{tables / 'other'}"],
        "fixture": ["--cms", str(fixture), *data],
        "none": [],
    }
    found: dict[str, tuple[list[str], bytes | None]] = {}
    for name, cms in sets.items():
        for kind in ("jsonl", "csv"):
            for form, options in FORMATS.items():
                for setting in ("practitioner", "hospital"):
                    if setting == "hospital" and (form not in ("jsonl", "table") or kind != "jsonl"):
                        continue
                    for jobs in ("1", "2"):
                        if form == "table" and jobs == "2":
                            continue  # the text view is drawn by this process
                        common = ["--setting", setting, "--date", "2026-11-27", "--jobs", jobs]
                        batch = ["check", "--file", str(claims / f"claims.{kind}"), *options, *cms, *common]
                        found[f"{name}-{kind}-{form}-{setting}-j{jobs}"] = (batch, None)
    for codes in (["0001X", "0002X-59", "0003X"], ["47532", "47542-59x2", "77002"], ["0006X", "0021X", "0003X-RT"]):
        for options in (["--json"], ["--jsonl"], ["--format", "table"], ["--format", "csv"]):
            name = "one-" + "_".join(codes) + "-" + options[-1].lstrip("-")
            found[name] = (["check", *codes, *options, *sets["fixture"], "--date", "2026-11-27"], None)
    fixture_cms = sets["fixture"][:2]
    others: dict[str, list[str]] = {  # the other commands whose answers the MCP server shares (replies/)
        "show-fixture": ["show", "0001X", "0031X", *sets["fixture"]],
        "show-fixture-json": ["show", "0001X", "0031X", "0002X", *sets["fixture"], "--json"],
        "show-unknown": ["show", "47542", "4753", "99999", "47534-RT", "47542x2"],
        "show-unknown-json": ["show", "47542", "4753", "99999", "47534-RT", "--json"],
        "show-full": ["show", "47542", "50706", "--full"],
        "show-fields": ["show", "47542", "50706", "--json", "--fields", "code,title,units"],
        "show-malformed": ["show", "abc"],
        "search": ["search", "balloon dilation biliary"],
        "search-json": ["search", "biliarry", "stricure", "--json", "-n", "3"],
        "search-csv": ["search", "drainage", "--format", "csv", "--fields", "code,title"],
        "search-jsonl": ["search", "nephrostomy", "--format", "jsonl"],
        "search-fixture": ["search", "placeholder", *sets["fixture"], "--json"],
        "search-outside": ["search", "fine", "needle", "aspiration"],
        "list": ["list"],
        "list-range": ["list", "--range", "4753", "--format", "plain"],
        "list-json": ["list", "--range", "47531-47544", "--status", "active", "--json"],
        "list-bad-family": ["list", "--family", "no-such-family"],
        "list-bad-range": ["list", "--range", "47531-x"],
        "families": ["families"],
        "families-json": ["families", "--json"],
        "tables": ["tables", *fixture_cms],
        "tables-json": ["tables", *fixture_cms, "--json"],
        "tables-synthetic": ["tables", *sets["synthetic"], "--json"],
        "tables-none": ["tables"],
    }
    for name, args in others.items():
        found[name] = (args, None)
    stdin = (claims / "claims.jsonl").read_bytes()
    found["stdin"] = (["check", "--file", "-", "--jsonl", *sets["synthetic"], "--date", "2026-11-27"], stdin)
    return found


def run_all(python: str, every: dict[str, tuple[list[str], bytes | None]], out: Path) -> None:
    out.mkdir(parents=True)
    env = {**os.environ, "CPTREF_CACHE_DIR": str(out / "cache"), "COLUMNS": "100", "NO_COLOR": "1"}
    for name in ("CPTREF_DATA", "CPTREF_CMS", "FORCE_COLOR"):
        env.pop(name, None)
    shipped = subprocess.run(
        [python, "-c", "from cptref.library.paths import shipped_data_dir; print(shipped_data_dir())"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    # what names the installation, not the answer: its cache folder (tables' "compiled"), its shipped data
    # (show's "data_dir")
    own = [(str(out / "cache").encode(), b"<cache>"), (shipped.encode(), b"<shipped data>")]
    for name, (args, stdin) in every.items():
        done = subprocess.run([python, "-m", "cptref", *args], input=stdin, capture_output=True, env=env, check=False)
        printed, said = done.stdout, done.stderr
        for path, placeholder in own:
            printed, said = printed.replace(path, placeholder), said.replace(path, placeholder)
        (out / f"{name}.out").write_bytes(printed)
        (out / f"{name}.err").write_bytes(said + f"\nexit {done.returncode}\n".encode())


def main() -> None:
    sys.path.insert(0, str(HERE))
    import bench_cms

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--old", required=True, help="the Python executable of the installation to compare with")
    parser.add_argument("--new", default=sys.executable, help="the other one (default: this Python)")
    parser.add_argument("--claims", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the outputs in this folder (it must not exist)")
    args = parser.parse_args()
    tables, _ = bench_cms.ensure_data(1_250_000, 20261127)
    folder = Path(tempfile.mkdtemp(prefix="cptref-same-"))
    try:
        generate(folder, args.claims, args.seed, ptp_pairs(tables, 2_000))
        every = runs(folder, tables, fixture_tables(folder / "fixture-cms"))
        run_all(args.old, every, folder / "old")
        run_all(args.new, every, folder / "new")
        differ = [
            f"{name}.{part}"
            for name in every
            for part in ("out", "err")
            if not filecmp.cmp(folder / "old" / f"{name}.{part}", folder / "new" / f"{name}.{part}", shallow=False)
        ]
        size = sum((folder / "new" / f"{name}.out").stat().st_size for name in every)
        print(f"{len(every)} runs, {2 * len(every)} files ({size:,} bytes of output) compared: {len(differ)} differ")
        for name in differ:
            print(f"  differs: {name}")
        if args.keep is not None:
            shutil.copytree(folder, args.keep)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(1 if differ else 0)


if __name__ == "__main__":
    main()
