"""Verified means checked: a claim is verified only when the official edits in force on its date of
service checked it, and each claim says what checked it (``checked``). Made-up tables in the real
layouts (the fixtures of ``tests/fixtures/cms``, 2026 Q4) and the made-up ``tests/fixtures/check``
library."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, Run

Cli = Callable[..., Run]
DATA = ("--data", str(FIXTURES / "check"))
Q4 = "2026-11-27"
PTP = [f"ccipra-v323r0-f{part}.txt" for part in (1, 2, 3, 4)]


def claim(cli: Cli, cms: Path | None, *lines: str, date: str = Q4, **kwargs: Any) -> dict[str, Any]:
    args = ("check", *lines, "--json", "--date", date, *DATA, *(("--cms", str(cms)) if cms else ()))
    run = cli(*args, **kwargs)
    assert run.code in (0, 1, 5), run.err  # 5: a code in neither the library nor the tables
    doc: dict[str, Any] = json.loads(run.out)
    return doc


def by(doc: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {edit: (answer["by"], answer["table"]) for edit, answer in doc["checked"].items()}


def unchecked(doc: dict[str, Any]) -> str:
    [found] = [f for f in doc["findings"] if f["rule"] == "not-checked"]
    message: str = found["message"]
    return message


def copy(cms: Path, tmp_path: Path, leave_out: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "cms"
    shutil.copytree(cms, folder, ignore=shutil.ignore_patterns(*leave_out) if leave_out else None)
    return folder


# --- what checked a claim ------------------------------------------------------------------------------


def test_every_table_in_force_checks_and_verifies_the_claim(cli: Cli, cms_folder: Path) -> None:
    doc = claim(cli, cms_folder, "0007X", "0031X")
    assert by(doc) == {
        "pairs": ("table", "ptp/practitioner/32.3r0"),
        "units": ("table", "mue/practitioner/2026Q4"),
        "add_ons": ("table", "aoc/all/2026Q4"),
        "status": ("table", "rvu/nonqpp/RVU26D"),
    }
    assert doc["ok"] and doc["verified"] and not [f for f in doc["findings"] if f["severity"] != "info"]
    one = claim(cli, cms_folder, "0007X")
    assert by(one)["pairs"] == ("not-needed", None) and one["verified"]


def test_no_tables_given_is_never_verified_and_names_the_pairs_the_library_leaves_undecided(cli: Cli) -> None:
    doc = claim(cli, None, "0007X", "0031X")
    assert not doc["verified"] and doc["ok"]
    assert by(doc)["pairs"] == ("nothing", None)
    message = unchecked(doc)
    assert message.startswith("Not verified: no CMS tables were given (--cms or CPTREF_CMS)")
    assert "the library decides no pair of them (0007X+0031X)" in message
    decided = claim(cli, None, "0001X", "0006X")  # 0001X includes 0006X: the library decides the pair
    assert by(decided)["pairs"][0] == "library" and not decided["verified"]


def test_a_claim_with_a_line_that_could_not_be_read_does_not_say_its_pairs_needed_no_check(
    cli: Cli, cms_folder: Path
) -> None:
    """One code read and one line malformed: the claim had two lines, so its pairs were not 'not
    needed', they were not checked (the malformed line stops the claim with an error besides)."""
    doc = claim(cli, cms_folder, "0007X", "00O7X")
    assert not doc["ok"] and not doc["verified"]
    assert by(doc)["pairs"] == ("nothing", None) and by(doc)["units"] == ("table", "mue/practitioner/2026Q4")
    assert by(claim(cli, cms_folder, "0007X", "0007X-59"))["pairs"] == ("not-needed", None)  # one code, two lines


def test_strict_exits_1_for_a_claim_no_official_edit_checked(cli: Cli, cms_folder: Path) -> None:
    base = ("check", "0007X", "--date", Q4, *DATA)
    assert cli(*base).code == 0
    assert cli(*base, "--strict").code == 1
    assert cli(*base, "--strict", "--cms", str(cms_folder)).code == 0


