"""The compiled index: every validated record, its references and search postings, in one SQLite file.

- :mod:`.compiled`: its key (the data's fingerprint) and :func:`~.compiled.open_store`: the cached
  index when current, else a fresh one, else the data parsed in memory.
- :mod:`.build`: writing it file by file in code order, reusing the records of unchanged files
  (:mod:`.plan`: each code's files and the previous index's records); :mod:`.parse`: the record
  files read for it (on every core when there are thousands); :mod:`.stream`: a build with a
  packed layer, streamed from the pack a chunk at a time on every core; :mod:`.writer`: the rows
  written in memory that does not grow with the library.
- :mod:`.reader`: :class:`~.reader.IndexStore`, decoding only what a command touches, healing
  itself from the data when a page proves damaged.
- :mod:`.postings`: how it packs codes and sets of documents (bitsets, postings rows).
- :mod:`.cache`: the cache folder and its files (written atomically, marked, pruned); the CMS tables
  compiled by :mod:`cptref.cms` live there too.
"""
