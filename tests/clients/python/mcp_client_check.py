"""Drive the MCP endpoint of mcp-markdown-manager with the official Python SDK client.

The node test python-sdk.test.mjs starts a server, then runs this script once per transport and
negotiation mode. The script connects with the bearer token from MDM_ACCESS_TOKEN, lists and
calls tools, lists resources and templates, and reads one article resource. It prints one JSON
object with what it saw on stdout and exits with 0. Any failure raises, so the exit code is
non-zero and the traceback goes to stderr.

    MDM_ACCESS_TOKEN=sk-md-... python mcp_client_check.py --transport http \
        --url http://127.0.0.1:5000/mcp --mode auto --slug some-article
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

import httpx2
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

# The SDK's own defaults for MCP clients: a long read timeout, because a response may be a
# server-sent event stream that stays open.
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["http", "sse"], required=True,
                        help="http: Streamable HTTP at --url, sse: the 2024-11-05 HTTP+SSE transport at --url")
    parser.add_argument("--url", required=True, help="the /mcp endpoint (http) or the /sse endpoint (sse)")
    parser.add_argument("--mode", default="auto",
                        help="Client mode: legacy, auto or a modern protocol version such as 2026-07-28")
    parser.add_argument("--slug", required=True, help="slug of an existing article to read as article://<slug>")
    return parser.parse_args()


def dump(model: Any) -> Any:
    """Return a pydantic model as JSON-compatible data, with the wire (camelCase) field names."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


async def run(arguments: argparse.Namespace, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if arguments.transport == "http":
        http_client = httpx2.AsyncClient(headers=headers, timeout=HTTP_TIMEOUT)
        transport = streamable_http_client(arguments.url, http_client=http_client)
    else:
        http_client = None
        transport = sse_client(arguments.url, headers=headers)

    try:
        async with Client(transport, mode=arguments.mode) as client:
            tools = await client.list_tools()
            folders = await client.call_tool("listFolders", {})
            article = await client.call_tool("readArticle", {"filename": arguments.slug})
            missing = await client.call_tool("readArticle", {"filename": "no-such-article"})
            resources = await client.list_resources()
            templates = await client.list_resource_templates()
            resource = await client.read_resource(f"article://{arguments.slug}")
            return {
                "protocolVersion": client.protocol_version,
                "serverName": client.server_info.name if client.server_info else None,
                "tools": [tool.name for tool in tools.tools],
                "listFolders": dump(folders),
                "readArticle": dump(article),
                "readMissingArticle": dump(missing),
                "resources": [str(item.uri) for item in resources.resources],
                "resourceTemplates": [item.uri_template for item in templates.resource_templates],
                "resource": dump(resource),
            }
    finally:
        if http_client is not None:
            await http_client.aclose()


def main() -> int:
    arguments = parse_arguments()
    token = os.environ.get("MDM_ACCESS_TOKEN")
    if not token:
        print("MDM_ACCESS_TOKEN is not set: export an sk-md- access token", file=sys.stderr)
        return 2
    report = asyncio.run(run(arguments, token))
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
