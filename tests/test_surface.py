"""The surface file is the one description of every operation: router, handlers and both
documents agree with it."""

from __future__ import annotations

from typing import Any

import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.mock_server.paths import PathPattern, template_regex
from rivya_contract.mock_server.routes import HANDLERS, Route, Router, check_handlers
from rivya_contract.schemas import Operation, contract, surface
from rivya_contract.schemas.surface import Group, Surface

DOCUMENTED = {
    ("GET", "/api/v1/models"): None,
    ("POST", "/api/v1/generations"): "generations:create",
    ("GET", "/api/v1/generations/{taskId}"): "generations:read",
    ("POST", "/api/v1/files"): "files:create",
    ("GET", "/api/v1/files/{fileId}"): "files:read",
    ("GET", "/api/v1/credits"): "credits:read",
    ("GET", "/api/v1/openapi.json"): None,
    ("GET", "/api/v1/webhooks"): "webhooks:manage",
    ("POST", "/api/v1/webhooks"): "webhooks:manage",
    ("GET", "/api/v1/webhooks/{endpointId}"): "webhooks:manage",
    ("PATCH", "/api/v1/webhooks/{endpointId}"): "webhooks:manage",
    ("DELETE", "/api/v1/webhooks/{endpointId}"): "webhooks:manage",
    ("POST", "/api/v1/webhooks/{endpointId}/rotate-secret"): "webhooks:manage",
    ("POST", "/api/v1/webhooks/{endpointId}/test"): "webhooks:manage",
    ("GET", "/api/v1/webhooks/{endpointId}/deliveries"): "webhooks:manage",
    ("GET", "/api/v1/webhook-events"): "webhooks:manage",
}
"""The surface table of the API docs: the oracle the data file must match."""

DOCUMENT = Mock(MockConfig(admin_token="t")).backend.document


def _document(group: str = "api") -> dict[str, Any]:
    """Return the document of ``group``: the Rivya API's, or the control API's own."""
    import json

    found: dict[str, Any] = json.loads(DOCUMENT(part="control" if group == "control" else "api"))
    return found


def test_the_public_operations_are_the_documented_ones() -> None:
    api = {(op.method, op.path): op.scope for op in surface().group("api")}
    assert api == DOCUMENTED


def test_every_operation_has_a_handler_and_every_handler_an_operation() -> None:
    check_handlers(surface().operations, HANDLERS)
    with pytest.raises(ValueError, match="without a handler: \\['listModels'\\]"):
        check_handlers(
            surface().operations, {k: v for k, v in HANDLERS.items() if k != "listModels"}
        )
    with pytest.raises(ValueError, match="handlers without one: \\['stray'\\]"):
        check_handlers(surface().operations, {**HANDLERS, "stray": HANDLERS["listModels"]})


@pytest.mark.parametrize(
    "op", [op for op in surface().operations if op.group != "media"], ids=lambda op: op.id
)
def test_the_openapi_document_agrees_with_each_entry(op: Operation) -> None:
    operation = _document(op.group)["paths"][op.path][op.method.lower()]
    assert operation["operationId"] == op.id
    assert str(op.status) in operation["responses"]
    assert operation.get("x-required-scope") == op.scope
    statuses = {contract().status_of(code) for code in op.codes}
    assert statuses <= {int(status) for status in operation["responses"]}
    listed = " ".join(
        response.get("description", "") for response in operation["responses"].values()
    )
    for code in op.codes:
        assert f"`{code}`" in listed


@pytest.mark.parametrize("group", ["api", "control"])
def test_each_document_has_exactly_its_groups_operations(group: Group) -> None:
    ops = {(op.method.lower(), op.path) for op in surface().group(group)}
    listed = {(method, path) for path, item in _document(group)["paths"].items() for method in item}
    assert listed == ops


def test_a_served_mock_routes_exactly_the_surface() -> None:
    mock = Mock()
    routes = mock.api.router.routes
    assert {route.op.id for route in routes} == {op.id for op in surface().operations}
    off = Mock(MockConfig(control=False)).api.router.routes
    assert {route.op.group for route in off} == {"api", "media"}


def test_a_configured_success_status_comes_from_the_setting() -> None:
    mock = Mock(MockConfig(create_status=201, upload_status=200))
    status = {route.op.id: route.status for route in mock.api.router.routes}
    assert (status["createGeneration"], status["uploadFile"], status["getCredits"]) == (
        201,
        200,
        200,
    )


def test_literal_path_parts_are_escaped() -> None:
    op = surface()["getOpenApi"]
    router = Router([Route(op, HANDLERS[op.id], 200)])
    assert router.match("GET", "/api/v1/openapi.json")[0] is not None
    dotted = Operation.from_raw({**_raw("getOpenApi"), "operationId": "x", "path": "/a.b/{id}"})
    regex = template_regex(dotted.path)
    assert regex.fullmatch("/a.b/7") is not None
    assert regex.fullmatch("/aXb/7") is None
    assert not PathPattern.parse("/a.b/{id}").matches("/a-b/7")


def test_duplicate_path_params_are_refused() -> None:
    with pytest.raises(ValueError, match="'id' appears twice"):
        template_regex("/a/{id}/b/{id}")


def test_duplicate_operations_are_refused() -> None:
    raw = {"mock_codes": {}, "operations": [_raw("listModels"), _raw("listModels")]}
    with pytest.raises(ValueError, match="listModels appears twice"):
        Surface.from_raw(raw)
    moved = {**_raw("listModels"), "operationId": "other"}
    with pytest.raises(ValueError, match="GET /api/v1/models appears twice"):
        Surface.from_raw({"mock_codes": {}, "operations": [_raw("listModels"), moved]})


def test_every_code_an_operation_names_has_a_status() -> None:
    for op in surface().operations:
        for code in op.codes:
            assert code in contract().error_status or code in surface().mock_codes, (op.id, code)


def _raw(operation_id: str) -> dict[str, Any]:
    import json

    from rivya_contract.schemas import SCHEMA_DIR

    raw = json.loads((SCHEMA_DIR / "surface.json").read_text())
    found: dict[str, Any] = next(o for o in raw["operations"] if o["operationId"] == operation_id)
    return found