# --- tables by date -------------------------------------------------------------------------------------


def test_a_claim_outside_every_loaded_quarter_is_not_verified_and_says_which_quarters_are_loaded(
    cli: Cli, cms_folder: Path
) -> None:
    doc = claim(cli, cms_folder, "0001X", "0002X", date="2030-03-01")
    assert not doc["verified"]
    assert [f["rule"] for f in doc["findings"] if f["rule"] == "ncci-ptp"] == []  # a 2026 Q4 edit is not applied
    assert by(doc)["pairs"] == ("library", None) or by(doc)["pairs"] == ("nothing", None)
    message = unchecked(doc)
    assert (
        "pairs: no NCCI PTP table for practitioner claims in force on 2030-03-01: yours is v32.3r0, "
        "2026-10-01 to 2026-12-31" in message
    )
    assert "units: no MUE table for practitioner claims in force on 2030-03-01" in message
    assert "add-ons: no add-on code (AOC) table in force on 2030-03-01: yours is 2026Q4" in message


def test_a_folder_of_two_quarters_checks_each_claim_against_the_quarter_of_its_date(
    cli: Cli, cms_folder: Path, tmp_path: Path
) -> None:
    """2026 Q3 (v32.2) holds an edit 0040X/0041X with indicator 0; 2026 Q4 (v32.3) its indicator 1."""
    folder = copy(cms_folder, tmp_path)
    for name in PTP:
        text = (folder / name).read_bytes()
        (folder / name.replace("v323r0", "v322r0")).write_bytes(
            text.replace(b"0040X\t0041X\t\t20230401\t*\t1", b"0040X\t0041X\t\t20230401\t*\t0")
        )
    for name in ("MCR_MUE_PractitionerServices_Eff_10-01-2026.csv",):
        shutil.copy(folder / name, folder / name.replace("10-01-2026", "07-01-2026"))
    shutil.copy(folder / "AOC_V2026Q4-MCR.txt", folder / "AOC_V2026Q3-MCR.txt")
    q3 = claim(cli, folder, "0040X", "0041X-59", date="2026-08-15")
    q4 = claim(cli, folder, "0040X", "0041X-59", date=Q4)
    assert by(q3)["pairs"] == ("table", "ptp/practitioner/32.2r0")
    assert by(q4)["pairs"] == ("table", "ptp/practitioner/32.3r0")
    [(q3_edit, q3_severity)] = [(f["table"], f["severity"]) for f in q3["findings"] if f["rule"] == "ncci-ptp"]
    [(q4_edit, q4_severity)] = [(f["table"], f["severity"]) for f in q4["findings"] if f["rule"] == "ncci-ptp"]
    assert (q3_edit, q3_severity) == ("NCCI PTP edits, practitioner, v32.2r0", "error")  # indicator 0: 59 cannot
    assert (q4_edit, q4_severity) == ("NCCI PTP edits, practitioner, v32.3r0", "info")
    assert q3["ok"] is False and q4["verified"] is True
    batch = tmp_path / "claims.csv"
    batch.write_text("id,codes,date\nq3,0040X 0041X-59,2026-08-15\nq4,0040X 0041X-59,2026-11-15\n")
    run = cli("check", "--file", str(batch), "--jsonl", "--cms", str(folder), *DATA)
    lines = {d["id"]: d for d in map(json.loads, run.out.splitlines())}
    assert not lines["q3"]["ok"] and lines["q4"]["verified"]
    assert "checked" not in lines["q3"] and "checked" not in lines["q4"]  # lean: stopped, verified
    explained = cli("check", "--file", str(batch), "--jsonl", "--explain", "--cms", str(folder), *DATA)
    full = {d["id"]: d for d in map(json.loads, explained.out.splitlines())}
    assert full["q3"]["checked"]["pairs"]["table"] == "ptp/practitioner/32.2r0"
    assert full["q4"]["checked"]["pairs"]["table"] == "ptp/practitioner/32.3r0"
    batch.write_text("id,codes,date\nlate,0040X 0041X-59,2027-02-01\n")  # no table in force: ok, not verified
    [late] = map(
        json.loads, cli("check", "--file", str(batch), "--jsonl", "--cms", str(folder), *DATA).out.splitlines()
    )
    assert late["ok"] and not late["verified"] and late["checked"]["pairs"]["by"] in ("library", "nothing")


