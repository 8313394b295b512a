"""The OpenAPI document as this mock serves it: the contract's, with the mock's own statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rivya_contract.schemas.openapi import build_openapi

if TYPE_CHECKING:
    from rivya_contract.mock_server.mock import Mock


def served_document(mock: Mock) -> dict[str, Any]:
    """Return the OpenAPI document for ``mock``'s configured success statuses."""
    return build_openapi(
        create_status=mock.config.create_status, upload_status=mock.config.upload_status
    )
