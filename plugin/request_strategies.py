"""Valid create bodies, derived from each model's card (its request schema).

Nothing is restated: a new model card or a changed limit changes what they generate.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from hypothesis import strategies as st

from rivya_contract.plugin.schema_strategies import (
    from_schema,
    resolve,
)
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, contract


def cards_for(model: str | Iterable[str] | None) -> list[ModelCard]:
    """Return the cards of ``model`` (one id, several, or None for every card)."""
    cards = contract().cards
    names = list(cards) if model is None else [model] if isinstance(model, str) else list(model)
    unknown = [name for name in names if name not in cards]
    if unknown or not names:
        raise ValueError(f"no model card for {unknown or 'an empty model list'}")
    return [cards[name] for name in names]


def _request(
    card: ModelCard,
    references: st.SearchStrategy[dict[str, Any]] | None,
    include_references: bool,
    client_request_id: bool,
) -> st.SearchStrategy[dict[str, Any]]:
    flat = resolve(card.request_schema)
    fields = dict(flat["properties"])
    params_schema = resolve(fields.pop("params"))
    optional_params = dict(params_schema.get("properties", {}))
    param_strategies = {key: from_schema(spec) for key, spec in optional_params.items()}
    items_schema = optional_params.get(REFERENCE_ITEMS)
    if items_schema is not None:
        del param_strategies[REFERENCE_ITEMS]
        if include_references:
            items = references if references is not None else from_schema(items_schema["items"])
            param_strategies[REFERENCE_ITEMS] = st.lists(
                items,
                min_size=items_schema.get("minItems", 0),
                max_size=items_schema.get("maxItems"),
            )
    needed = set(params_schema.get("required", []))
    params = st.fixed_dictionaries(
        {k: v for k, v in param_strategies.items() if k in needed},
        optional={k: v for k, v in param_strategies.items() if k not in needed},
    )
    if not client_request_id:
        fields.pop("client_request_id", None)
    strategies = {name: from_schema(spec) for name, spec in fields.items()}
    strategies["params"] = params
    required = set(flat.get("required", []))
    return st.fixed_dictionaries(
        {k: v for k, v in strategies.items() if k in required},
        optional={k: v for k, v in strategies.items() if k not in required},
    )


@cache
def requests_for(
    model: str, include_references: bool, client_request_id: bool
) -> st.SearchStrategy[dict[str, Any]]:
    """Return the (cached) strategy of valid requests for one model."""
    card = contract().cards[model]
    return _request(card, None, include_references, client_request_id)


def generation_requests(
    model: str | Iterable[str] | None = None,
    *,
    references: st.SearchStrategy[dict[str, Any]] | None = None,
    include_references: bool = True,
    client_request_id: bool = True,
) -> st.SearchStrategy[dict[str, Any]]:
    """Draw valid ``POST /api/v1/generations`` bodies for ``model`` (one, several or all).

    Built from the model card's request schema: every optional field and
    param is independently present or absent, so every combination of params
    is reachable, each with any allowed value. Prompts are Unicode (four-byte
    characters included, no NUL or surrogates), from one character up to the
    model's limit, which is drawn often.

    ``references`` draws the items of ``params.referenceMediaItems``; by
    default they are any items the schema accepts (their URLs name no real
    upload, so a strict mock answers ``validation_failed``: pass items made
    from uploads, or ``include_references=False``). ``client_request_id=False``
    leaves that field out.
    """
    cards = cards_for(model)
    if references is None:
        options = [requests_for(c.id, include_references, client_request_id) for c in cards]
    else:
        options = [_request(c, references, include_references, client_request_id) for c in cards]
    return st.one_of(options)
