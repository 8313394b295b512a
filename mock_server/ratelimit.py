"""Per-key request limits in fixed windows: the setting (``RateLimit``) and its check."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.mock_server.store import Store


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` per key in each window of ``seconds``."""

    requests: int
    seconds: float

    _UNITS = {
        "s": 1.0,
        "sec": 1.0,
        "second": 1.0,
        "min": 60.0,
        "minute": 60.0,
        "h": 3600.0,
        "hour": 3600.0,
    }

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """Parse ``"60/min"``, ``"10/s"``, ``"1000/hour"`` or ``"5/30s"``; ``"off"`` is None."""
        text = text.strip().lower()
        if text in ("", "off", "none", "0"):
            return None
        match = re.fullmatch(r"(\d+)\s*/\s*(\d+\.?\d*|\.\d+)?\s*([a-z]+)", text)
        if not match or match.group(3) not in cls._UNITS or int(match.group(1)) < 1:
            raise ValueError(f"rate limit {text!r}: expected N/unit, e.g. 60/min")
        count = float(match.group(2)) if match.group(2) else 1.0
        if count <= 0:
            raise ValueError(f"rate limit {text!r}: the window must be positive")
        return cls(int(match.group(1)), count * cls._UNITS[match.group(3)])

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds:g}s"


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
