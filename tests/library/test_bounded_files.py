"""A licensed descriptor file read a line at a time, and the problems of any one file capped.

A descriptor file may be 50,000,000 bytes: it is read one line at a time (memory holds the
descriptors kept, never the file's bytes and text at once), a line over ``MAX_DESCRIPTOR_LINE_BYTES`` is a problem
of its own, skipped without being held. A file with a wrong value on each of many lines keeps and
prints ``PROBLEMS_PER_FILE`` problems, then one that counts the rest, so that the problems of one file
cannot fill the memory, the index or the screen.
"""

from __future__ import annotations

import shutil
import tracemalloc
from pathlib import Path

from cptref.errors import PROBLEMS_PER_FILE, Problem, cap_per_file
from cptref.library.lint import validate
from cptref.library.read import load_descriptors
from cptref.library.safe_yaml import MAX_DESCRIPTOR_LINE_BYTES
from tests.conftest import GOOD, run_cptref


def test_a_descriptor_file_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    """32 MB of long lines: the peak is a few lines, not the file's bytes plus its text (about 64 MB)."""
    big = tmp_path / "descriptors.tsv"
    line = b"0001X\t" + b"y" * (MAX_DESCRIPTOR_LINE_BYTES - 10) + b"\n"
    with big.open("wb") as handle:
        handle.write(b"0002X\tA made-up descriptor\n")
        for _ in range(32 * 1024 * 1024 // len(line)):
            handle.write(line)
    tracemalloc.start()
    try:
        found, problems = load_descriptors(big)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_DESCRIPTOR_LINE_BYTES + 2_000_000, peak
    assert set(found) == {"0001X", "0002X"}
    assert len(problems) == PROBLEMS_PER_FILE + 1  # the first 0001X is kept; each later one is "given more than once"
    assert problems[0] == Problem(str(big), "line 3", "0001X is given more than once")
    assert problems[-1].message.endswith(" more problems in this file, not listed one by one")


def test_a_line_over_the_limit_is_a_problem_and_never_held(tmp_path: Path) -> None:
    path = tmp_path / "descriptors.tsv"
    path.write_bytes(b"0001X\tOne\n" + b"0002X\t" + b"z" * (3 * MAX_DESCRIPTOR_LINE_BYTES) + b"\n0003X\tThree\n")
    found, problems = load_descriptors(path)
    assert found == {"0001X": "One", "0003X": "Three"}
    assert problems == [
        Problem(str(path), "line 2", f"a line over {MAX_DESCRIPTOR_LINE_BYTES:,} bytes: not a code and its descriptor")
    ]


def test_bytes_that_are_not_utf8_are_located_by_line(tmp_path: Path) -> None:
    path = tmp_path / "descriptors.tsv"
    path.write_bytes(b"\xef\xbb\xbf0001X\tOne\r\n0002X\tT\xffo\r\n")
    found, problems = load_descriptors(path)
    assert found == {}
    assert problems == [Problem(str(path), "line 2", "not UTF-8 text (byte 7 of the line)")]
    path.write_bytes(b"\xef\xbb\xbf0001X\tOne\r\n")
    assert load_descriptors(path) == ({"0001X": "One"}, [])


def test_problems_are_capped_per_file_with_the_count_of_the_rest() -> None:
    many = [
        Problem("a.yaml", f"$[{i}]", "wrong", "warning" if i % 2 else "error") for i in range(PROBLEMS_PER_FILE + 5)
    ]
    few = [Problem("b.yaml", "$", "wrong")]
    capped = cap_per_file([*many[:3], *few, *many[3:]])
    assert capped[: PROBLEMS_PER_FILE + 1] == [*many[:3], *few, *many[3:PROBLEMS_PER_FILE]]
    assert capped[-1] == Problem("a.yaml", "$", "5 more problems in this file, not listed one by one", "error")
    warnings_only = [Problem("c.yaml", "$", "w", "warning")] * (PROBLEMS_PER_FILE + 1)
    assert cap_per_file(warnings_only)[-1].severity == "warning"
    assert cap_per_file(few) == few


def test_validate_prints_a_files_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    entries = "".join(f"- id: made-up-{i}\n  title: 7\n  kind: nonsense\n" for i in range(500))
    (root / "sources.yaml").write_text(entries, encoding="utf-8")
    report = validate(root)
    mine = [p for p in report.problems if p.file.endswith("sources.yaml")]
    assert len(mine) == PROBLEMS_PER_FILE + 1
    assert mine[-1].message.endswith("more problems in this file, not listed one by one")
    got = run_cptref("show", "0001X", "--data", str(root))
    assert got.code == 3
    assert len([line for line in got.err.splitlines() if "sources.yaml" in line]) == PROBLEMS_PER_FILE + 1


def test_capping_twice_counts_as_capping_once() -> None:
    many = [Problem("a.yaml", f"$[{i}]", "wrong") for i in range(PROBLEMS_PER_FILE + 7)]
    once = cap_per_file(many)
    assert cap_per_file([*once, Problem("a.yaml", "$.x", "later")]) == [
        *many[:PROBLEMS_PER_FILE],
        Problem("a.yaml", "$", "8 more problems in this file, not listed one by one"),
    ]
