"""A task's whole life through the in-process pipeline and the ASGI app, on a virtual clock.

Upload a reference, create, poll until an outcome, download the result; the
status only moves forward, failures are final, and a seed fixes every id and
outcome.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from support import (
    API,
    RATIOS,
    TRANSPORTS,
    bearer,
    client_for,
    create,
    error_of,
    path_of,
    poll,
    reference_png,
    reference_request,
    text_request,
    upload,
    valid,
)

from rivya_contract.mock_server import media
from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock

ORDER = {"queued": 0, "processing": 1, "succeeded": 2, "failed": 2}
QUEUED, PROCESSING = 3.0, 5.0


def virtual(**changes: object) -> Mock:
    """Return a virtual-clock mock with fixed timings (3 s queued, 5 s processing)."""
    config = MockConfig(virtual_clock=True, queued_seconds=QUEUED, processing_seconds=PROCESSING)
    return Mock(config.replace(**changes))


def moment(text: str) -> float:
    """Parse an API timestamp into epoch seconds."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def check_ratio(data: bytes, ratio: str) -> None:
    """Assert ``data`` is a PNG whose width:height equals ``ratio``."""
    width, height = media.png_size(data)
    w, h = (int(term) for term in ratio.split(":"))
    assert width * h == height * w, (width, height, ratio)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_reference_example_end_to_end(transport: str) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    png = reference_png()
    uploaded = upload(client, key, png, kind="image", model="grok-imagine")
    assert uploaded.status_code == mock.config.upload_status, uploaded.text
    stored = valid("file", uploaded)
    assert (stored["kind"], stored["mime_type"], stored["size_bytes"]) == (
        "image",
        "image/png",
        len(png),
    )
    assert client.get(path_of(stored["url"])).content == png

    created = create(client, key, reference_request(stored["url"], "16:9"))
    assert created.status_code == 202, created.text
    task = valid("task", created)
    assert (task["status"], task["reserved_credits"], task["final_credits"]) == ("queued", 4, 0)
    assert task["result"] is None and task["error"] is None

    mock.clock.advance(QUEUED + PROCESSING)
    done = valid("task", poll(client, key, task["id"]))
    assert done["status"] == "succeeded"
    assert done["final_credits"] == done["reserved_credits"] == 4
    assert done["result"]["primary_url"] == done["result"]["urls"][0]
    image = client.get(path_of(done["result"]["primary_url"]))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    check_ratio(image.content, "16:9")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("ratio", RATIOS)
def test_text_to_image_gives_a_png_of_each_ratio(transport: str, ratio: str) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    task = valid("task", create(client, key, text_request(aspect_ratio=ratio)))
    mock.clock.advance(QUEUED + PROCESSING)
    done = valid("task", poll(client, key, task["id"]))
    assert done["status"] == "succeeded"
    check_ratio(client.get(path_of(done["result"]["primary_url"])).content, ratio)


def test_the_minimal_request_without_params_takes_the_default_ratio() -> None:
    mock = virtual()
    client = client_for("in_process", mock)
    key = mock.config.api_key
    body = {"model": "grok-imagine", "prompt": "A lighthouse at dusk"}
    task = valid("task", create(client, key, body))
    mock.clock.advance(QUEUED + PROCESSING)
    done = valid("task", poll(client, key, task["id"]))
    check_ratio(client.get(path_of(done["result"]["primary_url"])).content, "1:1")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_status_only_moves_forward_and_updated_at_moves_with_it(transport: str) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    task = valid("task", create(client, key, text_request()))
    created_at = moment(task["created_at"])
    assert task["updated_at"] == task["created_at"]
    seen: list[tuple[str, str]] = []
    for _ in range(24):
        view = valid("task", poll(client, key, task["id"]))
        assert view["created_at"] == task["created_at"]
        seen.append((view["status"], view["updated_at"]))
        mock.clock.advance(0.5)
    statuses = [status for status, _ in seen]
    assert [ORDER[s] for s in statuses] == sorted(ORDER[s] for s in statuses)
    assert list(dict.fromkeys(statuses)) == ["queued", "processing", "succeeded"]
    changes = {status: moment(updated) - created_at for status, updated in seen}
    assert changes == pytest.approx(
        {"queued": 0.0, "processing": QUEUED, "succeeded": QUEUED + PROCESSING}, abs=0.002
    )
    for (before, stamp), (after, later) in itertools.pairwise(seen):
        assert (stamp == later) == (before == after)


