"""What each command does: one module a command, each with the same three names.

- ``Args``: the command's arguments, one typed object (a msgspec Struct); each field's type and
  ``Annotated`` metadata (:mod:`.args`) are its option or argument on the command line.
- ``HELP``: its ``--help`` (a first line, then paragraphs).
- ``run(args) -> int``: the answer written, the exit status returned; a
  :class:`~cptref.errors.CptrefError` says what is wrong.

:data:`COMMANDS` names them; :mod:`cptref.cli` reads each ``Args`` for the fast path and the Typer
application, and calls ``run``. A new command is a module here and a line of :data:`COMMANDS`.
:mod:`.common` is what they share (the library and CMS tables opened, an answer written); the
options of ``cptref`` itself (``--version``) are :mod:`.version`'s.

Importing this package imports no command: the fast path imports only the one it answers.
"""

from __future__ import annotations

COMMANDS: dict[str, str] = {
    "show": "show",
    "search": "search",
    "check": "check",
    "list": "listing",
    "families": "families",
    "tables": "tables",
    "changes": "changes",
    "validate": "validate",
    "pack": "pack",
    "schema": "schema",
    "mcp": "mcp",
}
"""Every command, by the name typed, in the order ``cptref --help`` lists them -> its module here."""
ROOT = "version"
"""The module whose ``Args`` are the options of ``cptref`` itself, before any command."""
