"""What cptref writes: typed JSON documents, the formats, the text views, and the streams they go to.

- :mod:`.documents` (and :mod:`.check_documents`, :mod:`.cms_documents`, :mod:`.changes_documents`):
  every ``--json`` document as typed Structs, each key described; a record's fields come from
  :mod:`cptref.model.records`.
- :mod:`.to_documents`: domain answers (records, results, findings, tables) -> those documents.
- :mod:`.fields`: ``--fields``: what each command's items have, a selection read and applied.
- :mod:`.schema`: the JSON Schema of every document (``cptref schema``), generated from the types.
- :mod:`.formats`: every format in one registry that owns its name and help (``--format``, the
  commands' help, README); :mod:`.check_lines`: ``check``'s machine output a claim at a time.
- :mod:`.text`: the text views (laid out, drawn plain or with rich).
- :mod:`.safe_text`: text from data made safe to show (control characters, spreadsheet formulas).
- :mod:`.streams`: whole answers on stdout, one-line warnings and failures on stderr, exit statuses,
  a closed pipe, closed streams, signals.
"""
