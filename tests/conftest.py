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


def run_cptref(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run the real command in a fresh interpreter; stdout and stderr are kept apart."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("CPTREF_DATA", "NO_COLOR", "COLUMNS")}
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

    cleared = ("CPTREF_DATA", "CPTREF_DESCRIPTORS", "NO_COLOR", "COLUMNS", "LINES", "PAGER", "TERM")
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
    """The same arguments through the fast path (``cptref.entry``) and through Typer (``cptref.cli``)."""

    def run(entry: str) -> Run:
        code = f"import sys\nfrom {entry} import main\nmain(sys.argv[1:])\n"
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
            env={**os.environ, **(env or {})},
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run("cptref.entry"), run("cptref.cli")
