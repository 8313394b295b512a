"""The HTTP control API under ``/__mock__/``: state, clock, scripts, faults and the journal.

Every handler takes a ``Call`` and the ``Controller``. Bodies are JSON (any
content type, an empty body is ``{}``) checked by the same rules as the
Python calls (``control.schema.json``); a malformed one is
``400 mock_request_invalid``, an unknown account, script or fault
``404 mock_not_found``. Success statuses come from ``surface.json``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from rivya_contract.mock_server.clock import LATEST, iso
from rivya_contract.mock_server.control import INVALID
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.records import ALL_SCOPES, Account, ApiKey
from rivya_contract.mock_server.specs import Conflict, SpecError, check
from rivya_contract.schemas import contract, surface

if TYPE_CHECKING:
    from rivya_contract.mock_server.control import Controller

JOURNAL_FILTERS = surface()["mockReadJournal"].query


def _body(call: Call, shape: str | None = None) -> dict[str, Any]:
    text = call.body.strip()
    try:
        data = json.loads(text) if text else {}
    except ValueError as error:
        raise ApiError(INVALID, f"malformed JSON: {error}") from None
    if not isinstance(data, dict):
        raise ApiError(INVALID, "the body must be a JSON object")
    if shape is not None:
        _checked(check, shape, data)
    return data


CONFLICT = "mock_conflict"
"""The code of a well-formed control request the mock's state refuses (409)."""


def query_int(name: str, text: str) -> int:
    """Return a whole-number query parameter, checked against its ``$defs/query`` range."""
    if not text.isascii() or not text.isdigit():
        raise ApiError(INVALID, f"{name} must be a whole number")
    value = int(text)
    shape = contract().schemas["control"]["$defs"]["query"]["properties"][name]
    if not shape["minimum"] <= value <= shape["maximum"]:
        raise ApiError(INVALID, f"{name} must be {shape['minimum']} to {shape['maximum']}")
    return value


