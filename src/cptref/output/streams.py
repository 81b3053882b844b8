"""Process plumbing every command shares: whole answers on stdout, one-line failures on stderr
with their exit status, a quiet exit when the reader closes the pipe.

Nothing here knows a command; :mod:`cptref.commands` answers them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from cptref.errors import SIGNALLED, CptrefError, ExitCode, Signalled
from cptref.output.safe_text import visible


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
    except OSError as exc:  # a full disk (> /dev/full), a device gone: one line, never a traceback
        unwritable(exc)


def unwritable(exc: OSError, where: str = "standard output") -> NoReturn:
    """The answer could not be written (a full disk, a device gone): one line naming where, exit 2.
    Stdout is pointed at the null device first, so that the interpreter's own flush at exit, which
    would meet the same error, adds no traceback."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    fail([f"{where}: cannot write the answer: {exc.strerror or exc}"], ExitCode.USAGE)


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
    except Signalled as exc:
        fail([exc.message], exc.exit_code)
    finish(status or ExitCode.OK)


CLOSED: set[str] = set()
"""The standard streams that were closed when cptref started (``>&-``): see :func:`standard_streams`."""


def standard_streams() -> None:
    """Give a closed standard stream (``<&-``, ``>&-``, ``2>&-``) the null device, so that nothing
    later takes its file descriptor and nothing writing to it fails; remember which were closed.
    Install the SIGINT and SIGTERM handlers (:class:`~cptref.errors.Signalled`)."""
    import signal

    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        null = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
        stream = open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - kept open
        setattr(sys, name, stream)
        CLOSED.add(name)
    with contextlib.suppress(ValueError):  # not the main thread (a library caller): leave signals alone
        signal.signal(signal.SIGINT, _signalled)
        signal.signal(signal.SIGTERM, _signalled)


def _signalled(signum: int, frame: object) -> None:
    SIGNALLED.append(signum)  # for SQLite's progress handler, which cannot pass the raise on
    raise Signalled(signum)


def finish(code: int) -> NoReturn:
    """Exit with ``code``; when stdout was closed from the start, the answer could not be written:
    say so, exit 2."""
    if "stdout" in CLOSED and code == ExitCode.OK:
        fail(["standard output is closed (>&-): the answer could not be written"], ExitCode.USAGE)
    exit_quietly(code)
