"""One request and its reply, independent of any transport, and the API's error."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from rivya_contract.schemas import contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.lifecycle import Plan
    from rivya_contract.mock_server.specs import Effects
    from rivya_contract.mock_server.store import Head

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiError(Exception):
    """An error the API answers with its envelope: a documented code, a message, extra headers."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else contract().status_of(code)
        self.headers = dict(headers or {})


@dataclass(slots=True)
class Call:
    """An incoming request, after routing."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    """Header names in lower case."""
    base_url: str
    """Scheme and host the client used, e.g. ``http://127.0.0.1:8000``; handed-out URLs use it."""
    request_id: str
    path_params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    upload: Any = None
    """The parsed multipart upload, for POST /files."""
    account_id: str | None = None
    key: str | None = None
    ok: int = 200
    """The operation's success status (as configured)."""
    effects: Effects | None = None
    """What scenario control does to this request's answer (faults, the X-Rivya-Mock header)."""
    plan: Plan | None = None
    """The task plan the X-Rivya-Mock header gives a create."""
    started: float = 0.0
    """``time.perf_counter()`` when the request's head arrived."""
    seconds: float = 0.0
    """Seconds the mock took to answer (added latency aside), set when the answer is ready."""
    webhook: dict[str, Any] | None = None
    """The X-Rivya-Mock header's webhook directives: delivery-fault fields, and ``resend``."""
    head: Head | None = None
    """What the store answered before routing: the key, the rules' version, shared time."""
    pinned: Any = None
    """The token that unpins the request's time from a shared clock when it is done."""


@dataclass(slots=True)
class Reply:
    """What the API answers: status, headers, body; or a transport fault."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    """Seconds the transport waits before answering."""
    drop: bool = False
    """When true the transport drops the connection instead of answering."""
    code: str | None = None
    """The error code, for error replies."""
    after: Callable[[], object] | None = None
    """Work the request still does once its answer is built and the pipeline's lock is
    released, before the answer goes out (moving the clock, which may deliver webhooks)."""

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """Return a JSON reply, compact, non-ASCII characters as UTF-8."""
        try:
            return cls(status, orjson.dumps(payload), dict(headers or {}))
        except TypeError:  # an unpaired surrogate, a key that is not a string, a huge integer
            pass
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        try:
            body = text.encode()
        except UnicodeEncodeError:  # a client's unpaired \ud800 escape, echoed in a message
            body = _LONE_SURROGATE.sub("\ufffd", text).encode()
        return cls(status, body, dict(headers or {}))

    @classmethod
    def error(cls, error: ApiError, request_id: str) -> Reply:
        """Return the error envelope for ``error``."""
        payload = {"error": {"code": error.code, "message": error.message, "requestId": request_id}}
        reply = cls.json(error.status, payload, error.headers)
        reply.code = error.code
        return reply
