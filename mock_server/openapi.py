"""The OpenAPI documents as this mock serves them: the Rivya API's, and its control API's.

The Rivya API's document (``/api/v1/openapi.json``) describes the Rivya API only,
with the mock's configured success statuses; the control API has a document of its
own (``/__mock__/openapi.json``). Each lists the URL it was asked at first in
``servers``, so clients generated from it talk to this mock.
"""

from __future__ import annotations

from typing import Any

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import Contract
from rivya_contract.schemas.openapi import build_openapi


def served_document(
    config: MockConfig, base_url: str | None = None, contract_: Contract | None = None
) -> dict[str, Any]:
    """Return the Rivya API's document for a mock's configured success statuses and cards.

    ``base_url``, the mock's own URL, comes first in ``servers`` when given.
    """
    return build_openapi(
        create_status=config.create_status,
        upload_status=config.upload_status,
        mock_url=base_url,
        contract_=contract_,
    )


def control_document(
    config: MockConfig, base_url: str | None = None, contract_: Contract | None = None
) -> dict[str, Any]:
    """Return the control API's document; its operations need the admin token when one is set.

    A script's ``model`` lists the models of ``contract_`` (the mock's cards).
    """
    from rivya_contract.mock_server.control_doc import control_openapi

    models = None if contract_ is None else sorted(contract_.cards)
    return control_openapi(admin=config.admin_token is not None, mock_url=base_url, models=models)
