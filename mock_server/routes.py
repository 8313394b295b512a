"""The one route table: method, path, scope, body kind and handler of every endpoint."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rivya_contract.mock_server import catalog, control_api, files, generations
from rivya_contract.mock_server.exchange import Call, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

Handler = Callable[[Call, "Mock"], Reply]
BodyKind = Literal["none", "json", "upload"]

API_PREFIX = "/api/v1"
CONTROL_PREFIX = "/__mock__"
"""Every control API path starts with this, then a slash."""


@dataclass(frozen=True)
class Route:
    """One endpoint."""

    method: str
    path: str
    """Path template; ``{name}`` matches one path segment."""
    handler: Handler
    scope: str | None
    """The key scope required; None for public endpoints."""
    body: BodyKind = "none"
    name: str = ""

    @property
    def in_api(self) -> bool:
        """Return whether the route is part of the public API (under /api/v1)."""
        return self.path.startswith(API_PREFIX + "/")

    @property
    def is_control(self) -> bool:
        """Return whether the route is part of the control API (under /__mock__)."""
        return self.path.startswith(CONTROL_PREFIX + "/")


_M = CONTROL_PREFIX
_C = control_api
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("POST", f"{_M}/reset", _C.reset, None, name="mockReset"),
    Route("GET", f"{_M}/accounts", _C.list_accounts, None, name="mockListAccounts"),
    Route("POST", f"{_M}/accounts", _C.create_account, None, "json", "mockCreateAccount"),
    Route("GET", f"{_M}/accounts/{{accountId}}", _C.get_account, None, name="mockGetAccount"),
    Route(
        "PUT",
        f"{_M}/accounts/{{accountId}}/balance",
        _C.set_balance,
        None,
        "json",
        "mockSetBalance",
    ),
    Route("POST", f"{_M}/keys", _C.issue_key, None, "json", "mockIssueKey"),
    Route("GET", f"{_M}/clock", _C.get_clock, None, name="mockGetClock"),
    Route("POST", f"{_M}/clock", _C.advance_clock, None, "json", "mockAdvanceClock"),
    Route("GET", f"{_M}/scripts", _C.list_scripts, None, name="mockListScripts"),
    Route("POST", f"{_M}/scripts", _C.add_script, None, "json", "mockAddScript"),
    Route("DELETE", f"{_M}/scripts", _C.clear_scripts, None, name="mockClearScripts"),
    Route("DELETE", f"{_M}/scripts/{{itemId}}", _C.remove_item, None, name="mockRemoveScript"),
    Route("GET", f"{_M}/faults", _C.list_faults, None, name="mockListFaults"),
    Route("POST", f"{_M}/faults", _C.add_fault, None, "json", "mockAddFault"),
    Route("DELETE", f"{_M}/faults", _C.clear_faults, None, name="mockClearFaults"),
    Route("DELETE", f"{_M}/faults/{{itemId}}", _C.remove_item, None, name="mockRemoveFault"),
    Route("GET", f"{_M}/journal", _C.read_journal, None, name="mockReadJournal"),
    Route("DELETE", f"{_M}/journal", _C.clear_journal, None, name="mockClearJournal"),
)
"""The control API (served unless ``config.control`` is off); no key scope, admin token only."""

ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/v1/models", catalog.list_models, None, name="listModels"),
    Route(
        "POST",
        "/api/v1/generations",
        generations.create,
        "generations:create",
        "json",
        "createGeneration",
    ),
    Route(
        "GET",
        "/api/v1/generations/{taskId}",
        generations.poll,
        "generations:read",
        name="getGeneration",
    ),
    Route("POST", "/api/v1/files", files.upload, "files:create", "upload", "uploadFile"),
    Route("GET", "/api/v1/files/{fileId}", files.metadata, "files:read", name="getFile"),
    Route("GET", "/api/v1/credits", catalog.credits, "credits:read", name="getCredits"),
    Route("GET", "/api/v1/openapi.json", catalog.openapi, None, name="getOpenApi"),
    Route("GET", "/media/results/{taskId}/{index}", catalog.result_media, None, name="resultMedia"),
    Route("GET", "/media/files/{fileId}", files.content, None, name="fileContent"),
    *CONTROL_ROUTES,
)


class Router:
    """Matches a method and path to a route: static paths by lookup, templates by regex."""

    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes
        self._static: dict[str, dict[str, Route]] = {}
        self._templates: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        compiled: dict[str, dict[str, Route]] = {}
        for route in routes:
            if "{" not in route.path:
                self._static.setdefault(route.path, {})[route.method] = route
            else:
                compiled.setdefault(route.path, {})[route.method] = route
        for template, by_method in compiled.items():
            pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
            self._templates.append((re.compile(f"^{pattern}$"), by_method))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Return (route, path params, path known): the route is None when nothing matches."""
        by_method = self._static.get(path)
        params: dict[str, str] = {}
        if by_method is None:
            for pattern, candidates in self._templates:
                found = pattern.match(path)
                if found:
                    by_method, params = candidates, found.groupdict()
                    break
        if by_method is None:
            return None, {}, False
        return by_method.get(method), params, True
