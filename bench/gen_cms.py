"""Write a full-size synthetic set of the CMS tables, in the layouts of the downloads, for
bench/bench_cms.py: made-up codes only (``0000X``..``9999W``: five characters ending in W, X, Y or
Z, which no CPT or HCPCS code does), placeholder texts only, no CMS or AMA text.

- PTP practitioner, version 32.3 revision 0: over 1.2 million rows in four tab-delimited parts
  (Latin-1, CRLF, the preamble and the four-line header), each part in its own zip as CMS ships
  them (``medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r0-f1.zip`` holding
  ``ccipra-v323r0-f1.TXT``); ``--single-zip`` puts the four parts in one zip instead. Column-1
  codes have a skewed number of partners (a few have thousands, most a few dozen); column-2 codes
  are drawn with a skew too; a share of the rows are deleted, some are pre-1996, some pairs have
  a history (an old deleted row and a current one), and indicator-9 rows end on their first day.
- MUE practitioner (CSV), AOC (.xlsx, written with zipfile), PPRRVU (CSV with the split header).

    .venv/bin/python bench/gen_cms.py OUT_DIR [--rows 1250000] [--seed 20261127]
"""

from __future__ import annotations

import argparse
import io
import math
import random
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CRLF = "\r\n"
VERSION = "v323r0"
QUARTER = "2026q4"
RATIONALES = [f"Placeholder rationale {n:02d}" for n in range(14)] + ["Placeholder rationale caf\u00e9"]
PTP_HEAD = [
    "Placeholder notice: synthetic edits for cptref's benchmark; not CMS data, no real codes.\t\t\t\t\t\t",
    "Placeholder title\t\t\t\t\t\t",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
]


def all_codes() -> list[str]:
    return [f"{n:04d}{suffix}" for suffix in "XYZW" for n in range(10_000)]


def quarter_starts() -> list[int]:
    return [year * 10_000 + month * 100 + 1 for year in range(1996, 2027) for month in (1, 4, 7, 10)]


