"""Claim files as users' tools write them (Excel, PowerShell, R, pandas, jq, database exports,
compressed): each is read as the user meant, or refused whole with one line saying what it is and
how to convert it; every line read is one item. Made-up claims only."""

from __future__ import annotations

import bz2
import datetime
import gzip
import io
import json
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from cptref.check import BadLine, BatchClaim, SkippedLine, read_claims
from cptref.check.inputs import opened
from cptref.check.inputs.base import TOO_LONG, UnreadableBatch
from cptref.check.inputs.csvfile import CsvClaims
from cptref.check.inputs.jsonl import JsonlClaims
from cptref.errors import ExitCode
from tests.conftest import Run

CSV = "id,codes,date\r\nA1,47532 47542,2026-01-15\r\nA2,50706,2026-01-16\r\n"
CLAIMS = [("A1", ("47532", "47542"), datetime.date(2026, 1, 15)), ("A2", ("50706",), datetime.date(2026, 1, 16))]


def read(data: bytes, name: str | None = None) -> list[object]:
    """The items of a file's bytes, read as ``check --file`` reads a file (a buffered binary stream)."""
    return list(read_claims(io.BufferedReader(io.BytesIO(data)), name))


def claims(items: Sequence[object]) -> list[tuple[object, ...]]:
    return [(i.id, i.codes, i.date) for i in items if isinstance(i, BatchClaim)]


def refused(data: bytes, name: str | None = None) -> str:
    with pytest.raises(UnreadableBatch) as caught:
        read(data, name)
    assert caught.value.exit_code == ExitCode.MALFORMED_INPUT
    (line,) = caught.value.lines()
    return line


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(CSV.replace(",", "\t"), id="unicode-text"),
        pytest.param(
            '"id","codes","date"\r\n"A1","47532 47542","2026-01-15"\r\n"A2","50706","2026-01-16"\r\n', id="ps"
        ),
        pytest.param(CSV, id="out-file"),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_read_as_the_text_it_declares(text: str, encoding: str) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    items = read(bom + text.encode(encoding), "claims.txt")
    assert claims(items) == CLAIMS
    assert [type(i).__name__ for i in items] == ["SkippedLine", "BatchClaim", "BatchClaim"]


def test_utf16_that_is_not_text_costs_its_line_and_a_cut_stream_its_end() -> None:
    bad = "A3,4".encode("utf-16-le") + b"\x00\xd8" + "7532\r\n".encode("utf-16-le")  # a lone high surrogate
    items = read(CSV.encode("utf-16") + bad + "A4,50706,2026-01-16\n".encode("utf-16-le") + b"A", "claims.csv")
    assert claims(items) == [*CLAIMS, ("A4", ("50706",), datetime.date(2026, 1, 16))]
    assert [(i.line, i.message[:30]) for i in items if isinstance(i, BadLine)] == [
        (4, "not UTF-16 text (a lone surrog"),
        (6, "not UTF-16 text (truncated dat"),
    ]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        pytest.param("id,codes\nA1,47532\n".encode("utf-16-le"), "UTF-16 text without its byte order mark", id="utf16"),
        pytest.param(b"\x28\xb5\x2f\xfd\x00\x00", "zstdcat claims.jsonl.zst | cptref check --file -", id="zstd"),
        pytest.param(b"PK\x03\x04\x14\x00", "save the sheet as CSV UTF-8", id="xlsx"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "Excel 97-2003 workbook", id="xls"),
        pytest.param("id,codes\n".encode("utf-32"), "iconv -f UTF-32", id="utf32"),
        pytest.param(b"ab\x00\x01\x02cd\xff\n", "not text", id="binary"),
    ],
)
def test_a_file_cptref_does_not_read_is_refused_whole_saying_what_it_is_and_the_way_out(data: bytes, said: str) -> None:
    line = refused(data, "claims.jsonl.zst")
    assert line.startswith("claims.jsonl.zst: ") and said in line


