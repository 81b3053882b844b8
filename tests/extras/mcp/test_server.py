"""``cptref mcp`` through the SDK's own client: every tool gives the document ``cptref ... --json`` prints
(and the text ``cptref ...`` prints), bad and huge input is an error result with the command's message,
the tool schemas are ``cptref schema``'s, a server without CMS tables and one with the made-up tables of
2026 Q4 both answer, and the server runs over real stdio.

The client validates every structured answer against the tool's output schema (it raises otherwise), so
each successful call below is also a schema test. The CLI runs compared with are in this process
(``run_cptref``); the tests that start the server as a process are marked slow.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.extras import require

require("mcp")

from mcp.server import Server  # noqa: E402
from mcp.types import CallToolResult, TextContent  # noqa: E402

from cptref.mcp import library as mcp_library  # noqa: E402
from cptref.mcp import server as mcp_server  # noqa: E402
from cptref.mcp.library import WIDTH, Library, ToolAnswer  # noqa: E402
from cptref.mcp.tools import MAX_CODES, MAX_ITEM_CHARS, MAX_LINES, output_schema  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402
from tests.conftest import FIXTURES, ROOT, Run, run_cptref  # noqa: E402

CHECK_DATA = str(FIXTURES / "check")
DAY = "2026-11-27"
"""A date of service in the fixture tables' quarter (2026 Q4): never today, which moves on."""
TOOLS = ("show", "search", "check", "list", "families", "tables")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- servers: each opens its library once, for the module ----------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Iterator[Server[Any]]:
    """The shipped library, no CMS tables: what ``cptref mcp`` serves with no option."""
    with Library() as library:
        yield mcp_server.server(library)


@pytest.fixture(scope="module")
def no_tables() -> Iterator[Server[Any]]:
    """The made-up library of the CMS tests, without their tables."""
    with Library(CHECK_DATA) as library:
        yield mcp_server.server(library)


@pytest.fixture(scope="module")
def with_tables(cms_folder: Path) -> Iterator[Server[Any]]:
    """The made-up library with every made-up table of 2026 Q4 (PTP, MUE, AOC, PPRRVU)."""
    with Library(CHECK_DATA, str(cms_folder)) as library:
        yield mcp_server.server(library)


@pytest.fixture
async def client(shipped: Server[Any]) -> AsyncIterator[Client]:
    async with Client(shipped, raise_exceptions=True) as connected:
        yield connected


async def call(server: Server[Any], tool: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
    async with Client(server, raise_exceptions=True) as connected:
        return await connected.call_tool(tool, arguments)


def text(result: CallToolResult) -> str:
    [content] = result.content
    assert isinstance(content, TextContent)
    return str(content.text)


def messages(run: Run) -> list[str]:
    """The command's lines on stderr, without their ``cptref:`` prefix."""
    return [line.removeprefix("cptref: ") for line in run.err.splitlines()]


def said(run: Run) -> str:
    """What the tool's text is for a command's run: its stderr lines, then what it printed."""
    lines = "".join(f"{line}\n" for line in messages(run))
    return lines + ("\n" if lines and run.out else "") + run.out


WIDE = {"COLUMNS": str(WIDTH)}
"""The tools' text views are the command's at this width (no line of show's brief view cut)."""


def same(result: CallToolResult, args: tuple[str, ...], error: bool = False) -> None:
    """The tool answered as ``cptref ARGS --json`` and ``cptref ARGS`` do: the same document, the same text."""
    document = run_cptref(*args, "--json")
    view = run_cptref(*args, env=WIDE)
    assert result.is_error is error, text(result)
    assert result.structured_content == json.loads(document.out)
    assert text(result) == said(view)


# --- the tools and their schemas --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_client_lists_every_tool_read_only_with_its_schemas(client: Client) -> None:
    listed = (await client.list_tools()).tools
    assert [t.name for t in listed] == list(TOOLS)
    for tool in listed:
        assert tool.description and tool.title
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False and tool.annotations.open_world_hint is False
        assert tool.input_schema["type"] == "object" and tool.input_schema["additionalProperties"] is False
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        assert tool.output_schema is not None
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)


