"""Injected faults: an error answer, latency or a dropped connection for matching requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rivya_contract.mock_server.counted import Counted
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.rules import StoredRule
from rivya_contract.mock_server.specs import DEFAULT_RETRY_AFTER, Effects, FaultSpec

MESSAGES = {
    "validation_failed": "The request is invalid.",
    "api_key_missing": "Send your API key as Authorization: Bearer rvya_sk_...",
    "api_key_invalid": "The API key is not valid.",
    "api_key_revoked": "The API key has been revoked.",
    "api_key_expired": "The API key has expired.",
    "api_scope_denied": "The API key lacks the scope this endpoint needs.",
    "not_found": "Not found.",
    "idempotency_conflict": "This Idempotency-Key was already used with a different request.",
    "insufficient_credits": "The balance does not cover this task.",
    "rate_limited": "Too many requests; retry later.",
    "public_api_disabled": "The public API is disabled; retry later.",
}
"""The message an injected error code carries unless one is given."""

SERVER_CODES = {
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
"""The (undocumented) code in the envelope of a bare server error; others are server_error."""


@dataclass(eq=False)
class Fault(Counted):
    """An injected fault, counted down as it hits requests."""

    id: str
    spec: FaultSpec
    rule: StoredRule | None = None

    @property
    def times(self) -> int | None:
        """How many requests it hits; None for every match until removed."""
        return self.spec.times

    @property
    def effects(self) -> Effects:
        """What it does to the requests it hits."""
        return self.spec.effects

    def matches(self, call: Call, account: str | None) -> bool:
        """Return whether ``call`` (made by ``account``, if known) is one this fault is for."""
        spec = self.spec
        if spec.method is not None and spec.method != call.method:
            return False
        if spec.path is not None and not spec.path.matches(call.path):
            return False
        return spec.account is None or spec.account == account

    def to_json(self) -> dict[str, Any]:
        """Return the fault as the control API shows it."""
        spec, effects = self.spec, self.spec.effects
        return {
            "id": self.id,
            "method": spec.method,
            "path": None if spec.path is None else str(spec.path),
            "account": spec.account,
            "code": effects.code,
            "status": effects.status,
            "retry_after": effects.retry_after,
            "message": effects.message,
            "delay": effects.delay,
            "drop": effects.drop,
            "times": spec.times,
            "used": self.used,
            "remaining": self.remaining,
        }


def error_reply(effects: Effects, request_id: str) -> Reply:
    """Return the error answer ``effects`` asks for: a documented code, or a bare 5xx."""
    code = effects.code
    retry = effects.retry_after
    if code is not None and retry is None:
        retry = DEFAULT_RETRY_AFTER.get(code)
    headers = {} if retry is None else {"Retry-After": str(retry)}
    if code is not None:
        message = effects.message or MESSAGES.get(code, code)
        return Reply.error(ApiError(code, message, headers=headers), request_id)
    status = effects.status or 500
    code = SERVER_CODES.get(status, "server_error")
    message = effects.message or "The server could not answer; retry later."
    return Reply.error(ApiError(code, message, status=status, headers=headers), request_id)
