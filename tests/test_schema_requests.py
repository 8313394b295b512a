"""Validating generation requests against the cards, and the prices and modes cards give."""

from __future__ import annotations

import json
from typing import Any

import pytest
from schema_support import IMAGE_ITEM, MINIMAL_REQUEST, REFERENCE_REQUEST, card_for

from rivya_contract.schemas import (
    REFERENCE_ITEMS,
    FieldError,
    contract,
    validate_generation_request,
)
from rivya_contract.schemas.openapi import example_requests

EMOJI = "\U0001f98a"  # a 4-byte character in UTF-8


def _grok(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "grok-imagine", "prompt": "a red fox in the snow"}
    body.update(fields)
    return body


def _video(**params: Any) -> dict[str, Any]:
    return {"model": "grok-imagine-video", "prompt": "a red fox running", "params": params}


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
    card = card_for("grok-imagine-video")
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
    card = card_for("grok-imagine")
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
    card = card_for("grok-imagine")
    assert card.mode(None) == "text-to-image"
    assert card.mode({"enable_pro": "true"}) == "text-to-image"
    assert card.mode({REFERENCE_ITEMS: []}) == "text-to-image"
    assert card.mode({REFERENCE_ITEMS: [IMAGE_ITEM]}) == "image-to-image"
    assert card_for("grok-imagine-video").mode({REFERENCE_ITEMS: [IMAGE_ITEM]}) == "image-to-video"


def test_resolved_params_fill_in_defaults() -> None:
    card = card_for("grok-imagine")
    assert card.resolved_params(None) == {"aspect_ratio": "1:1", "enable_pro": "false"}
    assert card.resolved_params({"aspect_ratio": "16:9"}) == {
        "aspect_ratio": "16:9",
        "enable_pro": "false",
    }
