"""The library: data directories -> validated records -> the compiled index -> a :class:`Catalog`.

Reading, in the order the data flows:

- :mod:`.paths`: where the data lives (``--data``, ``CPTREF_DATA``, the shipped data), a path as a
  message shows it.
- :mod:`.safe_yaml`: a YAML file read bounded (size, nesting, aliases); :mod:`.fields`: its mappings
  validated field by field into records, every problem with its field path.
- :mod:`.read`: whole data directories (layered) into a :class:`~.stores.MemoryStore`, with the
  checks across files; :mod:`.stores`: the ``Store`` protocol and the records held in memory.
- :mod:`.index`: the compiled index (a SQLite file in the cache), built file by file, read record by
  record, rebuilt when the data changes.
- :mod:`.pack`: a packed library, one file for ``--data``: its format read (:mod:`.pack.file`; hardening
  goes there) and written by ``cptref pack`` (:mod:`.pack.write`).
- :mod:`.problems`: broken record files, what they take out, which answers must refuse.
- :mod:`.catalog`: :class:`~.catalog.Catalog` (look-ups, titles, origins, derived relations),
  :func:`~.catalog.load_catalog`, :func:`~.catalog.load_for`.
- :mod:`.lint`: ``cptref validate``.
- :mod:`.compare`: what changed between two releases of the library (``cptref changes --from-data``).

Importing this package imports none of them (``cptref.load_catalog`` is the public way in).
"""
