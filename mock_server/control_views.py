"""Control API handlers that show the mock's state and change keys and wallets.

Tasks with their status timeline, keys, revoking and expiring a key, granting
credits, health and metrics: what the dashboard and ``rivya-mock ctl`` read
and do besides the handlers of ``control_api``.
"""

from __future__ import annotations

import math
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.clock import iso
from rivya_contract.mock_server.control_api import _body, _checked, account_json, key_json
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.records import Task

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller
    from rivya_contract.mock_server.records import ApiKey


@cache
def package_version() -> str:
    """Return the installed version of rivya-contract."""
    try:
        return version("rivya-contract")
    except PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return "0+unknown"


def _moment(at: float) -> str | None:
    return None if math.isinf(at) else iso(at)


def task_json(task: Task, now: float) -> dict[str, Any]:
    """Return a task as the control API shows it at ``now``: status, timeline, credits."""
    status = task.status_at(now)
    ends = task.finishes or (task.by_polls and task.processing_polls is not None)
    timeline = [{"status": "queued", "at": iso(task.created_at), "reached": True}]
    if task.processing_at < task.finishes_at or task.by_polls or not ends:
        timeline.append(
            {
                "status": "processing",
                "at": _moment(task.processing_at),
                "reached": now >= task.processing_at,
            }
        )
    if ends:
        timeline.append(
            {
                "status": task.outcome,
                "at": _moment(task.finishes_at),
                "reached": now >= task.finishes_at,
            }
        )
    error = None
    if status == "failed":
        error = {"code": task.error_code, "message": task.error_message}
    return {
        "id": task.id,
        "account_id": task.account_id,
        "model": task.model,
        "status": status,
        "outcome": task.outcome if ends else "processing",
        "created_at": iso(task.created_at),
        "timeline": timeline,
        "by_polls": task.by_polls,
        "polls": task.polls,
        "reserved_credits": task.reserved_credits,
        "final_credits": task.final_credits,
        "settled": task.settled,
        "error": error,
    }


def list_tasks(call: Call, control: Controller) -> Reply:
    """List every task kept, newest first, settling what is due first."""
    control.accounts.all()
    now = control.clock.now()
    tasks = control.backend.store.tasks()
    data = [task_json(task, now) for task in reversed(tasks)]
    return Reply.json(call.ok, {"object": "list", "data": data})


def list_keys(call: Call, control: Controller) -> Reply:
    """List every key, with its account, scopes and state."""
    data = [key_json(key) for key in control.accounts.all_keys()]
    return Reply.json(call.ok, {"object": "list", "data": data})


def _key_change(call: Call, change: Any) -> Reply:
    secret = call.path_params["key"]
    try:
        key: ApiKey = change(secret)
    except KeyError:
        raise ApiError("mock_not_found", f"no such key: {secret}") from None
    return Reply.json(call.ok, key_json(key))


def revoke_key(call: Call, control: Controller) -> Reply:
    """Revoke a key: its next request answers ``api_key_revoked``."""
    return _key_change(call, control.accounts.revoke)


def expire_key(call: Call, control: Controller) -> Reply:
    """Expire a key now: its next request answers ``api_key_expired``."""
    return _key_change(call, control.accounts.expire)


def grant_credits(call: Call, control: Controller) -> Reply:
    """Add credits to an account's balance: ``{"credits": n}``."""
    body = _body(call, "grant-request")
    account = _checked(control.accounts.grant, call.path_params["accountId"], body["credits"])
    return Reply.json(call.ok, account_json(account))


def health(call: Call, control: Controller) -> Reply:
    """Say the mock is up, with its version and the clock."""
    return Reply.json(
        call.ok,
        {
            "status": "ok",
            "version": package_version(),
            "now": iso(control.clock.now()),
            "virtual_clock": control.backend.config.virtual_clock,
        },
    )


def metrics(call: Call, control: Controller) -> Reply:
    """Return the mock's Prometheus metrics in the text exposition format."""
    if control.metrics is None:
        raise ApiError("mock_not_found", "this mock keeps no metrics")
    body, content_type = control.metrics.render()
    return Reply(call.ok, body, content_type=content_type)
