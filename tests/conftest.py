from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from cptref.check import CheckResult, CheckTables
    from cptref.library.catalog import Catalog
    from tests.cms.quarters import Quarters

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
DATA = ROOT / "data"


# Every test, and every command a test starts, keeps its compiled index in a folder of its own,
# never in the user's cache.
_CACHE = tempfile.mkdtemp(prefix="cptref-test-cache-")
os.environ["CPTREF_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _processes_only_if_slow(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _processes_only_if_slow(item))


def _processes_only_if_slow(item: pytest.Item) -> Generator[None, object, object]:
    """A test that starts a process, or whose fixtures do, must be marked ``slow``, so that ``-m "not
    slow"`` leaves out exactly those: a process started for a test without the mark fails it, naming
    the command."""
    if item.get_closest_marker("slow") is not None:
        return (yield)
    started: list[str] = []
    real = subprocess.Popen.__init__

    def noted(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
        started.append(str(args))
        real(self, args, *rest, **options)

    subprocess.Popen.__init__ = noted  # type: ignore[method-assign]
    try:
        result = yield
    finally:
        subprocess.Popen.__init__ = real  # type: ignore[method-assign]
    if started:
        raise AssertionError(f"{item.nodeid} starts a process ({started[0]}): mark it @pytest.mark.slow")
    return result


@dataclass
class Run:
    code: int
    out: str
    err: str


CLEARED = ("CPTREF_DATA", "CPTREF_DESCRIPTORS", "CPTREF_CMS", "NO_COLOR", "COLUMNS", "LINES", "PAGER")
"""Variables of the developer's shell that would change the output: cleared for every run."""


def run_cptref(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: bytes = b"",
    entry: Callable[[list[str]], object] | None = None,
) -> Run:
    """Run the command in this process, through the console script's entry point, as a user would
    with stdout and stderr piped apart (so the output is plain text) and ``stdin`` as input. The
    environment, working directory and standard streams are restored afterwards. Tests of what only
    a real process shows (pipes closed early, terminals, signals, import cost) use
    :func:`run_process`."""
    import io

    if entry is None:
        from cptref.cli.main import main

        entry = main
    import signal

    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    sys.stdin, sys.stdout, sys.stderr = streams
    for name in CLEARED:
        os.environ.pop(name, None)
    os.environ.update(env or {})
    os.chdir(cwd or ROOT)
    try:
        entry(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    else:  # pragma: no cover - main always exits
        code = 0
    finally:
        for stream in streams:
            stream.flush()
        printed = (out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))
        for stream in streams:
            stream.detach()  # so that closing the wrapper closes nothing
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for sig, handler in saved_signals.items():  # the entry point installs its own
            signal.signal(sig, handler)
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    return Run(int(code), *printed)


def run_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run the real command in a fresh interpreter; stdout and stderr are kept apart."""
    full_env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "cptref", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or ROOT,
        timeout=60,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def shipped() -> Catalog:
    """The shipped library (``data/`` alone, through its compiled index), loaded once: the one fixture
    of every test that reads the real records. Tests only read it."""
    from cptref.library.catalog import load_catalog

    return load_catalog(DATA)


@pytest.fixture(scope="session")
def shipped_tables(shipped: Catalog) -> CheckTables:
    """The rules' tables of the shipped library (no CMS tables)."""
    from cptref.check import CheckTables

    return CheckTables.from_catalog(shipped)


@pytest.fixture
def cli() -> Callable[..., Run]:
    return run_cptref


def run_on_terminal(
    args: tuple[str, ...], env: dict[str, str], columns: int = 100, rows: int = 40
) -> tuple[int, str, str]:
    """Run the command with stdin and stdout on a pseudo-terminal ``columns`` x ``rows``; stderr
    apart. ``env`` is added to an environment cleared of the variables that change the output."""
    import fcntl
    import pty
    import struct
    import termios

    cleared = ("CPTREF_DATA", "CPTREF_DESCRIPTORS", "CPTREF_CMS", "NO_COLOR", "COLUMNS", "LINES", "PAGER", "TERM")
    full = {k: v for k, v in os.environ.items() if k not in cleared}
    full.update(env)
    master, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "cptref", *args], stdin=child, stdout=child, stderr=subprocess.PIPE, env=full, cwd=ROOT
    )
    os.close(child)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return proc.wait(timeout=60), out.decode().replace("\r\n", "\n"), err