@pytest.mark.parametrize(
    ("compress", "suffix"), [(gzip.compress, ".gz"), (bz2.compress, ".bz2"), (__import__("lzma").compress, ".xz")]
)
def test_a_compressed_file_is_read_decompressed_and_its_format_known_by_the_name_inside(
    compress: object, suffix: str
) -> None:
    assert callable(compress)
    assert claims(read(compress(CSV.encode()), "claims.csv" + suffix)) == CLAIMS
    jsonl = b'{"id": "A1", "codes": ["47532", "47542"], "date": "2026-01-15"}\n'
    assert claims(read(compress(jsonl), None)) == CLAIMS[:1]  # stdin: by its first line


def test_a_damaged_gzip_stream_is_one_malformed_line_after_the_claims_read_before_it() -> None:
    rows = "".join(f"A{i},47532,2026-01-15\n" for i in range(5000))
    data = gzip.compress(rows.encode())
    items = read(data[: len(data) // 2], "claims.csv.gz")
    assert isinstance(items[-1], BadLine) and "gzip stream is damaged" in items[-1].message
    assert all(isinstance(i, BatchClaim) for i in items[:-1]) and len(items) > 100


def test_a_compression_bomb_stops_at_the_bound_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opened, "MAX_DECOMPRESSED", 10_000)
    rows = "".join(f"A{i},47532,2026-01-15\n" for i in range(10_000))  # 250,000 bytes
    items = read(gzip.compress(rows.encode()), "claims.csv.gz")
    assert isinstance(items[-1], BadLine) and "decompressed past 10,000 bytes" in items[-1].message
    assert "zcat claims.csv.gz | cptref check --file -" in items[-1].message
    assert 300 < len(items) < 500  # what was read before the bound, each line one item

    monkeypatch.setattr(opened, "MAX_DECOMPRESSED", 3_000_000)
    zeros = gzip.compress(b"7" * 5_000_000)  # no line end at all: a long line, then the bound (NUL: refused)
    said = [i.message for i in read(zeros, "z.csv.gz") if isinstance(i, BadLine)]
    assert len(said) == 2 and "longer than" in said[0] and "decompressed past" in said[1]


@pytest.mark.parametrize("name", ["claims.837.gz", None])
def test_a_compressed_837_is_refused_with_the_pipe_that_reads_it(name: str | None) -> None:
    line = refused(gzip.compress(b"ISA*00*~"), name)
    said = f"a gzip X12 file: an 837 is read from its own bytes, not converted ones: zcat {name or '-'} |"
    assert line.startswith(f"{name or '-'}: {said}")  # its own name, not the inner one (claims.837)
    line = refused("ISA*00*~".encode("utf-16"), None)
    assert "a UTF-16 X12 file" in line and "iconv -f UTF-16 -t UTF-8 - | cptref check --file -" in line


@pytest.mark.parametrize(
    ("text", "jq"),
    [
        ('[{"id":"A1","codes":["47532"]},{"id":"A2","codes":["50706"]}]\n', ".[]"),
        ('[\n  {\n    "id": "A1",\n    "codes": ["47532"]\n  }\n]\n', ".[]"),
        ('{\n  "id": "A1",\n  "codes": ["47532"]\n}\n', "."),
        ('\ufeff[{"id":"A1","codes":["47532"]}]', ".[]"),
    ],
)
@pytest.mark.parametrize("name", ["claims.json", "claims.jsonl", None])
def test_a_json_document_that_is_not_json_lines_is_refused_with_the_jq_that_converts_it(
    text: str, jq: str, name: str | None
) -> None:
    line = refused(text.encode(), name)
    assert f"jq -c '{jq}' {name or '-'} | cptref check --file -" in line


def test_spark_part_files_are_json_lines_whatever_their_name() -> None:
    part = b'{"id":"A1","codes":["47532","47542"],"date":"2026-01-15"}\n'
    assert claims(read(part, "part-00000-1b2c.json")) == CLAIMS[:1]


def test_a_line_too_long_is_a_malformed_line_in_a_worker_process_too() -> None:
    """A chunk's lines are pickled to a worker: the marker of a line never read must stay one (it was
    read there as a blank line, and the batch said nothing was wrong)."""
    sent = pickle.loads(pickle.dumps([b"id,codes\n", TOO_LONG, b"A2,47532\n"]))
    for reader in (CsvClaims(), JsonlClaims()):
        items = list(reader.items(sent[1:2], 2))
        assert [(type(i).__name__, getattr(i, "message", "")) for i in items] == [("BadLine", TOO_LONG.message)], reader
    assert not any(isinstance(i, SkippedLine) and i.line == 2 for i in read_claims(sent))


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param(
            "\ufeffid,codes,date\r\nA1,47532 47542,2026-01-15\r\nA2,50706,2026-01-16", "e.csv", id="excel-bom"
        ),
        pytest.param('"id","codes","date"\r\n"A1","47532 47542","2026-01-15"\r\n"A2","50706","2026-01-16"\r\n', None),
        pytest.param(
            '#TYPE System.Management.Automation.PSCustomObject\r\n"id","codes","date"\r\n"A1","47532 47542",'
            '"2026-01-15"\r\n"A2","50706","2026-01-16"\r\n',
            None,
            id="ps5-type-line",
        ),
        pytest.param("id;codes;date;units\r\nA1;47532 47542;2026-01-15;1,5\r\nA2;50706;2026-01-16;2,0\r\n", "eu.csv"),
        pytest.param(
            '"","id","codes","date"\n"1","A1","47532 47542","2026-01-15"\n"2","A2","50706",2026-01-16\n', None
        ),
        pytest.param(",id,codes,date\n0,A1,47532 47542,2026-01-15\n1,A2,50706,2026-01-16\n", "pandas.csv"),
        pytest.param("id|codes|date|\nA1|47532 47542|2026-01-15|\nA2|50706|2026-01-16|\n", "export.txt"),
        pytest.param("A1|47532 47542|2026-01-15|\nA2|50706|2026-01-16|\n", "export.txt", id="trailing-no-header"),
        pytest.param("id,codes,date\r\nA1,47532 47542,2026-01-15\nA2,50706,2026-01-16", "mixed.csv", id="mixed-ends"),
        pytest.param(" Claim ID , CPT_CODE , DOS \nA1,47532 47542,2026-01-15\nA2,50706,2026-01-16\n", "h.csv"),
        pytest.param("CLAIM_NO,Cpt-Code,Date of Service\nA1,47532 47542,2026-01-15\nA2,50706,2026-01-16\n", None),
        pytest.param("claim_id,code1,code2,code3,dos\nA1,47532,47542,,2026-01-15\nA2,,50706,,2026-01-16\n", None),
        pytest.param("Encounter,CPT_1,CPT_2,DOS\nA1,47532,47542,2026-01-15\nA2,50706,,2026-01-16\n", None),
        pytest.param("Encounter,Procedure billed,Service Date\nA1,47532 47542,2026-01-15\nA2,50706,2026-01-16\n", None),
    ],
)
def test_csv_as_excel_powershell_r_pandas_and_database_exports_write_it(text: str, name: str | None) -> None:
    items = read(text.encode(), name)
    assert claims(items) == CLAIMS
    assert not [i for i in items if isinstance(i, BadLine)]


