"""Per-key request limits in fixed windows."""

from __future__ import annotations

import math

from rivya_contract.mock_server.config import RateLimit
from rivya_contract.mock_server.exchange import ApiError


class RateLimiter:
    """Counts requests per key in fixed windows; over the limit is rate_limited with Retry-After."""

    def __init__(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self._windows: dict[str, tuple[float, int]] = {}

    def reset(self) -> None:
        """Forget every count."""
        self._windows.clear()

    def check(self, key: str, now: float) -> None:
        """Count one request for ``key``; raise rate_limited when it is over the limit."""
        limit = self.limit
        if limit is None:
            return
        start, count = self._windows.get(key, (now, 0))
        if now - start >= limit.seconds:
            start, count = now, 0
        if count >= limit.requests:
            wait = max(1, math.ceil(start + limit.seconds - now))
            raise ApiError(
                "rate_limited",
                f"Over {limit.requests} requests in {limit.seconds:g} s; retry after {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        self._windows[key] = (start, count + 1)
