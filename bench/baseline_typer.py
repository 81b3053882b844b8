"""The framework's floor: a minimal Typer app that prints one line.

``bench/run.py`` times ``python bench/baseline_typer.py hello`` beside ``cptref`` in the same run,
so each cptref figure is a ratio to what Typer itself costs on this machine. It has the shape of
cptref's CLI (a group with a callback, so that the command is named on the command line, and one
typed option), with Typer's defaults, and nothing else.

    .venv/bin/python bench/baseline_typer.py hello
"""

from __future__ import annotations

import typer

app = typer.Typer()


@app.callback()
def _root() -> None:
    """A minimal Typer app."""


@app.command()
def hello(name: str = typer.Option("world", help="Who to greet.")) -> None:
    """Print one line."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