@pytest.mark.anyio
@pytest.mark.parametrize("tool", TOOLS)
async def test_each_output_schema_is_what_cptref_schema_prints(client: Client, tool: str) -> None:
    [listed] = [t for t in (await client.list_tools()).tools if t.name == tool]
    run = run_cptref("schema", tool)
    assert run.code == 0, run.err
    assert listed.output_schema == json.loads(run.out)


@pytest.mark.anyio
async def test_the_input_schemas_state_the_bounds_and_describe_every_key(client: Client) -> None:
    schemas = {t.name: t.input_schema for t in (await client.list_tools()).tools}
    codes, lines = schemas["show"]["properties"]["codes"], schemas["check"]["properties"]["lines"]
    assert (codes["minItems"], codes["maxItems"], codes["items"]["maxLength"]) == (1, MAX_CODES, MAX_ITEM_CHARS)
    assert (lines["minItems"], lines["maxItems"], lines["items"]["maxLength"]) == (1, MAX_LINES, MAX_ITEM_CHARS)
    assert schemas["search"]["properties"]["query"]["maxLength"] == 500
    limit = schemas["search"]["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 1000, 10)  # the CLI's --limit
    assert set(schemas["check"]["properties"]["setting"]["enum"]) == {"practitioner", "hospital"}  # --setting
    assert schemas["show"]["required"] == ["codes"] and schemas["check"]["required"] == ["lines"]
    for name, schema in schemas.items():
        for key, prop in schema["properties"].items():
            assert prop.get("description"), (name, key)


# --- the same answers as the command line ----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "arguments", "args"),
    [
        ("show", {"codes": ["47542"]}, ("show", "47542")),
        ("show", {"codes": ["47542", "50432", "47542"]}, ("show", "47542", "50432", "47542")),
        ("show", {"codes": ["47534-RT", "47542x2"]}, ("show", "47534-RT", "47542x2")),  # notes, no error
        ("show", {"codes": ["50432", "47542"], "full": True}, ("show", "50432", "47542", "--full")),
        (
            "search",
            {"query": "balloon dilation biliary", "limit": 3},
            ("search", "balloon dilation biliary", "-n", "3"),
        ),
        ("search", {"query": "biliarry stricure"}, ("search", "biliarry stricure")),
        ("search", {"query": "4755"}, ("search", "4755")),
        (
            "check",
            {"lines": ["47532", "47542", "77002"], "date": DAY},
            ("check", "47532", "47542", "77002", "--date", DAY),
        ),
        (
            "check",
            {"lines": ["47542-59", "47532", "50432-RT", "50432-LT"]},
            ("check", "47542-59", "47532", "50432-RT", "50432-LT"),
        ),
        (
            "check",
            {"lines": ["50432", "50706x2"], "explain": True, "setting": "hospital", "date": DAY},
            ("check", "50432", "50706x2", "--explain", "--setting", "hospital", "--date", DAY),
        ),
        ("check", {"lines": ["foo", "47542"], "date": DAY}, ("check", "foo", "47542", "--date", DAY)),  # a finding
        ("list", {}, ("list",)),
        ("list", {"range": "4753"}, ("list", "--range", "4753")),
        (
            "list",
            {"range": "47531-47544", "status": "active"},
            ("list", "--range", "47531-47544", "--status", "active"),
        ),
        ("families", {}, ("families",)),
    ],
)
async def test_every_tool_answers_as_the_command_does(
    client: Client, tool: str, arguments: dict[str, Any], args: tuple[str, ...]
) -> None:
    same(await client.call_tool(tool, arguments), args)


@pytest.mark.anyio
async def test_the_text_of_show_cuts_no_fact_short(client: Client) -> None:
    """At the command's 100 columns, show's one-screen view ends long lines with an ellipsis; the tool's
    text is drawn wide enough that every fact an assistant reads is whole."""
    narrow = run_cptref("show", "47542").out
    assert "…" in narrow
    result = await client.call_tool("show", {"codes": ["47542"]})
    assert "…" not in text(result)


