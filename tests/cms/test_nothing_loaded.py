"""When no CMS table loads, the one line says why, naming the first file: never "none is a table" for
files that could not be read or were skipped for a reason of their own."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from tests.conftest import GOOD, run_cptref


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_nested_too_deep_is_named(tmp_path: Path, cache: Path) -> None:
    inner = _zip({"MCR_MUE_PractitionerServices_Eff_10-01-2026.csv": b"made-up\n"})
    folder = tmp_path / "cms"
    folder.mkdir()
    (folder / "outer.zip").write_bytes(_zip({"mid.zip": _zip({"inner.zip": inner})}))
    got = run_cptref("check", "0001X", "--cms", str(folder), "--data", str(GOOD))
    assert got.code == 3
    (line,) = got.err.splitlines()
    assert "none is an NCCI PTP, MUE or add-on code table or a PPRRVU file (first skipped: " in line
    assert "outer.zip:mid.zip/inner.zip: a zip nested too deep; extract it first)" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_folder_of_files_that_cannot_be_read_says_so(tmp_path: Path, cache: Path) -> None:
    folder = tmp_path / "cms"
    folder.mkdir()
    os.mkfifo(folder / "MCR_MUE_PractitionerServices_Eff_10-01-2026.csv")
    got = run_cptref("check", "0001X", "--cms", str(folder), "--data", str(GOOD))
    assert got.code == 3
    (line,) = got.err.splitlines()
    assert ": 1 file or folder could not be read (first: " in line
    assert "not a regular file (a named pipe, a socket or a device): not read" in line
