"""The contract as data: schema files, model cards, request validation, prices, task shapes."""

from __future__ import annotations

import copy
import importlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from rivya_contract.schemas import (
    REFERENCE_ITEMS,
    SCHEMA_DIR,
    Contract,
    FieldError,
    ModelCard,
    contract,
    model_card,
    validate,
    validate_generation_request,
)
from rivya_contract.schemas.openapi import example_requests

SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.schema.json"))
CARD_FILES = sorted((SCHEMA_DIR / "models").glob("*.json"))

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
EMOJI = "\U0001f98a"  # a 4-byte character in UTF-8


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _grok(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "grok-imagine", "prompt": "a red fox in the snow"}
    body.update(fields)
    return body


def _video(**params: Any) -> dict[str, Any]:
    return {"model": "grok-imagine-video", "prompt": "a red fox running", "params": params}


def _card(model_id: str) -> ModelCard:
    card = model_card(model_id)
    assert card is not None, model_id
    return card


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
    card = _card(model_id)
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


# --- valid requests -----------------------------------------------------------------------


def test_example_requests_are_the_documented_ones() -> None:
    assert example_requests() == {"minimal": MINIMAL_REQUEST, "reference-file": REFERENCE_REQUEST}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(MINIMAL_REQUEST, id="minimal-literal"),
        pytest.param(REFERENCE_REQUEST, id="reference-literal"),
        pytest.param(example_requests()["minimal"], id="minimal-seed"),
        pytest.param(example_requests()["reference-file"], id="reference-seed"),
        pytest.param(
            {
                "model": "grok-imagine",
                "prompt": "...",
                "params": {"aspect_ratio": "1:1", "enable_pro": "false"},
            },
            id="minimal-as-documented",
        ),
        pytest.param({"model": "grok-imagine", "prompt": "a red fox"}, id="no-params"),
        pytest.param(_grok(params={}, client_request_id="x" * 128), id="client-id-128"),
    ],
)
def test_valid_requests_have_no_errors(body: dict[str, Any]) -> None:
    assert validate_generation_request(body) == []
    assert contract().validate_generation_request(body) == []


@pytest.mark.parametrize("prompt", ["é" * 5000, EMOJI * 5000, "x" * 5000], ids=["e", "emoji", "x"])
def test_a_prompt_of_5000_characters_is_accepted_whatever_its_bytes(prompt: str) -> None:
    assert len(prompt) == 5000
    assert validate_generation_request(_grok(prompt=prompt)) == []


def test_the_limit_counts_characters_not_bytes() -> None:
    prompt = EMOJI * 5000
    assert len(prompt.encode("utf-8")) == 20000
    assert validate_generation_request(_grok(prompt=prompt)) == []


# --- invalid requests ---------------------------------------------------------------------

