"""What the library holds, as types and pure functions: no file is read here.

- :mod:`.codes`: the one code pattern (and the forms built from it), a user's code normalized, code
  ranges, the codes a typo may have meant.
- :mod:`.records`: the record types (:class:`~.records.Procedure` and its facts, ``Family``,
  ``Source``), each field with the description the JSON schema gives it. A new field goes here.
- :mod:`.relations`: which fields name codes or cite sources; a family's rules merged into a
  member's; the relations seen from the other side (:class:`~.relations.Derived`).
- :mod:`.words`: words as search and the index see them (stems, negation); a record's indexed words.

Importing this package imports none of them.
"""
