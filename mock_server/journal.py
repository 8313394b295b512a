"""The request journal: a bounded record of what clients sent and what they got back.

Recording keeps references only (no copying, no parsing); keys and the admin
token are redacted (``redaction.py``) and JSON bodies parsed when an entry is read.
The journal is bounded by entries and by bytes.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.exchange import Call, Reply
from rivya_contract.mock_server.paths import PathPattern
from rivya_contract.mock_server.redaction import REDACTED, Redactor, redact, redact_text

__all__ = ["REDACTED", "Journal", "JournalEntry", "redact", "redact_text"]

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Most bytes the journal's entries hold on to by default (``journal_max_bytes``)."""

MAX_BODY_BYTES = 65_536
"""Most bytes of a request body an entry keeps; the journal's memory stays bounded."""

_UNPARSED: Any = object()


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_not_json) if body else None
    except (ValueError, RecursionError):  # NaN, too deep: not JSON a client can read
        return None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _redacted(value: Any, redactor: Redactor, values: Sequence[str]) -> Any:
    """Return parsed JSON with keys redacted in every string, names included."""
    if isinstance(value, str):
        return redactor.text(value, values)
    if isinstance(value, list):
        return [_redacted(item, redactor, values) for item in value]
    if isinstance(value, dict):
        return {
            redactor.text(key, values): _redacted(item, redactor, values)
            for key, item in value.items()
        }
    return value


def _size(call: Call, body: bytes, response: bytes) -> int:
    """Return about how many bytes an entry holds on to: its head, body and answer."""
    headers = call.headers
    head = sum(map(len, headers)) + sum(map(len, headers.values()))
    return 256 + len(call.path) + len(call.query) + head + len(body) + len(response)


class JournalEntry:
    """One finished request: what was sent (secrets redacted) and the answer's status and code."""

    __slots__ = (
        "_body",
        "_headers",
        "_json",
        "_redactor",
        "_rendered",
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
        "size",
        "status",
    )

    def __init__(
        self, at: float, call: Call, reply: Reply, redactor: Redactor | None = None
    ) -> None:
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
        self._redactor = redactor or Redactor()
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
        self.size = _size(call, self._body, self.response)
        """About how many bytes the entry holds on to (the journal's byte budget counts it)."""

    @property
    def body(self) -> bytes:
        """The JSON request body as received, at most ``MAX_BODY_BYTES`` (empty for uploads)."""
        return self._body

    @property
    def headers(self) -> dict[str, str]:
        """The request headers, lower-case names, credentials redacted."""
        if self._shown is None:
            values = self._redactor.values()
            self._shown = {
                name: self._redactor.header(name, value, values)
                for name, value in self._headers.items()
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
        redactor = self._redactor
        values = redactor.values()
        body = self._body.decode("utf-8", "replace")
        shown_body = redactor.text(body, values)
        shown_json = _redacted(self.json, redactor, values)
        if shown_json != self.json and shown_body == body:  # a key hidden by JSON escapes
            shown_body = json.dumps(shown_json)
        raw_response = self.response.decode("utf-8", "replace")
        response = redactor.text(raw_response, values)
        response_json = None if self.response_truncated else _parsed(self.response)
        return {
            "at": iso(self.at),
            "request_id": self.request_id,
            "method": self.method,
            "path": redactor.url_part(self.path, values),
            "query": redactor.url_part(self.query, values),
            "headers": self.headers,
            "body": shown_body,
            "body_truncated": self.body_truncated,
            "json": shown_json,
            "status": self.status,
            "code": self.code,
            "account_id": self.account_id,
            "ms": round(self.ms, 3),
            "response_body": response,
            "response_truncated": self.response_truncated,
            "response_json": response_json
            if response == raw_response
            else _redacted(response_json, redactor, values),
        }

    def __repr__(self) -> str:
        return f"<JournalEntry {self.method} {self.path} -> {self.status} {self.code or ''}>"


class Journal(Sequence[JournalEntry]):
    """The most recent requests, oldest first, at most ``size`` and ``max_bytes``; thread-safe.

    Recording takes a short lock; readers copy the deque.
    """

    def __init__(
        self,
        size: int,
        secrets: Sequence[str] = (),
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        known_keys: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.size = size
        self.max_bytes = max_bytes
        """Most bytes the entries hold on to in all (``JournalEntry.size``); the oldest go first."""
        self.redactor = Redactor(secrets, known_keys)
        """Redacts the admin token and every known key wherever an entry shows them."""
        self._entries: deque[JournalEntry] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values redacted wherever they appear (the admin token)."""
        return self.redactor.secrets

    @property
    def bytes(self) -> int:
        """About how many bytes the entries hold on to, at most ``max_bytes``."""
        return self._bytes

    def record(self, at: float, call: Call, reply: Reply) -> None:
        """Add a finished request; the oldest entries go past ``size`` entries or ``max_bytes``."""
        entry = JournalEntry(at, call, reply, self.redactor)
        with self._lock:
            entries = self._entries
            entries.append(entry)
            self._bytes += entry.size
            while len(entries) > 1 and (len(entries) > self.size or self._bytes > self.max_bytes):
                self._bytes -= entries.popleft().size

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

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
