"""The HTTP control API under ``/__mock__/``: state, clock, scripts, faults and the journal.

Every handler takes a ``Call`` and the ``Mock``; bodies are JSON (any content
type, an empty body is ``{}``) checked against ``REQUEST_SCHEMAS``, which the
OpenAPI document also publishes. Errors use the API's envelope.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.directives import MAX_DELAY
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.records import ALL_SCOPES, Account, ApiKey
from rivya_contract.schemas import contract
from rivya_contract.schemas.errors import field_errors

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

_TIMES: dict[str, Any] = {"type": ["integer", "null"], "minimum": 1}
_SECONDS: dict[str, Any] = {"type": "number", "minimum": 0}
_TEXT: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 5000}

REQUEST_SCHEMAS: dict[str, dict[str, Any]] = {
    "account": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "credits": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    "balance": {
        "type": "object",
        "required": ["credits"],
        "properties": {"credits": {"type": "integer", "minimum": 0}},
        "additionalProperties": False,
    },
    "key": {
        "type": "object",
        "required": ["account_id"],
        "properties": {
            "account_id": {"type": "string"},
            "key": {"type": "string", "pattern": "^rvya_sk_[!-~]+$", "maxLength": 512},
            "scopes": {"type": "array", "items": {"enum": sorted(ALL_SCOPES)}, "uniqueItems": True},
            "revoked": {"type": "boolean"},
            "expired": {"type": "boolean", "description": "Expired already."},
            "expires_in": {"type": "number", "description": "Seconds from the mock's now."},
        },
        "additionalProperties": False,
    },
    "clock": {
        "type": "object",
        "description": "Exactly one of advance (seconds) and to (epoch seconds or ISO 8601).",
        "properties": {
            "advance": _SECONDS,
            "to": {"type": ["number", "string"]},
        },
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    },
    "script": {
        "type": "object",
        "properties": {
            "model": {"enum": sorted(contract().cards)},
            "prompt_contains": _TEXT,
            "client_request_id": _TEXT,
            "account": _TEXT,
            "outcome": {"enum": ["succeeded", "failed", "processing"]},
            "queued": _SECONDS,
            "processing": _SECONDS,
            "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
            "message": {"type": "string", "maxLength": 5000},
            "times": _TIMES,
        },
        "additionalProperties": False,
    },
    "fault": {
        "type": "object",
        "description": "At least one of code, status, delay and drop.",
        "properties": {
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
            "path": {"type": "string", "pattern": "^/"},
            "account": _TEXT,
            "code": {"enum": list(contract().error_status)},
            "status": {"type": "integer", "minimum": 500, "maximum": 599},
            "retry_after": {"type": "integer", "minimum": 0, "maximum": 999_999_999},
            "message": {"type": "string", "maxLength": 5000},
            "delay": {"type": "number", "minimum": 0, "maximum": MAX_DELAY},
            "drop": {"type": "boolean"},
            "times": _TIMES,
        },
        "additionalProperties": False,
    },
}
"""The JSON Schema of each control request body."""

_VALIDATORS = {name: Draft202012Validator(doc) for name, doc in REQUEST_SCHEMAS.items()}
JOURNAL_FILTERS = ("method", "path", "status", "code", "account_id", "limit")


def _body(call: Call, schema: str) -> dict[str, Any]:
    text = call.body.strip()
    try:
        data = json.loads(text) if text else {}
    except ValueError as error:
        raise ApiError("validation_failed", f"malformed JSON: {error}") from None
    problems = field_errors(_VALIDATORS[schema].iter_errors(data))
    if problems:
        raise ApiError("validation_failed", "; ".join(str(p) for p in problems[:5]))
    result: dict[str, Any] = data
    return result


def _whole(body: dict[str, Any], *names: str) -> dict[str, Any]:
    """Turn the JSON numbers under ``names`` (checked as integers) into ints."""
    for name in names:
        if body.get(name) is not None:
            body[name] = int(body[name])
    return body


def _checked(action: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a Python control call; its ValueError is validation_failed, KeyError not_found."""
    try:
        return action(*args, **kwargs)
    except ValueError as error:
        raise ApiError("validation_failed", str(error)) from None
    except KeyError as error:
        raise ApiError("not_found", f"no such account: {error.args[0]}") from None


def account_json(account: Account) -> dict[str, Any]:
    """Return an account's wallet as the control API shows it."""
    return {
        "id": account.id,
        "balance": account.balance,
        "reserved": account.reserved,
        "spent": account.spent,
        "granted": account.granted,
    }


def key_json(key: ApiKey) -> dict[str, Any]:
    """Return a key as the control API shows it (with its secret: this is the admin side)."""
    return {
        "key": key.secret,
        "account_id": key.account_id,
        "scopes": sorted(key.scopes),
        "revoked": key.revoked,
        "expires_at": None if key.expires_at is None else iso(key.expires_at),
    }


def _listing(items: list[dict[str, Any]]) -> Reply:
    return Reply.json(200, {"object": "list", "data": items})


def reset(call: Call, mock: Mock) -> Reply:
    """Forget all state, scripts, faults and the journal; the clock keeps its time."""
    mock.reset()
    return Reply.json(200, {"reset": True})


def list_accounts(call: Call, mock: Mock) -> Reply:
    """List every account's wallet."""
    return _listing([account_json(account) for account in mock.accounts.all()])


