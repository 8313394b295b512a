"""A small Rivya API client: create a generation, then poll until it is done.

It retries answers that say "retry later" (429 ``rate_limited``, 503) after
the ``Retry-After`` the server sends, and sends every create with an
``Idempotency-Key``, so a retried create never reserves credits twice.

``sleep`` and ``clock`` are injectable so tests can run it on a mock's virtual
clock: every wait then moves mock time instead of real time.

``NaiveRivyaClient`` is the same client with a classic bug: it retries after
its own fixed back-off and ignores ``Retry-After``. ``test_rivya_client.py``
shows Hypothesis finding and shrinking it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

RETRY_STATUSES = frozenset({429, 503})
TERMINAL = frozenset({"succeeded", "failed"})


class RivyaError(Exception):
    """An error answer from the API: its status, code and request id."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": None, "message": response.text[:200], "requestId": None}
        self.code: str | None = error.get("code")
        self.request_id: str | None = error.get("requestId")
        super().__init__(f"{self.status} {self.code}: {error.get('message')}")


class RivyaTimeout(Exception):
    """A task did not finish within the wait's time limit."""


class RivyaClient:
    """Creates Rivya generations and waits for them, retrying what the server asks to retry."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_retries: int = 10,
        first_poll: float = 2.0,
        poll_interval: float = 5.0,
    ) -> None:
        self.http = http
        self.sleep = sleep
        self.clock = clock
        self.max_retries = max_retries
        self.first_poll = first_poll
        self.poll_interval = poll_interval

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        """Return how long to wait before retrying ``response``: its Retry-After, if any."""
        header = response.headers.get("Retry-After")
        if header is not None and header.strip().isdigit():
            return float(header)
        return float(min(2**attempt, 30))

    def _send(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        for attempt in range(self.max_retries + 1):
            response = self.http.request(method, path, **options)
            if response.status_code not in RETRY_STATUSES or attempt == self.max_retries:
                break
            self.sleep(self._retry_delay(response, attempt))
        if response.is_error:
            raise RivyaError(response)
        answer: dict[str, Any] = response.json()
        return answer

    def create(
        self, model: str, prompt: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Submit a generation; return the queued task."""
        body: dict[str, Any] = {"model": model, "prompt": prompt}
        if params:
            body["params"] = params
        key = str(uuid.uuid4())
        return self._send(
            "POST", "/api/v1/generations", json=body, headers={"Idempotency-Key": key}
        )

    def get(self, task_id: str) -> dict[str, Any]:
        """Return a task as it stands now."""
        return self._send("GET", f"/api/v1/generations/{task_id}")

    def wait(self, task_id: str, *, timeout: float = 600.0) -> dict[str, Any]:
        """Poll a task until it succeeds or fails and return it; RivyaTimeout after ``timeout``."""
        deadline = self.clock() + timeout
        self.sleep(self.first_poll)
        while True:
            task = self.get(task_id)
            if task["status"] in TERMINAL:
                return task
            if self.clock() + self.poll_interval > deadline:
                raise RivyaTimeout(f"task {task_id} is still {task['status']} after {timeout} s")
            self.sleep(self.poll_interval)

    def generate(
        self,
        model: str,
        prompt: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float = 600.0,
    ) -> dict[str, Any]:
        """Create a generation and wait for it; return the finished task."""
        return self.wait(self.create(model, prompt, params)["id"], timeout=timeout)


class NaiveRivyaClient(RivyaClient):
    """The same client with a bug: it retries after a fixed second, ignoring Retry-After."""

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        return 1.0
