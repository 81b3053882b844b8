"""The Medicare edit tables a user downloads from CMS (after accepting the AMA's CPT licence), read
from the user's own copies: NCCI procedure-to-procedure (PTP) edits, medically unlikely edits (MUE),
add-on code (AOC) edits, and the Physician Fee Schedule relative value file (PPRRVU).

cptref ships none of these tables. A user points it at a folder, the zips as downloaded, or the
files extracted from them; :func:`open_tables` finds every table by its header (never by its file
name), compiles the newest version of each into one SQLite file in the cache (once: it is keyed on
the files' paths, sizes, modification and change times), and answers look-ups from it::

    from datetime import date
    from pathlib import Path
    from cptref.cms import open_tables

    with open_tables([Path("~/Downloads/ncci").expanduser()]) as cms:
        for edit in cms.ptp_edits(["29881", "29880"], date(2026, 11, 27)):
            print(edit.column1, edit.column2, edit.modifier, edit.table.label(), edit.file, edit.line)
        print(cms.summary().lines())

The modules, in the order the data flows:

- :mod:`.sources`: paths -> files and zip members (what is read, what is skipped and why), read
  bounded by :mod:`.archives` (regular files only, sizes, zip directories, ratios: every limit there);
- :mod:`.recognize`: a file's head -> what table it is (:class:`~.recognize.Layout`), each kind's
  header row matched by :mod:`.headers`, text read by :mod:`.textfile` (encodings, delimiters, quoted
  cells, long lines) and workbooks by :mod:`.xlsx`;
- :mod:`.names`: the version, setting and part the names as downloaded give (so the dates in force);
- :mod:`.scan`: which copy and version of each table to read;
- :mod:`.parse`: each kind's rows, checked and counted, their cells read by :mod:`.values` (codes,
  dates and numbers as spreadsheets rewrite them);
- :mod:`.compile`: the SQLite file in the cache, with the PTP index of :mod:`.ptpindex` (the only
  copy of the PTP rows, read a code at a time by :mod:`.ptprows`) and the short descriptors' words
  of :mod:`.wordindex` (for ``search``);
- :mod:`.reader`: :class:`~.reader.CmsTables` (the tables in force on a date, the fee schedule) and
  :mod:`.edits` (the PTP, MUE and AOC look-ups it answers with);
- :mod:`.models`: the typed answers;
- :mod:`.compare`: what changed between two sets of tables (``cptref changes``), in SQL on the
  compiled files (the PTP rows of the column-1 codes whose rows differ copied out of the index
  first), each change a typed record; a subpackage, one module a job (its ``__init__`` is its map).

A new kind of table: its name in :data:`.models.KIND_NAMES`, its header row in :mod:`.headers`
(``match_<kind>``, called by :mod:`.recognize`), its names in :mod:`.names`, its rows in
:data:`.parse.PARSERS`, its SQL table in :mod:`.compile`, its look-ups in :mod:`.reader` or
:mod:`.edits`, its answer type in :mod:`.models`, and a made-up table of it in
``tests/fixtures/cms/tables`` (CONTRIBUTING.md, "Add a CMS table"; ``tests/test_recipes.py`` checks
every kind has every part).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .compile import compile_tables, compiled_path, fingerprint
    from .models import (
        AocEdit,
        CmsProblem,
        CmsSummary,
        LicensedText,
        MueEdit,
        PtpEdit,
        PtpPartners,
        RvuRow,
        Skipped,
        TableId,
        TableSummary,
        in_force,
    )
    from .reader import CmsTables, open_tables
    from .scan import Scan, TablePlan

_WHERE = {
    "compile_tables": "compile",
    "compiled_path": "compile",
    "fingerprint": "compile",
    "AocEdit": "models",
    "CmsProblem": "models",
    "CmsSummary": "models",
    "LicensedText": "models",
    "MueEdit": "models",
    "PtpEdit": "models",
    "PtpPartners": "models",
    "RvuRow": "models",
    "Skipped": "models",
    "TableId": "models",
    "TableSummary": "models",
    "in_force": "models",
    "CmsTables": "reader",
    "open_tables": "reader",
    "Scan": "scan",
    "TablePlan": "scan",
}
"""Each public name and its module: importing this package imports none of them (the date
arithmetic of :mod:`.names` must not cost a ``check`` the whole reader), each is loaded on first use.
The function that scans folders is ``cptref.cms.scan.scan``: ``cptref.cms.scan`` names its module."""

__all__ = [
    "AocEdit",
    "CmsProblem",
    "CmsSummary",
    "CmsTables",
    "LicensedText",
    "MueEdit",
    "PtpEdit",
    "PtpPartners",
    "RvuRow",
    "Scan",
    "Skipped",
    "TableId",
    "TablePlan",
    "TableSummary",
    "compile_tables",
    "compiled_path",
    "fingerprint",
    "in_force",
    "open_tables",
]


if not TYPE_CHECKING:  # mypy sees the names imported above, and no other

    def __getattr__(name: str) -> object:
        from cptref.lazy import attribute

        return attribute(__name__, _WHERE, name)