@pytest.mark.anyio
async def test_list_by_family_answers_as_the_command_does(client: Client) -> None:
    families = (await client.call_tool("families", {})).structured_content
    assert families is not None
    family = families["families"][0]["id"]
    same(await client.call_tool("list", {"family": family}), ("list", "--family", family))


@pytest.mark.anyio
async def test_a_code_the_library_does_not_know_is_an_error_with_the_document_and_the_nearest_codes(
    client: Client,
) -> None:
    result = await client.call_tool("show", {"codes": ["47542", "47559", "4753"]})
    same(result, ("show", "47542", "47559", "4753"), error=True)
    assert text(result).startswith("code 47559 is not in cptref's library")
    assert result.structured_content is not None
    jsonschema.validate(result.structured_content, output_schema("show"))
    assert [u["code"] for u in result.structured_content["unknown"]] == ["47559", "4753"]


@pytest.mark.anyio
async def test_the_legacy_connection_gives_the_same_answer(shipped: Server[Any]) -> None:
    """The JSON-RPC framing of a handshake-era client (mode legacy) carries the same document."""
    async with Client(shipped, mode="legacy") as legacy:
        same(
            await legacy.call_tool("check", {"lines": ["47532", "47542"], "date": DAY}),
            ("check", "47532", "47542", "--date", DAY),
        )


# --- bad input: an error result with the command line's message -------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "arguments", "args"),
    [
        ("show", {"codes": ["abc"]}, ("show", "abc")),
        ("show", {"codes": ["4753"]}, ("show", "4753")),
        ("show", {"codes": ["99999"]}, ("show", "99999")),
        ("search", {"query": ""}, ("search", "")),
        ("search", {"query": "  ?!  "}, ("search", "  ?!  ")),
        ("search", {"query": "fine needle aspiration"}, ("search", "fine needle aspiration")),
        ("search", {"query": "zzzqqq xxyyzz"}, ("search", "zzzqqq xxyyzz")),
        ("check", {"lines": ["47542"], "date": "11/27/2026"}, ("check", "47542", "--date", "11/27/2026")),
        ("list", {"family": "no-such-family"}, ("list", "--family", "no-such-family")),
        ("list", {"range": "47531-x"}, ("list", "--range", "47531-x")),
    ],
)
async def test_bad_input_is_an_error_result_with_the_command_lines_message(
    client: Client, tool: str, arguments: dict[str, Any], args: tuple[str, ...]
) -> None:
    result = await client.call_tool(tool, arguments)
    document, view = run_cptref(*args, "--json"), run_cptref(*args, env=WIDE)
    assert document.code != 0 and result.is_error, text(result)
    assert text(result) == said(view)
    assert result.structured_content == (json.loads(document.out) if document.out else None)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("show", {}, "show: Object missing required field `codes`"),
        ("show", {"codes": []}, "show: Expected `array` of length >= 1 - at `$.codes`"),
        ("show", {"codes": "47542"}, "show: Expected `array`, got `str` - at `$.codes`"),
        ("show", {"codes": ["47542"], "fields": "code"}, "show: Object contains unknown field `fields`"),
        ("search", {"query": "stent", "limit": 0}, "search: Expected `int` >= 1 - at `$.limit`"),
        ("search", {"query": "stent", "limit": "5"}, "search: Expected `int`, got `str` - at `$.limit`"),
        ("check", {"lines": ["47542"], "setting": "office"}, "check: Invalid enum value 'office' - at `$.setting`"),
        ("nope", {}, "no tool 'nope'; the tools are: show, search, check, list, families, tables"),
    ],
)
async def test_arguments_of_the_wrong_shape_are_an_error_result_naming_the_key(
    client: Client, tool: str, arguments: dict[str, Any], message: str
) -> None:
    result = await client.call_tool(tool, arguments)
    assert result.is_error and result.structured_content is None
    assert text(result) == message + "\n"


# --- huge input: bounded, and the answer says so ----------------------------------------------------------


@pytest.mark.anyio
async def test_a_query_over_500_characters_gets_the_command_lines_message(client: Client) -> None:
    query = "stent " * 2000
    result = await client.call_tool("search", {"query": query})
    run = run_cptref("search", query)
    assert result.is_error and text(result) == said(run)
    assert text(result) == "the query is 12000 characters long; at most 500 are searched\n"