@pytest.mark.seeded_ids
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_result_url_is_not_found_until_the_task_succeeds(transport: str) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    task = valid("task", create(client, key, text_request()))
    stored = mock.backend.task(task["id"])
    assert stored is not None
    path = stored.result_paths[0]  # the url a client learns only once the task succeeds
    error_of(client.get(path), "not_found", 404)
    mock.clock.advance(QUEUED + PROCESSING)
    url = valid("task", poll(client, key, task["id"]))["result"]["primary_url"]
    assert path_of(url) == path
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failure_rate_one_fails_every_task_for_good(transport: str) -> None:
    mock = virtual(failure_rate=1.0)
    key = mock.config.api_key
    client = client_for(transport, mock)
    task = valid("task", create(client, key, text_request()))
    assert task["status"] == "queued"
    mock.clock.advance(QUEUED)
    assert valid("task", poll(client, key, task["id"]))["status"] == "processing"
    mock.clock.advance(PROCESSING)
    failed = valid("task", poll(client, key, task["id"]))
    assert failed["status"] == "failed"
    assert failed["result"] is None
    assert failed["final_credits"] == 0
    assert failed["error"]["code"] == "generation_failed"
    assert failed["error"]["message"]
    assert "requestId" not in failed["error"]
    mock.clock.advance(3600)
    assert valid("task", poll(client, key, task["id"])) == failed


def _run(seed: int, count: int = 16) -> list[tuple[str, str]]:
    """Create ``count`` tasks on a fresh mock with ``seed``; return their ids and outcomes."""
    mock = virtual(seed=seed, failure_rate=0.5)
    key = mock.config.api_key
    client = client_for("in_process", mock)
    ids = [
        valid("task", create(client, key, text_request(f"prompt {n}")))["id"] for n in range(count)
    ]
    mock.clock.advance(QUEUED + PROCESSING)
    return [(task_id, valid("task", poll(client, key, task_id))["status"]) for task_id in ids]


@pytest.mark.seeded_ids
def test_the_same_seed_and_requests_give_the_same_ids_and_outcomes() -> None:
    first, again = _run(seed=42), _run(seed=42)
    assert first == again
    outcomes = {status for _, status in first}
    assert outcomes == {"succeeded", "failed"}


def test_another_seed_gives_other_ids_and_outcomes() -> None:
    first, other = _run(seed=42), _run(seed=43)
    assert {task_id for task_id, _ in first}.isdisjoint(task_id for task_id, _ in other)
    assert [status for _, status in first] != [status for _, status in other]


@pytest.mark.seeded_ids
def test_reset_starts_the_same_run_again() -> None:
    mock = virtual(seed=5)
    client = client_for("in_process", mock)
    key = mock.config.api_key
    first = valid("task", create(client, key, text_request()))["id"]
    mock.reset()
    assert valid("task", create(client, key, text_request()))["id"] == first


def test_every_success_response_carries_a_request_id() -> None:
    mock = virtual()
    client = client_for("asgi", mock)
    key = mock.config.api_key
    responses = [
        client.get(f"{API}/models"),
        client.get(f"{API}/openapi.json"),
        client.get(f"{API}/credits", headers=bearer(key)),
        create(client, key, text_request()),
    ]
    ids = [response.headers["X-Request-Id"] for response in responses]
    assert all(response.status_code < 300 for response in responses)
    assert all(request_id.startswith("req_") for request_id in ids)
    assert len(set(ids)) == len(ids)
    valid("model-list", responses[0])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_create_response_is_queued_even_for_a_task_that_finishes_at_once(
    transport: str,
) -> None:
    mock = virtual(queued_seconds=0.0, processing_seconds=0.0)
    key = mock.config.api_key
    client = client_for(transport, mock)
    created = valid("task", create(client, key, text_request()))
    assert (created["status"], created["final_credits"], created["result"]) == ("queued", 0, None)
    assert created["updated_at"] == created["created_at"]
    done = valid("task", poll(client, key, created["id"]))
    assert done["status"] == "succeeded" and done["final_credits"] == 4
