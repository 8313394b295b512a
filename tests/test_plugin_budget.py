"""The credit budget: creates that could exceed it are refused before a byte is sent."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from rivya_contract.mock_server import Mock, MockConfig
from rivya_contract.plugin.budget import Budget, BudgetExceeded, BudgetTransport
from rivya_contract.plugin.respx_routes import DEFAULT_BASE_URL, mock_transport
from rivya_contract.plugin.targets import Target, mock_target
from rivya_contract.schemas import contract

IMAGE = contract().cards["grok-imagine"]
VIDEO = contract().cards["grok-imagine-video"]
IMAGE_BODY = {"model": IMAGE.id, "prompt": "a fox"}
VIDEO_BODY = {"model": VIDEO.id, "prompt": "a fox running"}


def _budgeted(
    max_credits: int, config: MockConfig | None = None, **options: object
) -> tuple[Mock, Target]:
    mock = Mock(config or MockConfig(virtual_clock=True))
    base = mock_target(mock)
    budget = Budget(max_credits, **options)  # type: ignore[arg-type]
    return mock, Target("live", base.base_url, base.api_key, base.make_transport, budget, mock)


def _creates(mock: Mock) -> int:
    return sum(1 for entry in mock.control.journal if entry.method == "POST")


def test_creates_pass_until_the_next_one_would_exceed_the_budget() -> None:
    price = IMAGE.price(None)
    mock, target = _budgeted(2 * price + price - 1)
    with target.client() as http:
        for _ in range(2):
            assert http.post("/api/v1/generations", json=IMAGE_BODY).status_code == 202
        with pytest.raises(BudgetExceeded, match=f"costing {price} credits"):
            http.post("/api/v1/generations", json=IMAGE_BODY)
        assert http.get("/api/v1/credits").status_code == 200
    assert _creates(mock) == 2
    assert target.budget is not None
    assert target.budget.spent == 2 * price
    assert target.budget.remaining == price - 1


def test_a_zero_budget_lets_reads_and_nothing_else_through() -> None:
    mock, target = _budgeted(0)
    with target.client() as http:
        assert http.get("/api/v1/credits").json() == {"current_credits": mock.config.credits}
        with pytest.raises(BudgetExceeded):
            http.post("/api/v1/generations", json=IMAGE_BODY)
    assert _creates(mock) == 0


def test_the_price_follows_the_model_card_and_its_params() -> None:
    budget = Budget(100, surcharges={"grok-imagine:enable_pro": 3})
    pro = {**IMAGE_BODY, "params": {"enable_pro": "true"}}
    assert budget.price(json.dumps(VIDEO_BODY).encode()) == VIDEO.price(None)
    assert budget.price(json.dumps(pro).encode()) == IMAGE.price({"enable_pro": "true"}) + 3


def test_an_idempotent_replay_is_not_counted_twice() -> None:
    price = IMAGE.price(None)
    _, target = _budgeted(price)
    headers = {"Idempotency-Key": "order-1"}
    with target.client() as http:
        first = http.post("/api/v1/generations", json=IMAGE_BODY, headers=headers)
        assert target.budget is not None
        target.budget.max_credits = 2 * price  # room to send the replay at all
        again = http.post("/api/v1/generations", json=IMAGE_BODY, headers=headers)
    assert first.json()["id"] == again.json()["id"]
    assert target.budget.spent == price


def test_an_error_answer_frees_what_was_held() -> None:
    mock, target = _budgeted(IMAGE.price(None))
    mock.control.fault(method="POST", code="rate_limited")
    with target.client() as http:
        assert http.post("/api/v1/generations", json=IMAGE_BODY).status_code == 429
        assert http.post("/api/v1/generations", json=IMAGE_BODY).status_code == 202
    assert target.budget is not None
    assert target.budget.remaining == 0


def test_a_create_that_never_got_an_answer_counts_as_spent() -> None:
    mock, target = _budgeted(IMAGE.price(None))
    mock.control.fault(method="POST", drop=True)
    with target.client() as http, pytest.raises(httpx.RemoteProtocolError):
        http.post("/api/v1/generations", json=IMAGE_BODY)
    assert target.budget is not None
    assert target.budget.remaining == 0


@pytest.mark.parametrize(
    "body", [{"model": "no-such-model", "prompt": "x"}, ["not", "an", "object"], "{broken"]
)
def test_a_create_that_cannot_be_priced_is_refused_unless_allowed(body: object) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    mock, target = _budgeted(1000)
    with target.client() as http, pytest.raises(BudgetExceeded, match="price is unknown"):
        http.post("/api/v1/generations", content=content)
    assert _creates(mock) == 0
    mock, target = _budgeted(1000, allow_unpriced=True)
    with target.client() as http:
        assert http.post("/api/v1/generations", content=content).status_code == 400


def test_the_async_path_enforces_the_same_budget() -> None:
    mock = Mock(MockConfig(virtual_clock=True))
    budget = Budget(IMAGE.price(None))
    transport = BudgetTransport(mock_transport(mock), budget)
    headers = {"Authorization": f"Bearer {mock.config.api_key}"}

    async def run() -> int:
        async with httpx.AsyncClient(
            base_url=DEFAULT_BASE_URL, transport=transport, headers=headers
        ) as http:
            ok = await http.post("/api/v1/generations", json=IMAGE_BODY)
            with pytest.raises(BudgetExceeded):
                await http.post("/api/v1/generations", json=IMAGE_BODY)
            return ok.status_code

    assert asyncio.run(run()) == 202
    assert budget.spent == IMAGE.price(None)


def test_concurrent_creates_never_overshoot() -> None:
    price = IMAGE.price(None)
    mock, target = _budgeted(3 * price)

    async def run() -> list[object]:
        async with target.async_client() as http:
            sends = [http.post("/api/v1/generations", json=IMAGE_BODY) for _ in range(8)]
            return list(await asyncio.gather(*sends, return_exceptions=True))

    outcomes = asyncio.run(run())
    assert sum(isinstance(o, httpx.Response) for o in outcomes) == 3
    assert sum(isinstance(o, BudgetExceeded) for o in outcomes) == 5
    assert _creates(mock) == 3


def test_a_negative_budget_is_an_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        Budget(-1)


def test_creates_with_another_key_or_none_cannot_spend_the_wallet() -> None:
    mock, target = _budgeted(0)
    with target.client(authorized=False) as http:
        assert http.post("/api/v1/generations", json=IMAGE_BODY).status_code == 401
        other = {"Authorization": "Bearer rvya_sk_someone_else"}
        assert http.post("/api/v1/generations", json=IMAGE_BODY, headers=other).status_code == 401
    assert _creates(mock) == 2


def test_trusting_validation_sends_rejected_creates_as_free() -> None:
    invalid = {**IMAGE_BODY, "params": {"enable_pro": True}}
    mock, target = _budgeted(0, trust_validation=True)
    with target.client() as http:
        assert http.post("/api/v1/generations", json=invalid).status_code == 400
        assert http.post("/api/v1/generations", content=b"{broken").status_code == 400
        with pytest.raises(BudgetExceeded):
            http.post("/api/v1/generations", json=IMAGE_BODY)
    assert _creates(mock) == 2
    strict = Budget(0)
    assert strict.price(json.dumps(invalid).encode()) == IMAGE.price(None)


def test_a_charge_for_a_trusted_rejection_still_counts() -> None:
    drifted = MockConfig(virtual_clock=True, coerce_selects=True)  # accepts boolean selects
    price = IMAGE.price(None)
    mock, target = _budgeted(price, drifted, trust_validation=True)
    invalid = {**IMAGE_BODY, "params": {"enable_pro": False}}
    with target.client() as http:
        assert http.post("/api/v1/generations", json=invalid).status_code == 202
        with pytest.raises(BudgetExceeded):
            http.post("/api/v1/generations", json=IMAGE_BODY)
    assert target.budget is not None
    assert target.budget.spent == price
    assert _creates(mock) == 1