@pytest.mark.anyio
async def test_too_many_codes_or_claim_lines_are_refused_with_the_bound(client: Client) -> None:
    result = await client.call_tool("show", {"codes": ["47542"] * (MAX_CODES + 1)})
    assert result.is_error and text(result) == f"show takes at most {MAX_CODES} codes at a time, got 21: ask in parts\n"
    result = await client.call_tool("check", {"lines": ["47542"] * (MAX_LINES + 1)})
    assert result.is_error
    assert text(result).startswith(f"check takes at most {MAX_LINES} claim lines at a time, got 101;")
    same(await client.call_tool("check", {"lines": ["47542"] * MAX_LINES}), ("check", *["47542"] * MAX_LINES))


@pytest.mark.anyio
async def test_an_overlong_code_or_claim_line_is_refused_without_echoing_it(client: Client) -> None:
    long = "4" * 100_000
    result = await client.call_tool("show", {"codes": [long]})
    run = run_cptref("show", long)
    assert result.is_error and text(result) == said(run)  # the command's own message, cut to 40 characters
    assert len(text(result)) < 400
    result = await client.call_tool("check", {"lines": ["47542", "47532-" + "59-" * 20]})
    assert result.is_error
    assert text(result) == (
        f"claim line 2 is 66 characters long; a claim line, CODE[-MOD...][xN], is at most {MAX_ITEM_CHARS} here\n"
    )


# --- never an exception out of a call ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_unexpected_exception_is_an_error_result_and_the_server_goes_on(
    client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(library: Library, values: Any) -> ToolAnswer:
        raise RuntimeError("boom")

    monkeypatch.setitem(mcp_library.ANSWERS, "families", broken)
    result = await client.call_tool("families", {})
    assert result.is_error
    assert text(result) == "internal error in families (RuntimeError): boom; please report it\n"
    assert "Traceback" in capsys.readouterr().err  # the host's log has the traceback
    assert not (await client.call_tool("list", {"range": "4753"})).is_error


# --- CMS tables: none, and the made-up tables of 2026 Q4 ---------------------------------------------------


@pytest.mark.anyio
async def test_tables_without_cms_tables_is_the_command_lines_error(shipped: Server[Any]) -> None:
    result = await call(shipped, "tables", {})
    run = run_cptref("tables", "--json")
    assert run.code == 2 and result.is_error
    assert text(result) == said(run) == "no CMS tables are named: give --cms PATH (your downloads) or set CPTREF_CMS\n"


@pytest.mark.anyio
async def test_without_tables_a_claim_is_checked_by_the_library_alone(no_tables: Server[Any]) -> None:
    args = ("check", "0001X", "0002X-59", "--date", DAY, "--data", CHECK_DATA)
    result = await call(no_tables, "check", {"lines": ["0001X", "0002X-59"], "date": DAY})
    same(result, args)
    assert result.structured_content is not None
    assert result.structured_content["verified"] is False
    assert "ncci-ptp" not in {f["rule"] for f in result.structured_content["findings"]}


@pytest.mark.anyio
async def test_with_tables_every_tool_answers_as_the_command_does(with_tables: Server[Any], cms_folder: Path) -> None:
    data, cms = ("--data", CHECK_DATA), ("--cms", str(cms_folder))
    options = {"tables": cms, "families": data}
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("tables", {}, ("tables",)),
        ("check", {"lines": ["0001X", "0002X-59"], "date": DAY}, ("check", "0001X", "0002X-59", "--date", DAY)),
        ("check", {"lines": ["0001X", "0003X-59"], "date": DAY}, ("check", "0001X", "0003X-59", "--date", DAY)),
        (
            "check",
            {"lines": ["0001X", "0003X"], "date": DAY, "setting": "hospital"},
            ("check", "0001X", "0003X", "--date", DAY, "--setting", "hospital"),
        ),
        ("show", {"codes": ["0001X", "0031X"]}, ("show", "0001X", "0031X")),
        ("search", {"query": "placeholder"}, ("search", "placeholder")),
        ("families", {}, ("families",)),
    ]
    for tool, arguments, args in cases:
        result = await call(with_tables, tool, arguments)
        document = run_cptref(*args, *options.get(tool, data + cms), "--json")
        view = run_cptref(*args, *options.get(tool, data + cms), env=WIDE)
        assert not result.is_error, text(result)
        assert result.structured_content == json.loads(document.out), args
        assert text(result) == view.out, args  # the tables' warnings are logged once, at start
    found = (await call(with_tables, "check", {"lines": ["0001X", "0002X-59"], "date": DAY})).structured_content
    assert found is not None
    [edit] = [f for f in found["findings"] if f["rule"] == "ncci-ptp"]
    assert edit["row"] == "ccipra-v323r0-f1.txt, line 7"  # what answered it: the table and its row
    shown = (await call(with_tables, "show", {"codes": ["0001X"]})).structured_content
    assert shown is not None
    assert shown["official"][0]["fee_schedule"][0]["short_descriptor"]["licence"].startswith("AMA")


