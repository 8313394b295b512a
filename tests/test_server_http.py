"""The mock over real HTTP: a ``rivya-mock serve`` subprocess on a free port.

Tasks finish at once (``--queued-seconds 0 --processing-seconds 0``), so the
seed's examples run end to end without waiting.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support import (
    API,
    RATIOS,
    Served,
    balance,
    bearer,
    create,
    error_of,
    path_of,
    poll,
    reference_png,
    reference_request,
    served,
    text_request,
    upload,
    valid,
)

from rivya_contract.mock_server import media
from rivya_contract.mock_server.config import DEFAULT_API_KEY

KEY = DEFAULT_API_KEY
CREDITS = 5000


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    """One server for the module; tests only compare balances they read themselves."""
    args = ("--credits", str(CREDITS), "--queued-seconds", "0", "--processing-seconds", "0")
    with served(*args, "--seed", "11") as running:
        yield running


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    """A client of the served mock."""
    with server.client() as session:
        yield session


def check_ratio(data: bytes, ratio: str) -> None:
    """Assert ``data`` is a PNG whose width:height equals ``ratio``."""
    width, height = media.png_size(data)
    w, h = (int(term) for term in ratio.split(":"))
    assert width * h == height * w, (width, height, ratio)


def test_the_server_announces_its_url_key_and_credits(server: Served) -> None:
    text = "\n".join(server.announcement)
    assert server.base_url.startswith("http://127.0.0.1:")
    assert int(server.base_url.rsplit(":", 1)[1]) > 0
    assert f"{server.base_url}/api/v1" in text
    assert KEY in server.wait_for("API key")
    assert server.wait_for("credits").split(":")[1].strip() == str(CREDITS)


def test_the_reference_example_end_to_end(client: httpx.Client, server: Served) -> None:
    before = balance(client, KEY)
    png = reference_png()
    response = upload(client, KEY, png, kind="image", model="grok-imagine")
    assert response.status_code == 201, response.text
    stored = valid("file", response)
    assert stored["url"].startswith(server.base_url + "/")
    assert client.get(stored["url"]).content == png
    again = client.get(f"{API}/files/{stored['id']}", headers=bearer(KEY))
    assert valid("file", again) == stored

    created = create(client, KEY, reference_request(stored["url"], "1:1"))
    assert created.status_code == 202, created.text
    task = valid("task", created)
    assert task["reserved_credits"] == 4 and task["final_credits"] == 0
    done = valid("task", poll(client, KEY, task["id"]))
    assert done["status"] == "succeeded"
    assert done["final_credits"] == 4
    assert done["result"]["primary_url"].startswith(server.base_url + "/")
    image = client.get(done["result"]["primary_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    check_ratio(image.content, "1:1")
    assert balance(client, KEY) == before - 4


@pytest.mark.parametrize("ratio", RATIOS)
def test_the_minimal_request_end_to_end_for_each_ratio(client: httpx.Client, ratio: str) -> None:
    task = valid("task", create(client, KEY, text_request(aspect_ratio=ratio)))
    done = valid("task", poll(client, KEY, task["id"]))
    assert done["status"] == "succeeded"
    assert done["result"]["urls"] == [done["result"]["primary_url"]]
    image = client.get(path_of(done["result"]["primary_url"]))
    check_ratio(image.content, ratio)


def test_every_answer_carries_a_request_id(client: httpx.Client) -> None:
    responses = [
        client.get(f"{API}/models"),
        client.get(f"{API}/openapi.json"),
        client.get(f"{API}/credits", headers=bearer(KEY)),
        client.get(f"{API}/credits"),
        client.get("/nowhere"),
    ]
    for response in responses:
        assert response.headers["X-Request-Id"].startswith("req_")
    valid("model-list", responses[0])
    valid("credits", responses[2])
    assert responses[1].json()["openapi"].startswith("3.1")


@pytest.mark.parametrize(
    ("headers", "code", "status"),
    [
        ({}, "api_key_missing", 401),
        ({"Authorization": "Basic eDp5"}, "api_key_missing", 401),
        ({"Authorization": "Bearer"}, "api_key_missing", 401),
        (bearer("rvya_sk_not_a_key"), "api_key_invalid", 401),
    ],
)
def test_auth_errors_over_http(
    client: httpx.Client, headers: dict[str, str], code: str, status: int
) -> None:
    error_of(client.get(f"{API}/credits", headers=headers), code, status)


def test_validation_and_not_found_over_http(client: httpx.Client) -> None:
    malformed = client.post(
        f"{API}/generations",
        headers={**bearer(KEY), "Content-Type": "application/json"},
        content=b'{"model": "grok-imagine",',
    )
    error_of(malformed, "validation_failed", 400)
    wrong = create(client, KEY, text_request(aspect_ratio="5:4"))
    assert "$.params.aspect_ratio" in error_of(wrong, "validation_failed", 400)["message"]
    error_of(poll(client, KEY, "task_" + "0" * 24), "not_found", 404)
    text = upload(client, KEY, b"plain text", name="a.png", kind="image")
    error_of(text, "validation_failed", 400)


def test_idempotent_replay_and_conflict_over_http(client: httpx.Client) -> None:
    first = create(client, KEY, text_request("http replay"), idempotency_key="http-1")
    before = balance(client, KEY)
    again = create(client, KEY, text_request("http replay"), idempotency_key="http-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert valid("task", again)["id"] == valid("task", first)["id"]
    assert balance(client, KEY) == before
    conflict = create(client, KEY, text_request("changed"), idempotency_key="http-1")
    error_of(conflict, "idempotency_conflict", 409)


def test_an_oversized_upload_is_rejected_over_http(client: httpx.Client) -> None:
    head = media.png(16, 16)
    data = head + b"\0" * (10 * 1024 * 1024 + 1 - len(head))
    response = upload(client, KEY, data, kind="image", model="grok-imagine")
    error_of(response, "validation_failed", 400)


def test_the_openapi_document_describes_this_server(client: httpx.Client) -> None:
    document = client.get(f"{API}/openapi.json").json()
    assert f"{API}/generations" in document["paths"]
    assert "202" in document["paths"][f"{API}/generations"]["post"]["responses"]
