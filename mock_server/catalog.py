"""Read-only endpoints: the model list, the OpenAPI document, credits, and result media."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rivya_contract.mock_server.exchange import Call, Reply

if TYPE_CHECKING:
    from rivya_contract.mock_server.backend import Backend


def list_models(call: Call, backend: Backend) -> Reply:
    """Answer the public model list (built once)."""
    return Reply(call.ok, backend.models())


def openapi(call: Call, backend: Backend) -> Reply:
    """Answer the Rivya API's OpenAPI document, this mock's URL first in ``servers``."""
    return Reply(call.ok, backend.document(call.base_url))


def credits(call: Call, backend: Backend) -> Reply:
    """Answer the caller's balance, every finished task settled."""
    assert call.account_id is not None
    return Reply.json(call.ok, {"current_credits": backend.balance(call.account_id).balance})


def result_media(call: Call, backend: Backend) -> Reply:
    """Serve a succeeded task's result file."""
    data, mime = backend.result(call.path, call.path_params["taskId"])
    return Reply(call.ok, data, content_type=mime)
