"""Errors the library raises and the exit status each one maps to.

The library never prints; the CLI turns a :class:`CptrefError` into one message on stderr and its
``exit_code``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import IntEnum

from msgspec import Struct


class ExitCode(IntEnum):
    """Exit statuses of the ``cptref`` command (documented in README.md)."""

    OK = 0
    """Success; also when the reader of stdout closes the pipe early (``| head``)."""
    NOT_FOUND = 1
    """``show``, ``search``: an unknown code, a search with no match (``check`` says it with :attr:`CODE_NOT_FOUND`)."""
    FINDINGS = 1
    """``check``: a finding is an error (or, with ``--strict``, a claim is not verified)."""
    USAGE = 2
    """Bad arguments: a malformed code, an empty query, an unknown option."""
    DATA = 3
    """The data directory is missing or a data file fails validation."""
    MALFORMED_INPUT = 4
    """``check --file``: lines of the batch could not be read as claims (each reported on stderr, the rest checked)."""
    CODE_NOT_FOUND = 5
    """``check``: a code of a claim is in neither the library nor the CMS tables (a ``no-data`` finding)."""
    BATCH_FAILED = 6
    """``check --file``: a worker process of the batch died (killed, out of memory): the claims it held
    and those after them were not checked; what was written before is whole, and the summary says so."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C, SIGINT), as a shell reports a process a signal stopped: 128 + 2."""
    TERMINATED = 143
    """Terminated (SIGTERM): 128 + 15."""


class CptrefError(Exception):
    """Base of every error cptref reports to a user."""

    exit_code: ExitCode = ExitCode.USAGE

    def lines(self) -> list[str]:
        """The message, one line per problem (most errors have exactly one)."""
        return [str(self)]


class UsageError(CptrefError):
    """The user asked for something malformed (a bad code, an empty query)."""

    exit_code = ExitCode.USAGE


