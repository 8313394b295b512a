"""The shared ``Store`` on Redis: one state for many workers and many servers.

Every step is one Lua script (``lua/<step>.lua`` after ``lua/prelude.lua``), so it is
atomic in Redis and costs one round trip. All keys live under one namespace prefix,
so several mocks can share a Redis; a reset deletes only its own namespace. Any
Redis 7 or Valkey server will do (a single server: the scripts name keys they build).
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import redis
from redis.commands.core import Script

from rivya_contract.mock_server.records import (
    Account,
    ApiKey,
    IdempotencyRecord,
    StoredFile,
    Task,
)
from rivya_contract.mock_server.store import Head, Opened

if TYPE_CHECKING:
    from rivya_contract.mock_server.redis_shared import SharedClock

UNAVAILABLE: tuple[type[Exception], ...] = (redis.ConnectionError, redis.TimeoutError)
"""The errors that mean Redis cannot be reached (the request gets a 503, nothing half-done)."""

_WALLET = ("balance", "reserved", "spent", "granted", "refunded")


def num(value: float) -> str:
    """Return a float as text that reads back exactly, in Python and in Lua (inf too)."""
    return "1e999" if math.isinf(value) else repr(float(value))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _fields(raw: Any) -> dict[str, bytes]:
    """Return a hash as Redis answered it, with text field names."""
    return {_text(name): value for name, value in raw.items()}


def _names(raw: Any) -> list[str]:
    """Return the members of a range as text."""
    return [_text(each) for each in raw]


def _pairs(flat: list[Any]) -> dict[str, bytes]:
    return {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def _flat(fields: dict[str, str | bytes | int]) -> list[str | bytes | int]:
    out: list[str | bytes | int] = []
    for name, value in fields.items():
        out += [name, value]
    return out


@cache
def _source(name: str) -> str:
    folder = resources.files("rivya_contract.mock_server") / "lua"
    prelude = (folder / "prelude.lua").read_text()
    return prelude + "\n" + (folder / f"{name}.lua").read_text()


def connect(url: str) -> redis.Redis:
    """Return a client for the Redis at ``url`` that fails fast when Redis is away."""
    return redis.Redis.from_url(
        url, socket_timeout=2.0, socket_connect_timeout=1.0, health_check_interval=0
    )


class Scripts:
    """The Lua steps, registered once per client (reloaded by redis-py after a restart)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._scripts: dict[str, Script] = {}

    def __call__(self, name: str, *args: str | bytes | int | float) -> Any:
        """Run step ``name`` with the namespace prefix and ``args``; one round trip."""
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self._client.register_script(_source(name))
        return script(args=[self._prefix, *args])


def task_fields(task: Task) -> dict[str, str | bytes | int]:
    """Return a task as the hash fields the scripts read and write."""
    return {
        "id": task.id,
        "account_id": task.account_id,
        "model": task.model,
        "params": json.dumps(task.params, separators=(",", ":")),
        "reserved_credits": task.reserved_credits,
        "created_at": num(task.created_at),
        "processing_at": num(task.processing_at),
        "finishes_at": num(task.finishes_at),
        "outcome": task.outcome,
        "error_code": task.error_code,
        "error_message": task.error_message,
        "final_credits": task.final_credits,
        "settled": int(task.settled),
        "result_paths": json.dumps(task.result_paths),
        "prompt_chars": task.prompt_chars,
        "charge": task.charge,
        "queued_polls": "" if task.queued_polls is None else task.queued_polls,
        "processing_polls": "" if task.processing_polls is None else task.processing_polls,
        "polls": task.polls,
    }


def _optional_int(value: bytes) -> int | None:
    return None if value == b"" else int(value)


def task_from(fields: dict[str, bytes]) -> Task:
    """Return the task the hash fields hold."""
    return Task(
        id=_text(fields["id"]),
        account_id=_text(fields["account_id"]),
        model=_text(fields["model"]),
        params=json.loads(fields["params"]),
        reserved_credits=int(fields["reserved_credits"]),
        created_at=float(fields["created_at"]),
        processing_at=float(fields["processing_at"]),
        finishes_at=float(fields["finishes_at"]),
        outcome="succeeded" if fields["outcome"] == b"succeeded" else "failed",
        error_code=_text(fields["error_code"]),
        error_message=_text(fields["error_message"]),
        final_credits=int(fields["final_credits"]),
        settled=fields["settled"] == b"1",
        result_paths=json.loads(fields["result_paths"]),
        prompt_chars=int(fields["prompt_chars"]),
        charge=int(fields["charge"]),
        queued_polls=_optional_int(fields["queued_polls"]),
        processing_polls=_optional_int(fields["processing_polls"]),
        polls=int(fields["polls"]),
    )


