"""A webhook receiver for the Rivya API: it saves each finished image into a gallery.

``gallery_app(secret, clock)`` is a small, real Starlette receiver. It verifies every
delivery with ``verify_webhook`` (401 when it does not verify), and on
``generation.succeeded`` saves the task's primary URL; it answers 204.

``Gallery.idempotent`` switches the one thing that matters: an idempotent receiver
remembers the ``webhook-id`` of every event it has handled and ignores it the second time,
as Standard Webhooks asks. The naive receiver (``idempotent=False``) saves again whenever
the same event comes again: a duplicate, or a retry after its answer was lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from rivya_contract.plugin.webhooks import WebhookVerificationError, verify_webhook


@dataclass
class Gallery:
    """What the receiver stores: the saved images, and the events it has handled."""

    idempotent: bool = True
    saved: list[tuple[str, str]] = field(default_factory=list)
    """(task id, primary URL), in the order they were saved."""
    handled: set[str] = field(default_factory=set)
    """The webhook-ids already handled."""


def gallery_app(secret: str, clock: Callable[[], float], gallery: Gallery) -> Starlette:
    """Return the receiver's ASGI app, saving into ``gallery``."""

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = verify_webhook(request.headers, body, secret, now=clock())
        except WebhookVerificationError:
            return Response(status_code=401)
        webhook_id = request.headers["webhook-id"]
        if gallery.idempotent and webhook_id in gallery.handled:
            return Response(status_code=204)
        if event["type"] == "generation.succeeded":
            task = event["data"]
            gallery.saved.append((task["id"], task["result"]["primary_url"]))
        gallery.handled.add(webhook_id)
        return Response(status_code=204)

    return Starlette(routes=[Route("/webhook", receive, methods=["POST"])])
