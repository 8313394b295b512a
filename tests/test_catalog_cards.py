"""Every card of the catalog, run as its page documents it: the minimal request, and for
models that take files an upload and the reference-file request, each queued with the
page's base credits and succeeding with a result an independent decoder reads."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import mutagen.mp3
import pytest
from PIL import Image
from support import bearer, in_process

from rivya_contract.mock_server import Mock, MockConfig, clips, media
from rivya_contract.mock_server import results as result_rules
from rivya_contract.schemas import REFERENCE_ITEMS, ModelCard, contract

CARDS = contract().cards
FILE_MODELS = sorted(card_id for card_id, card in CARDS.items() if card.upload_policy)
UPLOAD_FILES: dict[str, tuple[str, str, Callable[[], bytes]]] = {
    "image": ("reference.png", "image/png", lambda: media.png(64, 48, seed=3)),
    "video": ("reference.mp4", "video/mp4", lambda: clips.video(96, 54, 3.0)),
    "audio": ("reference.wav", "audio/wav", lambda: clips.audio("audio/wav", 2.0)),
}


def _client(mock: Mock) -> httpx.Client:
    client = in_process(mock)
    client.headers.update(bearer(mock.config.api_key))
    return client


def _run(mock: Mock, client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    created = client.post("/api/v1/generations", json=body)
    assert created.status_code == 202, created.text
    task = created.json()
    assert task["status"] == "queued"
    assert task["final_credits"] == 0
    mock.clock.advance(3600)
    done = client.get(f"/api/v1/generations/{task['id']}").json()
    assert done["status"] == "succeeded", done
    assert done["result"]["primary_url"] == done["result"]["urls"][0]
    return {"created": task, "done": done}


def _probe(data: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "result.mp4"
    path.write_bytes(data)
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        pytest.fail("ffprobe missing: run `make system-deps` (Debian's ffmpeg)")
    done = subprocess.run(
        [ffprobe, "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def _check_result(
    card: ModelCard, body: dict[str, Any], data: bytes, mime: str, tmp_path: Path
) -> None:
    """Decode a result with a library of its own kind and check its size or length."""
    params = card.resolved_params(body.get("params"))
    assert mime == result_rules.mime_type(card, params)
    if card.category == "image":
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            assert Image.MIME[image.format or ""] == mime
            ratio = result_rules.ratio(params.get(card.output.get("ratio_param", "")))
            w, h = (int(part) for part in ratio.split(":"))
            assert Fraction(image.width, image.height) == Fraction(w, h)
    elif card.category == "video":
        info = _probe(data, tmp_path)
        stream = info["streams"][0]
        width, height = result_rules.video_size(card, params)
        assert (stream["width"], stream["height"]) == (width, height)
        seconds = result_rules.duration(card, params, len(body.get("prompt") or ""))
        assert float(info["format"]["duration"]) == pytest.approx(seconds, abs=0.05)
    else:
        seconds = result_rules.duration(card, params, len(body.get("prompt") or ""))
        if mime == "audio/wav":
            with wave.open(io.BytesIO(data)) as sound:
                assert sound.getnframes() / sound.getframerate() == pytest.approx(seconds, abs=0.01)
        else:
            mp3: Any = mutagen.mp3.MP3(io.BytesIO(data))  # type: ignore[no-untyped-call]
            length = mp3.info.length
            assert length == pytest.approx(seconds, abs=0.04)


@pytest.mark.parametrize("model", sorted(CARDS))
def test_the_documented_minimal_request_runs_to_a_readable_result(
    model: str, tmp_path: Path
) -> None:
    card = CARDS[model]
    body = copy.deepcopy(card.raw["examples"]["minimal"])
    mock = Mock(MockConfig(virtual_clock=True))
    with _client(mock) as client:
        run = _run(mock, client, body)
        assert run["created"]["reserved_credits"] == card.base_credits
        for url in run["done"]["result"]["urls"]:
            result = client.get(url)
            assert result.status_code == 200
            _check_result(card, body, result.content, result.headers["content-type"], tmp_path)
    wallet = mock.backend.balance()
    assert wallet.ledger_ok() and wallet.reserved == 0
    assert wallet.spent == run["done"]["final_credits"] == card.base_credits


def _uploaded(client: httpx.Client, model: str, kind: str) -> dict[str, Any]:
    name, mime, make = UPLOAD_FILES[kind]
    response = client.post(
        "/api/v1/files",
        data={"kind": kind, "model": model},
        files={"file": (name, make(), mime)},
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _reference_request(card: ModelCard) -> dict[str, Any]:
    examples = card.raw["examples"]
    if "reference" in examples:
        reference: dict[str, Any] = copy.deepcopy(examples["reference"])
        return reference
    body: dict[str, Any] = copy.deepcopy(examples["minimal"])
    kind = next(iter(card.upload_policy.kinds)) if card.upload_policy else "image"
    body.setdefault("params", {})[REFERENCE_ITEMS] = [{"url": "https://x.example/a", "kind": kind}]
    return body


@pytest.mark.parametrize("model", FILE_MODELS)
def test_the_reference_file_request_runs_with_an_upload(model: str, tmp_path: Path) -> None:
    card = CARDS[model]
    body = _reference_request(card)
    mock = Mock(MockConfig(virtual_clock=True))
    with _client(mock) as client:
        for item in body["params"][REFERENCE_ITEMS]:
            uploaded = _uploaded(client, model, item["kind"])
            item["url"] = uploaded["url"]
            item.pop("mimeType", None)
            item.pop("durationSeconds", None)
            if uploaded["duration_token"] is not None:
                item["durationToken"] = uploaded["duration_token"]
            else:
                item.pop("durationToken", None)
        run = _run(mock, client, body)
        assert run["created"]["reserved_credits"] == card.price(body["params"], body=body)
        result = client.get(run["done"]["result"]["primary_url"])
        _check_result(card, body, result.content, result.headers["content-type"], tmp_path)
    assert mock.backend.balance().ledger_ok()


def test_the_catalog_lists_every_card_once() -> None:
    mock = Mock()
    with _client(mock) as client:
        listed = client.get("/api/v1/models").json()["data"]
    assert [entry["id"] for entry in listed] == list(CARDS)
    assert len(listed) >= 43
    assert {entry["category"] for entry in listed} == {"image", "video", "audio"}
    assert {entry["billing_type"] for entry in listed} == {"FIXED", "METERED"}
