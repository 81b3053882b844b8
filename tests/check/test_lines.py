"""Claim lines: a token read as a code with its modifiers and units, the separators a claim's codes
may be written with, and lines of the same service merged into units."""

from __future__ import annotations

from cptref.check import CheckTables, parse_line, parse_token, split_codes
from cptref.check.lines import Line
from tests.conftest import library_check as check


def test_claim_lines_carry_modifiers_and_units() -> None:
    assert parse_line(" 0213t ") == Line("0213T")
    assert parse_line("47542x2") == Line("47542", (), 2)
    assert parse_line("47542-59") == Line("47542", ("59",))
    assert parse_line("77002-26-59") == Line("77002", ("26", "59"))
    assert parse_line("50432-rt") == Line("50432", ("RT",))
    assert parse_line("47542-59x3") == Line("47542", ("59",), 3)
    assert parse_line("c1729") == Line("C1729")
    assert parse_line("1234F") == Line("1234F")
    assert parse_token("0001Xx2") == ("0001X", 2)
    for bad in (
        "47542x",
        "47542x0",
        "47542*2",
        "4754x2",
        "４７５４２",
        "47542x1234567",
        "475422",
        "47542-5",
        "47542-",
        "47542--59",
        "CC172",
        "47542-RTX",
        "-59",
    ):
        assert parse_line(bad) is None, bad


def test_lines_with_the_same_code_and_modifiers_merge_into_units(shipped_tables: CheckTables) -> None:
    result = check(shipped_tables, ["50432-RT", "50432-LT", "50432-RT", "47542", "47542x2"])
    assert result.lines == (Line("50432", ("RT",), 2), Line("50432", ("LT",)), Line("47542", (), 3))
    assert result.codes == (("50432", 3), ("47542", 3))


def test_split_codes_accepts_spaces_commas_semicolons_and_pipes() -> None:
    assert split_codes(" 47532, 47542;77002 |50432\t50706 ") == ["47532", "47542", "77002", "50432", "50706"]