def test_a_ptp_set_missing_a_part_verifies_no_claim_and_says_which_part(
    cli: Cli, cms_folder: Path, tmp_path: Path
) -> None:
    folder = copy(cms_folder, tmp_path, leave_out=("ccipra-v323r0-f3.txt",))
    doc = claim(cli, folder, "0010X", "0011X")
    assert by(doc)["pairs"] == ("table", "ptp/practitioner/32.3r0")
    assert not doc["verified"]
    assert (
        "pairs: your NCCI PTP table (NCCI PTP edits, practitioner, v32.3r0) was not read whole (part f3 missing)"
        in (unchecked(doc))
    )
    tables = json.loads(cli("tables", "--json", "--cms", str(folder)).out)
    [ptp] = [t for t in tables["tables"] if t["id"] == "ptp/practitioner/32.3r0"]
    assert (ptp["parts"], ptp["missing_parts"], ptp["verifies"]) == ([1, 2, 4], [3], False)
    assert cli("tables", "--cms", str(folder)).code == 3


def test_a_ptp_table_whose_files_name_no_part_verifies_no_claim(cli: Cli, cms_folder: Path, tmp_path: Path) -> None:
    """One part renamed without its -f1 and the others gone: nothing tells a part is missing, so
    nothing tells the table is whole."""
    folder = copy(cms_folder, tmp_path, leave_out=tuple(PTP[1:]))
    (folder / PTP[0]).rename(folder / "ccipra-v323r0.txt")
    doc = claim(cli, folder, "0007X", "0031X")
    assert by(doc)["pairs"] == ("table", "ptp/practitioner/32.3r0") and not doc["verified"]
    assert "pairs: your NCCI PTP table (NCCI PTP edits, practitioner, v32.3r0) was not read whole" in unchecked(doc)
    validate = cli("validate", "--cms", str(folder))
    assert "names no part (-f1 to -f4)" in validate.out + validate.err


def test_a_table_with_rejected_rows_verifies_no_claim(cli: Cli, cms_folder: Path, tmp_path: Path) -> None:
    folder = copy(cms_folder, tmp_path)
    mue = folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv"
    mue.write_bytes(mue.read_bytes() + b"0077X,many,1 Line Edit,Placeholder\r\n")
    doc = claim(cli, folder, "0007X")
    assert not doc["verified"] and "units: your MUE table" in unchecked(doc)


