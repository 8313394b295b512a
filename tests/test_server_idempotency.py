"""Idempotency-Key: replay, conflict, canonical bodies, per-account keys, retention, concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from support import (
    API,
    TRANSPORTS,
    Served,
    account,
    add_account,
    balance,
    bearer,
    client_for,
    create,
    error_of,
    ledger_ok,
    served,
    text_request,
    valid,
)

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.records import ApiKey

REPLAYED = "Idempotent-Replayed"
DUPLICATES = 50


def virtual(**changes: object) -> Mock:
    """Return a virtual-clock mock on the embedded defaults plus ``changes``."""
    return Mock(MockConfig(virtual_clock=True).replace(**changes))


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_same_key_and_body_replay_the_task_without_a_new_reservation(transport: str) -> None:
    mock = virtual(queued_seconds=2.0, processing_seconds=8.0)
    key = mock.config.api_key
    client = client_for(transport, mock)
    first = create(client, key, text_request(), idempotency_key="order-1")
    assert first.status_code == 202 and REPLAYED not in first.headers
    after_first = balance(client, key)
    mock.clock.advance(5)
    again = create(client, key, text_request(), idempotency_key="order-1")
    assert again.status_code == 202
    assert again.headers[REPLAYED] == "true"
    replayed = valid("task", again)
    original = valid("task", first)
    assert replayed["id"] == original["id"]
    assert replayed["status"] == "processing"  # the task as it stands now
    assert balance(client, key) == after_first
    assert account(mock).reserved == replayed["reserved_credits"]
    assert ledger_ok(mock)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_same_key_with_another_body_is_a_conflict_that_reserves_nothing(
    transport: str,
) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    original = valid("task", create(client, key, text_request(), idempotency_key="order-2"))
    before = balance(client, key)
    for body in (
        text_request("another prompt"),
        text_request(aspect_ratio="16:9"),
        {**text_request(), "client_request_id": "trace-1"},
    ):
        error_of(create(client, key, body, idempotency_key="order-2"), "idempotency_conflict", 409)
    assert balance(client, key) == before
    replay = create(client, key, text_request(), idempotency_key="order-2")
    assert valid("task", replay)["id"] == original["id"]


def test_key_order_and_spacing_do_not_make_another_request() -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for("in_process", mock)
    headers = {**bearer(key), "Content-Type": "application/json", "Idempotency-Key": "order-3"}
    compact = b'{"model":"grok-imagine","prompt":"fox","params":{"aspect_ratio":"2:3"}}'
    shuffled = (
        b'{ "params" : { "aspect_ratio" : "2:3" },\n  "prompt": "fox", "model": "grok-imagine" }'
    )
    first = client.post(f"{API}/generations", headers=headers, content=compact)
    second = client.post(f"{API}/generations", headers=headers, content=shuffled)
    assert second.headers[REPLAYED] == "true"
    assert valid("task", second)["id"] == valid("task", first)["id"]


def test_keys_belong_to_one_account() -> None:
    mock = virtual()
    client = client_for("asgi", mock)
    mine = mock.config.api_key
    theirs = add_account(mock, "acct_other", 20)
    a = create(client, mine, text_request(), idempotency_key="shared-key")
    b = create(client, theirs, text_request(), idempotency_key="shared-key")
    assert REPLAYED not in a.headers and REPLAYED not in b.headers
    assert valid("task", a)["id"] != valid("task", b)["id"]
    assert account(mock).reserved == account(mock, "acct_other").reserved == 4


def test_two_keys_of_one_account_share_its_idempotency_keys() -> None:
    mock = virtual()
    client = client_for("in_process", mock)
    first_key = mock.config.api_key
    second_key = "rvya_sk_second_key_of_demo"
    mock.backend.store.add_key(ApiKey(second_key, "acct_demo"))
    a = valid("task", create(client, first_key, text_request(), idempotency_key="k"))
    b = create(client, second_key, text_request(), idempotency_key="k")
    assert b.headers[REPLAYED] == "true" and valid("task", b)["id"] == a["id"]


def test_a_key_is_new_again_after_the_retention_window() -> None:
    mock = virtual(idempotency_ttl=3600.0)
    key = mock.config.api_key
    client = client_for("in_process", mock)
    first = valid("task", create(client, key, text_request(), idempotency_key="daily"))
    mock.clock.advance(3599)
    kept = create(client, key, text_request(), idempotency_key="daily")
    assert kept.headers[REPLAYED] == "true" and valid("task", kept)["id"] == first["id"]
    mock.clock.advance(1)
    fresh = create(client, key, text_request("another"), idempotency_key="daily")
    assert fresh.status_code == 202 and REPLAYED not in fresh.headers
    assert valid("task", fresh)["id"] != first["id"]


def test_the_default_retention_is_a_day() -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for("in_process", mock)
    first = valid("task", create(client, key, text_request(), idempotency_key="day"))
    mock.clock.advance(86399)
    assert (
        valid("task", create(client, key, text_request(), idempotency_key="day"))["id"]
        == (first["id"])
    )
    mock.clock.advance(1)
    assert REPLAYED not in create(client, key, text_request(), idempotency_key="day").headers


def test_a_rejected_request_does_not_use_up_its_key() -> None:
    mock = virtual()
    client = client_for("in_process", mock)
    key = add_account(mock, "acct_three", 3)
    error_of(
        create(client, key, {"model": "grok-imagine"}, idempotency_key="r"),
        "validation_failed",
        400,
    )
    error_of(create(client, key, text_request(), idempotency_key="r"), "insufficient_credits", 402)
    mock.backend.store.grant("acct_three", 1)
    created = create(client, key, text_request("other"), idempotency_key="r")
    assert created.status_code == 202 and REPLAYED not in created.headers


def test_requests_without_a_key_are_never_replayed() -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for("in_process", mock)
    ids = {valid("task", create(client, key, text_request()))["id"] for _ in range(3)}
    assert len(ids) == 3
    assert account(mock).reserved == 12


@pytest.fixture(scope="module")
def server() -> Iterator[Served]:
    """A real ``rivya-mock serve`` subprocess."""
    with served("--credits", "100000", "--queued-seconds", "0", "--processing-seconds", "0") as s:
        yield s


def test_concurrent_duplicates_over_http_make_exactly_one_task(server: Served) -> None:
    key = "rvya_sk_mock_0000000000000000"
    with server.client() as probe:
        before = balance(probe, key)
    start = threading.Barrier(DUPLICATES)
    body = text_request("one task, fifty tries")

    def send(_: int) -> httpx.Response:
        with server.client() as client:
            client.get(f"{API}/models")  # open the connection before the race
            start.wait(timeout=30)
            return create(client, key, body, idempotency_key="burst-1")

    with ThreadPoolExecutor(DUPLICATES) as pool:
        responses = list(pool.map(send, range(DUPLICATES)))
    assert all(response.status_code == 202 for response in responses)
    ids = {valid("task", response)["id"] for response in responses}
    assert len(ids) == 1
    replays = [response.headers.get(REPLAYED) for response in responses]
    assert replays.count("true") == DUPLICATES - 1 and replays.count(None) == 1
    with server.client() as probe:
        assert balance(probe, key) == before - 4
        error_of(
            create(probe, key, text_request("different"), idempotency_key="burst-1"),
            "idempotency_conflict",
            409,
        )


def test_a_replay_needs_no_credits_and_answers_with_the_create_status() -> None:
    mock = virtual(create_status=201)
    client = client_for("asgi", mock)
    key = add_account(mock, "acct_once", 4)
    first = create(client, key, text_request(), idempotency_key="once")
    assert first.status_code == 201
    assert balance(client, key) == 0
    again = create(client, key, text_request(), idempotency_key="once")
    assert again.status_code == 201 and again.headers[REPLAYED] == "true"
    assert valid("task", again)["id"] == valid("task", first)["id"]
    error_of(
        create(client, key, text_request(), idempotency_key="twice"), "insufficient_credits", 402
    )
