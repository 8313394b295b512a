"""Accounts and API keys on demand: create them, issue keys in any state, set balances."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rivya_contract.mock_server.auth import MAX_KEY_LENGTH
from rivya_contract.mock_server.records import ALL_SCOPES, Account, ApiKey

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What an account id given to ``create`` may look like."""

KEY_PREFIX = "rvya_sk_"
KEY_TEXT = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY_LENGTH}}}")


def _credits(credits: int) -> int:
    if isinstance(credits, bool) or not isinstance(credits, int) or credits < 0:
        raise ValueError("credits must be a whole number >= 0")
    return credits


class Accounts:
    """The mock's accounts and keys, for tests: ``mock.accounts``.

    Unknown account ids raise KeyError; bad arguments raise ValueError.
    """

    def __init__(self, mock: Mock) -> None:
        self._mock = mock

    def create(self, account_id: str | None = None, credits: int = 0) -> Account:
        """Create an account holding ``credits``; without an id, one is made up."""
        if account_id is None:
            account_id = self._mock.new_id("acct")
        elif ACCOUNT_ID.fullmatch(account_id) is None:
            raise ValueError("an account id is 1 to 64 letters, digits, _ or -")
        if self._mock.store.account(account_id) is not None:
            raise ValueError(f"account {account_id} exists")
        return self._mock.add_account(account_id, _credits(credits))

    def get(self, account_id: str) -> Account:
        """Return an account's wallet, with its finished tasks settled."""
        return self._mock.balance(account_id)

    def all(self) -> list[Account]:
        """Return every account, each settled."""
        return [self.get(account.id) for account in self._mock.store.accounts()]

    def set_balance(self, account_id: str, credits: int) -> Account:
        """Set an account's available balance to ``credits`` (reservations are kept)."""
        account = self.get(account_id)
        return self._mock.store.grant(account_id, _credits(credits) - account.balance)

    def issue_key(
        self,
        account_id: str,
        scopes: Iterable[str] = ALL_SCOPES,
        revoked: bool = False,
        expires_in: float | None = None,
        *,
        key: str | None = None,
    ) -> str:
        """Issue a key of ``account_id``; return its secret.

        ``expires_in`` is seconds from the mock's now (0 or less: already
        expired). ``key`` chooses the secret; an existing key with that
        secret is replaced.
        """
        self.get(account_id)
        wanted = frozenset(scopes)
        unknown = sorted(wanted - ALL_SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}")
        if key is None:
            key = self._mock.new_id(KEY_PREFIX.rstrip("_"))
        elif not key.startswith(KEY_PREFIX) or KEY_TEXT.fullmatch(key) is None:
            raise ValueError(f"a key is {KEY_PREFIX} and visible ASCII, {MAX_KEY_LENGTH} at most")
        expires_at = None
        if expires_in is not None:
            if not math.isfinite(expires_in):
                raise ValueError("expires_in must be a finite number of seconds")
            expires_at = self._mock.clock.now() + expires_in
        self._mock.store.add_key(ApiKey(key, account_id, wanted, bool(revoked), expires_at))
        return key