INVALID_REQUESTS = [
    pytest.param(_grok(prompt="é" * 5001), "$.prompt", id="prompt-5001-e-acute"),
    pytest.param(_grok(prompt=EMOJI * 5001), "$.prompt", id="prompt-5001-emoji"),
    pytest.param(_grok(prompt="a" * 4999 + "é" + EMOJI), "$.prompt", id="prompt-5001-mixed"),
    pytest.param(_grok(prompt=""), "$.prompt", id="prompt-empty"),
    pytest.param(_grok(prompt=" \t\n  "), "$.prompt", id="prompt-whitespace"),
    pytest.param(_grok(prompt=5), "$.prompt", id="prompt-number"),
    pytest.param(_grok(prompt=["a"]), "$.prompt", id="prompt-list"),
    pytest.param(_grok(prompt=None), "$.prompt", id="prompt-null"),
    pytest.param({"model": "grok-imagine"}, "$.prompt", id="prompt-missing"),
    pytest.param({"model": "no-such-model", "prompt": "x"}, "$.model", id="model-unknown"),
    pytest.param({"model": "Grok-Imagine", "prompt": "x"}, "$.model", id="model-wrong-case"),
    pytest.param({"prompt": "x"}, "$.model", id="model-missing"),
    pytest.param({"model": 4, "prompt": "x"}, "$.model", id="model-number"),
    pytest.param({"model": ["grok-imagine"], "prompt": "x"}, "$.model", id="model-list"),
    pytest.param({"model": None, "prompt": "x"}, "$.model", id="model-null"),
    pytest.param({"model": "", "prompt": "x"}, "$.model", id="model-empty"),
    pytest.param(_grok(params={"seed": 7}), "$.params.seed", id="param-unknown"),
    pytest.param(_grok(params={"enable_pro": False}), "$.params.enable_pro", id="enable-pro-bool"),
    pytest.param(_grok(params={"enable_pro": "yes"}), "$.params.enable_pro", id="enable-pro-yes"),
    pytest.param(_grok(params={"aspect_ratio": "4:3"}), "$.params.aspect_ratio", id="ratio-4-3"),
    pytest.param(_grok(params={"aspect_ratio": 1}), "$.params.aspect_ratio", id="ratio-number"),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: [IMAGE_ITEM, IMAGE_ITEM]}),
        "$.params.referenceMediaItems",
        id="two-references",
    ),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: {"url": "https://a.example/x.png", "kind": "image"}}),
        "$.params.referenceMediaItems",
        id="references-not-a-list",
    ),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: [{"url": "https://a.example/x.mp4", "kind": "video"}]}),
        "$.params.referenceMediaItems[0].kind",
        id="video-reference",
    ),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: [{"kind": "image"}]}),
        "$.params.referenceMediaItems[0].url",
        id="reference-missing-url",
    ),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: [{"url": "ftp://a.example/x.png", "kind": "image"}]}),
        "$.params.referenceMediaItems[0].url",
        id="reference-url-not-http",
    ),
    pytest.param(
        _grok(params={REFERENCE_ITEMS: [{**IMAGE_ITEM, "duration_token": "t"}]}),
        "$.params.referenceMediaItems[0].duration_token",
        id="reference-extra-key",
    ),
    pytest.param(_grok(files=[IMAGE_ITEM]), "$.files", id="top-level-files"),
    pytest.param(_grok(seed=1), "$.seed", id="top-level-unknown"),
    pytest.param([MINIMAL_REQUEST], "$", id="body-list"),
    pytest.param(json.dumps(MINIMAL_REQUEST), "$", id="body-string"),
    pytest.param(None, "$", id="body-null"),
    pytest.param(42, "$", id="body-number"),
    pytest.param(True, "$", id="body-bool"),
    pytest.param(_grok(params=["1:1"]), "$.params", id="params-list"),
    pytest.param(_grok(params="aspect_ratio=1:1"), "$.params", id="params-string"),
    pytest.param(_grok(params=None), "$.params", id="params-null"),
    pytest.param(_grok(client_request_id="r" * 129), "$.client_request_id", id="client-id-129"),
    pytest.param(_grok(client_request_id=12), "$.client_request_id", id="client-id-number"),
]


@pytest.mark.parametrize(("body", "path"), INVALID_REQUESTS)
def test_an_invalid_request_names_exactly_its_field(body: Any, path: str) -> None:
    errors = validate_generation_request(body)
    assert [error.path for error in errors] == [path], errors
    (error,) = errors
    assert isinstance(error, FieldError)
    assert error.message.strip()
    assert len(error.message) < 300
    assert str(error) == f"{path}: {error.message}"


HUGE = 1_000_000


@pytest.mark.parametrize(
    ("body", "path"),
    [
        pytest.param(_grok(prompt="é" * HUGE), "$.prompt", id="prompt-huge"),
        pytest.param(_grok(prompt=list(range(HUGE))), "$.prompt", id="prompt-huge-list"),
        pytest.param({"model": "m" * HUGE, "prompt": "x"}, "$.model", id="model-huge-unknown"),
        pytest.param({"model": {"k": "v" * HUGE}}, "$.model", id="model-huge-object"),
        pytest.param(
            _grok(params={"aspect_ratio": "9" * HUGE}), "$.params.aspect_ratio", id="ratio-huge"
        ),
        pytest.param(
            _grok(params={"enable_pro": {"x": "y" * HUGE}}), "$.params.enable_pro", id="pro-huge"
        ),
        pytest.param(_grok(params="p" * HUGE), "$.params", id="params-huge-string"),
        pytest.param(
            _grok(client_request_id="c" * HUGE), "$.client_request_id", id="client-id-huge"
        ),
        pytest.param(
            _grok(params={REFERENCE_ITEMS: [IMAGE_ITEM] * 10_000}),
            "$.params.referenceMediaItems",
            id="references-huge",
        ),
        pytest.param(
            _grok(params={REFERENCE_ITEMS: [{**IMAGE_ITEM, "kind": "k" * HUGE}]}),
            "$.params.referenceMediaItems[0].kind",
            id="reference-kind-huge",
        ),
    ],
)
def test_messages_stay_short_for_huge_values(body: Any, path: str) -> None:
    errors = validate_generation_request(body)
    assert [error.path for error in errors] == [path]
    assert 0 < len(errors[0].message) < 300


