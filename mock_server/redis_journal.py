"""The journal of every process on a Redis store: one list, bounded in entries and bytes.

Each entry is kept as JSON with its credential headers, the admin token and every key
of the usual shape already redacted from its headers (a lookup-free pass); the rest is
redacted when read, as in process. Appending and
trimming are one script; reading turns each kept entry back into a ``JournalEntry``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rivya_contract.mock_server.exchange import Call, Reply
from rivya_contract.mock_server.journal import DEFAULT_MAX_BYTES, Journal, JournalEntry
from rivya_contract.mock_server.redaction import Redactor
from rivya_contract.mock_server.redis_store import RedisStore

Raw = bytes
"""An entry as Redis keeps it (the class's ``bytes`` property hides the builtin there)."""


def _encoded(entry: JournalEntry, headers: dict[str, str]) -> str:
    return json.dumps(
        {
            "at": entry.at,
            "request_id": entry.request_id,
            "method": entry.method,
            "path": entry.path,
            "query": entry.query,
            "account_id": entry.account_id,
            "status": entry.status,
            "code": entry.code,
            "headers": headers,
            "body": entry.body.decode("latin-1"),
            "body_truncated": entry.body_truncated,
            "ms": entry.ms,
            "response": entry.response.decode("latin-1"),
            "response_truncated": entry.response_truncated,
        },
        separators=(",", ":"),
    )


class SharedJournal(Journal):
    """The ``Journal`` every process on one namespace writes and reads."""

    def __init__(
        self,
        store: RedisStore,
        size: int,
        secrets: Sequence[str] = (),
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        known_keys: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        super().__init__(size, secrets, max_bytes=max_bytes, known_keys=known_keys)
        self._store = store
        self._key = store.prefix + "journal"
        self._read: dict[Raw, JournalEntry] = {}
        at_rest = Redactor(self.redactor.secrets)  # no known keys: no lookup, no round trip
        self._at_rest = (at_rest, at_rest.values())
        """What recording redacts from the headers, and the values it looks for."""

    @property
    def bytes(self) -> int:
        """How many bytes the kept entries take in Redis, at most ``max_bytes``."""
        return int(self._store.client.get(self._key + ":bytes") or 0)

    def record(self, at: float, call: Call, reply: Reply) -> None:
        """Append a finished request; the oldest go past ``size`` entries or ``max_bytes``."""
        entry = JournalEntry(at, call, reply, self.redactor)
        redactor, values = self._at_rest
        headers = {
            name: redactor.header(name, value, values) for name, value in call.headers.items()
        }
        self._store.run("journal_add", _encoded(entry, headers), self.size, self.max_bytes)

    def clear(self) -> None:
        """Forget every entry of every process."""
        self._store.client.delete(self._key, self._key + ":bytes")
        self._read.clear()

    def _entry(self, raw: Raw) -> JournalEntry:
        data = json.loads(raw)
        call = Call(
            data["method"], data["path"], data["query"], data["headers"], "", data["request_id"]
        )
        call.body = data["body"].encode("latin-1")
        call.account_id = data["account_id"]
        call.seconds = data["ms"] / 1000
        reply = Reply(data["status"], data["response"].encode("latin-1"), code=data["code"])
        entry = JournalEntry(data["at"], call, reply, self.redactor)
        entry.body_truncated = data["body_truncated"]
        entry.response_truncated = data["response_truncated"]
        return entry

    def _snapshot(self) -> list[JournalEntry]:
        raws: Any = self._store.client.lrange(self._key, 0, -1)
        known = self._read
        self._read = {raw: known.get(raw) or self._entry(raw) for raw in raws}
        return list(self._read.values())

    def __len__(self) -> int:
        return int(self._store.client.llen(self._key))
