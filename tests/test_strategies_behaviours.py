"""Server behaviours: the mock does exactly what each drawn behaviour describes."""

from __future__ import annotations

import httpx
from hypothesis import Phase, given, settings

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.behaviours import ENDPOINTS, TRANSIENT_STATUSES
from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_transport
from rivya_contract.plugin.strategies import (
    ServerBehaviour,
    Transient,
    server_behaviours,
    transient_codes,
    transients,
)
from rivya_contract.schemas import contract, validate

Seen = tuple[int, str | None, str | None]


def _expected(behaviour: ServerBehaviour, endpoint: str) -> list[Seen]:
    out: list[Seen] = []
    for t in behaviour.transients:
        if t.endpoint == endpoint:
            wait = None if t.retry_after is None else str(t.retry_after)
            out += [(t.status, t.code, wait)] * t.times
    return out


def _send(
    http: httpx.Client, method: str, path: str, seen: list[Seen], **kw: object
) -> httpx.Response:
    """Send until the answer is not a transient error, noting each transient error."""
    while True:
        answer = http.request(method, path, **kw)  # type: ignore[arg-type]
        if answer.status_code not in TRANSIENT_STATUSES and answer.status_code < 500:
            return answer
        assert validate("error", answer.json()) == [] or answer.json()["error"]["code"] in (
            "service_unavailable",
            "internal_error",
            "bad_gateway",
        )
        code = answer.json()["error"]["code"]
        documented = code in contract().error_status
        seen.append(
            (answer.status_code, code if documented else None, answer.headers.get("Retry-After"))
        )


@settings(max_examples=80, database=None, deadline=None)
@given(server_behaviours(outcomes=("succeeded", "failed", "processing"), max_queued=5))
def test_the_mock_executes_each_behaviour(behaviour: ServerBehaviour) -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    behaviour.apply(mock)
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}
    created_seen: list[Seen] = []
    polled_seen: list[Seen] = []
    with httpx.Client(
        base_url=DEFAULT_BASE_URL, transport=mock_transport(mock), headers=headers
    ) as http:
        created = _send(
            http,
            "POST",
            ENDPOINTS["create"][1],
            created_seen,
            json={"model": "grok-imagine", "prompt": "x"},
        )
        assert created.status_code == 202
        start = mock.clock.now()
        task_path = f"/api/v1/generations/{created.json()['id']}"
        checks = [(0.0, "queued" if behaviour.queued else None)]
        if behaviour.queued:
            checks.append((behaviour.queued - 0.5, "queued"))
        end = behaviour.queued + behaviour.processing
        if behaviour.processing or behaviour.outcome == "processing":
            checks.append((behaviour.queued, "processing"))
            if behaviour.processing:
                checks.append((end - 0.5, "processing"))
        checks.append((end + 1000.0, behaviour.outcome))
        for offset, status in checks:
            mock.clock.advance(max(0.0, start + offset - mock.clock.now()))
            task = _send(http, "GET", task_path, polled_seen).json()
            assert validate("task", task) == []
            if status is not None:
                assert task["status"] == status, (offset, behaviour.describe())
    if behaviour.outcome == "failed":
        assert task["error"]["code"] == behaviour.code
    assert created_seen == _expected(behaviour, "create")
    assert polled_seen == _expected(behaviour, "poll")


@settings(max_examples=100, database=None, phases=[Phase.generate])
@given(transients())
def test_transient_errors_say_retry_later(transient: Transient) -> None:
    assert transient.status in TRANSIENT_STATUSES
    if transient.code is not None:
        assert contract().error_status[transient.code] == transient.status
        assert transient.retry_after is not None and transient.retry_after >= 1


def test_transient_codes_come_from_the_contract() -> None:
    assert set(transient_codes()) == {"rate_limited", "public_api_disabled"}


def test_descriptions_name_every_part() -> None:
    behaviour = ServerBehaviour(
        1, 2, "failed", "generation_failed", (Transient("poll", None, 503, None, 2),)
    )
    text = behaviour.describe()
    assert text.startswith("queued 1 s, processing 2 s, then fails with generation_failed")
    assert "poll answered bare 503 (no Retry-After) 2 times" in text
    assert behaviour.finishes_after == 3
