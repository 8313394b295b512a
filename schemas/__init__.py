"""The Rivya API v1 contract as data: JSON Schemas, model cards and the OpenAPI document.

Everything else in rivya-contract reads the contract through this package:

>>> from rivya_contract.schemas import validate_generation_request
>>> validate_generation_request({"model": "grok-imagine", "prompt": "a red fox"})
[]
"""

from __future__ import annotations

from typing import Any

from rivya_contract.schemas.cards import (
    REFERENCE_ITEMS,
    KindPolicy,
    ModelCard,
    Surcharge,
    UploadPolicy,
)
from rivya_contract.schemas.contract import SCHEMA_DIR, Contract, contract, schema
from rivya_contract.schemas.errors import FieldError, json_path
from rivya_contract.schemas.surface import API_PREFIX, CONTROL_PREFIX, Operation, Surface

__all__ = [
    "API_PREFIX",
    "CONTROL_PREFIX",
    "REFERENCE_ITEMS",
    "SCHEMA_DIR",
    "Contract",
    "FieldError",
    "KindPolicy",
    "ModelCard",
    "Operation",
    "Surcharge",
    "Surface",
    "UploadPolicy",
    "contract",
    "json_path",
    "model_card",
    "model_cards",
    "schema",
    "surface",
    "validate",
    "validate_generation_request",
]


def model_cards() -> dict[str, ModelCard]:
    """Return every model card by model id."""
    return dict(contract().cards)


def model_card(model_id: str) -> ModelCard | None:
    """Return the card of ``model_id``, or None when no such public model exists."""
    return contract().cards.get(model_id)


def surface() -> Surface:
    """Return every operation the mock serves (``surface.json``)."""
    return contract().surface


def validate(name: str, instance: object) -> list[FieldError]:
    """Validate ``instance`` against the schema called ``name`` (``"task"``, ``"file"``, ...)."""
    return contract().validate(name, instance)


def validate_generation_request(
    body: Any, *, ignore_unknown_params: bool = False
) -> list[FieldError]:
    """Validate a ``POST /api/v1/generations`` body; return one error per failing field."""
    return contract().validate_generation_request(body, ignore_unknown_params=ignore_unknown_params)
