"""Paths that exist but cannot be reached, and paths that are not files: never a traceback, never a hang.

A folder of mode 0600 can be listed but not searched: ``Path.exists`` and ``Path.is_dir`` raise
PermissionError for every name in it (Python < 3.12 swallows only "not found"). The cache falls back to
the parsed data there, as SECURITY.md promises; a data directory, a descriptor file or a CMS path there is
one located problem. A named pipe given as a data path is refused by its status, never opened (opening
one waits for a writer that never comes). These run in this process, held to permission bits even as
root (:mod:`tests.permissions`), and under an alarm, so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GOOD, Run, run_cptref
from tests.permissions import owner_permissions, unsearchable

POSIX = os.name == "posix"


@pytest.fixture(autouse=True)
def deadline() -> Iterator[None]:
    """Each test fails (TimeoutError) instead of blocking the suite, if a command waits on a pipe."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("the command blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def plain(got: Run) -> Run:
    assert "Traceback" not in got.err, got.err
    return got


CALLS = (
    ("show", "0001X"),
    ("search", "widget"),
    ("check", "0001X", "0002X"),
    ("list",),
)


@pytest.mark.skipif(not POSIX, reason="permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o000, 0o500, 0o300])
@pytest.mark.parametrize("where", ["cache", "parent"])
def test_a_cache_directory_that_cannot_be_searched_or_written_falls_back_to_the_parsed_data(
    tmp_path: Path, data: Path, mode: int, where: str
) -> None:
    """SECURITY.md (area cache): commands answer from the parsed data, with the same answer."""
    usable = {"CPTREF_CACHE_DIR": str(tmp_path / "ok")}
    expected = [run_cptref(*call, "--data", str(data), env=usable) for call in CALLS]
    assert [e.code for e in expected] == [0, 0, 0, 0]
    folder = tmp_path / "cache"
    folder.mkdir()
    target = folder if where == "cache" else folder / "sub"
    try:
        with owner_permissions():
            folder.chmod(mode)
            if not mode & 0o100:
                unsearchable(folder, mode)
            for call, want in zip(CALLS, expected, strict=True):
                got = plain(run_cptref(*call, "--data", str(data), env={"CPTREF_CACHE_DIR": str(target)}))
                assert (got.code, got.out) == (want.code, want.out), (call, got.err)
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_the_cms_tables_compile_elsewhere_when_the_cache_cannot_be_searched(
    tmp_path: Path, data: Path, cms_folder: Path
) -> None:
    call = ("check", "0001X", "0002X", "--date", "2026-11-02", "--cms", str(cms_folder), "--data", str(data))
    want = run_cptref(*call, env={"CPTREF_CACHE_DIR": str(tmp_path / "ok")})
    folder = tmp_path / "cache"
    folder.mkdir()
    try:
        with owner_permissions():
            unsearchable(folder)
            got = plain(run_cptref(*call, env={"CPTREF_CACHE_DIR": str(folder)}))
    finally:
        folder.chmod(0o700)
    assert (got.code, got.out) == (want.code, want.out)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A folder that can be listed, not searched (0600), held to its bits, put back afterwards."""
    folder = tmp_path / "locked"
    folder.mkdir()
    shutil.copytree(GOOD, folder / "data")
    (folder / "descriptors.tsv").write_text("0001X\tA made-up licensed descriptor\n", encoding="utf-8")
    (folder / "claims.csv").write_text("id,codes\nc1,0001X\n", encoding="utf-8")
    try:
        with owner_permissions():
            unsearchable(folder)
            yield folder
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_a_data_directory_that_cannot_be_reached_is_one_located_problem(locked: Path, cache: Path) -> None:
    shown = str(locked / "data")
    got = plain(run_cptref("show", "0001X", "--data", shown))
    assert got.code == 3 and got.out == ""
    assert f"cptref: {shown}: $: the data directory cannot be reached (Permission denied)" in got.err.splitlines()
    got = plain(run_cptref("validate", shown))
    assert got.code == 3
    assert "cannot be reached (Permission denied)" in got.out + got.err


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_a_data_directory_whose_procedures_cannot_be_reached_is_one_located_problem(data: Path, cache: Path) -> None:
    try:
        with owner_permissions():
            unsearchable(data, 0o600)
            got = plain(run_cptref("show", "0001X", "--data", str(data)))
    finally:
        data.chmod(0o700)
    assert got.code == 3
    assert f"cptref: {data}/procedures: $: the procedures folder cannot be reached (Permission denied)" in got.err


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_descriptors_cms_tables_and_claims_that_cannot_be_reached_are_each_one_line(locked: Path, cache: Path) -> None:
    got = plain(run_cptref("show", "0001X", "--data", str(GOOD), "--descriptors", str(locked / "descriptors.tsv")))
    assert got.code == 3 and "cannot read the descriptor file: Permission denied" in got.err
    for cms in (locked, locked / "descriptors.tsv"):
        got = plain(run_cptref("check", "0001X", "--data", str(GOOD), "--cms", str(cms)))
        assert got.code == 3, got.err
        (line,) = got.err.splitlines()
        assert line.startswith(f"cptref: no CMS table could be loaded from --cms {cms}: ")
        assert "could not be read (first: " in line and "Permission denied" in line
    got = plain(run_cptref("check", "--file", str(locked / "claims.csv"), "--data", str(GOOD)))
    assert got.code == 2 and "Permission denied" in got.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize(
    "call",
    [
        ("show", "0001X", "--data", "{fifo}"),
        ("validate", "{fifo}"),
        ("search", "widget", "--data", "{fifo}"),
        ("show", "0001X", "--descriptors", "{fifo}"),
        ("check", "0001X", "--cms", "{fifo}"),
    ],
)
def test_a_named_pipe_given_as_a_data_path_is_refused_without_being_opened(
    tmp_path: Path, cache: Path, call: tuple[str, ...]
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = plain(run_cptref(*(part.format(fifo=fifo) for part in call)))
    assert got.code == 3, got.err
    assert any(
        phrase in got.out + got.err
        for phrase in ("a named pipe, a socket or a device", "not a regular file (a pipe, socket or device)")
    ), got.err
    assert str(fifo) in got.out + got.err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_record_file_swapped_for_a_named_pipe_after_its_status_was_read_is_refused_not_waited_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stats a file, then reads it: a file replaced by a named pipe in between was opened, and
    opening a pipe waits for a writer (the test's alarm ended it). The file opened is checked again."""
    from cptref.errors import DataErrors
    from cptref.library.index.parse import parse_file
    from cptref.library.safe_yaml import read_bytes

    regular = tmp_path / "regular.yaml"
    regular.write_text("code: 0001X\n")
    fifo = tmp_path / "0001X.yaml"
    os.mkfifo(fifo)
    first_look = os.stat(regular)  # what the status said before the swap
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **kw: first_look if self == fifo else real_stat(self, **kw))
    signal.alarm(5)
    with pytest.raises(DataErrors) as refused:
        read_bytes(fifo)
    assert "not a regular file (a pipe, socket or device)" in str(refused.value.problems[0])
    parsed = parse_file(fifo)  # as a build's worker reads a record file: one located problem
    assert parsed.body is None and "not a regular file" in parsed.problems[0].message


@pytest.mark.skipif(not POSIX, reason="permission bits")
def test_changes_sets_and_releases_that_cannot_be_reached_are_each_one_line(locked: Path, cache: Path) -> None:
    """``changes --from PATH`` and ``--from-data PATH`` asked ``Path.exists``, which raises under a folder
    that cannot be searched: a PermissionError traceback, exit 1."""
    for args in (
        ("--from", str(locked / "q3"), "--to", str(GOOD)),
        ("--from-data", str(locked / "data")),
    ):
        got = plain(run_cptref("changes", *args, "--data", str(GOOD)))
        assert got.code == 2 and got.out == "", got.err
        (line,) = got.err.splitlines()
        assert line.endswith("the path cannot be reached (Permission denied)") and str(locked) in line, line