def test_a_windows_csv_is_read_when_its_bytes_not_utf8_are_in_a_column_not_read() -> None:
    text = "id,codes,date,patient\r\nA1,47532 47542,2026-01-15,Jos\u00e9 N\u00fa\u00f1ez\r\n"
    text += "A\u00e92,50706,2026-01-16,Ann\r\n"
    items = read(text.encode("cp1252"), "w.csv")
    assert claims(items) == CLAIMS[:1]
    assert isinstance(items[2], BadLine) and items[2].message.startswith("not UTF-8 text in its claim id")
    assert "iconv -f CP1252 -t UTF-8" in items[2].message


def test_missing_values_as_r_and_pandas_write_them_are_blank_never_a_date_or_a_code() -> None:
    text = "id,codes,date\nA1,47532,NA\nA2,47532,NaN\nA3,NA,2026-01-15\nA4,47532,\nA5,47532,NULL\n"
    items = read(text.encode(), "r.csv")
    assert [(i.id, i.date) for i in items if isinstance(i, BatchClaim)] == [
        ("A1", None),
        ("A2", None),
        ("A4", None),
        ("A5", None),
    ]
    assert [(i.line, i.message) for i in items if isinstance(i, BadLine)] == [(4, "the claim has no codes")]


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("2026-12-31", "2026-12-31"),
        ("12/31/2026", "2026-12-31"),
        ("1/2/2026", "2026-01-02"),  # month first, as documented
        ("2026-12-31T00:00:00", "2026-12-31"),
        ("2026-12-31T00:00:00.000", "2026-12-31"),
        ("2026-12-31 14:30:00", "2026-12-31"),  # the day as written, no zone to move it
        ("2026-12-31T00:00:00Z", "2026-12-31"),
        ("2026-12-31T00:00:00.000+00:00", "2026-12-31"),
        ("20261231", "2026-12-31"),
        ("46387", None),  # an Excel serial: 1900 or 1904 system, not said
        ("46387.0", None),
        ("31/12/2026", None),
        ("31.12.2026", None),
        ("12312026", None),  # MMDDYYYY: a year 1231
        ("2026-12-31T23:00:00-05:00", None),  # a zone other than UTC: the day could move
        ("2026-12-31T05:00:00Z", None),
        ("2026-12-31Tnoon", None),
        ("20261331", None),
    ],
)
def test_dates_are_read_only_as_written(written: str, read_as: str | None) -> None:
    items = read(f"id,codes,date\nA1,47532,{written}\n".encode(), "d.csv")
    if read_as is not None:
        assert claims(items) == [("A1", ("47532",), day(read_as))]
        return
    (bad,) = [i for i in items if isinstance(i, BadLine)]
    assert f"got {written!r}" in bad.message
    if written.startswith("46387"):
        assert "Excel date serial" in bad.message
    if written[:2] == "31":
        assert "day first" in bad.message