@pytest.mark.anyio
async def test_a_cms_path_that_does_not_exist_is_the_command_lines_error_and_tables_says_why(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    with Library(CHECK_DATA, missing) as library:
        served = mcp_server.server(library)
        result = await call(served, "check", {"lines": ["0001X"], "date": DAY})
        run = run_cptref("check", "0001X", "--date", DAY, "--data", CHECK_DATA, "--cms", missing)
        assert run.code == 2 and result.is_error and text(result) == said(run)
        assert not (await call(served, "families", {})).is_error  # what needs no table still answers


# --- the extra, and the real transport --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.anyio
async def test_the_server_speaks_over_stdio_and_writes_nothing_else_on_stdout(cms_folder: Path) -> None:
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cptref", "mcp", "--data", CHECK_DATA, "--cms", str(cms_folder)],
        env={"CPTREF_CACHE_DIR": os.environ["CPTREF_CACHE_DIR"], "PATH": os.environ.get("PATH", "")},
        cwd=str(ROOT),
    )
    async with Client(parameters) as remote:
        assert [t.name for t in (await remote.list_tools()).tools] == list(TOOLS)
        result = await remote.call_tool("check", {"lines": ["0001X", "0002X-59"], "date": DAY})
        run = run_cptref(
            "check", "0001X", "0002X-59", "--date", DAY, "--data", CHECK_DATA, "--cms", str(cms_folder), "--json"
        )
        assert result.structured_content == json.loads(run.out)
        assert (await remote.call_tool("show", {"codes": ["abc"]})).is_error


def serve(**options: Any) -> Any:
    """``cptref mcp`` on the made-up library in a process of its own, its three streams piped
    (``options``: more of :class:`subprocess.Popen`'s, such as ``preexec_fn``)."""
    import subprocess

    env = {"CPTREF_CACHE_DIR": os.environ["CPTREF_CACHE_DIR"], "PATH": os.environ.get("PATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "cptref", "mcp", "--data", CHECK_DATA],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=str(ROOT),
        **options,
    )


def stopped(process: Any) -> None:
    """The server's end, whatever the test's: killed if it still runs, its pipes closed."""
    if process.poll() is None:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None and not stream.closed:
            with contextlib.suppress(BrokenPipeError):
                stream.close()


@pytest.mark.slow
def test_a_handshake_era_client_on_the_wire_gets_only_json_rpc_lines_on_stdout() -> None:
    """What a desktop assistant does: start the process, write JSON-RPC lines on its stdin (the 2025
    initialize handshake), read one JSON-RPC line an answer on its stdout; at end of input it exits 0."""
    import select

    process = serve()
    assert process.stdin is not None and process.stdout is not None

    def send(message: dict[str, Any]) -> None:
        assert process.stdin is not None
        process.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        process.stdin.flush()

    def answer() -> dict[str, Any]:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 120)  # a bound on a hang, not a timing test
        assert ready, "the server did not answer"
        found: dict[str, Any] = json.loads(process.stdout.readline())
        assert found["jsonrpc"] == "2.0"
        return found

    try:
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}
        send({"id": 1, "method": "initialize", "params": hello})
        started = answer()["result"]
        assert started["serverInfo"]["name"] == "cptref" and started["capabilities"]["tools"] is not None
        send({"method": "notifications/initialized"})
        send({"id": 2, "method": "tools/list"})
        assert [t["name"] for t in answer()["result"]["tools"]] == list(TOOLS)
        send({"id": 3, "method": "tools/call", "params": {"name": "show", "arguments": {"codes": ["0001X"]}}})
        shown = answer()
        assert shown["id"] == 3 and shown["result"]["isError"] is False
        run = run_cptref("show", "0001X", "--data", CHECK_DATA, "--json")
        assert shown["result"]["structuredContent"] == json.loads(run.out)
        send({"id": 4, "method": "tools/call", "params": {"name": "check", "arguments": {"lines": "47542"}}})
        refused = answer()["result"]
        assert refused["isError"] is True
        assert refused["content"][0]["text"] == "check: Expected `array`, got `str` - at `$.lines`\n"
        process.stdin.close()
        assert process.wait(timeout=120) == 0
        assert process.stdout.read() == b""  # nothing but the answers
    finally:
        stopped(process)


