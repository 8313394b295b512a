"""The Starlette front end: every route feeds its request into the ``Api`` pipeline."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from rivya_contract.mock_server.exchange import ApiError, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.api import Pending
    from rivya_contract.mock_server.mock import Mock


class DroppedConnection(Exception):
    """Raised to make the server close the connection without a complete answer."""


def _base_url(request: Request) -> str:
    url = request.url
    return f"{url.scheme}://{url.netloc}"


async def _read_body(request: Request, pending: Pending, timeout: float) -> ApiError | None:
    """Feed the request body to ``pending``; return the error if it stalls or is cut short."""
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        async with asyncio.timeout_at(deadline) as limit:
            async for chunk in request.stream():
                pending.feed(chunk)
                limit.reschedule(asyncio.get_running_loop().time() + timeout)
    except TimeoutError:
        return ApiError(
            "validation_failed",
            f"the request body stopped arriving for {timeout:g} s before its declared end",
            headers={"Connection": "close"},
        )
    except ClientDisconnect:
        return ApiError("validation_failed", "the connection closed before the body was complete")
    return None


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
            problem = await _read_body(request, started, mock.config.body_timeout)
            if problem is None:
                reply = started.finish()
            else:
                reply = api.done(started.call, Reply.error(problem, started.call.request_id))
        if reply.delay > 0:
            await asyncio.sleep(reply.delay)
        if reply.drop:
            raise DroppedConnection(reply.headers.get("X-Request-Id", ""))
        return Response(reply.body, reply.status, reply.headers, media_type=reply.content_type)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [StarletteRoute("/{path:path}", endpoint, methods=methods)]
    return Starlette(routes=routes)