def test_codes_excel_made_numbers_of_are_read_as_written_never_padded() -> None:
    items = read(b"id,codes,date\nA1,1234,2026-01-15\nA2,1U,2026-01-15\nA3,47532.0,2026-01-15\n", "n.csv")
    assert [c[1] for c in claims(items)] == [("1234",), ("1U",), ("47532.0",)]  # the check says each is no code


def test_one_line_a_claim_line_is_refused_whole_with_the_way_out() -> None:
    text = "id,code,date\nA1,47532,2026-01-15\nA1,47542,2026-01-15\nA2,50706,2026-01-15\n"
    line = refused(text.encode(), "lines.csv")
    assert line.startswith("line 3: the claim id 'A1' and its date again")
    assert "GROUP BY ALL" in line and "no claim checked from line 1 on" in line
    other_days = "id,code,date\nA1,47532,2026-01-15\nA1,47542,2026-01-16\nA1,47542,\n"
    assert [c[2] for c in claims(read(other_days.encode(), "days.csv"))] == [day("2026-01-15"), day("2026-01-16"), None]


def test_codes_columns_with_no_claim_id_column_are_refused() -> None:
    assert "no claim id column" in refused(b"code1,code2,dos\n47532,47542,2026-01-15\n", "w.csv")


def test_a_header_naming_codes_but_no_claim_id_says_which_column_is_read_as_the_id() -> None:
    reader = CsvClaims()
    items = list(reader.items([b"Encounter,DOB,CPT\n", b"E1,1970-01-01,47532 47542\n"]))
    assert [(i.id, i.codes) for i in items if isinstance(i, BatchClaim)] == [("E1", ("47532", "47542"))]
    assert reader.notes == (
        "line 1 taken for a header naming no claim id column cptref knows: its first, "
        "'Encounter', read as the claim id",
        "column 'DOB' (2) not read (cptref reads id, codes, date)",  # said, as under a header of known names
    )


