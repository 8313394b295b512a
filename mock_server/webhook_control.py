"""``mock.control.webhooks``: scenario control of deliveries from Python.

Delivery faults (duplicate, reorder, delay, drop, mis-sign), resending an event, in-process
receivers and flushing what is due. The fields are those of
``control.schema.json#/$defs/webhook-fault``, checked by the one validator every front end
uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rivya_contract.mock_server.specs import given
from rivya_contract.mock_server.webhook_faults import DeliveryFault, Signing
from rivya_contract.mock_server.webhook_records import Attempt

if TYPE_CHECKING:
    from rivya_contract.mock_server.webhook_backend import Webhooks


class WebhookControl:
    """Scenario control of one mock's webhook deliveries."""

    def __init__(self, webhooks: Webhooks) -> None:
        self._webhooks = webhooks
        self._faults = webhooks.dispatcher.faults

    @property
    def faults(self) -> list[DeliveryFault]:
        """The delivery faults still waiting, in the order they are tried."""
        return self._faults.all()

    def fault(
        self,
        *,
        duplicate: int | None = None,
        delay: float | None = None,
        drop: bool | None = None,
        reorder: bool | None = None,
        sign: Signing | None = None,
        endpoint_id: str | None = None,
        event_type: str | None = None,
        event_id: str | None = None,
        task_id: str | None = None,
        times: int | None = 1,
    ) -> DeliveryFault:
        """Act on the next ``times`` attempts matching every given field.

        ``duplicate`` sends that many extra copies; ``delay`` puts the attempt off by that
        many seconds on the mock's clock; ``drop`` loses it on the way (it counts as a
        failure and is retried); ``reorder`` holds it back until the endpoint's next attempt
        has gone out; ``sign`` is ``"bad"`` (a wrong signature), ``"stale"`` or ``"future"``
        (a timestamp an hour off). Raises ``SpecError`` naming a bad field.
        """
        fields = given(
            duplicate=duplicate,
            delay=delay,
            drop=drop,
            reorder=reorder,
            sign=sign,
            endpoint_id=endpoint_id,
            event_type=event_type,
            event_id=event_id,
            task_id=task_id,
            times=times,
        )
        return self.add_fault(fields)

    def add_fault(self, fields: dict[str, Any]) -> DeliveryFault:
        """Add the delivery fault ``fields`` describe (the control API's body); see ``fault``."""
        return self._faults.add(fields)

    def clear(self) -> int:
        """Remove every delivery fault; return how many there were."""
        return self._faults.clear()

    def resend(self, event_id: str, endpoint_id: str | None = None) -> int:
        """Send an event again, same webhook-id; return how many deliveries that makes."""
        return self._webhooks.resend(event_id, endpoint_id)

    def attempts(self, limit: int = 200) -> list[Attempt]:
        """Return at most ``limit`` delivery attempts across every account, newest first."""
        return self._webhooks.store.recent_attempts(limit)

    def route(self, prefix: str, target: Any) -> None:
        """Deliver to URLs starting with ``prefix`` in process, with no socket.

        ``target`` is an ASGI app, or a callable taking an ``httpx.Request`` and returning
        an ``httpx.Response``.
        """
        self._webhooks.dispatcher.sender.route(prefix, target)

    def flush(self) -> None:
        """Make every attempt due now, in this thread; when it returns, they were all tried."""
        self._webhooks.dispatcher.flush()
