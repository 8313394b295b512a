"""``RecordingTransport``: an httpx transport that records every exchange it carries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from rivya_contract.plugin.budget import WrappingTransport

if TYPE_CHECKING:
    from rivya_contract.mock_server.recording import Recorder
    from rivya_contract.plugin.targets import Transport


class RecordingTransport(WrappingTransport):
    """Sends through ``inner`` and hands every whole exchange to ``recorder``."""

    def __init__(self, inner: Transport, recorder: Recorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def _record(self, request: httpx.Request, response: httpx.Response, at: float) -> None:
        self.recorder.record(
            at=at,
            seconds=self.recorder.elapsed() - at,
            method=request.method,
            path=request.url.path,
            query=request.url.query.decode(),
            request_headers=dict(request.headers),
            request_body=request.content,
            status=response.status_code,
            response_headers=dict(response.headers),
            response_body=response.content,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and record the exchange."""
        if not isinstance(self.inner, httpx.BaseTransport):
            raise TypeError("the inner transport is async only")
        at = self.recorder.elapsed()
        request.read()
        response = self.inner.handle_request(request)
        response.read()
        self._record(request, response, at)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and record the exchange."""
        if not isinstance(self.inner, httpx.AsyncBaseTransport):
            raise TypeError("the inner transport is sync only")
        at = self.recorder.elapsed()
        await request.aread()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self._record(request, response, at)
        return response
