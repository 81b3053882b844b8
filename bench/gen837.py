"""Write a made-up X12 5010 837 file (professional or institutional) of N claims, for benchmarks.

Every name, id and number is invented: a billing clinic "DEMO CLINIC", subscribers "PATIENT<n>",
the payer "DEMO PAYER". One interchange, one functional group, and a transaction set (ST/SE) every
``--per-st`` claims (the implementation guides recommend at most 5,000 claims a transaction).

    python bench/gen837.py --kind P --claims 100000 -o /tmp/p100k.837
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

GUIDE = {"P": "005010X222A1", "I": "005010X223A2"}
LINES = [
    ("47555", (), 1),
    ("47542", ("59",), 2),
    ("77002", ("26",), 1),
    ("50432", ("RT",), 1),
    ("74425", ("26", "59"), 1),
]


def _service(kind: str, index: int, line_no: int) -> list[str]:
    code, mods, units = LINES[(index + line_no) % len(LINES)]
    comp = ":".join(("HC", code, *mods))
    if kind == "P":
        return [f"LX*{line_no + 1}", f"SV1*{comp}*125*UN*{units}***1", "DTP*472*D8*20260110"]
    return [f"LX*{line_no + 1}", f"SV2*0360*{comp}*125*UN*{units}", "DTP*472*D8*20260110"]


def _claim(kind: str, index: int, hl: int, lines: int) -> list[str]:
    segs = [
        f"HL*{hl}*1*22*0",
        "SBR*P*18*******CI" if kind == "P" else "SBR*P*18*******MC",
        f"NM1*IL*1*PATIENT{index}*DEMO****MI*M{index:09d}",
        "N3*1 TEST ST",
        "N4*SPRINGFIELD*IL*627010000",
        "DMG*D8*19700101*F",
        "NM1*PR*2*DEMO PAYER*****PI*12345",
    ]
    total = 125 * lines
    if kind == "P":
        segs += [f"CLM*C{index:09d}*{total}***11:B:1*Y*A*Y*Y", "HI*ABK:K8050"]
    else:
        segs += [
            f"CLM*C{index:09d}*{total}***13:A:1**A*Y*Y",
            "DTP*434*RD8*20260110-20260110",
            "CL1*1*1*01",
            "HI*ABK:K8050",
            "NM1*71*1*DOCTOR*DEMO****XX*1234567893",
        ]
    for n in range(lines):
        segs += _service(kind, index, n)
    return segs


def generate(kind: str, claims: int, lines: int = 2, per_st: int = 5000, newline: bool = True) -> Iterator[str]:
    """The segments (with their terminators) of a made-up 837 file."""
    end = "~\n" if newline else "~"
    guide = GUIDE[kind]
    yield (
        "ISA*00*          *00*          *ZZ*DEMOSUBMITTER  *ZZ*DEMORECEIVER   *260115*1200*^*00501*000000001*0*T*:"
        + end
    )
    yield f"GS*HC*DEMOSUBMITTER*DEMORECEIVER*20260115*1200*1*X*{guide}{end}"
    sets = 0
    for start in range(0, claims, per_st):
        sets += 1
        control = f"{sets:04d}"
        body = [
            f"ST*837*{control}*{guide}",
            f"BHT*0019*00*B{control}*20260115*1200*CH",
            "NM1*41*2*DEMO BILLING*****46*DEMO01",
            "PER*IC*DEMO CONTACT*TE*5555550100",
            "NM1*40*2*DEMO PAYER*****46*DEMO02",
            "HL*1**20*1",
            "NM1*85*2*DEMO CLINIC*****XX*1234567893",
            "N3*100 MAIN ST",
            "N4*SPRINGFIELD*IL*627010000",
            "REF*EI*123456789",
        ]
        for hl, index in enumerate(range(start, min(claims, start + per_st)), 2):
            body += _claim(kind, index, hl, lines)
        body.append(f"SE*{len(body) + 1}*{control}")
        for seg in body:
            yield seg + end
    yield f"GE*{sets}*1{end}"
    yield f"IEA*1*000000001{end}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=["P", "I"], default="P")
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=2, help="service lines a claim")
    parser.add_argument("--per-st", type=int, default=5000)
    parser.add_argument("--one-line", action="store_true", help="no line break after each segment")
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args()
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="ascii")  # noqa: SIM115
    with out:
        for seg in generate(args.kind, args.claims, args.lines, args.per_st, not args.one_line):
            out.write(seg)


if __name__ == "__main__":
    main()