def test_several_failing_fields_give_one_error_each_sorted_by_path() -> None:
    body = _grok(
        prompt="",
        params={"aspect_ratio": "4:3", "enable_pro": True, "seed": 1},
        client_request_id="r" * 200,
    )
    errors = validate_generation_request(body)
    paths = [error.path for error in errors]
    assert paths == [
        "$.client_request_id",
        "$.params.aspect_ratio",
        "$.params.enable_pro",
        "$.params.seed",
        "$.prompt",
    ]
    assert len(set(paths)) == len(paths)


def test_an_unknown_model_still_reports_envelope_errors() -> None:
    errors = validate_generation_request({"model": "no-such-model", "files": []})
    assert [error.path for error in errors] == ["$.model", "$.files"]


def test_a_top_level_files_field_points_to_the_files_api() -> None:
    (error,) = validate_generation_request(_grok(files=[IMAGE_ITEM]))
    assert "/api/v1/files" in error.message
    assert REFERENCE_ITEMS in error.message


# --- ignore_unknown_params ----------------------------------------------------------------


def test_ignore_unknown_params_drops_only_unknown_param_errors() -> None:
    body = _grok(
        params={
            "seed": 1,
            "style": "ink",
            "aspect_ratio": "4:3",
            REFERENCE_ITEMS: [{**IMAGE_ITEM, "extra": 1}],
        },
        extra_top=True,
    )
    strict = validate_generation_request(body)
    assert [e.path for e in strict] == [
        "$.extra_top",
        "$.params.aspect_ratio",
        "$.params.referenceMediaItems[0].extra",
        "$.params.seed",
        "$.params.style",
    ]
    assert [e.path for e in strict if e.unknown_param] == ["$.params.seed", "$.params.style"]
    lenient = validate_generation_request(body, ignore_unknown_params=True)
    assert lenient == [e for e in strict if not e.unknown_param]
    assert [e.path for e in lenient] == [
        "$.extra_top",
        "$.params.aspect_ratio",
        "$.params.referenceMediaItems[0].extra",
    ]


def test_ignore_unknown_params_makes_an_otherwise_valid_request_pass() -> None:
    body = _grok(params={"aspect_ratio": "16:9", "seed": 3})
    assert [e.path for e in validate_generation_request(body)] == ["$.params.seed"]
    assert validate_generation_request(body, ignore_unknown_params=True) == []


# --- the video card -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "valid"),
    [(5, False), (6, True), (18, True), (30, True), (31, False), (6.5, False), (29.999, False)],
)
def test_video_duration_is_6_to_30_in_whole_seconds(duration: float, valid: bool) -> None:
    errors = validate_generation_request(_video(duration=duration))
    if valid:
        assert errors == []
    else:
        assert [e.path for e in errors] == ["$.params.duration"]


@pytest.mark.parametrize(
    ("params", "path"),
    [
        ({"duration": "6"}, "$.params.duration"),
        ({"mode": "wild"}, "$.params.mode"),
        ({"resolution": "1080p"}, "$.params.resolution"),
        ({"aspect_ratio": "4:3"}, "$.params.aspect_ratio"),
        ({"enable_pro": "true"}, "$.params.enable_pro"),
        (
            {REFERENCE_ITEMS: [{"url": "https://a.example/x.mp4", "kind": "video"}]},
            "$.params.referenceMediaItems[0].kind",
        ),
    ],
)
def test_video_card_rejects_values_outside_its_params(params: dict[str, Any], path: str) -> None:
    assert [e.path for e in validate_generation_request(_video(**params))] == [path]


def test_video_card_defaults_and_full_request() -> None:
    card = _card("grok-imagine-video")
    assert dict(card.defaults) == {
        "mode": "normal",
        "duration": 6,
        "resolution": "480p",
        "aspect_ratio": "2:3",
    }
    body = _video(
        mode="spicy", duration=30, resolution="720p", aspect_ratio="9:16", **{REFERENCE_ITEMS: []}
    )
    assert validate_generation_request(body) == []
    assert card.price(body["params"]) == 10