# --- data with problems: the command line's answer, from the library opened at start ----------------------


@pytest.mark.anyio
async def test_a_data_directory_that_does_not_exist_is_the_command_lines_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("show", {"codes": ["47542"]}, ("show", "47542")),
        ("families", {}, ("families",)),
        ("check", {"lines": ["47542"], "date": DAY}, ("check", "47542", "--date", DAY)),
    ]
    with Library(missing) as library:
        served = mcp_server.server(library)
        for tool, arguments, args in cases:
            result = await call(served, tool, arguments)
            run = run_cptref(*args, "--data", missing)
            assert run.code == 3 and result.is_error, text(result)
            assert text(result) == said(run)


@pytest.mark.anyio
async def test_a_broken_record_file_is_refused_where_the_command_refuses_it(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "check", data)
    (data / "procedures" / "0002X.yaml").write_text("code: 0002X\ntitle: [unclosed\n", encoding="utf-8")
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("show", {"codes": ["0001X"]}, ("show", "0001X")),  # the command warns, and answers
        ("show", {"codes": ["0002X"]}, ("show", "0002X")),  # the command refuses: exit 3
        ("check", {"lines": ["0001X", "0002X"], "date": DAY}, ("check", "0001X", "0002X", "--date", DAY)),
        ("check", {"lines": ["0004X"], "date": DAY}, ("check", "0004X", "--date", DAY)),
        ("list", {}, ("list",)),
    ]
    with Library(str(data)) as library:
        served = mcp_server.server(library)
        for tool, arguments, args in cases:
            result = await call(served, tool, arguments)
            document = run_cptref(*args, "--data", str(data), "--json")
            view = run_cptref(*args, "--data", str(data), env=WIDE)
            assert result.is_error is (document.code == 3), (args, text(result))
            assert result.structured_content == (json.loads(document.out) if document.out else None), args
            if result.is_error:
                assert text(result) == said(view), args
            else:  # the command's one warning line about the broken file is logged once, at start
                assert text(result) == view.out, args


@pytest.mark.anyio
async def test_a_licensed_descriptor_file_is_shown_and_searched_labelled_as_the_command_does(tmp_path: Path) -> None:
    licensed = tmp_path / "descriptors.tsv"
    licensed.write_text("47542\tMade-up licensed wording about a zygomorphic duct dilation\n", encoding="utf-8")
    cases: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
        ("show", {"codes": ["47542"]}, ("show", "47542")),
        ("search", {"query": "zygomorphic"}, ("search", "zygomorphic")),
    ]
    with Library(descriptors=str(licensed)) as library:
        served = mcp_server.server(library)
        for tool, arguments, args in cases:
            same(await call(served, tool, arguments), (*args, "--descriptors", str(licensed)))
        shown = await call(served, "show", {"codes": ["47542"]})
        assert "Licensed descriptor (your file): Made-up licensed wording" in text(shown)  # labelled
        assert shown.structured_content is not None
        assert shown.structured_content["procedures"][0]["official_descriptor"]["file"] == str(licensed)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["show", "0001X", "--json"],
        ["search", "placeholder"],
        ["check", "0001X", "0002X-59", "--date", DAY],
        ["list"],
        ["families", "--json"],
        ["tables", "--json"],
        ["validate"],
        ["schema", "show"],
        ["--version"],
        ["show", "--help"],
    ],
    ids=lambda a: " ".join(a),
)
def test_no_other_command_imports_the_sdk_or_pydantic(args: list[str], cms_folder: Path) -> None:
    """With the extra installed, a call of any other command (fast path or Typer) loads neither."""
    import subprocess

    code = (
        "import json, sys\nfrom cptref.cli.main import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('mcp', 'pydantic', 'anyio') if m in sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "CPTREF_DATA": CHECK_DATA, "CPTREF_CMS": str(cms_folder)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert json.loads(done.stderr.strip().splitlines()[-1]) == [], done.stderr


# --- the wire itself: lines that are no message, lines too long, stdin closed with requests in flight -------

HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}


