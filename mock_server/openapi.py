"""The OpenAPI document as this mock serves it: the contract's, with the mock's own statuses."""

from __future__ import annotations

from typing import Any

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import Contract
from rivya_contract.schemas.openapi import build_openapi, component_name


def served_document(config: MockConfig, contract_: Contract | None = None) -> dict[str, Any]:
    """Return the OpenAPI document for a mock's configured success statuses.

    With the control API on, its endpoints are documented too, under their own tag.
    """
    if not config.control:
        return build_openapi(
            create_status=config.create_status,
            upload_status=config.upload_status,
            contract_=contract_,
        )
    from rivya_contract.mock_server.control_doc import TAG_DOC, control_paths

    admin = config.admin_token is not None
    error_ref = "#/components/schemas/" + component_name("error")
    document = build_openapi(
        create_status=config.create_status,
        upload_status=config.upload_status,
        extra_paths=control_paths(admin=admin, error_ref=error_ref),
        extra_tags=[TAG_DOC],
        contract_=contract_,
    )
    if admin:
        document["components"]["securitySchemes"]["mockAdmin"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer <the mock's --admin-token>",
        }
    return document