def day_before(ymd: int) -> int:
    year, month = divmod(ymd // 100, 100)
    if month == 1:
        return (year - 1) * 10_000 + 1231
    last = {4: 331, 7: 630, 10: 930}[month]
    return year * 10_000 + last


def ptp_rows(rng: random.Random, target: int) -> list[str]:
    """The rows of the whole table, sorted by column 1 then column 2, as tab-joined lines."""
    codes = all_codes()
    column1 = sorted(rng.sample(codes, 13_000))
    candidates = rng.sample(codes, 26_000)
    weights = [1.0 / (rank + 10) ** 0.9 for rank in range(len(candidates))]
    cumulative = []
    total = 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    raw = [math.exp(rng.gauss(0, 1.3)) for _ in column1]
    scale = target / sum(raw)
    counts = [max(1, min(6_000, round(r * scale))) for r in raw]
    starts = quarter_starts()
    recent = starts[-40:]
    lines: list[str] = []
    for c1, count in zip(column1, counts, strict=True):
        partners = sorted(set(rng.choices(candidates, cum_weights=cumulative, k=count + count // 4 + 2)) - {c1})
        for c2 in partners[:count]:
            roll = rng.random()
            effective = rng.choice(recent) if rng.random() < 0.7 else rng.choice(starts)
            rationale = RATIONALES[rng.randrange(len(RATIONALES))]
            old = "*" if effective == 19960101 and rng.random() < 0.5 else ""
            if roll < 0.04:  # not applicable: deleted on its first day
                lines.append(f"{c1}\t{c2}\t{old}\t{effective}\t{effective}\t9\t{rationale}")
                continue
            indicator = "0" if roll < 0.34 else "1"
            if roll > 0.97 and effective > 19970101:  # a history: an old row ended when this one began
                first = rng.choice([s for s in starts if s < effective])
                lines.append(f"{c1}\t{c2}\t\t{first}\t{day_before(effective)}\t{indicator}\t{rationale}")
            later = [s for s in starts if s > effective]
            if later and rng.random() < 0.25:
                end = str(day_before(rng.choice(later)))
            else:
                end = "*"
            lines.append(f"{c1}\t{c2}\t{old}\t{effective}\t{end}\t{indicator}\t{rationale}")
    return lines


def split(lines: list[str], parts: int) -> list[list[str]]:
    """Four parts of about equal size, a column-1 code never split across two."""
    out: list[list[str]] = []
    size = len(lines) // parts
    start = 0
    for part in range(parts):
        end = len(lines) if part == parts - 1 else start + size
        while end < len(lines) and lines[end].split("\t", 1)[0] == lines[end - 1].split("\t", 1)[0]:
            end += 1
        out.append(lines[start:end])
        start = end
    return out


def ptp_text(lines: list[str]) -> bytes:
    return (CRLF.join(PTP_HEAD + lines) + CRLF).encode("latin-1")


def write_ptp(out: Path, rng: random.Random, rows: int, single_zip: bool) -> tuple[list[Path], int]:
    lines = ptp_rows(rng, rows)
    parts = split(lines, 4)
    paths = []
    folder = out / "ptp"
    folder.mkdir(parents=True, exist_ok=True)
    if single_zip:
        path = folder / f"medicare-ncci-{QUARTER}-practitioner-ptp-edits-ccipra-{VERSION}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for number, part in enumerate(parts, 1):
                z.writestr(f"ccipra-{VERSION}-f{number}.TXT", ptp_text(part))
        paths.append(path)
    else:
        for number, part in enumerate(parts, 1):
            name = f"ccipra-{VERSION}-f{number}"
            path = folder / f"medicare-ncci-{QUARTER}-practitioner-ptp-edits-{name}.zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
                z.writestr(f"{name}.TXT", ptp_text(part))
            paths.append(path)
    return paths, len(lines)


def write_mue(out: Path, rng: random.Random, codes: list[str]) -> Path:
    indicators = ["1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical"]
    lines = [
        "\"Placeholder notice: synthetic MUE values for cptref's benchmark.",
        "",
        'Not CMS data; no real codes.",,,',
        '"HCPCS/',
        'CPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale',
    ]
    for code in codes:
        value = rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 6, 10, 50])
        lines.append(f"{code},{value},{rng.choice(indicators)},{rng.choice(RATIONALES)}")
    path = out / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
    path.write_bytes((CRLF.join(lines) + CRLF).encode("utf-8"))
    return path


def xlsx(rows: list[list[str | int | None]]) -> bytes:
    """A one-sheet workbook (inline strings), the XML parts Excel needs and no more."""
    body = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            if value is None:
                continue
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}" xmlns:r="{rel}">'
            '<sheets><sheet name="AOC" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml", f'<worksheet xmlns="{ns}"><sheetData>{"".join(body)}</sheetData></worksheet>'
        )
    return buffer.getvalue()


