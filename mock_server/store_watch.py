"""The pipeline's view of its store: a 503 while it cannot be reached, and a log line."""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import urlsplit

from rivya_contract.mock_server.exchange import ApiError, Call, Reply

log = logging.getLogger("rivya_contract.mock_server")


STORE_LOG_EVERY = 5.0
"""Seconds between two log lines about an unreachable store."""


class StoreWatch:
    """Answers 503 while the store cannot be reached, and says so in the log now and then."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._logged = -math.inf
        self.down = False

    def failed(self, call: Call, error: Exception) -> Reply:
        """Return the 503 for a request the store could not serve; log it at most every 5 s."""
        now = time.monotonic()
        if now - self._logged >= STORE_LOG_EVERY:
            self._logged = now
            log.error(
                "store %s unreachable (%s); answering 503 until it is back", self.where, error
            )
        self.down = True
        message = f"The mock's store ({self.where}) cannot be reached; nothing was changed."
        problem = ApiError("mock_store_unavailable", message, headers={"Retry-After": "1"})
        return Reply.error(problem, call.request_id)

    def served(self) -> None:
        """Note a request the store served: log once that it is back."""
        if self.down:
            self.down = False
            self._logged = -math.inf
            log.warning("store %s reachable again", self.where)


def store_name(url: str) -> str:
    """Return a store URL fit for a log: without its user and password."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()
