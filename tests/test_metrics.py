"""Prometheus metrics at /__mock__/metrics, scraped over HTTP and read with prometheus-client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from support import bearer, text_request

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.mock_server.serving import ServerThread

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def server() -> Iterator[ServerThread]:
    with ServerThread(Mock(MockConfig(virtual_clock=True))) as running:
        yield running


def scrape(client: httpx.Client) -> Samples:
    reply = client.get("/__mock__/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def requests_of(samples: Samples, route: str, status: int, code: str = "") -> float:
    for (name, labels), value in samples.items():
        found = dict(labels)
        if (
            name == "rivya_mock_requests_total"
            and found["route"] == route
            and found["status"] == str(status)
            and found["code"] == code
        ):
            return value
    return 0.0


def test_request_counters_match_the_requests_sent(server: ServerThread) -> None:
    key = server.mock.config.api_key
    with httpx.Client(base_url=server.base_url) as client:
        for _ in range(3):
            assert client.get("/api/v1/credits", headers=bearer(key)).status_code == 200
        for _ in range(2):
            assert client.get("/api/v1/credits").status_code == 401
        created = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        assert created.status_code == 202
        task_path = "/api/v1/generations/" + created.json()["id"]
        assert client.get(task_path, headers=bearer(key)).status_code == 200
        assert client.get("/api/v1/nowhere").status_code == 404
        samples = scrape(client)

    assert requests_of(samples, "/api/v1/credits", 200) == 3
    assert requests_of(samples, "/api/v1/credits", 401, "api_key_missing") == 2
    assert requests_of(samples, "/api/v1/generations", 202) == 1
    assert requests_of(samples, "/api/v1/generations/{taskId}", 200) == 1
    assert requests_of(samples, "unrouted", 404, "not_found") == 1
    count = samples["rivya_mock_request_duration_seconds_count", (("route", "/api/v1/credits"),)]
    assert count == 5
    inf = (("le", "+Inf"), ("route", "/api/v1/credits"))
    assert samples["rivya_mock_request_duration_seconds_bucket", inf] == 5
    total = sum(
        value for (name, _), value in samples.items() if name == "rivya_mock_requests_total"
    )
    assert total == 8  # the scrape itself is counted once it has been answered


def test_tasks_credits_and_faults_follow_the_state(server: ServerThread) -> None:
    mock = server.mock
    key = mock.config.api_key
    mock.control.script(outcome="failed", times=1)
    with httpx.Client(base_url=server.base_url) as client:
        failing = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        queued = client.post("/api/v1/generations", headers=bearer(key), json=text_request())
        price = queued.json()["reserved_credits"]
        before = scrape(client)
        assert before["rivya_mock_tasks", (("status", "queued"),)] >= 1
        assert before["rivya_mock_credits_reserved", ()] == price
        assert before["rivya_mock_credits_refunded_total", ()] == failing.json()["reserved_credits"]

        mock.clock.advance(3600)
        mock.control.fault(code="rate_limited", times=2)
        assert client.get("/api/v1/credits", headers=bearer(key)).status_code == 429
        assert client.get("/api/v1/models").status_code == 429
        after = scrape(client)

    assert after["rivya_mock_tasks", (("status", "succeeded"),)] == 1
    assert after["rivya_mock_tasks", (("status", "failed"),)] == 1
    assert after["rivya_mock_tasks", (("status", "queued"),)] == 0
    assert after["rivya_mock_credits_reserved", ()] == 0
    assert after["rivya_mock_credits_spent_total", ()] == price
    assert after["rivya_mock_faults_fired_total", (("kind", "rate_limited"),)] == 2
    assert requests_of(after, "/api/v1/models", 429, "rate_limited") == 1


def test_webhook_attempts_are_counted_by_event_and_outcome() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    answers = iter([500, 204])
    mock.control.webhooks.route(
        "https://hooks.example.com/", lambda request: httpx.Response(next(answers))
    )
    key = bearer(mock.config.api_key)
    created = mock.api.handle(
        "POST",
        "/api/v1/webhooks",
        headers={**key, "Content-Type": "application/json"},
        body=b'{"url": "https://hooks.example.com/in"}',
    )
    assert created.status == 201, created.body
    task = mock.api.handle(
        "POST",
        "/api/v1/generations",
        headers={**key, "Content-Type": "application/json", "X-Rivya-Mock": "succeed"},
        body=b'{"model": "grok-imagine", "prompt": "a fox"}',
    )
    assert task.status == 202
    mock.clock.advance(3600)
    scraped = mock.api.handle("GET", "/__mock__/metrics").body.decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
    }
    event = ("event", "generation.succeeded")
    assert samples["rivya_mock_webhook_attempts_total", (event, ("outcome", "failed"))] == 1
    assert samples["rivya_mock_webhook_attempts_total", (event, ("outcome", "delivered"))] == 1
    mock.close()


def test_metrics_are_guarded_by_the_admin_token() -> None:
    mock = Mock(MockConfig(admin_token="adm1n"))
    assert mock.api.handle("GET", "/__mock__/metrics").code == "mock_unauthorized"
    allowed = mock.api.handle("GET", "/__mock__/metrics", headers=bearer("adm1n"))
    assert allowed.status == 200 and b"rivya_mock_requests_total" in allowed.body
    health = mock.api.handle("GET", "/__mock__/health", headers=bearer("adm1n"))
    assert health.status == 200 and b'"status":"ok"' in health.body
