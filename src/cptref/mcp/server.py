"""The MCP server of ``cptref mcp``: the official SDK's low-level server, over stdio.

The only module of cptref that imports the SDK (``mcp``, the ``cptref[mcp]`` extra), and only when a
server is made (:func:`server`, :func:`serve`): without the extra, :func:`require_sdk` says which one to
install. The low-level ``mcp.server.Server`` is used, not the high-level ``MCPServer``: the latter
derives a tool's schemas from the function's type hints with pydantic, where cptref's come from the
types ``cptref schema`` uses (:mod:`.tools`); here the tools declare exactly those, and each result's
``is_error`` and ``structured_content`` are cptref's (:mod:`.library`).
"""

from __future__ import annotations

import os
import sys
from collections import Counter, deque
from typing import TYPE_CHECKING, Any, TextIO, cast

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


MAX_MESSAGE_BYTES = 1 << 20
"""The longest JSON-RPC line read (1 MiB): the largest call a tool takes (100 claim lines of 40
characters, a 500-character query) is under 10 kB. A longer line is skipped without being held and
answered with a parse error naming its size."""
POLL_SECONDS = 0.2
"""How often the reading of stdin looks whether the server was stopped."""
SETTLE_SECONDS = 300
"""How long, once stdin is closed, the server goes on answering the requests it has read before it
exits (each names what it left unanswered on stderr)."""