def test_a_wide_layout_reader_carries_its_columns_to_a_worker() -> None:
    reader = CsvClaims()
    reader.settle([b"claim_id,code1,code2,dos\n"])
    again = pickle.loads(pickle.dumps(reader))
    (found,) = again.items([b"A1,47532,47542,2026-01-15\n"], 2)
    assert isinstance(found, BatchClaim) and found.codes == ("47532", "47542") and found.date == day("2026-01-15")
    assert any("wide layout" in note for note in again.notes)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ('{"id":"A1","codes":["47532","47542"],"date":"2026-01-15"}', ("A1", ("47532", "47542"), day("2026-01-15"))),
        ('{"id":"A1","codes":"47532 47542","date":1768435200000}', ("A1", ("47532", "47542"), day("2026-01-15"))),
        ('{"id":"A1","codes":["47532"],"date":"2026-01-15T00:00:00.000"}', ("A1", ("47532",), day("2026-01-15"))),
        ('{"id":"A1","codes":["47532"],"codes":["50706"]}', ("A1", ("50706",), None)),  # the last, as jq and Python
        ('\ufeff{"id":7,"codes":["47532"]}', (7, ("47532",), None)),
        ('{"id":"A1","codes":["47532"],"date":1768435200}', "a number, 1768435200, not a date at midnight UTC"),
        ('{"id":"A1","codes":["47532"],"date":1768438800000}', "date_format='iso'"),
        ('{"id":"A1","codes":[47532]}', "a number loses a code's leading zeros"),
        ('{"id":"A1","codes":["47532"],"date":NaN}', "NaN and Infinity are not JSON"),
    ],
)
def test_json_lines_as_jq_and_pandas_write_them(line: str, found: tuple[object, ...] | str) -> None:
    items = read(line.encode() + b"\n", "c.jsonl")
    if isinstance(found, tuple):
        assert claims(items) == [found]
        return
    (bad,) = items
    assert isinstance(bad, BadLine) and found in bad.message, bad
    said = bad.message.removeprefix("not a claim: ")  # one sentence: a capital only for an acronym (JSON)
    assert not (said[:1].isupper() and said[1:2].islower()), bad


def test_the_header_again_is_a_header_in_csv_files_joined_end_to_end() -> None:
    """``cat spark_out/part-*`` (Spark's write.csv with a header) or two exports joined: never a claim "id"."""
    part = "id,codes,date\nA1,47532 47542,2026-01-15\n"
    items = read((part + "\ufeff" + part.replace("A1", "A2")).encode(), None)
    assert [type(i).__name__ for i in items] == ["SkippedLine", "BatchClaim", "SkippedLine", "BatchClaim"]
    reader = CsvClaims()
    reader.settle(part.encode().splitlines(keepends=True))
    assert [type(i).__name__ for i in pickle.loads(pickle.dumps(reader)).items([b"id,codes,date\n"], 9)] == [
        "SkippedLine"
    ]


