"""Accounts and API keys on demand: create them, issue keys in any state, set balances.

Arguments are checked by the control API's own rules (``control.schema.json``:
``$defs/account-request``, ``key-request``, ``balance-request``), so Python and
HTTP give the same verdicts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rivya_contract.mock_server.ids import new_secret
from rivya_contract.mock_server.records import ALL_SCOPES, Account, ApiKey
from rivya_contract.mock_server.specs import Conflict, check, given

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend

KEY_PREFIX = "rvya_sk_"


class Accounts:
    """The mock's accounts and keys, for tests: ``mock.control.accounts``.

    Unknown account ids raise KeyError; bad arguments raise ``SpecError`` (a ValueError).
    """

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def create(self, account_id: str | None = None, credits: int = 0) -> Account:
        """Create an account holding ``credits``; without an id, one is made up."""
        check("account-request", given(id=account_id, credits=credits))
        if account_id is None:
            account_id = self._backend.new_id("acct")
        if self._backend.store.account(account_id) is not None:
            raise Conflict(f"id: account {account_id} exists")
        return self._backend.add_account(account_id, credits)

    def get(self, account_id: str) -> Account:
        """Return an account's wallet, with its finished tasks settled."""
        return self._backend.balance(account_id)

    def all(self) -> list[Account]:
        """Return every account, each settled."""
        return [self.get(account.id) for account in self._backend.store.accounts()]

    def set_balance(self, account_id: str, credits: int) -> Account:
        """Set an account's available balance to ``credits`` (reservations are kept)."""
        check("balance-request", {"credits": credits})
        account = self.get(account_id)
        return self._backend.store.grant(account_id, credits - account.balance)

    def issue_key(
        self,
        account_id: str,
        scopes: Iterable[str] = ALL_SCOPES,
        revoked: bool = False,
        expires_in: float | None = None,
        *,
        key: str | None = None,
        expired: bool | None = None,
    ) -> str:
        """Issue a key of ``account_id``; return its secret.

        ``expires_in`` is seconds from the mock's now (0 or less: already
        expired; ``expired=True`` says the same). ``key`` chooses the secret;
        an existing key with that secret is replaced.
        """
        wanted = sorted(frozenset(scopes))
        check(
            "key-request",
            given(
                account_id=account_id,
                key=key,
                scopes=wanted,
                revoked=revoked,
                expired=expired,
                expires_in=expires_in,
            ),
        )
        self.get(account_id)
        if key is None:
            key = new_secret(KEY_PREFIX)
        if expired:
            expires_in = 0.0
        expires_at = None if expires_in is None else self._backend.clock.now() + expires_in
        self._backend.store.add_key(
            ApiKey(key, account_id, frozenset(wanted), bool(revoked), expires_at)
        )
        return key

    def grant(self, account_id: str, credits: int) -> Account:
        """Add ``credits`` (at least 1) to an account's balance."""
        check("grant-request", {"credits": credits})
        self.get(account_id)
        return self._backend.store.grant(account_id, credits)

    def all_keys(self) -> list[ApiKey]:
        """Return every key, in the order issued."""
        return self._backend.store.keys()

    def key(self, secret: str) -> ApiKey:
        """Return the key with this secret; KeyError if there is none."""
        found = self._backend.store.key(secret)
        if found is None:
            raise KeyError(secret)
        return found

    def revoke(self, secret: str) -> ApiKey:
        """Revoke a key: its next request answers ``api_key_revoked``."""
        revoked = dataclasses.replace(self.key(secret), revoked=True)
        self._backend.store.add_key(revoked)
        return revoked

    def expire(self, secret: str) -> ApiKey:
        """Expire a key now: its next request answers ``api_key_expired``."""
        now = self._backend.clock.now()
        expired = dataclasses.replace(self.key(secret), expires_at=now)
        self._backend.store.add_key(expired)
        return expired
