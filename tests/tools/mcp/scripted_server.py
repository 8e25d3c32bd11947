"""A tiny stdio MCP server for protocol corners (stdlib only): tools/list in pages of one,
a protocol version chosen by $MCP_VERSION, a tool that reports isError, and one that pings
the client before answering. The real servers (mcp-server-time, server-everything) are the
reference; this one only shows what they do not."""

from __future__ import annotations

import json
import os
import sys

TOOLS = [
    {
        "name": "add",
        "description": "Add two numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
    },
    {"name": "fail", "description": "Always fails.", "inputSchema": {"type": "object"}},
    {
        "name": "ping.me",
        "description": "Pings the client first.",
        "inputSchema": {"type": "object", "properties": {"note": {"type": "string", "default": "x"}}},
    },
]


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def read() -> dict | None:
    line = sys.stdin.readline()
    return json.loads(line) if line else None


def main() -> None:
    calls = 0
    while (message := read()) is not None:
        method, mid = message.get("method"), message.get("id")
        if method == "initialize":
            version = os.environ.get("MCP_VERSION", message["params"]["protocolVersion"])
            send(
                {
                    "jsonrpc": "2.0",
                    "id": mid,
                    "result": {
                        "protocolVersion": version,
                        "capabilities": {"tools": {}},
                        "serverInfo": {"name": "scripted", "version": "1"},
                    },
                }
            )
        elif method == "tools/list":
            index = int((message.get("params") or {}).get("cursor") or 0)
            page = {"tools": [TOOLS[index]]}
            if index + 1 < len(TOOLS):
                page["nextCursor"] = str(index + 1)
            send({"jsonrpc": "2.0", "id": mid, "result": page})
        elif method == "tools/call":
            calls += 1
            name, args = message["params"]["name"], message["params"].get("arguments") or {}
            if name == "add":
                result = {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}
            elif name == "fail":
                result = {"content": [{"type": "text", "text": "the disk is on fire"}], "isError": True}
            else:
                send({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"})
                pong = read()
                result = {
                    "content": [{"type": "text", "text": json.dumps({"pong": pong, "args": args, "calls": calls})}]
                }
            send({"jsonrpc": "2.0", "id": mid, "result": result})
        elif mid is not None:
            send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": f"no {method}"}})


if __name__ == "__main__":
    main()
