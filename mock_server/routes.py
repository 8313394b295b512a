"""The one route table: method, path, scope, body kind and handler of every endpoint."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rivya_contract.mock_server import catalog, files, generations
from rivya_contract.mock_server.exchange import Call, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock

Handler = Callable[[Call, "Mock"], Reply]
BodyKind = Literal["none", "json", "upload"]

API_PREFIX = "/api/v1"


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
