"""A hard credit budget for a test session, enforced by an httpx transport before sending.

``Budget`` tracks what creates have reserved; ``BudgetTransport`` wraps any
transport and, for every ``POST .../api/v1/generations``, prices the body from
the model card (``ModelCard.price``) and refuses, with ``BudgetExceeded`` and
before a byte is sent, a create that could push the session's spend past the
limit. What a task actually reserved (its ``reserved_credits``) replaces the
estimate once the answer arrives; a task id seen again (an idempotent replay)
is not counted twice; an error answer frees its estimate.

Only creates sent with the budgeted key count: a create with another key, or
none, cannot spend this wallet.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from rivya_contract.mock_server.auth import bearer_token
from rivya_contract.schemas import contract, surface

CREATE_PATH = surface()["createGeneration"].path
"""Requests to a path ending in this, with method POST, reserve credits."""


class BudgetExceeded(RuntimeError):
    """A create was refused before sending because it could exceed the credit budget."""


@dataclass
class Hold:
    """Credits held for one create in flight."""

    credits: int


class Budget:
    """At most ``max_credits`` credits reserved by creates over a whole session; thread-safe.

    Every create is priced as if it succeeds, whether or not the contract
    says it is valid: a live API that drifted might accept it. Two opt-ins
    loosen this for checks that expect a rejection:

    - ``trust_validation``: a create the contract rejects (``validation_failed``)
      is sent as free; should the API charge for it anyway, the charge is
      still counted.
    - ``allow_unpriced``: a create whose price cannot be known (a model with
      no card, a body that is not a JSON object) is sent as free instead of
      refused.

    ``surcharges`` overrides the cards' surcharge amounts, keyed
    ``"<model>:<param>"``.
    """

    def __init__(
        self,
        max_credits: int,
        *,
        surcharges: Mapping[str, int] | None = None,
        allow_unpriced: bool = False,
        trust_validation: bool = False,
    ) -> None:
        if max_credits < 0:
            raise ValueError("the budget cannot be negative")
        self.max_credits = max_credits
        self.surcharges = dict(surcharges or {})
        self.allow_unpriced = allow_unpriced
        self.trust_validation = trust_validation
        self._lock = threading.Lock()
        self._held = 0
        self._tasks: dict[str, int] = {}

    @property
    def spent(self) -> int:
        """Credits reserved by the tasks created so far."""
        with self._lock:
            return sum(self._tasks.values())

    @property
    def remaining(self) -> int:
        """Credits still free: the limit less what is spent and what is held for creates."""
        with self._lock:
            return self.max_credits - sum(self._tasks.values()) - self._held

    def price(self, body: bytes) -> int | None:
        """Return what a create with this JSON body reserves, or None when it cannot be known.

        With ``trust_validation``, a body the contract rejects costs 0.
        """
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = None
        if self.trust_validation and contract().validate_generation_request(parsed):
            return 0
        if not isinstance(parsed, dict):
            return None
        card = contract().cards.get(parsed.get("model"))  # type: ignore[arg-type]
        if card is None:
            return None
        params = parsed.get("params")
        return card.price(params if isinstance(params, dict) else None, self.surcharges, parsed)

    def hold(self, body: bytes) -> Hold:
        """Hold the price of a create; raise ``BudgetExceeded`` when it does not fit."""
        price = self.price(body)
        if price is None:
            if not self.allow_unpriced:
                raise BudgetExceeded(
                    "refused a create whose price is unknown (no model card for its model, or "
                    "not a JSON object): it could exceed the credit budget"
                )
            price = 0
        with self._lock:
            used = sum(self._tasks.values()) + self._held
            if used + price > self.max_credits:
                raise BudgetExceeded(
                    f"refused a create costing {price} credits: {used} of the "
                    f"{self.max_credits}-credit budget are already spent or held"
                )
            self._held += price
        return Hold(price)

    def settle(self, hold: Hold, status: int, body: bytes) -> None:
        """Replace a hold by what the answer says the task reserved (nothing for an error)."""
        task: Any = None
        if 200 <= status < 300:
            try:
                task = json.loads(body)
            except ValueError:
                task = None
        with self._lock:
            self._held -= hold.credits
            if not 200 <= status < 300:
                return
            if not isinstance(task, dict) or not isinstance(task.get("id"), str):
                # An answer we cannot read: count the estimate, to stay on the safe side.
                self._tasks[f"unknown-{len(self._tasks)}"] = hold.credits
                return
            reserved = task.get("reserved_credits")
            credits = reserved if isinstance(reserved, int) else hold.credits
            self._tasks.setdefault(task["id"], credits)

    def release(self, hold: Hold) -> None:
        """Drop a hold whose request never got an answer, counting it as spent to be safe."""
        with self._lock:
            self._held -= hold.credits
            self._tasks[f"unanswered-{len(self._tasks)}"] = hold.credits


class WrappingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A transport that sends through ``inner`` (sync, async or both) and closes it."""

    inner: httpx.BaseTransport | httpx.AsyncBaseTransport

    def close(self) -> None:
        """Close the inner transport."""
        if isinstance(self.inner, httpx.BaseTransport):
            self.inner.close()

    async def aclose(self) -> None:
        """Close the inner transport."""
        if isinstance(self.inner, httpx.AsyncBaseTransport):
            await self.inner.aclose()


class BudgetTransport(WrappingTransport):
    """Wraps a transport (sync, async or both) and enforces a ``Budget`` on creates.

    With ``api_key`` set, only creates sent with that key count (others cannot
    spend its wallet); without it, every create counts.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | httpx.AsyncBaseTransport,
        budget: Budget,
        api_key: str | None = None,
    ) -> None:
        self.inner = inner
        self.budget = budget
        self.api_key = api_key

    def _counts(self, request: httpx.Request) -> bool:
        if request.method != "POST" or not request.url.path.rstrip("/").endswith(CREATE_PATH):
            return False
        token = bearer_token(request.headers.get("authorization"))
        return self.api_key is None or token == self.api_key

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport, holding a create's price first."""
        if not isinstance(self.inner, httpx.BaseTransport):
            raise TypeError("the inner transport is async only")
        if not self._counts(request):
            return self.inner.handle_request(request)
        hold = self.budget.hold(request.read())
        try:
            response = self.inner.handle_request(request)
            body = response.read()
        except BaseException:
            self.budget.release(hold)
            raise
        self.budget.settle(hold, response.status_code, body)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the inner transport, holding a create's price first."""
        if not isinstance(self.inner, httpx.AsyncBaseTransport):
            raise TypeError("the inner transport is sync only")
        if not self._counts(request):
            return await self.inner.handle_async_request(request)
        hold = self.budget.hold(await request.aread())
        try:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
        except BaseException:
            self.budget.release(hold)
            raise
        self.budget.settle(hold, response.status_code, body)
        return response
