"""The package carries the data: build the sdist, the wheel FROM the sdist, install the wheel in a
fresh environment and run it from a folder outside the checkout, as `pipx install .` would."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
"""Every test here starts processes."""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only the built wheel (its dependencies are borrowed)."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # without --sdist/--wheel, build makes the sdist and then the wheel from the unpacked sdist
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert len(list(dist.glob("cptref-*.tar.gz"))) == 1
    wheel = next(dist.glob("cptref-*.whl"))
    env = base / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Dependencies come from the running environment, appended after the new one's own packages,
    # so that `cptref` itself can only be the wheel's copy.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "_cptref_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return env


def run_installed(installed: Path, where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``cptref`` run from ``where``, outside the checkout, with a bare environment."""
    return subprocess.run(
        [str(installed / "bin" / "cptref"), *args],
        capture_output=True,
        text=True,
        cwd=where,
        env={"PATH": "/usr/bin:/bin", "HOME": str(where)},
        timeout=60,
    )


def test_installed_wheel_shows_a_seed_code_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    proc = run_installed(installed, tmp_path, "show", "47555", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["procedures"][0]["code"] == "47555"


def test_installed_wheel_searches_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    proc = run_installed(installed, tmp_path, "search", "rendezvous")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("47541 ")


def test_the_sdist_carries_data_tests_and_docs(installed: Path) -> None:
    import tarfile

    sdist = next((installed.parent / "dist").glob("cptref-*.tar.gz"))
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for wanted in ("data/procedures/47555.yaml", "data/sources.yaml", "data/RELEASE", "README.md", "LICENSE"):
        assert wanted in names
    assert any(name.startswith("tests/") for name in names)


def test_installed_package_reads_its_own_data_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    code = "import cptref, cptref.library.paths as r; print(cptref.__file__); print(r.shipped_data_dir())"
    proc = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    module, data = proc.stdout.splitlines()
    assert module.startswith(str(installed))
    assert data.startswith(str(installed)) and data.endswith("cptref/data")
    assert (Path(data) / "procedures" / "47555.yaml").is_file()
    assert (Path(data) / "sources.yaml").is_file()
    assert (Path(data) / "RELEASE").is_file()
