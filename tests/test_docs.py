"""The documents that describe the code say what the code does: README's rule and format lists, the
exit table.

README's generated lists sit between markers; to write them after changing a rule or a format:
``CPTREF_UPDATE_DOCS=1 python -m pytest tests/test_docs.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

import pytest

from cptref.check.rules import RULES, rules_markdown
from cptref.errors import ExitCode
from cptref.output.formats import FORMATS, formats_markdown

from .conftest import ROOT

README = ROOT / "README.md"
GENERATED = {
    "rules": ("src/cptref/check/rules", rules_markdown),
    "formats": ("src/cptref/output/formats.py", formats_markdown),
}
"""README's generated lists: (where they come from, what writes them)."""


def generated(name: str, source: str, markdown: Callable[[], str]) -> str:
    """README's list ``name`` as it is, written anew first under ``CPTREF_UPDATE_DOCS``."""
    begin = f"<!-- {name}: generated from {source}; tests/test_docs.py keeps this list equal to it -->\n"
    end = f"<!-- end of {name} -->\n"
    text = README.read_text(encoding="utf-8")
    assert begin in text and end in text, f"README has lost the markers of its {name} list: {begin}{end}"
    listed = text.split(begin, 1)[1].split(end, 1)[0]
    if os.environ.get("CPTREF_UPDATE_DOCS"):
        README.write_text(text.replace(begin + listed + end, begin + markdown() + end), encoding="utf-8")
        listed = markdown()
    return listed


@pytest.mark.parametrize("name", GENERATED)
def test_readme_lists_are_those_the_code_writes(name: str) -> None:
    source, markdown = GENERATED[name]
    listed = generated(name, source, markdown)
    assert listed == markdown(), f"README's {name} list differs from {source}; put this between the markers:\n" + (
        markdown()
    )


def test_readme_lists_every_rule_and_offered_format_by_name() -> None:
    assert [r.id for r in RULES] == re.findall(r"^- `([a-z-]+)`", generated("rules", *GENERATED["rules"]), re.M)
    offered = [f.name for f in FORMATS.values() if f.offered]
    assert offered == re.findall(r"^- `([a-z]+)`", generated("formats", *GENERATED["formats"]), re.M)


def test_readme_documents_every_exit_status() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("### Exit status", 1)[1].split("###", 1)[0]
    for status in ExitCode:
        assert re.search(rf"^\| {int(status)} \|", table, flags=re.MULTILINE), status


@pytest.mark.slow
def test_nothing_in_the_repository_points_outside_it() -> None:
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=False).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".yaml", ".txt", ".cfg", ""} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if re.search(r"\.\./shared|/work/shared", text) and name != "tests/test_docs.py":
            offenders.append(name)
    assert offenders == []
