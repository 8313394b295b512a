"""Per-key request limits in fixed windows."""

from __future__ import annotations

import math

from rivya_contract.mock_server.config import RateLimit
from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.store import Store


class RateLimiter:
    """Counts requests per key in fixed windows; over the limit is rate_limited.

    The store keeps the windows, so processes sharing a store share them.
    """

    def __init__(self, limit: RateLimit | None, store: Store) -> None:
        self.limit = limit
        self._store = store

    def check(self, key: str, now: float) -> None:
        """Count one request for ``key``; raise rate_limited when it is over the limit."""
        limit = self.limit
        if limit is None:
            return
        start = self._store.count_request(key, now, limit.requests, limit.seconds)
        if start is not None:
            wait = max(1, math.ceil(start + limit.seconds - now))
            raise ApiError(
                "rate_limited",
                f"Over {limit.requests} requests in {limit.seconds:g} s; retry after {wait} s.",
                headers={"Retry-After": str(wait)},
            )
