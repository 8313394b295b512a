"""The schema folder as data: schema files, model cards, upload defaults, adding a model."""

from __future__ import annotations

import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from schema_support import IMAGE_ITEM, MINIMAL_REQUEST, card_for

from rivya_contract.schemas import REFERENCE_ITEMS, SCHEMA_DIR, Contract, contract

SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.schema.json"))
CARD_FILES = sorted((SCHEMA_DIR / "models").glob("*.json"))


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


# --- schema files and model cards ---------------------------------------------------------


def test_the_schema_folder_holds_the_expected_files() -> None:
    names = {path.name.removesuffix(".schema.json") for path in SCHEMA_FILES}
    assert {
        "generation-request",
        "reference-media-item",
        "task",
        "timestamp",
        "file",
        "credits",
        "model",
        "model-list",
        "error",
        "model-card",
        "upload-policy",
    } <= names
    assert {path.stem for path in CARD_FILES} >= {"grok-imagine", "grok-imagine-video"}
    assert set(contract().schemas) == names


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_schema_file_passes_the_2020_12_metaschema(path: Path) -> None:
    document = _read(path)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == "urn:rivya:schema:" + path.name.removesuffix(".schema.json")


@pytest.mark.parametrize("path", CARD_FILES, ids=lambda p: p.stem)
def test_every_model_card_file_validates_against_model_card_schema(path: Path) -> None:
    raw = _read(path)
    checker = Draft202012Validator(contract().schemas["model-card"], registry=contract().registry)
    assert list(checker.iter_errors(raw)) == []
    assert raw["id"] == path.stem
    broken = {**raw, "billing_type": "PER_PIXEL"}
    assert not checker.is_valid(broken)


@pytest.mark.parametrize("model_id", sorted(contract().cards))
def test_every_cards_derived_schemas_pass_the_metaschema(model_id: str) -> None:
    card = card_for(model_id)
    Draft202012Validator.check_schema(card.params_schema)
    Draft202012Validator.check_schema(card.request_schema)
    # the derived params schema carries the reference items exactly when uploads are allowed
    has_items = REFERENCE_ITEMS in card.params_schema["properties"]
    assert has_items == (card.upload_policy is not None)


def test_upload_defaults_validate_against_upload_policy_schema() -> None:
    raw = _read(SCHEMA_DIR / "upload-defaults.json")
    # the top-level "description" is an annotation the loader drops before checking
    assert set(raw) - {"max_files", "kinds"} == {"description"}
    policy = {key: value for key, value in raw.items() if key != "description"}
    checker = contract().validator("upload-policy")
    assert list(checker.iter_errors(policy)) == []
    assert set(policy["kinds"]) == {"image", "video", "audio"}
    assert (
        contract().default_upload_policy.kinds["video"].max_bytes
        == policy["kinds"]["video"]["max_bytes"]
    )
    assert not checker.is_valid({**policy, "kinds": {"pdf": policy["kinds"]["image"]}})


# --- the registry is data -----------------------------------------------------------------

NEW_CARD: dict[str, Any] = {
    "id": "acme-sketch",
    "display_name": "Acme Sketch",
    "category": "image",
    "billing_type": "FIXED",
    "base_credits": 2,
    "max_prompt_length": 1000,
    "prompt_required": True,
    "params_required": False,
    "supported_modes": ["text-to-image"],
    "api_status": "available",
    "api_input_status": "available_text",
    "supported_api_inputs": ["text"],
    "url_input_supported": False,
    "upload_policy": None,
    "params": {
        "type": "object",
        "properties": {
            "style": {"type": "string", "enum": ["ink", "pencil"], "default": "ink"},
            "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
        },
        "additionalProperties": False,
    },
    "output": {"mime_type": "image/png", "count": 1},
    "simulation": {"queued_seconds": 1, "processing_seconds": 2},
    "notices": [],
    "examples": {"minimal": {"model": "acme-sketch", "prompt": "a cat"}},
}


def _copy_schema_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return folder


def _fresh_contract(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Contract:
    # The package re-exports the function `contract`, which shadows the submodule of the
    # same name as an attribute of the package; fetch the module itself to patch it.
    module = importlib.import_module("rivya_contract.schemas.contract")
    assert module.SCHEMA_DIR == SCHEMA_DIR
    monkeypatch.setattr(module, "SCHEMA_DIR", folder)
    fresh = contract.__wrapped__()
    assert isinstance(fresh, Contract)
    return fresh


def test_adding_a_model_is_adding_a_data_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = contract()
    folder = _copy_schema_dir(tmp_path)
    (folder / "models" / "acme-sketch.json").write_text(json.dumps(NEW_CARD), encoding="utf-8")

    fresh = _fresh_contract(monkeypatch, folder)

    assert set(fresh.cards) == set(cached.cards) | {"acme-sketch"}
    good = {"model": "acme-sketch", "prompt": "a cat", "params": {"style": "pencil", "steps": 5}}
    assert fresh.validate_generation_request(good) == []
    assert fresh.validate_generation_request(MINIMAL_REQUEST) == []
    bad_cases = [
        ({**good, "params": {"style": "crayon"}}, "$.params.style"),
        ({**good, "params": {"steps": 51}}, "$.params.steps"),
        ({**good, "params": {REFERENCE_ITEMS: [IMAGE_ITEM]}}, "$.params.referenceMediaItems"),
        ({**good, "prompt": "p" * 1001}, "$.prompt"),
        ({"model": "acme-sketch"}, "$.prompt"),
    ]
    for body, path in bad_cases:
        assert [e.path for e in fresh.validate_generation_request(body)] == [path], body
    card = fresh.cards["acme-sketch"]
    assert card.price(None) == 2
    assert card.mode(None) == "text-to-image"
    assert fresh.validate("model", card.listing()) == []

    # the process-wide contract was neither rebuilt nor changed
    assert contract() is cached
    assert "acme-sketch" not in cached.cards
    assert [e.path for e in cached.validate_generation_request(good)] == ["$.model"]


def test_a_card_that_breaks_the_card_schema_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_schema_dir(tmp_path)
    broken = {**NEW_CARD, "base_credits": -1}
    (folder / "models" / "acme-sketch.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match="acme-sketch"):
        _fresh_contract(monkeypatch, folder)


def test_a_card_whose_id_differs_from_its_file_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _copy_schema_dir(tmp_path)
    (folder / "models" / "acme-other.json").write_text(json.dumps(NEW_CARD), encoding="utf-8")
    with pytest.raises(ValueError, match="file name"):
        _fresh_contract(monkeypatch, folder)