def _account(account_id: str, fields: dict[str, bytes]) -> Account:
    values = {name: int(fields.get(name, b"0")) for name in _WALLET}
    return Account(account_id, **values)


def _key_json(key: ApiKey) -> str:
    return json.dumps(
        {
            "account_id": key.account_id,
            "scopes": sorted(key.scopes),
            "revoked": key.revoked,
            "expires_at": key.expires_at,
        }
    )


def _key_from(secret: str, raw: bytes) -> ApiKey:
    data = json.loads(raw)
    return ApiKey(
        secret, data["account_id"], frozenset(data["scopes"]), data["revoked"], data["expires_at"]
    )


def _record_from(fields: dict[str, bytes]) -> IdempotencyRecord:
    return IdempotencyRecord(
        _text(fields["account_id"]),
        _text(fields["key"]),
        _text(fields["fingerprint"]),
        _text(fields["task_id"]),
        float(fields["created_at"]),
    )


class RedisStore:
    """The ``Store`` on a Redis server, under the key prefix ``<namespace>:``."""

    shared = True
    unavailable = UNAVAILABLE

    def __init__(self, client: redis.Redis, namespace: str) -> None:
        self.client = client
        self.prefix = namespace + ":"
        self.run = Scripts(client, self.prefix)
        """Runs one Lua step: ``run(name, *args)``."""
        self.clock: SharedClock | None = None
        """The clock kept in this namespace (it registers itself), read with every head."""
        self._head_keys = [self.prefix + name for name in ("r:v", "clock:now", "clock:offset")]

    def _key(self, suffix: str) -> str:
        return self.prefix + suffix

    def reset(self) -> None:
        """Delete every key of the namespace but the clock and the rules' version."""
        self.run("reset")

    def initialize(self, account: Account, key: ApiKey) -> bool:
        """Store the default account and key once per namespace, in one script."""
        wallet = {name: getattr(account, name) for name in _WALLET}
        made = self.run("initialize", account.id, key.secret, _key_json(key), *_flat(wallet))
        return bool(made)

    def head(self, secret: str | None) -> Head:
        """Read the rules' version, the shared time and the key in one round trip."""
        names = self._head_keys if secret is None else [*self._head_keys, self._key("k:" + secret)]
        values: Any = self.client.mget(names)
        rules = int(values[0] or 0)
        now = None if self.clock is None else self.clock.reading(values[1], values[2])
        key = None if secret is None or values[3] is None else _key_from(secret, values[3])
        return Head(key, rules, now)

    def add_account(self, account: Account) -> None:
        """Store a new account; ValueError if it exists."""
        wallet = {name: getattr(account, name) for name in _WALLET}
        try:
            self.run("add_account", account.id, *_flat(wallet))
        except redis.ResponseError as error:
            raise ValueError(f"account {account.id} exists") from error

    def account(self, account_id: str) -> Account | None:
        """Return an account, or None."""
        fields = _fields(self.client.hgetall(self._key("a:" + account_id)))
        return _account(account_id, fields) if fields else None

    def accounts(self) -> list[Account]:
        """Return every account, oldest first."""
        ids = _names(self.client.zrange(self._key("accounts"), 0, -1))
        pipe = self.client.pipeline(transaction=False)
        for account_id in ids:
            pipe.hgetall(self._key("a:" + account_id))
        found = pipe.execute()
        return [
            _account(account_id, _fields(fields))
            for account_id, fields in zip(ids, found, strict=True)
            if fields
        ]

    def grant(self, account_id: str, credits: int) -> Account:
        """Add ``credits`` to the balance and the grant; ValueError below zero."""
        try:
            flat = self.run("grant", account_id, credits)
        except redis.ResponseError as error:
            if "no such account" in str(error):
                raise KeyError(account_id) from error
            raise ValueError("the balance cannot go below zero") from error
        return _account(account_id, _pairs(flat))

    def add_key(self, key: ApiKey) -> None:
        """Store a key, replacing one with the same secret."""
        self.run("add_key", key.secret, _key_json(key))

    def key(self, secret: str) -> ApiKey | None:
        """Return the key with this secret, or None."""
        raw: Any = self.client.get(self._key("k:" + secret))
        return None if raw is None else _key_from(secret, raw)

    def keys(self) -> list[ApiKey]:
        """Return every key, oldest first."""
        secrets = _names(self.client.zrange(self._key("keys"), 0, -1))
        if not secrets:
            return []
        found: Any = self.client.mget([self._key("k:" + secret) for secret in secrets])
        return [
            _key_from(secret, raw)
            for secret, raw in zip(secrets, found, strict=True)
            if raw is not None
        ]

    def count_request(self, bucket: str, now: float, requests: int, seconds: float) -> float | None:
        """Count a request in the bucket's window; when it is full return its start."""
        start = self.run("count_request", bucket, num(now), requests, num(seconds))
        return None if start is None else float(start)

    def open_task(
        self,
        task: Task,
        claim: IdempotencyRecord | None,
        *,
        idempotency_ttl: float,
        idempotency_limit: int,
        refund: bool,
    ) -> Opened:
        """Settle, claim, reserve and store in one script: all or nothing."""
        now = task.created_at
        fields = _flat(task_fields(task))
        args: list[str | bytes | int] = [
            task.account_id,
            num(now),
            int(refund),
            "" if claim is None else f"{claim.account_id}:{claim.key}",
            num(now - idempotency_ttl),
            idempotency_limit,
            task.id,
            task.reserved_credits,
            num(task.finishes_at) if task.finishes else "",
            len(fields),
            *fields,
        ]
        if claim is not None:
            record = _flat(
                {
                    "account_id": claim.account_id,
                    "key": claim.key,
                    "fingerprint": claim.fingerprint,
                    "task_id": claim.task_id,
                    "created_at": num(claim.created_at),
                }
            )
            args += [len(record), *record]
        answer = self.run("open_task", *args)
        what = _text(answer[0])
        if what == "earlier":
            return Opened(earlier=_record_from(_pairs(answer[1])))
        if what == "short":
            return Opened(short=int(answer[1]))
        return Opened(task=task)

    def poll(
        self, account_id: str, task_id: str, now: float, *, task_ttl: float, refund: bool
    ) -> Task | None:
        """Count a poll and settle in one script; return the task after, or None."""
        flat = self.run("poll", account_id, task_id, num(now), num(now - task_ttl), int(refund))
        return None if not flat else task_from(_pairs(flat))

    def settle(self, account_id: str, now: float, *, refund: bool) -> Account | None:
        """Settle the account's finished tasks in one script; return the account after."""
        flat = self.run("settle", account_id, num(now), int(refund))
        return None if not flat else _account(account_id, _pairs(flat))

    def task(self, task_id: str) -> Task | None:
        """Return a task, or None."""
        fields = _fields(self.client.hgetall(self._key("t:" + task_id)))
        return task_from(fields) if fields else None

    def tasks(self) -> list[Task]:
        """Return every task kept, oldest first."""
        ids = _names(self.client.zrange(self._key("tasks"), 0, -1))
        pipe = self.client.pipeline(transaction=False)
        for task_id in ids:
            pipe.hgetall(self._key("t:" + task_id))
        return [task_from(_fields(fields)) for fields in pipe.execute() if fields]

    def forget_tasks(self, now: float, ttl: float, limit: int) -> int:
        """Drop settled tasks past retention in one script; return how many."""
        return int(self.run("forget_tasks", num(now - ttl), limit))

    def add_file(self, stored: StoredFile, *, ttl: float, max_bytes: int) -> None:
        """Store a file and apply retention in one script."""
        fields: dict[str, str | bytes | int] = {
            "id": stored.id,
            "account_id": stored.account_id,
            "kind": stored.kind,
            "name": stored.name,
            "mime_type": stored.mime_type,
            "size_bytes": stored.size_bytes,
            "created_at": num(stored.created_at),
            "data": stored.data,
            "duration_token": stored.duration_token or "",
            "token": stored.token,
        }
        cutoff = num(stored.created_at - ttl)
        self.run("add_file", stored.id, stored.size_bytes, cutoff, max_bytes, *_flat(fields))

    def file(self, file_id: str) -> StoredFile | None:
        """Return a file, or None."""
        fields = _fields(self.client.hgetall(self._key("f:" + file_id)))
        if not fields:
            return None
        return StoredFile(
            id=_text(fields["id"]),
            account_id=_text(fields["account_id"]),
            kind=_text(fields["kind"]),
            name=_text(fields["name"]),
            mime_type=_text(fields["mime_type"]),
            size_bytes=int(fields["size_bytes"]),
            created_at=float(fields["created_at"]),
            data=fields["data"],
            duration_token=_text(fields["duration_token"]) or None,
            token=_text(fields["token"]),
        )