# --- prices and modes ---------------------------------------------------------------------


def test_grok_imagine_price_and_surcharge() -> None:
    card = _card("grok-imagine")
    surcharge = {"grok-imagine:enable_pro": 2}
    pro = {"enable_pro": "true"}
    with_reference = {"enable_pro": "true", REFERENCE_ITEMS: [IMAGE_ITEM]}
    assert card.base_credits == 4
    assert card.price(None) == 4
    assert card.price({}) == 4
    assert card.price(pro) == 4  # the card's own surcharge is 0 until configured
    assert card.price(pro, surcharges=surcharge) == 6
    assert card.price({"enable_pro": "false"}, surcharges=surcharge) == 4
    assert card.price(None, surcharges=surcharge) == 4  # the default is "false"
    assert card.price(with_reference, surcharges=surcharge) == 4  # the edit path ignores it
    assert card.price(pro, surcharges={"grok-imagine-video:enable_pro": 9}) == 4


def test_grok_imagine_mode_follows_the_references() -> None:
    card = _card("grok-imagine")
    assert card.mode(None) == "text-to-image"
    assert card.mode({"enable_pro": "true"}) == "text-to-image"
    assert card.mode({REFERENCE_ITEMS: []}) == "text-to-image"
    assert card.mode({REFERENCE_ITEMS: [IMAGE_ITEM]}) == "image-to-image"
    assert _card("grok-imagine-video").mode({REFERENCE_ITEMS: [IMAGE_ITEM]}) == "image-to-video"


def test_resolved_params_fill_in_defaults() -> None:
    card = _card("grok-imagine")
    assert card.resolved_params(None) == {"aspect_ratio": "1:1", "enable_pro": "false"}
    assert card.resolved_params({"aspect_ratio": "16:9"}) == {
        "aspect_ratio": "16:9",
        "enable_pro": "false",
    }


# --- listing and error statuses -----------------------------------------------------------


@pytest.mark.parametrize("model_id", sorted(contract().cards))
def test_every_listing_validates_against_the_model_schema(model_id: str) -> None:
    card = _card(model_id)
    listing = card.listing()
    assert validate("model", listing) == []
    assert listing["id"] == model_id
    assert listing["base_credits"] == card.base_credits
    assert listing["runtime"] == "async_task"
    assert validate("model", {**listing, "runtime": "sync"}) != []


def test_the_model_list_of_all_cards_validates() -> None:
    body = {"object": "list", "data": [card.listing() for card in contract().cards.values()]}
    assert validate("model-list", body) == []


def test_grok_imagine_listing_facts() -> None:
    listing = _card("grok-imagine").listing()
    assert listing["max_prompt_length"] == 5000
    assert listing["requires_files_api"] is True
    assert listing["file_kinds"] == ["image"]
    assert listing["reference_media"] == {
        "max_files": 1,
        "kinds": [
            {
                "kind": "image",
                "max_bytes": 10485760,
                "mime_types": ["image/jpeg", "image/png", "image/webp"],
            }
        ],
    }
    params = {entry["key"]: entry for entry in listing["params"]}
    assert params["enable_pro"]["options"] == ["false", "true"]
    assert params["enable_pro"]["default"] == "false"
    assert params["aspect_ratio"]["type"] == "select"


DOCUMENTED_STATUS = {
    "validation_failed": 400,
    "api_key_missing": 401,
    "api_key_invalid": 401,
    "api_key_revoked": 401,
    "api_key_expired": 401,
    "api_scope_denied": 403,
    "not_found": 404,
    "idempotency_conflict": 409,
    "insufficient_credits": 402,
    "rate_limited": 429,
    "public_api_disabled": 503,
}


def test_error_status_is_the_documented_table() -> None:
    assert dict(contract().error_status) == DOCUMENTED_STATUS


# --- task, file, credits and error shapes -------------------------------------------------

SUCCEEDED_TASK: dict[str, Any] = {
    "id": "task_01HZX3",
    "status": "succeeded",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 4,
    "created_at": "2026-05-11T00:00:00.000Z",
    "updated_at": "2026-05-11T00:00:09.250Z",
    "result": {
        "primary_url": "https://cdn.example.com/out/task_01HZX3.png",
        "urls": ["https://cdn.example.com/out/task_01HZX3.png"],
    },
    "error": None,
}
FAILED_TASK: dict[str, Any] = {
    "id": "task_01HZX4",
    "status": "failed",
    "model": "grok-imagine",
    "reserved_credits": 4,
    "final_credits": 0,
    "created_at": "2026-05-11T00:00:00.000Z",
    "updated_at": "2026-05-11T00:00:03.000Z",
    "result": None,
    "error": {"code": "generation_failed", "message": "The generation could not be completed."},
}
QUEUED_TASK: dict[str, Any] = {
    **FAILED_TASK,
    "status": "queued",
    "final_credits": 0,
    "error": None,
}


