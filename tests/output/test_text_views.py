"""Golden plain-text renders of real records, and the marks a coder relies on.

To accept an intended change of the text: CPTREF_UPDATE_GOLDEN=1 python -m pytest tests/output/test_text_views.py
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from cptref.library.catalog import Catalog, read_catalog
from cptref.output.text import doc as text_doc
from cptref.output.text import show as text_show
from cptref.output.text import terminal as text_terminal
from tests.conftest import FIXTURES

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.mark.parametrize(("code", "full"), [("47555", False), ("47555", True), ("47542", False), ("47542", True)])
def test_plain_render_matches_the_golden_file(shipped: Catalog, code: str, full: bool) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get(code), full=full))
    golden = GOLDEN / f"{code}{'-full' if full else ''}.txt"
    if os.environ.get("CPTREF_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_low_confidence_facts_are_marked_and_unknowns_say_not_recorded(shipped: Catalog) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get("47555"), full=True))
    line = next(t for t in text.splitlines() if "74360" in t and t.strip().startswith("-"))
    assert "[LOW CONFIDENCE]" in line
    assert "MUE (units per day): not recorded" in text
    assert "Global period: 000  (medium; rvuedge-47555)" in text


def test_a_primary_list_weaker_than_the_add_on_status_says_so_in_both_views(tmp_path: Path) -> None:
    """An add-on at high confidence whose list of primaries rests on one AI-generated page (low): the
    line that shows the list must not read as high. (No shipped record is such since 50706's list
    became CMS's own; a copy of the check fixture holds one.)"""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "check", data)
    record = data / "procedures" / "0002X.yaml"
    text = record.read_text().replace(
        "  sources: [test-blog]\n  confidence: low\nmedicare:",
        "  primaries_confidence: low\n  sources: [test-book]\n  confidence: high\nmedicare:",
    )
    record.write_text(text)
    catalog, problems = read_catalog(data)
    assert problems == []
    widget = catalog.get("0002X")
    assert widget.add_on is not None and (widget.add_on.confidence, widget.add_on.primaries_confidence) == (
        "high",
        "low",
    )
    brief = text_doc.plain(text_show.show_doc(catalog, widget), width=400)
    assert "Add-on code; primaries (LOW CONFIDENCE): 0001X" in brief
    full = text_doc.plain(text_show.show_doc(catalog, widget, full=True), width=400)
    assert "0001X  (LOW CONFIDENCE: the add-on status itself is high)" in full


def test_primary_code_lists_the_addons_that_name_it(shipped: Catalog) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get("50432"), full=True))
    section = text.split("Add-ons that may be reported with this code:")[1].split("\n\n")[0]
    assert "50706 " in section
    brief = text_doc.plain(text_show.show_doc(shipped, shipped.get("50432")))
    assert "50706" in next(line for line in brief.splitlines() if line.strip().startswith("Add-ons reported with it:"))


def test_plain_text_wraps_at_the_width_given(shipped: Catalog) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get("47542"), full=True), width=60)
    assert max(len(line) for line in text.splitlines() if " " in line.strip()) <= 60


def test_rich_render_draws_the_same_words_and_no_colour_when_asked(shipped: Catalog) -> None:
    out = io.StringIO()
    text_terminal.to_rich(text_show.show_doc(shipped, shipped.get("47555"), full=True), file=out, color=False)
    drawn = out.getvalue()
    assert "47555" in drawn
    assert "[LOW CONFIDENCE]" in drawn
    brief = io.StringIO()
    text_terminal.to_rich(text_show.show_doc(shipped, shipped.get("47555")), file=brief, color=False, width=100)
    assert "[LOW " in brief.getvalue()
    assert brief.getvalue() == text_doc.plain(text_show.show_doc(shipped, shipped.get("47555")), 100)
    assert "\x1b[3" not in drawn  # no colour escape sequences


def test_rich_render_indents_wrapped_lines_as_plain_text_does(shipped: Catalog) -> None:
    doc = text_show.show_doc(shipped, shipped.get("47555"), full=True)
    out = io.StringIO()
    text_terminal.to_rich(doc, file=out, color=False, width=60)
    drawn = out.getvalue().splitlines()
    assert max(len(line) for line in drawn) <= 60
    note = next(i for i, line in enumerate(drawn) if line.startswith("    note: Unconfirmed."))
    assert drawn[note + 1].startswith(" " * 10)  # the note's continuation hangs under its text
    assert drawn[note + 1].strip()


@pytest.mark.parametrize("code", ["47555", "47542", "47541", "50436", "50706"])
def test_the_brief_view_of_each_seed_code_fits_a_screen(shipped: Catalog, code: str) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get(code)), 100)
    lines = text.splitlines()
    assert len(lines) <= 30, len(lines)
    assert all(len(line) <= 100 for line in lines)
    assert lines[0].startswith(code)
    assert "Sources: 1=" in text  # each fact's sources, listed once


def test_the_brief_view_keeps_every_fact_with_its_codes_and_confidence(shipped: Catalog) -> None:
    text = text_doc.plain(text_show.show_doc(shipped, shipped.get("47532")), 100)
    assert "[M " in text and "77002" in text  # the family's guidance codes, medium
    assert "Includes (not reported separately)" in text
    low = text_doc.plain(text_show.show_doc(shipped, shipped.get("47555")), 100)
    assert "[LOW " in low and "74360" in low


def test_the_fields_the_views_lay_out_are_fields_of_the_record() -> None:
    """A field renamed in the model leaves no stale name in LAID_OUT (the views would no longer lay it
    out, and other_fields would show it under its own name)."""
    from cptref.model.records import Procedure
    from cptref.output.text.show import LAID_OUT

    assert sorted(LAID_OUT - set(Procedure.__struct_fields__)) == []
