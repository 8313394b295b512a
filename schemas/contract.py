"""The contract loaded from the schema files: compiled validators and model cards."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rivya_contract.schemas.cards import ModelCard, UploadPolicy
from rivya_contract.schemas.errors import FieldError, _shown, field_errors
from rivya_contract.schemas.surface import Surface

SCHEMA_DIR = Path(__file__).parent
"""The folder holding the schema files and the model cards."""

URN_PREFIX = "urn:rivya:schema:"
"""The prefix of every schema's ``$id``; the rest is the file's stem."""


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@dataclass(frozen=True)
class Contract:
    """Every schema, model card and compiled validator of the Rivya API v1.

    Built once per process by :func:`contract`; read-only afterwards.
    """

    schemas: Mapping[str, dict[str, Any]]
    """Schema documents by name (the file stem, e.g. ``"task"``)."""
    cards: Mapping[str, ModelCard]
    """Model cards by model id, in catalog order."""
    default_upload_policy: UploadPolicy
    """The Files API's limits when no model is named."""
    error_status: Mapping[str, int]
    """The HTTP status of each documented error code."""
    surface: Surface
    """Every operation of the public API, its media URLs and the control API."""
    registry: Registry[Any]
    """Every schema, addressable by its ``urn:rivya:schema:`` id."""
    _validators: Mapping[str, Draft202012Validator]
    _envelope: Draft202012Validator
    _control: Mapping[str, Draft202012Validator]

    def with_cards(self, cards: Mapping[str, ModelCard]) -> Contract:
        """Return this contract with ``cards`` added, a card of the same id replacing its own."""
        return dataclasses.replace(self, cards={**self.cards, **cards})

    def validator(self, name: str) -> Draft202012Validator:
        """Return the compiled validator of the schema called ``name``."""
        return self._validators[name]

    def validate(self, name: str, instance: object) -> list[FieldError]:
        """Validate ``instance`` against schema ``name``; return its errors, empty when valid."""
        return field_errors(self._validators[name].iter_errors(instance))

    def control_validator(self, name: str) -> Draft202012Validator:
        """Return the compiled validator of a control API shape (``control.schema.json``)."""
        found = self._control.get(name)
        if found is None:
            raise KeyError(f"control.schema.json has no $defs/{name}")
        return found

    def status_of(self, code: str) -> int:
        """Return the HTTP status of a documented or mock error code; 500 for any other."""
        return self.error_status.get(code) or self.surface.mock_codes.get(code, 500)

    def validate_generation_request(
        self, body: object, *, ignore_unknown_params: bool = False
    ) -> list[FieldError]:
        """Validate a ``POST /generations`` body against the envelope and its model's card.

        Returns one :class:`FieldError` per failing field, each naming the
        field's JSON path (``$.params.aspect_ratio``); an empty list means the
        request is valid. With ``ignore_unknown_params`` unknown ``params``
        keys are not errors.
        """
        if not isinstance(body, dict):
            return [FieldError("$", "the request body must be a JSON object")]
        model = body.get("model")
        card = self.cards.get(model) if isinstance(model, str) else None
        if card is None:
            errors = field_errors(self._envelope.iter_errors(body))
            if isinstance(model, str) and model:
                errors.insert(0, FieldError("$.model", f"unknown model {_shown(model)}"))
            return errors
        check = card.request_check
        if check is not None and check(body):  # the validator would find nothing
            return []
        errors = field_errors(card.request_validator.iter_errors(body))
        if ignore_unknown_params:
            errors = [e for e in errors if not e.unknown_param]
        return errors


def _registry(schemas: Mapping[str, dict[str, Any]]) -> Registry[Any]:
    resources = [
        (doc["$id"], Resource.from_contents(doc, default_specification=DRAFT202012))
        for doc in schemas.values()
    ]
    return Registry().with_resources(resources)


def _load_schemas() -> dict[str, dict[str, Any]]:
    schemas = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        document = _read(path)
        name = path.name.removesuffix(".schema.json")
        if document.get("$id") != URN_PREFIX + name:
            raise ValueError(f"{path.name}: $id must be {URN_PREFIX + name}")
        schemas[name] = document
    return schemas


def _error_status(error_schema: Mapping[str, Any]) -> dict[str, int]:
    codes = error_schema["properties"]["error"]["properties"]["code"]["x-codes"]
    return {code: spec["status"] for code, spec in codes.items()}


def _card_order(paths: Iterable[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: p.stem)


class CardError(ValueError):
    """A model card that breaks ``model-card.schema.json``; the message names file and field."""


def card_from_raw(raw: Any, origin: str, contract_: Contract | None = None) -> ModelCard:
    """Check one card's JSON form and build it; ``origin`` names it in errors (a file path).

    Raises:
        CardError: Naming ``origin`` and the first field that breaks the card schema.

    """
    c = contract_ or contract()
    problems = field_errors(c.validator("model-card").iter_errors(raw))
    if problems:
        raise CardError(f"model card {origin}: {problems[0]}")
    return ModelCard.from_raw(raw, c.schemas, c.registry)


def load_cards(folder: Path, contract_: Contract | None = None) -> dict[str, ModelCard]:
    """Load every ``*.json`` card of ``folder``, by model id; each id must equal its file name.

    Raises:
        CardError: For a file that is not JSON, breaks the card schema, or is misnamed.

    """
    cards: dict[str, ModelCard] = {}
    for path in _card_order(folder.glob("*.json")):
        try:
            raw = _read(path)
        except (OSError, ValueError) as error:
            raise CardError(f"model card {path}: not readable JSON: {error}") from None
        card = card_from_raw(raw, str(path), contract_)
        if card.id != path.stem:
            raise CardError(f"model card {path}: $.id: {card.id!r} must equal the file name")
        cards[card.id] = card
    return cards


@cache
def contract() -> Contract:
    """Load, check and compile the contract; the result is cached for the process."""
    schemas = _load_schemas()
    registry = _registry(schemas)
    policy_check = Draft202012Validator(schemas["upload-policy"], registry=registry)
    defaults_raw = _read(SCHEMA_DIR / "upload-defaults.json")
    if policy_check.is_valid(defaults_raw) is False:
        raise ValueError("upload-defaults.json does not match upload-policy.schema.json")
    validators = {
        name: Draft202012Validator(doc, registry=registry) for name, doc in schemas.items()
    }
    surface_raw = _read(SCHEMA_DIR / "surface.json")
    problems = field_errors(validators["surface"].iter_errors(surface_raw))
    if problems:
        raise ValueError(f"surface.json: {problems[0]}")
    control_id = schemas["control"]["$id"]
    control = {
        name: Draft202012Validator({"$ref": f"{control_id}#/$defs/{name}"}, registry=registry)
        for name in schemas["control"]["$defs"]
    }
    bare = Contract(
        schemas=schemas,
        cards={},
        default_upload_policy=UploadPolicy.from_raw(defaults_raw),
        error_status=_error_status(schemas["error"]),
        surface=Surface.from_raw(surface_raw),
        registry=registry,
        _validators=validators,
        _envelope=validators["generation-request"],
        _control=control,
    )
    return bare.with_cards(load_cards(SCHEMA_DIR / "models", bare))


def schema(name: str) -> dict[str, Any]:
    """Return a deep copy of the schema document called ``name`` (the file stem)."""
    return copy.deepcopy(contract().schemas[name])
