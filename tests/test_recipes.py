"""CONTRIBUTING.md's recipes, followed: each change made in the one place its recipe names, on a copy
of the package, and every place generated from it checked to follow.

- A rule (``check/rules/``): ``check --help``, ``--explain``, the findings, README's list and the
  schema's enum of rule ids.
- A field (``model/records.py``): plain ``show``, ``show --full``, ``--json``, ``--fields``, the
  schema, and ``validate --strict`` (the canonical key order read off the type).
- A format (``output/formats.py``): the ``--format`` option on every command that has it (its help
  and choices, on the fast path and in Typer), each command's output paragraph in ``--help``,
  README's list, and ``check --file``.
- A command (``commands/<name>.py``): ``cptref --help``, its own ``--help``, the fast path (without
  Typer) and Typer giving the same answer, and a usage error.
- A CMS table (``cms/``): every part a kind of table needs, present for every kind.

Each edit is made on a copy of ``src/cptref`` run with ``PYTHONPATH`` (the shipped data beside it, as
in the checkout), so a recipe that stops working fails here, not for the next contributor.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import DATA, GOOD, ROOT, Run

SRC = ROOT / "src" / "cptref"


class Copy:
    """A copy of the package, edited as a recipe says, and run as a user runs it."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path / "checkout"
        shutil.copytree(SRC, self.root / "src" / "cptref", ignore=shutil.ignore_patterns("__pycache__"))
        (self.root / "data").symlink_to(DATA)  # where the package finds its data in a checkout
        self.cache = tmp_path / "cache"

    def edit(self, module: str, after: str, added: str) -> None:
        """``added`` written into ``module`` right after the one line that is ``after``."""
        path = self.root / "src" / "cptref" / module
        text = path.read_text(encoding="utf-8")
        assert text.count(after) == 1, f"{module} no longer has the line the recipe adds after: {after!r}"
        path.write_text(text.replace(after, after + added), encoding="utf-8")

    def add(self, module: str, text: str) -> None:
        (self.root / "src" / "cptref" / module).write_text(textwrap.dedent(text), encoding="utf-8")

    def env(self) -> dict[str, str]:
        cleared = ("CPTREF_DATA", "CPTREF_DESCRIPTORS", "CPTREF_CMS", "NO_COLOR", "LINES", "PAGER")
        env = {k: v for k, v in os.environ.items() if k not in cleared}
        env.update(PYTHONPATH=str(self.root / "src"), CPTREF_CACHE_DIR=str(self.cache), COLUMNS="200")
        return env

    def python(self, code: str) -> Run:
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=self.env(), cwd=self.root, timeout=120
        )
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def cptref(self, *args: str) -> Run:
        return self.python(f"import sys; from cptref.cli.main import main; main({list(args)!r})")

    def typer(self, *args: str) -> Run:
        return self.python(f"from cptref.cli.typer_app import typer_main; typer_main({list(args)!r})")


@pytest.fixture
def copy(tmp_path: Path) -> Copy:
    return Copy(tmp_path)


def words(text: str) -> str:
    """``text`` with its lines and rich's box borders joined back into one run of words."""
    return " ".join(text.replace("│", " ").split())


# --- a rule -----------------------------------------------------------------------------------------

RULE = '''
    """A made-up rule of the recipe test."""

    from __future__ import annotations

    from collections.abc import Iterable
    from typing import Any

    from cptref.check.claim import ClaimView
    from cptref.check.results import Finding

    from .base import CheckRule, Facts, Lookup, finding


    class RecipeExample(CheckRule):
        id = "recipe-example"
        severity = "info"
        summary = "info: a made-up rule that names 0001X"
        text = "A made-up rule of the recipe test: every 0001X on a claim is named."

        def prepare(self, facts: Facts, lookup: Lookup) -> Any:
            return facts.code if facts.code == "0001X" else None

        def apply(self, claim: ClaimView, code: str, prepared: Any, lookup: Lookup) -> Iterable[Finding]:
            return (finding(self.id, "info", (code,), f"{code} is named by the recipe's rule."),)
'''


@pytest.mark.slow
def test_a_rule_added_in_check_rules_reaches_help_explain_readme_and_the_schema(copy: Copy) -> None:
    copy.add("check/rules/recipe.py", RULE)
    copy.edit("check/rules/__init__.py", "from .units import Units\n", "from .recipe import RecipeExample\n")
    copy.edit("check/rules/__init__.py", "    NotChecked(),\n", "    RecipeExample(),\n")

    assert "recipe-example info: a made-up rule that names 0001X" in words(copy.typer("check", "--help").out)
    found = json.loads(copy.cptref("check", "0001X", "--data", str(GOOD), "--json").out)
    assert "recipe-example" in [f["rule"] for f in found["findings"]]
    explained = copy.cptref("check", "0001X", "--data", str(GOOD), "--explain").out
    assert "A made-up rule of the recipe test" in words(explained)
    readme = copy.python("from cptref.check.rules import rules_markdown; print(rules_markdown())").out
    assert "- `recipe-example` (info): A made-up rule of the recipe test" in readme
    schema = json.loads(copy.cptref("schema", "check").out)
    assert "recipe-example" in json.dumps(schema)


