"""Read-only endpoints: the model list, the OpenAPI document, credits, and result media."""

from __future__ import annotations

import json
import zlib
from functools import cache
from typing import TYPE_CHECKING

from rivya_contract.mock_server import media
from rivya_contract.mock_server.exchange import ApiError, Call, Reply
from rivya_contract.schemas import contract

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock


@cache
def _models_body() -> bytes:
    listing = {"object": "list", "data": [card.listing() for card in contract().cards.values()]}
    return json.dumps(listing, separators=(",", ":")).encode()


def list_models(call: Call, mock: Mock) -> Reply:
    """Return the public model list (built once)."""
    return Reply(200, _models_body())


def openapi(call: Call, mock: Mock) -> Reply:
    """Return the OpenAPI document this mock serves (built once per mock)."""
    return Reply(200, mock.openapi_bytes())


def credits(call: Call, mock: Mock) -> Reply:
    """Return the caller's balance after settling every task that has finished."""
    assert call.account_id is not None
    return Reply.json(200, {"current_credits": mock.balance(call.account_id).balance})


def result_media(call: Call, mock: Mock) -> Reply:
    """Serve a succeeded task's result: a PNG sized to its aspect ratio, or a sample file."""
    task = mock.task(call.path_params["taskId"])
    path = call.path
    if task is None or path not in task.result_paths:
        raise ApiError("not_found", "No such result.")
    if task.status_at(mock.clock.now()) != "succeeded":
        raise ApiError("not_found", "The result is not ready.")
    card = contract().cards[task.model]
    if card.output_mime_type != "image/png":
        return Reply(200, media.sample(card.output_mime_type), content_type=card.output_mime_type)
    ratio = str(task.params.get(card.ratio_param or "", "1:1"))
    width, height = media.size_for_ratio(ratio)
    data = media.png(width, height, seed=zlib.crc32(path.encode()))
    return Reply(200, data, content_type="image/png")
