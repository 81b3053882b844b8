"""The documents that describe the code say what the code does: README's rule list, the exit table."""

from __future__ import annotations

import os
import re

import pytest

from cptref.check.rules import RULES
from cptref.check.rules import rules_markdown as markdown
from cptref.errors import ExitCode

from .conftest import ROOT

README = ROOT / "README.md"
BEGIN = "<!-- rules: generated from src/cptref/rules.py; tests/test_docs.py keeps this list equal to it -->\n"
END = "<!-- end of rules -->\n"


def test_readme_lists_every_check_rule_as_rules_py_defines_it() -> None:
    """To write the list after changing a rule: CPTREF_UPDATE_DOCS=1 python -m pytest tests/test_docs.py"""
    text = README.read_text(encoding="utf-8")
    listed = text.split(BEGIN, 1)[1].split(END, 1)[0]
    if os.environ.get("CPTREF_UPDATE_DOCS"):
        README.write_text(text.replace(BEGIN + listed + END, BEGIN + markdown() + END), encoding="utf-8")
        listed = markdown()
    assert listed == markdown(), (
        "README's rule list differs from src/cptref/rules.py; put this between the markers:\n" + markdown()
    )
    assert [r.id for r in RULES] == re.findall(r"^- `([a-z-]+)`", listed, flags=re.MULTILINE)


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