def _with(task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(task)
    changed.update(changes)
    return changed


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(SUCCEEDED_TASK, id="succeeded"),
        pytest.param(FAILED_TASK, id="failed"),
        pytest.param(_with(FAILED_TASK, error=None), id="failed-without-error"),
        pytest.param(QUEUED_TASK, id="queued"),
        pytest.param(_with(QUEUED_TASK, status="processing"), id="processing"),
    ],
)
def test_documented_tasks_validate(task: dict[str, Any]) -> None:
    assert validate("task", task) == []


@pytest.mark.parametrize(
    "task",
    [
        pytest.param(_with(SUCCEEDED_TASK, result=None), id="succeeded-without-result"),
        pytest.param(
            _with(SUCCEEDED_TASK, error={"code": "generation_failed", "message": "x"}),
            id="succeeded-with-error",
        ),
        pytest.param(
            _with(SUCCEEDED_TASK, result={"primary_url": "https://a.example/x", "urls": []}),
            id="succeeded-no-urls",
        ),
        pytest.param(_with(FAILED_TASK, final_credits=4), id="failed-charged"),
        pytest.param(_with(FAILED_TASK, result=SUCCEEDED_TASK["result"]), id="failed-result"),
        pytest.param(_with(QUEUED_TASK, result=SUCCEEDED_TASK["result"]), id="queued-result"),
        pytest.param(_with(QUEUED_TASK, final_credits=4), id="queued-charged"),
        pytest.param(
            _with(QUEUED_TASK, status="processing", result=SUCCEEDED_TASK["result"]),
            id="processing-result",
        ),
        pytest.param(_with(QUEUED_TASK, status="done"), id="unknown-status"),
        pytest.param(_with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00Z"), id="no-millis"),
        pytest.param(_with(SUCCEEDED_TASK, updated_at="2026-05-11T00:00:00.000"), id="no-z-suffix"),
        pytest.param(
            _with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00.000+00:00"), id="offset"
        ),
        pytest.param(_with(SUCCEEDED_TASK, client_request_id="r1"), id="extra-field"),
        pytest.param(_with(SUCCEEDED_TASK, id="job_1"), id="bad-id"),
        pytest.param(_with(SUCCEEDED_TASK, reserved_credits=-1), id="negative-credits"),
        pytest.param({k: v for k, v in SUCCEEDED_TASK.items() if k != "error"}, id="missing-error"),
    ],
)
def test_invalid_tasks_fail(task: dict[str, Any]) -> None:
    errors = validate("task", task)
    assert errors != []
    assert all(error.path.startswith("$") and error.message for error in errors)


def test_task_timestamp_errors_name_the_field() -> None:
    errors = validate("task", _with(SUCCEEDED_TASK, created_at="2026-05-11T00:00:00Z"))
    assert [error.path for error in errors] == ["$.created_at"]


@pytest.mark.parametrize(
    ("name", "instance", "valid"),
    [
        ("credits", {"current_credits": 123}, True),
        ("credits", {"current_credits": -1}, False),
        ("credits", {"current_credits": 1.5}, False),
        ("credits", {"current_credits": 1, "reserved": 2}, False),
        (
            "error",
            {"error": {"code": "not_found", "message": "No such task.", "requestId": "req_a1"}},
            True,
        ),
        (
            "error",
            {"error": {"code": "teapot", "message": "No.", "requestId": "req_a1"}},
            False,
        ),
        ("error", {"error": {"code": "not_found", "message": "No such task."}}, False),
        (
            "error",
            {"error": {"code": "not_found", "message": "x", "requestId": "a1"}},
            False,
        ),
        ("timestamp", "2026-05-11T00:00:00.000Z", True),
        ("timestamp", "2026-05-11 00:00:00.000Z", False),
    ],
)
def test_other_response_shapes(name: str, instance: object, valid: bool) -> None:
    assert (validate(name, instance) == []) is valid


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