def julian(ymd: int) -> int:
    import datetime

    day = datetime.date(ymd // 10_000, ymd // 100 % 100, ymd % 100)
    return day.year * 1000 + day.timetuple().tm_yday


def write_aoc(out: Path, rng: random.Random, codes: list[str]) -> Path:
    rows: list[list[str | int | None]] = [
        ["Placeholder notice: synthetic add-on edits for cptref's benchmark; not CMS data."],
        [
            "AOC_Edit_Type",
            "Add-On_Code",
            "AOC_DelDT",
            "Primary_Code",
            "Primary_Code_DelDT",
            "AOC_Edit_EffDT",
            "AOC_Edit_DelDT",
            "Special_Instruction_Notes",
        ],
    ]
    addons = rng.sample(codes, 650)
    starts = quarter_starts()[-60:]
    for addon in sorted(addons):
        kind = rng.choices([1, 2, 3], weights=[80, 12, 8])[0]
        if kind == 2:
            rows.append([2, addon, None, "CCCCC", None, julian(rng.choice(starts)), None, "Placeholder note"])
            continue
        for primary in sorted(rng.sample(codes, rng.randint(1, 20))):
            effective = rng.choice(starts)
            ended = julian(day_before(rng.choice([s for s in starts if s > effective] or [20270101])))
            deleted = ended if rng.random() < 0.1 else None
            rows.append([kind, addon, None, primary, None, julian(effective), deleted, None])
    path = out / "AOC_V2026Q4-MCR.xlsx"
    path.write_bytes(xlsx(rows))
    return path


def write_rvu(out: Path, rng: random.Random, codes: list[str]) -> Path:
    width = 32

    def row(cells: list[str]) -> str:
        return ",".join(cells + [""] * (width - len(cells)))

    header = [
        row(["", "", "2026 synthetic relative value file for cptref's benchmark, October release"]),
        row(["", "", "Placeholder notice: not CMS data; the descriptors are invented."]),
        row([]),
        row([]),
        row(["", "", "RELEASED 00/00/0000"]),
        row([""] * 29 + ["NON-FACILITY", "FACILITY"]),
        row(
            ["", "", "", "", "NOT USED"] + [""] * 21 + ["PHYSICIAN", "", "DIAGNOSTIC", "PE USED", "PE USED", "MP USED"]
        ),
        row(["", "", "", "", "FOR", "", "", "NON-FAC", "", "FACILITY"] + [""] * 16 + ["SUPERVISION OF", "", "IMAGING"]),
        row(
            [
                "",
                "",
                "",
                "STATUS",
                "MEDICARE",
                "WORK",
                "NON-FAC",
                "NA",
                "FACILITY",
                "NA",
                "MP",
                "NON-FACILITY",
                "FACILITY",
                "PCTC",
                "GLOB",
                "PRE",
                "INTRA",
                "POST",
                "MULT",
                "BILAT",
                "ASST",
                "CO-",
                "TEAM",
                "",
                "ENDO",
                "CONV",
                "DIAGNOSTIC",
                "CALCULATION",
                "FAMILY",
                "PAYMENT",
                "PAYMENT",
                "PAYMENT",
            ]
        ),
        row(
            [
                "HCPCS",
                "MOD",
                "DESCRIPTION",
                "CODE",
                "PAYMENT",
                "RVU",
                "PE RVU",
                "INDICATOR",
                "PE RVU",
                "INDICATOR",
                "RVU",
                "TOTAL",
                "TOTAL",
                "IND",
                "DAYS",
                "OP",
                "OP",
                "OP",
                "PROC",
                "SURG",
                "SURG",
                "SURG",
                "SURG",
                "",
                "BASE",
                "FACTOR",
                "PROCEDURES",
                "FLAG",
                "INDICATOR",
                "AMOUNT",
                "AMOUNT",
                "AMOUNT",
            ]
        ),
    ]
    lines = list(header)
    for code in codes:
        glob = rng.choice(["000", "010", "090", "XXX", "XXX", "YYY", "ZZZ", "MMM"])
        modifiers = ["", "26", "TC"] if rng.random() < 0.1 else [""]
        for modifier in modifiers:
            work, pe, mp = rng.random() * 20, rng.random() * 10, rng.random()
            lines.append(
                row(
                    [
                        *(code, modifier, f"Placeholder descriptor {code}", rng.choice("AAAAABCIRTX"), ""),
                        *(f"{work:.2f}", f"{pe:.2f}", "", f"{pe * 0.6:.2f}", "", f"{mp:.2f}"),
                        *(f"{work + pe + mp:.2f}", f"{work + pe * 0.6 + mp:.2f}", rng.choice("0129"), glob),
                        *("0.10", "0.80", "0.10", rng.choice("0239"), rng.choice("01239"), rng.choice("0129")),
                        *(rng.choice("0129"), rng.choice("0129"), "", "", "33.4009", "09", "0", "99"),
                        *("0.00", "0.00", "0.00"),
                    ]
                )
            )
    path = out / "PPRRVU2026_Oct_nonQPP.csv"
    path.write_bytes((CRLF.join(lines) + CRLF).encode("latin-1"))
    return path


def generate(out: Path, rows: int = 1_250_000, seed: int = 20261127, single_zip: bool = False) -> dict[str, object]:
    """Write the tables under ``out`` (``out/ptp`` for the PTP zips, ``out/other`` for the rest)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    ptp, count = write_ptp(out, rng, rows, single_zip)
    other = out / "other"
    other.mkdir(parents=True, exist_ok=True)
    codes = sorted(rng.sample(all_codes(), 20_000))
    write_mue(other, rng, codes)
    write_aoc(other, rng, codes)
    write_rvu(other, rng, codes[:18_000])
    return {"ptp_rows": count, "ptp_files": [p.name for p in ptp], "codes": len(codes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_250_000, help="PTP rows to aim at (default 1,250,000)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--single-zip", action="store_true", help="the four PTP parts in one zip")
    args = parser.parse_args()
    print(generate(args.out, args.rows, args.seed, args.single_zip))


if __name__ == "__main__":
    main()