def test_the_command_counts_what_a_compressed_or_utf16_file_held_and_refuses_the_rest_in_one_line(
    cli: Callable[..., Run], tmp_path: Path
) -> None:
    rows = "id,codes,date\nA1,47532 47542,2026-01-15\n\nA2,50706,01/16/2026\nA3,4753Z,2026-01-16\nA4,47532,NA\n"
    (tmp_path / "claims.csv.gz").write_bytes(gzip.compress(rows.encode()))
    for args, stdin in (
        (("--file", str(tmp_path / "claims.csv.gz")), b""),
        (("--file", "-"), gzip.compress(rows.encode())),
        (("--file", "-"), rows.replace(",", "\t").encode("utf-16")),
    ):
        run = cli("check", *args, "--jsonl", stdin=stdin)
        assert run.code == 4, run  # A4 has no date (NA), and no --date: reported
        assert [json.loads(line)["id"] for line in run.out.splitlines()] == ["A1", "A2", "A3"]
        summary = run.err.splitlines()[-1]
        assert "6 lines read: 3 claims checked" in summary and "1 malformed line" in summary, summary
        assert "1 header line, 1 blank line" in summary
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04" + bytes(60))
    run = cli("check", "--file", str(tmp_path / "book.xlsx"), "--jsonl")
    assert (run.code, run.out, len(run.err.splitlines())) == (4, "", 1)
    assert "an Excel .xlsx workbook" in run.err and "CSV UTF-8" in run.err
    run = cli("check", "--file", "-", "--jsonl", stdin=b"id,code\nA1,47532\nA1,47542\n")
    assert (run.code, run.out, len(run.err.splitlines())) == (4, "", 1)
    assert run.err.startswith("cptref: line 3: the claim id 'A1' and its date again")


def test_codes_excel_made_numbers_of_are_malformed_codes_to_the_check(cli: Callable[..., Run], tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(b"id,codes,date\nA1,1234,2026-01-15\nA2,1U,2026-01-15\nA3,47532.0,2026-01-15\n")
    run = cli("check", "--file", str(path), "--jsonl")
    found = [json.loads(line) for line in run.out.splitlines()]
    assert [(d["id"], [(f["rule"], f["codes"]) for f in d["findings"]]) for d in found] == [
        ("A1", [("malformed-code", ["1234"])]),
        ("A2", [("malformed-code", ["1U"])]),
        ("A3", [("malformed-code", ["47532.0"])]),
    ]
    assert run.code == 1


ROWS = "".join(f'{{"id": "A{i}", "codes": ["47532"], "date": "2026-01-15"}}\n' for i in range(3000)).encode()


def test_a_corrupt_xz_block_is_one_malformed_line_never_a_traceback() -> None:
    import lzma

    data = bytearray(lzma.compress(ROWS))
    for at in range(len(data) // 2, len(data) // 2 + 20):
        data[at] ^= 0x55  # lzma.LZMAError is no OSError: it went up as a traceback
    items = read(bytes(data), "claims.jsonl.xz")
    assert isinstance(items[-1], BadLine) and "the xz stream is damaged here" in items[-1].message
    assert all(isinstance(i, BatchClaim) for i in items[:-1])


@pytest.mark.parametrize("suffix", [".bz2", ".xz"])
def test_every_bzip2_and_xz_member_is_read_and_bytes_after_the_last_are_said(suffix: str) -> None:
    import lzma

    compress = bz2.compress if suffix == ".bz2" else lzma.compress
    one, two = compress(ROWS[:100_000]), compress(ROWS[100_000:])
    assert len(claims(read(one + two, "claims.jsonl" + suffix))) == 3000  # cat a.xz b.xz: both read
    items = read(one + two + b"not a member\n", "claims.jsonl" + suffix)  # the standard library ends there quietly
    assert len(claims(items)) == 3000 and len(items) == 3001
    assert isinstance(items[-1], BadLine) and f"the {suffix.strip('.').replace('bz2', 'bzip2')} stream is" in (
        items[-1].message
    )
    if suffix == ".xz":  # NUL bytes after a member: xz's stream padding, nothing lost
        assert len(read(one + b"\0" * 8 + two + b"\0" * 4, "claims.jsonl.xz")) == 3000


@pytest.mark.parametrize(
    ("inner", "said"),
    [
        pytest.param(CSV.encode("utf-16"), "UTF-16 text (gzip-compressed)", id="utf16"),
        pytest.param(gzip.compress(CSV.encode()), "a gzip file (gzip-compressed)", id="twice"),
        pytest.param(
            b"PK\x03\x04\x14\x00",
            "a zip archive (an Excel .xlsx workbook is one) (gzip-compressed)",
            id="zip",
        ),
        pytest.param(CSV.encode("utf-16-le"), "UTF-16 text without its byte order mark (gzip-compressed)", id="nobom"),
    ],
)
def test_what_a_compressed_file_holds_is_refused_as_the_file_itself_would_be(inner: bytes, said: str) -> None:
    line = refused(gzip.compress(inner), "claims.csv.gz")  # was read as UTF-8: every line a malformed claim
    assert line.startswith(f"claims.csv.gz: {said}, not claims cptref reads: decompress it (zcat claims.csv.gz > FILE)")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("id,code,code,date", id="same-name"),
        pytest.param("id,CPT_CODE,cpt code,DOS", id="same-name-spelled-apart"),
        pytest.param("id,code,code.1,date", id="pandas-renamed"),
    ],
)
def test_a_codes_column_named_twice_is_read_with_the_first_never_dropped(header: str) -> None:
    items = read(f"{header}\nA1,47532,47542,2026-01-15\n".encode(), "claims.csv")  # the second was not read
    assert claims(items) == [("A1", ("47532", "47542"), datetime.date(2026, 1, 15))]


