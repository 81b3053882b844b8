"""Claim input (``check --file``): the CSV and JSON Lines readers, chosen by extension or content,
account for every line; a batch read in chunks by workers gives what one pass gives."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cptref.check import BadLine, BatchClaim, SkippedLine, read_claims


def lines(text: str) -> list[bytes]:
    return text.encode().splitlines(keepends=True)


def kinds(items: Sequence[object]) -> list[str]:
    return [type(i).__name__ for i in items]


def test_csv_with_header_and_malformed_lines_accounts_for_every_line() -> None:
    text = (
        "codes,id\n"  # header in any order
        '"47532 47542",A1\n'
        "50706;50432,A2\n"
        "\n"
        "lonely\n"
        "47555|74360,A4\n"
        ",A5\n"
        '"47532 77002", \n'
    )
    items = list(read_claims(lines(text), "claims.csv"))
    assert len(items) == 8  # one item a line
    claims = [i for i in items if isinstance(i, BatchClaim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        ("A1", 2, ("47532", "47542")),
        ("A2", 3, ("50706", "50432")),
        ("A4", 6, ("47555", "74360")),
    ]
    assert [(b.line, b.message) for b in bad] == [
        (5, "expected 2 columns (a claim id and its codes), got 1"),
        (7, "the claim has no codes"),
        (8, "the claim id is empty"),
    ]
    assert [(i.line, i.why) for i in items if isinstance(i, SkippedLine)] == [(1, "header"), (4, "blank")]


def test_csv_without_header_takes_unquoted_commas_as_more_codes_and_the_first_line_as_a_claim() -> None:
    items = list(read_claims(lines("A1,47532,77002\nA2,50706\n")))
    assert [(i.id, i.codes) for i in items if isinstance(i, BatchClaim)] == [
        ("A1", ("47532", "77002")),
        ("A2", ("50706",)),
    ]
    first = list(read_claims(lines("X,C1729\n")))
    assert kinds(first) == ["BatchClaim"]


def test_a_first_line_that_names_columns_of_its_own_is_a_counted_header() -> None:
    items = list(read_claims(lines("Claim Ref,Procedures billed\nA1,47532\n"), "x.csv"))
    assert kinds(items) == ["SkippedLine", "BatchClaim"]


def test_an_unclosed_quote_costs_one_line_never_the_claims_after_it() -> None:
    rows = ["A0,47532"] + ['A1,"47532 47542'] + [f"A{i},47532 77002" for i in range(2, 100_000)]
    items = list(read_claims(lines("\n".join(rows) + "\n"), "x.csv"))
    assert len(items) == 100_000
    assert [i.line for i in items if isinstance(i, BadLine)] == [2]
    assert sum(isinstance(i, BatchClaim) for i in items) == 99_999


def test_csv_with_a_date_column_gives_each_claim_its_date_of_service() -> None:
    import datetime

    items = list(read_claims(lines("id,codes,dos\nA1,47532,2026-01-15\nA2,47532,15/01/2026\nA3,47532,\n")))
    assert [getattr(i, "date", None) for i in items] == [None, datetime.date(2026, 1, 15), None, None]
    assert isinstance(items[2], BadLine) and "YYYY-MM-DD" in items[2].message


def test_csv_line_that_is_not_utf8_is_reported_with_its_number() -> None:
    items = list(read_claims([b"A1,47532\n", b"A2,\xff47532\n", b"A3,50706 50432\n"], "x.csv"))
    assert kinds(items) == ["BatchClaim", "BadLine", "BatchClaim"]
    assert isinstance(items[1], BadLine) and items[1].line == 2 and items[1].message.startswith("not UTF-8 text")


def test_jsonl_detected_by_content_with_malformed_lines() -> None:
    text = (
        '{"id": 1, "codes": ["47532", "47542"]}\n'
        '{"id": "x", "codes": "50706 50432"}\n'
        "not json\n"
        '{"codes": [47532]}\n'
        "\n"
        '{"id": 3}\n'
        '{"id": 4, "codes": []}\n'
        "[1, 2]\n"
        '{"id": 5, "codes": ["abc", "47532x2"], "extra": true}\n'
        '{"id": 6, "codes": [{"code": "50432", "modifiers": ["RT"]}, {"code": "47542", "units": 2}, "47542-59"]}\n'
        '{"id": 7, "codes": ["47532"], "date": "2026-02-30"}\n'
    )
    items = list(read_claims(lines(text), None))
    assert len(items) == 11
    claims = [i for i in items if isinstance(i, BatchClaim)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert [(c.id, c.line, c.codes) for c in claims] == [
        (1, 1, ("47532", "47542")),
        ("x", 2, ("50706", "50432")),
        (5, 9, ("abc", "47532x2")),
        (6, 10, ("50432-RT", "47542x2", "47542-59")),
    ]
    assert [b.line for b in bad] == [3, 4, 6, 7, 8, 11]
    assert 'no "codes" field' in bad[2].message


def test_jsonl_detected_by_extension_even_when_the_first_line_is_broken() -> None:
    items = list(read_claims(lines('oops\n{"id": 2, "codes": ["50706"]}\n'), "batch.jsonl"))
    assert kinds(items) == ["BadLine", "BatchClaim"]


BATCHES = {
    "header after blank and bad lines": (
        "x.csv",
        b"\n\xff,bad\n\n" + b'"unclosed,47532\n' + b"id,codes,dos\nA1,47532,2026-01-15\nA2,47532 77002,\n,47532\n",
    ),
    "first row a claim": ("x.csv", b"\xef\xbb\xbfA0,47532\nA1,47532,77002\n\nA2,50706\nA3,\n"),
    "a header of its own words": ("x.csv", b"Claim Ref,Procedures billed\nA1,47532\nA2,bad token\n"),
    "json lines": (
        None,
        b'\xef\xbb\xbf{"id": 1, "codes": ["47532"]}\n\nnot json\n'
        b'{"id": 2, "codes": "50706 50432", "date": "2026-01-15"}\n'
        b'{"id": 3, "codes": [], "date": "2026-01-15"}\n{"id": 4, "codes": ["47532"], "date": "2026-02-30"}\n',
    ),
}


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
@pytest.mark.parametrize("name", BATCHES)
def test_a_batch_read_in_chunks_elsewhere_gives_the_items_of_one_pass(name: str, size: int) -> None:
    """What ``check --file`` does with workers: this process settles the reader on each chunk before
    sending it; a copy of the reader (as pickled to a worker) reads the chunk."""
    import pickle

    from cptref.check.inputs.registry import batch_lines

    file, data = BATCHES[name]
    raw = data.splitlines(keepends=True)
    whole = list(read_claims(raw, file))
    found = batch_lines(raw, file)
    assert found is not None
    reader, stream = found
    rest = list(stream)
    chunked: list[object] = []
    for first in range(1, len(rest) + 1, size):
        chunk = rest[first - 1 : first - 1 + size]
        reader.settle(chunk, first)
        chunked.extend(pickle.loads(pickle.dumps(reader)).items(chunk, first))
    assert chunked == whole
    assert len(whole) == len(raw) and any(isinstance(i, BatchClaim) for i in whole)


def test_the_former_names_of_the_batch_types_still_load() -> None:
    import cptref.check
    from cptref.errors import ExitCode

    assert getattr(cptref.check, "Claim") is BatchClaim  # noqa: B009 - a name mypy is not told of
    assert getattr(cptref.check, "Skipped") is SkippedLine  # noqa: B009
    assert getattr(cptref.check, "EXIT_FINDINGS") is ExitCode.FINDINGS  # noqa: B009


# --- billing exports: delimiters, US dates, columns not read ----------------------------------------
@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Claim ID;CPT Codes;DOS\nA1;47532 47542;2026-01-15\n", ";"),
        ("claim_id\tcodes\tdate\nA1\t47532,47542\t2026-01-15\n", "\t"),
        ("id|codes|date\nA1|47532 47542|2026-01-15\n", "|"),
        ("A1;47532,47542;2026-01-15\n", ";"),  # no header: the split that leaves claim lines after the id
        ("A1\t47532,47542\t2026-01-15\n", "\t"),
        ("A1,47532;47542\n", ","),  # a comma file whose codes are split by semicolons
    ],
)
def test_csv_delimiter_is_read_off_the_first_row(text: str, delimiter: str) -> None:
    from cptref.check.inputs.csvfile import CsvClaims

    reader = CsvClaims()
    items = list(reader.items(lines(text)))
    [claim] = [i for i in items if isinstance(i, BatchClaim)]
    assert (claim.id, claim.codes) == ("A1", ("47532", "47542"))
    assert reader.delimiter == delimiter
    assert bool(reader.notes) == (delimiter != ",")  # said once when not the default


def test_csv_reads_us_dates_month_first_and_counts_them() -> None:
    import datetime

    from cptref.check.inputs.base import US_DATES
    from cptref.check.inputs.csvfile import CsvClaims

    reader = CsvClaims()
    text = "id,codes,date\nA1,47532,01/15/2026\nA2,47532,1/5/2026\nA3,47532,2026-01-15\nA4,47532,13/01/2026\n"
    items = list(reader.items(lines(text)))
    assert [getattr(i, "date", None) for i in items[1:4]] == [
        datetime.date(2026, 1, 15),
        datetime.date(2026, 1, 5),
        datetime.date(2026, 1, 15),
    ]
    assert isinstance(items[4], BadLine) and "MM/DD/YYYY" in items[4].message  # never day first
    assert reader.tallies == {US_DATES: 2}


def test_csv_a_column_not_read_and_fields_past_the_header_are_said_not_dropped_silently() -> None:
    from cptref.check.inputs.csvfile import PAST_HEADER, CsvClaims

    reader = CsvClaims()
    items = list(reader.items(lines("id,codes,date,payer\nA1,47532,2026-01-15,X\nA2,47532,2026-01-15,X,extra\n")))
    assert kinds(items) == ["SkippedLine", "BatchClaim", "BatchClaim"]
    assert reader.notes == ("column 'payer' (4) not read (cptref reads id, codes, date)",)
    assert reader.tallies == {PAST_HEADER: 1}


def test_a_first_claim_whose_codes_are_all_malformed_is_not_taken_for_a_header() -> None:
    items = list(read_claims(lines("A1,4755 abc9\nA2,47532\n"), "x.csv"))
    assert kinds(items) == ["BatchClaim", "BatchClaim"]
    assert items[0].codes == ("4755", "abc9")  # type: ignore[union-attr]  # checked: malformed-code stops it


def test_a_settled_csv_reader_carries_its_delimiter_and_notes_to_another_process() -> None:
    import pickle

    from cptref.check.inputs.csvfile import CsvClaims

    reader = CsvClaims()
    text = "id;codes;payer\nA1;47532;X\n"
    reader.settle(lines(text))
    copy = pickle.loads(pickle.dumps(reader))
    assert (copy.delimiter, copy.notes) == (";", reader.notes)
    assert list(copy.items(lines(text))) == list(CsvClaims().items(lines(text)))


# --- JSON Lines: a line never aborts the batch ------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"codes": ["47532"], "x": ' + b"[" * 1_000 + b"]" * 1_000 + b"}\n", "not a claim: nested too deep"),
        (b'{"codes": ["47532"], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n", "not a claim: nested too deep"),
        (b'{"id": "\xff", "codes": ["47532"]}\n', "not a claim: not UTF-8 text"),
        (b'{"codes": ' + b"[" * 5_000 + b"}\n", "not a claim"),
    ],
)
def test_a_jsonl_line_nested_too_deep_or_not_utf8_is_one_malformed_line(raw: bytes, message: str) -> None:
    text = b'{"id": "a", "codes": ["47532"]}\n' + raw + b'{"id": "c", "codes": ["47532"]}\n'
    items = list(read_claims(text.splitlines(keepends=True), "x.jsonl"))
    assert kinds(items) == ["BatchClaim", "BadLine", "BatchClaim"]
    assert items[1].message.startswith(message)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "line",
    [
        {"code": "47555X2"},  # units inside the code
        {"code": "47555-59"},  # a modifier inside the code
        {"code": "47542", "modifiers": ["59X3"]},  # units inside a modifier
        {"code": "47542", "modifiers": ["59-RT"]},  # two modifiers as one
        {"code": "47542", "units": 0},
    ],
)
def test_a_structured_claim_line_is_validated_field_by_field(line: dict[str, object]) -> None:
    import json

    from cptref.check.lines import parse_line

    raw = json.dumps({"id": "s", "codes": [line, "47532"]}).encode() + b"\n"
    [claim] = read_claims([raw], "x.jsonl")
    assert isinstance(claim, BatchClaim)
    token, plain = claim.codes
    assert plain == "47532" and parse_line(token) is None  # a malformed-code finding stops the claim


def test_a_structured_claim_line_that_is_well_formed_reads_as_its_string() -> None:
    raw = b'{"codes": [{"code": " 47542", "modifiers": ["rt", "59"], "units": 2}, {"code": "c1729"}]}\n'
    [claim] = read_claims([raw], "x.jsonl")
    assert isinstance(claim, BatchClaim) and claim.codes == ("47542-RT-59x2", "C1729")


def test_jsonl_lines_read_by_the_quick_decoder_give_what_the_full_one_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON Lines reader tries a decoder of claim lines that are all strings first and reads a
    line it cannot take again with the full one (issue 26): every line, well formed or not, gives
    the same item, message and count as the full decoder alone."""
    from cptref.check.inputs import jsonl

    lines = [
        b'{"id":"A","codes":["47555","47542-59x2"],"date":"2026-10-01"}',
        b'{"id":7,"codes":"47555, 47542","date":"10/01/2026","extra":[1,2]}',
        b'{"id":"B","codes":["47555",{"code":"50432","modifiers":["RT"]}]}',
        b'{"id":"C","codes":[{"code":"47555X2"}]}',
        b'{"id":"D","codes":[47555]}',
        b'{"id":"E","codes":null}',
        b'{"id":"F"}',
        b'{"id":"G","codes":[]}',
        b'{"id":"H","codes":["47555"],"date":"soon"}',
        b'{"id":"I","codes":["47555"],"date":null}',
        b'{"codes":["47555"]',
        b"[" * 5000 + b"]" * 5000,
        b'{"id":"\xff","codes":["47555"]}',
        b"",
        b"   ",
        b'{"id":["x"],"codes":["47555"]}',
    ]

    def read() -> list[object]:
        return list(jsonl.JsonlClaims().items(lines, 1))

    quick = read()
    assert sum(isinstance(item, BatchClaim) for item in quick) >= 4
    monkeypatch.setattr(jsonl, "_plain_decoder", jsonl._claim_decoder)
    assert read() == quick


