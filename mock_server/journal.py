"""The request journal: a bounded record of what clients sent and what they got back.

Recording keeps references only (no copying, no parsing); headers are
redacted and JSON bodies parsed when an entry is read.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.exchange import Call, Reply
from rivya_contract.mock_server.paths import PathPattern

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
"""Headers whose values the journal never shows."""

REDACTED = "[redacted]"

MAX_BODY_BYTES = 65_536
"""Most bytes of a request body an entry keeps; the journal's memory stays bounded."""

_UNPARSED: Any = object()

KEY_PATTERN = re.compile(r"rvya_sk_[!-~]+?(?=[\s\"',;&]|$)")
"""An API key written out in a body; the journal shows it as ``rvya_sk_[redacted]``."""


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """Return a body fit to show: API keys and ``secrets`` (the admin token) redacted."""
    if "rvya_sk_" in text:
        text = KEY_PATTERN.sub("rvya_sk_" + REDACTED, text)
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_not_json) if body else None
    except (ValueError, RecursionError):  # NaN, too deep: not JSON a client can read
        return None


def redact(name: str, value: str, secrets: Sequence[str] = ()) -> str:
    """Return a header value fit to show: credentials replaced by ``[redacted]``.

    An ``Authorization`` value keeps its scheme (``Bearer [redacted]``); any
    value holding one of ``secrets`` (the admin token) is redacted whole.
    """
    if name in SECRET_HEADERS:
        scheme, space, _ = value.strip().partition(" ")
        return f"{scheme} {REDACTED}" if space and scheme.isalpha() else REDACTED
    if any(secret and secret in value for secret in secrets):
        return REDACTED
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _redacted(value: Any, secrets: Sequence[str]) -> Any:
    """Return parsed JSON with keys redacted in every string."""
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, list):
        return [_redacted(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item, secrets) for key, item in value.items()}
    return value


