"""What the cards can say, checked on the mock: every param's values, exact decimal steps,
METERED billing, per-model upload limits and types, duration tokens, unlisted models and
cards added at run time."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import bearer, in_process

from rivya_contract.mock_server import Mock, MockConfig, clips, media
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, contract
from rivya_contract.schemas.contract import CardError

CARDS = contract().cards
MiB = 1024 * 1024


def _client(mock: Mock) -> httpx.Client:
    client = in_process(mock)
    client.headers.update(bearer(mock.config.api_key))
    return client


def _minimal(card: ModelCard) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(card.raw["examples"]["minimal"])
    return body


def _with(card: ModelCard, key: str, value: Any) -> dict[str, Any]:
    body = _minimal(card)
    body.setdefault("params", {})[key] = value
    return body


def _good_values(spec: dict[str, Any]) -> list[Any]:
    if "enum" in spec:
        return list(spec["enum"])
    values = [spec[b] for b in ("default", "minimum", "maximum") if b in spec]
    if "x-step" in spec and "minimum" in spec:
        values.append(float(Decimal(repr(spec["minimum"])) + Decimal(spec["x-step"])))
    if spec["type"] == "string":
        values.append("some text")
    return values


def _bad_values(spec: dict[str, Any]) -> list[Any]:
    wrong_type: Any = 7 if spec["type"] in ("string", "array") else "seven"
    values = [wrong_type, None]
    if "enum" in spec:
        values.append("not-an-option")
    if "minimum" in spec:
        values.append(spec["minimum"] - 1)
    if "maximum" in spec:
        values.append(spec["maximum"] + 1)
    step, low, high = spec.get("x-step"), spec.get("minimum"), spec.get("maximum")
    if step is not None and low is not None and (high is None or high - low > Decimal(step)):
        values.append(float(Decimal(repr(low)) + Decimal(step) / 2))
    return values


PARAMS = [
    (card_id, key)
    for card_id, card in CARDS.items()
    for key, spec in card.raw["params"]["properties"].items()
    if spec["type"] != "array"
]


@pytest.mark.parametrize(("model", "key"), PARAMS, ids=[f"{m}.{k}" for m, k in PARAMS])
def test_every_param_takes_its_values_and_refuses_others(model: str, key: str) -> None:
    card = CARDS[model]
    spec = card.raw["params"]["properties"][key]
    c = contract()
    for value in _good_values(spec):
        assert c.validate_generation_request(_with(card, key, value)) == [], (key, value)
    for value in _bad_values(spec):
        errors = c.validate_generation_request(_with(card, key, value))
        assert [e.path for e in errors] == [f"$.params.{key}"], (key, value, errors)
    unknown = c.validate_generation_request(_with(card, "no_such_param", "x"))
    assert [(e.path, e.kind) for e in unknown] == [("$.params.no_such_param", "unknown")]


@pytest.mark.parametrize("value", [0.7, 0.75, 1.0, 1.15, 1.2])
def test_a_decimal_step_accepts_its_own_range_ends_and_steps(value: float) -> None:
    card = CARDS["elevenlabs-turbo-2-5"]
    assert contract().validate_generation_request(_with(card, "speed", value)) == []


@pytest.mark.parametrize("value", [0.71, 0.725, 1.19, 0.65, 1.25])
def test_a_decimal_step_refuses_off_step_and_out_of_range_values(value: float) -> None:
    card = CARDS["elevenlabs-turbo-2-5"]
    errors = contract().validate_generation_request(_with(card, "speed", value))
    assert [e.path for e in errors] == ["$.params.speed"]


def test_required_params_and_a_required_params_object() -> None:
    card = CARDS["elevenlabs-turbo-2-5"]
    body = _minimal(card)
    del body["params"]["voice"]
    assert [e.path for e in contract().validate_generation_request(body)] == ["$.params.voice"]
    del body["params"]
    assert [e.path for e in contract().validate_generation_request(body)] == ["$.params"]


def test_an_array_param_stands_in_for_the_prompt() -> None:
    card = CARDS["elevenlabs-dialogue-v3"]
    body = _minimal(card)
    del body["prompt"]
    assert contract().validate_generation_request(body) == []
    body["params"]["dialogue"] = [{"voice": "Adam"}]
    paths = [e.path for e in contract().validate_generation_request(body)]
    assert paths == ["$.params.dialogue[0].text"]


@pytest.mark.parametrize("usage", [1.0, 0.5, 0.0])
def test_a_metered_task_reserves_then_settles_its_final_amount(usage: float) -> None:
    card = CARDS["elevenlabs-turbo-2-5"]
    body = {**_minimal(card), "prompt": "x" * 2500}
    mock = Mock(MockConfig(virtual_clock=True, metered_usage=usage))
    reserved = 15  # max(base 6, ceil(2500 characters x 0.006 credits))
    with _client(mock) as client:
        task = client.post("/api/v1/generations", json=body).json()
        assert task["reserved_credits"] == reserved
        assert mock.backend.balance().balance == 1000 - reserved
        mock.clock.advance(3600)
        done = client.get(f"/api/v1/generations/{task['id']}").json()
    final = -(-reserved * Fraction(usage).limit_denominator() // 1) if usage else 0
    assert done["status"] == "succeeded"
    assert done["final_credits"] == final <= done["reserved_credits"] == reserved
    wallet = mock.backend.balance()
    assert (wallet.spent, wallet.reserved, wallet.balance) == (final, 0, 1000 - final)
    assert wallet.ledger_ok()


def test_a_metered_sound_effect_is_priced_by_its_seconds() -> None:
    card = CARDS["elevenlabs-sound-effect-v2"]
    assert card.price({"duration_seconds": 3}, body=_minimal(card)) == card.base_credits
    assert card.price({"duration_seconds": 10.5}, body=_minimal(card)) == 11


def _upload(client: httpx.Client, data: bytes, name: str, mime: str, **fields: str) -> Any:
    return client.post("/api/v1/files", data=fields, files={"file": (name, data, mime)})


def _big_png(size: int) -> bytes:
    head = media.png(8, 8)
    return head + b"\x00" * (size - len(head))


def test_a_25_mib_image_is_accepted_for_nano_banana_2_and_refused_for_grok_imagine() -> None:
    data = _big_png(25 * MiB)
    with _client(Mock()) as client:
        accepted = _upload(client, data, "a.png", "image/png", kind="image", model="nano-banana-2")
        refused = _upload(client, data, "a.png", "image/png", kind="image", model="grok-imagine")
    assert accepted.status_code == 201, accepted.text
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "validation_failed")
    assert "10485760 bytes" in refused.json()["error"]["message"]


def test_an_mkv_reference_is_accepted_for_wan_2_6_only() -> None:
    mkv = media.sample("video/x-matroska")
    with _client(Mock()) as client:
        wan = _upload(client, mkv, "clip.mkv", "video/x-matroska", kind="video", model="wan-2-6")
        default = _upload(client, mkv, "clip.mkv", "video/x-matroska", kind="video")
        other = _upload(client, mkv, "clip.mkv", "video/x-matroska", kind="video", model="sora-2")
    assert wan.status_code == 201, wan.text
    assert wan.json()["duration_token"].startswith("dur_")
    assert default.status_code == 400
    assert other.status_code == 400


def _video_reference(client: httpx.Client, **item: Any) -> httpx.Response:
    card = CARDS["wan-2-6"]
    upload = _upload(
        client, clips.video(96, 54, 3.0), "clip.mp4", "video/mp4", kind="video", model=card.id
    ).json()
    body = _minimal(card)
    reference = {"url": upload["url"], "kind": "video", **item}
    if item.get("durationToken") == "from-upload":
        reference["durationToken"] = upload["duration_token"]
    body.setdefault("params", {})[REFERENCE_ITEMS] = [reference]
    return client.post("/api/v1/generations", json=body)


def test_a_video_reference_needs_its_duration_token() -> None:
    mock = Mock()
    with _client(mock) as client:
        missing = _video_reference(client)
        wrong = _video_reference(client, durationToken="dur_" + "0" * 32)
        right = _video_reference(client, durationToken="from-upload")
    where = f"$.params.{REFERENCE_ITEMS}[0].durationToken"
    for refused in (missing, wrong):
        assert refused.status_code == 400
        assert refused.json()["error"]["message"].startswith(where)
    assert right.status_code == 202, right.text
    assert mock.backend.balance().reserved == CARDS["wan-2-6"].base_credits


def _card(model_id: str, **changes: Any) -> dict[str, Any]:
    raw = copy.deepcopy(dict(CARDS["z-image"].raw))
    raw.update(id=model_id, display_name=model_id, **changes)
    raw["examples"] = {"minimal": {"model": model_id, "prompt": "a cat"}}
    return raw


def test_a_listed_but_unavailable_model_answers_clearly() -> None:
    config = MockConfig(model_cards=(_card("acme-soon", api_status="coming_soon"),))
    mock = Mock(config)
    with _client(mock) as client:
        listed = [m["id"] for m in client.get("/api/v1/models").json()["data"]]
        refused = client.post("/api/v1/generations", json={"model": "acme-soon", "prompt": "x"})
    assert "acme-soon" in listed
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert message.startswith("$.model:") and "coming_soon" in message
    assert mock.backend.balance().reserved == 0


def test_a_models_dir_adds_and_overrides_cards(tmp_path: Path) -> None:
    (tmp_path / "acme-draw.json").write_text(json.dumps(_card("acme-draw", base_credits=9)))
    cheaper = _card("z-image", base_credits=0)
    (tmp_path / "z-image.json").write_text(json.dumps(cheaper))
    mock = Mock(MockConfig(models_dir=str(tmp_path), virtual_clock=True))
    with _client(mock) as client:
        added = client.post("/api/v1/generations", json={"model": "acme-draw", "prompt": "x"})
        replaced = client.post("/api/v1/generations", json={"model": "z-image", "prompt": "x"})
        document = client.get("/api/v1/openapi.json").json()
    assert added.json()["reserved_credits"] == 9
    assert replaced.json()["reserved_credits"] == 0
    assert "acme-draw" in json.dumps(document)
    assert "acme-draw" not in contract().cards  # the packaged catalog is untouched


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not readable JSON"),
        (json.dumps({"id": "acme-bad"}), ": is required"),
        (json.dumps(_card("acme-other")), "must equal the file name"),
    ],
)
def test_a_bad_card_is_refused_at_start_naming_file_and_field(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "acme-bad.json"
    path.write_text(content)
    with pytest.raises(CardError) as refused:
        Mock(MockConfig(models_dir=str(tmp_path)))
    assert str(path) in str(refused.value)
    assert named in str(refused.value)


def test_a_missing_models_dir_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CardError, match="no such folder"):
        Mock(MockConfig(models_dir=str(tmp_path / "nowhere")))
