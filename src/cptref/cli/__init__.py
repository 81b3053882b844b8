"""The command line: argv -> a command's ``Args`` -> its ``run`` -> the exit status.

- :mod:`.main`: the console script (``cptref = "cptref.cli.main:main"``): the fast path when it
  applies, else the Typer application; :mod:`.startup`, imported first, loads msgspec without
  ``typing_extensions``.
- :mod:`.spec`: a command's ``Args`` read as a command line (its options and arguments).
- :mod:`.fastpath`: well-formed calls answered without importing Typer.
- :mod:`.typer_app`: the Typer application built from the same spec: ``--help``, shell completion,
  and every malformed call explained.

What each command does is :mod:`cptref.commands`; writing answers and exiting is
:mod:`cptref.output.streams`.
"""
