"""Two full-size synthetic quarters of the CMS tables, for bench/bench_changes.py: 2026 Q3 (the old) and
2026 Q4 (the new), in the layouts and names of the downloads, made-up codes only.

The old quarter is what ``bench/gen_cms.py`` writes for one seed (over 1.2 million PTP
rows in four zipped parts, MUE, AOC, PPRRVU), renamed to 2026 Q3 (``v322r0``,
``Eff_07-01-2026``, ``V2026Q3``, ``PPRRVU2026_Jul``). The new quarter is a mutation of it, the
kinds of change a real quarter brings in roughly the shares a real quarter shows (a few per cent
of the rows): PTP deletion dates added, indicators flipped in place, rows replaced by a successor
with the other indicator, new pairs, re-added pairs, rows dropped, rationales changed; MUE values
raised and lowered and indicators moved; AOC primaries added and removed; PPRRVU statuses, RVUs,
global days and bilateral indicators changed.

    .venv/bin/python bench/gen_quarters.py OUT_DIR [--rows 1250000] [--seed 20261127]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_cms

NEW_DAY = "20261001"
"""The first day of the new quarter: when the new edits take effect and deleted ones end."""


def _fields(line: str) -> list[str]:
    return line.split("\t")


def mutate_ptp(lines: list[str], rng: random.Random) -> tuple[list[str], dict[str, int]]:
    """The new quarter's PTP rows from the old one's, and how many of each change were made."""
    counts = dict.fromkeys(("deleted", "flipped", "replaced", "dropped", "rationale", "added", "re-added"), 0)
    out: list[str] = []
    pairs: set[tuple[str, str]] = set()
    over: dict[tuple[str, str], bool] = {}
    """Pair -> whether every row of it ended before the new quarter (and was once in force): re-addable."""
    for line in lines:
        c1, c2, _, eff, end, mi, _ = _fields(line)
        done = end not in ("*", eff) and mi != "9" and int(end) < int(NEW_DAY)
        over[(c1, c2)] = over.get((c1, c2), True) and done
    ended: list[list[str]] = []
    for line in lines:
        cells = _fields(line)
        c1, c2, _, eff, end, mi, rat = cells
        pairs.add((c1, c2))
        roll = rng.random()
        live = end == "*" and mi != "9" and int(eff) < int(NEW_DAY)  # a row in force before the new quarter
        if live and roll < 0.004:
            counts["deleted"] += 1
            cells[4] = NEW_DAY
        elif live and roll < 0.007:
            counts["flipped"] += 1
            cells[5] = "1" if mi == "0" else "0"
        elif live and roll < 0.009:
            counts["replaced"] += 1
            cells[4] = NEW_DAY
            out.append("\t".join([c1, c2, "", NEW_DAY, "*", "1" if mi == "0" else "0", rat]))
        elif roll < 0.0095 and not over[(c1, c2)]:
            counts["dropped"] += 1
            continue
        elif roll < 0.0105:
            counts["rationale"] += 1
            cells[6] = gen_cms.RATIONALES[(gen_cms.RATIONALES.index(rat) + 1) % len(gen_cms.RATIONALES)]
        elif over[(c1, c2)] and (not ended or ended[-1][:2] != cells[:2]):
            ended.append(cells)  # one row a pair
        out.append("\t".join(cells))
    for cells in rng.sample(ended, min(len(ended), len(lines) // 2000)):
        counts["re-added"] += 1
        out.append("\t".join([cells[0], cells[1], "", NEW_DAY, "*", cells[5], cells[6]]))
    column1 = sorted({c1 for c1, _ in pairs})
    codes = gen_cms.all_codes()
    target = len(lines) // 100
    while counts["added"] < target:
        c1, c2 = rng.choice(column1), rng.choice(codes)
        if c1 == c2 or (c1, c2) in pairs:
            continue
        pairs.add((c1, c2))
        counts["added"] += 1
        mi = "0" if rng.random() < 0.35 else "1"
        out.append("\t".join([c1, c2, "", NEW_DAY, "*", mi, rng.choice(gen_cms.RATIONALES)]))
    out.sort(key=lambda line: (*_fields(line)[:2], _fields(line)[3]))
    return out, counts


def write_ptp(folder: Path, lines: list[str], quarter: str, version: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    import zipfile

    for number, part in enumerate(gen_cms.split(lines, 4), 1):
        name = f"ccipra-{version}-f{number}"
        path = folder / f"medicare-ncci-{quarter}-practitioner-ptp-edits-{name}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            z.writestr(f"{name}.TXT", gen_cms.ptp_text(part))


def _csv_lines(path: Path) -> list[str]:
    return path.read_bytes().decode("latin-1").split(gen_cms.CRLF)


def mutate_mue(lines: list[str], rng: random.Random) -> tuple[list[str], dict[str, int]]:
    counts = {"lowered": 0, "raised": 0, "indicator": 0}
    out = []
    indicators = ["1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical"]
    for line in lines:
        cells = line.split(",")
        if len(cells) != 4 or not cells[1].isdigit():
            out.append(line)
            continue
        roll = rng.random()
        value = int(cells[1])
        if roll < 0.01 and value > 1:
            counts["lowered"] += 1
            cells[1] = str(value - 1)
        elif roll < 0.02:
            counts["raised"] += 1
            cells[1] = str(value + 1)
        elif roll < 0.025:
            counts["indicator"] += 1
            cells[2] = indicators[(indicators.index(cells[2]) + 1) % 3]
        out.append(",".join(cells))
    return out, counts


def mutate_rvu(lines: list[str], rng: random.Random) -> tuple[list[str], dict[str, int]]:
    counts = {"status": 0, "work": 0, "global": 0, "bilateral": 0}
    out = []
    for line in lines:
        cells = line.split(",")
        if len(cells) < 20 or not cells[0] or cells[0] == "HCPCS":
            out.append(line)
            continue
        roll = rng.random()
        if roll < 0.005:
            counts["status"] += 1
            cells[3] = "B" if cells[3] != "B" else "A"
        elif roll < 0.05:
            counts["work"] += 1
            cells[5] = f"{float(cells[5]) * 1.02:.2f}"
        elif roll < 0.055:
            counts["global"] += 1
            cells[14] = "010" if cells[14] != "010" else "090"
        elif roll < 0.06:
            counts["bilateral"] += 1
            cells[19] = "1" if cells[19] != "1" else "3"
        out.append(",".join(cells))
    return out, counts


def aoc_rows(rng: random.Random, codes: list[str]) -> list[list[Any]]:
    """The rows gen_cms.write_aoc writes (captured, not written)."""
    captured: list[list[Any]] = []
    original = gen_cms.xlsx

    def capture(rows: list[list[Any]]) -> bytes:
        captured.extend(rows)
        return b""

    gen_cms.xlsx = capture
    try:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:  # write_aoc writes its (empty) file there
            gen_cms.write_aoc(Path(folder), rng, codes)
    finally:
        gen_cms.xlsx = original
    return captured


def mutate_aoc(rows: list[list[Any]], rng: random.Random, codes: list[str]) -> tuple[list[list[Any]], dict[str, int]]:
    counts = {"primary-deleted": 0, "primary-dropped": 0, "primary-added": 0}
    out: list[list[Any]] = []
    new_day = gen_cms.julian(int(NEW_DAY))
    for row in rows:
        if not isinstance(row[0], int) or row[0] == 2:
            out.append(row)
            continue
        roll = rng.random()
        if roll < 0.01 and row[6] is None:
            counts["primary-deleted"] += 1
            out.append([*row[:6], new_day, row[7]])
            continue
        if roll < 0.015:
            counts["primary-dropped"] += 1
            continue
        out.append(row)
        if roll > 0.985:
            counts["primary-added"] += 1
            out.append([row[0], row[1], None, rng.choice(codes), None, new_day, None, None])
    return out, counts


def generate(out: Path, rows: int = 1_250_000, seed: int = 20261127) -> dict[str, Any]:
    """Write ``out/q3`` and ``out/q4`` (each ``ptp/`` and ``other/``); returns the counts of changes made."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data
    old = gen_cms.ptp_rows(rng, rows)
    new, ptp_counts = mutate_ptp(old, rng)
    write_ptp(out / "q3" / "ptp", old, "2026q3", "v322r0")
    write_ptp(out / "q4" / "ptp", new, "2026q4", "v323r0")
    codes = sorted(rng.sample(gen_cms.all_codes(), 20_000))
    q3, q4 = out / "q3" / "other", out / "q4" / "other"
    q3.mkdir(parents=True, exist_ok=True)
    q4.mkdir(parents=True, exist_ok=True)
    mue = gen_cms.write_mue(q3, rng, codes)
    mue_lines = _csv_lines(mue)
    mue.rename(q3 / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
    new_mue, mue_counts = mutate_mue(mue_lines, rng)
    (q4 / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv").write_bytes(gen_cms.CRLF.join(new_mue).encode("latin-1"))
    aoc = aoc_rows(rng, codes)
    (q3 / "AOC_V2026Q3-MCR.xlsx").write_bytes(gen_cms.xlsx(aoc))
    new_aoc, aoc_counts = mutate_aoc(aoc, rng, codes)
    (q4 / "AOC_V2026Q4-MCR.xlsx").write_bytes(gen_cms.xlsx(new_aoc))
    rvu = gen_cms.write_rvu(q3, rng, codes[:18_000])
    rvu_lines = _csv_lines(rvu)
    text = gen_cms.CRLF.join(rvu_lines).replace("October release", "July release")
    rvu.unlink()
    (q3 / "PPRRVU2026_Jul_nonQPP.csv").write_bytes(text.encode("latin-1"))
    new_rvu, rvu_counts = mutate_rvu(rvu_lines, rng)
    (q4 / "PPRRVU2026_Oct_nonQPP.csv").write_bytes(gen_cms.CRLF.join(new_rvu).encode("latin-1"))
    return {
        "ptp_rows_old": len(old),
        "ptp_rows_new": len(new),
        "ptp": ptp_counts,
        "mue": mue_counts,
        "aoc": aoc_counts,
        "rvu": rvu_counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_250_000)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    print(generate(args.out, args.rows, args.seed))


if __name__ == "__main__":
    main()
