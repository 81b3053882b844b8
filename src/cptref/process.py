"""Process plumbing every command shares: whole answers on stdout, one-line failures on stderr
with their exit status, a quiet exit when the reader closes the pipe.

Nothing here knows a command; :mod:`cptref.app` answers them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from .errors import CptrefError, ExitCode
from .safe import visible


def write(data: bytes | str) -> None:
    """Write one whole answer to stdout at once; if the reader has closed the pipe (``| head``),
    end the command quietly with status 0 (Typer would turn the closed pipe into status 1)."""
    # backslashreplace: a file name that is not UTF-8 (a lone surrogate) is shown as \udcff, and
    # stdout stays UTF-8
    raw = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
    try:
        sys.stdout.buffer.write(raw)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        exit_quietly(ExitCode.OK, broken_pipe=True)


def warn(line: str) -> None:
    """One line on stderr, prefixed ``cptref:``, its control characters made visible."""
    sys.stderr.write(f"cptref: {visible(line, keep=False)}\n")
    sys.stderr.flush()


def fail(lines: Sequence[str], code: int) -> NoReturn:
    """Report on stderr, one line a problem, each prefixed ``cptref:``, and exit with ``code``."""
    for line in lines:
        sys.stderr.write(f"cptref: {visible(line, keep=False)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def exit_quietly(code: int, broken_pipe: bool = False) -> NoReturn:
    """Exit, making sure a reader that closed stdout early (``| head``) causes no traceback."""
    try:
        if not broken_pipe:
            sys.stdout.flush()
    except BrokenPipeError:
        broken_pipe = True
    if broken_pipe:
        code = ExitCode.OK
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    raise SystemExit(code)


def guarded(work: Callable[[], int | None]) -> NoReturn:
    """Run ``work``; exit with the status it returns, or map library errors, a closed pipe and an
    interrupt to their message and exit status."""
    try:
        status = work()
    except CptrefError as exc:
        fail(exc.lines(), exc.exit_code)
    except BrokenPipeError:
        exit_quietly(ExitCode.OK, broken_pipe=True)
    except KeyboardInterrupt:
        fail(["interrupted"], ExitCode.INTERRUPTED)
    exit_quietly(status or ExitCode.OK)
