"""What a command answers, built once for both the command line and the MCP server (``cptref mcp``).

- :mod:`.opened`: what a command reads: the library through its compiled index (:func:`.opened.catalog`)
  and the user's CMS tables (:func:`.opened.cms_tables`), opened with a progress line on a terminal
  and one warning line for what could not be read.
- :mod:`.sides`: the two sets ``cptref changes`` compares (quarters, dates or paths of CMS tables;
  or two library releases), resolved and opened, and the families that narrow its codes.
- :mod:`.rechecked`: the claims of ``changes --claims`` judged under both sets, those judged
  differently kept.
- :mod:`.build`: each command's answer as a :class:`~.build.Reply` (its ``--json`` document, its text
  view, its rows, and the lines it says on stderr), built from what is already open; and what the
  commands' arguments mean (the codes ``show`` is asked for, ``--range``, ``--date``, ``--setting``).

A command of :mod:`cptref.commands` opens what it reads, builds its reply here and writes it; the MCP
server (:mod:`cptref.mcp`) opens the same once, at start, and answers every tool call with the same
replies, so a tool's answer is the command's to the byte. Nothing here writes to stdout.
"""
