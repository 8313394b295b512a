"""POST /api/v1/generations and GET /api/v1/generations/{taskId}."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server import lifecycle
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.records import IdempotencyRecord
from rivya_contract.mock_server.references import check_references
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

MAX_SHOWN_ERRORS = 5
MAX_IDEMPOTENCY_KEY = 255
"""The longest Idempotency-Key accepted, in characters, as the OpenAPI document declares."""
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


def parse_json(call: Call) -> Any:
    """Return the request's JSON body, or raise validation_failed saying what is wrong."""
    media_type = call.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise ApiError("validation_failed", "Content-Type must be application/json")
    if not call.body.strip():
        raise ApiError("validation_failed", "the request body is empty")
    try:
        text = call.body.decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except UnicodeDecodeError:
        raise ApiError("validation_failed", "the request body is not valid UTF-8") from None
    except RecursionError:
        raise ApiError("validation_failed", "the request body is nested too deeply") from None
    except ValueError as error:
        raise ApiError("validation_failed", f"malformed JSON: {error}") from None


def coerce_selects(body: dict[str, Any]) -> None:
    """Turn booleans and numbers given for select params into strings, in place."""
    card = contract().cards.get(body.get("model"))  # type: ignore[arg-type]
    params = body.get("params")
    if card is None or not isinstance(params, dict):
        return
    properties = card.params_schema["properties"]
    for key, value in params.items():
        spec = properties.get(key, {})
        if "enum" in spec and isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif "enum" in spec and isinstance(value, int | float):
            params[key] = f"{value:g}"


def _validated(body: Any, mock: Mock) -> tuple[ModelCard, dict[str, Any]]:
    if mock.config.coerce_selects and isinstance(body, dict):
        coerce_selects(body)
    ignore = mock.config.unknown_params == "ignore"
    errors = contract().validate_generation_request(body, ignore_unknown_params=ignore)
    if errors:
        shown = "; ".join(str(error) for error in errors[:MAX_SHOWN_ERRORS])
        more = len(errors) - MAX_SHOWN_ERRORS
        raise ApiError("validation_failed", shown + (f" (and {more} more)" if more > 0 else ""))
    card = contract().cards[body["model"]]
    params = dict(body.get("params") or {})
    if ignore:
        known = card.params_schema["properties"]
        params = {key: value for key, value in params.items() if key in known}
    return card, params


def fingerprint(body: Any) -> str:
    """Return a digest of the request body that ignores key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def create(call: Call, mock: Mock) -> Reply:
    """Validate, reserve the credits and queue a task; replay it for a repeated Idempotency-Key."""
    body = parse_json(call)
    card, params = _validated(body, mock)
    account_id = call.account_id
    assert account_id is not None
    if params.get(REFERENCE_ITEMS):
        check_references(params[REFERENCE_ITEMS], card, account_id, mock)
    idempotency_key = call.headers.get("idempotency-key")
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        raise ApiError(
            "validation_failed", f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters"
        )
    now = mock.clock.now()
    mock.settle(account_id, now)
    task_id = mock.new_id("task")
    if idempotency_key is not None:
        record = IdempotencyRecord(account_id, idempotency_key, fingerprint(body), task_id, now)
        # A record outliving its task is of no use, so max_tasks bounds the records too.
        earlier = mock.store.claim_idempotency(
            record, now, mock.config.idempotency_ttl, mock.config.max_tasks
        )
        if earlier is not None:
            return _replay(call, mock, earlier, record.fingerprint, now)
    cost = card.price(params, mock.config.surcharges)
    if not mock.store.reserve(account_id, cost):
        if idempotency_key is not None:
            mock.store.drop_idempotency(account_id, idempotency_key)
        account = mock.store.account(account_id)
        balance = account.balance if account else 0
        raise ApiError(
            "insufficient_credits", f"This task costs {cost} credits; the balance is {balance}."
        )
    plan = mock.plan_for(call, card, body, account_id)
    resolved = card.resolved_params(params)
    task = lifecycle.new_task(task_id, account_id, card, resolved, cost, plan, now)
    mock.store.add_task(task)
    mock.after_create(now)
    view = lifecycle.task_view(task, now, call.base_url, created=True)
    return Reply.json(mock.config.create_status, view)


def _replay(call: Call, mock: Mock, earlier: IdempotencyRecord, digest: str, now: float) -> Reply:
    if earlier.fingerprint != digest:
        raise ApiError(
            "idempotency_conflict",
            "This Idempotency-Key was already used with a different request.",
        )
    task = mock.task(earlier.task_id)
    if task is None:
        raise ApiError("idempotency_conflict", "The original task of this key is gone.")
    view = lifecycle.task_view(task, now, call.base_url)
    return Reply.json(mock.config.create_status, view, {REPLAY_HEADER: "true"})


def poll(call: Call, mock: Mock) -> Reply:
    """Return a task of the caller's account as it stands now; any other id is not_found."""
    task = mock.task(call.path_params["taskId"])
    if task is None or task.account_id != call.account_id:
        raise ApiError("not_found", "No such task.")
    now = mock.clock.now()
    if not task.settled and now >= task.finishes_at:
        mock.settle(task.account_id, now)
    return Reply.json(200, lifecycle.task_view(task, now, call.base_url))
