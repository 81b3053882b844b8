"""Claims read from batch files (``check --file``): one module a format, and the registry choosing one.

- :mod:`.base`: what a line becomes (:class:`~.base.BatchClaim`, :class:`~.base.BadLine`,
  :class:`~.base.SkippedLine`) and the :class:`~.base.ClaimReader` every format's reader is.
- :mod:`.csvfile`: CSV (id, codes, date; a header optional; comma, semicolon, tab or pipe);
  :mod:`.jsonl`: JSON Lines; :mod:`.x12`: X12 837P and 837I files (read whole, not in lines; a
  subpackage, one module a job: its map is ``x12/__init__.py``).
- :mod:`.opened`: what a file's bytes are, before a line is read: compressed (gzip, bzip2, xz: read
  decompressed, bounded), UTF-16 with its byte order mark (read as UTF-8), or refused whole with the
  way out (zstd, a workbook, UTF-16 without its mark, binary).
- :mod:`.registry`: the formats, chosen by extension, else by the first line; the lines of a file,
  bounded. A new format is a module here and a line of :data:`.registry.INPUT_FORMATS`.

The claim lines inside a claim (``47542-59x2``) are :mod:`cptref.check.lines`.
"""
