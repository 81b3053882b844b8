"""``cptref mcp`` without the SDK: the tools' arguments agree with the commands', a call never raises,
no module but the server imports the SDK, and without the extra the command names it. (The server
itself, through the SDK's client, is tested in ``tests/extras/mcp``.)"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest

from cptref.cli.spec import command
from cptref.mcp.library import Library
from cptref.mcp.tools import TOOLS, CheckInput, ListInput, SearchInput, input_schema
from tests.conftest import FIXTURES, ROOT, run_cptref

CHECK_DATA = str(FIXTURES / "check")
SDK = {"mcp", "anyio", "pydantic", "pydantic_core", "starlette", "uvicorn", "httpx", "httpx2"}
"""The SDK and what comes with it: imported by cptref/mcp/server.py alone."""


def option(name: str, dest: str) -> Any:
    return next(o for o in command(name).options if o.dest == dest)


def test_the_tools_take_the_commands_bounds_choices_and_defaults() -> None:
    limit = option("search", "limit")
    schema = input_schema(SearchInput)["properties"]["limit"]
    assert (schema["minimum"], schema["maximum"], schema["default"]) == (limit.minimum, limit.maximum, limit.default)
    setting = input_schema(CheckInput)["properties"]["setting"]
    assert (set(setting["enum"]), setting["default"]) == (set(option("check", "setting").choices), "practitioner")
    status = input_schema(ListInput)["properties"]["status"]["anyOf"][0]
    assert set(status["enum"]) == set(option("list", "status").choices)


def test_the_tools_are_the_commands_they_answer_as() -> None:
    from cptref.commands import COMMANDS
    from cptref.output.schema import JSON_COMMANDS

    assert [t.name for t in TOOLS] == ["show", "search", "check", "list", "families", "tables"]
    assert {t.name for t in TOOLS} <= set(COMMANDS) & set(JSON_COMMANDS)


def test_only_the_server_module_imports_the_sdk() -> None:
    """Every other module of cptref, every command among them, stays free of the SDK and pydantic."""
    importers = []
    for path in sorted((ROOT / "src" / "cptref").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(n.split(".")[0] in SDK for n in names):
                importers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(importers)) == ["src/cptref/mcp/server.py"]


def test_a_call_never_raises_whatever_the_arguments() -> None:
    with Library(CHECK_DATA) as library:
        for arguments in (None, {}, {"codes": None}, {"codes": [None, 5]}, {"lines": [["x"]]}, {"query": 5}):
            for tool in (*(t.name for t in TOOLS), "", "x" * 10_000):
                answer = library.call(tool, arguments)
                assert answer.error or answer.document is not None
                assert len(answer.text) < 2_000 or not answer.error


def test_without_the_sdk_the_command_names_the_extra_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "mcp", None)
    run = run_cptref("mcp", "--data", CHECK_DATA)
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        "cptref: cptref mcp needs the Model Context Protocol SDK, which is not installed: pip install 'cptref[mcp]'\n"
    )


def test_the_library_and_the_tables_are_opened_once_at_start(monkeypatch: pytest.MonkeyPatch, cms_folder: Path) -> None:
    """After start, no call opens the catalog or the CMS tables again; AMA text is shown labelled."""
    from cptref import cms
    from cptref.replies import build, opened

    with Library(CHECK_DATA, str(cms_folder)) as library:

        def refused(*args: object, **kwargs: object) -> None:
            raise AssertionError("opened again")

        for module, name in ((opened, "catalog"), (build, "catalog"), (opened, "cms_tables"), (cms, "open_tables")):
            monkeypatch.setattr(module, name, refused)
        calls: list[tuple[str, dict[str, Any]]] = [
            ("show", {"codes": ["0001X", "0031X"]}),
            ("search", {"query": "placeholder"}),
            ("check", {"lines": ["0001X", "0002X-59"], "date": "2026-11-27"}),
            ("check", {"lines": ["0001X", "0003X"], "date": "2026-11-27", "setting": "hospital"}),
            ("list", {"range": "0001X-0003X"}),
            ("families", {}),
            ("tables", {}),
        ]
        for tool, arguments in calls:
            answer = library.call(tool, arguments)
            assert not answer.error, (tool, answer.text)
        shown = library.call("show", {"codes": ["0001X"]})
        assert "AMA licensed text" in shown.text
        assert shown.document is not None
        assert shown.document["official"][0]["fee_schedule"][0]["short_descriptor"]["licence"].startswith("AMA")


def test_the_server_reads_only_and_never_uses_the_network(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cms_folder: Path
) -> None:
    """With sockets refused and a cache of its own, every tool answers, and neither the data directory
    nor the CMS downloads change (name, size, modification time, mode of every file)."""
    import shutil
    import socket

    data, tables = tmp_path / "data", tmp_path / "cms"
    shutil.copytree(CHECK_DATA, data)
    shutil.copytree(cms_folder, tables)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("cptref mcp tried to use the network")

    def files() -> dict[str, tuple[int, int, int]]:
        return {
            str(p): (p.stat().st_size, p.stat().st_mtime_ns, p.stat().st_mode)
            for root in (data, tables)
            for p in sorted(root.rglob("*"))
        }

    before = files()
    monkeypatch.setenv("CPTREF_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("socket", "create_connection", "getaddrinfo", "create_server", "socketpair"):
        monkeypatch.setattr(socket, name, refuse)
    with Library(str(data), str(tables)) as library:
        for tool, arguments in (
            ("show", {"codes": ["0001X"], "full": True}),
            ("search", {"query": "placeholder"}),
            ("check", {"lines": ["0001X", "0002X-59"], "date": "2026-11-27"}),
            ("list", {}),
            ("families", {}),
            ("tables", {}),
        ):
            answer = library.call(tool, arguments)
            assert not answer.error, (tool, answer.text)
    assert files() == before