def quoted(text: str, limit: int = 40) -> str:
    """``text`` quoted for a one-line message: escapes for what is not printable (``'\\n'``,
    ``'\\udcff'`` for a byte that is not UTF-8), and cut to ``limit`` characters with its length."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


class MalformedCode(UsageError):
    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"{quoted(text)} is not a CPT code: expected five characters, four digits then a digit "
            "or a capital letter (e.g. 47555, 0213T), or a HCPCS code, a capital letter then four digits (C1729)"
        )


class UnknownCode(CptrefError):
    """A code the library has no record of: the message says so, names what could have been meant
    (a typo of it, or codes of a family whose range holds it; never unrelated codes) and points to
    what the library covers."""

    exit_code = ExitCode.NOT_FOUND

    def __init__(self, code: str, suggestions: Sequence[str] = (), coverage: str | None = None) -> None:
        self.code = code
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        covers = f" ({coverage}: `cptref families`)" if coverage else ""
        super().__init__(
            f"code {code} is not in cptref's library{covers}{hint}; `cptref search WORDS` finds codes by words"
        )


class NoMatch(CptrefError):
    exit_code = ExitCode.NOT_FOUND

    def __init__(self, query: str, where: str = "the library") -> None:
        self.query = query
        super().__init__(f"nothing in {where} matches {quoted(query)}; try fewer or other words, or a code prefix")


class NoTables(CptrefError):
    """``--cms`` (or ``CPTREF_CMS``) names paths of which no CMS table could be loaded: the user asked
    for the official edits, and going on without them would check claims against nothing."""

    exit_code = ExitCode.DATA


class DamagedTables(CptrefError):
    """The compiled file of the user's CMS tables proved damaged and compiling it again did not mend
    it (or could not be done): one line, exit 3; the next command compiles it again from the files."""

    exit_code = ExitCode.DATA


class MissingExtra(UsageError):
    """Something asked for needs an optional extra that is not installed (``--format parquet``
    without pyarrow): one line naming the pip command that installs it (exit 2)."""

    def __init__(self, extra: str, what: str) -> None:
        self.extra = extra
        super().__init__(f"{what} needs the optional extra {extra}: pip install 'cptref[{extra}]'")


class BatchFailed(CptrefError):
    """A worker process of a batch died mid-way (``BrokenProcessPool``): the output stops after the last
    chunk that came back whole, the summary is printed, and this is the one line that says why."""

    exit_code = ExitCode.BATCH_FAILED


class Problem(Struct, frozen=True):
    """One thing wrong in a data file, located by file and field path."""

    file: str
    field: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


PROBLEMS_PER_FILE = 200
"""Problems kept and printed one by one for one file; past that, one closing problem counts the rest (a
file within its size can still hold a wrong value on each of many lines)."""


def cap_per_file(problems: Iterable[Problem], limit: int = PROBLEMS_PER_FILE) -> list[Problem]:
    """``problems`` with at most ``limit`` of each file kept, in order; for a file with more, one problem
    after its last kept one says how many more there are (an error if any of them is one). A closing
    problem of an earlier cap is counted in, so capping twice says the same as capping once."""
    kept: list[Problem] = []
    counts: dict[str, int] = {}
    more: dict[str, list[int]] = {}  # file -> [errors, warnings] not kept
    for problem in problems:
        earlier = _MORE.fullmatch(problem.message) if problem.field == "$" else None
        seen = counts.get(problem.file, 0)
        if earlier is not None:
            tally = more.setdefault(problem.file, [0, 0])
            tally[problem.severity != "error"] += int(earlier[1].replace(",", ""))
        elif seen < limit or problem.severity == "mention":
            counts[problem.file] = seen + 1
            kept.append(problem)
        else:
            tally = more.setdefault(problem.file, [0, 0])
            tally[problem.severity != "error"] += 1
    if not more:
        return kept
    out: list[Problem] = []
    last = {p.file: i for i, p in enumerate(kept)}
    for i, problem in enumerate(kept):
        out.append(problem)
        rest = more.get(problem.file)
        if rest is not None and last[problem.file] == i:
            out.append(more_problems(problem.file, *rest))
    out.extend(more_problems(file, *rest) for file, rest in more.items() if file not in last)
    return out


_MORE = re.compile(r"([0-9][0-9,]*) more problems? in this file, not listed one by one")


def count_problems(problems: Iterable[Problem]) -> int:
    """How many problems ``problems`` stand for: each closing problem of a cap counts what it counts."""
    total = 0
    for problem in problems:
        earlier = _MORE.fullmatch(problem.message) if problem.field == "$" else None
        total += int(earlier[1].replace(",", "")) if earlier is not None else 1
    return total


def more_problems(file: str, errors: int, warnings: int) -> Problem:
    """The one problem that stands for those of a file past :data:`PROBLEMS_PER_FILE`."""
    count = errors + warnings
    return Problem(
        file,
        "$",
        f"{count:,} more problem{'s' * (count != 1)} in this file, not listed one by one",
        "error" if errors else "warning",
    )


class DataErrors(CptrefError):
    """Data files failed validation; carries every problem found, not just the first (at most
    :data:`PROBLEMS_PER_FILE` of one file, then one that counts the rest)."""

    exit_code = ExitCode.DATA

    def __init__(self, problems: Iterable[Problem], lead: str | None = None) -> None:
        self.problems = tuple(cap_per_file(problems))
        count = count_problems(self.problems)

        super().__init__(
            lead
            or (
                f"the data is invalid ({count} problem{'s' if count != 1 else ''}); "
                "fix the files named below or point --data at a valid data directory"
            )
        )

    def lines(self) -> list[str]:
        return [str(self), *(str(p) for p in self.problems)]


SIGNALLED: list[int] = []
"""The signals (SIGINT, SIGTERM) that asked cptref to stop, as the handler noted them before raising
:class:`Signalled`: where the raise cannot get through (inside SQLite's progress handler, whose
exceptions SQLite swallows), the flag stops the statement and the caller raises it again."""


class Signalled(BaseException):
    """SIGINT or SIGTERM arrived: raised from the signal handler so that every ``finally`` runs (a
    half-written index is removed) and nothing on the way (Typer turns KeyboardInterrupt into a
    silent exit) swallows it. The entry point reports it in one line with 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        import signal

        return "interrupted" if self.signum == signal.SIGINT else "terminated"
