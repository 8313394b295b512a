"""The Files API: accepted types, the stored object, served bytes, rejections, and references."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from support import (
    API,
    add_account,
    bearer,
    client_for,
    create,
    error_of,
    path_of,
    reference_png,
    reference_request,
    text_request,
    upload,
    valid,
    without_request_id,
)

from rivya_contract.mock_server import media
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.schemas import contract, model_card

DEFAULTS = contract().default_upload_policy
GROK = model_card("grok-imagine")
assert GROK is not None and GROK.upload_policy is not None
IMAGE_LIMIT = GROK.upload_policy.kinds["image"].max_bytes
SEED_REFERENCE_URL = "https://cdn.example.com/reference-image.png"
EXTENSION = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
}


def _default_types() -> list[tuple[str, str]]:
    return [(kind, mime) for kind, policy in DEFAULTS.kinds.items() for mime in policy.mime_types]


@pytest.mark.parametrize(("kind", "mime"), _default_types())
def test_each_allowed_type_uploads_and_reads_back(
    mock: Mock, client: httpx.Client, kind: str, mime: str
) -> None:
    key = mock.config.api_key
    data = media.sample(mime)
    name = f"sample.{EXTENSION[mime]}"
    response = upload(client, key, data, name=name, mime=mime, kind=kind)
    assert response.status_code == mock.config.upload_status, response.text
    stored = valid("file", response)
    assert stored["kind"] == kind and stored["name"] == name
    assert stored["size_bytes"] == len(data)
    assert (stored["duration_token"] is None) == (kind == "image")
    again = client.get(f"{API}/files/{stored['id']}", headers=bearer(key))
    assert again.status_code == 200 and valid("file", again) == stored
    served = client.get(path_of(stored["url"]))
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == stored["mime_type"]


@pytest.mark.parametrize("mime", GROK.upload_policy.kinds["image"].mime_types)
def test_each_image_type_grok_imagine_takes_uploads_for_it(
    mock: Mock, client: httpx.Client, mime: str
) -> None:
    data = media.sample(mime)
    response = upload(
        client,
        mock.config.api_key,
        data,
        name=f"ref.{EXTENSION[mime]}",
        mime=mime,
        kind="image",
        model="grok-imagine",
    )
    assert valid("file", response)["mime_type"] == mime


def test_an_octet_stream_upload_takes_the_detected_type(mock: Mock, client: httpx.Client) -> None:
    response = upload(
        client,
        mock.config.api_key,
        media.sample("image/webp"),
        name="blob",
        mime="application/octet-stream",
        kind="image",
    )
    assert valid("file", response)["mime_type"] == "image/webp"


def test_another_accounts_file_is_not_found(mock: Mock, client: httpx.Client) -> None:
    stored = valid("file", upload(client, mock.config.api_key, reference_png(), kind="image"))
    other = add_account(mock, "acct_other", 10)
    theirs = client.get(f"{API}/files/{stored['id']}", headers=bearer(other))
    missing = client.get(f"{API}/files/file_{'0' * 24}", headers=bearer(other))
    error_of(theirs, "not_found", 404)
    assert without_request_id(theirs) == without_request_id(missing)


def _padded_png(size: int) -> bytes:
    """Return ``size`` bytes that start with a valid PNG (so only the size is wrong)."""
    head = media.png(16, 16)
    return head + b"\0" * (size - len(head))


REJECTIONS = [
    (
        "audio for grok-imagine",
        media.sample("audio/wav"),
        "a.wav",
        "audio/wav",
        {"kind": "audio", "model": "grok-imagine"},
        "audio",
    ),
    (
        "video for grok-imagine",
        media.sample("video/mp4"),
        "a.mp4",
        "video/mp4",
        {"kind": "video", "model": "grok-imagine"},
        "video",
    ),
    (
        "png named .jpg",
        media.sample("image/png"),
        "photo.jpg",
        "image/png",
        {"kind": "image"},
        "image/jpeg",
    ),
    (
        "text sent as png",
        b"just some text, not an image\n",
        "a.png",
        "image/png",
        {"kind": "image"},
        "signature",
    ),
    (
        "png declared as jpeg",
        media.sample("image/png"),
        "photo",
        "image/jpeg",
        {"kind": "image"},
        "image/jpeg",
    ),
    (
        "png as kind video",
        media.sample("image/png"),
        "a.png",
        "image/png",
        {"kind": "video"},
        "video",
    ),
    ("missing kind", media.sample("image/png"), "a.png", "image/png", {}, "kind"),
    ("unknown kind", media.sample("image/png"), "a.png", "image/png", {"kind": "picture"}, "kind"),
    (
        "unknown model",
        media.sample("image/png"),
        "a.png",
        "image/png",
        {"kind": "image", "model": "no-such-model"},
        "model",
    ),
    (
        "long client_request_id",
        media.sample("image/png"),
        "a.png",
        "image/png",
        {"kind": "image", "client_request_id": "c" * 129},
        "client_request_id",
    ),
    (
        "unknown form field",
        media.sample("image/png"),
        "a.png",
        "image/png",
        {"kind": "image", "purpose": "x"},
        "purpose",
    ),
]


@pytest.mark.parametrize(
    ("data", "name", "mime", "fields", "said"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_a_bad_upload_is_validation_failed(
    mock: Mock,
    client: httpx.Client,
    data: bytes,
    name: str,
    mime: str,
    fields: dict[str, str],
    said: str,
) -> None:
    response = upload(client, mock.config.api_key, data, name=name, mime=mime, **fields)
    assert said in error_of(response, "validation_failed", 400)["message"]


@pytest.mark.parametrize("fields", [{"kind": "image"}, {"kind": "image", "model": "grok-imagine"}])
def test_an_image_one_byte_over_the_limit_is_rejected(
    mock: Mock, client: httpx.Client, fields: dict[str, str]
) -> None:
    key = mock.config.api_key
    over = upload(client, key, _padded_png(IMAGE_LIMIT + 1), **fields)
    assert str(IMAGE_LIMIT) in error_of(over, "validation_failed", 400)["message"]
    at_limit = upload(client, key, _padded_png(IMAGE_LIMIT), **fields)
    assert valid("file", at_limit)["size_bytes"] == IMAGE_LIMIT


def test_an_upload_without_multipart_is_validation_failed(mock: Mock, client: httpx.Client) -> None:
    response = client.post(
        f"{API}/files", headers=bearer(mock.config.api_key), json={"kind": "image"}
    )
    error_of(response, "validation_failed", 400)


def test_a_huge_upload_is_rejected_without_being_held_in_memory() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    boundary = "rivya-boundary"
    total = 64 * 1024 * 1024
    chunk = b"\0" * (1024 * 1024)

    def body() -> Iterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nimage\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="big.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode() + media.png(8, 8)
        for _ in range(total // len(chunk)):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {
        "authorization": f"Bearer {mock.config.api_key}",
        "content-type": f"multipart/form-data; boundary={boundary}",
    }
    tracemalloc.start()
    try:
        reply = mock.api.handle("POST", f"{API}/files", headers=headers, body=body())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.status == 400 and reply.code == "validation_failed"
    assert peak < IMAGE_LIMIT + 8 * len(chunk), peak


def _reference(url: str, **item: str) -> dict[str, object]:
    body = text_request()
    body["params"]["referenceMediaItems"] = [{"url": url, "kind": "image", **item}]
    return body


def test_strict_references_must_name_an_upload_of_this_account(
    mock: Mock, client: httpx.Client
) -> None:
    key = mock.config.api_key
    other = add_account(mock, "acct_other", 10)
    stored = valid("file", upload(client, key, reference_png(), kind="image"))
    for body, who in (
        (_reference(SEED_REFERENCE_URL), key),
        (_reference(stored["url"]), other),
        (_reference(stored["url"].replace(stored["id"], "file_" + "0" * 24)), key),
        (_reference("https://rivya.ai/media/results/task_x/0.png"), key),
    ):
        error = error_of(create(client, who, body), "validation_failed", 400)
        assert "referenceMediaItems[0].url" in error["message"]
    assert create(client, key, reference_request(stored["url"])).status_code == 202


def test_a_reference_must_match_the_file_it_names(mock: Mock, client: httpx.Client) -> None:
    key = mock.config.api_key
    png = valid("file", upload(client, key, reference_png(), kind="image"))
    video = valid(
        "file",
        upload(
            client, key, media.sample("video/mp4"), name="v.mp4", mime="video/mp4", kind="video"
        ),
    )
    for body in (
        _reference(png["url"], mimeType="image/jpeg"),
        _reference(video["url"]),
    ):
        error_of(create(client, key, body), "validation_failed", 400)
    assert mock.backend.balance().reserved == 0


def test_lenient_references_accept_any_https_url(transport: str) -> None:
    mock = Mock(MockConfig(virtual_clock=True, references="lenient"))
    client = client_for(transport, mock)
    key = mock.config.api_key
    task = valid("task", create(client, key, reference_request(SEED_REFERENCE_URL)))
    assert task["status"] == "queued" and task["reserved_credits"] == 4
    insecure = _reference("http://cdn.example.com/reference-image.png")
    error_of(create(client, key, insecure), "validation_failed", 400)
