"""Credit math: reserve at create, charge on success, refund on failure, surcharges, shortfalls.

After every step the wallet invariant ``balance + reserved + spent == granted``
holds (``Account.ledger_ok``), and ``GET /credits`` shows the balance.
"""

from __future__ import annotations

import httpx
import pytest
from support import (
    TRANSPORTS,
    account,
    add_account,
    balance,
    client_for,
    create,
    error_of,
    ledger_ok,
    poll,
    reference_png,
    reference_request,
    text_request,
    upload,
    valid,
)

from rivya_contract.mock_server.config import MockConfig
from rivya_contract.mock_server.mock import Mock
from rivya_contract.schemas import model_card

QUEUED, PROCESSING = 2.0, 8.0
BASE = 4
"""grok-imagine's base credits (its model card)."""


def virtual(**changes: object) -> Mock:
    """Return a virtual-clock mock with fixed timings."""
    config = MockConfig(virtual_clock=True, queued_seconds=QUEUED, processing_seconds=PROCESSING)
    return Mock(config.replace(**changes))


def test_the_model_card_prices_grok_imagine_at_its_base_credits() -> None:
    card = model_card("grok-imagine")
    assert card is not None and card.base_credits == BASE


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_success_reserves_then_charges_the_reservation(transport: str) -> None:
    mock = virtual()
    key = mock.config.api_key
    client = client_for(transport, mock)
    start = balance(client, key)
    assert start == mock.config.credits
    task = valid("task", create(client, key, text_request()))
    assert task["reserved_credits"] == BASE and task["final_credits"] == 0
    assert balance(client, key) == start - BASE
    wallet = account(mock)
    assert (wallet.reserved, wallet.spent) == (BASE, 0) and ledger_ok(mock)
    mock.clock.advance(QUEUED)
    assert valid("task", poll(client, key, task["id"]))["final_credits"] == 0
    assert balance(client, key) == start - BASE and account(mock).reserved == BASE
    mock.clock.advance(PROCESSING)
    done = valid("task", poll(client, key, task["id"]))
    assert done["status"] == "succeeded"
    assert done["final_credits"] == done["reserved_credits"] == BASE
    assert balance(client, key) == start - BASE
    wallet = account(mock)
    assert (wallet.reserved, wallet.spent, wallet.granted) == (0, BASE, start)
    assert ledger_ok(mock)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failure_refunds_the_reservation(transport: str) -> None:
    mock = virtual(failure_rate=1.0)
    key = mock.config.api_key
    client = client_for(transport, mock)
    start = balance(client, key)
    task = valid("task", create(client, key, text_request()))
    assert balance(client, key) == start - BASE and ledger_ok(mock)
    mock.clock.advance(QUEUED + PROCESSING)
    failed = valid("task", poll(client, key, task["id"]))
    assert failed["status"] == "failed" and failed["final_credits"] == 0
    assert balance(client, key) == start
    wallet = account(mock)
    assert (wallet.reserved, wallet.spent) == (0, 0) and ledger_ok(mock)


def test_without_refund_on_failure_a_failed_task_stays_charged() -> None:
    mock = virtual(failure_rate=1.0, refund_on_failure=False)
    key = mock.config.api_key
    client = client_for("in_process", mock)
    start = balance(client, key)
    task = valid("task", create(client, key, text_request()))
    mock.clock.advance(QUEUED + PROCESSING)
    failed = valid("task", poll(client, key, task["id"]))
    assert failed["status"] == "failed" and failed["final_credits"] == 0
    assert balance(client, key) == start - BASE
    wallet = account(mock)
    assert (wallet.reserved, wallet.spent) == (0, BASE) and ledger_ok(mock)


def test_credits_settle_when_read_even_without_a_poll() -> None:
    mock = virtual(failure_rate=1.0)
    key = mock.config.api_key
    client = client_for("asgi", mock)
    start = balance(client, key)
    for n in range(3):
        valid("task", create(client, key, text_request(f"fox {n}")))
    assert balance(client, key) == start - 3 * BASE
    mock.clock.advance(QUEUED + PROCESSING)
    assert account(mock).reserved == 3 * BASE  # nothing has looked yet
    assert balance(client, key) == start
    assert account(mock).reserved == 0 and ledger_ok(mock)


