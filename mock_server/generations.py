"""POST /api/v1/generations and GET /api/v1/generations/{taskId}: parse, call, render."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import orjson

from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.lifecycle import task_view

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend

REPLAY_HEADER = "Idempotent-Replayed"
"""Set to ``true`` on a create answered from an earlier request with the same Idempotency-Key."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


_FLOAT_INTS = float(2**63)
"""orjson reads an integer beyond 64 bits as a float; from this magnitude a float may be one."""


def _colons(value: Any) -> int | None:
    """Count the keys of every object in ``value`` and the colons of every string in it.

    None if ``value`` holds a float that may have been written as an integer.
    """
    if isinstance(value, str):
        return value.count(":")
    if isinstance(value, dict):
        count = len(value)
        for key, item in value.items():
            inner = _colons(item)
            if inner is None:
                return None
            count += inner + key.count(":")
        return count
    if isinstance(value, list):
        count = 0
        for item in value:
            inner = _colons(item)
            if inner is None:
                return None
            count += inner
        return count
    if isinstance(value, float) and not -_FLOAT_INTS < value < _FLOAT_INTS:
        return None
    return 0


def _fast_loads(body: bytes) -> Any:
    """Parse ``body`` with orjson when that gives what the strict reader below gives.

    orjson refuses everything the strict reader refuses but duplicate keys (it
    keeps the last) and reads big integers as floats. Every key of the text
    has a colon after it, outside strings, so the text holds at most as many
    keys as its colons minus those inside strings; the strings read hold those,
    plus any written as an escape. When the objects read hold that many keys,
    the text repeated none. Returns ``_SLOW`` for the strict reader otherwise.
    """
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return _SLOW
    found = _colons(value)
    if found is None:
        return _SLOW
    escaped = body.count(b"\\u003a") + body.count(b"\\u003A") if b"\\u" in body else 0
    return value if found == body.count(b":") + escaped else _SLOW


_SLOW = object()


def parse_json(call: Call) -> Any:
    """Return the request's JSON body, or raise validation_failed saying what is wrong."""
    media_type = call.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError("validation_failed", "Content-Type must be application/json")
    if not call.body.strip():
        raise ApiError("validation_failed", "the request body is empty")
    value = _fast_loads(call.body)
    return _strict_loads(call.body) if value is _SLOW else value


def _strict_loads(body: bytes) -> Any:
    """Parse ``body`` refusing duplicate keys and NaN; raise validation_failed saying why."""
    try:
        text = body.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise ApiError("validation_failed", "the request body is not valid UTF-8") from None
    except RecursionError:
        raise ApiError("validation_failed", "the request body is nested too deeply") from None
    except ValueError as error:
        raise ApiError("validation_failed", f"malformed JSON: {error}") from None


def create(call: Call, backend: Backend) -> Reply:
    """Create a task (or replay one for a repeated Idempotency-Key); answer it queued."""
    assert call.account_id is not None
    seen = backend.create_task(
        call.account_id,
        parse_json(call),
        idempotency_key=call.headers.get("idempotency-key"),
        plan=call.plan,
        webhook=call.webhook,
    )
    view = task_view(seen.task, seen.at, call.base_url, created=not seen.replayed)
    return Reply.json(call.ok, view, {REPLAY_HEADER: "true"} if seen.replayed else None)


def poll(call: Call, backend: Backend) -> Reply:
    """Answer a task of the caller's account as it stands now."""
    assert call.account_id is not None
    seen = backend.poll(call.account_id, call.path_params["taskId"])
    return Reply.json(call.ok, task_view(seen.task, seen.at, call.base_url))