def create_account(call: Call, mock: Mock) -> Reply:
    """Create an account: ``{"id"?, "credits"?}``."""
    body = _body(call, "account")
    account = _checked(mock.accounts.create, body.get("id"), int(body.get("credits", 0)))
    return Reply.json(201, account_json(account))


def get_account(call: Call, mock: Mock) -> Reply:
    """Return one account's wallet."""
    return Reply.json(200, account_json(_checked(mock.accounts.get, call.path_params["accountId"])))


def set_balance(call: Call, mock: Mock) -> Reply:
    """Set an account's available balance: ``{"credits": n}``."""
    credits = int(_body(call, "balance")["credits"])
    account = _checked(mock.accounts.set_balance, call.path_params["accountId"], credits)
    return Reply.json(200, account_json(account))


def issue_key(call: Call, mock: Mock) -> Reply:
    """Issue a key, with scopes, revoked or expired: see ``REQUEST_SCHEMAS["key"]``."""
    body = _body(call, "key")
    if body.get("expired") and "expires_in" in body:
        raise ApiError("validation_failed", "give expired or expires_in, not both")
    expires_in = 0.0 if body.get("expired") else body.get("expires_in")
    secret = _checked(
        mock.accounts.issue_key,
        body["account_id"],
        body.get("scopes", ALL_SCOPES),
        bool(body.get("revoked", False)),
        expires_in,
        key=body.get("key"),
    )
    key = mock.store.key(secret)
    assert key is not None
    return Reply.json(201, key_json(key))


def _clock_json(mock: Mock) -> dict[str, Any]:
    now = mock.clock.now()
    return {"now": iso(now), "epoch": now, "virtual": mock.config.virtual_clock}


def get_clock(call: Call, mock: Mock) -> Reply:
    """Return the mock's time, and whether it is virtual."""
    return Reply.json(200, _clock_json(mock))


def _epoch(value: float | str) -> float:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ApiError("validation_failed", f"$.to: {value!r} is not ISO 8601") from None
        if moment.tzinfo is None:
            raise ApiError("validation_failed", "$.to: give a time zone, e.g. Z")
        return moment.timestamp()
    return float(value)


def advance_clock(call: Call, mock: Mock) -> Reply:
    """Move the clock forward: ``{"advance": seconds}`` or ``{"to": epoch | ISO 8601}``."""
    body = _body(call, "clock")
    if "advance" in body:
        seconds = float(body["advance"])
    else:
        seconds = _epoch(body["to"]) - mock.clock.now()
        if seconds < 0:
            raise ApiError("validation_failed", "$.to: the clock only moves forward")
    if not math.isfinite(seconds):
        raise ApiError("validation_failed", "the clock cannot move that far")
    _checked(mock.clock.advance, seconds)
    return Reply.json(200, _clock_json(mock))


def list_scripts(call: Call, mock: Mock) -> Reply:
    """List the scripts still waiting, in the order they are tried."""
    return _listing([script.to_json() for script in mock.scenario.scripts])


def add_script(call: Call, mock: Mock) -> Reply:
    """Script the outcome of matching creates: see ``Controller.script``."""
    body = _whole(_body(call, "script"), "times")
    return Reply.json(201, _checked(mock.scenario.script, **body).to_json())


def list_faults(call: Call, mock: Mock) -> Reply:
    """List the faults still waiting, in the order they are tried."""
    return _listing([fault.to_json() for fault in mock.scenario.faults])


def add_fault(call: Call, mock: Mock) -> Reply:
    """Inject a fault into matching requests: see ``Controller.fault``."""
    body = _whole(_body(call, "fault"), "times", "status", "retry_after")
    return Reply.json(201, _checked(mock.scenario.fault, **body).to_json())


def clear_scripts(call: Call, mock: Mock) -> Reply:
    """Remove every script."""
    return Reply.json(200, {"deleted": mock.scenario.clear("scripts")})


def clear_faults(call: Call, mock: Mock) -> Reply:
    """Remove every fault."""
    return Reply.json(200, {"deleted": mock.scenario.clear("faults")})


def remove_item(call: Call, mock: Mock) -> Reply:
    """Remove one script or fault by id."""
    item_id = call.path_params["itemId"]
    kind = "script" if call.path.startswith("/__mock__/scripts/") else "fault"
    if not item_id.startswith(kind + "_") or not mock.scenario.remove(item_id):
        raise ApiError("not_found", f"no such {kind}: {item_id}")
    return Reply.json(200, {"deleted": 1})


def _journal_filters(query: str) -> dict[str, Any]:
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ApiError("validation_failed", "the query string is malformed") from None
    unknown = sorted(set(values) - set(JOURNAL_FILTERS))
    if unknown:
        known = ", ".join(JOURNAL_FILTERS)
        raise ApiError("validation_failed", f"unknown filter {unknown[0]!r}; known: {known}")
    filters: dict[str, Any] = {name: found[-1] for name, found in values.items()}
    for name in ("status", "limit"):
        if name in filters:
            if not filters[name].isascii() or not filters[name].isdigit():
                raise ApiError("validation_failed", f"{name} must be a whole number")
            filters[name] = int(filters[name])
    return filters


def read_journal(call: Call, mock: Mock) -> Reply:
    """Return journal entries, oldest first; filter by method, path, status, code, account."""
    entries = mock.journal.filter(**_journal_filters(call.query))
    return _listing([entry.to_json() for entry in entries])


def clear_journal(call: Call, mock: Mock) -> Reply:
    """Forget every journal entry."""
    count = len(mock.journal)
    mock.journal.clear()
    return Reply.json(200, {"deleted": count})