# --- a field -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_field_added_to_the_model_reaches_show_full_json_the_schema_and_the_lint(copy: Copy, tmp_path: Path) -> None:
    copy.edit(
        "model/records.py",
        '    note: Annotated[str | None, about("A remark on the record, or null.")] = None\n',
        '    approach: Annotated[str | None, about("How the site is reached, or null.")] = None\n',
    )
    data = tmp_path / "data"
    shutil.copytree(GOOD, data)
    record = data / "procedures" / "0005X.yaml"
    record.write_text(record.read_text(encoding="utf-8") + "approach: percutaneous\n", encoding="utf-8")

    brief = copy.cptref("show", "0005X", "--data", str(data))
    assert "Approach: percutaneous" in brief.out, brief
    full = copy.cptref("show", "0005X", "--data", str(data), "--full", "--no-pager")
    assert "Approach: percutaneous" in full.out, full
    shown = json.loads(copy.cptref("show", "0005X", "--data", str(data), "--json").out)
    assert shown["procedures"][0]["approach"] == "percutaneous"
    picked = json.loads(copy.cptref("show", "0005X", "--data", str(data), "--json", "--fields", "code,approach").out)
    assert picked["procedures"] == [{"code": "0005X", "approach": "percutaneous"}]
    schema = json.loads(copy.cptref("schema", "show").out)
    assert "How the site is reached" in json.dumps(schema)
    lint = copy.cptref("validate", str(data), "--strict")
    assert lint.code == 0, lint


# --- a format ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_format_registered_once_reaches_every_help_readme_and_both_paths(copy: Copy, tmp_path: Path) -> None:
    copy.edit(
        "output/formats.py",
        '        OutputFormat("csv", "a header line, then rows", True, lambda: Rows(csv=True)),\n',
        '        OutputFormat("ndjson", "newline-delimited JSON, an object a line", True, lambda: JsonLines()),\n',
    )
    for command in ("search", "check", "list"):
        helped = words(copy.typer(command, "--help").out)
        assert "ndjson: newline-delimited JSON, an object a line" in helped, command  # the option's help
        assert "Also ndjson, newline-delimited JSON, an object a line" in helped, command  # the output paragraph
    readme = copy.python("from cptref.output.formats import formats_markdown; print(formats_markdown())").out
    assert "- `ndjson`: newline-delimited JSON, an object a line\n" in readme
    for args in (("search", "widget"), ("check", "0001X", "0002X"), ("list",)):
        call = (*args, "--data", str(GOOD), "--format", "ndjson")
        fast, typer = copy.cptref(*call), copy.typer(*call)
        assert (fast.code, fast.out, fast.err) == (typer.code, typer.out, typer.err), args
        assert fast.out and all(json.loads(line) for line in fast.out.splitlines()), args
    claims = tmp_path / "claims.csv"
    claims.write_text("id,codes\nA,0001X 0002X\n")
    batch = copy.cptref(
        "check", "--file", str(claims), "--date", "2026-01-02", "--data", str(GOOD), "--format", "ndjson"
    )
    assert batch.code in (0, 1) and "Traceback" not in batch.err and json.loads(batch.out.splitlines()[0])


# --- a command ---------------------------------------------------------------------------------------

COMMAND = '''
    """``cptref hello``: a made-up command of the recipe test."""

    from __future__ import annotations

    from typing import Annotated

    from msgspec import Meta, Struct

    from cptref.errors import ExitCode
    from cptref.output import streams

    from .args import Arg, Opt

    HELP = """Greet someone, a made-up command.

    Examples:
      cptref hello you --times 2"""


    class Args(Struct, frozen=True, kw_only=True):
        name: Annotated[str, Arg("NAME", "Who to greet.")]
        times: Annotated[int, Meta(ge=1, le=3), Opt(("--times", "-t"), "How many times, 1 to 3.")] = 1


    def run(args: Args) -> int:
        streams.write(f"hello {args.name}\\n".encode() * args.times)
        return ExitCode.OK
'''


@pytest.mark.slow
def test_a_command_module_and_its_line_in_commands_reach_help_and_both_paths(copy: Copy) -> None:
    copy.add("commands/hello.py", COMMAND)
    copy.edit("commands/__init__.py", '    "schema": "schema",\n', '    "hello": "hello",\n')

    assert "hello" in words(copy.typer("--help").out)
    helped = words(copy.typer("hello", "--help").out)
    assert "Greet someone, a made-up command." in helped and "--times" in helped and "How many times" in helped
    answered = copy.python(
        "import sys\nfrom cptref.cli.main import main\ntry:\n    main(['hello', 'you', '-t', '2'])\n"
        "finally:\n    print('typer' in sys.modules, file=sys.stderr)"
    )
    assert (answered.code, answered.out, answered.err) == (0, "hello you\nhello you\n", "False\n")
    assert copy.typer("hello", "you", "--times", "2").out == answered.out
    refused = copy.cptref("hello", "you", "--times", "4")
    assert refused.code == 2 and "--times" in refused.err and refused.out == ""


# --- a CMS table --------------------------------------------------------------------------------------


def test_every_kind_of_cms_table_has_every_part_its_recipe_names(cms_folder: Path) -> None:
    """cms/__init__.py's recipe for a new kind of table: its name (models.KIND_NAMES), its header
    (headers.match_<kind>), its rows (parse.PARSERS), its SQL table (compile), its kind in the
    ``tables`` document, and a table of it among the test's made-up downloads, read whole."""
    from cptref.cms import compile, headers, models, parse
    from cptref.cms.reader import open_tables
    from cptref.output import schema

    kinds = list(models.KIND_NAMES)
    assert [k for k in kinds if not hasattr(headers, f"match_{k}")] == []
    assert list(parse.PARSERS) == kinds
    assert [k for k in kinds if f"CREATE TABLE {k} (" not in compile.TABLES_SCHEMA] == []
    tables_doc = schema.schema("tables", False, None)["$defs"]["CmsTableRead"]
    assert sorted(tables_doc["properties"]["kind"]["enum"]) == sorted(kinds)
    with open_tables([cms_folder]) as cms:
        assert sorted({t.kind for t in cms.tables()}) == sorted(kinds)
