"""Text drawn on a terminal: the only module that imports rich (inside the functions that draw).

:func:`to_rich` draws a :class:`~cptref.output.text.doc.TextDoc` with colour; :func:`text_mode` says how
text is drawn (``--color``, ``NO_COLOR``, a pipe); :func:`screen` the terminal's size; :func:`pager`
pages long text; :class:`ProgressBar` and :func:`progress_line` show long work on stderr.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Literal

from .doc import TextDoc, one_row


def to_rich(
    doc: TextDoc,
    file: Any = None,
    color: bool = True,
    width: int | None = None,
    force: bool = False,
    page: bool = False,
) -> None:
    """Draw the document with rich: on a terminal, or anywhere with ``force`` (``--color always``:
    ANSI colours even into a pipe, ``width`` columns wide). ``page`` sends it through :func:`page`."""
    from rich.console import Console
    from rich.text import Text

    console = Console(
        file=file,
        no_color=not color,
        highlight=False,
        soft_wrap=False,
        width=width,
        force_terminal=True if force else None,
        color_system="standard" if force else "auto",
    )
    with console.capture() if page else contextlib.nullcontext() as captured:
        for line in doc.lines:
            text = Text()
            for segment, style in line.segments:
                text.append(segment, style=style or None)
            if not line.wrap:  # a table row stays whole, as in plain text
                row = Text(" " * line.indent) + Text(one_row(text.plain), spans=text.spans)
                console.print(row, no_wrap=True, overflow="ignore", crop=False)
                continue
            if line.fit:  # cut to the width, as plain text cuts it
                row = Text(" " * line.indent) + Text(one_row(text.plain), spans=text.spans)
                row.truncate(max(console.width, line.indent + 9), overflow="ellipsis")
                console.print(row, no_wrap=True, overflow="ellipsis", crop=False)
                continue
            # wrapped as plain text wraps it: continuation lines indented by the line's hang
            room = max(console.width - line.indent - line.hang, 1)
            for i, part in enumerate(text.wrap(console, room, overflow="fold") or [Text()]):
                part.rstrip()
                pad = line.indent + (line.hang if i else 0)
                console.print(Text(" " * pad) + part, no_wrap=True, overflow="ignore", crop=False)
    if captured is not None:
        pager(captured.get())


TextMode = Literal["color", "mono", "plain"]
"""How text is drawn: rich with colour, rich without colour, or :func:`plain` text."""


def text_mode(color: str, tty: bool, environ: Mapping[str, str]) -> TextMode:
    """``--color``: ``always`` draws colour even when piped and despite ``NO_COLOR``; ``never``
    writes plain text; ``auto`` draws colour on a terminal, without colour when ``NO_COLOR`` is set
    (to anything but the empty string), and plain text when piped."""
    if color == "always":
        return "color"
    if color == "never" or not tty:
        return "plain"
    return "mono" if environ.get("NO_COLOR") else "color"


def screen() -> tuple[int, int]:
    """The columns and lines of the terminal: ``COLUMNS`` and ``LINES`` when set (to a positive
    number), else the terminal's own size, else 100 x 24 (piped output, or a terminal of size 0)."""
    import os
    import sys

    def given(name: str) -> int:
        try:
            return int(os.environ[name])
        except (KeyError, ValueError):
            return 0

    # as shutil.get_terminal_size says it (importing shutil costs every command a millisecond or two)
    columns, lines = given("COLUMNS"), given("LINES")
    if columns <= 0 or lines <= 0:
        try:
            size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            size = os.terminal_size((0, 0))
        columns = columns if columns > 0 else size.columns or 100
        lines = lines if lines > 0 else size.lines or 24
    return columns, lines


def pager(text: str) -> None:
    """Show ``text`` on the terminal through ``$PAGER`` (run by the shell, as git does), else
    ``less``, with ``LESS=FRX`` unless ``LESS`` is set (colours pass through, one screen quits).
    ``PAGER`` set empty or to ``cat``, or a pager that cannot be found, writes the text straight out.
    The paging itself is pydoc's (Ctrl-C belongs to the pager while it runs)."""
    import os
    import pydoc
    import shlex
    import shutil
    import sys

    command = os.environ.get("PAGER", "less").strip()
    try:
        program = shlex.split(command)[0] if command else ""
    except ValueError:  # unbalanced quotes: the shell could not run it either
        program = ""
    if command in ("", "cat") or shutil.which(program) is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    os.environ.setdefault("LESS", "FRX")
    import signal

    try:  # Ctrl-C belongs to the pager (less uses it to stop a search) while it runs
        previous: Any = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        previous = None
    try:
        pydoc.pipepager(text, command)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def progress_line(done: int, total: int, claims: int, width: int = 30) -> str:
    """A one-line progress bar (no rich: it is drawn with ``\\r`` on stderr, also beside --jsonl)."""
    share = min(max(done / total, 0.0), 1.0) if total else 1.0
    filled = int(share * width)
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {share:4.0%}  {claims:,} claims"


class ProgressBar:
    """A progress bar on stderr for long work (an index rebuild), drawn only once work is reported.

    Use as ``with ProgressBar("Indexing records") as bar: work(progress=bar)``; ``bar(done, total)``
    starts the bar on its first call, so a command with nothing to rebuild draws nothing.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self._progress: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(console=Console(stderr=True), transient=True)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=total)
        self._progress.update(self._task, completed=done, total=total)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
