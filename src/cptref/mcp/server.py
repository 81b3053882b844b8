"""The MCP server of ``cptref mcp``: the official SDK's low-level server, over stdio.

The only module of cptref that imports the SDK (``mcp``, the ``cptref[mcp]`` extra), and only when a
server is made (:func:`server`, :func:`serve`): without the extra, :func:`require_sdk` says which one to
install. The low-level ``mcp.server.Server`` is used, not the high-level ``MCPServer``: the latter
derives a tool's schemas from the function's type hints with pydantic, where cptref's come from the
types ``cptref schema`` uses (:mod:`.tools`); here the tools declare exactly those, and each result's
``is_error`` and ``structured_content`` are cptref's (:mod:`.library`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cptref import __version__
from cptref.errors import UsageError

from .library import Library
from .tools import INSTRUCTIONS, TOOLS, input_schema, output_schema

if TYPE_CHECKING:
    from mcp.server import Server

INSTALL = "pip install 'cptref[mcp]'"
"""What installs the SDK."""


def require_sdk() -> None:
    """Raise a :class:`~cptref.errors.UsageError` naming the extra when the SDK cannot be imported."""
    try:
        import mcp.server  # noqa: F401
    except ImportError as exc:
        missing = exc.name or "mcp"
        why = "is not installed" if missing.split(".")[0] == "mcp" else f"cannot be imported (no module {missing})"
        raise UsageError(f"cptref mcp needs the Model Context Protocol SDK, which {why}: {INSTALL}") from None


def server(library: Library) -> Server[Any]:
    """The MCP server answering from ``library``, whose tools declare exactly the schemas of :mod:`.tools`."""
    require_sdk()
    from mcp.server import Server, ServerRequestContext
    from mcp.types import (
        CallToolRequestParams,
        CallToolResult,
        ListToolsResult,
        PaginatedRequestParams,
        TextContent,
        ToolAnnotations,
    )
    from mcp.types import Tool as McpTool

    tools = [
        McpTool(
            name=tool.name,
            title=tool.title,
            description=tool.description,
            input_schema=input_schema(tool.input),
            output_schema=output_schema(tool.name),
            annotations=ToolAnnotations(
                title=tool.title,
                read_only_hint=True,
                destructive_hint=False,
                idempotent_hint=True,
                open_world_hint=False,
            ),
        )
        for tool in TOOLS
    ]

    async def list_tools(ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None) -> ListToolsResult:
        return ListToolsResult(tools=tools)

    async def call_tool(ctx: ServerRequestContext[Any], params: CallToolRequestParams) -> CallToolResult:
        answer = library.call(params.name, params.arguments)
        return CallToolResult(
            content=[TextContent(type="text", text=answer.text)],
            structured_content=answer.document,
            is_error=answer.error,
        )

    return Server(
        "cptref",
        version=__version__,
        title="cptref",
        description="An offline CPT coding reference: codes, what they include and go with, claim checks.",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(data: str | None = None, cms: str | None = None, descriptors: str | None = None) -> None:
    """Serve the tools over stdio until the client closes stdin. The library and the CMS tables are
    opened once, here, before the first message is read."""
    require_sdk()
    import anyio
    from mcp.server.stdio import stdio_server

    with Library(data, cms, descriptors) as library:
        running = server(library)

        async def run() -> None:
            async with stdio_server() as (read, write):
                await running.run(read, write, running.create_initialization_options())

        anyio.run(run)
