"""``cptref mcp``: cptref's answers as tools for AI assistants, a Model Context Protocol server over stdio.

- :mod:`.tools`: the tools (``show``, ``search``, ``check``, ``list``, ``families``, ``tables``): their
  arguments as msgspec Structs (their input schemas are generated from them, and the arguments decoded
  with them), their bounds, and their output schemas (``cptref schema COMMAND``'s).
- :mod:`.library`: what the server reads once, at start (the library, the CMS tables, each setting's
  check rules), and every tool call answered from it with the builders the commands use
  (:mod:`cptref.replies`); no call raises.
- :mod:`.server`: the official SDK's low-level server over stdio. It is the only module of cptref that
  imports the SDK (``mcp``, the ``cptref[mcp]`` extra) and, through it, pydantic.
"""
