"""The ``cptref`` console script: the fast path when it applies, else the Typer application."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from . import startup  # noqa: F401 - first: msgspec without typing_extensions (see its docstring)

# isort: split
from cptref.errors import Signalled
from cptref.output import streams

from . import fastpath


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = list(sys.argv[1:] if argv is None else argv)
    streams.standard_streams()
    try:
        plan = fastpath.plan(args)
        if plan is not None:
            streams.guarded(plan)
        from .typer_app import typer_main as full
    except Signalled as exc:  # before the paths' own handlers: while planning, or importing Typer
        streams.fail([exc.message], exc.exit_code)
    full(args)
