"""The router: every operation of ``surface.json`` bound to its handler.

``HANDLERS`` maps each operationId to the function that parses its call and
renders its reply. API and media handlers take ``(call, backend)``, control
handlers ``(call, controller)``. A surface operation without a handler, or a
handler without an operation, fails at import.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rivya_contract.mock_server import (
    catalog,
    control_api,
    control_views,
    dashboard,
    files,
    generations,
    webhook_control_api,
    webhooks,
)
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.mock_server.paths import template_regex
from rivya_contract.schemas import Operation, surface

Handler = Callable[[Call, Any], Reply]

_C = control_api
_V = control_views
HANDLERS: dict[str, Handler] = {
    "listModels": catalog.list_models,
    "createGeneration": generations.create,
    "getGeneration": generations.poll,
    "uploadFile": files.upload,
    "getFile": files.metadata,
    "getCredits": catalog.credits,
    "getOpenApi": catalog.openapi,
    "resultMedia": catalog.result_media,
    "fileContent": files.content,
    "mockReset": _C.reset,
    "mockOpenApi": _C.openapi,
    "mockListAccounts": _C.list_accounts,
    "mockCreateAccount": _C.create_account,
    "mockGetAccount": _C.get_account,
    "mockSetBalance": _C.set_balance,
    "mockIssueKey": _C.issue_key,
    "mockGetClock": _C.get_clock,
    "mockAdvanceClock": _C.advance_clock,
    "mockListScripts": _C.list_scripts,
    "mockAddScript": _C.add_script,
    "mockClearScripts": _C.clear_scripts,
    "mockRemoveScript": _C.remove_item,
    "mockListFaults": _C.list_faults,
    "mockAddFault": _C.add_fault,
    "mockClearFaults": _C.clear_faults,
    "mockRemoveFault": _C.remove_item,
    "mockReadJournal": _C.read_journal,
    "mockClearJournal": _C.clear_journal,
    "mockListTasks": _V.list_tasks,
    "mockListKeys": _V.list_keys,
    "mockRevokeKey": _V.revoke_key,
    "mockExpireKey": _V.expire_key,
    "mockGrantCredits": _V.grant_credits,
    "mockHealth": _V.health,
    "mockMetrics": _V.metrics,
    "mockDashboard": dashboard.page,
    "mockDashboardAsset": dashboard.asset,
    "createWebhookEndpoint": webhooks.create,
    "listWebhookEndpoints": webhooks.list_endpoints,
    "getWebhookEndpoint": webhooks.get,
    "updateWebhookEndpoint": webhooks.update,
    "deleteWebhookEndpoint": webhooks.delete,
    "rotateWebhookSecret": webhooks.rotate,
    "testWebhookEndpoint": webhooks.test,
    "listWebhookDeliveries": webhooks.deliveries,
    "listWebhookEvents": webhooks.events,
    "mockListWebhookFaults": webhook_control_api.list_faults,
    "mockAddWebhookFault": webhook_control_api.add_fault,
    "mockClearWebhookFaults": webhook_control_api.clear_faults,
    "mockResendWebhookEvent": webhook_control_api.resend,
    "mockListWebhookDeliveries": webhook_control_api.list_deliveries,
}
"""The handler of every operationId in ``surface.json``."""


def check_handlers(operations: Iterable[Operation], handlers: dict[str, Handler]) -> None:
    """Raise ValueError unless every operation has a handler and every handler an operation."""
    ids = {op.id for op in operations}
    missing = sorted(ids - set(handlers))
    extra = sorted(set(handlers) - ids)
    if missing or extra:
        raise ValueError(f"operations without a handler: {missing}; handlers without one: {extra}")


check_handlers(surface().operations, HANDLERS)


@dataclass(frozen=True)
class Route:
    """An operation bound to its handler and its configured success status."""

    op: Operation
    handler: Handler
    status: int


class Router:
    """Matches a method and path to a route: static paths by lookup, templates by regex."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        self._static: dict[str, dict[str, Route]] = {}
        templated: dict[str, dict[str, Route]] = {}
        for route in self.routes:
            target = templated if "{" in route.op.path else self._static
            target.setdefault(route.op.path, {})[route.op.method] = route
        self._templates: list[tuple[re.Pattern[str], dict[str, Route]]] = [
            (template_regex(template), by_method) for template, by_method in templated.items()
        ]

    def unrouted(self, method: str, path: str, known: bool) -> ApiError:
        """Return the error of a request no route takes.

        A control API path asked with another method is ``405 mock_method_not_allowed``
        with an ``Allow`` header; anything else is the API's ``404 not_found``.
        """
        if known:
            routes = list(self._routes_of(path).values())
            if routes and routes[0].op.group == "control":
                allowed = ", ".join(sorted(route.op.method for route in routes))
                return ApiError(
                    "mock_method_not_allowed",
                    f"{method} is not served at {path}; it serves {allowed}",
                    headers={"Allow": allowed},
                )
        where = "no such endpoint" if not known else f"{method} is not served here"
        return ApiError("not_found", f"{where}: {method} {path}")

    def _routes_of(self, path: str) -> dict[str, Route]:
        found = self._static.get(path)
        if found is None:
            for pattern, candidates in self._templates:
                if pattern.fullmatch(path):
                    return candidates
        return found or {}

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, path params, path known): the route is None when nothing matches."""
        by_method = self._static.get(path)
        params: dict[str, str] = {}
        if by_method is None:
            for pattern, candidates in self._templates:
                found = pattern.fullmatch(path)
                if found:
                    by_method, params = candidates, found.groupdict()
                    break
        if by_method is None:
            return None, {}, False
        return by_method.get(method), params, True