def test_a_wide_layout_of_200_columns_reads_every_one() -> None:
    header = "id," + ",".join(f"code{i}" for i in range(1, 201))
    row = "A1," + ",".join(["47532", *[""] * 198, "47542"])  # code100 ... code200 were not read
    assert claims(read(f"{header}\n{row}\n".encode(), "claims.csv")) == [("A1", ("47532", "47542"), None)]
    other = "id,CPT_CODE,code\nA1,47532,47542\n"  # another codes name: its first read, the other said
    reader = CsvClaims()
    assert claims(list(reader.items(other.encode().splitlines(keepends=True)))) == [("A1", ("47532",), None)]
    assert reader.notes == ("column 'code' (3) not read (cptref reads id, codes, date)",)


def test_a_column_the_header_names_after_the_codes_is_not_read_as_codes() -> None:
    items = read(b"id,codes,payer\nA1,47532,Medicare\nA2,47532 47542\n", "claims.csv")  # 'Medicare' was a code
    assert claims(items) == [("A1", ("47532",), None), ("A2", ("47532", "47542"), None)]
    unquoted = read(b"id,codes\nA1,47532,47542\n", "claims.csv")  # the codes column last: commas in it read
    assert claims(unquoted) == [("A1", ("47532", "47542"), None)]


def test_a_column_after_the_codes_of_a_header_of_other_names_is_said_and_not_read() -> None:
    reader = CsvClaims()
    items = list(reader.items([b"ref,cpt,notes\n", b"A1,47532,looks fine\n"]))  # now dropped, unsaid
    assert claims(items) == [("A1", ("47532",), None)]
    assert reader.notes[-1] == "column 'notes' (3) not read (cptref reads id, codes, date)"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        pytest.param(gzip.compress(b"ISA*00*~"), "a gzip X12 file: an 837 is read from its own bytes", id="gzip"),
        pytest.param("ISA*00*~".encode("utf-16"), "a UTF-16 X12 file", id="utf16"),
    ],
)
def test_a_compressed_or_utf16_file_named_837_is_refused_with_the_pipe_that_reads_it(data: bytes, said: str) -> None:
    line = refused(data, "claims.837")  # was read as X12 bytes: "not an X12 file ... this file with '\\x1f..."
    assert line.startswith(f"claims.837: {said}") and "| cptref check --file -" in line


@pytest.mark.parametrize("suffix", [".bz2", ".xz"])
def test_a_bzip2_or_xz_bomb_stops_at_the_bound_too(monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    import lzma

    monkeypatch.setattr(opened, "MAX_DECOMPRESSED", 3_000_000)
    compress = bz2.compress if suffix == ".bz2" else lzma.compress
    said = [i.message for i in read(compress(b"7" * 5_000_000), "z.csv" + suffix) if isinstance(i, BadLine)]
    assert len(said) == 2 and "longer than" in said[0] and "decompressed past 3,000,000 bytes" in said[1]