class _Lines:
    """Lines of stdin for the SDK's stdio reader, bounded: a line over :data:`MAX_MESSAGE_BYTES` is
    read through and dropped (its size kept in :attr:`overlong`), blank lines are skipped, and each
    line given out has its number in :attr:`numbers`, in order (the SDK makes one message or one
    error of each). It reads the descriptor itself, waking every :data:`POLL_SECONDS` to see whether
    it was :attr:`stopped` (a signal, stdout gone): the SDK's thread blocked in a read would otherwise
    keep the process from ending while the client holds stdin open."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending = bytearray()
        self.stopped = False
        self.read = 0
        self.numbers: deque[int] = deque()
        self.overlong: dict[int, int] = {}

    def readline(self) -> str:
        while True:
            line = self._line()
            if line is None:
                return ""
            self.read += 1
            if isinstance(line, int):
                self.overlong[self.read] = line
                self.numbers.append(self.read)
                return "overlong\n"  # not JSON: the SDK makes an error of it, answered in _relay
            if line.strip():
                self.numbers.append(self.read)
                return line.decode("utf-8", errors="replace")

    def _line(self) -> bytes | int | None:
        """The next line; its size when over the limit (read through, never held whole); None at the
        end of stdin or once stopped."""
        skipped = 0
        searched = 0
        while True:
            end = self.pending.find(b"\n", searched)
            if end >= 0:
                size = skipped + end + 1
                if size - 1 > MAX_MESSAGE_BYTES:
                    del self.pending[: end + 1]
                    return size
                line = bytes(self.pending[: end + 1])
                del self.pending[: end + 1]
                return line
            searched = len(self.pending)
            if searched > MAX_MESSAGE_BYTES:
                skipped += searched
                self.pending.clear()
                searched = 0
            chunk = self._more()
            if not chunk:
                if self.stopped:
                    return None
                if skipped:
                    self.pending.clear()
                    return skipped
                if self.pending:
                    line = bytes(self.pending)
                    self.pending.clear()
                    return line
                return None
            self.pending += chunk

    def _more(self) -> bytes:
        """The next bytes of stdin; none at its end or once stopped."""
        while not self.stopped:
            if sys.platform != "win32":  # select() takes no pipe on Windows: a blocking read there
                import select

                ready, _, _ = select.select([self.fd], [], [], POLL_SECONDS)
                if not ready:
                    continue
            return os.read(self.fd, 1 << 16)
        return b""


def _refusal(number: int, lines: _Lines, exc: Exception) -> str:
    """Why line ``number`` is no message, never quoting it."""
    size = lines.overlong.get(number)
    if size is not None:
        return f"line {number} is {size:,} bytes long; a message is at most {MAX_MESSAGE_BYTES:,}: skipped"
    errors = getattr(exc, "errors", None)
    first = errors(include_input=False, include_url=False)[0] if callable(errors) else {}
    if first.get("type") == "json_invalid":
        return f"line {number} is not JSON ({first.get('msg', 'invalid JSON')})"
    return f"line {number} is not a JSON-RPC 2.0 request, notification or response"


async def _relay(running: Server[Any], read: Any, write: Any, lines: _Lines, options: Any) -> None:
    """Serve ``running`` over the SDK's stdio streams, between which this stands: a line that is no
    message is answered with a JSON-RPC parse error (id null) and said on stderr, where the SDK would
    drop it unsaid; a request before ``initialize`` (but ``ping``) is answered with an invalid-request
    error that says so, where the SDK's says "Invalid request parameters"; and at the end of stdin
    every request read is answered before the server stops (the SDK cancels those still running),
    within :data:`SETTLE_SECONDS`."""
    import anyio
    from mcp.shared.message import SessionMessage
    from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError, JSONRPCNotification, JSONRPCRequest

    from cptref.output import streams

    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](0)
    pending: Counter[Any] = Counter()
    """The ids of the requests read and not yet answered, each with how many times."""
    initialized = [False]
    """Whether the client has sent ``initialize``: before it, the lifecycle allows only ``ping``."""

    def answered(key: Any) -> None:
        pending[key] -= 1
        if pending[key] <= 0:
            del pending[key]

    async def inbound() -> None:
        async with to_server:
            async for item in read:
                number = lines.numbers.popleft() if lines.numbers else lines.read
                if isinstance(item, Exception):
                    why = _refusal(number, lines, item)
                    streams.warn(f"mcp: {why}; answered with a parse error")
                    error = JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message=why))
                    await write.send(SessionMessage(error))
                    continue
                message = item.message
                if isinstance(message, JSONRPCRequest):
                    if message.method == "initialize":
                        initialized[0] = True
                    elif not initialized[0] and message.method != "ping":  # the SDK: "Invalid request parameters"
                        why = f"line {number}: {message.method[:80]!r} before initialize; send initialize first"
                        streams.warn(f"mcp: {why}")
                        error = ErrorData(code=INVALID_REQUEST, message=why)
                        await write.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=message.id, error=error)))
                        continue
                    pending[message.id] += 1
                elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
                    cancelled = (message.params or {}).get("requestId")
                    if isinstance(cancelled, (int, str)) and cancelled in pending:
                        answered(cancelled)
                await to_server.send(item)
            with anyio.move_on_after(SETTLE_SECONDS):
                while pending:
                    await anyio.sleep(0.01)
            left = sum(pending.values())
            if left:
                streams.warn(f"mcp: stdin closed; {left} request(s) still unanswered after {SETTLE_SECONDS} s")

    async def outbound() -> None:
        async with write, from_server:
            async for item in from_server:
                message = item.message
                key = getattr(message, "id", None)
                if key is not None and key in pending and not isinstance(message, JSONRPCRequest):
                    answered(key)
                await write.send(item)

    async with anyio.create_task_group() as group:
        group.start_soon(inbound)
        group.start_soon(outbound)
        await running.run(server_reads, server_writes, options)


def serve(data: str | None = None, cms: str | None = None, descriptors: str | None = None) -> None:
    """Serve the tools over stdio until the client closes stdin, answering every request read by then.
    The library and the CMS tables are opened once, here, before the first message is read."""
    require_sdk()
    import anyio
    from mcp.server.stdio import stdio_server

    caught: list[int] = []
    with Library(data, cms, descriptors) as library:
        running = server(library)
        lines = _Lines(sys.stdin.fileno())

        async def signals(scope: anyio.CancelScope, *, task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
            """SIGINT and SIGTERM stop the serving: raised from a handler into the event loop, cptref's
            own exception would be swallowed by the callback it lands in, the server going on."""
            import signal

            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as received:
                task_status.started()
                async for signum in received:
                    caught.append(signum)
                    lines.stopped = True
                    scope.cancel()
                    return

        async def run() -> None:
            async with anyio.create_task_group() as group:
                if sys.platform != "win32":  # no signal receiver on Windows' event loop
                    await group.start(signals, group.cancel_scope)
                stdin = anyio.wrap_file(cast("TextIO", lines))
                async with stdio_server(stdin=stdin) as (read, write):
                    try:
                        await _relay(running, read, write, lines, running.create_initialization_options())
                    finally:
                        lines.stopped = True
                group.cancel_scope.cancel()

        try:
            anyio.run(run)
        except BaseException as exc:
            if not _stdout_gone(exc):
                raise
            from cptref.output import streams

            streams.warn("mcp: the client closed stdout; stopped")  # what `| head` would do: no traceback
    if caught:
        from cptref.errors import Signalled

        raise Signalled(caught[0])  # one line and 128 + the signal's number, as every command


def _stdout_gone(exc: BaseException) -> bool:
    """Whether ``exc`` (or every exception of its group, as the SDK's task groups raise them) is the
    write to stdout failing because its reader is gone."""
    import anyio

    inner = getattr(exc, "exceptions", None)
    if inner:
        return all(_stdout_gone(each) for each in inner)
    return isinstance(exc, (BrokenPipeError, anyio.BrokenResourceError, anyio.ClosedResourceError))
