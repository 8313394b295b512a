"""Scenario control of a target: the in-process mock's ``Controller``, or a mock's control API.

The checks that need a second account, a dead key or a fault use the small
``ScenarioControl`` interface. The in-process ``Controller`` has it; so does
``HttpControl``, which speaks the control API under ``/__mock__/`` of any server
that offers it, so those checks run against a served mock as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from rivya_contract.schemas import CONTROL_PREFIX

CONTROL_DOCUMENT = f"{CONTROL_PREFIX}/openapi.json"
"""The control API's own OpenAPI document; a target answering it offers scenario control."""


class HasId(Protocol):
    """Anything with an ``id``: an account."""

    @property
    def id(self) -> str:
        """The account id."""
        ...


class AccountControl(Protocol):
    """Accounts and keys on demand."""

    def create(self, account_id: str | None = None, credits: int = 0) -> HasId:
        """Create an account holding ``credits``."""
        ...

    def issue_key(
        self,
        account_id: str,
        scopes: Iterable[str] = ...,
        revoked: bool = False,
        expires_in: float | None = None,
    ) -> str:
        """Issue a key of ``account_id``; return its secret."""
        ...


class ClockControl(Protocol):
    """The target's clock."""

    def advance(self, seconds: float) -> float:
        """Move the clock forward; return the new time."""
        ...


class ScenarioControl(Protocol):
    """What the control-only checks need of a target."""

    @property
    def accounts(self) -> AccountControl:
        """Accounts and keys."""
        ...

    @property
    def clock(self) -> ClockControl:
        """The clock."""
        ...

    def fault(
        self, *, path: str | None = None, account: str | None = None, code: str | None = None
    ) -> object:
        """Answer the next matching request with ``code``."""
        ...


@dataclass(frozen=True)
class RemoteAccount:
    """An account created through the control API."""

    id: str


class _Remote:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(method, CONTROL_PREFIX + path, json=body)
        if response.status_code >= 300:
            raise AssertionError(
                f"control API {method} {path}: {response.status_code} {response.text[:300]}"
            )
        return response.json()


class HttpAccounts:
    """Accounts and keys through ``/__mock__/accounts`` and ``/__mock__/keys``."""

    def __init__(self, remote: _Remote) -> None:
        self._remote = remote

    def create(self, account_id: str | None = None, credits: int = 0) -> RemoteAccount:
        """Create an account holding ``credits``."""
        body: dict[str, Any] = {"credits": credits}
        if account_id is not None:
            body["id"] = account_id
        return RemoteAccount(self._remote.call("POST", "/accounts", body)["id"])

    def issue_key(
        self,
        account_id: str,
        scopes: Iterable[str] | None = None,
        revoked: bool = False,
        expires_in: float | None = None,
    ) -> str:
        """Issue a key of ``account_id``; return its secret."""
        body: dict[str, Any] = {"account_id": account_id, "revoked": revoked}
        if scopes is not None:
            body["scopes"] = sorted(scopes)
        if expires_in is not None:
            body["expires_in"] = expires_in
        secret: str = self._remote.call("POST", "/keys", body)["key"]
        return secret


class HttpClock:
    """The target's clock through ``/__mock__/clock``."""

    def __init__(self, remote: _Remote) -> None:
        self._remote = remote

    def advance(self, seconds: float) -> float:
        """Move the clock forward; return the new time (epoch seconds)."""
        epoch: float = self._remote.call("POST", "/clock", {"advance": seconds})["epoch"]
        return epoch


class HttpControl:
    """``ScenarioControl`` over a served mock's control API."""

    def __init__(self, http: httpx.Client) -> None:
        remote = _Remote(http)
        self._remote = remote
        self.accounts = HttpAccounts(remote)
        self.clock = HttpClock(remote)

    def fault(
        self, *, path: str | None = None, account: str | None = None, code: str | None = None
    ) -> object:
        """Answer the next matching request with ``code``; return the fault's JSON."""
        body = {
            name: value
            for name, value in (("path", path), ("account", account), ("code", code))
            if value is not None
        }
        return self._remote.call("POST", "/faults", body)


def offers_control(base_url: str, admin_token: str | None = None) -> bool:
    """Return whether the server at ``base_url`` serves the mock's control API."""
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    try:
        response = httpx.get(base_url.rstrip("/") + CONTROL_DOCUMENT, headers=headers, timeout=10)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    try:
        document = response.json()
    except ValueError:
        return False
    return isinstance(document, dict) and str(document.get("openapi", "")).startswith("3.")