def test_files_joined_end_to_end_lose_their_byte_order_marks_not_a_claim() -> None:
    """``cat a.csv b.csv``: the second file's byte order mark opens a line in the middle; it was kept in
    the CSV claim's id (an invisible character) and cost the JSON line as malformed."""
    bom = b"\xef\xbb\xbf"
    csv_items = list(read_claims([b"id,codes\n", b"a,47532 47542\n", bom + b"b,47555\n"], "x.csv"))
    assert [(i.id, i.codes) for i in csv_items if isinstance(i, BatchClaim)] == [
        ("a", ("47532", "47542")),
        ("b", ("47555",)),
    ]
    jsonl = [b'{"id": "a", "codes": ["47532"]}\n', bom + b'{"id": "b", "codes": ["47555"]}\n', bom + b"\n"]
    items = list(read_claims(jsonl, "x.jsonl"))
    assert kinds(items) == ["BatchClaim", "BatchClaim", "SkippedLine"]
    assert [i.id for i in items if isinstance(i, BatchClaim)] == ["a", "b"]


@pytest.mark.parametrize("name", ["x.csv", None])
def test_csv_lines_ended_by_a_cr_alone_are_reported_not_read_as_one_claim_of_every_row(name: str | None) -> None:
    """An old Mac export: a reader of lines sees one line, which was read as one claim whose codes were
    every row's cells run together (the header's and the other claims' ids among them)."""
    text = b"id,codes\ra,47532 47542\rb,47555\r"
    items = list(read_claims([text], name))
    assert kinds(items) == ["BadLine"]
    assert "carriage return" in items[0].message  # type: ignore[union-attr]
    crlf = list(read_claims(text.replace(b"\r", b"\r\n").splitlines(keepends=True), name))
    assert kinds(crlf) == ["SkippedLine", "BatchClaim", "BatchClaim"]  # CRLF is read as ever
    [one] = read_claims([b"x\ry,0001X\n"], name)  # a CR inside one row's id: read, shown escaped in text
    assert isinstance(one, BatchClaim) and one.id == "x\ry"
