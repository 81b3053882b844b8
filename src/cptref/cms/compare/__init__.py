"""What changed between two sets of a user's CMS tables: of each kind and setting, the rows of one
table with no identical row in the other, paired by their key, each pair (or lone row) one change
with both values and the rows it came from (``cptref changes``).

The two sets' compiled files are attached to one private connection (two quarters of one ``--cms``
folder are one file, attached twice). Per kind and setting, a keyed ``NOT EXISTS`` that seeks the
primary key finds the rows of each side with no identical row on the other (into temporary tables,
on disk); for a PTP pair or an add-on that gained a row, its old rows (its history) are read too;
then one ordered pass pairs those few rows a group (a pair, an add-on, a code) at a time, and each
change found is spooled to a temporary table, from which they are read back grouped by code, the
most consequential code first. Memory holds one group, never a table; a comparison stops at a
limit of changes and says so. The figures: ``bench/RESULTS.md``.

The modules, in the order they import each other:

- :mod:`.changes`: the changes as typed records (:data:`.changes.Change`), described for ``cptref
  schema changes``, and what was compared (:class:`.changes.Compared`);
- :mod:`.quarters`: the two sets: quarters as a user names them, and the tables of each set
  (:class:`.quarters.Side`);
- :mod:`.narrow`: the codes the changes are narrowed to (:class:`.narrow.CodeFilter`);
- :mod:`.sql`: each kind's key and columns (:data:`.sql.SPECS`), the rows that differ found in SQL,
  the changes spooled (:class:`.sql.Workspace`);
- :mod:`.rows`: those rows a group at a time, paired, and what a classifier reads of them;
- :mod:`.classify_ptp` and :mod:`.classify`: what each change is, its effect and its rank
  (:class:`.classify.Classifier`);
- :mod:`.comparison`: the comparison, whole (:func:`.comparison.compare`).

Importing this package imports none of them.
"""
