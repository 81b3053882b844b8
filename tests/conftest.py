from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

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
        from cptref.entry import main

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
    from cptref import cli

    return run_cptref(*args, env=env), run_cptref(*args, env=env, entry=cli.main)


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
