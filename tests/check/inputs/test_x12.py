"""The 837 reader: claims, lines, dates and settings; every claim and line accounted for; envelopes
checked; delimiters from the ISA; bounded; and the same check results as the same claims written
as JSON Lines.

The files under ``tests/fixtures/x12`` are written by hand in X12 5010 syntax; every name, id and number in
them is made up. ``837p.x12`` is a professional claim file (005010X222A1) of three claims, one of
them on two dates of service; ``837i.x12`` an institutional one (005010X223A2) of two claims, one
dated by its one-day statement period only, with a revenue line without a procedure code.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cptref.check.inputs.x12 import data as x12_data
from cptref.check.inputs.x12 import tokens as x12_tokens
from cptref.check.inputs.x12.data import Limits, X12Claim, X12Problem
from cptref.check.inputs.x12.reader import items, read_x12
from cptref.library.catalog import Catalog
from tests.conftest import FIXTURES, ROOT

DATA = FIXTURES / "x12"
P = (DATA / "837p.x12").read_bytes()
I = (DATA / "837i.x12").read_bytes()  # noqa: E741 (the 837I, beside the 837P)


def read(
    data: bytes, limits: Limits = x12_data.DEFAULT_LIMITS
) -> tuple[list[X12Claim], list[X12Problem], x12_data.X12Tally]:
    reader = read_x12(data, limits)
    found = list(reader)
    claims = [item for item in found if isinstance(item, X12Claim)]
    problems = [item for item in found if isinstance(item, X12Problem)]
    assert reader.tally.balanced(), reader.tally
    assert reader.tally.problems == len(problems)
    assert reader.tally.items == len(claims)
    return claims, problems, reader.tally


def summary(claims: Iterable[X12Claim]) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [(c.id, c.date.isoformat() if c.date else None, c.codes) for c in claims]


def replace(data: bytes, old: bytes, new: bytes, recount: bool = True) -> bytes:
    """``data`` with ``old`` (found once) replaced by ``new``; SE01 counted again (``~`` and a line
    break end each segment of the test files), unless ``recount`` is False."""
    assert data.count(old) == 1, old
    data = data.replace(old, new)
    if not recount:
        return data
    segments = data.split(b"~\n")
    start = 0
    for index, seg in enumerate(segments):
        if seg.startswith(b"ST*"):
            start = index
        elif seg.startswith(b"SE*"):
            parts = seg.split(b"*")
            parts[1] = str(index - start + 1).encode()
            segments[index] = b"*".join(parts)
    return b"~\n".join(segments)


def segment_of(data: bytes, text: bytes) -> tuple[int, int, int]:
    """The number, byte offset and line of the segment that begins with ``text`` (one a line)."""
    offset = data.index(b"\n" + text) + 1
    line = data.count(b"\n", 0, offset) + 1
    return line, offset, line


# --- what is read -----------------------------------------------------------------------------


def test_a_professional_file_gives_each_claim_its_lines_modifiers_units_and_dates() -> None:
    claims, problems, tally = read(P)
    assert problems == []
    assert summary(claims) == [
        ("PCN-1001", "2026-01-15", ("47555", "47542-59x2", "74328-26")),
        ("PCN-1002", "2026-01-16", ("50432-RT",)),
        ("PCN-1002", "2026-01-17", ("50432-LT",)),
        ("PCN-1003", "2026-01-18", ("47542",)),
    ]
    first = claims[0]
    assert first.setting == "practitioner"
    assert first.guide == "005010X222A1"
    assert first.place_of_service == "22"
    assert first.frequency == "1"
    assert first.bill_type is None
    assert [line.place_of_service for line in first.lines] == [None, None, "21"]  # SV105
    assert [line.number for line in first.lines] == ["1", "2", "3"]
    assert first.lines[1].modifiers == ("59",)
    assert first.lines[1].units == 2
    assert first.at == x12_data.Position(*segment_of(P, b"CLM*PCN-1001"))
    assert first.lines[1].at == x12_data.Position(*segment_of(P, b"SV1*HC:47542:59"))
    assert [(c.part, c.parts) for c in claims] == [(1, 1), (1, 2), (2, 2), (1, 1)]
    assert (tally.claims_in, tally.claims_read, tally.items) == (3, 3, 4)
    assert (tally.lines_in, tally.lines_read, tally.uncoded, tally.lines_lost) == (6, 6, 0, 0)
    assert (tally.interchanges, tally.groups, tally.transactions, tally.segments) == (1, 1, 1, 60)


def test_an_institutional_file_dates_lines_by_a_one_day_statement_and_counts_revenue_lines() -> None:
    claims, problems, tally = read(I)
    assert problems == []
    assert summary(claims) == [
        ("HOSP-2001", "2026-01-12", ("47555", "74328-26")),  # no DTP*472: the one-day statement period
        ("HOSP-2002", "2026-01-13", ("50432-RT",)),
        ("HOSP-2002", "2026-01-14", ("50432-LT",)),
    ]
    first = claims[0]
    assert first.setting == "outpatient_hospital"
    assert first.guide == "005010X223A2"
    assert first.bill_type == "131"
    assert first.place_of_service is None
    assert first.uncoded == 1  # SV2*0250 without a procedure code
    assert [line.revenue_code for line in first.lines] == ["0360", "0320"]
    assert (tally.lines_in, tally.lines_read, tally.uncoded) == (5, 4, 1)


def test_a_claim_level_date_of_service_dates_the_lines_without_their_own() -> None:
    data = replace(P, b"HI*ABK:N200~\n", b"HI*ABK:N200~\nDTP*472*D8*20260110~\n")
    data = replace(data, b"DTP*472*D8*20260117~\n", b"")
    claims, problems, _ = read(data)
    assert problems == []
    assert summary(claims)[1:3] == [
        ("PCN-1002", "2026-01-16", ("50432-RT",)),  # its own date first
        ("PCN-1002", "2026-01-10", ("50432-LT",)),  # else the claim's
    ]


def test_a_line_with_no_date_in_a_statement_of_several_days_has_none() -> None:
    """As a CSV claim without a date: cptref reports it, or checks it on --date."""
    data = replace(I, b"DTP*472*D8*20260114~\n", b"")
    claims, problems, _ = read(data)
    assert problems == []
    assert summary(claims)[1:] == [("HOSP-2002", "2026-01-13", ("50432-RT",)), ("HOSP-2002", None, ("50432-LT",))]


def test_a_range_of_dates_on_a_line_is_dated_by_its_first_day_and_keeps_its_last() -> None:
    data = replace(P, b"DTP*472*D8*20260118~", b"DTP*472*RD8*20260118-20260120~")
    claims, _, _ = read(data)
    line = claims[-1].lines[0]
    assert (line.date, line.date_to) == (datetime.date(2026, 1, 18), datetime.date(2026, 1, 20))


def test_the_setting_is_told_by_the_guide_st03_first_then_gs08() -> None:
    no_st03 = replace(P, b"ST*837*0001*005010X222A1~", b"ST*837*0001~")
    claims, problems, _ = read(no_st03)
    assert problems == []
    assert {c.setting for c in claims} == {"practitioner"}
    mixed = replace(I, b"ST*837*0001*005010X223A2~", b"ST*837*0001*005010X222A1~")
    claims, problems, _ = read(mixed)
    assert [p.kind for p in problems] == ["guide-mismatch"]
    assert {c.setting for c in claims} == {"practitioner"}  # ST03 is read


def test_a_guide_not_read_here_costs_its_claims_in_one_problem() -> None:
    dental = replace(P, b"ST*837*0001*005010X222A1~", b"ST*837*0001*005010X224A2~")
    dental = replace(dental, b"005010X222A1~\nST", b"005010X224A2~\nST")
    claims, problems, tally = read(dental)
    assert claims == []
    assert [(p.kind, p.claims, p.lines) for p in problems] == [("unsupported-guide", 3, 6)]
    assert "005010X224A2" in problems[0].message
    assert (tally.claims_lost, tally.lines_lost) == (3, 6)


def test_two_groups_of_one_interchange_keep_their_own_settings() -> None:
    p_group = P[P.index(b"GS*") : P.index(b"IEA*")]
    i_group = I[I.index(b"GS*") : I.index(b"IEA*")]
    data = P[: P.index(b"GS*")] + p_group + i_group.replace(b"*202*", b"*203*").replace(b"GE*1*202", b"GE*1*203")
    data += b"IEA*2*000000101~\n"
    claims, problems, tally = read(data)
    assert problems == []
    assert [c.setting for c in claims] == ["practitioner"] * 4 + ["outpatient_hospital"] * 3
    assert tally.groups == 2


def test_units_written_with_decimals_are_read_when_whole() -> None:
    data = replace(P, b"SV1*HC:47542:59*400*UN*2***1~", b"SV1*HC:47542:59*400*UN*2.000***1~")
    claims, problems, _ = read(data)
    assert problems == []
    assert claims[0].codes == ("47555", "47542-59x2", "74328-26")


def test_lowercase_codes_and_four_modifiers_read_as_cptref_reads_them() -> None:
    data = replace(P, b"SV1*HC:47555*900", b"SV1*HC:47555:rt:59:xs:76*900")
    claims, _, _ = read(data)
    assert claims[0].codes[0] == "47555-RT-59-XS-76"


@pytest.mark.parametrize(
    ("segment", "kind", "words"),
    [
        (b"SV1*HC:47542:59*400*UN*1.5***1~", "bad-units", "not a whole number"),
        (b"SV1*HC:47542:59*400*UN*0***1~", "bad-units", "at least one unit"),
        (b"SV1*HC:47542:59*400*UN****1~", "bad-units", "no units"),
        (b"SV1*HC:47542:59*400*UN*1E2***1~", "bad-units", "not a number"),
        (b"SV1*HC:47542:59*400*UN*1234567***1~", "bad-units", "more than 999999"),
        (b"SV1*HC:47542:59*400*MJ*45***1~", "bad-units", "'MJ'"),
        (b"SV1*ER:47542:59*400*UN*2***1~", "not-hcpcs", "'ER', not HC"),
        (b"SV1*HC:4754X2*400*UN*2***1~", "bad-line", "not a CPT or HCPCS code"),
        (b"SV1*HC:47542:5-9*400*UN*2***1~", "bad-line", "modifier '5-9'"),
    ],
)
def test_a_service_line_that_cannot_be_checked_is_a_problem_and_its_claim_incomplete(
    segment: bytes, kind: str, words: str
) -> None:
    data = replace(P, b"SV1*HC:47542:59*400*UN*2***1~", segment)
    claims, problems, tally = read(data)
    assert [(p.kind, p.claim, p.lines) for p in problems] == [(kind, "PCN-1001", 1)]
    assert words in problems[0].message
    assert problems[0].at == x12_data.Position(*segment_of(data, segment))
    assert claims[0].codes == ("47555", "74328-26")  # the rest of the claim is read
    assert claims[0].incomplete and words in claims[0].incomplete[0]
    assert [c.incomplete for c in claims[1:]] == [(), (), ()]
    assert (tally.lines_read, tally.lines_lost, tally.incomplete) == (5, 1, 1)


def test_a_malformed_segment_in_the_middle_is_reported_where_it_is_and_the_rest_is_read() -> None:
    data = replace(P, b"SV1*HC:50432:LT", b"S@1*HC:50432:LT")
    claims, problems, tally = read(data)
    number, offset, line = segment_of(data, b"S@1*")
    assert [(p.kind, p.at, p.claim) for p in problems] == [
        ("malformed-segment", x12_data.Position(number, offset, line), "PCN-1002")
    ]
    assert "'S@1' is not a segment identifier" in str(problems[0])
    assert f"segment {number} (byte {offset}, line {line})" in str(problems[0])
    assert summary(claims) == [
        ("PCN-1001", "2026-01-15", ("47555", "47542-59x2", "74328-26")),
        ("PCN-1002", "2026-01-16", ("50432-RT",)),
        ("PCN-1003", "2026-01-18", ("47542",)),
    ]
    assert claims[1].incomplete == (f"segment {number} (byte {offset}, line {line}) could not be read",)
    assert tally.lines_in == 5  # the broken segment is not known to have been a service line


def test_a_claim_whose_clm_cannot_be_read_costs_itself_and_its_lines_and_no_other() -> None:
    data = replace(P, b"CLM*PCN-1002*800", b"CLM*PCN-10\xe902*800")
    claims, problems, tally = read(data)
    assert [(p.kind, p.claims, p.lines) for p in problems] == [("bad-claim", 1, 2)]
    assert "not ASCII" in problems[0].message
    assert [c.id for c in claims] == ["PCN-1001", "PCN-1003"]
    assert (tally.claims_in, tally.claims_read, tally.claims_lost, tally.lines_lost) == (3, 2, 1, 2)


def test_a_claim_with_an_empty_id_or_a_bad_claim_date_is_not_read() -> None:
    data = replace(P, b"CLM*PCN-1003*", b"CLM**")
    data = replace(data, b"HI*ABK:N200~\n", b"HI*ABK:N200~\nDTP*472*D8*20261341~\n")
    claims, problems, _ = read(data)
    assert sorted((p.kind, p.claims, p.lines) for p in problems) == [("bad-claim", 1, 1), ("bad-date", 1, 2)]
    assert [c.id for c in claims] == ["PCN-1001"]


def test_a_bad_line_date_costs_the_line() -> None:
    data = replace(P, b"DTP*472*D8*20260117~", b"DTP*472*D8*2026-01-17~")
    claims, problems, _ = read(data)
    assert [(p.kind, p.lines) for p in problems] == [("bad-date", 1)]
    assert summary(claims)[1:] == [("PCN-1002", "2026-01-16", ("50432-RT",)), ("PCN-1003", "2026-01-18", ("47542",))]


def test_a_claim_with_no_procedure_code_is_a_problem_and_its_revenue_lines_are_counted() -> None:
    data = replace(I, b"SV2*0360*HC:47555*1500*UN*1~", b"SV2*0370**1500*UN*1~")
    data = replace(data, b"SV2*0320*HC:74328:26*400*UN*1~", b"SV2*0320**400*UN*1~")
    claims, problems, tally = read(data)
    assert [(p.kind, p.claim, p.claims, p.lines) for p in problems] == [("no-procedure-code", "HOSP-2001", 1, 0)]
    assert (tally.uncoded, tally.lines_read) == (3, 2)
    assert [c.id for c in claims] == ["HOSP-2002", "HOSP-2002"]


# --- envelopes ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "kind", "words"),
    [
        (b"SE*56*0001~", b"SE*57*0001~", "count-mismatch", "SE01 says '57' segments; transaction set '0001' holds 56"),
        (
            b"GE*1*101~",
            b"GE*2*101~",
            "count-mismatch",
            "GE01 says '2' transaction sets; functional group '101' holds 1",
        ),
        (b"IEA*1*000000101~", b"IEA*3*000000101~", "count-mismatch", "IEA01 says '3' functional groups"),
        (b"SE*56*0001~", b"SE*56*0009~", "control-mismatch", "SE02 '0009' is not the control number of its ST"),
        (b"GE*1*101~", b"GE*1*999~", "control-mismatch", "GE02 '999'"),
        (b"IEA*1*000000101~", b"IEA*1*000000999~", "control-mismatch", "IEA02 '000000999'"),
    ],
)
def test_envelope_counts_and_control_numbers_are_checked(old: bytes, new: bytes, kind: str, words: str) -> None:
    data = replace(P, old, new, recount=False)
    claims, problems, _ = read(data)
    assert [p.kind for p in problems] == [kind]
    assert words in problems[0].message
    assert problems[0].at == x12_data.Position(*segment_of(data, new[:3]))
    assert len(claims) == 4  # every claim is read all the same


def test_a_file_cut_short_reports_its_open_envelopes_and_its_open_claim_as_incomplete() -> None:
    data = P[: P.index(b"DTP*472*D8*20260118~")]
    claims, problems, _tally = read(data)
    assert [p.kind for p in problems] == ["missing-trailer", "missing-trailer", "missing-trailer"]
    assert [c.id for c in claims] == ["PCN-1001", "PCN-1002", "PCN-1002", "PCN-1003"]
    assert claims[-1].incomplete == ("the file ends inside its transaction set (no SE)",)
    cut = P[: P.index(b"DTP*472*D8*20260118~") + 10]  # inside a segment: no terminator
    claims, problems, _ = read(cut)
    assert [p.kind for p in problems] == [
        "bad-date",
        "no-lines",  # its only line is the one cut short
        "missing-trailer",
        "missing-trailer",
        "missing-trailer",
        "truncated",
    ]
    assert (problems[1].claim, problems[1].claims) == ("PCN-1003", 1)


def test_segments_outside_a_transaction_set_are_reported() -> None:
    data = replace(P, b"GE*1*101~", b"CLM*STRAY*1***11:B:1~\nSV1*HC:47555*1*UN*1~\nGE*1*101~")
    claims, problems, tally = read(data)
    assert [(p.kind, p.claims, p.lines) for p in problems] == [("outside-envelope", 1, 0), ("outside-envelope", 0, 1)]
    assert len(claims) == 4
    assert (tally.claims_lost, tally.lines_lost) == (1, 1)


def test_a_transaction_set_that_is_not_an_837_is_skipped_and_said() -> None:
    data = replace(P, b"ST*837*0001*005010X222A1~", b"ST*835*0001*005010X221A1~")
    claims, problems, _ = read(data)
    assert claims == []
    assert [(p.kind, p.claims, p.lines) for p in problems] == [("not-a-claim-set", 3, 6)]


# --- delimiters -------------------------------------------------------------------------------


def test_delimiters_are_taken_from_the_isa() -> None:
    """Element |, component >, repetition !, segment terminator a line break (no ~ at all)."""
    custom = P.replace(b"~\n", b"\n").replace(b"*", b"|").replace(b":", b">").replace(b"|^|", b"|!|")
    assert custom[3:4] == b"|" and custom[104:106] == b">\n"
    claims, problems, _ = read(custom)
    assert problems == []
    assert summary(claims) == summary(read(P)[0])


def test_a_file_on_one_line_and_a_file_with_crlf_read_the_same() -> None:
    expected = summary(read(P)[0])
    one_line, _, _ = read(P.replace(b"~\n", b"~"))
    crlf, problems, _ = read(P.replace(b"~\n", b"~\r\n"))
    assert summary(one_line) == summary(crlf) == expected
    assert problems == []
    assert one_line[0].at.line == 1 and crlf[0].at.line == 20


def test_delimiters_that_are_not_distinct_symbols_are_not_x12() -> None:
    data = P[:104] + b"*~" + P[106:]  # ISA16, the component separator, is the element separator
    _claims, problems, tally = read(data)
    assert [p.kind for p in problems] == ["not-x12"]
    assert "not distinct ASCII symbols" in problems[0].message
    assert tally.stopped


def test_an_isa_of_a_second_interchange_with_other_delimiters_stops_the_reading() -> None:
    second = P.replace(b"*", b"|").replace(b"000000101", b"000000102")
    claims, problems, tally = read(P + second)
    assert len(claims) == 4
    assert problems[0].kind == "malformed-segment" and "other delimiters" in problems[0].message
    assert tally.stopped


# --- what is not X12, and limits ----------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"id,codes,date\nA1,47555 47542-59,2026-01-15\n", b'{"id": 1, "codes": ["47555"]}\n', b"", b"ISA", b"\x00" * 300],
)
def test_a_file_that_is_not_x12_gives_one_clear_message(data: bytes) -> None:
    claims, problems, tally = read(data)
    assert claims == []
    assert len(problems) == 1
    assert problems[0].kind == "not-x12"
    assert str(problems[0]).startswith("the file: not an X12 file")
    assert tally.stopped


def test_is_x12_tells_an_interchange_by_its_first_bytes() -> None:
    assert x12_tokens.is_x12(P[:200])
    assert x12_tokens.is_x12(b"\xef\xbb\xbf\r\n" + P[:200])
    assert not x12_tokens.is_x12(b"ISAAC,47555\n")
    assert not x12_tokens.is_x12(b"id,codes\n")


def test_a_path_over_the_byte_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.x12"
    path.write_bytes(P)
    found = list(read_x12(path, Limits(max_bytes=1000)))
    assert [(p.kind, p.at.segment) for p in found if isinstance(p, X12Problem)] == [("too-large", 0)]
    assert len(found) == 1


def test_a_stream_over_the_byte_limit_stops_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(x12_tokens, "CHUNK", 256)
    reader = read_x12(io.BytesIO(P), Limits(max_bytes=1200))
    found = list(reader)
    problems = [p for p in found if isinstance(p, X12Problem)]
    assert problems[0].kind == "too-large"
    assert reader.tally.stopped and reader.tally.balanced()
    assert all(c.incomplete or c.at.offset < 1200 for c in found if isinstance(c, X12Claim))


def test_a_segment_over_its_limit_is_skipped_without_being_held_and_the_rest_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(x12_tokens, "CHUNK", 64)  # the long segment spans many chunks
    long_name = b"NM1*IL*1*SAMPLE*SAM" + b"X" * 5000 + b"****MI*EX0000002~"
    data = replace(P, b"NM1*IL*1*SAMPLE*SAM****MI*EX0000002~", long_name)
    claims, problems, _ = read(data, Limits(max_segment_bytes=1000))
    assert [p.kind for p in problems] == ["segment-too-long"]
    assert problems[0].at.offset == data.index(b"NM1*IL*1*SAMPLE*SAMX")
    assert len(claims) == 4


def test_a_file_without_a_terminator_after_its_isa_is_read_in_bounded_memory() -> None:
    data = P[:106] + b"GS*HC" + b"A" * 300_000
    claims, problems, _ = read(data, Limits(max_segment_bytes=1000))
    assert claims == []
    assert [p.kind for p in problems] == ["segment-too-long", "missing-trailer"]


def test_segments_over_the_limit_stop_the_reading() -> None:
    claims, problems, tally = read(P, Limits(max_segments=43))  # the first line of PCN-1002 is read
    assert [p.kind for p in problems] == ["too-many-segments"]
    assert problems[0].at.segment == 44
    assert [c.id for c in claims] == ["PCN-1001", "PCN-1002"]
    assert claims[-1].incomplete == ("reading stopped inside it",)
    assert tally.stopped


def test_claims_over_the_limit_stop_the_reading() -> None:
    claims, problems, tally = read(P, Limits(max_claims=2))
    assert [p.kind for p in problems] == ["too-many-claims"]
    assert [c.id for c in claims] == ["PCN-1001", "PCN-1002", "PCN-1002"]
    assert tally.claims_in == 2 and tally.stopped


def test_a_limit_met_inside_a_set_not_read_still_counts_its_claims() -> None:
    dental = replace(P, b"ST*837*0001*005010X222A1~", b"ST*837*0001*005010X224A2~")
    claims, problems, tally = read(dental, Limits(max_claims=2))
    assert claims == []
    assert [(p.kind, p.claims) for p in problems] == [
        ("guide-mismatch", 0),
        ("too-many-claims", 0),
        ("unsupported-guide", 2),
    ]
    assert tally.claims_in == tally.claims_lost == 2


def test_elements_and_components_over_their_limits_are_problems() -> None:
    data = replace(P, b"CLM*PCN-1003*300***11:B:1*Y*A*Y*Y~", b"CLM*PCN-1003*300***11:B:1" + b"*Y" * 70 + b"~")
    _, problems, _ = read(data)
    assert [(p.kind, p.claims) for p in problems] == [("bad-claim", 1)]
    assert "more than 64 elements" in problems[0].message
    data = replace(P, b"SV1*HC:47555*900", b"SV1*HC:47555" + b":X" * 40 + b"*900")
    _, problems, _ = read(data)
    assert [(p.kind, p.lines) for p in problems] == [("bad-line", 1)]
    assert "more than 32 components" in problems[0].message


def test_service_lines_over_the_limit_are_counted_and_the_claim_incomplete() -> None:
    claims, problems, tally = read(P, Limits(max_lines=2))
    assert [(p.kind, p.claim, p.lines) for p in problems] == [("too-many-lines", "PCN-1001", 1)]
    assert claims[0].codes == ("47555", "47542-59x2")
    assert claims[0].incomplete
    assert tally.lines_lost == 1


# --- sources and chunks ---------------------------------------------------------------------------


def test_a_path_a_stream_and_bytes_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(P)
    from_path = list(read_x12(path))
    from_name = list(read_x12(str(path)))
    with open(path, "rb") as stream:
        from_stream = list(read_x12(stream))
    assert from_path == from_name == from_stream == list(read_x12(P))


def test_a_text_stream_is_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="binary mode"):
        list(read_x12(io.StringIO(P.decode())))  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk", [1, 3, 7, 105, 106, 107, 500])
def test_chunk_boundaries_change_nothing(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    expected = list(read_x12(P)), list(read_x12(I))
    monkeypatch.setattr(x12_tokens, "CHUNK", chunk)
    assert (list(read_x12(P)), list(read_x12(I))) == expected


def test_a_reader_is_read_once() -> None:
    reader = read_x12(P)
    list(reader)
    with pytest.raises(RuntimeError):
        list(reader)


def test_damaged_files_never_raise_and_always_account_for_every_claim_and_line() -> None:
    """Bytes deleted, doubled, replaced by a delimiter or by anything, at random places; and
    small limits, met anywhere."""
    rng = random.Random(837)
    for base in (P, I):
        for _ in range(400):
            data = bytearray(base)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(data))
                how = rng.randrange(4)
                if how == 0:
                    del data[at]
                elif how == 1:
                    data[at:at] = data[at : at + rng.randint(1, 40)]
                elif how == 2:
                    data[at] = rng.choice(b"*:~^\n")
                else:
                    data[at] = rng.randrange(256)
            limits = x12_data.DEFAULT_LIMITS
            if rng.random() < 0.3:  # and limits met anywhere
                limits = Limits(
                    max_claims=rng.randint(1, 4),
                    max_segments=rng.randint(5, 70),
                    max_segment_bytes=rng.choice([30, 60, 65_536]),
                    max_lines=rng.randint(1, 3),
                    max_elements=rng.choice([4, 8, 64]),
                )
            reader = read_x12(bytes(data), limits)
            found = list(reader)
            tally = reader.tally
            assert tally.balanced(), (bytes(data), tally)
            assert tally.claims_in <= 3 + 10  # doubled CLM segments at most
            for item in found:
                assert 0 <= item.at.offset <= len(data)


# --- cptref -------------------------------------------------------------------------------------


def test_every_line_is_a_cptref_claim_line_that_reads_back_the_same() -> None:
    from cptref.check.lines import parse_line

    for data in (P, I):
        for claim in read(data)[0]:
            for line in claim.lines:
                assert parse_line(str(line)) == line.line


def test_items_give_cptref_claims_and_bad_lines() -> None:
    from cptref.check.inputs.base import BadLine, BatchClaim

    data = replace(P, b"SV1*HC:50432:LT*300*UN*1***1~", b"SV1*HC:50432:LT*300*UN*1.5***1~")
    found = list(items(data))
    assert [type(item).__name__ for item in found] == ["BatchClaim", "BadLine", "BadLine", "BatchClaim"]
    first = found[0]
    assert isinstance(first, BatchClaim)
    assert (first.id, first.line, first.codes, first.date, first.setting) == (
        "PCN-1001",
        20,
        ("47555", "47542-59x2", "74328-26"),
        datetime.date(2026, 1, 15),
        "practitioner",
    )
    bad = found[2]
    assert isinstance(bad, BadLine)
    assert "not checked, the claim was not read whole" in bad.message  # never checked on part of its lines


JSONL_P = b"""\
{"id": "PCN-1001", "codes": ["47555", "47542-59x2", "74328-26"], "date": "2026-01-15"}
{"id": "PCN-1002", "codes": [{"code": "50432", "modifiers": ["RT"]}], "date": "2026-01-16"}
{"id": "PCN-1002", "codes": ["50432-LT"], "date": "2026-01-17"}
{"id": "PCN-1003", "codes": "47542", "date": "2026-01-18"}
"""
"""The claims of 837p.x12, written by hand as JSON Lines (one line a claim and date of service)."""

JSONL_I = b"""\
{"id": "HOSP-2001", "codes": ["47555", "74328-26"], "date": "2026-01-12"}
{"id": "HOSP-2002", "codes": ["50432-RT"], "date": "2026-01-13"}
{"id": "HOSP-2002", "codes": ["50432-LT"], "date": "2026-01-14"}
"""


@pytest.mark.parametrize(
    ("x12", "jsonl", "setting"), [(P, JSONL_P, "practitioner"), (I, JSONL_I, "outpatient_hospital")]
)
def test_the_claims_of_an_837_check_exactly_as_the_same_claims_written_as_json_lines(
    x12: bytes, jsonl: bytes, setting: str, shipped: Catalog
) -> None:
    from cptref.check import BatchClaim, CheckTables, check, read_claims

    catalog = shipped
    written = [i for i in read_claims(jsonl.splitlines(keepends=True), fmt="jsonl") if isinstance(i, BatchClaim)]
    claims, problems, _ = read(x12)
    assert problems == []
    assert {c.setting for c in claims} == {setting}
    assert [(c.id, c.codes, c.date) for c in written] == [(c.id, c.codes, c.date) for c in claims]
    from_x12 = [check(CheckTables.from_catalog(catalog, setting=setting), c.codes, c.date) for c in claims]
    from_jsonl = [check(CheckTables.from_catalog(catalog, setting=setting), c.codes, c.date) for c in written]
    assert from_x12 == from_jsonl
    assert any(not result.ok for result in from_x12) or setting == "outpatient_hospital"  # findings, not only passes
    assert any(result.findings for result in from_x12)


@pytest.mark.parametrize("kind", ["P", "I"])
def test_a_generated_file_of_many_claims_reads_whole(kind: str) -> None:
    """The benchmark's made-up files (bench/gen837.py): several transaction sets, every claim read."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen837", ROOT / "bench" / "gen837.py")
    assert spec is not None and spec.loader is not None
    gen837 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen837)
    generate = gen837.generate

    data = "".join(generate(kind, 2_500, lines=3, per_st=1_000)).encode("ascii")
    claims, problems, tally = read(data)
    assert problems == []
    assert len(claims) == tally.claims_read == 2_500
    assert tally.lines_read == 7_500 and tally.transactions == 3
    assert {c.setting for c in claims} == {"practitioner" if kind == "P" else "outpatient_hospital"}


