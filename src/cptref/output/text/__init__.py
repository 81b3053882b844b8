"""The text views: every answer laid out as lines of styled segments, then drawn.

- :mod:`.doc`: :class:`~.doc.TextDoc` and :class:`~.doc.TextLine`, plain text (:func:`~.doc.plain`),
  and what every view writes of a fact (confidence, sources, codes, notes).
- :mod:`.show`: ``show``'s brief and full views, one header for both; a record field no view lays
  out is shown in both (:func:`~.show.other_fields`); :mod:`.official`: the user's CMS tables' facts.
- :mod:`.views`: search results, the library's codes and families, the CMS tables, a checked claim.
- :mod:`.terminal`: rich (colour, width, the pager, progress bars): the only module that imports it.
"""
