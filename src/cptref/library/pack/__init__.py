"""Packed libraries: one file holding a data directory's records, sources and families.

- :mod:`.file`: the format (a SQLite file marked as cptref's pack) read and filled; what every
  reader of a data directory asks first is :func:`~.file.is_pack`.
- :mod:`.write`: ``cptref pack DIR``: every file of DIR checked (layered over the shipped data), then
  the pack written, never half.
"""
