"""Shared builders for the schema tests: the two documented requests and a card lookup."""

from __future__ import annotations

from typing import Any

from rivya_contract.schemas import ModelCard, model_card

# The two requests of rivya-api.md ("Minimal request", "Reference-file request"),
# with the documented "..." prompt spelled out as the toolkit's example prompt.
PROMPT = "A clean editorial product image on a soft studio background"
MINIMAL_REQUEST: dict[str, Any] = {
    "model": "grok-imagine",
    "prompt": PROMPT,
    "params": {"aspect_ratio": "1:1", "enable_pro": "false"},
}
REFERENCE_REQUEST: dict[str, Any] = {
    "model": "grok-imagine",
    "prompt": PROMPT,
    "params": {
        "aspect_ratio": "1:1",
        "enable_pro": "false",
        "referenceMediaItems": [
            {
                "url": "https://cdn.example.com/reference-image.png",
                "kind": "image",
                "name": "reference-image.png",
                "mimeType": "image/png",
            }
        ],
    },
}
IMAGE_ITEM = {"url": "https://cdn.example.com/reference-image.png", "kind": "image"}


def card_for(model_id: str) -> ModelCard:
    """Return the loaded card of ``model_id``, failing the test if there is none."""
    card = model_card(model_id)
    assert card is not None, model_id
    return card
