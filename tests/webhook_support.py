"""Helpers of the webhook tests: API calls on an in-process mock, scripted finished tasks."""

from __future__ import annotations

import json
from typing import Any

from rivya_contract.mock_server import Mock
from rivya_contract.mock_server.exchange import Reply

MODEL = "grok-imagine"


def call(
    mock: Mock,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """Run one API request through the mock's pipeline, as the demo key unless ``key``."""
    sent = {"authorization": f"Bearer {key or mock.config.api_key}", **(headers or {})}
    data = b""
    if body is not None:
        sent["content-type"] = "application/json"
        data = json.dumps(body).encode()
    return mock.api.handle(method, path, headers=sent, body=data)


def ok(reply: Reply, status: int = 200) -> Any:
    """Return the reply's JSON, asserting its status."""
    assert reply.status == status, reply.body
    return json.loads(reply.body)


def create_endpoint(mock: Mock, url: str, **fields: Any) -> dict[str, Any]:
    """Register an endpoint through the API; return the answer (with its secret)."""
    created: dict[str, Any] = ok(
        call(mock, "POST", "/api/v1/webhooks", {"url": url, **fields}), 201
    )
    return created


def finish_task(
    mock: Mock, *, outcome: str = "succeeded", after: float = 0.0, **script: Any
) -> str:
    """Create a task scripted to reach ``outcome`` ``after`` seconds from now; return its id."""
    mock.control.script(outcome=outcome, queued=0, processing=after, **script)  # type: ignore[arg-type]
    task: dict[str, Any] = ok(
        call(mock, "POST", "/api/v1/generations", {"model": MODEL, "prompt": "x"}), 202
    )
    task_id: str = task["id"]
    return task_id


def attempts(mock: Mock, endpoint_id: str) -> list[dict[str, Any]]:
    """Return the endpoint's delivery attempts, oldest first."""
    listed: list[dict[str, Any]] = ok(
        call(mock, "GET", f"/api/v1/webhooks/{endpoint_id}/deliveries")
    )["data"]
    return list(reversed(listed))


def endpoint(mock: Mock, endpoint_id: str) -> dict[str, Any]:
    """Return the endpoint as GET shows it."""
    found: dict[str, Any] = ok(call(mock, "GET", f"/api/v1/webhooks/{endpoint_id}"))
    return found
