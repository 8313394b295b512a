"""Request validation as the API answers it: the create's card and params, or one refusal.

A refusal is ``validation_failed`` naming at most ``MAX_SHOWN_ERRORS`` fields, each with
its message (``schemas.errors.FieldError``), and how many more there are. Both the
generations and the webhooks steps refuse through ``refuse``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.exchange import ApiError
from rivya_contract.schemas import ModelCard
from rivya_contract.schemas.contract import Contract

MAX_SHOWN_ERRORS = 5
"""Most field errors one answer names."""


def refuse(errors: Sequence[object]) -> None:
    """Raise ``validation_failed`` naming the first fields in ``errors``; nothing if none."""
    if not errors:
        return
    shown = "; ".join(str(error) for error in errors[:MAX_SHOWN_ERRORS])
    more = len(errors) - MAX_SHOWN_ERRORS
    raise ApiError("validation_failed", shown + (f" (and {more} more)" if more > 0 else ""))


def coerce_selects(body: dict[str, Any], cards: Mapping[str, ModelCard]) -> None:
    """Turn booleans and numbers given for select params into strings, in place."""
    card = cards.get(body.get("model"))  # type: ignore[arg-type]
    params = body.get("params")
    if card is None or not isinstance(params, dict):
        return
    properties = card.params_schema["properties"]
    for key, value in params.items():
        spec = properties.get(key, {})
        if "enum" in spec and isinstance(value, bool):
            params[key] = "true" if value else "false"
        elif "enum" in spec and isinstance(value, int | float):
            params[key] = f"{value:g}"


def validated_create(
    contract: Contract, config: MockConfig, body: Any
) -> tuple[ModelCard, dict[str, Any]]:
    """Return a create's card and params as the config reads them, or refuse it.

    ``contract`` is the mock's own (its cards); with ``coerce_selects`` select values are
    turned into strings first, with ``unknown_params = "ignore"`` unknown params dropped.
    """
    if config.coerce_selects and isinstance(body, dict):
        coerce_selects(body, contract.cards)
    ignore = config.unknown_params == "ignore"
    refuse(contract.validate_generation_request(body, ignore_unknown_params=ignore))
    card = contract.cards[body["model"]]
    params = dict(body.get("params") or {})
    if ignore:
        known = card.params_schema["properties"]
        params = {key: value for key, value in params.items() if key in known}
    return card, params