_VALUE = st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz-. !#$%&()+,/;<=>?@[]_{}|", max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=_VALUE, modifiers=st.lists(_VALUE, max_size=5), units=_VALUE)
def test_a_service_line_is_read_as_it_is_written_or_reported_never_misread(
    shipped: Catalog, code: str, modifiers: list[str], units: str
) -> None:
    """Whatever SV101 and SV104 hold, the line read back through cptref is the code, modifiers and
    units written; or a code of no CPT or HCPCS shape that check stops as malformed; or the line
    is a problem. ``47555X2`` never becomes two units of 47555."""
    from cptref.check.lines import parse_line

    composite = ":".join(["HC", code, *modifiers]).encode()
    segment = b"SV1*" + composite + b"*900*UN*" + units.encode() + b"***1~"
    data = replace(P, b"SV1*HC:47555*900*UN*1***1~", segment)
    claims, problems, _ = read(data)
    line_problems = [p for p in problems if p.claim == "PCN-1001"]
    if line_problems:
        assert claims[0].codes == ("47542-59x2", "74328-26")
        return
    line = claims[0].lines[0]
    written = [m for m in modifiers[:4] if m]
    assert (line.code, list(line.modifiers)) == (code, written)
    assert line.units == int(float(units))
    parsed = parse_line(str(line))
    if parsed is not None:
        assert parsed == line.line
        return
    # not a CPT or HCPCS code's shape (000A0): passed on as written, and check stops the claim
    from cptref.check import CheckTables, check

    result = check(CheckTables.from_catalog(shipped), claims[0].codes, claims[0].date)
    assert "malformed-code" in [finding.rule for finding in result.findings]
    assert not result.ok


def test_a_long_service_segment_and_an_unreadable_date_are_read_the_same_as_short_ones() -> None:
    """Segments over the cache's key length are read each time; a DTP that cannot be read costs its line."""
    described = b"SV1*HC:47555:::::PERCUTANEOUS BILIARY PROCEDURE WITH A DESCRIPTION OF SIXTY CHARS*900*UN*1***1~"
    data = replace(P, b"SV1*HC:47555*900*UN*1***1~", described)
    data = replace(data, b"DTP*472*D8*20260117~", b"DTP*472*D8*2026011\xb7~")
    claims, problems, _ = read(data)
    assert claims[0].codes == ("47555", "47542-59x2", "74328-26")
    assert [(p.kind, p.claim, p.lines) for p in problems] == [("malformed-segment", "PCN-1002", 1)]
    assert "a DTP segment after it cannot be read" in problems[0].message


def test_two_interchanges_with_the_same_delimiters_are_both_read() -> None:
    second = P.replace(b"000000101", b"000000102")
    claims, problems, tally = read(P + second)
    assert problems == []
    assert len(claims) == 8
    assert (tally.interchanges, tally.groups, tally.transactions) == (2, 2, 2)
