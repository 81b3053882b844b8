"""``check --file`` on X12 837 files: chosen by name or by content, each claim checked in the setting
its guide names (837P practitioner, 837I outpatient hospital), every claim and service line in the
summary, a problem reported with its position and the exit status of malformed input. Made-up files
only (``tests/fixtures/x12``, and made-up codes of ``tests/fixtures/check`` with its CMS tables)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cptref.check import BadLine, BatchClaim, read_claims
from tests.check.inputs.test_x12 import I, P, replace
from tests.conftest import FIXTURES, Run

Cli = Callable[..., Run]
DATA = ("--data", str(FIXTURES / "check"))


def made_up(data: bytes) -> bytes:
    """The fixture 837's first claim as two made-up codes the fixture CMS tables edit (0001X, 0002X-59)
    on a date of their quarter (2026 Q4); the other claims left as they are."""
    if b"SV1*" in data:
        data = replace(data, b"SV1*HC:47555*900*UN*1***1~", b"SV1*HC:0001X*900*UN*1***1~")
        data = replace(data, b"SV1*HC:47542:59*400*UN*2***1~", b"SV1*HC:0002X:59*400*UN*1***1~")
        data = replace(data, b"LX*3~\nSV1*HC:74328:26*200*UN*1*21**1~\nDTP*472*D8*20260115~\n", b"")
        return data.replace(b"DTP*472*D8*20260115~", b"DTP*472*D8*20261127~")
    data = replace(data, b"SV2*0360*HC:47555*1500*UN*1~", b"SV2*0360*HC:0001X*1500*UN*1~")
    data = replace(data, b"SV2*0320*HC:74328:26*400*UN*1~", b"SV2*0320*HC:0002X:59*400*UN*1~")
    return replace(data, b"DTP*434*RD8*20260112-20260112~", b"DTP*434*RD8*20261127-20261127~")


@pytest.mark.parametrize(("data", "severity"), [(P, "error"), (I, "info")])
def test_each_claim_is_checked_in_the_setting_its_guide_names(
    cli: Cli, cms_folder: Path, tmp_path: Path, data: bytes, severity: str
) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(made_up(data))
    run = cli("check", "--file", str(path), "--jsonl", "--cms", str(cms_folder), *DATA)
    first = json.loads(run.out.splitlines()[0])
    [edit] = [f for f in first["findings"] if f["rule"] == "ncci-ptp"]
    # practitioner: modifier indicator 0 (59 cannot break it); outpatient hospital: 1 (59 breaks it)
    assert edit["severity"] == severity, run.out


def test_an_837_is_recognised_by_its_first_bytes_whatever_its_name(cli: Cli, tmp_path: Path) -> None:
    for name in ("claims.837", "claims.x12", "claims.edi", "claims.txt"):
        path = tmp_path / name
        path.write_bytes(P)
        run = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl")
        assert [json.loads(line)["id"] for line in run.out.splitlines()] == [
            "PCN-1001",
            "PCN-1002",
            "PCN-1002",  # a claim of two dates of service: one line a date
            "PCN-1003",
        ], (name, run.err)
    piped = cli("check", "--file", "-", "--jsonl", stdin=P.replace(b"~\n", b"~"))  # one line, from stdin
    assert len(piped.out.splitlines()) == 4, piped.err


def test_the_summary_accounts_for_every_claim_and_service_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(I)
    run = cli("check", "--file", str(path), "--format", "csv", "--fields", "rule")
    assert run.code == 0, run.err
    [summary] = run.err.splitlines()
    assert "X12 837: 2 claims (CLM) in 1 transaction set: 2 read into 3 checked parts" in summary
    assert "5 service lines: 4 read, 1 without a procedure code" in summary and "0 problems" in summary
    assert [row.split(",")[0] for row in run.out.splitlines()[1:]] == ["HOSP-2001", "HOSP-2002", "HOSP-2002"]


def test_a_malformed_segment_is_reported_with_its_position_and_exit_4(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(replace(P, b"DTP*472*D8*20260117~", b"D@P*472*D8*20260117~"))
    run = cli("check", "--file", str(path), "--jsonl")
    assert run.code == 4
    err = run.err.splitlines()
    assert err[0] == (
        f"cptref: {path}: segment 45 (byte 1207, line 45), claim 'PCN-1002': 'D@P' is not a segment identifier "
        "(a capital letter, then one or two capitals or digits)"
    )
    # the claim that segment was in is not checked on part of its lines: each of its dates says so
    assert (
        err[1]
        == err[2]
        == (
            f"cptref: {path}: segment 38 (byte 1066, line 38), claim 'PCN-1002': not checked, the claim was not read "
            "whole: segment 45 (byte 1207, line 45) could not be read"
        )
    )
    assert [json.loads(line)["id"] for line in run.out.splitlines()] == ["PCN-1001", "PCN-1003"]
    assert "3 claims (CLM) in 1 transaction set: 3 read into 4 checked parts" in err[-1]
    assert "2 not read whole, reported" in err[-1] and "3 malformed lines reported" in err[-1]


def test_an_envelope_count_that_does_not_add_up_is_reported_and_the_claims_still_read(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(replace(P, b"SE*56*0001~", b"SE*57*0001~", recount=False))
    run = cli("check", "--file", str(path), "--date", "2026-11-27", "--jsonl")
    assert run.code == 4
    assert "SE01 says '57' segments; transaction set '0001' holds 56" in run.err
    assert len(run.out.splitlines()) == 4


def test_a_claim_with_no_service_line_is_reported_not_checked_on_nothing(cli: Cli, tmp_path: Path) -> None:
    data = replace(P, b"LX*1~\nSV1*HC:47542*300*UN*1***1~\nDTP*472*D8*20260118~\n", b"")
    items = list(read_claims(iter([data]), fmt="x12"))
    [bad] = [i for i in items if isinstance(i, BadLine)]
    assert "PCN-1003" in bad.message and [i.id for i in items if isinstance(i, BatchClaim)] == [
        "PCN-1001",
        "PCN-1002",
        "PCN-1002",
    ]
    path = tmp_path / "claims.837"
    path.write_bytes(data)
    run = cli("check", "--file", str(path), "--jsonl")
    assert run.code == 4 and "PCN-1003" in run.err and "PCN-1003" not in run.out


def test_read_claims_reads_an_837_file_object_whole_never_in_bounded_lines(tmp_path: Path) -> None:
    path = tmp_path / "one-line.837"
    long_claims = P.replace(b"~\n", b"~") + b" " * 1_100_000  # one line longer than a batch line may be
    path.write_bytes(long_claims)
    with path.open("rb") as stream:
        items = list(read_claims(stream, path.name))
    assert [type(i).__name__ for i in items] == ["BatchClaim"] * 4 + ["BadLine"] * 0 or all(
        isinstance(i, BatchClaim | BadLine) for i in items
    )
    assert sum(isinstance(i, BatchClaim) for i in items) == 4


def test_an_837_given_as_lines_is_read_as_one_file_and_a_line_cut_short_stops_it_said() -> None:
    from cptref.check.inputs.base import TOO_LONG

    lines = P.splitlines(keepends=True)
    assert [type(i).__name__ for i in read_claims(lines)] == ["BatchClaim"] * 4
    cut = list(read_claims([*lines[:30], TOO_LONG, *lines[30:]]))
    assert not any(isinstance(i, BatchClaim) and i.id == "PCN-1003" for i in cut)  # nothing after the cut
    last = cut[-1]
    assert isinstance(last, BadLine) and last.line == 31 and "name the file instead" in last.message