def both_paths(args: list[str] | tuple[str, ...], env: dict[str, str] | None = None) -> tuple[Run, Run]:
    """The same arguments through the console script (the fast path, when it applies) and through the
    Typer application alone, both in this process."""
    from cptref.cli import typer_app as cli

    return run_cptref(*args, env=env), run_cptref(*args, env=env, entry=cli.typer_main)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory of the test's own (``CPTREF_CACHE_DIR``)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("CPTREF_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the good fixture library the test may change."""
    root = tmp_path / "data"
    shutil.copytree(GOOD, root)
    return root


def library_check(tables: CheckTables, tokens: Sequence[str], *args: Any, **kwargs: Any) -> CheckResult:
    """:func:`cptref.check.check` as the library's rules alone answer it, for the tests of those rules.

    These tests give no CMS tables, so every claim with a readable line also carries one ``not-checked``
    warning (the official edits did not check it): asserted here, then set aside with what it does to
    ``verified``, so that each test states what the library's facts give."""
    from msgspec import structs

    from cptref.check import check

    result = check(tables, tokens, *args, **kwargs)
    rest = tuple(f for f in result.findings if f.rule != "not-checked")
    if not result.lines:
        return result
    assert len(result.findings) - len(rest) == 1, result.findings
    return structs.replace(result, findings=rest, verified=result.ok and all(f.severity != "warning" for f in rest))


CMS_AOC = [
    "AOC_Edit_Type\tAdd-On_Code\tAOC_DelDT\tPrimary_Code\tPrimary_Code_DelDT\tAOC_Edit_EffDT\tAOC_Edit_DelDT\t"
    "Special_Instruction_Notes",
    "1\t0003X\t\t0001X\t\t2024001\t\t",
    "2\t0021X\t\tCCCCC\t\t2024001\t\tPlaceholder contractor note",
    "1\t0022X\t\t0002X\t\t2024001\t2026335\t",  # deleted on 2026-12-01
    "3\t0022X\t\t0007X\t\t2026335\t\t",
]
"""A made-up add-on code table (tab-delimited, as one reader met it) for the fixture tables' quarter."""
_RVU_TAIL = ",0,0,0,0,0,9,9,9,,,33.4009,09,0,99,0,0,0"
CMS_RVU_ROWS = [
    "0006X,,Placeholder bundled guidance,B,,0.50,0.50,,0.50,,0.05,1.05,1.05,0,XXX" + _RVU_TAIL,
    "0021X,,Placeholder add-on two,A,,1.00,1.00,,1.00,,0.10,2.10,2.10,0,ZZZ" + _RVU_TAIL,
]


@pytest.fixture(scope="session")
def cms_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every table of one quarter (2026 Q4), made up for the made-up ``tests/fixtures/check`` library: the
    fixture tables of ``tests/fixtures/cms/tables`` (PTP parts f1-f4 of both settings, MUE, PPRRVU), an
    add-on code table and two more fee-schedule rows. Claims dated in 2026 Q4 are checked by all of them."""
    folder = tmp_path_factory.mktemp("cms")
    for path in (FIXTURES / "cms" / "tables").iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "AOC_V2026Q4-MCR.txt").write_bytes(("\r\n".join(CMS_AOC) + "\r\n").encode("latin-1"))
    rvu = folder / "PPRRVU2026_Oct_nonQPP.csv"
    rvu.write_bytes(rvu.read_bytes() + ("\r\n".join(CMS_RVU_ROWS) + "\r\n").encode("latin-1"))
    return folder


@pytest.fixture(scope="session")
def quarters(tmp_path_factory: pytest.TempPathFactory) -> Quarters:
    """Two made-up quarters of every table (2026 Q3 and Q4) in the layouts and names of the downloads, one
    change of each sort between them (``tests/cms/quarters.py`` lists them), and a claims file."""
    from tests.cms.quarters import make_quarters

    return make_quarters(tmp_path_factory.mktemp("quarters"))
