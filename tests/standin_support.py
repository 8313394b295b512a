"""Stand-in targets: real HTTP servers that wrap the mock and change its answers as a live
API might, to see how the contract suite classifies each change.

``StandIn`` is an ASGI app around ``mock.app`` that reads each whole answer and
passes it through a rewrite; ``served_standin`` serves one on a free port.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.serving import ServerThread


@dataclass
class Answer:
    """One answer of the wrapped mock: request method and path, status, headers, body."""

    method: str
    path: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


Rewrite = Callable[[Answer], Answer]


class StandIn:
    """An ASGI app that answers as ``app`` does, after ``rewrite`` has changed the answer."""

    def __init__(self, app: ASGIApp, rewrite: Rewrite) -> None:
        self.app = app
        self.rewrite = rewrite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        answer = self.rewrite(
            Answer(
                scope["method"], scope["path"], start["status"], start["headers"], b"".join(chunks)
            )
        )
        headers = [(k, v) for k, v in answer.headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(answer.body)).encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError:
        return None


def _with(answer: Answer, status: int, payload: Any) -> Answer:
    body = json.dumps(payload).encode()
    return Answer(answer.method, answer.path, status, answer.headers, body)


ADDED_FIELD = "trace_region"
NEW_CODE = "resource_not_found"
NEW_MODEL = "standin-model-2"


def compatible_changes(answer: Answer) -> Answer:
    """Add a response field to every API object and a model to the list; answer a new code
    where ``not_found`` was due."""
    if not answer.path.startswith("/api/v1/") or answer.path.endswith("/openapi.json"):
        return answer
    payload = _json(answer)
    if not isinstance(payload, dict):
        return answer
    error = payload.get("error")
    if isinstance(error, dict):
        if error.get("code") == "not_found":
            return _with(answer, answer.status, {"error": {**error, "code": NEW_CODE}})
        return answer
    changed = {**payload, ADDED_FIELD: "eu-west"}
    if answer.path == "/api/v1/models" and payload.get("data"):
        changed["data"] = [*payload["data"], {**payload["data"][0], "id": NEW_MODEL}]
    return _with(answer, answer.status, changed)


def refused_creates(answer: Answer) -> Answer:
    """Answer ``400 validation_failed`` where a create succeeded (``202``)."""
    if answer.method != "POST" or answer.path != "/api/v1/generations" or answer.status != 202:
        return answer
    request_id = dict(answer.headers).get(b"x-request-id", b"req_standin").decode()
    envelope = {
        "error": {"code": "validation_failed", "message": "refused", "requestId": request_id}
    }
    return _with(answer, 400, envelope)


@contextmanager
def served_standin(rewrite: Rewrite, config: MockConfig | None = None) -> Iterator[ServerThread]:
    """Serve a stand-in around a fresh mock (tasks finish at once) on a free port."""
    mock = Mock(config or MockConfig(queued_seconds=0, processing_seconds=0))
    with ServerThread(mock, app=StandIn(mock.app, rewrite)) as server:
        yield server