class JournalEntry:
    """One finished request: what was sent (secrets redacted) and the answer's status and code."""

    __slots__ = (
        "_body",
        "_headers",
        "_json",
        "_rendered",
        "_secrets",
        "_shown",
        "account_id",
        "at",
        "body_truncated",
        "code",
        "method",
        "ms",
        "path",
        "query",
        "request_id",
        "response",
        "response_truncated",
        "status",
    )

    def __init__(self, at: float, call: Call, reply: Reply, secrets: Sequence[str] = ()) -> None:
        self.at = at
        """Mock time the answer was ready, in seconds since the epoch."""
        self.request_id = call.request_id
        self.method = call.method
        self.path = call.path
        self.query = call.query
        self.account_id = call.account_id
        """The account of the key that authenticated, or None."""
        self.status = reply.status
        self.code = reply.code
        """The error code answered, or None for a success."""
        self._headers = call.headers
        self.body_truncated = len(call.body) > MAX_BODY_BYTES
        """True when the body was longer than ``MAX_BODY_BYTES`` and only its start is kept."""
        self._body = call.body[:MAX_BODY_BYTES] if self.body_truncated else call.body
        self._secrets = secrets
        self._shown: dict[str, str] | None = None
        self._json: Any = _UNPARSED
        self._rendered: dict[str, Any] | None = None
        self.ms = call.seconds * 1000
        """Milliseconds the mock took to answer, added latency aside."""
        json_reply = reply.content_type.startswith("application/json")
        answer = reply.body if json_reply else b""
        self.response_truncated = len(answer) > MAX_BODY_BYTES
        """True when the answer was longer than ``MAX_BODY_BYTES`` and only its start is kept."""
        self.response = answer[:MAX_BODY_BYTES] if self.response_truncated else answer
        """The JSON answer as sent, at most ``MAX_BODY_BYTES``; empty for media and pages."""

    @property
    def body(self) -> bytes:
        """The JSON request body as received, at most ``MAX_BODY_BYTES`` (empty for uploads)."""
        return self._body

    @property
    def headers(self) -> dict[str, str]:
        """The request headers, lower-case names, credentials redacted."""
        if self._shown is None:
            self._shown = {
                name: redact(name, value, self._secrets) for name, value in self._headers.items()
            }
        return self._shown

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty, cut short or not JSON."""
        if self._json is _UNPARSED and self.body_truncated:
            self._json = None
        if self._json is _UNPARSED:
            try:
                self._json = (
                    json.loads(self._body, parse_constant=_not_json) if self._body else None
                )
            except (ValueError, RecursionError):  # NaN, too deep: not JSON a client can read
                self._json = None
        return self._json

    @property
    def idempotency_key(self) -> str | None:
        """The request's ``Idempotency-Key`` header, or None."""
        return self._headers.get("idempotency-key")

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the control API shows it; keys in bodies are redacted.

        An entry never changes, so it is rendered once (the dashboard reads the
        same entries every time it polls); each call returns a shallow copy.
        """
        if self._rendered is None:
            self._rendered = self._render()
        return dict(self._rendered)

    def _render(self) -> dict[str, Any]:
        body = self._body.decode("utf-8", "replace")
        shown_body = redact_text(body, self._secrets)
        raw_response = self.response.decode("utf-8", "replace")
        response = redact_text(raw_response, self._secrets)
        response_json = None if self.response_truncated else _parsed(self.response)
        return {
            "at": iso(self.at),
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": shown_body,
            "body_truncated": self.body_truncated,
            "json": self.json if shown_body == body else _redacted(self.json, self._secrets),
            "status": self.status,
            "code": self.code,
            "account_id": self.account_id,
            "ms": round(self.ms, 3),
            "response_body": response,
            "response_truncated": self.response_truncated,
            "response_json": response_json
            if response == raw_response
            else _redacted(response_json, self._secrets),
        }

    def __repr__(self) -> str:
        return f"<JournalEntry {self.method} {self.path} -> {self.status} {self.code or ''}>"


class Journal(Sequence[JournalEntry]):
    """The most recent requests, oldest first, at most ``size``; thread-safe.

    Appending is one atomic ``deque.append``; readers copy the deque.
    """

    def __init__(self, size: int, secrets: Sequence[str] = ()) -> None:
        self.size = size
        self.secrets = tuple(secrets)
        """Values redacted wherever they appear in a header (the admin token)."""
        self._entries: deque[JournalEntry] = deque(maxlen=size)

    def record(self, at: float, call: Call, reply: Reply) -> None:
        """Add a finished request; the oldest entry goes when the journal is full."""
        self._entries.append(JournalEntry(at, call, reply, self.secrets))

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def _snapshot(self) -> list[JournalEntry]:
        while True:  # appends take no lock; a copy that races one is simply taken again
            try:
                return list(self._entries)
            except RuntimeError:
                continue

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._snapshot())

    @overload
    def __getitem__(self, index: int) -> JournalEntry: ...

    @overload
    def __getitem__(self, index: slice) -> list[JournalEntry]: ...

    def __getitem__(self, index: int | slice) -> JournalEntry | list[JournalEntry]:
        return self._snapshot()[index]

    def filter(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        code: str | None = None,
        account_id: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Return the entries matching every given field, oldest first; ``limit`` keeps the last.

        ``path`` is a path pattern: exact, a route template or a ``prefix*``
        (see ``paths.PathPattern``); a path not starting with ``/`` matches nothing.
        """
        wanted: Mapping[str, Any] = {
            key: value
            for key, value in (
                ("method", method.upper() if method else None),
                ("status", status),
                ("code", code),
                ("account_id", account_id),
            )
            if value is not None
        }
        pattern = PathPattern.parse(path) if path and path.startswith("/") else None
        if path is not None and pattern is None:
            return []
        found = [
            entry
            for entry in self._snapshot()
            if all(getattr(entry, key) == value for key, value in wanted.items())
            and (pattern is None or pattern.matches(entry.path))
        ]
        return found if limit is None else found[-limit:] if limit > 0 else []