def test_the_invariant_holds_at_every_step_of_a_mixed_run() -> None:
    mock = virtual(failure_rate=0.5, seed=3)
    key = mock.config.api_key
    other = add_account(mock, "acct_other", 40)
    client = client_for("in_process", mock)
    ids: list[tuple[str, str]] = []
    for n in range(12):
        owner = key if n % 2 else other
        response = create(client, owner, text_request(f"scene {n}"))
        if response.status_code == 202:
            ids.append((owner, valid("task", response)["id"]))
        else:
            error_of(response, "insufficient_credits", 402)
        assert ledger_ok(mock)
        mock.clock.advance(1.5)
        for who, task_id in ids:
            poll(client, who, task_id)
            assert ledger_ok(mock)
    mock.clock.advance(QUEUED + PROCESSING)
    views = [valid("task", poll(client, who, task_id)) for who, task_id in ids]
    statuses = {view["status"] for view in views}
    assert statuses == {"succeeded", "failed"}
    owners = {key: "acct_demo", other: "acct_other"}
    for acct in mock.backend.store.accounts():
        assert acct.reserved == 0
        charged = [
            view["final_credits"]
            for (who, _), view in zip(ids, views, strict=True)
            if owners[who] == acct.id
        ]
        assert acct.spent == sum(charged)
    assert ledger_ok(mock)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_pro_surcharge_applies_to_text_to_image_only(transport: str) -> None:
    mock = virtual(surcharges={"grok-imagine:enable_pro": 2})
    key = mock.config.api_key
    client = client_for(transport, mock)
    start = balance(client, key)
    standard = valid("task", create(client, key, text_request(enable_pro="false")))
    pro = valid("task", create(client, key, text_request(enable_pro="true")))
    assert (standard["reserved_credits"], pro["reserved_credits"]) == (BASE, BASE + 2)
    stored = valid("file", upload(client, key, reference_png(), kind="image"))
    edit = reference_request(stored["url"])
    edit["params"]["enable_pro"] = "true"
    edited = valid("task", create(client, key, edit))
    assert edited["reserved_credits"] == BASE
    assert balance(client, key) == start - (3 * BASE + 2)
    mock.clock.advance(QUEUED + PROCESSING)
    assert valid("task", poll(client, key, pro["id"]))["final_credits"] == BASE + 2
    assert account(mock).spent == 3 * BASE + 2 and ledger_ok(mock)


def test_without_a_configured_surcharge_pro_costs_the_base_price() -> None:
    mock = virtual()
    client = client_for("in_process", mock)
    pro = valid("task", create(client, mock.config.api_key, text_request(enable_pro="true")))
    assert pro["reserved_credits"] == BASE


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(("pro", "cost"), [("false", BASE), ("true", BASE + 2)])
def test_a_balance_short_by_one_is_insufficient_credits(
    transport: str, pro: str, cost: int
) -> None:
    mock = virtual(surcharges={"grok-imagine:enable_pro": 2})
    client = client_for(transport, mock)
    short = add_account(mock, "acct_short", cost - 1)
    exact = add_account(mock, "acct_exact", cost)
    error = error_of(
        create(client, short, text_request(enable_pro=pro)), "insufficient_credits", 402
    )
    assert str(cost) in error["message"]
    assert balance(client, short) == cost - 1
    assert account(mock, "acct_short").reserved == 0
    assert (
        valid("task", create(client, exact, text_request(enable_pro=pro)))["reserved_credits"]
        == cost
    )
    assert balance(client, exact) == 0
    error_of(create(client, exact, text_request(enable_pro=pro)), "insufficient_credits", 402)
    assert ledger_ok(mock)


def test_a_refund_makes_the_credits_usable_again() -> None:
    mock = virtual(failure_rate=1.0)
    client = client_for("in_process", mock)
    key = add_account(mock, "acct_tight", BASE)
    valid("task", create(client, key, text_request()))
    error_of(create(client, key, text_request("again")), "insufficient_credits", 402)
    mock.clock.advance(QUEUED + PROCESSING)
    assert create(client, key, text_request("again")).status_code == 202
    assert ledger_ok(mock)


def test_accounts_have_separate_wallets() -> None:
    mock = virtual()
    client: httpx.Client = client_for("in_process", mock)
    key = mock.config.api_key
    other = add_account(mock, "acct_other", 10)
    valid("task", create(client, other, text_request()))
    assert balance(client, other) == 10 - BASE
    assert balance(client, key) == mock.config.credits