def _checked(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a control call, turning its errors into the control API's codes.

    A ``Conflict`` is mock_conflict, another SpecError mock_request_invalid, a
    KeyError mock_not_found.
    """
    try:
        return action(*args, **kwargs)
    except Conflict as error:
        raise ApiError(CONFLICT, str(error)) from None
    except SpecError as error:
        raise ApiError(INVALID, str(error)) from None
    except KeyError as error:
        raise ApiError("mock_not_found", f"no such account: {error.args[0]}") from None


def account_json(account: Account) -> dict[str, Any]:
    """Return an account's wallet as the control API shows it."""
    return {
        "id": account.id,
        "balance": account.balance,
        "reserved": account.reserved,
        "spent": account.spent,
        "granted": account.granted,
        "refunded": account.refunded,
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


def _listing(call: Call, items: list[dict[str, Any]]) -> Reply:
    return Reply.json(call.ok, {"object": "list", "data": items})


def reset(call: Call, control: Controller) -> Reply:
    """Forget all state, scripts, faults and the journal; the clock keeps its time."""
    control.reset()
    return Reply.json(call.ok, {"reset": True})


def openapi(call: Call, control: Controller) -> Reply:
    """Answer the control API's own OpenAPI document, this mock's URL first in ``servers``."""
    return Reply(call.ok, control.backend.document(call.base_url, part="control"))


def list_accounts(call: Call, control: Controller) -> Reply:
    """List every account's wallet."""
    return _listing(call, [account_json(account) for account in control.accounts.all()])


def create_account(call: Call, control: Controller) -> Reply:
    """Create an account: ``{"id"?, "credits"?}``."""
    body = _body(call, "account-request")
    account = _checked(control.accounts.create, body.get("id"), body.get("credits", 0))
    return Reply.json(call.ok, account_json(account))


def get_account(call: Call, control: Controller) -> Reply:
    """Return one account's wallet."""
    account = _checked(control.accounts.get, call.path_params["accountId"])
    return Reply.json(call.ok, account_json(account))


def set_balance(call: Call, control: Controller) -> Reply:
    """Set an account's available balance: ``{"credits": n}``."""
    body = _body(call, "balance-request")
    account = _checked(control.accounts.set_balance, call.path_params["accountId"], body["credits"])
    return Reply.json(call.ok, account_json(account))


def issue_key(call: Call, control: Controller) -> Reply:
    """Issue a key, with scopes, revoked or expired: see ``control.schema.json``."""
    body = _body(call, "key-request")
    secret = _checked(
        control.accounts.issue_key,
        body["account_id"],
        body.get("scopes", ALL_SCOPES),
        bool(body.get("revoked", False)),
        body.get("expires_in"),
        key=body.get("key"),
        expired=body.get("expired"),
    )
    key = control.backend.store.key(secret)
    assert key is not None
    return Reply.json(call.ok, key_json(key))


def _clock_json(control: Controller) -> dict[str, Any]:
    now = control.backend.clock.now()
    return {"now": iso(now), "epoch": now, "virtual": control.backend.config.virtual_clock}


def get_clock(call: Call, control: Controller) -> Reply:
    """Return the mock's time, and whether it is virtual."""
    return Reply.json(call.ok, _clock_json(control))


def _epoch(value: float | str) -> float:
    """Return the epoch seconds of ``to``: a number, or an RFC 3339 date-time."""
    if isinstance(value, str):
        text = value.upper()  # RFC 3339 allows t and z
        if text[17:19] == "60":  # a leap second: the moment after 59
            text = text[:17] + "59" + text[19:]
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ApiError(INVALID, f"to: {value!r} is not an RFC 3339 date-time") from None
        if moment.tzinfo is None:
            raise ApiError(INVALID, "to: give a time zone, e.g. Z")
        try:
            return moment.timestamp() + (1 if text != value.upper() else 0)
        except (OverflowError, ValueError):
            raise ApiError(CONFLICT, "to: the clock cannot move to that time") from None
    return float(value)


def advance_clock(call: Call, control: Controller) -> Reply:
    """Move the clock forward: ``{"advance": seconds}`` or ``{"to": epoch | ISO 8601}``."""
    body = _body(call, "clock-request")
    clock = control.backend.clock
    if "advance" in body:
        seconds = float(body["advance"])
    else:
        seconds = _epoch(body["to"]) - clock.now()
        if seconds < 0:
            raise ApiError(CONFLICT, "to: the clock only moves forward")
    if not math.isfinite(seconds) or clock.now() + seconds > LATEST:
        raise ApiError(CONFLICT, "the clock cannot move past 9999-12-31T23:59:59Z")
    target = clock.now() + seconds
    shown = {"now": iso(target), "epoch": target, "virtual": control.backend.config.virtual_clock}
    reply = Reply.json(call.ok, shown)
    # Moving the clock delivers what falls due, which may wait for webhook receivers that
    # call this mock back: it runs once the pipeline's lock is released.
    reply.after = functools.partial(clock.advance, seconds)
    return reply


def list_scripts(call: Call, control: Controller) -> Reply:
    """List the scripts still waiting, in the order they are tried."""
    return _listing(call, [script.to_json() for script in control.scripts])


def add_script(call: Call, control: Controller) -> Reply:
    """Script the outcome of matching creates: see ``Controller.script``."""
    return Reply.json(call.ok, _checked(control.add_script, _body(call)).to_json())


def list_faults(call: Call, control: Controller) -> Reply:
    """List the faults still waiting, in the order they are tried."""
    return _listing(call, [fault.to_json() for fault in control.faults])


def add_fault(call: Call, control: Controller) -> Reply:
    """Inject a fault into matching requests: see ``Controller.fault``."""
    return Reply.json(call.ok, _checked(control.add_fault, _body(call)).to_json())


def clear_scripts(call: Call, control: Controller) -> Reply:
    """Remove every script."""
    return Reply.json(call.ok, {"deleted": control.clear("scripts")})


def clear_faults(call: Call, control: Controller) -> Reply:
    """Remove every fault."""
    return Reply.json(call.ok, {"deleted": control.clear("faults")})


def remove_item(call: Call, control: Controller) -> Reply:
    """Remove one script or fault by id."""
    item_id = call.path_params["itemId"]
    kind = "script" if call.path.startswith("/__mock__/scripts/") else "fault"
    if not item_id.startswith(kind + "_") or not control.remove(item_id):
        raise ApiError("mock_not_found", f"no such {kind}: {item_id}")
    return Reply.json(call.ok, {"deleted": 1})


def _journal_filters(query: str) -> dict[str, Any]:
    try:
        values = parse_qs(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ApiError(INVALID, "the query string is malformed") from None
    unknown = sorted(set(values) - set(JOURNAL_FILTERS))
    if unknown:
        known = ", ".join(JOURNAL_FILTERS)
        raise ApiError(INVALID, f"unknown filter {unknown[0]!r}; known: {known}")
    filters: dict[str, Any] = {name: found[-1] for name, found in values.items()}
    for name in ("status", "limit"):
        if name in filters:
            filters[name] = query_int(name, filters[name])
    return filters


def read_journal(call: Call, control: Controller) -> Reply:
    """Return journal entries, oldest first; filter by method, path, status, code, account."""
    entries = control.journal.filter(**_journal_filters(call.query))
    return _listing(call, [entry.to_json() for entry in entries])


def clear_journal(call: Call, control: Controller) -> Reply:
    """Forget every journal entry."""
    count = len(control.journal)
    control.journal.clear()
    return Reply.json(call.ok, {"deleted": count})