def test_a_table_whose_dates_cannot_be_told_checks_but_does_not_verify(
    cli: Cli, cms_folder: Path, tmp_path: Path
) -> None:
    folder = copy(cms_folder, tmp_path)
    (folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv").rename(folder / "mue.csv")
    doc = claim(cli, folder, "0007X")
    assert by(doc)["units"] == ("table", "mue/practitioner/unknown")
    assert "cannot be told from its file names" in unchecked(doc)


def test_a_file_that_looks_like_a_table_but_cannot_be_read_stops_every_claim_from_being_verified(
    cli: Cli, cms_folder: Path, tmp_path: Path
) -> None:
    folder = copy(cms_folder, tmp_path)
    (folder / "export.csv").write_bytes(b"Column 1;Column 2;Effective;Deletion;Modifier\r\n0001X;0002X;1;2;3\r\n")
    run = cli("check", "0007X", "--json", "--date", Q4, "--cms", str(folder), *DATA)
    doc = json.loads(run.out)
    assert not doc["verified"] and "1 file under --cms could not be loaded (" in unchecked(doc)
    [warning] = [line for line in run.err.splitlines() if "CMS" in line]
    assert "export.csv" in warning and "`cptref tables` lists them" in warning
    tables = json.loads(cli("tables", "--json", "--cms", str(folder)).out)
    assert [Path(f["file"]).name for f in tables["failed"]] == ["export.csv"] and not tables["ok"]


@pytest.mark.parametrize("damaged", ["zip", "member"])
def test_a_zip_that_cannot_be_opened_stops_every_claim_from_being_verified(
    cli: Cli, cms_folder: Path, tmp_path: Path, damaged: str
) -> None:
    """A damaged download beside whole tables (here a revision of the quarter's PTP part, which would
    supersede the file read): the edits it may hold were not read, so no claim is verified."""
    folder = copy(cms_folder, tmp_path)
    name = "medicare-ncci-2026q4-practitioner-ptp-edits-ccipra-v323r1-f1.zip"
    if damaged == "zip":
        (folder / name).write_bytes(b"PK\x03\x04 cut short")
    else:  # a zip whose member is a zip that cannot be opened
        with zipfile.ZipFile(folder / name, "w") as archive:
            archive.writestr("inner.zip", b"PK\x03\x04 cut short")
    doc = claim(cli, folder, "0007X", "0031X")
    assert not doc["verified"] and "1 file under --cms could not be loaded (" in unchecked(doc)
    assert name in unchecked(doc)
    tables = json.loads(cli("tables", "--json", "--cms", str(folder)).out)
    assert [name in f["file"] for f in tables["failed"]] == [True]
    assert not tables["ok"]


@pytest.mark.parametrize("body", [b"", b"<html><body>Placeholder error page</body></html>\r\n"])
def test_a_file_named_as_an_edit_table_that_cannot_be_read_stops_every_claim_from_being_verified(
    cli: Cli, cms_folder: Path, tmp_path: Path, body: bytes
) -> None:
    """An empty download, or an error page saved under the part's name, of a revision that would
    supersede the table read: its header is no table's, but its name says what edits it was to hold."""
    folder = copy(cms_folder, tmp_path)
    (folder / "ccipra-v323r1-f1.txt").write_bytes(body)
    doc = claim(cli, folder, "0007X", "0031X")
    assert not doc["verified"] and "1 file under --cms could not be loaded (" in unchecked(doc)
    assert "ccipra-v323r1-f1.txt" in unchecked(doc)
    (folder / "ccipra-v323r1-f1.txt").rename(folder / "notes.txt")  # a name no edit table has: a warning
    assert claim(cli, folder, "0007X", "0031X")["verified"]


def test_cms_paths_that_hold_nothing_loadable_are_errors_not_a_silent_no_op(cli: Cli, tmp_path: Path) -> None:
    missing = cli("check", "0007X", "--cms", str(tmp_path / "nowhere"), *DATA)
    assert (missing.code, missing.out) == (2, "")
    (tmp_path / "empty").mkdir()
    empty = cli("check", "0007X", "--cms", str(tmp_path / "empty"), *DATA)
    assert empty.code == 3 and empty.err.startswith("cptref: no CMS table could be loaded from --cms")
    assert cli("tables", *DATA).code == 2


def test_tables_lists_each_table_with_its_dates(cli: Cli, cms_folder: Path) -> None:
    run = cli("tables", "--cms", str(cms_folder))
    assert run.code == 0
    assert run.out.startswith("ptp/practitioner/32.3r0  in force 2026-10-01 to 2026-12-31  verifies claims")
    doc = json.loads(cli("tables", "--json", "--cms", str(cms_folder)).out)
    assert [t["id"] for t in doc["tables"]] == [
        "ptp/practitioner/32.3r0",
        "ptp/outpatient_hospital/32.3r0",
        "mue/practitioner/2026Q4",
        "mue/outpatient_hospital/2026Q4",
        "mue/dme/2026Q4",
        "aoc/all/2026Q4",
        "rvu/nonqpp/RVU26D",
    ]
    assert all((t["starts"], t["ends"], t["verifies"]) == ("2026-10-01", "2026-12-31", True) for t in doc["tables"])
    assert doc["ok"] and doc["failed"] == []


# --- library facts read from an official table ------------------------------------------------------------


@pytest.fixture
def official_library(tmp_path: Path) -> Path:
    """The fixture library, with 0003X's add-on primaries read from a (made-up) AOC file of 2026 Q4."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "check", data)
    sources = data / "sources.yaml"
    sources.write_text(
        sources.read_text()
        + "- id: aoc-file\n  title: Made-up AOC file\n  kind: official\n"
        + "  table: {kind: aoc, setting: all, quarter: 2026Q4}\n"
    )
    record = data / "procedures" / "0003X.yaml"
    text = record.read_text()
    old = "add_on:\n  note: primary codes not recorded\n  sources: [test-book]\n  confidence: medium\n"
    assert old in text
    record.write_text(text.replace(old, 'add_on:\n  primaries: ["0001X"]\n  sources: [aoc-file]\n  confidence: high\n'))
    return data


def test_library_add_on_facts_read_from_an_aoc_file_answer_for_its_quarter_only(
    cli: Cli, official_library: Path
) -> None:
    args = ("check", "0001X", "0003X", "--json", "--data", str(official_library))
    inside = json.loads(cli(*args, "--date", Q4).out)
    outside = json.loads(cli(*args, "--date", "2027-02-01").out)
    assert inside["checked"]["add_ons"] == {"by": "official-fact", "table": None, "sources": ["aoc-file"]}
    assert outside["checked"]["add_ons"]["by"] == "library"


# --- modifiers as NCCI reads them ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "severity", "words"),
    [
        (("0040X-RT", "0041X-LT"), "info", "different anatomic sites"),
        (("0040X", "0041X-F1"), "info", "different anatomic sites"),
        (("0040X-RT", "0041X-RT"), "error", "name the same site on both codes"),
        (("0040X", "0041X-25"), "info", "separately identifiable"),
        (("0040X", "0041X-79"), "info", "unrelated to the first one"),
        (("0040X", "0041X-91"), "info", "repeat of the laboratory test"),
        (("0040X", "0041X-XS"), "info", "another organ or structure (XS)"),
        (("0040X", "0041X-22"), "error", "modifier indicator 1."),
    ],
)
def test_the_ncci_associated_modifiers_allow_an_indicator_1_edit_and_say_what_to_document(
    cli: Cli, cms_folder: Path, lines: tuple[str, ...], severity: str, words: str
) -> None:
    doc = claim(cli, cms_folder, *lines)
    [edit] = [f for f in doc["findings"] if f["rule"] == "ncci-ptp"]
    assert edit["severity"] == severity
    assert words in edit["message"] + " " + (edit["fix"] or "")
    if severity == "info":
        assert "Chapter I, Section E" in edit["message"]


def test_an_unknown_modifier_is_a_warning_and_two_sides_on_one_line_an_error(cli: Cli, cms_folder: Path) -> None:
    doc = claim(cli, cms_folder, "0007X-ZZ")
    [unknown] = [f for f in doc["findings"] if f["rule"] == "unknown-modifier"]
    assert unknown["severity"] == "warning" and not doc["verified"]
    known = claim(cli, cms_folder, "0007X-GC")
    assert [f["rule"] for f in known["findings"]] == ["modifier-not-evaluated"] and known["verified"]
    for line in ("0007X-RT-LT", "0007X-50-LT"):
        conflict = claim(cli, cms_folder, line)
        assert [f["rule"] for f in conflict["findings"] if f["severity"] == "error"] == ["conflicting-modifiers"]


def test_a_26_and_a_tc_line_over_a_date_of_service_mue_only_when_summed_is_a_question(
    cli: Cli, cms_folder: Path
) -> None:
    # 0001X: MUE 1, date of service (policy)
    [split] = [f for f in claim(cli, cms_folder, "0001X-26", "0001X-TC")["findings"] if f["rule"] == "mue"]
    assert split["severity"] == "warning" and "26 and TC lines summed" in split["message"]
    [two] = [f for f in claim(cli, cms_folder, "0001X-26x2", "0001X-TC")["findings"] if f["rule"] == "mue"]
    assert two["severity"] == "error"
