"""Standard streams and signals: a closed stdout, stderr or stdin, and SIGINT/SIGTERM, end in one line
and a documented status on every path; a terminal of size 0 still gets the answer."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_on_terminal

pytestmark = pytest.mark.slow
"""Every test here starts processes."""


def shell(command: str) -> subprocess.CompletedProcess[str]:
    cptref = f"{sys.executable} -m cptref"
    return subprocess.run(
        ["bash", "-c", command.replace("cptref", cptref)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_closed_stderr_still_writes_the_answer(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    done = shell(f"cptref show 47555 2>&- > {out}")
    assert done.returncode == 0 and out.read_text().startswith("47555  ")


@pytest.mark.parametrize("args", ["show 47555", "show 47555 --json", "--help", "check 47532 77002"])
def test_closed_stdout_says_so_in_one_line_and_exits_2_or_1(args: str) -> None:
    done = shell(f"cptref {args} >&-")
    assert "Traceback" not in done.stderr
    if args.startswith("check"):
        assert done.returncode == 1  # the claim is stopped: its status stands
    else:
        assert done.returncode == 2
        assert done.stderr == "cptref: standard output is closed (>&-): the answer could not be written\n"


def test_closed_stdin_is_a_usage_error_only_where_it_is_read() -> None:
    done = shell("cptref check --file - <&-")
    assert done.returncode == 2 and "standard input is closed" in done.stderr
    assert shell("cptref show 47555 <&- > /dev/null").returncode == 0


def _handles_sigterm(pid: int) -> bool:
    """Whether the process has installed its SIGTERM handler (Linux: the caught-signal mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next((line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), "0")
    return bool(int(mask, 16) >> (signal.SIGTERM - 1) & 1)


@pytest.mark.skipif(sys.platform != "linux", reason="reads the caught-signal mask from /proc")
@pytest.mark.parametrize(
    ("signum", "code", "word"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
@pytest.mark.parametrize("args", [("check", "--file", "-"), ("check", "-f-")], ids=["fast path", "typer path"])
def test_a_signal_ends_every_path_with_its_message_and_status(
    signum: int, code: int, word: str, args: tuple[str, ...]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cptref", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"A1,47532\n")
    proc.stdin.flush()  # stdin stays open: the reader waits for more claims
    for _ in range(300):
        if _handles_sigterm(proc.pid) or proc.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # let it reach the read (the answer is the same if it has not)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert err.decode().endswith(f"cptref: {word}\n") and b"Traceback" not in err


def test_columns_0_on_a_terminal_of_size_0_still_prints() -> None:
    code, out, _ = run_on_terminal(("show", "47555"), {"COLUMNS": "0"}, columns=0, rows=0)
    assert code == 0 and "47555" in out