def wire(*lines: bytes, memory: int | None = None) -> tuple[list[dict[str, Any]], str, int]:
    """Start ``cptref mcp`` on the made-up library, write ``lines`` on its stdin (from a thread, so a long
    one never blocks the reading of the answers) and close it; the JSON-RPC lines it wrote, its stderr and
    its exit status. ``memory`` caps its address space (bytes), so a line held whole ends it."""
    import resource
    import threading

    def cap() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    process = serve(preexec_fn=cap)
    assert process.stdin is not None

    def feed() -> None:
        assert process.stdin is not None
        try:
            for line in lines:
                for start in range(0, len(line), 1 << 20):
                    process.stdin.write(line[start : start + (1 << 20)])
            process.stdin.close()
        except BrokenPipeError:
            pass

    heard: dict[str, bytes] = {}

    def listen(name: str, stream: Any) -> None:
        heard[name] = stream.read()

    threads = [
        threading.Thread(target=feed, daemon=True),
        threading.Thread(target=listen, args=("out", process.stdout), daemon=True),
        threading.Thread(target=listen, args=("err", process.stderr), daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        process.wait(timeout=240)  # a bound on a hang, not a timing test
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for thread in threads:
            thread.join(timeout=60)
        stopped(process)
    err = heard.get("err", b"").decode("utf-8", errors="replace")
    return [json.loads(line) for line in heard.get("out", b"").splitlines()], err, process.returncode


def message(**fields: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", **fields}).encode() + b"\n"


OPENING = (
    message(id=1, method="initialize", params=HELLO),
    message(method="notifications/initialized"),
)


@pytest.mark.slow
def test_every_request_read_before_stdin_closes_is_answered() -> None:
    """A client that writes its requests and closes stdin (``printf ... | cptref mcp``) gets every answer:
    the SDK alone cancels the calls still running at the end of input, unanswered and unsaid."""
    calls = [
        message(id=n, method="tools/call", params={"name": "show", "arguments": {"codes": ["0001X"]}})
        for n in range(2, 32)
    ]
    answers, err, status = wire(*OPENING, *calls)
    assert status == 0 and err == ""
    assert sorted(a["id"] for a in answers) == list(range(1, 32))
    assert all(a["result"]["isError"] is False for a in answers[1:])


@pytest.mark.slow
def test_a_line_that_is_no_message_is_answered_with_a_parse_error_and_said_on_stderr() -> None:
    """JSON-RPC 2.0: a message that cannot be parsed is answered with error -32700 and id null; the SDK
    alone drops it unsaid. Blank lines are skipped; nothing of the line is quoted back."""
    answers, err, status = wire(
        *OPENING,
        b"this is not json \x1b[31m\n",
        b"\n   \n",
        message(id="x", result=None, method=3),
        b'{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "sh\n',
        message(id=2, method="tools/call", params={"name": "families", "arguments": {}}),
    )
    assert status == 0
    errors = [a for a in answers if "error" in a]
    assert [e["id"] for e in errors] == [None, None, None]
    assert [e["error"]["code"] for e in errors] == [-32700] * 3
    assert errors[0]["error"]["message"].startswith("line 3 is not JSON (")
    assert errors[1]["error"]["message"] == "line 6 is not a JSON-RPC 2.0 request, notification or response"
    assert errors[2]["error"]["message"].startswith("line 7 is not JSON (")
    assert [a["id"] for a in answers if "result" in a] == [1, 2]
    said = err.splitlines()
    assert len(said) == 3 and all(line.startswith("cptref: mcp: line ") for line in said)
    assert "\x1b" not in err and "Traceback" not in err


@pytest.mark.slow
def test_a_request_before_initialize_is_refused_saying_so() -> None:
    """The lifecycle allows only ``ping`` before ``initialize``; the SDK alone answers any other request
    "Invalid request parameters", which names neither the request nor the way out."""
    listing = message(id=2, method="tools/list")
    answers, err, status = wire(message(id=9, method="ping"), listing, *OPENING, listing)
    assert status == 0
    # JSON-RPC does not order the answers (the SDK answers ping in its own time): matched by id
    assert sorted(a["id"] for a in answers) == [1, 2, 2, 9]
    assert [a for a in answers if a["id"] == 9] == [{"jsonrpc": "2.0", "id": 9, "result": {}}]
    refused, listed = sorted((a for a in answers if a["id"] == 2), key=lambda a: "result" in a)
    assert refused["error"] == {
        "code": -32600,
        "message": "line 2: 'tools/list' before initialize; send initialize first",
    }
    assert "tools" in listed["result"]
    assert err == "cptref: mcp: line 2: 'tools/list' before initialize; send initialize first\n"


@pytest.mark.slow
def test_a_line_over_the_message_limit_is_skipped_without_being_held() -> None:
    """A 300 MB line under a 700 MB address space: the SDK alone reads it whole (MemoryError, a traceback,
    the server gone); here it is read through and answered with a parse error naming its size, and the
    next request is answered."""
    from cptref.mcp.server import MAX_MESSAGE_BYTES

    size = 300_000_000
    answers, err, status = wire(
        OPENING[0],
        b"{" + b"x" * (size - 2) + b"\n",
        message(id=2, method="tools/call", params={"name": "families", "arguments": {}}),
        memory=700 << 20,
    )
    assert status == 0, err
    assert answers[0]["id"] == 1
    assert answers[1] == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32700,
            "message": f"line 2 is {size:,} bytes long; a message is at most {MAX_MESSAGE_BYTES:,}: skipped",
        },
    }
    assert answers[2]["id"] == 2 and answers[2]["result"]["isError"] is False
    assert "Traceback" not in err and "MemoryError" not in err


@pytest.mark.slow
def test_a_client_that_closes_stdout_stops_the_server_in_one_line() -> None:
    """The client stops reading (``cptref mcp | head -c 10``) with calls still to answer: one line on
    stderr and exit 0, as any command does under ``| head``; never the SDK's traceback of a broken pipe."""
    process = serve()
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    try:
        calls = [
            message(id=n, method="tools/call", params={"name": "show", "arguments": {"codes": ["0001X"]}})
            for n in range(2, 40)
        ]
        process.stdin.write(b"".join((*OPENING, *calls)))
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1
        process.stdout.close()
        assert process.wait(timeout=120) == 0  # a bound on a hang; stdin is still open
        assert process.stderr.read().decode() == "cptref: mcp: the client closed stdout; stopped\n"
    finally:
        stopped(process)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "said"), [(2, "interrupted"), (15, "terminated")])
def test_sigint_or_sigterm_while_serving_ends_the_server_in_one_line(signum: int, said: str) -> None:
    """How a client stops a server whose stdin it holds open: SIGTERM (or SIGINT). Raised into the event
    loop, cptref's own handler was swallowed by the callback it landed in (a traceback, the server going
    on), and the thread reading stdin kept the process alive; now one line and 128 + the signal."""
    process = serve()
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    try:
        process.stdin.write(OPENING[0])
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1  # serving, its stdin open
        process.send_signal(signum)
        assert process.wait(timeout=60) == 128 + signum  # a bound on a hang, not a timing test
        assert process.stderr.read().decode() == f"cptref: {said}\n"
    finally:
        stopped(process)
