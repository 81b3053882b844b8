"""The fast path: well-formed calls are answered without importing Typer, exactly as Typer would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cptref.cli import fastpath as fast
from cptref.cli.spec import command
from cptref.commands import COMMANDS
from tests.conftest import DATA, GOOD, ROOT, both_paths, run_cptref

FIX = ["--data", str(GOOD)]
MEANT_FAST = [
    ["show", "0001X", *FIX],
    ["show", "0001X", "0002X", "--json", *FIX],
    ["show", "0001X", "--json", "--fields", "code,title", *FIX],
    ["show", "0001X", "--full", "--no-pager", *FIX],
    ["search", "widget", *FIX],
    ["search", "widget", "--json", "-n", "2", *FIX],
    ["search", "widget", "--format", "csv", "--fields", "code", *FIX],
    ["check", "0001X", "0002X", *FIX],
    ["check", "0001X", "0002X", "--json", *FIX],
    ["check", "0001X", "--jsonl", *FIX],
    ["validate", str(GOOD)],
    ["list", *FIX],
    ["list", "--range", "0001X-0003X", "--json", *FIX],
    ["families", *FIX],
    ["schema", "check", "--jsonl"],
    ["--version"],
    ["-V"],
]


@pytest.mark.parametrize("args", MEANT_FAST, ids=" ".join)
def test_a_well_formed_call_is_planned_by_the_fast_path(args: list[str]) -> None:
    assert fast.plan(args) is not None


@pytest.mark.slow
def test_the_calls_meant_to_be_fast_never_import_typer() -> None:
    """Each call in a fresh interpreter: the answer comes, and Typer was not imported for it."""
    run_cptref("show", "0001X", "--data", str(GOOD))  # the index is built once, here
    code = (
        "import json, sys\n"
        "from cptref.cli.main import main\n"
        "args = json.loads(sys.argv[1])\n"
        "try:\n    main(args)\nexcept SystemExit as e:\n    status = e.code\n"
        "print(json.dumps({'typer': 'typer' in sys.modules, 'status': status}), file=sys.stderr)\n"
    )
    for args in MEANT_FAST:
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(args)], capture_output=True, text=True, cwd=ROOT, timeout=60
        )
        report = json.loads(proc.stderr.strip().splitlines()[-1])
        assert report == {"typer": False, "status": 0}, (args, proc.stderr)
        assert proc.stdout or args[0] == "validate", args  # a clean validate prints only its count


LEFT_TO_TYPER = [
    [],
    ["--help"],
    ["show", "--help"],
    ["show", "0001X", "-h"],
    ["show"],
    ["show", "0001X", "--bogus"],
    ["search", "widget", "--limit", "0"],
    ["search", "widget", "--limit", "ten"],
    ["search", "widget", "--format", "xml"],
    ["search", "widget", "--json=yes"],
    ["schema", "nothing"],
    ["validate", "a", "b"],
    ["bogus"],
    ["show", "--", "0001X"],
    ["changes", "--help"],
    ["changes", "--limit", "-1"],
    ["mcp", "--help"],
    ["mcp", "--bogus"],
]


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_what_the_fast_path_does_not_fully_understand_goes_to_typer(args: list[str]) -> None:
    assert fast.plan(args) is None


CASES = [
    *MEANT_FAST,
    *LEFT_TO_TYPER[1:],
    ["show", "47555", "--json"],
    ["show", "47542", "50706", "--json", "--data", str(DATA)],
    ["show", "--json", "47555", f"--data={DATA}"],
    ["show", " 47555 ", "0213t", "--json"],
    ["show", "4755", "--json"],
    ["show", "4755"],
    ["show", "99999", "--json"],
    ["show", "47542", "49405"],
    ["show", "47542", "49405", "--json"],
    ["show", "47534-RT", "47542x2", "47542-59-RT"],
    ["show", "47534-rt", "--json", "--fields", "code"],
    ["show", "4", "0001X", *FIX],
    ["show", "47555", "--json", "--data", "/nonexistent"],
    ["show", "47555", "--fields", "code"],
    ["show", "47555", "--json", "--fields", "code,nope"],
    ["search", "balloon", "dilation", "biliary", "--json"],
    ["search", "biliarry stricure", "--json", "--limit", "3"],
    ["search", "zzyzx", "--json"],
    ["search", "fine needle aspiration"],
    ["search", "chest", "tube", "--json"],
    ["search", "ureteroscopy laser", "--limit", "6"],
    ["search", "stent removal ureter", "--format", "jsonl"],
    ["search", "  ", "--json"],
    ["search", "balloon", "--format", "plain", "--limit=2"],
    ["check", "47532", "77002"],
    ["check", "47532", "--explain", "--json"],
    ["check"],
    ["validate", str(GOOD), "--strict", "--json"],
    ["changes"],
    ["changes", "--kind", "zzz"],
    ["changes", "--from-data", "/nonexistent", "--json"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a) or "(none)")
def test_the_fast_path_answers_exactly_as_the_typer_application(args: list[str]) -> None:
    fast_run, typer_run = both_paths(args)
    assert fast_run == typer_run


def test_every_option_of_the_args_is_an_option_typer_knows() -> None:
    """The Typer commands are built from the same ``Args`` the fast path reads."""
    from typer.main import get_command

    from cptref.cli.typer_app import app

    group = get_command(app)
    for name in COMMANDS:
        typer_command = group.commands[name]  # type: ignore[attr-defined]
        flags = {flag for param in typer_command.params for flag in (*param.opts, *param.secondary_opts)}
        for option in command(name).options:
            assert set(option.flags) <= flags, (name, option.flags)


def _after_a_call(args: list[str], then: str) -> object:
    """Run ``cptref ARGS`` through the console script's entry in a fresh interpreter (over the
    fixture library, its index built beforehand), then ``then``, Python that prints one JSON value
    on stderr: that value."""
    code = (
        "import json, sys\nfrom cptref.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code + then, *args, *FIX], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_call_over_a_current_index_loads_nothing_of_the_rebuild() -> None:
    """What only a rebuild (or a packed library, or csv output) needs is not imported for a plain
    call over a current index: each import is paid by every scripted call."""
    run_cptref("show", "0001X", "--data", str(GOOD))  # the index is built once, here
    loaded = (
        "print(json.dumps(sorted(m for m in ('cptref.library.index.build', 'cptref.library.pack', 'csv', 'yaml',"
        " 'rapidfuzz') if m in sys.modules)), file=sys.stderr)\n"
    )
    for args in (["show", "0001X", "--json"], ["check", "0001X", "0002X"], ["list"]):
        assert _after_a_call(args, loaded) == [], args


@pytest.mark.slow
def test_a_scripted_call_does_not_import_typing_extensions_even_where_installed() -> None:
    """msgspec would import it (about 8 ms a call) wherever another package installed it; the console
    script hides it while msgspec loads (cptref.cli.startup), and a later import still gets the module."""
    import importlib.util

    if importlib.util.find_spec("typing_extensions") is None:
        pytest.skip("typing_extensions is not installed here: nothing to keep out")
    run_cptref("show", "0001X", "--data", str(GOOD))  # the index is built once, here
    then = (
        "loaded = 'typing_extensions' in sys.modules\n"
        "import typing_extensions\n"
        "print(json.dumps([loaded, typing_extensions.__name__]), file=sys.stderr)\n"
    )
    for args in (["show", "0001X", "--json"], ["check", "0001X", "0002X"], ["--version"]):
        assert _after_a_call(args, then) == [False, "typing_extensions"], args


@pytest.mark.slow
def test_a_msgspec_that_needs_typing_extensions_still_loads() -> None:
    """Should a msgspec release refuse to import without typing_extensions, the console script's start
    (cptref.cli.startup) leaves nothing half-loaded and msgspec is imported as usual, with it."""
    import importlib.util

    if importlib.util.find_spec("typing_extensions") is None:
        pytest.skip("typing_extensions is not installed here")
    code = (
        "import importlib.abc, json, sys\n"
        "class NeedsIt(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'msgspec._utils' and sys.modules.get('typing_extensions', 0) is None:\n"
        "            raise ImportError('this msgspec needs typing_extensions')\n"
        "        return None\n"
        "sys.meta_path.insert(0, NeedsIt())\n"
        "import cptref.cli.startup\n"
        "after_start = sorted(m for m in sys.modules if m.split('.')[0] in ('msgspec', 'typing_extensions'))\n"
        "import msgspec\n"
        "print(json.dumps([after_start, 'typing_extensions' in sys.modules, msgspec.json.encode([1]).decode()]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[], True, "[1]"]
