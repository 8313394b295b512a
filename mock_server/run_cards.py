"""The cards a mock serves: the packaged catalog plus the config's own.

The config adds cards from ``models_dir`` and ``model_cards``, checked when the mock starts.
"""

from __future__ import annotations

from pathlib import Path

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.schemas import Contract, ModelCard, contract
from rivya_contract.schemas.contract import CardError, card_from_raw, load_cards


def contract_for(config: MockConfig) -> Contract:
    """Return the packaged contract with the config's own cards added.

    Cards of ``models_dir``, then ``model_cards``, each replace a packaged card
    of the same id.

    Raises:
        CardError: Naming the card's file (or ``model_cards[i]``) and the field at fault.

    """
    base = contract()
    cards: dict[str, ModelCard] = {}
    if config.models_dir:
        folder = Path(config.models_dir)
        if not folder.is_dir():
            raise CardError(f"models_dir {folder}: no such folder")
        cards.update(load_cards(folder, base))
    for index, raw in enumerate(config.model_cards):
        card = card_from_raw(raw, f"model_cards[{index}]", base)
        cards[card.id] = card
    return base.with_cards(cards) if cards else base
