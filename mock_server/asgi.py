"""The Starlette front end: every route feeds its request into the ``Api`` pipeline."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from rivya_contract.mock_server.exchange import Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock


class DroppedConnection(Exception):
    """Raised to make the server close the connection without a complete answer."""


def _base_url(request: Request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc}"


def build_app(mock: Mock) -> Starlette:
    """Return a Starlette app that serves ``mock`` on every path."""
    api = mock.api

    async def endpoint(request: Request) -> Response:
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in request.scope["headers"]
        }
        started = api.begin(
            request.method,
            request.url.path,
            request.url.query,
            headers,
            _base_url(request),
        )
        if isinstance(started, Reply):
            reply = started
        else:
            async for chunk in request.stream():
                started.feed(chunk)
            reply = started.finish()
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            raise DroppedConnection(reply.headers.get("X-Request-Id", ""))
        return Response(reply.body, reply.status, reply.headers, media_type=reply.content_type)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [StarletteRoute("/{path:path}", endpoint, methods=methods)]
    return Starlette(routes=routes)
